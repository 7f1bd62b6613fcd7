"""Invariants of lot selection over random lots (hypothesis)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.tax.gains import gains_tax
from toolkit.tax.lots import select_lots

pytestmark = pytest.mark.slow  # many generated lot pools priced

lot = st.tuples(st.floats(min_value=0.5, max_value=500),          # shares
                st.floats(min_value=1, max_value=400),             # basis per share
                st.integers(min_value=0, max_value=4_000))         # days before as_of


@st.composite
def cases(draw):
    lots = draw(st.lists(lot, min_size=1, max_size=12))
    rows = [{"account": "TAX", "symbol": "VTI", "quantity": q, "cost_basis": q * b,
             "acquired": pd.Timestamp("2026-06-15") - pd.Timedelta(days=d), "lot_id": f"L{i}"}
            for i, (q, b, d) in enumerate(lots)]
    held = sum(q for q, _, _ in lots)
    frac = draw(st.floats(min_value=0.01, max_value=1.0))
    p = profile(ordinary_income=draw(st.floats(min_value=0, max_value=700_000)),
                filing_status=draw(st.sampled_from(["single", "married_filing_jointly"])),
                carryforward_long_term=draw(st.sampled_from([0.0, 5_000.0])))
    h = household(accounts={"TAX": "taxable"}, as_of="2026-06-15", lots=rows,
                  positions=[{"account": "TAX", "symbol": "VTI", "quantity": held,
                              "price": draw(st.floats(min_value=5, max_value=300))}],
                  tax_profile=p)
    return h, held * frac


@settings(max_examples=60, deadline=None)
@given(cases(), st.sampled_from(["fifo", "lifo", "hifo", "lofo", "average", "min_tax"]))
def test_a_selection_sells_what_was_asked_and_its_tax_adds_up(case, method):
    h, shares = case
    sel = select_lots(h, "TAX", "VTI", shares=shares, method=method)
    assert sel["quantity"].sum() == pytest.approx(shares, rel=1e-9)
    held = h.lots.set_index("lot_id")["quantity"]
    assert sel["lot_id"].is_unique
    assert (sel["quantity"] <= held.loc[sel["lot_id"]].to_numpy() * (1 + 1e-12)).all()
    assert (sel["proceeds"] - sel["quantity"] * sel["price"]).abs().max() < 1e-6
    assert (sel["gain"] - (sel["proceeds"] - sel["cost_basis"])).abs().max() < 1e-6
    short = sel["term"].eq("short")
    total = gains_tax(h, sel.loc[short, "gain"].sum(), sel.loc[~short, "gain"].sum()).total
    assert sel["est_tax"].sum() == pytest.approx(total, abs=1e-6)
    assert sel.attrs["tax"] == total


@settings(max_examples=60, deadline=None)
@given(cases())
def test_min_tax_is_never_worse_than_a_plain_order(case):
    h, shares = case
    best = select_lots(h, "TAX", "VTI", shares=shares).attrs["tax"]
    for m in ("fifo", "lifo", "hifo", "lofo"):
        assert best <= select_lots(h, "TAX", "VTI", shares=shares, method=m).attrs["tax"]
