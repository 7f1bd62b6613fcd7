"""The cadence simulator: 1,000 paths x 30 years, monthly, for a 6-account household.

Four policies (annual calendar, 5/25 threshold, opportunistic 20%/10%, the seed
recommendation) compared on the same Monte Carlo paths with ``compare_policies``. The
household: a taxable account with 120 lots (a third short-term) across four classes and cash,
a traditional IRA, two Roth IRAs, a 401(k) with payroll contributions and an HSA. Reports the
wall time, the time per policy, and peak memory (process RSS and the traced NumPy/Python heap
of one policy).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from benchmarks._harness import peak_rss_mb, report, section, traced_peak_mb
from toolkit.cadence import (
    Calendar,
    Opportunistic,
    SeedRecommendation,
    Threshold,
    compare_policies,
    simulate,
)
from toolkit.history import replay_household
from toolkit.household import Household, TaxProfile, validate_targets
from toolkit.schema import validate_accounts, validate_lots, validate_positions
from toolkit.securities import load_securities

PATHS, YEARS = 1_000, 30
ACCOUNTS = {"TAX1": "taxable", "IRA1": "traditional_ira", "ROTH1": "roth_ira",
            "ROTH2": "roth_ira", "K401": "401k", "HSA1": "hsa"}
HOLDINGS = {  # account -> [(symbol, dollars)]
    "TAX1": [("VTI", 240_000), ("VXUS", 90_000), ("BND", 60_000), ("VNQ", 20_000),
             ("CASH", 15_000)],
    "IRA1": [("FXAIX", 120_000), ("BND", 160_000), ("VNQ", 15_000)],
    "ROTH1": [("VTI", 70_000), ("VXUS", 30_000)],
    "ROTH2": [("VXUS", 40_000), ("BND", 10_000)],
    "K401": [("FXAIX", 150_000), ("VTIAX", 40_000), ("FXNAX", 60_000)],
    "HSA1": [("FZROX", 12_000), ("FDRXX", 1_000)],
}
POLICIES = [Calendar("annual"), Threshold(), Opportunistic(), SeedRecommendation()]


def bench_household() -> Household:
    rng = np.random.default_rng(5)
    master = load_securities()
    as_of = pd.Timestamp("2026-11-20")
    pos, lots = [], []
    for acct, rows in HOLDINGS.items():
        for sym, dollars in rows:
            price = 1.0 if sym in ("CASH", "FDRXX") else 100.0
            basis = np.nan
            if acct == "TAX1" and sym != "CASH":
                n = 30
                qty = np.full(n, dollars / price / n)
                age = rng.integers(20, 3_000, n)
                age[: n // 3] = rng.integers(20, 360, n // 3)      # a third short-term
                per = price * np.exp(rng.normal(-0.25, 0.3, n))     # mostly gains, some losses
                acquired = as_of - pd.to_timedelta(age, unit="D")
                for q, p, a in zip(qty, per, acquired, strict=True):
                    lots.append({"account": acct, "symbol": sym, "quantity": q,
                                 "cost_basis": q * p, "acquired": a})
                basis = float((qty * per).sum())
            elif sym == "CASH":
                basis = dollars
            pos.append({"account": acct, "symbol": sym, "quantity": dollars / price,
                        "price": price, "market_value": float(dollars), "cost_basis": basis,
                        "source_file": "bench"})
    positions = validate_positions(pd.DataFrame(pos))
    positions["asset_class"] = master.classify(positions["symbol"], positions["cusip"])
    positions.loc[positions["symbol"].isin(["CASH"]), "asset_class"] = "cash"
    accounts = validate_accounts(pd.DataFrame({
        "account": list(ACCOUNTS), "account_key": list(ACCOUNTS), "owner": "A",
        "tax_type": list(ACCOUNTS.values())}))
    return replay_household(Household.from_frames(
        name="bench", profile=TaxProfile("married_filing_jointly", 2026, 240_000.0,
                                         qualified_dividends=6_000.0, state_rate=0.05,
                                         future_ordinary_rate=0.24),
        as_of=as_of, targets=validate_targets({"us_equity": 0.5, "intl_equity": 0.2,
                                               "bonds": 0.25, "reits": 0.05}),
        accounts=accounts, positions=positions, lots=validate_lots(pd.DataFrame(lots)),
        transactions=pd.DataFrame(), contributions={"K401": 24_000.0, "HSA1": 8_300.0},
        securities=master), rebuild=False)


def main() -> None:
    h = bench_household()
    with section(f"compare_policies: {PATHS:,} paths x {YEARS} years monthly, 6 accounts, "
                 f"{len(POLICIES)} policies"):
        t0 = time.perf_counter()
        table = compare_policies(h, POLICIES, years=YEARS, paths=PATHS, seed=0, progress=False)
        total = time.perf_counter() - t0
        report("cadence_compare_4_policies", seconds=total,
               seconds_per_policy=total / len(POLICIES), paths=PATHS, months=12 * YEARS,
               lots=len(h.lots), peak_rss_mb=peak_rss_mb())
        cols = ["taxes_p50", "taxable_sales_p50", "rebalances_p50", "avg_drift_pp_p50",
                "ending_after_tax_p50"]
        print(table[cols].round(2).to_string())
    with section("simulate one policy: traced heap peak"):
        peak = traced_peak_mb(lambda: simulate(h, SeedRecommendation(), years=YEARS,
                                               paths=PATHS, seed=0, progress=False))
        report("cadence_simulate_traced_peak", peak_mb=peak)


if __name__ == "__main__":
    main()
