"""The optimiser's program: its variables, constraints and objective, built from a Book.

:func:`build_model` turns the planner's working state into one HiGHS program over every lot,
holding and buy (the program is described in :mod:`toolkit.planner.optimize`) and returns it
as a :class:`Model`: the program plus what each column means. Solving and applying the
solution is :func:`toolkit.planner.optimize.optimize`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.location import fund_drag_rates, placement_score
from toolkit.planner._book import EPS, Book
from toolkit.planner._branch import Choice
from toolkit.planner._guard import Guard
from toolkit.planner._highs import Program
from toolkit.planner._taxcurve import tax_curves
from toolkit.planner.waterfall import deficits, money_text
from toolkit.schema import UNCLASSIFIED

__all__ = [
    "LOCATION_DRAG_PER_POINT",
    "Model",
    "account_labels",
    "build_model",
    "location_cost",
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
    best = max(placement_score(asset_class, t) for t in _TREATMENTS)
    tie = LOCATION_DRAG_PER_POINT * (best - placement_score(asset_class, treatment))
    return (max(drag, 0.0) if treatment == "taxable" else 0.0) + tie


@dataclass
class Model:
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
    buy_price: np.ndarray
    buy_whole: np.ndarray  # the fund trades in whole shares
    sell_whole: np.ndarray  # the holding trades in whole shares
    on_cols: np.ndarray  # per sell then buy column: 0 or at least min_trade (when rounding)
    slack: np.ndarray  # how far band / match rows may give (priced, opened when rounding)
    binaries: np.ndarray  # the binaries of the first solve: wash y_g, netting z
    netting: np.ndarray  # the netting binaries
    wash_groups: dict  # group -> (loss lot indices, buy indices, y column or None)
    choices: list  # each binary of the first solve as a Choice (what it switches off)
    sell_acc: np.ndarray  # account number of each sellable holding
    buy_acc: np.ndarray  # account number of each buy
    cash_room: np.ndarray  # per account: cash above its floor before any trade (dollars)
    total: float  # household value, dollars
    short: dict  # account label -> cash it must raise (withdrawal or floor), dollars
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _eligible(book: Book, guard: Guard, account: str, asset_class: str) -> list[str]:
    """Funds ``account`` may buy for ``asset_class``: first choice, held, another group.

    The first of another substantially-identical group lets a loss be harvested and the class
    kept.
    """
    elig = [s for s, _ in guard.eligible(account, asset_class) if guard.buy_blocked(s) is None]
    if not elig:
        return []
    out = elig[:1]
    held = {hd.symbol for hd in book.held(account, asset_class)}
    out += [s for s in elig[1:] if s in held]
    groups = {guard.group(s) for s in out}
    other = next((s for s in elig if s not in out and guard.group(s) not in groups), None)
    if other is not None:
        out.append(other)
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
    opts = book.options
    need = deficits(book, targets)
    out = _Sells([], [], [], [], [], [])
    for (a, sym), hd in book.holdings.items():
        if hd.quantity <= EPS or not (hd.price == hd.price and hd.price > 0):
            continue
        if UNCLASSIFIED in hd.classes or not guard.may_sell(a, sym):
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
            ok = lb.quantity > EPS
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
    """Eligible buys: keys (account, fund, class), prices, ranks, class weights, whole shares."""
    master = book.household.securities
    want = [c for c, w in targets.items() if w > 0 and c not in _SKIP]
    keys, price, rank, classes, whole = [], [], [], [], []
    seen = set()
    for i, a in enumerate(accounts):
        if cap[i] <= 0.005:
            continue
        for c in want:
            for r, f in enumerate(_eligible(book, guard, a, c)):
                if (a, f) in seen:
                    continue
                seen.add((a, f))
                w = master.weights(f)
                keys.append((a, f, c))
                price.append(book.price_of(f))
                whole.append(not book.in_dollars(a, f))
                rank.append(r)
                classes.append({c: 1.0} if UNCLASSIFIED in w else w)
    return (keys, np.array(price, dtype=float), np.array(rank, dtype=float), classes,
            np.array(whole, dtype=bool))


def build_model(book: Book, targets: pd.Series, profile, guard: Guard) -> Model:
    """The program for ``book`` (module docstring of :mod:`toolkit.planner.optimize`).

    Parameters
    ----------
    book : Book
        Holdings, cash with contributions, taxable lots and options.
    targets : Series
        Asset class -> target weight (fractions).
    profile : TaxProfile
        The year priced (the planner's year-to-date profile).
    guard : Guard
        Fund eligibility and the wash-sale guard.

    Returns
    -------
    Model
    """
    opts = book.options
    prog = Program()
    cv = book.class_values()
    total = sum(cv.values())
    accounts = list(book.cash)
    acc_ix = {a: i for i, a in enumerate(accounts)}
    labels = account_labels(book)
    tgt = {c: float(w) for c, w in targets.items()}

    sells = _sellable(book, guard, targets)
    n_sell = len(sells.keys)
    sell_acc = np.array([acc_ix[a] for a, _ in sells.keys], dtype=np.int64)

    # capacity of each account: cash above the floor plus everything it could sell
    floors = np.array([book.floor(a) for a in accounts])
    cash0 = np.array([book.cash[a] for a in accounts])
    sellable = np.bincount(sell_acc, weights=sells.ub * sells.price, minlength=len(accounts))
    for i, a in enumerate(accounts):
        if cash0[i] + sellable[i] < floors[i] - 0.005:
            need = floors[i] - cash0[i]
            raise PlanningError(
                f"account {labels[a]} must raise {money_text(need)} of cash (withdrawal or cash "
                f"floor) but can sell at most {money_text(sellable[i])} (restrictions, untrusted "
                "lots, wash-sale guard or short-term gains); lower the withdrawal or the floor")
    cap = np.maximum(cash0 - floors, 0.0) + sellable
    short = {labels[a]: float(floors[i] - cash0[i]) for i, a in enumerate(accounts)
             if floors[i] - cash0[i] > 0.005}

    buy_keys, buy_price, buy_rank, buy_cls, buy_whole = _buys(book, guard, targets, accounts,
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
    if opts.min_trade > 0:  # each trade 0 or at least min_trade dollars (or, for a sale, the
        # whole position when that is less): an on/off column
        # each (continuous in the first solve; binary for the trades made, when rounding)
        cols = np.r_[sell_col, buy_col]
        least = (opts.min_trade + 0.01) / np.r_[sells.price, buy_price]
        most = np.r_[sells.ub, buy_ub]
        # a position worth less than the minimum may still be sold whole (a withdrawal or a
        # cash floor may need it; the waterfall sells it too)
        least[:n_sell] = np.minimum(least[:n_sell], most[:n_sell])
        on_cols = prog.cols(len(cols), 0.0, ((most >= least) & (most > 0)).astype(float),
                            0.0, 0)
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

    slack = _class_rows(prog, opts, tgt, cv, total, float(floors.sum()),
                [(sell_col[k], -p, w) for k, (p, w) in enumerate(zip(
                    sells.price, sells.classes, strict=True))]
                + [(buy_col[k], p, w) for k, (p, w) in enumerate(zip(
                    buy_price, buy_cls, strict=True))])

    netting, tax_cols = _tax(prog, profile, opts, lot_col, lot_gain, lot_long)
    binaries = list(netting)
    choices = list(tax_cols["choices"])
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
                choices.append(Choice(y, (lot_col[li], sells.price[lot_hold[li]]),
                                      (buy_col[bk], buy_price[bk])))
            wash_groups[g] = (li, bk, y)

    return Model(
        prog=prog, sell_keys=sells.keys, sell_col=sell_col, sell_price=sells.price,
        sell_ub=sells.ub, sell_qty=np.array([book.holdings[k].quantity for k in sells.keys],
                                            dtype=float),
        lot_col=lot_col, lot_hold=lot_hold, lot_pos=lot_pos, lot_gain=lot_gain,
        lot_long=lot_long, buy_keys=buy_keys, buy_col=buy_col, buy_price=buy_price,
        buy_whole=buy_whole,
        sell_whole=np.array([not book.in_dollars(a, y) for a, y in sells.keys], dtype=bool),
        on_cols=on_cols, slack=slack,
        binaries=np.array(binaries, dtype=np.int64),
        netting=np.array(netting, dtype=np.int64), wash_groups=wash_groups, choices=choices,
        sell_acc=sell_acc, buy_acc=buy_acc, cash_room=cash0 - floors, total=total,
        short=short, notes=list(dict.fromkeys(sells.notes)),
        counts={"lots": int(len(lot_col)), "holdings": n_sell, "buys": n_buy,
                "wash_groups": len(wash_groups)})


#: Objective dollars per dollar a hard band or drift bound gives when whole shares or the
#: minimum trade cannot meet it exactly (the rounding stage only).
SLACK_COST = 10.0


def _class_rows(prog: Program, opts, tgt: dict[str, float], cv: dict[str, float],
                total: float, floors_total: float, trades: list) -> np.ndarray:
    """Each class's final deviation from target, split at the band edge and priced.

    In the band (or to target) a deviation costs ``lambda_drift`` per dollar; beyond it,
    the larger of the dollars above the bands and the dollars below them (classes but cash;
    the dollars that must still move to bring every class inside its band) costs
    ``drift_price`` per dollar too. Also the hard band rows (``within_band``) and drift
    bounds (``match_drift``), each with a slack column fixed at 0 until the rounding stage.
    ``trades``: (column, signed dollars per share: + buys, - sells, class weights).
    Returns the slack columns.
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
    lam_d = opts.lambda_drift
    dp1 = prog.cols(nc, 0.0, pen_up, lam_d)
    dp2 = prog.cols(nc, 0.0, math.inf, lam_d)
    dn1 = prog.cols(nc, 0.0, pen_dn, lam_d)
    dn2 = prog.cols(nc, 0.0, math.inf, lam_d)
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
    price = opts.price_of_drift
    if price > 0:  # drift_price x max(dollars above the bands, dollars below them)
        out = int(prog.cols(1, 0.0, math.inf, price)[0])
        rest = ks[ks != cash_k]
        for beyond in (dp2, dn2):
            prog.row(0.0, math.inf, np.r_[out, beyond[rest]], np.r_[1.0, -np.ones(len(rest))])
    slack: list[int] = []

    def bounds(lo: np.ndarray, hi: np.ndarray) -> None:  # lo <= final - target <= hi
        up, dn = prog.cols(nc, 0.0, 0.0, SLACK_COST), prog.cols(nc, 0.0, 0.0, SLACK_COST)
        slack.extend([*up, *dn])
        prog.rows(lo, hi, np.r_[ks, ks, ks, ks, ks, ks], np.r_[dp1, dp2, dn1, dn2, up, dn],
                  np.r_[np.ones(2 * nc), -np.ones(2 * nc), -np.ones(nc), np.ones(nc)],
                  count=nc)

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
    return np.array(slack, dtype=np.int64)


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
            "curves": curves, "deduction_rate": rd, "choices": []}
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
    # each binary as the either/or it is (toolkit.planner._branch): dollars on either side
    one = np.ones(1)
    cols["choices"] = [
        Choice(z_s, (np.array([u_sl]), one), (xs, np.ones(len(xs)))),
        Choice(z_l, (np.array([u_ls]), one), (xl, np.ones(len(xl)))),
        Choice(z_d, (np.array([m_s, m_l]), np.ones(2)),
               (np.r_[xs, xl], np.ones(len(xs) + len(xl)))),
    ]
    return [z_s, z_l, z_d], cols


def _col_ub(prog: Program, cols: np.ndarray) -> np.ndarray:
    if not len(cols):
        return np.zeros(0)
    ub = np.concatenate(prog.ub)
    return ub[cols]


def account_labels(book: Book) -> dict[str, str]:
    """Account id -> the label a note uses for it (its name and id)."""
    return {a: book.labels.get(a, a) for a in book.cash}

