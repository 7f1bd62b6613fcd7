"""Tax-lot what-if: one sale under every lot-selection method, and the lots behind it.

Pick a taxable account and a symbol it holds lots of, and an amount in shares or dollars: the
table and chart show every method side by side (:func:`toolkit.compare_methods`: proceeds,
short- and long-term gain, tax, after-tax proceeds), and the second chart the symbol's lots by
unrealised gain and term (:func:`toolkit.lot_status`).
"""

from __future__ import annotations

import ipywidgets as W
import pandas as pd

from toolkit.accounts import AccountMasker
from toolkit.display import no_math, table_html
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.plots import plot_lot_gains, plot_method_comparison, update_bars
from toolkit.schema import TaxType
from toolkit.style import fmt_money
from toolkit.tax import compare_methods, lot_status
from toolkit.widgets._base import ErrorBox, FigureView

__all__ = ["LotWhatIfApp", "LotWhatIfModel"]

UNITS = ("dollars", "shares")


class LotWhatIfModel:
    """The questions the lot what-if asks of the tax engine (no widgets).

    Parameters
    ----------
    household : Household
    """

    def __init__(self, household: Household) -> None:
        self.household = household

    def accounts(self) -> list[str]:
        """Taxable accounts that hold lots, in the household's order."""
        acc = self.household.accounts
        taxable = acc.loc[acc["tax_type"] == TaxType.TAXABLE.value, "account"]
        held = set(self.household.lots["account"])
        return [a for a in taxable if a in held]

    def symbols(self, account: str) -> list[str]:
        """Symbols with lots in ``account``, sorted."""
        lots = self.household.lots
        return sorted(set(lots.loc[lots["account"] == account, "symbol"]))

    def compare(self, account: str, symbol: str, amount: float, unit: str) -> pd.DataFrame:
        """:func:`toolkit.compare_methods` for a sale of ``amount`` shares or dollars."""
        if unit not in UNITS:
            raise PlanningError(f"unit {unit!r}: expected 'dollars' or 'shares'")
        if not amount > 0:
            raise PlanningError(f"sell a positive number of {unit}, not {amount!r}")
        return compare_methods(self.household, account, symbol, **{unit: float(amount)})

    def lots(self, account: str, symbol: str) -> pd.DataFrame:
        """:func:`toolkit.lot_status` of ``symbol``'s lots in ``account`` (household prices).

        Valued at ``household.as_of`` with the positions' prices.
        """
        h = self.household
        mine = h.lots[(h.lots["account"] == account) & (h.lots["symbol"] == symbol)]
        return lot_status(mine, h.positions[["account", "symbol", "price"]], h.as_of)


class LotWhatIfApp:
    """Account and symbol pickers, a shares-or-dollars amount, every method side by side.

    Build it, then show ``app.root`` (the constructor displays nothing).

    Parameters
    ----------
    household : Household
    account, symbol : str, optional
        Where to start (default the first taxable account with lots and its first symbol).
    amount : float, default 10,000
    unit : {"dollars", "shares"}, default "dollars"
    """

    def __init__(self, household: Household, *, account: str | None = None,
                 symbol: str | None = None, amount: float = 10_000.0,
                 unit: str = "dollars") -> None:
        self.model = LotWhatIfModel(household)
        self.errors = ErrorBox()
        accounts = self.model.accounts()
        if not accounts:
            raise PlanningError(f"household {household.name!r} has no taxable account with lots")
        names = household.accounts.set_index("account")["name"]
        self.masker = AccountMasker.of(household.accounts)
        self.account = W.Dropdown(
            options=[(self.masker.label(a, names.get(a)), a) for a in accounts],
            value=account if account is not None else accounts[0], description="Account",
            layout=W.Layout(width="380px"))
        syms = self.model.symbols(self.account.value)
        self.symbol = W.Dropdown(options=syms, value=symbol if symbol is not None else syms[0],
                                 description="Symbol", layout=W.Layout(width="240px"))
        self.unit = W.ToggleButtons(options=list(UNITS), value=unit, description="Sell")
        self.amount = W.FloatText(value=float(amount), description="Amount",
                                  layout=W.Layout(width="240px"))
        self._syncing = False
        self.account.observe(self.errors.guard(self._on_account), names="value")
        for w in (self.symbol, self.unit, self.amount):
            w.observe(self.errors.guard(self._on_change), names="value")
        self.summary = W.HTML()
        self.table = W.HTML()
        self.lots_table = W.HTML()
        self.view = FigureView(figsize=(12.0, 4.2), ncols=2)
        self.methods_ax, self.lots_ax = self.view.axes
        self._methods: tuple | None = None
        self._pair: tuple | None = None
        self.comparison: pd.DataFrame | None = None
        self.status: pd.DataFrame | None = None
        self.root = W.VBox([
            W.HBox([self.account, self.symbol]), W.HBox([self.unit, self.amount]),
            self.errors.widget, self.summary, self.table, self.view.image,
            W.HTML("<b>Lots</b>"), self.lots_table])
        self.errors.guard(self.update)()  # e.g. a first holding without basis

    # --- callbacks ------------------------------------------------------------------------

    def _on_account(self, change) -> None:
        syms = self.model.symbols(change["new"])
        self._syncing = True
        try:
            self.symbol.options = syms
            self.symbol.value = syms[0]
        finally:
            self._syncing = False
        self.update()

    def _on_change(self, change) -> None:
        if not self._syncing:
            self.update()

    # --- drawing ----------------------------------------------------------------------------

    def update(self) -> None:
        """Recompute the comparison (and the lots when the holding changed); redraw."""
        a, s = self.account.value, self.symbol.value
        self.comparison = None
        self.summary.value = self.table.value = ""
        if (a, s) != self._pair:  # the lots first: they show even when a sale cannot
            self.status = self.model.lots(a, s)
            self.lots_ax.clear()
            plot_lot_gains(self.status, ax=self.lots_ax,
                           title=f"{s} lots in {self.masker.account(a)}: unrealised gain by "
                                 "term")
            shown = self.status.sort_values("acquired", kind="stable")[
                ["acquired", "quantity", "cost_basis", "price", "market_value",
                 "unrealized_gain", "term", "long_term_date"]]
            self.lots_table.value = table_html(shown, self.masker)
            self._pair = (a, s)
            self.view.refresh()
        cmp = self.model.compare(a, s, self.amount.value, self.unit.value)
        self.comparison = cmp
        self._draw_methods(cmp)
        self.view.refresh()
        lo, hi = cmp["tax"].min(), cmp["tax"].max()
        least = ", ".join(cmp.loc[cmp["tax"] <= lo + 0.005, "method"])
        most = ", ".join(cmp.loc[cmp["tax"] >= hi - 0.005, "method"])
        self.summary.value = no_math(
            f"Selling {cmp['shares'].iloc[0]:,.3f} shares of {s} for "
            f"{fmt_money(cmp['proceeds'].iloc[0])}: least tax {fmt_money(lo)} "
            f"(<b>{least}</b>), most {fmt_money(hi)} ({most}); choosing the lots saves "
            f"{fmt_money(hi - lo)}.")
        self.table.value = table_html(cmp, self.masker)

    def _draw_methods(self, cmp: pd.DataFrame) -> None:
        ax = self.methods_ax
        if tuple(cmp["method"]) != self._methods:
            ax.clear()
            plot_method_comparison(cmp, ax=ax)
            self._methods = tuple(cmp["method"])
            return
        bars = ax.containers[0]
        update_bars(bars, cmp["tax"].tolist())
        for note, patch, t in zip(ax.texts, bars.patches, cmp["tax"], strict=True):
            note.set_text(fmt_money(t))
            note.xy = (patch.get_x() + patch.get_width() / 2, patch.get_height())
            note.set_position(note.xy)
        ax.relim()
        ax.autoscale_view()
