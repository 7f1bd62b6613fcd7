"""What a person is told about a plan: the one reader of a plan's summary for display.

Widgets, the meeting pack and the command line show the same few figures of a plan (trades,
tax and its parts, gains, dollars bought and sold, turnover, whether the plan ends inside the
band). They read them here, so the shape of :attr:`toolkit.Plan.summary` is known in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlanFacts", "plan_decisions", "plan_facts"]


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


def plan_decisions(plan) -> list[str]:
    """The plan's proceed-or-delay test in words, with its numbers.

    Parameters
    ----------
    plan : Plan
        A :func:`toolkit.plan` result.

    Returns
    -------
    list of str
        The price of drift the test used (or the gains budget), then, per class the plan
        left outside its band, what it left undone and why; the new money that would do it
        without a sale; and what waiting for short-term lots to turn long-term would save.
    """
    s = plan.summary
    out = []
    if s.drift_price is None:
        out.append("Taxable sales were limited by the gains budget.")
    else:
        out.append(f"Price of drift: a taxable sale is made when its tax is at most "
                   f"${s.drift_price:,.2f} for each dollar it moves back toward the band.")
    out += [str(d["reason"]) for d in s.deferred]
    if s.deferred and s.new_money_needed is not None and s.new_money_needed > 0:
        out.append(f"New money of ${s.new_money_needed:,.2f} would bring every class inside "
                   "its band without a sale.")
    w = s.waiting
    if w:
        n = len(w["lots"])
        out.append(f"{n} short-term lot{'s' if n != 1 else ''} sold at a gain turn"
                   f"{'' if n != 1 else 's'} long-term by {w['until']}: waiting would make "
                   f"the tax ${w['tax_then']:,.2f} instead of "
                   f"${w['tax_then'] + w['saving']:,.2f}, a saving of ${w['saving']:,.2f}.")
    if len(out) == 1:
        out.append("Nothing was left undone.")
    return out
