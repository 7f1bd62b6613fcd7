"""The client-meeting pack: one household's charts, a PDF and a workbook in one folder.

:func:`meeting_pack` asks the core about a household (drift, allocation by account and by tax
type, lot status, a plan) and writes what a meeting needs:

* one PNG per chart, drawn by :mod:`toolkit.plots`: ``allocation.png`` (allocation against
  target), ``drift.png`` (drift with bands), ``accounts.png`` (allocation by account: the
  asset-location map), ``plan.png`` (drift before and after the plan), ``lot_gains.png``
  (unrealised gain of each taxable lot by term) and, only when asked, ``cadence.png``
  (rebalancing policies compared; slow);
* ``meeting.pdf``: a title page (household, date, a short summary, the accounts) and one
  page per chart;
* ``household.xlsx``: the sheets of :data:`SHEETS`, formatted for people and formula-safe
  (:mod:`toolkit._xlsx`).

Account ids are masked to their last three characters everywhere (cells, free text such as
a plan's reasons, chart labels, the title page) unless ``mask_accounts=False``. Nothing here
computes what the core computes; this module only lays results out.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from openpyxl import Workbook

from toolkit._xlsx import mask_frame, write_items, write_sheet
from toolkit.accounts import mask_text
from toolkit.allocation import Band, allocation, drift
from toolkit.cadence import (
    Calendar,
    Hybrid,
    Opportunistic,
    SeedRecommendation,
    Threshold,
    compare_policies,
)
from toolkit.household import Household
from toolkit.planner import plan as make_plan
from toolkit.plots import (
    plot_account_allocation,
    plot_allocation,
    plot_cadence,
    plot_drift,
    plot_lot_gains,
    plot_plan,
)
from toolkit.schema import TaxType
from toolkit.style import fmt_money, fmt_money_short, fmt_pct, label, style
from toolkit.tax.holding import lot_status

__all__ = ["CADENCE_FILE", "CHART_FILES", "PDF_FILE", "SHEETS", "XLSX_FILE", "meeting_pack",
           "pack_files"]

#: The chart files, in the order of the PDF's pages.
CHART_FILES = ("allocation.png", "drift.png", "accounts.png", "plan.png", "lot_gains.png")
#: The optional cadence comparison chart (``meeting_pack(..., cadence=True)``).
CADENCE_FILE = "cadence.png"
PDF_FILE = "meeting.pdf"
XLSX_FILE = "household.xlsx"
#: The workbook's sheets, in order.
SHEETS = ("Summary", "Positions", "Lots", "Allocation", "Drift", "Plan", "Lots sold")

_PAGE = (11.0, 8.5)  # US letter, landscape, inches
_CADENCE_METRICS = (("taxes_p50", "Median tax over the horizon"),
                    ("avg_drift_pp_p50", "Median average worst-class drift (pp)"))

# Each sheet: (source column, header, number format) in order.
_POSITIONS = [
    ("account", "Account", None), ("account_name", "Account name", None),
    ("tax_type", "Tax type", None), ("symbol", "Symbol", None),
    ("description", "Description", None), ("asset_class", "Asset class", None),
    ("quantity", "Shares", "shares"), ("price", "Price", "money"),
    ("market_value", "Value", "money"), ("cost_basis", "Cost basis", "money"),
    ("unrealized_gain", "Unrealised gain", "money"),
]
_LOTS = [
    ("account", "Account", None), ("tax_type", "Tax type", None), ("symbol", "Symbol", None),
    ("acquired", "Acquired", "date"), ("holding_start", "Holding period from", "date"),
    ("quantity", "Shares", "shares"), ("price", "Price", "money"),
    ("cost_basis", "Cost basis", "money"), ("market_value", "Value", "money"),
    ("unrealized_gain", "Unrealised gain", "money"), ("term", "Term today", None),
    ("long_term_date", "Long-term from", "date"),
    ("days_to_long_term", "Days to long-term", "int"),
    ("turns_long_soon", "Long-term within 30 days", None),
]
_ALLOCATION = [
    ("view", "View", None), ("group", "Account or tax type", None),
    ("name", "Account name", None), ("asset_class", "Asset class", None),
    ("market_value", "Value", "money"), ("weight", "Weight in group", "pct"),
    ("household_weight", "Weight in household", "pct"),
]
_DRIFT = [
    ("asset_class", "Asset class", None), ("market_value", "Value", "money"),
    ("current", "Current", "pct"), ("target", "Target", "pct"), ("drift", "Drift", "pct"),
    ("drift_rel", "Drift relative to target", "pct"), ("lower", "Band lower", "pct"),
    ("upper", "Band upper", "pct"), ("outside", "Outside band", None),
    ("dollars_to_target", "Dollars to target", "money"),
    ("dollars_outside", "Dollars outside band", "money"),
]
_PLAN = [
    ("step", "Step", "int"), ("account", "Account", None),
    ("account_name", "Account name", None), ("tax_type", "Tax type", None),
    ("side", "Side", None), ("symbol", "Symbol", None), ("asset_class", "Asset class", None),
    ("shares", "Shares", "shares"), ("price", "Price", "money"),
    ("amount", "Amount", "money"), ("short_term_gain", "Short-term gain", "money"),
    ("long_term_gain", "Long-term gain", "money"), ("gain", "Gain", "money"),
    ("est_tax", "Estimated tax", "money"), ("reason", "Reason", None),
]
_LOTS_SOLD = [
    ("step", "Step", "int"), ("account", "Account", None), ("symbol", "Symbol", None),
    ("lot_id", "Lot", None), ("acquired", "Acquired", "date"),
    ("holding_start", "Holding period from", "date"), ("term", "Term", None),
    ("quantity", "Shares", "shares"), ("price", "Price", "money"),
    ("proceeds", "Proceeds", "money"), ("cost_basis", "Cost basis", "money"),
    ("gain", "Gain", "money"), ("est_tax", "Estimated tax", "money"),
]
_WIDTHS = {"Reason": 80, "Description": 45}


def pack_files(*, cadence: bool = False) -> list[str]:
    """The names of the files :func:`meeting_pack` writes, in order.

    Parameters
    ----------
    cadence : bool, default False
        Include the cadence comparison chart.

    Returns
    -------
    list of str
        The chart PNGs, then ``meeting.pdf`` and ``household.xlsx``.
    """
    return [*CHART_FILES, *([CADENCE_FILE] if cadence else []), PDF_FILE, XLSX_FILE]


@dataclass
class _Facts:
    """The core's answers the pack lays out."""

    household: Household
    plan: Any
    band: Band
    drift: pd.DataFrame
    by_account: pd.DataFrame
    by_tax_type: pd.DataFrame
    status: pd.DataFrame

    @classmethod
    def build(cls, household: Household, plan, band: Band | None) -> _Facts:
        if plan is None:
            plan = make_plan(household) if band is None else make_plan(household, band=band)
        if band is None:
            band = getattr(plan.options, "band", None) or Band()
        prices = household.positions[["account", "symbol", "price"]]
        status = lot_status(household.lots, prices, household.as_of)
        types = dict(zip(household.accounts["account"], household.accounts["tax_type"],
                         strict=True))
        status.insert(1, "tax_type", status["account"].map(types).astype("str"))
        return cls(household=household, plan=plan, band=band,
                   drift=drift(household, band=band),
                   by_account=allocation(household, by="account"),
                   by_tax_type=allocation(household, by="tax_type"), status=status)

    @property
    def names(self) -> dict[str, str]:
        a = self.household.accounts
        return dict(zip(a["account"], a["name"].fillna(""), strict=True))


def _frame(df: pd.DataFrame, spec: list[tuple[str, str, str | None]]
           ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Select and rename a sheet's columns; return it with its formats by header."""
    out = df.reindex(columns=[c for c, _, _ in spec]).rename(
        columns={c: h for c, h, _ in spec})
    return out, {h: f for _, h, f in spec if f}


def _summary_items(f: _Facts) -> list[tuple[str, Any, str | None]]:
    """(label, value, format) rows of the summary: the title page and the Summary sheet."""
    h, s, d = f.household, f.plan.summary, f.drift
    out = d[d["outside"]]
    outside = ", ".join(f"{label(c)} ({r['drift'] * 100:+.1f} pp)" for c, r in out.iterrows())
    items: list[tuple[str, Any, str | None]] = [
        ("Household", h.name, None),
        ("As of", pd.Timestamp(h.as_of).date(), "date"),
        ("Total value", float(d["market_value"].sum()), "money"),
        ("Accounts", len(h.accounts), "int"),
        ("Tolerance band", f.band.label(), None),
        ("Classes outside the band", outside or "none", None),
        ("Dollars outside the band", float(d["dollars_outside"].sum()), "money"),
        ("Plan", f.plan.mode, None),
        ("Planned trades", int(s.trades), "int"),
        ("Bought", float(s.bought), "money"),
        ("Sold", float(s.sold), "money"),
        ("Turnover", float(s.turnover), "pct"),
        ("Short-term gains realised", float(s.short_term_gain), "money"),
        ("Long-term gains realised", float(s.long_term_gain), "money"),
        ("Estimated tax of the plan", float(s.tax), "money"),
        ("Within the band after the plan", "yes" if s.within_band else "no", None),
    ]
    items += [("Note", n, None) for n in f.plan.notes]
    return items


def _shown(value: Any, fmt: str | None) -> str:
    if fmt == "money":
        return fmt_money(value)
    if fmt == "pct":
        return fmt_pct(value)
    if fmt == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def _masker(f: _Facts, mask_accounts: bool):
    ids = list(f.household.accounts["account"]) if mask_accounts else []

    def mask(text: str) -> str:
        return mask_text(text, ids)

    return ids, mask


# --- charts ----------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Any]:
    with style():
        fig = Figure(figsize=_PAGE)
        ax = fig.subplots()
    return fig, ax


def _charts(f: _Facts, mask_accounts: bool, cadence: pd.DataFrame | None
            ) -> list[tuple[str, Figure]]:
    _, mask = _masker(f, mask_accounts)
    out = []
    fig, ax = _figure()
    plot_allocation(f.drift, ax)
    out.append(("allocation.png", fig))
    fig, ax = _figure()
    plot_drift(f.drift, ax, title=f"Drift from target (percentage points; band "
                                  f"{f.band.label()})")
    out.append(("drift.png", fig))
    fig, ax = _figure()
    plot_account_allocation(f.by_account, ax, names={k: mask(v) for k, v in f.names.items()},
                            mask_accounts=mask_accounts)
    out.append(("accounts.png", fig))
    fig, ax = _figure()
    plot_plan(f.plan, ax, title=f"Drift before and after the plan ({f.plan.mode})")
    out.append(("plan.png", fig))
    fig, ax = _figure()
    taxable = f.status[f.status["tax_type"] == TaxType.TAXABLE.value]
    plot_lot_gains(taxable, ax, title="Unrealised gain by lot and term (taxable accounts)")
    if taxable.empty:
        ax.text(0.5, 0.5, "no taxable lots", transform=ax.transAxes, ha="center")
    out.append(("lot_gains.png", fig))
    if cadence is not None:
        shown = cadence.rename(index=lambda name: textwrap.fill(str(name), 20))
        with style():
            fig = Figure(figsize=_PAGE)
            axes = fig.subplots(len(_CADENCE_METRICS), 1, sharex=True)
        for a, (metric, title) in zip(axes, _CADENCE_METRICS, strict=True):
            plot_cadence(shown, metric, a, title=title)
            a.tick_params(axis="x", labelrotation=0)
            for t in a.get_xticklabels():
                t.set_horizontalalignment("center")
                t.set_fontsize(8)
        axes[0].yaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_money_short(x)))
        with style():
            fig.suptitle("Rebalancing policies compared (simulated)", fontweight="bold")
        out.append((CADENCE_FILE, fig))
    return out


def _cadence(household: Household, options: Mapping[str, Any] | None) -> pd.DataFrame:
    kw = {"years": 10, "paths": 200, "seed": 0, "progress": False, **(options or {})}
    policies = kw.pop("policies", None) or [Calendar("annual"), Threshold(), Hybrid(),
                                            Opportunistic(), SeedRecommendation()]
    return compare_policies(household, policies, **kw)


def _title_page(f: _Facts, mask_accounts: bool) -> Figure:
    """The PDF's first page: household, date, the summary and the accounts."""
    _, mask = _masker(f, mask_accounts)
    items = _summary_items(f)
    with style():
        fig = Figure(figsize=_PAGE)
        fig.text(0.06, 0.93, f.household.name, fontsize=20, fontweight="bold")
        fig.text(0.06, 0.885, "Client meeting pack, as of "
                 f"{pd.Timestamp(f.household.as_of):%Y-%m-%d}", fontsize=12, color="#404040")
        y = 0.82
        for lab, value, fmt in items:
            if lab in ("Note", "Household", "As of"):
                continue
            fig.text(0.06, y, lab, fontsize=10, color="#404040")
            for line in textwrap.wrap(mask(_shown(value, fmt)), 40) or [""]:
                fig.text(0.28, y, line, fontsize=10, fontweight="bold")
                y -= 0.032
            y -= 0.006
        bottom = y
        fig.text(0.60, 0.82, "Accounts", fontsize=11, fontweight="bold")
        totals = f.household.account_totals()
        y = 0.78
        for r in totals.itertuples(index=False):
            shown = r.account if not mask_accounts else mask(r.account)
            fig.text(0.60, y, f"{mask(str(r.name or ''))[:26]} ({shown})", fontsize=9)
            fig.text(0.81, y, str(r.tax_type).replace("_", " "), fontsize=9, color="#404040")
            fig.text(0.97, y, fmt_money(r.market_value), fontsize=9, ha="right")
            y -= 0.032
        notes = [mask(v) for lab, v, _ in items if lab == "Note"]
        if notes:
            y = min(y, bottom) - 0.01
            fig.text(0.06, y, "Notes", fontsize=10, fontweight="bold")
            for n in notes:
                for line in textwrap.wrap(n, 150)[:2]:
                    y -= 0.028
                    fig.text(0.06, y, line, fontsize=8)
    return fig


# --- workbook --------------------------------------------------------------------------------


def _sheets(f: _Facts) -> dict[str, tuple[pd.DataFrame, dict[str, str]]]:
    """Every data sheet after Summary: (frame with people's headers, formats by header)."""
    h, p = f.household, f.plan
    names = f.names
    types = dict(zip(h.accounts["account"], h.accounts["tax_type"], strict=True))
    pos = h.positions.assign(
        account_name=h.positions["account"].map(names),
        tax_type=h.positions["account"].map(types),
        asset_class=h.positions["asset_class"].map(label),
        unrealized_gain=h.positions["market_value"] - h.positions["cost_basis"])
    alloc = pd.concat([
        f.by_account.assign(view="by account", name=f.by_account["group"].map(names)),
        f.by_tax_type.assign(view="by tax type", name=None)], ignore_index=True)
    alloc["asset_class"] = alloc["asset_class"].map(label)
    dr = f.drift.reset_index()
    dr["asset_class"] = dr["asset_class"].map(label)
    trades = p.trades.assign(asset_class=p.trades["asset_class"].map(
        lambda c: label(c) if isinstance(c, str) else c))
    return {
        "Positions": _frame(pos, _POSITIONS),
        "Lots": _frame(f.status, _LOTS),
        "Allocation": _frame(alloc, _ALLOCATION),
        "Drift": _frame(dr, _DRIFT),
        "Plan": _frame(trades, _PLAN),
        "Lots sold": _frame(p.lots, _LOTS_SOLD),
    }


def _workbook(f: _Facts, path: Path, mask_accounts: bool) -> None:
    ids, mask = _masker(f, mask_accounts)
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    items = [(k, mask(v) if isinstance(v, str) else v, fmt) for k, v, fmt in _summary_items(f)]
    write_items(ws, items)
    ws.column_dimensions["B"].width = 80
    for name, (df, formats) in _sheets(f).items():
        if ids:
            df = mask_frame(df, ids)
        write_sheet(wb.create_sheet(name), df, formats=formats,
                    widths={k: v for k, v in _WIDTHS.items() if k in df.columns})
    wb.properties.title = mask(f"{f.household.name}: meeting pack")
    wb.properties.creator = "toolkit"
    wb.save(path)


# --- the pack --------------------------------------------------------------------------------


def meeting_pack(household: Household, out_dir: str | Path, *, plan=None,
                 mask_accounts: bool = True, band: Band | None = None, cadence: bool = False,
                 cadence_options: Mapping[str, Any] | None = None) -> Path:
    """Write a household's client-meeting pack: chart PNGs, one PDF and one workbook.

    Parameters
    ----------
    household : Household
    out_dir : str or Path
        Folder to write into (created if missing); files already there with the pack's
        names (:func:`pack_files`) are replaced.
    plan : Plan, optional
        The plan to present (default: :func:`toolkit.plan` in waterfall mode with the
        household file's contributions and ``band``).
    mask_accounts : bool, default True
        Show account ids as ``...`` plus their last three characters everywhere (cells,
        reasons and notes, chart labels, the title page).
    band : Band, optional
        Tolerance band for drift (default: the plan's band, else the 5/25 rule).
    cadence : bool, default False
        Also simulate rebalancing policies (:func:`toolkit.compare_policies`; seconds to
        minutes) and chart them as ``cadence.png``.
    cadence_options : mapping, optional
        Keyword arguments for :func:`toolkit.compare_policies` (``policies``, ``years``
        (default 10), ``paths`` (default 200), ``seed``, ``unclassified`` ...).

    Returns
    -------
    Path
        The folder. It holds ``allocation.png``, ``drift.png``, ``accounts.png``,
        ``plan.png``, ``lot_gains.png`` (each chart at 11 x 8.5 in, 150 dpi), ``cadence.png``
        (only with ``cadence=True``), ``meeting.pdf`` (a title page, then one page per
        chart, in that order) and ``household.xlsx`` (sheets :data:`SHEETS`: money in
        dollars, weights and drift as percentages, dates as dates).

    Raises
    ------
    PlanningError
        If no plan is given and planning fails, or the cadence simulation cannot run (for
        example unclassified holdings without ``cadence_options={"unclassified": ...}``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    facts = _Facts.build(household, plan, band)
    sims = _cadence(household, cadence_options) if cadence else None
    charts = _charts(facts, mask_accounts, sims)
    for name, fig in charts:
        with style():
            fig.savefig(out / name)
    _, mask = _masker(facts, mask_accounts)
    meta = {"Title": mask(f"{household.name}: meeting pack"), "Creator": "toolkit",
            "CreationDate": None}
    with PdfPages(out / PDF_FILE, metadata=meta) as pdf:
        pdf.savefig(_title_page(facts, mask_accounts))
        for _, fig in charts:
            pdf.savefig(fig)
    _workbook(facts, out / XLSX_FILE, mask_accounts)
    return out
