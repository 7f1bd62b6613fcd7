"""The cheapest plans: least tax within the band, or at another plan's drift.

Both are :func:`toolkit.plan` in optimal mode with an objective of tax alone (plus a tiny trade
cost to break ties), and the band or a reference plan's drift as hard constraints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from toolkit.planner.entry import plan

__all__ = ["cheapest_matching", "cheapest_within_band"]

#: What "cheapest" means: tax, with a trade cost only large enough to break ties.
_CHEAPEST = {"lambda_drift": 0.0, "lambda_location": 0.0, "drift_price": 0.0,
             "trade_cost": 1e-6}


def cheapest_within_band(household, contributions: Mapping[str, float] | None = None, *,
                         targets: Mapping[str, float] | None = None, options=None,
                         **kwargs: Any):
    """The cheapest plan that gets every class within the band.

    ``plan(mode="optimal")`` with the band as hard constraints and an objective of tax plus
    a trade cost of $0.000001 per dollar (to break ties): no drift or location penalty, so it
    trades nothing a class inside its band does not need (though it may harvest a loss).

    Parameters
    ----------
    household : Household
        Priced as :func:`toolkit.plan` prices (:func:`toolkit.tax.profile_for`).
    contributions : mapping, optional
        Account id -> new money (+) or withdrawal (−), dollars (default the household's).
    targets : mapping, optional
        Class -> weight (default the household's target).
    options : PlanOptions, optional
    **kwargs
        Other :class:`~toolkit.planner.PlanOptions` fields (``band``, ``gains_budget``,
        ``whole_shares``, ...); they override the defaults above.

    Returns
    -------
    Plan
        An ``optimal`` plan with ``summary.within_band`` True.

    Raises
    ------
    PlanningError
        If no plan can get every class within the band (restrictions, the wash-sale guard,
        short-term gains, the gains budget or cash floors stop it).
    """
    kw = {"within_band": True, **_CHEAPEST, **kwargs}
    return plan(household, contributions, mode="optimal", targets=targets, options=options,
                **kw)


def cheapest_matching(household, reference, contributions: Mapping[str, float] | None = None,
                      *, targets: Mapping[str, float] | None = None, options=None,
                      **kwargs: Any):
    """The least-tax plan whose final drift is no larger than ``reference``'s, class by class.

    How the benchmarks compare planners "at the same final drift": ``plan(mode="optimal")``
    with ``match_drift=reference`` (final |current - target| per class at most the
    reference's, plus a cent and 1e-7 of the household for the solver's tolerance) and the
    objective of :func:`cheapest_within_band`.

    Parameters
    ----------
    household : Household
        Priced as :func:`toolkit.plan` prices (:func:`toolkit.tax.profile_for`).
    reference : Plan or mapping
        A plan of the same household (e.g. the waterfall's), or class -> most absolute final
        drift (fractions).
    contributions : mapping, optional
        Account id -> new money (+) or withdrawal (−), dollars; use the reference's.
    targets : mapping, optional
    options : PlanOptions, optional
    **kwargs
        Other :class:`~toolkit.planner.PlanOptions` fields; they override the defaults.

    Returns
    -------
    Plan
        An ``optimal`` plan.

    Raises
    ------
    PlanningError
        If the reference's drift cannot be reached under the plan's rules (for instance a
        reference that left an account short of a withdrawal).
    """
    kw = {"match_drift": reference, **_CHEAPEST, **kwargs}
    return plan(household, contributions, mode="optimal", targets=targets, options=options,
                **kw)
