"""Holdings with rows the loaders could not read are unreliable: reconcile says so
(``rows_skipped``, not trusted), ``inspect`` lists them first, ``strict=True`` refuses them;
and a basis given as a 4-decimal price per share reconciles within its rounding."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from tests.factories import household
from toolkit.cli import format_inspect
from toolkit.errors import HouseholdError
from toolkit.history import reconcile, reconciliation_summary
from toolkit.household_file import load_household
from toolkit.summary import inspect_household


def skipped(rows):
    return pd.DataFrame([{"text": "", **r} for r in rows])


def hh():
    # T holds 10 VTI with a matching lot; its Fidelity file also had a VTI lot row that could
    # not be read (line 7) and a BND row (line 9) whose position therefore never loaded.
    # The total row (line 12) carries neither account nor symbol: not a holding's data; the
    # lot file's total row and an order row whose executions are loaded name VTI but say
    # they are not a holding's data (NOT_HOLDING_DATA).
    # The pending row (line 14) is also a pending-activity row: not counted.
    return household(
        accounts={"T": "taxable", "R": "roth_ira"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 10, "price": 100.0,
                    "cost_basis": 900.0},
                   {"account": "R", "symbol": "VXUS", "quantity": 5, "price": 60.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 900.0,
               "acquired": "2024-01-02", "lot_id": "L1"}],
        skipped=skipped([
            {"file": "f.csv", "line": 7, "reason": "Quantity 'x' is not a number",
             "account": "T", "symbol": "VTI"},
            {"file": "f.csv", "line": 9, "reason": "Last Price '1e999' is not a number",
             "account": "T", "symbol": "BND"},
            {"file": "f.csv", "line": 12, "reason": "a total row"},
            {"file": "lots.csv", "line": 15, "reason": "total row: the sum of the lots above",
             "account": "T", "symbol": "VTI"},
            {"file": "ibkr.xml", "line": 40, "reason": "order row: its executions are loaded",
             "account": "T", "symbol": "VTI"},
            {"file": "f.csv", "line": 14, "reason": "pending activity", "account": "R",
             "symbol": "VXUS"}]),
        pending=[{"account": "R", "amount": -300.0, "source_file": "f.csv",
                  "source_line": 14}])


def test_unreliable_holdings_and_sentences():
    h = hh()
    assert h.unreliable.values.tolist() == [
        ["T", "VTI", 1, "f.csv line 7: Quantity 'x' is not a number"],
        ["T", "BND", 1, "f.csv line 9: Last Price '1e999' is not a number"]]
    assert h.not_loaded() == [
        "T VTI: 1 row could not be read (f.csv line 7: Quantity 'x' is not a number); its "
        "shares, lots or basis may be incomplete, and it is not traded unless allowed",
        "T BND: 1 row could not be read (f.csv line 9: Last Price '1e999' is not a number); "
        "its shares, lots or basis may be incomplete, and it is not traded unless allowed"]


def test_reconcile_marks_them_rows_skipped_and_untrusted():
    # VTI's lots agree with its position (would be "matched", trusted) but a row of it was
    # not read; BND has no position or lots at all, only the unread row: it still appears.
    r = reconcile(hh()).set_index(["account", "symbol"])
    assert r.loc[("T", "VTI"), ["status", "trusted"]].tolist() == ["rows_skipped", False]
    assert r.loc[("T", "VTI"), "detail"] == (
        "1 row of this holding could not be read (f.csv line 7: Quantity 'x' is not a "
        "number): the position holds 10 shares and 10 shares in lots, which may be "
        "incomplete; not traded unless allowed.")
    assert r.loc[("T", "BND"), ["status", "trusted"]].tolist() == ["rows_skipped", False]
    assert r.loc[("T", "BND"), "detail"].endswith(
        "no position was loaded and 0 shares in lots, which may be incomplete; not traded "
        "unless allowed.")
    assert r.loc[("R", "VXUS"), "status"] == "not_needed"  # the pending row does not count
    # the report the household stores and the one rebuilt at other tolerances agree
    assert reconcile(hh(), share_tolerance=1e-5).loc[:, "status"].tolist() == \
        reconcile(hh())["status"].tolist()
    assert reconciliation_summary(reconcile(hh()))["counts"]["rows_skipped"] == 2


def test_inspect_lists_them_before_the_rest():
    rep = inspect_household(hh())
    assert list(rep)[:8] == ["kind", "path", "name", "as_of", "not_loaded", "unreliable",
                             "pending_cash", "files"]
    assert rep["unreliable"] == [
        {"account": "T", "symbol": "VTI", "rows": 1,
         "detail": "f.csv line 7: Quantity 'x' is not a number"},
        {"account": "T", "symbol": "BND", "rows": 1,
         "detail": "f.csv line 9: Last Price '1e999' is not a number"}]
    assert rep["pending_cash"] == {"R": -300.0}
    assert len(rep["not_loaded"]) == 2


# --- E*TRADE: basis as a 4-decimal price per share -------------------------------------------

ETRADE = """\
Account Summary,,,,,,,,,
Account,Net Account Value,Total Gain $,Total Gain %,Day's Gain Unrealized $,Day's Gain Unrealized %,Available For Withdrawal,Cash Purchasing Power
"Individual Brokerage -4821",65000.00,4999.90,8.33,0.00,.00,0.00,0.00


View Summary - All Positions,,,,,,,,,
Filters applied: ,,,,,,,,,
Symbol,Security type(s),Sort by,Sort order,,,,,,
,All,Symbol,Asc,,,,,,

Symbol,Last Price $,Change $,Change %,Quantity,Price Paid $,Day's Gain $,Total Gain $,Total Gain %,Value $
VTI,65.00,0.00,.00,1000.0000,60.0001,.0000,4999.9000,8.3333,65000.0000
     02/03/2020,65.00,0.00,.00,500.0000,50.0000,.0000,7500.0000,30.0000,32500.0000
     06/21/2024,65.00,0.00,.00,500.0000,70.0001,.0000,-2500.0500,-7.1429,32500.0000
TOTAL,,,,,60000.10,0.00,4999.90,8.33,65000.00
,,,,,,,,,


Generated at Nov 20 2026 10:15 AM ET
"""


def etrade_household(tmp_path):
    (tmp_path / "PortfolioDownload.csv").write_text(ETRADE)
    p = tmp_path / "household.toml"
    p.write_text(textwrap.dedent("""\
        [household]
        tax_year = 2026
        filing_status = "single"
        ordinary_income = 100000
        [targets]
        us_equity = 1.0
        [[accounts]]
        id = "...4821"
        type = "taxable"
        [[files]]
        path = "PortfolioDownload.csv"
        """))
    return load_household(p)


def test_etrade_four_decimal_prices_reconcile(tmp_path):
    # The real costs: 500 shares at $50.00004 and 500 at $70.00007, $60,000.055 in all
    # (avg $60.000055). E*TRADE shows each as Price Paid rounded to 4 decimals: the lots
    # 500 x 50.0000 = 25,000.00 and 500 x 70.0001 = 35,000.05 (60,000.05), the position
    # 1,000 x 60.0001 = 60,000.10. They differ by $0.05 with nothing wrong: over the old
    # $0.01 tolerance (basis_mismatch), within 0.01 + 0.0001 x 1,000 = $0.11 now. (Each
    # figure is within $0.00005 a share of the truth, so the two within $0.0001 a share.)
    h = etrade_household(tmp_path)
    r = reconcile(h).set_index("symbol").loc["VTI"]
    assert (r["position_basis"], r["lots_basis"]) == pytest.approx((60000.10, 60000.05))
    assert (r["status"], r["trusted"]) == ("matched", True)
    assert reconcile(h, price_rounding=0.0)["status"].tolist() == ["basis_mismatch"]


def test_a_real_basis_error_is_still_a_mismatch():
    # 1,000 shares, lots' basis $0.12 off: above 0.01 + 0.0001 x 1,000 = $0.11.
    h = household(accounts={"T": "taxable"},
                  positions=[{"account": "T", "symbol": "VTI", "quantity": 1000, "price": 65.0,
                              "cost_basis": 60000.12}],
                  lots=[{"account": "T", "symbol": "VTI", "quantity": 1000, "cost_basis": 60000.0,
                         "acquired": "2024-01-02", "lot_id": "L1"}])
    assert reconcile(h)["status"].tolist() == ["basis_mismatch"]


def test_strict_loading_refuses_a_household_with_unread_rows(tmp_path):
    # E*TRADE: the second VTI lot's Quantity is not a number. Without strict the household
    # loads (and says so); with strict it is refused, naming the holding.
    bad = ETRADE.replace("     06/21/2024,65.00,0.00,.00,500.0000", "     06/21/2024,65.00,0.00,"
                         ".00,5x0.0000")
    h = etrade_household(tmp_path)
    assert h.not_loaded() == []
    (tmp_path / "PortfolioDownload.csv").write_text(bad)
    p = tmp_path / "household.toml"
    loose = load_household(p)
    # line 14 (the unreadable lot) and line 13 (its sibling lot, skipped because the lots no
    # longer add up to the position)
    assert loose.unreliable.values.tolist() == [[
        "...4821", "VTI", 2,
        "PortfolioDownload.csv line 13: lot of VTI: the position's lots do not add up to its "
        "quantity; PortfolioDownload.csv line 14: cannot read Quantity '5x0.0000': expected a "
        "number"]]
    with pytest.raises(HouseholdError) as exc:
        load_household(p, strict=True)
    assert str(exc.value).startswith(f"{p}: strict loading: 1 holding(s) have rows that could "
                                     "not be read: ...4821 VTI: 2 rows could not be read "
                                     "(PortfolioDownload.csv line 13: ")


def test_inspect_text_says_it_first():
    out = format_inspect(inspect_household(hh())).splitlines()
    assert out[1:5] == [
        "",
        "Not fully loaded (rows that could not be read; these holdings are not traded unless "
        "allowed):",
        "  T VTI: 1 row could not be read (f.csv line 7: Quantity 'x' is not a number); its "
        "shares, lots or",
        "      basis may be incomplete, and it is not traded unless allowed"]
    assert "Pending cash (in transit, not yet in the cash below): R -$300.00" in out
