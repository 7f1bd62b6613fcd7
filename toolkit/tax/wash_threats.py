"""Wash-sale threats to many planned sales at once, vectorised.

The same threats as :func:`toolkit.tax.wash.forward_wash_check` :
recent purchases in the 61-day window (less the shares already used by realised losses and
the shares being sold), planned contributions to accounts holding the group, and expected
reinvestments; but computed with joins on the group key instead of a loop per planned sale,
so a harvest over thousands of holdings stays fast. Used by :mod:`toolkit.tax.harvest`;
``tests/test_harvest.py`` checks it against ``forward_wash_check``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from toolkit.schema import DATE_DTYPE, TaxType
from toolkit.tax.wash_household import (
    THREAT_COLUMNS,
    expected_reinvestments,
    household_acquisitions,
)
from toolkit.tax.wash_match import EPS

_KIND_ORDER = {"recent_purchase": 0, "scheduled_contribution": 1, "expected_reinvestment": 2}


def threats(household, plan: pd.DataFrame, keys: Callable[[pd.Series], pd.Series],
            used: pd.Series, day0: pd.Timestamp, before: int, after: int
            ) -> tuple[pd.DataFrame, list[str]]:
    """Rows of :data:`THREAT_COLUMNS` for planned sales.

    ``plan`` has one row per lot sold: ``sale`` (the planned sale's number), ``account``,
    ``symbol``, ``quantity`` and ``acquired``. Sales in tax-advantaged accounts are skipped
    with a note (no loss is recognised there). ``keys`` maps a Series of symbols to group
    keys; ``used`` is the shares of each acquisition (by ``acq_id``) already matched to
    realised losses.
    """
    types = household.accounts.set_index("account")["tax_type"]
    acq, notes = household_acquisitions(household)
    sale_types = plan["account"].map(types).fillna(TaxType.TAXABLE.value)
    for k, g in plan[sale_types.ne(TaxType.TAXABLE.value)].groupby("sale", sort=True):
        notes.append(f"planned sale #{k + 1} ({g['account'].iloc[0]} {g['symbol'].iloc[0]}) is "
                     "in a tax-advantaged account: no loss is recognised there, nothing to wash")
    plan = plan[sale_types.eq(TaxType.TAXABLE.value)]
    sales = plan.groupby("sale", sort=True).agg(
        sale_account=("account", "first"), sale_symbol=("symbol", "first"),
        sale_quantity=("quantity", "sum")).reset_index()
    sales["group"] = keys(sales["sale_symbol"]).to_numpy()
    parts = [_recent(acq, plan, sales, keys, used, day0, before, after),
             _contributions(household, sales, keys, types),
             _reinvestments(household, sales, keys, types, day0)]
    parts = [p for p in parts if len(p)]
    cols = [c for c in THREAT_COLUMNS if c != "permanent"]
    if parts:
        res = pd.concat(parts, ignore_index=True)
        res = res.sort_values(["sale", "_kind", "_order"], kind="stable")
    else:
        res = pd.DataFrame(columns=[*cols, "sale"])
    res = res.reindex(columns=cols)
    res["tax_type"] = res["tax_type"].astype("str")
    res["permanent"] = res["tax_type"].ne(TaxType.TAXABLE.value)
    res["safe_buy_back_date"] = day0 + pd.Timedelta(days=after + 1)
    for c in ("date", "safe_sell_date", "safe_buy_back_date"):
        res[c] = pd.to_datetime(res[c]).astype(DATE_DTYPE)
    for c in ("quantity", "dollars", "sale_quantity"):
        res[c] = pd.to_numeric(res[c]).astype("float64")
    return res[list(THREAT_COLUMNS)].reset_index(drop=True), notes


def _recent(acq, plan, sales, keys, used, day0, before, after) -> pd.DataFrame:
    lo, hi = day0 - pd.Timedelta(days=before), day0 + pd.Timedelta(days=after)
    w = acq[(acq["date"] >= lo) & (acq["date"] <= hi)].copy()
    if w.empty or sales.empty:
        return pd.DataFrame()
    w["_order"] = np.arange(len(w))
    w["group"] = keys(w["symbol"]).to_numpy()
    w["left"] = w["quantity"] - w["acq_id"].map(used).fillna(0.0)
    m = sales.merge(w, on="group", how="inner")
    if m.empty:
        return pd.DataFrame()
    # The shares being sold are not their own replacement: per sale and acquisition date, the
    # sold lots' shares are taken out of that account's acquisitions of the day, in order.
    own = plan.dropna(subset=["acquired"]).groupby(["sale", "acquired"])["quantity"].sum()
    own = own.rename("_own").reset_index().rename(columns={"acquired": "date"})
    m = m.merge(own, on=["sale", "date"], how="left")
    m = m.sort_values(["sale", "_order"], kind="stable").reset_index(drop=True)
    mine = (m["account"] == m["sale_account"]) & m["_own"].notna()
    q_mine = m["quantity"].where(mine, 0.0)
    before_q = q_mine.groupby([m["sale"], m["date"]]).cumsum() - q_mine
    x = np.clip(m["_own"].fillna(0.0) - before_q, 0.0, m["quantity"]).where(mine, 0.0)
    m["left"] = m["left"] - x
    m = m[m["left"] > EPS]
    per = (m["cost"] / m["quantity"]).where(m["cost"].notna())
    return pd.DataFrame({
        "sale": m["sale"], "sale_account": m["sale_account"], "sale_symbol": m["sale_symbol"],
        "sale_quantity": m["sale_quantity"], "group": m["group"], "account": m["account"],
        "symbol": m["symbol"], "date": m["date"], "kind": "recent_purchase",
        "quantity": m["left"], "dollars": m["left"] * per, "tax_type": m["tax_type"],
        "safe_sell_date": m["date"] + pd.Timedelta(days=after + 1),
        "note": m["kind"].astype("str") + " " + m["acq_id"].astype("str"),
        "_kind": 0, "_order": m["_order"]})


def _contributions(household, sales, keys, types) -> pd.DataFrame:
    contrib = {a: v for a, v in household.contributions.items() if v > 0}
    pos = household.positions
    if not contrib or pos.empty or sales.empty:
        return pd.DataFrame()
    noncash = pos[pos["asset_class"].ne("cash")]
    total = noncash.groupby("account")["market_value"].sum()
    held = noncash[noncash["account"].isin(list(contrib))].copy()
    held = held[held["account"].map(total).gt(0)]
    if held.empty:
        return pd.DataFrame()
    held["group"] = keys(held["symbol"]).to_numpy()
    held["_order"] = np.arange(len(held))
    held["_amount"] = held["account"].map(contrib)
    m = sales.merge(held[["group", "account", "symbol", "market_value", "price", "_amount",
                          "_order"]], on="group", how="inner")
    if m.empty:
        return pd.DataFrame()
    # The contribution accounts in the order the household lists them.
    acct_rank = {a: i for i, a in enumerate(household.contributions)}
    dollars = m["_amount"] * m["market_value"] / m["account"].map(total)
    price = m["price"].where(m["price"] != 0)
    return pd.DataFrame({
        "sale": m["sale"], "sale_account": m["sale_account"], "sale_symbol": m["sale_symbol"],
        "sale_quantity": m["sale_quantity"], "group": m["group"], "account": m["account"],
        "symbol": m["symbol"], "date": pd.NaT, "kind": "scheduled_contribution",
        "quantity": dollars / price, "dollars": dollars,
        "tax_type": m["account"].map(types).fillna(TaxType.TAXABLE.value),
        "safe_sell_date": pd.NaT,
        "note": [f"planned contribution ${a:,.2f} to {c}, split by current holdings; date not "
                 "given" for a, c in zip(m["_amount"], m["account"], strict=True)],
        "_kind": 1, "_order": m["account"].map(acct_rank) * 1e6 + m["_order"]})


def _reinvestments(household, sales, keys, types, day0) -> pd.DataFrame:
    if sales.empty:
        return pd.DataFrame()
    per = expected_reinvestments(household, as_of=day0)
    if per.empty:
        return pd.DataFrame()
    per = per.assign(group=keys(per["symbol"]).to_numpy(), _order=np.arange(len(per)))
    m = sales.merge(per, on="group", how="inner")
    if m.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "sale": m["sale"], "sale_account": m["sale_account"], "sale_symbol": m["sale_symbol"],
        "sale_quantity": m["sale_quantity"], "group": m["group"], "account": m["account"],
        "symbol": m["symbol"], "date": m["next_date"], "kind": "expected_reinvestment",
        "quantity": m["quantity"], "dollars": m["dollars"],
        "tax_type": m["account"].map(types).fillna(TaxType.TAXABLE.value),
        "safe_sell_date": pd.NaT, "note": m["note"], "_kind": 2, "_order": m["_order"]})


def threat_inputs(household, plan: pd.DataFrame, pol, rows: pd.DataFrame
                  ) -> tuple[Callable[[pd.Series], pd.Series], pd.Series]:
    """The group-key function and the shares already used as replacements, for :func:`threats`.

    ``pol`` is a :class:`~toolkit.tax.wash.SubstantiallyIdentical`; ``rows`` the rows of the
    household's wash-sale result.
    """
    used = rows[rows["replacement_id"].notna()].groupby("replacement_id")[
        "replacement_quantity"].sum()
    symbols = pd.concat([plan["symbol"], household.transactions["symbol"],
                         household.lots["symbol"], household.positions["symbol"]],
                        ignore_index=True)
    keys = pol.keys(symbols, household.securities)

    def key_of(s: pd.Series) -> pd.Series:
        missing = s[~s.isin(keys.index) & s.notna()]
        table = keys if missing.empty else pd.concat(
            [keys, pol.keys(missing, household.securities)])
        return s.map(table)

    return key_of, used
