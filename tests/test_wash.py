"""Wash sales (IRC §1091; Reg. §1.1091-1, -2; Pub 550; Rev. Rul. 2008-5): the published
examples, worked by hand, then the household cases (IRA, spouse, 401(k), reinvestment), the
window's edges, the substantially-identical policies and the forward-looking check.

Sources of the quoted text (retrieved with the project's search tool):

- [VITA] IRS VITA "Capital Gain or Loss Workout", Case Study 1: Wash Sales,
  https://apps.irs.gov/app/vita/content/10s/10_04_011.jsp (Pub 550 Wash Sales Example 1 in
  the third person).
- [P550] Publication 550, "Wash Sales" (https://www.irs.gov/publications/p550): the rule
  paragraphs quoted below; the worked "More or less stock bought than sold" examples are
  given by their figures as transcribed from Pub 550 (2025), p. 87 (the full wording was not
  retrievable offline).
- [REG] 26 CFR 1.1091-1 and 1.1091-2 (GPO text, revised April 1, 2004).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.factories import household
from toolkit.errors import HouseholdError, SchemaError
from toolkit.tax.holding import long_term_date
from toolkit.tax.wash import (
    ROW_COLUMNS,
    THREAT_COLUMNS,
    SubstantiallyIdentical,
    forward_wash_check,
    identity_groups,
    match_wash_sales,
    wash_sale_result,
    wash_sale_rules,
    wash_sales,
)

CENT = 0.005


def sales(*rows, **common) -> pd.DataFrame:
    return pd.DataFrame([{**common, **r} for r in rows])


def acqs(*rows, **common) -> pd.DataFrame:
    return pd.DataFrame([{**common, **r} for r in rows])


def lots_of(acquisitions: pd.DataFrame) -> pd.DataFrame:
    """One open lot per acquisition (its lot_id is the acquisition's id)."""
    return pd.DataFrame({
        "account": acquisitions["account"], "symbol": acquisitions["symbol"],
        "quantity": acquisitions["quantity"], "cost_basis": acquisitions["cost"],
        "acquired": acquisitions["date"], "lot_id": acquisitions["acq_id"],
    })


def one(rows: pd.DataFrame, **match) -> pd.Series:
    m = rows
    for k, v in match.items():
        m = m[m[k] == v]
    assert len(m) == 1, m
    return m.iloc[0]


# --- the facts ---------------------------------------------------------------------------


def test_window_comes_from_the_sourced_rules():
    # Reg. 1.1091-1(a): "within a period beginning 30 days before the date of such sale or
    # disposition and ending 30 days after such date (referred to in this section as the
    # 61-day period)".
    rules = wash_sale_rules()
    assert rules.loc["window_days_before_sale", "value"] == "30"
    assert rules.loc["window_days_after_sale", "value"] == "30"
    assert rules.loc["window_days_before_sale", "source_id"].startswith("IRC-1091(a)")


# --- Pub 550 and the regulations, by hand --------------------------------------------------


def test_pub_550_wash_sales_example_1():
    # [VITA] "The taxpayer buys 100 shares of X stock for $1,000. The taxpayer sells these
    # shares for $750 and within 30 days from the sale buys 100 shares of the same stock for
    # $800. Because the taxpayer bought substantially identical stock, the taxpayer cannot
    # deduct the loss of $250 on the sale. However, the taxpayer adds the disallowed loss of
    # $250 to the cost of the new stock, $800, to obtain the basis in the new stock, which is
    # $1,050."
    # (Pub 550 words it "You buy 100 shares of X stock for $1,000. You sell these shares for
    # $750 and within 30 days from the sale you buy 100 shares of the same stock for $800...")
    # The example gives no dates; any inside the window will do.
    # By hand: loss = 1,000 - 750 = 250, all 100 shares replaced -> 250 disallowed, 0 allowed;
    # new basis = 800 + 250 = 1,050.
    s = sales({"sale_id": "S", "account": "T", "symbol": "X", "sale_date": "2025-03-10",
               "quantity": 100, "proceeds": 750.0, "cost_basis": 1000.0,
               "acquired": "2025-01-06"})
    a = acqs({"acq_id": "OLD", "date": "2025-01-06", "quantity": 100, "cost": 1000.0},
             {"acq_id": "NEW", "date": "2025-03-20", "quantity": 100, "cost": 800.0},
             account="T", symbol="X")
    res = match_wash_sales(s, a)
    row = one(res.rows, sale_id="S")
    assert row["loss"] == pytest.approx(250.0, abs=CENT)
    assert row["disallowed"] == pytest.approx(250.0, abs=CENT)
    assert row["allowed"] == pytest.approx(0.0, abs=CENT)
    assert row["code"] == "W"
    assert row["replacement_id"] == "NEW"  # not the sold shares' own purchase (OLD)
    assert not row["permanent"]
    adj = one(res.adjustments, replacement_id="NEW")
    assert adj["adjusted_cost"] == pytest.approx(1050.0, abs=CENT)
    # The same through the lots: only the replacement lot's basis moves.
    lots = lots_of(a[a["acq_id"] == "NEW"])
    res = match_wash_sales(s, a, lots=lots)
    assert res.adjusted_lots["cost_basis"].tolist() == pytest.approx([1050.0], abs=CENT)
    # Holding period (Pub 550: "Your holding period for the new stock or securities includes
    # the holding period of the stock or securities sold"): held 2025-01-06 -> 2025-03-10 =
    # 63 days, so the new shares count from 2025-03-20 - 63 days = 2025-01-16.
    assert res.adjusted_lots["holding_start"].iloc[0] == pd.Timestamp("2025-01-16")


def test_pub_550_more_or_less_stock_bought_than_sold_example_1():
    # [P550] "More or less stock bought than sold. If the number of shares of substantially
    # identical stock or securities you buy within 30 days before or after the sale is either
    # more or less than the number of shares you sold, you must determine the particular
    # shares to which the wash sale rules apply. You do this by matching the shares bought
    # with an equal number of the shares sold. Match the shares bought in the same order that
    # you bought them, beginning with the first shares bought. The shares or securities so
    # matched are subject to the wash sale rules."
    # Example 1 (figures of Pub 550 (2025)): you bought 100 shares of M stock on 2024-09-20
    # for $5,000; on 2024-12-13, 50 substantially identical shares for $2,750; on 2024-12-20,
    # 25 more for $1,125; on 2025-01-03 you sold the September 100 for $4,000. You cannot
    # deduct the loss on the 75 shares bought within 30 days before the sale; you can deduct
    # the loss on the other 25; the bases of the 50 and 25 shares are increased.
    # By hand: loss 5,000 - 4,000 = 1,000, $10 a share.
    #   75 shares replaced -> 75 x 10 = 750 disallowed; 25 x 10 = 250 allowed.
    #   50 shares of Dec 13: 2,750 + 50 x 10 = 3,250.  25 shares of Dec 20: 1,125 + 25 x 10
    #   = 1,375. (Same as Reg. 1.1091-2: old basis + new price - sale price: 50 x (50 + 55 -
    #   40) = 3,250 and 25 x (50 + 45 - 40) = 1,375.)
    s = sales({"sale_id": "JAN3", "account": "T", "symbol": "M", "sale_date": "2025-01-03",
               "quantity": 100, "proceeds": 4000.0, "cost_basis": 5000.0,
               "acquired": "2024-09-20"})
    a = acqs({"acq_id": "SEP20", "date": "2024-09-20", "quantity": 100, "cost": 5000.0},
             {"acq_id": "DEC13", "date": "2024-12-13", "quantity": 50, "cost": 2750.0},
             {"acq_id": "DEC20", "date": "2024-12-20", "quantity": 25, "cost": 1125.0},
             account="T", symbol="M")
    res = match_wash_sales(s, a, lots=lots_of(a[a["acq_id"] != "SEP20"]))
    rows = res.rows
    assert len(rows) == 3  # two matches and the unmatched remainder
    assert rows["loss"].sum() == pytest.approx(1000.0, abs=CENT)
    assert rows["disallowed"].sum() == pytest.approx(750.0, abs=CENT)
    assert rows["allowed"].sum() == pytest.approx(250.0, abs=CENT)
    assert one(rows, replacement_id="DEC13")["disallowed"] == pytest.approx(500.0, abs=CENT)
    assert one(rows, replacement_id="DEC20")["disallowed"] == pytest.approx(250.0, abs=CENT)
    rest = rows[rows["replacement_id"].isna()].iloc[0]
    assert (rest["quantity"], rest["code"]) == (25.0, "")
    assert rest["allowed"] == pytest.approx(250.0, abs=CENT)
    basis = res.adjusted_lots.set_index("lot_id")["cost_basis"]
    assert basis["DEC13"] == pytest.approx(3250.0, abs=CENT)
    assert basis["DEC20"] == pytest.approx(1375.0, abs=CENT)
    assert res.adjustments.set_index("replacement_id")["adjusted_cost"].to_dict() == \
        pytest.approx({"DEC13": 3250.0, "DEC20": 1375.0}, abs=CENT)


def test_pub_550_more_or_less_stock_bought_than_sold_example_2():
    # [P550] Example 2 (figures of Pub 550 (2025)): 100 shares of M stock bought 2024-09-16
    # for $2,000 and sold 2025-01-29 for $1,000; then 50 shares bought on each of
    # 2025-02-03, 02-04, 02-05 and 02-06. More shares were bought than sold, so the shares
    # bought first are matched: the 50 of Feb 3 and the 50 of Feb 4.
    # By hand: loss 2,000 - 1,000 = 1,000, $10 a share, all disallowed; 50 x 10 = 500 added
    # to each of the first two purchases; the last two are untouched. (The purchase price
    # does not change the disallowance; $500 per purchase is used here.)
    s = sales({"sale_id": "S", "account": "T", "symbol": "M", "sale_date": "2025-01-29",
               "quantity": 100, "proceeds": 1000.0, "cost_basis": 2000.0,
               "acquired": "2024-09-16"})
    a = acqs(*({"acq_id": f"FEB{d}", "date": f"2025-02-0{d}", "quantity": 50, "cost": 500.0}
               for d in (3, 4, 5, 6)), account="T", symbol="M")
    res = match_wash_sales(s, a, lots=lots_of(a))
    assert res.rows["disallowed"].sum() == pytest.approx(1000.0, abs=CENT)
    assert res.rows["allowed"].sum() == pytest.approx(0.0, abs=CENT)
    assert res.rows["replacement_id"].tolist() == ["FEB3", "FEB4"]
    basis = res.adjusted_lots.set_index("lot_id")["cost_basis"]
    assert basis.to_dict() == pytest.approx(
        {"FEB3": 1000.0, "FEB4": 1000.0, "FEB5": 500.0, "FEB6": 500.0}, abs=CENT)


def test_pub_550_loss_and_gain_on_same_day():
    # [P550] "Loss and gain on same day. Loss from a wash sale of one block of stock or
    # securities cannot be used to reduce any gains on identical blocks sold the same day.
    # Example. During 2007, you bought 100 shares of X stock on each of three occasions. You
    # paid $158 a share for the first block of 100 shares, $100 a share for the second block,
    # and $95 a share for the third block. On December 27, 2012, you sold 300 shares of X
    # stock for $125 a share. On January 9, 2013, you bought 250 shares of identical X stock.
    # You cannot deduct the loss of $33 a share on the first block because within 30 days
    # after the date of sale ..." (you bought 250 identical shares).
    # By hand: block 1 loses 158 - 125 = $33 a share, 100 x 33 = 3,300, all disallowed (100
    # of the 250 new shares replace it); blocks 2 and 3 gain 2,500 and 3,000 and are not
    # loss sales, so they appear in no row and nothing offsets them. 100 of the 250 new
    # shares get +3,300: 100 x 125 + 3,300 = 15,800; the other 150 keep 150 x 125 = 18,750.
    s = sales({"sale_id": "B1", "acquired": "2007-03-01", "proceeds": 12500.0,
               "cost_basis": 15800.0},
              {"sale_id": "B2", "acquired": "2007-06-01", "proceeds": 12500.0,
               "cost_basis": 10000.0},
              {"sale_id": "B3", "acquired": "2007-09-04", "proceeds": 12500.0,
               "cost_basis": 9500.0},
              account="T", symbol="X", sale_date="2012-12-27", quantity=100)
    a = acqs({"acq_id": "JAN9", "account": "T", "symbol": "X", "date": "2013-01-09",
              "quantity": 250, "cost": 31250.0})
    res = match_wash_sales(s, a, lots=lots_of(a))
    assert res.rows["sale_id"].tolist() == ["B1"]
    row = one(res.rows, sale_id="B1")
    assert (row["quantity"], row["replacement_quantity"]) == (100.0, 100.0)
    assert row["disallowed"] == pytest.approx(3300.0, abs=CENT)
    lots = res.adjusted_lots.set_index("lot_id")
    assert lots.loc["JAN9.1", ["quantity", "cost_basis"]].tolist() == pytest.approx(
        [100.0, 15800.0], abs=CENT)
    assert lots.loc["JAN9.2", ["quantity", "cost_basis"]].tolist() == pytest.approx(
        [150.0, 18750.0], abs=CENT)
    assert lots.loc["JAN9.2", "holding_start"] == pd.Timestamp("2013-01-09")


@pytest.mark.parametrize(("new_price", "basis"), [(90.0, 110.0), (70.0, 90.0)])
def test_reg_1_1091_2_basis_examples(new_price, basis):
    # [REG] 1.1091-2(a) Example 1: "A purchased a share of common stock of the X Corporation
    # for $100 in 1935, which he sold January 15, 1955, for $80. On February 1, 1955, he
    # purchased a share of common stock of the same corporation for $90. No loss from the
    # sale is recognized under section 1091. The basis of the new share is $110; that is, the
    # basis of the old share ($100) increased by $10, the excess of the price at which the
    # new share was acquired ($90) over the price at which the old share was sold ($80)."
    # Example 2: the same with a new price of $70: "The basis of the new share is $90; that
    # is, the basis of the old share ($100) decreased by $10".
    # By hand: disallowed 100 - 80 = 20; new basis = new price + 20 (110 or 90).
    s = sales({"account": "T", "symbol": "X", "sale_date": "1955-01-15", "quantity": 1,
               "proceeds": 80.0, "cost_basis": 100.0, "acquired": "1935-06-01"})
    a = acqs({"acq_id": "N", "account": "T", "symbol": "X", "date": "1955-02-01",
              "quantity": 1, "price": new_price})
    res = match_wash_sales(s, a, lots=lots_of(a.assign(cost=new_price)))
    assert res.rows["disallowed"].sum() == pytest.approx(20.0, abs=CENT)
    assert res.adjusted_lots["cost_basis"].iloc[0] == pytest.approx(basis, abs=CENT)
    # The new share keeps the 1935 holding period (IRC 1223(3)): 1935-06-01 + (1955-02-01 -
    # 1955-01-15 = 17 days) = 1935-06-18.
    assert res.adjusted_lots["holding_start"].iloc[0] == pd.Timestamp("1935-06-18")


# --- one account, by hand ------------------------------------------------------------------


def test_same_account_replacement_adjusts_basis_and_holding_start():
    # 100 shares bought 2024-02-01 for $5,000, sold 2025-01-15 for $4,200: loss $800 ($8 a
    # share). 100 bought back 2025-01-25 at $41 = $4,100 in the same account.
    # Basis 4,100 + 800 = 4,900. Held 2024-02-01 -> 2025-01-15 = 349 days (2024 is a leap
    # year: 366 days to 2025-02-01, less 17), so the new lot counts from 2025-01-25 - 349 =
    # 2024-02-11 and is long-term from 2025-02-12 rather than 2026-01-26.
    h = household(
        accounts={"T": "taxable"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 100, "price": 41.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 100, "cost_basis": 4100.0,
               "acquired": "2025-01-25", "lot_id": "L1"}],
        realized=[{"account": "T", "symbol": "VTI", "quantity": 100, "acquired": "2024-02-01",
                   "sold": "2025-01-15", "proceeds": 4200.0, "cost_basis": 5000.0,
                   "gain": -800.0}],
        as_of="2025-02-01")
    res = wash_sale_result(h)
    row = res.rows.iloc[0]
    assert (row["disallowed"], row["allowed"], row["basis_added"]) == pytest.approx(
        (800.0, 0.0, 800.0), abs=CENT)
    assert row["replacement_kind"] == "lot"  # no transactions: the lots are the purchases
    lot = res.adjusted_lots.iloc[0]
    assert lot["cost_basis"] == pytest.approx(4900.0, abs=CENT)
    assert lot["wash_sale_disallowed"] == pytest.approx(800.0, abs=CENT)
    assert lot["holding_start"] == pd.Timestamp("2024-02-11")
    assert long_term_date(lot["holding_start"]) == pd.Timestamp("2025-02-12")
    assert h.lots["cost_basis"].iloc[0] == 4100.0  # the household is not modified
    frame = wash_sales(h)
    assert list(frame.columns) == list(ROW_COLUMNS)
    assert frame["disallowed"].sum() == pytest.approx(800.0, abs=CENT)


def test_broker_reported_wash_is_not_added_twice():
    # The broker already reported $800 disallowed (box 1g, same account) and put it in the
    # replacement lot's basis (4,900). The engine finds the same 800 and adds nothing more.
    h = household(
        accounts={"T": "taxable"},
        lots=[{"account": "T", "symbol": "VTI", "quantity": 100, "cost_basis": 4900.0,
               "acquired": "2025-01-25", "holding_start": "2024-02-11",
               "wash_sale_disallowed": 800.0, "lot_id": "L1"}],
        realized=[{"account": "T", "symbol": "VTI", "quantity": 100, "acquired": "2024-02-01",
                   "sold": "2025-01-15", "proceeds": 4200.0, "cost_basis": 5000.0,
                   "gain": -800.0, "wash_sale_disallowed": 800.0}],
        as_of="2025-02-01")
    res = wash_sale_result(h)
    row = res.rows.iloc[0]
    assert (row["disallowed"], row["broker_reported"], row["basis_added"]) == pytest.approx(
        (800.0, 800.0, 0.0), abs=CENT)
    lot = res.adjusted_lots.iloc[0]
    assert lot["cost_basis"] == pytest.approx(4900.0, abs=CENT)
    assert lot["holding_start"] == pd.Timestamp("2024-02-11")


# --- across the household --------------------------------------------------------------------


def vxus_household(**kw):
    # Taxable sells 40 VXUS bought 2026-03-02 for $2,628.00 on 2026-10-28 for $2,400.00: a
    # $228.00 loss. The Roth IRA buys 30 VXUS on 2026-11-05 at $60.50.
    return household(
        accounts={"TAX": "taxable", "ROTH": "roth_ira"},
        positions=[{"account": "ROTH", "symbol": "VXUS", "quantity": 30, "price": 61.0}],
        lots=[{"account": "ROTH", "symbol": "VXUS", "quantity": 30, "cost_basis": 1815.0,
               "acquired": "2026-11-05", "lot_id": "R1"}],
        transactions=[{"date": "2026-11-05", "account": "ROTH", "action": "buy",
                       "symbol": "VXUS", "quantity": 30, "price": 60.5, "amount": -1815.0}],
        realized=[{"account": "TAX", "symbol": "VXUS", "quantity": 40, "acquired": "2026-03-02",
                   "sold": "2026-10-28", "proceeds": 2400.0, "cost_basis": 2628.0,
                   "gain": -228.0}],
        **kw)


def test_roth_ira_replacement_is_permanent_and_moves_no_basis():
    # Rev. Rul. 2008-5: the loss is disallowed and the IRA's basis is not increased.
    # By hand: $228 / 40 = $5.70 a share; 30 replaced -> 30 x 5.70 = $171.00 lost for good;
    # the other 10 -> $57.00 allowed. The Roth lot stays at $1,815.00.
    res = wash_sale_result(vxus_household())
    m = one(res.rows, replacement_account="ROTH")
    assert m["disallowed"] == pytest.approx(171.00, abs=CENT)
    assert bool(m["permanent"]) and m["basis_added"] == 0.0
    assert pd.isna(m["replacement_holding_start"])
    assert (m["replacement_tax_type"], m["code"]) == ("roth_ira", "W")
    rest = res.rows[res.rows["replacement_id"].isna()].iloc[0]
    assert (rest["quantity"], rest["allowed"]) == pytest.approx((10.0, 57.00), abs=CENT)
    assert (res.permanent, res.deferred, res.allowed) == pytest.approx((171.0, 0.0, 57.0),
                                                                       abs=CENT)
    lot = res.adjusted_lots.iloc[0]
    assert (lot["cost_basis"], lot["holding_start"]) == (1815.0, pd.Timestamp("2026-11-05"))


def test_spouse_account_replacement():
    # Pub 550: "If you sell stock and your spouse or a corporation you control buys
    # substantially identical stock, you also have a wash sale." Maya's taxable account sells
    # 10 VTI at $20 a share loss; Sam's taxable account buys 4 VTI 12 days later.
    # By hand: 4 x 20 = 80 disallowed, added to Sam's lot (4 x 250 + 80 = 1,080); 6 x 20 =
    # 120 allowed.
    h = household(
        accounts={"MAYA": "taxable", "SAM": "taxable"}, owners={"MAYA": "Maya", "SAM": "Sam"},
        lots=[{"account": "SAM", "symbol": "VTI", "quantity": 4, "cost_basis": 1000.0,
               "acquired": "2026-05-13", "lot_id": "S1"}],
        realized=[{"account": "MAYA", "symbol": "VTI", "quantity": 10, "acquired": "2025-02-03",
                   "sold": "2026-05-01", "proceeds": 2500.0, "cost_basis": 2700.0}],
        as_of="2026-06-01")
    res = wash_sale_result(h)
    m = one(res.rows, replacement_account="SAM")
    assert (m["owner"], m["disallowed"], bool(m["permanent"])) == ("Maya", pytest.approx(80.0),
                                                                   False)
    assert res.allowed == pytest.approx(120.0, abs=CENT)
    assert res.adjusted_lots["cost_basis"].iloc[0] == pytest.approx(1080.0, abs=CENT)


def test_dividend_reinvestment_is_a_replacement():
    # Taxable sells 50 VTI at a $4 a share loss on 2026-06-01; the same account reinvests a
    # dividend into 0.5 VTI on 2026-06-20. By hand: 0.5 x 4 = $2.00 disallowed, added to the
    # reinvested lot (0.5 x 240 = 120 -> 122); 49.5 x 4 = $198.00 allowed.
    h = household(
        accounts={"T": "taxable"},
        lots=[{"account": "T", "symbol": "VTI", "quantity": 0.5, "cost_basis": 120.0,
               "acquired": "2026-06-20", "lot_id": "DRIP"}],
        transactions=[{"date": "2026-06-20", "account": "T", "action": "reinvest",
                       "symbol": "VTI", "quantity": 0.5, "price": 240.0, "amount": -120.0}],
        realized=[{"account": "T", "symbol": "VTI", "quantity": 50, "acquired": "2025-01-10",
                   "sold": "2026-06-01", "proceeds": 12000.0, "cost_basis": 12200.0}],
        as_of="2026-07-01")
    res = wash_sale_result(h)
    m = one(res.rows, replacement_kind="reinvest")
    assert (m["replacement_quantity"], m["disallowed"]) == pytest.approx((0.5, 2.0), abs=CENT)
    assert res.allowed == pytest.approx(198.0, abs=CENT)
    assert res.adjusted_lots["cost_basis"].iloc[0] == pytest.approx(122.0, abs=CENT)


def k401_household(description="Fidelity 500 Index"):
    # The 401(k) payroll purchase has no symbol (Fidelity workplace rows): the loader writes
    # a contribution row and a buy row with the same source line, the fund in description.
    return household(
        accounts={"BRK": "taxable", "K": "401k"},
        positions=[{"account": "K", "symbol": "FXAIX", "description": "FIDELITY 500 INDEX",
                    "quantity": 100.0, "price": 200.0}],
        transactions=[
            {"date": "2026-04-15", "account": "K", "action": "contribution", "amount": 500.0,
             "description": description, "source_file": "k.csv", "source_line": 7},
            {"date": "2026-04-15", "account": "K", "action": "buy", "quantity": 2.5,
             "price": 200.0, "amount": -500.0, "description": description,
             "source_file": "k.csv", "source_line": 7}],
        realized=[{"account": "BRK", "symbol": "FXAIX", "quantity": 10, "acquired": "2025-11-03",
                   "sold": "2026-04-01", "proceeds": 1900.0, "cost_basis": 2000.0}],
        as_of="2026-05-01")


def test_401k_payroll_purchase_is_a_permanent_replacement():
    # 10 FXAIX sold at $10 a share loss; the 401(k) payroll purchase 14 days later buys 2.5
    # FXAIX ("Fidelity 500 Index" matches the position's "FIDELITY 500 INDEX" once case,
    # spaces and punctuation are ignored). By hand: 2.5 x 10 = $25.00 lost for good (a
    # 401(k) is tax-advantaged); 7.5 x 10 = $75.00 allowed.
    res = wash_sale_result(k401_household())
    m = one(res.rows, replacement_account="K")
    assert (m["replacement_kind"], m["replacement_symbol"]) == ("contribution_purchase",
                                                                "FXAIX")
    assert (m["disallowed"], bool(m["permanent"])) == (pytest.approx(25.0), True)
    assert res.allowed == pytest.approx(75.0, abs=CENT)


def test_unresolved_401k_fund_is_reported():
    with pytest.warns(UserWarning, match="could not be matched to a position"):
        res = wash_sale_result(k401_household(description="Some Other Fund"))
    assert res.disallowed == 0.0
    assert any("Some Other Fund" in w for w in res.warnings)


@pytest.mark.parametrize(("offset", "washed"),
                         [(-31, False), (-30, True), (0, True), (30, True), (31, False)])
def test_window_edges(offset, washed):
    # The 61-day period: sale day - 30 to sale day + 30, both included.
    day = pd.Timestamp("2026-03-15")
    s = sales({"account": "T", "symbol": "X", "sale_date": day, "quantity": 10,
               "proceeds": 900.0, "cost_basis": 1000.0, "acquired": "2024-01-02"})
    a = acqs({"account": "IRA", "symbol": "X", "date": day + pd.Timedelta(days=offset),
              "quantity": 10, "tax_type": "traditional_ira"})
    res = match_wash_sales(s, a)
    assert res.disallowed == (100.0 if washed else 0.0)


def test_two_losses_compete_for_one_replacement():
    # Reg. 1.1091-1(b): losses in the order of the sales; (e): a share that caused one
    # disallowance is not used again. A (Mar 1, $5 a share) is washed by the 100 shares of
    # Mar 10; B (Mar 5, $3 a share) finds none left: 500 disallowed, 300 allowed.
    s = sales({"sale_id": "B", "sale_date": "2026-03-05", "acquired": "2025-02-01",
               "proceeds": 700.0, "cost_basis": 1000.0},
              {"sale_id": "A", "sale_date": "2026-03-01", "acquired": "2025-06-01",
               "proceeds": 500.0, "cost_basis": 1000.0},
              account="T", symbol="X", quantity=100)
    a = acqs({"acq_id": "R", "account": "T", "symbol": "X", "date": "2026-03-10",
              "quantity": 100})
    rows = match_wash_sales(s, a).rows
    assert rows["sale_id"].tolist() == ["A", "B"]  # processed in sale order, not input order
    assert one(rows, sale_id="A")["disallowed"] == pytest.approx(500.0, abs=CENT)
    assert one(rows, sale_id="B")["allowed"] == pytest.approx(300.0, abs=CENT)
    # Same day: the order in which the sold shares were acquired decides (Reg. 1.1091-1(b)).
    same = s.assign(sale_date="2026-03-05")
    rows = match_wash_sales(same, a).rows
    assert one(rows, sale_id="B")["disallowed"] == pytest.approx(300.0, abs=CENT)  # 2025-02
    assert one(rows, sale_id="A")["disallowed"] == 0.0


def test_own_purchase_and_shares_sold_together_are_not_replacements():
    # 100 bought 2026-03-01 and sold at a loss 2026-03-10: the purchase is the shares sold.
    a = acqs({"acq_id": "P1", "date": "2026-03-01", "quantity": 100},
             {"acq_id": "P2", "date": "2026-03-05", "quantity": 50}, account="T", symbol="X")
    s = sales({"account": "T", "symbol": "X", "sale_date": "2026-03-10", "quantity": 100,
               "proceeds": 900.0, "cost_basis": 1000.0, "acquired": "2026-03-01"})
    assert match_wash_sales(s, a[a["acq_id"] == "P1"]).disallowed == 0.0
    # P2 (bought within 30 days, not sold) replaces 50 of the 100: 50 x $1 = $50.
    assert match_wash_sales(s, a).disallowed == pytest.approx(50.0, abs=CENT)
    # Both lots sold in one sale (P2 at a gain): no other shares, no wash sale.
    both = pd.concat([s, sales({"account": "T", "symbol": "X", "sale_date": "2026-03-10",
                                "quantity": 50, "proceeds": 500.0, "cost_basis": 480.0,
                                "acquired": "2026-03-05"})], ignore_index=True)
    assert match_wash_sales(both, a).disallowed == 0.0
    # Part of a purchase sold: the other shares of that purchase are "other" shares bought
    # within 30 days (the statute's reading): 40 sold at $2 loss, 60 kept -> 40 x 2 = $80.
    part = sales({"account": "T", "symbol": "X", "sale_date": "2026-03-10", "quantity": 40,
                  "proceeds": 320.0, "cost_basis": 400.0, "acquired": "2026-03-01"})
    rows = match_wash_sales(part, a[a["acq_id"] == "P1"]).rows
    assert (rows["replacement_quantity"].sum(), rows["disallowed"].sum()) == pytest.approx(
        (40.0, 80.0), abs=CENT)


def test_gains_and_tax_advantaged_sales_are_not_washed():
    s = sales({"sale_id": "GAIN", "proceeds": 1100.0, "cost_basis": 1000.0},
              {"sale_id": "IRA", "proceeds": 900.0, "cost_basis": 1000.0,
               "tax_type": "traditional_ira"},
              account="T", symbol="X", sale_date="2026-03-10", quantity=10)
    a = acqs({"account": "T", "symbol": "X", "date": "2026-03-12", "quantity": 10})
    res = match_wash_sales(s, a)
    assert res.rows.empty and list(res.rows.columns) == list(ROW_COLUMNS)


# --- substantially identical -----------------------------------------------------------------


def voo_ivv(**kw):
    s = sales({"account": "T", "symbol": "VOO", "sale_date": "2026-08-03", "quantity": 10,
               "proceeds": 5000.0, "cost_basis": 5300.0, "acquired": "2025-08-01"})
    a = acqs({"account": "T", "symbol": "IVV", "date": "2026-08-04", "quantity": 10})
    return match_wash_sales(s, a, **kw)


def test_same_index_policy():
    # VOO and IVV track the S&P 500: washed under same_index, not under same_security.
    assert voo_ivv().disallowed == 0.0
    assert voo_ivv(policy="same_index").disallowed == pytest.approx(300.0, abs=CENT)
    assert voo_ivv(policy=SubstantiallyIdentical("same_index")).rows["replacement_symbol"
                                                                     ].tolist() == ["IVV"]


def test_declared_groups():
    assert voo_ivv(groups=[["VOO", "IVV"]]).disallowed == pytest.approx(300.0, abs=CENT)
    keys = identity_groups(["VTI", "ITOT", "SCHB", "VTSAX"], "same_index",
                           groups=[["VTI", "ITOT"]])
    # VTI and VTSAX share an index; the group joins ITOT to them; SCHB stays apart.
    assert keys["VTI"] == keys["ITOT"] == keys["VTSAX"] != keys["SCHB"]
    plain = identity_groups(["VTI", "ITOT", "VTSAX"], groups=[["VTI", "ITOT"]])
    assert plain["VTI"] == plain["ITOT"] != plain["VTSAX"]


def test_household_settings_groups():
    h = household(
        accounts={"T": "taxable", "R": "roth_ira"},
        lots=[{"account": "R", "symbol": "ITOT", "quantity": 3, "cost_basis": 300.0,
               "acquired": "2026-08-10"}],
        realized=[{"account": "T", "symbol": "VTI", "quantity": 3, "acquired": "2025-01-02",
                   "sold": "2026-08-03", "proceeds": 600.0, "cost_basis": 690.0}],
        settings={"substantially_identical": [["VTI", "ITOT"]]}, as_of="2026-09-01")
    assert wash_sale_result(h).permanent == pytest.approx(90.0, abs=CENT)
    assert wash_sale_result(h, groups=[]).disallowed == 0.0


def test_identity_groups_cusip_and_active_funds():
    keys = identity_groups(["VOO", "922908363", "voo"])
    assert keys["VOO"] == keys["922908363"] == keys["voo"] == "VOO"
    idx = identity_groups(["FBND", "BND", "AGG", "VWEAX"], "same_index")
    assert idx["FBND"].startswith("index:active:")
    assert idx.nunique() == 4  # active funds match only themselves; BND and AGG differ
    assert identity_groups(["ZZZZ"], "same_index")["ZZZZ"] == "ZZZZ"  # unknown: itself


def test_bad_policy_and_groups():
    with pytest.raises(HouseholdError, match="same_security"):
        identity_groups(["VOO"], "same_fund")
    with pytest.raises(HouseholdError, match="list of symbol lists"):
        identity_groups(["VOO"], groups=["VOO", "IVV"])


def test_bad_frames():
    with pytest.raises(SchemaError, match="cost_basis"):
        match_wash_sales(pd.DataFrame({"account": ["T"], "symbol": ["X"],
                                       "sale_date": ["2026-01-02"], "quantity": [1],
                                       "proceeds": [1.0]}), acqs())
    with pytest.raises(SchemaError, match="after its sale date"):
        match_wash_sales(sales({"account": "T", "symbol": "X", "sale_date": "2026-01-02",
                                "quantity": 1, "proceeds": 1.0, "cost_basis": 2.0,
                                "acquired": "2026-02-01"}),
                         acqs({"account": "T", "symbol": "X", "date": "2026-01-03",
                               "quantity": 1}))


# --- forward-looking check -------------------------------------------------------------------


def forward_household():
    # as of 2026-11-20. TAX holds 50 VTI (2025-01-10) and 10 VTI bought 2026-11-10, and
    # reinvests VTI dividends quarterly; the Roth IRA bought 5 VTI on 2026-11-01; the 401(k)
    # holds VTSAX (same index as VTI) and gets a planned $1,000 contribution.
    return household(
        accounts={"TAX": "taxable", "ROTH": "roth_ira", "K": "401k"},
        positions=[
            {"account": "TAX", "symbol": "VTI", "quantity": 60.6, "price": 300.0},
            {"account": "ROTH", "symbol": "VTI", "quantity": 5, "price": 300.0},
            {"account": "K", "symbol": "VTSAX", "quantity": 100, "price": 150.0},
            {"account": "K", "symbol": "VBTLX", "quantity": 500, "price": 10.0},
            {"account": "K", "symbol": "CASH", "quantity": 1000, "price": 1.0}],
        lots=[
            {"account": "TAX", "symbol": "VTI", "quantity": 50, "cost_basis": 16000.0,
             "acquired": "2025-01-10", "lot_id": "OLD"},
            {"account": "TAX", "symbol": "VTI", "quantity": 10, "cost_basis": 2950.0,
             "acquired": "2026-11-10", "lot_id": "NEW"}],
        transactions=[
            *({"date": d, "account": "TAX", "action": "reinvest", "symbol": "VTI",
               "quantity": 0.2, "price": 290.0, "amount": -58.0}
              for d in ("2026-03-27", "2026-06-26", "2026-09-25")),
            {"date": "2026-11-10", "account": "TAX", "action": "buy", "symbol": "VTI",
             "quantity": 10, "price": 295.0, "amount": -2950.0},
            {"date": "2026-11-01", "account": "ROTH", "action": "buy", "symbol": "VTI",
             "quantity": 5, "price": 298.0, "amount": -1490.0}],
        contributions={"K": 1000.0}, as_of="2026-11-20")


def test_forward_check_lists_every_threat():
    h = forward_household()
    t = forward_wash_check(h, ["OLD"], policy="same_index")
    assert list(t.columns) == list(THREAT_COLUMNS)
    by = {(r.kind, r.account): r for r in t.itertuples()}
    assert set(by) == {("recent_purchase", "TAX"), ("recent_purchase", "ROTH"),
                       ("expected_reinvestment", "TAX"), ("scheduled_contribution", "K")}
    new = by[("recent_purchase", "TAX")]
    assert (new.quantity, new.dollars, new.permanent) == (10.0, 2950.0, False)
    assert new.safe_sell_date == pd.Timestamp("2026-12-11")  # 2026-11-10 + 31
    roth = by[("recent_purchase", "ROTH")]
    assert (roth.quantity, roth.permanent) == (5.0, True)
    drip = by[("expected_reinvestment", "TAX")]
    # Reinvested 03-27, 06-26, 09-25: gaps of 91 days -> next about 2026-12-25.
    assert drip.date == pd.Timestamp("2026-12-25") and drip.quantity == 0.2
    k = by[("scheduled_contribution", "K")]
    # VTSAX is 15,000 of the 401(k)'s 20,000 non-cash value: 1,000 x 0.75 = $750, 5 shares.
    assert (k.symbol, k.dollars, k.quantity, k.permanent) == ("VTSAX", 750.0, 5.0, True)
    assert (t["safe_buy_back_date"] == pd.Timestamp("2026-12-21")).all()  # 11-20 + 31


def test_forward_check_policy_and_own_shares():
    h = forward_household()
    # same_security: the 401(k)'s VTSAX is not VTI, so no contribution threat.
    t = forward_wash_check(h, [{"account": "TAX", "symbol": "VTI", "quantity": 50}])
    assert "scheduled_contribution" not in set(t["kind"])
    # Selling the new lot itself: its own purchase is not a threat; the Roth's still is.
    t = forward_wash_check(h, "NEW")
    recent = t[t["kind"] == "recent_purchase"]
    assert recent["account"].tolist() == ["ROTH"]
    # A planned sale in a tax-advantaged account has no loss to wash.
    t = forward_wash_check(h, [{"account": "ROTH", "symbol": "VTI"}])
    assert t.empty and t.attrs["warnings"] == [
        "planned sale #1 (ROTH VTI) is in a tax-advantaged account: no loss is recognised "
        "there, nothing to wash"
    ]
    with pytest.raises(HouseholdError, match="no open lot"):
        forward_wash_check(h, "NOPE")


def test_forward_check_counts_replacements_already_used():
    # A realised VTI loss of 2026-11-12 (8 shares) already used 8 replacement shares, the
    # earliest first (Reg. 1.1091-1(d), (e)): the Roth's 5 of 2026-11-01, then 3 of the 10
    # bought 2026-11-10 in TAX. Only TAX's other 7 can wash a new sale; the Roth's none.
    h = forward_household()
    h = h.replace(realized=pd.concat([h.realized, pd.DataFrame([{
        "account": "TAX", "symbol": "VTI", "quantity": 8.0, "acquired": pd.Timestamp(
            "2025-01-10"), "sold": pd.Timestamp("2026-11-12"), "proceeds": 2300.0,
        "cost_basis": 2560.0}])], ignore_index=True))
    t = forward_wash_check(h, ["OLD"])
    recent = t[t["kind"] == "recent_purchase"]
    assert recent["account"].tolist() == ["TAX"]
    assert recent["quantity"].tolist() == pytest.approx([7.0])
