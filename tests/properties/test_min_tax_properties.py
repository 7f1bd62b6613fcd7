"""``select_lots(method="min_tax")`` is exact: equal to brute force over every whole-share
allocation of small lot sets (hypothesis), and a worked case across the 0%/15% threshold."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.tax.gains import gains_tax
from toolkit.tax.lots import select_lots

AS_OF = {2024: "2024-06-14", 2025: "2025-06-13", 2026: "2026-06-15"}


def pool(year: int, lots, price: float, p):
    rows = [{"account": "TAX", "symbol": "VTI", "quantity": float(q), "cost_basis": q * b,
             "acquired": pd.Timestamp(AS_OF[year]) - pd.Timedelta(days=d), "lot_id": f"L{i}"}
            for i, (q, b, d) in enumerate(lots)]
    held = float(sum(q for q, _, _ in lots))
    return household(accounts={"TAX": "taxable"}, as_of=AS_OF[year], lots=rows,
                     positions=[{"account": "TAX", "symbol": "VTI", "quantity": held,
                                 "price": price}], tax_profile=p)


def brute_force(h, lots, price: float, shares: int) -> float:
    """The least tax over every whole-share allocation of ``shares`` to the lots."""
    as_of = pd.Timestamp(h.as_of)
    long_ = [as_of - pd.Timedelta(days=d) < as_of - pd.DateOffset(years=1) for _, _, d in lots]
    best = None
    for xs in itertools.product(*(range(q + 1) for q, _, _ in lots)):
        if sum(xs) != shares:
            continue
        stg = sum(x * (price - b) for x, (_, b, _), lg in zip(xs, lots, long_, strict=True)
                  if not lg)
        ltg = sum(x * (price - b) for x, (_, b, _), lg in zip(xs, lots, long_, strict=True)
                  if lg)
        t = gains_tax(h, short_term=stg, long_term=ltg).total
        best = t if best is None else min(best, t)
    return best


def test_mfj_2024_sale_across_the_0_percent_threshold():
    # MFJ 2024, $90,213 of taxable ordinary income, no state tax: the 0% long-term band ends
    # at $94,050 of taxable income ($3,837 of room), the 12% bracket at $94,300.
    # VTI at $100; lot L0 100 sh long-term at $20 ($80/sh gain); lot L1 100 sh short-term at
    # $90 ($10/sh). Sell 100 shares.
    # Greedy at the starting marginal rates (0% long, 12% short): all of L0, $8,000 LT:
    #   3,837 at 0%, 4,163 at 15% = $624.45. All of L1: $1,000 ST at 12% = $120.00.
    # Exact: x sh of L0 stay at 0% while 90,213 + 10 (100 - x) + 80 x <= 94,050: x <= 40.5;
    # x = 40: ST 600 x 12% = $72.00 (TI 94,013); x = 41: 33 over at 15% = 4.95 + 590 x 12%
    # = 75.75.
    p = profile(filing_status="married_filing_jointly", year=2024, ordinary_income=90_213.0,
                state_rate=0.0)
    lots = [(100, 20.0, 3_000), (100, 90.0, 30)]
    h = pool(2024, lots, 100.0, p)
    sel = select_lots(h, "TAX", "VTI", shares=100)
    assert sel[["lot_id", "quantity"]].values.tolist() == [["L0", 40.0], ["L1", 60.0]]
    assert sel.attrs["tax"] == 72.00
    assert gains_tax(h, long_term=8_000).total == 624.45
    assert gains_tax(h, short_term=1_000).total == 120.00
    assert brute_force(h, lots, 100.0, 100) == 72.00


lot = st.tuples(st.integers(min_value=1, max_value=6),          # shares
                st.floats(min_value=200, max_value=30_000),      # basis per share
                st.integers(min_value=0, max_value=3_000))       # days before as_of


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(lots=st.lists(lot, min_size=1, max_size=4),
       price=st.floats(min_value=1_000, max_value=20_000),
       year=st.sampled_from([2024, 2025, 2026]),
       status=st.sampled_from(["single", "married_filing_jointly", "head_of_household"]),
       income=st.floats(min_value=0, max_value=600_000),
       cf=st.sampled_from([0.0, 4_000.0]),
       data=st.data())
def test_min_tax_equals_brute_force(lots, price, year, status, income, cf, data):
    lots = [(q, round(b, 2), d) for q, b, d in lots]
    p = profile(filing_status=status, year=year, ordinary_income=income,
                carryforward_short_term=cf)
    h = pool(year, lots, price, p)
    shares = data.draw(st.integers(min_value=1, max_value=sum(q for q, _, _ in lots)))
    sel = select_lots(h, "TAX", "VTI", shares=shares)
    assert sel["quantity"].sum() == pytest.approx(shares)
    assert (sel["quantity"] == sel["quantity"].round()).all()  # whole shares
    assert sel.attrs["tax"] == brute_force(h, lots, price, shares)
