"""The waterfall's household-wide moves, worked by hand: step 2 chooses for every
tax-advantaged account at once, step 4 lets a cheaper class stand in for an overweight one,
step 5 makes up for it, and a tax-advantaged account buying back what the plan sold there only
shrinks the sale."""

from __future__ import annotations

import numpy as np
import pytest

from tests.factories import household
from toolkit.planner import plan
from toolkit.planner._book import Book
from toolkit.planner.options import PlanOptions


def chain_household():
    """IRA I: 200 VTI at $250 ($50,000); Roth R: 500 BND at $100 ($50,000). Target US stocks
    50%, REITs 25%, bonds 25%. Only the IRA has a REIT fund (menus: I {VTI, VNQ}, R {VTI,
    BND}); VNQ at $100."""
    return household(
        accounts={"I": "traditional_ira", "R": "roth_ira"},
        positions=[{"account": "I", "symbol": "VTI", "quantity": 200, "price": 250.0},
                   {"account": "R", "symbol": "BND", "quantity": 500, "price": 100.0},
                   {"account": "I", "symbol": "VNQ", "quantity": 0, "price": 100.0}],
        targets={"us_equity": 0.5, "reits": 0.25, "bonds": 0.25})


def test_step_2_moves_a_class_between_accounts_to_make_room():
    # US stocks are on target ($50,000 of $100,000), bonds $25,000 over, REITs $25,000 under.
    # Pair by pair nothing is possible: R holds the overweight bonds but has no REIT fund, and
    # I's US stocks are not overweight. Together: I sells 100 VTI ($25,000) for 250 VNQ, R
    # sells 250 BND ($25,000) for the 100 VTI: every class on target, no tax
    p = plan(chain_household(), menus={"I": {"VTI", "VNQ"}, "R": {"VTI", "BND"}})
    t = p.trades
    assert t[["account", "side", "symbol", "shares", "amount", "step"]].values.tolist() == [
        ["I", "sell", "VTI", 100.0, 25000.0, 2], ["I", "buy", "VNQ", 250.0, 25000.0, 2],
        ["R", "sell", "BND", 250.0, 25000.0, 2], ["R", "buy", "VTI", 100.0, 25000.0, 2]]
    assert t["reason"].tolist() == [
        "step 2 (tax-advantaged trades): sell US stocks inside I (I) to buy REITs; the "
        "household's US stocks are bought back in R (R): no tax on a sale inside a "
        "tax-deferred account",
        "step 2 (tax-advantaged trades): buy $25,000 of REITs, underweight by $25,000, inside "
        "I (I) with the proceeds of US stocks; VNQ is on the account's fund menu; "
        "tax-deferred accounts are REITs' best home: REIT dividends, mostly ordinary income, "
        "are tax-deferred here",
        "step 2 (tax-advantaged trades): sell bonds, overweight by $25,000, inside R (R) to buy "
        "US stocks: no tax on a sale inside a tax-free account",
        "step 2 (tax-advantaged trades): buy $25,000 of US stocks inside R (R) with the "
        "proceeds of bonds, in place of the US stocks sold in I (I); VTI is on the account's "
        "fund menu; tax-free is its second-best home for US stocks: the highest expected "
        "growth belongs in tax-free money"]
    assert p.summary.tax == 0.0
    assert p.summary.abs_drift_after == pytest.approx(0.0, abs=1e-12)


def test_a_failed_step_2_program_is_an_error_not_an_empty_step(monkeypatch):
    from toolkit.errors import PlanningError
    from toolkit.planner import _highs

    def fails(self):
        return _highs.Solution("Numerical error", False, np.zeros(self.n), 0.0, 0.0, 0.1)

    monkeypatch.setattr(_highs.Program, "solve", fails)
    with pytest.raises(PlanningError) as err:
        plan(chain_household(), menus={"I": {"VTI", "VNQ"}, "R": {"VTI", "BND"}})
    assert str(err.value) == ("step 2's program (the tax-advantaged trades) failed (HiGHS: "
                              "Numerical error)")


def stand_in_household():
    """Taxable T: 400 BND at $100 (basis $25,000, long-term: $37.50 a share of gain) and 120
    VTI at $250 (basis $30,000: no gain). IRA I: 300 BND ($30,000), menu {BND, VTI}.
    $100,000 at a target of US stocks 50%, bonds 30%, REITs 20%; only T can buy REITs
    (VNQ, $100)."""
    return household(
        accounts={"T": "taxable", "I": "traditional_ira"},
        positions=[{"account": "T", "symbol": "BND", "quantity": 400, "price": 100.0,
                    "cost_basis": 25000.0},
                   {"account": "T", "symbol": "VTI", "quantity": 120, "price": 250.0,
                    "cost_basis": 30000.0},
                   {"account": "T", "symbol": "VNQ", "quantity": 0, "price": 100.0,
                    "cost_basis": 0.0},
                   {"account": "I", "symbol": "BND", "quantity": 300, "price": 100.0}],
        lots=[{"account": "T", "symbol": "BND", "quantity": 400, "cost_basis": 25000.0,
               "acquired": "2018-03-01", "lot_id": "B"},
              {"account": "T", "symbol": "VTI", "quantity": 120, "cost_basis": 30000.0,
               "acquired": "2019-03-01", "lot_id": "V"}],
        targets={"us_equity": 0.5, "bonds": 0.3, "reits": 0.2})


def test_a_cheaper_class_stands_in_for_the_overweight_one_and_step_5_makes_up_for_it():
    p = plan(stand_in_household(), menus={"I": {"BND", "VTI"}})
    t = p.trades
    # step 2: I sells 200 BND ($20,000) for 80 VTI: US stocks on target, bonds $50,000 (50%
    # against 30 +- 5: $15,000 above the band edge), REITs $20,000 under (15% is the edge).
    # Step 4: $15,000 to sell in T. T's VTI lot has no gain (tax 0 a dollar) and can stand in
    # for bonds as far as I can hold more US stocks and fewer bonds: I's remaining 100 BND,
    # $10,000 -> 40 VTI ($10,000); then 50 BND ($5,000, a $1,875 long-term gain). The $15,000
    # buys 150 VNQ. Step 5: I sells its last 100 BND for 40 VTI.
    # Tax: 1,875 x (15% + 5% state) = $375 (selling $15,000 of BND instead: 5,625 x 20% =
    # $1,125)
    assert t[["account", "side", "symbol", "shares", "amount", "step"]].values.tolist() == [
        ["I", "sell", "BND", 200.0, 20000.0, 2], ["I", "buy", "VTI", 80.0, 20000.0, 2],
        ["T", "sell", "VTI", 40.0, 10000.0, 4], ["T", "sell", "BND", 50.0, 5000.0, 4],
        ["T", "buy", "VNQ", 150.0, 15000.0, 4],
        ["I", "sell", "BND", 100.0, 10000.0, 5], ["I", "buy", "VTI", 40.0, 10000.0, 5]]
    assert t.loc[(t["symbol"] == "VTI") & (t["account"] == "T"), "reason"].item() == (
        "step 4 (taxable sale): sell US stocks in taxable T (T) in place of bonds, overweight "
        "by $20,000 and outside its band: these lots cost less tax than the household's taxable "
        "bonds (losses first, then gains by the least tax, each lot's tax at most 10 cents per "
        "dollar moved (the drift price)); step 5 makes up for it inside a tax-advantaged "
        "account (more US stocks, less bonds), at no tax")
    assert p.summary.long_term_gain == pytest.approx(1875.0)
    assert p.summary.tax == pytest.approx(375.0, abs=0.005)
    assert dict(p.summary.drift_after) == pytest.approx(
        {"us_equity": 0.0, "bonds": 0.05, "reits": -0.05})
    assert p.steps["name"].tolist() == [
        "tax-advantaged trades", "taxable sales",
        "tax-advantaged trades after the taxable sales"]


def test_buying_back_in_an_ira_what_the_plan_sold_there_shrinks_the_sale():
    h = household(accounts={"I": "traditional_ira"},
                  positions=[{"account": "I", "symbol": "VTI", "quantity": 10, "price": 250.0},
                             {"account": "I", "symbol": "CASH", "quantity": 0, "price": 1.0}],
                  targets={"us_equity": 1.0})
    book = Book.from_household(h, PlanOptions(), {})
    assert book.sell("I", "VTI", 2500.0, step=2, reason="r") == 2500.0  # 10 shares
    assert book.sold_here("I", "us_equity") == {"VTI": 2500.0}
    # 4 shares back: no purchase (no wash sale, no order), a sale of 6 shares
    assert book.buy("I", "VTI", 1000.0, asset_class="us_equity", step=5, reason="") == 1000.0
    assert [(t["side"], t["shares"], t["amount"]) for t in book.trades] == [
        ("sell", 6.0, 1500.0)]
    assert book.holdings[("I", "VTI")].quantity == 4.0
    assert book.cash["I"] == 1500.0


def test_harvests_go_by_the_group_with_the_largest_loss_and_swap_into_the_smallest():
    # T1: TLT 100 sh at $100 (basis $10,800: -$800), VCIT 100 sh (basis $10,600: -$600); T2:
    # VCIT 100 sh (basis $10,500: -$500). Each account may buy only TLT and VCIT, so a harvest
    # of one swaps into the other and blocks its loss (a wash sale). VCIT's losses together
    # (-$1,100) beat TLT's (-$800): both VCIT lots are harvested into TLT. With no gains this
    # year the $1,100 offsets ordinary income: 1,100 x (22% + 5%) = $297 (harvesting TLT
    # first, the largest single holding loss, would save 800 x 27% = $216)
    h = household(
        accounts={"T1": "taxable", "T2": "taxable"},
        positions=[{"account": "T1", "symbol": "TLT", "quantity": 100, "price": 100.0,
                    "cost_basis": 10800.0},
                   {"account": "T1", "symbol": "VCIT", "quantity": 100, "price": 100.0,
                    "cost_basis": 10600.0},
                   {"account": "T2", "symbol": "VCIT", "quantity": 100, "price": 100.0,
                    "cost_basis": 10500.0}],
        lots=[{"account": "T1", "symbol": "TLT", "quantity": 100, "cost_basis": 10800.0,
               "acquired": "2024-03-01", "lot_id": "t"},
              {"account": "T1", "symbol": "VCIT", "quantity": 100, "cost_basis": 10600.0,
               "acquired": "2024-03-01", "lot_id": "v1"},
              {"account": "T2", "symbol": "VCIT", "quantity": 100, "cost_basis": 10500.0,
               "acquired": "2024-03-01", "lot_id": "v2"}],
        targets={"bonds": 1.0})
    p = plan(h, menus={"T1": {"TLT", "VCIT"}, "T2": {"TLT", "VCIT"}})
    assert p.trades[["account", "side", "symbol", "shares", "step"]].values.tolist() == [
        ["T1", "sell", "VCIT", 100.0, 3], ["T1", "buy", "TLT", 100.0, 3],
        ["T2", "sell", "VCIT", 100.0, 3], ["T2", "buy", "TLT", 100.0, 3]]
    assert p.summary.long_term_gain == pytest.approx(-1100.0)
    assert p.summary.tax == pytest.approx(-297.0, abs=0.005)
