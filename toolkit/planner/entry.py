"""The planner's entry point: :func:`plan`.

:func:`plan` builds the working state (:class:`~toolkit.planner._book.Book`), runs one mode
(:class:`~toolkit.planner.PlanMode`: the waterfall of :mod:`toolkit.planner.waterfall`, the
optimiser of :mod:`toolkit.planner.optimize` or the naive yardstick of
:mod:`toolkit.planner.naive`) and turns what it did into a
:class:`~toolkit.planner.plan.Plan`: trades, lots sold, the exact tax and the drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from toolkit.accounts import match_contributions
from toolkit.allocation import drift as household_drift
from toolkit.allocation import exposures
from toolkit.errors import PlanningError
from toolkit.history import reconcile
from toolkit.household import Household, validate_targets
from toolkit.planner import waterfall as w
from toolkit.planner._book import Book
from toolkit.planner._guard import Guard
from toolkit.planner._picks import plan_gains
from toolkit.planner.deferred import left_undone, new_money_needed, waiting
from toolkit.planner.naive import naive
from toolkit.planner.optimize import optimize
from toolkit.planner.options import PlanMode, PlanOptions
from toolkit.planner.plan import (
    LOT_COLUMNS,
    STEP_NAMES,
    TRADE_COLUMNS,
    Plan,
    PlanSummary,
    allocate_tax,
)
from toolkit.planner.reasons import money_text
from toolkit.tax.engine import profile_for, tax_change, tax_inputs
from toolkit.tax.gains import gains_tax, marginal_rates

__all__ = ["plan", "planned_contributions"]


def planned_contributions(household: Household,
                          contributions: Mapping[str, float] | None = None) -> dict[str, float]:
    """The new money a plan invests, per household account id.

    Parameters
    ----------
    household : Household
    contributions : mapping, optional
        Account id (full or masked) -> dollars (negative for a withdrawal); default the
        household file's ``[contributions]``.

    Returns
    -------
    dict of str to float
        Household account id -> dollars (:func:`toolkit.accounts.match_contributions`).

    Raises
    ------
    PlanningError
        If a key matches no account or several, or an amount is not a number.
    """
    src = household.contributions if contributions is None else contributions
    return match_contributions(household.accounts["account"], src,
                               where="contribution account", error=PlanningError)


def _untrusted(household: Household) -> set[tuple[str, str]]:
    """(account, symbol) pairs whose lots cannot be trusted (see :func:`toolkit.reconcile`)."""
    r = reconcile(household)
    bad = r[~r["trusted"].astype(bool)]
    return set(zip(bad["account"], bad["symbol"], strict=True))


def plan(household: Household, contributions: Mapping[str, float] | None = None,
         mode: str = "waterfall", *, targets: Mapping[str, float] | None = None,
         options: PlanOptions | None = None, **kwargs: Any) -> Plan:
    """Plan trades that bring the household to its target at the least tax.

    Parameters
    ----------
    household : Household
        Sales are priced on its year-to-date profile (:func:`toolkit.tax.profile_for`), under the
        plan's ``wash_policy``.
    contributions : mapping, optional
        Account id -> new money (+) or withdrawal (−), dollars. Default: the household file's
        ``[contributions]``. Idle cash above each account's floor is invested too.
    mode : PlanMode or str, default "waterfall"
        One of :class:`~toolkit.planner.PlanMode`: ``"waterfall"``, ``"optimal"``,
        ``"naive"``.
    targets : mapping, optional
        Class -> weight (default the household's target).
    options : PlanOptions, optional
    **kwargs
        Any :class:`PlanOptions` field (``band``, ``whole_shares``, ``min_trade``,
        ``cash_floor``, ``do_not_sell``, ``do_not_buy``, ``menus``,
        ``allow_short_term_gains``, ``gains_budget``, ``wash_guard``, ``wash_policy``,
        ``preferred``, ``prices``, ``allow_untrusted``; optimal mode: ``lambda_drift``,
        ``drift_price``, ``lambda_location``, ``trade_cost``, ``within_band``,
        ``match_drift``, ``wash_binaries``, ``exact_netting``, ``time_limit``, ``mip_gap``).

    Returns
    -------
    Plan
        ``trades`` (at least ``account``, ``symbol``, ``side``, ``shares``, ``amount``,
        ``est_tax``, ``reason``), ``summary`` (a :class:`~toolkit.planner.plan.PlanSummary`:
        ``summary.tax``, ``summary.turnover``, ``summary.drift_after``, ...), ``steps``,
        ``lots``.

    Raises
    ------
    PlanningError
        On unknown options or accounts, or an impossible request.
    """
    if mode not in {m.value for m in PlanMode}:
        raise PlanningError(f"mode={mode!r}: expected one of "
                            f"{', '.join(m.value for m in PlanMode)}")
    mode = PlanMode(mode).value
    if options is None:
        options = PlanOptions.from_kwargs(**kwargs)
    elif kwargs:
        options = options.replace(**kwargs)
    tgt = household.targets if targets is None else validate_targets(dict(targets))
    contrib = planned_contributions(household, contributions)
    untrusted = set() if options.allow_untrusted else _untrusted(household)
    book = Book.from_household(household, options, contrib, untrusted)
    profile = profile_for(household, policy=options.wash_policy)
    book.rates = marginal_rates(profile)
    book.tax_inputs = tax_inputs(profile)
    values = exposures(household)
    before = household_drift(household, tgt, band=options.band, values=values)
    guard = Guard(book, contrib, wash=mode != "naive")

    start = w.abs_drift(book, tgt)
    if mode == "optimal":
        notes = optimize(book, tgt, profile, guard)
        book.step_drift[0] = start - w.abs_drift(book, tgt)
    elif mode == "naive":
        notes = naive(book, tgt, guard)
        book.step_drift[0] = start - w.abs_drift(book, tgt)
    else:
        notes = _waterfall(book, guard, tgt)
    notes += guard.refusal_notes()
    undone = left_undone(book, guard, tgt) if mode != "naive" else []
    return _finish(household, book, tgt, profile, before, mode, options, notes, contrib,
                   undone)


def _waterfall(book: Book, guard: Guard, targets: pd.Series) -> list[str]:
    """Steps 1-4 (:mod:`toolkit.planner.waterfall`); each step's drift removed kept."""
    band = book.options.band
    start = w.abs_drift(book, targets)
    guard.avoid = w.harvest_groups(book, guard, targets)
    notes = w.step_cash(book, guard, targets)
    book.step_drift[1] = start - (now := w.abs_drift(book, targets))
    # overweight classes at a loss: sold in taxable first, as far as the losses lower this
    # year's tax counting the gains steps 2 and 4 would realise without them
    if guard.avoid:
        snap = book.snapshot()
        before = sum(plan_gains(book))
        w.step_tax_advantaged(book, guard, targets)
        w.step_taxable(book, guard, targets, band)
        ahead = max(sum(plan_gains(book)) - before, 0.0)
        book.restore(snap)
        w.step_loss_sales(book, guard, targets, gains_ahead=ahead)
    book.step_drift[3] = now - (now := w.abs_drift(book, targets))
    w.step_tax_advantaged(book, guard, targets)
    book.step_drift[2] = now - (now := w.abs_drift(book, targets))
    # the gains step 4 would realise, so that step 3 harvests the losses that offset them
    # (and leaves alone the loss lots step 4 sells outright, losses first: swapping them for
    # another fund of the class would only make step 4 sell gain lots in their place)
    snap = book.snapshot()
    before = sum(plan_gains(book))
    seen = len(book.lot_rows)
    w.step_taxable(book, guard, targets, band)
    ahead = max(sum(plan_gains(book)) - before, 0.0)
    reserved = {(r["account"], r["symbol"], str(i)) for r in book.lot_rows[seen:]
                for i, g in zip(r["lot_id"], r["gain"], strict=True) if g < 0}
    book.restore(snap)
    notes += w.step_harvest(book, guard, targets, gains_ahead=ahead, reserved=reserved)
    book.step_drift[3] += now - (now := w.abs_drift(book, targets))
    more, _ = w.step_taxable(book, guard, targets, band)
    notes += more
    book.step_drift[4] = now - (now := w.abs_drift(book, targets))
    notes += w.step_harvest(book, guard, targets)  # gains step 4 realised beyond the estimate
    book.step_drift[3] += now - (now := w.abs_drift(book, targets))
    w.step_tax_advantaged(book, guard, targets, step=5, label=STEP_NAMES[5])
    book.step_drift[5] = now - w.abs_drift(book, targets)
    return list(dict.fromkeys(notes))


def _finish(household: Household, book: Book, targets: pd.Series, profile, before: pd.DataFrame,
            mode: str, options: PlanOptions, notes: list[str],
            contributions: dict[str, float], undone: list[dict]) -> Plan:
    acc = household.accounts.set_index("account")
    trades = pd.DataFrame(book.trades)
    lots = book.lots_frame()
    if trades.empty:
        trades = pd.DataFrame(columns=TRADE_COLUMNS)
    for c in ("short_term_gain", "long_term_gain"):
        if c not in trades:
            trades[c] = np.nan
        trades[c] = trades[c].astype("float64")
    if "lots" not in trades:
        trades["lots"] = None
    # merge trades of the same account, fund, side and step
    if len(trades):
        g = trades.groupby(["step", "account", "symbol", "side"], sort=False)
        merged = g.agg(shares=("shares", "sum"), price=("price", "first"),
                       amount=("amount", "sum"), asset_class=("asset_class", "first"),
                       lots=("lots", _join))
        for c in ("short_term_gain", "long_term_gain"):  # all-NaN (buys) stays NaN
            merged[c] = g[c].sum(min_count=1)
        merged["reason"] = g["reason"].first()
        trades = merged.reset_index()
        # the minimum trade is kept where trades are made (Book.buy/sell, the optimiser's
        # on/off columns); a sale that a withdrawal or floor needs may be smaller, and every
        # trade made moved cash and lots: only sub-cent remnants go
        keep = trades["amount"] >= 0.005
        trades = trades[keep].reset_index(drop=True)
        trades["amount"] = trades["amount"].round(2)
    st = float(trades["short_term_gain"].sum()) if len(trades) else 0.0
    lt = float(trades["long_term_gain"].sum()) if len(trades) else 0.0
    tax = gains_tax(profile, short_term=st, long_term=lt)
    trades["gain"] = trades["short_term_gain"].fillna(0.0) + trades["long_term_gain"].fillna(0.0)
    trades.loc[trades["side"] == "buy", "gain"] = np.nan
    trades["est_tax"] = 0.0
    if len(lots):
        lots["est_tax"] = 0.0
    if (st or lt) and len(lots):
        inp = tax_inputs(profile)  # the fast path of gains_tax(...).total (no breakdown)
        st_first = tax_change(inp, st, 0.0)
        lt_first = tax_change(inp, 0.0, lt)
        is_long = lots["term"].eq("long").to_numpy()
        g = lots["gain"].to_numpy()
        est_st, est_lt = allocate_tax(tax.total, np.where(is_long, 0.0, g),
                                       np.where(is_long, g, 0.0), st_first, lt_first)
        lots["est_tax"] = np.round(est_st + est_lt, 2)
        per = lots.groupby(["step", "account", "symbol"])["est_tax"].sum()
        sell = trades["side"] == "sell"
        trades.loc[sell, "est_tax"] = [per.get((s, a, y), 0.0) for s, a, y in
                                       zip(trades.loc[sell, "step"], trades.loc[sell, "account"],
                                           trades.loc[sell, "symbol"], strict=True)]
    wait = waiting(book, lots, tax.total) if len(lots) else None
    if wait is not None:
        notes = notes + [
            f"waiting until {wait['until']} for {len(wait['lots'])} short-term lot(s) sold at a "
            f"gain to turn long-term would save {money_text(wait['saving'])} of tax "
            f"({money_text(tax.total)} now, {money_text(wait['tax_then'])} then): "
            + ", ".join(f"{r['lot_id']} of {r['symbol']} in {r['account']} "
                        f"(long-term from {r['long_from']})" for r in wait["lots"])]
    notes = notes + [u["reason"] for u in undone]
    trades["account_name"] = trades["account"].map(acc["name"])
    trades["tax_type"] = trades["account"].map(acc["tax_type"])
    trades = trades.reindex(columns=TRADE_COLUMNS)
    lots = lots.reindex(columns=LOT_COLUMNS) if len(lots) else pd.DataFrame(columns=LOT_COLUMNS)

    cv = book.class_values()
    total = sum(cv.values())
    classes = list(targets.index) + [c for c in cv if c not in targets.index]
    after = {c: cv.get(c, 0.0) / total - float(targets.get(c, 0.0)) for c in classes}
    after = {c: v for c, v in after.items() if abs(v) > 1e-12 or c in targets.index}
    drift_before = before["drift"].to_dict()
    ob = w.outside(book, targets, options.band)
    steps = []
    for s in sorted(set(trades["step"].dropna().astype(int))) if len(trades) else []:
        part = trades[trades["step"] == s]
        steps.append({"step": s, "name": STEP_NAMES.get(s, str(s)), "trades": len(part),
                      "tax": float(part["est_tax"].sum())})
    steps_df = pd.DataFrame(steps, columns=["step", "name", "trades", "tax"])
    steps_df["drift_removed"] = [book.step_drift.get(int(s), np.nan) for s in steps_df["step"]]
    turnover = float(trades["amount"].sum()) / 2 / total if total else 0.0
    summary = PlanSummary(
        mode=mode,
        tax=tax.total, federal=tax.federal, state=tax.state, niit=tax.niit,
        short_term_gain=round(st, 2), long_term_gain=round(lt, 2),
        turnover=turnover, trades=len(trades),
        bought=round(float(trades.loc[trades["side"] == "buy", "amount"].sum()), 2),
        sold=round(float(trades.loc[trades["side"] == "sell", "amount"].sum()), 2),
        drift_before=drift_before, drift_after=after,
        abs_drift_before=float(before["drift"].abs().sum()),
        abs_drift_after=float(sum(abs(v) for v in after.values())),
        within_band=not bool(ob.loc[[c for c in ob.index if c != "unclassified"],
                                    "outside"].any()),
        cash_after={a: round(v, 2) for a, v in book.cash.items()},
        value=total,
        contributions=dict(contributions),
        drift_price=None if options.gains_budget is not None else float(options.drift_price),
        deferred=tuple(undone),
        new_money_needed=new_money_needed(book, targets) if undone else 0.0,
        waiting=wait,
        cash_floors={a: round(book.floor(a), 2) for a in book.cash},
        pending={a: round(v, 2) for a, v in book.pending.items()},
    )
    after_rows = [(a, c, v) for a in book.cash for c, v in book.class_values(a).items()
                  if abs(v) > 0.005]
    allocation_after = pd.DataFrame(after_rows, columns=["group", "asset_class", "market_value"])
    return Plan(mode=mode, trades=trades, lots=lots, summary=summary, steps=steps_df,
                tax_detail=tax, notes=notes, household=household, options=options,
                allocation_after=allocation_after, extra=dict(book.extra))


def _join(values) -> str | None:
    parts = [v for v in values if isinstance(v, str) and v]
    return ";".join(parts) if parts else None
