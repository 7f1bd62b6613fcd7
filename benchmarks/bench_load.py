"""Loading and validating a large export: 100,000 lots over 20 accounts.

Figures: seconds (median of 5) and peak memory for ``load_export`` of a generated generic lots
CSV, against a bare ``pandas.read_csv`` of the same file. Aim: under 2 s and under 3x the bare
read on a 2-core machine. The same for 100,000 Schwab transactions and a 100,000-row Fidelity
positions file (brokers' formats, with their money and date forms).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._harness import peak_rss_mb, report, timed, traced_peak_mb
from toolkit.io import load_export

N = 100_000
ACCOUNTS = 20
SYMBOLS = ["VTI", "VXUS", "BND", "VNQ", "SCHD", "VOO", "IVV", "AGG", "VEA", "VWO"] * 5


def generic_lots(path: Path, rng: np.random.Generator) -> None:
    acct = rng.integers(0, ACCOUNTS, N)
    sym = rng.integers(0, len(SYMBOLS), N)
    qty = rng.uniform(1, 500, N).round(4)
    cps = rng.uniform(10, 400, N).round(2)
    days = rng.integers(0, 365 * 15, N)
    acquired = (np.datetime64("2011-01-03") + days.astype("timedelta64[D]")).astype(str)
    with path.open("w") as f:
        f.write("# toolkit generic lots template v1\n")
        f.write("account,symbol,quantity,cost_basis,acquired,term,wash_sale_disallowed,lot_id\n")
        for i in range(N):
            f.write(f"ACCT{acct[i]:04d},{SYMBOLS[sym[i]]},{qty[i]},{qty[i] * cps[i]:.2f},"
                    f"{acquired[i]},,,L{i}\n")


def schwab_transactions(path: Path, rng: np.random.Generator) -> None:
    actions = ["Buy", "Sell", "Reinvest Shares", "Qualified Dividend", "Bank Interest"]
    days = rng.integers(0, 365 * 5, N)
    dates = pd.to_datetime("2021-01-04") + pd.to_timedelta(days, unit="D")
    with path.open("w") as f:
        f.write('"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm",'
                '"Amount"\n')
        for i in range(N):
            a = actions[i % 5]
            q = f"{rng.uniform(1, 100):,.4f}" if a in ("Buy", "Sell", "Reinvest Shares") else ""
            amt = rng.uniform(10, 20000)
            sign = "-" if a in ("Buy", "Reinvest Shares") else ""
            f.write(f'"{dates[i]:%m/%d/%Y}","{a}","{SYMBOLS[i % 50]}","A FUND","{q}",'
                    f'"${rng.uniform(10, 400):,.2f}","","{sign}${amt:,.2f}"\n')


def fidelity_positions(path: Path, rng: np.random.Generator) -> None:
    head = ("Account Number,Account Name,Symbol,Description,Quantity,Last Price,"
            "Last Price Change,Current Value,Today's Gain/Loss Dollar,Today's Gain/Loss Percent,"
            "Total Gain/Loss Dollar,Total Gain/Loss Percent,Percent Of Account,Cost Basis Total,"
            "Average Cost Basis,Type")
    with path.open("w", encoding="utf-8-sig") as f:
        f.write(head + "\n")
        for i in range(N):
            q, p = rng.uniform(1, 500), rng.uniform(10, 400)
            f.write(f'X{i % ACCOUNTS:08d},Individual,{SYMBOLS[i % 50]},A FUND,{q:.3f},${p:.2f},'
                    f'+$0.10,"${q * p:,.2f}",+$1.00,+0.10%,"+${q:,.2f}",+1.00%,0.01%,'
                    f'"${q * p * 0.9:,.2f}",${p * 0.9:.2f},Cash,\n')
        f.write('\n"Date downloaded Nov-20-2026 at 1:02 p.m ET"\n')


def main() -> None:
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as d:
        for name, make in (("generic_lots_100k", generic_lots),
                           ("schwab_transactions_100k", schwab_transactions),
                           ("fidelity_positions_100k", fidelity_positions)):
            path = Path(d) / ("Individual_XXX234_Transactions_20261120-101500.csv"
                              if name.startswith("schwab") else f"{name}.csv")
            make(path, rng)
            skip = 1 if name.startswith("generic") else 0
            bare = timed(lambda p=path, s=skip: pd.read_csv(p, skiprows=s))
            load = timed(lambda p=path: load_export(p))
            e = load["result"]
            rows = len(e.lots) + len(e.transactions) + len(e.positions)
            assert rows >= N * 0.99, rows
            report(name, rows=rows, load_s=round(load["median_s"], 3),
                   bare_read_csv_s=round(bare["median_s"], 3),
                   ratio=round(load["median_s"] / bare["median_s"], 2),
                   load_peak_traced_mb=round(traced_peak_mb(lambda p=path: load_export(p)), 1),
                   file_mb=round(path.stat().st_size / 2**20, 1))
    report("process", peak_rss_mb=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
