"""The monthly loop of the simulator, vectorised across paths.

State per path: dollars per (account, class) ``V`` of shape (P, A, C); for the K taxable
accounts, value and basis per class in holding-period buckets ``BV``/``BB`` of shape
(P, K, C, 14) (bucket 0: long-term pool; bucket k: turns long-term in k months). The only
Python loops are over months and over accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from toolkit.allocation import Band
from toolkit.cadence._setup import BUCKETS, Setup
from toolkit.cadence.policies import PolicySpec
from toolkit.cadence.returns import ReturnPaths
from toolkit.cadence.taxes import liability_arrays
from toolkit.errors import PlanningError
from toolkit.tax.gains import marginal_rates

EPS_WEIGHT = 1e-9
#: Months whose rebalancing trades total less than this many dollars are not rebalances.
MIN_TRADE = 0.01


@dataclass
class Outcome:
    drift: np.ndarray          # (P, T) worst-class absolute drift at month end, pp
    diff: np.ndarray           # (P, T) policy return - always-on-target return
    wealth: np.ndarray         # (P, T) household value at month end
    traded: np.ndarray         # (P, T) rebalancing sales (tax-advantaged + taxable), dollars
    taxable_sold: np.ndarray   # (P, T) taxable rebalancing sales, dollars
    realized_st: np.ndarray    # (P, T) realised short-term gains (rebalancing and tax sales)
    realized_lt: np.ndarray    # (P, T)
    taxes: np.ndarray          # (P, Y) tax by simulated year, dollars (negative = saving)
    taxes_outside: np.ndarray  # (P,) tax the taxable accounts could not pay, dollars
    value: np.ndarray          # (P, A, C) at the end
    bucket_value: np.ndarray   # (P, K, C, B) at the end
    bucket_basis: np.ndarray
    trace: dict | None = None


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _edges(band: Band, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hw = band.half_width(pd.Series(target)).to_numpy(dtype="float64")
    return np.clip(target - hw, 0.0, None), target + hw


def _outside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return (x < lo - EPS_WEIGHT) | (x > hi + EPS_WEIGHT)


class Engine:
    def __init__(self, setup: Setup, spec: PolicySpec, rp: ReturnPaths, profile, *,
                 trace: bool = False) -> None:
        self.s, self.spec, self.rp, self.profile = setup, spec, rp, profile
        self.trace = trace
        w = setup.target
        self.w = w
        self.sweep = np.array([c == "cash" for c in setup.classes]) & (w == 0)
        # tax drag of each class held in a taxable account: its yearly income x the marginal
        # rate on its character (ordinary, or long-term for qualified dividends)
        rates = marginal_rates(profile)
        inc = np.asarray(rp.income, dtype="float64").reshape(-1, len(w)).mean(0) * 12.0
        ordinary = np.clip(1.0 - rp.qualified_fraction - rp.tax_exempt_fraction, 0.0, None)
        self.drag = inc * (ordinary * rates["ordinary"]
                           + rp.qualified_fraction * rates["long_term"])
        self.prio_advantaged = np.argsort(-self.drag, kind="stable")
        self.prio_taxable = np.argsort(self.drag, kind="stable")
        self.tol = _edges(spec.tolerance, w)
        outer = spec.trigger if spec.trigger is not None else spec.destination_band
        self.outer = _edges(outer, w) if outer is not None else None
        self.trig = _edges(spec.trigger, w) if spec.trigger is not None else None
        self.dest = _edges(spec.destination_band, w) if spec.destination_band else None
        if self.dest is not None and self.outer is not None and (
                (self.dest[0] < self.outer[0] - 1e-12).any()
                or (self.dest[1] > self.outer[1] + 1e-12).any()):
            raise PlanningError(f"{spec.label}: the destination band is wider than the trigger "
                                "band for some class; use an inner band no wider than the "
                                "trigger band")

    # --- buying and selling -------------------------------------------------------------
    def _buy(self, a: int, amount: np.ndarray, *, invest: bool = False) -> None:
        """Add purchases (P, C) to account a; taxable purchases are new short-term lots."""
        self.V[:, a] += amount
        if self.trace:
            (self._tr_invested if invest else self._tr_bought)[:, a] += amount
        k = self.kpos.get(a)
        if k is not None:
            self.BV[:, k, :, -1] += amount
            self.BB[:, k, :, -1] += amount

    def _sell_advantaged(self, a: int, amount: np.ndarray) -> None:
        self.V[:, a] -= amount

    def _sell_taxable(self, k: int, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sell dollars (P, C) from taxable account k, least tax first; (short, long) gains."""
        bv, bb = self.BV[:, k], self.BB[:, k]            # views (P, C, B)
        g = _div(bv - bb, bv)
        tier = np.where(g < 0, 0.0, np.where(self.b_idx == 0, 1.0, 2.0))
        key = np.where(bv > 0, tier * 4.0 + g / (1.0 + np.abs(g)), np.inf)
        order = np.argsort(key, axis=-1, kind="stable")
        ov = np.take_along_axis(bv, order, axis=-1)
        before = np.cumsum(ov, axis=-1) - ov
        sold_o = np.clip(amount[..., None] - before, 0.0, ov)
        sold = np.empty_like(sold_o)
        np.put_along_axis(sold, order, sold_o, axis=-1)
        basis_out = bb * _div(sold, bv)
        gain = sold - basis_out
        bv -= sold
        bb -= basis_out
        self.V[:, self.s.taxable[k]] = bv.sum(-1)
        return gain[..., 1:].sum(axis=(1, 2)), gain[..., 0].sum(axis=1)

    def _invest_mix(self, n: np.ndarray) -> np.ndarray:
        """Invest new money (P, A) at each account's current mix; returns buys (P, C)."""
        s = self.s
        vm = self.V * s.menu[None]
        tot = vm.sum(-1, keepdims=True)
        mix = np.where(tot > 0, _div(vm, tot), s.fallback[None])
        buys = n[..., None] * mix
        self.V += buys
        if self.trace:
            self._tr_invested += buys
        if len(s.taxable):
            self.BV[..., -1] += buys[:, s.taxable]
            self.BB[..., -1] += buys[:, s.taxable]
        return buys.sum(1)

    # --- the destination ------------------------------------------------------------------
    def _destination(self, X: np.ndarray, W: np.ndarray, act: np.ndarray,
                     out: np.ndarray | None) -> np.ndarray:
        D = self.w[None] * W[:, None]
        if self.spec.destination != "edge" or out is None:
            return D
        lo, hi = self.dest
        De = np.where(out, np.clip(X, lo * W[:, None], hi * W[:, None]), X)
        R = W - De.sum(1)
        inside = ~out
        gap = self.w[None] * W[:, None] - De
        room = np.where(R[:, None] > 0, np.clip(gap, 0.0, None), np.clip(-gap, 0.0, None))
        room = room * inside
        rs = room.sum(1)
        take = np.minimum(np.abs(R), rs)
        De += np.sign(R)[:, None] * room * _div(take, rs)[:, None]
        R2 = R - np.sign(R) * take
        base = self.w[None] * inside
        base = np.where(base.sum(1, keepdims=True) > 0, base, self.w[None])
        De += R2[:, None] * _div(base, base.sum(1, keepdims=True))
        return np.where(act[:, None], De, D)

    # --- one month of cash flows and trades -----------------------------------------------
    def _rebalance(self, t: int, n: np.ndarray, check: bool) -> None:
        s = self.s
        P = self.V.shape[0]
        if self.sweep.any():
            # idle cash with no target is new money whenever new money is directed
            n = n + self.V[:, :, self.sweep].sum(-1)
            self.V[:, :, self.sweep] = 0.0
            if len(s.taxable):
                self.BV[:, :, self.sweep] = 0.0
                self.BB[:, :, self.sweep] = 0.0
        X = self.V.sum(1)
        W = X.sum(1) + n.sum(1)
        act = np.full(P, check)
        out = None
        if check and self.outer is not None:
            xh = _div(X, X.sum(1, keepdims=True))
            out = _outside(xh, *self.outer)
            if self.trig is not None:
                act = _outside(xh, *self.trig).any(1)
        D = self._destination(X, W, act, out)
        delta = D - X
        # (1) cash flows to underweight classes: tax-advantaged money first, filling the
        # least tax-efficient deficits first; taxable money the most tax-efficient first
        left = n.copy()
        for a in s.order:
            buy = np.zeros_like(delta)
            rem = left[:, a]
            for c in (self.prio_taxable if a in self.kpos else self.prio_advantaged):
                if not s.menu[a, c]:
                    continue
                amt = np.minimum(rem, np.clip(delta[:, c], 0.0, None))
                buy[:, c] = amt
                rem = rem - amt
            self._buy(a, buy, invest=True)
            delta -= buy
            left[:, a] = rem
        if (left > 0).any():
            delta -= self._invest_mix(np.clip(left, 0.0, None))
        if not act.any():
            return
        actf = act.astype("float64")
        # (2) trades inside tax-advantaged accounts
        for a in s.advantaged:
            sell_cap = np.minimum(self.V[:, a], np.clip(-delta, 0.0, None))
            buy_cap = np.clip(delta, 0.0, None) * s.menu[a]
            st, bt = sell_cap.sum(1), buy_cap.sum(1)
            mv = np.minimum(st, bt) * actf
            sells = sell_cap * _div(mv, st)[:, None]
            buys = buy_cap * _div(mv, bt)[:, None]
            self._sell_advantaged(a, sells)
            self._buy(a, buys)
            delta += sells - buys
            self.traded[:, t] += mv
            if self.trace:
                self._tr_sold[:, a] += sells
        # (3) taxable sales, only where still outside the tolerance band
        if not len(s.taxable):
            return
        x = _div(self.V.sum(1), W[:, None])
        still = act & _outside(x, *self.tol).any(1)
        if not still.any():
            return
        stillf = still.astype("float64")
        for k, a in enumerate(s.taxable):
            sell_cap = np.minimum(self.V[:, a], np.clip(-delta, 0.0, None))
            buy_cap = np.clip(delta, 0.0, None) * s.menu[a]
            st, bt = sell_cap.sum(1), buy_cap.sum(1)
            mv = np.minimum(st, bt) * stillf
            sells = sell_cap * _div(mv, st)[:, None]
            buys = buy_cap * _div(mv, bt)[:, None]
            g_st, g_lt = self._sell_taxable(k, sells)
            self._buy(a, buys)
            delta += sells - buys
            self.st_acc += g_st
            self.lt_acc += g_lt
            self.realized_st[:, t] += g_st
            self.realized_lt[:, t] += g_lt
            self.traded[:, t] += mv
            self.taxable_sold[:, t] += mv
            if self.trace:
                self._tr_sold[:, a] += sells

    # --- taxes ---------------------------------------------------------------------------
    def _year_end(self, y: int, t: int) -> None:
        first = y == 0
        p = self.profile
        with_ = liability_arrays(p, self.st_acc, self.lt_acc, qualified_dividends=self.qd_acc,
                                 investment_income=self.inv_acc,
                                 carryforward_short_term=self.cf_st,
                                 carryforward_long_term=self.cf_lt, include_realized=first)
        # the baseline: the same year without the portfolio's gains and income, its own
        # carryforwards evolving without them (so a carried loss is the portfolio's saving)
        without = liability_arrays(p, 0.0, 0.0, carryforward_short_term=self.cf_base[0],
                                   carryforward_long_term=self.cf_base[1],
                                   include_realized=first)
        tax = with_.total - without.total
        self.taxes[:, y] = tax
        self.cf_st, self.cf_lt = with_.carryforward_short_term, with_.carryforward_long_term
        self.cf_base = (float(without.carryforward_short_term),
                        float(without.carryforward_long_term))
        self.st_acc[:] = self.lt_acc[:] = self.qd_acc[:] = self.inv_acc[:] = 0.0
        s = self.s
        if not len(s.taxable):
            self.outside += np.clip(tax, 0.0, None)
            return
        # pay from the taxable accounts pro rata (the sale's gains count next year);
        # a saving (negative tax) is added to the taxable accounts at their mix
        tv = self.BV.sum(axis=(1, 2, 3))
        pay = np.clip(tax, 0.0, None)
        f = np.clip(_div(pay, tv), 0.0, 1.0)
        gain = f[:, None, None, None] * (self.BV - self.BB)
        self.st_acc += gain[..., 1:].sum(axis=(1, 2, 3))
        self.lt_acc += gain[..., 0].sum(axis=(1, 2))
        self.realized_st[:, t] += gain[..., 1:].sum(axis=(1, 2, 3))
        self.realized_lt[:, t] += gain[..., 0].sum(axis=(1, 2))
        self.BV *= (1.0 - f)[:, None, None, None]
        self.BB *= (1.0 - f)[:, None, None, None]
        self.V[:, s.taxable] = self.BV.sum(-1)
        self.outside += pay - f * tv
        refund = np.clip(-tax, 0.0, None)
        if (refund > 0).any():
            n = np.zeros(self.V.shape[:2])
            k_tot = self.BV.sum(axis=(2, 3))
            n[:, s.taxable] = refund[:, None] * _div(k_tot, k_tot.sum(1, keepdims=True))
            empty = tv <= 0
            n[empty, s.taxable[0]] = refund[empty]
            self._invest_mix(n)

    # --- the loop ------------------------------------------------------------------------
    def run(self, *, progress: bool = False, desc: str = "") -> Outcome:
        s, rp = self.s, self.rp
        P, T = rp.total.shape[0], rp.total.shape[1]
        A, C = s.value.shape
        K = len(s.taxable)
        Y = -(-T // 12)
        self.V = np.broadcast_to(s.value, (P, A, C)).copy()
        self.BV = np.broadcast_to(s.bucket_value, (P, K, C, BUCKETS)).copy()
        self.BB = np.broadcast_to(s.bucket_basis, (P, K, C, BUCKETS)).copy()
        self.kpos = {int(a): k for k, a in enumerate(s.taxable)}
        self.b_idx = np.arange(BUCKETS)
        self.st_acc, self.lt_acc = np.zeros(P), np.zeros(P)
        self.qd_acc, self.inv_acc = np.zeros(P), np.zeros(P)
        pr = self.profile
        self.cf_st = np.full(P, float(pr.carryforward_short_term))
        self.cf_lt = np.full(P, float(pr.carryforward_long_term))
        self.cf_base = (float(pr.carryforward_short_term), float(pr.carryforward_long_term))
        self.traded, self.taxable_sold = np.zeros((P, T)), np.zeros((P, T))
        self.realized_st, self.realized_lt = np.zeros((P, T)), np.zeros((P, T))
        self.taxes, self.outside = np.zeros((P, Y)), np.zeros(P)
        drift, diff, wealth = np.empty((P, T)), np.empty((P, T)), np.empty((P, T))
        qf = rp.qualified_fraction
        of = np.clip(1.0 - rp.qualified_fraction - rp.tax_exempt_fraction, 0.0, None)
        contrib = s.contributions / 12.0
        w = self.w
        tr = {"value": [], "invested": [], "bought": [], "sold": [], "new_money": []} \
            if self.trace else None
        inc_by_t = rp.income.shape[1] > 1
        for t in tqdm(range(T), disable=not progress, desc=desc, leave=False):
            m = t + 1
            if K:
                self.BV[..., 0] += self.BV[..., 1]
                self.BV[..., 1:-1] = self.BV[..., 2:]
                self.BV[..., -1] = 0.0
                self.BB[..., 0] += self.BB[..., 1]
                self.BB[..., 1:-1] = self.BB[..., 2:]
                self.BB[..., -1] = 0.0
            r = rp.total[:, t]
            yv = rp.income[:, t if inc_by_t else 0]
            X0 = self.V.sum(1)
            x0 = _div(X0, X0.sum(1, keepdims=True))
            diff[:, t] = ((x0 - w) * r).sum(1)
            inc = self.V * yv[:, None, :]
            if K:
                it = inc[:, s.taxable]
                self.qd_acc += (it * qf).sum(axis=(1, 2))
                self.inv_acc += (it * of).sum(axis=(1, 2))
            growth = np.maximum(1.0 + r - yv, 0.0)
            self.V *= growth[:, None, :]
            if K:
                self.BV *= growth[:, None, :, None]
            n = inc.sum(2) + contrib[None]
            if self.trace:
                self._tr_sold = np.zeros((P, A, C))
                self._tr_bought = np.zeros((P, A, C))
                self._tr_invested = np.zeros((P, A, C))
            check = m % self.spec.every == 0
            if check or self.spec.direct_monthly:
                self._rebalance(t, n, check)
            else:
                self._invest_mix(n)
            if K:
                self.V[:, s.taxable] = self.BV.sum(-1)
            if m % 12 == 0 or m == T:
                self._year_end((m - 1) // 12, t)
            X = self.V.sum(1)
            Wt = X.sum(1)
            wealth[:, t] = Wt
            drift[:, t] = np.abs(_div(X, Wt[:, None]) - w).max(1) * 100.0
            if tr is not None:
                tr["value"].append(self.V.copy())
                tr["invested"].append(self._tr_invested)
                tr["bought"].append(self._tr_bought)
                tr["sold"].append(self._tr_sold)
                tr["new_money"].append(n.copy())
        return Outcome(drift, diff, wealth, self.traded, self.taxable_sold, self.realized_st,
                       self.realized_lt, self.taxes, self.outside, self.V, self.BV, self.BB,
                       {k: np.stack(v, axis=1) for k, v in tr.items()} if tr else None)
