"""December or January (toolkit.planning.timing), worked by hand.

2026 MFJ (Rev. Proc. 2025-32): 10% to $24,800, 12% to $100,800, 22% to $211,400; the 0%
long-term rate to $98,900 of taxable income; net capital loss deduction up to $3,000, the
rest carried forward with its character (IRC §1211(b), §1212(b)). 2027 has no table: the
2026 one is used, with a note. 2025 MFJ (Rev. Proc. 2024-40): 12% to $96,950, 22% to
$206,700; 0% long-term rate to $96,700.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from tests.factories import household, profile
from toolkit.errors import PlanningError
from toolkit.household import TaxProfile
from toolkit.planning.timing import TIMING_COLUMNS, december_vs_january
from toolkit.plots import plot_december_vs_january


def mfj(ordinary, year=2026, **kw):
    return TaxProfile("married_filing_jointly", year, ordinary, **kw)


def test_gain_across_a_bracket_change():
    """This year $90,000 of ordinary income, next year $40,000; a $20,000 long-term gain.

    December: taxable income 110,000; 98,900 - 90,000 = 8,900 at 0%, 11,100 at 15% =
    1,665.00. January: 40,000 + 20,000 = 60,000 is under 98,900: all at 0%.
    """
    t = december_vs_january(mfj(90_000), long_term=20_000, next_year_income=40_000)
    assert list(t.columns) == list(TIMING_COLUMNS)
    r = t.set_index("scenario")
    assert r.loc["December", "tax_of_sale"] == 1_665.00
    assert r.loc["January", "tax_of_sale"] == 0.0
    assert r.loc["no sale", "tax_of_sale"] == 0.0
    # the baseline: 90,000 this year: 2,480 + 12% x 65,200 = 10,304.00; next year 40,000:
    # 2,480 + 12% x 15,200 = 4,304.00
    assert r.loc["no sale", "this_year_tax"] == 10_304.00
    assert r.loc["no sale", "next_year_tax"] == 4_304.00
    assert r.loc["December", "this_year_tax"] == 11_969.00
    assert r.loc["December", "two_year_tax"] == 16_273.00
    assert r.loc["January", "tables_year_next"] == 2026
    assert r.loc["January", "note"] == (
        "no 2027 tables: the 2026 tables are used (bracket edges and thresholds not indexed "
        "for inflation)"
    )


def test_loss_carryforward_counts_in_both_years():
    """$100,000 of ordinary income both years; a $5,000 short-term loss.

    December: $3,000 deducted this year at 12% (100,000 -> 97,000) saves 360.00; $2,000
    carried into next year is deducted there at 12%: 240.00. Two years: -600.00.
    January: $3,000 deducted next year (360.00); $2,000 carried on beyond the two years.
    """
    t = december_vs_january(mfj(100_000), short_term=-5_000).set_index("scenario")
    assert t.loc["December", "this_year_tax"] - t.loc["no sale", "this_year_tax"] == -360.00
    assert t.loc["December", "tax_of_sale"] == -600.00
    assert t.loc["December", "carryforward_short_term"] == 0.0
    assert t.loc["January", "tax_of_sale"] == -360.00
    assert t.loc["January", "carryforward_short_term"] == 2_000.00
    assert t.loc["January", "note"] == (
        "no 2027 tables: the 2026 tables are used (bracket edges and thresholds not indexed "
        "for inflation); next year's income taken as this year's"
    )


def test_next_year_profile_with_its_own_tables():
    # next year given in full, as 2025 (its own tables, no note): 60,000 of income and a
    # 10,000 gain already planned; the 0% ceiling is 96,700 there
    nxt = mfj(60_000, year=2025, realized_long_term=10_000)
    t = december_vs_january(mfj(150_000), long_term=30_000,
                             next_year_profile=nxt).set_index("scenario")
    assert t.loc["January", "tables_year_next"] == 2025
    assert t.loc["January", "note"] == ""
    # January: 60,000 + 10,000 + 30,000 = 100,000; 96,700 - 70,000 = 26,700 of the sale at 0%,
    # 3,300 at 15% = 495.00
    assert t.loc["January", "tax_of_sale"] == 495.00
    # December: 150,000 + 30,000 all at 15% = 4,500.00
    assert t.loc["December", "tax_of_sale"] == 4_500.00


def test_household_uses_its_year_to_date_profile():
    h = household(accounts={"T": "taxable"}, tax_profile=profile(ordinary_income=90_000.0,
                                                                 state_rate=0.05))
    t = december_vs_january(h, long_term=20_000, next_year_income=40_000).set_index("scenario")
    # federal as above plus 5% state on 20,000 in either year
    assert t.loc["December", "tax_of_sale"] == 2_665.00
    assert t.loc["January", "tax_of_sale"] == 1_000.00


def test_bad_amount_raises():
    with pytest.raises(PlanningError):
        december_vs_january(mfj(100_000), long_term=float("nan"))


def test_plot_reads_back():
    t = december_vs_january(mfj(100_000), short_term=-5_000)
    ax = plot_december_vs_january(t)
    this = [b.get_height() for b in ax.containers[0].patches]
    nxt = [b.get_height() for b in ax.containers[1].patches]
    assert this == pytest.approx([-360.0, 0.0])
    assert nxt == pytest.approx([-240.0, -360.0])
    assert [x.get_text() for x in ax.get_xticklabels()] == ["December", "January"]
    assert [x.get_text() for x in ax.texts] == ["-$600", "-$360"]
    plt.close("all")
