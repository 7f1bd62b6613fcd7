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
    cash per account: start cash + contribution + sales - buys >= the cash floor (no money
    moves between accounts); no position or lot oversold; menus, ``do_not_buy``,
    ``do_not_sell``, untrusted holdings and lots without a basis are not traded;
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
    tax + ``lambda_drift`` x (deviation above + below target) + ``lambda_band`` x deviation
    outside the band + location penalty + ``trade_cost`` x dollars traded, plus $0.0000001
    per dollar for each rank a fund stands below the account's first choice (so ties go to
    the preferred fund). ``min_trade`` makes each trade 0 or at least that many dollars (one
    binary per trade).
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
    first): the plan's own losses are never valued more than they are worth, only sometimes
    less. One understatement remains: a deduction the household has without the plan (a
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
Whole shares
    With ``whole_shares`` the fractional program is solved first; then every traded
    holding and fund may move only to the whole numbers of shares from ``floor(x) - 1`` to
    ``floor(x) + 1`` around its fractional value ``x`` (a whole position may always be sold),
    what was not traded stays untraded, and that small MIP is solved ("the integer
    neighbourhood"; widened by one more share if infeasible). The distance from the
    fractional optimum (objective and exact tax) is in ``plan.extra["whole_shares"]`` and a
    note.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.location import fund_drag_rates
from toolkit.planner._book import _EPS, Book
from toolkit.planner._guard import Guard
from toolkit.planner._highs import Program, Solution
from toolkit.planner._placement import reason as place_reason
from toolkit.planner._placement import score
from toolkit.planner._taxcurve import tax_curves
from toolkit.schema import UNCLASSIFIED

__all__ = [
    "LOCATION_DRAG_PER_POINT",
    "cheapest_matching",
    "cheapest_within_band",
    "location_cost",
    "optimize",
]

#: Tie-break (fraction a year) per placement-score point below a class's best home: small
#: next to real drag (taxable bonds at a 4% yield and a 27% rate drag about 1.1% a year), it
#: only orders homes that cost the same tax, such as Roth before traditional for growth.
LOCATION_DRAG_PER_POINT = 0.0001
#: Per-dollar cost that makes the solver prefer the first eligible fund over the others.
_RANK_COST = 1e-7
_SKIP = ("cash", UNCLASSIFIED)
_TREATMENTS = ("taxable", "tax_deferred", "tax_free")


def location_cost(asset_class: str, treatment: str, drag: float = 0.0) -> float:
    """Yearly location drag of one dollar of ``asset_class`` in an account of ``treatment``.

    In a taxable account: ``drag``, the fund's own yearly tax drag per dollar there (from its
    yield, tax character and the household's rates: :func:`toolkit.location.fund_drag_rates`);
    0 in tax-advantaged accounts. Plus a small tie-break from the playbook's placement scores
    (:data:`LOCATION_DRAG_PER_POINT` per point below the class's best home), so that homes
    costing the same tax are still ordered (growth to Roth money first).

    Parameters
    ----------
    asset_class : str
    treatment : {"taxable", "tax_deferred", "tax_free"}
    drag : float, default 0
        The fund's drag per dollar in a taxable account (fraction per year).

    Returns
    -------
    float
        Fraction per year.
    """
    best = max(score(asset_class, t) for t in _TREATMENTS)
    tie = LOCATION_DRAG_PER_POINT * (best - score(asset_class, treatment))
    return (max(drag, 0.0) if treatment == "taxable" else 0.0) + tie


def _money(x: float) -> str:
    return f"${x:,.0f}"


@dataclass
class _Model:
    """The program and what its columns mean (trades in shares, money in dollars)."""

    prog: Program
    sell_keys: list  # (account, symbol) per sellable holding
    sell_col: np.ndarray
    sell_price: np.ndarray
    sell_ub: np.ndarray  # shares that may be sold
    sell_qty: np.ndarray  # shares held
    lot_col: np.ndarray  # per sellable lot
    lot_hold: np.ndarray  # index into sell_keys
    lot_pos: np.ndarray  # position in its LotBook
    lot_gain: np.ndarray  # gain per share (dollars)
    lot_long: np.ndarray
    buy_keys: list  # (account, symbol, class)
    buy_col: np.ndarray
    buy_price: np.ndarray  # 1.0 where the price is unknown (shares of $1)
    buy_whole: np.ndarray  # the fund's price is known (whole shares apply)
    binaries: np.ndarray  # every binary: wash y_g, netting z, min_trade on/off
    netting: np.ndarray  # the netting binaries
    wash_groups: dict  # group -> (loss lot indices, buy indices, y column or None)
    total: float  # household value, dollars
    short: dict  # account label -> cash it must raise (withdrawal or floor), dollars
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _eligible(book: Book, guard: Guard, account: str, asset_class: str) -> list[str]:
    """Funds ``account`` may buy for ``asset_class``: preferred, held, one other group."""
    first = guard.fund_for(account, asset_class)
    if first is None:
        return []
    out = [first]
    for hd in book.held(account, asset_class):
        if hd.symbol not in out and guard.can_buy(account, hd.symbol):
            out.append(hd.symbol)
    groups = {guard.group(s) for s in out}
    for n, sym in enumerate(guard._candidates(account, asset_class)):
        if n > 40:
            break
        if sym in out or guard.group(sym) in groups:
            continue
        if guard.can_buy(account, sym):
            out.append(sym)
            break
    return out


@dataclass
class _Sells:
    keys: list
    price: np.ndarray
    ub: np.ndarray
    classes: list
    lots: list  # (holding index, positions, shares, gain/share, is_long)
    notes: list


def _sellable(book: Book, guard: Guard, targets: pd.Series) -> _Sells:
    """Holdings the plan may sell and, in taxable accounts, the lots it may sell."""
    from toolkit.planner.waterfall import deficits

    opts = book.options
    need = deficits(book, targets)
    out = _Sells([], [], [], [], [], [])
    for (a, sym), hd in book.holdings.items():
        if hd.quantity <= _EPS or not (hd.price == hd.price and hd.price > 0):
            continue
        if UNCLASSIFIED in hd.classes or sym in opts.do_not_sell:
            continue
        if book.treatment[a] == "taxable":
            # notes only where selling would help: the class is above its target
            say = sum(w * need.get(c, 0.0) for c, w in hd.classes.items()) < -0.5
            lb = book.lots.get((a, sym))
            if lb is None or not lb.trusted:
                if say:
                    out.notes.append(
                        f"{sym} in {a} not sold: no tax lots, so its gain is unknown"
                        if lb is None else f"{sym} in {a} not sold: its lots do not reconcile "
                        "with the position (allow_untrusted=True to sell anyway)")
                continue
            gain = hd.price - lb.basis_ps
            ok = lb.quantity > _EPS
            for i in np.flatnonzero(ok & ~np.isfinite(gain)) if say else ():
                out.notes.append(f"lot {lb.lot_id[i]} of {sym} in {a} has no cost basis: "
                                 "not sold")
            ok &= np.isfinite(gain)
            if not opts.allow_short_term_gains:
                ok &= ~((gain > 0) & ~lb.is_long)
            if guard.enabled and guard.group(sym) in guard.recent_buy_groups:
                if say and (ok & (gain < 0)).any():
                    out.notes.append(f"loss lots of {sym} in {a} not sold: it would be a wash "
                                     f"sale ({guard.recent_buy_groups[guard.group(sym)]})")
                ok &= ~(gain < 0)
            pos = np.flatnonzero(ok)
            if not len(pos):
                continue
            ub = min(hd.quantity, float(lb.quantity[pos].sum()))
            out.lots.append((len(out.keys), pos, lb.quantity[pos], gain[pos], lb.is_long[pos]))
        else:
            ub = hd.quantity
        out.keys.append((a, sym))
        out.price.append(hd.price)
        out.ub.append(ub)
        out.classes.append(hd.classes)
    out.price = np.array(out.price, dtype=float)
    out.ub = np.array(out.ub, dtype=float)
    return out


def _buys(book: Book, guard: Guard, targets: pd.Series, accounts: list[str],
          cap: np.ndarray) -> tuple[list, np.ndarray, np.ndarray, list, np.ndarray]:
    """Eligible buys: keys (account, fund, class), prices, ranks, class weights, known."""
    master = book.household.securities
    want = [c for c, w in targets.items() if w > 0 and c not in _SKIP]
    keys, price, rank, classes, known = [], [], [], [], []
    seen = set()
    for i, a in enumerate(accounts):
        if cap[i] <= 0.005:
            continue
        for c in want:
            for r, f in enumerate(_eligible(book, guard, a, c)):
                if (a, f) in seen:
                    continue
                seen.add((a, f))
                p = book.price_of(f)
                w = master.weights(f)
                keys.append((a, f, c))
                known.append(p == p and p > 0)
                price.append(p if p == p and p > 0 else 1.0)
                rank.append(r)
                classes.append({c: 1.0} if UNCLASSIFIED in w else w)
    return (keys, np.array(price, dtype=float), np.array(rank, dtype=float), classes,
            np.array(known, dtype=bool))


def _build(book: Book, targets: pd.Series, profile, guard: Guard) -> _Model:
    opts = book.options
    prog = Program()
    cv = book.class_values()
    total = sum(cv.values())
    accounts = list(book.cash)
    acc_ix = {a: i for i, a in enumerate(accounts)}
    labels = _labels(book)
    tgt = {c: float(w) for c, w in targets.items()}

    sells = _sellable(book, guard, targets)
    n_sell = len(sells.keys)
    sell_acc = np.array([acc_ix[a] for a, _ in sells.keys], dtype=np.int64)

    # capacity of each account: cash above the floor plus everything it could sell
    floors = np.array([opts.floor(a) for a in accounts])
    cash0 = np.array([book.cash[a] for a in accounts])
    sellable = np.bincount(sell_acc, weights=sells.ub * sells.price, minlength=len(accounts))
    for i, a in enumerate(accounts):
        if cash0[i] + sellable[i] < floors[i] - 0.005:
            need = floors[i] - cash0[i]
            raise PlanningError(
                f"account {labels[a]} must raise {_money(need)} of cash (withdrawal or cash "
                f"floor) but can sell at most {_money(sellable[i])} (restrictions, untrusted "
                "lots, wash-sale guard or short-term gains); lower the withdrawal or the floor")
    cap = np.maximum(cash0 - floors, 0.0) + sellable
    short = {labels[a]: float(floors[i] - cash0[i]) for i, a in enumerate(accounts)
             if floors[i] - cash0[i] > 0.005}

    buy_keys, buy_price, buy_rank, buy_cls, buy_known = _buys(book, guard, targets, accounts,
                                                              cap)
    n_buy = len(buy_keys)
    buy_acc = np.array([acc_ix[a] for a, _, _ in buy_keys], dtype=np.int64)
    buy_ub = cap[buy_acc] / buy_price if n_buy else np.zeros(0)

    # --- trade columns: shares; costs per share -------------------------------------------------
    drags = fund_drag_rates(book.household, [k[1] for k in sells.keys]
                            + [k[1] for k in buy_keys])

    def loc(classes: dict, account: str, symbol: str) -> float:
        treat = book.treatment[account]
        return opts.lambda_location * sum(
            w * location_cost(c, treat, drags.get(symbol, 0.0)) for c, w in classes.items())

    sell_cost = sells.price * (opts.trade_cost - np.array(
        [loc(k, a, y) for k, (a, y) in zip(sells.classes, sells.keys, strict=True)]))
    buy_cost = buy_price * (opts.trade_cost + _RANK_COST * buy_rank + np.array(
        [loc(k, a, y) for k, (a, y, _) in zip(buy_cls, buy_keys, strict=True)]))
    sell_col = prog.cols(n_sell, 0.0, sells.ub, sell_cost)
    buy_col = prog.cols(n_buy, 0.0, buy_ub, buy_cost)
    on_cols = np.zeros(0, dtype=np.int64)
    if opts.min_trade > 0:  # each trade 0 or at least min_trade dollars: one binary each
        cols = np.r_[sell_col, buy_col]
        least = (opts.min_trade + 0.01) / np.r_[sells.price, buy_price]
        most = np.r_[sells.ub, buy_ub]
        on_cols = prog.cols(len(cols), 0.0, (most >= least).astype(float), 0.0, 1)
        k = np.arange(len(cols))
        prog.rows(np.full(len(cols), -math.inf), np.zeros(len(cols)), np.r_[k, k],
                  np.r_[cols, on_cols], np.r_[np.ones(len(cols)), -most], count=len(cols))
        prog.rows(np.zeros(len(cols)), np.full(len(cols), math.inf), np.r_[k, k],
                  np.r_[cols, on_cols], np.r_[np.ones(len(cols)), -least], count=len(cols))

    # --- lots: a taxable holding's shares sold = its lots' shares sold ----------------------------
    if sells.lots:
        lot_hold, lot_pos, lot_q, lot_gain, lot_long = (
            np.concatenate(x) for x in zip(*[(np.full(len(p), h), p, q, g, lg)
                                             for h, p, q, g, lg in sells.lots], strict=True))
        lot_long = lot_long.astype(bool)
    else:
        lot_hold = lot_pos = np.zeros(0, dtype=np.int64)
        lot_q = lot_gain = np.zeros(0)
        lot_long = np.zeros(0, dtype=bool)
    lot_col = prog.cols(len(lot_q), 0.0, lot_q, 0.0)
    if len(lot_q):
        holds, row = np.unique(lot_hold, return_inverse=True)
        prog.rows(np.zeros(len(holds)), np.zeros(len(holds)),
                  np.r_[np.arange(len(holds)), row], np.r_[sell_col[holds], lot_col],
                  np.r_[np.ones(len(holds)), -np.ones(len(lot_col))], count=len(holds))

    # --- cash per account: start + contribution + sales - buys >= floor --------------------------
    prog.rows(floors - cash0, np.full(len(accounts), math.inf),
              np.r_[sell_acc, buy_acc], np.r_[sell_col, buy_col],
              np.r_[sells.price, -buy_price], count=len(accounts))

    _class_rows(prog, opts, tgt, cv, total, float(floors.sum()),
                [(sell_col[k], -p, w) for k, (p, w) in enumerate(zip(
                    sells.price, sells.classes, strict=True))]
                + [(buy_col[k], p, w) for k, (p, w) in enumerate(zip(
                    buy_price, buy_cls, strict=True))])

    netting, _ = _tax(prog, profile, opts, lot_col, lot_gain, lot_long)
    binaries = list(netting)
    if opts.gains_budget is not None and len(lot_col):
        prog.row(-math.inf, float(opts.gains_budget), lot_col, lot_gain)

    # --- wash sales within the plan ---------------------------------------------------------------
    wash_groups: dict[str, Any] = {}
    if guard.enabled and len(lot_col) and n_buy:
        lg: dict[str, list[int]] = {}
        for i in np.flatnonzero(lot_gain < 0):
            lg.setdefault(guard.group(sells.keys[lot_hold[i]][1]), []).append(int(i))
        bg: dict[str, list[int]] = {}
        for k, (_, f, _) in enumerate(buy_keys):
            if guard.group(f) in lg:
                bg.setdefault(guard.group(f), []).append(k)
        for g, bl in bg.items():
            li, bk = np.array(lg[g]), np.array(bl)
            y = None
            if opts.wash_binaries:  # loss shares sold <= their shares x y; buys <= M (1 - y)
                y = int(prog.cols(1, 0.0, 1.0, 0.0, 1)[0])
                prog.row(-math.inf, 0.0, np.r_[lot_col[li], y],
                         np.r_[np.ones(len(li)), -lot_q[li].sum()])
                big = float(cap[np.unique(buy_acc[bk])].sum())
                prog.row(-math.inf, big, np.r_[buy_col[bk], y], np.r_[buy_price[bk], big])
                binaries.append(y)
            wash_groups[g] = (li, bk, y)

    return _Model(
        prog=prog, sell_keys=sells.keys, sell_col=sell_col, sell_price=sells.price,
        sell_ub=sells.ub, sell_qty=np.array([book.holdings[k].quantity for k in sells.keys],
                                            dtype=float),
        lot_col=lot_col, lot_hold=lot_hold, lot_pos=lot_pos, lot_gain=lot_gain,
        lot_long=lot_long, buy_keys=buy_keys, buy_col=buy_col, buy_price=buy_price,
        buy_whole=buy_known,
        binaries=np.r_[np.array(binaries, dtype=np.int64), on_cols].astype(np.int64),
        netting=np.array(netting, dtype=np.int64), wash_groups=wash_groups, total=total,
        short=short, notes=list(dict.fromkeys(sells.notes)),
        counts={"lots": int(len(lot_col)), "holdings": n_sell, "buys": n_buy,
                "wash_groups": len(wash_groups)})


def _class_rows(prog: Program, opts, tgt: dict[str, float], cv: dict[str, float],
                total: float, floors_total: float, trades: list) -> None:
    """Each class's final deviation from target, split at the band edge and penalised.

    Also the hard band rows (``within_band``) and drift bounds (``match_drift``).
    ``trades``: (column, signed dollars per share: + buys, - sells, class weights).
    """
    classes = [c for c in dict.fromkeys([*tgt, *cv, *(c for _, _, w in trades for c in w)])
               if c != UNCLASSIFIED]
    cix = {c: k for k, c in enumerate(classes)}
    nc = len(classes)
    t_arr = np.array([tgt.get(c, 0.0) for c in classes])
    hw = opts.band.half_width(pd.Series(t_arr, index=classes)).to_numpy()
    lower = np.maximum(t_arr - hw, 0.0)
    upper = t_arr + hw
    band = opts.to == "band"
    pen_up = (upper - t_arr) * total if band else np.zeros(nc)
    pen_dn = (t_arr - lower) * total if band else np.zeros(nc)
    lam_d, lam_b = opts.lambda_drift, opts.lambda_band
    dp1 = prog.cols(nc, 0.0, pen_up, lam_d)
    dp2 = prog.cols(nc, 0.0, math.inf, lam_d + lam_b)
    dn1 = prog.cols(nc, 0.0, pen_dn, lam_d)
    dn2 = prog.cols(nc, 0.0, math.inf, lam_d + lam_b)
    cash_k = cix["cash"]
    ri, rj, rv = [], [], []
    for col, dollars, weights in trades:  # a buy adds to its classes, takes from cash
        for c, w in weights.items():
            if c in cix:
                ri.append(cix[c])
                rj.append(col)
                rv.append(w * dollars)
        ri.append(cash_k)
        rj.append(col)
        rv.append(-dollars)
    ks = np.arange(nc)
    rhs = np.array([t_arr[k] * total - cv.get(c, 0.0) for k, c in enumerate(classes)])
    prog.rows(rhs, rhs, np.r_[ri, ks, ks, ks, ks], np.r_[rj, dp1, dp2, dn1, dn2],
              np.r_[rv, -np.ones(2 * nc), np.ones(2 * nc)], count=nc)

    def bounds(lo: np.ndarray, hi: np.ndarray) -> None:  # lo <= final - target <= hi
        prog.rows(lo, hi, np.r_[ks, ks, ks, ks], np.r_[dp1, dp2, dn1, dn2],
                  np.r_[np.ones(2 * nc), -np.ones(2 * nc)], count=nc)

    if opts.within_band:
        lo = (lower - t_arr) * total
        hi = (upper - t_arr) * total
        hi[cash_k] = max(hi[cash_k], floors_total - t_arr[cash_k] * total)  # floors are cash
        margin = np.minimum(1e-9 * total, (hi - lo) / 4)  # stay clear of the band's edges
        bounds(lo + margin, hi - margin)
    if opts.match_drift is not None:
        tol = 0.01 + 1e-7 * total  # a cent and the solver's tolerance ($1 per $10M)
        m = np.array([opts.match_drift.get(c, 0.0) for c in classes]) * total + tol
        bounds(-m, m)


def _tax(prog: Program, profile, opts, lot_col, lot_gain, lot_long) -> tuple[list[int], dict]:
    """Tax columns and rows (module docstring, "Tax").

    Returns the netting binaries and the tax columns by name.
    """
    pos = lot_gain > 0
    neg = lot_gain < 0
    rs, rl = float(profile.realized_short_term), float(profile.realized_long_term)
    base_ps, base_pl = max(rs, 0.0), max(rl, 0.0)
    base_ns = max(-rs, 0.0) + float(profile.carryforward_short_term)
    base_nl = max(-rl, 0.0) + float(profile.carryforward_long_term)
    lot_q = _col_ub(prog, lot_col)
    gps = base_ps + float((lot_gain * lot_q)[pos & ~lot_long].sum())
    gpl = base_pl + float((lot_gain * lot_q)[pos & lot_long].sum())
    gns = base_ns - float((lot_gain * lot_q)[neg & ~lot_long].sum())
    gnl = base_nl - float((lot_gain * lot_q)[neg & lot_long].sum())
    curves = tax_curves(profile, short_term_max=gps, long_term_max=gpl)
    exact = opts.exact_netting
    rd = curves.deduction_rate if exact else min(
        curves.deduction_rate, float(curves.short_term.slopes[0]),
        float(curves.long_term.slopes[0]))
    xs = prog.cols(len(curves.short_term.slopes), 0.0, curves.short_term.lengths,
                   curves.short_term.slopes)
    xl = prog.cols(len(curves.long_term.slopes), 0.0, curves.long_term.lengths,
                   curves.long_term.slopes)
    u_ss, u_sl, u_ll, u_ls, m_s, m_l, w_s, w_l = prog.cols(8, 0.0, math.inf, 0.0)
    prog.cost[-1][4:6] = -rd
    if not exact:
        prog.ub[-1][3] = 0.0  # a long-term loss cannot offset a short-term gain (conservative)
        if curves.long_term.slopes.max() > curves.short_term.slopes.min():
            # the LP could offset long-term gains before short-term ones: forbid it too
            prog.ub[-1][1] = 0.0
    st = ~lot_long
    lt = lot_long
    # short-term gains left = ST gains - ST losses and LT losses set against them
    prog.row(base_ps, base_ps, np.r_[xs, u_ss, u_ls, lot_col[pos & st]],
             np.r_[np.ones(len(xs)), 1.0, 1.0, -lot_gain[pos & st]])
    prog.row(base_pl, base_pl, np.r_[xl, u_ll, u_sl, lot_col[pos & lt]],
             np.r_[np.ones(len(xl)), 1.0, 1.0, -lot_gain[pos & lt]])
    # every loss is used: against gains, deducted, or carried forward
    prog.row(base_ns, base_ns, np.r_[u_ss, u_sl, m_s, w_s, lot_col[neg & st]],
             np.r_[1.0, 1.0, 1.0, 1.0, lot_gain[neg & st]])
    prog.row(base_nl, base_nl, np.r_[u_ll, u_ls, m_l, w_l, lot_col[neg & lt]],
             np.r_[1.0, 1.0, 1.0, 1.0, lot_gain[neg & lt]])
    lim = curves.loss_limit
    cols = {"short_term": xs, "long_term": xl, "deducted": np.array([m_s, m_l]),
            "curves": curves, "deduction_rate": rd}
    if not exact:
        prog.row(-math.inf, lim, [m_s, m_l], [1.0, 1.0])
        return [], cols
    z_s, z_l, z_d = (int(j) for j in prog.cols(3, 0.0, 1.0, 0.0, 1))
    big_s, big_l = max(gps, 1.0), max(gpl, 1.0)
    # ST losses reach LT gains only once ST gains are all offset (and LT losses ST gains)
    prog.row(-math.inf, 0.0, [u_sl, z_s], [1.0, -max(min(gns, gpl), 1.0)])
    prog.row(-math.inf, big_s, np.r_[xs, z_s], np.r_[np.ones(len(xs)), big_s])
    prog.row(-math.inf, 0.0, [u_ls, z_l], [1.0, -max(min(gnl, gps), 1.0)])
    prog.row(-math.inf, big_l, np.r_[xl, z_l], np.r_[np.ones(len(xl)), big_l])
    # a loss is deducted only once every gain is offset
    prog.row(-math.inf, 0.0, [m_s, m_l, z_d], [1.0, 1.0, -lim])
    prog.row(-math.inf, big_s + big_l, np.r_[xs, xl, z_d],
             np.r_[np.ones(len(xs) + len(xl)), big_s + big_l])
    return [z_s, z_l, z_d], cols


def _col_ub(prog: Program, cols: np.ndarray) -> np.ndarray:
    if not len(cols):
        return np.zeros(0)
    ub = np.concatenate(prog.ub)
    return ub[cols]


def _labels(book: Book) -> dict[str, str]:
    return {a: book.labels.get(a, a) for a in book.cash}


# --- solving -------------------------------------------------------------------------------------


def _fail(sol: Solution, opts, what: str = "", short: dict[str, float] | None = None
          ) -> PlanningError:
    """A clear error for a program HiGHS could not solve.

    ``short``: account label -> cash it must raise for a withdrawal or floor, dollars.
    """
    status = sol.status
    if "nfeasible" in status and short and opts.match_drift is None and not opts.within_band:
        who = ", ".join(f"{a} must raise {_money(v)}" for a, v in short.items())
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


def _polish(model: _Model, x: np.ndarray, integer_cols: np.ndarray) -> Solution | None:
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


def _whole_shares(model: _Model, x: np.ndarray, opts, widen: int) -> None:
    """Restrict every trade to the whole shares either side of ``x`` (module docstring).

    Each trade may take any whole number of shares from one below the whole part of its
    fractional value to one above it (``floor(x) - 1`` to ``floor(x) + 1``: rounding down,
    up, or one further when cash or the band needs it); a sale that reaches into the last
    fraction of a position sells the whole position (a fractional remainder can always be
    sold). ``widen`` adds that many shares either side.
    """
    prog = model.prog
    ub_all = np.concatenate(prog.ub)
    n_sell = len(model.sell_col)
    cols = np.r_[model.sell_col, model.buy_col]
    whole = np.r_[np.ones(n_sell, dtype=bool), model.buy_whole]
    price = np.r_[model.sell_price, model.buy_price]
    v = x[cols]
    zero = v <= 1e-9
    lo = np.maximum(np.floor(v + 1e-9) - 1.0 - widen, 0.0)
    hi = np.floor(v + 1e-9) + 1.0 + widen
    if opts.min_trade > 0:
        least = np.ceil((opts.min_trade + 0.01) / price - 1e-9)
        lo = np.where(zero, 0.0, np.maximum(lo, least))
        hi = np.maximum(hi, lo)
    fix0 = zero & (widen == 0)
    prog.set_bounds(cols[fix0], 0.0, 0.0)
    ints = []
    for k in np.flatnonzero(~fix0 & whole):
        j = cols[k]
        q = ub_all[j]
        if hi[k] > q + 1e-9:
            if k < n_sell and abs(q - model.sell_qty[k]) <= 1e-9 and not widen:
                prog.set_bounds(j, q, q)  # the whole position
                continue
            hi[k] = math.floor(q + 1e-9)
        prog.set_bounds(j, min(lo[k], hi[k]), hi[k])
        ints.append(j)
    prog.set_kind(np.array(ints, dtype=np.int64), 1)
    if len(model.netting):
        prog.set_bounds(model.netting, 0.0, 1.0)
        prog.set_kind(model.netting, 1)


def _fallback(model: _Model, seconds: float) -> Solution:
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


def _solve(model: _Model, opts, profile) -> tuple[np.ndarray, dict, list[str]]:
    prog = model.prog
    notes: list[str] = []
    prog.build(time_limit=opts.time_limit, mip_gap=opts.mip_gap)
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
            "mip_gap": float(main.mip_gap), "time": 0.0, "solves": solves,
            "columns": prog.n, "rows": prog.m, "binaries": int(len(model.binaries)),
            **model.counts}
    if "ime limit" in main.status and math.isfinite(main.mip_gap):
        notes.append(f"the optimiser stopped at its time limit ({opts.time_limit:g} s) with a "
                     f"proven gap of {main.mip_gap:.2%}: a good plan, perhaps not the cheapest")
    whole = None
    if opts.whole_shares:
        frac_x, frac_obj = x, float(sol.objective)
        for widen in (0, 1):
            _whole_shares(model, frac_x, opts, widen)
            ws = prog.solve()
            solves += 1
            seconds += ws.time
            if ws.ok:
                break
        else:
            raise _fail(ws, opts, " in whole shares", short=model.short)
        ints = np.r_[model.sell_col, model.buy_col]
        pol = _polish(model, ws.x, ints)
        solves += 1
        if pol is not None:
            seconds += pol.time
            ws = pol
        x = ws.x
        t_frac = _exact_tax(model, frac_x, profile)
        t_whole = _exact_tax(model, x, profile)
        whole = {"objective_fractional": frac_obj, "objective_whole": float(ws.objective),
                 "objective_difference": float(ws.objective) - frac_obj,
                 "tax_fractional": t_frac, "tax_whole": t_whole,
                 "tax_difference": round(t_whole - t_frac, 2), "widened": bool(widen)}
        notes.append(f"whole shares: tax {t_whole - t_frac:+,.2f} dollars and objective "
                     f"{ws.objective - frac_obj:+,.2f} against the fractional-share optimum")
        info["objective"] = float(ws.objective)
    info["time"] = seconds
    info["solves"] = solves
    return x, {"solver": info, **({"whole_shares": whole} if whole else {})}, notes


def _exact_tax(model: _Model, x: np.ndarray, profile) -> float:
    from toolkit.tax.gains import gains_tax

    g = x[model.lot_col] * model.lot_gain
    st = float(g[~model.lot_long].sum())
    lt = float(g[model.lot_long].sum())
    return gains_tax(profile, short_term=st, long_term=lt).total


# --- applying ------------------------------------------------------------------------------------


def _apply(book: Book, model: _Model, x: np.ndarray, targets: pd.Series) -> None:
    from toolkit.planner.waterfall import deficits

    opts = book.options
    d = deficits(book, targets)
    labels = _labels(book)
    by_hold: dict[int, np.ndarray] = {}
    if len(model.lot_col):
        sold = np.flatnonzero(x[model.lot_col] > 1e-9)
        for i in sold:
            by_hold.setdefault(int(model.lot_hold[i]), []).append(int(i))
    for k, (a, sym) in enumerate(model.sell_keys):
        sh = float(x[model.sell_col[k]])
        if sh <= 1e-9:
            continue
        hd = book.holdings[(a, sym)]
        c = ",".join(hd.classes)
        over = -sum(w * d.get(cl, 0.0) for cl, w in hd.classes.items())
        lab = labels[a]
        if book.treatment[a] != "taxable":
            why = (f"sell {c} (overweight by {_money(over)}) inside {lab}: no tax in a "
                   "tax-advantaged account" if over > 0.5 else
                   f"sell {c} inside {lab} to place it in a better account: no tax in a "
                   "tax-advantaged account")
            book.sell(a, sym, float(sh * hd.price), step=0, reason=why)
            continue
        idx = np.array(by_hold.get(k, []), dtype=np.int64)
        if not len(idx):
            continue
        lb = book.lots[(a, sym)]
        take = np.zeros(len(lb.quantity))
        take[model.lot_pos[idx]] = np.minimum(x[model.lot_col[idx]], lb.quantity[
            model.lot_pos[idx]])
        order = model.lot_pos[idx][np.argsort(model.lot_gain[idx], kind="stable")]
        gain = float((take[model.lot_pos[idx]] * model.lot_gain[idx]).sum())
        if (model.lot_gain[idx] < 0).all():
            why = f"harvest a {_money(-gain)} loss on {sym} in taxable {lab}"
            why += (f"; {c} is overweight by {_money(over)}" if over > 0.5 else
                    ": the proceeds buy a fund that is not substantially identical")
        elif over > 0.5:
            why = (f"sell {c} (overweight by {_money(over)}) in taxable {lab}: the lots with "
                   "the least tax for the drift removed")
        else:
            why = f"sell {c} in taxable {lab} to place it in a better account"
        book.sell(a, sym, 0.0, take=take, order=order, step=0, reason=why)
    for k, (a, f, c) in enumerate(model.buy_keys):
        sh = float(x[model.buy_col[k]])
        if sh <= 1e-9:
            continue
        dollars = float(sh * model.buy_price[k])
        room = book.cash[a] - opts.floor(a)
        if dollars > room or room - dollars < 0.01:  # solver dust: spend to the cent
            dollars = max(room, 0.0)
        under = d.get(c, 0.0)
        why = place_reason(c, book.treatment[a])
        lab = labels[a]
        text = (f"buy {c} (underweight by {_money(under)}) in {lab}" if under > 0.5 else
                f"buy {c} in {lab} to keep the allocation after the sales")
        book.buy(a, f, dollars, asset_class=c, step=0,
                 reason=text + (f": {why}" if why else ""))


def _band_notes(book: Book, targets: pd.Series, model: _Model) -> list[str]:
    from toolkit.planner.waterfall import outside

    ob = outside(book, targets, book.options.band)
    out = []
    total = model.total or 1.0
    step = float(np.r_[model.sell_price, model.buy_price, 0.0].max())
    for c, r in ob.iterrows():
        if c == UNCLASSIFIED or not r["outside"]:
            continue
        over = (r["current"] - r["upper"]) * total
        if c == "cash" and book.options.whole_shares and 0 < over <= step * len(book.cash):
            continue  # cash left over by whole-share rounding
        out.append(f"{c}: still outside its band after the plan ({r['current']:.2%} against "
                   f"{r['lower']:.2%}-{r['upper']:.2%}): restrictions, the wash-sale guard, "
                   "short-term gains or the gains budget stop it, or its tax costs more than "
                   "lambda_band")
    return out


def optimize(book: Book, targets: pd.Series, profile, rates: Mapping[str, float]) -> list[str]:
    """Choose every trade at once with HiGHS and leave them in ``book`` (step 0).

    Parameters
    ----------
    book : Book
        The working state (holdings, cash with contributions, taxable lots, options).
    targets : Series
        Asset class -> target weight (fractions).
    profile : TaxProfile
        The year, with gains realised so far (:func:`toolkit.tax.year_to_date_profile`).
    rates : mapping
        Marginal rates at the profile (:func:`toolkit.tax.marginal_rates`); kept for the
        planner's common signature: the program uses the exact tax curves instead.

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
    del rates
    guard = Guard(book, book.contributions)
    model = _build(book, targets, profile, guard)
    x, extra, notes = _solve(model, book.options, profile)
    _apply(book, model, x, targets)
    book.extra.update(extra)
    if not book.options.within_band:
        notes += _band_notes(book, targets, model)
    return list(dict.fromkeys([*model.notes, *notes]))


#: What "cheapest" means: tax, with a trade cost only large enough to break ties.
_CHEAPEST = {"lambda_drift": 0.0, "lambda_location": 0.0, "lambda_band": 0.0,
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
        An ``optimal`` plan with ``summary["within_band"]`` True.

    Raises
    ------
    PlanningError
        If no plan can get every class within the band (restrictions, the wash-sale guard,
        short-term gains, the gains budget or cash floors stop it).
    """
    from toolkit.planner import plan

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
    from toolkit.planner import plan

    kw = {"match_drift": reference, **_CHEAPEST, **kwargs}
    return plan(household, contributions, mode="optimal", targets=targets, options=options,
                **kw)
