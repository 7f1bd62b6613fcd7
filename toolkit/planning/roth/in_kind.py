"""Roth conversions: which holdings to convert in kind.

Rules and sources: :mod:`toolkit.planning.roth`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.allocation import exposures
from toolkit.cadence.returns import AssetAssumptions
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.location import placement_reason, placement_score
from toolkit.planning._common import (
    IRA_TYPES,
    account_row,
    money,
    owner_accounts,
    r2,
)
from toolkit.planning.roth.prorata import conversion_owner
from toolkit.planning.roth.tax import ConversionTax, conversion_tax
from toolkit.schema import TaxType

__all__ = ['InKindConversion', 'convert_in_kind']


# --- in kind ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InKindConversion:
    """Which holdings to convert in kind and how the household's location changes.

    Attributes
    ----------
    holdings : DataFrame
        One row per holding converted, best first: ``account`` (the traditional IRA),
        ``symbol``, ``asset_class``, ``roth_preference`` (placement score in Roth minus in
        tax-deferred: how much better the holding lives in Roth), ``expected_return``
        (fraction per year, the class assumption; look-through for funds), ``price``
        (dollars/share), ``quantity_held``, ``quantity`` (shares converted), ``value``
        (dollars), ``reason``.
    location : DataFrame
        ``asset_class``, ``treatment``, ``before``, ``after``, ``change`` (dollars).
    to_account : str or None
        The owner's Roth IRA receiving the shares (None: a new Roth IRA).
    amount, converted : float
        Dollars asked for and converted (whole shares of ETFs and stocks: a little less).
    tax : ConversionTax
    notes : tuple of str
    """

    holdings: pd.DataFrame
    location: pd.DataFrame
    to_account: str | None
    amount: float
    converted: float
    tax: ConversionTax = field(repr=False)
    notes: tuple[str, ...] = ()


def _expected_returns() -> dict[str, float]:
    t = AssetAssumptions.default().table
    return {str(c): float(v) for c, v in t["expected_return"].items()}


def convert_in_kind(household: Household, amount: float, *, account: str | None = None,
                    owner: str | None = None, basis=None) -> InKindConversion:
    """Which holdings of a traditional IRA to convert in kind, and the location after.

    Holdings are ranked by how much better they live in Roth than in a tax-deferred account
    (the playbook's placement scores, :func:`toolkit.location.placement_score`: equity before
    bonds: the highest expected growth belongs in Roth), then by their class's expected
    return (``toolkit/data/asset_assumptions.csv``; funds looked through by the security
    master's weights), then by value. Whole holdings are taken in that order and the last one
    in part: whole shares for ETFs and stocks, thousandths of a share for mutual funds.

    Parameters
    ----------
    household : Household
    amount : float
        Dollars to convert.
    account : str, optional
        The traditional IRA to convert from (default: every traditional, SEP and SIMPLE IRA
        of the owner, pooled).
    owner : str, optional
        Default: the account's owner, else the only owner of traditional IRAs.
    basis : optional
        After-tax IRA basis, for the tax (see :func:`conversion_tax`).

    Returns
    -------
    InKindConversion

    Raises
    ------
    PlanningError
        If the owner cannot be told, the account is not a traditional IRA, or ``amount`` is
        more than the account(s) hold.
    """
    amt = money("amount", amount)
    o = conversion_owner(household, owner, account)
    if account is not None:
        row = account_row(household, account)
        if row["tax_type"] not in IRA_TYPES:
            raise PlanningError(f"account {account!r} is a {row['tax_type']} account, not a "
                                "traditional, SEP or SIMPLE IRA")
        src = [str(row["account"])]
    else:
        if o is None:
            raise PlanningError("whose IRA? pass account= or owner=")
        src = owner_accounts(household, o, IRA_TYPES)
    pos = household.positions
    held = pos[pos["account"].isin(src) & (pos["market_value"] > 0)].copy()
    total = float(held["market_value"].sum())
    if amt > total + 0.005:
        raise PlanningError(f"converting ${amt:,.2f} is more than the ${total:,.2f} held in "
                            f"{', '.join(src)}")
    er = _expected_returns()
    ex = exposures(household)
    ex = ex[ex["account"].isin(src)]
    pref = ex["weight"] * ex["asset_class"].map(
        lambda c: placement_score(c, "tax_free") - placement_score(c, "tax_deferred"))
    exp_ret = ex["weight"] * ex["asset_class"].map(lambda c: er.get(c, np.nan))
    key = [ex["account"], ex["symbol"]]
    pref_by = pref.groupby(key).sum()
    er_by = exp_ret.groupby(key).sum(min_count=1)
    held["roth_preference"] = [float(pref_by.get((a, s), 0.0)) for a, s in
                               zip(held["account"], held["symbol"], strict=True)]
    held["expected_return"] = [float(er_by.get((a, s), np.nan)) for a, s in
                               zip(held["account"], held["symbol"], strict=True)]
    held = held.sort_values(["roth_preference", "expected_return", "market_value"],
                            ascending=[False, False, False], na_position="last", kind="stable")
    master = household.securities
    rows = []
    left = amt
    for r in held.itertuples(index=False):
        if left <= 0.005:
            break
        price = float(r.price) if pd.notna(r.price) and r.price > 0 else (
            r.market_value / r.quantity if r.quantity else np.nan)
        key_ = master.resolve(r.symbol) or master.resolve(r.cusip)
        info = master.get(key_) if key_ else None
        vehicle = None if info is None else info.get("vehicle")
        whole = vehicle in ("etf", "stock", "cef") or r.asset_class == "cash"
        if r.market_value <= left + 0.005:
            q = float(r.quantity)
        else:
            q = left / price
            q = math.floor(q) if whole and r.asset_class != "cash" else math.floor(q * 1000) / 1000
        if q <= 0:
            continue
        v = r2(min(r.market_value, q * price))
        left -= v
        cls = r.asset_class
        why = placement_reason(cls, "tax_free") or (
            "better in Roth than tax-deferred" if r.roth_preference > 0 else
            "fills the amount (no placement preference for Roth)")
        rows.append({"account": r.account, "symbol": r.symbol, "asset_class": cls,
                     "roth_preference": r.roth_preference, "expected_return": r.expected_return,
                     "price": price, "quantity_held": float(r.quantity), "quantity": q,
                     "value": v, "reason": why})
    cols = ["account", "symbol", "asset_class", "roth_preference", "expected_return", "price",
            "quantity_held", "quantity", "value", "reason"]
    moves = pd.DataFrame(rows, columns=cols)
    converted = r2(moves["value"].sum()) if len(moves) else 0.0
    dest = owner_accounts(household, o, (TaxType.ROTH_IRA.value,)) if o else []
    to = dest[0] if dest else None
    notes = []
    if to is None:
        notes.append(f"{o or 'the owner'} has no Roth IRA in the household: the shares go to a "
                     "new Roth IRA")
    if amt - converted > 0.005:
        notes.append(f"${amt - converted:,.2f} of the ${amt:,.2f} is not converted: whole "
                     "shares only for ETFs and stocks")
    tax = conversion_tax(household, converted, owner=o, basis=basis)
    return InKindConversion(holdings=moves, location=_location_after(household, moves, to),
                            to_account=to, amount=r2(amt), converted=converted, tax=tax,
                            notes=tuple(notes))


def _location_after(household: Household, moves: pd.DataFrame, to: str | None
                    ) -> pd.DataFrame:
    ex = exposures(household)
    ex["treatment"] = ex["tax_type"].map(lambda t: TaxType(t).treatment.value)
    before = ex.groupby(["asset_class", "treatment"])["market_value"].sum()
    after_ex = ex.copy()
    vals = household.positions.groupby(["account", "symbol"])["market_value"].sum()
    added = []
    for m in moves.itertuples(index=False):
        frac = m.value / float(vals.get((m.account, m.symbol), m.value))
        sel = (after_ex["account"] == m.account) & (after_ex["symbol"] == m.symbol)
        part = after_ex.loc[sel].copy()
        after_ex.loc[sel, "market_value"] = part["market_value"] * (1.0 - frac)
        part["market_value"] = part["market_value"] * frac
        part["treatment"] = "tax_free"
        part["account"] = to if to is not None else "new Roth IRA"
        added.append(part)
    if added:
        after_ex = pd.concat([after_ex, *added], ignore_index=True)
    after = after_ex.groupby(["asset_class", "treatment"])["market_value"].sum()
    out = pd.concat({"before": before, "after": after}, axis=1).fillna(0.0).round(2)
    out["change"] = (out["after"] - out["before"]).round(2) + 0.0
    return out.reset_index()
