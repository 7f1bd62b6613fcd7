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
supported). A missing symbol, quantity (lots), acquired date or value, a negative basis, or
a cell that cannot be read raises :class:`~toolkit.errors.FormatError` naming the line (CSV)
or the Excel row number, and the column.
"""

from __future__ import annotations

import datetime as dt
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
from ._text import Binding, ColumnSpec, bind, decode, is_blank, norm_header

CUSTODIAN = "generic"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: Leading lines (``#`` comments, blanks and the header) searched for the header.
HEADER_SEARCH = 50
#: Largest Excel serial date (9999-12-31); a bigger number in a date cell is ``yyyymmdd``.
_MAX_SERIAL = 2958465

ALLOWED_ASSET_CLASSES = (*ASSET_CLASSES, MULTI_ASSET)
_TERMS = {"short": "short", "short-term": "short", "short term": "short", "st": "short",
          "long": "long", "long-term": "long", "long term": "long", "lt": "long"}


def _names(name: str) -> list[str]:
    return [name, name.replace("_", " ")]


_NUMERIC = {"quantity", "cost_basis", "cost_per_share", "wash_sale_disallowed", "price",
            "market_value"}


def _spec(required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, ColumnSpec]:
    spec = {n: ColumnSpec(_names(n), numeric=n in _NUMERIC) for n in required}
    spec.update({n: ColumnSpec(_names(n), required=False, numeric=n in _NUMERIC)
                 for n in optional})
    return spec


LOTS_SPEC = _spec(("symbol", "quantity", "acquired"),
                  ("account", "cost_basis", "cost_per_share", "term", "wash_sale_disallowed",
                   "lot_id", "description"))
POSITIONS_SPEC = _spec(("symbol",),
                       ("account", "quantity", "price", "market_value", "cost_basis",
                        "description", "asset_class"))
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
        tf = s.text if s.text is not None else decode(s.path, s.path.read_bytes())
        h = _csv_header(tf.lines)
        if h is None:
            raise FormatError(f"no {kind} template header found; the file has only comments "
                              "or blank lines", path=tf.name)
        raw, binding = b.read_blocks(tf, h, len(tf.lines), SPECS[kind], path=tf.name)
        return _export(s.path, kind, f"generic_{kind}", raw, binding, options)
    load.__doc__ = f"Load a generic {kind} CSV (see the module docstring)."
    return load


# --- XLSX --------------------------------------------------------------------------------------


def _open_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors
        raise FormatError(f"cannot open as an Excel workbook ({type(exc).__name__}: {exc}); "
                          "is the file a corrupt or password-protected .xlsx?",
                          path=path.name) from exc


def _sheet_rows(ws) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, cell values) for every row from row 1, gaps included."""
    ws.reset_dimensions()  # read-only sheets trust a stored dimension that may be wrong
    yield from enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)


def _blank_row(row: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _sheet_header(rows: Iterator[tuple[int, tuple]]) -> tuple[int, list[str]] | None:
    for n, row in rows:
        if n > HEADER_SEARCH:
            return None
        if _blank_row(row) or _is_comment(row[0] if row else None):
            continue
        return n, ["" if v is None else str(v) for v in row]
    return None


def _named_sheet(wb, kind: str):
    return next((ws for ws in wb.worksheets if ws.title.strip().casefold() == kind), None)


def _pick_sheet(wb, kind: str):
    """The sheet named ``kind``, else the first one, if it holds the ``kind`` template header."""
    named = _named_sheet(wb, kind)
    for ws in [named] if named is not None else wb.worksheets[:1]:
        found = _sheet_header(_sheet_rows(ws))
        if found is not None and header_kind(found[1]) == kind:
            return ws
    return None


def _detect_xlsx(kind: str):
    def detect(s: Sniff) -> bool:
        try:
            wb = _open_workbook(s.path)
        except FormatError:
            return False
        try:
            return _pick_sheet(wb, kind) is not None
        except Exception:  # a damaged sheet: not ours to claim
            return False
        finally:
            wb.close()
    detect.__doc__ = f"An .xlsx with a {kind!r} sheet (or first sheet) holding the template header."
    return detect


def _cell_text(value: Any, *, date: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        if date and 0 < value <= _MAX_SERIAL:
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).strftime("%Y-%m-%d")
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return str(value)
    return str(value)


def _sheet_frame(ws, kind: str, path: str) -> tuple[pd.DataFrame, Binding]:
    rows = _sheet_rows(ws)
    found = _sheet_header(rows)
    if found is None:
        raise FormatError(f"no {kind} template header in sheet {ws.title!r}", path=path)
    header_row, header = found
    binding = bind(header, SPECS[kind], path=path, line=header_row)
    data: dict[str, list[str]] = {name: [] for name in binding.positions}
    lines: list[int] = []
    raws: list[str] = []
    for n, row in rows:
        if _blank_row(row):
            continue
        texts = []
        for name, pos in binding.positions.items():
            value = row[pos] if pos < len(row) else None
            data[name].append(_cell_text(value, date=name == "acquired"))
        for v in row:
            texts.append(_cell_text(v, date=False))
        lines.append(n)
        raws.append(",".join(texts).rstrip(","))
    raw = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    raw["line"] = np.asarray(lines, dtype="int64")
    raw["raw"] = pd.Series(raws, dtype="str")
    return raw, binding


def _load_xlsx(kind: str):
    def load(s: Sniff, options: dict) -> Export:
        wb = _open_workbook(s.path)
        try:
            # a sheet named like the template is read even with an incomplete header, so
            # that the missing column is named
            ws = _pick_sheet(wb, kind) or _named_sheet(wb, kind)
            if ws is None:
                raise FormatError(
                    f"no sheet holds the {kind} template header (a sheet named {kind!r}, or "
                    f"the first sheet, starting with {_example_header(kind)!r})",
                    path=s.path.name)
            raw, binding = _sheet_frame(ws, kind, s.path.name)
            others = [w.title for w in wb.worksheets
                      if w.title.strip().casefold() in SPECS and w is not ws]
        except FormatError:
            raise
        except Exception as exc:
            raise FormatError(f"cannot read the workbook ({type(exc).__name__}: {exc})",
                              path=s.path.name) from exc
        finally:
            wb.close()
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


def _first_missing(mask: pd.Series, w: clean.Where, column: str, message: str) -> None:
    if mask.any():
        raise w.error(mask.index[mask.to_numpy()][0], column, message)


def _accounts(raw: pd.DataFrame, binding: Binding, options: dict, path: str,
              w: clean.Where) -> pd.Series:
    fallback = options.get("account")
    if not binding.has("account") and fallback is None:
        raise MissingColumnError(
            "required column missing: expected 'account' (or pass account= to load_export); "
            f"header has {[h for h in binding.header if h.strip()]!r}",
            path=path, line=binding.line, column="account")
    account = clean.text(b.col(raw, "account"))
    if fallback is not None:
        account = account.fillna(str(fallback))
    _first_missing(account.isna(), w, "account",
                   "the account is empty (fill it, or pass account= to load_export)")
    return account


def _lots(raw: pd.DataFrame, binding: Binding, options: dict, path: str,
          skip: SkipLog) -> pd.DataFrame:
    if not (binding.has("cost_basis") or binding.has("cost_per_share")):
        raise MissingColumnError(
            "required column missing: expected 'cost_basis' (total dollars) or "
            f"'cost_per_share'; header has {[h for h in binding.header if h.strip()]!r}",
            path=path, line=binding.line, column="cost_basis")
    w = b.where(path, raw)
    account = _accounts(raw, binding, options, path, w)
    symbol = clean.symbol(raw["symbol"])
    _first_missing(symbol.isna(), w, "symbol", "the symbol is empty")
    qty = clean.number(raw["quantity"], column="quantity", where=w)
    _first_missing(qty.isna(), w, "quantity", "the quantity is empty")
    basis = clean.number(b.col(raw, "cost_basis"), column="cost_basis", where=w)
    per_share = clean.number(b.col(raw, "cost_per_share"), column="cost_per_share", where=w)
    basis = basis.fillna(per_share * qty)
    _first_missing(basis < 0, w, "cost_basis" if binding.has("cost_basis") else "cost_per_share",
                   "the cost basis is negative")
    acquired = clean.date(raw["acquired"], column="acquired", where=w)
    _first_missing(acquired.isna(), w, "acquired", "the acquired date is empty")
    term_text = clean.text(b.col(raw, "term")).str.casefold()
    term = term_text.map(_TERMS).astype("str")
    _first_missing(term_text.notna() & term.isna(), w, "term",
                   "expected short or long (also short-term/long-term, ST/LT)")
    wash = clean.number(b.col(raw, "wash_sale_disallowed"), column="wash_sale_disallowed",
                        where=w)
    lot_id = clean.text(b.col(raw, "lot_id"))
    no_id = lot_id.isna()
    if no_id.any():
        lot_id = lot_id.mask(no_id, Path(path).name + ":" + raw["line"].astype("str"))

    short = qty < 0
    zero = qty == 0
    if short.any():
        skip.add_frame(raw[short], "short lot (negative quantity): short positions are not "
                                   "supported")
    if zero.any():
        skip.add_frame(raw[zero], "lot with zero quantity")
    keep = ~(short | zero)
    return pd.DataFrame({
        "account": account, "symbol": symbol, "quantity": qty, "cost_basis": basis,
        "acquired": acquired, "term": term, "wash_sale_disallowed": wash, "lot_id": lot_id,
        **b.source_columns(raw, path),
    })[keep]


def _positions(raw: pd.DataFrame, binding: Binding, options: dict,
               path: str) -> pd.DataFrame:
    if not (binding.has("market_value") or (binding.has("price") and binding.has("quantity"))):
        raise MissingColumnError(
            "required column missing: expected 'market_value', or 'price' and 'quantity'; "
            f"header has {[h for h in binding.header if h.strip()]!r}",
            path=path, line=binding.line, column="market_value")
    w = b.where(path, raw)
    account = _accounts(raw, binding, options, path, w)
    asset_text = clean.text(b.col(raw, "asset_class"))
    asset = asset_text.str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    bad = asset.notna() & ~asset.isin(ALLOWED_ASSET_CLASSES)
    _first_missing(bad, w, "asset_class",
                   f"unknown asset class; expected one of {', '.join(ALLOWED_ASSET_CLASSES)}")
    cash = asset.eq("cash").fillna(False).astype(bool)
    symbol = clean.symbol(raw["symbol"])
    symbol = symbol.mask(cash & symbol.isna(), "CASH")
    _first_missing(symbol.isna(), w, "symbol", "the symbol is empty")
    qty = clean.number(b.col(raw, "quantity"), column="quantity", where=w)
    price = clean.number(b.col(raw, "price"), column="price", where=w)
    value = clean.number(b.col(raw, "market_value"), column="market_value", where=w)
    basis = clean.number(b.col(raw, "cost_basis"), column="cost_basis", where=w)
    price = price.mask(cash & price.isna(), 1.0)
    value = value.fillna(qty * price)
    qty = qty.mask(cash & qty.isna(), value)
    value = value.fillna(qty * price)
    basis = basis.mask(cash & basis.isna(), value)
    _first_missing(value.isna(), w, "market_value",
                   "no market value: fill market_value, or price and quantity")
    _first_missing(basis < 0, w, "cost_basis", "the cost basis is negative")
    return pd.DataFrame({
        "account": account, "symbol": symbol, "cusip": clean.cusips(symbol),
        "description": clean.text(b.col(raw, "description")), "quantity": qty,
        "price": price, "market_value": value, "cost_basis": basis,
        "asset_class": asset.astype("str"),
        "security_type": pd.Series(pd.NA, index=raw.index, dtype="str"),
        **b.source_columns(raw, path),
    })


def _export(path: Path, kind: str, fmt: str, raw: pd.DataFrame, binding: Binding,
            options: dict) -> Export:
    name = path.name
    b.require_rows(raw, path=name, line=binding.line, what=kind)
    skip = SkipLog(path)
    if kind == "lots":
        frame = _lots(raw, binding, options, name, skip)
        frames = {"lots": frame}
    else:
        frame = _positions(raw, binding, options, name)
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
