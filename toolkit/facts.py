"""What a person is told about a plan: the one reader of a plan's summary for display.

Widgets, the meeting pack and the command line show the same few figures of a plan (trades,
tax and its parts, gains, dollars bought and sold, turnover, whether the plan ends inside the
band). They read them here, so the shape of :attr:`toolkit.Plan.summary` is known in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlanFacts", "plan_facts"]


@dataclass(frozen=True)
class PlanFacts:
    """The figures of a plan shown to people (dollars, fractions)."""

    mode: str
    trades: int
    tax: float
    federal: float
    state: float
    niit: float
    short_term_gain: float
    long_term_gain: float
    bought: float
    sold: float
    turnover: float
    within_band: bool


def plan_facts(plan) -> PlanFacts:
    """The figures of ``plan`` shown to people.

    Parameters
    ----------
    plan : Plan
        A :func:`toolkit.plan` result.

    Returns
    -------
    PlanFacts
        Its mode, number of trades, estimated tax (federal, state, NIIT), short- and
        long-term gains realised, dollars bought and sold, turnover (a fraction of the
        household's value) and whether every class ends inside its band.
    """
    s = plan.summary
    return PlanFacts(
        mode=str(plan.mode), trades=int(s.trades), tax=float(s.tax), federal=float(s.federal),
        state=float(s.state), niit=float(s.niit), short_term_gain=float(s.short_term_gain),
        long_term_gain=float(s.long_term_gain), bought=float(s.bought), sold=float(s.sold),
        turnover=float(s.turnover), within_band=bool(s.within_band))
