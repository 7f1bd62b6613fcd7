"""Tax-loss harvesting: candidates at two thresholds, the wash-sale calendar, the harvest log.

The candidates come from :func:`toolkit.harvest` (status, tax value, replacements, first
safe buy-back), the calendar of what is blocked across all accounts from
:func:`toolkit.tax.wash_calendar`, and the log of harvests actually done is a
:class:`toolkit.HarvestLog` kept in a CSV (or XLSX) file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import ipywidgets as W
import pandas as pd

from toolkit.accounts import AccountMasker
from toolkit.display import no_math, notes, table_html
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.plots import HARVEST_COLORS, plot_harvest, update_bars
from toolkit.style import fmt_money
from toolkit.tax import HarvestLog, harvest, read_log, wash_calendar
from toolkit.tax.harvest import STATUSES, HarvestResult
from toolkit.widgets._base import ErrorBox, FigureView

__all__ = ["POLICIES", "HarvestApp", "HarvestModel"]

#: Substantially-identical policies offered: label -> policy name.
POLICIES = {"same security": "same_security", "same index": "same_index"}
_LOG_SUFFIXES = (".csv", ".xlsx")


class HarvestModel:
    """Thresholds and policy in; harvest result, wash calendar and log out (no widgets).

    Parameters
    ----------
    household : Household
    min_loss : float, default 500
        Dollars (see :func:`toolkit.harvest`).
    min_loss_pct : float, default 0.05
        Fraction of the lot's basis.
    policy : {"same_security", "same_index"}
    """

    def __init__(self, household: Household, *, min_loss: float = 500.0,
                 min_loss_pct: float = 0.05, policy: str = "same_security") -> None:
        self.household = household
        self.min_loss = float(min_loss)
        self.min_loss_pct = float(min_loss_pct)
        self.policy = policy

    def run(self) -> HarvestResult:
        """:func:`toolkit.harvest` at the current thresholds and policy."""
        return harvest(self.household, min_loss=self.min_loss, min_loss_pct=self.min_loss_pct,
                       policy=self.policy)

    def calendar(self) -> pd.DataFrame:
        """:func:`toolkit.tax.wash_calendar` under the current policy."""
        return wash_calendar(self.household, policy=self.policy)

    @staticmethod
    def read(path) -> HarvestLog:
        """The log kept at ``path`` (empty when there is no file yet)."""
        p = Path(str(path)).expanduser()
        return read_log(p) if p.exists() else HarvestLog()

    @staticmethod
    def record(result: HarvestResult, rows: Sequence[int], path) -> HarvestLog:
        """Append the chosen candidates to the log at ``path`` and return the whole log.

        Parameters
        ----------
        result : HarvestResult
        rows : sequence of int
            Positions of the chosen rows of ``result.candidates``.
        path : str or Path
            A ``.csv`` or ``.xlsx`` file; created if missing, appended to otherwise.

        Returns
        -------
        HarvestLog
            The log as written: earlier entries, then one entry per chosen account, symbol
            and term (:meth:`toolkit.HarvestLog.from_result`, dated ``result.as_of``).

        Raises
        ------
        PlanningError
            If nothing is chosen, or the path is not a .csv or .xlsx file in an existing
            folder.
        """
        rows = list(rows)
        if not rows:
            raise PlanningError("select at least one candidate to record")
        p = Path(str(path)).expanduser()
        if p.suffix.lower() not in _LOG_SUFFIXES:
            raise PlanningError(f"harvest log {str(path)!r} must be a .csv or .xlsx file")
        if not p.parent.is_dir():
            raise PlanningError(f"folder {str(p.parent)!r} does not exist")
        chosen = replace(result, candidates=result.candidates.iloc[rows].reset_index(drop=True))
        log = HarvestModel.read(p).extend(HarvestLog.from_result(chosen, statuses=STATUSES))
        (log.to_csv if p.suffix.lower() == ".csv" else log.to_xlsx)(p)
        return log


class HarvestApp:
    """Threshold and policy controls, the candidates, the wash-sale calendar and the log.

    Build it, then show ``app.root`` (the constructor displays nothing).

    Parameters
    ----------
    household : Household
    log_path : str or Path, optional
        The harvest log file (default ``harvest_log.csv`` in the current folder: the
        notebook's). Nothing is written until "Record selected harvests" is pressed.
    """

    def __init__(self, household: Household, *, log_path=None) -> None:
        self.model = HarvestModel(household)
        self.masker = AccountMasker.of(household.accounts)
        self.errors = ErrorBox()
        self.result: HarvestResult | None = None
        self.calendar: pd.DataFrame | None = None
        self.log: HarvestLog | None = None
        self.min_loss = W.FloatText(value=self.model.min_loss, step=100.0,
                                    description="Min loss ($)",
                                    style={"description_width": "110px"})
        self.min_loss_pct = W.FloatText(value=self.model.min_loss_pct * 100, step=1.0,
                                        description="Min loss (%)",
                                        style={"description_width": "110px"})
        self.policy = W.Dropdown(options=list(POLICIES.items()), value=self.model.policy,
                                 description="Identical if", style={"description_width": "110px"})
        for w in (self.min_loss, self.min_loss_pct, self.policy):
            w.observe(self.errors.guard(self._on_change), names="value")
        self.summary = W.HTML()
        self.candidates = W.HTML()
        self.cal_table = W.HTML()
        self.choose = W.SelectMultiple(options=[], description="Harvest",
                                       layout=W.Layout(width="620px"))
        self.log_path = W.Text(value=str(Path(log_path) if log_path is not None
                                         else Path.cwd() / "harvest_log.csv"),
                               description="Log file", layout=W.Layout(width="620px"))
        self.record_button = W.Button(description="Record selected harvests", icon="pencil",
                               layout=W.Layout(width="220px"))
        self.record_button.on_click(self.errors.guard(self._on_record))
        self.log_path.observe(self.errors.guard(self._on_log_path), names="value")
        self.log_table = W.HTML()
        self.view = FigureView(figsize=(8.0, 4.0))
        self._holdings: tuple | None = None
        self.root = W.VBox([
            W.HBox([self.min_loss, self.min_loss_pct, self.policy]), self.errors.widget,
            self.summary, self.view.image, W.HTML("<b>Candidate lots</b>"), self.candidates,
            W.HTML("<b>Wash-sale calendar (all accounts)</b>"), self.cal_table,
            W.HTML("<b>Harvest log</b>"), self.choose, self.log_path, self.record_button,
            self.log_table])
        self.errors.guard(self.update)()
        if self.errors.last is None:
            self.errors.guard(self._show_log_at)(self.log_path.value)

    # --- callbacks ------------------------------------------------------------------------

    def _on_change(self, change) -> None:
        self.model.min_loss = float(self.min_loss.value)
        self.model.min_loss_pct = float(self.min_loss_pct.value) / 100.0
        self.model.policy = self.policy.value
        self.update()

    def _on_record(self, _button) -> None:
        if self.result is None:
            raise PlanningError("no harvest result to record (see the error above)")
        self._show_log(self.model.record(self.result, self.choose.value, self.log_path.value))
        self.choose.value = ()

    def _on_log_path(self, change) -> None:
        self._show_log_at(change["new"])

    def _show_log_at(self, path) -> None:
        self._show_log(self.model.read(path))

    # --- drawing ----------------------------------------------------------------------------

    def _show_log(self, log: HarvestLog) -> None:
        self.log = log
        self.log_table.value = table_html(log.frame, self.masker,
                                          empty="No harvests recorded yet.")

    def update(self) -> None:
        """Re-run the harvest and the calendar at the current controls; redraw."""
        self.result = None
        r = self.model.run()
        cal = self.model.calendar()
        self.result, self.calendar = r, cal
        c = r.candidates
        n_h = int((c["status"] == "harvest").sum())
        cf = r.carryforward["short_term"] + r.carryforward["long_term"]
        self.summary.value = no_math(
            f"{len(c)} candidate lot(s) in {len(r.by_symbol)} holding(s); harvesting the "
            f"{n_h} lot(s) not at wash risk realises a loss of <b>{fmt_money(r.loss)}</b> "
            f"and saves <b>{fmt_money(r.total_tax_value)}</b> of tax this year"
            f"{f', carrying {fmt_money(cf)} forward' if cf > 0.005 else ''}."
            + (notes(r.warnings, self.masker).to_html() if r.warnings else ""))
        shown = c[["account", "symbol", "acquired", "quantity", "loss", "loss_pct", "term",
                   "tax_value", "status", "threats", "replacements", "first_safe_buyback"]]
        shown = shown.assign(replacements=shown["replacements"].map(
            lambda s: ", ".join(s.split(";")[:3]) if isinstance(s, str) and s else ""))
        self.candidates.value = table_html(shown, self.masker,
                                           empty="No lot meets both thresholds.")
        cal_shown = cal[["symbols", "do_not_buy_until", "buy_blocked_by", "loss_at_stake",
                         "do_not_sell_at_loss_until", "sell_blocked_by", "ongoing", "note"]]
        self.cal_table.value = table_html(cal_shown, self.masker, empty="Nothing is blocked.")
        self.choose.options = [
            (f"{self.masker.account(a)} {s} {pd.Timestamp(d):%Y-%m-%d}: loss {fmt_money(x)} "
             f"({st})", i)
            for i, (a, s, d, x, st) in enumerate(zip(c["account"], c["symbol"], c["acquired"],
                                                      c["loss"], c["status"], strict=True))]
        self._draw(r)

    def _draw(self, r: HarvestResult) -> None:
        ax = self.view.axes
        b = r.by_symbol
        key = tuple(zip(b["account"], b["symbol"], strict=True))
        if key == self._holdings and len(b):
            bars = ax.containers[0]
            update_bars(bars, b["loss"].tolist())
            for patch, st, note, v in zip(bars.patches, b["status"], ax.texts, b["tax_value"],
                                          strict=True):
                patch.set_color(HARVEST_COLORS.get(st, "#7f7f7f"))
                note.set_text(f"saves {fmt_money(v)}")
                note.xy = (patch.get_x() + patch.get_width() / 2, patch.get_height())
                note.set_position(note.xy)
            ax.relim()
            ax.autoscale_view()
        else:
            ax.clear()
            plot_harvest(r, ax=ax, mask_accounts=self.masker)
            self._holdings = key
        self.view.refresh()
