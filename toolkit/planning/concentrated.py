"""Diversifying a concentrated holding over several years within a gains budget.

:func:`diversify` sells a concentrated position down toward ``target_weight`` of the
household, a year at a time:

- **Tax-advantaged shares first** (a 401(k), an IRA): selling inside them realises nothing,
  so the whole excess can go in the first year. Employer stock in a 401(k) has a warning:
  selling it inside the plan gives up the NUA treatment (:mod:`toolkit.planning.nua`).
- **Taxable shares within a budget**: each year sells only as much as keeps the year's
  *net* realised gains within the room under ``bracket`` (``"ltcg_0"``/``"ltcg_15"``: total
  taxable income up to the 0%/15% long-term ceiling; ``"niit"``: modified AGI up to the NIIT
  threshold), or within ``budget`` dollars of net gain a year when given. The room is found
  with the full tax computation (:func:`toolkit.tax.gains.capital_gains_liability`), so
  carryforwards, this year's realised gains and the loss deduction are all counted.
- **Lots**: loss lots first (they add room), then long-term lots with the least gain per
  dollar (highest basis first); short-term lots at a gain wait until they turn long-term
  (terms on each year's sale date, from ``holding_start``).
- **Harvest pairing** (``harvest=True``): in the first year, the household's harvestable
  losses (:func:`toolkit.harvest`, other holdings, status ``"harvest"``) are realised with
  the sales, so the same room takes more gain.

Each later year uses the profile with that year's projected income (``incomes_by_year``,
default this year's), no other gains, the carryforward left by the year before, and the
tables of that year or the latest available (column ``assumption``). Prices and the rest of
the household grow at ``growth`` a year (default 0: today's prices); sales happen on the
anniversary of ``household.as_of``. Proceeds stay in the household (reinvested elsewhere).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household, TaxProfile
from toolkit.planning._common import (
    CEILINGS,
    ceiling_limit,
    future_profile,
    money,
    notes_once,
    r2,
    rate,
)
from toolkit.schema import TaxType, Term
from toolkit.tax.engine import profile_for
from toolkit.tax.gains import capital_gains_liability, gains_tax
from toolkit.tax.harvest import harvest as run_harvest
from toolkit.tax.holding import terms

__all__ = ["DIVERSIFY_COLUMNS", "diversify"]

#: Columns of :func:`diversify`, in order.
DIVERSIFY_COLUMNS = (
    "year", "tables_year", "assumption", "price", "allowed_gain", "harvested_loss",
    "shares_sold", "proceeds", "basis_sold", "short_term_gain", "long_term_gain", "federal",
    "niit", "state", "tax", "tax_without_harvest", "remaining_shares", "remaining_value",
    "weight", "unrealized_gain", "lots",
)


def _whole_shares(household: Household, symbol: str) -> bool:
    m = household.securities
    key = m.resolve(symbol)
    info = m.get(key) if key else None
    return info is None or info.get("vehicle") in ("etf", "stock", "cef")


def _measure(p: TaxProfile, st: float, lt: float, bracket: str) -> float:
    L = capital_gains_liability(p, short_term=st, long_term=lt)
    return L.agi if bracket == "niit" else L.taxable_income


def _max_gain(p: TaxProfile, st: float, lt: float, bracket: str, cap: float) -> float:
    """Largest extra long-term gain keeping the bracket's measure at or under its limit.

    Dollars, to the cent, at most ``cap``, with ``st``/``lt`` already realised.
    """
    limit, _, _ = ceiling_limit(p, bracket)
    if _measure(p, st, lt, bracket) > limit + 1e-6:
        return 0.0
    if _measure(p, st, lt + cap, bracket) <= limit + 1e-6:
        return cap
    lo, hi = 0.0, cap
    while hi - lo > 0.005:
        mid = (lo + hi) / 2
        if _measure(p, st, lt + mid, bracket) <= limit + 1e-6:
            lo = mid
        else:
            hi = mid
    cents = math.floor(lo * 100) / 100
    while cents + 0.01 <= cap and _measure(p, st, lt + cents + 0.01, bracket) <= limit + 1e-6:
        cents = round(cents + 0.01, 2)
    return cents


def diversify(household: Household, symbol: str, *, account: str | None = None,
              target_weight: float = 0.05, years: int = 5, budget: float | None = None,
              bracket: str = "ltcg_15", harvest: bool = True, growth: float = 0.0,
              incomes_by_year: Mapping[int, float] | None = None) -> pd.DataFrame:
    """A multi-year plan to sell a concentrated holding down to a target weight.

    Parameters
    ----------
    household : Household
        Positions (prices, values), lots of taxable holdings, the year-to-date profile.
    symbol : str
        The concentrated holding.
    account : str, optional
        Only this account's shares (default: every account holding ``symbol``).
    target_weight : float, default 0.05
        Weight of the household to come down to, fraction.
    years : int, default 5
        Years to plan (the first is the profile's year).
    budget : float, optional
        Net realised gain allowed per year, dollars; overrides ``bracket``.
    bracket : {"ltcg_15", "ltcg_0", "niit"}, default "ltcg_15"
        Keep each year's gains under this ceiling (see the module docstring).
    harvest : bool, default True
        Realise the household's harvestable losses with the first year's sales.
    growth : float, default 0
        Annual price growth of the holding and of the rest of the household, fraction.
    incomes_by_year : mapping, optional
        Taxable ordinary income per later year, dollars (default: this year's).

    Returns
    -------
    DataFrame
        One row per year, columns :data:`DIVERSIFY_COLUMNS`: ``allowed_gain`` (net gain the
        year may realise, dollars; NaN for untaxed sales only), ``harvested_loss`` (dollars,
        positive), ``shares_sold``, ``proceeds``, ``basis_sold``, ``short_term_gain``,
        ``long_term_gain`` (dollars; taxable shares only), ``federal``, ``niit``, ``state``,
        ``tax`` (change in the year's tax from the sales and harvested losses together,
        dollars), ``tax_without_harvest`` (the sales alone), ``remaining_shares``,
        ``remaining_value`` (dollars), ``weight`` (of the household after the year's sales,
        fraction), ``unrealized_gain`` (left in the taxable shares, dollars), ``lots``
        (``"account:lot_id x shares"`` sold, ``"; "``-joined) and ``assumption`` (notes).

    Raises
    ------
    PlanningError
        If nothing of ``symbol`` is held, an argument is out of range, or ``bracket`` is
        not one of the gains ceilings.
    """
    if bracket not in CEILINGS:
        raise PlanningError(f"bracket {bracket!r}: a gains ceiling, one of {', '.join(CEILINGS)}")
    tw = float(target_weight)
    if not 0 <= tw < 1:
        raise PlanningError(f"target_weight {target_weight!r} must be a fraction in [0, 1)")
    if int(years) < 1:
        raise PlanningError(f"years {years!r} must be at least 1")
    g = rate("growth", growth, upper=10.0)
    bud = None if budget is None else money("budget", budget)
    pos = household.positions
    sym = symbol.upper()
    sel = pos["symbol"].str.upper().eq(sym)
    if account is not None:
        sel &= pos["account"].eq(account)
    held = pos[sel]
    if held.empty or held["quantity"].sum() <= 0:
        raise PlanningError(f"no {symbol} held" + (f" in account {account}" if account else ""))
    types = household.accounts.set_index("account")["tax_type"]
    held = held.assign(tax_type=held["account"].map(types))
    price0 = float(held["market_value"].sum() / held["quantity"].sum())
    total0 = float(pos["market_value"].sum())
    whole = _whole_shares(household, symbol)
    adv = held[held["tax_type"] != TaxType.TAXABLE.value]
    adv_shares = {a: float(q) for a, q in zip(adv["account"], adv["quantity"], strict=True)}
    tax_rows = held[held["tax_type"] == TaxType.TAXABLE.value]
    lots = household.lots
    lots = lots[lots["symbol"].str.upper().eq(sym) & lots["account"].isin(tax_rows["account"])]
    notes0: list[str] = []
    lot_tab = []
    for r in tax_rows.itertuples(index=False):
        mine = lots[lots["account"] == r.account]
        if len(mine) and abs(mine["quantity"].sum() - r.quantity) < 1e-6 and \
                mine["cost_basis"].notna().all():
            for lot in mine.itertuples(index=False):
                lot_tab.append((r.account, str(lot.lot_id), float(lot.quantity),
                                float(lot.cost_basis) / float(lot.quantity),
                                lot.holding_start if pd.notna(lot.holding_start) else
                                lot.acquired))
        elif pd.notna(r.cost_basis):
            lot_tab.append((r.account, "position", float(r.quantity),
                            float(r.cost_basis) / float(r.quantity), pd.NaT))
            notes0.append(f"{r.account}: no complete lots for {symbol}: the position's basis is "
                          "used as one long-term lot")
        else:
            raise PlanningError(f"{symbol} in {r.account} has no cost basis and no lots")
    lt_df = pd.DataFrame(lot_tab, columns=["account", "lot_id", "quantity", "bps", "start"])
    lt_df["start"] = pd.to_datetime(lt_df["start"]).astype("datetime64[us]")
    employer = any(TaxType(t).is_employer_plan for t in adv["tax_type"])

    p0 = profile_for(household)
    harvest_st = harvest_lt = 0.0
    if harvest and len(lt_df):
        hr = run_harvest(household).to_harvest
        hr = hr[hr["symbol"].str.upper() != sym]
        harvest_st = float(hr.loc[hr["term"] == Term.SHORT.value, "loss"].sum())
        harvest_lt = float(hr.loc[hr["term"] == Term.LONG.value, "loss"].sum())
    as_of = pd.Timestamp(household.as_of).normalize()
    carry_st = carry_lt = None
    rows = []
    for k in range(int(years)):
        year = p0.year + k
        notes = list(notes0) if k == 0 else []
        day = as_of if k == 0 else as_of + pd.DateOffset(years=k)
        grow = (1.0 + g) ** k
        price = price0 * grow
        total = total0 * grow
        if k == 0:
            prof, tnote = p0, ""
        else:
            inc = (incomes_by_year or {}).get(year, p0.ordinary_income)
            prof, tnote = future_profile(p0, year, money(f"incomes_by_year[{year}]", inc,
                                                         allow_negative=True))
            prof = prof.replace(carryforward_short_term=carry_st or 0.0,
                                carryforward_long_term=carry_lt or 0.0)
        if tnote:
            notes.append(tnote)
        shares_left = sum(adv_shares.values()) + float(lt_df["quantity"].sum())
        excess = max(0.0, shares_left * price - tw * total)
        sold_q = 0.0
        sold_desc = []
        # 1. tax-advantaged shares: no tax
        for a in list(adv_shares):
            want = excess / price - sold_q
            q = min(adv_shares[a], max(0.0, want))
            if whole:  # untaxed: round the sale up so the holding ends at or under target
                q = math.ceil(q - 1e-9) if q < adv_shares[a] else q
                q = min(q, adv_shares[a])
            if q > 0:
                adv_shares[a] -= q
                sold_q += q
                sold_desc.append(f"{a}: {q:g} sh (untaxed)")
        if employer and k == 0 and sold_q > 0:
            notes.append(f"selling {symbol} inside the employer plan gives up the NUA treatment "
                         "(see nua_comparison)")
        # 2. taxable lots within the gains room
        h_st, h_lt = (harvest_st, harvest_lt) if k == 0 else (0.0, 0.0)
        st_g = lt_g = basis = 0.0
        allowed = np.nan
        want_q = max(0.0, excess / price - sold_q)
        if len(lt_df) and want_q > 1e-9:
            tm = terms(lt_df["start"].fillna(pd.Timestamp("1900-01-01")), day)
            gain_ps = price - lt_df["bps"]
            order = lt_df.assign(term=tm.to_numpy(), gps=gain_ps,
                                 frac=gain_ps / price)
            order = order[order["quantity"] > 1e-9]
            loss = order[order["gps"] < 0].sort_values("gps", kind="stable")
            longg = order[(order["gps"] >= 0) & (order["term"] == Term.LONG.value)].sort_values(
                "frac", kind="stable")
            waiting = order[(order["gps"] >= 0) & (order["term"] == Term.SHORT.value)]
            if len(waiting) and k == 0:
                notes.append(f"{len(waiting)} short-term lot(s) at a gain wait until they are "
                             "long-term")
            cap = float((longg["gps"] * longg["quantity"]).sum())
            if bud is not None:
                allowed = bud + h_st + h_lt
            else:
                allowed = _max_gain(prof, -h_st, -h_lt, bracket, cap)
            # loss lots lower the running gain, gain lots raise it: every lot before the
            # first one that breaks the share count or the gain room is sold whole, that
            # one in part (whole shares for stocks and ETFs), the rest kept
            seq = pd.concat([loss, longg])
            q = seq["quantity"].to_numpy(dtype="float64")
            gps = seq["gps"].to_numpy(dtype="float64")
            cq = np.cumsum(q)
            cg = np.cumsum(q * gps)
            ok = (cq <= want_q + 1e-9) & (cg <= allowed + 1e-6)
            k = len(q) if ok.all() else int(np.argmin(ok))
            take = np.where(np.arange(len(q)) < k, q, 0.0)
            if k < len(q):
                rq = want_q - (cq[k - 1] if k else 0.0)
                rg = allowed - (cg[k - 1] if k else 0.0)
                part = min(q[k], rq, rg / gps[k] if gps[k] > 0 else np.inf)
                take[k] = max(0.0, math.floor(part + 1e-9) if whole else part)
            gain = take * gps
            is_long = (seq["term"] == Term.LONG.value).to_numpy()
            lt_g = float(gain[is_long].sum())
            st_g = float(gain[~is_long].sum())
            basis = float((take * seq["bps"].to_numpy()).sum())
            sold_q += float(take.sum())
            lt_df.loc[seq.index, "quantity"] = q - take
            sold_desc += [f"{a}:{i} x {t:g}" for a, i, t in
                          zip(seq["account"], seq["lot_id"], take, strict=True) if t > 0]
        st_g, lt_g = r2(st_g), r2(lt_g)
        with_h = gains_tax(prof, short_term=st_g - h_st, long_term=lt_g - h_lt)
        alone = gains_tax(prof, short_term=st_g, long_term=lt_g)
        carry_st = with_h.after.carryforward_short_term
        carry_lt = with_h.after.carryforward_long_term
        remaining = sum(adv_shares.values()) + float(lt_df["quantity"].sum())
        unreal = float((lt_df["quantity"] * (price - lt_df["bps"])).sum())
        rows.append({
            "year": year, "tables_year": prof.year, "assumption": "; ".join(notes),
            "price": r2(price), "allowed_gain": allowed if allowed != allowed else r2(allowed),
            "harvested_loss": r2(h_st + h_lt), "shares_sold": sold_q,
            "proceeds": r2(sold_q * price), "basis_sold": r2(basis),
            "short_term_gain": st_g, "long_term_gain": lt_g, "federal": with_h.federal,
            "niit": with_h.niit, "state": with_h.state, "tax": with_h.total,
            "tax_without_harvest": alone.total, "remaining_shares": remaining,
            "remaining_value": r2(remaining * price),
            "weight": round(remaining * price / total, 6) if total else np.nan,
            "unrealized_gain": r2(unreal), "lots": "; ".join(sold_desc),
        })
    out = pd.DataFrame(rows, columns=list(DIVERSIFY_COLUMNS))
    out["assumption"] = notes_once(out["assumption"])  # each note once, where it starts
    return out.astype(
        {"year": "int64", "tables_year": "int64", "assumption": "str", "lots": "str"})
