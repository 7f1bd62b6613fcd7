"""Lot selection over 10,000 lots of one symbol (target: min_tax under ~50 ms)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._harness import report, section, timed
from tests.factories import household
from toolkit.tax.gains import gains_tax
from toolkit.tax.lots import compare_methods, select_lots


def make(n: int = 10_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    q = rng.uniform(1, 20, n).round(3)
    acq = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 6_000, n), unit="D")
    lots = pd.DataFrame({"account": "TAX", "symbol": "VTI", "quantity": q,
                         "cost_basis": q * rng.uniform(50, 400, n), "acquired": acq,
                         "lot_id": [f"L{i}" for i in range(n)]})
    return household(accounts={"TAX": "taxable"}, as_of="2026-06-15",
                     positions=[{"account": "TAX", "symbol": "VTI", "quantity": float(q.sum()),
                                 "price": 250.0}], lots=lots.to_dict("records"))


def main() -> None:
    h = make()
    with section("select_lots, 10,000 lots, one symbol"):
        for method in ("min_tax", "fifo", "hifo", "average"):
            for dollars in (20_000.0, 5_000_000.0):
                r = timed(lambda m=method, d=dollars: select_lots(h, "TAX", "VTI", dollars=d,
                                                                  method=m), repeat=9)
                report(f"select_lots_{method}_{int(dollars)}", median_ms=r["median_s"] * 1e3,
                       min_ms=r["min_s"] * 1e3, rows=len(r["result"]))
        r = timed(lambda: compare_methods(h, "TAX", "VTI", dollars=1_000_000.0), repeat=5)
        report("compare_methods_6", median_ms=r["median_s"] * 1e3)
    with section("gains_tax (full breakdown)"):
        r = timed(lambda: gains_tax(h, 12_000.0, 40_000.0), repeat=50)
        report("gains_tax", median_ms=r["median_s"] * 1e3)


if __name__ == "__main__":
    main()
