"""Worksheets for people: the one XLSX formatter every export shares.

Bold frozen header, number formats by column (money, shares, percent, date), fitted column
widths, and formula-safe text: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe so a spreadsheet never runs it (CSV/formula
injection). Used by :mod:`toolkit.planner.export` (the trade list) and :mod:`toolkit.report`
(the meeting pack).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = ["FORMATS", "safe_frame", "safe_text", "write_items", "write_sheet"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

#: Named Excel number formats: dollars with cents (negatives red), shares to 3 decimals,
#: fractions shown as percentages, ISO dates, plain numbers with 2 decimals, whole numbers.
FORMATS = {
    "money": '"$"#,##0.00;[Red]-"$"#,##0.00',
    "shares": "#,##0.000",
    "pct": "0.00%",
    "date": "yyyy-mm-dd",
    "number": "#,##0.00",
    "int": "0",
}


def safe_text(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would read as a formula.

    Parameters
    ----------
    value : Any
        A cell value; only ``str`` values are changed.

    Returns
    -------
    Any
        ``value`` with a leading ``'`` when it starts with ``=``, ``+``, ``-``, ``@``, a tab
        or a carriage return; otherwise ``value`` unchanged.
    """
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell passed through :func:`safe_text`."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_string_dtype(out[c]) or pd.api.types.is_object_dtype(out[c]):
            out[c] = out[c].map(safe_text, na_action="ignore")
    return out


def _cell(v: Any) -> Any:
    """A frame value as openpyxl stores it: missing -> None, timestamps -> dates."""
    if isinstance(v, str):
        return safe_text(v)
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if pd.api.types.is_scalar(v) and pd.isna(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().date() if v == v.normalize() else v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, dt.date):  # numpy scalars
        return v.item()
    return v


def _shown_len(v: Any) -> int:
    """Roughly how many characters a written cell shows (for column widths)."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 5
    if isinstance(v, float):
        return len(f"{v:,.2f}") + 1
    if isinstance(v, dt.datetime):
        return 19
    if isinstance(v, dt.date):
        return 10
    return len(str(v))


def write_sheet(ws, df: pd.DataFrame, *, formats: dict[str, str] | None = None,
                widths: dict[str, int] | None = None) -> None:
    """Write ``df`` to an empty openpyxl worksheet for people.

    Bold frozen header, number formats, column widths, formula-safe text. Missing values
    (NaN, NaT, ``pd.NA``) are written as empty cells; timestamps at midnight as dates.

    Parameters
    ----------
    ws : openpyxl worksheet
    df : DataFrame
        Written as is: one header row of column names, then one row per frame row (the
        index is not written).
    formats : dict, optional
        Column -> Excel number format: a name of :data:`FORMATS` (``"money"``,
        ``"shares"``, ``"pct"``, ``"date"``, ``"number"``, ``"int"``) or a format string.
    widths : dict, optional
        Column -> width in characters (default: fitted to the header and the first 200
        values, between 8 and 60).
    """
    formats = {k: FORMATS.get(v, v) for k, v in (formats or {}).items()}
    ws.append([str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False)]
    for row in rows:
        ws.append(row)
    for j, col in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        fmt = formats.get(col)
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        if widths and col in widths:
            width = widths[col]
        else:
            longest = max([len(str(col))] + [_shown_len(r[j - 1]) for r in rows[:200]])
            width = min(60, max(8, longest + 2))
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def write_items(ws, items: Sequence[tuple[str, Any, str | None]], *,
                header: tuple[str, str] = ("Item", "Value")) -> None:
    """Write label/value pairs, each value with its own number format, for people.

    A two-column sheet (a summary), laid out by :func:`write_sheet`, then each value cell
    given the format named in its item.

    Parameters
    ----------
    ws : openpyxl worksheet
    items : sequence of (label, value, format)
        ``format`` is a name of :data:`FORMATS`, a format string, or None (general).
    header : tuple of str, default ("Item", "Value")
    """
    df = pd.DataFrame([(k, v) for k, v, _ in items], columns=list(header), dtype="object")
    write_sheet(ws, df)
    for i, (_, _, fmt) in enumerate(items, start=2):
        if fmt:
            ws.cell(row=i, column=2).number_format = FORMATS.get(fmt, fmt)
