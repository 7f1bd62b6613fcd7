"""Merrill (Merrill Edge / Merrill Lynch) holdings and activity CSV exports, all accounts.

Layouts (FORMATS.md section 6; ``header_signatures.json`` keys ``merrill_holdings`` and
``merrill_activity``). Every cell is quoted; numbers use thousands separators and
parentheses for negatives (``"(3,221.30)"``); ``--`` is null; dates are ``M/D/YYYY``.
Values may carry trailing spaces (``"Option Sale "``). Headers are found by pattern in the
first lines and columns bound by name (case-insensitively, `` ($)`` ignored).

``merrill_holdings_csv`` (position level)::

    "COB Date","Security #","Symbol","CUSIP #","Security Description","Account Nickname",
    "Account Registration","Account #","Quantity","Price ($)","Value ($)",
    "Unrealized Gain/Loss ($)","Unrealized Gain/Loss (%)",...,"Accrued Interest ($)"

``merrill_activity_csv`` (transactions)::

    "Trade Date","Settlement Date","Pending/Settled","Account Nickname","Account Registration",
    "Account #","Type","Description 1 ","Description 2","Symbol/CUSIP #","Quantity",
    "Price ($)","Amount ($)"

Note the trailing space in ``Description 1 ``. An older activity layout ([L]: seen only as
the target of a public statement converter) has ``"Trade Date ","Settlement Date ",
"Account ","Description ","Type ","Symbol/ CUSIP ","Quantity ","Price ","Amount "," "``,
with the registration and number in one cell (``"IRA-Edge 6B1-50X02"``) and the action as
the first words of ``Description``; it loads too.

Accounts
--------
``account`` is the ``Account #`` as written (``99X-12345``, ``42X-49U23``). Its name in
``Export.accounts`` is the ``Account Registration`` (``CMA-Edge``, ``Roth IRA-Edge``,
``IRRA-Edge``: Merrill's rollover IRA), which is what lets the household infer the tax
type; the user's ``Account Nickname`` is used only when the registration is missing (a
nickname such as "Roth savings" on a CMA would mislead the inference). In the older
activity layout the ``Account`` cell is split into the registration (name) and the number.

Holdings rules
--------------
- ``as_of`` is the latest ``COB Date`` (close of business).
- ``symbol`` is the ticker; without one (``--``), the CUSIP. Non-OCC option symbols
  (``XYZ#B1326C425000``) are kept as written, ``security_type`` "option".
- Price units (:func:`toolkit.io._build.price_unit`): options are quoted per share (value =
  contracts x price x 100; price kept as written); notes, bonds and CDs per 100 of face
  (value = face x price / 100): their price is divided by 100 so quantity x price is the
  value, ``security_type`` "bond".
- Cash: money-market sweep funds (``IIAXX``, any ticker of the form ``XXXXX`` ending in
  ``XX``) and bank deposit sweeps (description with ``BANK DEPOSIT``, ``DEPOSIT PROGRAM``/
  ``PROGRM``, ``PREFERRED DEPOSIT``, ``MONEY MARKET``, ``RASP``) are cash positions:
  ``asset_class`` "cash", quantity = value, price 1, basis = value; one without a ticker
  gets symbol ``CASH``.
- ``cost_basis`` = ``Value ($)`` - ``Unrealized Gain/Loss ($)`` when both are given, else
  missing (unknown).
- A negative quantity (a short position or written option, ``"(3)"``) is skipped with a
  reason (short positions are not supported); so are rows with no account (summary lines),
  no symbol and no CUSIP, or no value.

Activity rules
--------------
- ``date`` = Trade Date, ``settle_date`` = Settlement Date. Rows whose ``Pending/Settled``
  is ``Pending`` are skipped with a reason.
- The action is read from ``Description 1`` (case and spacing ignored; older layout: the
  start of ``Description``), else from ``Type`` (``DividendAndInterest``, ``FundReceipts``,
  ``FundTransfers``, ``Checking``, ...); see :data:`RULES`. ``action_text`` keeps
  ``Description 1`` (else ``Type``); ``description`` is ``Description 2`` (the security or
  payee; older layout: the whole ``Description``). Unknown text is ``other``.
- Signs: ``amount`` is Amount as written (Merrill signs it: purchases and withdrawals in
  parentheses). Quantities of buys, reinvestments and transfers in are made positive, of
  sells and transfers out negative. Money in/out rows (deposits, checks, withdrawals,
  ``FundTransfers``) take their direction from the sign of the amount; transfers of shares
  from the sign of the quantity. No commission column: ``fees`` is missing.
- Option expirations and assignments (``Option Expired``, ``Option Assigned``) are
  ``other`` with the quantity as written.
- Sweep-fund trades: a purchase, sale or reinvestment of a cash sweep (``IIAXX``, a
  ``..XX`` money market, a bank deposit program) moves money between Merrill's core cash
  and the sweep, both cash here, so it is action ``other`` with ``amount`` 0.0 (quantity as
  written); the dollars moved are summed in ``Export.notes``. Interest and dividends of the
  sweep stay income.
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
from ._text import Binding, Col, TextFile, decode, find_line, norm_line

__all__ = ["FORMATS", "RULES", "Rule", "classify", "detect_activity", "detect_holdings",
           "load_activity", "load_holdings"]

CUSTODIAN = "merrill"
HOLDINGS_FORMAT = "merrill_holdings_csv"
ACTIVITY_FORMAT = "merrill_activity_csv"
#: Lines searched for a header at the top of the file.
HEADER_SEARCH = 15

HOLDINGS = {
    "cob_date": Col.date("COB Date"),
    "symbol": Col.symbol("Symbol"),
    "cusip": Col.text("CUSIP #", "CUSIP", required=False),
    "description": Col.text("Security Description", "Description", required=False),
    "nickname": Col.text("Account Nickname", required=False),
    "registration": Col.text("Account Registration", required=False),
    "account": Col.text("Account #"),
    "quantity": Col.quantity("Quantity"),
    "price": Col.money("Price ($)", "Price", required=False),
    "value": Col.money("Value ($)", "Value"),
    "unrealized": Col.money("Unrealized Gain/Loss ($)", "Unrealized Gain/Loss",
                            required=False),
}
ACTIVITY = {
    "date": Col.date("Trade Date", need=True, missing="the trade date is empty"),
    "settle_date": Col.date("Settlement Date", required=False),
    "status": Col.text("Pending/Settled", required=False),
    "nickname": Col.text("Account Nickname", required=False),
    "registration": Col.text("Account Registration", required=False),
    "account": Col.text("Account #", "Account"),
    "type": Col.text("Type", required=False),
    "desc1": Col.text("Description 1", "Description"),
    "desc2": Col.text("Description 2", required=False),
    "symbol": Col.symbol("Symbol/CUSIP #", "Symbol/ CUSIP #", "Symbol/CUSIP", "Symbol/ CUSIP",
                         "Symbol", required=False),
    "quantity": Col.quantity("Quantity"),
    "price": Col.money("Price ($)", "Price", required=False),
    "amount": Col.money("Amount ($)", "Amount"),
}

#: Lines that end a table (disclaimers Merrill may append after a blank line).
FOOTER = re.compile(r"^\s*\"?\s*(Merrill|Bank of America|Investment products|Data as of|"
                    r"Downloaded)", re.I)
_SWEEP_SYMBOL = re.compile(r"^(IIAXX|[A-Z]{3}XX)$")
_SWEEP_DESCRIPTION = re.compile(r"BANK DEPOSIT|DEPOSIT PROGRA?M|PREFERRED DEPOSIT|"
                                r"MONEY MARKET|\bRASP\b|CASH SWEEP", re.I)
_ACCOUNT_IN_CELL = re.compile(r"^(?:(?P<name>.*?)\s+)?(?P<id>[0-9A-Z]{3}-[0-9A-Z]{5})$")


# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How activity text matching ``pattern`` (at its start) maps to an action.

    Parameters
    ----------
    pattern : str
        Regular expression matched at the start of the lower-cased, space-collapsed text.
    action : Action
        The action, or the default direction for the modes below.
    mode : str
        ``"fixed"``; ``"cash"`` (contribution when the amount is positive, withdrawal when
        negative); ``"transfer"`` (in or out by the sign of the quantity, else the amount);
        ``"trade"`` (buy or sell by the sign of the quantity, else of the amount).
    """

    pattern: str
    action: Action
    mode: str = "fixed"


A = Action
#: Description 1 (or Type) text -> action, tried in order; the first match wins.
RULES: tuple[Rule, ...] = (
    # options (before purchase/sale)
    Rule(r"option purchase", A.BUY),
    Rule(r"option sale", A.SELL),
    Rule(r"sale-option assigned", A.SELL),
    Rule(r"option (expired|assigned|exercised)", A.OTHER),
    # trades
    Rule(r"purchase", A.BUY),
    Rule(r"buy\b", A.BUY),
    Rule(r"sale\b", A.SELL),
    Rule(r"sell\b", A.SELL),
    Rule(r"redemption", A.SELL),
    Rule(r"exchange", A.BUY, "trade"),
    Rule(r"(div/int reinvest|dividend reinvest|divd reinv|reinvest)", A.REINVEST),
    # taxes and fees (before dividend/interest: "foreign tax withholding")
    Rule(r"(foreign tax|tax withh|withholding|backup withh|nra tax|fgn tax)", A.TAX_WITHHELD),
    Rule(r"margin interest", A.FEE),
    Rule(r".*\bfees?\b", A.FEE),
    # income
    Rule(r"(lg tm cap gain|sh tm cap gain|long[ -]term cap|short[ -]term cap|capital gain|"
         r"cap gain)", A.CAPITAL_GAIN),
    Rule(r"(foreign dividend|qualified dividend|cash dividend|dividend|cdiv|rpt fgn div)",
         A.DIVIDEND),
    Rule(r"(bank interest|interest)", A.INTEREST),
    # money in and out
    Rule(r"(funds received|fund receipts?|fundreceipts|deposit|direct deposit|wire (in|rec))",
         A.CONTRIBUTION, "cash"),
    Rule(r"(withdrawal|pre-authorized withdrawa|pre authdebit|check|checking|bill pay|"
         r"visa|debit card|wire (out|sent)|fundtransfers|funds transfer)",
         A.WITHDRAWAL, "cash"),
    # transfers of shares or cash between accounts
    Rule(r"(transfer|journal|acat)", A.TRANSFER_IN, "transfer"),
    # Type column categories
    Rule(r"dividendandinterest", A.DIVIDEND),
    Rule(r"(trades|securitytrades)", A.BUY, "trade"),
)
_COMPILED = tuple((re.compile(r.pattern), r) for r in RULES)


def classify(text: str | None) -> Rule | None:
    """The first rule of :data:`RULES` matching an activity text, or None.

    Parameters
    ----------
    text : str or None
        ``Description 1`` or ``Type`` (any case and spacing).

    Returns
    -------
    Rule or None
        None when no rule matches (the row becomes ``other``).
    """
    if not isinstance(text, str):
        return None
    t = re.sub(r"\s+", " ", text).strip().casefold()
    for rx, rule in _COMPILED:
        if rx.match(t):
            return rule
    return None


# --- detection --------------------------------------------------------------------------------


def _is_holdings_header(n: str) -> bool:
    return n.startswith("cob date,") and ",symbol," in n and ",account #," in n


def _is_activity_header(n: str) -> bool:
    return n.startswith("trade date,settlement date,") and re.search(r",symbol/ ?cusip", n) \
        is not None


def detect_holdings(s: Sniff) -> bool:
    """A header ``COB Date,...,Symbol,...,Account #,...`` in the first lines."""
    return any(_is_holdings_header(n) for n in s.first_lines_norm[:HEADER_SEARCH])


def detect_activity(s: Sniff) -> bool:
    """A ``Trade Date,Settlement Date,...,Symbol/CUSIP #,...`` header near the top."""
    return any(_is_activity_header(n) for n in s.first_lines_norm[:HEADER_SEARCH])


# --- shared -----------------------------------------------------------------------------------


def _table(s: Sniff, is_header, spec, what: str,
           skip: SkipLog) -> tuple[TextFile, pd.DataFrame, Binding, int, int]:
    tf = s.text if s.text is not None else decode(s.path, s.data)
    h = find_line(tf, lambda ln: is_header(norm_line(ln)), limit=HEADER_SEARCH)
    if h is None:
        raise FormatError(f"no Merrill {what} header in the first {HEADER_SEARCH} lines",
                          path=tf.name)
    b.report_leading(tf, h, skip, what)
    end = b.table_end(tf, h + 1, FOOTER)
    raw, binding = b.read_table(tf, h, end, spec, path=tf.name, skip=skip)
    b.require_rows(raw, path=tf.name, line=h + 1, what=what)
    return tf, raw.reset_index(drop=True), binding, h, end


def _col(binding: Binding, key: str) -> str:
    """The header text of a bound column (for messages), stripped."""
    if key in binding.positions:
        return binding.header[binding.positions[key]].strip()
    return key


def _account_names(raw: pd.DataFrame) -> pd.Series:
    """Registration, else nickname, of each row."""
    reg = clean.text(b.col(raw, "registration"))
    nick = clean.text(b.col(raw, "nickname"))
    return reg.fillna(nick)


def _accounts_frame(account: pd.Series, name: pd.Series) -> pd.DataFrame:
    df = pd.DataFrame({"account": account, "name": name, "custodian": CUSTODIAN})
    df = df[df["account"].notna()]
    # the first non-missing name of each account
    first = df.dropna(subset=["name"]).drop_duplicates("account").set_index("account")["name"]
    out = df.drop_duplicates("account")[["account"]].copy()
    out["name"] = out["account"].map(first).astype("str")
    out["custodian"] = CUSTODIAN
    return out.reset_index(drop=True)


def _by_distinct(s: pd.Series, fn) -> pd.Series:
    """``fn`` applied to the distinct values of ``s`` only (cells repeat in long exports)."""
    distinct = pd.Series(s.dropna().unique(), dtype="str")
    out = fn(distinct)
    return s.map(dict(zip(distinct, out, strict=True)))


def _is_sweep(symbol: pd.Series, description: pd.Series) -> pd.Series:
    by_symbol = _by_distinct(symbol, lambda u: u.str.upper().str.match(_SWEEP_SYMBOL))
    by_desc = _by_distinct(description, lambda u: u.str.contains(_SWEEP_DESCRIPTION))
    return (by_symbol.fillna(False).astype(bool) | by_desc.fillna(False).astype(bool))


# --- holdings ---------------------------------------------------------------------------------


def load_holdings(s: Sniff, options: dict) -> Export:
    """Load a Merrill holdings CSV (see module docstring)."""
    skip = SkipLog(s.path)
    tf, raw, binding, h, end = _table(s, _is_holdings_header, HOLDINGS, "holdings", skip)
    path = tf.name
    account = clean.text(raw["account"])
    noacct = account.isna()
    if noacct.any():
        skip.add_frame(raw[noacct], "row names no account (a summary or total line)")
    t = b.convert(raw[~noacct], HOLDINGS, path=path, skip=skip, binding=binding)
    ticker, cusip_text, desc = t["symbol"], t["cusip"], t["description"]
    sweep = _is_sweep(ticker, desc)
    t = t.drop(ticker.isna() & cusip_text.isna() & ~sweep, "row has no symbol and no CUSIP")
    t = t.drop(t["value"].isna(), "row has no value")
    t = t.drop(~sweep[t.index] & t["quantity"].lt(0),
               "short position (negative quantity): short positions are not supported")
    cash = sweep[t.index]
    v = t["value"]
    ticker = t["symbol"]
    symbol = ticker.fillna(t["cusip"]).where(~cash | ticker.notna(), "CASH")
    price = t["price"]
    quantity = t["quantity"].where(~cash, v)
    unit = b.price_unit(quantity, price, v)
    price = (price * unit.where(unit.eq(0.01), 1.0)).where(~cash, 1.0)
    basis = (v - t["unrealized"]).where(~cash, v)
    option = (symbol.str.contains("#", regex=False).fillna(False) | unit.eq(100.0)) & ~cash
    bond = unit.eq(0.01) & ~cash
    security_type = pd.Series(pd.NA, index=t.index, dtype="str")
    security_type = security_type.mask(option, "option").mask(bond, "bond")
    security_type = security_type.mask(cash, "money_market")
    positions = pd.DataFrame({
        "account": t["account"],
        "symbol": symbol,
        "cusip": _by_distinct(t["cusip"], clean.cusips).astype("str"),
        "description": t["description"],
        "quantity": quantity,
        "price": price,
        "market_value": v,
        "cost_basis": basis,
        "asset_class": pd.Series(pd.NA, index=t.index, dtype="str").mask(cash, "cash"),
        "security_type": security_type,
        **t.source(s.path),
    })
    cob, _ = clean.parse_dates(raw["cob_date"][~noacct])
    as_of = cob.max() if cob.notna().any() else None
    b.report_trailing(tf, end, skip, "holdings")
    return Export(path=s.path, format=HOLDINGS_FORMAT, custodian=CUSTODIAN,
                  positions=positions, skipped=skip.frame(),
                  accounts=_accounts_frame(account, _account_names(raw)), as_of=as_of)


# --- activity ---------------------------------------------------------------------------------


def _actions(desc1: pd.Series, type_: pd.Series, qty: pd.Series,
             amount: pd.Series) -> pd.Series:
    """Action of every row (rules by distinct text, then the sign-dependent modes)."""
    key = desc1.fillna("").astype(object) + "\x1f" + type_.fillna("").astype(object)
    codes, uniques = pd.factorize(key)
    rules = []
    for k in uniques:
        d, t = k.split("\x1f")
        rules.append(classify(d or None) or classify(t or None))
    actions = np.array([r.action.value if r else A.OTHER.value for r in rules], dtype=object)
    modes = np.array([r.mode if r else "fixed" for r in rules], dtype=object)
    base = pd.Series(actions[codes], index=desc1.index, dtype="str")
    mode = pd.Series(modes[codes], index=desc1.index)
    q_sign = np.sign(qty.fillna(0.0))
    a_sign = np.sign(amount.fillna(0.0))
    # cash: by the sign of the amount
    cash = mode.eq("cash")
    base = base.mask(cash & a_sign.gt(0), A.CONTRIBUTION.value)
    base = base.mask(cash & a_sign.lt(0), A.WITHDRAWAL.value)
    # transfers: by the sign of the quantity, else of the amount
    transfer = mode.eq("transfer")
    t_sign = q_sign.where(q_sign.ne(0), a_sign)
    base = base.mask(transfer & t_sign.gt(0), A.TRANSFER_IN.value)
    base = base.mask(transfer & t_sign.lt(0), A.TRANSFER_OUT.value)
    # trades without a direction in the text: by the quantity, else the amount (cash out: buy)
    trade = mode.eq("trade")
    d_sign = q_sign.where(q_sign.ne(0), -a_sign)
    base = base.mask(trade & d_sign.gt(0), A.BUY.value)
    base = base.mask(trade & d_sign.lt(0), A.SELL.value)
    base = base.mask(trade & d_sign.eq(0), A.OTHER.value)
    return base


def _split_account_cells(cell: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``"IRA-Edge 6B1-50X02"`` -> id ``6B1-50X02``, name ``IRA-Edge`` (older layout)."""
    parts = cell.str.extract(_ACCOUNT_IN_CELL)
    number = parts["id"].astype("str").fillna(cell)
    name = parts["name"].astype("str")
    return number, name


def load_activity(s: Sniff, options: dict) -> Export:
    """Load a Merrill activity CSV (see module docstring)."""
    skip = SkipLog(s.path)
    tf, raw, binding, h, end = _table(s, _is_activity_header, ACTIVITY, "activity", skip)
    path = tf.name
    notes: list[str] = []
    account_cell = clean.text(raw["account"])
    noacct = account_cell.isna()
    if noacct.any():
        skip.add_frame(raw[noacct], "row names no account (a summary or total line)")
    combined = not (binding.has("registration") or binding.has("nickname"))
    status = clean.text(b.col(raw, "status")).str.casefold()
    pending = ~noacct & status.eq("pending").fillna(False).astype(bool)
    pend = _pending(raw[pending], s, skip, combined)
    t = b.convert(raw[~(noacct | pending)], ACTIVITY, path=path, skip=skip, binding=binding)
    name = t["registration"].fillna(t["nickname"])
    if combined:  # older layout: "IRA-Edge 6B1-50X02" in one cell
        t.values["account"], name = _split_account_cells(t["account"])
    all_accounts = pd.concat([t["account"], pend["account"]])
    all_names = pd.concat([name, pd.Series(None, index=pend.index, dtype="str")])
    name = name[t.index]
    account = t["account"]
    date, settle = t["date"], t["settle_date"]
    desc1, type_, symbol = t["desc1"], t["type"], t["symbol"]
    qty, price, amount = t["quantity"], t["price"], t["amount"]
    action = _actions(desc1, type_, qty, amount)
    inc = action.isin([A.BUY.value, A.REINVEST.value, A.TRANSFER_IN.value])
    out = action.isin([A.SELL.value, A.TRANSFER_OUT.value])
    qty = qty.abs().where(~out, -qty.abs()).where(inc | out, qty)

    desc2 = t["desc2"] if binding.has("desc2") else desc1
    sweep = _is_sweep(symbol, desc2.fillna("")) & symbol.notna()
    moves = sweep & action.isin([A.BUY.value, A.SELL.value, A.REINVEST.value])
    if moves.any():
        moved = amount[moves].abs().sum()
        notes.append(f"{int(moves.sum())} purchase/sale/reinvestment row(s) of a cash sweep "
                     f"({', '.join(sorted(set(symbol[moves])))}) moved ${moved:,.2f} between "
                     "core cash and the sweep; both are cash, so they are action 'other' "
                     "with amount 0")
        action = action.mask(moves, A.OTHER.value)
        amount = amount.mask(moves, 0.0)

    transactions = pd.DataFrame({
        "date": date,
        "settle_date": settle,
        "account": account,
        "action": action,
        "action_text": desc1.fillna(type_),
        "symbol": symbol,
        "description": desc2,
        "quantity": qty,
        "price": price,
        "amount": amount,
        "fees": np.nan,
        **t.source(s.path),
    })
    b.report_trailing(tf, end, skip, "activity")
    return Export(path=s.path, format=ACTIVITY_FORMAT, custodian=CUSTODIAN,
                  transactions=transactions, pending=pend, skipped=skip.frame(),
                  accounts=_accounts_frame(all_accounts, all_names), notes=notes)


def _pending(rows: pd.DataFrame, s: Sniff, skip: SkipLog, combined: bool) -> pd.DataFrame:
    """Pending rows: skipped as transactions, kept as cash in transit.

    Their signed Amount is the cash (a pending purchase is a debit). Read on their text,
    whatever else they hold (a pending row may have no trade date yet).
    """
    account = clean.text(rows["account"])
    if combined:
        account, _ = _split_account_cells(account)
    amount, _ = clean.parse_numbers(rows["amount"])
    date, _ = clean.parse_dates(rows["date"])
    desc = clean.text(rows["desc1"]).fillna(clean.text(b.col(rows, "type")))
    desc = (desc.fillna("") + " " + clean.text(b.col(rows, "desc2")).fillna("")).str.strip()
    reason = "pending activity: not yet settled (it appears as settled in a later download)"
    readable = amount.notna()
    skip.add_frame(rows, pd.Series(reason, index=rows.index).where(
        readable, reason + "; its amount cannot be read"),
        account=account, symbol=clean.symbol(b.col(rows, "symbol")))
    r = rows[readable]
    return b.pending_frame(r.index, account=account[readable], amount=amount[readable],
                           date=date[readable],
                           symbol=clean.symbol(b.col(rows, "symbol"))[readable],
                           description=desc[readable].replace("", None),
                           source=b.source_columns(r, s.path))


FORMATS = [
    FormatSpec(HOLDINGS_FORMAT, CUSTODIAN, "Merrill holdings CSV (all accounts)", ("text",),
               detect_holdings, load_holdings, priority=30),
    FormatSpec(ACTIVITY_FORMAT, CUSTODIAN, "Merrill activity CSV (transactions, all accounts)",
               ("text",), detect_activity, load_activity, priority=30),
]
