"""Vanguard ``OfxDownload.csv``: holdings and transactions of every account in one file.

Layout (FORMATS.md section 3, ``header_signatures.json`` key ``vanguard_ofxdownload``).
The file is several CSV tables one after the other, each with its own header; every line
(header and data) ends with a comma, numbers are plain decimals, account numbers are
unmasked. The loader finds each table by its header, wherever it is, and reads them all:

``Account Number,Investment Name,Symbol,Shares,Share Price,Total Value,``
    Brokerage holdings (position level, no cost basis): one block per account, blocks
    separated by single blank lines under one header.
``Account Number,Trade Date,Settlement Date,Transaction Type,...,Commission Fees,...``
    Brokerage transactions, after two or three blank lines. Files from 2024 on say
    ``Commissions and Fees`` and write ISO dates (``2024-07-19``); older ones ``MM/DD/YYYY``.
    ``Account Type`` is ``Cash`` or ``CASH`` (not used).
``Plan Number,Plan Name,Fund Name,Shares,Price,Total Value,``
    Holdings of a Vanguard-recordkept 401(k) plan.
``Account Number,Trade Date,Run Date,Transaction Activity,Transaction Description,...``
    Transactions of that plan.
``Fund Account Number,Fund Name,Price,Shares,Total Value,``
    Holdings of a 529 or legacy mutual-fund account ([M] in FORMATS.md; values may carry
    ``$``).
``Account Number,Trade Date,Process Date,Transaction Type,...,Gross Amount,Net Amount,``
    Transactions of such an account. Their sign conventions are undocumented, so their rows
    are reported in ``skipped`` rather than guessed.

Rules
-----
Accounts
    ``account`` is the number as written (``12345678``; the plan number, leading zeros
    kept, for plan sections). In the 529/legacy holdings, a fund account number written
    ``<4-digit fund number>-<account number>`` (``0584-12345678``) is loaded under the
    account number after the dash, so a fund account is not mistaken for an account of its
    own. ``Export.accounts`` names plan accounts by their ``Plan Name``; Vanguard names no
    other account.
Cash
    ``Vanguard Federal Money Market Fund`` (``VMFXX``) is the settlement fund: a cash
    position (``asset_class`` "cash", quantity = dollar value, price 1, basis = value,
    ``security_type`` "money_market"). Other money-market funds are ordinary holdings.
Treasury bills
    Vanguard gives a T-bill no symbol and no CUSIP, only a description such as
    ``U S TREASURY BILL CPN 0.00000 % MTD 2017-04-10 DTD 2017-08-14``. Bills maturing on the
    same day are one fungible security, so the row is loaded with symbol
    ``TBILL:<maturity date, ISO>`` (the date after ``MTD``, else the first date in the
    description that is not the ``DTD`` dated date) and ``security_type`` "treasury".
    Quantity is the face value; Vanguard quotes the price per $100 of face, which is divided
    by 100 so that quantity x price is the value. Transaction rows of the same bill get the
    same symbol and price rule. Any other holding without a symbol (notes, bonds, CDs) is
    reported in ``skipped`` with its value.
Plan and 529 funds
    These sections give a fund name and no ticker. The symbol is the ticker written in
    parentheses at the end of the name when there is one (``... Admiral (VFIAX)``), else
    the fund name itself (spaces collapsed), which the security master can map. Plan
    transactions abbreviate fund names (``Total Bond Mkt Index Inst``), so their symbols
    need not match the holdings' ones.
Transaction actions (brokerage; compared case-insensitively)
    ``Buy`` -> buy; ``Sell``, ``Corp Action (Redemption)`` (a bill maturing) -> sell;
    ``Dividend`` -> dividend; ``Reinvestment``, ``Reinvestment (LT gain)``,
    ``Reinvestment (ST gain)`` -> reinvest; ``Capital gain (LT)``, ``Capital gain (ST)``
    -> capital_gain; ``Interest`` -> interest; ``Fee`` -> fee; ``Withholding`` -> tax_withheld;
    ``Funds Received``, ``Contribution`` -> contribution; ``Withdrawal``, ``Distribution``
    -> withdrawal; ``Transfer (incoming)``, ``Conversion (incoming)``,
    ``Rollover (incoming)`` -> transfer_in; the ``(outgoing)`` ones -> transfer_out;
    ``Stock split`` -> split; ``Exchange`` -> buy or sell by the sign of Shares;
    anything else (``Corp Action (Spinoff)``, ``Corp Action (Merger)``, ...) -> other, text
    kept in ``action_text``.
Settlement-fund moves
    ``Sweep in`` / ``Sweep out`` rows, and ``Buy``, ``Sell``, ``Exchange`` and
    ``Reinvestment`` rows of the settlement fund (its reinvestments show zero shares), move
    money between Vanguard's core cash and VMFXX. Both are cash here, so these rows are
    neither a purchase nor a cash flow of the account: action "other" and ``amount`` 0.0
    (quantity as written). The dollars they moved are summed in ``Export.notes``. The
    settlement fund's ``Dividend`` rows stay dividends (new cash).
Signs
    ``amount`` is Net Amount as written (+ cash in, - cash out). ``quantity`` is Shares as
    written, except that buys, reinvestments and transfers in are made positive and sells
    and transfers out negative (Vanguard writes a bill's redemption unsigned). ``fees`` is
    the absolute Commission(s) and Fees. ``price`` is kept only where shares move and it is
    not 0 (Vanguard writes 0 or 1 on cash rows).
    A row with an empty Symbol whose Investment Name equals (ignoring case) a holding's name
    in the same file gets that holding's symbol.
Plan transactions
    Mapped from Transaction Description (else Transaction Activity) by keyword. A
    contribution that buys fund shares becomes two rows on the same line: "contribution"
    (+Dollar Amount) and "buy" (+shares, -Dollar Amount); dividends, capital gains and
    interest paid into a fund likewise become the income row and a "reinvest" row; a fee
    or withdrawal paid by redeeming shares becomes "sell" plus "fee"/"withdrawal"; a
    rollover is "transfer_in" (or "transfer_out" when the Dollar Amount is negative) plus
    the buy or sell; a fund transfer or exchange is a buy or sell by the sign of the shares.
    Others are "other" with Transaction Shares and Dollar Amount as written. Only
    ``Plan Contribution`` is confirmed in a public sample; the other keywords are the
    recordkeeper's usual wording and are kept deliberately broad.
As of
    Vanguard writes no download date. ``as_of`` is taken from the file name when it holds a
    date (``OfxDownload_2024-07-19.csv``); ``OfxDownload.csv`` and ``OfxDownload (1).csv``
    give None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import Action

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, TextFile, decode, is_blank, norm_line, split_csv_line

FORMAT = "vanguard_ofxdownload"
CUSTODIAN = "vanguard"
SETTLEMENT_SYMBOL = "VMFXX"

_ACCOUNT = {"need": True, "missing": "row has no account number"}
HOLDINGS = {
    "account": Col.text("Account Number", **_ACCOUNT),
    "name": Col.text("Investment Name"),
    "symbol": Col.symbol("Symbol"),
    "quantity": Col.quantity("Shares"),
    "price": Col.money("Share Price", required=False),
    "market_value": Col.money("Total Value"),
}
TRANSACTIONS = {
    "account": Col.text("Account Number", **_ACCOUNT),
    "date": Col.date("Trade Date", need=True, missing="the trade date is missing"),
    "settle_date": Col.date("Settlement Date", required=False),
    "type": Col.text("Transaction Type"),
    "type_description": Col.text("Transaction Description", required=False),
    "name": Col.text("Investment Name", required=False),
    "symbol": Col.symbol("Symbol", required=False),
    "quantity": Col.quantity("Shares"),
    "price": Col.money("Share Price", required=False),
    "fees": Col.money("Commissions and Fees", "Commission Fees", required=False),
    "amount": Col.money("Net Amount"),
}
PLAN_HOLDINGS = {
    "account": Col.text("Plan Number", **_ACCOUNT),
    "plan_name": Col.text("Plan Name", required=False),
    "name": Col.text("Fund Name"),
    "quantity": Col.quantity("Shares"),
    "price": Col.money("Price", required=False),
    "market_value": Col.money("Total Value"),
}
PLAN_TRANSACTIONS = {
    "account": Col.text("Account Number", "Plan Number", **_ACCOUNT),
    "date": Col.date("Trade Date", need=True, missing="the trade date is missing"),
    "settle_date": Col.date("Run Date", required=False),
    "activity": Col.text("Transaction Activity", required=False),
    "type": Col.text("Transaction Description"),
    "name": Col.text("Investment Name"),
    "price": Col.money("Share Price", required=False),
    "quantity": Col.quantity("Transaction Shares"),
    "amount": Col.money("Dollar Amount"),
}
FUND_HOLDINGS = {
    "account": Col.text("Fund Account Number", **_ACCOUNT),
    "name": Col.text("Fund Name"),
    "price": Col.money("Price", required=False),
    "quantity": Col.quantity("Shares"),
    "market_value": Col.money("Total Value"),
}

#: Section kind -> start of its normalised header (see :func:`toolkit.io._text.norm_line`).
SECTIONS = (
    ("holdings", "account number,investment name,symbol,shares,share price,total value"),
    ("transactions", "account number,trade date,settlement date,transaction type"),
    ("plan_holdings", "plan number,plan name,fund name"),
    ("plan_transactions", "account number,trade date,run date,transaction activity"),
    ("fund_holdings", "fund account number,fund name"),
    ("fund_transactions", "account number,trade date,process date,transaction type"),
)
_HEADER_CANDIDATE = re.compile(r'^\W*(account number|plan number|fund account number)\s*"?,',
                               re.I)

#: Brokerage Transaction Type (casefolded, spaces collapsed) -> action.
ACTIONS: dict[str, Action] = {
    "buy": Action.BUY,
    "sell": Action.SELL,
    "corp action (redemption)": Action.SELL,
    "dividend": Action.DIVIDEND,
    "reinvestment": Action.REINVEST,
    "reinvestment (lt gain)": Action.REINVEST,
    "reinvestment (st gain)": Action.REINVEST,
    "capital gain (lt)": Action.CAPITAL_GAIN,
    "capital gain (st)": Action.CAPITAL_GAIN,
    "interest": Action.INTEREST,
    "fee": Action.FEE,
    "withholding": Action.TAX_WITHHELD,
    "funds received": Action.CONTRIBUTION,
    "contribution": Action.CONTRIBUTION,
    "withdrawal": Action.WITHDRAWAL,
    "distribution": Action.WITHDRAWAL,
    "transfer (incoming)": Action.TRANSFER_IN,
    "conversion (incoming)": Action.TRANSFER_IN,
    "rollover (incoming)": Action.TRANSFER_IN,
    "transfer (outgoing)": Action.TRANSFER_OUT,
    "conversion (outgoing)": Action.TRANSFER_OUT,
    "rollover (outgoing)": Action.TRANSFER_OUT,
    "stock split": Action.SPLIT,
}
#: Types whose direction is the sign of Shares (buy when positive, sell when negative).
BY_SIGN = frozenset({"exchange"})
SWEEPS = frozenset({"sweep in", "sweep out"})

#: Plan transaction description keywords, tried in order: (pattern, money leg, trade leg).
#: The money leg is the cash event (None: none); the trade leg buys or sells fund shares.
PLAN_RULES: tuple[tuple[re.Pattern, Action | None, Action | None], ...] = (
    (re.compile(r"contribution|deferral|payroll|employer match|catch.?up", re.I),
     Action.CONTRIBUTION, Action.BUY),
    (re.compile(r"dividend", re.I), Action.DIVIDEND, Action.REINVEST),
    (re.compile(r"capital gain|cap gain", re.I), Action.CAPITAL_GAIN, Action.REINVEST),
    (re.compile(r"interest", re.I), Action.INTEREST, Action.REINVEST),
    (re.compile(r"\bfee|expense|charge", re.I), Action.FEE, Action.SELL),
    (re.compile(r"withdrawal|distribution|disbursement", re.I), Action.WITHDRAWAL, Action.SELL),
    (re.compile(r"rollover", re.I), Action.TRANSFER_IN, Action.BUY),
    (re.compile(r"fund to fund|exchange|transfer|realign|rebalanc", re.I), None, Action.BUY),
)

_SETTLEMENT_NAME = re.compile(r"^vanguard federal money market fund$|settlement fund", re.I)
_TBILL = re.compile(r"TREAS(?:URY)?\.?\s+BILL|\bT-?BILL\b", re.I)
_DATE_TEXT = r"(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})"
_DTD = re.compile(r"\bDTD\s+" + _DATE_TEXT, re.I)
_MTD = re.compile(r"\bMTD\s+" + _DATE_TEXT, re.I)
_ANY_DATE = re.compile(_DATE_TEXT)
_PAREN_TICKER = re.compile(r"\(([A-Z][A-Z0-9]{1,5}(?:\.[A-Z])?)\)\s*$")
_ROMAN = re.compile(r"^[IVX]+$")
_FUND_ACCOUNT = re.compile(r"^\d{4}-(\d{6,})$")
_FILENAME_DATES = (
    re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{2}-\d{2}-\d{4})(?!\d)"),
    re.compile(r"([A-Za-z]{3}-\d{2}-\d{4})"),
    re.compile(r"(?<!\d)((?:19|20)\d{6})(?!\d)"),
)


def _section_kind(line: str) -> str | None:
    if not _HEADER_CANDIDATE.match(line):
        return None
    n = norm_line(line)
    return next((kind for kind, prefix in SECTIONS if n.startswith(prefix)), None)


def detect(s: Sniff) -> bool:
    """A Vanguard OfxDownload header among the first lines."""
    return any(n.startswith(prefix) for n in s.first_lines_norm for _, prefix in SECTIONS)


@dataclass
class _Context:
    """What the section readers share while loading one file."""

    path: Path
    tf: TextFile
    skip: SkipLog
    positions: list[pd.DataFrame] = field(default_factory=list)
    transactions: list[pd.DataFrame] = field(default_factory=list)
    accounts: list[pd.DataFrame] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # holding name key -> symbol
    notes: list[str] = field(default_factory=list)
    moves: int = 0
    moved: float = 0.0
    fund_accounts: int = 0

    @property
    def file(self) -> str:
        return self.tf.name


def _name_key(name: pd.Series) -> pd.Series:
    return name.str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()


def _is_settlement(symbol: pd.Series, name: pd.Series) -> pd.Series:
    by_symbol = symbol.str.upper().eq(SETTLEMENT_SYMBOL).fillna(False)
    by_name = symbol.isna() & name.str.contains(_SETTLEMENT_NAME).fillna(False)
    return (by_symbol | by_name).astype(bool)


def _tbill_symbols(name: pd.Series) -> pd.Series:
    """``TBILL:<maturity>`` for Treasury-bill descriptions (see module docstring), else NA.

    A maturity that is not a date leaves the symbol missing (the row is then reported).
    """
    out = pd.Series(pd.NA, index=name.index, dtype="str")
    is_bill = name.str.contains(_TBILL).fillna(False).astype(bool)
    if not is_bill.any():
        return out
    text = name[is_bill].str.replace(_DTD, " ", regex=True)
    maturity = text.str.extract(_MTD, expand=False).fillna(
        text.str.extract(_ANY_DATE, expand=False))
    dates, _ = clean.parse_dates(maturity)
    sym = ("TBILL:" + dates.dt.strftime("%Y-%m-%d")).where(dates.notna())
    out.loc[sym.index] = sym.astype("str")
    return out


def fund_symbols(name: pd.Series) -> pd.Series:
    """Symbols for funds named without a ticker (plan and 529 sections).

    Parameters
    ----------
    name : Series of str
        Fund names as cleaned text.

    Returns
    -------
    Series of str
        The ticker in parentheses at the end of the name (``... (VFIAX)``) when there is one
        (Roman numerals such as ``(II)`` are not tickers), else the name with runs of spaces
        collapsed; missing where the name is missing.
    """
    ticker = name.str.extract(_PAREN_TICKER, expand=False)
    ticker = ticker.mask(ticker.str.match(_ROMAN).fillna(False).astype(bool))
    return ticker.fillna(name.str.replace(r"\s+", " ", regex=True).str.strip()).astype("str")


def _value_suffix(values: pd.Series) -> pd.Series:
    return values.map(lambda v: f" (value {v:,.2f})" if pd.notna(v) else "").astype("str")


def _table(ctx: _Context, h: int, stop: int, spec: dict) -> b.Table | None:
    raw, binding = b.read_blocks(ctx.tf, h, stop, spec, path=ctx.file, skip=ctx.skip)
    if raw.empty:
        return None
    return b.convert(raw, spec, path=ctx.file, skip=ctx.skip, binding=binding)


def _accounts(ctx: _Context, account: pd.Series, name: pd.Series | None = None) -> None:
    ctx.accounts.append(pd.DataFrame({
        "account": account,
        "name": name if name is not None else pd.Series(pd.NA, index=account.index,
                                                         dtype="str"),
        "custodian": CUSTODIAN,
    }).dropna(subset=["account"]))


def _positions(ctx: _Context, t: b.Table, *, symbol: pd.Series, price: pd.Series,
               cash: pd.Series, security_type: pd.Series) -> None:
    value = t["market_value"]
    qty = t["quantity"].where(~cash, value)
    px = price.where(~cash, 1.0)
    ctx.positions.append(pd.DataFrame({
        "account": t["account"],
        "symbol": symbol,
        "cusip": pd.Series(pd.NA, index=t.index, dtype="str"),
        "description": t["name"],
        "quantity": qty,
        "price": px,
        "market_value": value,
        "cost_basis": value.where(cash),
        "asset_class": pd.Series(pd.NA, index=t.index, dtype="str").mask(cash, "cash"),
        "security_type": security_type,
        **t.source(ctx.path),
    }))


def _read_holdings(ctx: _Context, h: int, stop: int) -> None:
    t = _table(ctx, h, stop, HOLDINGS)
    if t is None:
        return
    name, sym, value = t["name"], t["symbol"], t["market_value"]
    cash = _is_settlement(sym, name)
    sym = sym.mask(cash & sym.isna(), SETTLEMENT_SYMBOL)
    tbill = _tbill_symbols(name.where(sym.isna()))
    is_bill = tbill.notna()
    sym = sym.fillna(tbill)
    t.values["symbol"] = sym

    bad_bill = sym.isna() & name.str.contains(_TBILL).fillna(False).astype(bool)
    no_symbol = sym.isna() & ~bad_bill
    t.report(bad_bill, "Treasury bill without a maturity date in its description"
             + _value_suffix(value))
    t.report(no_symbol, "holding has no symbol (Vanguard gives no ticker or CUSIP for it)"
             + _value_suffix(value))
    t.report(value.isna() & sym.notna(), "row has no total value")
    keep = ~(sym.isna() | value.isna())

    known = sym.notna() & name.notna() & ~is_bill
    keys = _name_key(name[known])
    for key, s in zip(keys, sym[known], strict=True):
        ctx.names.setdefault(key, s)

    security_type = pd.Series(pd.NA, index=t.index, dtype="str")
    security_type = security_type.mask(cash, "money_market").mask(is_bill, "treasury")
    price = t["price"].where(~is_bill, t["price"] / 100.0)
    t = t.take(keep)
    _positions(ctx, t, symbol=sym[keep], price=price[keep], cash=cash[keep],
               security_type=security_type[keep])
    _accounts(ctx, t["account"])


def _read_fund_holdings(ctx: _Context, h: int, stop: int, spec: dict, *,
                        plan: bool) -> None:
    t = _table(ctx, h, stop, spec)
    if t is None:
        return
    account = t["account"]
    if not plan:
        split = account.str.extract(_FUND_ACCOUNT, expand=False)
        ctx.fund_accounts += int(split.notna().sum())
        t.values["account"] = split.fillna(account).astype("str")
    name, value = t["name"], t["market_value"]
    t = t.drop(name.isna(), "row has no fund name" + _value_suffix(value))
    t = t.drop(t["market_value"].isna(), "row has no total value")
    none = pd.Series(False, index=t.index)
    _positions(ctx, t, symbol=fund_symbols(t["name"]), price=t["price"], cash=none,
               security_type=pd.Series(pd.NA, index=t.index, dtype="str"))
    _accounts(ctx, t["account"], t["plan_name"] if plan else None)


def _read_transactions(ctx: _Context, h: int, stop: int) -> None:
    t = _table(ctx, h, stop, TRANSACTIONS)
    if t is None or t.empty:
        return
    type_text = t["type"]
    detail = t["type_description"]
    name = t["name"]
    sym = t["symbol"]
    qty, price, amount = t["quantity"], t["price"], t["amount"]
    fees = t["fees"].abs()

    sym = sym.fillna(_name_key(name).map(ctx.names).astype("str"))
    tbill = _tbill_symbols(name.where(sym.isna()))
    is_bill = tbill.notna()
    sym = sym.fillna(tbill)
    settlement = _is_settlement(sym, name)
    sym = sym.mask(settlement & sym.isna(), SETTLEMENT_SYMBOL)
    price = price.where(~is_bill, price / 100.0)

    key = type_text.str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()
    action = key.map({k: v.value for k, v in ACTIONS.items()}).astype("str")
    by_sign = key.isin(BY_SIGN).fillna(False).astype(bool)
    action = action.mask(by_sign & (qty > 0), Action.BUY.value)
    action = action.mask(by_sign & (qty < 0), Action.SELL.value)
    action = action.fillna(Action.OTHER.value)
    move = key.isin(SWEEPS).fillna(False).astype(bool) | (
        settlement & action.isin([Action.BUY, Action.SELL, Action.REINVEST]))
    if move.any():
        ctx.moves += int(move.sum())
        ctx.moved += float(amount[move].abs().sum())
    action = action.mask(move, Action.OTHER.value)
    amount = amount.mask(move, 0.0)
    positive = action.isin([Action.BUY, Action.REINVEST, Action.TRANSFER_IN])
    negative = action.isin([Action.SELL, Action.TRANSFER_OUT])
    qty = qty.mask(positive, qty.abs()).mask(negative, -qty.abs())
    price = price.where(qty.fillna(0.0).ne(0.0) & price.ne(0.0))
    description = name.mask(name.str.upper().eq("CASH").fillna(False).astype(bool))
    description = description.fillna(detail)

    ctx.transactions.append(pd.DataFrame({
        "date": t["date"],
        "settle_date": t["settle_date"],
        "account": t["account"],
        "action": action,
        "action_text": type_text,
        "symbol": sym,
        "description": description,
        "quantity": qty,
        "price": price,
        "amount": amount,
        "fees": fees,
        **t.source(ctx.path),
    }))
    _accounts(ctx, t["account"])


def _plan_rule(label: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Money-leg and trade-leg actions of plan transactions (see :data:`PLAN_RULES`)."""
    money = pd.Series(pd.NA, index=label.index, dtype="str")
    trade = pd.Series(pd.NA, index=label.index, dtype="str")
    todo = label.notna()
    for rx, m, t in PLAN_RULES:
        hit = todo & label.str.contains(rx).fillna(False).astype(bool)
        if hit.any():
            if m is not None:
                money = money.mask(hit, m.value)
            trade = trade.mask(hit, t.value)
            todo = todo & ~hit
    return money, trade


def _read_plan_transactions(ctx: _Context, h: int, stop: int) -> None:
    t = _table(ctx, h, stop, PLAN_TRANSACTIONS)
    if t is None or t.empty:
        return
    account, date, settle = t["account"], t["date"], t["settle_date"]
    label = t["type"].fillna(t["activity"])
    name = t["name"]
    sym = fund_symbols(name)
    price, shares, dollars = t["price"], t["quantity"], t["amount"]
    money, trade = _plan_rule(label)
    money = money.mask(money.eq(Action.TRANSFER_IN.value).fillna(False) & (dollars < 0),
                       Action.TRANSFER_OUT.value)  # a rollover out of the plan
    moves = shares.fillna(0.0).ne(0.0)
    income = money.isin([Action.DIVIDEND, Action.CAPITAL_GAIN, Action.INTEREST])
    trade = trade.where(moves & trade.notna())
    trade = trade.mask(trade.notna() & (shares > 0),
                       pd.Series(Action.BUY.value, index=t.index).mask(income, "reinvest"))
    trade = trade.mask(trade.notna() & (shares < 0), Action.SELL.value)
    other = money.isna() & trade.isna()
    common = {"date": date, "settle_date": settle, "account": account, "action_text": label,
              "symbol": sym, "description": name, **t.source(ctx.path)}
    nan = pd.Series(np.nan, index=t.index)
    money_rows = pd.DataFrame({**common, "action": money.mask(other, Action.OTHER.value),
                               "quantity": nan.mask(other, shares),
                               "price": nan.mask(other, price.where(moves)),
                               "amount": dollars, "leg": 0})
    money_rows = money_rows[money.notna() | other]
    trade_rows = pd.DataFrame({**common, "action": trade,
                               "quantity": shares.abs().where(trade != Action.SELL.value,
                                                              -shares.abs()),
                               "price": price, "amount": -dollars, "leg": 1})
    trade_rows = trade_rows[trade.notna()]
    rows = pd.concat([money_rows, trade_rows], ignore_index=True)
    rows = rows.sort_values(["source_line", "leg"], kind="stable").drop(columns="leg")
    ctx.transactions.append(rows.reset_index(drop=True))
    _accounts(ctx, account)


def _skip_section(ctx: _Context, h: int, stop: int, reason: str) -> None:
    for i in range(h + 1, stop):
        line = ctx.tf.lines[i]
        if not is_blank(line):
            ctx.skip.add(i + 1, reason, line)


def _report_preamble(ctx: _Context, stop: int) -> None:
    for i in range(stop):
        line = ctx.tf.lines[i]
        if is_blank(line):
            continue
        if len([c for c in split_csv_line(line) if c.strip()]) > 1:
            ctx.skip.add(i + 1, "data-like line before the first Vanguard table", line)


def as_of_from_name(path: Path) -> pd.Timestamp | None:
    """The date in a file name such as ``OfxDownload_2024-07-19.csv``, or None.

    Parameters
    ----------
    path : Path
        The export file.

    Returns
    -------
    Timestamp or None
        None when the name holds no date (``OfxDownload (1).csv``) or an impossible one.
    """
    for rx in _FILENAME_DATES:
        m = rx.search(path.stem)
        if m:
            try:
                return clean.date_value(m.group(1), path=str(path))
            except FormatError:
                return None
    return None


def load(s: Sniff, options: dict) -> Export:
    """Load a Vanguard OfxDownload.csv (see the module docstring for every rule)."""
    # s.text is None when the format was forced on a binary/zip file: decode() says so
    tf = s.text if s.text is not None else decode(s.path, s.data)
    ctx = _Context(path=s.path, tf=tf, skip=SkipLog(s.path))
    lines = pd.Series(tf.lines, dtype="str")
    candidates = np.flatnonzero(lines.str.match(_HEADER_CANDIDATE).to_numpy(dtype=bool))
    headers = [(int(i), kind) for i in candidates
               if (kind := _section_kind(tf.lines[int(i)])) is not None]
    if not headers:
        raise FormatError("no Vanguard OfxDownload table header found (expected e.g. "
                          f"{SECTIONS[0][1]!r})", path=tf.name)
    _report_preamble(ctx, headers[0][0])
    readers = {
        "holdings": lambda h, e: _read_holdings(ctx, h, e),
        "transactions": lambda h, e: _read_transactions(ctx, h, e),
        "plan_holdings": lambda h, e: _read_fund_holdings(ctx, h, e, PLAN_HOLDINGS,
                                                          plan=True),
        "plan_transactions": lambda h, e: _read_plan_transactions(ctx, h, e),
        "fund_holdings": lambda h, e: _read_fund_holdings(ctx, h, e, FUND_HOLDINGS,
                                                          plan=False),
        "fund_transactions": lambda h, e: _skip_section(
            ctx, h, e, "529/mutual-fund transactions section: not loaded (its sign "
                       "conventions are undocumented)"),
    }
    # Holdings first, so that transactions can resolve symbols from holding names.
    stops = [i for i, _ in headers[1:]] + [len(tf.lines)]
    order = sorted(range(len(headers)), key=lambda k: "holdings" not in headers[k][1])
    for k in order:
        h, kind = headers[k]
        readers[kind](h, stops[k])

    if not ctx.positions and not ctx.transactions and ctx.skip.rows == []:
        raise FormatError("the file has Vanguard headers but no rows; it looks truncated",
                          path=tf.name, line=headers[-1][0] + 1)
    if ctx.moves:
        ctx.notes.append(
            f"{ctx.moves} settlement-fund row(s) (sweeps, and buys/sells/reinvestments of "
            f"{SETTLEMENT_SYMBOL}) moved ${ctx.moved:,.2f} between core cash and the "
            "settlement fund; loaded as action 'other' with amount 0 (both sides are cash)")
    if ctx.fund_accounts:
        ctx.notes.append(
            f"{ctx.fund_accounts} fund account number(s) written <fund>-<account> were "
            "loaded under the account number after the dash")
    positions = pd.concat(ctx.positions, ignore_index=True) if ctx.positions else None
    transactions = (pd.concat(ctx.transactions, ignore_index=True)
                    .sort_values("source_line", kind="stable").reset_index(drop=True)
                    if ctx.transactions else None)
    accounts = None
    if ctx.accounts:
        acc = pd.concat(ctx.accounts, ignore_index=True)
        # one row per account in file order, named by its first non-missing name
        accounts = (acc.groupby("account", sort=False, dropna=True)
                    .agg(name=("name", "first")).reset_index()
                    .assign(custodian=CUSTODIAN))
    kwargs = {k: v for k, v in (("positions", positions), ("transactions", transactions),
                                ("accounts", accounts)) if v is not None}
    return Export(path=s.path, format=FORMAT, custodian=CUSTODIAN, skipped=ctx.skip.frame(),
                  as_of=as_of_from_name(s.path), notes=ctx.notes, **kwargs)


FORMATS = [
    FormatSpec(FORMAT, CUSTODIAN,
               "Vanguard OfxDownload.csv: holdings and transactions (brokerage, 401(k) plan, "
               "529/mutual-fund holdings)", ("text",), detect, load, priority=20),
]
