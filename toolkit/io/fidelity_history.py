"""Fidelity transaction history: ``Accounts_History.csv`` and ``History_for_Account_<acct>.csv``.

Layout (FORMATS.md 1b, ``header_signatures.json`` ``fidelity_history``). Fidelity builds the
header per account mix, so every column is bound by name (case-insensitively, `` ($)``
ignored), never by position. Header layouts handled:

- 2019: ``Run Date,Account,Action,Symbol,Security Description,Security Type,Exchange Quantity,
  Exchange Currency,Quantity,Currency,Price,Exchange Rate,Commission,Fees,Accrued Interest,
  Amount,Settlement Date``;
- 2021-23: the same with ``($)`` suffixes and no exchange columns;
- 2023 CMA: no ``Account`` column;
- 2024-25 single account: ``Description``/``Type`` and ``Cash Balance ($)``;
- 2025 FX variant: exchange columns and ``Cash Balance`` without ``($)``;
- Dec 2025 all-accounts: ``Account,Account Number`` and ``Price,Quantity`` order;
- 2026 all-accounts and single account: ``Price ($),Quantity`` order.

Preambles: UTF-8 BOM, 2 blank lines, 5 rows of bare commas (CRLF), a one-cell banner
(``Brokerage``), or from July 2026 the header on line 1 followed by an empty line (with
``MM-DD-YYYY`` dates and ``""`` empties). The table ends at the first blank line or footer line;
the footer is blank lines, quoted disclaimers and ``Date downloaded 04/11/2026 11:54 am`` (or
the 2019 form ``"Date downloaded" 04/06/2019, 6:29 PM``), which gives ``as_of``.

Rules this loader applies (rule numbers refer to FORMATS.md section 0 and the brief):

- **Dates.** ``date`` is the date embedded in the Action text when there is one
  (``INTEREST EARNED as of Dec-30-2025 (Cash)``, ``FOREIGN TAX PAID as of 12/07/2018``),
  otherwise the Run Date (Fidelity's posting date). ``settle_date`` comes only from the
  Settlement Date column (missing when that cell is empty); the Run Date is never used as a
  settlement date. An ``as of`` whose date is in no known form falls back to the Run Date
  and is listed in ``Export.notes``.
- **Accounts.** All-accounts files: the ``Account Number`` column when present (``Account``
  is then the account's name); otherwise the account number ending the ``Account`` cell
  (``My Account X12345678`` -> ``X12345678``, name ``My Account``). Single-account files name
  no account: ``options["account"]``, else the number in ``History_for_Account_<acct>.csv``,
  else :class:`~toolkit.errors.FormatError` asking for ``account=``.
- **Actions** are read from the first words of the Action text (whitespace collapsed, case
  ignored; see :data:`RULES`). The sub-account suffix ``(Cash)``/``(Margin)`` and leading
  spaces stay in ``action_text``. Money moving in or out (wires, EFTs) and transfers
  (``JOURNALED``, ``TRANSFER OF ASSETS``, ``ROTH CONVERSION``, ``ROLLOVER``) take their
  direction from the sign of the quantity (transfers of shares) or amount. ``MERGER``,
  ``REVERSE SPLIT`` and ``DISTRIBUTION`` rows that move shares are ``split`` rows: share
  changes whose Amount (a valuation, not cash) is dropped; a ``DISTRIBUTION`` that moves only
  cash out of the account is a ``withdrawal``. Unknown text is ``other`` with the text kept.
- **Signs.** Fidelity's Quantity is signed and Amount is signed with commission included, so
  both are kept; quantities of buys, reinvestments and transfers in are made positive and of
  sells and transfers out negative. ``fees`` = |Commission| + |Fees| (missing when both cells
  are empty). A Quantity of ``0`` (Fidelity's filler on cash rows) becomes missing.
- **Bonds, CDs and T-bills.** Quantity is the face value and Price is per 100 of face; both
  are kept as written (so quantity x price = 100 x principal).
- **Symbols.** Cash-only rows have none (missing). Money-market and core pseudo symbols
  (``CASH``, ``987654321``, ``SPAXX``) are kept as written. Description ``No Description``
  is Fidelity's placeholder and becomes missing.
- **Contributions that buy shares** (a contribution row carrying a quantity) become two rows
  with the same ``source_line``: ``contribution`` (+amount, no quantity) then ``buy``
  (+quantity, -amount).
- **Workplace (401(k)) rows** in all-accounts files (FORMATS.md 1b, section 9; reds issue
  #182) are recognised by structure: an empty Type cell, no Symbol, and no sub-account suffix
  on the Action (they use a title-case vocabulary: ``Contributions``, ``Dividend``,
  ``Transfer``, ``Exchange In``/``Out``, ``Withdrawals``, ``Recordkeeping Fee``). Their
  numbers are written in the legacy ``Quantity, Price`` order even when the header says
  ``Price, Quantity`` (#182: ``Contributions`` with ``0.35`` under Price, Quantity empty,
  Amount ``81.79``). So when the header puts Price before Quantity, the two cells of these
  rows are swapped back; headers in ``Quantity, Price`` order are read as written. After
  the swap: a ``Dividend`` with shares is ``dividend`` (+amount) plus ``reinvest``
  (+shares, -amount); ``Contributions`` is contribution plus buy as above; ``Withdrawals`` and
  fees with shares are ``sell`` (-shares, +amount) plus ``withdrawal``/``fee`` (-amount);
  ``Exchange In``/``Out`` are ``buy``/``sell`` with the amount signed by direction; a
  ``Transfer`` with neither shares nor amount changes nothing and is skipped with a reason.
  Workplace rows have no ticker: ``symbol`` is missing and ``description`` holds the fund.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import Action

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import (
    Binding,
    Col,
    TextFile,
    bind,
    fast_table,
    find_line,
    frame_from_rows,
    is_blank,
    iter_rows,
    norm_line,
    split_csv_line,
)

__all__ = ["FORMATS", "RULES", "Rule", "classify", "detect", "load"]

FORMAT = "fidelity_history"

SPEC = {
    "run_date": Col.date("Run Date", need=True, missing="Run Date is empty"),
    "account": Col.text("Account", required=False),
    "account_number": Col.text("Account Number", required=False),
    "action": Col.text("Action", need=True, missing="Action is empty"),
    "symbol": Col.symbol("Symbol"),
    "description": Col.text("Description", "Security Description", required=False),
    "type": Col.text("Type", "Security Type", required=False),
    "quantity": Col.quantity("Quantity"),
    "price": Col.money("Price ($)", "Price", required=False),
    "commission": Col.money("Commission ($)", "Commission", required=False),
    "fees": Col.money("Fees ($)", "Fees", required=False),
    "amount": Col.money("Amount ($)", "Amount"),
    "settle_date": Col.date("Settlement Date", required=False),
    "currency": Col.text("Currency", required=False),
}

#: First words of lines that end the table (disclaimer and download lines).
FOOTER = re.compile(r"^\"?\s*(Date downloaded|Date exported|The data and information|"
                    r"Brokerage services|informational purposes|Fidelity Brokerage)", re.I)
_DOWNLOADED = re.compile(
    r"Date downloaded\"?\s*,?\s*"
    r"(\d{1,2}/\d{1,2}/\d{4}|\d{2}-\d{2}-\d{4}|[A-Za-z]{3}-\d{1,2}-\d{4})", re.I)
_AS_OF_WORDS = re.compile(r"\bas of\b", re.I)
_AS_OF = re.compile(r"\bas of\s+(\d{1,2}/\d{1,2}/\d{4}|\d{2}-\d{2}-\d{4}|[A-Za-z]{3}-\d{1,2}-\d{4}"
                    r"|\d{4}-\d{2}-\d{2})\b", re.I)
_SUBACCOUNT = re.compile(r"\((?:Cash|Margin|Shares|Short|Income)\)\s*$", re.I)
_FILENAME_ACCOUNT = re.compile(r"History_for_Account_([A-Za-z0-9]+)", re.I)
_ACCOUNT_IN_CELL = re.compile(r"^(?:(?P<name>.*?\S)\s+)?(?P<num>[A-Z]{0,3}\d[0-9A-Z]{4,})$")


@dataclass(frozen=True)
class Rule:
    """How Action text starting with ``prefix`` maps to an :class:`~toolkit.schema.Action`.

    Parameters
    ----------
    prefix : str
        Upper-case first words of the Action text (whitespace collapsed).
    action : Action
        The action, or the default direction for ``mode`` ``"cash"``/``"transfer"``.
    mode : str
        ``"fixed"``; ``"cash"`` (contribution or withdrawal by the sign of the amount);
        ``"transfer"`` (in or out by the sign of the quantity, else of the amount);
        ``"shares"`` (``split`` when the row moves shares, else ``action``).
    exact : bool
        Match the whole text rather than its start (workplace vocabulary).
    """

    prefix: str
    action: Action
    mode: str = "fixed"
    exact: bool = False


A = Action
#: Action text -> action, tried in order; the first matching rule wins.
RULES: tuple[Rule, ...] = (
    # trades
    Rule("YOU BOUGHT", A.BUY),
    Rule("YOU SOLD", A.SELL),
    Rule("PURCHASE INTO", A.BUY),  # core money-market purchases
    Rule("REDEMPTION FROM", A.SELL),  # core money-market redemptions
    Rule("REDEMPTION PAYOUT", A.SELL),  # bond / T-bill maturity: face value out, cash in
    Rule("REINVESTMENT", A.REINVEST),
    Rule("EXCHANGE IN", A.BUY),  # workplace fund exchange
    Rule("EXCHANGE OUT", A.SELL),
    # income and taxes
    Rule("DIVIDEND", A.DIVIDEND),  # DIVIDEND RECEIVED, DIVIDEND ADJUSTMENT, workplace Dividend
    Rule("SHORT-TERM CAP GAIN", A.CAPITAL_GAIN),
    Rule("LONG-TERM CAP GAIN", A.CAPITAL_GAIN),
    Rule("MARGIN INTEREST", A.FEE),  # interest charged on a margin debit
    Rule("INTEREST", A.INTEREST),  # INTEREST EARNED
    Rule("MUNI EXEMPT INT", A.INTEREST),
    Rule("FOREIGN TAX", A.TAX_WITHHELD),
    Rule("ADJ FOREIGN TAX", A.TAX_WITHHELD),
    Rule("NON-RESIDENT TAX", A.TAX_WITHHELD),
    Rule("FED TAX", A.TAX_WITHHELD),
    Rule("STATE TAX", A.TAX_WITHHELD),
    Rule("BACKUP WITHHOLDING", A.TAX_WITHHELD),
    Rule("FEE CHARGED", A.FEE),
    Rule("ADVISOR FEE", A.FEE),
    Rule("RECORDKEEPING FEE", A.FEE),
    Rule("ADMINISTRATIVE FEE", A.FEE),
    Rule("FEES", A.FEE, exact=True),
    # new money and money out
    Rule("CONTRIBUTION", A.CONTRIBUTION),  # CONTRIBUTION(S), workplace Contributions
    Rule("CASH CONTRIBUTION", A.CONTRIBUTION),
    Rule("PARTIC CONTR", A.CONTRIBUTION),
    Rule("PART CONTRIB", A.CONTRIBUTION),
    Rule("CO CONTR", A.CONTRIBUTION),  # employer (HSA, 401(k)) contribution
    Rule("ELECTRONIC FUNDS TRANSFER RECEIVED", A.CONTRIBUTION, "cash"),
    Rule("ELECTRONIC FUNDS TRANSFER PAID", A.WITHDRAWAL, "cash"),
    Rule("ELECTRONIC FUNDS", A.CONTRIBUTION, "cash"),
    Rule("WIRE TRANSFER", A.CONTRIBUTION, "cash"),
    Rule("DIRECT DEPOSIT", A.CONTRIBUTION, "cash"),
    Rule("CHECK RECEIVED", A.CONTRIBUTION, "cash"),
    Rule("DIRECT DEBIT", A.WITHDRAWAL, "cash"),
    Rule("CHECK PAID", A.WITHDRAWAL, "cash"),
    Rule("BILL PAYMENT", A.WITHDRAWAL, "cash"),
    Rule("DEBIT CARD", A.WITHDRAWAL, "cash"),
    Rule("CASH ADVANCE", A.WITHDRAWAL, "cash"),
    Rule("WITHDRAWAL", A.WITHDRAWAL, "cash"),  # workplace Withdrawals
    Rule("NORMAL DISTR", A.WITHDRAWAL, "cash"),
    Rule("EARLY DIST", A.WITHDRAWAL, "cash"),
    # transfers between accounts (cash or shares)
    Rule("TRANSFERRED FROM", A.TRANSFER_IN, "transfer"),
    Rule("TRANSFERRED TO", A.TRANSFER_OUT, "transfer"),
    Rule("TRANSFER", A.TRANSFER_IN, "transfer"),  # TRANSFER OF ASSETS, workplace Transfer
    Rule("JOURNALED", A.TRANSFER_IN, "transfer"),
    Rule("ROTH CONVERSION", A.TRANSFER_IN, "transfer"),
    Rule("ROLLOVER", A.TRANSFER_IN, "transfer"),
    # share changes without cash
    Rule("STOCK SPLIT", A.SPLIT, "shares"),
    Rule("REVERSE SPLIT", A.SPLIT, "shares"),
    Rule("MERGER", A.OTHER, "shares"),
    Rule("DISTRIBUTION", A.WITHDRAWAL, "shares"),
)

_OPPOSITE = {A.CONTRIBUTION: A.WITHDRAWAL, A.WITHDRAWAL: A.CONTRIBUTION,
             A.TRANSFER_IN: A.TRANSFER_OUT, A.TRANSFER_OUT: A.TRANSFER_IN}
_INCOMING = {A.CONTRIBUTION, A.TRANSFER_IN}


def classify(text: str) -> Rule | None:
    """The first rule of :data:`RULES` matching an Action text, or None.

    Parameters
    ----------
    text : str
        The Action cell (any case and spacing).

    Returns
    -------
    Rule or None
        None when no rule matches (the row becomes ``other``).
    """
    t = re.sub(r"\s+", " ", text).strip().upper()
    for rule in RULES:
        if (t == rule.prefix) if rule.exact else t.startswith(rule.prefix):
            return rule
    return None


def _is_header(line: str) -> bool:
    n = norm_line(line)
    return n.startswith("run date,") and ",action," in n


def detect(s: Sniff) -> bool:
    """A header starting ``Run Date`` with an ``Action`` column in the first lines."""
    return any(n.startswith("run date,") and ",action," in n for n in s.first_lines_norm[:15])


def _as_of(lines: list[str], start: int, path: str) -> pd.Timestamp | None:
    for line in lines[start:]:
        m = _DOWNLOADED.search(line)
        if m:
            return clean.date_value(m.group(1), column="Date downloaded", path=path)
    return None


def _read(tf: TextFile, h: int, start: int, end: int) -> tuple[pd.DataFrame, Binding]:
    """Bind the header at index ``h`` and read data lines ``start .. end`` (0-based)."""
    header = next(iter_rows(tf, h, h + 1)).cells
    binding = bind(header, SPEC, path=tf.name, line=h + 1)
    raw = fast_table(tf, start - 1, end, binding) if end > start else None
    if raw is None:
        raw = frame_from_rows(list(iter_rows(tf, start, end, lenient=True)), binding,
                              path=tf.name)
        b.check_cut(tf, raw)
    return raw, binding


def _report_trailing(tf: TextFile, start: int, skip: SkipLog) -> None:
    for i in range(start, len(tf.lines)):
        line = tf.lines[i]
        if is_blank(line) or FOOTER.match(line.lstrip('\ufeff"')) or _DOWNLOADED.search(line):
            continue
        if len([c for c in split_csv_line(line) if c.strip()]) > 1:
            skip.add(i + 1, "data-like line after the end of the history table", line)


def _extract_distinct(s: pd.Series, rx: re.Pattern) -> pd.DataFrame:
    """``s.str.extract(rx)`` computed once per distinct value (account cells repeat)."""
    distinct = pd.Series(s.dropna().unique(), dtype="str")
    found = distinct.str.extract(rx).set_index(distinct)
    return pd.DataFrame({c: s.map(found[c]).astype("str") for c in found.columns},
                        index=s.index)


def _accounts(t: b.Table, binding: Binding, s: Sniff, options: dict,
              notes: list[str]) -> tuple[b.Table, pd.Series, pd.Series]:
    """Rows that name their account, with the account id and name (see module docstring)."""
    idx = t.index
    number = pd.Series(pd.NA, index=idx, dtype="str")
    name = pd.Series(pd.NA, index=idx, dtype="str")
    all_accounts = binding.has("account") or binding.has("account_number")
    if binding.has("account"):
        cell = t["account"]
        parts = _extract_distinct(cell, _ACCOUNT_IN_CELL)
        if binding.has("account_number"):
            number = t["account_number"]
            # the Account cell is the name; drop a trailing copy of the number if present
            same = parts["num"].notna() & parts["num"].eq(number).fillna(False)
            name = cell.where(~same, parts["name"])
            number = number.fillna(parts["num"])
        else:
            number = parts["num"]
            name = parts["name"].where(parts["num"].notna(), cell)
        missing = number.isna() & cell.notna()
        if missing.any():
            if options.get("account"):
                number = number.mask(missing, str(options["account"]))
            else:
                number = number.mask(missing, cell)
                notes.append(
                    "no account number in the Account cell of "
                    f"{int(missing.sum())} row(s) (e.g. {cell[missing].iloc[0]!r}, line "
                    f"{int(t.line[missing].iloc[0])}); the cell text is used as the "
                    "account id")
    elif binding.has("account_number"):
        number = t["account_number"]
    if all_accounts:
        t.values["account"] = number
        nothing = number.isna()
        t = t.drop(nothing, "row names no account (Account and Account Number are empty)")
        return t, number[~nothing], name[~nothing]
    # single-account file: the file does not name its account
    acct = options.get("account")
    if not acct:
        m = _FILENAME_ACCOUNT.search(s.path.name)
        if m:
            acct = m.group(1)
            notes.append(f"account {acct} taken from the file name")
    if not acct:
        raise FormatError(
            "this single-account history has no Account column and its file name is not "
            "History_for_Account_<account>.csv; pass account= to load_export",
            path=s.path.name)
    t.context["account"] = str(acct)
    return t, pd.Series(str(acct), index=idx, dtype="str"), name


def _actions(text: pd.Series, qty: pd.Series, amount: pd.Series) -> pd.Series:
    """Resolve each row's action from its rule and the signs of its quantity and amount."""
    rules = {t: classify(t) for t in text.dropna().unique()}  # few distinct texts
    base = text.map({t: (r.action if r else A.OTHER).value for t, r in rules.items()})
    mode = text.map({t: r.mode if r else "fixed" for t, r in rules.items()})
    out = base.astype("str")
    opposite = base.map({a.value: _OPPOSITE.get(a, a).value for a in A})
    incoming = base.isin([a.value for a in _INCOMING])

    cash = mode.eq("cash")
    flip = cash & ((incoming & (amount < 0)) | (~incoming & (amount > 0)))
    transfer = mode.eq("transfer")
    sign = np.sign(qty.where(qty.notna(), amount))
    flip |= transfer & ((incoming & (sign < 0)) | (~incoming & (sign > 0)))
    out = out.where(~flip, opposite)

    shares = mode.eq("shares")
    moves = shares & qty.notna()
    out = out.mask(moves, A.SPLIT.value)
    # a share-change rule without shares: DISTRIBUTION paying cash out is a withdrawal
    cash_only = shares & ~moves
    out = out.mask(cash_only & ~(base.eq(A.WITHDRAWAL.value) & (amount < 0)), A.OTHER.value)
    return out


def load(s: Sniff, options: dict) -> Export:
    """Load a Fidelity transaction history export (see module docstring).

    Parameters
    ----------
    s : Sniff
        The sniffed file.
    options : dict
        ``account``: account id for single-account files (default: from the file name).

    Returns
    -------
    Export
        ``transactions`` (schema TRANSACTIONS; dollars and shares), ``accounts``, ``skipped``
        and ``as_of`` (the ``Date downloaded`` date).

    Raises
    ------
    FormatError
        For a file that is not text, has no history header, is truncated, lacks a required
        column, has an unreadable cell, or does not name its account.
    """
    tf = s.text
    if tf is None:
        raise FormatError("expected a Fidelity history CSV (text)", path=s.path)
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, _is_header, limit=20)
    if h is None:
        raise FormatError("no Fidelity history header (Run Date, Action, Symbol, ...) in the "
                          "first 20 lines", path=path)
    b.report_leading(tf, h, skip, "history")
    start = h + 1
    if (start + 1 < len(tf.lines) and is_blank(tf.lines[start])
            and not is_blank(tf.lines[start + 1])
            and not FOOTER.match(tf.lines[start + 1].lstrip('\ufeff"'))):
        start += 1  # July 2026: one empty line between the header and the first row
    end = b.table_end(tf, start, FOOTER)
    raw, binding = _read(tf, h, start, end)
    as_of = _as_of(tf.lines, end, path)
    if raw.empty:
        if as_of is None:
            raise FormatError("the history table has a header but no rows and no footer; the "
                              "file looks truncated", path=path, line=h + 1)
        notes.append("the history lists no transactions")
    if as_of is None:
        notes.append("no 'Date downloaded' footer; the file may be incomplete")

    t = b.convert(raw, SPEC, path=path, skip=skip, binding=binding)
    t, account, account_name = _accounts(t, binding, s, options, notes)
    all_accounts = binding.has("account") or binding.has("account_number")
    token = t["action"].str.extract(_AS_OF, expand=False)
    effective, bad = clean.parse_dates(token)
    t = t.drop(bad.notna(), "cannot read the 'as of' date " + token.map(repr) + " in Action: "
               + bad)
    account, account_name = account[t.index], account_name[t.index]
    token, effective = token[t.index], effective[t.index]
    run = t["run_date"]
    action_text = t["action"]
    lost = action_text.str.contains(_AS_OF_WORDS) & token.isna()
    if lost.any():
        notes.append("Action text with an 'as of' date in an unknown form on line(s) "
                     f"{', '.join(str(int(x)) for x in t.line[lost][:20])}; the Run Date "
                     "is used")
    date = effective.where(effective.notna(), run)
    settle = t["settle_date"]

    symbol = t["symbol"]
    desc = t["description"]
    desc = desc.mask(desc.str.casefold().eq("no description").fillna(False))
    type_ = t["type"]
    qty_cell = t["quantity"]
    price_cell = t["price"]
    amount = t["amount"]
    fees = pd.concat([t["commission"].abs(), t["fees"].abs()], axis=1).sum(axis=1, min_count=1)

    currency = t["currency"].str.upper()
    foreign = currency.notna() & currency.ne("USD")
    if foreign.any():
        notes.append(f"{int(foreign.sum())} row(s) in a currency other than USD (e.g. "
                     f"{currency[foreign].iloc[0]} on line {int(t.line[foreign].iloc[0])});"
                     " amounts are kept as written")

    # Workplace (401(k)) rows: no Type, no Symbol, no sub-account suffix on the Action.
    workplace = (type_.isna() & symbol.isna()
                 & ~action_text.str.contains(_SUBACCOUNT).fillna(False))
    workplace = workplace & all_accounts
    swap = workplace & (binding.has("price")
                        and binding.positions["price"] < binding.positions["quantity"])
    if swap.any():
        notes.append(f"{int(swap.sum())} workplace-plan row(s): Price and Quantity cells read "
                     "swapped (Fidelity writes them in Quantity, Price order)")
    qty = qty_cell.where(~swap, price_cell)
    price = price_cell.where(~swap, qty_cell)
    qty = qty.where(qty.ne(0))

    action = _actions(action_text, qty, amount)
    inc = action.isin([A.BUY.value, A.REINVEST.value, A.TRANSFER_IN.value])
    out = action.isin([A.SELL.value, A.TRANSFER_OUT.value])
    qty = qty.abs().where(~out, -qty.abs()).where(inc | out, qty)
    amount = amount.mask(action.eq(A.SPLIT.value))
    # workplace exchanges: the amount's sign follows the direction (cash for a buy goes out)
    amount = amount.mask(workplace & action.eq(A.BUY.value), -amount.abs())
    amount = amount.mask(workplace & action.eq(A.SELL.value), amount.abs())

    frame = pd.DataFrame({
        "date": date,
        "settle_date": settle,
        "account": account,
        "action": action,
        "action_text": action_text,
        "symbol": symbol,
        "description": desc,
        "quantity": qty,
        "price": price,
        "amount": amount,
        "fees": fees,
        **t.source(s.path),
    })

    # Workplace rows that change nothing: skipped, with a reason.
    nothing = (workplace & action.isin([A.TRANSFER_IN.value, A.TRANSFER_OUT.value])
               & qty.isna() & (amount.isna() | amount.eq(0)))
    t.report(nothing, "workplace-plan transfer with no shares and no amount (no effect on "
                      "holdings or cash)")
    frame = frame[~nothing]
    workplace = workplace[~nothing]

    frame = _split_pairs(frame, workplace)
    accounts = pd.DataFrame({"account": account, "name": account_name,
                             "custodian": "fidelity"}).drop_duplicates("account")

    _report_trailing(tf, end, skip)
    return Export(path=s.path, format=FORMAT, custodian="fidelity", transactions=frame,
                  skipped=skip.frame(), accounts=accounts.reset_index(drop=True), as_of=as_of,
                  notes=notes)


def _split_pairs(frame: pd.DataFrame, workplace: pd.Series) -> pd.DataFrame:
    """Rows that are both a cash flow and a trade become two rows (same ``source_line``).

    - any ``contribution`` with shares: contribution (+amount) then buy (+shares, -amount);
    - a workplace ``dividend`` with shares: dividend (+amount) then reinvest (+shares, -amount);
    - a workplace ``withdrawal`` or ``fee`` with shares: sell (-shares, +|amount|) then the
      withdrawal or fee (-|amount|).
    """
    act = frame["action"]
    has_qty = frame["quantity"].notna()
    contrib = act.eq(A.CONTRIBUTION.value) & has_qty
    div = workplace & act.eq(A.DIVIDEND.value) & has_qty
    outflow = workplace & act.isin([A.WITHDRAWAL.value, A.FEE.value]) & has_qty
    pairs = contrib | div | outflow
    if not pairs.any():
        return frame.reset_index(drop=True)

    frame = frame.assign(_order=0)
    cash_row = frame[contrib | div].copy()
    trade_row = cash_row.copy()
    a = cash_row["amount"]
    q = cash_row["quantity"].abs()
    buy_back = a.lt(0).fillna(False)  # a reversed contribution sells the shares back
    trade_row["action"] = np.where(div[contrib | div], A.REINVEST.value,
                                   np.where(buy_back, A.SELL.value, A.BUY.value))
    trade_row["quantity"] = q.where(~buy_back, -q)
    trade_row["amount"] = -a
    trade_row["fees"] = np.nan
    trade_row["_order"] = 1
    cash_row["quantity"] = np.nan
    cash_row["price"] = np.nan

    sell = frame[outflow].copy()
    paid = sell.copy()
    sell["action"] = A.SELL.value
    sell["quantity"] = -sell["quantity"].abs()
    sell["amount"] = sell["amount"].abs()
    paid["quantity"] = np.nan
    paid["price"] = np.nan
    paid["amount"] = -paid["amount"].abs()
    paid["fees"] = np.nan
    paid["_order"] = 1

    rest = frame[~pairs]
    out = pd.concat([rest, cash_row, trade_row, sell, paid])
    out = out.sort_values(["source_line", "_order"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


FORMATS = [
    FormatSpec(FORMAT, "fidelity", "Fidelity Accounts_History / History_for_Account CSV "
               "(transaction history)", ("text",), detect, load, priority=20),
]
