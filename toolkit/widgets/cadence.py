"""Rebalancing cadence: several policies simulated on the same return paths, side by side.

Tick the policies, set the years and paths (small by default so it runs in seconds; the
benchmark covers the big run) and press Run: :func:`toolkit.simulate` runs each policy for
this household with one seed (so every policy sees the same Monte Carlo paths), and the app
shows the drift over time (median and 5-95% band per policy), the taxes and the after-tax
wealth (medians), and the comparison table (:func:`toolkit.cadence.compare_results`).
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
import pandas as pd

from toolkit.allocation import Band
from toolkit.cadence import (
    Calendar,
    Hybrid,
    Opportunistic,
    SeedRecommendation,
    SimResult,
    Threshold,
    compare_results,
    simulate,
)
from toolkit.display import table_html
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.plots import plot_cadence, plot_drift_paths
from toolkit.style import label
from toolkit.widgets._base import ErrorBox, FigureView

__all__ = ["POLICIES", "SHOWN", "CadenceApp", "CadenceModel"]

#: Policies offered: short name -> policy.
POLICIES = {
    "Calendar (annual)": Calendar("annual"),
    "Calendar (quarterly)": Calendar("quarterly"),
    "Threshold (5/25)": Threshold(Band("5/25")),
    "Hybrid (quarterly, ±5 pp)": Hybrid(),
    "Opportunistic (Vanguard 200/175)": Opportunistic.vanguard_200_175(),
    "Seed recommendation": SeedRecommendation(),
}
#: Columns of the comparison table shown in the app: column -> heading.
SHOWN = {
    "avg_drift_pp_p50": "avg drift (pp)", "worst_drift_pp_p50": "worst drift (pp)",
    "rebalances_p50": "rebalances", "turnover_pct_p50": "turnover %/yr",
    "taxable_sales_p50": "taxable sales", "taxes_p5": "taxes p5", "taxes_p50": "taxes p50",
    "taxes_p95": "taxes p95", "ending_after_tax_p5": "after tax p5",
    "ending_after_tax_p50": "after tax p50", "ending_after_tax_p95": "after tax p95",
}
_KINDS = {**dict.fromkeys(("taxable sales", "taxes p5", "taxes p50", "taxes p95",
                            "after tax p5", "after tax p50", "after tax p95"), "money"),
          "avg drift (pp)": "number", "worst drift (pp)": "number", "rebalances": "count",
          "turnover %/yr": "pct_units"}


class CadenceModel:
    """Which policies, how long, how many paths; the simulations and their table (no widgets).

    Parameters
    ----------
    household : Household
    unclassified : str, optional
        Asset class whose returns unclassified holdings follow (needed when there are any).
    years : int, default 10
    paths : int, default 100
    seed : int, default 0
    """

    def __init__(self, household: Household, *, unclassified: str | None = None,
                 years: int = 10, paths: int = 100, seed: int = 0) -> None:
        self.household = household
        self.unclassified = unclassified
        self.years, self.paths, self.seed = years, paths, seed

    def run(self, names) -> tuple[dict[str, SimResult], pd.DataFrame]:
        """Simulate the named policies (keys of :data:`POLICIES`) on the same paths.

        Returns
        -------
        results : dict of str to SimResult
            By short name, in the order of :data:`POLICIES`.
        table : DataFrame
            :func:`toolkit.cadence.compare_results` of the results (index: the policies'
            own labels), as :func:`toolkit.compare_policies` would give.
        """
        names = [n for n in POLICIES if n in set(names)]
        if not names:
            raise PlanningError("tick at least one policy to simulate")
        results = {n: simulate(self.household, POLICIES[n], years=int(self.years),
                               paths=int(self.paths), seed=int(self.seed),
                               unclassified=self.unclassified or None, progress=False)
                   for n in names}
        return results, compare_results(list(results.values()))


class CadenceApp:
    """Policy checkboxes, years, paths and a Run button; drift, taxes, wealth and a table.

    Build it, then show ``app.root`` (the constructor displays nothing; it runs the default
    comparison once so the charts are not empty).

    Parameters
    ----------
    household : Household
    unclassified : str, optional
        Asset class whose returns unclassified holdings follow.
    years : int, default 10
    paths : int, default 100
    run : bool, default True
        Run the default comparison in the constructor.
    """

    def __init__(self, household: Household, *, unclassified: str | None = None,
                 years: int = 10, paths: int = 100, run: bool = True) -> None:
        self.model = CadenceModel(household, unclassified=unclassified, years=years,
                                  paths=paths)
        self.errors = ErrorBox()
        self.results: dict[str, SimResult] = {}
        self.table: pd.DataFrame | None = None
        self.checks = {n: W.Checkbox(value=True, description=n, indent=False,
                                     layout=W.Layout(width="260px")) for n in POLICIES}
        self.years = W.BoundedIntText(value=years, min=1, max=50, description="Years",
                                      layout=W.Layout(width="160px"))
        self.paths = W.BoundedIntText(value=paths, min=1, max=10_000, description="Paths",
                                      layout=W.Layout(width="170px"))
        self.seed = W.IntText(value=0, description="Seed", layout=W.Layout(width="150px"))
        classes = list(household.targets.index)
        self.unclassified = W.Dropdown(
            options=[("(none)", "")] + [(label(c), c) for c in classes],
            value=unclassified or "", description="Unclassified follow",
            style={"description_width": "130px"}, layout=W.Layout(width="330px"))
        self.run_button = W.Button(description="Run", icon="play", button_style="primary")
        self.run_button.on_click(self.errors.guard(self._on_run))
        self.status = W.HTML()
        self.table_html = W.HTML()
        self.view = FigureView(figsize=(14.0, 5.0), ncols=3,
                               gridspec_kw={"width_ratios": [1.5, 1.0, 1.0]})
        self.view.figure.subplots_adjust(left=0.05, right=0.99, bottom=0.3, top=0.92,
                                         wspace=0.25)
        self.drift_ax, self.tax_ax, self.wealth_ax = self.view.axes
        self._shape: tuple | None = None
        boxes = list(self.checks.values())
        self.root = W.VBox([
            W.HTML("<b>Policies</b>"), W.HBox(boxes[:3]), W.HBox(boxes[3:]),
            W.HBox([self.years, self.paths, self.seed, self.unclassified]),
            W.HBox([self.run_button, self.status]), self.errors.widget, self.view.image,
            self.table_html])
        if run:
            self.errors.guard(self.run)()

    def _on_run(self, _button) -> None:
        self.run()

    def run(self) -> None:
        """Simulate the ticked policies with the current settings and redraw."""
        m = self.model
        m.years, m.paths, m.seed = self.years.value, self.paths.value, self.seed.value
        m.unclassified = self.unclassified.value or None
        results, table = m.run([n for n, c in self.checks.items() if c.value])
        self.results, self.table = results, table
        self.status.value = (f"Simulated {len(results)} policies, {m.years} years x "
                             f"{m.paths} paths (seed {m.seed}).")
        short = table.set_axis(list(results))  # the checkbox names label the charts
        shown = short[list(SHOWN)].rename(columns=SHOWN)
        shown.insert(0, "policy", list(results))
        shown.insert(1, "simulated as", list(table.index))
        self.table_html.value = table_html(shown.reset_index(drop=True), False, kinds=_KINDS)
        self._draw(results, short)

    def _draw(self, results: dict[str, SimResult], short: pd.DataFrame) -> None:
        months = len(next(iter(results.values())).drift)
        shape = (tuple(results), months)
        if shape == self._shape:  # same policies and months: move the drift lines in place
            for line, band, r in zip(self.drift_ax.lines, self.drift_ax.collections,
                                     results.values(), strict=True):
                d = r.drift
                line.set_data(d.index, d["p50"].to_numpy())
                band.set_data(d.index, d["p5"].to_numpy(), d["p95"].to_numpy())
            top = max(float(np.nanmax(r.drift["p95"])) for r in results.values())
            self.drift_ax.set_ylim(0, top * 1.05 if top > 0 else 1.0)
        else:
            self.drift_ax.clear()
            plot_drift_paths(results, ax=self.drift_ax, title="Worst-class drift (pp)")
            self._shape = shape
        # taxes and wealth differ by a few percent between policies: drawn as differences
        # from the first policy, each bar labelled with its own median
        first = short.index[0]
        for ax, col, title in ((self.tax_ax, "taxes_p50", "Taxes over the horizon (median)"),
                               (self.wealth_ax, "ending_after_tax_p50",
                                "After-tax wealth at the end (median)")):
            ax.clear()
            plot_cadence(short, col, ax=ax, money=True, title=title, relative_to=first)
        self.view.refresh()
