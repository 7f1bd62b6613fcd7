"""Household allocation and drift: look-through, by account and type, bands, after-tax view."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.allocation import Band, after_tax_values, allocation, drift, drift_views, exposures
from toolkit.errors import HouseholdError

TARGET = {"us_equity": 0.45, "intl_equity": 0.15, "bonds": 0.35, "reits": 0.05}


def example_a():
    """Seed Example A: 60/40 household; the 401(k) at 80% stocks, taxable at 70% bonds and cash.

    401(k) $600k: VTI 480k (80%), BND 120k. Taxable $400k: VTI 120k, BND 200k, cash 80k (70%
    bonds and cash). Household: stocks 600k of 1,000k = 60%, bonds + cash 40%.
    """
    return household(
        accounts={"K": "401k", "T": "taxable"},
        positions=[
            {"account": "K", "symbol": "VTI", "quantity": 1600, "price": 300.0},
            {"account": "K", "symbol": "BND", "quantity": 1600, "price": 75.0},
            {"account": "T", "symbol": "VTI", "quantity": 400, "price": 300.0},
            {"account": "T", "symbol": "BND", "quantity": 2666.6666666666665, "price": 75.0},
            {"account": "T", "symbol": "CASH", "quantity": 80000, "price": 1.0},
        ],
        targets={"us_equity": 0.6, "bonds": 0.4},
    )


def test_example_a_household_is_on_target_for_stocks_though_each_account_is_not():
    h = example_a()
    d = drift(h)
    assert d.loc["us_equity", "current"] == pytest.approx(0.60)
    assert d.loc["bonds", "current"] == pytest.approx(0.32)
    assert d.loc["cash", "current"] == pytest.approx(0.08)
    by = allocation(h, by="account").set_index(["group", "asset_class"])["weight"]
    assert by[("K", "us_equity")] == pytest.approx(0.8)
    assert by[("T", "bonds")] + by[("T", "cash")] == pytest.approx(0.7)
    # stocks are exactly on target: no dollars to move
    assert d.loc["us_equity", "dollars_to_target"] == pytest.approx(0.0, abs=1e-6)
    assert not d.loc["us_equity", "outside"]


def test_look_through_of_a_balanced_fund():
    # VBIAX is 60% us_equity / 40% bonds in the security master: $10,000 -> 6,000 + 4,000
    h = household(accounts={"R": "roth_ira"},
                  positions=[{"account": "R", "symbol": "VBIAX", "quantity": 200, "price": 50.0},
                             {"account": "R", "symbol": "BND", "quantity": 80, "price": 75.0}])
    ex = exposures(h)
    assert ex[["symbol", "asset_class", "weight", "market_value"]].values.tolist() == [
        ["VBIAX", "us_equity", 0.6, 6000.0], ["VBIAX", "bonds", 0.4, 4000.0],
        ["BND", "bonds", 1.0, 6000.0]]
    d = drift(h)  # target 60/40: us 6,000/16,000 = 0.375; bonds 10,000/16,000 = 0.625
    assert d.loc["us_equity", "current"] == pytest.approx(0.375)
    assert d.loc["bonds", "current"] == pytest.approx(0.625)
    assert d.loc["us_equity", "dollars_to_target"] == pytest.approx(0.6 * 16000 - 6000)


def test_drift_columns_and_bands():
    # household $100,000: us 55,000 (target 45), intl 10,000 (15), bonds 30,000 (35),
    # reits 2,000 (5), cash 3,000 (0)
    h = household(accounts={"T": "taxable"}, targets=TARGET, positions=[
        {"account": "T", "symbol": "VTI", "quantity": 550, "price": 100.0},
        {"account": "T", "symbol": "VXUS", "quantity": 100, "price": 100.0},
        {"account": "T", "symbol": "BND", "quantity": 300, "price": 100.0},
        {"account": "T", "symbol": "VNQ", "quantity": 20, "price": 100.0},
        {"account": "T", "symbol": "CASH", "quantity": 3000, "price": 1.0},
    ])
    d = drift(h, band=Band("5/25"))
    assert list(d.index) == ["us_equity", "intl_equity", "bonds", "reits", "cash"]
    assert d["drift_pp"].round(10).tolist() == [10.0, -5.0, -5.0, -3.0, 3.0]
    # 5/25: half-widths min(5pp, 25% of target): 5, 3.75, 5, 1.25, 0 pp
    assert (d["upper"] - d["target"]).round(10).tolist() == [0.05, 0.0375, 0.05, 0.0125, 0.0]
    assert d["outside"].tolist() == [True, True, False, True, True]
    # beyond the nearer edge: us 10-5=5pp -> $5,000; intl 5-3.75 -> $1,250; reits 3-1.25 -> $1,750
    assert d["dollars_outside"].round(6).tolist() == [5000.0, 1250.0, 0.0, 1750.0, 3000.0]
    assert d["drift_rel"].tolist()[:4] == pytest.approx([10 / 45, -5 / 15, -5 / 35, -3 / 5])
    a = drift(h, band=Band("absolute", absolute=0.05))
    # absolute band: cash 3% sits inside 0 ± 5 pp
    assert a["outside"].tolist() == [True, False, False, False, False]
    r = drift(h, band=Band("relative", relative=0.25))
    # relative: us 10 pp is inside 45 ± 11.25; intl 5 > 3.75; bonds 5 < 8.75; reits 3 > 1.25
    assert r["outside"].tolist() == [False, True, False, True, True]


@pytest.mark.parametrize("kind", ["absolute", "relative", "5/25", "none"])
def test_on_target_is_inside_every_band(kind):
    h = household(accounts={"T": "taxable"}, positions=[
        {"account": "T", "symbol": "VTI", "quantity": 60, "price": 100.0},
        {"account": "T", "symbol": "BND", "quantity": 40, "price": 100.0}])
    d = drift(h, band=Band(kind))
    assert not d["outside"].any()
    assert d["dollars_outside"].sum() == 0.0


def test_targets_are_checked():
    h = example_a()
    with pytest.raises(HouseholdError):
        drift(h, targets={"us_equity": 0.5, "bonds": 0.4})
    with pytest.raises(HouseholdError):
        drift(h, targets={"us_equity": 0.6, "gold": 0.4})


def test_by_treatment_and_tax_type():
    h = household(accounts={"T": "taxable", "I": "traditional_ira", "R": "roth_ira",
                            "H": "hsa"}, positions=[
        {"account": "T", "symbol": "VTI", "quantity": 10, "price": 100.0},
        {"account": "I", "symbol": "BND", "quantity": 20, "price": 100.0},
        {"account": "R", "symbol": "VXUS", "quantity": 30, "price": 100.0},
        {"account": "H", "symbol": "VTI", "quantity": 40, "price": 100.0}])
    t = allocation(h, by="treatment").set_index(["group", "asset_class"])["market_value"]
    assert t.to_dict() == {("taxable", "us_equity"): 1000.0,
                           ("tax_deferred", "bonds"): 2000.0,
                           ("tax_free", "intl_equity"): 3000.0,
                           ("tax_free", "us_equity"): 4000.0}


def test_after_tax_view():
    # IRA $60,000 at a 22% future rate -> 46,800; Roth $40,000 in full; taxable $50,000 with
    # a $20,000 gain at a 20% capital-gains rate -> 46,000 net of embedded gains
    h = household(accounts={"I": "traditional_ira", "R": "roth_ira", "T": "taxable"},
                  tax_profile=profile(future_ordinary_rate=0.22),
                  positions=[
                      {"account": "I", "symbol": "BND", "quantity": 600, "price": 100.0},
                      {"account": "R", "symbol": "VTI", "quantity": 400, "price": 100.0},
                      {"account": "T", "symbol": "VTI", "quantity": 500, "price": 100.0,
                       "cost_basis": 30000.0}])
    v = after_tax_values(h)
    assert v["market_value"].tolist() == [46800.0, 40000.0, 50000.0]
    v2 = after_tax_values(h, net_embedded_gains=True, capital_gains_rate=0.20)
    assert v2["market_value"].tolist() == [46800.0, 40000.0, 46000.0]
    views = drift_views(h)
    # pre-tax: bonds 60/150 = 0.4; after tax: 46,800 / 136,800
    assert views[("pre_tax", "current")]["bonds"] == pytest.approx(0.4)
    assert views[("after_tax", "current")]["bonds"] == pytest.approx(46800 / 136800)


def test_after_tax_view_needs_a_rate():
    h = example_a()
    with pytest.raises(HouseholdError) as exc:
        after_tax_values(h)
    assert str(exc.value) == ("the after-tax view needs a future ordinary rate: pass "
                              "future_ordinary_rate= or set future_ordinary_rate in [household]")


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=1, max_value=1e6), min_size=3, max_size=3),
       st.floats(min_value=0.1, max_value=10))
def test_scaling_holdings_leaves_weights_alone(values, k):
    def make(scale):
        return household(accounts={"T": "taxable", "R": "roth_ira"}, positions=[
            {"account": "T", "symbol": "VTI", "quantity": values[0] * scale, "price": 1.0},
            {"account": "R", "symbol": "BND", "quantity": values[1] * scale, "price": 1.0},
            {"account": "R", "symbol": "VBIAX", "quantity": values[2] * scale, "price": 1.0}])
    a, b = drift(make(1.0)), drift(make(k))
    pd.testing.assert_series_equal(a["current"], b["current"], rtol=1e-9)
    assert a["current"].sum() == pytest.approx(1.0)


def test_sample_household_drift():
    from tests.conftest import SAMPLES
    from toolkit import load_household

    h = load_household(SAMPLES / "household" / "household.toml")
    d = drift(h)
    # us_equity by hand: joint VTI 89,100 + SCHD 25,650; Roth SCHA 24,300; IRA FXAIX 92,840;
    # 401(k) CIT 179,905.25 + ACME 85,500; HSA FZROX 7,046.82; VBIAX 60% of 50,310 = 30,186;
    # Maya's individual account: FXAIX 337.829 x 232.10 = 78,410.11, NVDA 135 x 182.50 =
    # 24,637.50, AAPL 60 x 228.40 = 13,704
    us = (89100 + 25650 + 24300 + 92840 + 179905.25 + 85500 + 7046.823 + 30186
          + 78410.1109 + 24637.50 + 13704)
    assert d.loc["us_equity", "market_value"] == pytest.approx(us, abs=0.01)
    assert d.loc["unclassified", "market_value"] == 7050.0
    assert d["current"].sum() == pytest.approx(1.0)
    assert d.loc["us_equity", "outside"] and d.loc["bonds", "outside"]


def test_subclass_targets_and_drift(tmp_path):
    from toolkit.allocation import subclass_drift

    # us_equity target 60% split 75% large (VTI counts as us_total_market here) / 25% small
    h = household(accounts={"T": "taxable"}, positions=[
        {"account": "T", "symbol": "VOO", "quantity": 500, "price": 100.0},   # us_large_cap
        {"account": "T", "symbol": "VB", "quantity": 100, "price": 100.0},    # us_small_cap
        {"account": "T", "symbol": "BND", "quantity": 400, "price": 100.0}])
    d = subclass_drift(h, {"us_equity": {"us_large_cap": 0.75, "us_small_cap": 0.25}})
    # household $100,000: large 50,000 = 0.50 vs 0.60 x 0.75 = 0.45; small 0.10 vs 0.15
    assert d[["sub_class", "current", "target"]].values.tolist() == [
        ["us_large_cap", 0.5, pytest.approx(0.45)], ["us_small_cap", 0.1, pytest.approx(0.15)]]
    assert d["drift"].tolist() == pytest.approx([0.05, -0.05])
    assert d["share_of_class"].tolist() == pytest.approx([50 / 60, 10 / 60])


def test_subtargets_are_checked():
    from toolkit.household import validate_subtargets

    t = pd.Series({"us_equity": 0.6, "bonds": 0.4})
    with pytest.raises(HouseholdError) as exc:
        validate_subtargets({"us_equity": {"us_large_cap": 0.7, "us_small_cap": 0.2}}, t)
    assert str(exc.value) == ("subtargets: the sub-weights of 'us_equity' sum to 0.9, not 1 "
                              "(they are fractions of the class)")
    with pytest.raises(HouseholdError) as exc:
        validate_subtargets({"reits": {"reit_us": 1.0}}, t)
    assert str(exc.value) == "subtargets: 'reits' is not a class of the target (us_equity, bonds)"
