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
    less, as a withdrawal may need), what was not traded stays untraded, and
    that small MIP is solved ("the integer neighbourhood"; widened by one and then three
    shares if infeasible). Hard band and drift bounds may give there, at $10 of objective
    per dollar, so that the nearest whole-share plan is found; how far they gave is noted.
    The distance from the fractional optimum (objective and exact tax) is in
    ``plan.extra["whole_shares"]``.

Solving
    A MIP's binaries are fixed at their values afterwards and the LP left is solved again
    (an exact vertex, no big-M leakage). A MIP that finds no plan within ``time_limit`` fixes
    each wash binary from the linear relaxation and solves what is left (noted). The solver
    status, objective, proven MIP gap, time and sizes are in ``plan.extra["solver"]``;
    infeasible or failed programs raise :class:`~toolkit.errors.PlanningError` saying what
    could not be met.
"""


from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.planner._book import Book
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
#: (tax plus the priced drift and location terms), or within ``mip_gap`` relative. Measured on
#: 10 accounts x 50 funds x 10,000 lots: the first MIP 2.8 s -> 1.4 s and the whole-share MIP
#: 6.4 s -> 0.2 s with the same tax to the cent (``make bench``).
MIP_ABS_GAP = 1.0


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


def _round(model: Model, x: np.ndarray, opts, widen: int) -> np.ndarray:
    """Restrict every trade to whole shares and the minimum trade around ``x`` (docstring).

    A trade in shares may take any whole number of shares from one below the whole part of
    its fractional value to one above it (``floor(x) - 1`` to ``floor(x) + 1``: rounding
    down, up, or one further when cash or the band needs it); a sale that reaches into the
    last fraction of a position sells the whole position (a fractional remainder can always
    be sold). A trade in dollars stays continuous. With ``min_trade`` each trade made is 0 or
    at least that much (its on/off column becomes a binary). What was not traded stays
    untraded; the slack of hard band and drift bounds opens (priced at
    :data:`~toolkit.planner.program.SLACK_COST`). ``widen`` adds that many shares either side.
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
    prog.set_bounds(cols[zero], 0.0, 0.0)
    if len(model.on_cols):
        prog.set_bounds(model.on_cols[zero], 0.0, 0.0)
    ints = []
    ons = []
    for k in np.flatnonzero(~zero):
        j = cols[k]
        q = ub_all[j]
        if not whole[k]:
            if opts.min_trade > 0:
                ons.append(model.on_cols[k])
            continue
        if k < n_sell and abs(q - model.sell_qty[k]) <= 1e-9 and q != math.floor(q) and \
                v[k] > math.floor(q) - 1e-9 and not widen:
            prog.set_bounds(j, q, q)  # into the last fraction: the whole position
            continue
        hi[k] = min(hi[k], math.floor(q + 1e-9))
        if opts.min_trade > 0:  # 0 or at least the minimum: the on/off column decides
            prog.set_bounds(j, 0.0, hi[k])
            ons.append(model.on_cols[k])
        else:
            prog.set_bounds(j, min(lo[k], hi[k]), hi[k])
        ints.append(j)
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
    return np.array([*ints, *ons], dtype=np.int64)


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


def _solve(model: Model, opts, profile) -> tuple[np.ndarray, dict, list[str]]:
    prog = model.prog
    notes: list[str] = []
    prog.build(time_limit=opts.time_limit, mip_gap=opts.mip_gap, abs_gap=MIP_ABS_GAP)
    kind = "MIP" if prog.is_mip else "LP"
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
        for widen in (0, 1, 3):
            ints = _round(model, frac_x, opts, widen)
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
