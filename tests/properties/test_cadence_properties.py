"""Invariants of the cadence simulator over random returns and policies (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.allocation import Band
from toolkit.cadence import (
    Calendar,
    Hybrid,
    Opportunistic,
    SeedRecommendation,
    Threshold,
    simulate,
)

pytestmark = pytest.mark.slow  # multi-year simulations on many households

CLASSES = ("us_equity", "intl_equity", "bonds")
POLICIES = [
    Calendar("monthly"), Calendar("quarterly"), Calendar("annual"),
    Calendar("annual", to="band", band=Band("absolute", absolute=0.03)),
    Threshold(), Threshold(Band("absolute", absolute=0.02), to="band"),
    Hybrid(), Opportunistic(), Opportunistic.vanguard_200_175(), SeedRecommendation(),
]

returns_rows = st.lists(
    st.tuples(*[st.floats(min_value=-0.25, max_value=0.25, allow_nan=False)] * 3),
    min_size=1, max_size=15)


def frame(rows):
    return pd.DataFrame(rows, columns=list(CLASSES),
                        index=pd.date_range("2026-12-31", periods=len(rows), freq="ME"))


def advantaged(scale=1.0, contributions=None):
    # Two tax-advantaged accounts; the 401(k) trades only what it holds (US equity, bonds).
    return household(
        accounts={"IRA": "traditional_ira", "K": "401k"},
        positions=[dict(account="IRA", symbol="VTI", quantity=300 * scale, price=100.0),
                   dict(account="IRA", symbol="VXUS", quantity=200 * scale, price=100.0),
                   dict(account="K", symbol="VTI", quantity=200 * scale, price=100.0),
                   dict(account="K", symbol="BND", quantity=300 * scale, price=100.0)],
        targets={"us_equity": 0.5, "intl_equity": 0.2, "bonds": 0.3},
        contributions=contributions, tax_profile=profile(future_ordinary_rate=0.22))


def mixed():
    return household(
        accounts={"T": "taxable", "IRA": "roth_ira"},
        positions=[dict(account="T", symbol="VTI", quantity=400, price=100.0,
                        cost_basis=25_000.0),
                   dict(account="T", symbol="BND", quantity=300, price=100.0,
                        cost_basis=31_000.0),
                   dict(account="IRA", symbol="VXUS", quantity=300, price=100.0)],
        lots=[dict(account="T", symbol="VTI", quantity=300, cost_basis=15_000.0,
                   acquired="2018-01-02"),
              dict(account="T", symbol="VTI", quantity=100, cost_basis=10_000.0,
                   acquired="2026-08-03"),
              dict(account="T", symbol="BND", quantity=300, cost_basis=31_000.0,
                   acquired="2026-10-01")],
        targets={"us_equity": 0.5, "intl_equity": 0.2, "bonds": 0.3},
        contributions={"T": 6_000.0})


def run(h, pol, rows):
    return simulate(h, pol, returns=frame(rows), income=0.0, trace=True, progress=False)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(POLICIES), returns_rows)
def test_rebalancing_moves_no_money_between_accounts(pol, rows):
    r = run(advantaged(), pol, rows)
    hd = r.holdings.groupby(["month", "account"])[["bought", "sold", "invested"]].sum()
    assert np.allclose(hd["bought"], hd["sold"], atol=1e-6)
    assert (hd["invested"] == 0).all()
    # each account's total changes only by its returns
    R = frame(rows)
    v = r.holdings.pivot_table(index=["month", "account"], columns="asset_class",
                               values="value", aggfunc="sum")
    for acct, start in (("IRA", {"us_equity": 30_000.0, "intl_equity": 20_000.0}),
                        ("K", {"us_equity": 20_000.0, "bonds": 30_000.0})):
        prev = pd.Series(start).reindex(list(CLASSES)).fillna(0.0)
        for m in range(1, len(rows) + 1):
            grown = (prev * (1 + R.iloc[m - 1])).sum()
            now = v.loc[(m, acct)].reindex(list(CLASSES)).fillna(0.0)
            assert now.sum() == pytest.approx(grown, rel=1e-9, abs=1e-6)
            prev = now


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(POLICIES), returns_rows)
def test_never_sells_more_than_is_held(pol, rows):
    r = run(mixed(), pol, rows)
    assert (r.holdings["value"] >= -1e-6).all()
    assert (r.holdings["sold"] >= -1e-12).all() and (r.holdings["bought"] >= -1e-12).all()
    # nothing is bought and sold in the same class and account in the same month
    both = (r.holdings["bought"] > 1e-9) & (r.holdings["sold"] > 1e-9)
    assert not both.any()


@pytest.mark.parametrize("pol", POLICIES, ids=lambda p: type(p).__name__)
def test_on_target_with_flat_returns_nothing_trades(pol):
    r = run(advantaged(), pol, [(0.0, 0.0, 0.0)] * 13)
    assert r.per_path.loc[0, "rebalances"] == 0
    assert r.per_path.loc[0, "avg_drift_pp"] == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(POLICIES), returns_rows,
       st.floats(min_value=0.1, max_value=50.0, allow_nan=False))
def test_scaling_the_household_scales_every_trade(pol, rows, k):
    a = run(advantaged(contributions={"K": 6_000.0}), pol, rows)
    b = run(advantaged(scale=k, contributions={"K": 6_000.0 * k}), pol, rows)
    for col in ("value", "bought", "sold", "invested"):
        assert np.allclose(b.holdings[col], k * a.holdings[col], rtol=1e-9, atol=1e-6)
