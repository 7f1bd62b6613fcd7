"""Plans for people: a formatted, formula-safe XLSX trade list, CSV and JSON.

Cell text that starts with ``=``, ``+``, ``-`` or ``@`` is neutralised (a leading apostrophe)
so an exported file can never carry a formula (CSV/formula injection).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.accounts import mask_account

__all__ = ["mask_account", "plan_to_json", "plan_to_xlsx", "safe_frame", "safe_text",
           "write_sheet"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell passed through :func:`safe_text`."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object:
            out[c] = out[c].map(safe_text, na_action="ignore")
    return out


_MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'
_SHARES = "#,##0.000"
_PCT = "0.00%"
_DATE = "yyyy-mm-dd"


def write_sheet(ws, df: pd.DataFrame, *, formats: dict[str, str] | None = None,
                widths: dict[str, int] | None = None) -> None:
    """Write ``df`` to an openpyxl worksheet for people.

    Bold frozen header, number formats, column widths, formula-safe text.

    Parameters
    ----------
    ws : openpyxl worksheet
    df : DataFrame
    formats : dict, optional
        Column -> Excel number format (``"money"``, ``"shares"``, ``"pct"``, ``"date"`` or a
        format string).
    widths : dict, optional
        Column -> width in characters (default: fitted to the content, at most 60).
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    named = {"money": _MONEY, "shares": _SHARES, "pct": _PCT, "date": _DATE}
    formats = {k: named.get(v, v) for k, v in (formats or {}).items()}
    ws.append([str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in df.itertuples(index=False):
        out = []
        for v in row:
            if isinstance(v, float) and math.isnan(v):
                v = None
            elif v is pd.NaT or (not isinstance(v, str) and pd.api.types.is_scalar(v)
                                 and pd.isna(v)):
                v = None
            elif isinstance(v, pd.Timestamp):
                v = v.to_pydatetime().date()
            out.append(safe_text(v))
        ws.append(out)
    for j, col in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        fmt = formats.get(col)
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        if widths and col in widths:
            width = widths[col]
        else:
            longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
            width = min(60, max(8, longest + 2))
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def plan_to_xlsx(plan, path, *, mask_accounts: bool = False) -> None:
    """Write a plan's trades, lots, drift and summary to ``path`` (.xlsx)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Trades"
    trades = plan.trades.copy()
    lots = plan.lots.copy()
    if mask_accounts:
        for df in (trades, lots):
            df["account"] = df["account"].map(mask_account)
    write_sheet(ws, trades, formats={"shares": "shares", "price": "money", "amount": "money",
                                     "short_term_gain": "money", "long_term_gain": "money",
                                     "gain": "money", "est_tax": "money"},
                widths={"reason": 80})
    write_sheet(wb.create_sheet("Lots sold"), lots, formats={
        "acquired": "date", "holding_start": "date", "quantity": "shares", "price": "money",
        "proceeds": "money", "cost_basis": "money", "gain": "money", "est_tax": "money"})
    d = plan.drift.reset_index()
    write_sheet(wb.create_sheet("Drift"), d, formats={"before": "pct", "after": "pct"})
    s = plan.summary
    rows = [(k, v) for k, v in s.items() if not isinstance(v, dict)]
    summary = pd.DataFrame(rows, columns=["item", "value"])
    write_sheet(wb.create_sheet("Summary"), summary)
    wb.save(Path(path))


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    if hasattr(v, "item"):
        return _plain(v.item())
    return v


def plan_to_json(plan) -> dict:
    """A plan as plain data: ``mode``, ``summary``, ``steps``, ``trades``, ``lots``, ``notes``."""
    def records(df: pd.DataFrame) -> list[dict]:
        return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

    return {"mode": plan.mode, "summary": _plain(plan.summary), "steps": records(plan.steps),
            "trades": records(plan.trades), "lots": records(plan.lots),
            "notes": list(plan.notes)}
