"""Interactive Brokers Activity Statement CSV and the 2025 Transaction History CSV.

Both are sectioned CSV files (FORMATS.md 4a): every row is
``<Section>,<RowType>,<fields...>`` with RowType ``Header``, ``Data``, ``Total``,
``SubTotal`` or ``Notes``. A section may re-emit its ``Header`` (Open Positions and Trades do
so when the asset category changes); each header binds the rows after it, by name.

``ibkr_activity_csv`` (Reports > Statements > CSV)
    ``Statement`` gives the period (its end date is ``as_of``; ``WhenGenerated`` when there is
    no period) and ``Account Information`` the account (``Account,U1234567``), its type and
    alias (the account name) and its base currency.

    ``Open Positions`` (older files: ``Long Open Positions``; ``Short Open Positions`` rows are
    skipped: short positions are not supported): ``Summary`` rows are positions; with lot
    detail (an ``Open`` column) ``Lot`` rows are lots with ``Open`` the acquired date
    (``"2023-07-07, 15:39:46"`` or ``2024-11-28 (Vesting: 2025-11-28)``) and ``Code``
    ``ST``/``LT`` (also compound, ``Un;ST``) the term. Without an ``Open`` column lot rows
    cannot be dated and are skipped. A symbol with lots but no summary gets a position summed
    from its lots. Descriptions and CUSIPs (from US ISINs) come from ``Financial Instrument
    Information``.

    ``Trades``: ``Order`` rows are transactions (quantity signed by IBKR, ``T. Price``,
    amount = ``Proceeds`` + ``Comm/Fee``, fees = -``Comm/Fee``); execution (``Trade``) rows
    are loaded only when there are no order rows; ``ClosedLot`` rows and Forex conversions
    are skipped. ``Dividends``, ``Payment In Lieu Of Dividends``, ``Withholding Tax``,
    ``Interest``, ``Fees`` and ``Deposits & Withdrawals`` are cash transactions (the ticker is
    read from the description, ``VT(US9220427424) Cash Dividend ...``); ``Corporate Actions``
    are ``split`` rows when the description says Split, else ``other``.
    ``Cash Report`` ``Ending Cash`` rows are cash positions (symbol ``CASH``).

    ``Total``, ``SubTotal`` and ``Notes`` rows, and ``Data`` rows whose first field starts
    with ``Total``, are skipped with reasons. Other sections (Net Asset Value, Change in NAV,
    Mark-to-Market and Realized & Unrealized Performance Summaries...) are structure for this
    toolkit; a note lists them.

``ibkr_transaction_history_csv`` (2025 "Transaction History" report)
    ``Transaction History,Header,Date,Account,Description,Transaction Type,Symbol,Quantity,
    Price,[Price Currency,]Gross Amount ,Commission,Net Amount``; the account is masked
    (``U***00000``) and ``-`` is the null. Amounts are in the base currency
    (``Summary,Data,Base Currency``).

Currency: the toolkit works in US dollars. USD rows load as they are. Positions and cash in
another currency are converted with the ``Base Currency Exchange Rate`` section (rates at the
statement's end) only when the base currency is USD; transactions in another currency are
skipped (the statement has no rate for their dates). A Transaction History whose base currency
is not USD is skipped row by row with that reason.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import DATE_DTYPE, LOTS, POSITIONS, TRANSACTIONS, Action

from . import _clean as clean
from . import _ibkr as ib
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import ColumnSpec, Row, TextFile, bind, iter_rows, norm_header

FORMAT = "ibkr_activity_csv"
FORMAT_HISTORY = "ibkr_transaction_history_csv"

ROW_TYPES = ("Header", "Data", "Total", "SubTotal", "Notes")
_ROW = re.compile(r"^\ufeff?\"?([^,\"]+)\"?,\"?(Header|Data|Total|SubTotal|Notes)\"?,")
#: Sections an Activity Statement starts with (when its Statement section is left out).
_FIRST_SECTIONS = {"statement", "account information", "open positions", "long open positions",
                   "trades", "net asset value", "change in nav", "cash report", "dividends"}
_POSITION_SECTIONS = {"open positions", "long open positions"}
_CASH_SECTIONS = {
    "dividends": Action.DIVIDEND, "payment in lieu of dividends": Action.DIVIDEND,
    "withholding tax": Action.TAX_WITHHELD, "interest": Action.INTEREST, "fees": Action.FEE,
    "deposits & withdrawals": None,
}
#: What a row of each cash section is called in skip reasons.
_CASH_WHAT = {"dividends": "dividend", "payment in lieu of dividends": "payment in lieu",
              "withholding tax": "withholding tax", "interest": "interest", "fees": "fee",
              "deposits & withdrawals": "deposit or withdrawal"}
_VESTING = re.compile(r"^\s*(\S.*?)\s*\(Vesting:.*\)\s*$", re.I)
_TZ = re.compile(r"^(\d{4}-\d{2}-\d{2})")

POSITION_SPEC = {
    "disc": ColumnSpec(["DataDiscriminator"]),
    "asset": ColumnSpec(["Asset Category"], required=False),
    "currency": ColumnSpec(["Currency"]),
    "account": ColumnSpec(["Account"], required=False),
    "symbol": ColumnSpec(["Symbol"]),
    "open": ColumnSpec(["Open"], required=False),
    "quantity": ColumnSpec(["Quantity"]),
    "mult": ColumnSpec(["Mult"], required=False),
    "cost_basis": ColumnSpec(["Cost Basis"], required=False),
    "close_price": ColumnSpec(["Close Price"], required=False),
    "value": ColumnSpec(["Value"]),
    "code": ColumnSpec(["Code"], required=False),
    "description": ColumnSpec(["Description"], required=False),
}
TRADE_SPEC = {
    "disc": ColumnSpec(["DataDiscriminator"]),
    "asset": ColumnSpec(["Asset Category"], required=False),
    "currency": ColumnSpec(["Currency"]),
    "account": ColumnSpec(["Account"], required=False),
    "symbol": ColumnSpec(["Symbol"]),
    "datetime": ColumnSpec(["Date/Time", "Date", "TradeDate"]),
    "quantity": ColumnSpec(["Quantity"]),
    "price": ColumnSpec(["T. Price", "Price", "TradePrice"], required=False),
    "proceeds": ColumnSpec(["Proceeds"]),
    "comm": ColumnSpec(["Comm/Fee", "Comm in USD", "Commission", "Comm"], required=False),
    "code": ColumnSpec(["Code"], required=False),
}
CASH_SPEC = {
    "subtitle": ColumnSpec(["Subtitle"], required=False),
    "currency": ColumnSpec(["Currency"]),
    "account": ColumnSpec(["Account"], required=False),
    "date": ColumnSpec(["Date", "Settle Date"]),
    "description": ColumnSpec(["Description"]),
    "amount": ColumnSpec(["Amount"]),
}
CORPORATE_SPEC = {
    "asset": ColumnSpec(["Asset Category"], required=False),
    "currency": ColumnSpec(["Currency"]),
    "account": ColumnSpec(["Account"], required=False),
    "report_date": ColumnSpec(["Report Date"], required=False),
    "datetime": ColumnSpec(["Date/Time", "Date"]),
    "description": ColumnSpec(["Description"]),
    "quantity": ColumnSpec(["Quantity"]),
    "proceeds": ColumnSpec(["Proceeds"], required=False),
}
CASH_REPORT_SPEC = {
    "line_item": ColumnSpec(["Currency Summary"]),
    "currency": ColumnSpec(["Currency"]),
    "total": ColumnSpec(["Total"]),
}
RATE_SPEC = {"currency": ColumnSpec(["Currency"]), "rate": ColumnSpec(["Rate"])}
INSTRUMENT_SPEC = {
    "symbol": ColumnSpec(["Symbol"]),
    "description": ColumnSpec(["Description"], required=False),
    "security_id": ColumnSpec(["Security ID", "ISIN"], required=False),
}
HISTORY_SPEC = {
    "date": ColumnSpec(["Date"]),
    "account": ColumnSpec(["Account"], required=False),
    "description": ColumnSpec(["Description"], required=False),
    "type": ColumnSpec(["Transaction Type"]),
    "symbol": ColumnSpec(["Symbol"], required=False),
    "quantity": ColumnSpec(["Quantity"], required=False),
    "price": ColumnSpec(["Price"], required=False),
    "price_currency": ColumnSpec(["Price Currency"], required=False),
    "commission": ColumnSpec(["Commission"], required=False),
    "net": ColumnSpec(["Net Amount"]),
    "rate": ColumnSpec(["Exchange Rate"], required=False),
}
_HISTORY_ACTIONS = {"buy": Action.BUY, "sell": Action.SELL}


# --- reading the sectioned rows ----------------------------------------------------------------

@dataclass
class _Block:
    """One header of a section and the rows after it (until the next header of any section)."""

    section: str
    header: Row | None
    rows: list[Row] = field(default_factory=list)
    fields: bool = False  # a "Field Name,Field Value" block (Statement, Account Information)

    def __post_init__(self) -> None:
        if self.header is None:
            self.fields = self.section.casefold() in ("statement", "account information",
                                                      "summary")
        else:
            self.fields = [norm_header(c) for c in self.header.cells[2:4]] == [
                "field name", "field value"]


@dataclass
class _Statement:
    path: Path
    blocks: list[_Block]
    fields: dict[str, dict[str, tuple[str, int]]]  # key-value sections: field -> (value, line)
    skip: SkipLog
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def field(self, section: str, name: str) -> str | None:
        got = self.fields.get(section.casefold(), {}).get(name.casefold())
        return got[0].strip() if got and got[0].strip() else None


def _section(cells: list[str]) -> str:
    return cells[0].replace("\ufeff", "").strip() if cells else ""


def _read(tf: TextFile, skip: SkipLog) -> _Statement:
    blocks: list[_Block] = []
    fields: dict[str, dict[str, tuple[str, int]]] = {}
    current: dict[str, _Block] = {}
    for row in iter_rows(tf, 0):
        cells = row.cells
        if not any(c.strip() for c in cells):
            continue
        section = _section(cells)
        rtype = cells[1].strip() if len(cells) > 1 else ""
        if rtype not in ROW_TYPES:
            if sum(1 for c in cells if c.strip()) > 1:
                skip.add(row.line, "row is not in the Section,RowType,... layout", row.raw)
            continue
        key = section.casefold()
        if rtype == "Header":
            block = _Block(section, row)
            blocks.append(block)
            current[key] = block
            continue
        block = current.get(key)
        if block is None:
            block = _Block(section, None)
            blocks.append(block)
            current[key] = block
        block.rows.append(row)
        if rtype == "Data" and block.fields and len(cells) >= 4:
            fields.setdefault(key, {}).setdefault(cells[2].strip().casefold(),
                                                  (cells[3], row.line))
    return _Statement(path=tf.path, blocks=blocks, fields=fields, skip=skip)


# --- detection ---------------------------------------------------------------------------------

def _first_row(s: Sniff) -> str:
    return next((n for n in s.first_lines_norm if n.strip(",")), "")


def detect_history(s: Sniff) -> bool:
    """A ``Transaction History,Header,Date,...`` header near the top."""
    return any(n.startswith("transaction history,header,date,") for n in s.first_lines_norm)


def detect(s: Sniff) -> bool:
    """First row ``Statement,Header,Field Name,Field Value`` (or another known first section)."""
    if detect_history(s):
        return False
    first = _first_row(s)
    m = re.match(r"^([^,]+),(header|data),", first)
    if not m:
        return False
    if first.startswith("statement,header,field name,field value"):
        return True
    return m.group(1) in _FIRST_SECTIONS and any(
        re.match(r"^[^,]+,header,", n) for n in s.first_lines_norm)


# --- tables ------------------------------------------------------------------------------------

def _table(st: _Statement, block: _Block, spec: dict, rows: list[Row]) -> pd.DataFrame:
    """Raw cells of ``rows`` bound by ``block``'s header; short rows raise (a truncated file)."""
    binding = bind(block.header.cells, spec, path=st.name, line=block.header.line)
    required = [binding.positions[k] for k, cs in spec.items() if cs.required]
    need = max(required, default=-1) + 1
    data: dict[str, list[str]] = {k: [] for k in binding.positions}
    for r in rows:
        if len(r.cells) < need:
            raise FormatError(
                f"row has {len(r.cells)} cells but the {block.section} header needs {need}; "
                "the file looks truncated or the row is malformed", path=st.name, line=r.line)
        for k, pos in binding.positions.items():
            data[k].append(r.cells[pos] if pos < len(r.cells) else "")
    df = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    df["line"] = np.fromiter((r.line for r in rows), dtype="int64", count=len(rows))
    df["raw"] = pd.Series([r.raw for r in rows], dtype="str")
    return df


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(None, index=df.index, dtype="str")


def _where(st: _Statement, df: pd.DataFrame) -> clean.Where:
    return clean.Where(st.name, df["line"])


def _data_rows(st: _Statement, block: _Block) -> list[Row]:
    """The block's Data rows; Total/SubTotal/Notes and ``Total...`` data rows are skipped."""
    out = []
    for r in block.rows:
        rtype = r.cells[1].strip()
        if rtype in ("Total", "SubTotal"):
            st.skip.add(r.line, f"{block.section} {rtype.lower()} row", r.raw)
        elif rtype == "Notes":
            st.skip.add(r.line, f"{block.section} notes row", r.raw)
        elif len(r.cells) > 2 and r.cells[2].strip().casefold().startswith("total"):
            st.skip.add(r.line, f"{block.section} total row", r.raw)
        else:
            out.append(r)
    return out


def _headerless(st: _Statement, block: _Block, rows: list[Row]) -> bool:
    if block.header is None and rows:
        for r in rows:
            st.skip.add(r.line, f"{block.section} row before any {block.section} header", r.raw)
        return True
    return not rows


def _skip_rows(st: _Statement, df: pd.DataFrame, mask: pd.Series,
               reason: str | pd.Series) -> None:
    if mask.any():
        st.skip.add_frame(df[mask], reason[mask] if isinstance(reason, pd.Series) else reason)


# --- context: account, base currency, rates, instruments ---------------------------------------

@dataclass
class _Context:
    account: str | None
    base: str | None
    rates: dict[str, float]
    instruments: pd.DataFrame  # symbol -> description, cusip


def _context(st: _Statement, options: dict) -> _Context:
    raw = st.field("Account Information", "Account")
    account = raw.split()[0] if raw else None
    if options.get("account"):
        account = account or str(options["account"])
    base = st.field("Account Information", "Base Currency") or st.field("Summary",
                                                                        "Base Currency")
    rates: dict[str, float] = {}
    descs = []
    for block in st.blocks:
        key = block.section.casefold()
        if key == "base currency exchange rate" and block.header is not None:
            rows = [r for r in block.rows if r.cells[1].strip() == "Data"]
            if rows:
                df = _table(st, block, RATE_SPEC, rows)
                val = clean.number(df["rate"], column="Rate", where=_where(st, df))
                for cur, v in zip(clean.text(df["currency"]), val, strict=True):
                    if isinstance(cur, str) and pd.notna(v) and v > 0:
                        rates[cur.upper()] = float(v)
        elif key == "financial instrument information" and block.header is not None:
            rows = [r for r in block.rows if r.cells[1].strip() == "Data"]
            if rows:
                df = _table(st, block, INSTRUMENT_SPEC, rows)
                descs.append(pd.DataFrame({
                    "symbol": clean.symbol(df["symbol"]),
                    "description": clean.text(_col(df, "description")),
                    "cusip": clean.cusips(ib.cusip_from_isin(clean.text(
                        _col(df, "security_id")).fillna(""))),
                }))
    inst = pd.concat(descs, ignore_index=True).dropna(subset=["symbol"]).drop_duplicates(
        "symbol") if descs else pd.DataFrame({"symbol": pd.Series(dtype="str"),
                                              "description": pd.Series(dtype="str"),
                                              "cusip": pd.Series(dtype="str")})
    return _Context(account=account, base=base.upper() if base else None, rates=rates,
                    instruments=inst.set_index("symbol"))


def _accounts(st: _Statement, ctx: _Context, df: pd.DataFrame) -> pd.Series:
    acc = clean.text(_col(df, "account"))
    if ctx.account:
        acc = acc.fillna(ctx.account)
    if acc.isna().any():
        i = acc[acc.isna()].index[0]
        raise FormatError("the statement names no account (no Account Information,Data,"
                          "Account row); pass account= to load_export", path=st.name,
                          line=int(df.at[i, "line"]), column="Account")
    return acc.astype("str")


def _position_currency(st: _Statement, ctx: _Context, df: pd.DataFrame,
                       what: str) -> tuple[pd.Series, pd.Series]:
    """(rows to keep, factor to US dollars) for positions and cash; reports the rest."""
    cur = clean.text(df["currency"]).str.upper().fillna("USD")
    usd = cur.eq("USD")
    rate = cur.map(ctx.rates).astype("float64")
    convert = ~usd & (ctx.base == "USD") & rate.notna()
    bad = ~(usd | convert)
    if bad.any():
        reasons = cur.map(lambda c: ib.currency_reason(
            what, c, ctx.base, c in ctx.rates, rate_word="Base Currency Exchange Rate"))
        _skip_rows(st, df, bad, reasons)
    if convert.any():
        codes = ", ".join(sorted(cur[convert].unique()))
        st.notes.append(f"{int(convert.sum())} {what} rows in {codes} were converted to US "
                        "dollars with the statement's Base Currency Exchange Rate")
    return ~bad, pd.Series(1.0, index=df.index).where(usd, rate)


def _transaction_currency(st: _Statement, df: pd.DataFrame, what: str) -> pd.Series:
    cur = clean.text(df["currency"]).str.upper().fillna("USD")
    bad = cur.ne("USD")
    _skip_rows(st, df, bad, cur.map(
        lambda c: f"{what} in {c}: the toolkit works in US dollars and an activity statement "
                  "gives no exchange rate for the transaction's date"))
    return ~bad


# --- open positions ----------------------------------------------------------------------------

def _open_date(s: pd.Series) -> pd.Series:
    """``2024-11-28 (Vesting: 2025-11-28)`` -> ``2024-11-28``; other cells unchanged."""
    return s.str.replace(_VESTING, r"\1", regex=True)


def _positions(st: _Statement, ctx: _Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    pos_frames, lot_frames = [], []
    for block in st.blocks:
        key = block.section.casefold()
        if key == "short open positions":
            for r in _data_rows(st, block):
                st.skip.add(r.line, "short position: short positions are not supported", r.raw)
            continue
        if key not in _POSITION_SECTIONS:
            continue
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        df = _table(st, block, POSITION_SPEC, rows)
        w = _where(st, df)
        disc = clean.text(df["disc"]).str.casefold()
        qty = clean.number(df["quantity"], column="Quantity", where=w)
        summary, lot = disc.eq("summary").fillna(False), disc.eq("lot").fillna(False)
        _skip_rows(st, df, ~(summary | lot),
                   "row kind " + clean.text(df["disc"]).fillna("(empty)") + " is not a "
                   "position or lot")
        if lot.any() and "open" not in df.columns:
            _skip_rows(st, df, lot, "lot row without an Open date (the statement was run "
                                    "without lot detail)")
            lot = pd.Series(False, index=df.index)
        short = (summary | lot) & qty.lt(0)
        _skip_rows(st, df, short, "short position: short positions are not supported")
        live = (summary | lot) & ~short
        df, qty, summary, lot = df[live], qty[live], summary[live], lot[live]
        if df.empty:
            continue
        keep, factor = _position_currency(st, ctx, df, "position")
        df, qty, summary, lot, factor = (df[keep], qty[keep], summary[keep], lot[keep],
                                         factor[keep])
        if df.empty:
            continue
        w = _where(st, df)
        sym = clean.symbol(df["symbol"])
        if sym.isna().any():
            raise w.error(sym[sym.isna()].index[0], "Symbol", "a position has no symbol")
        if qty.isna().any():
            raise w.error(qty[qty.isna()].index[0], "Quantity", "a position has no quantity")
        value = clean.number(df["value"], column="Value", where=w) * factor
        basis = clean.number(_col(df, "cost_basis"), column="Cost Basis", where=w) * factor
        price = clean.number(_col(df, "close_price"), column="Close Price", where=w) * factor
        desc = clean.text(_col(df, "description"))
        desc = desc.where(desc.notna(), sym.map(ctx.instruments["description"]))
        asset = clean.text(_col(df, "asset"))
        full = pd.DataFrame({
            "account": _accounts(st, ctx, df), "symbol": sym,
            "cusip": sym.map(ctx.instruments["cusip"]).astype("str"),
            "description": desc.astype("str"), "quantity": qty, "price": price,
            "market_value": value, "cost_basis": basis,
            "security_type": ib.security_type(asset.fillna("")).where(asset.notna()),
            "source_file": st.name, "source_line": df["line"].astype("Int64"),
        })
        pos_frames.append(full[summary])
        if lot.any():
            lots = df[lot]
            acquired = clean.date(_open_date(lots["open"]), column="Open", where=_where(st, lots))
            if acquired.isna().any():
                raise _where(st, lots).error(acquired[acquired.isna()].index[0], "Open",
                                             "a lot has no Open date")
            lot_frames.append((pd.DataFrame({
                "account": full["account"][lot], "symbol": sym[lot], "quantity": qty[lot],
                "cost_basis": basis[lot], "acquired": acquired,
                "holding_start": pd.Series(pd.NaT, index=lots.index, dtype=DATE_DTYPE),
                "term": ib.term_from_code(clean.text(_col(lots, "code"))),
                "wash_sale_disallowed": np.nan,
                "lot_id": st.name + ":" + lots["line"].astype("str"),
                "source_file": st.name, "source_line": lots["line"].astype("Int64"),
            }), full[lot]))
    positions = pd.concat(pos_frames, ignore_index=True) if pos_frames else POSITIONS.empty()
    if not lot_frames:
        return positions, LOTS.empty()
    lots = pd.concat([f[0] for f in lot_frames], ignore_index=True)
    lot_pos = pd.concat([f[1] for f in lot_frames], ignore_index=True)
    return _add_lot_positions(st, positions, lot_pos), lots


def _add_lot_positions(st: _Statement, positions: pd.DataFrame,
                       lot_pos: pd.DataFrame) -> pd.DataFrame:
    key_p = positions["account"] + "\x1f" + positions["symbol"]
    key_l = lot_pos["account"] + "\x1f" + lot_pos["symbol"]
    lacking = ~key_l.isin(set(key_p))
    if not lacking.any():
        return positions
    derived = lot_pos[lacking].groupby(key_l[lacking], sort=False).agg(
        account=("account", "first"), symbol=("symbol", "first"), cusip=("cusip", "first"),
        description=("description", "first"), quantity=("quantity", "sum"),
        price=("price", "first"),
        market_value=("market_value", lambda v: v.sum(min_count=1)),
        cost_basis=("cost_basis", lambda v: v.sum(min_count=1)),
        security_type=("security_type", "first"), source_file=("source_file", "first"),
        source_line=("source_line", "first")).reset_index(drop=True)
    syms = ", ".join(derived["symbol"].tolist()[:10])
    st.notes.append(f"{len(derived)} position(s) ({syms}) were summed from their Lot rows: "
                    "the statement has no Summary row for them")
    return pd.concat([positions, derived], ignore_index=True)


# --- trades and cash sections ------------------------------------------------------------------

def _trades(st: _Statement, ctx: _Context) -> list[pd.DataFrame]:
    blocks = [b for b in st.blocks if b.section.casefold() == "trades"]
    tables = []
    for block in blocks:
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        tables.append(_table(st, block, TRADE_SPEC, rows))
    if not tables:
        return []
    kinds = [clean.text(t["disc"]).str.casefold() for t in tables]
    has_orders = any(k.eq("order").any() for k in kinds)
    out = []
    for df, disc in zip(tables, kinds, strict=True):
        order = disc.eq("order").fillna(False)
        execution = disc.eq("trade").fillna(False)
        closed = disc.eq("closedlot").fillna(False)
        _skip_rows(st, df, closed, "closed-lot detail: realized lots are not read from "
                                   "activity statements")
        if has_orders:
            _skip_rows(st, df, execution, "execution detail of an order row (the order is "
                                          "loaded)")
            load = order
        else:
            load = execution
        other = ~(order | execution | closed)
        _skip_rows(st, df, other, "row kind " + clean.text(df["disc"]).fillna("(empty)") +
                   " is not a trade")
        forex = load & clean.text(_col(df, "asset")).str.casefold().eq("forex").fillna(False)
        _skip_rows(st, df, forex, "currency conversion (" + clean.text(df["symbol"]).fillna("")
                   + "): not a security trade")
        df = df[load & ~forex]
        if df.empty:
            continue
        df = df[_transaction_currency(st, df, "trade")]
        if df.empty:
            continue
        w = _where(st, df)
        date = clean.date(df["datetime"], column="Date/Time", where=w)
        if date.isna().any():
            raise w.error(date[date.isna()].index[0], "Date/Time", "a trade has no date")
        qty = clean.number(df["quantity"], column="Quantity", where=w)
        if qty.isna().any():
            raise w.error(qty[qty.isna()].index[0], "Quantity", "a trade has no quantity")
        proceeds = clean.number(df["proceeds"], column="Proceeds", where=w)
        comm = clean.number(_col(df, "comm"), column="Comm/Fee", where=w)
        code = clean.text(_col(df, "code"))
        tokens = code.fillna("").str.upper().str.split(r"[;,\s]+", regex=True)
        reinvest = tokens.map(lambda t: "R" in t).astype(bool)
        action = pd.Series(Action.OTHER.value, index=df.index, dtype="str")
        action = action.mask(qty > 0, Action.BUY.value).mask((qty > 0) & reinvest,
                                                             Action.REINVEST.value)
        action = action.mask(qty < 0, Action.SELL.value)
        disc_text = clean.text(df["disc"]).fillna("")
        symbol = clean.symbol(df["symbol"])
        out.append(pd.DataFrame({
            "date": date,
            "settle_date": pd.Series(pd.NaT, index=df.index, dtype=DATE_DTYPE),
            "account": _accounts(st, ctx, df),
            "action": action,
            "action_text": (disc_text + " " + code.fillna("")).str.strip(),
            "symbol": symbol,
            "description": symbol.map(ctx.instruments["description"]).astype("str"),
            "quantity": qty,
            "price": clean.number(_col(df, "price"), column="T. Price", where=w),
            "amount": proceeds + comm.fillna(0.0),
            "fees": comm.abs(),
            "source_file": st.name,
            "source_line": df["line"].astype("Int64"),
        }))
    return out


def _cash_sections(st: _Statement, ctx: _Context) -> list[pd.DataFrame]:
    out = []
    for block in st.blocks:
        key = block.section.casefold()
        if key not in _CASH_SECTIONS:
            continue
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        df = _table(st, block, CASH_SPEC, rows)
        df = df[_transaction_currency(st, df, _CASH_WHAT[key])]
        if df.empty:
            continue
        w = _where(st, df)
        date = clean.date(df["date"], column="Date", where=w)
        if date.isna().any():
            raise w.error(date[date.isna()].index[0], "Date", "a row has no date")
        amount = clean.number(df["amount"], column="Amount", where=w)
        if amount.isna().any():
            raise w.error(amount[amount.isna()].index[0], "Amount", "a row has no amount")
        desc = clean.text(df["description"])
        fixed = _CASH_SECTIONS[key]
        if fixed is None:  # deposits and withdrawals
            action = pd.Series(Action.CONTRIBUTION.value, index=df.index, dtype="str").mask(
                amount < 0, Action.WITHDRAWAL.value)
            symbol = pd.Series(None, index=df.index, dtype="str")
        else:
            action = pd.Series(fixed.value, index=df.index, dtype="str")
            if fixed is Action.INTEREST:
                action = action.mask(amount < 0, Action.FEE.value)
            if fixed is Action.DIVIDEND:
                action = action.mask(desc.str.contains("capital gain", case=False).fillna(False),
                                     Action.CAPITAL_GAIN.value)
            symbol = clean.symbol(ib.symbol_from_description(desc.fillna("")))
        text = clean.text(_col(df, "subtitle"))
        out.append(pd.DataFrame({
            "date": date,
            "settle_date": date if key == "deposits & withdrawals" else
            pd.Series(pd.NaT, index=df.index, dtype=DATE_DTYPE),
            "account": _accounts(st, ctx, df),
            "action": action,
            "action_text": text.where(text.notna(), block.section),
            "symbol": symbol,
            "description": desc,
            "quantity": np.nan,
            "price": np.nan,
            "amount": amount,
            "fees": np.nan,
            "source_file": st.name,
            "source_line": df["line"].astype("Int64"),
        }))
    return out


def _corporate_actions(st: _Statement, ctx: _Context) -> list[pd.DataFrame]:
    out = []
    for block in st.blocks:
        if block.section.casefold() != "corporate actions":
            continue
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        df = _table(st, block, CORPORATE_SPEC, rows)
        df = df[_transaction_currency(st, df, "corporate action")]
        if df.empty:
            continue
        w = _where(st, df)
        date = clean.date(df["datetime"], column="Date/Time", where=w)
        date = date.where(date.notna(), clean.date(_col(df, "report_date"),
                                                   column="Report Date", where=w))
        if date.isna().any():
            raise w.error(date[date.isna()].index[0], "Date/Time", "a row has no date")
        desc = clean.text(df["description"])
        split = desc.str.contains(r"\bsplit\b", case=False).fillna(False)
        out.append(pd.DataFrame({
            "date": date,
            "settle_date": pd.Series(pd.NaT, index=df.index, dtype=DATE_DTYPE),
            "account": _accounts(st, ctx, df),
            "action": pd.Series(Action.OTHER.value, index=df.index, dtype="str").mask(
                split, Action.SPLIT.value),
            "action_text": block.section,
            "symbol": clean.symbol(ib.symbol_from_description(desc.fillna(""))),
            "description": desc,
            "quantity": clean.number(df["quantity"], column="Quantity", where=w),
            "price": np.nan,
            "amount": clean.number(_col(df, "proceeds"), column="Proceeds", where=w),
            "fees": np.nan,
            "source_file": st.name,
            "source_line": df["line"].astype("Int64"),
        }))
    return out


def _cash_report(st: _Statement, ctx: _Context) -> pd.DataFrame:
    frames = []
    for block in st.blocks:
        if block.section.casefold() != "cash report" or block.header is None:
            continue
        rows = [r for r in block.rows if r.cells[1].strip() == "Data" and len(r.cells) > 2
                and r.cells[2].strip().casefold() == "ending cash"]
        if not rows:
            continue
        df = _table(st, block, CASH_REPORT_SPEC, rows)
        summary = clean.text(df["currency"]).str.casefold().str.startswith(
            "base currency").fillna(False)
        _skip_rows(st, df, summary, "cash report summary in the base currency: the "
                                    "per-currency rows are used")
        df = df[~summary]
        if df.empty:
            continue
        keep, factor = _position_currency(st, ctx, df, "cash balance")
        df, factor = df[keep], factor[keep]
        if df.empty:
            continue
        value = clean.number(df["total"], column="Total", where=_where(st, df)) * factor
        cash = pd.DataFrame({"account": _accounts(st, ctx, df), "value": value,
                             "line": df["line"]}).groupby("account", sort=False).agg(
            value=("value", "sum"), line=("line", "first")).reset_index()
        frames.append(pd.DataFrame({
            "account": cash["account"], "symbol": ib.CASH_SYMBOL, "cusip": None,
            "description": "USD cash", "quantity": cash["value"], "price": 1.0,
            "market_value": cash["value"], "cost_basis": cash["value"], "asset_class": "cash",
            "security_type": None, "source_file": st.name,
            "source_line": cash["line"].astype("Int64"),
        }))
    return pd.concat(frames, ignore_index=True) if frames else POSITIONS.empty()


# --- statement-level values --------------------------------------------------------------------

def _as_of(st: _Statement) -> pd.Timestamp | None:
    """The period's end date, else the date the statement was generated."""
    period = st.field("Statement", "Period")
    if period:
        end = period.rsplit(" - ", 1)[-1].strip()
        try:
            got = clean.date_value(end, column="Period", path=st.name)
        except FormatError:
            got = None
        if got is not None:
            return got
    when = st.field("Statement", "WhenGenerated")
    m = _TZ.match(when) if when else None
    if m:
        return clean.date_value(m.group(1), column="WhenGenerated", path=st.name)
    return None


def _account_frame(st: _Statement, ctx: _Context, frames: list[pd.DataFrame]) -> pd.DataFrame:
    name = ib.account_name(st.field("Account Information", "Account Alias"),
                           st.field("Account Information", "Account Type"))
    accounts: dict[str, str | None] = {}
    if ctx.account:
        accounts[ctx.account] = name
    for f in frames:
        for acc in f["account"].dropna().unique():
            accounts.setdefault(str(acc), name if acc == ctx.account else None)
    return pd.DataFrame({"account": list(accounts), "name": list(accounts.values()),
                         "custodian": ib.CUSTODIAN})


_READ_SECTIONS = {"statement", "account information", "open positions", "long open positions",
                  "short open positions", "trades", "corporate actions", "cash report",
                  "base currency exchange rate", "financial instrument information",
                  *_CASH_SECTIONS}


def _note_unread(st: _Statement, read: set[str]) -> None:
    counts = Counter()
    for block in st.blocks:
        if block.section.casefold() not in read:
            counts[block.section] += len(block.rows)
    if counts:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))
        st.notes.append(f"sections not read (structure for this toolkit): {listed}")


def load(s: Sniff, options: dict) -> Export:
    """Load an IBKR Activity Statement CSV (see module docstring)."""
    skip = SkipLog(s.path)
    st = _read(s.text, skip)
    ctx = _context(st, options)
    positions, lots = _positions(st, ctx)
    cash = _cash_report(st, ctx)
    if len(cash):
        positions = pd.concat([positions, cash], ignore_index=True) if len(positions) else cash
    tx = [f for f in (*_trades(st, ctx), *_cash_sections(st, ctx),
                      *_corporate_actions(st, ctx)) if len(f)]
    transactions = pd.concat(tx, ignore_index=True).sort_values(
        "source_line", kind="stable").reset_index(drop=True) if tx else TRANSACTIONS.empty()
    if any(b.section.casefold() == "cash report" for b in st.blocks):
        st.notes.append("Cash Report: only the Ending Cash rows are read")
    _note_unread(st, _READ_SECTIONS)
    return Export(path=s.path, format=FORMAT, custodian=ib.CUSTODIAN, positions=positions,
                  lots=lots, transactions=transactions, skipped=skip.frame(),
                  accounts=_account_frame(st, ctx, [positions, transactions]),
                  as_of=_as_of(st), notes=st.notes)


# --- Transaction History -----------------------------------------------------------------------

def load_history(s: Sniff, options: dict) -> Export:
    """Load an IBKR Transaction History CSV (see module docstring)."""
    skip = SkipLog(s.path)
    st = _read(s.text, skip)
    base = st.field("Summary", "Base Currency")
    base = base.upper() if base else None
    frames = []
    for block in st.blocks:
        if block.section.casefold() != "transaction history":
            continue
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        df = _table(st, block, HISTORY_SPEC, rows)
        if base not in (None, "USD"):
            _skip_rows(st, df, pd.Series(True, index=df.index),
                       f"amounts in {base}: the toolkit works in US dollars and a Transaction "
                       "History reports amounts in the account's base currency")
            continue
        frames.append(_history_rows(st, df, options))
    if base is None and frames:
        st.notes.append("the file does not state its base currency (Summary,Data,Base "
                        "Currency); amounts were taken as US dollars")
    _note_unread(st, {"statement", "summary", "transaction history"})
    tx = [f for f in frames if len(f)]
    transactions = pd.concat(tx, ignore_index=True) if tx else TRANSACTIONS.empty()
    accounts = transactions["account"].dropna().unique().tolist()
    return Export(path=s.path, format=FORMAT_HISTORY, custodian=ib.CUSTODIAN,
                  transactions=transactions, skipped=skip.frame(),
                  accounts=pd.DataFrame({"account": accounts, "name": None,
                                         "custodian": ib.CUSTODIAN}),
                  as_of=_as_of(st), notes=st.notes)


def _history_rows(st: _Statement, df: pd.DataFrame, options: dict) -> pd.DataFrame:
    if df.empty:
        return TRANSACTIONS.empty()
    w = _where(st, df)
    date = clean.date(df["date"], column="Date", where=w)
    if date.isna().any():
        raise w.error(date[date.isna()].index[0], "Date", "a transaction has no date")
    kind = clean.text(df["type"])
    net = clean.number(df["net"], column="Net Amount", where=w)
    if net.isna().any():
        raise w.error(net[net.isna()].index[0], "Net Amount", "a transaction has no amount")
    qty = clean.number(_col(df, "quantity"), column="Quantity", where=w)
    price = clean.number(_col(df, "price"), column="Price", where=w)
    comm = clean.number(_col(df, "commission"), column="Commission", where=w)
    desc = clean.text(_col(df, "description"))
    key = kind.str.casefold()
    action, unknown = ib.cash_actions(kind.fillna(""), net, desc)
    trade = key.map({k: v.value for k, v in _HISTORY_ACTIONS.items()})
    action = trade.where(trade.notna(), action).astype("str")
    unknown = unknown & trade.isna()
    transfer = key.eq("transfer").fillna(False)
    action = action.mask(transfer & qty.gt(0), Action.TRANSFER_IN.value)
    action = action.mask(transfer & qty.lt(0), Action.TRANSFER_OUT.value)
    unknown = unknown & ~(transfer & qty.notna())
    if unknown.any():
        counts = kind[unknown].fillna("(empty)").value_counts()
        listed = ", ".join(f"{k!r} ({v})" for k, v in counts.items())
        st.notes.append(f"unknown transaction types kept as 'other': {listed}")
    buy, sell = action.eq(Action.BUY.value), action.eq(Action.SELL.value)
    qty = qty.where(~buy, qty.abs()).where(~sell, -qty.abs())
    # quantities of currency conversions are currency units, not shares
    forex = key.eq("forex trade component").fillna(False)
    qty = qty.where(~forex)
    price = price.where(~forex)
    pcur = clean.text(_col(df, "price_currency")).str.upper()
    foreign = pcur.notna() & pcur.ne("USD")
    if foreign.any():
        rate = clean.number(_col(df, "rate"), column="Exchange Rate", where=w)
        price = price.where(~foreign, price * rate)
    account = clean.text(_col(df, "account"))
    if options.get("account"):
        account = account.fillna(str(options["account"]))
    if account.isna().any():
        raise w.error(account[account.isna()].index[0], "Account",
                      "the row names no account; pass account= to load_export")
    return pd.DataFrame({
        "date": date,
        "settle_date": pd.Series(pd.NaT, index=df.index, dtype=DATE_DTYPE),
        "account": account,
        "action": action,
        "action_text": kind,
        "symbol": clean.symbol(_col(df, "symbol")).where(~forex),
        "description": desc,
        "quantity": qty,
        "price": price,
        "amount": net,
        "fees": comm.abs(),
        "source_file": st.name,
        "source_line": df["line"].astype("Int64"),
    })


FORMATS = [
    FormatSpec(FORMAT, ib.CUSTODIAN, "Interactive Brokers Activity Statement CSV",
               ("text",), detect, load, priority=30),
    FormatSpec(FORMAT_HISTORY, ib.CUSTODIAN, "Interactive Brokers Transaction History CSV",
               ("text",), detect_history, load_history, priority=30),
]
