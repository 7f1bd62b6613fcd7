"""The rebalancing planner: which trades to make, in which account, with which lots.

:func:`plan` is the entry point (:mod:`toolkit.planner.entry`). ``mode="waterfall"`` follows the
explainable order (cash flows, then tax-advantaged trades, then least-tax taxable sales:
:mod:`toolkit.planner.waterfall`); ``mode="optimal"`` solves one program on HiGHS over all
lots and buys (built in :mod:`toolkit.planner.program`, solved in
:mod:`toolkit.planner.optimize`); ``mode="naive"`` is the yardstick a careful planner beats:
each account rebalanced to the household target on its own, FIFO lots
(:mod:`toolkit.planner.naive`). :func:`cheapest_within_band` and :func:`cheapest_matching`
(:mod:`toolkit.planner.cheapest`) ask the optimiser for the least tax at a given drift.
"""

from toolkit.planner.cheapest import cheapest_matching, cheapest_within_band
from toolkit.planner.entry import plan, planned_contributions
from toolkit.planner.options import PlanMode, PlanOptions
from toolkit.planner.plan import Plan, compare

__all__ = [
    "Plan",
    "PlanMode",
    "PlanOptions",
    "cheapest_matching",
    "cheapest_within_band",
    "compare",
    "plan",
    "planned_contributions",
]
