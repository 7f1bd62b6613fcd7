"""Pending activity on the household: ``Household.pending`` and ``pending_cash``."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

from tests.factories import household
from toolkit.errors import HouseholdError, SchemaError
from toolkit.household_file import load_household


def test_pending_cash_per_account_signed_and_zero_elsewhere():
    # A: a $1,250.50 debit (a pending purchase) and a $200 credit -> -1,050.50;
    # B: a $75 credit; C: nothing pending -> 0.0. Every account appears, in the accounts' order.
    h = household(accounts={"A": "taxable", "B": "roth_ira", "C": "traditional_ira"},
                  pending=[{"account": "A", "amount": -1250.50, "description": "BUY VTI"},
                           {"account": "B", "amount": 75.0},
                           {"account": "A", "amount": 200.0, "date": "2026-11-19"}])
    got = h.pending_cash
    assert got.to_dict() == {"A": -1050.5, "B": 75.0, "C": 0.0}
    assert got.index.tolist() == ["A", "B", "C"]
    assert (got.name, str(got.dtype)) == ("pending_cash", "float64")
    assert h.pending["date"].tolist()[2] == pd.Timestamp("2026-11-19")


def test_no_pending_rows_is_all_zeros():
    h = household(accounts={"A": "taxable"})
    assert h.pending_cash.to_dict() == {"A": 0.0}
    assert h.pending.empty


@pytest.mark.parametrize(("row", "message"), [
    ({"account": "A", "amount": math.nan},
     "test: pending row 1: amount nan is not a finite number of dollars"),
    ({"account": "A", "amount": math.inf},
     "test: pending row 1: amount inf is not a finite number of dollars"),
    ({"account": "A", "amount": "12x"},
     "test: pending row 1: amount '12x' is not a finite number of dollars"),
    ({"account": "Z", "amount": 5.0},
     "test: pending rows name account(s) ['Z'] that are not the household's"),
])
def test_bad_pending_rows_are_refused(row, message):
    with pytest.raises(HouseholdError) as exc:
        household(accounts={"A": "taxable"}, pending=[row])
    assert str(exc.value) == message


def test_pending_cannot_be_changed_through_the_attribute():
    h = household(accounts={"A": "taxable"}, pending=[{"account": "A", "amount": -10.0}])
    p = h.pending
    p.loc[0, "amount"] = 999.0
    assert h.pending_cash.to_dict() == {"A": -10.0}


def test_a_pending_row_without_an_amount_is_a_schema_error():
    with pytest.raises(SchemaError) as exc:
        household(accounts={"A": "taxable"}, pending=[{"account": "A"}])
    assert str(exc.value) == "pending frame from test: required column 'amount' is missing"


def test_the_sample_households_pending_activity_reaches_the_household():
    # Fidelity's Portfolio_Positions_Nov-20-2026.csv line 6: "Pending activity" of $150.00 in
    # the ROLLOVER IRA 234567891 (a credit in transit); no other account has any.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = load_household("data/samples/household/household.toml")
    got = h.pending_cash
    assert got[got != 0].to_dict() == {"234567891": 150.0}
    assert (len(got), got.sum()) == (len(h.accounts), 150.0)
    assert h.pending[["source_file", "source_line"]].values.tolist() == [
        ["Portfolio_Positions_Nov-20-2026.csv", 6]]
    assert h.unreliable.empty  # the pending row is not a holding's unread data
