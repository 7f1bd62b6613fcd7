"""Asset location and the checkup on a large household.

20 accounts (12 taxable), 10,000 open lots of real security-master funds in the taxable
accounts (positions are the lots' sums), about 40 holdings in each tax-advantaged account,
100,000 transactions (buys and reinvestments of the same funds over three years) and 3,000
realised lots. Times :func:`toolkit.location.tax_drag`, :func:`toolkit.location.location_report`
(the placement LP and five swaps with least-tax lot selection) and
:func:`toolkit.checkup.checkup`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._harness import report, section, timed
from toolkit.checkup import checkup
from toolkit.history import replay_household
from toolkit.household import Household, TaxProfile
from toolkit.location import location_report, tax_drag
from toolkit.schema import (
    validate_accounts,
    validate_lots,
    validate_positions,
    validate_realized,
    validate_transactions,
)
from toolkit.securities import load_securities

N_LOTS = 10_000
N_TX = 100_000
TYPES = ["taxable"] * 12 + ["traditional_ira", "roth_ira", "401k", "hsa"] * 2
AS_OF = pd.Timestamp("2026-11-20")


def household(seed: int = 11) -> Household:
    rng = np.random.default_rng(seed)
    master = load_securities()
    f = master.frame
    funds = f[f["vehicle"].isin(["etf", "mutual_fund"]) & f["asset_class"].isin(
        ["us_equity", "intl_equity", "bonds", "reits", "muni_bonds"])].index.to_numpy()
    price = dict(zip(funds, rng.uniform(20.0, 400.0, len(funds)), strict=True))
    accounts = np.array([f"A{i:02d}" for i in range(20)])
    taxable = accounts[:12]
    # open lots in taxable accounts
    la = taxable[rng.integers(0, 12, N_LOTS)]
    ls = funds[rng.integers(0, len(funds), N_LOTS)]
    lq = np.round(rng.uniform(1.0, 100.0, N_LOTS), 3)
    acquired = AS_OF - pd.to_timedelta(rng.integers(1, 8 * 365, N_LOTS), unit="D")
    px = np.array([price[s] for s in ls])
    basis = lq * px * rng.uniform(0.6, 1.3, N_LOTS)
    lots = validate_lots(pd.DataFrame({"account": la, "symbol": ls, "quantity": lq,
                                       "cost_basis": basis, "acquired": acquired,
                                       "lot_id": [f"L{i}" for i in range(N_LOTS)]}))
    g = lots.groupby(["account", "symbol"], as_index=False).agg(quantity=("quantity", "sum"),
                                                                 cost_basis=("cost_basis",
                                                                             "sum"))
    sheltered = []
    for a in accounts[12:]:
        for s in rng.choice(funds, 40, replace=False):
            sheltered.append({"account": a, "symbol": s,
                              "quantity": float(rng.uniform(10, 2000))})
    pos = pd.concat([g, pd.DataFrame(sheltered)], ignore_index=True)
    pos["price"] = pos["symbol"].map(price)
    pos["market_value"] = pos["quantity"] * pos["price"]
    cash = pd.DataFrame({"account": accounts, "symbol": "CASH",
                         "quantity": rng.uniform(0, 20_000, 20), "price": 1.0})
    cash["market_value"] = cash["quantity"]
    pos = validate_positions(pd.concat([pos, cash], ignore_index=True))
    pos["asset_class"] = master.classify(pos["symbol"])
    pos.loc[pos["symbol"] == "CASH", "asset_class"] = "cash"
    # history: buys and reinvestments of the same funds in every account
    ta = accounts[rng.integers(0, 20, N_TX)]
    ts = funds[rng.integers(0, len(funds), N_TX)]
    tq = np.round(rng.uniform(0.1, 50.0, N_TX), 3)
    tday = AS_OF - pd.to_timedelta(rng.integers(0, 3 * 365, N_TX), unit="D")
    tx = validate_transactions(pd.DataFrame({
        "date": tday, "account": ta, "symbol": ts, "quantity": tq,
        "action": np.where(rng.random(N_TX) < 0.2, "reinvest", "buy"),
        "amount": -tq * np.array([price[s] for s in ts])}))
    nr = 3_000
    ra = taxable[rng.integers(0, 12, nr)]
    rs = funds[rng.integers(0, len(funds), nr)]
    rq = np.round(rng.uniform(1.0, 50.0, nr), 3)
    sold = AS_OF - pd.to_timedelta(rng.integers(0, 320, nr), unit="D")
    rb = rq * np.array([price[s] for s in rs])
    realized = validate_realized(pd.DataFrame({
        "account": ra, "symbol": rs, "quantity": rq, "sold": sold,
        "acquired": sold - pd.to_timedelta(rng.integers(1, 900, nr), unit="D"),
        "cost_basis": rb, "proceeds": rb * rng.uniform(0.8, 1.2, nr)}))
    acc = validate_accounts(pd.DataFrame({"account": accounts, "account_key": accounts,
                                          "name": accounts, "owner": ["A", "B"] * 10,
                                          "tax_type": TYPES}))
    h = Household.from_frames(
        name="bench",
        profile=TaxProfile("married_filing_jointly", 2026, 250_000.0, state_rate=0.05),
        as_of=AS_OF,
        targets={"us_equity": 0.5, "intl_equity": 0.2, "bonds": 0.25, "reits": 0.05},
        accounts=acc, positions=pos, lots=lots, transactions=tx, realized=realized,
        securities=master)
    return replay_household(h, rebuild=False)


def main() -> None:
    h = household()
    with section(f"asset location: {len(h.positions)} positions, {len(h.lots):,} lots, "
                 f"{len(h.transactions):,} transactions, 20 accounts"):
        t = timed(lambda: tax_drag(h), repeat=5)
        report("tax_drag", median_s=t["median_s"], min_s=t["min_s"], rows=len(t["result"]))
        t = timed(lambda: location_report(h, max_swaps=0), repeat=3)
        report("location_report_no_swaps", median_s=t["median_s"], min_s=t["min_s"],
               saving=t["result"].saving)
        t = timed(lambda: location_report(h), repeat=3)
        report("location_report_5_swaps", median_s=t["median_s"], min_s=t["min_s"],
               swaps=len(t["result"].swaps))
    with section("checkup"):
        t = timed(lambda: checkup(h), repeat=3)
        report("checkup", median_s=t["median_s"], min_s=t["min_s"], findings=len(t["result"]))


if __name__ == "__main__":
    main()
