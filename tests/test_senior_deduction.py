"""The NIIT's MAGI estimate for retirees: the additional standard deduction at 65+ and the
2025-2028 senior deduction (OBBBA §70103), from the filers' birth years (tax data files:
``standard_deduction.csv``, ``senior_deduction.csv``; sources in ``sources.md``)."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES
from tests.factories import profile
from toolkit import load_household
from toolkit.errors import HouseholdError
from toolkit.tax.engine import seniors, standard_deductions, tax_inputs
from toolkit.tax.gains import gains_tax


def test_two_seniors_under_the_phase_out():
    # 2026 joint return, both born 1956 (70): basic $32,200 + 2 x $1,650 (65+) = $35,500;
    # AGI before the senior deduction 100,000 + 35,500 = 135,500; + 2 x 6,000 = 147,500,
    # under $150,000: the full $12,000. Deductions 47,500.
    p = profile(ordinary_income=100_000.0, birth_years=(1956, 1956))
    assert seniors(p) == 2
    assert standard_deductions(p) == pytest.approx(47_500.0)
    assert tax_inputs(p).deductions == pytest.approx(47_500.0)


def test_two_seniors_in_the_phase_out():
    # 2026 joint, both 70, $150,000 of taxable ordinary income. AGI = 150,000 + 35,500 + S
    # with S = 2 x (6,000 - 6% x (AGI - 150,000)): 1.12 AGI = 185,500 + 12,000 + 18,000,
    # AGI = 192,410.71; each 6,000 - 0.06 x 42,410.71 = 3,455.36; S = 6,910.71.
    p = profile(ordinary_income=150_000.0, birth_years=(1956, 1956))
    assert standard_deductions(p) == pytest.approx(35_500.0 + 6_910.714286, abs=0.001)
    # and it is the AGI the deductions reach back to: 150,000 + 42,410.71
    assert 150_000.0 + standard_deductions(p) == pytest.approx(215_500 / 1.12, abs=1e-6)


def test_one_senior_single_2025_and_none_in_2024_or_before_65():
    # 2025 single, born 1958 (67), $60,000: 15,750 + 2,000 + 6,000 (AGI 83,750 - before
    # the senior deduction 77,750 + 6,000 = 83,750 > 75,000: 6,000 - 6% x (AGI - 75,000);
    # AGI = (77,750 + 6,000 + 4,500) / 1.06 = 83,254.72; 6,000 - 495.28 = 5,504.72)
    p = profile(filing_status="single", year=2025, ordinary_income=60_000.0,
                birth_years=(1958,))
    assert standard_deductions(p) == pytest.approx(15_750 + 2_000 + 5_504.716981, abs=0.001)
    # 2024: no senior deduction yet, only the additional $1,950 (single)
    p24 = p.replace(year=2024)
    assert standard_deductions(p24) == pytest.approx(14_600 + 1_950)
    # born 1962: 64 at the end of 2026, not a senior
    assert seniors(profile(birth_years=(1962, 1961))) == 1
    # married filing separately: no senior deduction (a married filer must file jointly)
    mfs = profile(filing_status="married_filing_separately", ordinary_income=60_000.0,
                  birth_years=(1950,))
    assert standard_deductions(mfs) == pytest.approx(16_100 + 1_650)


def test_the_niit_is_caught_for_retirees():
    # 2026 joint, both 70, $200,000 of taxable ordinary income, $40,000 long-term gain.
    # MAGI with the basic deduction only: 200,000 + 32,200 + 40,000 = 272,200 (NIIT on
    # 22,200: $843.60). With 65+ and the phased senior deduction: 1.12 AGI = 235,500 +
    # 12,000 + 18,000 (before the gain) -> AGI 237,053.57 (each 6,000 - 0.06 x 87,053.57
    # = 776.79); + 40,000 = 277,053.57: NIIT 3.8% x 27,053.57 = 1,028.04.
    p = profile(ordinary_income=200_000.0, birth_years=(1956, 1956))
    assert gains_tax(p, long_term=40_000.0).niit == pytest.approx(1_028.04, abs=0.01)
    young = p.replace(birth_years=())
    assert gains_tax(young, long_term=40_000.0).niit == pytest.approx(843.60, abs=0.01)
    # a profile's own deductions win
    assert tax_inputs(p.replace(deductions=50_000.0)).deductions == 50_000.0


def test_birth_years_come_from_people_and_are_checked():
    h = load_household(SAMPLES / "household" / "household.toml")
    assert h.profile.birth_years == (1972, 1969)  # Maya and Alex, both account owners
    assert seniors(h.profile) == 0
    with pytest.raises(HouseholdError) as exc:
        profile(filing_status="single", birth_years=(1950, 1952))
    assert str(exc.value) == ("birth_years (1950, 1952): a single return has 1 filer(s)")
