"""Required minimum distributions (toolkit.planning.rmd).

Divisors are the Uniform Lifetime Table for distribution years from 2022 (Reg.
§1.401(a)(9)-9(c); Pub 590-B Table III; ``uniform_lifetime_table.csv``): 72: 27.4, 73: 26.5,
74: 25.5, 75: 24.6, 80: 20.2, 120 and over: 2.0. Applicable ages: SECURE 2.0 §107
(``rmd_rules.csv``).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.errors import PlanningError
from toolkit.planning.rmd import (
    RMD_COLUMNS,
    check_rmd_before_conversion,
    distribution_period,
    first_rmd_year,
    household_rmds,
    rmd,
    rmd_plan,
    rmd_start_age,
)
from toolkit.plots import plot_rmd_plan

CENT = 0.005


def pos(account, symbol, quantity, price):
    return {"account": account, "symbol": symbol, "quantity": quantity, "price": price}


def with_people(h, **born):
    return h.replace(people={k: {"name": k, "birth_year": v}
                                          for k, v in born.items()})


# --- the amount ------------------------------------------------------------------------------


def test_rmd_at_75_worked_example():
    # $500,000 prior year-end balance, age 75: divisor 24.6 -> 500,000 / 24.6 = 20,325.2032...
    assert rmd(500_000, 75) == 20_325.20


@pytest.mark.parametrize(("age", "divisor"), [(72, 27.4), (73, 26.5), (74, 25.5), (75, 24.6),
                                              (80, 20.2), (85, 16.0), (90, 12.2), (95, 8.9),
                                              (100, 6.4), (110, 3.5), (120, 2.0), (127, 2.0)])
def test_divisors_from_the_table(age, divisor):
    assert distribution_period(age) == divisor


def test_rmd_first_ages_and_beyond_the_table():
    assert rmd(274_000, 72) == 10_000.00  # 274,000 / 27.4
    assert rmd(100_000, 73) == 3_773.58  # 100,000 / 26.5 = 3,773.5849
    assert rmd(100_000, 125) == 50_000.00  # 120 and over: 2.0


@pytest.mark.parametrize("age", [71, 70, 0])
def test_below_the_table_raises(age):
    with pytest.raises(PlanningError, match="starts at 72"):
        rmd(100_000, age)


@pytest.mark.parametrize("bad", [72.5, "x", True, float("nan")])
def test_age_must_be_whole(bad):
    with pytest.raises(PlanningError):
        distribution_period(bad)


def test_negative_balance_raises():
    with pytest.raises(PlanningError, match="negative"):
        rmd(-1, 75)


@given(st.floats(0, 1e8), st.integers(72, 130))
def test_rmd_is_balance_over_divisor(balance, age):
    # rounded to the cent: within half a cent (plus float noise)
    assert rmd(balance, age) == pytest.approx(balance / distribution_period(age), abs=CENT + 1e-9)
    assert rmd(balance, age) <= balance / 2 + CENT + 1e-9  # the smallest divisor is 2.0


# --- applicable age --------------------------------------------------------------------------


@pytest.mark.parametrize(("born", "age"), [
    (1950, 72.0), (1951, 73.0), (1955, 73.0),
    (1959, 73.0),  # in both statutory clauses: 73 per the 2024 proposed regulations
    (1960, 75.0), (1972, 75.0),
    ("1949-06-30", 70.5), ("1949-07-01", 72.0), ("1948-12-31", 70.5), ("1959-12-31", 73.0),
])
def test_rmd_start_age(born, age):
    assert rmd_start_age(born) == age


def test_1949_needs_a_date():
    with pytest.raises(PlanningError, match="July 1"):
        rmd_start_age(1949)


def test_first_rmd_year():
    assert first_rmd_year(1953) == 2026  # 73 in 2026
    assert first_rmd_year(1959) == 2032
    assert first_rmd_year(1960) == 2035  # 75 in 2035
    assert first_rmd_year(1969) == 2044  # the sample's Alex


# --- the household -----------------------------------------------------------------------------


def retiree(born=1951, **kw):
    """Owner A: two traditional IRAs ($300,000 and $200,000), a 401(k) ($100,000), a Roth IRA
    and a Roth 401(k); B: a traditional IRA."""
    h = household(
        accounts={"IRA1": "traditional_ira", "IRA2": "traditional_ira", "K": "401k",
                  "R": "roth_ira", "RK": "roth_401k", "B1": "traditional_ira",
                  "T": "taxable"},
        owners={"IRA1": "A", "IRA2": "A", "K": "A", "R": "A", "RK": "A", "B1": "B",
                "T": "joint"},
        positions=[pos("IRA1", "BND", 4000, 75.0), pos("IRA2", "VTI", 800, 250.0),
                   pos("K", "VTI", 400, 250.0), pos("R", "VTI", 100, 250.0),
                   pos("RK", "VTI", 100, 250.0), pos("B1", "BND", 1000, 75.0),
                   pos("T", "VTI", 100, 250.0)], **kw)
    return with_people(h, A=born)


def test_household_rmds_aggregate_iras_and_separate_plans():
    r = household_rmds(retiree(born=1951), 2026).set_index("account")  # A is 75
    assert list(household_rmds(retiree(), 2026).columns) == list(RMD_COLUMNS)
    # IRA1 300,000 / 24.6 = 12,195.12; IRA2 200,000 / 24.6 = 8,130.08; group 20,325.20
    assert r.loc["IRA1", "rmd"] == 12_195.12
    assert r.loc["IRA2", "rmd"] == 8_130.08
    assert r.loc["IRA1", "group_rmd"] == r.loc["IRA2", "group_rmd"] == 20_325.20
    assert r.loc["IRA1", "group"] == r.loc["IRA2", "group"] == "IRA A"
    # the 401(k) alone: 100,000 / 24.6 = 4,065.04
    assert r.loc["K", "group"] == "K" and r.loc["K", "group_rmd"] == 4_065.04
    # Roth IRA never; Roth 401(k) not from 2024
    assert not r.loc["R", "required"] and r.loc["R", "rmd"] == 0.0
    assert not r.loc["RK", "required"] and r.loc["RK", "note"] == (
        "designated Roth plan account: no lifetime RMD from 2024 (SECURE 2.0 §325)"
    )
    # B has no birth year: unknown, not zero
    assert pd.isna(r.loc["B1", "required"]) and pd.isna(r.loc["B1", "rmd"])
    assert "T" not in r.index  # taxable accounts are left out
    assert r.loc["IRA1", "due"] == pd.Timestamp("2026-12-31")


def test_roth_401k_had_rmds_before_2024():
    # born 1950: applicable age 72, so 73 in 2023 owes one; the Roth 401(k) too before 2024
    r = household_rmds(retiree(born=1950), 2023).set_index("account")
    assert r.loc["RK", "required"]
    assert r.loc["RK", "rmd"] == 943.40  # 25,000 / 26.5 (age 73) = 943.396
    assert not household_rmds(retiree(born=1950), 2024).set_index("account").loc[
        "RK", "required"]


def test_first_year_is_due_april_first_next_year():
    r = household_rmds(retiree(born=1953), 2026).set_index("account")  # 73 in 2026
    assert r.loc["IRA1", "due"] == pd.Timestamp("2027-04-01")
    assert r.loc["IRA1", "note"] == (
        "first RMD year: due by April 1 of the next year (delaying it means two RMDs that year)"
    )
    assert r.loc["IRA1", "rmd"] == 11_320.75  # 300,000 / 26.5 = 11,320.7547


def test_not_yet_required():
    r = household_rmds(retiree(born=1960), 2026).set_index("account")  # 66, age 75 applies
    assert not r.loc["IRA1", "required"] and r.loc["IRA1", "rmd"] == 0.0
    assert r.loc["IRA1", "first_rmd_year"] == 2035


def test_balances_override_current_values():
    r = household_rmds(retiree(), 2026, balances={"IRA1": 246_000}).set_index("account")
    assert r.loc["IRA1", "rmd"] == 10_000.00  # 246,000 / 24.6
    assert r.loc["IRA1", "group_rmd"] == 18_130.08  # + 8,130.08
    with pytest.raises(PlanningError, match="no account"):
        household_rmds(retiree(), 2026, balances={"NOPE": 1.0})


# --- before a conversion ---------------------------------------------------------------------


def test_conversion_before_the_rmd_raises():
    h = retiree()
    with pytest.raises(PlanningError, match=r"\$20,325.20 RMD in 2026"):
        check_rmd_before_conversion(h, 2026, "A")
    with pytest.raises(PlanningError, match="remaining \\$325.20"):
        check_rmd_before_conversion(h, 2026, "A", distributed=20_000)
    assert check_rmd_before_conversion(h, 2026, "A", distributed=20_325.20) == 20_325.20
    # converting from the 401(k): its own RMD, 4,065.04
    with pytest.raises(PlanningError, match=r"\$4,065.04"):
        check_rmd_before_conversion(h, 2026, "A", account="K", distributed=4_000)


def test_conversion_check_without_birth_year():
    h = retiree()
    with pytest.raises(PlanningError, match="birth_year for B"):
        check_rmd_before_conversion(h, 2026, "B")
    assert pd.isna(check_rmd_before_conversion(h, 2026, "B", unknown_age="ignore"))
    assert check_rmd_before_conversion(retiree(born=1960), 2026, "A") == 0.0


# --- rebalancing around the RMD ----------------------------------------------------------------


def small(born=1951):
    """A (75 in 2026): IRA with $100,000 BND and $20,000 VTI; joint taxable $80,000 VTI.
    Household $200,000: us_equity 100,000 (50%), bonds 100,000 (50%); target 60/40, so bonds
    are $20,000 over target. IRA RMD: 120,000 / 24.6 = 4,878.0488 -> $4,878.05."""
    h = household(accounts={"IRA": "traditional_ira", "T": "taxable"},
                  owners={"IRA": "A", "T": "joint"},
                  positions=[pos("IRA", "BND", 1000, 100.0), pos("IRA", "VTI", 80, 250.0),
                             pos("T", "VTI", 320, 250.0)],
                  targets={"us_equity": 0.6, "bonds": 0.4})
    return with_people(h, A=born)


def test_rmd_plan_sells_the_overweight_class():
    p = rmd_plan(small(), 2026)
    assert p.total == 4_878.05
    t = p.trades.iloc[0]
    assert len(p.trades) == 1
    assert (t["account"], t["symbol"], t["action"], t["to_account"]) == ("IRA", "BND", "sell",
                                                                        "T")
    assert t["value"] == 4_878.05 and t["quantity"] == pytest.approx(48.7805, abs=1e-4)
    a = p.allocation
    # bonds 100,000 -> 95,121.95 of 200,000; the cash lands in taxable
    assert a.loc["bonds", "before"] == pytest.approx(0.5)
    assert a.loc["bonds", "after"] == pytest.approx(95_121.95 / 200_000)
    assert a.loc["cash", "after"] == pytest.approx(4_878.05 / 200_000)
    assert a.loc["us_equity", "after"] == pytest.approx(0.5)
    loc = p.location.set_index(["asset_class", "treatment"])
    assert loc.loc[("bonds", "tax_deferred"), "change"] == -4_878.05
    assert loc.loc[("cash", "taxable"), "change"] == 4_878.05


def test_rmd_plan_in_kind_moves_equity_to_taxable():
    p = rmd_plan(small(), 2026, in_kind=True)
    t = p.trades.iloc[0]
    # equity belongs in taxable (placement: taxable 2.5 - tax_deferred 1.0 = 1.5 against
    # bonds 1.0 - 3.0 = -2.0)
    assert (t["symbol"], t["action"], t["value"]) == ("VTI", "distribute in kind", 4_878.05)
    assert (p.allocation["after"] - p.allocation["before"]).abs().max() < 1e-12
    loc = p.location.set_index(["asset_class", "treatment"])
    assert loc.loc[("us_equity", "tax_deferred"), "change"] == -4_878.05
    assert loc.loc[("us_equity", "taxable"), "change"] == 4_878.05


def test_rmd_plan_pro_rata_when_nothing_is_over_target():
    # target 50/50: no class over target, so both IRA holdings are sold pro rata
    h = small().replace(targets=pd.Series({"us_equity": 0.5, "bonds": 0.5}))
    p = rmd_plan(h, 2026)
    v = p.trades.set_index("symbol")["value"]
    # 4,878.05 x 100,000 / 120,000 = 4,065.04; x 20,000 / 120,000 = 813.01
    assert v["BND"] == 4_065.04 and v["VTI"] == 813.01
    assert set(p.trades["reason"].str[:8]) == {"pro rata"}


def test_rmd_plan_nothing_due():
    p = rmd_plan(small(born=1960), 2026)
    assert p.trades.empty and p.total == 0.0


def test_rmd_plan_rmd_larger_than_the_account_raises():
    with pytest.raises(PlanningError, match="more than"):
        rmd_plan(small(), 2026, balances={"IRA": 10_000_000})


def test_plot_rmd_plan_reads_back():
    p = rmd_plan(small(), 2026)
    ax = plot_rmd_plan(p)
    before = [b.get_height() for b in ax.containers[0].patches]
    after = [b.get_height() for b in ax.containers[1].patches]
    assert before == pytest.approx((p.allocation["drift_before"] * 100).tolist())
    assert after == pytest.approx((p.allocation["drift_after"] * 100).tolist())
    plt.close("all")


def test_profile_untouched():
    h = small()
    before = h.positions.copy()
    rmd_plan(h, 2026)
    pd.testing.assert_frame_equal(h.positions, before)
    assert h.profile == profile()
