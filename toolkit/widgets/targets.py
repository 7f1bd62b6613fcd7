"""Targets and drift: a slider per asset class, kept summing to 100%.

Drift, the plan summary and the post-plan asset-location chart update as sliders move.

Auto-balance, in one sentence a person can hold: *moving one slider moves the unlocked others
in proportion to their weights so the total stays 100%; a locked slider never moves.* If every
other class is locked, the moved slider can only take the room they leave.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as W
import numpy as np
import pandas as pd

from toolkit.accounts import AccountMasker
from toolkit.allocation import Band, drift
from toolkit.display import no_math, table_html
from toolkit.errors import HouseholdError
from toolkit.facts import plan_facts
from toolkit.household import Household, validate_targets
from toolkit.onboarding import save_targets
from toolkit.planner import plan as make_plan
from toolkit.plots import update_account_allocation, update_drift
from toolkit.style import OUTSIDE, band_status, fmt_money, label
from toolkit.widgets._base import ErrorBox, FigureView

__all__ = ["BANDS", "TargetsApp", "TargetsModel"]

#: Band choices offered in the app: label -> Band.
BANDS = {
    "5/25 rule (±5 pp or ±25% of target)": Band("5/25"),
    "±5 percentage points": Band("absolute", absolute=0.05),
    "±25% of target": Band("relative", relative=0.25),
    "no band": Band("none"),
}


class TargetsModel:
    """The household target being edited, with auto-balance and locks (no widgets).

    Parameters
    ----------
    household : Household
    band : Band, optional
    """

    def __init__(self, household: Household, band: Band | None = None) -> None:
        self.household = household
        self.targets: dict[str, float] = {c: float(w) for c, w in household.targets.items()}
        self.locked: set[str] = set()
        self.band = band or Band()

    def set_lock(self, asset_class: str, locked: bool) -> None:
        """Lock or unlock a class (a locked class never moves when others do)."""
        self._check(asset_class)
        (self.locked.add if locked else self.locked.discard)(asset_class)

    def set_target(self, asset_class: str, value: float) -> dict[str, float]:
        """Set one class's weight (a fraction) and rebalance the unlocked others.

        Parameters
        ----------
        asset_class : str
        value : float
            New weight, fraction; clamped to the room the locked classes leave.

        Returns
        -------
        dict
            The new targets (fractions summing to 1).
        """
        self._check(asset_class)
        others = [c for c in self.targets if c != asset_class]
        locked = sum(self.targets[c] for c in others if c in self.locked)
        free = [c for c in others if c not in self.locked]
        room = 1.0 - locked
        value = float(np.clip(value, 0.0, room if free else room))
        if not free:  # everything else is locked: this class takes exactly the room left
            value = room
        rest = room - value
        cur = sum(self.targets[c] for c in free)
        for c in free:
            self.targets[c] = rest * self.targets[c] / cur if cur > 1e-12 else rest / len(free)
        self.targets[asset_class] = value
        total = sum(self.targets.values())  # absorb float residue in the moved class
        self.targets[asset_class] += 1.0 - total
        return dict(self.targets)

    def _check(self, asset_class: str) -> None:
        if asset_class not in self.targets:
            raise KeyError(f"{asset_class!r} is not in the target ({', '.join(self.targets)})")

    def validated(self) -> pd.Series:
        """The targets as a checked Series (raises if they do not sum to 1)."""
        return validate_targets(self.targets, where="targets")

    def drift(self) -> pd.DataFrame:
        """:func:`toolkit.drift` for the current targets and band."""
        return drift(self.household, self.validated(), band=self.band)

    def plan(self, **options):
        """The waterfall plan for the current targets and band."""
        return make_plan(self.household, targets=self.validated(), band=self.band, **options)


class TargetsApp:
    """Sliders for the target, a band selector, and live drift / plan / location views.

    Build it, then show ``app.root`` (the constructor displays nothing).

    Parameters
    ----------
    household : Household
    band : Band, optional
    save_to : str or Path, optional
        The household file "Save targets" rewrites (default: the file the household was
        loaded from; the button is disabled when there is none).
    """

    def __init__(self, household: Household, band: Band | None = None, *,
                 save_to=None) -> None:
        self.model = TargetsModel(household, band)
        self.save_to = Path(save_to) if save_to is not None else household.path
        self.masker = AccountMasker.of(household.accounts)
        self.errors = ErrorBox()
        self._syncing = False
        self.sliders: dict[str, W.FloatSlider] = {}
        self.locks: dict[str, W.ToggleButton] = {}
        rows = []
        for c, w in self.model.targets.items():
            s = W.FloatSlider(value=round(w * 100, 2), min=0.0, max=100.0, step=0.5,
                              description=label(c), readout_format=".1f",
                              continuous_update=False, style={"description_width": "150px"},
                              layout=W.Layout(width="430px"))
            lock = W.ToggleButton(value=False, icon="unlock", tooltip=f"lock {label(c)}",
                                  layout=W.Layout(width="40px"))
            s.observe(self.errors.guard(self._on_slider), names="value")
            lock.observe(self.errors.guard(self._on_lock), names="value")
            s.asset_class = c  # type: ignore[attr-defined]
            lock.asset_class = c  # type: ignore[attr-defined]
            self.sliders[c], self.locks[c] = s, lock
            rows.append(W.HBox([s, lock]))
        names = list(BANDS)
        current = next((n for n, b in BANDS.items() if b == self.model.band), names[0])
        self.band = W.Dropdown(options=names, value=current, description="Band",
                               layout=W.Layout(width="430px"))
        self.band.observe(self.errors.guard(self._on_band), names="value")
        self.total = W.HTML()
        self.save = W.Button(description="Save targets to the household file", icon="save",
                             layout=W.Layout(width="300px"),
                             disabled=self.save_to is None,
                             tooltip=str(self.save_to or "no household file to save to"))
        self.save.on_click(self.errors.guard(self._on_save))
        self.saved = W.HTML()
        self.summary = W.HTML()
        self.drift_table = W.HTML()
        self.view = FigureView(figsize=(11.0, 4.2), ncols=2)
        self.drift_ax, self.map_ax = self.view.axes
        self.drift_frame: pd.DataFrame | None = None
        self.plan = None
        help_ = W.HTML("<i>Moving a slider moves the unlocked others in proportion so the "
                       "total stays 100%; a locked slider never moves.</i>")
        controls = W.VBox([W.HTML("<b>Target allocation</b>"), help_, *rows, self.band,
                           self.total, W.HBox([self.save, self.saved])])
        self.root = W.VBox([controls, self.errors.widget, self.view.image, self.drift_table,
                            self.summary])
        self.update()

    # --- callbacks ------------------------------------------------------------------------

    def _on_slider(self, change) -> None:
        if self._syncing:
            return
        self.model.set_target(change["owner"].asset_class, change["new"] / 100.0)
        self._sync_sliders()
        self.update()

    def _on_lock(self, change) -> None:
        c = change["owner"].asset_class
        self.model.set_lock(c, change["new"])
        change["owner"].icon = "lock" if change["new"] else "unlock"

    def _on_band(self, change) -> None:
        self.model.band = BANDS[change["new"]]
        self.update()

    def _on_save(self, _button) -> None:
        self.save_targets()

    def save_targets(self) -> Path:
        """Write the current target into the household file (its comments kept).

        Returns
        -------
        Path
            The file written (``save_to``, default the household's own file).

        Raises
        ------
        HouseholdError
            If the household was not loaded from a file and no ``save_to`` was given.
        """
        if self.save_to is None:
            raise HouseholdError("this household was not loaded from a file: nowhere to save")
        t = self.model.validated()
        save_targets(self.save_to, {c: float(w) for c, w in t.items()})
        self.saved.value = (f"Saved to <code>{html.escape(str(self.save_to))}</code>; "
                            "notebook 02 and the command line read it from there.")
        return self.save_to

    def _sync_sliders(self) -> None:
        self._syncing = True
        try:
            for c, s in self.sliders.items():
                s.value = round(self.model.targets[c] * 100, 4)
        finally:
            self._syncing = False

    # --- drawing ----------------------------------------------------------------------------

    def update(self) -> None:
        """Recompute drift and the waterfall plan, then redraw in place."""
        d = self.model.drift()
        p = self.model.plan()
        self.drift_frame, self.plan = d, p
        total = sum(self.model.targets.values())
        self.total.value = f"Total: <b>{total * 100:.1f}%</b>"
        still = self._draw_drift(d) & self._draw_map(p)
        if not still:  # axes, labels or legends changed: a new still background
            self.view.set_moving(*self._moving())
        self.view.refresh(full=not still)
        table = pd.DataFrame({"class": list(d.index),
                              "current": d["current"].to_numpy(),
                              "target": d["target"].to_numpy(),
                              "drift (pp)": (d["drift"] * 100).to_numpy(),
                              "band": [band_status(c, r) for c, r in d.iterrows()]})
        self.drift_table.value = table_html(table, False)
        f = plan_facts(p)
        outside = [label(c) for c, r in d.iterrows() if band_status(c, r) == OUTSIDE]
        trades = p.trades[["account", "side", "symbol", "amount", "est_tax"]]
        self.summary.value = no_math(
            f"<b>Plan:</b> {f.trades} trades, tax {fmt_money(f.tax)}, turnover "
            f"{f.turnover:.1%}; {'within' if f.within_band else '<b>not</b> within'} "
            f"the band after the plan. Outside the band now: "
            f"{', '.join(outside) if outside else 'nothing'}."
            + table_html(trades, self.masker, max_rows=12, empty="No trades."))

    def _draw_drift(self, d: pd.DataFrame) -> bool:
        return update_drift(self.drift_ax, d)

    def _draw_map(self, p) -> bool:
        acc = self.model.household.accounts
        names = dict(zip(acc["account"], acc["name"], strict=True))
        return update_account_allocation(self.map_ax, p.allocation_after, names=names,
                                         mask_accounts=self.masker,
                                         title="Holdings after the plan, by account")

    def _moving(self) -> tuple[list, list]:
        """What a slider move changes (bars, bands, the zero line) and the legends over it."""
        moving, overlays = [], []
        for ax in (self.drift_ax, self.map_ax):
            moving += [patch for c in ax.containers for patch in c.patches]
            moving += list(ax.lines)
            legend = ax.get_legend()
            if legend is not None:  # opaque, so its pixels can be pasted back as they are
                legend.set_frame_on(True)
                legend.get_frame().set(facecolor="white", edgecolor="none", alpha=1.0)
                overlays.append(legend)
        return moving, overlays
