"""Holding period: more than one year, counted from the day after the trade date, in calendar
months (Pub 550), with the Feb 29 rule documented in toolkit.tax.holding."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import household
from toolkit.tax.holding import long_term_date, long_term_dates, lot_status, term, terms


@pytest.mark.parametrize(
    ("acquired", "sold", "expected"),
    [
        # Pub 550: bought 2008-02-05, sold 2009-02-05 short, 2009-02-06 long
        ("2008-02-05", "2009-02-05", "short"),
        ("2008-02-05", "2009-02-06", "long"),
        # the case: bought 2024-03-15, long-term on 2025-03-16 or later
        ("2024-03-15", "2025-03-15", "short"),
        ("2024-03-15", "2025-03-16", "long"),
        ("2024-03-15", "2026-01-01", "long"),
        ("2024-03-15", "2024-03-15", "short"),
        # Feb 29: bought 2023-02-28, held 2023-03-01..2024-02-29 = exactly a year: short
        ("2023-02-28", "2024-02-29", "short"),
        ("2023-02-28", "2024-03-01", "long"),
        # day after acquisition is Feb 29 (2024-02-28): long from 2025-03-01
        ("2024-02-28", "2025-02-28", "short"),
        ("2024-02-28", "2025-03-01", "long"),
        # bought on Feb 29 itself: counting starts 2024-03-01, long from 2025-03-01
        ("2024-02-29", "2025-02-28", "short"),
        ("2024-02-29", "2025-03-01", "long"),
        # month ends: bought Jan 31, long on Feb 1 next year
        ("2025-01-31", "2026-01-31", "short"),
        ("2025-01-31", "2026-02-01", "long"),
        ("2025-12-31", "2027-01-01", "long"),
        ("2025-12-31", "2026-12-31", "short"),
    ],
)
def test_term(acquired, sold, expected):
    assert term(acquired, sold) == expected
    got = terms(pd.Series(pd.to_datetime([acquired])), pd.Timestamp(sold))
    assert got.tolist() == [expected]


def test_long_term_date_examples():
    assert long_term_date("2024-03-15") == pd.Timestamp("2025-03-16")
    assert long_term_date("2024-02-28") == pd.Timestamp("2025-03-01")
    assert long_term_date("2024-02-29") == pd.Timestamp("2025-03-01")
    assert long_term_date("2025-12-31") == pd.Timestamp("2027-01-01")


def test_sale_before_acquisition_is_an_error():
    with pytest.raises(ValueError):
        term("2025-01-02", "2025-01-01")


@given(st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                max_value=pd.Timestamp("2040-12-31").date()))
def test_long_term_date_is_just_over_a_year(d):
    ltd = long_term_date(d)
    # more than one year: the day before the long-term date is still short-term
    assert term(d, ltd) == "long"
    assert term(d, ltd - pd.Timedelta(days=1)) == "short"
    assert 366 <= (ltd - pd.Timestamp(d)).days <= 368
    assert long_term_dates(pd.Series([pd.Timestamp(d)])).iloc[0] == ltd


def test_lot_status_flags_lots_turning_long_soon():
    h = household(
        accounts={"T": "taxable"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 30, "price": 300.0}],
        lots=[
            {"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 2000.0,
             "acquired": "2020-01-02"},
            # long-term on 2026-12-06: 16 days after 2026-11-20
            {"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 3500.0,
             "acquired": "2025-12-05"},
            # long-term on 2027-06-02: 194 days away
            {"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 2900.0,
             "acquired": "2026-06-01"},
        ],
    )
    prices = h.positions.set_index("symbol")["price"]
    s = lot_status(h.lots, prices, h.as_of, soon_days=30)
    assert s["term"].tolist() == ["long", "short", "short"]
    assert s["unrealized_gain"].tolist() == [1000.0, -500.0, 100.0]
    assert s["days_to_long_term"].tolist() == [0, 16, 194]
    assert s["turns_long_soon"].tolist() == [False, True, False]
    assert s["long_term_date"].tolist() == [pd.Timestamp("2021-01-03"),
                                            pd.Timestamp("2026-12-06"),
                                            pd.Timestamp("2027-06-02")]


def test_lot_status_uses_tacked_holding_start():
    h = household(
        accounts={"T": "taxable"},
        lots=[{"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 3000.0,
               "acquired": "2026-09-15", "holding_start": "2025-09-01"}],
    )
    s = lot_status(h.lots, pd.Series({"VTI": 330.0}), "2026-11-20")
    assert s["term"].tolist() == ["long"]
    assert s["long_term_date"].tolist() == [pd.Timestamp("2026-09-02")]
