"""The rebalancing plan: contributions, mode and options in; trades, tax, drift and steps out.

Every control re-plans at once (:func:`toolkit.plan`); the trade list can be written as a
formatted XLSX (:meth:`toolkit.Plan.to_xlsx`) into a chosen folder.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as W

from toolkit.accounts import AccountMasker
from toolkit.allocation import Band
from toolkit.display import no_math, notes, table_html
from toolkit.errors import PlanningError
from toolkit.facts import plan_facts
from toolkit.household import Household
from toolkit.planner import Plan, planned_contributions
from toolkit.planner import plan as make_plan
from toolkit.planner.options import PlanMode, PlanOptions
from toolkit.plots import plot_plan, update_bars
from toolkit.style import fmt_money
from toolkit.widgets._base import ErrorBox, FigureView
from toolkit.widgets.targets import BANDS

__all__ = ["PlanApp", "PlanModel"]


class PlanModel:
    """What the plan app asks of the planner (no widgets).

    Parameters
    ----------
    household : Household
    contributions : mapping, optional
        Account id -> new money (+) or withdrawal (−), dollars; default the household file's.
        Every account gets an entry (0 where none is planned).
    """

    def __init__(self, household: Household, contributions=None) -> None:
        self.household = household
        given = planned_contributions(household, contributions)
        self.contributions: dict[str, float] = {a: float(given.get(a, 0.0))
                                                for a in household.accounts["account"]}
        self.mode = "waterfall"
        default = PlanOptions()
        self.options: dict = {"band": Band(), "to": "band",
                              "whole_shares": default.whole_shares,
                              "allow_short_term_gains": default.allow_short_term_gains,
                              "gains_budget": None}

    @staticmethod
    def parse_budget(text: str) -> float | None:
        """A gains budget typed by a person: blank is none; ``"$2,500"`` is 2500.0 dollars.

        Raises
        ------
        PlanningError
            If the text is not a non-negative number of dollars.
        """
        t = str(text).strip().replace("$", "").replace(",", "")
        if not t:
            return None
        try:
            v = float(t)
        except ValueError:
            raise PlanningError(f"gains budget {text!r} is not a number of dollars; leave it "
                                "blank for no budget") from None
        if not v >= 0:
            raise PlanningError(f"gains budget {text!r} must be zero or more dollars")
        return v

    def plan(self) -> Plan:
        """:func:`toolkit.plan` with the current non-zero contributions, mode and options."""
        money = {a: v for a, v in self.contributions.items() if v != 0}
        return make_plan(self.household, contributions=money, mode=self.mode, **self.options)

    def write_xlsx(self, plan: Plan, folder, *, mask_accounts: bool = True) -> Path:
        """Write ``plan``'s trade list into ``folder`` and return the file's path.

        The file is ``trade_list_<as_of>_<mode>.xlsx`` (overwritten if present).

        Raises
        ------
        PlanningError
            If ``folder`` is not an existing folder.
        """
        d = Path(str(folder)).expanduser()
        if not d.is_dir():
            raise PlanningError(f"folder {str(folder)!r} does not exist; create it or choose "
                                "another")
        path = (d / f"trade_list_{self.household.as_of:%Y-%m-%d}_{plan.mode}.xlsx").resolve()
        plan.to_xlsx(path, mask_accounts=mask_accounts)
        return path


class PlanApp:
    """Contributions, mode and options; the trade list, tax, drift chart and per-step table.

    Build it, then show ``app.root`` (the constructor displays nothing).

    Parameters
    ----------
    household : Household
    contributions : mapping, optional
        Starting contributions (default the household file's).
    folder : str or Path, optional
        Where "Write trade list (XLSX)" writes (default the current folder: the notebook's).
    """

    def __init__(self, household: Household, contributions=None, folder=None) -> None:
        self.model = PlanModel(household, contributions)
        self.errors = ErrorBox()
        self.plan: Plan | None = None
        self.stale = True
        self.written: Path | None = None
        acc = household.accounts.set_index("account")
        self.masker = AccountMasker.of(household.accounts)
        style = {"description_width": "230px"}
        self.contributions: dict[str, W.FloatText] = {}
        for a, v in self.model.contributions.items():
            w = W.FloatText(value=v, step=100.0, style=style, layout=W.Layout(width="380px"),
                            description=self.masker.label(a, acc.loc[a, "name"]))
            w.account = a  # type: ignore[attr-defined]
            w.observe(self.errors.guard(self._on_contribution), names="value")
            self.contributions[a] = w
        self.mode = W.ToggleButtons(options=[m.value for m in PlanMode],
                                    value=PlanMode.WATERFALL.value, description="Mode")
        default = PlanOptions()
        self.short_term = W.Checkbox(value=default.allow_short_term_gains,
                                     description="Allow short-term gains",
                                     indent=False)
        self.budget = W.Text(value="", placeholder="blank = no budget",
                             description="Gains budget ($)", style={"description_width": "110px"})
        self.whole = W.Checkbox(value=default.whole_shares, description="Whole shares",
                                indent=False)
        self.band = W.Dropdown(options=list(BANDS), value=next(iter(BANDS)),
                               description="Band", layout=W.Layout(width="430px"))
        self.to = W.ToggleButtons(options=[("to band", "band"), ("to target", "target")],
                                  value="band", description="Taxable sales")
        for w in (self.mode, self.short_term, self.budget, self.whole, self.band, self.to):
            w.observe(self.errors.guard(self._on_option), names="value")
        self.summary = W.HTML()
        self.notes = W.HTML()
        self.trades = W.HTML()
        self.steps = W.HTML()
        self.view = FigureView(figsize=(7.5, 4.0))
        self._classes: tuple | None = None
        self.folder = W.Text(value=str(Path(folder) if folder is not None else Path.cwd()),
                             description="Folder", layout=W.Layout(width="520px"))
        self.mask = W.Checkbox(value=True, description="Mask account numbers", indent=False)
        self.write = W.Button(description="Write trade list (XLSX)", icon="download",
                              layout=W.Layout(width="220px"))
        self.write.on_click(self.errors.guard(self._on_write))
        self.path = W.HTML()
        controls = W.VBox([
            W.HTML("<b>New money per account</b> (dollars; negative for a withdrawal)"),
            *self.contributions.values(), self.mode,
            W.HBox([self.short_term, self.whole]), self.budget, self.band, self.to])
        export = W.VBox([W.HBox([self.folder, self.mask]), W.HBox([self.write, self.path])])
        self.root = W.VBox([controls, self.errors.widget, self.summary, self.view.image,
                            W.HTML("<b>Trades</b>"), self.trades, W.HTML("<b>Steps</b>"),
                            self.steps, self.notes, export])
        self.errors.guard(self.update)()  # a plan that cannot be made shows why

    # --- callbacks ------------------------------------------------------------------------

    def _on_contribution(self, change) -> None:
        self.stale = True
        self.model.contributions[change["owner"].account] = float(change["new"] or 0.0)
        self.update()

    def _on_option(self, change) -> None:
        self.stale = True
        self.model.mode = self.mode.value
        self.model.options = {
            "band": BANDS[self.band.value], "to": self.to.value,
            "whole_shares": bool(self.whole.value),
            "allow_short_term_gains": bool(self.short_term.value),
            "gains_budget": self.model.parse_budget(self.budget.value)}
        self.update()

    def _on_write(self, _button) -> None:
        if self.stale or self.plan is None:
            raise PlanningError("the current options have no plan (see the error above): "
                                "change them before writing the trade list")
        self.written = self.model.write_xlsx(self.plan, self.folder.value,
                                             mask_accounts=bool(self.mask.value))
        self.path.value = f"Wrote <code>{self.written}</code>"

    # --- drawing ----------------------------------------------------------------------------

    def update(self) -> None:
        """Re-plan with the current controls and redraw (charts in place)."""
        self.stale = True
        p = self.model.plan()
        self.plan, self.stale = p, False
        self.path.value = ""
        f = plan_facts(p)
        self.summary.value = no_math(
            f"<b>{p.mode.capitalize()} plan:</b> {f.trades} trades; tax "
            f"<b>{fmt_money(f.tax)}</b> (federal {fmt_money(f.federal)}, state "
            f"{fmt_money(f.state)}, NIIT {fmt_money(f.niit)}); short-term gain "
            f"{fmt_money(f.short_term_gain)}, long-term gain "
            f"{fmt_money(f.long_term_gain)}; sold {fmt_money(f.sold)}, bought "
            f"{fmt_money(f.bought)}; turnover {f.turnover:.1%}; "
            f"{'within' if f.within_band else '<b>not</b> within'} the band after the plan.")
        t = p.trades[["account", "account_name", "symbol", "side", "shares", "amount",
                      "est_tax", "reason"]]
        self.trades.value = table_html(t, self.masker, max_rows=60, empty="No trades.")
        self.steps.value = table_html(p.steps, self.masker)
        self.notes.value = notes(p.notes, self.masker, title="Notes").to_html() if p.notes \
            else ""
        self._draw(p)

    def _draw(self, p: Plan) -> None:
        ax = self.view.axes
        d = p.drift
        if tuple(d.index) == self._classes:
            update_bars(ax.containers[0], (d["before"] * 100).tolist())
            update_bars(ax.containers[1], (d["after"] * 100).tolist())
            ax.relim()
            ax.autoscale_view()
        else:
            ax.clear()
            plot_plan(p, ax=ax)
            self._classes = tuple(d.index)
        self.view.refresh()
