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
from toolkit.schema import DATE_DTYPE, LOTS, POSITIONS, REALIZED, TRANSACTIONS, Action

from . import _build as b
from . import _clean as clean
from . import _ibkr as ib
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, Row, TextFile, bind, iter_rows, norm_header

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
    "disc": Col.text("DataDiscriminator"),
    "asset": Col.text("Asset Category", required=False),
    "currency": Col.text("Currency"),
    "account": Col.text("Account", required=False),
    "symbol": Col.symbol("Symbol", need=True, missing="a position has no symbol"),
    "open": Col.raw("Open", required=False),  # "2024-11-28 (Vesting: ...)": read below
    "quantity": Col.quantity("Quantity", need=True, missing="a position has no quantity"),
    "mult": Col.quantity("Mult", required=False),
    "cost_basis": Col.money("Cost Basis", required=False),
    "close_price": Col.money("Close Price", required=False),
    "value": Col.money("Value"),
    "code": Col.text("Code", required=False),
    "description": Col.text("Description", required=False),
}
TRADE_SPEC = {
    "disc": Col.text("DataDiscriminator"),
    "asset": Col.text("Asset Category", required=False),
    "currency": Col.text("Currency"),
    "account": Col.text("Account", required=False),
    "symbol": Col.symbol("Symbol"),
    "datetime": Col.date("Date/Time", "Date", "TradeDate", need=True,
                         missing="a trade has no date"),
    "quantity": Col.quantity("Quantity", need=True, missing="a trade has no quantity"),
    "price": Col.money("T. Price", "Price", "TradePrice", required=False),
    "proceeds": Col.money("Proceeds"),
    "comm": Col.money("Comm/Fee", "Comm in USD", "Commission", "Comm", required=False),
    "basis": Col.money("Basis", required=False),
    "realized": Col.money("Realized P/L", required=False),
    "code": Col.text("Code", required=False),
}
CASH_SPEC = {
    "subtitle": Col.text("Subtitle", required=False),
    "currency": Col.text("Currency"),
    "account": Col.text("Account", required=False),
    "date": Col.date("Date", "Settle Date", need=True, missing="a row has no date"),
    "description": Col.text("Description"),
    "amount": Col.money("Amount", need=True, missing="a row has no amount"),
}
CORPORATE_SPEC = {
    "asset": Col.text("Asset Category", required=False),
    "currency": Col.text("Currency"),
    "account": Col.text("Account", required=False),
    "report_date": Col.date("Report Date", required=False),
    "datetime": Col.date("Date/Time", "Date"),
    "description": Col.text("Description"),
    "quantity": Col.quantity("Quantity"),
    "proceeds": Col.money("Proceeds", required=False),
}
CASH_REPORT_SPEC = {
    "line_item": Col.text("Currency Summary"),
    "currency": Col.text("Currency"),
    "account": Col.text("Account", required=False),
    "total": Col.money("Total"),
}
RATE_SPEC = {"currency": Col.text("Currency"), "rate": Col.quantity("Rate")}
INSTRUMENT_SPEC = {
    "symbol": Col.symbol("Symbol"),
    "description": Col.text("Description", required=False),
    "security_id": Col.text("Security ID", "ISIN", required=False),
}
HISTORY_SPEC = {
    "date": Col.date("Date", need=True, missing="a transaction has no date"),
    "account": Col.text("Account", required=False),
    "description": Col.text("Description", required=False),
    "type": Col.text("Transaction Type"),
    "symbol": Col.symbol("Symbol", required=False),
    "quantity": Col.quantity("Quantity", required=False),
    "price": Col.money("Price", required=False),
    "price_currency": Col.text("Price Currency", required=False),
    "commission": Col.money("Commission", required=False),
    "net": Col.money("Net Amount", need=True, missing="a transaction has no amount"),
    "rate": Col.quantity("Exchange Rate", required=False),
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
    last_line: int = 0  # 1-based line of the file's last non-blank line
    account: str | None = None  # the statement's account, for rows reported before binding

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
    for row in iter_rows(tf, 0, lenient=True):
        if row.error is not None:
            skip.add(row.line, f"cannot read this row as CSV ({row.error})", row.raw)
            continue
        cells = row.cells
        if not any(c.strip() for c in cells):
            continue
        section = _section(cells)
        rtype = cells[1].strip() if len(cells) > 1 else ""
        if rtype not in ROW_TYPES:
            # every line of the file is Section,RowType,...: any other is damage, even one
            # cell (the end of a row split by a line break)
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
    last = next((i for i in range(len(tf.lines) - 1, -1, -1) if tf.lines[i].strip()), -1)
    return _Statement(path=tf.path, blocks=blocks, fields=fields, skip=skip,
                      last_line=last + 1)


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

def _table(st: _Statement, block: _Block, spec: dict, rows: list[Row], *,
           context: dict | None = None) -> b.Table:
    """``rows`` bound by ``block``'s header and converted by ``spec``.

    Rows with fewer cells than the header's last required column, or with a cell that cannot
    be read, are reported in ``skipped``; a short row that ends the file means it was cut off
    (FormatError).
    """
    binding = bind(block.header.cells, spec, path=st.name, line=block.header.line)
    required = [binding.positions[k] for k, cs in spec.items() if cs.required]
    need = max(required, default=-1) + 1
    data: dict[str, list[str]] = {k: [] for k in binding.positions}
    for r in rows:
        for k, pos in binding.positions.items():
            data[k].append(r.cells[pos] if pos < len(r.cells) else "")
    raw = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    raw["line"] = np.fromiter((r.line for r in rows), dtype="int64", count=len(rows))
    raw["raw"] = pd.Series([r.raw for r in rows], dtype="str")
    raw["cells"] = np.fromiter((len(r.cells) for r in rows), dtype="int64", count=len(rows))
    # IBKR writes every Data row with its header's cell count (an empty cell for an empty
    # field): a row with more cells is shifted, even when the extra cell is empty
    width = len(block.header.cells)
    raw["over"] = np.fromiter((len(r.cells) > width for r in rows), dtype=bool,
                              count=len(rows))
    if rows and len(rows[-1].cells) < need and rows[-1].line == st.last_line:
        raise FormatError(f"row has {len(rows[-1].cells)} cells but the {block.section} header "
                          f"needs {need}; the file looks truncated or the row is malformed",
                          path=st.name, line=rows[-1].line)
    return b.convert(raw, spec, path=st.name, skip=st.skip, binding=binding, need_cells=need,
                     context=context or {"account": st.account})


def _col(t: b.Table, name: str) -> pd.Series:
    return t[name]


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
    st.account = account
    base = st.field("Account Information", "Base Currency") or st.field("Summary",
                                                                        "Base Currency")
    rates: dict[str, float] = {}
    descs = []
    for block in st.blocks:
        key = block.section.casefold()
        if key == "base currency exchange rate" and block.header is not None:
            rows = [r for r in block.rows if r.cells[1].strip() == "Data"]
            if rows:
                t = _table(st, block, RATE_SPEC, rows)
                for cur, v in zip(t["currency"], t["rate"], strict=True):
                    if isinstance(cur, str) and pd.notna(v) and v > 0:
                        rates[cur.upper()] = float(v)
        elif key == "financial instrument information" and block.header is not None:
            rows = [r for r in block.rows if r.cells[1].strip() == "Data"]
            if rows:
                t = _table(st, block, INSTRUMENT_SPEC, rows)
                descs.append(pd.DataFrame({
                    "symbol": t["symbol"],
                    "description": t["description"],
                    "cusip": clean.cusips(ib.cusip_from_isin(t["security_id"].fillna(""))),
                }))
    inst = pd.concat(descs, ignore_index=True).dropna(subset=["symbol"]).drop_duplicates(
        "symbol") if descs else pd.DataFrame({"symbol": pd.Series(dtype="str"),
                                              "description": pd.Series(dtype="str"),
                                              "cusip": pd.Series(dtype="str")})
    return _Context(account=account, base=base.upper() if base else None, rates=rates,
                    instruments=inst.set_index("symbol"))


def _accounts(ctx: _Context, t: b.Table) -> b.Table:
    """The table with every row's account filled (its Account cell, else the statement's).

    Raises
    ------
    FormatError
        When a row has no Account cell and the statement names no account: no row of the
        file can be attributed (pass ``account=``).
    """
    acc = t["account"]
    if ctx.account:
        acc = acc.fillna(ctx.account)
        t.context["account"] = ctx.account
    if acc.isna().any():
        i = acc.index[acc.isna()][0]
        raise FormatError("the statement names no account (no Account Information,Data,"
                          "Account row); pass account= to load_export", path=t.path,
                          line=int(t.line[i]), column="Account")
    t.values["account"] = acc.astype("str")
    return t


def _position_currency(st: _Statement, ctx: _Context, t: b.Table,
                       what: str) -> tuple[b.Table, pd.Series]:
    """(rows kept, factor to US dollars) for positions and cash; reports the rest."""
    cur = t["currency"].str.upper().fillna("USD")
    usd = cur.eq("USD")
    rate = cur.map(ctx.rates).astype("float64")
    convert = ~usd & (ctx.base == "USD") & rate.notna()
    bad = ~(usd | convert)
    if bad.any():
        reasons = cur.map(lambda c: ib.currency_reason(
            what, c, ctx.base, c in ctx.rates, rate_word="Base Currency Exchange Rate"))
        t = t.drop(bad, reasons)
    if convert.any():
        codes = ", ".join(sorted(cur[convert].unique()))
        st.notes.append(f"{int(convert.sum())} {what} rows in {codes} were converted to US "
                        "dollars with the statement's Base Currency Exchange Rate")
    return t, pd.Series(1.0, index=cur.index).where(usd, rate)[t.index]


def _transaction_currency(t: b.Table, what: str) -> b.Table:
    cur = t["currency"].str.upper().fillna("USD")
    return t.drop(cur.ne("USD"), cur.map(
        lambda c: f"{what} in {c}: the toolkit works in US dollars and an activity statement "
                  "gives no exchange rate for the transaction's date"))


# --- open positions ----------------------------------------------------------------------------

def _open_date(s: pd.Series) -> pd.Series:
    """``2024-11-28 (Vesting: 2025-11-28)`` -> ``2024-11-28``; other cells unchanged."""
    return s.str.replace(_VESTING, r"\1", regex=True)


def _positions(st: _Statement, ctx: _Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    pos_frames, lot_frames = [], []
    saw_summary = False
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
        t = _table(st, block, POSITION_SPEC, rows)
        disc = t["disc"].str.casefold()
        summary, lot = disc.eq("summary").fillna(False), disc.eq("lot").fillna(False)
        saw_summary = saw_summary or bool(summary.any())
        t = t.drop(~(summary | lot), "row kind " + t["disc"].fillna("(empty)") + " is not a "
                                     "position or lot")
        lot = lot[t.index]
        if lot.any() and not t.has("open"):
            t = t.drop(lot, "lot row without an Open date (the statement was run without lot "
                            "detail)")
            lot = lot[t.index]
        t = t.drop(t["quantity"].lt(0), "short position: short positions are not supported")
        if t.empty:
            continue
        t, factor = _position_currency(st, ctx, t, "position")
        t = _accounts(ctx, t)
        if t.empty:
            continue
        acquired, bad = clean.parse_dates(_open_date(t["open"]))
        lot, factor = lot[t.index], factor[t.index]
        t = t.drop(lot & bad.notna(), "cannot read Open " + t["open"].str.strip().map(repr) +
                   ": " + bad)
        t = t.drop(lot[t.index] & acquired[t.index].isna(), "a lot has no Open date")
        lot, factor, acquired = lot[t.index], factor[t.index], acquired[t.index]
        sym = t["symbol"]
        value = t["value"] * factor
        basis = t["cost_basis"] * factor
        price = t["close_price"] * factor
        desc = t["description"]
        desc = desc.where(desc.notna(), sym.map(ctx.instruments["description"]))
        asset = t["asset"]
        full = pd.DataFrame({
            "account": t["account"], "symbol": sym,
            "cusip": sym.map(ctx.instruments["cusip"]).astype("str"),
            "description": desc.astype("str"), "quantity": t["quantity"], "price": price,
            "market_value": value, "cost_basis": basis,
            "security_type": ib.security_type(asset.fillna("")).where(asset.notna()),
            **t.source(st.path),
        })
        pos_frames.append(full[~lot])
        if lot.any():
            lt = t.take(lot)
            lot_frames.append((pd.DataFrame({
                "account": lt["account"], "symbol": lt["symbol"], "quantity": lt["quantity"],
                "cost_basis": basis[lot], "acquired": acquired[lot],
                "holding_start": pd.Series(pd.NaT, index=lt.index, dtype=DATE_DTYPE),
                "term": ib.term_from_code(lt["code"]),
                "wash_sale_disallowed": np.nan,
                "lot_id": st.name + ":" + lt.line.astype("str"),
                **lt.source(st.path),
            }), full[lot], lt))
    positions = pd.concat(pos_frames, ignore_index=True) if pos_frames else POSITIONS.empty()
    if saw_summary:
        # lots of a holding with no Summary row, in a statement that writes Summary rows, are
        # reported: a damaged symbol must not make up a holding
        keys = set(positions["account"] + "\x1f" + positions["symbol"])
        kept = []
        for lots_df, lot_pos, lt in lot_frames:
            orphan = ~(lots_df["account"] + "\x1f" + lots_df["symbol"]).isin(keys)
            lt.report(orphan, "Lot row with no Summary row for its holding, in a statement "
                              "that has Summary rows: not loaded")
            kept.append((lots_df[~orphan], lot_pos[~orphan], lt))
        lot_frames = [f for f in kept if len(f[0])]
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

def _trades(st: _Statement, ctx: _Context) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Trades as transactions, and the realised sales the Trades section states.

    A sale's ``ClosedLot`` rows (after its Order or Trade row) are its realised lots: the
    lot's open date, quantity, ``Basis`` (cost) and ``Realized P/L``, sold on the sale's date.
    A sale without them is one realised row: ``Proceeds`` + ``Comm/Fee`` (net proceeds),
    ``Basis`` and ``Realized P/L``, when it states either of the last two.
    """
    blocks = [blk for blk in st.blocks if blk.section.casefold() == "trades"]
    tables = []
    for block in blocks:
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        tables.append(_table(st, block, TRADE_SPEC, rows))
    if not tables:
        return [], []
    has_orders = any(t["disc"].str.casefold().eq("order").any() for t in tables)
    out, realized = [], []
    for t in tables:
        disc = t["disc"].str.casefold()
        order = disc.eq("order").fillna(False)
        execution = disc.eq("trade").fillna(False)
        closed = disc.eq("closedlot").fillna(False)
        if has_orders:
            t = t.drop(execution, "execution detail of an order row (the order is loaded)")
            load = order[t.index]
        else:
            load = execution
        closed = closed[t.index]
        t = t.drop(~(load | closed), "row kind " + t["disc"].fillna("(empty)") +
                   " is not a trade")
        load, closed = load[t.index], closed[t.index]
        # each closed lot belongs to the trade row above it
        parent = pd.Series(t.index.to_numpy(), index=t.index, dtype="float64").where(
            load).ffill()
        t = t.drop(closed & parent.isna(), "closed lot with no trade above it")
        load, closed, parent = load[t.index], closed[t.index], parent[t.index]
        forex = t["asset"].str.casefold().eq("forex").fillna(False)
        t = t.drop(load & forex, "currency conversion (" + t["symbol"].fillna("") +
                   "): not a security trade")
        t = t.drop(closed & forex, "closed lot of a currency conversion: not a security")
        t = _transaction_currency(t, "trade")
        t = _accounts(ctx, t)
        load, closed, parent = load[t.index], closed[t.index], parent[t.index]
        if t.empty:
            continue
        trades = t.take(load)
        qty = trades["quantity"]
        proceeds, comm = trades["proceeds"], trades["comm"]
        tokens = trades["code"].fillna("").str.upper().str.split(r"[;,\s]+", regex=True)
        reinvest = tokens.map(lambda tok: "R" in tok).astype(bool)
        action = pd.Series(Action.OTHER.value, index=trades.index, dtype="str")
        action = action.mask(qty > 0, Action.BUY.value).mask((qty > 0) & reinvest,
                                                             Action.REINVEST.value)
        action = action.mask(qty < 0, Action.SELL.value)
        symbol = trades["symbol"]
        net = proceeds + comm.fillna(0.0)
        out.append(pd.DataFrame({
            "date": trades["datetime"],
            "settle_date": pd.Series(pd.NaT, index=trades.index, dtype=DATE_DTYPE),
            "account": trades["account"],
            "action": action,
            "action_text": (trades["disc"].fillna("") + " " +
                            trades["code"].fillna("")).str.strip(),
            "symbol": symbol,
            "description": symbol.map(ctx.instruments["description"]).astype("str"),
            "quantity": qty,
            "price": trades["price"],
            "amount": net,
            "fees": comm.abs(),
            **trades.source(st.path),
        }))
        realized.extend(_realized(st, t, load, closed, parent, net))
    return out, realized


def _realized(st: _Statement, t: b.Table, load: pd.Series, closed: pd.Series,
              parent: pd.Series, net: pd.Series) -> list[pd.DataFrame]:
    """Realised sales of one Trades table (see :func:`_trades`)."""
    sell = load & t["quantity"].lt(0)
    parent_sells = closed & parent.isin(t.index[sell])
    orphan = closed & ~parent.isin(t.index)
    t.report(orphan, "closed lot of a trade that was not loaded (see the trade's own row)")
    t.report(closed & ~parent_sells & ~orphan,
             "closed short lot: short positions are not supported")
    frames = []
    lots = t.take(parent_sells)
    if not lots.empty:
        sale = parent[lots.index].astype("int64").to_numpy()
        frames.append(b.realized_frame(
            lots.index, account=lots["account"],
            symbol=pd.Series(t["symbol"].loc[sale].to_numpy(), index=lots.index, dtype="str"),
            quantity=lots["quantity"].abs(), acquired=lots["datetime"],
            sold=pd.Series(t["datetime"].loc[sale].to_numpy(), index=lots.index),
            cost_basis=lots["basis"].abs(), gain=lots["realized"],
            term=ib.term_from_code(lots["code"]), source=lots.source(st.path),
            notes=st.notes))
    with_lots = set(parent[parent_sells].astype("int64"))
    alone = sell & ~pd.Series(t.index.isin(list(with_lots)), index=t.index) & \
        (t["basis"].notna() | t["realized"].notna())
    sales = t.take(alone)
    if not sales.empty:
        frames.append(b.realized_frame(
            sales.index, account=sales["account"], symbol=sales["symbol"],
            quantity=sales["quantity"].abs(), sold=sales["datetime"],
            proceeds=net[sales.index], cost_basis=sales["basis"].abs(),
            gain=sales["realized"], source=sales.source(st.path), notes=st.notes,
            what="sale"))
    return [f for f in frames if len(f)]


def _cash_sections(st: _Statement, ctx: _Context) -> list[pd.DataFrame]:
    out = []
    for block in st.blocks:
        key = block.section.casefold()
        if key not in _CASH_SECTIONS:
            continue
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        t = _table(st, block, CASH_SPEC, rows)
        t = _transaction_currency(t, _CASH_WHAT[key])
        t = _accounts(ctx, t)
        if t.empty:
            continue
        date, amount, desc = t["date"], t["amount"], t["description"]
        fixed = _CASH_SECTIONS[key]
        if fixed is None:  # deposits and withdrawals
            action = pd.Series(Action.CONTRIBUTION.value, index=t.index, dtype="str").mask(
                amount < 0, Action.WITHDRAWAL.value)
            symbol = pd.Series(None, index=t.index, dtype="str")
        else:
            action = pd.Series(fixed.value, index=t.index, dtype="str")
            if fixed is Action.INTEREST:
                action = action.mask(amount < 0, Action.FEE.value)
            if fixed is Action.DIVIDEND:
                action = action.mask(desc.str.contains("capital gain", case=False).fillna(False),
                                     Action.CAPITAL_GAIN.value)
            symbol = clean.symbol(ib.symbol_from_description(desc.fillna("")))
        text = t["subtitle"]
        out.append(pd.DataFrame({
            "date": date,
            "settle_date": date if key == "deposits & withdrawals" else
            pd.Series(pd.NaT, index=t.index, dtype=DATE_DTYPE),
            "account": t["account"],
            "action": action,
            "action_text": text.where(text.notna(), block.section),
            "symbol": symbol,
            "description": desc,
            "quantity": np.nan,
            "price": np.nan,
            "amount": amount,
            "fees": np.nan,
            **t.source(st.path),
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
        t = _table(st, block, CORPORATE_SPEC, rows)
        t = _transaction_currency(t, "corporate action")
        t = _accounts(ctx, t)
        date = t["datetime"].where(t["datetime"].notna(), t["report_date"])
        t = t.drop(date.isna(), "a row has no date")
        if t.empty:
            continue
        date = date[t.index]
        desc = t["description"]
        split = desc.str.contains(r"\bsplit\b", case=False).fillna(False)
        out.append(pd.DataFrame({
            "date": date,
            "settle_date": pd.Series(pd.NaT, index=t.index, dtype=DATE_DTYPE),
            "account": t["account"],
            "action": pd.Series(Action.OTHER.value, index=t.index, dtype="str").mask(
                split, Action.SPLIT.value),
            "action_text": block.section,
            "symbol": clean.symbol(ib.symbol_from_description(desc.fillna(""))),
            "description": desc,
            "quantity": t["quantity"],
            "price": np.nan,
            "amount": t["proceeds"],
            "fees": np.nan,
            **t.source(st.path),
        }))
    return out


def _cash_report(st: _Statement, ctx: _Context) -> pd.DataFrame:
    """The Ending Cash of each currency (in dollars) as one cash position per account.

    A currency's ending cash given twice (the Cash Report present twice) is counted once:
    the repeat is reported in ``skipped``.
    """
    frames = []
    seen: dict[tuple[str, str], tuple[int, float]] = {}
    for block in st.blocks:
        if block.section.casefold() != "cash report":
            continue
        if _headerless(st, block, [r for r in block.rows if r.cells[1].strip() == "Data"]):
            continue
        rows = [r for r in block.rows if r.cells[1].strip() == "Data"]
        if not rows:
            continue
        t = _table(st, block, CASH_REPORT_SPEC, rows,
                   context={"account": st.account, "symbol": ib.CASH_SYMBOL})
        # only the Ending Cash rows are balances (the others explain how it moved)
        t = t.take(t["line_item"].str.casefold().eq("ending cash").fillna(False))
        t = t.drop(t["total"].isna(), "the cash row has no total")
        summary = t["currency"].str.casefold().str.startswith("base currency").fillna(False)
        t = t.drop(summary, "cash report summary in the base currency: the per-currency rows "
                            "are used")
        t = _accounts(ctx, t)
        if t.empty:
            continue
        t, factor = _position_currency(st, ctx, t, "cash balance")
        if t.empty:
            continue
        repeat = pd.Series(False, index=t.index)
        reasons = pd.Series(None, index=t.index, dtype="str")
        for i, acc, cur, v, line in zip(t.index, t["account"], t["currency"].str.upper(),
                                        t["total"], t.line, strict=True):
            first = seen.get((acc, cur))
            if first is None:
                seen[(acc, cur)] = (int(line), float(v))
                continue
            repeat[i] = True
            reasons[i] = ("cash balance repeated (the Cash Report given twice): counted once"
                          if abs(first[1] - v) < 0.005 else
                          f"cash balance given again with a different amount ({v:,.2f} here); "
                          f"only line {first[0]} is loaded")
        t = t.drop(repeat, reasons)
        value = t["total"] * factor[t.index]
        cash = pd.DataFrame({"account": t["account"], "value": value,
                             "line": t.line}).groupby("account", sort=False).agg(
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
    """List the sections this toolkit does not read.

    Rows of a section that has no header (a damaged section name) are not structure but
    unreadable rows: they are reported in ``skipped``.
    """
    counts = Counter()
    for block in st.blocks:
        if block.section.casefold() in read:
            continue
        if block.header is None and not block.fields:
            for r in block.rows:
                st.skip.add(r.line, f"row of a section {block.section!r} that has no header: it "
                            "cannot be read", r.raw)
            continue
        counts[block.section] += len(block.rows)
    if counts:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))
        st.notes.append(f"sections not read (structure for this toolkit): {listed}")


_DATA_SECTIONS = {"open positions", "long open positions", "short open positions", "trades",
                  "corporate actions", "cash report", *_CASH_SECTIONS}


def _require_sections(st: _Statement, wanted: set[str], what: str) -> None:
    """Refuse a file with none of the sections this loader reads: it is not that report."""
    if any(blk.section.casefold() in wanted for blk in st.blocks):
        return
    seen = sorted({blk.section for blk in st.blocks})
    raise FormatError(f"no {what} section (found {', '.join(seen) or 'none'}); the file is "
                      "not this report or has lost its section headers", path=st.name, line=1)


def load(s: Sniff, options: dict) -> Export:
    """Load an IBKR Activity Statement CSV (see module docstring)."""
    skip = SkipLog(s.path)
    st = _read(s.text, skip)
    _require_sections(st, _DATA_SECTIONS, "Open Positions, Trades, cash or Cash Report")
    ctx = _context(st, options)
    positions, lots = _positions(st, ctx)
    cash = _cash_report(st, ctx)
    if len(cash):
        positions = pd.concat([positions, cash], ignore_index=True) if len(positions) else cash
    trades, sales = _trades(st, ctx)
    tx = [f for f in (*trades, *_cash_sections(st, ctx), *_corporate_actions(st, ctx))
          if len(f)]
    transactions = pd.concat(tx, ignore_index=True).sort_values(
        "source_line", kind="stable").reset_index(drop=True) if tx else TRANSACTIONS.empty()
    realized = pd.concat(sales, ignore_index=True).sort_values(
        "source_line", kind="stable") if sales else REALIZED.empty()
    if any(blk.section.casefold() == "cash report" for blk in st.blocks):
        st.notes.append("Cash Report: only the Ending Cash rows are read")
    _note_unread(st, _READ_SECTIONS)
    return Export(path=s.path, format=FORMAT, custodian=ib.CUSTODIAN, positions=positions,
                  lots=lots, transactions=transactions, realized=realized,
                  skipped=skip.frame(),
                  accounts=_account_frame(st, ctx, [positions, transactions]),
                  as_of=_as_of(st), notes=st.notes)


# --- Transaction History -----------------------------------------------------------------------

def load_history(s: Sniff, options: dict) -> Export:
    """Load an IBKR Transaction History CSV (see module docstring)."""
    skip = SkipLog(s.path)
    st = _read(s.text, skip)
    _require_sections(st, {"transaction history"}, "Transaction History")
    st.account = str(options["account"]) if options.get("account") else None
    base = st.field("Summary", "Base Currency")
    base = base.upper() if base else None
    frames = []
    for block in st.blocks:
        if block.section.casefold() != "transaction history":
            continue
        rows = _data_rows(st, block)
        if _headerless(st, block, rows):
            continue
        t = _table(st, block, HISTORY_SPEC, rows)
        if base not in (None, "USD"):
            t.drop(pd.Series(True, index=t.index),
                   f"amounts in {base}: the toolkit works in US dollars and a Transaction "
                   "History reports amounts in the account's base currency")
            continue
        frames.append(_history_rows(st, t, options))
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


def _history_rows(st: _Statement, t: b.Table, options: dict) -> pd.DataFrame:
    if t.empty:
        return TRANSACTIONS.empty()
    if options.get("account"):
        t.values["account"] = t["account"].fillna(str(options["account"]))
        t.context["account"] = str(options["account"])
    t = t.drop(t["account"].isna(), "the row names no account; pass account= to load_export")
    kind, net, desc = t["type"], t["net"], t["description"]
    key = kind.str.casefold()
    trade = key.map({k: v.value for k, v in _HISTORY_ACTIONS.items()})
    # a buy or sell without its shares (no Quantity column, or an empty cell) would move cash
    # with no shares: such a row is reported, never loaded with a missing quantity
    no_shares = trade.notna() & t["quantity"].isna()
    why = ("a " + key + " without a quantity: the file has no Quantity column" if not
           t.has("quantity") else "a " + key + " with an empty Quantity")
    t = t.drop(no_shares, why)
    kind, net, desc, key = t["type"], t["net"], t["description"], key[t.index]
    qty, price = t["quantity"], t["price"]
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
        st.notes.append(f"unknown transaction types kept as 'other' without a quantity (what "
                        f"the shares did is not known): {listed}")
        qty = qty.mask(unknown)
    buy, sell = action.eq(Action.BUY.value), action.eq(Action.SELL.value)
    qty = qty.where(~buy, qty.abs()).where(~sell, -qty.abs())
    # quantities of currency conversions are currency units, not shares
    forex = key.eq("forex trade component").fillna(False)
    qty = qty.where(~forex)
    price = price.where(~forex)
    pcur = t["price_currency"].str.upper()
    foreign = pcur.notna() & pcur.ne("USD")
    if foreign.any():
        price = price.where(~foreign, price * t["rate"])
    return pd.DataFrame({
        "date": t["date"],
        "settle_date": pd.Series(pd.NaT, index=t.index, dtype=DATE_DTYPE),
        "account": t["account"],
        "action": action,
        "action_text": kind,
        "symbol": t["symbol"].where(~forex),
        "description": desc,
        "quantity": qty,
        "price": price,
        "amount": net,
        "fees": t["commission"].abs(),
        **t.source(st.path),
    })


FORMATS = [
    FormatSpec(FORMAT, ib.CUSTODIAN, "Interactive Brokers Activity Statement CSV",
               ("text",), detect, load, priority=30),
    FormatSpec(FORMAT_HISTORY, ib.CUSTODIAN, "Interactive Brokers Transaction History CSV",
               ("text",), detect_history, load_history, priority=30),
]
