"""What ``python -m toolkit inspect`` reports, as plain data.

Detected formats, accounts with tax types, counts, value and basis per account, cash,
unclassified symbols, skipped rows with reasons and, for a household, the reconciliation of
lots against positions (:func:`toolkit.reconcile`). The JSON form is documented in the README.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.accounts import infer_tax_type
from toolkit.history import reconcile, reconciliation_summary
from toolkit.household import Household, totals_by_account
from toolkit.household_file import load_household
from toolkit.io import Export, load_export
from toolkit.schema import UNCLASSIFIED
from toolkit.securities import load_securities

__all__ = ["inspect_export", "inspect_household", "inspect_path"]


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 2)


def _files(exports: list[Export]) -> list[dict]:
    return [e.summary() for e in exports]


def _skipped(df: pd.DataFrame) -> list[dict]:
    return [{"file": r.file, "line": None if pd.isna(r.line) else int(r.line), "reason": r.reason}
            for r in df.itertuples(index=False)]


def _unclassified(pos: pd.DataFrame) -> list[dict]:
    u = pos[pos["asset_class"] == UNCLASSIFIED]
    return [{"account": r.account, "symbol": r.symbol,
             "description": None if pd.isna(r.description) else r.description,
             "market_value": _num(r.market_value)} for r in u.itertuples(index=False)]


def _account_rows(totals: pd.DataFrame) -> list[dict]:
    out = []
    for r in totals.to_dict(orient="records"):
        out.append({
            "account": r["account"],
            "name": None if pd.isna(r.get("name")) else r.get("name"),
            "owner": None if pd.isna(r.get("owner")) else r.get("owner"),
            "custodian": None if pd.isna(r.get("custodian")) else r.get("custodian"),
            "tax_type": None if pd.isna(r.get("tax_type")) else r.get("tax_type"),
            "tax_type_inferred": bool(r.get("tax_type_inferred", False)),
            "market_value": _num(r["market_value"]),
            "cost_basis": _num(r["cost_basis"]),
            "basis_missing": int(r["basis_missing"]),
            "cash": _num(r["cash"]),
            "positions": int(r["positions"]),
            "lots": int(r["lots"]),
            "transactions": int(r["transactions"]),
        })
    return out


def _totals(accounts: list[dict]) -> dict:
    def s(key):
        vals = [a[key] for a in accounts if a[key] is not None]
        return round(sum(vals), 2) if vals else None
    return {"market_value": s("market_value"), "cost_basis": s("cost_basis"), "cash": s("cash"),
            "positions": sum(a["positions"] for a in accounts),
            "lots": sum(a["lots"] for a in accounts),
            "transactions": sum(a["transactions"] for a in accounts)}


def inspect_export(export: Export) -> dict:
    """Summarise one loaded export (accounts typed from the broker's names where possible).

    Parameters
    ----------
    export : Export

    Returns
    -------
    dict
        The ``inspect`` report (see README, "inspect --json").
    """
    master = load_securities()
    pos = export.positions.copy()
    if len(pos):
        given = pos["asset_class"]
        pos["asset_class"] = given.where(given.notna(), master.classify(pos["symbol"],
                                                                        pos["cusip"]))
    per = totals_by_account(list(export.accounts["account"]), pos, export.lots,
                            export.transactions)
    names = dict(zip(export.accounts["account"], export.accounts["name"], strict=True))
    per["name"] = per["account"].map(names)
    per["owner"] = None
    per["custodian"] = export.custodian
    types = [infer_tax_type(n) for n in per["name"]]
    per["tax_type"] = [None if t is None else t.value for t in types]
    per["tax_type_inferred"] = [t is not None for t in types]
    accounts = _account_rows(per)
    return {
        "kind": "export",
        "path": str(export.path),
        "format": export.format,
        "as_of": None if export.as_of is None else export.as_of.date().isoformat(),
        "files": _files([export]),
        "accounts": accounts,
        "totals": _totals(accounts),
        "unclassified": _unclassified(pos) if len(pos) else [],
        "skipped": _skipped(export.skipped),
        "warnings": list(export.notes),
    }


def inspect_household(h: Household) -> dict:
    """Summarise a loaded household.

    Parameters
    ----------
    h : Household

    Returns
    -------
    dict
        The ``inspect`` report (see README, "inspect --json"); after the name and date,
        what could not be loaded: ``not_loaded`` (sentences, :meth:`Household.not_loaded
        <toolkit.household.Household.not_loaded>`), ``unreliable`` (the holdings, as
        records) and ``pending_cash`` (account -> signed dollars in transit, accounts with
        none left out).
    """
    totals = h.account_totals()
    inferred = dict(zip(h.accounts["account"], h.accounts["tax_type_inferred"], strict=True))
    totals["tax_type_inferred"] = totals["account"].map(inferred)
    accounts = _account_rows(totals)
    pending = h.pending_cash
    return {
        "kind": "household",
        "path": None if h.path is None else str(h.path),
        "name": h.name,
        "as_of": h.as_of.date().isoformat(),
        "not_loaded": h.not_loaded(),
        "unreliable": [{"account": None if pd.isna(r.account) else r.account,
                        "symbol": None if pd.isna(r.symbol) else r.symbol,
                        "rows": int(r.rows), "detail": r.detail}
                       for r in h.unreliable.itertuples(index=False)],
        "pending_cash": {a: round(float(v), 2) for a, v in pending.items() if v != 0.0},
        "files": _files(h.exports),
        "accounts": accounts,
        "totals": _totals(accounts),
        "unclassified": _unclassified(h.positions),
        "skipped": _skipped(h.skipped),
        "reconciliation": reconciliation_summary(reconcile(h)),
        "warnings": list(h.warnings),
    }


def inspect_path(path: str | Path) -> dict:
    """Inspect an export or a household file (``.toml``).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        The ``inspect`` report.
    """
    p = Path(path)
    if p.suffix.lower() == ".toml":
        return inspect_household(load_household(p))
    return inspect_export(load_export(p))
