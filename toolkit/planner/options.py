"""What a person can ask of the planner: tolerance, share rounding, restrictions, tax limits.

All money in dollars; weights as fractions. Every option has a default a careful advisor would
pick; :class:`PlanOptions` validates them once at the boundary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from toolkit.allocation import Band
from toolkit.errors import PlanningError

__all__ = ["BUDGET_DRIFT_PRICE", "DEFAULT_DRIFT_PRICE", "DEFAULT_FUNDS", "DEFAULT_MIN_TRADE",
           "PlanMode", "PlanOptions"]


class PlanMode(StrEnum):
    """How :func:`toolkit.plan` plans (its ``mode``): the value is what ``mode=`` takes."""

    WATERFALL = "waterfall"  # the explainable order: cash flows, tax-advantaged, least-tax sales
    OPTIMAL = "optimal"  # one program on HiGHS over every lot and buy
    NAIVE = "naive"  # each account rebalanced on its own, FIFO lots (the yardstick)


#: The security master's default fund per asset class, for an account that holds none of the
#: class and has no fund chosen in the household file: broad, cheap, widely available ETFs
#: (all in the bundled security master). Bought only when the plan can price them.
DEFAULT_FUNDS = {
    "us_equity": ("VTI", "ITOT", "SCHB", "SPTM"),
    "intl_equity": ("VXUS", "IXUS", "VEU", "SPDW"),
    "bonds": ("BND", "AGG", "SCHZ", "IUSB"),
    "muni_bonds": ("VTEB", "MUB", "TFI"),
    "reits": ("VNQ", "SCHH", "USRT", "XLRE"),
    "other": ("IAU", "GLD"),
}
#: Dollars: trades smaller than this are not made (a default an advisor can lower).
DEFAULT_MIN_TRADE = 100.0
#: Dollars of tax a taxable sale may cost per dollar it moves back toward the band (the
#: price of drift; README "The proceed/delay test").
DEFAULT_DRIFT_PRICE = 0.10
#: The price of drift used when a gains budget is set: the budget is then the test.
BUDGET_DRIFT_PRICE = 1.0


def _symbols(v: Iterable[str] | str | None) -> frozenset[str]:
    if v is None:
        return frozenset()
    if isinstance(v, str):
        v = [v]
    return frozenset(str(s).strip().upper() for s in v)


def _drift_bounds(m: Any) -> dict[str, float]:
    """Class -> most absolute drift (fractions), from a mapping or a plan's final drift."""
    after = getattr(getattr(m, "summary", None), "drift_after", None)
    if after is not None:  # a Plan
        m = after
    if not isinstance(m, Mapping):
        raise PlanningError("match_drift must be a Plan or a mapping of asset class -> drift")
    out = {}
    for k, v in m.items():
        try:
            out[str(k)] = abs(float(v))
        except (TypeError, ValueError):
            raise PlanningError(f"match_drift[{k!r}] = {v!r} is not a number") from None
    return out


@dataclass(frozen=True)
class PlanOptions:
    """Options of :func:`toolkit.plan` (what the household file says applies unless overridden).

    Attributes
    ----------
    band : Band
        Tolerance band the plan must reach (default the 5/25 rule).
    to : {"band", "target"}
        How far taxable sales go: just inside the band (default), or to target. Trades that
        cost no tax (cash flows, tax-advantaged accounts) always aim at the target. In
        optimal mode: where the drift price starts (the band edge or the target).
    whole_shares : bool
        Default True: ETFs, stocks and anything the security master does not know trade in
        whole shares (buys rounded down, sells rounded up; a position may always be sold in
        full, fraction included); mutual funds, collective trusts, money-market funds and
        every trade in an employer plan trade in dollars. False: fractional shares
        everywhere. Optimal mode rounds its fractional optimum in a small MIP
        (:mod:`toolkit.planner.optimize`).
    min_trade : float
        Trades smaller than this many dollars are not made (default
        :data:`DEFAULT_MIN_TRADE`, $100). Optimal mode makes every trade 0 or at least this
        much.
    cash_floor : float or mapping or None
        Dollars of cash to keep in every account (a number) or per account id. Default None:
        the household's floors (:meth:`toolkit.household.Household.cash_floor`: each
        account's ``cash_floor`` in the household file, else ``[settings] cash_floor``).
    do_not_sell, do_not_buy : set of str
        Symbols never to sell / buy in any account, added to the household file's (per
        symbol and per account, :mod:`toolkit.trading_rules`).
    menus : mapping
        Account id -> the symbols it may buy (a 401(k)'s fund menu), over the household
        file's ``menu``. Employer plans (401k, 403b, 457b and their Roth variants) without a
        menu may buy only what they hold.
    allow_short_term_gains : bool
        Whether lots with a short-term gain may be sold. Default True: lots are chosen by the
        tax they actually cost, so a short-term lot with a small gain goes before a
        long-term lot with a large one (the seed's Example B: $432 against $3,040). False
        keeps the old rule (short-term lots only at a loss).
    wait_days : int
        A short-term lot the plan sells at a gain that turns long-term within this many days
        gets a note saying what waiting would save (default 90).
    drift_price : float
        The price of drift: dollars of tax a taxable sale may cost for each dollar it moves
        back toward the band (default :data:`DEFAULT_DRIFT_PRICE`, $0.10). A sale that costs
        more waits, and the plan says what it left undone (``summary.deferred``). With a
        ``gains_budget`` the budget is the test instead. Optimal mode: the objective's
        weight on the dollars still outside the band.
    gains_budget : float or None
        Most net realised gain (short + long, dollars) the plan may add this year.
    wash_guard : bool
        Refuse trades that wash a loss taken in the plan or in the last 30 days (default on).
    wash_policy : str
        Substantially-identical policy for the guard (``same_security``, ``same_index``).
    preferred : mapping
        Fund per asset class (``{"us_equity": "VTI"}``) or per account and class
        (``{"87654": {"bonds": "FXNAX"}}``), chosen before the household file's ``[funds]``.
    prices : mapping
        Symbol -> price per share (dollars), over the exports' prices and the household
        file's ``[securities.X] price``.
    allow_untrusted : bool
        Allow selling lots of holdings whose lots do not reconcile with the position
        (default False: such holdings are not sold in taxable accounts).
    lambda_drift, lambda_location, trade_cost : float
        Optimal mode: dollars of objective per dollar of final drift from target (each
        class, both sides), per dollar of annual location drag, and per dollar traded. The
        drift weight defaults low (0.01): it steers the trades that cost no tax to the
        target, but a taxable sale inside the band must cost under 2 cents per dollar moved.
        The location weight defaults low (0.1) so the optimiser does not churn classes
        between accounts for a small yearly saving; raise it to let placement drive more
        trades.
    within_band : bool
        Optimal mode: every class must end inside its band (hard constraints; a plan that
        cannot do it raises :class:`~toolkit.errors.PlanningError`). Default False: drift
        outside the band is priced at ``drift_price``.
    match_drift : mapping or Plan, optional
        Optimal mode: class -> most absolute final drift allowed (fractions), or a
        :class:`~toolkit.planner.Plan` whose final drift per class must be matched or beaten
        ("the same drift as plan P at the least tax").
    wash_binaries : bool
        Optimal mode: decide per substantially-identical group, with one binary variable,
        between buying into the group and selling its loss lots (default True, a MIP). With
        False, loss sales are dropped in every group the solution buys and the program is
        solved again, which can miss a plan that harvests instead of buying; with
        ``exact_netting=False`` too the program is a linear program.
    exact_netting : bool
        Optimal mode: three binaries make the Schedule D netting order exact (short-term
        losses against short-term gains first, the net loss deduction only once every gain is
        offset) and value the deduction at the ordinary rate. False keeps a convex
        (conservative) netting: see :mod:`toolkit.planner.optimize`.
    time_limit, mip_gap : float
        Optimal mode: HiGHS time limit (seconds, default 10) and relative MIP gap to stop at
        (default 1e-6); the MIP also stops once proven within $1 of the optimum objective
        (:data:`toolkit.planner.optimize.MIP_ABS_GAP`), and the whole-share plan within a
        dollar per million of household value of the best one near the fractional optimum
        (:data:`~toolkit.planner.optimize.NEIGHBOURHOOD_GAP`). A MIP that finds no plan in
        time falls back to wash-sale choices taken from its linear relaxation (noted in the
        plan).
    """

    band: Band = field(default_factory=Band)
    to: str = "band"
    whole_shares: bool = True
    min_trade: float = DEFAULT_MIN_TRADE
    cash_floor: float | Mapping[str, float] | None = None
    do_not_sell: frozenset[str] = frozenset()
    do_not_buy: frozenset[str] = frozenset()
    menus: Mapping[str, frozenset[str]] = field(default_factory=dict)
    allow_short_term_gains: bool = True
    wait_days: int = 90
    drift_price: float = DEFAULT_DRIFT_PRICE
    gains_budget: float | None = None
    wash_guard: bool = True
    wash_policy: str = "same_security"
    preferred: Mapping[str, Any] = field(default_factory=dict)
    prices: Mapping[str, float] = field(default_factory=dict)
    allow_untrusted: bool = False
    lambda_drift: float = 0.01
    lambda_location: float = 0.1
    trade_cost: float = 0.0001
    within_band: bool = False
    match_drift: Mapping[str, float] | None = None
    wash_binaries: bool = True
    exact_netting: bool = True
    time_limit: float = 10.0
    mip_gap: float = 1e-6

    def __post_init__(self) -> None:
        if self.to not in ("band", "target"):
            raise PlanningError(f"to={self.to!r}: expected 'band' or 'target'")
        if self.min_trade < 0:
            raise PlanningError("min_trade must be a non-negative number of dollars")
        if self.gains_budget is not None and self.gains_budget < 0:
            raise PlanningError("gains_budget must be a non-negative number of dollars")
        for name in ("lambda_drift", "lambda_location", "trade_cost", "drift_price", "mip_gap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < math.inf:
                raise PlanningError(f"{name} must be a non-negative number")
        if isinstance(self.wait_days, bool) or not isinstance(self.wait_days, int) or \
                self.wait_days < 0:
            raise PlanningError("wait_days must be a non-negative whole number of days")
        if not self.time_limit > 0:
            raise PlanningError("time_limit must be a positive number of seconds")
        if self.match_drift is not None:
            object.__setattr__(self, "match_drift", _drift_bounds(self.match_drift))
        if self.cash_floor is not None:
            floors = self.cash_floor.values() if isinstance(self.cash_floor, Mapping) else [
                self.cash_floor]
            if any(isinstance(f, bool) or not isinstance(f, int | float) or not f >= 0
                   for f in floors):
                raise PlanningError("cash_floor must be a non-negative number of dollars (or "
                                    "a mapping of account id to one)")
        object.__setattr__(self, "do_not_sell", _symbols(self.do_not_sell))
        object.__setattr__(self, "do_not_buy", _symbols(self.do_not_buy))
        object.__setattr__(self, "menus", {str(k): _symbols(v) for k, v in self.menus.items()})
        object.__setattr__(self, "prices", {str(k).upper(): float(v)
                                            for k, v in self.prices.items()})

    @classmethod
    def from_kwargs(cls, **kw: Any) -> PlanOptions:
        """Build options from keyword arguments, rejecting unknown names clearly."""
        names = set(cls.__dataclass_fields__)
        bad = sorted(set(kw) - names)
        if bad:
            raise PlanningError(f"unknown plan option(s) {bad}; known: {', '.join(sorted(names))}")
        if isinstance(kw.get("band"), str):
            kw["band"] = Band(kw["band"])
        return cls(**kw)

    @property
    def price_of_drift(self) -> float:
        """The drift price in force, dollars of tax per dollar moved.

        :attr:`drift_price`, or :data:`BUDGET_DRIFT_PRICE` when a gains budget is the test.
        """
        return BUDGET_DRIFT_PRICE if self.gains_budget is not None else float(self.drift_price)

    def replace(self, **changes: Any) -> PlanOptions:
        """A copy with some options changed."""
        return replace(self, **changes)
