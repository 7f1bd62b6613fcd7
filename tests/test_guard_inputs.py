"""The wash guard's inputs for the planner: expected dividend reinvestments (any account) and
the harvest log read back as recent trades."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from tests.factories import household
from tests.test_household_sales import schwab_history, write_household
from toolkit.errors import HouseholdError
from toolkit.household_file import load_household as _load
from toolkit.tax import HarvestLog, expected_reinvestments, realized_this_year
from toolkit.tax.wash_household import household_acquisitions, household_sales


def load_household(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _load(path)


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


# --- the harvest log read back as recent trades ----------------------------------------------

def log_household(tmp_path, *, history_sells: bool = False):
    # Schwab history of account ...321: 100 VTI bought 2026-01-05 at $250 ($25,000). The
    # harvest log (named in [settings]) records the sale of those 100 VTI on 2026-11-16 for
    # $22,000 (a $3,000 short-term loss), replaced by ITOT the same day; the history was
    # downloaded before that sale (unless history_sells).
    rows = [("01/05/2026", "Buy", "VTI", 100, 250.0)]
    if history_sells:
        rows.append(("11/16/2026", "Sell", "VTI", 100, 220.0))
    HarvestLog().record("2026-11-16", "...321", "VTI", 100, 22000.0, 25000.0, term="short",
                        replacement_symbol="ITOT").to_csv(tmp_path / "harvests.csv")
    return write_household(tmp_path, 2026, schwab_history(rows),
                           extra='\n[settings]\nharvest_log = "harvests.csv"\n')


def test_harvest_log_sales_count_until_a_file_shows_them(tmp_path):
    h = load_household(log_household(tmp_path))
    # By hand: the log's sale is the year's only one: -$3,000 short-term.
    assert h.realized[["account", "symbol", "quantity", "sold", "proceeds", "cost_basis",
                       "source_file", "source_line"]].values.tolist() == [
        ["...321", "VTI", 100.0, pd.Timestamp("2026-11-16"), 22000.0, 25000.0,
         "harvests.csv", 2]]
    # (the wash check warns: the log's sale has no acquisition date, and its replacement ITOT
    # no price in this transactions-only household)
    with pytest.warns(UserWarning):
        assert realized_this_year(h) == (-3000.0, 0.0, [])
    prov = h.provenance[h.provenance["format"] == "harvest_log"]
    assert prov[["file", "key", "rows", "used"]].values.tolist() == [
        ["harvests.csv", "...321 VTI", 1, True]]
    # The guard's inputs see a loss sale of VTI 4 days before as_of (2026-11-20).
    sales, _ = household_sales(h)
    assert sales[["symbol", "sale_date", "proceeds", "cost_basis"]].values.tolist() == [
        ["VTI", pd.Timestamp("2026-11-16"), 22000.0, 25000.0]]
    # Once the history shows the sale, it is the history's (one sale, not two).
    h2 = load_household(log_household(tmp_path, history_sells=True))
    assert h2.realized[["quantity", "sold", "source_file"]].values.tolist() == [
        [100.0, pd.Timestamp("2026-11-16"), "Individual_XXX321_Transactions_20261120-101500.csv"]]
    assert h2.provenance[h2.provenance["format"] == "harvest_log"].empty


def test_harvest_log_replacements_are_acquisitions():
    # The log's replacement: ITOT bought in T on 2026-11-16 with the $22,000 proceeds; ITOT
    # trades at $110 in the household's positions: 22,000 / 110 = 200 shares.
    log = HarvestLog().record("2026-11-16", "T", "VTI", 100, 22000.0, 25000.0,
                              replacement_symbol="ITOT").frame
    h = household(accounts={"T": "taxable"},
                  positions=[{"account": "T", "symbol": "ITOT", "quantity": 200,
                              "price": 110.0}]).replace(harvest_log=log)
    acq, notes = household_acquisitions(h)
    got = acq[acq["kind"] == "harvest_log"]
    assert got[["acq_id", "account", "symbol", "date", "quantity", "cost"]].values.tolist() == [
        ["H2", "T", "ITOT", pd.Timestamp("2026-11-16"), 200.0, 22000.0]]
    assert notes == []


def test_a_harvest_log_that_is_missing_is_an_error(tmp_path):
    p = write_household(tmp_path, 2026, schwab_history([("01/05/2026", "Buy", "VTI", 1, 1.0)]),
                        extra='\n[settings]\nharvest_log = "nope.csv"\n')
    with pytest.raises(HouseholdError) as exc:
        load_household(p)
    assert str(exc.value) == (f"{p}: [settings]: harvest_log = 'nope.csv': no such file "
                              f"(looked at {tmp_path / 'nope.csv'})")
