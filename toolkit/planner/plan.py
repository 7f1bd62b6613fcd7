"""The plan a person acts on: trades with reasons, lots sold, tax, drift before and after.

:class:`Plan` holds a tidy trades frame (columns in :data:`TRADE_COLUMNS`), the lots sold
(:data:`LOT_COLUMNS`), a summary mapping, and a per-step report. :func:`compare` lines plans
up side by side for what-ifs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from toolkit._xlsx import safe_frame
from toolkit.household import Household
from toolkit.planner.export import plan_to_json, plan_to_xlsx
from toolkit.planner.orders import orders, orders_to_csv, orders_to_xlsx
from toolkit.tax.gains import GainsTax

__all__ = ["LOT_COLUMNS", "TRADE_COLUMNS", "Plan", "PlanSummary", "allocate_tax", "compare"]

#: Columns of ``Plan.trades`` (money in dollars, shares in shares).
TRADE_COLUMNS = [
    "account", "account_name", "tax_type", "symbol", "side", "shares", "price", "amount",
    "asset_class", "lots", "short_term_gain", "long_term_gain", "gain", "est_tax", "step",
    "reason",
]
#: Columns of ``Plan.lots``: one row per lot sold (or part of one).
LOT_COLUMNS = [
    "account", "symbol", "lot_id", "acquired", "holding_start", "term", "quantity", "price",
    "proceeds", "cost_basis", "gain", "est_tax", "step",
]
STEP_NAMES = {1: "cash flows", 2: "tax-advantaged trades", 3: "loss harvests",
              4: "taxable sales", 5: "tax-advantaged trades after the taxable sales",
              0: "optimised trades"}


_MAPPINGS = ("drift_before", "drift_after", "cash_after", "contributions", "cash_floors",
             "pending")


@dataclass(frozen=True)
class PlanSummary:
    """What a plan does, in figures (money in dollars, drift and turnover as fractions).

    Attributes
    ----------
    mode : str
        The :class:`~toolkit.planner.PlanMode` value.
    tax, federal, state, niit : float
        The plan's change in tax and its parts, dollars to the cent (negative: it saves tax).
    short_term_gain, long_term_gain : float
        Net gains the plan realises, dollars.
    turnover : float
        (buys + sells) / 2 / household value.
    trades : int
        Number of trades.
    bought, sold : float
        Dollars bought and sold.
    drift_before, drift_after : mapping of str to float
        Asset class -> current − target, before and after the plan.
    abs_drift_before, abs_drift_after : float
        Sums of the absolute class drifts.
    within_band : bool
        Every class (but unclassified holdings) ends within its band.
    cash_after : mapping of str to float
        Account -> cash after the plan, dollars.
    value : float
        Household value after contributions, dollars.
    contributions : mapping of str to float
        Account -> new money the plan invests (negative: a withdrawal), dollars.
    drift_price : float or None
        The proceed/delay test's price of drift: dollars of tax a taxable sale may cost per
        dollar it moves back toward the band (None: a gains budget was the test).
    deferred : tuple of mapping
        What the plan left undone: per class still above its band, ``asset_class``,
        ``dollars`` still to move, ``sellable``, ``tax_now`` (the tax of selling it now),
        ``tax_per_dollar``, ``drift_price``, ``within_price``, ``soon`` (short-term lots
        turning long-term within ``wait_days``), ``tax_if_long`` and ``reason`` in words
        (:func:`toolkit.planner.deferred.left_undone`).
    new_money_needed : float or None
        Contributions that would bring every class inside its band without a sale, dollars
        (0 when the plan gets there; None when new money cannot).
    waiting : mapping or None
        For the short-term lots the plan sells at a gain that turn long-term within
        ``wait_days``: ``lots``, ``until``, ``tax_then`` and ``saving`` (dollars).
    cash_floors : mapping of str to float
        Account -> the cash it keeps, dollars.
    pending : mapping of str to float
        Account -> pending activity counted in its cash, dollars (+ credit, - debit).
    """

    mode: str
    tax: float
    federal: float
    state: float
    niit: float
    short_term_gain: float
    long_term_gain: float
    turnover: float
    trades: int
    bought: float
    sold: float
    drift_before: Mapping[str, float]
    drift_after: Mapping[str, float]
    abs_drift_before: float
    abs_drift_after: float
    within_band: bool
    cash_after: Mapping[str, float]
    value: float
    contributions: Mapping[str, float]
    drift_price: float | None = None
    deferred: tuple[Mapping[str, Any], ...] = ()
    new_money_needed: float | None = 0.0
    waiting: Mapping[str, Any] | None = None
    cash_floors: Mapping[str, float] = field(default_factory=dict)
    pending: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _MAPPINGS:
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "deferred", tuple(MappingProxyType(dict(d))
                                                    for d in self.deferred))
        if self.waiting is not None:
            object.__setattr__(self, "waiting", MappingProxyType(dict(self.waiting)))

    @property
    def deferred_dollars(self) -> float:
        """Dollars still above their band after the plan (the sum over :attr:`deferred`)."""
        return round(sum(d["dollars"] for d in self.deferred), 2)

    @property
    def max_abs_drift_after(self) -> float:
        """The largest absolute class drift after the plan (fraction)."""
        return max((abs(v) for v in self.drift_after.values()), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain data (what ``python -m toolkit plan --json`` prints)."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        for name in _MAPPINGS:
            out[name] = dict(out[name])
        out["deferred"] = [dict(d) for d in self.deferred]
        out["waiting"] = None if self.waiting is None else dict(self.waiting)
        return out

    def __getstate__(self) -> dict[str, Any]:
        return self.to_dict()

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self.__post_init__()


@dataclass
class Plan:
    """A rebalancing plan.

    Attributes
    ----------
    mode : str
        ``"waterfall"``, ``"optimal"`` or ``"naive"``.
    trades : DataFrame
        One row per trade (:data:`TRADE_COLUMNS`): ``side`` is ``buy`` or ``sell``,
        ``amount`` dollars (positive), ``est_tax`` this trade's share of the plan's tax,
        ``reason`` in plain language.
    lots : DataFrame
        The lots sold (:data:`LOT_COLUMNS`).
    summary : PlanSummary
        The plan in figures: ``summary.tax`` (total change in tax, dollars), ``federal``,
        ``state``, ``niit``, gains, ``turnover``, ``trades``, drift before and after,
        ``within_band``, cash after, value, contributions (attributes; ``to_dict()`` for
        JSON).
    steps : DataFrame
        Per step: ``step``, ``name``, ``trades``, ``drift_removed`` (sum of absolute class
        drift removed, fractions), ``tax`` (dollars).
    tax_detail : GainsTax
        The full tax computation (line by line in ``tax_detail.breakdown``).
    allocation_after : DataFrame
        Holdings after the plan by account and class: ``group`` (account), ``asset_class``,
        ``market_value`` (dollars), as :func:`toolkit.allocation` with ``by="account"``.
    notes : list of str
        What the plan could not do, and why.
    extra : dict
        What a planner reports beside the trades. Optimal mode: ``solver`` (``status``,
        ``kind`` "LP"/"MIP", ``objective``, proven ``mip_gap``, ``time`` in seconds,
        ``solves``, ``columns``, ``rows``, ``binaries``, ``lots``, ``holdings``, ``buys``,
        ``wash_groups``) and, with whole shares, ``whole_shares`` (``objective_fractional``,
        ``objective_whole``, ``objective_difference``, ``tax_fractional``, ``tax_whole``,
        ``tax_difference`` in dollars, ``widened``).
    """

    mode: str
    trades: pd.DataFrame
    lots: pd.DataFrame
    summary: PlanSummary
    steps: pd.DataFrame
    tax_detail: GainsTax | None = None
    notes: list[str] = field(default_factory=list)
    allocation_after: pd.DataFrame = field(default_factory=pd.DataFrame)
    household: Household | None = field(default=None, repr=False)
    options: Any = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def drift(self) -> pd.DataFrame:
        """Drift per class before and after (fractions), with the target."""
        before = pd.Series(dict(self.summary.drift_before), name="before", dtype="float64")
        after = pd.Series(dict(self.summary.drift_after), name="after", dtype="float64")
        out = pd.concat([before, after], axis=1).fillna(0.0)
        out.index.name = "asset_class"
        return out

    def to_xlsx(self, path, *, mask_accounts: bool = False) -> None:
        """Write the trade list and summary as a formatted, formula-safe workbook.

        Parameters
        ----------
        path : str or Path
        mask_accounts : bool, default False
            Show account ids as ``...`` plus their last three characters.
        """
        plan_to_xlsx(self, path, mask_accounts=mask_accounts)

    def to_csv(self, path) -> None:
        """Write the trades frame as CSV (formula-safe text)."""
        safe_frame(self.trades).to_csv(path, index=False)

    def to_json(self) -> dict:
        """The plan as plain data (what ``python -m toolkit plan --json`` prints)."""
        return plan_to_json(self)

    @property
    def orders(self) -> pd.DataFrame:
        """The order list (:func:`toolkit.planner.orders.orders`).

        One row per order, one per lot for taxable sales.
        """
        return orders(self)

    def orders_to_csv(self, path, *, mask_accounts: bool = False) -> None:
        """Write :attr:`orders` as CSV (:func:`toolkit.planner.orders.orders_to_csv`)."""
        orders_to_csv(self, path, mask_accounts=mask_accounts)

    def orders_to_xlsx(self, path, *, mask_accounts: bool = False) -> None:
        """Write :attr:`orders` as a workbook (:func:`toolkit.planner.orders.orders_to_xlsx`)."""
        orders_to_xlsx(self, path, mask_accounts=mask_accounts)


def compare(plans: Mapping[str, Plan] | list[Plan]) -> pd.DataFrame:
    """Plans side by side.

    Parameters
    ----------
    plans : mapping of label -> Plan, or a list (labelled by mode, numbered if repeated)

    Returns
    -------
    DataFrame
        One column per plan; rows: ``tax``, ``federal``, ``state``, ``niit``,
        ``short_term_gain``, ``long_term_gain``, ``turnover``, ``trades``,
        ``abs_drift_before``, ``abs_drift_after``, ``max_abs_drift_after``, ``within_band``
        and ``drift_after:<class>`` for every class.
    """
    if not isinstance(plans, Mapping):
        labels: dict[str, Plan] = {}
        for p in plans:
            label = p.mode
            n = 2
            while label in labels:
                label = f"{p.mode} {n}"
                n += 1
            labels[label] = p
        plans = labels
    rows: dict[str, dict[str, Any]] = {}
    for label, p in plans.items():
        s = p.summary
        r = {k: getattr(s, k) for k in ("tax", "federal", "state", "niit", "short_term_gain",
                                        "long_term_gain", "turnover", "trades",
                                        "abs_drift_before", "abs_drift_after", "within_band")}
        r["max_abs_drift_after"] = s.max_abs_drift_after
        for c, v in s.drift_after.items():
            r[f"drift_after:{c}"] = v
        rows[label] = r
    return pd.DataFrame(rows)


def allocate_tax(total: float, st_gains: np.ndarray, lt_gains: np.ndarray,
                 tax_st_first: float, tax_lt_first: float) -> tuple[np.ndarray, np.ndarray]:
    """Split a plan's tax over its sales.

    Per term by the average of its added tax when counted first and last, then within a
    term in proportion to gain.

    Parameters
    ----------
    total : float
        The plan's tax, dollars.
    st_gains, lt_gains : ndarray
        Each sale's short- and long-term gain, dollars.
    tax_st_first, tax_lt_first : float
        The tax of the short-term (long-term) gains alone, dollars.

    Returns
    -------
    tuple of ndarray
        Each sale's share of the tax from its short- and long-term gains, dollars.
    """
    st_share = 0.5 * (tax_st_first + (total - tax_lt_first))
    lt_share = total - st_share

    def spread(share: float, gains: np.ndarray) -> np.ndarray:
        s = gains.sum()
        if abs(s) < 1e-9:
            return np.zeros_like(gains)
        return share * gains / s

    return spread(st_share, st_gains), spread(lt_share, lt_gains)
