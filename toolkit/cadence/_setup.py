"""The household's starting state for the simulator: dollars per (account, class) and, for
taxable accounts, value and basis per class in holding-period buckets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.allocation import exposures
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.schema import UNCLASSIFIED, TaxTreatment, TaxType
from toolkit.tax.holding import long_term_dates

#: Buckets per taxable class: 0 = long-term pool; k = 1..13 = turns long-term in k months.
BUCKETS = 14
#: Employer plans and HSAs offer a fund menu: they trade only the classes they start with.
MENU_TYPES = frozenset(t for t in TaxType if t.is_employer_plan or t is TaxType.HSA)


@dataclass
class Setup:
    classes: list[str]
    target: np.ndarray            # (C,)
    accounts: list[str]
    tax_types: list[TaxType]
    taxable: np.ndarray           # (K,) account indices
    advantaged: np.ndarray        # account indices, trading order
    order: np.ndarray             # all accounts: tax-advantaged first, narrow menus first
    deferred: np.ndarray          # (A,) bool
    menu: np.ndarray              # (A, C) bool
    fallback: np.ndarray          # (A, C) mix for new money into an empty account
    value: np.ndarray             # (A, C) dollars
    bucket_value: np.ndarray      # (K, C, BUCKETS) dollars
    bucket_basis: np.ndarray      # (K, C, BUCKETS) dollars
    contributions: np.ndarray     # (A,) dollars per year
    start: pd.Timestamp
    warnings: list[str] = field(default_factory=list)


def months_to_long_term(holding_start: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """For each lot, the first simulated month whose end (start + k months) is long-term.

    0 when already long-term at ``start``; at most 13.
    """
    ltd = long_term_dates(holding_start)
    ends = [start + pd.DateOffset(months=k) for k in range(BUCKETS)]
    k = np.zeros(len(ltd), dtype="int64")
    done = np.array(ltd <= start, dtype=bool)
    for m in range(1, BUCKETS):
        hit = ~done & np.array(ltd <= ends[m], dtype=bool)
        k[hit] = m
        done |= hit
    k[~done] = BUCKETS - 1
    return k


def build(household: Household, *, unclassified: str | None,
          contributions: Mapping[str, float] | None) -> Setup:
    warnings: list[str] = []
    ex = exposures(household)
    if (ex["asset_class"] == UNCLASSIFIED).any():
        syms = sorted(set(ex.loc[ex["asset_class"] == UNCLASSIFIED, "symbol"]))
        if unclassified is None:
            raise PlanningError(
                f"holdings the security master does not know ({', '.join(syms)}) need returns "
                "to simulate: classify them under [securities] in the household file, or pass "
                "unclassified='<asset class>' to simulate them as that class")
        ex.loc[ex["asset_class"] == UNCLASSIFIED, "asset_class"] = unclassified
        warnings.append(f"unclassified holdings {', '.join(syms)} simulated as {unclassified}")
    target = household.targets
    held = ex.groupby("asset_class", sort=False)["market_value"].sum()
    extra = [c for c in held.index if c not in target.index and held[c] != 0]
    classes = list(target.index) + extra
    cidx = {c: i for i, c in enumerate(classes)}
    accts = household.accounts
    accounts = [str(a) for a in accts["account"]]
    aidx = {a: i for i, a in enumerate(accounts)}
    tax_types = [TaxType(t) for t in accts["tax_type"]]
    A, C = len(accounts), len(classes)

    value = np.zeros((A, C))
    g = ex.groupby(["account", "asset_class"], sort=False)["market_value"].sum()
    for (a, c), v in g.items():
        if a not in aidx:
            raise PlanningError(f"positions name account {a!r}, which the household lacks")
        value[aidx[a], cidx[c]] += v
    if (value < -1e-9).any():
        raise PlanningError("a negative holding (short position or margin debit) cannot be "
                            "simulated; remove it from the positions first")
    value = np.clip(value, 0.0, None)

    taxable = np.array([i for i, t in enumerate(tax_types) if t is TaxType.TAXABLE],
                       dtype="int64")
    deferred = np.array([t.treatment is TaxTreatment.TAX_DEFERRED for t in tax_types])
    menu = np.ones((A, C), dtype=bool)
    for i, t in enumerate(tax_types):
        if t in MENU_TYPES and value[i].sum() > 0:
            menu[i] = value[i] > 0
    tgt = target.reindex(classes).fillna(0.0).to_numpy(dtype="float64")
    fallback = np.zeros((A, C))
    for i in range(A):
        f = tgt * menu[i]
        fallback[i] = f / f.sum() if f.sum() > 0 else menu[i] / menu[i].sum()
    # tax-advantaged accounts first (they take the tax-inefficient deficits), narrow menus
    # first within each kind
    order = np.array(sorted(range(A), key=lambda i: (tax_types[i] is TaxType.TAXABLE,
                                                     menu[i].sum(), i)), dtype="int64")
    advantaged = np.array([i for i in order if tax_types[i] is not TaxType.TAXABLE],
                          dtype="int64")

    bv, bb = _buckets(household, ex, taxable, accounts, cidx, value, warnings)

    planned = dict(household.contributions if contributions is None else contributions)
    contrib = np.zeros(A)
    for a, amount in planned.items():
        if a not in aidx:
            raise PlanningError(f"contributions name account {a!r}, which the household "
                                f"lacks (accounts: {', '.join(accounts)})")
        if not np.isfinite(amount) or amount < 0:
            raise PlanningError(f"contribution to {a!r} is {amount!r}; give dollars per year "
                                "(not negative)")
        contrib[aidx[a]] += float(amount)
    return Setup(classes, tgt, accounts, tax_types, taxable, advantaged, order, deferred, menu,
                 fallback, value, bv, bb, contrib, pd.Timestamp(household.as_of).normalize(),
                 warnings)


def _buckets(household: Household, ex: pd.DataFrame, taxable: np.ndarray, accounts: list[str],
             cidx: dict[str, int], value: np.ndarray,
             warnings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    K, C = len(taxable), len(cidx)
    bv = np.zeros((K, C, BUCKETS))
    bb = np.zeros((K, C, BUCKETS))
    if K == 0:
        return bv, bb
    start = pd.Timestamp(household.as_of).normalize()
    split = ex.groupby(["account", "symbol", "asset_class"], sort=False)["weight"].first()
    weights: dict[tuple[str, str], dict[str, float]] = {}
    for (a, s, c), w in split.items():
        weights.setdefault((a, s), {})
        weights[(a, s)][c] = weights[(a, s)].get(c, 0.0) + float(w)
    lots = household.lots
    pos = household.positions
    for k, ai in enumerate(taxable):
        acct = accounts[ai]
        p_acct = pos[pos["account"] == acct]
        l_acct = lots[lots["account"] == acct]
        for sym, p in p_acct.groupby("symbol", sort=False):
            mv = float(p["market_value"].sum())
            split_w = weights.get((acct, sym), {})
            if not split_w:
                continue
            is_cash = (p["asset_class"] == "cash").all()
            lt = l_acct[l_acct["symbol"] == sym]
            if len(lt) and not is_cash and lt["quantity"].sum() > 0:
                qty = lt["quantity"].to_numpy(dtype="float64")
                held = float(p["quantity"].sum()) if p["quantity"].notna().all() else np.nan
                if np.isfinite(held) and abs(qty.sum() - held) > 0.01 * max(abs(held), 1e-9):
                    warnings.append(f"{acct} {sym}: lots hold {qty.sum():g} shares, the "
                                    f"position {held:g}; the position's value is spread over "
                                    "the lots by quantity")
                lot_value = mv * qty / qty.sum()
                basis = lt["cost_basis"].to_numpy(dtype="float64")
                missing = ~np.isfinite(basis)
                if missing.any():
                    warnings.append(f"{acct} {sym}: {int(missing.sum())} lot(s) without a cost "
                                    "basis simulated with basis = value")
                    basis = np.where(missing, lot_value, basis)
                hs = lt["holding_start"].where(lt["holding_start"].notna(), lt["acquired"])
                kk = months_to_long_term(hs.reset_index(drop=True), start)
            else:
                lot_value = np.array([mv])
                b = p["cost_basis"].sum(min_count=1)
                if is_cash:
                    b = mv
                elif pd.isna(b):
                    warnings.append(f"{acct} {sym}: no cost basis; simulated with basis = "
                                    "value")
                    b = mv
                elif len(lt) == 0:
                    warnings.append(f"{acct} {sym}: no lots; the whole position is simulated "
                                    "as long-term")
                basis = np.array([float(b)])
                kk = np.zeros(1, dtype="int64")
            for c, w in split_w.items():
                ci = cidx[c]
                np.add.at(bv[k, ci], kk, w * lot_value)
                np.add.at(bb[k, ci], kk, w * basis)
        # keep the buckets equal to the account's class values (positions without a symbol
        # split, rounding): any difference is long-term at basis = value
        diff = value[ai] - bv[k].sum(-1)
        fix = np.abs(diff) > 1e-6
        if fix.any():
            bv[k, fix, 0] += diff[fix]
            bb[k, fix, 0] += diff[fix]
    return bv, bb
