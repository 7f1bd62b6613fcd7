"""Tax tables: every Rev. Proc. base-tax amount recomputed, exact lookups, no silent fallback."""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import pytest

from toolkit.errors import TaxTableError
from toolkit.tax.tables import (
    TABLE_FILING_STATUSES,
    available_years,
    ordinary_tax,
    year_tables,
)

DATA = Path(resources.files("toolkit.tax").joinpath("data"))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "tax"


def _rows(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


BRACKET_ROWS = _rows("brackets_ordinary.csv")


def test_every_table_is_there():
    assert available_years() == [2024, 2025, 2026]
    assert len(BRACKET_ROWS) == 84  # 3 years x 4 statuses x 7 bands
    for year in (2024, 2025, 2026):
        for status in TABLE_FILING_STATUSES:
            t = year_tables(year, status)
            assert len(t.brackets) == 7
            assert [r for _, _, r in t.brackets] == [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37]


@pytest.mark.parametrize("row", BRACKET_ROWS,
                         ids=[f"{r['year']}-{r['filing_status']}-{r['rate']}" for r in BRACKET_ROWS])
def test_ordinary_tax_reproduces_the_rev_proc_base_tax_column(row):
    # The Rev. Proc. rate tables print, for each band, the tax on all income below it:
    # ordinary_tax(lower_bound) must be that amount to the cent, for all 84 rows.
    year, status = int(row["year"]), row["filing_status"]
    assert ordinary_tax(float(row["lower_bound"]), year, status) == pytest.approx(
        float(row["base_tax_at_lower_bound"]), abs=0.005)
    if row["upper_bound"]:
        # and the band's own slice: base + rate x width = the next band's base tax
        upper = float(row["upper_bound"])
        expected = float(row["base_tax_at_lower_bound"]) + float(row["rate"]) * (
            upper - float(row["lower_bound"]))
        assert ordinary_tax(upper, year, status) == pytest.approx(expected, abs=0.005)


def test_ordinary_tax_examples_by_hand():
    # 2026 single, $60,000: 10% x 12,400 = 1,240; 12% x (50,400 - 12,400) = 4,560;
    # 22% x (60,000 - 50,400) = 2,112; total 7,912
    assert ordinary_tax(60_000, 2026, "single") == pytest.approx(7_912.00, abs=0.005)
    # 2024 MFS at the top: base 98,334.75 at 365,600 (the IRS-corrected figure), + 37% x 1,000
    assert ordinary_tax(366_600, 2024, "married_filing_separately") == pytest.approx(
        98_704.75, abs=0.005)
    # 2026 HoH 24% band ends at 201,750 ($25 below single): tax at 201,775 is
    # 39,207 (base of the 32% band) + 32% x 25 = 39,215
    assert ordinary_tax(201_775, 2026, "head_of_household") == pytest.approx(39_215.00, abs=0.005)
    assert ordinary_tax(0, 2026, "single") == 0.0
    assert ordinary_tax(-5_000, 2026, "single") == 0.0
    arr = ordinary_tax([0, 60_000, float("nan")], 2026, "single")
    assert list(arr) == [0.0, 7_912.0, 0.0]


def test_year_tables_values_2026_mfj():
    t = year_tables(2026, "married_filing_jointly")
    assert t.brackets[0] == (0.0, 24_800.0, 0.10)
    assert t.brackets[-1][0] == 768_700.0 and t.brackets[-1][1] == float("inf")
    assert (t.ltcg_zero_max, t.ltcg_fifteen_max) == (98_900.0, 613_700.0)
    assert t.standard_deduction == 32_200.0
    assert (t.niit_threshold, t.niit_rate) == (250_000.0, 0.038)
    assert t.capital_loss_limit == 3_000.0
    assert (t.amt.exemption, t.amt.phaseout_threshold, t.amt.phaseout_rate,
            t.amt.rate_28_threshold) == (140_200.0, 1_000_000.0, 0.50, 244_500.0)


@pytest.mark.parametrize(("year", "status", "zero", "fifteen", "sd", "niit", "limit"), [
    (2024, "single", 47_025, 518_900, 14_600, 200_000, 3_000),
    (2024, "married_filing_separately", 47_025, 291_850, 14_600, 125_000, 1_500),
    (2025, "married_filing_separately", 48_350, 300_000, 15_750, 125_000, 1_500),
    (2025, "head_of_household", 64_750, 566_700, 23_625, 200_000, 3_000),
    (2026, "single", 49_450, 545_500, 16_100, 200_000, 3_000),
])
def test_year_tables_thresholds(year, status, zero, fifteen, sd, niit, limit):
    t = year_tables(year, status)
    assert (t.ltcg_zero_max, t.ltcg_fifteen_max, t.standard_deduction, t.niit_threshold,
            t.capital_loss_limit) == (zero, fifteen, sd, niit, limit)


def test_qualifying_surviving_spouse_uses_joint_tables():
    qss = year_tables(2025, "qualifying_surviving_spouse")
    assert qss == year_tables(2025, "married_filing_jointly")
    assert qss.filing_status == "married_filing_jointly"


def test_unknown_year_raises_naming_available_years():
    with pytest.raises(TaxTableError) as e:
        year_tables(2023, "single")
    assert str(e.value) == "no tax tables for tax year 2023; available years: 2024, 2025, 2026"
    with pytest.raises(LookupError):  # TaxTableError is also a LookupError
        ordinary_tax(50_000, 2027, "single")


def test_unknown_status_raises_naming_available_statuses():
    with pytest.raises(TaxTableError) as e:
        year_tables(2026, "married")
    assert str(e.value) == (
        "no tax tables for filing status 'married'; available: single, married_filing_jointly, "
        "married_filing_separately, head_of_household (and qualifying_surviving_spouse, which "
        "uses married_filing_jointly)")


def test_amt_table_by_hand():
    a = year_tables(2026, "single").amt
    # 2026: 50% phase-out from $500,000 (OBBBA); at AMTI 600,000 the exemption is
    # 90,100 - 0.5 x 100,000 = 40,100; gone from 680,200
    assert a.exemption_for(600_000) == 40_100.0
    assert a.exemption_for(680_200) == 0.0
    assert a.exemption_for(400_000) == 90_100.0
    # 26% x 244,500 = 63,570; + 28% x 10,000 = 2,800
    assert a.rate_tax(254_500) == pytest.approx(66_370.0, abs=0.005)
    a24 = year_tables(2024, "married_filing_jointly").amt
    assert (a24.exemption, a24.phaseout_rate) == (133_300.0, 0.25)
    assert a24.exemption_for(1_318_700) == 133_300.0 - 25_000.0


@pytest.mark.parametrize("name", ["brackets_ordinary.csv", "ltcg_thresholds.csv",
                                  "standard_deduction.csv", "niit.csv",
                                  "capital_gains_rules.csv"])
def test_copied_tables_are_unchanged(name):
    if not SHARED.is_dir():
        pytest.skip("shared tax research not present")
    assert (DATA / name).read_bytes() == (SHARED / name).read_bytes()


def _declared_sources() -> list[str]:
    ids = []
    for line in (DATA / "sources.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ([^|]+?) \| ", line)
        if m and m.group(1) not in ("id", "---"):
            ids += [x.strip() for x in m.group(1).split(" / ")]
    return ids


@pytest.mark.parametrize("name", ["brackets_ordinary.csv", "ltcg_thresholds.csv",
                                  "standard_deduction.csv", "niit.csv",
                                  "capital_gains_rules.csv", "amt.csv"])
def test_every_row_has_a_status_and_a_listed_source(name):
    declared = sorted(_declared_sources(), key=len, reverse=True)
    for row in _rows(name):
        assert row["status"] in ("confirmed", "confirmed_secondary", "UNCONFIRMED")
        for part in row["source_id"].split(";"):
            part = part.strip().strip('"')
            assert any(part.startswith(d) for d in declared), (name, part)
