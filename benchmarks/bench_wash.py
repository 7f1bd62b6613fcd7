"""Wash-sale matching over 100,000 transactions across 20 accounts.

``match_wash_sales`` on generated sales and acquisitions (30% of the transactions are sales of
lots, half of them at a loss), for a broad book (300 symbols) and a concentrated one (5
symbols, so every window holds thousands of purchases), then ``wash_sale_result`` on a
household built from the same rows (realised lots, transactions, open lots).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._harness import report, section, timed, traced_peak_mb
from toolkit.history import replay_household
from toolkit.household import Household, TaxProfile
from toolkit.schema import (
    validate_accounts,
    validate_lots,
    validate_realized,
    validate_transactions,
)
from toolkit.securities import load_securities
from toolkit.tax.wash import match_wash_sales, wash_sale_result

N = 100_000
TYPES = ["taxable"] * 12 + ["traditional_ira", "roth_ira", "401k", "hsa"] * 2


def book(n: int, n_symbols: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    accounts = np.array([f"A{i:02d}" for i in range(20)])
    symbols = np.array([f"S{i:03d}" for i in range(n_symbols)])
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), unit="D")
    acct = rng.integers(0, 20, n)
    sym = symbols[rng.integers(0, n_symbols, n)]
    qty = np.round(rng.uniform(0.1, 200.0, n), 3)
    price = rng.uniform(10.0, 400.0, n)
    is_sale = rng.random(n) < 0.3
    buys = pd.DataFrame({"acq_id": [f"T{i}" for i in np.flatnonzero(~is_sale)],
                         "account": accounts[acct[~is_sale]], "symbol": sym[~is_sale],
                         "date": day[~is_sale], "quantity": qty[~is_sale],
                         "cost": (qty * price)[~is_sale],
                         "kind": np.where(rng.random((~is_sale).sum()) < 0.2, "reinvest", "buy"),
                         "tax_type": np.array(TYPES)[acct[~is_sale]]})
    s_idx = np.flatnonzero(is_sale & (np.array(TYPES)[acct] == "taxable"))
    held = rng.integers(0, 800, len(s_idx))
    sales = pd.DataFrame({"sale_id": [f"T{i}" for i in s_idx], "account": accounts[acct[s_idx]],
                          "symbol": sym[s_idx], "sale_date": day[s_idx],
                          "acquired": day[s_idx] - pd.to_timedelta(held, unit="D"),
                          "quantity": qty[s_idx], "cost_basis": (qty * price)[s_idx],
                          "proceeds": (qty * price)[s_idx] * rng.uniform(0.7, 1.3, len(s_idx))})
    return sales, buys


def household_of(sales: pd.DataFrame, buys: pd.DataFrame) -> Household:
    accounts = validate_accounts(pd.DataFrame({
        "account": [f"A{i:02d}" for i in range(20)], "account_key": [f"A{i:02d}" for i in
                                                                     range(20)],
        "owner": ["A", "B"] * 10, "tax_type": TYPES}))
    tx = validate_transactions(pd.DataFrame({
        "date": buys["date"], "account": buys["account"], "action": buys["kind"],
        "symbol": buys["symbol"], "quantity": buys["quantity"],
        "amount": -buys["cost"]}))
    realized = validate_realized(pd.DataFrame({
        "account": sales["account"], "symbol": sales["symbol"], "quantity": sales["quantity"],
        "acquired": sales["acquired"], "sold": sales["sale_date"],
        "proceeds": sales["proceeds"], "cost_basis": sales["cost_basis"]}))
    open_lots = buys.sample(frac=0.1, random_state=1)  # 10% of purchases still held
    lots = validate_lots(pd.DataFrame({
        "account": open_lots["account"], "symbol": open_lots["symbol"],
        "quantity": open_lots["quantity"], "cost_basis": open_lots["cost"],
        "acquired": open_lots["date"], "lot_id": open_lots["acq_id"]}))
    h = Household.from_frames(
        name="bench", profile=TaxProfile("married_filing_jointly", 2026, 2e5),
        as_of="2027-01-01", targets={"us_equity": 1.0}, accounts=accounts,
        positions=pd.DataFrame(columns=["account", "symbol", "description"]), lots=lots,
        transactions=tx, realized=realized, securities=load_securities())
    return replay_household(h, rebuild=False)


def main() -> None:
    for n_symbols in (300, 5):
        sales, buys = book(N, n_symbols)
        with section(f"match_wash_sales: {N:,} transactions, 20 accounts, {n_symbols} symbols"):
            t = timed(lambda s=sales, b=buys: match_wash_sales(s, b), repeat=3)
            res = t["result"]
            report(f"match_wash_sales_{n_symbols}sym", median_s=t["median_s"], min_s=t["min_s"],
                   sales=len(sales), loss_sales=int((sales["cost_basis"] >
                                                     sales["proceeds"]).sum()),
                   acquisitions=len(buys), rows=len(res.rows),
                   matches=int(res.rows["replacement_id"].notna().sum()),
                   peak_mb=traced_peak_mb(lambda s=sales, b=buys: match_wash_sales(s, b)))
    sales, buys = book(N, 300)
    h = household_of(sales, buys)
    with section(f"wash_sale_result: household of {N:,} transactions and realised lots"):
        t = timed(lambda: wash_sale_result(h), repeat=3)
        report("wash_sale_result_household", median_s=t["median_s"], min_s=t["min_s"],
               lots=len(h.lots), rows=len(t["result"].rows))


if __name__ == "__main__":
    main()
