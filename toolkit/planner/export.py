"""Plans for people: a formatted, formula-safe XLSX trade list, CSV and JSON.

Cell text that starts with ``=``, ``+``, ``-`` or ``@`` is neutralised (a leading apostrophe)
so an exported file can never carry a formula (CSV/formula injection); the worksheet layout
and the neutralising live in :mod:`toolkit._xlsx`, shared with the meeting pack.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from toolkit._xlsx import safe_frame, safe_text, write_sheet  # noqa: F401 (moved)
from toolkit.accounts import AccountMasker

__all__ = ["plan_to_json", "plan_to_xlsx"]


def plan_to_xlsx(plan, path, *, mask_accounts: bool = False) -> None:
    """Write a plan's trades, lots, drift and summary to ``path`` (.xlsx)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Trades"
    trades = plan.trades.copy()
    lots = plan.lots.copy()
    if mask_accounts:
        # every text cell: the account column and the reasons that name accounts
        # (the household's masks: unique, the same as on screen and in the meeting pack)
        masker = (AccountMasker.of(plan.household.accounts) if plan.household is not None else
                  AccountMasker.of([*trades["account"].dropna(), *lots["account"].dropna()]))
        trades, lots = masker.frame(trades), masker.frame(lots)
    write_sheet(ws, trades, formats={"shares": "shares", "price": "money", "amount": "money",
                                     "short_term_gain": "money", "long_term_gain": "money",
                                     "gain": "money", "est_tax": "money"},
                widths={"reason": 80})
    write_sheet(wb.create_sheet("Lots sold"), lots, formats={
        "acquired": "date", "holding_start": "date", "quantity": "shares", "price": "money",
        "proceeds": "money", "cost_basis": "money", "gain": "money", "est_tax": "money"})
    d = plan.drift.reset_index()
    write_sheet(wb.create_sheet("Drift"), d, formats={"before": "pct", "after": "pct"})
    s = plan.summary.to_dict()
    rows = [(k, v) for k, v in s.items() if not isinstance(v, dict | list | tuple)
            and v is not None]
    rows += [(f"deferred: {d['asset_class']}", d["reason"]) for d in s["deferred"]]
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

    return {"mode": plan.mode, "summary": _plain(plan.summary.to_dict()),
            "steps": records(plan.steps),
            "trades": records(plan.trades), "lots": records(plan.lots),
            "notes": list(plan.notes)}
