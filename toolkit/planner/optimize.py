"""The optimal planner: one program over every lot, holding and buy, solved with HiGHS.

:func:`optimize` (``plan(mode="optimal")``) chooses all trades at once, weighing the tax of
each lot against the drift it removes and where each class ends up. It leaves its trades in the
:class:`~toolkit.planner._book.Book` (step 0), so the plan, its exact tax and its reports are
built exactly as for the waterfall.

The program (money in dollars, trades in shares)
------------------------------------------------
Variables
    shares sold of each taxable lot that may be sold; shares sold of each holding (a taxable
    holding's is the sum of its lots'); shares bought of each eligible fund in each account
    (the fund :meth:`Guard.fund_for` prefers, the account's own holdings of the class, and one
    fund of another substantially-identical group, so that a loss can be harvested and the
    class kept); each class's final deviation from target, above and below, split at the
    band edge; the year's net short- and long-term gains on the tax curves, and the netting
    of losses against them.
Constraints
    cash per account: start cash + contribution + pending activity + sales - buys >= the
    account's cash floor (no money moves between accounts); no position or lot oversold;
    menus, do-not-buy and do-not-sell lists (per symbol and per account), unpriced funds,
    single stocks the household file does not name, untrusted holdings and lots without a
    basis are not traded;
    short-term gains only with ``allow_short_term_gains``; the net gain added at most
    ``gains_budget``; every class inside its band when ``within_band``, or no further from
    target than ``match_drift``; recent trades as bounds: nothing is bought in a group sold
    at a loss in the last 30 days, and no loss lot is sold in a group bought in the last 30
    days or bought by a planned contribution.
Wash sales in the plan
    A buy and a loss sale in one substantially-identical group cannot both happen. With
    ``wash_binaries`` one binary ``y_g`` per group that has both: loss-lot shares sold
    <= their shares x ``y_g`` and dollars bought <= M x (1 - ``y_g``), M = what the buying
    accounts can spend (cash above the floor plus everything they could sell). Without them
    the program is solved, loss sales are forbidden in every group the solution buys, and it
    is solved again until no group has both: the plan never washes, but may keep a buy where
    harvesting the loss and buying another group's fund would have been cheaper. With
    ``wash_binaries=False`` and ``exact_netting=False`` (and no ``min_trade``) the program is
    a linear program.
Objective
    tax + ``drift_price`` x the dollars still outside the bands (the larger of the dollars
    above the upper edges and those below the lower edges, cash aside: what must still move
    to bring every class inside its band) + ``lambda_drift`` x (deviation above + below
    target, every class) + location penalty + ``trade_cost`` x dollars traded, plus
    $0.0000001 per dollar for each rank a fund stands below the account's first choice (so
    ties go to the preferred fund). So a taxable sale that moves a dollar back toward the
    band is made when its tax is under ``drift_price`` (plus ``lambda_drift`` for each class
    it brings nearer its target): the waterfall's proceed/delay test, decided jointly. With a
    gains budget the price is $1 (the budget is the test).
Tax
    The year's netting (Schedule D) with the household's realised gains and carryforwards as
    constants: short-term losses offset short-term gains, then long-term gains; long-term
    losses offset long-term gains, then short-term gains; what remains is deducted up to the
    $3,000 / $1,500 limit (IRC §1211(b)), the rest carried forward (worth 0 now). The net
    gains left are taxed on convex piecewise-linear curves from the exact engine
    (:mod:`toolkit.planner._taxcurve`: bracket edges, the 0%/15% ceilings and the NIIT
    threshold are breakpoints). With ``exact_netting`` three binaries enforce that order and
    the deduction is worth the exact ordinary-rate saving. Without them the netting is a
    linear program in which the deduction is worth the smallest of that saving and the
    lowest gain rate (so losses always offset gains before they are deducted), a long-term
    loss cannot offset a short-term gain, and a short-term loss offsets long-term gains only
    where the short-term rate is never below the long-term one (so short-term gains go
    first), and the household's own long-term loss that shelters its own short-term gain is
    seen as unused (a long-term gain in the plan that takes it back is priced as free, where
    it uncovers a short-term gain): the plan's own losses are never valued more than they are
    worth, only sometimes
    less. Another understatement: a deduction the household has without the plan (a
    carryforward, or losses realised earlier in the year) that the plan's gains use up is
    valued at that lower rate too, so such gains look cheaper by at most (ordinary rate -
    lowest gain rate) x that deduction. In both, the two curves are separate: long-term
    gains are not stacked on top of the plan's short-term gains (an understatement when a
    plan realises large gains of both kinds). None of this is the plan's reported tax: that
    is :func:`toolkit.tax.gains_tax` of the chosen lots, computed by the planner afterwards.
Location penalty
    dollars of each class bought (sold) in an account of each treatment cost (earn)
    ``lambda_location`` x :func:`location_cost`: the fund's yearly tax drag per dollar in a
    taxable account for this household (from its yield, tax character and the household's
    rates: :func:`toolkit.location.fund_drag_rates`; 0 in tax-advantaged
    accounts), plus a tiny placement-score tie-break. So asset location falls out of the same
    model: given the account sizes, the funds that drag most go where they are sheltered.
Whole shares and the minimum trade
    The program is first solved in fractional shares with no minimum trade. Then (by default:
    ``whole_shares`` and ``min_trade``) every traded holding and fund that trades in shares
    may move only to the whole numbers of shares from ``floor(x) - 1`` to ``floor(x) + 1``
    around its fractional value ``x`` (a sale reaching into the last fraction of a position
    sells all of it), funds traded in dollars stay continuous, each trade made is 0 or at
    least ``min_trade`` (one binary per trade made; a sale may also be a whole position worth
    less, as a withdrawal may need), what was not traded stays untraded, and that small MIP
    is solved ("the integer neighbourhood"). It is first tried narrower: a sale whose
    rounded-down range stays above the minimum stays made, and a taxable sale's lots further
    than its range from the edge of what ``x`` sells (per holding, term and sign, where lots
    go least gain per share first) keep their values. If that is infeasible, the whole
    neighbourhood, then one widened by one and by three shares. Each try starts from a plan
    of its own (sales rounded up, buys down, then cash floors repaired, the netting binaries
    chosen by the search below); when that plan is within :data:`NEIGHBOURHOOD_GAP` of the
    household's value (a dollar per million) of the fractional optimum, which bounds every
    whole-share plan, it is taken without the MIP. Hard band and drift bounds may give
    there, at $10 of objective per dollar, so that the nearest whole-share plan is found;
    how far they gave is noted. The distance from the fractional optimum (objective and
    exact tax) is in ``plan.extra["whole_shares"]``.

Solving
    The first program's binaries are searched by :func:`toolkit.planner._branch.branch`:
    each is an either/or (a wash-sale group harvests or buys; a netting order holds or not),
    and a relaxed plan in which no group both harvests and buys, and no netting order is
    broken, is a plan. The search proves its plan within :data:`MIP_ABS_GAP` dollars of the
    optimum objective (or ``mip_gap`` relative) on warm-started linear programs; past its
    budget (:data:`SEARCH_SOLVES` programs or :data:`SEARCH_SECONDS`) HiGHS's MIP solver
    takes over, started from the search's best plan. A MIP's binaries are fixed at their
    values afterwards and the LP left is solved again (an exact vertex, no big-M leakage). A
    MIP that finds no plan within ``time_limit`` fixes each wash binary from the linear
    relaxation and solves what is left (noted). The solver status, objective, proven MIP gap
    (relative and in dollars), the search's figures, time and sizes are in
    ``plan.extra["solver"]``; infeasible or failed programs raise
    :class:`~toolkit.errors.PlanningError` saying what could not be met.
"""


from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.planner._book import Book
from toolkit.planner._branch import Search, branch
from toolkit.planner._guard import Guard
from toolkit.planner._highs import Solution
from toolkit.planner.program import Model, account_labels, build_model
from toolkit.planner.reasons import (
    TREATMENT_WORDS,
    class_words,
    money_text,
    placement_fact,
    rank_clause,
)
from toolkit.planner.waterfall import deficits, outside
from toolkit.schema import UNCLASSIFIED
from toolkit.tax.engine import tax_change
from toolkit.tax.gains import gains_tax

__all__ = ["optimize"]

# --- solving -------------------------------------------------------------------------------------


#: The MIP stops once its plan is proven within this many dollars of the optimum objective
#: (tax plus the priced drift and location terms), or within ``mip_gap`` relative (a relative
#: 1e-6 on objectives of a few thousand dollars is cents). HiGHS gets it in its own scaled
#: units (:meth:`~toolkit.planner._highs.Program.set_gap`).
MIP_ABS_GAP = 1.0
#: The whole-share plan (the integer neighbourhood of the fractional plan) is taken once
#: proven within this fraction of the household's value (a dollar per million, at least $1)
#: of the best plan in that neighbourhood. Rounding to whole shares itself moves the
#: objective by dollars: one $500 share off target is $5 of drift term at the default
#: ``lambda_drift``.
NEIGHBOURHOOD_GAP = 1e-6
#: The search over the first program's either/or choices (:mod:`toolkit.planner._branch`)
#: hands over to HiGHS's MIP solver after this many linear programs or seconds in HiGHS.
SEARCH_SOLVES = 200
SEARCH_SECONDS = 1.5


def _fail(sol: Solution, opts, what: str = "", short: dict[str, float] | None = None
          ) -> PlanningError:
    """A clear error for a program HiGHS could not solve.

    ``short``: account label -> cash it must raise for a withdrawal or floor, dollars.
    """
    status = sol.status
    if "nfeasible" in status and short and opts.match_drift is None and not opts.within_band:
        who = ", ".join(f"{a} must raise {money_text(v)}" for a, v in short.items())
        return PlanningError(
            f"no feasible plan{what}: {who} of cash (withdrawal or cash floor) but the plan's "
            "rules (gains budget, short-term gains, wash-sale guard, restrictions) do not let "
            "it; lower the withdrawal or the floor, or relax those rules")
    if "nfeasible" in status:
        asks = []
        if opts.within_band:
            asks.append(f"every class within the band ({opts.band.label()})")
        if opts.match_drift is not None:
            asks.append("the final drift of the plan to match")
        if asks:
            return PlanningError(
                f"no plan reaches {' and '.join(asks)}{what}: restrictions (menus, do-not "
                "lists, untrusted lots), the wash-sale guard, short-term gains, the gains "
                "budget or cash floors stop it; use within_band=False to get as close as "
                "possible at the least tax")
        return PlanningError(f"the optimiser found no feasible plan{what} (HiGHS: {status}); "
                             "check cash floors, withdrawals and restrictions")
    if "ime limit" in status:
        return PlanningError(
            f"the optimiser stopped at its time limit ({opts.time_limit:g} s) without a plan"
            f"{what}; raise time_limit, or use wash_binaries=False and exact_netting=False "
            "for a linear program")
    return PlanningError(f"the optimiser failed{what} (HiGHS: {status})")


def _polish(model: Model, x: np.ndarray, integer_cols: np.ndarray) -> Solution | None:
    """Fix the binaries (and ``integer_cols``) at their rounded values and solve the LP left.

    Removes the big-M leakage of a MIP solution (a buy of a few cents beside a harvested
    loss) and gives an exact vertex. Returns None when the LP fails (the MIP solution is
    kept).
    """
    prog = model.prog
    fixed = np.r_[model.binaries, integer_cols].astype(np.int64)
    if len(fixed):
        v = np.round(x[fixed])
        prog.set_bounds(fixed, v, v)
        prog.set_kind(fixed, 0)
    sol = prog.solve()
    return sol if sol.ok else None


def _round(model: Model, x: np.ndarray, opts, widen: int, lot_ub: np.ndarray,
           narrow: bool = False) -> tuple[np.ndarray, Solution | None, int]:
    """Restrict every trade to whole shares and the minimum trade around ``x`` (docstring).

    A trade in shares may take any whole number of shares from one below the whole part of
    its fractional value to one above it (``floor(x) - 1`` to ``floor(x) + 1``: rounding
    down, up, or one further when cash or the band needs it); a sale that reaches into the
    last fraction of a position sells the whole position (a fractional remainder can always
    be sold). A trade in dollars stays continuous. With ``min_trade`` each trade made is 0 or
    at least that much (its on/off column becomes a binary). What was not traded stays
    untraded; the slack of hard band and drift bounds opens (priced at
    :data:`~toolkit.planner.program.SLACK_COST`). ``widen`` adds that many shares either side.
    ``narrow``: a sale whose range stays above the minimum stays made and lots far from the
    edge of what ``x`` sells keep their values (:func:`_near_lots`); ``lot_ub``: the lots'
    bounds before any rounding.

    Returns the integer columns, the try's first plan (:func:`_start`; None if none) and the
    linear programs solved to find it.
    """
    prog = model.prog
    ub_all = np.concatenate(prog.ub)
    n_sell = len(model.sell_col)
    cols = np.r_[model.sell_col, model.buy_col]
    whole = np.r_[model.sell_whole, model.buy_whole]
    v = x[cols]
    zero = v <= 1e-9
    lo = np.maximum(np.floor(v + 1e-9) - 1.0 - widen, 0.0)
    hi = np.floor(v + 1e-9) + 1.0 + widen
    made = np.r_[cols, model.on_cols].astype(np.int64)
    prog.set_kind(made[prog.kinds(made) == 1], 0)  # continuous again after an earlier try
    prog.set_bounds(cols[zero], 0.0, 0.0)
    if len(model.on_cols):
        prog.set_bounds(model.on_cols[zero], 0.0, 0.0)
    ints = []
    ons = []
    guess_of: dict[int, float] = {}  # a first plan for the MIP (_guess)
    price = np.r_[model.sell_price, model.buy_price]
    least = opts.min_trade / price
    int_k, int_lo, int_hi = [], [], []
    reach = np.full(len(cols), np.inf)  # how far each sale may move, shares
    for k in np.flatnonzero(~zero):
        j = cols[k]
        q = ub_all[j]
        if not whole[k]:
            if opts.min_trade > 0:  # a sale at least the minimum, a small buy dropped
                ons.append(model.on_cols[k])
                guess_of[int(model.on_cols[k])] = float(k < n_sell or v[k] >= least[k])
            continue
        if k < n_sell and abs(q - model.sell_qty[k]) <= 1e-9 and q != math.floor(q) and \
                v[k] > math.floor(q) - 1e-9 and not widen:
            prog.set_bounds(j, q, q)  # into the last fraction: the whole position
            continue
        hi[k] = min(hi[k], math.floor(q + 1e-9))
        lo[k] = min(lo[k], hi[k])
        if opts.min_trade > 0 and (not narrow or k >= n_sell or
                                   lo[k] * price[k] < opts.min_trade):
            # 0 or at least the minimum: the on/off column decides
            prog.set_bounds(j, 0.0, hi[k])
            ons.append(model.on_cols[k])
            lo[k] = 0.0
            reach[k] = np.inf
        else:  # a sale well above the minimum stays made, within its whole shares
            prog.set_bounds(j, lo[k], hi[k])
            if opts.min_trade > 0:
                prog.set_bounds(model.on_cols[k], 1.0, 1.0)
            reach[k] = hi[k] - lo[k] + 1.0 if narrow else np.inf
        ints.append(j)
        int_k.append(k)
        int_lo.append(lo[k])
        int_hi.append(hi[k])
    if len(model.lot_col):  # lots far from the edge of what x sells stay as x has them
        near = _near_lots(model, x, reach[:n_sell], lot_ub)
        prog.set_bounds(model.lot_col[near], 0.0, lot_ub[near])
        far = model.lot_col[~near]
        prog.set_bounds(far, x[far], x[far])
    ks = np.array(int_k, dtype=np.int64)
    lots_left = _sellable_shares(model, x)  # under this try's lot bounds
    cap = np.r_[np.floor(lots_left + 1e-9), np.full(len(model.buy_col), np.inf)]
    int_hi = np.minimum(np.array(int_hi), cap[ks]) if len(ks) else np.zeros(0)
    g = _guess(model, x, ks, np.array(int_lo), np.maximum(int_hi, int_lo), opts, lots_left,
               ub_all[cols])
    guess_of.update({int(cols[k]): float(gk) for k, gk in zip(ks, g, strict=True)})
    if opts.min_trade > 0:
        guess_of.update({int(model.on_cols[k]): float(gk > 0) for k, gk in zip(ks, g,
                                                                               strict=True)})
    start, tried = _start(model, guess_of, opts)
    prog.set_kind(np.array(ints, dtype=np.int64), 1)
    if ons:
        on = np.array(ons, dtype=np.int64)
        prog.set_bounds(on, 0.0, 1.0)
        prog.set_kind(on, 1)
    if len(model.netting):
        prog.set_bounds(model.netting, 0.0, 1.0)
        prog.set_kind(model.netting, 1)
    if len(model.slack):
        prog.set_bounds(model.slack, 0.0, math.inf)
    if start is not None:
        prog.set_start(start.x)
    return np.array([*ints, *ons], dtype=np.int64), start, tried


def _near_lots(model: Model, x: np.ndarray, reach: np.ndarray, lot_ub: np.ndarray
               ) -> np.ndarray:
    """The lots the integer neighbourhood may change (a mask over the lot columns).

    Within one holding, term and sign (gain or loss) the lots with the least gain per share
    go first, so a sale ``reach[h]`` shares larger or smaller than ``x``'s changes only the
    lots within ``reach[h]`` shares of the edge of what ``x`` sells there. The lots further
    in (sold whole) and further out (unsold) keep their values; in a 10,000-lot household
    that leaves a few hundred lot columns to the MIP instead of thousands. ``reach`` is inf
    for a sale that may drop to nothing or is traded in dollars: all its lots may change.
    """
    gain, hold = model.lot_gain, model.lot_hold
    sold = x[model.lot_col]
    q = lot_ub
    seg = hold * 4 + 2 * model.lot_long + (gain < 0)
    order = np.lexsort((gain, seg))
    s = seg[order]
    first = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(first) - 1
    end = np.cumsum(q[order])
    end = end - (end - q[order])[first][group]  # shares up to each lot, in its segment
    start = end - q[order]
    edge = np.bincount(group, weights=sold[order])[group]  # what x sells in the segment
    r = np.where(model.sell_whole, reach, np.inf)[hold[order]]
    near = np.zeros(len(gain), dtype=bool)
    near[order] = (end >= edge - r - 1e-9) & (start <= edge + r + 1e-9)
    return near


def _guess(model: Model, x: np.ndarray, ks: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           opts, lots_left: np.ndarray, most: np.ndarray) -> np.ndarray:
    """Whole shares for the trades ``ks`` (positions in sales then buys) near ``x``.

    Each to the nearest whole number in ``[lo, hi]``; a trade under the minimum becomes the
    minimum (a sale, where it may) or nothing (a buy); then, in each account whose cash the
    rounding took below its floor, sales are rounded up and buys down, those nearest their
    fractional value first, until the floor holds, counting the cash that larger sales and
    smaller buys of the traded dollar funds can still give (``lots_left``: per sellable
    holding, the shares its lots may give, :func:`_sellable_shares`; ``most``: each
    trade's bound in shares, sales then buys). Trades in dollars are
    left to the linear program (a small dollar buy dropped and a small dollar sale raised
    to the minimum only add cash).
    """
    n_sell = len(model.sell_col)
    cols = np.r_[model.sell_col, model.buy_col]
    price = np.r_[model.sell_price, model.buy_price]
    acc = np.r_[model.sell_acc, model.buy_acc]
    sign = np.r_[np.ones(n_sell), -np.ones(len(model.buy_col))]  # cash in per share
    v = x[cols]
    least = np.ceil(opts.min_trade / price - 1e-9)

    def fit(k: int, n: float) -> float:  # n shares of trade k, or 0, under the minimum
        if n <= 0 or opts.min_trade <= 0 or n * price[k] >= opts.min_trade - 1e-9:
            return n
        return least[k] if k < n_sell and least[k] <= hi_of[k] else 0.0

    hi_of = dict(zip(ks.tolist(), hi.tolist(), strict=True))
    g = {int(k): fit(int(k), float(min(max(np.round(v[k]), lo[i]), hi[i])))
         for i, k in enumerate(ks)}
    room = model.cash_room.copy()
    np.add.at(room, acc, sign * price * v)  # the fractional plan's cash above each floor
    # what the linear program can still add: larger sales, smaller buys of the traded funds
    # that trade in dollars (a buy down to the minimum)
    whole = np.r_[model.sell_whole, model.buy_whole]
    dollars = ~whole & (v > 1e-9)
    more = np.where(np.arange(len(v)) < n_sell,
                    (np.minimum(np.r_[lots_left, np.zeros(len(model.buy_col))], most) - v),
                    v - np.minimum(v, np.ceil(opts.min_trade / price * 100) / 100))
    np.add.at(room, acc[dollars], np.maximum(more[dollars], 0.0) * price[dollars])
    for k, n in g.items():
        room[acc[k]] += sign[k] * price[k] * (n - v[k])
    lo_of = dict(zip(ks.tolist(), lo.tolist(), strict=True))
    for a in np.flatnonzero(room < -1e-6):
        mine = [k for k in g if acc[k] == a]
        while room[a] < -1e-6:
            steps = []
            for k in mine:
                if k < n_sell and g[k] + 1 <= hi_of[k]:
                    n = fit(k, g[k] + 1)
                elif k >= n_sell and g[k] - 1 >= lo_of[k]:
                    n = fit(k, g[k] - 1)
                else:
                    continue
                if sign[k] * (n - g[k]) > 0:  # adds cash
                    steps.append((abs(n - v[k]), k, n))
            if not steps:
                break
            _, k, n = min(steps)
            room[a] += sign[k] * price[k] * (n - g[k])
            g[k] = n
    return np.array([g[int(k)] for k in ks], dtype=float)


def _sellable_shares(model: Model, x: np.ndarray) -> np.ndarray:
    """Per sellable holding, the shares its lots may give at ``x`` (inf without lots).

    The lots' bounds, less the loss lots of wash-sale groups that ``x`` keeps buying.
    """
    n_sell = len(model.sell_col)
    if not len(model.lot_col):
        return np.full(n_sell, np.inf)
    _, room = model.prog.bounds(model.lot_col)
    room = room.copy()
    for li, _, y in model.wash_groups.values():
        if y is not None and x[y] < 0.5:
            room[li] = 0.0
    out = np.bincount(model.lot_hold, weights=room, minlength=n_sell)
    has = np.bincount(model.lot_hold, minlength=n_sell) > 0
    return np.where(has, out, np.inf)


def _start(model: Model, guess_of: dict[int, float], opts) -> tuple[Solution | None, int]:
    """A first whole-share plan for the integer neighbourhood, and the programs solved.

    The plan is None if infeasible.

    Every integer column at its guess (:func:`_guess`), the netting binaries chosen by
    :func:`~toolkit.planner._branch.branch` and the linear program left solved (warm,
    before the columns become integer).

    Measured on generated households of 10,000 lots: HiGHS's own first roundings were often
    thousands of dollars off, and it then spent up to 1.5 s in sub-MIPs finding a plan; this
    one is found in a few linear programs and is often within dollars of the fractional
    optimum.
    """
    if not guess_of:
        return None, 0
    prog = model.prog
    j = np.fromiter(guess_of, dtype=np.int64, count=len(guess_of))
    g = np.fromiter(guess_of.values(), dtype=float, count=len(guess_of))
    lo, hi = prog.bounds(j)
    prog.set_bounds(j, g, g)
    netting = set(model.netting.tolist())
    found = branch(prog, [c for c in model.choices if c.column in netting],
                   abs_gap=MIP_ABS_GAP, rel_gap=opts.mip_gap, max_solves=SEARCH_SOLVES,
                   seconds=min(SEARCH_SECONDS, opts.time_limit))
    prog.set_bounds(j, lo, hi)
    if found.best is None:
        return None, found.solves
    found.best.time = found.time
    return found.best, found.solves


def _fallback(model: Model, seconds: float) -> Solution:
    """Fix each wash binary from the LP relaxation and solve the program left.

    A group harvests where the relaxation sells its loss lots, else it may be bought. Each
    of the two runs gets at least 10 seconds.
    """
    prog = model.prog
    prog.set_time_limit(max(seconds, 10.0))
    ys = np.array([y for _, _, y in model.wash_groups.values()], dtype=np.int64)
    prog.set_kind(model.binaries, 0)
    relax = prog.solve()
    if not relax.ok:
        return relax
    x = relax.x
    harvest = np.array([float(x[model.lot_col[li]].sum() > 1e-7)
                        for li, _, _ in model.wash_groups.values()])
    prog.set_bounds(ys, harvest, harvest)
    rest = np.setdiff1d(model.binaries, ys)
    prog.set_kind(rest, 1)
    sol = prog.solve()
    sol.time += relax.time
    return sol


def _search(model: Model, opts) -> tuple[Solution, Search, int]:
    """The first MIP, by :func:`~toolkit.planner._branch.branch` or else HiGHS.

    HiGHS's MIP solver, started from the search's best plan, when the search does not prove
    it within its budget.

    Returns the solution (its time: all the seconds in HiGHS), the search and the number of
    programs solved.
    """
    prog = model.prog
    found = branch(prog, model.choices, abs_gap=MIP_ABS_GAP, rel_gap=opts.mip_gap,
                   max_solves=SEARCH_SOLVES, seconds=min(SEARCH_SECONDS, opts.time_limit))
    ys = model.binaries
    prog.set_bounds(ys, 0.0, 1.0)  # the program as it was (binaries), for what follows
    prog.set_kind(ys, 1)
    if not found.first.ok:  # no relaxed plan: no plan at all
        return found.first, found, found.solves
    if found.proven:
        best = found.best
        best.status = "Optimal"
        best.abs_gap = max(best.objective - found.bound, 0.0)
        best.mip_gap = best.abs_gap / max(abs(best.objective), 1e-9)
        best.time = found.time
        return best, found, found.solves
    if found.best is not None:
        prog.set_start(found.best.x)
    sol = prog.solve()
    sol.time += found.time
    return sol, found, found.solves + 1


def _solve(model: Model, opts, profile) -> tuple[np.ndarray, dict, list[str]]:
    prog = model.prog
    notes: list[str] = []
    prog.build(time_limit=opts.time_limit, mip_gap=opts.mip_gap, abs_gap=MIP_ABS_GAP)
    kind = "MIP" if prog.is_mip else "LP"
    searched = None
    if prog.is_mip and len(model.choices) == len(model.binaries):
        sol, searched, solves = _search(model, opts)
        seconds = sol.time
    else:
        sol = prog.solve()
        solves, seconds = 1, sol.time
    if not sol.ok and "ime limit" in sol.status and len(model.wash_groups) and \
            opts.wash_binaries:
        # no plan within the time limit: take each group's wash choice from the relaxation
        # and solve what is left (the netting and min_trade binaries) in a second run
        fb = _fallback(model, opts.time_limit)
        solves += 2
        seconds += fb.time
        if fb.ok:
            notes.append(f"the optimiser found no plan within its time limit "
                         f"({opts.time_limit:g} s): each wash-sale choice was taken from the "
                         "linear relaxation instead (a good plan, perhaps not the cheapest)")
            fb.status = f"{sol.status}; wash choices from the relaxation"
            fb.mip_gap = math.inf
            sol = fb
    if not sol.ok:
        raise _fail(sol, opts, short=model.short)
    main = sol
    if not opts.wash_binaries and model.wash_groups:
        dropped = []
        for _ in range(len(model.wash_groups)):
            x = sol.x
            hit = [g for g, (li, bk, _) in model.wash_groups.items() if g not in dropped
                   and x[model.lot_col[li]].sum() > 1e-7 and x[model.buy_col[bk]].sum() > 1e-7]
            if not hit:
                break
            for g in hit:
                prog.set_bounds(model.lot_col[model.wash_groups[g][0]], 0.0, 0.0)
                dropped.append(g)
            sol = prog.solve()
            solves += 1
            seconds += sol.time
            if not sol.ok:
                raise _fail(sol, opts, " once loss sales in bought groups were dropped",
                            short=model.short)
        for g in dropped:
            notes.append(f"loss lots of {g} not sold: the plan buys into that group and a sale "
                         "would be a wash sale (wash_binaries=False)")
        main = sol
    x = sol.x
    if prog.is_mip:
        pol = _polish(model, x, np.zeros(0, dtype=np.int64))
        solves += 1
        if pol is not None:
            seconds += pol.time
            x = pol.x
            sol = pol
    info = {"status": main.status, "kind": kind, "objective": float(sol.objective),
            "mip_gap": float(main.mip_gap), "mip_gap_dollars": float(main.abs_gap),
            **({"search": {"solves": searched.solves, "proven": searched.proven,
                           "time": searched.time}} if searched else {}),
            "time": 0.0, "solves": solves,
            "columns": prog.n, "rows": prog.m, "binaries": int(len(model.binaries)),
            **model.counts}
    if "ime limit" in main.status and math.isfinite(main.mip_gap):
        notes.append(f"the optimiser stopped at its time limit ({opts.time_limit:g} s) with a "
                     f"proven gap of {main.mip_gap:.2%} ("
                     + (money_text(main.abs_gap) if math.isfinite(main.abs_gap) else "unknown")
                     + " of objective): a good plan, perhaps not the cheapest")
    whole = None
    rounding = opts.min_trade > 0 or (opts.whole_shares and bool(
        np.r_[model.sell_whole, model.buy_whole].any()))
    if rounding:
        frac_x, frac_obj = x, float(sol.objective)
        tol = max(MIP_ABS_GAP, NEIGHBOURHOOD_GAP * model.total)
        prog.set_gap(opts.mip_gap, tol)
        _, lot_ub = prog.bounds(model.lot_col)
        # first the narrow neighbourhood (trades well above the minimum stay made, far lots
        # stay as they are), then the whole one, then wider
        tries = [(0, True), *([(0, False)] if opts.min_trade > 0 else []), (1, False),
                 (3, False)]
        for widen, narrow in tries:
            ints, start, tried = _round(model, frac_x, opts, widen, lot_ub, narrow)
            solves += tried
            if start is not None:
                seconds += start.time
            if start is not None and start.objective - frac_obj <= tol:
                ws = start  # within the gap of the fractional optimum, a bound on them all
                break
            ws = prog.solve()
            solves += 1
            seconds += ws.time
            if ws.ok:
                break
        else:
            raise _fail(ws, opts, " in whole shares and minimum trades", short=model.short)
        pol = _polish(model, ws.x, ints)
        solves += 1
        if pol is not None:
            seconds += pol.time
            ws = pol
        x = ws.x
        t_frac = _exact_tax(model, frac_x, profile)
        t_whole = _exact_tax(model, x, profile)
        gave = float(x[model.slack].sum()) if len(model.slack) else 0.0
        whole = {"objective_fractional": frac_obj, "objective_whole": float(ws.objective),
                 "objective_difference": float(ws.objective) - frac_obj,
                 "tax_fractional": t_frac, "tax_whole": t_whole,
                 "tax_difference": round(t_whole - t_frac, 2), "widened": bool(widen),
                 "bounds_missed_by": round(gave, 2)}
        if abs(t_whole - t_frac) >= 0.005:
            notes.append(f"whole shares and the minimum trade: tax {t_whole - t_frac:+,.2f} "
                         "dollars against the fractional-share optimum")
        if gave > 0.005:
            notes.append(f"whole shares and the minimum trade miss the band or drift bounds by "
                         f"{money_text(gave)} in all (the nearest plan in whole shares)")
        info["objective"] = float(ws.objective)
    info["time"] = seconds
    info["solves"] = solves
    return x, {"solver": info, **({"whole_shares": whole} if whole else {})}, notes


def _exact_tax(model: Model, x: np.ndarray, profile) -> float:
    g = x[model.lot_col] * model.lot_gain
    st = float(g[~model.lot_long].sum())
    lt = float(g[model.lot_long].sum())
    return gains_tax(profile, short_term=st, long_term=lt).total


# --- applying ------------------------------------------------------------------------------------


def _apply(book: Book, model: Model, x: np.ndarray, targets: pd.Series) -> None:
    """Make the solution's trades in the book, each with the objective term that made it."""
    d = deficits(book, targets)
    ob = outside(book, targets, book.options.band)
    above = {c: max(0.0, (r["current"] - r["upper"]) * model.total) for c, r in ob.iterrows()}
    labels = account_labels(book)
    price = book.options.price_of_drift
    budget = book.options.gains_budget is not None
    by_hold: dict[int, list[int]] = {}
    if len(model.lot_col):
        sold = np.flatnonzero(x[model.lot_col] > 1e-9)
        for i in sold:
            by_hold.setdefault(int(model.lot_hold[i]), []).append(int(i))
    g_all = x[model.lot_col] * model.lot_gain if len(model.lot_col) else np.zeros(0)
    tot = (float(g_all[~model.lot_long].sum()), float(g_all[model.lot_long].sum()))
    short = {a for a in book.cash if book.cash[a] < book.floor(a) - 0.005}
    for k, (a, sym) in enumerate(model.sell_keys):
        sh = float(x[model.sell_col[k]])
        if sh <= 1e-9:
            continue
        hd = book.holdings[(a, sym)]
        c = ",".join(class_words(cl) for cl in hd.classes)
        over = -sum(w * d.get(cl, 0.0) for cl, w in hd.classes.items())
        out = sum(w * above.get(cl, 0.0) for cl, w in hd.classes.items())
        lab = labels[a]
        words = TREATMENT_WORDS[book.treatment[a]]
        if a in short:
            lead = (f"optimiser, cash: raise the withdrawal or cash floor of {lab} by selling "
                    f"{c}")
        elif out > 0.5:
            lead = (f"optimiser, drift term: sell {c}, {money_text(out)} above its band, in "
                    f"{lab}")
        elif over > 0.5:
            lead = (f"optimiser, drift term: sell {c}, overweight by {money_text(over)}, in "
                    f"{lab} (toward the target)")
        else:
            lead = (f"optimiser, location term: sell {c} in {lab} so that it can be held where "
                    "it costs less tax")
        if book.treatment[a] != "taxable":
            book.sell(a, sym, float(sh * hd.price), step=0,
                      reason=f"{lead}: no tax on a sale inside a {words} account")
            continue
        idx = np.array(by_hold.get(k, []), dtype=np.int64)
        if not len(idx):
            continue
        lb = book.lots[(a, sym)]
        take = np.zeros(len(lb.quantity))
        take[model.lot_pos[idx]] = np.minimum(x[model.lot_col[idx]], lb.quantity[
            model.lot_pos[idx]])
        order = model.lot_pos[idx][np.argsort(model.lot_gain[idx], kind="stable")]
        gain = take[model.lot_pos[idx]] * model.lot_gain[idx]
        if (model.lot_gain[idx] < 0).all():
            why = (f"optimiser, tax term: harvest a {money_text(-gain.sum())} loss on {sym} in "
                   f"taxable {lab}, which lowers this year's tax"
                   + (f"; {c} is {money_text(over)} overweight" if over > 0.5 else
                      "; the proceeds buy a fund that is not substantially identical"))
        else:
            lng = model.lot_long[idx]
            mine = (float(gain[~lng].sum()), float(gain[lng].sum()))
            rest = (tot[0] - mine[0], tot[1] - mine[1])
            t = (tax_change(book.tax_inputs, *tot) - tax_change(book.tax_inputs, *rest))
            proceeds = float(take.sum() * hd.price)
            test = ("within the gains budget" if budget else
                    f"{100 * t / proceeds:.1f} cents per dollar moved against a drift price "
                    f"of {100 * price:.0f} cents" if out > 0.5 and proceeds else
                    "the lots that cost the least tax for what the sale does")
            why = f"{lead}: this sale's tax, {money_text(t)}, is {test}"
        book.sell(a, sym, 0.0, take=take, order=order, step=0, reason=why)
    for k, (a, f, c) in enumerate(model.buy_keys):
        sh = float(x[model.buy_col[k]])
        if sh <= 1e-9:
            continue
        dollars = float(sh * model.buy_price[k])
        room = book.spendable(a)
        if dollars > room or room - dollars < 0.01:  # solver dust: spend to the cent
            dollars = room
        under = d.get(c, 0.0)
        lab = labels[a]
        treat = book.treatment[a]
        rank = rank_clause(c, treat)
        fact = placement_fact(c, treat)
        where = (f"; location term: {TREATMENT_WORDS[treat]} is {rank} for {class_words(c)}"
                 + (f": {fact}" if fact else "")) if rank else ""
        text = (f"optimiser, drift term: buy {class_words(c)}, underweight by "
                f"{money_text(under)}, in {lab}" if under > 0.5 else
                f"optimiser: buy {class_words(c)} in {lab} to keep the allocation after the "
                "sales")
        book.buy(a, f, dollars, asset_class=c, step=0, reason=text + where)


def _band_notes(book: Book, targets: pd.Series, model: Model) -> list[str]:
    ob = outside(book, targets, book.options.band)
    out = []
    for c, r in ob.iterrows():
        if c == UNCLASSIFIED or not r["outside"]:
            continue
        out.append(f"{c}: still outside its band after the plan ({r['current']:.2%} against "
                   f"{r['lower']:.2%}-{r['upper']:.2%}): restrictions, the wash-sale guard, "
                   "short-term gains or the gains budget stop it, or its tax costs more than "
                   "the drift price")
    return out


def optimize(book: Book, targets: pd.Series, profile, guard: Guard) -> list[str]:
    """Choose every trade at once with HiGHS and leave them in ``book`` (step 0).

    Parameters
    ----------
    book : Book
        The working state (holdings, cash with contributions, taxable lots, options).
    targets : Series
        Asset class -> target weight (fractions).
    profile : TaxProfile
        The year, with gains realised so far (:func:`toolkit.tax.profile_for`).
    guard : Guard
        Fund eligibility and the wash-sale guard.

    Returns
    -------
    list of str
        Notes: what the plan could not do and why, solver caveats, whole-share distance.
        Solver figures go to ``book.extra`` (``plan.extra["solver"]``).

    Raises
    ------
    PlanningError
        When no plan meets the hard constraints (withdrawals, floors, ``within_band``,
        ``match_drift``) or HiGHS fails.
    """
    model = build_model(book, targets, profile, guard)
    x, extra, notes = _solve(model, book.options, profile)
    _apply(book, model, x, targets)
    book.extra.update(extra)
    if not book.options.within_band:
        notes += _band_notes(book, targets, model)
    return list(dict.fromkeys([*model.notes, *notes]))
