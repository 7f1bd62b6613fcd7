"""Loading and validating large exports: 100,000 lots over 20 accounts, per layout.

Figures: seconds (median of 5, of 3 for the 200 files) and peak memory for ``load_export``
against a bare parse of the same bytes (``pandas.read_csv``; ``xml.etree.ElementTree`` for
the Flex XML). Aim: under 2 s and under 3x the bare parse on a 2-core machine, for

- a generic lots CSV (100,000 lots in one file);
- an IBKR Flex XML statement (100,000 ``LOT`` rows under 1,000 ``SUMMARY`` rows, 20
  accounts);
- 200 Schwab Lot Details files of 500 lots each (the fixed cost per file counts here);

and, as brokers' row forms, 100,000 Schwab transactions and a 100,000-row Fidelity positions
file.
"""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
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
            # one holding per account and symbol (a repeated holding is reported, not loaded)
            sym = f"{SYMBOLS[i % 50]}{i}"
            f.write(f'X{i % ACCOUNTS:08d},Individual,{sym},A FUND,{q:.3f},${p:.2f},'
                    f'+$0.10,"${q * p:,.2f}",+$1.00,+0.10%,"+${q:,.2f}",+1.00%,0.01%,'
                    f'"${q * p * 0.9:,.2f}",${p * 0.9:.2f},Cash,\n')
        f.write('\n"Date downloaded Nov-20-2026 at 1:02 p.m ET"\n')


def flex_lots(path: Path, rng: np.random.Generator) -> None:
    """One FlexStatement per account; per holding a SUMMARY row and its LOT rows."""
    per_holding = N // (ACCOUNTS * len(SYMBOLS))  # 100 lots per holding
    common = ('currency="USD" fxRateToBase="1" assetCategory="STK" subCategory="ETF" '
              'multiplier="1" reportDate="20261120" side="Long"')
    with path.open("w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<FlexQueryResponse queryName="bench" '
                f'type="AF">\n<FlexStatements count="{ACCOUNTS}">\n')
        tid = 9_000_000
        for a in range(ACCOUNTS):
            acct = f"U{1_000_000 + a}"
            f.write(f'<FlexStatement accountId="{acct}" fromDate="20260101" toDate="20261120" '
                    'period="YearToDate" whenGenerated="20261120;081244">\n<OpenPositions>\n')
            for k, sym in enumerate(SYMBOLS):
                q = rng.integers(1, 300, per_holding)
                cps = rng.uniform(10, 400, per_holding).round(2)
                days = rng.integers(0, 365 * 15, per_holding)
                opened = (np.datetime64("2011-01-03") + days.astype("timedelta64[D]"))
                mark = 250.0
                base = (f'<OpenPosition accountId="{acct}" {common} symbol="{sym}{k // 10}" '
                        f'description="FUND {sym}" conid="{100000 + k}" markPrice="{mark}" ')
                total_q, total_cb = int(q.sum()), float((q * cps).round(2).sum())
                f.write(base + f'position="{total_q}" positionValue="{total_q * mark:.2f}" '
                        f'costBasisMoney="{total_cb:.2f}" levelOfDetail="SUMMARY" '
                        'openDateTime="" originatingTransactionID="" />\n')
                for i in range(per_holding):
                    tid += 1
                    d = str(opened[i]).replace("-", "")
                    f.write(base + f'position="{q[i]}" positionValue="{q[i] * mark:.2f}" '
                            f'costBasisMoney="{q[i] * cps[i]:.2f}" levelOfDetail="LOT" '
                            f'openDateTime="{d};093000" originatingTransactionID="{tid}" />\n')
            f.write("</OpenPositions>\n</FlexStatement>\n")
        f.write("</FlexStatements>\n</FlexQueryResponse>\n")


#: Schwab Lot Details: files of this many lots each (200 files of 500 lots = 100,000).
LOT_FILES, LOTS_PER_FILE = 200, 500


def schwab_lot_files(folder: Path, rng: np.random.Generator) -> list[Path]:
    """200 Lot Details files (one per account and symbol), Schwab's banner, header, total."""
    head = ('"Open Date","Transaction Open","Quantity","Price","Cost/Share","Transaction CPS",'
            '"Market Value","Cost Basis","Transaction CB","Gain/Loss $","Transaction G/L $",'
            '"Gain/Loss %","Transaction G/L %","Holding Period","Disallowed Loss",')
    paths = []
    for n in range(LOT_FILES):
        acct, sym = f"{n // len(SYMBOLS):03d}", f"{SYMBOLS[n % len(SYMBOLS)]}{n // 10}"
        path = folder / f"Individual_XXX{acct}_{sym}_Lot_Details_20261120-101500.csv"
        q = rng.integers(1, 300, LOTS_PER_FILE)
        cps = rng.uniform(10, 400, LOTS_PER_FILE).round(2)
        days = rng.integers(0, 365 * 15, LOTS_PER_FILE)
        opened = pd.to_datetime("2011-01-03") + pd.to_timedelta(days, unit="D")
        price = 250.0
        lines = [f'"{sym} Lot Details for ...{acct} as of 10:15 AM ET, 11/20/2026"', "", head]
        for i in range(LOTS_PER_FILE):
            cb = q[i] * cps[i]
            term = "Long Term" if days[i] < 365 * 14 else "Short Term"
            lines.append(f'"{opened[i]:%m/%d/%Y} 00:00:00","--","{q[i]}","${price:,.2f}",'
                         f'"${cps[i]:,.2f}","--","${q[i] * price:,.2f}","${cb:,.2f}","--",'
                         f'"${q[i] * price - cb:,.2f}","--","1.00%","--","{term}","--",')
        lines.append(f'"Total","--","{int(q.sum())}","--","--","--",'
                     f'"${q.sum() * price:,.2f}","${(q * cps).sum():,.2f}","--","--","--",'
                     '"--","--","--","--",')
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def _figures(name: str, load: dict, bare: dict, rows: int, peak: float, mb: float) -> None:
    report(name, rows=rows, load_s=round(load["median_s"], 3),
           bare_parse_s=round(bare["median_s"], 3),
           ratio=round(load["median_s"] / bare["median_s"], 2),
           load_peak_traced_mb=round(peak, 1), file_mb=round(mb, 1))


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
            _figures(name, load, bare, rows, traced_peak_mb(lambda p=path: load_export(p)),
                     path.stat().st_size / 2**20)

        path = Path(d) / "Flex_bench.xml"
        flex_lots(path, rng)
        bare = timed(lambda p=path: ET.parse(p))
        load = timed(lambda p=path: load_export(p))
        rows = len(load["result"].lots)
        assert rows == N, rows
        _figures("ibkr_flex_xml_100k_lots", load, bare, rows,
                 traced_peak_mb(lambda p=path: load_export(p)), path.stat().st_size / 2**20)

        folder = Path(d) / "schwab_lots"
        folder.mkdir()
        paths = schwab_lot_files(folder, rng)
        bare = timed(lambda: [pd.read_csv(p, skiprows=2, index_col=False) for p in paths],
                     repeat=3)
        load = timed(lambda: [load_export(p) for p in paths], repeat=3)
        rows = sum(len(e.lots) for e in load["result"])
        assert rows == N, rows
        _figures("schwab_lot_details_200_files", load, bare, rows,
                 traced_peak_mb(lambda: [load_export(p) for p in paths]),
                 sum(p.stat().st_size for p in paths) / 2**20)
    report("process", peak_rss_mb=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
