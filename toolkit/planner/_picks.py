"""Taxable lots the waterfall sells: least tax first, by the exact tax each one adds.

:func:`pick_lots` walks the lots of some taxable holdings in order of estimated tax per dollar
(losses first, the largest loss per dollar first; then gains), prices each lot's share of the
sale with the exact tax engine on top of what the plan has realised so far
(:func:`marginal_tax`), and keeps it when the plan's rules allow it: a known basis, trusted
lots, no short-term gain unless allowed, no loss the wash-sale guard blocks, within the gains
budget and, for rebalancing sales, the proceed/delay test (its tax at most ``drift_price`` per
dollar it moves back toward the band). Whole shares per holding where the holding trades in
shares. What the test held back is returned as :class:`Held` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import Guard
from toolkit.tax.engine import tax_change

__all__ = ["Held", "Picked", "marginal_tax", "pick_lots", "plan_gains"]


def plan_gains(book: Book) -> tuple[float, float]:
    """Net short- and long-term gain the plan's sales have realised so far, dollars."""
    st = lt = 0.0
    for t in book.trades:
        if t["side"] == "sell":
            st += t.get("short_term_gain", 0.0)
            lt += t.get("long_term_gain", 0.0)
    return st, lt


def marginal_tax(book: Book, st: float, lt: float, base: tuple[float, float]) -> float:
    """The tax ``st``/``lt`` more gain adds on top of ``base`` gains, dollars (exact engine)."""
    inp = book.tax_inputs
    return tax_change(inp, base[0] + st, base[1] + lt) - tax_change(inp, *base)


@dataclass
class Held:
    """A lot (or part) a rebalancing sale held back: its tax was over the drift price."""

    account: str
    symbol: str
    lot_id: str
    shares: float
    value: float
    gain: float
    tax: float
    term: str
    long_from: pd.Timestamp


@dataclass
class Picked:
    """What :func:`pick_lots` chose: per holding the lot shares and their order."""

    takes: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    order: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    held: list[Held] = field(default_factory=list)
    raised: float = 0.0
    notes: list[str] = field(default_factory=list)


def _candidates(book: Book, guard: Guard, keys: list[tuple[str, str]], notes: list[str],
                *, losses_only: bool, gains_only: frozenset[int] = frozenset()) -> list[tuple]:
    """(tax per dollar, term flag, holding index, lot index) of every lot that may be sold."""
    opts = book.options
    rates = book.rates
    parts = []
    for h, (a, sym) in enumerate(keys):
        lb = book.lots[(a, sym)]
        hd = book.holdings[(a, sym)]
        gain_ps = hd.price - lb.basis_ps
        live = lb.quantity > EPS
        nobasis = live & np.isnan(gain_ps)
        blocked = guard.loss_sale_blocked(sym)
        washed = live & (gain_ps < 0) & bool(blocked)
        for i in np.flatnonzero(nobasis):
            notes.append(f"lot {lb.lot_id[i]} of {sym} in {a} has no cost basis: not sold")
        if washed.any():
            notes.append(f"loss lots of {sym} in {a} not sold: it would be a wash sale "
                         f"({blocked})")
        ok = live & ~nobasis & ~washed
        if losses_only:
            ok &= gain_ps < 0
        if h in gains_only:
            ok &= gain_ps >= 0
        if not opts.allow_short_term_gains:
            ok &= ~((gain_ps > 0) & ~lb.is_long)
        idx = np.flatnonzero(ok)
        if not len(idx):
            continue
        rate = np.where(lb.is_long[idx], rates["long_term"], rates["short_term"])
        g = gain_ps[idx]
        key = np.where(g < 0, g / hd.price, rate * g / hd.price)
        for k, i in zip(key, idx, strict=True):
            parts.append((float(k), 0 if lb.is_long[i] else 1, h, int(i)))
    parts.sort()
    return parts


def pick_lots(book: Book, guard: Guard, keys: list[tuple[str, str]], dollars: float, *,
              price_test: bool, losses_only: bool = False,
              caps: list[tuple[frozenset[int], float]] | None = None,
              gains_only: frozenset[int] = frozenset()) -> Picked:
    """Choose lot shares worth about ``dollars`` among the holdings ``keys`` (module docstring).

    Parameters
    ----------
    book, guard
    keys : list of (account, symbol)
        Taxable holdings with lots, in the order ties go.
    dollars : float
        Proceeds wanted.
    price_test : bool
        Apply the proceed/delay test to gain lots (rebalancing sales; not cash the plan must
        raise).
    losses_only : bool
        Only loss lots (harvests).
    caps : list of (set of int, float), optional
        Limits on the proceeds of some holdings together: ``(indices into keys, dollars)``.
    gains_only : set of int
        Holdings (indices into keys) whose loss lots are not sold.

    Returns
    -------
    Picked
    """
    opts = book.options
    out = Picked()
    base = plan_gains(book)
    st, lt = 0.0, 0.0
    budget = opts.gains_budget
    price = opts.price_of_drift
    whole = {k: not book.in_dollars(*k) for k in keys}
    room_left = [float(c) for _, c in caps or []]
    caps_of: dict[int, list[int]] = {}
    for j, (idx, _) in enumerate(caps or []):
        for h in idx:
            caps_of.setdefault(h, []).append(j)
    for _, _, h, i in _candidates(book, guard, keys, out.notes, losses_only=losses_only,
                                  gains_only=gains_only):
        if out.raised >= dollars - 0.005:
            break
        k = keys[h]
        lb = book.lots[k]
        hd = book.holdings[k]
        gps = hd.price - lb.basis_ps[i]
        have = lb.quantity[i] - (out.takes[k][i] if k in out.takes else 0.0)
        mine = caps_of.get(h, [])
        cap = min([room_left[j] for j in mine], default=float("inf"))
        q = min(have, (dollars - out.raised) / hd.price, cap / hd.price)
        if mine and whole[k] and q < have:
            q = min(have, float(np.floor(q + 1e-7)))
        if whole[k] and q < have:
            q = min(have, float(np.ceil(q - 1e-7)))
        if budget is not None and gps > 0:
            room = budget - (base[0] + base[1] + st + lt)
            if q * gps > room + 0.005:
                q = max(room, 0.0) / gps
                if whole[k]:
                    q = float(np.floor(q + 1e-7))
        if q <= EPS:
            continue
        long_ = bool(lb.is_long[i])
        if price_test and gps > 0 and budget is None:
            dt = marginal_tax(book, st + (0.0 if long_ else q * gps),
                              lt + (q * gps if long_ else 0.0), base) - \
                marginal_tax(book, st, lt, base)
            if dt > price * q * hd.price + 0.005:
                out.held.append(Held(k[0], k[1], str(lb.lot_id[i]), q, q * hd.price, q * gps,
                                     dt, "long" if long_ else "short",
                                     pd.Timestamp(lb.long_from[i])))
                continue
        out.takes.setdefault(k, np.zeros(len(lb.quantity)))[i] += q
        out.order.setdefault(k, []).append(i)
        out.raised += q * hd.price
        for j in mine:
            room_left[j] -= q * hd.price
        if long_:
            lt += q * gps
        else:
            st += q * gps
    for k, take in out.takes.items():  # whole shares per holding, or the whole position
        hd = book.holdings[k]
        total = float(take.sum())
        if not whole[k] or total >= hd.quantity - 1e-7 or abs(total - round(total)) < 1e-7:
            continue
        frac = total - np.floor(total)
        for i in reversed(out.order[k]):  # round down, from the last lot taken
            cut = min(frac, take[i])
            take[i] -= cut
            frac -= cut
            out.raised -= cut * hd.price
            if frac <= 1e-9:
                break
    return out
