"""The naive baseline: every account rebalanced to the household target on its own, FIFO lots.

This is what a spreadsheet or an account-by-account rebalancer does. It ignores where classes
should live, sells taxable lots first-in first-out (short-term gains included), and has no
wash-sale guard. It is still a sensible yardstick: an account sells only as much as it can
buy back into its underweight classes (a 401(k) with no fund for an underweight class does
not sell to leave the money idle), and an account whose own rebalancing would move the
household further from its target is left alone. The benchmarks report how much tax the
waterfall and the optimal plan save against it at the same final tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import Guard
from toolkit.planner.reasons import class_words
from toolkit.planner.waterfall import abs_drift

_SKIP = ("cash", "unclassified")


def naive(book: Book, targets: pd.Series, guard: Guard) -> list[str]:
    """Rebalance each account to ``targets`` within itself (step 0); returns notes.

    ``guard`` is used for fund choice only (build it with ``wash=False``). When the accounts'
    trades together would leave the household further from its target than it started, the
    accounts whose trades do most harm are left as they are until they do not.
    """
    notes: list[str] = []
    start = book.snapshot()
    before = abs_drift(book, targets)
    deltas: dict[str, dict[str, float]] = {}
    for a in list(book.cash):
        was = book.class_values(a)
        notes += _account(book, targets, guard, a)
        now = book.class_values(a)
        deltas[a] = {c: now.get(c, 0.0) - was.get(c, 0.0) for c in {*was, *now}}
    base = book.class_values()
    for c, v in book.class_values().items():  # the household as it started
        base[c] = v - sum(d.get(c, 0.0) for d in deltas.values())

    def drift_with(accounts: set[str]) -> float:
        cv = dict(base)
        for a in accounts:
            for c, v in deltas[a].items():
                cv[c] = cv.get(c, 0.0) + v
        total = sum(cv.values()) or 1.0
        classes = set(targets.index) | set(cv)
        return float(sum(abs(cv.get(c, 0.0) / total - targets.get(c, 0.0)) for c in classes))

    keep = {a for a, d in deltas.items() if any(abs(v) > 0.005 for v in d.values())}
    dropped = []
    while keep and drift_with(keep) > before + 1e-9:
        worst = min(keep, key=lambda a: drift_with(keep - {a}))
        keep.discard(worst)
        dropped.append(worst)
    if dropped:
        book.restore(start)
        for a in book.cash:
            if a in keep:
                _account(book, targets, guard, a)
        notes.append(f"naive: {', '.join(dropped)} left as they are: rebalancing them on their "
                     "own would leave the household further from its target")
    return list(dict.fromkeys(notes))


def _account(book: Book, targets: pd.Series, guard: Guard, a: str) -> list[str]:
    """One account rebalanced to the target on its own; returns notes."""
    notes = []
    opts = book.options
    cv = book.class_values(a)
    total = sum(cv.values())
    if total <= EPS:
        return notes
    funds = {c: guard.fund_for(a, c) for c in targets.index if c not in _SKIP}
    under = {c: float(targets[c]) * total - cv.get(c, 0.0) for c, f in funds.items()
             if f is not None}
    room = sum(v for v in under.values() if v > 0)  # what the account can buy back
    can_sell = max(0.0, room - book.spendable(a))
    missing = [c for c, f in funds.items() if f is None
               and float(targets[c]) * total - cv.get(c, 0.0) > max(opts.min_trade, EPS)]
    if missing:
        notes.append(f"naive: {a} has no fund for {', '.join(missing)}: it sells only what it "
                     "can buy back into its other underweight classes")
    for c in [c for c in cv if c not in _SKIP]:
        over = min(cv[c] - float(targets.get(c, 0.0)) * total, can_sell)
        if over <= max(opts.min_trade, EPS):
            continue
        for hd in book.held(a, c):
            if over <= EPS or not guard.may_sell(a, hd.symbol):
                continue
            lb = book.lots.get((a, hd.symbol))
            order = None if lb is None else np.argsort(lb.acquired, kind="stable")  # FIFO
            got = book.sell(a, hd.symbol, min(over, hd.value), step=0, order=order,
                            reason=f"naive: sell {class_words(c)} above the target within {a}")
            over -= got
            can_sell -= got
    cv = book.class_values(a)
    total = sum(cv.values())
    for c, fund in funds.items():
        if fund is None:
            continue
        amt = book.affordable(a, fund, min(float(targets[c]) * total - cv.get(c, 0.0),
                                           book.spendable(a)))
        if amt <= 0:
            continue
        book.buy(a, fund, amt, asset_class=c, step=0,
                 reason=f"naive: buy {class_words(c)} up to the target within {a}")
    return notes
