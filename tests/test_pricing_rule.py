"""One profile rule for every function that prices tax (toolkit.tax.profile_for).

Given a Household, a computation prices on the year-to-date profile (the file's profile plus
this year's realised sales); given a TaxProfile, on exactly that profile. The same sale is
priced the same through gains_tax, select_lots, compare_methods, harvest, plan and the
gains effect of conversion_tax.

The household (tax year 2026, married filing jointly, $185,000 ordinary taxable income, 5%
state, no carryover): a taxable account T holding 300 VTI at $300 in one lot bought in 2015
for $30,000 ($100 a share), and this year's sale of SCHD on 2026-03-02 for $25,000 with a
$15,000 basis: a $10,000 long-term gain already realised. 2026 figures (RP-2025-32): 22%
bracket $100,800-$211,400, 24% to $403,550; 15% long-term rate from $98,900 to $613,700;
standard deduction $32,200 (added back for the NIIT's MAGI); NIIT 3.8% above $250,000 MAGI.
"""

from __future__ import annotations

import pytest

import toolkit
from tests.factories import household
from toolkit.household import TaxProfile
from toolkit.tax import (
    compare_methods,
    gains_tax,
    harvest,
    marginal_rates,
    profile_for,
    select_lots,
)

SCHD_SALE = {"account": "T", "symbol": "SCHD", "quantity": 300.0, "acquired": "2019-05-01",
             "sold": "2026-03-02", "proceeds": 25_000.0, "cost_basis": 15_000.0,
             "term": "long"}


def sale_household(**extra):
    return household(
        accounts={"T": "taxable", "I": "traditional_ira"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 300.0, "price": 300.0,
                    "cost_basis": 30_000.0},
                   {"account": "I", "symbol": "BND", "quantity": 100.0, "price": 75.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 300.0, "cost_basis": 30_000.0,
               "acquired": "2015-06-01", "lot_id": "V1"}],
        realized=[SCHD_SALE], targets={"us_equity": 0.5, "bonds": 0.5}, **extra)


def test_profile_for_adds_this_years_sales_to_a_household_and_keeps_a_profile():
    h = sale_household()
    ytd = profile_for(h)
    assert (ytd.realized_short_term, ytd.realized_long_term) == (0.0, 10_000.0)
    assert ytd == h.profile.replace(realized_long_term=10_000.0)
    assert profile_for(h, year_to_date=False) is h.profile
    given = TaxProfile("single", 2026, 50_000.0)
    assert profile_for(given) is given
    # computed once per household object (a Household cannot change)
    assert profile_for(h) is ytd
    with pytest.raises(TypeError):
        profile_for("not a household")


def test_gains_tax_prices_a_household_on_the_year_to_date_profile():
    h = sale_household()
    # A $30,000 long-term gain on top of this year's $10,000: federal 15% x 30,000 = 4,500;
    # state 5% x 30,000 = 1,500; MAGI 185,000 + 32,200 + 10,000 + 30,000 = 257,200, $7,200
    # over the NIIT threshold (net investment income 40,000): 3.8% x 7,200 = 273.60 (before
    # the sale MAGI is 227,200: no NIIT). Total 6,273.60.
    g = gains_tax(h, long_term=30_000)
    assert (g.federal, g.state, g.niit, g.total) == (4_500.0, 1_500.0, 273.6, 6_273.6)
    # The file's profile alone (no SCHD gain): MAGI after 247,200, below the threshold.
    assert gains_tax(h.profile, long_term=30_000).total == 6_000.0
    assert gains_tax(profile_for(h), long_term=30_000).total == 6_273.6


def test_select_lots_and_compare_methods_price_the_same_sale_the_same():
    h = sale_household()
    # 150 shares of the 2015 lot: proceeds 45,000, basis 15,000, long-term gain 30,000.
    sel = select_lots(h, "T", "VTI", shares=150, method="fifo")
    assert sel["gain"].tolist() == [30_000.0]
    assert sel["est_tax"].tolist() == [6_273.6]
    assert sel.attrs["tax"] == 6_273.6
    cmp = compare_methods(h, "T", "VTI", shares=150, methods=["fifo", "min_tax"])
    assert cmp["tax"].tolist() == [6_273.6, 6_273.6]


def test_harvest_values_a_loss_on_the_year_to_date_profile():
    h = household(accounts={"T": "taxable"},
                  positions=[{"account": "T", "symbol": "VXUS", "quantity": 50.0,
                              "price": 60.0, "cost_basis": 4_000.0}],
                  lots=[{"account": "T", "symbol": "VXUS", "quantity": 50.0,
                         "cost_basis": 4_000.0, "acquired": "2025-01-02", "lot_id": "X1"}],
                  realized=[SCHD_SALE], targets={"intl_equity": 1.0})
    r = harvest(h, min_loss=0.0, min_loss_pct=0.0)
    # A $1,000 long-term loss (50 x $60 = 3,000 against a 4,000 basis) offsets $1,000 of the
    # year's $10,000 gain: 15% + 5% state = $200 saved (no NIIT either way).
    assert r.candidates["tax_value"].tolist() == [200.0]
    assert r.total_tax_value == 200.0
    assert -gains_tax(h, long_term=-1_000.0).total == 200.0
    # On the file's profile alone the loss would be deducted at 22% + 5% = $270.
    assert -gains_tax(h.profile, long_term=-1_000.0).total == 270.0


def test_plan_prices_its_sales_as_gains_tax_does():
    h = sale_household()
    # drift_price=1.0: the sale proceeds whatever it costs (its 13.8 cents of tax a dollar is
    # above the default price of drift, 10 cents: the default plan would defer it)
    p = toolkit.plan(h, to="target", prices={"BND": 75.0}, drift_price=1.0, whole_shares=False)
    sells = p.trades[p.trades["side"] == "sell"]
    # Household $97,500 (VTI 90,000 + the IRA's BND 7,500); 50% stocks is 48,750, so the
    # taxable account sells 41,250 of VTI = 137.5 shares, a long-term gain of 137.5 x 200 =
    # 27,500: federal 15% = 4,125; state 5% = 1,375; MAGI 185,000 + 32,200 + 10,000 +
    # 27,500 = 254,700, NIIT 3.8% x 4,700 = 178.60. Total 5,678.60.
    assert sells[["symbol", "amount"]].values.tolist() == [["VTI", 41_250.0]]
    assert sells["shares"].tolist() == pytest.approx([137.5], abs=1e-9)
    assert p.summary.long_term_gain == 27_500.0
    assert p.summary.tax == 5_678.6
    assert sells["est_tax"].tolist() == [5_678.6]
    assert gains_tax(h, long_term=27_500.0).total == 5_678.6
    assert select_lots(h, "T", "VTI", shares=137.5, method="fifo").attrs["tax"] == 5_678.6


def test_conversion_tax_counts_its_effect_on_this_years_gains():
    h = sale_household()
    c = toolkit.conversion_tax(h, 40_000)
    # Ordinary income 185,000 -> 225,000: 26,400 at 22% + 13,600 at 24% = 9,072 federal (the
    # $10,000 gain stays at 15% above it); state 5% x 40,000 = 2,000. MAGI 227,200 ->
    # 267,200, $17,200 over the threshold: the NIIT now taxes the year's $10,000 gain,
    # 3.8% x 10,000 = 380: the conversion's gains effect.
    assert (c.federal, c.state, c.niit, c.total) == (9_072.0, 2_000.0, 380.0, 11_452.0)
    assert c.gains_effect == 380.0
    # Given the file's profile (no gain this year) there is no gains effect.
    assert toolkit.conversion_tax(h.profile, 40_000).niit == 0.0


def test_marginal_rates_of_a_household_are_those_of_its_year_to_date_profile():
    h = sale_household()
    assert marginal_rates(h) == marginal_rates(profile_for(h))
