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

from . import _build as b
from . import _clean as clean
from . import _ibkr as ib
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, shorten

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

        if shape.notna().any():
            # a value of no date shape is a damaged cell: its row is reported when read
            values, lines, shape = values[shape.notna()], lines[shape.notna()], shape.dropna()
        elif len(shape):
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

    def parse(self, s: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Dates (at midnight) from raw attribute values, and why a value is not one.

        Missing stays missing; a value not in the file's date form is missing with the reason
        (``"expected a date"``) in the second Series.
        """
        raw = s.astype("str").str.strip()
        failed = pd.Series(None, index=s.index, dtype="str")
        present = raw.notna() & (raw != "") & ~raw.isin(_NOT_DATES)
        if not present.any():
            return pd.Series(pd.NaT, index=s.index, dtype=DATE_DTYPE), failed
        if self.name is None:
            return pd.Series(pd.NaT, index=s.index, dtype=DATE_DTYPE), \
                failed.mask(present, "expected a date")
        shape, fmt = DATE_FORMATS[self.name]
        # parse each distinct value once (dates repeat), then map back to the rows
        first = raw[present].drop_duplicates()
        token = first.str.extract(_SHAPES[shape], expand=True)[0].astype("str")
        got, bad = clean.parse_dates(token, dayfirst_form=fmt)
        bad = bad.where(token.notna(), "expected a date")
        lookup = pd.Series(got.to_numpy(), index=first.to_numpy())
        why = pd.Series(bad.to_numpy(), index=first.to_numpy())
        out = raw.where(present).map(lookup).astype(DATE_DTYPE)
        return out, raw.where(present).map(why).astype("str")


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


def _require(ctx: _Ctx, df: pd.DataFrame, *alternatives: str) -> None:
    """Raise MissingColumnError when none of ``alternatives`` is an attribute of the rows."""
    if df.empty or any(a in df.columns for a in alternatives):
        return
    tag = df["tag"].iloc[0]
    wanted = " or ".join(alternatives)
    raise MissingColumnError(
        f"<{tag}> elements have no {wanted} attribute; add it to the Flex query",
        path=ctx.name, line=int(df["line"].iloc[0]), column=alternatives[0])


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
        ctx.skip.add(int(line), str(why), shorten(_row_text(attrs, tag)),
                     account=attrs.get("accountId"), symbol=attrs.get("symbol"))


_NO_ACCOUNT = ("the row names no account (no accountId here or on its FlexStatement); pass "
               "account= to load_export")
#: Attributes every data element may carry; the sections add theirs.
_COMMON = {
    "account": Col.text("accountId"),
    "symbol": Col.symbol("symbol"),
    "cusip": Col.text("cusip"),
    "isin": Col.text("isin"),
    "description": Col.text("description"),
    "currency": Col.text("currency"),
    "fx": Col.quantity("fxRateToBase"),
    "asset": Col.text("assetCategory"),
    "lod": Col.text("levelOfDetail"),
}


def _convert(ctx: _Ctx, df: pd.DataFrame, spec: dict, *,
             symbol: str | None = None) -> b.Table:
    """The declared attributes of ``df`` converted (:func:`toolkit.io._build.convert`).

    Rows with an unreadable value or a missing needed one are reported and left out. A row without
    ``accountId`` takes its statement's (else ``account=``).
    """
    spec = {**_COMMON, **spec}
    raw = pd.DataFrame({k: df[cs.names[0]] for k, cs in spec.items() if cs.names[0] in df},
                       index=df.index)
    acc = clean.text(_attr(df, "accountId"))
    if acc.isna().any():
        ids = np.array([st.get("accountId") for st in ctx.statements] + [None], dtype=object)
        acc = acc.fillna(clean.text(pd.Series(ids[df["stmt"].to_numpy()], index=df.index,
                                              dtype="str")))
    if ctx.options.get("account"):
        acc = acc.fillna(str(ctx.options["account"]))
    if acc.isna().any():  # no accountId anywhere: no row of the file can be attributed
        i = acc.index[acc.isna()][0]
        raise FormatError(_NO_ACCOUNT, path=ctx.name, line=int(df.at[i, "line"]),
                          column="accountId")
    raw["account"] = acc.astype("str")
    raw["line"] = df["line"]
    headers = {k: cs.names[0] for k, cs in spec.items()}

    def texts(index: pd.Index) -> pd.Series:
        return pd.Series([_row_text(a, t) for a, t in zip(df.loc[index, "_attrs"],
                                                          df.loc[index, "tag"], strict=True)],
                         index=index, dtype="str")

    return b.convert(raw, spec, path=ctx.name, skip=ctx.skip, headers=headers, text_of=texts,
                     context={"symbol": symbol} if symbol else None)


def _date(ctx: _Ctx, t: b.Table, df: pd.DataFrame, *names: str, need: str | None = None
          ) -> tuple[b.Table, pd.Series]:
    """The first present of the date attributes ``names``.

    Rows with a value (in any of ``names``) that is not a date in the file's form are
    reported, and rows without any when ``need`` (the reason) is given.
    """
    out = pd.Series(pd.NaT, index=t.index, dtype=DATE_DTYPE)
    bad = pd.Series(None, index=t.index, dtype="str")
    for name in names:
        if name in df.columns:
            cells = df.loc[t.index, name]
            got, failed = ctx.dates.parse(cells)
            bad = bad.fillna("cannot read " + name + " " +
                             cells.astype("str").str.strip().map(repr) + ": " + failed)
            out = out.where(out.notna(), got)
    t = t.drop(bad.notna(), bad)
    out = out[t.index]
    if need is not None:
        t = t.drop(out.isna(), need)
        out = out[t.index]
    return t, out


def _currency(ctx: _Ctx, t: b.Table, df: pd.DataFrame, what: str, *,
              rate: bool = True) -> tuple[b.Table, pd.Series]:
    """Apply the currency rule: (rows kept, multiplier to US dollars). Reports the rest."""
    cur = t["currency"].str.upper()
    if cur.isna().any():
        ctx.notes.append(f"{int(cur.isna().sum())} {what} rows have no currency "
                         "attribute; their amounts were taken as US dollars")
        cur = cur.fillna("USD")
    base = df.loc[t.index, "stmt"].map(ctx.base).astype("str")
    fx = t["fx"] if rate else pd.Series(np.nan, index=t.index)
    usd = cur.eq("USD")
    convert = ~usd & base.eq("USD").fillna(False) & fx.gt(0).fillna(False)
    factor = pd.Series(1.0, index=t.index).where(usd, fx).where(usd | convert)
    bad = ~(usd | convert)
    if bad.any():
        reasons = pd.Series([
            ib.currency_reason(what, c, b_ if isinstance(b_, str) else None,
                               pd.notna(f) and f > 0)
            for c, b_, f in zip(cur[bad], base[bad], fx[bad], strict=True)], index=t.index[bad])
        t = t.drop(bad, reasons.reindex(t.index))
    if convert.any():
        codes = ", ".join(sorted(cur[convert].unique()))
        ctx.notes.append(f"{int(convert.sum())} {what} rows in {codes} were converted to US "
                         "dollars with their fxRateToBase (the statement's base currency is USD)")
    return t, factor[t.index]


def _symbols(t: b.Table) -> pd.Series:
    return t["symbol"].where(t["symbol"].notna(), clean.cusips(t["cusip"]))


def _cusip(t: b.Table) -> pd.Series:
    c = clean.cusips(t["cusip"])
    return c.where(c.notna(), clean.cusips(ib.cusip_from_isin(t["isin"])))


# --- open positions ----------------------------------------------------------------------------

POSITION_SPEC = {
    "quantity": Col.quantity("position", need=True, missing="position has no quantity"),
    "price": Col.money("markPrice"),
    "multiplier": Col.quantity("multiplier"),
    "value": Col.money("positionValue"),
    "basis": Col.money("costBasisMoney"),
    "side": Col.text("side"),
    "code": Col.text("code"),
    "transaction_id": Col.text("originatingTransactionID"),
    "order_id": Col.text("originatingOrderID"),
}


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
    other = ~lod.isin(["SUMMARY", "LOT"])
    is_lot_all = is_lot
    _skip(ctx, df, other, "OpenPosition with levelOfDetail " + lod.fillna("") +
          ": not a position or lot level the toolkit reads")
    t = _convert(ctx, df[~other], POSITION_SPEC)
    is_lot = is_lot[t.index]
    short = t["quantity"].lt(0) | t["side"].str.casefold().eq("short").fillna(False)
    t = t.drop(short & ~is_lot, "short position: short positions are not supported")
    t = t.drop(short & is_lot, "short lot: short positions are not supported")
    t = t.drop(_symbols(t).isna(), "position has no symbol or CUSIP")
    if t.empty:
        return POSITIONS.empty(), LOTS.empty()
    t, factor = _currency(ctx, t, df, "position")
    is_lot = is_lot[t.index]
    lt, acquired = _date(ctx, t.take(is_lot), df, "openDateTime",
                         need="<OpenPosition> has no openDateTime (acquired date)")
    lt, holding = _date(ctx, lt, df, "holdingPeriodDateTime")
    lt = _repeated_lots(lt)
    lt = _orphan_lots(lt, t.take(~is_lot), df.loc[~other & ~is_lot_all, "stmt"],
                      df.loc[lt.index, "stmt"], what="LOT", summary="SUMMARY")
    t = t.take(~is_lot | pd.Series(t.index.isin(lt.index), index=t.index))
    is_lot, factor = is_lot[t.index], factor[t.index]
    sym = _symbols(t)
    qty = t["quantity"]
    price = t["price"] * factor
    value = (t["value"] * factor).where(t["value"].notna(), qty * price *
                                         t["multiplier"].fillna(1.0))
    basis = t["basis"] * factor
    full = pd.DataFrame({
        "account": t["account"], "symbol": sym, "cusip": _cusip(t),
        "description": t["description"], "security_type": ib.security_type(t["asset"]),
        "quantity": qty, "price": price, "market_value": value, "cost_basis": basis,
        **t.source(ctx.path),
    })
    positions = full[~is_lot]
    lots = LOTS.empty()
    if is_lot.any():
        lt = t.take(is_lot)
        lot_id = lt["transaction_id"].fillna(lt["order_id"])
        lot_id = lot_id.where(lot_id.notna(), ctx.name + ":" + lt.line.astype("str"))
        lots = pd.DataFrame({
            "account": lt["account"], "symbol": sym[is_lot], "quantity": qty[is_lot],
            "cost_basis": basis[is_lot], "acquired": acquired[lt.index],
            "holding_start": holding[lt.index],
            "term": ib.term_from_code(lt["code"]),
            "wash_sale_disallowed": np.nan, "lot_id": lot_id.astype("str"),
            **lt.source(ctx.path),
        })
        positions = _positions_from_lots(ctx, positions, full[is_lot])
    return positions, lots


def _orphan_lots(lt: b.Table, summaries: b.Table, summary_stmts: pd.Series,
                 lot_stmts: pd.Series, *, what: str, summary: str) -> b.Table:
    """Report the lots of a holding that has no summary row in a statement that has them.

    A damaged symbol must not make up a holding. (A statement with no summary rows at all
    gets positions summed from its lots.)
    """
    keys = set(summaries["account"] + "\x1f" + _symbols(summaries).fillna(""))
    lkey = lt["account"] + "\x1f" + _symbols(lt).fillna("")
    orphan = ~lkey.isin(keys) & lot_stmts.reindex(lt.index).isin(set(summary_stmts))
    return lt.drop(orphan, f"{what} row with no {summary} row for its holding, in a statement "
                           f"that has {summary} rows: not loaded")


def _repeated_lots(lt: b.Table) -> b.Table:
    """Count a LOT row repeated in the file once.

    The same originating transaction of one holding is one lot: the repeats are reported,
    never added to the lot or the position.
    """
    lot_id = lt["transaction_id"].fillna(lt["order_id"])
    key = lt["account"] + "\x1f" + _symbols(lt).fillna("") + "\x1f" + lot_id
    dup = key.duplicated(keep="first") & lot_id.notna()
    if not dup.any():
        return lt
    first_line = lt.line.groupby(key).transform("first")
    first_qty = lt["quantity"].groupby(key).transform("first")
    same = (lt["quantity"] - first_qty).abs().lt(1e-9)
    reason = pd.Series(np.where(
        same, "lot repeated in this file (same originating transaction and quantity as line "
              + first_line.astype("str") + "): counted once",
        "lot listed again with a different quantity (same originating transaction as line "
        + first_line.astype("str") + "); only that line is loaded"), index=lt.index)
    return lt.drop(dup, reason)


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
TRADE_SPEC = {
    "quantity": Col.quantity("quantity", need=True, missing="the trade has no quantity"),
    "price": Col.money("tradePrice"),
    "multiplier": Col.quantity("multiplier"),
    "proceeds": Col.money("proceeds"),
    "trade_money": Col.money("tradeMoney"),
    "net": Col.money("netCash"),
    "commission": Col.money("ibCommission"),
    "commission_currency": Col.text("ibCommissionCurrency"),
    "taxes": Col.money("taxes"),
    "cost": Col.money("cost"),
    "pnl": Col.money("fifoPnlRealized"),
    "buysell": Col.text("buySell"),
    "notes": Col.text("notes"),
    "code": Col.text("code"),
    "open_close": Col.text("openCloseIndicator"),
    "transaction_type": Col.text("transactionType"),
}


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
    lots, lot_keys = _closed_lots(ctx, df[closed & ~forex])
    transactions, sales = _executions(ctx, df[load & ~forex], lot_keys)
    frames = [f for f in (lots, sales) if len(f)]
    realized = pd.concat(frames, ignore_index=True).sort_values(
        "source_line", kind="stable") if frames else REALIZED.empty()
    return transactions, realized


def _sale_key(account: pd.Series, symbol: pd.Series, date: pd.Series) -> pd.Series:
    """Account, symbol and trade date: what ties a closed lot to the sale that closed it."""
    return account.astype("str") + "\x1f" + symbol.astype("str") + "\x1f" + \
        date.dt.strftime("%Y-%m-%d")


def _executions(ctx: _Ctx, df: pd.DataFrame, lot_keys: set[str]) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
    """Executions (or orders) as transactions, and realised sales.

    Sales that state their realised P/L or cost and have no closed-lot rows as realised sales.
    """
    if df.empty:
        return TRANSACTIONS.empty(), REALIZED.empty()
    _require(ctx, df, "symbol")
    _require(ctx, df, "quantity")
    _require(ctx, df, "tradeDate", "dateTime")
    _require(ctx, df, "netCash", "proceeds", "tradeMoney", "tradePrice")
    t = _convert(ctx, df, TRADE_SPEC)
    t, factor = _currency(ctx, t, df, "trade")
    if t.empty:
        return TRANSACTIONS.empty(), REALIZED.empty()
    t, date = _date(ctx, t, df, "tradeDate", "dateTime", need="the trade has no trade date")
    t, settle = _date(ctx, t, df, "settleDateTarget")
    factor = factor[t.index]
    qty = t["quantity"]
    bs_text = t["buysell"]
    bs = bs_text.str.upper()
    cancel = bs.str.contains("(CA.)", regex=False).fillna(False) | \
        t["transaction_type"].str.contains("Cancel").fillna(False)
    buy = ~cancel & (bs.str.startswith("BUY").fillna(False) | (bs.isna() & qty.gt(0)))
    sell = ~cancel & (bs.str.startswith("SELL").fillna(False) | (bs.isna() & qty.lt(0)))
    # notes are ";"-separated codes; "R" marks a dividend reinvestment
    reinvest = buy & t["notes"].str.contains(r"(?:^|;)\s*R\s*(?:;|$)", regex=True).fillna(False)
    action = pd.Series(Action.OTHER.value, index=t.index, dtype="str")
    action = action.mask(buy, Action.BUY.value).mask(reinvest, Action.REINVEST.value)
    action = action.mask(sell, Action.SELL.value)
    qty = qty.where(~buy, qty.abs()).where(~sell, -qty.abs())
    commission, taxes, net = t["commission"], t["taxes"], t["net"]
    # the gross amount: proceeds, else -tradeMoney, else -quantity x price x multiplier
    gross = t["proceeds"].fillna(-t["trade_money"])
    gross = gross.fillna(-qty * t["price"] * t["multiplier"].fillna(1.0))
    computed = gross + commission.fillna(0) + taxes.fillna(0)
    derived = net.isna() & computed.notna()
    if derived.any():
        ctx.notes.append(f"{int(derived.sum())} trade(s) have no netCash; their amount is "
                         "proceeds (else -tradeMoney, else -quantity x tradePrice x multiplier)"
                         " + ibCommission + taxes")
    off = net.notna() & t["proceeds"].notna() & (net - computed).abs().gt(0.01)
    if off.any():
        ctx.notes.append(f"{int(off.sum())} trade(s) have a netCash that differs from proceeds "
                         "+ ibCommission + taxes; netCash (IBKR's cash effect) was used")
    amount = net.where(net.notna(), computed)
    t = t.drop(amount.isna(), "the trade's cash amount cannot be told (no netCash, proceeds, "
                              "tradeMoney or tradePrice)")
    keep = t.index
    qty, amount, factor, action = qty[keep], amount[keep], factor[keep], action[keep]
    date, settle, sell = date[keep], settle[keep], sell[keep]
    fees = t["commission"].abs().fillna(0) + t["taxes"].abs().fillna(0)
    fees = fees.where(t["commission"].notna() | t["taxes"].notna())
    com_cur = t["commission_currency"].str.upper()
    row_cur = t["currency"].str.upper().fillna("USD")
    other_cur = com_cur.notna() & com_cur.ne(row_cur)
    if other_cur.any():
        fees = fees.where(~other_cur)
        ctx.notes.append(f"{int(other_cur.sum())} trade(s) pay commission in another currency "
                         "than the trade; their fees are left empty")
    symbol = _symbols(t)
    transactions = pd.DataFrame({
        "date": date,
        "settle_date": settle,
        "account": t["account"],
        "action": action,
        "action_text": t["buysell"],
        "symbol": symbol,
        "description": t["description"],
        "quantity": qty,
        "price": t["price"] * factor,
        "amount": amount * factor,
        "fees": fees * factor,
        **t.source(ctx.path),
    })
    # realised sales the executions state (closed lots, when the file has them, say more)
    states = t["pnl"].notna() | t["cost"].notna()
    opening = t["open_close"].str.upper().str.contains("O").fillna(False) & \
        ~t["open_close"].str.upper().str.contains("C").fillna(False)
    key = _sale_key(t["account"], symbol, date)
    realize = sell & states & ~opening & ~key.isin(lot_keys) & symbol.notna()
    sales = REALIZED.empty()
    if realize.any():
        r = t.take(realize)
        f = factor[r.index]
        sales = b.realized_frame(
            r.index, account=r["account"], symbol=symbol[r.index],
            quantity=qty[r.index].abs(), sold=date[r.index],
            proceeds=amount[r.index] * f, cost_basis=r["cost"].abs() * f,
            gain=r["pnl"] * f, source=r.source(ctx.path), notes=ctx.notes, what="sale")
    return transactions, sales


LOT_SPEC = {
    "quantity": Col.quantity("quantity", need=True, missing="the closed lot has no quantity"),
    "cost": Col.money("cost"),
    "pnl": Col.money("fifoPnlRealized"),
    "buysell": Col.text("buySell"),
    "notes": Col.text("notes"),
    "code": Col.text("code"),
}


def _closed_lots(ctx: _Ctx, df: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    """Closed lots of long positions as realised rows, and the sales they belong to."""
    if df.empty:
        return REALIZED.empty(), set()
    _require(ctx, df, "symbol")
    _require(ctx, df, "quantity")
    _require(ctx, df, "tradeDate", "dateTime")
    bs = _text(df, "buySell").str.upper()
    short = bs.str.startswith("BUY").fillna(False)
    _skip(ctx, df, short, "closed short lot: short positions are not supported")
    t = _convert(ctx, df[~short], LOT_SPEC)
    t, factor = _currency(ctx, t, df, "closed lot")
    if t.empty:
        return REALIZED.empty(), set()
    t, sold = _date(ctx, t, df, "tradeDate", "dateTime", need="the closed lot has no trade date")
    t, acquired = _date(ctx, t, df, "openDateTime")
    factor, sold = factor[t.index], sold[t.index]
    symbol = _symbols(t)
    t = t.drop(symbol.isna(), "closed lot has no symbol or CUSIP")
    symbol, factor, sold, acquired = (symbol[t.index], factor[t.index], sold[t.index],
                                      acquired[t.index])
    basis = t["cost"].abs() * factor
    gain = t["pnl"] * factor
    codes = t["code"].fillna("") + ";" + t["notes"].fillna("")
    realized = b.realized_frame(
        t.index, account=t["account"], symbol=symbol, quantity=t["quantity"].abs(),
        sold=sold, acquired=acquired, cost_basis=basis, gain=gain,
        term=ib.term_from_code(codes), source=t.source(ctx.path), notes=ctx.notes)
    return realized, set(_sale_key(t["account"], symbol, sold))


# --- cash transactions and corporate actions ---------------------------------------------------

CASH_SPEC = {
    "type": Col.text("type"),
    "amount": Col.money("amount", need=True, missing="the cash transaction has no amount"),
}


def _cash_transactions(ctx: _Ctx, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return TRANSACTIONS.empty()
    _require(ctx, df, "type")
    _require(ctx, df, "amount")
    _require(ctx, df, "dateTime", "date", "reportDate")
    lod = _text(df, "levelOfDetail").str.upper().fillna("DETAIL")
    summary = lod.eq("SUMMARY")
    _skip(ctx, df, summary, "cash transaction summary row: the DETAIL rows are loaded")
    t = _convert(ctx, df[~summary], CASH_SPEC)
    t, factor = _currency(ctx, t, df, "cash transaction")
    if t.empty:
        return TRANSACTIONS.empty()
    t, date = _date(ctx, t, df, "dateTime", "date", "reportDate",
                    need="the cash transaction has no date")
    t, settle = _date(ctx, t, df, "settleDate")
    factor = factor[t.index]
    amount = t["amount"]
    kind = t["type"]
    desc = t["description"]
    action, unknown = ib.cash_actions(kind.fillna(""), amount, desc)
    if unknown.any():
        counts = kind[unknown].fillna("(empty)").value_counts()
        listed = ", ".join(f"{k!r} ({v})" for k, v in counts.items())
        ctx.notes.append(f"unknown cash transaction types kept as 'other': {listed}")
    return pd.DataFrame({
        "date": date,
        "settle_date": settle,
        "account": t["account"],
        "action": action,
        "action_text": kind,
        "symbol": t["symbol"],
        "description": desc,
        "quantity": np.nan,
        "price": np.nan,
        "amount": amount * factor,
        "fees": np.nan,
        **t.source(ctx.path),
    })


CORPORATE_SPEC = {
    "type": Col.text("type"),
    "action_description": Col.text("actionDescription"),
    "quantity": Col.quantity("quantity"),
    "proceeds": Col.money("proceeds"),
}


def _corporate_actions(ctx: _Ctx, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return TRANSACTIONS.empty()
    _require(ctx, df, "symbol")
    _require(ctx, df, "dateTime", "reportDate", "date")
    t = _convert(ctx, df, CORPORATE_SPEC)
    t, factor = _currency(ctx, t, df, "corporate action")
    if t.empty:
        return TRANSACTIONS.empty()
    t, date = _date(ctx, t, df, "dateTime", "date", "reportDate",
                    need="the corporate action has no date")
    factor = factor[t.index]
    kind = t["type"].str.upper()
    action = pd.Series(Action.OTHER.value, index=t.index, dtype="str").mask(
        kind.isin(list(_SPLIT_TYPES)).fillna(False), Action.SPLIT.value)
    desc = t["action_description"].where(t["action_description"].notna(), t["description"])
    return pd.DataFrame({
        "date": date,
        "settle_date": pd.Series(pd.NaT, index=t.index, dtype=DATE_DTYPE),
        "account": t["account"],
        "action": action,
        "action_text": kind,
        "symbol": _symbols(t),
        "description": desc,
        "quantity": t["quantity"],
        "price": np.nan,
        "amount": t["proceeds"] * factor,
        "fees": np.nan,
        **t.source(ctx.path),
    })


# --- cash balances -----------------------------------------------------------------------------

def _cash_positions(ctx: _Ctx, report: pd.DataFrame, fx: pd.DataFrame) -> pd.DataFrame:
    """The ending cash of each account: one USD balance per account.

    The balance comes from the account's latest statement. A balance given again (a
    CashReport present twice, an earlier statement of the same account) is reported in
    ``skipped``, never added a second time.
    """
    tables = []
    with_report = set(report["stmt"]) if len(report) else set()
    if len(report):
        base_row = _text(report, "currency").str.upper().eq("BASE_SUMMARY").fillna(False)
        _skip(ctx, report, base_row, "cash report summary in the base currency (BASE_SUMMARY): "
              "the per-currency rows are used")
        rows = report[~base_row]
        if len(rows):
            _require(ctx, rows, "endingCash")
            t = _convert(ctx, rows, {"value": Col.money("endingCash", need=True,
                                                        missing="the cash row has no amount")},
                         symbol=ib.CASH_SYMBOL)
            t, _ = _currency(ctx, t, rows, "cash balance", rate=False)
            tables.append((t, rows))
    if len(fx):
        dup = fx["stmt"].isin(with_report)
        _skip(ctx, fx, dup, "cash balance also given by the CashReport (loaded from there)")
        rows = fx[~dup]
        if len(rows):
            _require(ctx, rows, "quantity")
            rows = rows.assign(currency=_attr(rows, "fxCurrency"))
            t = _convert(ctx, rows, {"value": Col.money("quantity", need=True,
                                                        missing="the cash row has no amount")},
                         symbol=ib.CASH_SYMBOL)
            t, _ = _currency(ctx, t, rows, "cash balance", rate=False)
            tables.append((t, rows))
    out = []
    for t, rows in tables:
        if t.empty:
            continue
        stmt = rows.loc[t.index, "stmt"]
        single = ~rows.loc[t.index, "tag"].eq("FxLot")  # FxLots are parts of one balance
        key = t["account"] + "\x1f" + stmt.astype("str")
        dup = key.where(single).duplicated(keep="first") & single & key.notna()
        if dup.any():
            first = t["value"].groupby(key.where(single)).transform("first")
            line = t.line.groupby(key.where(single)).transform("first")
            same = (t["value"] - first).abs().lt(0.005)
            reasons = pd.Series(
                np.where(same, "cash balance repeated in this statement (a CashReport given "
                               "twice): counted once",
                         "cash balance given again in this statement with a different amount "
                         "(" + t["value"].map("{:,.2f}".format) + " here); only line " +
                         line.astype("Int64").astype("str") + " is loaded"),
                index=t.index)
            t = t.drop(dup, reasons)
            stmt = stmt[t.index]
        ends = stmt.map(lambda i: ctx.statements[i].get("toDate", "")
                        if 0 <= i < len(ctx.statements) else "")
        cash = pd.DataFrame({"account": t["account"], "value": t["value"], "line": t.line,
                             "stmt": stmt, "end": ends})
        cash = cash.groupby(["account", "stmt", "end"], sort=False).agg(
            value=("value", "sum"), line=("line", "first")).reset_index()
        # several statements of one account: the latest statement's balance
        cash = cash.sort_values(["account", "end", "stmt"], kind="stable")
        latest = ~cash.duplicated("account", keep="last")
        for r in cash[~latest].itertuples():
            ctx.skip.add(int(r.line), f"cash balance of an earlier statement of {r.account} "
                         f"(to {r.end or 'unknown'}): the latest statement's balance is used",
                         account=r.account, symbol=ib.CASH_SYMBOL)
        cash = cash[latest].sort_values("line", kind="stable")
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
        t = _convert(ctx, info, {"alias": Col.text("acctAlias"),
                                 "kind": Col.text("accountType")})
        for acc, alias, kind in zip(t["account"], t["alias"], t["kind"], strict=True):
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
        got, _ = ctx.dates.parse(pd.Series(ends, dtype="str"))
        if got.notna().any():
            return got.max()
        ctx.notes.append(f"the statement's toDate ({ends[0]!r}, line {int(lines.iloc[0])}) is "
                         "not a date; as_of is taken from the positions")
    if len(positions):
        got, _ = ctx.dates.parse(_attr(positions, "reportDate"))
        if got.notna().any():
            return got.max()
    return None


# --- load --------------------------------------------------------------------------------------

def load(s: Sniff, options: dict) -> Export:
    """Load an IBKR Flex Query XML file (see module docstring)."""
    path = s.path
    parsed = _parse(path, s.data)
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
