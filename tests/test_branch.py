"""The optimiser's search over either/or choices (toolkit.planner._branch)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toolkit.planner._branch import Choice, branch
from toolkit.planner._highs import Program


def wash_program(harvest: float = 3.0, buy: float = 2.0):
    """One wash-sale group: a = loss shares sold (at most 6 held; a $1 share), b = shares
    bought (at most 8 wanted), y = 1 harvests. Rows as the optimiser writes them: a <= 10 y
    (10 loss shares in the group's lots, 4 of them not sellable here), b <= 100 (1 - y)
    (what the account could spend). Each share harvested is worth ``harvest``, each bought
    ``buy``: minimise -harvest a - buy b."""
    prog = Program()
    a, b = prog.cols(2, 0.0, [6.0, 8.0], [-harvest, -buy])
    y = int(prog.cols(1, 0.0, 1.0, 0.0, 1)[0])
    prog.row(-math.inf, 0.0, [a, y], [1.0, -10.0])
    prog.row(-math.inf, 100.0, [b, y], [1.0, 100.0])
    prog.build(time_limit=10.0, mip_gap=1e-9)
    return prog, a, b, y


def test_the_search_branches_on_a_group_that_both_harvests_and_buys():
    prog, a, b, y = wash_program()
    found = branch(prog, [Choice(y, (np.array([a]), np.ones(1)), (np.array([b]), np.ones(1)))],
                   abs_gap=1.0, rel_gap=1e-9, max_solves=50, seconds=10.0)
    # relaxation: y = 0.6 lets a = 6 and b = 8 (100 x 0.4 = 40 >= 8): -18 - 16 = -34, both
    # sides active. The dive takes the larger side (8 bought > 6 sold): y = 0, b = 8: -16.
    # Branching the root: y = 0 gives -16 (no better than -16 - $1: pruned), y = 1 gives
    # a = 6, b = 0: -18, a plan. Nothing left: -18 proven. LPs: root, dive, two children.
    assert found.proven
    assert found.best.objective == pytest.approx(-18.0, abs=1e-9)
    assert found.best.x[[a, b, y]].tolist() == pytest.approx([6.0, 0.0, 1.0], abs=1e-9)
    assert found.bound == pytest.approx(-18.0, abs=1e-9)
    assert found.solves == 4


def test_buying_wins_when_it_is_worth_more():
    prog, a, b, y = wash_program(harvest=2.0, buy=3.0)
    found = branch(prog, [Choice(y, (np.array([a]), np.ones(1)), (np.array([b]), np.ones(1)))],
                   abs_gap=1.0, rel_gap=1e-9, max_solves=50, seconds=10.0)
    # y = 0: b = 8, 8 x 3 = -24; y = 1: a = 6, 6 x 2 = -12. The dive (y = 0) finds -24; the
    # root's children: y = 0 pruned (-24 is not below -24 - 1), y = 1 -12 pruned.
    assert found.proven
    assert found.best.objective == pytest.approx(-24.0, abs=1e-9)
    assert found.best.x[[a, b, y]].tolist() == pytest.approx([0.0, 8.0, 0.0], abs=1e-9)


def test_a_relaxed_plan_that_keeps_every_choice_is_taken_without_branching():
    prog, a, b, y = wash_program(harvest=-1.0)  # a loss sale that costs: never harvested
    found = branch(prog, [Choice(y, (np.array([a]), np.ones(1)), (np.array([b]), np.ones(1)))],
                   abs_gap=1.0, rel_gap=1e-9, max_solves=50, seconds=10.0)
    # relaxation: a = 0, b = 8 (any y <= 0.92): no conflict, so the root is the plan, and its
    # binary is set to the active side (y = 0)
    assert found.proven
    assert found.solves == 1
    assert found.best.objective == pytest.approx(-16.0, abs=1e-9)
    assert found.best.x[y] == 0.0


def test_an_infeasible_relaxation_is_reported_as_the_first_solve():
    prog, a, b, y = wash_program()
    prog.set_bounds([a], 11.0, 11.0)  # more than the group's 10 loss shares
    found = branch(prog, [Choice(y, (np.array([a]), np.ones(1)), (np.array([b]), np.ones(1)))],
                   abs_gap=1.0, rel_gap=1e-9, max_solves=50, seconds=10.0)
    assert found.best is None
    assert not found.proven
    assert found.first.status == "Infeasible"


@pytest.mark.parametrize("seed", range(12))
def test_the_search_matches_highs_on_random_groups(seed):
    """Four groups competing for one budget: each group harvests (value h_g per share, at
    most q_g) or buys (value v_g per share, at most w_g); the budget is 20 + what is
    harvested. The search's optimum equals HiGHS's MIP within the $0.01 gap asked."""
    rng = np.random.default_rng(seed)
    n = 4
    h, v = rng.uniform(0.5, 3.0, n), rng.uniform(0.5, 3.0, n)
    q, w = rng.uniform(1.0, 10.0, n), rng.uniform(1.0, 10.0, n)

    def build():
        prog = Program()
        a = prog.cols(n, 0.0, q, -h)
        b = prog.cols(n, 0.0, w, -v)
        y = prog.cols(n, 0.0, 1.0, 0.0, 1)
        for g in range(n):
            prog.row(-math.inf, 0.0, [a[g], y[g]], [1.0, -q[g]])
            prog.row(-math.inf, 1000.0, [b[g], y[g]], [1.0, 1000.0])
        prog.row(-math.inf, 20.0, np.r_[b, a], np.r_[np.ones(n), -np.ones(n)])
        prog.build(time_limit=10.0, mip_gap=1e-12, abs_gap=1e-9)
        return prog, a, b, y

    prog, a, b, y = build()
    mip = prog.solve()
    prog, a, b, y = build()
    found = branch(prog, [Choice(int(y[g]), (a[g:g + 1], np.ones(1)), (b[g:g + 1], np.ones(1)))
                          for g in range(n)],
                   abs_gap=0.01, rel_gap=1e-12, max_solves=500, seconds=10.0)
    assert mip.ok and found.proven
    assert found.best.objective == pytest.approx(mip.objective, abs=0.01)
    x = found.best.x
    assert all(min(x[a[g]], x[b[g]]) <= 1e-7 for g in range(n))  # no group both


def test_the_absolute_gap_is_in_dollars_under_highs_bound_scaling():
    """With bounds of a large household HiGHS scales them by a power of two
    (user_bound_scale), and with them the objective: the absolute gap must be scaled too, or
    "$1" means $2**-scale. Bounds up to $12.8M: log2(12.8e6 / 1e5) = 7, scale -7, so $1 is
    1/128 in HiGHS's units."""
    prog = Program()
    prog.cols(2, 0.0, [12.8e6, 1.0], [1.0, 0.0])
    prog.build(time_limit=10.0, mip_gap=1e-6, abs_gap=1.0)
    h = prog._h
    assert h.getOptionValue("user_bound_scale")[1] == -7
    assert h.getOptionValue("mip_abs_gap")[1] == 1.0 / 128
    prog.set_gap(1e-6, 20.0)
    assert h.getOptionValue("mip_abs_gap")[1] == 20.0 / 128
    small = Program()
    small.cols(1, 0.0, 1000.0, 1.0)
    small.build(time_limit=10.0, mip_gap=1e-6, abs_gap=1.0)
    assert small._h.getOptionValue("mip_abs_gap")[1] == 1.0
