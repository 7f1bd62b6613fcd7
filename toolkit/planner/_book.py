"""The planner's working state: holdings, cash and lots per account, and the trades so far.

A :class:`Book` starts from a household and applies buys and sells; it always knows the
household's value per asset class (looking through multi-asset funds), each account's cash,
each taxable lot's remaining shares, and the gains realised so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.planner.options import PlanOptions
from toolkit.schema import UNCLASSIFIED, TaxType
from toolkit.tax.holding import long_term_dates

EPS = 1e-9


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
    #: what a planner reports beside the trades (the optimiser's solver figures): Plan.extra
    extra: dict = field(default_factory=dict)
    #: account id -> "name (id)" for reasons
    labels: dict[str, str] = field(default_factory=dict)

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
            qty_all = taxable_lots["quantity"].to_numpy(dtype=float)
            bps = (taxable_lots["cost_basis"] / taxable_lots["quantity"]).to_numpy(dtype=float)
            bad = untrusted or set()
            for name, pos in zip(uniq, np.split(order, cuts), strict=True):
                a, _, sym = str(name).partition("\x1f")
                key = (a, sym)
                lots[key] = LotBook(
                    lot_id=lot_id[pos], acquired=acquired[pos], holding_start=hstart[pos],
                    quantity=qty_all[pos].copy(), basis_ps=bps[pos], is_long=is_long[pos],
                    trusted=key not in bad,
                )
        labels = {a: (f"{n} ({a})" if isinstance(n, str) else a)
                  for a, n in zip(h.accounts["account"], h.accounts["name"], strict=True)}
        return cls(h, options, treatment, types, holdings, cash, lots,
                   contributions=dict(contributions), labels=labels)

    # --- measures ---------------------------------------------------------------------------

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

    def price_of(self, symbol: str) -> float:
        """A price for ``symbol``: the household's own, else ``options.prices``, else NaN."""
        for (_, s), hd in self.holdings.items():
            if s == symbol and hd.price == hd.price:
                return hd.price
        pos = self.household.positions
        p = pos.loc[pos["symbol"] == symbol, "price"].dropna()
        if len(p):
            return float(p.iloc[0])
        return float(self.options.prices.get(symbol, math.nan))

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
        """Buy ``dollars`` of ``symbol`` in ``account`` (cash must be there). Returns dollars
        actually spent (whole-share rounding may spend less)."""
        price = self.price_of(symbol)
        shares = dollars / price if price == price else math.nan
        if self.options.whole_shares and price == price:
            shares = math.floor(shares + EPS)
            dollars = shares * price
        if dollars < max(self.options.min_trade, 0.005) or (shares == shares and shares <= 0):
            return 0.0
        k = (account, symbol)
        if k not in self.holdings:
            classes = self.household.securities.weights(symbol)
            if UNCLASSIFIED in classes:
                classes = {asset_class: 1.0}
            self.holdings[k] = Holding(account, symbol,
                                       0.0, price if price == price else 1.0, classes)
            if price != price:  # unknown price: track dollars as shares of $1
                shares = dollars
        hd = self.holdings[k]
        hd.quantity += shares if shares == shares else dollars / hd.price
        self.cash[account] -= dollars
        self.bought_symbols.add(symbol)
        self.trades.append({"account": account, "symbol": symbol, "side": "buy",
                            "shares": shares, "price": price, "amount": dollars,
                            "asset_class": asset_class, "step": step, "reason": reason})
        return dollars

    def sell(self, account: str, symbol: str, dollars: float, *, step: int, reason: str,
             order: np.ndarray | None = None, take: np.ndarray | None = None) -> float:
        """Sell ``dollars`` of ``symbol`` in ``account`` (or the lot shares ``take`` in lot
        order). Returns the proceeds."""
        hd = self.holdings[(account, symbol)]
        price = hd.price
        lb = self.lots.get((account, symbol))
        if take is None:
            shares = min(dollars / price, hd.quantity)
            if self.options.whole_shares:
                shares = min(math.ceil(shares - EPS), hd.quantity)
        else:
            shares = float(take.sum())
        if shares <= EPS:
            return 0.0
        proceeds = shares * price
        if proceeds < self.options.min_trade:
            return 0.0
        st = lt = 0.0
        lot_ids: list[str] = []
        if self.treatment[account] == "taxable" and lb is not None:
            if take is None:  # relieve lots in the given order (default FIFO)
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
