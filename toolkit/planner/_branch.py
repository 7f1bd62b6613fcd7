"""Branch and bound over the program's either/or choices, on warm-started linear programs.

Every binary of the optimiser's first program is an either/or choice between two groups of
columns: a wash-sale group either sells loss lots or buys (``y = 1``: no buys; ``y = 0``:
no loss sales), and each Schedule D netting binary either lets one kind of offset or
deduction happen or leaves gains on a curve. Such a binary is a :class:`Choice`: the columns
that must be zero when it is 0, and those that must be zero when it is 1.

A solution of the linear relaxation in which no choice has both of its sides active is a
solution of the MIP (each binary can be set to the side that is active, at no cost: the
binaries have no cost). So this search branches on the choice whose smaller side is largest
(in dollars), best bound first, and a node whose relaxation respects every choice is a plan,
whatever its binaries' values. With the wash-sale rows' big-M (what the buying accounts
could spend) the relaxation's binaries are nearly always fractional while most of its
choices are respected. Measured on 20 generated households of 10 accounts x 50 funds x
10,000 lots: the search proved its plan within $1 of the optimum on all 20, in 6-34 linear
programs of 5-40 ms each (each node's children restart from its basis), where HiGHS's MIP
solver spent 1-6 s on the same programs, most of it looking for a first good plan.

When the search does not finish within its budget, the caller gives HiGHS's MIP solver the
best plan found as its start (:meth:`Program.set_start`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from toolkit.planner._highs import Program, Solution

__all__ = ["Choice", "Search", "branch"]

#: Dollars of activity below which a side of a choice counts as zero (solver tolerance).
ACTIVE = 1e-4


@dataclass(frozen=True)
class Choice:
    """A binary column and the two groups of columns it switches off.

    Attributes
    ----------
    column : int
        The binary.
    off_at_0, off_at_1 : tuple of (ndarray, ndarray)
        Columns and their dollars per unit: the activity that must be zero when the binary
        is 0, and when it is 1.
    """

    column: int
    off_at_0: tuple[np.ndarray, np.ndarray]
    off_at_1: tuple[np.ndarray, np.ndarray]


@dataclass
class Search:
    """What :func:`branch` found.

    Attributes
    ----------
    best : Solution or None
        The best plan respecting every choice (binaries set to their sides), or None.
    bound : float
        A proven lower bound on the MIP's objective (the best's objective when proven).
    proven : bool
        The best is within the gap of the bound.
    solves : int
        Linear programs solved.
    time : float
        Seconds in HiGHS.
    first : Solution or None
        The root relaxation (for its status when it fails).
    """

    best: Solution | None
    bound: float
    proven: bool
    solves: int
    time: float
    first: Solution | None


def _activity(x: np.ndarray, side: tuple[np.ndarray, np.ndarray]) -> float:
    cols, dollars = side
    return float(np.abs(x[cols] * dollars).sum()) if len(cols) else 0.0


def _conflicts(x: np.ndarray, choices: list[Choice], fixed: dict[int, float]
               ) -> tuple[float, int, np.ndarray]:
    """The largest conflict (smaller side, dollars), its choice, and each binary's side."""
    worst, at = 0.0, -1
    side = np.zeros(len(choices))
    for k, c in enumerate(choices):
        if k in fixed:
            side[k] = fixed[k]
            continue
        a, b = _activity(x, c.off_at_0), _activity(x, c.off_at_1)
        side[k] = 1.0 if a > ACTIVE else 0.0
        if a > ACTIVE and b > ACTIVE and min(a, b) > worst:
            worst, at = min(a, b), k
    return worst, at, side


def branch(prog: Program, choices: list[Choice], *, abs_gap: float, rel_gap: float,
           max_solves: int, seconds: float) -> Search:
    """Search the choices of ``prog`` (already built) by best-first branch and bound.

    The binaries are made continuous for the search and left so; the caller restores their
    kind. ``abs_gap`` (objective units) and ``rel_gap``: a node whose bound is within either
    of the best plan's objective is not explored. Stops after ``max_solves`` linear
    programs or ``seconds`` in HiGHS, unproven.
    """
    ys = np.array([c.column for c in choices], dtype=np.int64)
    lb0 = np.zeros(len(ys))
    ub0 = np.ones(len(ys))
    prog.set_kind(ys, 0)
    solves, spent = 0, 0.0

    def solve(fixed: dict[int, float]) -> Solution:
        nonlocal solves, spent
        lb, ub = lb0.copy(), ub0.copy()
        for k, v in fixed.items():
            lb[k] = ub[k] = v
        prog.set_bounds(ys, lb, ub)
        sol = prog.solve()
        solves += 1
        spent += sol.time
        return sol

    def gap(best: float) -> float:
        return max(abs_gap, rel_gap * abs(best))

    root = solve({})
    if not root.ok:
        return Search(None, -np.inf, False, solves, spent, root)
    best: Solution | None = None
    heap: list = []
    count = 0
    pruned = np.inf  # the least bound of a node left unexplored within the gap

    def visit(sol: Solution, fixed: dict[int, float]) -> None:
        nonlocal best, count
        worst, at, side = _conflicts(sol.x, choices, fixed)
        if at < 0:  # every choice respected: a plan
            if best is None or sol.objective < best.objective:
                sol.x = sol.x.copy()
                sol.x[ys] = side
                best = sol
            return
        count += 1
        heapq.heappush(heap, (sol.objective, count, fixed, at, prog.basis()))

    visit(root, {})
    # a first plan: dive from the root, each conflict to its larger side
    fixed: dict[int, float] = {}
    x = root.x
    for _ in range(len(choices)):
        _, at, _ = _conflicts(x, choices, fixed)
        if at < 0:
            break
        c = choices[at]
        fixed[at] = 1.0 if _activity(x, c.off_at_0) >= _activity(x, c.off_at_1) else 0.0
        sol = solve(fixed)
        if not sol.ok:
            break
        x = sol.x
        if _conflicts(x, choices, fixed)[1] < 0:
            visit(sol, dict(fixed))  # a plan: visit keeps it as the best so far
            break
    while heap:
        if solves >= max_solves or spent > seconds:
            break
        bound, _, fixed, at, basis = heap[0]
        if best is not None and bound >= best.objective - gap(best.objective):
            pruned = min(pruned, bound)
            heap.clear()
            break
        heapq.heappop(heap)
        for v in (0.0, 1.0):
            f2 = {**fixed, at: v}
            prog.set_basis(basis)  # from the parent's vertex: fewer pivots than the last LP's
            sol = solve(f2)
            if not sol.ok:
                continue
            if best is not None and sol.objective >= best.objective - gap(best.objective):
                pruned = min(pruned, sol.objective)
                continue
            visit(sol, f2)
    pending = [b for b, *_ in heap]
    if best is None:
        return Search(None, min(pending, default=-np.inf), False, solves, spent, root)
    bound = min([best.objective, pruned, *pending])
    proven = best.objective - bound <= gap(best.objective) + 1e-9
    return Search(best, bound, proven, solves, spent, root)
