"""The naive baseline: every account rebalanced to the household target on its own, FIFO lots.

This is what a spreadsheet or an account-by-account rebalancer does. It ignores where classes
should live, sells taxable lots first-in first-out (short-term gains included), and has no
wash-sale guard. The benchmarks report how much tax the waterfall and the optimal plan save
against it at the same final tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import Guard

_SKIP = ("cash", "unclassified")


def naive(book: Book, targets: pd.Series) -> list[str]:
    """Rebalance each account to ``targets`` within itself (step 0); returns notes."""
    notes: list[str] = []
    guard = Guard.__new__(Guard)  # fund choice only: no wash guard in the naive baseline
    guard.book = book
    guard.enabled = False
    guard._cache = {}
    guard._groups = ()
    guard.recent_loss_groups = {}
    guard.recent_buy_groups = {}
    guard.notes = []
    opts = book.options
    for a in list(book.cash):
        cv = book.class_values(a)
        total = sum(cv.values())
        if total <= EPS:
            continue
        for c in [c for c in cv if c not in _SKIP]:
            over = cv[c] - float(targets.get(c, 0.0)) * total
            if over <= max(opts.min_trade, EPS):
                continue
            for hd in book.held(a, c):
                if over <= EPS or hd.symbol in opts.do_not_sell:
                    continue
                order = np.arange(len(book.lots[(a, hd.symbol)].quantity)) \
                    if (a, hd.symbol) in book.lots else None
                if order is not None:  # FIFO: earliest acquired first
                    order = np.argsort(book.lots[(a, hd.symbol)].acquired, kind="stable")
                over -= book.sell(a, hd.symbol, min(over, hd.value), step=0, order=order,
                                  reason=f"naive: sell {c} above the target within {a}")
        cv = book.class_values(a)
        total = sum(cv.values())
        for c in targets.index:
            if c in _SKIP:
                continue
            under = float(targets[c]) * total - cv.get(c, 0.0)
            money = book.cash[a] - opts.floor(a)
            amt = min(under, money)
            if amt <= max(opts.min_trade, EPS):
                continue
            fund = guard.fund_for(a, c)
            if fund is None:
                notes.append(f"naive: {a} has no fund for {c}")
                continue
            book.buy(a, fund, amt, asset_class=c, step=0,
                     reason=f"naive: buy {c} up to the target within {a}")
    return notes
