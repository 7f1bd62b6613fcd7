"""Step 2's allocation: which classes each tax-advantaged account sells and buys.

Trades inside IRAs, Roth IRAs, employer plans and HSAs cost no tax, so together these accounts
can take whatever mix of classes brings the household closest to its target, limited only by
what each account holds and may sell and the classes it has a fund for. Choosing pair by pair
(sell this overweight class here, buy that underweight one) misses the chains a least-tax plan
needs: when only an IRA has a REIT fund, the IRA should hold the REITs and the Roth the stocks
the IRA sold, so that no taxable account has to sell at a gain for them.

:func:`allocate` solves that as a small linear program (HiGHS): least total absolute drift
after the trades first, then the placement playbook (each class where it fits best), then the
fewest dollars traded. Shares, funds and reasons are the waterfall's (:mod:`.waterfall`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.location import placement_score
from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import SHRINK_RULE, Guard
from toolkit.planner._highs import Program
from toolkit.schema import UNCLASSIFIED

__all__ = ["allocate"]

_SKIP = ("cash", UNCLASSIFIED)
#: Objective weights per dollar: drift dominates; the placement score (0-3) then breaks ties
#: between plans of equal drift, but never pays for a trade by itself (a swap of two classes
#: between two accounts trades four times its size: 4 x 1e-3 > 3 x 2 x 1e-4).
TRADE_COST = 1e-3
PLACEMENT = 1e-4


def allocate(book: Book, guard: Guard, targets: pd.Series
             ) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """Dollars each tax-advantaged account should sell and buy, per asset class.

    Parameters
    ----------
    book : Book
        The plan so far (step 1 done).
    guard : Guard
        What each account may sell and which fund it would buy for a class.
    targets : Series
        Class -> target weight.

    Returns
    -------
    dict
        Account -> ``(sell, buy)``, each class -> dollars (only amounts above a cent). Sales
        are of single-class funds the account may sell; buys of classes it has a fund for.

    Raises
    ------
    PlanningError
        If HiGHS fails on the program (trading nothing is always feasible, so this is a
        solver failure, reported rather than taken as "no trades").
    """
    total = book.total()
    cv = book.class_values()
    classes = sorted(c for c in set(targets.index) | set(cv) if c not in _SKIP)
    cidx = {c: i for i, c in enumerate(classes)}
    sells: list[tuple[str, str, float]] = []  # (account, class, dollars it may sell)
    buys: list[tuple[str, str]] = []
    buy_cap: list[float] = []  # a smaller sale of what the plan sells there: up to that sale
    for a, treat in book.treatment.items():
        if treat == "taxable":
            continue
        for c in classes:
            cap = sum(hd.value for hd in book.held(a, c) if guard.may_sell(a, hd.symbol))
            if cap > 0.005:
                sells.append((a, c, cap))
            hit = guard.choice(a, c)
            if hit is not None:
                buys.append((a, c))
                buy_cap.append(book.sold_here(a, c)[hit[0]] if hit[1] == SHRINK_RULE
                               else math.inf)
    if not sells or not buys:
        return {}
    accounts = sorted({a for a, _, _ in sells} & {a for a, _ in buys})
    sells = [s for s in sells if s[0] in accounts]
    buy_cap = [c for b, c in zip(buys, buy_cap, strict=True) if b[0] in accounts]
    buys = [b for b in buys if b[0] in accounts]
    if not sells or not buys:
        return {}
    p = Program()
    ys = p.cols(len(sells), ub=[cap for _, _, cap in sells],
                cost=[TRADE_COST + PLACEMENT * placement_score(c, book.treatment[a])
                      for a, c, _ in sells])
    xs = p.cols(len(buys), ub=buy_cap,
                cost=[TRADE_COST - PLACEMENT * placement_score(c, book.treatment[a])
                      for a, c in buys])
    us = p.cols(len(classes), cost=1.0)
    # each account spends what it sells
    ai = {a: i for i, a in enumerate(accounts)}
    p.rows(np.zeros(len(accounts)), np.zeros(len(accounts)),
           [ai[a] for a, _, _ in sells] + [ai[a] for a, _ in buys],
           np.r_[ys, xs], np.r_[-np.ones(len(sells)), np.ones(len(buys))])
    # u_c >= |deficit after|, deficit after = target - value + sold - bought
    r0 = np.array([float(targets.get(c, 0.0)) * total - cv.get(c, 0.0) for c in classes])
    si = [cidx[c] for _, c, _ in sells]
    bi = [cidx[c] for _, c in buys]
    n = len(classes)
    k = np.arange(n)
    # u - sold + bought >= r0   and   u + sold - bought >= -r0
    p.rows(r0, np.full(n, math.inf), np.r_[k, si, bi], np.r_[us, ys, xs],
           np.r_[np.ones(n), -np.ones(len(sells)), np.ones(len(buys))])
    p.rows(-r0, np.full(n, math.inf), np.r_[k, si, bi], np.r_[us, ys, xs],
           np.r_[np.ones(n), np.ones(len(sells)), -np.ones(len(buys))])
    p.build(time_limit=10.0, mip_gap=0.0)
    sol = p.solve()
    if not sol.ok:  # trading nothing is always feasible: a failure here is the solver's
        raise PlanningError(f"step 2's program (the tax-advantaged trades) failed (HiGHS: "
                            f"{sol.status})")
    out: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    for (a, c, _), v in zip(sells, sol.x[ys], strict=True):
        if v > 0.01:
            out.setdefault(a, ({}, {}))[0][c] = float(v)
    for (a, c), v in zip(buys, sol.x[xs], strict=True):
        if v > 0.01:
            out.setdefault(a, ({}, {}))[1][c] = float(v)
    # a class both sold and bought in one account nets out
    for sell, buy in out.values():
        for c in set(sell) & set(buy):
            net = sell[c] - buy[c]
            del sell[c], buy[c]
            if net > EPS:
                sell[c] = net
            elif net < -EPS:
                buy[c] = -net
    return {a: sb for a, sb in out.items() if sb[0] or sb[1]}
