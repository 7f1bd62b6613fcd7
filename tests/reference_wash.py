"""A slow, by-the-book reference of the forward wash-sale threat search.

The package uses a vectorised version (``toolkit.tax.wash_threats``); tests check that both give
the same rows. Kept here, not in the package, because only the tests need it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from toolkit.schema import DATE_DTYPE, Action, TaxType
from toolkit.tax.wash_household import (
    THREAT_COLUMNS,
    household_acquisitions,
    resolve_symbols,
)
from toolkit.tax.wash_match import EPS


def threats(household, plan: pd.DataFrame, keys: Callable[[pd.Series], pd.Series],
            used: pd.Series, day0: pd.Timestamp, before: int, after: int
            ) -> tuple[pd.DataFrame, list[str]]:
    """Rows of :data:`THREAT_COLUMNS` for planned sales (see ``forward_wash_check``).

    ``keys`` maps a Series of symbols to group keys; ``used`` is the shares of each
    acquisition (by ``acq_id``) already matched to realised losses.
    """
    types = household.accounts.set_index("account")["tax_type"]
    acq, notes = household_acquisitions(household)
    acq["left"] = acq["quantity"] - acq["acq_id"].map(used).fillna(0.0)
    pos = household.positions
    tx = household.transactions
    reinv = tx[tx["action"].eq(Action.REINVEST.value)
               & (tx["date"] > day0 - pd.Timedelta(days=365)) & (tx["date"] <= day0)]
    reinv_sym, _ = resolve_symbols(reinv, pos)
    reinv = reinv.assign(symbol=reinv_sym).dropna(subset=["symbol"])
    acq["group"] = keys(acq["symbol"])
    plan = plan.assign(group=keys(plan["symbol"]))
    pos = pos.assign(group=keys(pos["symbol"]))
    reinv = reinv.assign(group=keys(reinv["symbol"]))

    lo, hi = day0 - pd.Timedelta(days=before), day0 + pd.Timedelta(days=after)
    window = acq[(acq["date"] >= lo) & (acq["date"] <= hi)]
    noncash = pos[pos["asset_class"].ne("cash")]
    acct_value = noncash.groupby("account")["market_value"].sum()
    out: list[dict] = []
    for k, sale in plan.groupby("sale", sort=True):
        acct, grp = sale["account"].iloc[0], sale["group"].iloc[0]
        sym, qty = sale["symbol"].iloc[0], float(sale["quantity"].sum())
        if types.get(acct, TaxType.TAXABLE.value) != TaxType.TAXABLE.value:
            notes.append(f"planned sale #{k + 1} ({acct} {sym}) is in a tax-advantaged "
                         "account: no loss is recognised there, nothing to wash")
            continue
        base = {"sale_account": acct, "sale_symbol": sym, "sale_quantity": qty, "group": grp}
        own = sale.dropna(subset=["acquired"]).groupby("acquired")["quantity"].sum().to_dict()
        for _, a in window[window["group"] == grp].iterrows():
            left = float(a["left"])
            if a["account"] == acct and a["date"] in own:  # the shares being sold
                x = min(own[a["date"]], float(a["quantity"]))
                own[a["date"]] -= x
                left -= x
            if left <= EPS:
                continue
            per = a["cost"] / a["quantity"] if pd.notna(a["cost"]) else np.nan
            out.append({**base, "account": a["account"], "symbol": a["symbol"],
                        "date": a["date"], "kind": "recent_purchase", "quantity": left,
                        "dollars": left * per, "tax_type": a["tax_type"],
                        "safe_sell_date": a["date"] + pd.Timedelta(days=after + 1),
                        "note": f"{a['kind']} {a['acq_id']}"})
        for c_acct, amount in household.contributions.items():
            held = noncash[(noncash["account"] == c_acct) & (noncash["group"] == grp)]
            total = acct_value.get(c_acct, 0.0)
            if amount <= 0 or held.empty or total <= 0:
                continue
            for _, p in held.iterrows():
                dollars = amount * p["market_value"] / total
                out.append({**base, "account": c_acct, "symbol": p["symbol"], "date": pd.NaT,
                            "kind": "scheduled_contribution", "dollars": dollars,
                            "quantity": dollars / p["price"] if p["price"] else np.nan,
                            "tax_type": types.get(c_acct, TaxType.TAXABLE.value),
                            "note": f"planned contribution ${amount:,.2f} to {c_acct}, "
                                    "split by current holdings; date not given"})
        r = reinv[reinv["group"] == grp]
        for (r_acct, r_sym), h in r.groupby(["account", "symbol"], sort=True):
            still = pos[(pos["account"] == r_acct) & (pos["symbol"] == r_sym)
                        & (pos["quantity"] > 0)]
            if still.empty:
                continue
            d = h["date"].sort_values()
            gap = d.diff().dropna().median()
            nxt = d.iloc[-1] + gap if pd.notna(gap) else pd.NaT
            last = h.sort_values("date").iloc[-1]
            out.append({**base, "account": r_acct, "symbol": r_sym, "date": nxt,
                        "kind": "expected_reinvestment", "quantity": last["quantity"],
                        "dollars": -last["amount"] if pd.notna(last["amount"]) else np.nan,
                        "tax_type": types.get(r_acct, TaxType.TAXABLE.value),
                        "note": f"{len(h)} reinvestment(s) in the past year, last "
                                f"{last['date'].date()}; turn off reinvestment or wait"})
    res = pd.DataFrame(out, columns=[c for c in THREAT_COLUMNS if c != "permanent"])
    res["permanent"] = res["tax_type"].ne(TaxType.TAXABLE.value)
    res["safe_buy_back_date"] = day0 + pd.Timedelta(days=after + 1)
    for c in ("date", "safe_sell_date", "safe_buy_back_date"):
        res[c] = pd.to_datetime(res[c]).astype(DATE_DTYPE)
    for c in ("quantity", "dollars", "sale_quantity"):
        res[c] = pd.to_numeric(res[c]).astype("float64")
    return res[list(THREAT_COLUMNS)].reset_index(drop=True), notes
