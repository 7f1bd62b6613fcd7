"""The client-meeting pack: one household's charts, a PDF and a workbook in one folder.

:func:`meeting_pack` asks the core about a household (drift, allocation by account and by tax
type, lot status, a plan) and writes what a meeting needs:

* one PNG per chart, drawn by :mod:`toolkit.plots`: ``allocation.png`` (allocation against
  target), ``drift.png`` (drift with bands), ``accounts.png`` (allocation by account: the
  asset-location map), ``plan.png`` (drift before and after the plan), ``lot_gains.png``
  (unrealised gain of each taxable lot by term) and, only when asked, ``cadence.png``
  (rebalancing policies compared; slow);
* ``meeting.pdf``: a title page (household, date, a short summary, the accounts), one page
  per chart and, after the plan's chart, the trade list (every trade with its account, amount,
  estimated tax and reason, and each class's drift before and after the plan);
* ``household.xlsx``: the sheets of :data:`SHEETS`, formatted for people and formula-safe
  (:mod:`toolkit._xlsx`).

Account ids are masked by the household's rule (:class:`toolkit.accounts.AccountMasker`:
unique masks) everywhere (cells, free text such as a plan's reasons, chart labels, the title
page) unless ``mask_accounts=False``. Every page and the Summary sheet carry :data:`NOTICE`.
Pages are laid out so that no text runs off the page. Nothing here computes what the core
computes; this module only lays results out.
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

from toolkit._xlsx import write_items, write_sheet
from toolkit.accounts import AccountMasker
from toolkit.allocation import Band, allocation, drift
from toolkit.cadence import (
    Calendar,
    Hybrid,
    Opportunistic,
    SeedRecommendation,
    Threshold,
    compare_policies,
)
from toolkit.facts import plan_facts
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
from toolkit.style import (
    OUTSIDE,
    band_status,
    fmt_money,
    fmt_money_cents,
    fmt_money_short,
    fmt_pct,
    label,
    style,
    tax_type_label,
)
from toolkit.tax.holding import lot_status

__all__ = ["CADENCE_FILE", "CHART_FILES", "NOTICE", "PDF_FILE", "SHEETS", "XLSX_FILE",
           "meeting_pack", "pack_files", "pack_pages"]

#: The one-line notice every page of the pack carries.
NOTICE = "Estimates for education and planning, not tax advice: check them with a tax adviser."

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
    ("acquired", "Acquired", "date"),
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
    masker: AccountMasker

    @classmethod
    def build(cls, household: Household, plan, band: Band | None, mask_accounts: bool = True
              ) -> _Facts:
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
                   by_tax_type=allocation(household, by="tax_type"), status=status,
                   masker=AccountMasker.of(household.accounts, enabled=mask_accounts))

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
    h, s, d = f.household, plan_facts(f.plan), f.drift
    outside = ", ".join(f"{label(c)} ({r['drift'] * 100:+.1f} pp)" for c, r in d.iterrows()
                        if band_status(c, r) == OUTSIDE)
    items: list[tuple[str, Any, str | None]] = [
        ("Household", h.name, None),
        ("As of", pd.Timestamp(h.as_of).date(), "date"),
        ("Total value", float(d["market_value"].sum()), "money"),
        ("Accounts", len(h.accounts), "int"),
        ("Tolerance band", f.band.label(), None),
        ("Classes outside the band", outside or "none", None),
        ("Dollars outside the band", float(sum(
            r["dollars_outside"] for c, r in d.iterrows() if band_status(c, r) == OUTSIDE)),
         "money"),
        ("Plan", f.plan.mode, None),
        ("Planned trades", s.trades, "int"),
        ("Bought", s.bought, "money"),
        ("Sold", s.sold, "money"),
        ("Turnover", s.turnover, "pct"),
        ("Short-term gains realised", s.short_term_gain, "money"),
        ("Long-term gains realised", s.long_term_gain, "money"),
        ("Estimated tax of the plan", s.tax, "money"),
        ("Within the band after the plan", "yes" if s.within_band else "no", None),
    ]
    items += [("Note", n, None) for n in f.plan.notes]
    items.append(("Notice", NOTICE, None))
    return items


def _shown(value: Any, fmt: str | None) -> str:
    if fmt == "money":
        return fmt_money(value)
    if fmt == "pct":
        return fmt_pct(value)
    if fmt == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


# --- charts ----------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Any]:
    """A page: US letter, landscape, laid out so that every label stays on it."""
    with style():
        fig = Figure(figsize=_PAGE, layout="constrained")
        # (the bottom 4% holds the footer: the notice and the page number)
        fig.get_layout_engine().set(h_pad=0.3, w_pad=0.3, rect=(0, 0.04, 1, 0.96))
        ax = fig.subplots()
    return fig, ax


def _charts(f: _Facts, cadence: pd.DataFrame | None) -> list[tuple[str, Figure]]:
    m = f.masker
    out = []
    fig, ax = _figure()
    plot_allocation(f.drift, ax)
    out.append(("allocation.png", fig))
    fig, ax = _figure()
    plot_drift(f.drift, ax, title=f"Drift from target (percentage points; band "
                                  f"{f.band.label()})")
    out.append(("drift.png", fig))
    fig, ax = _figure()
    plot_account_allocation(f.by_account, ax, names={k: m.text(v) for k, v in f.names.items()},
                            mask_accounts=m)
    out.append(("accounts.png", fig))
    fig, ax = _figure()
    plot_plan(f.plan, ax, title=f"Drift before and after the plan ({f.plan.mode})")
    out.append(("plan.png", fig))
    fig, ax = _figure()
    taxable = f.status[f.status["tax_type"] == TaxType.TAXABLE.value]
    plot_lot_gains(taxable, ax, mask_accounts=m,
                   title="Unrealised gain by lot, by holding (taxable accounts; largest "
                         "gains and losses labelled)")
    if taxable.empty:
        ax.text(0.5, 0.5, "no taxable lots", transform=ax.transAxes, ha="center")
    out.append(("lot_gains.png", fig))
    if cadence is not None:
        shown = cadence.rename(index=lambda name: textwrap.fill(str(name), 20))
        with style():
            fig = Figure(figsize=_PAGE, layout="constrained")
            fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))
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


# --- text pages ------------------------------------------------------------------------------

_LINE = 0.0215  # one 8-point line, as a fraction of the page's height
_TOP, _BOTTOM = 0.835, 0.08


def _page(title: str, subtitle: str = "") -> Figure:
    with style():
        fig = Figure(figsize=_PAGE)
        fig.text(0.04, 0.93, title, fontsize=16, fontweight="bold")
        if subtitle:  # at most two lines of 10 points
            fig.text(0.04, 0.905, subtitle, fontsize=10, color="#404040", va="top",
                     linespacing=1.3)
    return fig


def _title_page(f: _Facts) -> Figure:
    """The PDF's first page: household, date, the summary and the accounts."""
    m = f.masker
    items = _summary_items(f)
    with style():
        fig = Figure(figsize=_PAGE)
        fig.text(0.06, 0.93, f.household.name, fontsize=20, fontweight="bold")
        fig.text(0.06, 0.885, "Client meeting pack, as of "
                 f"{pd.Timestamp(f.household.as_of):%Y-%m-%d}", fontsize=12, color="#404040")
        y = 0.82
        for lab, value, fmt in items:
            if lab in ("Note", "Notice", "Household", "As of"):
                continue
            fig.text(0.06, y, lab, fontsize=10, color="#404040")
            for line in textwrap.wrap(m.text(_shown(value, fmt)), 40) or [""]:
                fig.text(0.28, y, line, fontsize=10, fontweight="bold")
                y -= 0.032
            y -= 0.006
        bottom = y
        fig.text(0.58, 0.82, "Accounts", fontsize=11, fontweight="bold")
        totals = f.household.account_totals()
        y = 0.78
        for r in totals.itertuples(index=False):
            name = m.text(str(r.name)) if isinstance(r.name, str) else None
            fig.text(0.58, y, _fit(m.label(r.account, name), 34), fontsize=9)
            fig.text(0.80, y, tax_type_label(r.tax_type), fontsize=9, color="#404040")
            fig.text(0.97, y, fmt_money(r.market_value), fontsize=9, ha="right")
            y -= 0.032
        notes = [m.text(v) for lab, v, _ in items if lab == "Note"]
        if notes:
            y = min(y, bottom) - 0.01
            fig.text(0.06, y, "Notes", fontsize=10, fontweight="bold")
            for n in notes:
                for line in textwrap.wrap(n, 150)[:2]:
                    y -= 0.028
                    fig.text(0.06, y, line, fontsize=8)
    return fig


def _fit(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


# Trade-list columns: (heading, x position, alignment, characters before cutting); each
# trade's reason runs under its row, across the page, wrapped at _REASON_WIDTH characters
# (8-point DejaVu Sans averages about 4.5 points a character: 150 characters fill 9.4 inches).
_TRADE_COLUMNS = (("Account", 0.04, "left", 34), ("Trade", 0.32, "left", 22),
                  ("Shares", 0.56, "right", 14), ("Amount", 0.68, "right", 16),
                  ("Est. tax", 0.79, "right", 14))
_REASON_X, _REASON_WIDTH = 0.06, 150


def _trade_rows(f: _Facts) -> list[tuple[list[str], list[str]]]:
    """Each trade as its cells and its reason's wrapped lines."""
    m = f.masker
    names = f.names
    rows = []
    for t in f.plan.trades.itertuples(index=False):
        shares = "" if t.shares != t.shares else f"{t.shares:,.3f}"
        cells = [m.label(t.account, m.text(names.get(t.account) or "") or None),
                 f"{t.side} {t.symbol}", shares, fmt_money_cents(t.amount),
                 fmt_money_cents(t.est_tax)]
        cells = [_fit(c, w) for c, (_, _, _, w) in zip(cells, _TRADE_COLUMNS, strict=True)]
        reason = textwrap.wrap(m.text(str(t.reason)), _REASON_WIDTH, break_on_hyphens=False)
        rows.append((cells, reason))
    return rows


def _trade_pages(f: _Facts) -> list[Figure]:
    """The trade list: drift before and after per class, then every trade with its reason."""
    p, s = f.plan, plan_facts(f.plan)
    title = f"Trade list ({p.mode} plan)"
    sub = (f"{s.trades} trades: bought {fmt_money_cents(s.bought)}, sold "
           f"{fmt_money_cents(s.sold)}; estimated tax {fmt_money_cents(s.tax)} (federal "
           f"{fmt_money_cents(s.federal)}, state {fmt_money_cents(s.state)}, NIIT "
           f"{fmt_money_cents(s.niit)});\n{'within' if s.within_band else 'not within'} the "
           "band after the plan")
    pages = [_page(title, sub)]
    fig, y = pages[0], _TOP
    with style():
        fig.text(0.04, y, "Drift from target, percentage points", fontsize=9,
                 fontweight="bold")
        heads = [("Class", 0.04, "left"), ("Target", 0.26, "right"),
                 ("Before", 0.34, "right"), ("After", 0.42, "right")]
        y -= _LINE * 1.3
        for h, x, ha in heads:
            fig.text(x, y, h, fontsize=8, fontweight="bold", ha=ha, va="top")
        targets = f.drift["target"].reindex(p.drift.index)
        for c, r in p.drift.iterrows():
            y -= _LINE
            tgt = targets.get(c)
            for v, (_, x, ha) in zip((label(c), "" if tgt != tgt else f"{tgt:.1%}",
                                      f"{round(r['before'] * 100, 1) + 0.0:+.1f}",
                                      f"{round(r['after'] * 100, 1) + 0.0:+.1f}"), heads,
                                     strict=True):
                fig.text(x, y, v, fontsize=8, ha=ha, va="top")
        y -= _LINE * 2

        def header(fig, y):
            for h, x, ha, _ in _TRADE_COLUMNS:
                fig.text(x, y, h, fontsize=8, fontweight="bold", ha=ha, va="top")
            fig.text(0.81, y, "(each trade's reason below it)", fontsize=8, color="#595959",
                     va="top")
            return y - _LINE * 1.2

        rows = _trade_rows(f)
        if not rows:
            fig.text(0.04, y, "No trades.", fontsize=9, va="top")
            y -= _LINE * 2
        else:
            y = header(fig, y)
        for cells, reason in rows:
            n = 1 + len(reason)
            if y - n * _LINE < _BOTTOM:
                fig = _page(f"{title}, continued")
                pages.append(fig)
                y = header(fig, _TOP)
            for cell, (_, x, ha, _) in zip(cells, _TRADE_COLUMNS, strict=True):
                fig.text(x, y, cell, fontsize=8, ha=ha, va="top")
            for i, line in enumerate(reason, start=1):
                fig.text(_REASON_X, y - i * _LINE, line, fontsize=8, va="top",
                         color="#404040")
            y -= n * _LINE + _LINE * 0.5
        notes = [f.masker.text(n) for n in p.notes]
        if notes:
            lines = [w for n in notes for w in textwrap.wrap(n, 170)]
            if y - (len(lines) + 1) * _LINE < _BOTTOM:
                fig = _page(f"{title}, continued")
                pages.append(fig)
                y = _TOP
            fig.text(0.04, y, "Notes", fontsize=8, fontweight="bold", va="top")
            for line in lines:
                y -= _LINE
                fig.text(0.04, y, line, fontsize=8, va="top")
    return pages


def _footer(fig: Figure, page: int, pages: int) -> None:
    with style():
        fig.text(0.04, 0.02, NOTICE, fontsize=7, color="#595959")
        fig.text(0.97, 0.02, f"page {page} of {pages}", fontsize=7, color="#595959",
                 ha="right")


def pack_pages(household: Household, *, plan=None, mask_accounts: bool = True,
               band: Band | None = None, cadence: pd.DataFrame | None = None
               ) -> list[tuple[str, Figure]]:
    """The pack's PDF pages, in order, as named figures (for the PDF and for checking).

    Parameters
    ----------
    household : Household
    plan, mask_accounts, band
        As for :func:`meeting_pack`.
    cadence : DataFrame, optional
        A :func:`toolkit.compare_policies` table to chart as the last page.

    Returns
    -------
    list of (str, Figure)
        ``("title", ...)``, then each chart by its PNG name, with ``("trades", ...)`` pages
        after ``plan.png``. Every page carries :data:`NOTICE` and its number.
    """
    facts = _Facts.build(household, plan, band, mask_accounts)
    return _pages(facts, _charts(facts, cadence))


def _pages(f: _Facts, charts: list[tuple[str, Figure]]) -> list[tuple[str, Figure]]:
    pages = [("title", _title_page(f))]
    for name, fig in charts:
        pages.append((name, fig))
        if name == "plan.png":
            pages += [("trades", p) for p in _trade_pages(f)]
    for i, (_, fig) in enumerate(pages, start=1):
        _footer(fig, i, len(pages))
    return pages


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


def _workbook(f: _Facts, path: Path) -> None:
    m = f.masker
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    items = [(k, m.text(v), fmt) for k, v, fmt in _summary_items(f)]
    write_items(ws, items)
    ws.column_dimensions["B"].width = 80
    for name, (df, formats) in _sheets(f).items():
        write_sheet(wb.create_sheet(name), m.frame(df), formats=formats,
                    widths={k: v for k, v in _WIDTHS.items() if k in df.columns})
    wb.properties.title = m.text(f"{f.household.name}: meeting pack")
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
    facts = _Facts.build(household, plan, band, mask_accounts)
    sims = _cadence(household, cadence_options) if cadence else None
    charts = _charts(facts, sims)
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in charts:
        with style():
            fig.savefig(out / name)
    pages = _pages(facts, charts)
    meta = {"Title": facts.masker.text(f"{household.name}: meeting pack"),
            "Creator": "toolkit", "CreationDate": None}
    with PdfPages(out / PDF_FILE, metadata=meta) as pdf:
        for _, fig in pages:
            pdf.savefig(fig)
    _workbook(facts, out / XLSX_FILE)
    return out
