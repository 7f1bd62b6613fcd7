"""The wash guard's inputs for the planner: expected dividend reinvestments (any account) and
the harvest log read back as recent trades."""

from __future__ import annotations

import pandas as pd

from tests.factories import household
from toolkit.tax import expected_reinvestments


def reinvesting_household():
    # R (Roth IRA) holds 50 VTI and reinvested its dividends on 2026-03-25, 06-24 and 09-23
    # (gaps of 91 and 91 days: median 91 -> next 2026-12-23); T (taxable) reinvested BND once
    # on 2026-10-01 (one reinvestment: next date unknown); X reinvested VXUS on 2025-10-01,
    # more than a year before as_of 2026-11-20 (left out); Y reinvested SCHD but no longer
    # holds it (left out).
    def rv(acct, sym, day, q, amt):
        return {"date": day, "account": acct, "action": "reinvest", "symbol": sym,
                "quantity": q, "amount": amt}
    return household(
        accounts={"R": "roth_ira", "T": "taxable", "X": "taxable", "Y": "taxable"},
        positions=[{"account": "R", "symbol": "VTI", "quantity": 50, "price": 300.0},
                   {"account": "T", "symbol": "BND", "quantity": 10, "price": 72.0},
                   {"account": "X", "symbol": "VXUS", "quantity": 10, "price": 60.0}],
        transactions=[rv("R", "VTI", "2026-03-25", 0.5, -140.0),
                      rv("R", "VTI", "2026-06-24", 0.48, -145.0),
                      rv("R", "VTI", "2026-09-23", 0.47, -150.0),
                      rv("T", "BND", "2026-10-01", 0.3, -21.6),
                      rv("X", "VXUS", "2025-10-01", 0.2, -12.0),
                      rv("Y", "SCHD", "2026-09-01", 0.1, -8.0)],
        as_of="2026-11-20")


def test_expected_reinvestments_by_hand():
    got = expected_reinvestments(reinvesting_household())
    assert got[["account", "symbol", "n", "last_date", "next_date", "quantity",
                "dollars"]].values.tolist() == [
        ["R", "VTI", 3, pd.Timestamp("2026-09-23"), pd.Timestamp("2026-12-23"), 0.47, 150.0],
        ["T", "BND", 1, pd.Timestamp("2026-10-01"), pd.NaT, 0.3, 21.6]]
    assert got["note"].tolist()[0] == ("3 reinvestment(s) in the past year, last 2026-09-23; "
                                       "turn off reinvestment or wait")


def test_expected_reinvestments_at_another_day():
    # A year back from 2026-03-30 covers R's 2026-03-25 reinvestment and X's of 2025-10-01
    # (X still holds VXUS, so it counts); the others come later.
    got = expected_reinvestments(reinvesting_household(), as_of="2026-03-30")
    assert got[["account", "symbol", "n"]].values.tolist() == [["R", "VTI", 1],
                                                               ["X", "VXUS", 1]]
