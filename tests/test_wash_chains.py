"""Wash-sale chains, worked by hand: the disallowed loss follows the replacement shares into
their own sale (IRC §1091(d); Reg. §1.1091-2), their holding period is tacked (§1223(3)), a
loss measured on the adjusted basis can be washed again, across accounts, with the tacked
dates chained. (Rules and the holding-period choice: toolkit/tax/wash_chain.py.)

§1223(3): "In determining the period for which the taxpayer has held stock or securities the
acquisition of which ... resulted in the nondeductibility (under section 1091 ...) of the
loss from the sale or other disposition of substantially identical stock or securities,
there shall be included the period for which he held the stock or securities the loss from
the sale or other disposition of which was not deductible."
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from tests.factories import household
from toolkit.tax import gains_tax, profile_for, realized_this_year, wash_sale_result
from toolkit.tax.holding import long_term_date
from toolkit.tax.wash_match import tacked_start

CENT = 0.005


def result(h):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = wash_sale_result(h)
    return res, [str(w.message) for w in caught]


def piece(res, account):
    p = res.sales[res.sales["account"] == account]
    assert len(p) == 1, p
    return p.iloc[0]


# --- the case: a replacement sold later in the year ---------------------------------


def sold_later(*, history: bool):
    # Schwab (SCH) sells 100 VTI bought 2025-01-10 for $10,000 on 2026-02-10 for $6,500: a
    # $3,500 long-term loss. Fidelity (FID) buys 100 VTI on 2026-02-20 for $6,500 and sells
    # them on 2026-06-01 for $11,500; Fidelity's 1099-B (it cannot see Schwab) reports a
    # $5,000 short-term gain. With history=True Fidelity's purchase is also in its history.
    tx = [{"date": "2026-02-20", "account": "FID", "action": "buy", "symbol": "VTI",
           "quantity": 100, "price": 65.0, "amount": -6500.0}] if history else []
    return household(
        accounts={"SCH": "taxable", "FID": "taxable"},
        realized=[
            {"account": "SCH", "symbol": "VTI", "quantity": 100, "acquired": "2025-01-10",
             "sold": "2026-02-10", "proceeds": 6500.0, "cost_basis": 10000.0,
             "gain": -3500.0, "term": "long"},
            {"account": "FID", "symbol": "VTI", "quantity": 100, "acquired": "2026-02-20",
             "sold": "2026-06-01", "proceeds": 11500.0, "cost_basis": 6500.0,
             "gain": 5000.0, "term": "short"}],
        transactions=tx, as_of="2026-11-20")


@pytest.mark.parametrize("history", [False, True])
def test_replacement_sold_later_is_a_1500_long_term_gain(history):
    # By hand:
    # - SCH's $3,500 loss is washed by FID's purchase 10 days later: $3,500 disallowed, $0
    #   allowed, and the $3,500 goes into the basis of FID's 100 shares: 6,500 + 3,500 =
    #   $10,000 (§1091(d)).
    # - Their holding period includes SCH's: 2025-01-10 -> 2026-02-10 = 396 days, so it
    #   starts 2026-02-20 - 396 days = 2025-01-20 (§1223(3)); sold 2026-06-01, after
    #   2026-01-21 (long_term_date): long-term.
    # - FID's sale: 11,500 - 10,000 = $1,500 long-term gain, not the broker's $5,000
    #   short-term. The year: short-term 0, long-term +1,500.
    # Before the chain rule this household warned "$3,500.00 ... unplaced" and priced the
    # year at +5,000 short-term.
    h = sold_later(history=history)
    res, caught = result(h)
    assert caught == []
    assert res.unplaced == 0.0
    sch = piece(res, "SCH")
    assert (sch["gain"], sch["disallowed"]) == pytest.approx((-3500.0, 3500.0), abs=CENT)
    fid = piece(res, "FID")
    assert (fid["cost_basis"], fid["basis_carried"], fid["gain"]) == pytest.approx(
        (10000.0, 3500.0, 1500.0), abs=CENT)
    assert fid["holding_start"] == pd.Timestamp("2025-01-20") and bool(fid["tacked"])
    assert long_term_date(fid["holding_start"]) == pd.Timestamp("2026-01-21")
    assert realized_this_year(h) == (0.0, 1500.0, [])
    p = profile_for(h)
    assert (p.realized_short_term, p.realized_long_term) == (0.0, 1500.0)
    # Priced on that profile: one more $1,000 long-term gain (MFJ, $185,000 ordinary income,
    # 5% state) is taxed 15% federal + 5% state = $200; the estimated MAGI, 185,000 + 32,200
    # (standard deduction) + 1,500 + 1,000 = 219,700, is under the $250,000 NIIT threshold.
    assert gains_tax(h, long_term=1000.0).total == pytest.approx(200.0, abs=CENT)


# --- chained across accounts, the tacked dates chained too ----------------------------------


def across_accounts():
    # A (taxable) sells 100 VTI bought 2025-03-03 for $5,000 on 2026-01-15 for $4,000.
    # B (taxable, Sam's) buys 100 VTI 2026-01-26 for $4,100, sells them 2026-03-02 for
    # $4,300 (its broker: +$200 short-term).
    # C (taxable, Maya's other broker) buys 60 VTI 2026-03-20 for $2,640 and holds them.
    return household(
        accounts={"A": "taxable", "B": "taxable", "C": "taxable"},
        owners={"A": "Maya", "B": "Sam", "C": "Maya"},
        positions=[{"account": "C", "symbol": "VTI", "quantity": 60, "price": 45.0}],
        lots=[{"account": "C", "symbol": "VTI", "quantity": 60, "cost_basis": 2640.0,
               "acquired": "2026-03-20", "lot_id": "C1"}],
        realized=[
            {"account": "A", "symbol": "VTI", "quantity": 100, "acquired": "2025-03-03",
             "sold": "2026-01-15", "proceeds": 4000.0, "cost_basis": 5000.0},
            {"account": "B", "symbol": "VTI", "quantity": 100, "acquired": "2026-01-26",
             "sold": "2026-03-02", "proceeds": 4300.0, "cost_basis": 4100.0}],
        as_of="2026-11-20")


def test_chain_across_three_accounts():
    # By hand:
    # 1. A's loss: 5,000 - 4,000 = $1,000, held 2025-03-03 -> 2026-01-15 = 318 days. B's
    #    purchase 11 days later replaces all 100 shares: $1,000 disallowed. B's basis 4,100 +
    #    1,000 = $5,100; B's holding start 2026-01-26 - 318 days = 2025-03-14.
    # 2. B's sale on the adjusted basis: 4,300 - 5,100 = -$800, a loss (the broker's +$200
    #    gain is gone). Held from 2025-03-14 to 2026-03-02 = 353 days: short-term. C's
    #    purchase 18 days later replaces 60 of B's 100 shares: 60 x $8 = $480 disallowed,
    #    40 x $8 = $320 allowed (short-term).
    # 3. C's lot: 2,640 + 480 = $3,120, holding start 2026-03-20 - 353 days = 2025-04-01,
    #    long-term from 2026-04-02.
    # The year: A 0, B -320 short-term: (-320, 0). Without the chain: B +200 short-term.
    h = across_accounts()
    res, caught = result(h)
    assert caught == []
    b = piece(res, "B")
    assert (b["cost_basis"], b["gain"], b["disallowed"]) == pytest.approx(
        (5100.0, -800.0, 480.0), abs=CENT)
    assert b["holding_start"] == pd.Timestamp("2025-03-14")
    rows = res.rows.set_index(["account", "replacement_account"])
    assert rows.loc[("A", "B"), "disallowed"] == pytest.approx(1000.0, abs=CENT)
    assert rows.loc[("B", "C"), "disallowed"] == pytest.approx(480.0, abs=CENT)
    assert rows.loc[("B", "C"), "replacement_holding_start"] == pd.Timestamp("2025-04-01")
    lot = res.adjusted_lots.set_index("lot_id").loc["C1"]
    assert (lot["cost_basis"], lot["wash_sale_disallowed"]) == pytest.approx((3120.0, 480.0),
                                                                             abs=CENT)
    assert lot["holding_start"] == pd.Timestamp("2025-04-01")
    assert long_term_date(lot["holding_start"]) == pd.Timestamp("2026-04-02")
    assert realized_this_year(h) == (-320.0, 0.0, [])


# --- a replacement bought before the loss sale -----------------------------------------------


def bought_before(b_sold: str, b_proceeds: float):
    # A holds 100 VTI bought 2025-06-02 for $4,000 and sells them 2026-02-16 for $3,000.
    # B bought 100 VTI on 2026-02-02 (14 days before A's sale) for $3,000 and sells them on
    # b_sold for b_proceeds.
    return household(
        accounts={"A": "taxable", "B": "taxable"},
        realized=[
            {"account": "A", "symbol": "VTI", "quantity": 100, "acquired": "2025-06-02",
             "sold": "2026-02-16", "proceeds": 3000.0, "cost_basis": 4000.0},
            {"account": "B", "symbol": "VTI", "quantity": 100, "acquired": "2026-02-02",
             "sold": b_sold, "proceeds": b_proceeds, "cost_basis": 3000.0}],
        as_of="2026-11-20")


def test_replacement_bought_before_the_loss_sale_keeps_the_original_start():
    # A's $1,000 loss (held 259 days) is washed by B's purchase 14 days before it; B's basis
    # 3,000 + 1,000 = $4,000.
    # Holding period: B bought while A's shares were still held, so the 14 days from
    # 2026-02-02 to 2026-02-16 are in both periods. §1223(3) *includes* A's period in B's:
    # the union, each day once, runs from A's start, 2025-06-02 (long-term from
    # 2026-06-03). Subtracting the 259 days from B's purchase date (2026-02-02 - 259 =
    # 2025-05-19, long-term from 2026-05-20: the "tacking" method some brokers use) counts the
    # 14 days twice. B sells 2026-05-28: short-term under the union, a $400 short-term loss
    # (3,600 - 4,000), allowed (no purchase within 30 days of it).
    h = bought_before("2026-05-28", 3600.0)
    res, _ = result(h)
    b = piece(res, "B")
    assert b["holding_start"] == pd.Timestamp("2025-06-02")
    assert (b["cost_basis"], b["gain"], b["disallowed"]) == pytest.approx(
        (4000.0, -400.0, 0.0), abs=CENT)
    assert realized_this_year(h) == (-400.0, 0.0, [])
    # The formula on its own, both sides of the sale date:
    starts = tacked_start(["2026-02-02", "2026-02-26"], ["2026-02-16", "2026-02-16"],
                          ["2025-06-02", "2025-06-02"])
    assert starts.tolist() == [pd.Timestamp("2025-06-02"),
                               pd.Timestamp("2026-02-26") - pd.Timedelta(days=259)]


def test_replacement_sold_before_the_loss_sale_takes_the_basis_back():
    # B buys 2026-02-02 for $3,000 and sells 2026-02-09 for $3,200 (+$200 by its broker);
    # A's loss sale of 2026-02-16 is washed by B's purchase (within the 30 days before it),
    # so B's basis becomes 3,000 + 1,000 = $4,000 after the fact: B's sale is a loss of
    # 3,200 - 4,000 = -$800 (short-term: the union starts 2025-06-02, sold 2026-02-09). No
    # purchase washes B's loss (its own purchase is the shares sold). The year: A 0 + B
    # -800 = -800 short-term, the same net as A's -1,000 and B's +200 without a wash sale.
    h = bought_before("2026-02-09", 3200.0)
    res, _ = result(h)
    b = piece(res, "B")
    assert (b["cost_basis"], b["gain"], b["disallowed"]) == pytest.approx(
        (4000.0, -800.0, 0.0), abs=CENT)
    assert realized_this_year(h) == (-800.0, 0.0, [])


def test_partly_washed_replacement_sale_is_split():
    # 40 of FID's 100 replacement shares wash SCH's sale of 40 (loss $10 a share); FID sells
    # all 100 on 2026-06-01 for $70 a share (bought at $60: +$1,000 by its broker).
    # By hand: the sale splits into 40 shares carrying 40 x 10 = $400 (basis 2,400 + 400 =
    # 2,800, proceeds 2,800, gain 0, tacked to 2026-02-20 - 31 days = 2026-01-20) and 60
    # shares as reported (basis 3,600, proceeds 4,200, +600). The year: SCH's loss 0 (all
    # washed), FID +600: (600, 0).
    h = household(
        accounts={"SCH": "taxable", "FID": "taxable"},
        realized=[
            {"account": "SCH", "symbol": "VTI", "quantity": 40, "acquired": "2026-01-10",
             "sold": "2026-02-10", "proceeds": 2000.0, "cost_basis": 2400.0},
            {"account": "FID", "symbol": "VTI", "quantity": 100, "acquired": "2026-02-20",
             "sold": "2026-06-01", "proceeds": 7000.0, "cost_basis": 6000.0}],
        as_of="2026-11-20")
    res, _ = result(h)
    fid = res.sales[res.sales["account"] == "FID"].reset_index(drop=True)
    assert fid["quantity"].tolist() == [40.0, 60.0]
    assert fid["cost_basis"].tolist() == pytest.approx([2800.0, 3600.0], abs=CENT)
    assert fid["gain"].tolist() == pytest.approx([0.0, 600.0], abs=CENT)
    assert fid["holding_start"].tolist() == [pd.Timestamp("2026-01-20"),
                                             pd.Timestamp("2026-02-20")]
    assert realized_this_year(h) == (600.0, 0.0, [])
