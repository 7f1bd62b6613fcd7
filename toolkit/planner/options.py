"""What a person can ask of the planner: tolerance, share rounding, restrictions, tax limits.

All money in dollars; weights as fractions. Every option has a default a careful advisor would
pick; :class:`PlanOptions` validates them once at the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from toolkit.allocation import Band
from toolkit.errors import PlanningError

__all__ = ["PlanMode", "PlanOptions"]


class PlanMode(StrEnum):
    """How :func:`toolkit.plan` plans (its ``mode``): the value is what ``mode=`` takes."""

    WATERFALL = "waterfall"  # the explainable order: cash flows, tax-advantaged, least-tax sales
    OPTIMAL = "optimal"  # one program on HiGHS over every lot and buy
    NAIVE = "naive"  # each account rebalanced on its own, FIFO lots (the yardstick)


#: Fallback fund per asset class when an account holds none of that class and no preference
#: is given: broad, cheap, widely available ETFs (all in the bundled security master).
DEFAULT_FUNDS = {
    "us_equity": ("VTI", "ITOT", "SCHB", "SPTM"),
    "intl_equity": ("VXUS", "IXUS", "VEU", "SPDW"),
    "bonds": ("BND", "AGG", "SCHZ", "IUSB"),
    "muni_bonds": ("VTEB", "MUB", "TFI"),
    "reits": ("VNQ", "SCHH", "USRT", "XLRE"),
    "other": ("IAU", "GLD"),
}


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
    """Options of :func:`toolkit.plan`.

    Attributes
    ----------
    band : Band
        Tolerance band the plan must reach (default the 5/25 rule).
    to : {"band", "target"}
        How far taxable sales go: just inside the band (default), or to target. Trades that
        cost no tax (cash flows, tax-advantaged accounts) always aim at the target. In
        optimal mode: where the ``lambda_band`` penalty starts (the band edge or the target).
    whole_shares : bool
        Trade whole shares (buys rounded down, sells rounded up within the lots sold);
        default False (fractional shares, as most custodians now allow for funds). Optimal
        mode rounds its fractional optimum in a small MIP (:mod:`toolkit.planner.optimize`).
    min_trade : float
        Trades smaller than this many dollars are dropped (their cash stays put). Optimal
        mode makes every trade 0 or at least this much (one binary per trade).
    cash_floor : float or mapping
        Dollars of cash to keep in every account (a number) or per account id.
    do_not_sell, do_not_buy : set of str
        Symbols never to sell / buy (in any account).
    menus : mapping
        Account id -> the symbols it may buy (a 401(k)'s fund menu). Accounts of type 401k,
        403b, 457b and their Roth variants without a menu may buy only what they hold.
    allow_short_term_gains : bool
        Whether lots with a short-term gain may be sold (default False: only short-term
        losses).
    gains_budget : float or None
        Most net realised gain (short + long, dollars) the plan may add this year.
    wash_guard : bool
        Refuse trades that wash a loss taken in the plan or in the last 30 days (default on).
    wash_policy : str
        Substantially-identical policy for the guard (``same_security``, ``same_index``).
    preferred : mapping
        Preferred fund per asset class (``{"us_equity": "VTI"}``) or per account and class
        (``{"87654": {"bonds": "FXNAX"}}``).
    prices : mapping
        Symbol -> price per share for funds the household does not hold yet.
    allow_untrusted : bool
        Allow selling lots of holdings whose lots do not reconcile with the position
        (default False: such holdings are not sold in taxable accounts).
    lambda_drift, lambda_location, trade_cost : float
        Optimal mode: dollars of objective per dollar of final drift beyond target, per dollar
        of annual location drag, and per dollar traded. The location weight defaults low
        (0.1) so the optimiser does not churn classes between accounts for a small yearly
        saving; raise it to let placement drive more trades.
    lambda_band : float
        Optimal mode: extra dollars of objective per dollar of final drift outside the band
        (outside the target with ``to="target"``) when the band is not a hard constraint.
    within_band : bool
        Optimal mode: every class must end inside its band (hard constraints; a plan that
        cannot do it raises :class:`~toolkit.errors.PlanningError`). Default False: drift
        outside the band is penalised by ``lambda_band``.
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
        (default 1e-6). A MIP that finds no plan in time falls back to wash-sale choices
        taken from its linear relaxation (noted in the plan).
    """

    band: Band = field(default_factory=Band)
    to: str = "band"
    whole_shares: bool = False
    min_trade: float = 0.0
    cash_floor: float | Mapping[str, float] = 0.0
    do_not_sell: frozenset[str] = frozenset()
    do_not_buy: frozenset[str] = frozenset()
    menus: Mapping[str, frozenset[str]] = field(default_factory=dict)
    allow_short_term_gains: bool = False
    gains_budget: float | None = None
    wash_guard: bool = True
    wash_policy: str = "same_security"
    preferred: Mapping[str, Any] = field(default_factory=dict)
    prices: Mapping[str, float] = field(default_factory=dict)
    allow_untrusted: bool = False
    lambda_drift: float = 0.05
    lambda_location: float = 0.1
    trade_cost: float = 0.0001
    lambda_band: float = 1.0
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
        for name in ("lambda_drift", "lambda_location", "trade_cost", "lambda_band", "mip_gap"):
            if not getattr(self, name) >= 0:
                raise PlanningError(f"{name} must be a non-negative number")
        if not self.time_limit > 0:
            raise PlanningError("time_limit must be a positive number of seconds")
        if self.match_drift is not None:
            object.__setattr__(self, "match_drift", _drift_bounds(self.match_drift))
        floors = self.cash_floor.values() if isinstance(self.cash_floor, Mapping) else [
            self.cash_floor]
        if any(f < 0 for f in floors):
            raise PlanningError("cash_floor must be non-negative")
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

    def floor(self, account: str) -> float:
        """Cash to keep in ``account``, dollars."""
        if isinstance(self.cash_floor, Mapping):
            return float(self.cash_floor.get(account, 0.0))
        return float(self.cash_floor)

    def replace(self, **changes: Any) -> PlanOptions:
        """A copy with some options changed."""
        return replace(self, **changes)
