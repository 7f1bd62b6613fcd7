"""The reconciliation report: each status on small households, tolerances, the summary, and
the sample household's report."""

from __future__ import annotations

import math

import pytest

from tests.conftest import SAMPLES
from tests.factories import household
from toolkit import load_household
from toolkit.history import COLUMNS, STATUSES, reconcile, reconciliation_summary


def lot(account, symbol, quantity, basis, acquired="2021-03-01", lot_id=None):
    return {"account": account, "symbol": symbol, "quantity": quantity, "cost_basis": basis,
            "acquired": acquired, "lot_id": lot_id}


def pos(account, symbol, quantity, basis=None, price=10.0):
    return {"account": account, "symbol": symbol, "quantity": quantity, "price": price,
            "cost_basis": basis}


def row(report, account, symbol):
    hit = report[(report["account"] == account) & (report["symbol"] == symbol)]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.fixture
def hh():
    return household(
        accounts={"T": "taxable", "R": "roth_ira"},
        positions=[pos("T", "VTI", 10.0, 900.0), pos("T", "VXUS", 10.0, 700.0),
                   pos("T", "BND", 5.0, 400.0), pos("T", "VNQ", 4.0, 300.0),
                   pos("T", "SCHD", 10.0, 250.0), pos("T", "CASH", 1500.0, 1500.0, price=1.0),
                   pos("R", "VTI", 3.0), pos("R", "VXUS", 7.0)],
        lots=[lot("T", "VTI", 6.0, 500.0), lot("T", "VTI", 4.0, 400.0, "2022-05-02"),
              lot("T", "VXUS", 8.0, 560.0),
              lot("T", "BND", 5.0, None),
              lot("T", "VNQ", 4.0, 350.0),
              lot("T", "AGG", 2.0, 190.0),
              lot("R", "VXUS", 6.0, 400.0)],
        transactions=[{"date": "2024-01-02", "account": "T", "action": "buy", "symbol": "SCHD",
                       "quantity": 5.0, "amount": -125.0, "source_file": "h.csv",
                       "source_line": 1}])


def test_each_status(hh):
    r = reconcile(hh)
    assert list(r.columns) == list(COLUMNS)
    got = {(a, s): (st, t) for a, s, st, t in zip(r["account"], r["symbol"], r["status"],
                                                  r["trusted"], strict=True)}
    assert got == {
        ("T", "VTI"): ("matched", True),
        ("T", "VXUS"): ("quantity_mismatch", False),
        ("T", "BND"): ("basis_missing", False),
        ("T", "VNQ"): ("basis_mismatch", False),
        ("T", "SCHD"): ("position_without_lots", False),
        ("T", "AGG"): ("lots_without_position", False),
        ("R", "VTI"): ("not_needed", True),
        ("R", "VXUS"): ("quantity_mismatch", False),
    }
    # account order, positions first, then symbols only in lots; CASH left out
    assert r[["account", "symbol"]].values.tolist() == [
        ["T", "VTI"], ["T", "VXUS"], ["T", "BND"], ["T", "VNQ"], ["T", "SCHD"], ["T", "AGG"],
        ["R", "VTI"], ["R", "VXUS"]]


def test_details_name_the_numbers(hh):
    r = reconcile(hh)
    d = dict(zip(zip(r["account"], r["symbol"], strict=True), r["detail"], strict=True))
    assert d[("T", "VTI")] == ("2 broker lots hold 10 shares, as the position does; basis "
                               "$900.00 (position $900.00).")
    assert d[("T", "VXUS")] == ("the position holds 10 shares but 1 broker lot holds 8 (2 "
                                "fewer); there is no history of it.")
    assert d[("T", "BND")] == ("1 broker lot holds 5 shares, as the position does, but 1 lot "
                               "(5 shares) has no cost basis.")
    # 350 - 300 = 50
    assert d[("T", "VNQ")] == ("1 broker lot holds 4 shares, as the position does, but their "
                               "basis $350.00 differs from the position's $300.00 by $50.00.")
    assert d[("T", "SCHD")] == ("the position holds 10 shares but no file gives lots, and the "
                                "history implies 5 shares, which does not explain it.")
    assert d[("T", "AGG")] == ("1 broker lot holds 2 shares but the account has no position "
                               "in AGG; there is no history of it.")
    assert d[("R", "VTI")] == ("roth_ira account: sales realise no taxable gain, so lots are "
                               "not needed.")
    assert d[("R", "VXUS")] == ("the position holds 7 shares but 1 broker lot holds 6 (1 "
                                "fewer); there is no history of it.")


def test_quantities_and_bases(hh):
    r = reconcile(hh)
    v = row(r, "T", "VTI")
    assert (v["position_quantity"], v["lots_quantity"], v["position_basis"],
            v["lots_basis"], v["lots_source"]) == (10.0, 10.0, 900.0, 900.0, "broker")
    assert math.isnan(v["history_quantity"])
    s = row(r, "T", "SCHD")
    assert (s["position_quantity"], s["lots_quantity"], s["history_quantity"],
            s["lots_source"]) == (10.0, 0.0, 5.0, "none")
    assert math.isnan(s["lots_basis"])
    a = row(r, "T", "AGG")
    assert math.isnan(a["position_quantity"]) and a["lots_quantity"] == 2.0
    assert math.isnan(row(r, "T", "BND")["lots_basis"])


def test_history_that_explains_a_position_without_lots_says_so():
    h = household(accounts={"T": "taxable"}, positions=[pos("T", "VTI", 5.0, 125.0)],
                  transactions=[{"date": "2024-01-02", "account": "T", "action": "buy",
                                 "symbol": "VTI", "quantity": 5.0, "amount": -125.0}])
    v = row(reconcile(h), "T", "VTI")
    assert v["status"] == "position_without_lots" and not v["trusted"]
    assert v["detail"] == ("the position holds 5 shares but no file gives lots; the history "
                           "implies 5 shares, as held: lots can be rebuilt from it "
                           "(toolkit.rebuild_lots).")


def test_no_history_at_all():
    h = household(accounts={"T": "taxable"}, positions=[pos("T", "VTI", 5.0)])
    v = row(reconcile(h), "T", "VTI")
    assert v["detail"] == ("the position holds 5 shares but no file gives lots and the account "
                           "has no history of VTI.")


def test_tax_advantaged_lots_that_agree_are_not_needed():
    h = household(accounts={"R": "401k"}, positions=[pos("R", "VTI", 5.0)],
                  lots=[lot("R", "VTI", 5.0, None)])
    v = row(reconcile(h), "R", "VTI")
    assert (v["status"], v["trusted"], v["lots_source"]) == ("not_needed", True, "broker")
    assert v["detail"] == ("401k account: sales realise no taxable gain, so lots are not "
                           "needed; 1 broker lot agrees with the position.")


def test_tolerances():
    h = household(accounts={"T": "taxable"}, positions=[pos("T", "VTI", 10.0, 900.0)],
                  lots=[lot("T", "VTI", 10.0 + 5e-7, 900.004)])
    assert row(reconcile(h), "T", "VTI")["status"] == "matched"
    assert row(reconcile(h, share_tolerance=1e-7), "T", "VTI")["status"] == "quantity_mismatch"
    assert row(reconcile(h, dollar_tolerance=0.001), "T", "VTI")["status"] == "basis_mismatch"


def test_position_without_a_basis_matches_on_quantity():
    h = household(accounts={"T": "taxable"}, positions=[pos("T", "VTI", 10.0)],
                  lots=[lot("T", "VTI", 10.0, 900.0, lot_id="history:h.csv:3")])
    v = row(reconcile(h), "T", "VTI")
    assert (v["status"], v["trusted"], v["lots_source"]) == ("matched", True, "history")
    assert v["detail"] == ("1 lot rebuilt from history holds 10 shares, as the position does; "
                           "basis $900.00 (the position gives no basis).")


def test_summary(hh):
    s = reconciliation_summary(reconcile(hh))
    assert s["counts"] == {"rows_skipped": 0, "position_without_lots": 1, "lots_without_position": 1,
                           "quantity_mismatch": 2, "basis_missing": 1, "basis_mismatch": 1,
                           "matched": 1, "not_needed": 1}
    assert list(s["counts"]) == list(STATUSES)
    assert [(u["account"], u["symbol"], u["status"]) for u in s["unreconciled"]] == [
        ("T", "VXUS", "quantity_mismatch"), ("T", "BND", "basis_missing"),
        ("T", "VNQ", "basis_mismatch"), ("T", "SCHD", "position_without_lots"),
        ("T", "AGG", "lots_without_position"), ("R", "VXUS", "quantity_mismatch")]
    assert s["unreconciled"][3] == {
        "account": "T", "symbol": "SCHD", "tax_type": "taxable", "position_quantity": 10.0,
        "lots_quantity": 0.0, "history_quantity": 5.0, "position_basis": 250.0,
        "lots_basis": None, "status": "position_without_lots",
        "detail": ("the position holds 10 shares but no file gives lots, and the history "
                   "implies 5 shares, which does not explain it."),
        "lots_source": "none", "trusted": False}


def test_empty_household():
    h = household(accounts={"T": "taxable"})
    r = reconcile(h)
    assert r.empty and list(r.columns) == list(COLUMNS)
    assert reconciliation_summary(r) == {"counts": dict.fromkeys(STATUSES, 0),
                                         "unreconciled": []}


# --- the sample household ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return load_household(SAMPLES / "household" / "household.toml")


def test_sample_household_report(sample):
    r = reconcile(sample)
    got = [(a, s, st, src, bool(t)) for a, s, st, src, t in zip(
        r["account"], r["symbol"], r["status"], r["lots_source"], r["trusted"], strict=True)]
    assert got == [
        # Schwab joint: lot files match the positions symbol by symbol
        ("...456", "VTI", "matched", "broker", True),
        ("...456", "VXUS", "matched", "broker", True),
        ("...456", "BND", "matched", "broker", True),
        ("...456", "VNQ", "matched", "broker", True),
        ("...456", "SCHD", "matched", "broker", True),
        ("...456", "PTY", "matched", "broker", True),
        ("...789", "SCHA", "not_needed", "none", True),
        ("...789", "SCHF", "not_needed", "none", True),
        ("234567891", "FXAIX", "not_needed", "none", True),
        ("234567891", "FXNAX", "not_needed", "none", True),
        ("234567891", "FSRNX", "not_needed", "none", True),
        ("87654", "59515R401", "not_needed", "none", True),
        ("87654", "VTIAX", "not_needed", "none", True),
        ("87654", "FXNAX", "not_needed", "none", True),
        ("87654", "ACME", "not_needed", "none", True),
        ("456789123", "FZROX", "not_needed", "none", True),
        # Maya's individual account: lots rebuilt from its history
        ("X71234567", "FXAIX", "matched", "history", True),
        ("X71234567", "NVDA", "matched", "history", True),
        ("X71234567", "AAPL", "basis_missing", "history", False),
        ("12345678", "BND", "not_needed", "none", True),
        ("12345678", "BNDX", "not_needed", "none", True),
        ("23456789", "VBIAX", "not_needed", "none", True),
        ("23456789", "VXUS", "not_needed", "none", True),
    ]
    fx = row(r, "X71234567", "FXAIX")
    # 150 + 80 + 60 + 40 + 2.150 + 1.984 + 1.875 + 1.820 = 337.829 shares;
    # 13,860 + 9,960 + 7,692 + 7,202 + 447.20 + 426.56 + 420.00 + 418.60 = 40,426.36
    assert (fx["position_quantity"], fx["lots_quantity"], fx["history_quantity"]) == (
        pytest.approx(337.829), pytest.approx(337.829), pytest.approx(337.829))
    assert fx["lots_basis"] == pytest.approx(40426.36) and fx["position_basis"] == 40426.36
    # the IRA's FXNAX history is two reinvestments (28.582 + 28.185 shares): it implies
    # 56.767 of the 9,000 held, which does not matter in a traditional IRA
    ira = row(r, "234567891", "FXNAX")
    assert ira["history_quantity"] == pytest.approx(56.767)
    # the 401(k)'s workplace rows have no symbol: resolved by description (VANG INST 500
    # INDEX TR -> 59515R401): 400/230.55 + 400/228.90 + 400/226.40 to 3 decimals
    # = 1.735 + 1.747 + 1.767 = 5.249 shares
    assert row(r, "87654", "59515R401")["history_quantity"] == pytest.approx(5.249)
    assert math.isnan(row(r, "...789", "SCHA")["history_quantity"])
