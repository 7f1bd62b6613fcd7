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

import numpy as np
import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, norm_header
from ._xlsx import blank_row, sheet_rows
from .generic import sheet_frame

FORMAT = "etrade_gains_xlsx"
CUSTODIAN = "etrade"
SHEET = "G&L_Expanded"
#: Rows searched for the header at the top of the sheet.
HEADER_SEARCH = 10

SPEC = {
    "record_type": Col.text("Record Type"),
    "symbol": Col.symbol("Symbol", need=True, missing="Sell row has no symbol"),
    "quantity": Col.quantity("Quantity", "Qty.", "Qty", need=True,
                             missing="Sell row has no quantity"),
    "acquired": Col.date("Date Acquired", required=False),
    "sold": Col.date("Date Sold", need=True, missing="a Sell row has no sale date"),
    "proceeds": Col.money("Total Proceeds"),
    "cost_basis": Col.money("Adjusted Cost Basis"),
    "adjusted_gain": Col.money("Adjusted Gain/Loss", required=False),
    "term": Col.text("Capital Gains Status", "Term", required=False),
    "wash": Col.money("Total Wash Sale Adjustment Amount", required=False),
}
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
        if blank_row(row):
            continue
        cells = ["" if v is None else str(v) for v in row]
        if norm_header(cells[0]) == "record type":
            return n, cells
        return None
    return None


def detect(s: Sniff) -> bool:
    """An .xlsx with a ``G&L_Expanded`` sheet whose header row starts with Record Type."""
    try:
        ws = _sheet(s.workbook())
        return ws is not None and _header(sheet_rows(ws, path=s.path.name)) is not None
    except Exception:  # not a workbook, or a damaged sheet: not ours to claim
        return False


def load(s: Sniff, options: dict) -> Export:
    """Load an E*TRADE G&L_Expanded workbook (see module docstring)."""
    path = s.path.name
    wb = s.workbook()
    ws = _sheet(wb)
    if ws is None:
        raise FormatError(f"no sheet named {SHEET!r} (sheets: "
                          f"{[w.title for w in wb.worksheets]}); is this the E*TRADE "
                          "Gains & Losses 'Download Expanded' workbook?", path=path)
    rows = sheet_rows(ws, path=path)
    found = _header(rows)
    if found is None:
        raise FormatError(f"sheet {SHEET!r} has no header row starting with 'Record "
                          f"Type' in its first {HEADER_SEARCH} rows", path=path)
    raw, binding = sheet_frame(ws, SPEC, path, header_row=found[0], header=found[1], rows=rows)
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
        skip.add_frame(raw[summary], "summary row: totals of the Sell rows below",
                       account=account)
    other = ~(summary | sell)
    if other.any():
        reasons = "record type " + clean.text(raw["record_type"][other]).fillna(
            "(empty)").map(repr) + " is not a closed lot (only Sell rows are loaded)"
        skip.add_frame(raw[other], reasons, account=account)
    notes: list[str] = []
    t = b.convert(raw[sell], SPEC, path=path, skip=skip, binding=binding,
                  context={"account": account})
    realized = _realized(t, account, s, notes)
    accounts = pd.DataFrame({"account": [account], "name": [pd.NA], "custodian": [CUSTODIAN]})
    return Export(path=s.path, format=FORMAT, custodian=CUSTODIAN, realized=realized,
                  skipped=skip.frame(), accounts=accounts, notes=notes)


def _realized(t: b.Table, account: str, s: Sniff, notes: list[str]) -> pd.DataFrame:
    t = t.drop(t["quantity"].le(0), "quantity is not positive: closed short positions are not "
                                    "supported")
    term_text = t["term"].str.casefold()
    term = term_text.map(_TERMS).astype("str")
    t = t.drop(term_text.notna() & term.isna(),
               "cannot read " + t.header("term") + " " + term_text.map(repr) +
               ": expected Long or Short")
    if t.has("wash"):
        wash = t["wash"].abs().fillna(0.0)
    else:
        wash = pd.Series(np.nan, index=t.index)
    return b.realized_frame(
        t.index, account=account, symbol=t["symbol"], quantity=t["quantity"], sold=t["sold"],
        acquired=t["acquired"], proceeds=t["proceeds"], cost_basis=t["cost_basis"],
        gain=t["adjusted_gain"], term=term[t.index], wash_sale_disallowed=wash[t.index],
        source=t.source(s.path), notes=notes)


FORMATS = [
    FormatSpec(FORMAT, CUSTODIAN, "E*TRADE Gains & Losses 'Download Expanded' workbook "
               "(G&L_Expanded sheet; closed lots)", ("zip",), detect, load, priority=30),
]
