"""Tax-loss harvesting over 10,000 open lots and 100,000 transactions across 20 accounts.

Symbols are drawn from the bundled security master (so replacements are looked up for real);
about half the open lots are at a loss; recent purchases fall in 40 of the 300 symbols.
``harvest`` runs the household-wide wash-sale computation, the forward check per holding, the
valuation and the replacements.
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
    validate_positions,
    validate_realized,
    validate_transactions,
)
from toolkit.securities import load_securities
from toolkit.tax.harvest import harvest

N_TX = 100_000
N_LOTS = 10_000
TYPES = ["taxable"] * 12 + ["traditional_ira", "roth_ira", "401k", "hsa"] * 2


def household(seed: int = 11) -> Household:
    rng = np.random.default_rng(seed)
    master = load_securities()
    f = master.frame
    symbols = np.array(f.index[f["asset_class"] != "cash"][:300])
    accounts = np.array([f"A{i:02d}" for i in range(20)])
    as_of = pd.Timestamp("2026-11-20")
    price = pd.Series(rng.uniform(10.0, 400.0, len(symbols)), index=symbols)

    # transactions: buys and reinvestments over three years; 10% in the last 60 days, all in
    # 40 of the symbols, which alone reinvest (the others can be harvested)
    day = as_of - pd.to_timedelta(rng.integers(0, 3 * 365, N_TX), unit="D")
    recent = rng.random(N_TX) < 0.1
    day = day.where(~recent, as_of - pd.to_timedelta(rng.integers(0, 60, N_TX), unit="D"))
    sym = symbols[rng.integers(0, len(symbols), N_TX)]
    sym = np.where(recent, symbols[rng.integers(0, 40, N_TX)], sym)
    late = ~recent & (day > as_of - pd.Timedelta(days=61))
    day = day.where(~late, as_of - pd.Timedelta(days=61))
    qty = np.round(rng.uniform(0.1, 50.0, N_TX), 3)
    px = price[sym].to_numpy() * rng.uniform(0.8, 1.2, N_TX)
    tx = validate_transactions(pd.DataFrame({
        "date": day, "account": accounts[rng.integers(0, 20, N_TX)],
        "action": np.where((rng.random(N_TX) < 0.2) & np.isin(sym, symbols[:40]), "reinvest",
                           "buy"), "symbol": sym,
        "quantity": qty, "price": px, "amount": -qty * px}))

    # open lots in the taxable accounts, half at a loss
    la = accounts[rng.integers(0, 12, N_LOTS)]
    ls = symbols[rng.integers(0, len(symbols), N_LOTS)]
    lq = np.round(rng.uniform(1.0, 200.0, N_LOTS), 3)
    basis_px = price[ls].to_numpy() * rng.uniform(0.7, 1.3, N_LOTS)
    acquired = as_of - pd.to_timedelta(rng.integers(1, 6 * 365, N_LOTS), unit="D")
    lots = validate_lots(pd.DataFrame({
        "account": la, "symbol": ls, "quantity": lq, "cost_basis": lq * basis_px,
        "acquired": acquired, "lot_id": [f"L{i}" for i in range(N_LOTS)]}))
    held = lots.groupby(["account", "symbol"], as_index=False)["quantity"].sum()
    positions = validate_positions(held.assign(
        price=held["symbol"].map(price), market_value=held["quantity"] * held["symbol"].map(
            price), asset_class="us_equity"))

    # realised this year: 2,000 sales in taxable accounts
    n = 2000
    rs = symbols[rng.integers(0, len(symbols), n)]
    rq = np.round(rng.uniform(1.0, 50.0, n), 3)
    sold = as_of - pd.to_timedelta(rng.integers(1, 300, n), unit="D")
    realized = validate_realized(pd.DataFrame({
        "account": accounts[rng.integers(0, 12, n)], "symbol": rs, "quantity": rq,
        "acquired": sold - pd.to_timedelta(rng.integers(1, 900, n), unit="D"), "sold": sold,
        "proceeds": rq * price[rs].to_numpy() * rng.uniform(0.8, 1.2, n),
        "cost_basis": rq * price[rs].to_numpy()}))
    acc = validate_accounts(pd.DataFrame({
        "account": accounts, "account_key": accounts, "owner": ["A", "B"] * 10,
        "tax_type": TYPES}))
    h = Household.from_frames(
        name="bench", profile=TaxProfile("married_filing_jointly", 2026, 2e5, state_rate=0.05),
        as_of=as_of, targets={"us_equity": 1.0}, accounts=acc, positions=positions, lots=lots,
        transactions=tx, realized=realized, contributions={"A12": 6000.0, "A14": 23_000.0},
        securities=master)
    return replay_household(h, rebuild=False)


def main() -> None:
    h = household()
    for policy in ("same_security", "same_index"):
        with section(f"harvest ({policy}): {N_LOTS:,} lots, {N_TX:,} transactions, "
                     "20 accounts, 300 symbols"):
            t = timed(lambda p=policy: harvest(h, policy=p), repeat=3)
            r = t["result"]
            report(f"harvest_{policy}", median_s=t["median_s"], min_s=t["min_s"],
                   candidates=len(r.candidates), holdings=len(r.by_symbol),
                   wash_risk=int((r.candidates["status"] == "wash_risk").sum()),
                   threats=len(r.wash_threats), total_tax_value=r.total_tax_value,
                   peak_mb=traced_peak_mb(lambda p=policy: harvest(h, policy=p)))


if __name__ == "__main__":
    main()
