"""The planner's working state: holdings, cash and lots per account, and the trades so far.

A :class:`Book` starts from a household and applies buys and sells; it always knows the
household's value per asset class (looking through multi-asset funds), each account's cash,
each taxable lot's remaining shares, and the gains realised so far.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from toolkit.accounts import match_account
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.planner.options import PlanOptions
from toolkit.schema import UNCLASSIFIED, TaxType
from toolkit.tax.holding import long_term_dates

EPS = 1e-9
#: Security-master vehicles traded in dollars (fractional shares at the fund's price).
DOLLAR_VEHICLES = ("mutual_fund", "cit", "money_market")


def pending_cash(household: Household) -> dict[str, float]:
    """Pending cash per account (+ a credit on its way in, - a debit on its way out), dollars.

    The household's ``pending_cash`` (pending activity the exports list, not yet in the
    positions' cash), or nothing while the loaders do not provide it.
    """
    s = getattr(household, "pending_cash", None)  # Household.pending_cash (the wash branch)
    if s is None:
        return {}
    return {str(a): float(v) for a, v in s.items() if v}


def account_floors(household: Household, options: PlanOptions) -> dict[str, float]:
    """Cash each account keeps, dollars: ``options.cash_floor`` when given, else the household's.

    A number in ``options.cash_floor`` applies as ``[settings] cash_floor`` does (every
    account but employer plans); a mapping gives it per account id (masked forms match).
    """
    ids = list(household.accounts["account"])
    f = options.cash_floor
    if f is None:
        return {a: household.cash_floor(a) for a in ids}
    if isinstance(f, Mapping):
        out = dict.fromkeys(ids, 0.0)
        for k, v in f.items():
            hits = match_account(ids, str(k))
            if len(hits) != 1:
                raise PlanningError(f"cash_floor account {k!r} matches "
                                    f"{'no account' if not hits else 'several accounts'}")
            out[hits[0]] = float(v)
        return out
    types = dict(zip(household.accounts["account"], household.accounts["tax_type"],
                     strict=True))
    return {a: 0.0 if TaxType(types[a]).is_employer_plan else float(f) for a in ids}


@dataclass
class Holding:
    """One fund in one account."""

    account: str
    symbol: str
    quantity: float
    price: float
    classes: dict[str, float]  # asset class -> weight
    is_cash: bool = False

    @property
    def value(self) -> float:
        return self.quantity * self.price


@dataclass
class LotBook:
    """The open lots of one fund in one taxable account, as arrays."""

    lot_id: np.ndarray
    acquired: np.ndarray
    holding_start: np.ndarray
    quantity: np.ndarray  # remaining shares
    basis_ps: np.ndarray  # cost per share (NaN unknown)
    is_long: np.ndarray  # long-term if sold on the plan date
    long_from: np.ndarray  # first date a sale is long-term
    trusted: bool = True


@dataclass
class Book:
    """Holdings, cash, lots and trades while a plan is made."""

    household: Household
    options: PlanOptions
    treatment: dict[str, str]
    tax_type: dict[str, str]
    holdings: dict[tuple[str, str], Holding]
    cash: dict[str, float]
    lots: dict[tuple[str, str], LotBook]
    trades: list[dict] = field(default_factory=list)
    #: lots sold, one dict of equal-length columns per sale (see :meth:`lots_frame`)
    lot_rows: list[dict] = field(default_factory=list)
    bought_symbols: set[str] = field(default_factory=set)
    loss_symbols: set[str] = field(default_factory=set)
    #: absolute drift removed by each step (fractions), filled by the planner
    step_drift: dict[int, float] = field(default_factory=dict)
    #: marginal short- and long-term rates used to order lots by tax per dollar
    rates: dict[str, float] = field(default_factory=lambda: {"short_term": 0.35,
                                                             "long_term": 0.20})
    #: planned new money (+) or withdrawals (-) per account, dollars (already in ``cash``)
    contributions: dict[str, float] = field(default_factory=dict)
    #: pending activity per account, dollars (already in ``cash``)
    pending: dict[str, float] = field(default_factory=dict)
    #: cash each account keeps, dollars
    floors: dict[str, float] = field(default_factory=dict)
    #: what a planner reports beside the trades (the optimiser's solver figures): Plan.extra
    extra: dict = field(default_factory=dict)
    #: account id -> "name (id)" for reasons
    labels: dict[str, str] = field(default_factory=dict)
    #: the year's tax inputs (:func:`toolkit.tax.engine.tax_inputs` of the plan's profile)
    tax_inputs: Any = None
    _prices: dict[str, float] = field(default_factory=dict, repr=False)

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def from_household(cls, h: Household, options: PlanOptions,
                       contributions: dict[str, float],
                       untrusted: set[tuple[str, str]] | None = None) -> Book:
        types = dict(zip(h.accounts["account"], h.accounts["tax_type"], strict=True))
        treatment = {a: TaxType(t).treatment.value for a, t in types.items()}
        master = h.securities
        holdings: dict[tuple[str, str], Holding] = {}
        cash = {a: 0.0 for a in types}
        for r in h.positions.itertuples(index=False):
            if r.asset_class == "cash":
                cash[r.account] = cash.get(r.account, 0.0) + float(r.market_value)
                continue
            price = float(r.price) if pd.notna(r.price) and r.price > 0 else (
                float(r.market_value / r.quantity) if pd.notna(r.quantity) and r.quantity
                else math.nan)
            qty = float(r.quantity) if pd.notna(r.quantity) else (
                float(r.market_value) / price if price == price else math.nan)
            if r.asset_class == UNCLASSIFIED:
                classes = {UNCLASSIFIED: 1.0}
            else:
                key = master.resolve(r.symbol) or master.resolve(r.cusip)
                classes = master.weights(key) if key else {r.asset_class: 1.0}
                if UNCLASSIFIED in classes:
                    classes = {r.asset_class: 1.0}
            k = (r.account, r.symbol)
            if k in holdings:  # the same fund twice in an account (e.g. cash and margin)
                holdings[k].quantity += qty
            else:
                holdings[k] = Holding(r.account, r.symbol, qty, price, classes)
        for a, v in contributions.items():
            if a not in cash:
                raise PlanningError(f"contribution to unknown account {a!r}")
            cash[a] += float(v)
        pending = {a: v for a, v in pending_cash(h).items() if a in cash}
        for a, v in pending.items():
            cash[a] += v
        lots: dict[tuple[str, str], LotBook] = {}
        taxable_lots = h.lots[h.lots["account"].map(treatment).eq("taxable")]
        if len(taxable_lots):
            ltd = long_term_dates(taxable_lots["holding_start"])
            is_long = (ltd <= h.as_of).to_numpy()
            # one LotBook per (account, symbol), in order of first appearance, rows in file
            # order (a stable sort of the group codes, then one split: no per-group pandas)
            pair = (taxable_lots["account"].astype("str") + "\x1f"
                    + taxable_lots["symbol"].astype("str"))
            codes, uniq = pd.factorize(pair.to_numpy(dtype=object), sort=False)
            order = np.argsort(codes, kind="stable")
            cuts = np.flatnonzero(np.diff(codes[order])) + 1
            lot_id = taxable_lots["lot_id"].fillna("").to_numpy(dtype=object)
            acquired = taxable_lots["acquired"].to_numpy()
            hstart = taxable_lots["holding_start"].to_numpy()
            ltd_all = ltd.to_numpy()
            qty_all = taxable_lots["quantity"].to_numpy(dtype=float)
            bps = (taxable_lots["cost_basis"] / taxable_lots["quantity"]).to_numpy(dtype=float)
            bad = untrusted or set()
            for name, pos in zip(uniq, np.split(order, cuts), strict=True):
                a, _, sym = str(name).partition("\x1f")
                key = (a, sym)
                lots[key] = LotBook(
                    lot_id=lot_id[pos], acquired=acquired[pos], holding_start=hstart[pos],
                    quantity=qty_all[pos].copy(), basis_ps=bps[pos], is_long=is_long[pos],
                    long_from=ltd_all[pos], trusted=key not in bad,
                )
        labels = {a: (f"{n} ({a})" if isinstance(n, str) else a)
                  for a, n in zip(h.accounts["account"], h.accounts["name"], strict=True)}
        return cls(h, options, treatment, types, holdings, cash, lots,
                   contributions=dict(contributions), pending=pending,
                   floors=account_floors(h, options), labels=labels)

    def snapshot(self) -> dict:
        """The mutable state (holdings, cash, lots, trades), to :meth:`restore` later."""
        return copy.deepcopy({k: getattr(self, k) for k in _STATE})

    def restore(self, state: dict) -> None:
        """Go back to a :meth:`snapshot`."""
        for k, v in copy.deepcopy(state).items():
            setattr(self, k, v)

    # --- measures ---------------------------------------------------------------------------

    def floor(self, account: str) -> float:
        """Cash ``account`` keeps, dollars."""
        return self.floors.get(account, 0.0)

    def spendable(self, account: str) -> float:
        """Cash above the floor, dollars (0 when short)."""
        return max(0.0, self.cash[account] - self.floor(account))

    def class_values(self, account: str | None = None) -> dict[str, float]:
        """Dollars per asset class (household, or one account), cash included."""
        out: dict[str, float] = {}
        for (a, _), hd in self.holdings.items():
            if account is not None and a != account:
                continue
            v = hd.value
            for c, w in hd.classes.items():
                out[c] = out.get(c, 0.0) + v * w
        cash = self.cash.get(account, 0.0) if account is not None else sum(self.cash.values())
        out["cash"] = out.get("cash", 0.0) + cash
        return out

    def total(self) -> float:
        """Household value, dollars (cash included)."""
        return sum(self.class_values().values())

    def held(self, account: str, asset_class: str) -> list[Holding]:
        """Single-class funds of ``asset_class`` in ``account``, largest first."""
        out = [hd for (a, _), hd in self.holdings.items()
               if a == account and hd.classes == {asset_class: 1.0} and hd.quantity > EPS]
        return sorted(out, key=lambda hd: -hd.value)

    def sold_here(self, account: str, asset_class: str) -> dict[str, float]:
        """Single-class funds of ``asset_class`` this plan sells in tax-advantaged ``account``,
        with the dollars sold, largest first (buying one back shrinks the sale, :meth:`buy`;
        no purchase, so no wash sale)."""
        out: dict[str, float] = {}
        if self.treatment[account] == "taxable":
            return out
        for t in self.trades:
            if t["side"] == "sell" and t["account"] == account:
                hd = self.holdings.get((account, t["symbol"]))
                if hd is not None and hd.classes == {asset_class: 1.0}:
                    out[t["symbol"]] = out.get(t["symbol"], 0.0) + t["amount"]
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @cached_property
    def _export_prices(self) -> dict[str, float]:
        """Symbol -> the first positive price any of the household's exports gives it."""
        pos = self.household.positions
        hit = pos.loc[pos["price"] > 0, ["symbol", "price"]].dropna()
        hit = hit.drop_duplicates("symbol")
        return dict(zip(hit["symbol"].tolist(), hit["price"].astype(float).tolist(),
                        strict=True))

    def price_of(self, symbol: str) -> float:
        """A price for ``symbol``, dollars a share, or NaN when the plan has none.

        ``options.prices``, else the price of the fund in any of the household's exports,
        else the household file's ``[securities.X] price``.
        """
        if symbol in self._prices:
            return self._prices[symbol]
        p = self.options.prices.get(symbol)
        if p is None:
            for (_, s), hd in self.holdings.items():
                if s == symbol and hd.price == hd.price and hd.price > 0:
                    p = hd.price
                    break
        if p is None:
            p = self._export_prices.get(symbol)
        if p is None:
            p = self.household.rules.prices.get(symbol, math.nan)
        self._prices[symbol] = float(p)
        return self._prices[symbol]

    def in_dollars(self, account: str, symbol: str) -> bool:
        """Whether trades of ``symbol`` in ``account`` are in dollars (fractional shares).

        Always with ``whole_shares=False``; else for mutual funds, collective trusts and
        money-market funds (security-master vehicle) and in employer plans.
        """
        if not self.options.whole_shares:
            return True
        if TaxType(self.tax_type[account]).is_employer_plan:
            return True
        return self.household.securities.field(symbol, "vehicle") in DOLLAR_VEHICLES

    def affordable(self, account: str, symbol: str, dollars: float) -> float:
        """What a buy of ``dollars`` of ``symbol`` in ``account`` would spend: whole shares
        rounded down where it trades in shares; 0 without a price or under the minimum."""
        price = self.price_of(symbol)
        if not (price == price and price > 0):
            return 0.0
        if not self.in_dollars(account, symbol):
            dollars = math.floor(dollars / price + 1e-7) * price
        return dollars if dollars >= max(self.options.min_trade, 0.005) else 0.0

    def shares_to_sell(self, account: str, symbol: str, dollars: float) -> float:
        """Shares that raise about ``dollars`` of one holding: whole shares rounded up where
        the holding trades in shares, the whole position (fraction included) when that
        reaches it."""
        hd = self.holdings[(account, symbol)]
        shares = min(dollars / hd.price, hd.quantity)
        if not self.in_dollars(account, symbol):
            shares = math.ceil(shares - 1e-7)
            if shares >= hd.quantity - 1e-7:
                shares = hd.quantity
        return max(0.0, float(shares))

    def lots_frame(self) -> pd.DataFrame:
        """The lots sold so far, one row per lot (columns of ``Plan.lots`` but ``est_tax``)."""
        if not self.lot_rows:
            return pd.DataFrame()
        n = [len(c["quantity"]) for c in self.lot_rows]
        cols = {}
        for k in self.lot_rows[0]:
            parts = [np.broadcast_to(np.asarray(c[k], dtype=object if k in (
                "account", "symbol", "lot_id", "term") else None), (m,))
                     for c, m in zip(self.lot_rows, n, strict=True)]
            cols[k] = np.concatenate(parts)
        return pd.DataFrame(cols)

    # --- trades -----------------------------------------------------------------------------

    def buy(self, account: str, symbol: str, dollars: float, *, asset_class: str, step: int,
            reason: str) -> float:
        """Buy about ``dollars`` of ``symbol`` in ``account`` (cash must be there).

        Whole shares are rounded down; nothing is bought without a price or below the
        minimum trade. In a tax-advantaged account, buying a fund this plan sold there shrinks
        that sale instead (the rest, if any, is a buy). Returns dollars actually spent.
        """
        price = self.price_of(symbol)
        if not (price == price and price > 0):
            return 0.0
        shares = dollars / price
        if not self.in_dollars(account, symbol):
            shares = math.floor(shares + 1e-7)
            dollars = shares * price
        if shares <= 0 or dollars < max(self.options.min_trade, 0.005):
            return 0.0
        k = (account, symbol)
        back_spent = 0.0
        if self.treatment[account] != "taxable":  # buying back what this plan sold here:
            for t in reversed(self.trades):  # the sale shrinks (no lots, no tax)
                if shares <= EPS:
                    break
                if t["side"] == "sell" and t["account"] == account and \
                        t["symbol"] == symbol and t["shares"] > EPS:
                    back = min(shares, t["shares"])
                    t["shares"] -= back
                    t["amount"] = t["shares"] * t["price"]
                    self.holdings[k].quantity += back
                    self.cash[account] -= back * price
                    back_spent += back * price
                    shares -= back
            if back_spent:
                self.trades = [t for t in self.trades
                               if t["side"] == "buy" or t["shares"] > EPS]
                dollars = shares * price
                if shares <= EPS or dollars < max(self.options.min_trade, 0.005):
                    return back_spent
        if k not in self.holdings:
            classes = self.household.securities.weights(symbol)
            if UNCLASSIFIED in classes:
                classes = {asset_class: 1.0}
            self.holdings[k] = Holding(account, symbol, 0.0, price, classes)
        self.holdings[k].quantity += shares
        self.cash[account] -= dollars
        self.bought_symbols.add(symbol)
        self.trades.append({"account": account, "symbol": symbol, "side": "buy",
                            "shares": shares, "price": price, "amount": dollars,
                            "asset_class": asset_class, "step": step, "reason": reason})
        return back_spent + dollars

    def sell(self, account: str, symbol: str, dollars: float, *, step: int, reason: str,
             order: np.ndarray | None = None, take: np.ndarray | None = None,
             min_trade: bool = True) -> float:
        """Sell about ``dollars`` of ``symbol`` in ``account`` (or the lot shares ``take``).

        Without ``take`` the shares are :meth:`shares_to_sell`'s and, in a taxable account,
        lots are relieved in ``order`` (default as stored). Returns the proceeds (0 when the
        sale is under the minimum trade and ``min_trade``).
        """
        hd = self.holdings[(account, symbol)]
        price = hd.price
        lb = self.lots.get((account, symbol))
        shares = self.shares_to_sell(account, symbol, dollars) if take is None else float(
            take.sum())
        if shares <= EPS:
            return 0.0
        proceeds = shares * price
        if min_trade and proceeds < self.options.min_trade:
            return 0.0
        st = lt = 0.0
        lot_ids: list[str] = []
        if self.treatment[account] == "taxable" and lb is not None:
            if take is None:  # relieve lots in the given order (default as stored)
                order = np.arange(len(lb.quantity)) if order is None else order
                take = np.zeros(len(lb.quantity))
                left = shares
                for i in order:
                    t = min(lb.quantity[i], left)
                    take[i] = t
                    left -= t
                    if left <= EPS:
                        break
                if left > 1e-6:  # position larger than its lots: the rest has no known basis
                    shares -= left
                    proceeds = shares * price
            seq = np.asarray(order if order is not None else np.arange(len(take)),
                             dtype=np.int64)
            sel = seq[take[seq] > EPS]
            _, first = np.unique(sel, return_index=True)
            idx = sel[np.sort(first)]  # lots in the order given, each once
            q = take[idx].astype(float)
            basis = q * lb.basis_ps[idx]
            gain = q * price - basis
            long_ = lb.is_long[idx]
            st = float(gain[~long_].sum())
            lt = float(gain[long_].sum())
            if (gain < 0).any():
                self.loss_symbols.add(symbol)
            lot_ids = [str(x) for x in lb.lot_id[idx]]
            if len(idx):
                self.lot_rows.append({
                    "account": account, "symbol": symbol, "lot_id": lot_ids,
                    "acquired": lb.acquired[idx], "holding_start": lb.holding_start[idx],
                    "long_from": lb.long_from[idx],
                    "term": np.where(long_, "long", "short"), "quantity": q,
                    "price": price, "proceeds": q * price, "cost_basis": basis, "gain": gain,
                    "step": step,
                })
            lb.quantity[idx] -= q
        hd.quantity -= shares
        if hd.quantity < 1e-9:
            hd.quantity = 0.0
        self.cash[account] += proceeds
        self.trades.append({"account": account, "symbol": symbol, "side": "sell",
                            "shares": shares, "price": price, "amount": proceeds,
                            "asset_class": ",".join(hd.classes), "step": step,
                            "reason": reason, "short_term_gain": st, "long_term_gain": lt,
                            "lots": ";".join(lot_ids)})
        return proceeds


#: What :meth:`Book.snapshot` keeps.
_STATE = ("holdings", "cash", "lots", "trades", "lot_rows", "bought_symbols", "loss_symbols")
