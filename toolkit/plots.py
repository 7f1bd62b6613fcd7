"""Charts: each takes a result and ``ax=None``, draws on the axes, and returns them.

Nothing here computes: results come from the core (:func:`toolkit.drift`,
:func:`toolkit.allocation`, :func:`toolkit.plan`, :func:`toolkit.lot_status`,
:func:`toolkit.compare_methods`, :func:`toolkit.harvest`, the cadence simulator). No
function calls ``plt.show()`` or uses pyplot: a new chart is drawn on a
:class:`~matplotlib.figure.Figure` of its own, shown where wanted by
:func:`toolkit.display.show`. Account ids are masked by the household's rule
(:class:`toolkit.accounts.AccountMasker`) unless ``mask_accounts=False``.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from toolkit.accounts import AccountMasker
from toolkit.facts import plan_facts
from toolkit.style import (
    BAND_COLORS,
    INSIDE,
    NO_TARGET,
    OUTSIDE,
    TERM_COLORS,
    UNCLASSIFIED,
    band_status,
    class_color,
    fmt_money,
    fmt_money_short,
    label,
    style,
)

__all__ = [
    "BAND_SHADE",
    "drift_span",
    "plot_account_allocation",
    "plot_allocation",
    "plot_cadence",
    "plot_conversion_schedule",
    "plot_december_vs_january",
    "plot_diversify",
    "plot_drift",
    "plot_drift_paths",
    "plot_harvest",
    "plot_lot_gains",
    "plot_method_comparison",
    "plot_nua",
    "plot_plan",
    "plot_rmd_plan",
    "update_account_allocation",
    "update_bars",
    "update_drift",
]


def _axes(ax: Axes | None, size=(7.0, 4.0)) -> Axes:
    """The axes to draw on: ``ax``, or those of a new figure that pyplot does not manage.

    A figure pyplot does not know is never shown by a notebook backend on its own, so it
    cannot appear in a later cell; :func:`toolkit.display.show` shows it where it is wanted.
    """
    if ax is not None:
        return ax
    with style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.subplots()
    return ax


def _masker(mask_accounts, ids) -> AccountMasker:
    """``mask_accounts`` as a masker: a given masker, masks unique among ``ids``, or none."""
    if isinstance(mask_accounts, AccountMasker):
        return mask_accounts
    return AccountMasker.of([str(i) for i in ids], enabled=bool(mask_accounts))


def _money_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _: fmt_money_short(x)))


def update_bars(bars, heights, *, horizontal: bool = False) -> None:
    """Set the heights (widths for horizontal bars) of a bar container in place.

    Parameters
    ----------
    bars : BarContainer
    heights : sequence of float
    horizontal : bool
        True for ``barh`` containers.
    """
    for patch, h in zip(bars.patches, heights, strict=True):
        if horizontal:
            patch.set_width(h)
        else:
            patch.set_height(h)


def plot_allocation(drift: pd.DataFrame, ax: Axes | None = None, *,
                    title: str = "Allocation against target") -> Axes:
    """Current weight against target per asset class (bars: current; markers: target).

    Parameters
    ----------
    drift : DataFrame
        :func:`toolkit.drift` output (``current`` and ``target`` as fractions).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        The first bar container holds the current weights (fractions).
    """
    ax = _axes(ax)
    with style():
        x = np.arange(len(drift))
        colors = [class_color(c) for c in drift.index]
        ax.bar(x, drift["current"], color=colors, width=0.6, label="current")
        ax.scatter(x, drift["target"], marker="_", s=900, color="black", linewidths=2,
                   label="target", zorder=3)
        ax.set_xticks(x, [label(c) for c in drift.index], rotation=20, ha="right")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_title(title)
        # (the bars take their class's colour: the legend says what a bar and a mark are)
        handles = [Rectangle((0, 0), 1, 1, color="#a6a6a6"),
                   Line2D([], [], color="black", lw=2)]
        ax.legend(handles, ["current weight (bar)", "target"], loc="upper right")
    return ax


#: Colour of the tolerance band drawn behind drift bars.
BAND_SHADE = "#9bbb59"


def _drift_parts(drift: pd.DataFrame):
    y = np.arange(len(drift))[::-1]
    pp = drift["drift"].to_numpy(dtype=float) * 100
    lo = (drift["lower"] - drift["target"]).to_numpy(dtype=float) * 100
    hi = (drift["upper"] - drift["target"]).to_numpy(dtype=float) * 100
    status = [band_status(c, r) for c, r in drift.iterrows()]
    return y, np.nan_to_num(pp), np.nan_to_num(lo), np.nan_to_num(hi), status


def drift_span(drift: pd.DataFrame) -> float:
    """Half-width of a drift chart's axis, percentage points: at least 5, in steps of 5.

    Steps keep the axis (and its tick labels) still while a slider moves drift a little.
    """
    _, pp, lo, hi, _ = _drift_parts(drift)
    top = float(np.max(np.abs(np.r_[pp, lo, hi, 0.0]))) * 1.1
    return max(5.0, 5.0 * np.ceil(top / 5.0))


def _drift_legend(ax: Axes, status: list[str]) -> None:
    shown = [s for s in (OUTSIDE, INSIDE, NO_TARGET, UNCLASSIFIED) if s in status]
    handles = [Rectangle((0, 0), 1, 1, color=BAND_COLORS[s]) for s in shown]
    handles.append(Rectangle((0, 0), 1, 1, color=BAND_SHADE, alpha=0.3))
    # lower left: the last rows are usually cash and unclassified holdings, held above a 0%
    # target, so their bars point right
    ax.legend(handles, [*shown, "tolerance band"], loc="lower left", fontsize=8)


def plot_drift(drift: pd.DataFrame, ax: Axes | None = None, *,
               title: str = "Drift from target (percentage points)") -> Axes:
    """Drift per class in percentage points, the tolerance band shaded behind each bar.

    Bars are coloured by :func:`toolkit.style.band_status`: red outside the band, blue
    within it, grey for cash held against a 0% target ("no target"), pink for holdings the
    security master does not know ("unclassified"); a legend names every colour.

    Parameters
    ----------
    drift : DataFrame
        :func:`toolkit.drift` output (``drift``, ``target``, ``lower``, ``upper``,
        ``outside``).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        The first bar container holds the drifts in percentage points (colours as above);
        the second the tolerance bands (``lower`` to ``upper`` around 0), drawn behind.
    """
    ax = _axes(ax)
    with style():
        y, pp, lo, hi, status = _drift_parts(drift)
        ax.barh(y, pp, color=[BAND_COLORS[s] for s in status], height=0.55, zorder=2)
        ax.barh(y, hi - lo, left=lo, color=BAND_SHADE, alpha=0.3, height=0.8, lw=0, zorder=1)
        ax.axvline(0, color="black", lw=0.8, zorder=3)
        ax.set_yticks(y, [label(c) for c in drift.index])
        span = drift_span(drift)
        ax.set_xlim(-span, span)
        ax.set_xlabel("percentage points from target")
        ax.grid(axis="x", color="#e5e5e5")
        ax.grid(axis="y", visible=False)
        _drift_legend(ax, status)
        ax.set_title(title)
    return ax


def update_drift(ax: Axes, drift: pd.DataFrame) -> bool:
    """Move a :func:`plot_drift` chart to new drift figures in place.

    Bars, colours and bands change; the axis widens when the bars need more room (it does
    not narrow, so a slider moving back and forth does not redraw it); the legend is rebuilt
    only when a colour it does not name appears. Charts of other classes are redrawn from
    scratch.

    Parameters
    ----------
    ax : Axes
        Axes :func:`plot_drift` drew.
    drift : DataFrame
        New :func:`toolkit.drift` output.

    Returns
    -------
    bool
        True when only artists moved (the axis, its labels and the legend are unchanged),
        False when anything else had to be redrawn.
    """
    labels = [t.get_text() for t in ax.get_yticklabels()]
    if len(ax.containers) < 2 or labels != [label(c) for c in drift.index]:
        title = ax.get_title()
        ax.clear()
        if title:
            plot_drift(drift, ax, title=title)
        else:
            plot_drift(drift, ax)
        return False
    y, pp, lo, hi, status = _drift_parts(drift)
    bars, bands = ax.containers[0], ax.containers[1]
    for patch, v, st in zip(bars.patches, pp, status, strict=True):
        patch.set_width(v)
        patch.set_facecolor(BAND_COLORS[st])
    for patch, a, b in zip(bands.patches, lo, hi, strict=True):
        patch.set_x(a)
        patch.set_width(b - a)
    still = True
    span = drift_span(drift)
    lo_, hi_ = ax.get_xlim()
    if span > hi_ or -span < lo_:  # grows when it must; never shrinks under a moving slider
        ax.set_xlim(-span, span)
        still = False
    legend = ax.get_legend()
    listed = [t.get_text() for t in legend.get_texts()][:-1] if legend is not None else []
    if not set(status) <= set(listed):  # a colour the legend does not name yet
        with style():
            _drift_legend(ax, [*listed, *status])
        still = False
    return still


def _wide(alloc: pd.DataFrame) -> pd.DataFrame:
    return alloc.pivot_table(index="group", columns="asset_class", values="market_value",
                             aggfunc="sum", sort=False).fillna(0.0)


def _money_limit(top: float) -> float:
    """An axis end above ``top`` dollars, rounded up to a step of 5% of it (stays put)."""
    if not top > 0:
        return 1.0
    step = 10 ** np.floor(np.log10(top)) / 2
    return float(np.ceil(top * 1.04 / step) * step)


def plot_account_allocation(alloc: pd.DataFrame, ax: Axes | None = None, *,
                            names: dict[str, str] | None = None,
                            mask_accounts: bool | AccountMasker = True,
                            title: str = "Where each class sits (asset location)") -> Axes:
    """Dollars per asset class in each account, stacked: the asset-location map.

    Parameters
    ----------
    alloc : DataFrame
        :func:`toolkit.allocation` output with ``by="account"`` (or ``"tax_type"``):
        ``group``, ``asset_class``, ``market_value``.
    ax : Axes, optional
    names : dict, optional
        Group -> a label to show beside the (masked) id, e.g. ``"Roth IRA"``.
    mask_accounts : bool or AccountMasker, default True
        Mask account ids (by the household's masker when given one; otherwise masks unique
        among the accounts shown); False shows them as they are.
    title : str

    Returns
    -------
    Axes
        One bar container per asset class, in the frame's order of first appearance, and a
        legend naming the classes.
    """
    ax = _axes(ax, size=(8.0, 4.5))
    wide = _wide(alloc)
    with style():
        y = np.arange(len(wide))[::-1]
        left = np.zeros(len(wide))
        for c in wide.columns:
            ax.barh(y, wide[c].to_numpy(), left=left, color=class_color(c), label=label(c),
                    height=0.6)
            left += wide[c].to_numpy()
        masker = _masker(mask_accounts, wide.index)
        ax.set_yticks(y, [masker.label(g, (names or {}).get(g)) for g in wide.index])
        ax.set_xlim(0, _money_limit(float(left.max()) if len(left) else 0.0))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        _money_axis(ax.xaxis)
        ax.grid(axis="x", color="#e5e5e5")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", fontsize=8)
        ax.set_title(title)
    return ax


def update_account_allocation(ax: Axes, alloc: pd.DataFrame, **kwargs) -> bool:
    """Move a :func:`plot_account_allocation` chart to new holdings in place.

    Parameters
    ----------
    ax : Axes
        Axes :func:`plot_account_allocation` drew.
    alloc : DataFrame
        New allocation by account, of the same accounts and classes.
    **kwargs
        :func:`plot_account_allocation`'s options, used when the chart must be redrawn
        (other accounts or classes).

    Returns
    -------
    bool
        True when only the bars moved, False when the chart was redrawn or its axis moved.
    """
    wide = _wide(alloc)
    same = (len(ax.containers) == len(wide.columns)
            and [c.get_label() for c in ax.containers] == [label(c) for c in wide.columns]
            and all(len(c.patches) == len(wide) for c in ax.containers))
    if not same:
        ax.clear()
        plot_account_allocation(alloc, ax, **kwargs)
        return False
    left = np.zeros(len(wide))
    for bars, c in zip(ax.containers, wide.columns, strict=True):
        for patch, x0, w in zip(bars.patches, left, wide[c].to_numpy(), strict=True):
            patch.set_x(x0)
            patch.set_width(w)
        left += wide[c].to_numpy()
    end = _money_limit(float(left.max()) if len(left) else 0.0)
    if ax.get_xlim() != (0.0, end):
        ax.set_xlim(0, end)
        return False
    return True


def plot_plan(plan, ax: Axes | None = None, *, title: str = "Drift before and after the plan"
              ) -> Axes:
    """Drift per class before and after a plan, with what the plan trades and what it costs.

    Each class's pair of bars is labelled with the dollars the plan buys (+) or sells (−)
    of it (trades in funds that span classes are counted in the fund's own class); the
    title adds the number of trades, dollars bought and sold and the estimated tax.

    Parameters
    ----------
    plan : Plan
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        Two bar containers: before, then after (percentage points); one text per class of
        the drift frame with a non-zero net trade (``"+$106k"``), in the frame's order.
    """
    d = plan.drift
    ax = _before_after(_axes(ax, size=(8.0, 4.5)), d["before"], d["after"], title)
    t = plan.trades
    net = (t["amount"].where(t["side"] == "buy", -t["amount"])
           .groupby(t["asset_class"]).sum()) if len(t) else pd.Series(dtype=float)
    f = plan_facts(plan)
    with style():
        # each label just above its pair of bars (above the zero line for bars below it)
        tops = np.nanmax(np.c_[d["before"], d["after"], np.zeros(len(d))] * 100, axis=1)
        for i, (c, top) in enumerate(zip(d.index, tops, strict=True)):
            v = float(net.get(c, 0.0))
            if abs(v) >= 0.5:
                sign = "+" if v > 0 else "−"
                ax.annotate(f"{sign}{fmt_money_short(abs(v))}", (i, top), xytext=(0, 3),
                            textcoords="offset points", ha="center", va="bottom", fontsize=8,
                            color="#1f4e79")
        ax.margins(y=0.15)
        ax.set_title(f"{title}\n{f.trades} trades: bought {fmt_money(f.bought)}, sold "
                     f"{fmt_money(f.sold)}, estimated tax {fmt_money(f.tax)}")
        ax.set_xlabel("labels: dollars the plan buys (+) or sells (−) of each class",
                      fontsize=8)
    return ax


def _before_after(ax: Axes, before: pd.Series, after: pd.Series, title: str) -> Axes:
    """Grouped bars of drift before and after, in percentage points, one pair per class."""
    with style():
        x = np.arange(len(before))
        ax.bar(x - 0.2, before * 100, width=0.4, color="#a6a6a6", label="before")
        ax.bar(x + 0.2, after * 100, width=0.4, color="#1f4e79", label="after")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, [label(c) for c in before.index], rotation=20, ha="right")
        ax.set_ylabel("pp from target")
        ax.legend()
        ax.set_title(title)
    return ax


def plot_lot_gains(status: pd.DataFrame, ax: Axes | None = None, *,
                   title: str = "Unrealised gain by lot and term", label_largest: int = 3,
                   mask_accounts: bool | AccountMasker = True) -> Axes:
    """Each lot's unrealised gain, grouped by account and symbol, coloured by term.

    Lots are drawn oldest first within each holding; holdings (account and symbol) are
    separated by a gap and named under their bars. The ``label_largest`` largest gains and
    largest losses are labelled with their dollars. A single holding's bars are labelled
    with their acquisition dates instead (up to 24 lots).

    Parameters
    ----------
    status : DataFrame
        :func:`toolkit.lot_status` output (``account``, ``symbol``, ``acquired``,
        ``unrealized_gain``, ``term``).
    ax : Axes, optional
    title : str
    label_largest : int, default 3
    mask_accounts : bool or AccountMasker, default True

    Returns
    -------
    Axes
        One bar container holding every lot's gain (dollars; a lot without a cost basis
        draws 0), ordered by account and symbol (first appearance), then acquisition date;
        one text per labelled gain or loss.
    """
    ax = _axes(ax, size=(10.0, 4.5))
    s = status.assign(_a=pd.factorize(status["account"])[0],
                      _s=pd.factorize(status["symbol"])[0])
    s = s.sort_values(["_a", "_s", "acquired"], kind="stable")
    groups = list(dict.fromkeys(zip(s["account"], s["symbol"], strict=True)))
    gap = 1.0 if len(groups) > 1 else 0.0
    x, pos, centers = [], 0.0, []
    for g in groups:
        n = int(((s["account"] == g[0]) & (s["symbol"] == g[1])).sum())
        x += [pos + i for i in range(n)]
        centers.append(pos + (n - 1) / 2)
        pos += n + gap
    gains = s["unrealized_gain"].to_numpy(dtype=float)
    with style():
        ax.bar(x, np.nan_to_num(gains), width=0.8,
               color=[TERM_COLORS.get(t, "#7f7f7f") for t in s["term"]])
        ax.axhline(0, color="black", lw=0.8)
        if len(groups) == 1 and len(s) <= 24:
            ax.set_xticks(x, [pd.Timestamp(d).strftime("%Y-%m-%d") for d in s["acquired"]],
                          rotation=60, ha="right", fontsize=7)
        else:
            masker = _masker(mask_accounts, [a for a, _ in groups])
            ax.set_xticks(centers, [f"{sym}\n{masker.account(a)}" for a, sym in groups],
                          fontsize=7)
            for edge in np.cumsum([0] + [len(s[(s["account"] == a) & (s["symbol"] == b)]) + gap
                                         for a, b in groups])[1:-1]:
                ax.axvline(edge - gap / 2 - 0.5, color="#d9d9d9", lw=0.8)
        ax.grid(axis="x", visible=False)
        _money_axis(ax.yaxis)
        if label_largest and len(s) > 1:
            order = np.argsort(np.nan_to_num(gains))
            picks = [i for i in order[::-1][:label_largest] if gains[i] > 0] + \
                [i for i in order[:label_largest] if gains[i] < 0]
            last: dict[bool, tuple[float, int]] = {}
            for i in sorted(picks, key=lambda j: x[j]):
                v = gains[i]
                up = bool(v >= 0)
                near, lift = last.get(up, (-10.0, 0))
                lift = lift + 1 if x[i] - near < 2.5 else 0  # neighbours: stagger the labels
                last[up] = (x[i], lift)
                dy = (2 + 9 * lift) * (1 if up else -1)
                ax.annotate(fmt_money_short(v), (x[i], v), xytext=(0, dy),
                            textcoords="offset points", ha="center",
                            va="bottom" if up else "top", fontsize=7)
            ax.margins(y=0.12)
        handles = [Rectangle((0, 0), 1, 1, color=c) for c in TERM_COLORS.values()]
        ax.legend(handles, [f"{t}-term" for t in TERM_COLORS], loc="upper right")
        ax.set_title(title)
    return ax


def plot_method_comparison(cmp: pd.DataFrame, ax: Axes | None = None, *,
                           title: str = "Tax by lot-selection method") -> Axes:
    """Tax of each lot-selection method, with after-tax proceeds in the labels.

    Parameters
    ----------
    cmp : DataFrame
        :func:`toolkit.compare_methods` output (``method``, ``tax``,
        ``after_tax_proceeds``).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        One bar container with each method's tax (dollars).
    """
    ax = _axes(ax)
    with style():
        x = np.arange(len(cmp))
        bars = ax.bar(x, cmp["tax"], color="#1f4e79", width=0.6)
        for b, t in zip(bars.patches, cmp["tax"], strict=True):
            ax.annotate(fmt_money(t), (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, list(cmp["method"]))
        _money_axis(ax.yaxis)
        ax.set_title(title)
    return ax


def plot_cadence(cmp: pd.DataFrame, metric: str, ax: Axes | None = None, *,
                 title: str | None = None, money: bool = False,
                 relative_to: str | None = None) -> Axes:
    """One metric of several rebalancing policies side by side.

    Parameters
    ----------
    cmp : DataFrame
        One row per policy (index: policy name) with ``metric`` as a column.
    metric : str
        Column to show (e.g. ``"taxes_p50"``, ``"ending_after_tax_p50"``).
    ax : Axes, optional
    title : str, optional
    money : bool, default False
        Format the value axis and labels as dollars (``$1.6M``).
    relative_to : str, optional
        A policy of ``cmp.index``: draw each policy's difference from it (so that
        differences of a few thousand dollars on a million show), each bar labelled with the
        policy's own value.

    Returns
    -------
    Axes
        One bar container with the metric per policy (or its difference from
        ``relative_to``).
    """
    ax = _axes(ax)
    values = cmp[metric].to_numpy(dtype=float)
    base = float(cmp.loc[relative_to, metric]) if relative_to is not None else 0.0
    fmt = fmt_money_short if money else (lambda v: f"{v:,.2f}")
    with style():
        x = np.arange(len(cmp))
        bars = ax.bar(x, values - base, color="#4f81bd", width=0.6)
        ax.set_xticks(x, [str(i) for i in cmp.index], rotation=30, ha="right")
        if money:
            _money_axis(ax.yaxis)
        if relative_to is not None:
            ax.axhline(0, color="black", lw=0.8)
            for patch, v in zip(bars.patches, values, strict=True):
                h = patch.get_height()
                ax.annotate(fmt(v), (patch.get_x() + patch.get_width() / 2, h),
                            xytext=(0, 2 if h >= 0 else -2), textcoords="offset points",
                            ha="center", va="bottom" if h >= 0 else "top", fontsize=7)
            ax.set_ylabel(f"difference from {relative_to}", fontsize=8)
            ax.margins(y=0.15)
        ax.set_title(title or metric.replace("_", " "))
    return ax


#: Colours of harvest statuses.
HARVEST_COLORS = {"harvest": "#1f4e79", "wash_risk": "#c0504d"}


def plot_harvest(result, ax: Axes | None = None, *,
                 mask_accounts: bool | AccountMasker = True,
                 title: str = "Harvestable losses by holding") -> Axes:
    """Each candidate holding's loss, coloured by status, labelled with the tax it saves.

    Parameters
    ----------
    result : HarvestResult
        :func:`toolkit.harvest` output (its ``by_symbol`` frame: ``account``, ``symbol``,
        ``loss``, ``tax_value``, ``status``).
    ax : Axes, optional
    mask_accounts : bool or AccountMasker, default True
        Mask account ids (by the household's masker when given one).
    title : str

    Returns
    -------
    Axes
        One bar container with each holding's loss (dollars), in ``by_symbol`` order; blue
        for ``harvest``, red for ``wash_risk``; each bar annotated with its ``tax_value``.
    """
    ax = _axes(ax)
    b = result.by_symbol
    with style():
        x = np.arange(len(b))
        bars = ax.bar(x, b["loss"].to_numpy(dtype=float), width=0.6,
                      color=[HARVEST_COLORS.get(st, "#7f7f7f") for st in b["status"]])
        for patch, v in zip(bars.patches, b["tax_value"], strict=True):
            ax.annotate(f"saves {fmt_money(v)}",
                        (patch.get_x() + patch.get_width() / 2, patch.get_height()),
                        ha="center", va="bottom", fontsize=8)
        masker = _masker(mask_accounts, b["account"])
        ax.set_xticks(x, [f"{sym}\n{masker.account(a)}"
                          for a, sym in zip(b["account"], b["symbol"], strict=True)])
        _money_axis(ax.yaxis)
        ax.set_ylabel("loss")
        handles = [Rectangle((0, 0), 1, 1, color=c) for c in HARVEST_COLORS.values()]
        ax.legend(handles, ["harvest", "wash risk"], loc="upper right")
        ax.set_title(title)
    return ax


def plot_drift_paths(results, ax: Axes | None = None, *,
                     title: str = "Worst-class drift over time (median, 5-95% of paths)"
                     ) -> Axes:
    """Each policy's drift over the simulated months: the median and the 5-95% band.

    Parameters
    ----------
    results : mapping of label -> SimResult, or a sequence of SimResult
        :func:`toolkit.simulate` outputs; their ``drift`` frames (index month-end dates;
        columns ``p5``, ``p50``, ``p95``, percentage points) are drawn. A sequence is
        labelled by each result's ``label``.
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        One line per policy (the ``p50`` column, in order) and one shaded band per policy
        (``p5`` to ``p95``) in ``ax.collections``, in the same order.
    """
    ax = _axes(ax, size=(8.0, 4.0))
    items = list(results.items()) if hasattr(results, "items") else [(r.label, r)
                                                                      for r in results]
    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    with style():
        for i, (name, r) in enumerate(items):
            d = r.drift
            c = colors[i % len(colors)]
            ax.fill_between(d.index, d["p5"].to_numpy(), d["p95"].to_numpy(), color=c,
                            alpha=0.15, lw=0)
            ax.plot(d.index, d["p50"].to_numpy(), color=c, lw=1.6, label=name)
        locator = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_ylabel("percentage points")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize=7)
        ax.set_title(title)
    return ax


# --- special situations (toolkit.planning) ----------------------------------------------------


def plot_conversion_schedule(schedule: pd.DataFrame, ax: Axes | None = None, *,
                             title: str = "Roth conversions and the traditional balance"
                             ) -> Axes:
    """Dollars converted and their tax per year, with the traditional balance left.

    Parameters
    ----------
    schedule : DataFrame
        :func:`toolkit.planning.conversion_schedule` output (``year``, ``converted``,
        ``tax``, ``balance_end``, ``balance_end_no_conversion``; dollars).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        Two bar containers (converted, then tax; dollars, NaN tax drawn as 0) and two lines
        (year-end balance with conversions, then without).
    """
    ax = _axes(ax, size=(8.0, 4.0))
    with style():
        x = np.arange(len(schedule))
        ax.bar(x - 0.2, schedule["converted"].fillna(0.0), width=0.4, color="#1f4e79",
               label="converted")
        ax.bar(x + 0.2, schedule["tax"].fillna(0.0), width=0.4, color="#f79646",
               label="tax on the conversion")
        ax.plot(x, schedule["balance_end"], color="#9bbb59", marker="o", lw=2,
                label="traditional balance (year end)")
        ax.plot(x, schedule["balance_end_no_conversion"], color="#a6a6a6", ls="--",
                label="balance without conversions")
        ax.set_xticks(x, [str(y) for y in schedule["year"]], rotation=45, ha="right")
        _money_axis(ax.yaxis)
        ax.legend(loc="upper left", fontsize=8)  # (the balance without conversions rises right)
        ax.set_title(title)
    return ax


def plot_rmd_plan(plan, ax: Axes | None = None, *,
                  title: str = "Drift before and after the RMD") -> Axes:
    """Drift per class before and after taking the year's RMDs, in percentage points.

    Parameters
    ----------
    plan : RmdPlan
        :func:`toolkit.planning.rmd_plan` output (its ``allocation``).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        Two bar containers: drift before, then after (percentage points).
    """
    a = plan.allocation
    return _before_after(_axes(ax), a["drift_before"], a["drift_after"], title)


def plot_nua(comparison: pd.DataFrame, ax: Axes | None = None, *,
             future_ordinary_rate: float | None = None,
             title: str = "Employer stock: NUA against an IRA rollover") -> Axes:
    """After-tax dollars of the NUA path and the rollover path by sale year.

    Parameters
    ----------
    comparison : DataFrame
        :func:`toolkit.planning.nua_comparison` output.
    ax : Axes, optional
    future_ordinary_rate : float, optional
        Which block of rows to draw (default the first rate in the frame).
    title : str

    Returns
    -------
    Axes
        Two lines: NUA after tax, then rollover after tax (dollars), x = years after the
        distribution.
    """
    ax = _axes(ax)
    rates = comparison["future_ordinary_rate"]
    rf = rates.iloc[0] if future_ordinary_rate is None else future_ordinary_rate
    c = comparison[np.isclose(rates, rf)]
    with style():
        ax.plot(c["years"], c["nua_after_tax"], color="#1f4e79", marker="o", lw=2,
                label="NUA (lump sum, shares to taxable)")
        ax.plot(c["years"], c["rollover_after_tax"], color="#f79646", marker="s", lw=2,
                label=f"rollover to IRA (withdrawn at {rf:.0%})")
        ax.set_xlabel("years after the distribution")
        _money_axis(ax.yaxis)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title(title)
    return ax


def plot_diversify(plan: pd.DataFrame, ax: Axes | None = None, *,
                   title: str = "Diversifying a concentrated holding") -> Axes:
    """Proceeds and tax per year, with the holding's remaining weight written above.

    Parameters
    ----------
    plan : DataFrame
        :func:`toolkit.planning.diversify` output (``year``, ``proceeds``, ``tax``,
        ``weight``).
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        Two bar containers (proceeds, then tax; dollars) and one text label per year with
        the weight left (percent).
    """
    ax = _axes(ax)
    with style():
        x = np.arange(len(plan))
        bars = ax.bar(x - 0.2, plan["proceeds"], width=0.4, color="#1f4e79", label="sold")
        ax.bar(x + 0.2, plan["tax"], width=0.4, color="#f79646", label="tax")
        for b, w in zip(bars.patches, plan["weight"], strict=True):
            ax.annotate(f"{w * 100:.1f}% left", (b.get_x() + b.get_width(), b.get_height()),
                        ha="center", va="bottom", fontsize=8)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, [str(y) for y in plan["year"]])
        _money_axis(ax.yaxis)
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(title)
    return ax


def plot_december_vs_january(table: pd.DataFrame, ax: Axes | None = None, *,
                             title: str = "Sell in December or in January?") -> Axes:
    """The sale's tax in each scenario, split into this year's and next year's part.

    Parameters
    ----------
    table : DataFrame
        :func:`toolkit.planning.december_vs_january` output.
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
        Two bar containers over the December and January scenarios: the change in this
        year's tax, then the change in next year's stacked on it (dollars; they add up to
        ``tax_of_sale``).
    """
    ax = _axes(ax, size=(6.0, 4.0))
    base = table.set_index("scenario").loc["no sale"]
    t = table[table["scenario"] != "no sale"]
    this = (t["this_year_tax"] - base["this_year_tax"]).to_numpy()
    nxt = (t["next_year_tax"] - base["next_year_tax"]).to_numpy()
    with style():
        x = np.arange(len(t))
        ax.bar(x, this, width=0.5, color="#1f4e79", label=f"{int(base['this_year'])} tax")
        ax.bar(x, nxt, width=0.5, bottom=this, color="#4f81bd",
               label=f"{int(base['next_year'])} tax")
        for i, total in enumerate(t["tax_of_sale"]):
            ax.annotate(fmt_money(total), (i, this[i] + nxt[i]), ha="center", va="bottom",
                        fontsize=9)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, list(t["scenario"]))
        _money_axis(ax.yaxis)
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(title)
    return ax
