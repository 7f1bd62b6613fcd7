"""Interactive Brokers Flex Query XML: positions, lots, trades, cash transactions, closed lots.

Layout (FORMATS.md 4b; field inventory from ``ibflex/Types.py``): ``<FlexQueryResponse>``
holding ``<FlexStatements>``, one ``<FlexStatement accountId fromDate toDate whenGenerated>``
per account, each holding sections of data elements whose values are attributes. A bare
section (``<OpenPositions><OpenPosition .../></OpenPositions>``, as in the ibflex tests) is
read too. The XML is parsed with ``defusedxml``: a file that declares a DTD or entities (an
entity-expansion bomb, an external entity) raises :class:`~toolkit.errors.FormatError` and is
never expanded; a file cut off mid-element raises naming the line expat stopped at.

Sections read
-------------
``OpenPositions``
    ``levelOfDetail="SUMMARY"`` rows are positions (``position`` shares, ``markPrice``,
    ``positionValue``, ``costBasisMoney``); ``levelOfDetail="LOT"`` rows are lots
    (``openDateTime`` -> acquired, ``holdingPeriodDateTime`` -> holding_start,
    ``costBasisMoney`` -> cost_basis, ``originatingTransactionID`` or
    ``originatingOrderID`` -> lot_id, ``ST``/``LT`` codes -> term). A symbol with LOT rows but
    no SUMMARY row gets a position summed from its lots (a note says so). Short positions and
    lots (negative ``position`` or ``side="Short"``) are skipped.
``Trades``
    ``<Trade>`` executions are transactions (trade date, ``buySell``, signed quantity,
    ``tradePrice``, ``netCash`` as the amount, ``ibCommission`` + ``taxes`` as fees; notes
    code ``R`` marks a dividend reinvestment). ``<Order>`` rows are loaded only when the
    statement has no executions. Closed lots (``<Lot>`` or ``levelOfDetail="CLOSED_LOT"``) of
    long positions go to ``realized``. Symbol/asset summaries, wash-sale rows and currency
    conversions (``assetCategory="CASH"``) are skipped with reasons.
``CashTransactions``
    Dividends, payments in lieu, withholding tax, interest, deposits and withdrawals, fees
    and commission adjustments (see :data:`toolkit.io._ibkr.CASH_ACTIONS`); other types are
    ``other`` with a note. ``SUMMARY`` rows are skipped.
``CorporateActions``
    Forward/reverse splits and stock dividends (``FS``, ``FI``, ``RS``, ``SD``) are ``split``
    rows; other actions are ``other``.
``CashReport`` (else ``FxPositions``)
    The ending USD cash is a cash position (symbol ``CASH``). These rows carry no
    ``fxRateToBase``, so cash in other currencies is skipped with a reason; the
    ``BASE_SUMMARY`` row (all currencies in the base currency) is skipped too.

Other sections (``AccountInformation`` gives the account name and base currency;
``NetStockPositionSummary``, ``PriorPeriodPositions``, ``ChangeInNAV``...) are structure for
this toolkit: a note lists them.

Dates
-----
A Flex query writes every date in one configurable form: ``yyyyMMdd``, ``yyyy-MM-dd``,
``MM/dd/yyyy``, ``dd/MM/yyyy``, ``MM/dd/yy``, ``dd/MM/yy`` or ``dd-MMM-yy``, with an optional
time after ``;``, ``,``, a space or nothing. The form is sniffed over the whole file; pass
``date_format="dd/MM/yyyy"`` (IBKR's notation) to ``load_export`` when the file cannot tell
(every day and month at most 12), otherwise such a file raises a FormatError asking for it.

Currency
--------
The toolkit works in US dollars. USD rows load as they are. A row in another currency is
converted with its ``fxRateToBase`` only when the statement's base currency
(``AccountInformation@currency``, else inferred from USD rows whose rate is exactly 1) is
USD; otherwise it is skipped with a reason naming the currency.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from toolkit.errors import FormatError, MissingColumnError
from toolkit.schema import DATE_DTYPE, LOTS, POSITIONS, REALIZED, TRANSACTIONS, Action

from . import _clean as clean
from . import _ibkr as ib
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import shorten

FORMAT = "ibkr_flex_xml"

_STATEMENT_ROOTS = ("FlexQueryResponse", "FlexStatements", "FlexStatement")
#: Bare sections that may be a file's root, with the element that proves them Flex.
_BARE_SECTIONS = {"OpenPositions": b"<OpenPosition ", "Trades": b"<Trade ",
                  "CashTransactions": b"<CashTransaction ",
                  "CorporateActions": b"<CorporateAction "}
_TRADE_TAGS = ("Trade", "Order", "Lot", "SymbolSummary", "AssetSummary", "WashSale")
_CASH_TAGS = ("CashReportCurrency", "FxPosition", "FxLot")
_READ_TAGS = frozenset(("OpenPosition", *_TRADE_TAGS, "CashTransaction", "CorporateAction",
                        *_CASH_TAGS, "AccountInformation"))
_SPLIT_TYPES = {"FS", "FI", "RS", "SD"}
_DATE_ATTRS = ("reportDate", "tradeDate", "dateTime", "openDateTime", "holdingPeriodDateTime",
               "settleDateTarget", "settleDate", "date", "fromDate", "toDate", "whenGenerated")
_NOT_DATES = frozenset({"MULTI", "-", "--", "N/A"})


# --- detection ---------------------------------------------------------------------------------

_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_TAG = re.compile(rb"<([!?]?)([A-Za-z_][\w.:-]*)")


def _root(head: bytes) -> str | None:
    for m in _TAG.finditer(_COMMENT.sub(b"", head)):
        if not m.group(1):
            return m.group(2).decode("ascii", "replace")
    return None


def detect(s: Sniff) -> bool:
    """A Flex root element (``FlexQueryResponse``...) or a bare Flex section."""
    root = _root(s.head)
    if root in _STATEMENT_ROOTS:
        return True
    return root in _BARE_SECTIONS and _BARE_SECTIONS[root] in s.head


# --- parsing -----------------------------------------------------------------------------------

class _Collector:
    """Parser target: keeps every data element with its start-tag line and statement."""

    def __init__(self) -> None:
        self.xml: DefusedXMLParser | None = None
        self.stack: list[str] = []
        self.statements: list[tuple[dict, int]] = []
        self.records: dict[str, list[tuple[dict, int, int, str]]] = defaultdict(list)

    def start(self, tag, attrib):
        line = self.xml.parser.CurrentLineNumber
        if tag == "FlexStatement":
            self.statements.append((dict(attrib), line))
        elif attrib and tag not in ("FlexQueryResponse", "FlexStatements"):
            parent = self.stack[-1] if self.stack else ""
            self.records[tag].append((dict(attrib), line, len(self.statements) - 1, parent))
        self.stack.append(tag)

    def end(self, tag):
        self.stack.pop()

    def data(self, text):
        pass

    def close(self):
        return None


def _parse(path: Path, data: bytes) -> _Collector:
    target = _Collector()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    target.xml = parser
    # Flex tags and attributes carry no namespaces: expat's element events go straight to the
    # collector (ElementTree's per-attribute name fixing is the slow part); the defused DTD
    # and entity handlers stay in place.
    expat_parser = parser.parser
    expat_parser.ordered_attributes = False
    expat_parser.StartElementHandler = target.start
    expat_parser.EndElementHandler = target.end
    expat_parser.CharacterDataHandler = None
    try:
        parser.feed(data)
        parser.close()
    except DefusedXmlException as exc:
        raise FormatError(
            f"the XML declares a DTD or entities ({type(exc).__name__}); Flex files never do, "
            "and expanding them could be an entity-expansion bomb or read other files, so the "
            "file was not loaded", path=path.name, line=parser.parser.CurrentLineNumber) from exc
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FormatError(
            f"not well-formed XML ({expat.ErrorString(exc.code)}); the file looks truncated "
            "or damaged", path=path.name, line=line) from exc
    return target


# --- dates -------------------------------------------------------------------------------------

_TAIL = r"(?=$|[;, T]|\d{6}$|\d\d:\d\d:\d\d$)"
_SHAPES = {
    "ymd": re.compile(r"^(\d{8})" + _TAIL),
    "iso": re.compile(r"^(\d{4}-\d{2}-\d{2})" + _TAIL),
    "slash4": re.compile(r"^((\d{2})/(\d{2})/\d{4})" + _TAIL),
    "slash2": re.compile(r"^((\d{2})/(\d{2})/\d{2})" + _TAIL),
    "mon": re.compile(r"^(\d{2}-[A-Za-z]{3}-\d{2})" + _TAIL),
}
#: Flex date formats (IBKR's notation) -> (shape, strftime format).
DATE_FORMATS = {
    "yyyyMMdd": ("ymd", "%Y%m%d"),
    "yyyy-MM-dd": ("iso", "%Y-%m-%d"),
    "MM/dd/yyyy": ("slash4", "%m/%d/%Y"),
    "dd/MM/yyyy": ("slash4", "%d/%m/%Y"),
    "MM/dd/yy": ("slash2", "%m/%d/%y"),
    "dd/MM/yy": ("slash2", "%d/%m/%y"),
    "dd-MMM-yy": ("mon", "%d-%b-%y"),
}
_DEFAULT_FORMAT = {"ymd": "yyyyMMdd", "iso": "yyyy-MM-dd", "mon": "dd-MMM-yy"}


@dataclass
class _Dates:
    """The file's one date form, sniffed (or given) and applied to every date attribute."""

    path: str
    name: str | None = None  # IBKR notation, e.g. "yyyy-MM-dd"; None when the file has no dates

    @classmethod
    def sniff(cls, path: str, values: pd.Series, lines: pd.Series,
              given: str | None) -> _Dates:
        values = values.str.strip()
        keep = values.notna() & (values != "") & ~values.isin(_NOT_DATES)
        order = lines[keep].sort_values(kind="stable").index  # file order: first is earliest
        values = values[order].drop_duplicates()  # the first occurrence names the line
        lines = lines[values.index]
        shape = pd.Series(None, index=values.index, dtype="str")
        for name, rx in _SHAPES.items():
            hit = shape.isna() & values.str.match(rx).fillna(False)
            shape = shape.mask(hit, name)

        def fail(mask, message):
            i = mask[mask].index[0]
            return FormatError(message.format(value=values[i]), path=path,
                               line=int(lines[i]), column=None)

        if shape.isna().any():
            raise fail(shape.isna(), "expected a Flex date, found {value!r}")
        if given is not None:
            if given not in DATE_FORMATS:
                raise FormatError(f"unknown date_format {given!r}; use one of "
                                  f"{', '.join(DATE_FORMATS)}", path=path)
            want = DATE_FORMATS[given][0]
            if (shape != want).any():
                raise fail(shape != want, "date {value!r} does not match date_format="
                           + repr(given))
            return cls(path, given)
        if shape.empty:
            return cls(path, None)
        first = shape.iloc[0]
        if (shape != first).any():
            raise fail(shape != first, "dates in more than one format (first "
                       f"{values.iloc[0]!r}, then {{value!r}}); a Flex query writes one")
        if first in _DEFAULT_FORMAT:
            return cls(path, _DEFAULT_FORMAT[first])
        parts = values.str.extract(_SHAPES[first])
        a, b = parts[1].astype(int), parts[2].astype(int)
        dayfirst, monthfirst = a > 12, b > 12
        suffix = "yyyy" if first == "slash4" else "yy"
        if dayfirst.any() and monthfirst.any():
            raise fail(monthfirst, f"dates read both as dd/MM/{suffix} (first "
                       f"{values[dayfirst].iloc[0]!r}) and as MM/dd/{suffix} ({{value!r}})")
        if dayfirst.any():
            return cls(path, f"dd/MM/{suffix}")
        if monthfirst.any():
            return cls(path, f"MM/dd/{suffix}")
        raise fail(pd.Series(True, index=values.index),
                   "the file's dates (such as {value!r}) could be month-first or day-first; "
                   f"pass date_format='MM/dd/{suffix}' or date_format='dd/MM/{suffix}' "
                   "to load_export")

    def parse(self, s: pd.Series, *, column: str, lines: pd.Series) -> pd.Series:
        """Dates (at midnight) from raw attribute values; missing stays missing."""
        raw = s.astype("str").str.strip()
        present = raw.notna() & (raw != "") & ~raw.isin(_NOT_DATES)
        if not present.any() or self.name is None:
            return pd.Series(pd.NaT, index=s.index, dtype=DATE_DTYPE)
        shape, fmt = DATE_FORMATS[self.name]
        # parse each distinct value once (dates repeat), then map back to the rows
        first = raw[present].drop_duplicates()
        token = first.str.extract(_SHAPES[shape], expand=True)[0].astype("str")
        where = clean.Where(self.path, lines)
        bad = token.isna()
        if bad.any():
            i = bad[bad].index[0]
            raise where.error(i, column, f"expected a date, found {raw[i]!r}")
        got = clean.date(token, column=column, where=where, dayfirst_form=fmt)
        lookup = pd.Series(got.to_numpy(), index=first.to_numpy())
        out = raw.where(present).map(lookup)
        return out.astype(DATE_DTYPE)


# --- frames ------------------------------------------------------------------------------------

@dataclass
class _Ctx:
    path: Path
    skip: SkipLog
    notes: list[str]
    dates: _Dates
    options: dict
    statements: list[dict]
    base: dict[int, str | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name


def _frame(tag: str, records: list[tuple[dict, int, int, str]]) -> pd.DataFrame:
    df = pd.DataFrame.from_records([r[0] for r in records])
    df = df.astype({c: "str" for c in df.columns})
    df["line"] = np.fromiter((r[1] for r in records), dtype="int64", count=len(records))
    df["stmt"] = np.fromiter((r[2] for r in records), dtype="int64", count=len(records))
    df["tag"] = tag
    df["_attrs"] = pd.Series([r[0] for r in records], dtype=object)
    return df


def _attr(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(None, index=df.index, dtype="str")


def _text(df: pd.DataFrame, name: str) -> pd.Series:
    return clean.text(_attr(df, name))


def _where(ctx: _Ctx, df: pd.DataFrame) -> clean.Where:
    return clean.Where(ctx.name, df["line"])


def _num(ctx: _Ctx, df: pd.DataFrame, name: str) -> pd.Series:
    return clean.number(_attr(df, name), column=name, where=_where(ctx, df))


def _date(ctx: _Ctx, df: pd.DataFrame, *names: str) -> pd.Series:
    out = pd.Series(pd.NaT, index=df.index, dtype=DATE_DTYPE)
    for name in names:
        if name in df.columns:
            got = ctx.dates.parse(df[name], column=name, lines=df["line"])
            out = out.where(out.notna(), got)
    return out


def _require(ctx: _Ctx, df: pd.DataFrame, *alternatives: str) -> None:
    """Raise MissingColumnError when none of ``alternatives`` is an attribute of the rows."""
    if df.empty or any(a in df.columns for a in alternatives):
        return
    tag = df["tag"].iloc[0]
    wanted = " or ".join(alternatives)
    raise MissingColumnError(
        f"<{tag}> elements have no {wanted} attribute; add it to the Flex query",
        path=ctx.name, line=int(df["line"].iloc[0]), column=alternatives[0])


def _no_missing(ctx: _Ctx, df: pd.DataFrame, values: pd.Series, column: str,
                what: str) -> None:
    bad = values.isna()
    if bad.any():
        i = bad[bad].index[0]
        raise FormatError(f"<{df.at[i, 'tag']}> has no {what}", path=ctx.name,
                          line=int(df.at[i, "line"]), column=column)


def _row_text(attrs: dict, tag: str) -> str:
    return f"<{tag} " + " ".join(f'{k}="{v}"' for k, v in attrs.items() if v != "") + "/>"


def _skip(ctx: _Ctx, df: pd.DataFrame, mask: pd.Series, reason: str | pd.Series) -> None:
    """Report the rows of ``df`` under ``mask`` as skipped."""
    if not mask.any():
        return
    rows = df[mask]
    reasons = reason[mask] if isinstance(reason, pd.Series) else pd.Series(reason,
                                                                           index=rows.index)
    for line, attrs, tag, why in zip(rows["line"], rows["_attrs"], rows["tag"], reasons,
                                     strict=True):
        ctx.skip.add(int(line), str(why), shorten(_row_text(attrs, tag)))


def _accounts(ctx: _Ctx, df: pd.DataFrame) -> pd.Series:
    acc = _text(df, "accountId")
    if acc.isna().any():
        ids = np.array([st.get("accountId") for st in ctx.statements] + [None], dtype=object)
        stmt_acc = pd.Series(ids[df["stmt"].to_numpy()], index=df.index, dtype="str")
        acc = acc.where(acc.notna(), clean.text(stmt_acc))
    if ctx.options.get("account"):
        acc = acc.fillna(str(ctx.options["account"]))
    if acc.isna().any():
        i = acc[acc.isna()].index[0]
        raise FormatError("the row names no account (no accountId here or on its "
                          "FlexStatement); pass account= to load_export", path=ctx.name,
                          line=int(df.at[i, "line"]), column="accountId")
    return acc.astype("str")


def _currency(ctx: _Ctx, df: pd.DataFrame, what: str, *, currency_attr: str = "currency",
              rate: bool = True) -> tuple[pd.Series, pd.Series]:
    """Apply the currency rule: (rows to keep, multiplier to US dollars). Reports the rest."""
    cur = _text(df, currency_attr).str.upper()
    if cur.isna().any():
        ctx.notes.append(f"{int(cur.isna().sum())} {what} rows have no {currency_attr} "
                         "attribute; their amounts were taken as US dollars")
        cur = cur.fillna("USD")
    base = df["stmt"].map(ctx.base).astype("str")
    fx = _num(ctx, df, "fxRateToBase") if rate else pd.Series(np.nan, index=df.index)
    usd = cur.eq("USD")
    convert = ~usd & base.eq("USD").fillna(False) & fx.gt(0).fillna(False)
    factor = pd.Series(1.0, index=df.index).where(usd, fx).where(usd | convert)
    bad = ~(usd | convert)
    if bad.any():
        reasons = pd.Series([
            ib.currency_reason(what, c, b if isinstance(b, str) else None, pd.notna(f) and f > 0)
            for c, b, f in zip(cur[bad], base[bad], fx[bad], strict=True)], index=df.index[bad])
        _skip(ctx, df, bad, reasons.reindex(df.index))
    if convert.any():
        codes = ", ".join(sorted(cur[convert].unique()))
        ctx.notes.append(f"{int(convert.sum())} {what} rows in {codes} were converted to US "
                         "dollars with their fxRateToBase (the statement's base currency is USD)")
    return ~bad, factor


def _symbols(df: pd.DataFrame) -> pd.Series:
    sym = clean.symbol(_attr(df, "symbol"))
    return sym.where(sym.notna(), clean.cusips(_text(df, "cusip")))


def _cusip(df: pd.DataFrame) -> pd.Series:
    c = clean.cusips(_text(df, "cusip"))
    return c.where(c.notna(), clean.cusips(ib.cusip_from_isin(_text(df, "isin"))))


# --- open positions ----------------------------------------------------------------------------

def _open_positions(ctx: _Ctx, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if df.empty:
        return POSITIONS.empty(), LOTS.empty()
    _require(ctx, df, "symbol")
    _require(ctx, df, "position")
    lod = _text(df, "levelOfDetail").str.upper().fillna("SUMMARY")
    is_lot = lod.eq("LOT")
    if is_lot.any():
        _require(ctx, df[is_lot], "openDateTime")
    if (~is_lot).any():
        _require(ctx, df[~is_lot], "positionValue", "markPrice")
    qty = _num(ctx, df, "position")
    _no_missing(ctx, df, qty, "position", "position (quantity)")
    sym = _symbols(df)
    other = ~lod.isin(["SUMMARY", "LOT"])
    _skip(ctx, df, other, "OpenPosition with levelOfDetail " + lod.fillna("") +
          ": not a position or lot level the toolkit reads")
    short = ~other & (qty.lt(0) | _text(df, "side").str.casefold().eq("short").fillna(False))
    _skip(ctx, df, short & ~is_lot, "short position: short positions are not supported")
    _skip(ctx, df, short & is_lot, "short lot: short positions are not supported")
    nosym = ~other & ~short & sym.isna()
    _skip(ctx, df, nosym, "position has no symbol or CUSIP")
    live = ~(other | short | nosym)
    df, qty, sym, is_lot = df[live], qty[live], sym[live], is_lot[live]
    if df.empty:
        return POSITIONS.empty(), LOTS.empty()
    keep, factor = _currency(ctx, df, "position")
    df, qty, sym, is_lot, factor = df[keep], qty[keep], sym[keep], is_lot[keep], factor[keep]
    account = _accounts(ctx, df)
    price = _num(ctx, df, "markPrice") * factor
    mult = _num(ctx, df, "multiplier").fillna(1.0)
    value = _num(ctx, df, "positionValue") * factor
    value = value.where(value.notna(), qty * price * mult)
    basis = _num(ctx, df, "costBasisMoney") * factor
    common = {
        "account": account, "symbol": sym, "cusip": _cusip(df),
        "description": _text(df, "description"),
        "security_type": ib.security_type(_attr(df, "assetCategory")),
    }
    full = pd.DataFrame({**common, "quantity": qty, "price": price, "market_value": value,
                         "cost_basis": basis, "source_file": ctx.name,
                         "source_line": df["line"].astype("Int64")})
    positions = full[~is_lot]
    lot_rows = df[is_lot]
    lots = LOTS.empty()
    if len(lot_rows):
        acquired = _date(ctx, lot_rows, "openDateTime")
        _no_missing(ctx, lot_rows, acquired, "openDateTime", "openDateTime (acquired date)")
        lot_id = _text(lot_rows, "originatingTransactionID")
        lot_id = lot_id.where(lot_id.notna(), _text(lot_rows, "originatingOrderID"))
        lot_id = lot_id.where(lot_id.notna(), ctx.name + ":" + lot_rows["line"].astype("str"))
        lots = pd.DataFrame({
            "account": account[is_lot], "symbol": sym[is_lot], "quantity": qty[is_lot],
            "cost_basis": basis[is_lot], "acquired": acquired,
            "holding_start": _date(ctx, lot_rows, "holdingPeriodDateTime"),
            "term": ib.term_from_code(_text(lot_rows, "code")),
            "wash_sale_disallowed": np.nan, "lot_id": lot_id.astype("str"),
            "source_file": ctx.name, "source_line": lot_rows["line"].astype("Int64"),
        })
        positions = _positions_from_lots(ctx, positions, full[is_lot])
    return positions, lots


def _positions_from_lots(ctx: _Ctx, summary: pd.DataFrame, lot_pos: pd.DataFrame) -> pd.DataFrame:
    """Add positions summed from LOT rows for symbols without a SUMMARY row; note mismatches."""
    key_s = summary["account"] + "\x1f" + summary["symbol"]
    key_l = lot_pos["account"] + "\x1f" + lot_pos["symbol"]
    lacking = ~key_l.isin(set(key_s))
    if lacking.any():
        grouped = lot_pos[lacking].groupby(key_l[lacking], sort=False)
        derived = grouped.agg(
            account=("account", "first"), symbol=("symbol", "first"),
            cusip=("cusip", "first"), description=("description", "first"),
            security_type=("security_type", "first"),
            quantity=("quantity", "sum"), price=("price", "first"),
            market_value=("market_value", lambda v: v.sum(min_count=1)),
            cost_basis=("cost_basis", lambda v: v.sum(min_count=1)),
            source_file=("source_file", "first"), source_line=("source_line", "first"),
        ).reset_index(drop=True)
        syms = ", ".join(derived["symbol"].tolist()[:10])
        ctx.notes.append(f"{len(derived)} position(s) ({syms}) were summed from their LOT rows: "
                         "the file has no SUMMARY row for them")
        summary = pd.concat([summary, derived], ignore_index=True)
    both = key_l[~lacking]
    if len(both):
        lot_qty = lot_pos[~lacking].groupby(both)["quantity"].sum()
        sum_qty = summary.assign(k=key_s).groupby("k")["quantity"].sum()
        for k, q in lot_qty.items():
            if abs(q - sum_qty.get(k, q)) > 1e-6:
                account, symbol = k.split("\x1f")
                ctx.notes.append(f"{account} {symbol}: LOT rows sum to {q:g} shares but the "
                                 f"SUMMARY row says {sum_qty[k]:g}")
    return summary


# --- trades ------------------------------------------------------------------------------------

_LOD_BY_TAG = {"Trade": "EXECUTION", "Order": "ORDER", "Lot": "CLOSED_LOT",
               "SymbolSummary": "SYMBOL_SUMMARY", "AssetSummary": "ASSET_SUMMARY",
               "WashSale": "WASH_SALE"}


def _trades(ctx: _Ctx, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if df.empty:
        return TRANSACTIONS.empty(), REALIZED.empty()
    lod = _text(df, "levelOfDetail").str.upper()
    lod = lod.where(lod.notna(), df["tag"].map(_LOD_BY_TAG)).astype("str")
    summary = lod.isin(["SYMBOL_SUMMARY", "ASSET_SUMMARY"])
    _skip(ctx, df, summary, "trade summary row (" + lod + "): the executions are loaded")
    wash = lod.eq("WASH_SALE")
    _skip(ctx, df, wash, "wash-sale detail row: wash sales are computed by the toolkit")
    execs = lod.eq("EXECUTION")
    stmts_with_execs = set(df.loc[execs, "stmt"])
    orders = lod.eq("ORDER")
    order_dup = orders & df["stmt"].isin(stmts_with_execs)
    _skip(ctx, df, order_dup, "order row: its executions are loaded")
    closed = lod.eq("CLOSED_LOT")
    unknown = ~(summary | wash | execs | orders | closed)
    _skip(ctx, df, unknown, "trade row with levelOfDetail " + lod +
          ": not a level the toolkit reads")
    load = execs | (orders & ~order_dup)
    forex = (load | closed) & _text(df, "assetCategory").str.upper().eq("CASH").fillna(False)
    _skip(ctx, df, forex, "currency conversion (" + _text(df, "symbol").fillna("") +
          "): not a security trade")
    return (_executions(ctx, df[load & ~forex]), _closed_lots(ctx, df[closed & ~forex]))


def _executions(ctx: _Ctx, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return TRANSACTIONS.empty()
    _require(ctx, df, "symbol")
    _require(ctx, df, "quantity")
    _require(ctx, df, "tradeDate", "dateTime")
    _require(ctx, df, "netCash", "proceeds")
    keep, factor = _currency(ctx, df, "trade")
    df, factor = df[keep], factor[keep]
    if df.empty:
        return TRANSACTIONS.empty()
    date = _date(ctx, df, "tradeDate", "dateTime")
    _no_missing(ctx, df, date, "tradeDate", "trade date")
    qty = _num(ctx, df, "quantity")
    _no_missing(ctx, df, qty, "quantity", "quantity")
    bs_text = _text(df, "buySell")
    bs = bs_text.str.upper()
    cancel = bs.str.contains("(CA.)", regex=False).fillna(False) | \
        _text(df, "transactionType").str.contains("Cancel").fillna(False)
    buy = ~cancel & (bs.str.startswith("BUY").fillna(False) | (bs.isna() & qty.gt(0)))
    sell = ~cancel & (bs.str.startswith("SELL").fillna(False) | (bs.isna() & qty.lt(0)))
    # notes are ";"-separated codes; "R" marks a dividend reinvestment
    reinvest = buy & _text(df, "notes").str.contains(r"(?:^|;)\s*R\s*(?:;|$)",
                                                      regex=True).fillna(False)
    action = pd.Series(Action.OTHER.value, index=df.index, dtype="str")
    action = action.mask(buy, Action.BUY.value).mask(reinvest, Action.REINVEST.value)
    action = action.mask(sell, Action.SELL.value)
    qty = qty.where(~buy, qty.abs()).where(~sell, -qty.abs())
    commission = _num(ctx, df, "ibCommission")
    taxes = _num(ctx, df, "taxes")
    proceeds = _num(ctx, df, "proceeds")
    net = _num(ctx, df, "netCash")
    computed = proceeds + commission.fillna(0) + taxes.fillna(0)
    off = net.notna() & proceeds.notna() & (net - computed).abs().gt(0.01)
    if off.any():
        ctx.notes.append(f"{int(off.sum())} trade(s) have a netCash that differs from proceeds "
                         "+ ibCommission + taxes; netCash (IBKR's cash effect) was used")
    amount = net.where(net.notna(), computed)
    fees = commission.abs().fillna(0) + taxes.abs().fillna(0)
    fees = fees.where(commission.notna() | taxes.notna())
    com_cur = _text(df, "ibCommissionCurrency").str.upper()
    row_cur = _text(df, "currency").str.upper().fillna("USD")
    other_cur = com_cur.notna() & com_cur.ne(row_cur)
    if other_cur.any():
        fees = fees.where(~other_cur)
        ctx.notes.append(f"{int(other_cur.sum())} trade(s) pay commission in another currency "
                         "than the trade; their fees are left empty")
    return pd.DataFrame({
        "date": date,
        "settle_date": _date(ctx, df, "settleDateTarget"),
        "account": _accounts(ctx, df),
        "action": action,
        "action_text": bs_text,
        "symbol": _symbols(df),
        "description": _text(df, "description"),
        "quantity": qty,
        "price": _num(ctx, df, "tradePrice") * factor,
        "amount": amount * factor,
        "fees": fees * factor,
        "source_file": ctx.name,
        "source_line": df["line"].astype("Int64"),
    })


def _closed_lots(ctx: _Ctx, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return REALIZED.empty()
    _require(ctx, df, "symbol")
    _require(ctx, df, "quantity")
    _require(ctx, df, "tradeDate", "dateTime")
    bs = _text(df, "buySell").str.upper()
    short = bs.str.startswith("BUY").fillna(False)
    _skip(ctx, df, short, "closed short lot: short positions are not supported")
    df = df[~short]
    keep, factor = _currency(ctx, df, "closed lot")
    df, factor = df[keep], factor[keep]
    if df.empty:
        return REALIZED.empty()
    qty = _num(ctx, df, "quantity").abs()
    _no_missing(ctx, df, qty, "quantity", "quantity")
    sold = _date(ctx, df, "tradeDate", "dateTime")
    _no_missing(ctx, df, sold, "tradeDate", "trade date")
    basis = _num(ctx, df, "cost").abs() * factor
    gain = _num(ctx, df, "fifoPnlRealized") * factor
    codes = _text(df, "code").fillna("") + ";" + _text(df, "notes").fillna("")
    return pd.DataFrame({
        "account": _accounts(ctx, df),
        "symbol": _symbols(df),
        "quantity": qty,
        "acquired": _date(ctx, df, "openDateTime"),
        "sold": sold,
        "proceeds": basis + gain,
        "cost_basis": basis,
        "gain": gain,
        "term": ib.term_from_code(codes),
        "wash_sale_disallowed": np.nan,
        "source_file": ctx.name,
        "source_line": df["line"].astype("Int64"),
    })


# --- cash transactions and corporate actions ---------------------------------------------------

def _cash_transactions(ctx: _Ctx, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return TRANSACTIONS.empty()
    _require(ctx, df, "type")
    _require(ctx, df, "amount")
    _require(ctx, df, "dateTime", "date", "reportDate")
    lod = _text(df, "levelOfDetail").str.upper().fillna("DETAIL")
    summary = lod.eq("SUMMARY")
    _skip(ctx, df, summary, "cash transaction summary row: the DETAIL rows are loaded")
    df = df[~summary]
    keep, factor = _currency(ctx, df, "cash transaction")
    df, factor = df[keep], factor[keep]
    if df.empty:
        return TRANSACTIONS.empty()
    amount = _num(ctx, df, "amount")
    _no_missing(ctx, df, amount, "amount", "amount")
    date = _date(ctx, df, "dateTime", "date", "reportDate")
    _no_missing(ctx, df, date, "dateTime", "date")
    kind = _text(df, "type")
    desc = _text(df, "description")
    action, unknown = ib.cash_actions(kind.fillna(""), amount, desc)
    if unknown.any():
        counts = kind[unknown].fillna("(empty)").value_counts()
        listed = ", ".join(f"{k!r} ({v})" for k, v in counts.items())
        ctx.notes.append(f"unknown cash transaction types kept as 'other': {listed}")
    return pd.DataFrame({
        "date": date,
        "settle_date": _date(ctx, df, "settleDate"),
        "account": _accounts(ctx, df),
        "action": action,
        "action_text": kind,
        "symbol": clean.symbol(_attr(df, "symbol")),
        "description": desc,
        "quantity": np.nan,
        "price": np.nan,
        "amount": amount * factor,
        "fees": np.nan,
        "source_file": ctx.name,
        "source_line": df["line"].astype("Int64"),
    })


def _corporate_actions(ctx: _Ctx, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return TRANSACTIONS.empty()
    _require(ctx, df, "symbol")
    _require(ctx, df, "dateTime", "reportDate", "date")
    keep, factor = _currency(ctx, df, "corporate action")
    df, factor = df[keep], factor[keep]
    if df.empty:
        return TRANSACTIONS.empty()
    date = _date(ctx, df, "dateTime", "date", "reportDate")
    _no_missing(ctx, df, date, "dateTime", "date")
    kind = _text(df, "type").str.upper()
    action = pd.Series(Action.OTHER.value, index=df.index, dtype="str").mask(
        kind.isin(list(_SPLIT_TYPES)).fillna(False), Action.SPLIT.value)
    desc = _text(df, "actionDescription")
    desc = desc.where(desc.notna(), _text(df, "description"))
    return pd.DataFrame({
        "date": date,
        "settle_date": pd.Series(pd.NaT, index=df.index, dtype=DATE_DTYPE),
        "account": _accounts(ctx, df),
        "action": action,
        "action_text": kind,
        "symbol": _symbols(df),
        "description": desc,
        "quantity": _num(ctx, df, "quantity"),
        "price": np.nan,
        "amount": _num(ctx, df, "proceeds") * factor,
        "fees": np.nan,
        "source_file": ctx.name,
        "source_line": df["line"].astype("Int64"),
    })


# --- cash balances -----------------------------------------------------------------------------

def _cash_positions(ctx: _Ctx, report: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    frames = []
    with_report = set(report["stmt"]) if len(report) else set()
    if len(report):
        base_row = _text(report, "currency").str.upper().eq("BASE_SUMMARY").fillna(False)
        _skip(ctx, report, base_row, "cash report summary in the base currency (BASE_SUMMARY): "
              "the per-currency rows are used")
        rows = report[~base_row]
        if len(rows):
            _require(ctx, rows, "endingCash")
            keep, _ = _currency(ctx, rows, "cash balance", rate=False)
            rows = rows[keep]
            frames.append((rows, _num(ctx, rows, "endingCash")))
    if len(fx):
        dup = fx["stmt"].isin(with_report)
        _skip(ctx, fx, dup, "cash balance also given by the CashReport (loaded from there)")
        rows = fx[~dup]
        if len(rows):
            _require(ctx, rows, "quantity")
            keep, _ = _currency(ctx, rows, "cash balance", currency_attr="fxCurrency",
                                rate=False)
            rows = rows[keep]
            frames.append((rows, _num(ctx, rows, "quantity")))
    out = []
    for rows, value in frames:
        if rows.empty:
            continue
        _no_missing(ctx, rows, value, "endingCash", "cash amount")
        cash = pd.DataFrame({"account": _accounts(ctx, rows), "value": value,
                             "line": rows["line"]})
        cash = cash.groupby("account", sort=False).agg(value=("value", "sum"),
                                                       line=("line", "first")).reset_index()
        out.append(pd.DataFrame({
            "account": cash["account"], "symbol": ib.CASH_SYMBOL, "cusip": None,
            "description": "USD cash", "quantity": cash["value"], "price": 1.0,
            "market_value": cash["value"], "cost_basis": cash["value"], "asset_class": "cash",
            "security_type": None, "source_file": ctx.name,
            "source_line": cash["line"].astype("Int64"),
        }))
    if not out:
        return POSITIONS.empty()
    return pd.concat(out, ignore_index=True)


# --- statements, accounts, base currency -------------------------------------------------------

def _base_currencies(ctx: _Ctx, info: pd.DataFrame, frames: list[pd.DataFrame]) -> None:
    """Base currency per statement: AccountInformation@currency, else USD rows at rate 1."""
    stmts = set(range(-1, len(ctx.statements)))
    for i in stmts:
        ctx.base[i] = None
    if len(info):
        for stmt, cur in zip(info["stmt"], _text(info, "currency"), strict=True):
            if isinstance(cur, str):
                ctx.base[int(stmt)] = cur.upper()
    for i in stmts:
        if ctx.base[i] is not None:
            continue
        for f in frames:
            if f.empty or "fxRateToBase" not in f.columns or "currency" not in f.columns:
                continue
            rows = f[f["stmt"] == i]
            hit = rows["currency"].str.upper().eq("USD") & rows["fxRateToBase"].str.strip().isin(
                ["1", "1.0", "1.00"])
            if hit.any():
                ctx.base[i] = "USD"
                break


def _accounts_frame(ctx: _Ctx, info: pd.DataFrame, frames: list[pd.DataFrame]) -> pd.DataFrame:
    rows: dict[str, str | None] = {}
    for st in ctx.statements:
        acc = st.get("accountId")
        if acc and acc.strip() and acc.strip() not in ("-", "--"):
            rows.setdefault(acc.strip(), None)
    if len(info):
        for acc, alias, kind in zip(_accounts(ctx, info), _text(info, "acctAlias"),
                                    _text(info, "accountType"), strict=True):
            rows[acc] = ib.account_name(alias, kind)
    for f in frames:
        if f.empty or "accountId" not in f.columns:
            continue
        pairs = f[[c for c in ("accountId", "acctAlias") if c in f.columns]].drop_duplicates()
        for acc, al in zip(_text(pairs, "accountId"), _text(pairs, "acctAlias"), strict=True):
            if isinstance(acc, str) and (acc not in rows or rows[acc] is None):
                rows[acc] = al if isinstance(al, str) else None
    if not rows and ctx.options.get("account"):
        rows[str(ctx.options["account"])] = None
    return pd.DataFrame({"account": list(rows), "name": list(rows.values()),
                         "custodian": ib.CUSTODIAN})


def _as_of(ctx: _Ctx, positions: pd.DataFrame) -> pd.Timestamp | None:
    ends = [st.get("toDate") for st in ctx.statements if st.get("toDate")]
    lines = pd.Series([st.get("_line", 1) for st in ctx.statements if st.get("toDate")],
                      dtype="int64")
    if ends:
        got = ctx.dates.parse(pd.Series(ends, dtype="str"), column="toDate", lines=lines)
        if got.notna().any():
            return got.max()
    if len(positions):
        got = ctx.dates.parse(_attr(positions, "reportDate"), column="reportDate",
                              lines=positions["line"])
        if got.notna().any():
            return got.max()
    return None


# --- load --------------------------------------------------------------------------------------

def load(s: Sniff, options: dict) -> Export:
    """Load an IBKR Flex Query XML file (see module docstring)."""
    path = s.path
    parsed = _parse(path, path.read_bytes())
    statements = []
    for attrs, line in parsed.statements:
        statements.append({**attrs, "_line": line})
    frames = {tag: _frame(tag, recs) for tag, recs in parsed.records.items()
              if tag in _READ_TAGS}
    empty = pd.DataFrame({"line": pd.Series(dtype="int64"), "stmt": pd.Series(dtype="int64"),
                          "tag": pd.Series(dtype="str"), "_attrs": pd.Series(dtype=object)})

    def get(*tags):
        got = [frames[t] for t in tags if t in frames]
        if not got:
            return empty.copy()
        return got[0] if len(got) == 1 else pd.concat(got, ignore_index=True)

    # every date attribute of the file decides its date form
    values, lines = [], []
    for f in frames.values():
        for a in _DATE_ATTRS:
            if a in f.columns:
                values.append(f[a])
                lines.append(f["line"])
    for st in statements:
        for a in ("fromDate", "toDate", "whenGenerated"):
            if st.get(a):
                values.append(pd.Series([st[a]], dtype="str"))
                lines.append(pd.Series([st["_line"]], dtype="int64"))
    allv = pd.concat(values, ignore_index=True) if values else pd.Series(dtype="str")
    alll = pd.concat(lines, ignore_index=True) if lines else pd.Series(dtype="int64")
    dates = _Dates.sniff(path.name, allv.astype("str"), alll, options.get("date_format"))

    ctx = _Ctx(path=path, skip=SkipLog(path), notes=[], dates=dates, options=options,
               statements=statements)
    info = get("AccountInformation")
    data_frames = [f for t, f in frames.items() if t != "AccountInformation"]
    _base_currencies(ctx, info, data_frames)

    open_pos = get("OpenPosition")
    positions, lots = _open_positions(ctx, open_pos)
    executions, realized = _trades(ctx, get(*_TRADE_TAGS))
    cash_tx = _cash_transactions(ctx, get("CashTransaction"))
    corp = _corporate_actions(ctx, get("CorporateAction"))
    cash = _cash_positions(ctx, get("CashReportCurrency"), get("FxPosition", "FxLot"))
    positions = pd.concat([f for f in (positions, cash) if len(f)], ignore_index=True) \
        if len(positions) or len(cash) else POSITIONS.empty()
    tx = [f for f in (executions, cash_tx, corp) if len(f)]
    transactions = pd.concat(tx, ignore_index=True).sort_values(
        "source_line", kind="stable").reset_index(drop=True) if tx else TRANSACTIONS.empty()

    not_read = Counter()
    for tag, recs in parsed.records.items():
        if tag in _READ_TAGS:
            continue
        for _, _, _, parent in recs:
            not_read[parent if parent not in ("FlexStatement", "") else tag] += 1
    if not_read:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(not_read.items()))
        ctx.notes.append(f"sections not read (structure for this toolkit): {listed}")
    if not statements and not parsed.records:
        ctx.notes.append("the file holds no Flex statements or data elements")
    if dates.name:
        ctx.notes.append(f"dates read as {dates.name}")

    return Export(path=path, format=FORMAT, custodian=ib.CUSTODIAN, positions=positions,
                  lots=lots, transactions=transactions, realized=realized,
                  skipped=ctx.skip.frame(),
                  accounts=_accounts_frame(ctx, info, data_frames),
                  as_of=_as_of(ctx, open_pos), notes=ctx.notes)


FORMATS = [
    FormatSpec(FORMAT, ib.CUSTODIAN, "Interactive Brokers Flex Query XML",
               ("xml", "text"), detect, load, priority=30),
]
