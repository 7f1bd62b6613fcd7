"""Concrete swaps between accounts along the best placement, with their tax cost.

:func:`find_swaps` chooses them greedily, the largest yearly drag recovered first (rules in
:func:`toolkit.location.location_report`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.location.drag import security_fields, taxable_drag_rate
from toolkit.schema import TaxTreatment, TaxType
from toolkit.tax.lots import select_lots
from toolkit.tax.wash import SubstantiallyIdentical, forward_wash_check, wash_window
from toolkit.tax.wash_household import groups_setting

__all__ = ["SWAP_COLUMNS", "find_swaps"]

_TAXABLE = TaxTreatment.TAXABLE.value
#: Holdings of each class in each treatment a swap search considers (largest yearly drag in
#: taxable accounts, largest value elsewhere), which bounds the search on large households.
_SWAP_CANDIDATES = 8


def _employer(tax_type: str | None) -> bool:
    """Whether an account of ``tax_type`` buys only from a plan menu."""
    return tax_type is not None and TaxType(tax_type).is_employer_plan

_THREAT_LABELS = {"recent_purchase": "recent purchase",
                  "scheduled_contribution": "scheduled contribution",
                  "expected_reinvestment": "expected dividend reinvestment"}
SWAP_COLUMNS = ["account", "sell", "sell_class", "buy", "buy_class", "other_account",
                 "other_sell", "other_buy", "dollars", "drag_recovered", "tax_cost",
                 "years_to_recover", "note"]


# --- swaps ---------------------------------------------------------------------------------


def _recent_loss_groups(household: Household, keys) -> dict[str, pd.Timestamp]:
    """Identity group -> last day a purchase washes a loss realised in the last 30 days."""
    before, after = wash_window()
    rz = household.realized
    if rz.empty:
        return {}
    loss = rz["cost_basis"] - rz["proceeds"]
    loss = loss.where(loss.notna(), -rz["gain"])
    day0 = pd.Timestamp(household.as_of)
    recent = rz[(loss > 0) & (rz["sold"] + pd.Timedelta(days=after) >= day0)
                & (rz["sold"] <= day0)]
    out: dict[str, pd.Timestamp] = {}
    for s, d in zip(recent["symbol"], recent["sold"], strict=True):
        g = keys(s)
        end = d + pd.Timedelta(days=after)
        out[g] = max(out.get(g, end), end)
    return out


def find_swaps(household: Household, r: Mapping[str, float], ex: pd.DataFrame,
               x0: pd.DataFrame, best: pd.DataFrame, max_swaps: int, policy: str,
               notes: list[str]) -> pd.DataFrame:
    """Greedy swaps along the best placement, largest yearly drag recovered first.

    Parameters
    ----------
    household : Household
    r : mapping
        Marginal rates on distributions (:func:`~toolkit.location.drag.drag_rates`).
    ex : DataFrame
        Look-through exposures with their drag (``weight``, ``asset_class``, ``treatment``,
        ``market_value``, ...), as :func:`toolkit.location.location_report` builds them.
    x0, best : DataFrame
        Class x treatment dollars now and in the best placement.
    max_swaps : int
    policy : str
        Substantially-identical policy.
    notes : list of str
        Where notes go.

    Returns
    -------
    DataFrame
        Columns :data:`SWAP_COLUMNS` (see :func:`toolkit.location.location_report`), best
        first.
    """
    master = household.securities
    pol = SubstantiallyIdentical.coerce(policy, groups_setting(household, None))
    cache: dict[str, str] = {}

    def key(sym: str) -> str:
        if sym not in cache:
            cache[sym] = str(pol.keys([sym], master).iloc[0])
        return cache[sym]

    rate_cache: dict[str, float] = {}

    def rate(sym: str, treatment: str) -> float:
        if treatment != _TAXABLE:
            return 0.0
        if sym not in rate_cache:
            v = float(taxable_drag_rate(security_fields(household, pd.Series([sym])), r).iloc[0])
            rate_cache[sym] = v if np.isfinite(v) else 0.0
        return rate_cache[sym]

    ctx = _SwapContext(household=household, master=master, key=key, rate=rate,
                       recent=_recent_loss_groups(household, key), policy=policy,
                       types=dict(zip(household.accounts["account"],
                                      household.accounts["tax_type"], strict=True)))
    single = ex[(ex["weight"] == 1.0) & (ex["market_value"] > 0)
                & ex["asset_class"].isin(list(best.index))]
    hold = single.groupby(["account", "symbol", "asset_class", "treatment"], sort=False)[
        "market_value"].sum().reset_index().sort_values("market_value", ascending=False,
                                                        kind="stable")
    syms = pd.Series(pd.unique(hold["symbol"].astype("object")), dtype="object")
    known = taxable_drag_rate(security_fields(household, syms), r).fillna(0.0)
    rate_cache.update(zip(syms, known.astype("float64"), strict=True))
    ctx.held = {k: g["symbol"].tolist() for k, g in hold.groupby(["account", "asset_class"],
                                                                  sort=False)}
    items = list(hold.itertuples(index=False, name="Holding"))
    groups: dict[tuple[str, str], list] = {}
    for it in items:
        groups.setdefault((it.asset_class, it.treatment), []).append(it)
    remaining = {(it.account, it.symbol): it.market_value for it in items}
    delta = best - x0.reindex(index=best.index, columns=best.columns, fill_value=0.0)
    out_b = (-delta).clip(lower=0.0).stack().to_dict()  # (class, treatment) -> dollars to move
    in_b = delta.clip(lower=0.0).stack().to_dict()
    eps = 0.005
    order = {a: i for i, a in enumerate(household.accounts["account"])}

    def top(cls: str, t: str) -> list:
        """The _SWAP_CANDIDATES holdings of a class in a treatment that matter most."""
        def weight(it):
            left = remaining[(it.account, it.symbol)]
            return left * rate(it.symbol, t) if t == _TAXABLE else left
        live = [it for it in groups.get((cls, t), ()) if remaining[(it.account, it.symbol)]
                > eps]
        return sorted(live, key=weight, reverse=True)[:_SWAP_CANDIDATES]

    rows = []
    for _ in range(max_swaps):
        pick = None
        live = [k for k in groups if out_b.get(k, 0.0) > eps]
        for a_cls, t1 in live:
            for b_cls, t2 in live:
                if t2 == t1 or b_cls == a_cls or in_b.get((a_cls, t2), 0.0) <= eps \
                        or in_b.get((b_cls, t1), 0.0) <= eps:
                    continue
                cap = min(out_b[(a_cls, t1)], out_b[(b_cls, t2)], in_b[(a_cls, t2)],
                          in_b[(b_cls, t1)])
                for p1 in top(a_cls, t1):
                    for p2 in top(b_cls, t2):
                        amount = min(cap, remaining[(p1.account, p1.symbol)],
                                     remaining[(p2.account, p2.symbol)])
                        buy_x, held_x = ctx.buy(p1.account, b_cls, p2.symbol)
                        buy_y, held_y = ctx.buy(p2.account, a_cls, p1.symbol)
                        per = rate(p1.symbol, t1) + rate(p2.symbol, t2) - rate(buy_x, t1) \
                            - rate(buy_y, t2)
                        gain = round(amount * per, 2)
                        if gain <= eps:
                            continue
                        rank = (gain, held_x, held_y,
                                not _employer(ctx.types.get(p1.account)),
                                not _employer(ctx.types.get(p2.account)),
                                -order.get(p1.account, 0), -order.get(p2.account, 0))
                        if pick is None or rank > pick[0]:
                            pick = (rank, p1, p2, amount)
        if pick is None:
            break
        _, p1, p2, amount = pick
        a_cls, t1, b_cls, t2 = p1.asset_class, p1.treatment, p2.asset_class, p2.treatment
        remaining[(p1.account, p1.symbol)] -= amount
        remaining[(p2.account, p2.symbol)] -= amount
        out_b[(a_cls, t1)] -= amount
        out_b[(b_cls, t2)] -= amount
        in_b[(a_cls, t2)] -= amount
        in_b[(b_cls, t1)] -= amount
        if t2 == _TAXABLE:  # the taxable side goes first
            p1, p2 = p2, p1
        rows.append(ctx.row(p1, p2, amount))
    ctx.wash_notes(rows)
    out = pd.DataFrame(rows, columns=SWAP_COLUMNS)
    for c in ("account", "sell", "sell_class", "buy", "buy_class", "other_account",
              "other_sell", "other_buy", "note"):
        out[c] = out[c].astype("str")
    for c in ("dollars", "drag_recovered", "tax_cost", "years_to_recover"):
        out[c] = out[c].astype("float64")
    if len(out):
        out = out.sort_values("drag_recovered", ascending=False, kind="stable").reset_index(
            drop=True)
    return out


@dataclass
class _SwapContext:
    household: Household
    master: object
    key: object
    rate: object
    recent: dict
    policy: str
    types: dict
    held: dict = field(default_factory=dict)
    sold_at_loss: list = field(default_factory=list)
    _buys: dict = field(default_factory=dict)

    def buy(self, account: str, cls: str, other: str, avoid: tuple[str, ...] = ()
            ) -> tuple[str, bool]:
        """The fund of ``cls`` to buy in ``account``, and whether the account holds it."""
        k = (account, cls, other, avoid)
        if k not in self._buys:
            self._buys[k] = self._buy(account, cls, other, avoid)
        return self._buys[k]

    def _buy(self, account: str, cls: str, other: str, avoid: tuple[str, ...]
             ) -> tuple[str, bool]:
        held = self.held.get((account, cls), [])
        cands = list(dict.fromkeys([*held, other, *self.master.replacements(other)]))
        bad = {self.key(s) for s in avoid} | set(self.recent)
        for s in cands:
            if self.key(s) not in bad:
                return s, s in held
        return cands[0], cands[0] in held

    def row(self, p1, p2, amount: float) -> dict:
        """One swap: ``p1``'s account sells ``p1`` and buys ``p2``'s class; the other, back."""
        hh, key, rate = self.household, self.key, self.rate
        buy_x, _ = self.buy(p1.account, p2.asset_class, p2.symbol)
        note: list[str] = []
        tax_cost = 0.0
        avoid: tuple[str, ...] = ()
        if p1.treatment == _TAXABLE:
            try:
                sel = select_lots(hh, p1.account, p1.symbol, dollars=amount, method="min_tax")
            except PlanningError as exc:
                tax_cost = float("nan")
                note.append(f"tax cost unknown: {exc}")
            else:
                tax_cost = round(float(sel.attrs["tax"]), 2) + 0.0
                if float(sel["gain"].sum()) < 0:
                    avoid = (p1.symbol,)
                    self.sold_at_loss.append(sel[["lot_id", "account", "symbol", "quantity"]])
        buy_y, _ = self.buy(p2.account, p1.asset_class, p1.symbol, avoid)
        if avoid and key(buy_y) == key(p1.symbol):
            note.append(f"buying {buy_y} in {p2.account} within 30 days would wash the "
                        f"{p1.symbol} loss: buy a fund that is not substantially identical")
        for acct, sym in ((p1.account, buy_x), (p2.account, buy_y)):
            g = key(sym)
            if g in self.recent:
                safe = (self.recent[g] + pd.Timedelta(days=1)).date()
                note.append(f"buying {sym} in {acct} before {safe} would wash a recent loss")
            if _employer(self.types.get(acct)):
                pos = hh.positions
                if not ((pos["account"] == acct) & (pos["symbol"] == sym)).any():
                    note.append(f"check that {sym} is on the {acct} plan menu")
        per = (rate(p1.symbol, p1.treatment) + rate(p2.symbol, p2.treatment)
               - rate(buy_x, p1.treatment) - rate(buy_y, p2.treatment))
        recovered = round(amount * per, 2) + 0.0
        if not np.isfinite(tax_cost):
            years = float("nan")
        elif tax_cost <= 0:
            years = 0.0
        else:
            years = round(tax_cost / recovered, 2) if recovered > 0 else float("inf")
        return {"account": p1.account, "sell": p1.symbol, "sell_class": p1.asset_class,
                "buy": buy_x, "buy_class": p2.asset_class, "other_account": p2.account,
                "other_sell": p2.symbol, "other_buy": buy_y,
                "dollars": round(amount, 2) + 0.0, "drag_recovered": recovered,
                "tax_cost": tax_cost, "years_to_recover": years, "note": "; ".join(note)}

    def wash_notes(self, rows: list[dict]) -> None:
        """Add what could wash each loss sold by the swaps (one forward check for all)."""
        if not self.sold_at_loss:
            return
        sales = pd.concat(self.sold_at_loss, ignore_index=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = forward_wash_check(self.household, sales[["lot_id", "quantity"]],
                                   policy=self.policy)
        t = t[t["quantity"].fillna(0) > 0].drop_duplicates(
            ["sale_account", "sale_symbol", "account", "symbol", "kind"])
        for row in rows:
            hit = t[(t["sale_account"] == row["account"]) & (t["sale_symbol"] == row["sell"])]
            extra = [f"the {row['sell']} loss could be washed by the "
                     f"{_THREAT_LABELS.get(k, k)} of {s} in {a}"
                     + (" (for good: a tax-advantaged account)" if p else "")
                     for a, s, k, p in zip(hit["account"], hit["symbol"], hit["kind"],
                                           hit["permanent"], strict=True)]
            row["note"] = "; ".join([*extra, *filter(None, [row["note"]])])

