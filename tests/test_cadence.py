"""The cadence simulator: when each policy trades and what, worked by hand on fixed returns;
taxes against gains_tax; Monte Carlo moments; the vectorised tax against gains_tax."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.allocation import Band
from toolkit.cadence import (
    METRICS,
    AssetAssumptions,
    Calendar,
    Hybrid,
    Opportunistic,
    ReturnPaths,
    SeedRecommendation,
    Threshold,
    compare_policies,
    gains_tax_arrays,
    liability_arrays,
    monte_carlo,
    returns_from_frame,
    simulate,
)
from toolkit.errors import PlanningError
from toolkit.household import FILING_STATUSES, TaxProfile
from toolkit.household_file import load_household
from toolkit.tax.gains import capital_gains_liability, gains_tax

CENT = 0.005
FIVE_PP = Band("absolute", absolute=0.05)


def frame(classes, months=12, jumps=()):
    """Monthly total returns, all zero except ``jumps`` = [(month, class, return)]."""
    idx = pd.date_range("2026-12-31", periods=months, freq="ME")
    r = pd.DataFrame(0.0, index=idx, columns=list(classes))
    for m, c, x in jumps:
        r.loc[idx[m - 1], c] = x
    return r


def ira_household(**kw):
    # One traditional IRA: 50,000 US equity (VTI), 20,000 international (VXUS), 30,000 bonds
    # (BND), exactly on a 50/20/30 target.
    return household(
        accounts={"IRA": "traditional_ira"},
        positions=[dict(account="IRA", symbol="VTI", quantity=500, price=100.0),
                   dict(account="IRA", symbol="VXUS", quantity=200, price=100.0),
                   dict(account="IRA", symbol="BND", quantity=300, price=100.0)],
        targets={"us_equity": 0.5, "intl_equity": 0.2, "bonds": 0.3},
        tax_profile=profile(future_ordinary_rate=0.22), **kw)


THREE = ("us_equity", "intl_equity", "bonds")
JUMP = frame(THREE, jumps=[(3, "us_equity", 0.30)])


def run(h, policy, returns, **kw):
    kw.setdefault("income", 0.0)
    return simulate(h, policy, returns=returns, trace=True, progress=False, **kw)


def trades(r):
    """{month: {class: +bought / -sold}} of the rebalancing trades (path 0)."""
    hd = r.holdings
    hd = hd[(hd["bought"] > 0) | (hd["sold"] > 0)]
    out: dict[int, dict[str, float]] = {}
    for row in hd.itertuples():
        out.setdefault(row.month, {})
        out[row.month][row.asset_class] = round(row.bought - row.sold, 6)
    return out


# --- when each policy trades, and what --------------------------------------------------------
# US equity +30% in month 3: 65,000 / 20,000 / 30,000 of 115,000 = 56.52% / 17.39% / 26.09%,
# drifts +6.52 / -2.61 / -3.91 pp. Only US equity is outside a 5 pp band.


def test_threshold_rebalances_in_month_3_to_target():
    # Target dollars 57,500 / 23,000 / 34,500: sell 7,500 US, buy 3,000 intl and 4,500 bonds.
    r = run(ira_household(), Threshold(FIVE_PP), JUMP)
    assert trades(r) == {3: {"us_equity": -7_500.0, "intl_equity": 3_000.0, "bonds": 4_500.0}}
    assert r.per_path.loc[0, "rebalances"] == 1
    assert r.per_path.loc[0, "taxes"] == 0.0
    m = r.months.set_index("month")
    assert m.loc[3, "drift_pp"] == pytest.approx(0.0, abs=1e-9)
    assert m.loc[2, "drift_pp"] == pytest.approx(0.0, abs=1e-9)


def test_calendar_annual_rebalances_only_in_month_12():
    r = run(ira_household(), Calendar("annual"), JUMP)
    assert trades(r) == {12: {"us_equity": -7_500.0, "intl_equity": 3_000.0, "bonds": 4_500.0}}
    m = r.months.set_index("month")
    # months 3-11 carry the drift: worst class +6.52 pp = (65/115 - 0.5) x 100
    assert m.loc[3, "drift_pp"] == pytest.approx((65 / 115 - 0.5) * 100, abs=1e-9)
    assert m.loc[11, "drift_pp"] == pytest.approx((65 / 115 - 0.5) * 100, abs=1e-9)
    assert m.loc[12, "drift_pp"] == pytest.approx(0.0, abs=1e-9)
    assert r.per_path.loc[0, "worst_drift_pp"] == pytest.approx(6.5217391, abs=1e-6)


def test_calendar_monthly_has_nothing_to_do_when_nothing_moved():
    r = run(ira_household(), Calendar("monthly"), JUMP)
    assert list(trades(r)) == [3]
    assert r.per_path.loc[0, "rebalances"] == 1


def test_opportunistic_trades_the_class_outside_back_to_the_inner_band_only():
    # US equity outside +-5 pp goes to the inner +-2 pp edge: 52% x 115,000 = 59,800, selling
    # 5,200. The 5,200 goes to the classes inside the band in proportion to their room to
    # target: intl 23,000 - 20,000 = 3,000, bonds 34,500 - 30,000 = 4,500 (7,500 in all):
    # intl 5,200 x 3/7.5 = 2,080, bonds 5,200 x 4.5/7.5 = 3,120.
    pol = Opportunistic(band=FIVE_PP, inner=Band("absolute", absolute=0.02))
    r = run(ira_household(), pol, JUMP)
    assert trades(r) == {3: {"us_equity": -5_200.0, "intl_equity": 2_080.0, "bonds": 3_120.0}}
    m = r.months.set_index("month")
    assert m.loc[3, "drift_pp"] == pytest.approx(2.0, abs=1e-9)   # left at the inner edge


def test_opportunistic_defaults_are_daryanani_and_wider_than_a_5pp_band():
    # 20% of a 50% target is +-10 pp: 56.5% is inside, so nothing trades.
    r = run(ira_household(), Opportunistic(), JUMP)
    assert trades(r) == {}
    v = Opportunistic.vanguard_200_175()
    assert (v.band.absolute, v.inner.absolute) == (0.02, 0.0175)


def test_threshold_to_band_edge():
    # US equity to the 55% edge: 63,250, selling 1,750: intl 700, bonds 1,050 (3 : 4.5).
    r = run(ira_household(), Threshold(FIVE_PP, to="band"), JUMP)
    assert trades(r) == {3: {"us_equity": -1_750.0, "intl_equity": 700.0, "bonds": 1_050.0}}


def test_hybrid_acts_at_its_quarterly_check_only_when_outside():
    # Jump in month 4: the next quarterly check is month 6.
    r = run(ira_household(), Hybrid("quarterly", FIVE_PP), frame(THREE, jumps=[
        (4, "us_equity", 0.30)]))
    assert list(trades(r)) == [6]
    # a 5% rise (52.4% US) stays inside the band: no trade at any check
    r = run(ira_household(), Hybrid("quarterly", FIVE_PP), frame(THREE, jumps=[
        (1, "us_equity", 0.05)]))
    assert trades(r) == {}


# --- taxes in taxable accounts -----------------------------------------------------------------


def taxable_household(lots, value_vti=60_000.0, basis_vti=None, **kw):
    return household(
        accounts={"T": "taxable"},
        positions=[dict(account="T", symbol="VTI", quantity=value_vti / 100, price=100.0,
                        cost_basis=basis_vti),
                   dict(account="T", symbol="BND", quantity=400 * value_vti / 60_000,
                        price=100.0, cost_basis=40_000.0 * value_vti / 60_000)],
        lots=lots, targets={"us_equity": 0.6, "bonds": 0.4}, **kw)


TWO = ("us_equity", "bonds")


def test_selling_a_known_long_term_gain_pays_gains_tax():
    # VTI 60,000 on a 20,000 basis (2019), BND 40,000 at cost; 60/40. VTI +30% in month 3:
    # 78,000 / 40,000 of 118,000; target 70,800: sell 7,200 of VTI.
    # Gain = 7,200 x (78,000 - 20,000) / 78,000 = 5,353.85 long-term.
    # MFJ 2026, ordinary 185,000, state 5%: 15% federal + 5% state = 1,070.77; MAGI
    # 185,000 + 32,200 + 5,354 < 250,000: no NIIT.
    h = taxable_household([
        dict(account="T", symbol="VTI", quantity=600, cost_basis=20_000.0,
             acquired="2019-05-01"),
        dict(account="T", symbol="BND", quantity=400, cost_basis=40_000.0,
             acquired="2019-05-01")])
    r = run(h, Threshold(FIVE_PP), frame(TWO, jumps=[(3, "us_equity", 0.30)]))
    gain = 7_200 * 58_000 / 78_000
    m = r.months.set_index("month")
    assert m.loc[3, "realized_long_term"] == pytest.approx(gain, abs=1e-6)
    assert r.per_path.loc[0, "realized_short_term"] == 0.0
    assert r.per_path.loc[0, "taxable_sales"] == pytest.approx(7_200.0, abs=1e-9)
    tax = r.taxes.loc[0, 1]
    assert tax == pytest.approx(1_070.77, abs=CENT)
    assert tax == pytest.approx(gains_tax(h, long_term=gain).total, abs=CENT)
    # The tax is paid at month 12 by selling tax / 118,000 of every bucket: the long-term pool
    # then holds VTI 70,800 on 20,000 x 70,800 / 78,000 and BND 40,000 at cost (the 7,200 of
    # BND bought in month 3 is still short-term, at cost): that sale's gain counts next year.
    pool_gain = 70_800 - 20_000 * 70_800 / 78_000
    assert m.loc[12, "realized_long_term"] == pytest.approx(tax / 118_000 * pool_gain, abs=1e-6)
    assert r.per_path.loc[0, "ending_pre_tax"] == pytest.approx(118_000 - tax, abs=1e-6)


def test_a_lot_still_short_term_is_taxed_as_short_term():
    # The same, the VTI bought 2026-06-01: long-term from 2027-06-02, after month 3
    # (2027-02-20). Gain 5,353.85 short-term: 22% federal + 5% state = 1,445.54.
    h = taxable_household([
        dict(account="T", symbol="VTI", quantity=600, cost_basis=20_000.0,
             acquired="2026-06-01"),
        dict(account="T", symbol="BND", quantity=400, cost_basis=40_000.0,
             acquired="2019-05-01")])
    r = run(h, Threshold(FIVE_PP), frame(TWO, jumps=[(3, "us_equity", 0.30)]))
    gain = 7_200 * 58_000 / 78_000
    assert r.months.set_index("month").loc[3, "realized_short_term"] == pytest.approx(
        gain, abs=1e-6)
    assert r.taxes.loc[0, 1] == pytest.approx(1_445.54, abs=CENT)
    assert r.taxes.loc[0, 1] == pytest.approx(gains_tax(h, short_term=gain).total, abs=CENT)


def test_losses_are_sold_first_and_carried_forward_year_by_year():
    # VTI: 5,000 shares on a 200,000 basis (2019, long-term) and 1,000 bought 2026-09-01 for
    # 150,000 (short-term); BND 400,000 at cost. After +30%: the short-term bucket is worth
    # 130,000 on 150,000 (a loss), the long-term pool 650,000 on 200,000. Sell 72,000 of VTI
    # (780,000 - 60% x 1,180,000): all from the loss bucket first:
    # 72,000 x (130,000 - 150,000) / 130,000 = -11,076.92 short-term.
    # Year 1: 3,000 deducted at 22% + 5% = -810.00, 8,076.92 carried (short-term).
    # Years 2, 3: another 3,000 each: -810.00; year 4: the last 2,076.92 x 27% = -560.77.
    # (The baseline household, without these trades, has no carryforward.)
    h = taxable_household([
        dict(account="T", symbol="VTI", quantity=5_000, cost_basis=200_000.0,
             acquired="2019-05-01"),
        dict(account="T", symbol="VTI", quantity=1_000, cost_basis=150_000.0,
             acquired="2026-09-01"),
        dict(account="T", symbol="BND", quantity=4_000, cost_basis=400_000.0,
             acquired="2019-05-01")], value_vti=600_000.0)
    r = run(h, Threshold(FIVE_PP), frame(TWO, months=48, jumps=[(3, "us_equity", 0.30)]))
    loss = 72_000 * -20_000 / 130_000
    assert r.per_path.loc[0, "realized_short_term"] == pytest.approx(loss, abs=1e-6)
    assert r.per_path.loc[0, "realized_long_term"] == 0.0
    assert r.taxes.loc[0].tolist() == pytest.approx([-810.0, -810.0, -810.0, -560.77], abs=CENT)
    assert r.taxes.loc[0, 1] == pytest.approx(gains_tax(h, short_term=loss).total, abs=CENT)


def test_taxable_interest_is_taxed_at_ordinary_rates_and_reinvested():
    # 100,000 of BND in a taxable account, 3.8% a year paid monthly (0.31667%), no price
    # change; reinvested, the year's interest is 100,000 x ((1 + 0.038/12)^12 - 1) = 3,866.89.
    # Ordinary income: 22% + 5% state = 1,044.06.
    h = household(accounts={"T": "taxable"},
                  positions=[dict(account="T", symbol="BND", quantity=1000, price=100.0,
                                  cost_basis=100_000.0)],
                  lots=[dict(account="T", symbol="BND", quantity=1000, cost_basis=100_000.0,
                             acquired="2019-05-01")],
                  targets={"bonds": 1.0})
    y = 0.038 / 12
    ret = pd.DataFrame({"bonds": [y] * 12},
                       index=pd.date_range("2026-12-31", periods=12, freq="ME"))
    r = simulate(h, Calendar("annual"), returns=ret, income={"bonds": 0.038}, progress=False)
    interest = 100_000 * ((1 + y) ** 12 - 1)
    assert interest == pytest.approx(3_866.89, abs=CENT)
    assert r.taxes.loc[0, 1] == pytest.approx(1_044.06, abs=CENT)
    lia = capital_gains_liability(h.profile.replace(
        ordinary_income=185_000 + interest, other_investment_income=interest))
    assert r.taxes.loc[0, 1] + capital_gains_liability(h.profile).total == pytest.approx(
        lia.total, abs=0.011)
    # the tax was paid from the account: 100,000 + interest - tax
    assert r.per_path.loc[0, "ending_pre_tax"] == pytest.approx(
        100_000 + interest - r.taxes.loc[0, 1], abs=1e-6)


def test_ending_after_tax_wealth_by_account_type():
    # Zero returns, no trades: traditional 10,000 x (1 - 0.22) + Roth 10,000 + HSA 10,000 +
    # taxable 10,000 with a 4,000 embedded gain taxed at the marginal long-term rate 20%
    # (15% + 5% state) = 10,000 - 800.
    h = household(accounts={"IRA": "traditional_ira", "R": "roth_ira", "H": "hsa",
                            "T": "taxable"},
                  positions=[dict(account=a, symbol="VTI", quantity=100, price=100.0,
                                  cost_basis=6_000.0 if a == "T" else None)
                             for a in ("IRA", "R", "H", "T")],
                  lots=[dict(account="T", symbol="VTI", quantity=100, cost_basis=6_000.0,
                             acquired="2019-05-01")],
                  targets={"us_equity": 1.0}, tax_profile=profile(future_ordinary_rate=0.22))
    r = run(h, Calendar("annual"), frame(["us_equity"]))
    assert r.per_path.loc[0, "ending_pre_tax"] == 40_000.0
    assert r.per_path.loc[0, "ending_after_tax"] == pytest.approx(
        7_800 + 10_000 + 10_000 + 9_200, abs=1e-6)


# --- cash flows first ----------------------------------------------------------------------


def flows_household():
    # Taxable 50,000 US / 50,000 bonds; 401(k) 5,000 / 5,000 with 12,000 a year (1,000 a
    # month): the household is 50/50 against a 60/40 target, US equity underweight.
    return household(
        accounts={"T": "taxable", "K": "401k"},
        positions=[dict(account="T", symbol="VTI", quantity=500, price=100.0,
                        cost_basis=50_000.0),
                   dict(account="T", symbol="BND", quantity=500, price=100.0,
                        cost_basis=50_000.0),
                   dict(account="K", symbol="VTI", quantity=50, price=100.0),
                   dict(account="K", symbol="BND", quantity=50, price=100.0)],
        targets={"us_equity": 0.6, "bonds": 0.4}, contributions={"K": 12_000.0},
        tax_profile=profile(future_ordinary_rate=0.22))


def test_seed_directs_contributions_to_underweight_classes_every_month():
    r = run(flows_household(), SeedRecommendation(), frame(TWO))
    inv = r.holdings.set_index(["month", "account", "asset_class"])["invested"]
    assert inv[(1, "K", "us_equity")] == pytest.approx(1_000.0)
    assert inv[(1, "K", "bonds")] == 0.0
    # US equity is 55,000 + 1,000 m of 110,000 + 1,000 m after m months: below 60% until
    # m = 27.5, so every month's 1,000 goes to US equity and nothing trades before the review.
    # At the month-12 review (67,000 of 122,000; target 73,200) the 401(k) sells its 5,000 of
    # bonds for US equity, tax-free: 72,000 = 59.0%, inside the 5/25 band: no taxable sale.
    traded = r.months.set_index("month")["traded"]
    assert traded.iloc[:11].sum() == 0.0
    assert traded[12] == pytest.approx(5_000.0)
    assert inv.xs("us_equity", level="asset_class").xs("K", level="account").tolist() == \
        pytest.approx([1_000.0] * 12)
    assert r.per_path.loc[0, "taxable_sales"] == 0.0


def test_calendar_buys_the_accounts_mix_between_checks():
    r = run(flows_household(), Calendar("annual"), frame(TWO))
    inv = r.holdings.set_index(["month", "account", "asset_class"])["invested"]
    assert inv[(1, "K", "us_equity")] == pytest.approx(500.0)
    assert inv[(1, "K", "bonds")] == pytest.approx(500.0)


def test_directed_money_respects_asset_location():
    # All in international stock (VXUS) against a 40/20/40 US/intl/bonds target: US equity and
    # bonds are both underweight. Each account gets 1,000 a month. Tax drag per dollar in a
    # taxable account (income yield x marginal rate by character, MFJ 185,000 + 5% state:
    # ordinary 27%, qualified 20%): BND 3.8% x 27% = 1.03%, VTI 1.2% x (5% x 27% + 95% x 20%)
    # = 0.24%. The IRA's money fills the bond deficit first, the taxable money US equity first.
    # New money in month 1: 1,000 + VXUS income at 3%/12: IRA 40,000 x 0.25% = 100,
    # taxable 60,000 x 0.25% = 150.
    h = household(accounts={"T": "taxable", "IRA": "traditional_ira"},
                  positions=[dict(account="T", symbol="VXUS", quantity=600, price=100.0,
                                  cost_basis=60_000.0),
                             dict(account="IRA", symbol="VXUS", quantity=400, price=100.0)],
                  targets={"us_equity": 0.4, "intl_equity": 0.2, "bonds": 0.4},
                  contributions={"T": 12_000.0, "IRA": 12_000.0},
                  tax_profile=profile(future_ordinary_rate=0.22))
    r = run(h, SeedRecommendation(), frame(THREE, months=2), income=None)
    inv = r.holdings.set_index(["month", "account", "asset_class"])["invested"]
    assert inv[(1, "IRA", "bonds")] == pytest.approx(1_100.0)
    assert inv[(1, "T", "us_equity")] == pytest.approx(1_150.0)
    assert inv[(1, "T", "bonds")] == 0.0


def small_taxed_household():
    # Most money taxable, little room in tax-advantaged accounts.
    return household(
        accounts={"T": "taxable", "IRA": "traditional_ira", "K": "401k"},
        positions=[dict(account="T", symbol="VTI", quantity=600, price=100.0,
                        cost_basis=30_000.0),
                   dict(account="T", symbol="BND", quantity=400, price=100.0,
                        cost_basis=40_000.0),
                   dict(account="IRA", symbol="BND", quantity=50, price=100.0),
                   dict(account="K", symbol="VTI", quantity=20, price=100.0),
                   dict(account="K", symbol="BND", quantity=20, price=100.0)],
        lots=[dict(account="T", symbol="VTI", quantity=600, cost_basis=30_000.0,
                   acquired="2019-05-01"),
              dict(account="T", symbol="BND", quantity=400, cost_basis=40_000.0,
                   acquired="2019-05-01")],
        targets={"us_equity": 0.6, "bonds": 0.4}, contributions={"K": 3_000.0},
        tax_profile=profile(future_ordinary_rate=0.22))


def test_seed_needs_fewer_taxable_sales_than_monthly_calendar_on_the_same_paths():
    h = small_taxed_household()
    rp = monte_carlo(AssetAssumptions.default().subset(TWO), years=10, paths=300, seed=3)
    seed = simulate(h, SeedRecommendation(), returns=rp, progress=False).per_path
    cal = simulate(h, Calendar("monthly"), returns=rp, progress=False).per_path
    assert cal["taxable_sales"].sum() > 0
    assert seed["taxable_sales"].sum() < cal["taxable_sales"].sum()
    assert seed["taxable_sale_months"].sum() < cal["taxable_sale_months"].sum()
    assert seed["rebalances"].sum() < cal["rebalances"].sum()


def test_compare_policies_shares_paths_and_tabulates_every_metric():
    h = small_taxed_household()
    pols = [Calendar("annual"), Threshold(), SeedRecommendation(), Threshold()]
    df = compare_policies(h, pols, years=3, paths=50, seed=9, progress=False)
    assert len(df) == 4
    assert df.index[3] == df.index[1] + " #2"
    expected = [f"{m}_p{p}" for m in METRICS if m != "taxes_pv" for p in (5, 50, 95)]
    assert list(df.columns) == expected
    # same paths: the same policy twice gives the same row, and equals simulate's summary
    assert df.iloc[1].tolist() == df.iloc[3].tolist()
    one = simulate(h, Threshold(), years=3, paths=50, seed=9, progress=False).summary
    assert df.iloc[1]["taxes_p50"] == one.loc["taxes", "p50"]


# --- Monte Carlo -----------------------------------------------------------------------------


def test_monte_carlo_is_reproducible_with_a_seed():
    a = monte_carlo(years=2, paths=5, seed=42)
    b = monte_carlo(years=2, paths=5, seed=42)
    c = monte_carlo(years=2, paths=5, seed=43)
    assert np.array_equal(a.total, b.total)
    assert not np.array_equal(a.total, c.total)
    assert a.total.shape == (5, 24, 6)


def test_monte_carlo_matches_the_assumed_moments():
    # 2,000 paths x 120 months = 240,000 monthly log returns per class. The annualised mean of
    # log returns is log(1 + r) with standard error s / sqrt(12 x 20,000 years) ~ s / 490;
    # the volatility's relative standard error ~ 1 / sqrt(2 x 240,000) = 0.14%; a correlation's
    # ~ (1 - rho^2) / 490. Bounds of four standard errors.
    a = AssetAssumptions.default()
    r = monte_carlo(a, years=10, paths=2_000, seed=7)
    lr = np.log1p(r.total).reshape(-1, len(a.classes))
    t = a.table
    se_years = np.sqrt(lr.shape[0] / 12)
    mean = lr.mean(0) * 12
    vol = lr.std(0) * np.sqrt(12)
    corr = np.corrcoef(lr.T)
    target = np.log1p(t["expected_return"].to_numpy())
    assert np.all(np.abs(mean - target) < 4 * t["volatility"].to_numpy() / se_years)
    assert np.all(np.abs(vol / t["volatility"].to_numpy() - 1) < 4 * 0.0015)
    rho = a.correlation.to_numpy()
    assert np.all(np.abs(corr - rho) < 4 * (1 - rho**2) / np.sqrt(lr.shape[0]) + 1e-12)
    assert np.allclose(r.income[0, 0], t["income_yield"].to_numpy() / 12)


def test_default_assumptions_are_sourced_and_valid():
    a = AssetAssumptions.default()
    assert a.classes == ["us_equity", "intl_equity", "bonds", "muni_bonds", "reits", "cash"]
    assert a.table.loc["us_equity", "expected_return"] == 0.053   # VCMM 4.3%-6.3% midpoint
    assert a.table.loc["us_equity", "volatility"] == 0.151
    assert a.correlation.loc["us_equity", "intl_equity"] == 0.88  # JPM LTCMA 2024
    assert (a.table["return_source"] == "VCMM_2025_04").all()
    with pytest.raises(PlanningError, match="other"):
        a.subset(["us_equity", "other"])


def test_bad_assumptions_are_refused():
    with pytest.raises(PlanningError, match="positive semi-definite"):
        AssetAssumptions.from_values({"a": 0.05, "b": 0.05, "c": 0.05},
                                     {"a": 0.1, "b": 0.1, "c": 0.1},
                                     [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    with pytest.raises(PlanningError, match="symmetric"):
        AssetAssumptions.from_values({"a": 0.05, "b": 0.05}, {"a": 0.1, "b": 0.1},
                                     [[1, 0.5], [0.4, 1]])


def test_returns_from_frame_splits_income():
    f = frame(TWO, months=3)
    p = returns_from_frame(f, income={"bonds": 0.06})
    assert isinstance(p, ReturnPaths)
    assert p.total.shape == (1, 3, 2)
    assert p.income[0, 0].tolist() == [0.0, 0.005]
    g = f.copy()
    g.iloc[1, 0] = np.nan
    with pytest.raises(PlanningError, match="missing"):
        returns_from_frame(g)


# --- errors --------------------------------------------------------------------------------


def test_errors_say_what_to_do():
    h = household(accounts={"IRA": "traditional_ira"},
                  positions=[dict(account="IRA", symbol="ZZZZ", quantity=1, price=10.0),
                             dict(account="IRA", symbol="VTI", quantity=1, price=10.0)],
                  targets={"us_equity": 1.0}, tax_profile=profile(future_ordinary_rate=0.2))
    f = frame(["us_equity", "bonds"])
    with pytest.raises(PlanningError, match="unclassified='<asset class>'"):
        simulate(h, Calendar(), returns=f, progress=False)
    r = simulate(h, Calendar(), returns=f, unclassified="bonds", progress=False)
    assert any("ZZZZ" in w for w in r.warnings)
    no_rate = household(accounts={"IRA": "traditional_ira"},
                        positions=[dict(account="IRA", symbol="VTI", quantity=1, price=10.0)],
                        targets={"us_equity": 1.0})
    with pytest.raises(PlanningError, match="future_ordinary_rate"):
        simulate(no_rate, Calendar(), returns=f, progress=False)
    with pytest.raises(PlanningError, match="lacks"):
        simulate(no_rate, Calendar(), returns=f, contributions={"X": 1.0},
                 future_ordinary_rate=0.2, progress=False)
    with pytest.raises(PlanningError, match="no column"):
        simulate(no_rate, Calendar(), returns=frame(["bonds"]), future_ordinary_rate=0.2,
                 progress=False)
    with pytest.raises(PlanningError, match="wider"):
        simulate(no_rate, Opportunistic(band=Band("absolute", absolute=0.02),
                                        inner=Band("absolute", absolute=0.03)),
                 returns=f, future_ordinary_rate=0.2, progress=False)
    with pytest.raises(ValueError, match="freq"):
        Calendar("weekly")
    with pytest.raises(ValueError, match="needs a band"):
        Calendar(to="band")
    with pytest.raises(TypeError, match="not a rebalancing policy"):
        simulate(no_rate, "annual", returns=f, progress=False)


def test_sample_household_runs():
    h = load_household(
        __import__("pathlib").Path(__file__).parents[1] / "data/samples/household/household.toml")
    r = simulate(h, SeedRecommendation(), unclassified="bonds", years=2, paths=20, seed=1,
                 progress=False, discount_rate=0.03)
    assert r.classes == ["us_equity", "intl_equity", "bonds", "reits", "cash"]
    assert len(r.accounts) == 8
    assert r.drift.shape == (24, 3)
    assert list(r.summary.columns) == ["p5", "p50", "p95", "mean"]
    assert list(r.summary.index) == list(METRICS)
    assert (r.per_path["ending_after_tax"] < r.per_path["ending_pre_tax"]).all()
    assert r.warnings == [
        "unclassified holdings PTY simulated as bonds",
        "X71234567 AAPL: 1 lot(s) without a cost basis simulated with basis = value"]


# --- the vectorised tax ------------------------------------------------------------------------

money = st.floats(min_value=-300_000, max_value=900_000, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0, max_value=60_000, allow_nan=False, allow_infinity=False)


@st.composite
def profiles(draw):
    return TaxProfile(
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        year=draw(st.sampled_from([2024, 2025, 2026])),
        ordinary_income=draw(st.floats(min_value=-20_000, max_value=1_200_000)),
        qualified_dividends=draw(positive),
        state_rate=draw(st.sampled_from([0.0, 0.05, 0.093])),
        carryforward_short_term=draw(positive),
        carryforward_long_term=draw(positive),
        realized_short_term=draw(money),
        realized_long_term=draw(money),
        other_investment_income=draw(positive),
        deductions=draw(st.one_of(st.none(), positive)),
    )


@settings(max_examples=200, deadline=None)
@given(profiles(), st.lists(st.tuples(money, money), min_size=1, max_size=8))
def test_vectorised_tax_equals_gains_tax_to_the_cent(p, cases):
    s = np.array([c[0] for c in cases])
    lt = np.array([c[1] for c in cases])
    v = gains_tax_arrays(p, s, lt)
    for i, (a, b) in enumerate(cases):
        g = gains_tax(p, a, b)
        assert v.total[i] == g.total
        assert (v.federal[i], v.niit[i], v.state[i]) == (g.federal, g.niit, g.state)
        assert v.carryforward_short_term[i] == pytest.approx(g.carryforward_short_term,
                                                             abs=CENT)
        assert v.carryforward_long_term[i] == pytest.approx(g.carryforward_long_term,
                                                            abs=CENT)


@settings(max_examples=150, deadline=None)
@given(profiles(), money, money, positive, positive, positive, positive)
def test_vectorised_liability_with_income_and_carryforwards(p, s, lt, qd, inv, cs, cl):
    v = liability_arrays(p, s, lt, qualified_dividends=qd, investment_income=inv,
                         carryforward_short_term=cs, carryforward_long_term=cl)
    q = p.replace(qualified_dividends=p.qualified_dividends + qd,
                  ordinary_income=p.ordinary_income + inv,
                  other_investment_income=p.other_investment_income + inv,
                  carryforward_short_term=cs, carryforward_long_term=cl)
    L = capital_gains_liability(q, s, lt)
    assert float(v.federal) == pytest.approx(L.federal, abs=CENT)
    assert float(v.niit) == pytest.approx(L.niit, abs=CENT)
    assert float(v.state) == pytest.approx(L.state, abs=CENT)
    assert float(v.carryforward_short_term) == pytest.approx(L.carryforward_short_term,
                                                             abs=CENT)
    assert float(v.carryforward_long_term) == pytest.approx(L.carryforward_long_term,
                                                            abs=CENT)


def test_liability_arrays_worked_example():
    # MFJ 2026, ordinary 185,000, state 5%. A short-term loss of 10,000: 3,000 deducted
    # (TI 182,000), 7,000 carried short-term. Next year a 10,000 long-term gain with the
    # 7,000 carried in: net 3,000 long-term at 15% + 5% = 600 more than the baseline.
    p = profile()
    y1 = liability_arrays(p, short_term=[-10_000.0])
    assert y1.carryforward_short_term.tolist() == [7_000.0]
    base = liability_arrays(p).total
    assert (y1.total - base).tolist() == pytest.approx([-810.0], abs=CENT)
    y2 = liability_arrays(p, long_term=[10_000.0], carryforward_short_term=7_000.0)
    assert (y2.total - base).tolist() == pytest.approx([600.0], abs=CENT)
    assert y2.carryforward_short_term.tolist() == [0.0]
