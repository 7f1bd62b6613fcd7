"""Generic lots and positions templates, for brokers and recordkeepers the toolkit lacks.

Meant for any broker or 401(k) recordkeeper the toolkit does not know. A user copies a
template from ``toolkit/templates/`` (see its README.md; :func:`template_path` finds the
files), fills one row per lot or per holding, and loads it like any export. Four formats:

``generic_lots`` / ``generic_positions``
    CSV (UTF-8, BOM and CRLF accepted, Windows-1252 tolerated).
``generic_lots_xlsx`` / ``generic_positions_xlsx``
    Excel workbooks (.xlsx), read with openpyxl in read-only mode with cached values
    (``data_only``): formulas count by the value Excel last computed. The sheet named
    ``lots`` (or ``positions``) is read, else the first sheet when it holds the template
    header. A workbook that cannot be opened is a :class:`~toolkit.errors.FormatError`;
    one without a template header is not detected (``load_export`` then raises
    :class:`~toolkit.errors.UnknownFormatError`).

Layout
------
Leading lines starting with ``#`` (the template's version line) and blank lines are allowed
before the header; blank lines (or rows of empty cells) anywhere after it are ignored. The
header row names the columns, in any order, case-insensitively, ``_`` or a space alike, a
trailing `` ($)`` ignored. Other columns are ignored.

Lots columns: ``account``, ``symbol``, ``quantity`` (shares, > 0), ``cost_basis`` (total
dollars for the lot) or ``cost_per_share`` (dollars; basis = cost_per_share x quantity),
``acquired`` (trade date), and optionally ``term`` (``short``/``long``, also ``ST``/``LT``),
``wash_sale_disallowed`` (dollars added to the basis), ``lot_id`` (default ``<file>:<line>``)
and ``description`` (for the user's reference; the lots frame has no description column).

Positions columns: ``account``, ``symbol``, ``quantity`` (shares), ``price`` (dollars per
share), ``market_value`` (dollars; price x quantity when the column or cell is empty), and
optionally ``cost_basis`` (total dollars), ``description`` and ``asset_class``, one of
:data:`toolkit.schema.ASSET_CLASSES` or ``multi_asset``, which overrides the security
master's classification. A row with ``asset_class`` ``cash`` is a cash balance: symbol
``CASH`` when empty, price 1, quantity and basis = the value when empty.

Cells: money and quantities in any form :func:`toolkit.io._clean.number` reads (``$1,234.50``,
``(12.00)``, ``1234.5``); dates in any form :func:`toolkit.io._clean.date` reads
(``MM/DD/YYYY``, ``YYYY-MM-DD``, ``Mon-DD-YYYY``, ...) or, in a workbook, real Excel dates
(a date cell that lost its date format, i.e. a serial number, is read as an Excel date too).
``account`` may be left out (column or cell) when ``load_export(..., account=...)`` names it.

Rows: a lot with zero or negative quantity is reported in ``skipped`` (short lots are not
supported). A row with a missing symbol, quantity (lots), acquired date or value, a negative
basis, an unknown term or asset class, or a cell that cannot be read is reported in
``skipped`` with the line (CSV) or the Excel row number, the column and the value, and the
rest load; when no row can be read the file raises :class:`~toolkit.errors.FormatError`.

Workbooks are checked before openpyxl opens them (:mod:`toolkit.io._xlsx`: member sizes and
compression ratios, Excel's row limit, runs of empty rows) and opened once per load.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import FormatError, MissingColumnError
from toolkit.schema import ASSET_CLASSES, MULTI_ASSET

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Binding, Col, bind, decode, is_blank, norm_header
from ._xlsx import blank_row, cell_text, sheet_rows

CUSTODIAN = "generic"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: Leading lines (``#`` comments, blanks and the header) searched for the header.
HEADER_SEARCH = 50

ALLOWED_ASSET_CLASSES = (*ASSET_CLASSES, MULTI_ASSET)
_TERMS = {"short": "short", "short-term": "short", "short term": "short", "st": "short",
          "long": "long", "long-term": "long", "long term": "long", "lt": "long"}


def _names(name: str) -> tuple[str, str]:
    return name, name.replace("_", " ")


LOTS_SPEC = {
    "account": Col.text(*_names("account"), required=False),
    "symbol": Col.symbol("symbol", need=True, missing="the symbol is empty"),
    "quantity": Col.quantity("quantity", need=True, missing="the quantity is empty"),
    "cost_basis": Col.money(*_names("cost_basis"), required=False),
    "cost_per_share": Col.money(*_names("cost_per_share"), required=False),
    "acquired": Col.date("acquired", need=True, missing="the acquired date is empty"),
    "term": Col.text("term", required=False),
    "wash_sale_disallowed": Col.money(*_names("wash_sale_disallowed"), required=False),
    "lot_id": Col.text(*_names("lot_id"), required=False),
    "description": Col.text("description", required=False),
}
POSITIONS_SPEC = {
    "account": Col.text(*_names("account"), required=False),
    "symbol": Col.symbol("symbol"),
    "quantity": Col.quantity("quantity", required=False),
    "price": Col.money("price", required=False),
    "market_value": Col.money(*_names("market_value"), required=False),
    "cost_basis": Col.money(*_names("cost_basis"), required=False),
    "description": Col.text("description", required=False),
    "asset_class": Col.text(*_names("asset_class"), required=False),
}
SPECS = {"lots": LOTS_SPEC, "positions": POSITIONS_SPEC}


def template_path(name: str) -> Path:
    """Path of a shipped template file.

    Parameters
    ----------
    name : str
        ``"lots_template.csv"``, ``"positions_template.csv"``, ``"lots_template.xlsx"``,
        ``"positions_template.xlsx"`` or ``"README.md"``.

    Returns
    -------
    Path
        The file inside the installed package.

    Raises
    ------
    FileNotFoundError
        If there is no such template.
    """
    p = TEMPLATES / name
    if not p.is_file():
        known = sorted(f.name for f in TEMPLATES.iterdir() if f.is_file())
        raise FileNotFoundError(f"no template {name!r}; shipped: {known}")
    return p


def header_kind(cells: list[str]) -> str | None:
    """Which template a header row is: ``"lots"``, ``"positions"`` or None.

    Parameters
    ----------
    cells : list of str
        The header cells as written.

    Returns
    -------
    str or None
        ``"lots"`` for account, symbol, quantity, acquired and cost_basis or
        cost_per_share; ``"positions"`` for account, symbol, quantity and market_value or
        price, without acquired.
    """
    names = {norm_header(str(c)).replace("_", " ") for c in cells if c is not None}
    if not {"account", "symbol", "quantity"} <= names:
        return None
    if "acquired" in names:
        return "lots" if names & {"cost basis", "cost per share"} else None
    return "positions" if names & {"market value", "price"} else None


def _is_comment(first_cell: Any) -> bool:
    return isinstance(first_cell, str) and first_cell.lstrip("\ufeff \t\"").startswith("#")


# --- CSV ---------------------------------------------------------------------------------------


def _csv_header(lines: list[str]) -> int | None:
    """Index of the first line that is neither blank nor a ``#`` comment (within the search)."""
    for i, line in enumerate(lines[:HEADER_SEARCH]):
        if not (is_blank(line) or _is_comment(line)):
            return i
    return None


def _detect_csv(kind: str):
    def detect(s: Sniff) -> bool:
        lines = [ln for ln in s.first_lines_norm if ln and not ln.startswith("#")]
        if not lines:
            return False
        return header_kind(lines[0].split(",")) == kind
    detect.__doc__ = f"A CSV whose first row (after ``#`` comments) is the {kind} template header."
    return detect


def _load_csv(kind: str):
    def load(s: Sniff, options: dict) -> Export:
        # s.text is None when the format was forced on a binary/zip file: decode() says so
        tf = s.text if s.text is not None else decode(s.path, s.data)
        h = _csv_header(tf.lines)
        if h is None:
            raise FormatError(f"no {kind} template header found; the file has only comments "
                              "or blank lines", path=tf.name)
        raw, binding = b.read_blocks(tf, h, len(tf.lines), SPECS[kind], path=tf.name)
        return _export(s.path, kind, f"generic_{kind}", raw, binding, options)
    load.__doc__ = f"Load a generic {kind} CSV (see the module docstring)."
    return load


# --- XLSX --------------------------------------------------------------------------------------


def _sheet_header(rows: Iterator[tuple[int, tuple]]) -> tuple[int, list[str]] | None:
    for n, row in rows:
        if n > HEADER_SEARCH:
            return None
        if blank_row(row) or _is_comment(row[0] if row else None):
            continue
        return n, ["" if v is None else str(v) for v in row]
    return None


def _named_sheet(wb, kind: str):
    return next((ws for ws in wb.worksheets if ws.title.strip().casefold() == kind), None)


def _pick_sheet(wb, kind: str, path: str):
    """The sheet named ``kind``, else the first one, if it holds the ``kind`` template header."""
    named = _named_sheet(wb, kind)
    for ws in [named] if named is not None else wb.worksheets[:1]:
        found = _sheet_header(sheet_rows(ws, path=path))
        if found is not None and header_kind(found[1]) == kind:
            return ws
    return None


def _detect_xlsx(kind: str):
    def detect(s: Sniff) -> bool:
        try:
            return _pick_sheet(s.workbook(), kind, s.path.name) is not None
        except Exception:  # not a workbook, or a damaged sheet: not ours to claim
            return False
    detect.__doc__ = f"An .xlsx with a {kind!r} sheet (or first sheet) holding the template header."
    return detect


def sheet_frame(ws, spec, path: str, *, header_row: int, header: list[str],
                rows: Iterator[tuple[int, tuple]]) -> tuple[pd.DataFrame, Binding]:
    """The rows of a sheet after its header as raw cell texts (as a CSV reader gives them).

    Cells of ``date`` columns that hold numbers are read as Excel serial dates. Columns:
    one per bound key of ``spec``, ``line`` (the Excel row), ``raw``, ``cells``, ``over``.
    """
    binding = bind(header, spec, path=path, line=header_row)
    dates = {k for k in binding.positions if spec[k].kind == "date"}
    data: dict[str, list[str]] = {name: [] for name in binding.positions}
    lines: list[int] = []
    raws: list[str] = []
    for n, row in rows:
        if blank_row(row):
            continue
        for name, pos in binding.positions.items():
            value = row[pos] if pos < len(row) else None
            data[name].append(cell_text(value, date=name in dates))
        lines.append(n)
        raws.append(",".join(cell_text(v, date=False) for v in row).rstrip(","))
    raw = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    raw["line"] = np.asarray(lines, dtype="int64")
    raw["raw"] = pd.Series(raws, dtype="str")
    return raw, binding


def _load_xlsx(kind: str):
    def load(s: Sniff, options: dict) -> Export:
        wb = s.workbook()
        path = s.path.name
        # a sheet named like the template is read even with an incomplete header, so
        # that the missing column is named
        ws = _pick_sheet(wb, kind, path) or _named_sheet(wb, kind)
        if ws is None:
            raise FormatError(
                f"no sheet holds the {kind} template header (a sheet named {kind!r}, or "
                f"the first sheet, starting with {_example_header(kind)!r})", path=path)
        rows = sheet_rows(ws, path=path)
        found = _sheet_header(rows)
        if found is None:
            raise FormatError(f"no {kind} template header in sheet {ws.title!r}", path=path)
        raw, binding = sheet_frame(ws, SPECS[kind], path, header_row=found[0],
                                   header=found[1], rows=rows)
        others = [w.title for w in wb.worksheets
                  if w.title.strip().casefold() in SPECS and w is not ws]
        export = _export(s.path, kind, f"generic_{kind}_xlsx", raw, binding, options)
        for title in others:
            other = "positions" if kind == "lots" else "lots"
            export.notes.append(f"the workbook also has a {title!r} sheet; load it with "
                                f"format='generic_{other}_xlsx'")
        return export
    load.__doc__ = f"Load a generic {kind} workbook (see the module docstring)."
    return load


def _example_header(kind: str) -> str:
    if kind == "lots":
        return "account,symbol,quantity,cost_basis,acquired"
    return "account,symbol,quantity,price,market_value"


# --- rows to frames ----------------------------------------------------------------------------


def _accounts(t: b.Table, binding: Binding, options: dict, path: str) -> b.Table:
    """The table with every row's account filled (the column, else ``account=``)."""
    fallback = options.get("account")
    if not binding.has("account") and fallback is None:
        raise MissingColumnError(
            "required column missing: expected 'account' (or pass account= to load_export); "
            f"header has {[h for h in binding.header if h.strip()]!r}",
            path=path, line=binding.line, column="account")
    if fallback is not None:
        t.values["account"] = t["account"].fillna(str(fallback))
        t.context["account"] = str(fallback)
    return t.drop(t["account"].isna(),
                  "the account is empty (fill it, or pass account= to load_export)")


def _lots(t: b.Table, binding: Binding, options: dict, path: str) -> pd.DataFrame:
    if not (binding.has("cost_basis") or binding.has("cost_per_share")):
        raise MissingColumnError(
            "required column missing: expected 'cost_basis' (total dollars) or "
            f"'cost_per_share'; header has {[h for h in binding.header if h.strip()]!r}",
            path=path, line=binding.line, column="cost_basis")
    t = _accounts(t, binding, options, path)
    t.values["cost_basis"] = t["cost_basis"].fillna(t["cost_per_share"] * t["quantity"])
    t = t.drop(t["cost_basis"].lt(0), "the cost basis is negative")
    term_text = t["term"].str.casefold()
    t.values["term"] = term_text.map(_TERMS).astype("str")
    t = t.drop(term_text.notna() & t["term"].isna(),
               "cannot read term " + term_text.map(repr) + ": expected short or long (also "
               "short-term/long-term, ST/LT)")
    t = t.drop(t["quantity"].lt(0), "short lot (negative quantity): short positions are not "
                                    "supported")
    t = t.drop(t["quantity"].eq(0), "lot with zero quantity")
    lot_id = t["lot_id"].mask(t["lot_id"].isna(), Path(path).name + ":" +
                              t.line.astype("str"))
    return pd.DataFrame({
        "account": t["account"], "symbol": t["symbol"], "quantity": t["quantity"],
        "cost_basis": t["cost_basis"], "acquired": t["acquired"], "term": t["term"],
        "wash_sale_disallowed": t["wash_sale_disallowed"], "lot_id": lot_id.astype("str"),
        **t.source(path),
    })


def _positions(t: b.Table, binding: Binding, options: dict, path: str) -> pd.DataFrame:
    if not (binding.has("market_value") or (binding.has("price") and binding.has("quantity"))):
        raise MissingColumnError(
            "required column missing: expected 'market_value', or 'price' and 'quantity'; "
            f"header has {[h for h in binding.header if h.strip()]!r}",
            path=path, line=binding.line, column="market_value")
    t = _accounts(t, binding, options, path)
    asset = t["asset_class"].str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    t = t.drop(asset.notna() & ~asset.isin(ALLOWED_ASSET_CLASSES),
               "cannot read asset_class " + t["asset_class"].map(repr) + ": expected one of "
               + ", ".join(ALLOWED_ASSET_CLASSES))
    asset = asset[t.index]
    cash = asset.eq("cash").fillna(False).astype(bool)
    symbol = t["symbol"].mask(cash & t["symbol"].isna(), "CASH")
    t.values["symbol"] = symbol
    t = t.drop(symbol.isna(), "the symbol is empty")
    cash, asset = cash[t.index], asset[t.index]
    qty, price, value, basis = t["quantity"], t["price"], t["market_value"], t["cost_basis"]
    price = price.mask(cash & price.isna(), 1.0)
    value = value.fillna(qty * price)
    qty = qty.mask(cash & qty.isna(), value)
    value = value.fillna(qty * price)
    basis = basis.mask(cash & basis.isna(), value)
    t.values["market_value"], t.values["cost_basis"] = value, basis
    t.values["quantity"], t.values["price"] = qty, price
    t = t.drop(value.isna(), "no market value: fill market_value, or price and quantity")
    t = t.drop(t["cost_basis"].lt(0), "the cost basis is negative")
    cash, asset = cash[t.index], asset[t.index]
    return pd.DataFrame({
        "account": t["account"], "symbol": t["symbol"], "cusip": clean.cusips(t["symbol"]),
        "description": t["description"], "quantity": t["quantity"],
        "price": t["price"], "market_value": t["market_value"], "cost_basis": t["cost_basis"],
        "asset_class": asset.astype("str"),
        "security_type": pd.Series(pd.NA, index=t.index, dtype="str"),
        **t.source(path),
    })


def _export(path: Path, kind: str, fmt: str, raw: pd.DataFrame, binding: Binding,
            options: dict) -> Export:
    name = path.name
    b.require_rows(raw, path=name, line=binding.line, what=kind)
    skip = SkipLog(path)
    t = b.convert(raw, SPECS[kind], path=name, skip=skip, binding=binding)
    if kind == "lots":
        frame = _lots(t, binding, options, name)
        frames = {"lots": frame}
    else:
        frame = _positions(t, binding, options, name)
        frames = {"positions": frame}
    accounts = pd.DataFrame({"account": frame["account"].drop_duplicates(),
                             "name": pd.NA, "custodian": CUSTODIAN})
    return Export(path=path, format=fmt, custodian=CUSTODIAN, skipped=skip.frame(),
                  accounts=accounts, **frames)


FORMATS = [
    FormatSpec("generic_lots", CUSTODIAN, "Generic lots template (CSV)", ("text",),
               _detect_csv("lots"), _load_csv("lots"), priority=900),
    FormatSpec("generic_positions", CUSTODIAN, "Generic positions template (CSV)", ("text",),
               _detect_csv("positions"), _load_csv("positions"), priority=901),
    FormatSpec("generic_lots_xlsx", CUSTODIAN, "Generic lots template (Excel .xlsx)", ("zip",),
               _detect_xlsx("lots"), _load_xlsx("lots"), priority=900),
    FormatSpec("generic_positions_xlsx", CUSTODIAN, "Generic positions template (Excel .xlsx)",
               ("zip",), _detect_xlsx("positions"), _load_xlsx("positions"), priority=901),
]
