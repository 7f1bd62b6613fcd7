"""Lots rebuilt from 100,000 transactions across 20 accounts, and the reconciliation report.

``rebuild_lots`` on a generated history (buys, reinvestments, sells of part of what is held,
a few splits) for a broad book (300 symbols) and a concentrated one (5 symbols, so each
account and symbol replays about a thousand rows), under each relief method; then
``reconcile`` on a household whose positions are what that history leaves and which carries
no replay (so it replays), and the history step that keeps the replay with the household
(``replay_household``), after which ``reconcile`` only reads it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._harness import report, section, timed, traced_peak_mb
from toolkit.history import rebuild_lots, reconcile, replay_household
from toolkit.household import Household, TaxProfile
from toolkit.schema import validate_accounts, validate_positions, validate_transactions
from toolkit.securities import load_securities

N = 100_000
N_ACCOUNTS = 20


def history(n: int, n_symbols: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    acct = rng.integers(0, N_ACCOUNTS, n)
    sym = rng.integers(0, n_symbols, n)
    day = np.sort(rng.integers(0, 10 * 365, n))
    kind = rng.choice(["buy", "reinvest", "sell", "split"], n, p=[0.55, 0.15, 0.2999, 0.0001])
    qty = np.round(rng.uniform(0.1, 100.0, n), 3)
    price = rng.uniform(10.0, 400.0, n)
    # sells take part of what the pair holds so far (a running sum of purchases, roughly)
    pair = acct * n_symbols + sym
    bought = pd.Series(np.where(kind == "sell", 0.0, qty)).groupby(pair).cumsum().to_numpy()
    q = np.where(kind == "sell", -np.minimum(qty, bought * 0.3), qty)
    q = np.where(kind == "split", bought, q)  # a 2-for-1 of roughly what is held
    tx = pd.DataFrame({
        "date": pd.Timestamp("2016-01-04") + pd.to_timedelta(day, unit="D"),
        "account": np.array([f"A{i:02d}" for i in range(N_ACCOUNTS)])[acct],
        "action": kind, "symbol": np.array([f"S{i:03d}" for i in range(n_symbols)])[sym],
        "quantity": q, "price": price,
        "amount": np.where(kind == "split", np.nan, -q * price),
        "source_file": "history.csv", "source_line": np.arange(1, n + 1)})
    tx = tx[tx["quantity"].abs() > 1e-9]
    return validate_transactions(tx)


def household_of(tx: pd.DataFrame) -> Household:
    res = rebuild_lots(tx)
    held = res.lots.groupby(["account", "symbol"])["quantity"].sum().reset_index()
    held["price"] = 100.0
    held["market_value"] = held["quantity"] * 100.0
    held["asset_class"] = "us_equity"
    accounts = validate_accounts(pd.DataFrame({
        "account": [f"A{i:02d}" for i in range(N_ACCOUNTS)],
        "account_key": [f"A{i:02d}" for i in range(N_ACCOUNTS)],
        "tax_type": ["taxable"] * 12 + ["traditional_ira", "roth_ira"] * 4}))
    return Household.from_frames(
        name="bench", profile=TaxProfile("married_filing_jointly", 2026, 2e5),
        as_of="2027-01-01", targets={"us_equity": 1.0}, accounts=accounts,
        positions=validate_positions(held), lots=res.lots, transactions=tx,
        securities=load_securities())


def main() -> None:
    for n_symbols in (300, 5):
        tx = history(N, n_symbols)
        for method in ("fifo", "lifo", "hifo", "average"):
            methods = dict.fromkeys(tx["account"].unique(), method)
            with section(f"rebuild_lots {method}: {len(tx):,} transactions, {N_ACCOUNTS} "
                         f"accounts, {n_symbols} symbols"):
                t = timed(lambda m=methods, x=tx: rebuild_lots(x, methods=m), repeat=3)
                r = t["result"]
                report(f"rebuild_lots_{method}_{n_symbols}sym", median_s=t["median_s"],
                       min_s=t["min_s"], rows=len(tx), lots=len(r.lots),
                       realized=len(r.realized), unmatched=len(r.unmatched),
                       peak_mb=traced_peak_mb(lambda m=methods, x=tx: rebuild_lots(
                           x, methods=m)) if method == "fifo" else None)
    h = household_of(history(N, 300))
    with section(f"reconcile: household of {len(h.transactions):,} transactions, "
                 f"{len(h.lots):,} lots"):
        t = timed(lambda: reconcile(h), repeat=3)
        report("reconcile_household", median_s=t["median_s"], min_s=t["min_s"],
               holdings=len(t["result"]),
               matched=int((t["result"]["status"] == "matched").sum()))
    with section("the one replay kept with the household (replay_household), then reconcile"):
        t = timed(lambda: replay_household(h, rebuild=False), repeat=3)
        kept = t["result"]
        r = timed(lambda: reconcile(kept), repeat=3)
        report("replay_household", median_s=t["median_s"], min_s=t["min_s"],
               reconcile_after_s=r["median_s"], holdings=len(kept.reconciliation))


if __name__ == "__main__":
    main()
