"""E*TRADE Gains & Losses "Download Expanded" workbook (closed lots) into ``Export.realized``.

Layout (FORMATS.md 5b; ``header_signatures.json`` key ``etrade_gl_expanded_xlsx``): an
``.xlsx`` whose sheet ``G&L_Expanded`` holds one table, header on row 1 (47 columns in
2025-26 files)::

    Record Type | Symbol | Plan Type | Quantity | Date Acquired |
    Date Acquired (Wash Sale Toggle = On) | Acquisition Cost | ... | Adjusted Cost Basis | ... |
    Date Sold | Total Proceeds | ... | Gain/Loss | ... | Adjusted Gain/Loss | ... |
    Capital Gains Status | Wash Sale Adjusted Capital Gains Status |
    Total Wash Sale Adjustment Amount | ... | Order Number

Row 2 is a sparse ``Summary`` row (totals; skipped with a reason); ``Sell`` rows follow, one
per closed lot. Other record types are skipped with a reason. Blank rows are structure.

Columns are bound by name (case-insensitively), so the older layout without the wash-sale
columns (``Qty.`` instead of ``Quantity``, renamed in 2025 per hinosxz/tax-helper PR #47;
``Term`` instead of ``Capital Gains Status``) loads too. The ``(Wash Sale Toggle = On)``
columns are distinct names and are not read.

Values
------
- Dates (``Date Acquired``, ``Date Sold``) are ``MM/DD/YYYY`` **text**; real Excel dates
  (a re-saved workbook) are read too. ``--`` is null in every column.
- ``cost_basis`` is ``Adjusted Cost Basis``: the acquisition cost plus the ordinary income
  already recognised (restricted stock vests, ESPP discounts), which is the US tax basis.
  ``gain`` is ``Adjusted Gain/Loss`` (proceeds minus that basis, before any wash-sale
  adjustment), else Total Proceeds minus Adjusted Cost Basis. E*TRADE's plain
  ``Gain/Loss`` is measured from ``Acquisition Cost`` (0 for restricted stock) and is not
  used.
- ``term`` is ``Capital Gains Status`` (``Long``/``Short``; older files: ``Term``);
  ``Wash Sale Adjusted Capital Gains Status`` is not read.
- ``wash_sale_disallowed`` is the absolute ``Total Wash Sale Adjustment Amount``; when the
  file has that column, an empty or ``--`` cell means no wash sale (0). Files without the
  column leave it missing.
- A Sell row with a zero or negative quantity (a closed short sale) is skipped with a reason.
  ``Plan Type`` (``RS``, ``ESPP``, ``SO``, blank for plain stock) is not part of the
  realized frame.

Account and date
----------------
The workbook names neither the account nor a report date: ``account`` comes from
``options["account"]`` (``load_export(..., account=...)``), else
:class:`~toolkit.errors.FormatError` asks for it; ``as_of`` is None.

Detection and errors
--------------------
A workbook is detected when it has a ``G&L_Expanded`` sheet (name compared
case-insensitively) whose header row starts with ``Record Type``. A file that is not a zip,
a zip that is not a workbook, a corrupt workbook, or a workbook without that sheet is not
detected (:class:`~toolkit.errors.UnknownFormatError` from ``load_export``); forced with
``format="etrade_gains_xlsx"`` they raise :class:`~toolkit.errors.FormatError` naming the
file. Cell errors name the Excel row number and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import REALIZED

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import ColumnSpec, bind, norm_header
from .generic import _blank_row, _cell_text, _open_workbook, _sheet_rows

FORMAT = "etrade_gains_xlsx"
CUSTODIAN = "etrade"
SHEET = "G&L_Expanded"
#: Rows searched for the header at the top of the sheet.
HEADER_SEARCH = 10

SPEC = {
    "record_type": ColumnSpec(["Record Type"]),
    "symbol": ColumnSpec(["Symbol"]),
    "quantity": ColumnSpec(["Quantity", "Qty.", "Qty"]),
    "acquired": ColumnSpec(["Date Acquired"], required=False),
    "sold": ColumnSpec(["Date Sold"]),
    "proceeds": ColumnSpec(["Total Proceeds"]),
    "cost_basis": ColumnSpec(["Adjusted Cost Basis"]),
    "adjusted_gain": ColumnSpec(["Adjusted Gain/Loss"], required=False),
    "term": ColumnSpec(["Capital Gains Status", "Term"], required=False),
    "wash": ColumnSpec(["Total Wash Sale Adjustment Amount"], required=False),
}
_DATES = {"acquired", "sold"}
_TERMS = {"long": "long", "short": "short", "long term": "long", "short term": "short",
          "long-term": "long", "short-term": "short", "lt": "long", "st": "short"}


def _sheet(wb):
    return next((ws for ws in wb.worksheets
                 if ws.title.strip().casefold() == SHEET.casefold()), None)


def _header(rows) -> tuple[int, list[str]] | None:
    """The header row (Excel row number, cells) if one of the first rows starts Record Type."""
    for n, row in rows:
        if n > HEADER_SEARCH:
            return None
        if _blank_row(row):
            continue
        cells = ["" if v is None else str(v) for v in row]
        if norm_header(cells[0]) == "record type":
            return n, cells
        return None
    return None


def detect(s: Sniff) -> bool:
    """An .xlsx with a ``G&L_Expanded`` sheet whose header row starts with Record Type."""
    try:
        wb = _open_workbook(s.path)
    except FormatError:
        return False
    try:
        ws = _sheet(wb)
        return ws is not None and _header(_sheet_rows(ws)) is not None
    except Exception:  # a damaged sheet: not ours to claim
        return False
    finally:
        wb.close()


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The sheet's rows as raw strings, and each bound column's header text.

    The frame has one column per bound name plus ``line`` (Excel row) and ``raw``; the header
    texts are for messages.
    """
    wb = _open_workbook(path)
    try:
        ws = _sheet(wb)
        if ws is None:
            raise FormatError(f"no sheet named {SHEET!r} (sheets: "
                              f"{[w.title for w in wb.worksheets]}); is this the E*TRADE "
                              "Gains & Losses 'Download Expanded' workbook?", path=path.name)
        rows = _sheet_rows(ws)
        found = _header(rows)
        if found is None:
            raise FormatError(f"sheet {SHEET!r} has no header row starting with 'Record "
                              f"Type' in its first {HEADER_SEARCH} rows", path=path.name)
        header_row, header = found
        binding = bind(header, SPEC, path=path.name, line=header_row)
        data: dict[str, list[str]] = {name: [] for name in binding.positions}
        lines: list[int] = []
        raws: list[str] = []
        for n, row in rows:
            if _blank_row(row):
                continue
            for name, pos in binding.positions.items():
                value = row[pos] if pos < len(row) else None
                data[name].append(_cell_text(value, date=name in _DATES))
            lines.append(n)
            raws.append(",".join(_cell_text(v, date=False) for v in row).rstrip(","))
    except FormatError:
        raise
    except Exception as exc:  # openpyxl's XML and zip errors while streaming rows
        raise FormatError(f"cannot read the workbook ({type(exc).__name__}: {exc})",
                          path=path.name) from exc
    finally:
        wb.close()
    raw = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    raw["line"] = np.asarray(lines, dtype="int64")
    raw["raw"] = pd.Series(raws, dtype="str")
    names = {k: str(header[pos]).strip() for k, pos in binding.positions.items()}
    return raw, names


def load(s: Sniff, options: dict) -> Export:
    """Load an E*TRADE G&L_Expanded workbook (see module docstring)."""
    path = s.path.name
    raw, names = _read(s.path)
    account = options.get("account")
    if not account:
        raise FormatError("the E*TRADE Gains & Losses workbook does not name its account; "
                          "pass account=... to load_export (for example account='1234')",
                          path=path)
    account = str(account)
    skip = SkipLog(s.path)
    kind = clean.text(raw["record_type"]).str.casefold()
    summary = kind.eq("summary").fillna(False).astype(bool)
    sell = kind.eq("sell").fillna(False).astype(bool)
    if summary.any():
        skip.add_frame(raw[summary], "summary row: totals of the Sell rows below")
    other = ~(summary | sell)
    if other.any():
        reasons = "record type " + clean.text(raw["record_type"][other]).fillna("(empty)").map(
            repr) + " is not a closed lot (only Sell rows are loaded)"
        skip.add_frame(raw[other], reasons)
    raw = raw[sell]
    realized = _realized(raw, names, account, s, skip) if len(raw) else REALIZED.empty()
    accounts = pd.DataFrame({"account": [account], "name": [pd.NA], "custodian": [CUSTODIAN]})
    return Export(path=s.path, format=FORMAT, custodian=CUSTODIAN, realized=realized,
                  skipped=skip.frame(), accounts=accounts)


def _realized(raw: pd.DataFrame, names: dict[str, str], account: str, s: Sniff,
              skip: SkipLog) -> pd.DataFrame:
    path = s.path.name
    w = b.where(path, raw)
    sym = clean.symbol(raw["symbol"])
    nosym = sym.isna()
    if nosym.any():
        skip.add_frame(raw[nosym], "Sell row has no symbol")
    qty = clean.number(raw["quantity"], column=names["quantity"], where=w)
    noqty = ~nosym & qty.isna()
    if noqty.any():
        skip.add_frame(raw[noqty], "Sell row has no quantity")
    bad = ~nosym & ~noqty & qty.le(0).fillna(False)
    if bad.any():
        skip.add_frame(raw[bad], "quantity is not positive: closed short positions are not "
                                 "supported")
    keep = ~(nosym | noqty | bad)
    raw = raw[keep]
    w = b.where(path, raw)
    sold = clean.date(raw["sold"], column=names["sold"], where=w)
    if sold.isna().any():
        raise w.error(sold.index[sold.isna()][0], names["sold"], "a Sell row has no sale date")
    acquired = clean.date(b.col(raw, "acquired"), column=names.get("acquired", "acquired"),
                          where=w)
    proceeds = clean.number(raw["proceeds"], column=names["proceeds"], where=w)
    basis = clean.number(raw["cost_basis"], column=names["cost_basis"], where=w)
    gain = clean.number(b.col(raw, "adjusted_gain"),
                        column=names.get("adjusted_gain", "adjusted_gain"), where=w)
    gain = gain.fillna(proceeds - basis)
    term_text = clean.text(b.col(raw, "term")).str.casefold()
    term = term_text.map(_TERMS).astype("str")
    unknown = term_text.notna() & term.isna()
    if unknown.any():
        raise w.error(unknown.index[unknown][0], names["term"],
                      f"expected Long or Short, found {term_text[unknown].iloc[0]!r}")
    if "wash" in raw.columns:
        wash = clean.number(raw["wash"], column=names["wash"],
                            where=w).abs().fillna(0.0)
    else:
        wash = pd.Series(np.nan, index=raw.index)
    return pd.DataFrame({
        "account": pd.Series(account, index=raw.index, dtype="str"),
        "symbol": sym[keep],
        "quantity": qty[keep],
        "acquired": acquired,
        "sold": sold,
        "proceeds": proceeds,
        "cost_basis": basis,
        "gain": gain,
        "term": term,
        "wash_sale_disallowed": wash,
        **b.source_columns(raw, s.path),
    })


FORMATS = [
    FormatSpec(FORMAT, CUSTODIAN, "E*TRADE Gains & Losses 'Download Expanded' workbook "
               "(G&L_Expanded sheet; closed lots)", ("zip",), detect, load, priority=30),
]
