"""The wash-sale calendar (toolkit.tax.calendar): what is blocked, until when, by which account.

Dates: as of 2026-11-20; a loss sale on day D blocks buying until D + 31 (the first safe day);
a purchase on day P blocks a loss sale until P + 31.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import SAMPLES
from tests.factories import household
from tests.test_harvest import buy, lot, pos
from toolkit import load_household
from toolkit.tax.calendar import CALENDAR_COLUMNS, wash_calendar

AS_OF = "2026-11-20"


def loss_sale(sold, quantity=10.0, proceeds=2_000.0, basis=2_500.0, account="TAX",
              symbol="VTI"):
    return {"account": account, "symbol": symbol, "quantity": quantity,
            "acquired": "2025-01-10", "sold": sold, "proceeds": proceeds,
            "cost_basis": basis, "term": "long"}


def base(**kw):
    """TAX holds 100 VTI (one 2023 lot); extra accounts, positions, lots, history in kw."""
    return household(accounts={"TAX": "taxable", **kw.pop("accounts", {})},
                     positions=[pos("TAX", "VTI", 100.0, 250.0), *kw.pop("positions", [])],
                     lots=[lot("TAX", "VTI", 100.0, 20_000.0, "2023-01-03", "L1"),
                           *kw.pop("lots", [])],
                     as_of=AS_OF, **kw)


def test_nothing_blocked_gives_an_empty_frame_with_the_columns():
    c = wash_calendar(base())
    assert list(c.columns) == list(CALENDAR_COLUMNS)
    assert len(c) == 0
    assert c["do_not_buy_until"].dtype == "datetime64[us]"


def test_recent_loss_sale_blocks_buying_until_sale_plus_31():
    c = wash_calendar(base(realized=[loss_sale("2026-11-05")]))
    assert len(c) == 1
    r = c.iloc[0]
    assert (r["group"], r["symbols"], r["do_not_buy_until"], r["buy_blocked_by"],
            r["loss_at_stake"]) == ("VTI", "VTI", pd.Timestamp("2026-12-06"), "TAX", 500.0)
    assert pd.isna(r["do_not_sell_at_loss_until"]) and pd.isna(r["sell_blocked_by"])
    assert r["note"] == ("Sold at a loss in TAX on 2026-11-05 ($500.00 not yet washed): do not "
                         "buy VTI in any account before 2026-12-06 (in an IRA, 401(k) or HSA "
                         "the loss would be lost for good).")


@pytest.mark.parametrize(("sold", "blocked"), [
    ("2026-10-21", True),   # day 30 after the sale is today: still in the window
    ("2026-10-20", False),  # 31 days ago: out of reach
])
def test_loss_sale_window_edge(sold, blocked):
    c = wash_calendar(base(realized=[loss_sale(sold)]))
    assert len(c) == int(blocked)


def test_washed_loss_blocks_nothing_more():
    # the loss of 10 shares sold 11-12 is fully washed by 10 shares the Roth bought on 11-10;
    # those shares are used up, so they do not block a new loss sale either
    h = base(accounts={"ROTH": "roth_ira"}, positions=[pos("ROTH", "VTI", 10.0, 250.0)],
             transactions=[buy("2026-11-10", "ROTH", "VTI", 10.0, 252.0)],
             realized=[loss_sale("2026-11-12")])
    assert len(wash_calendar(h)) == 0


def test_recent_purchase_blocks_loss_sales_and_says_where():
    # the Roth bought 4 VTI on 11-10 (not used by any loss): a loss sale of VTI in TAX before
    # 12-11 would be washed, for good
    h = base(accounts={"ROTH": "roth_ira"}, positions=[pos("ROTH", "VTI", 4.0, 250.0)],
             transactions=[buy("2026-11-10", "ROTH", "VTI", 4.0, 252.0)])
    c = wash_calendar(h)
    r = c.iloc[0]
    assert (r["group"], r["do_not_sell_at_loss_until"], r["sell_blocked_by"],
            r["sell_block_permanent"]) == ("VTI", pd.Timestamp("2026-12-11"), "ROTH", True)
    assert pd.isna(r["do_not_buy_until"]) and r["loss_at_stake"] == 0.0
    assert r["note"] == ("Bought VTI in ROTH on 2026-11-10: a loss sale before 2026-12-11 "
                         "would be washed (for good: a purchase is in a tax-advantaged "
                         "account).")


def test_purchase_in_the_same_taxable_account_counts():
    # TAX bought 5 more VTI on 11-01 (lot L2): selling the old lot at a loss would be washed
    h = base(positions=[], lots=[lot("TAX", "VTI", 5.0, 1_300.0, "2026-11-01", "L2")],
             transactions=[buy("2026-11-01", "TAX", "VTI", 5.0, 260.0)])
    r = wash_calendar(h).iloc[0]
    assert (r["do_not_sell_at_loss_until"], r["sell_blocked_by"],
            r["sell_block_permanent"]) == (pd.Timestamp("2026-12-02"), "TAX", False)


def test_policy_widens_the_group():
    # the 401(k) bought VTSAX (VTI's index) on 11-15
    h = base(accounts={"K": "401k"}, positions=[pos("K", "VTSAX", 10.0, 150.0)],
             transactions=[buy("2026-11-15", "K", "VTSAX", 10.0, 150.0)])
    assert len(wash_calendar(h)) == 0
    r = wash_calendar(h, policy="same_index").iloc[0]
    assert (r["group"], r["symbols"], r["do_not_sell_at_loss_until"], r["sell_blocked_by"]) == (
        "index:CRSP US Total Market", "VTI;VTSAX", pd.Timestamp("2026-12-16"), "K")
    # a declared group does the same under same_security
    r = wash_calendar(h, groups=[["VTI", "VTSAX"]]).iloc[0]
    assert r["do_not_sell_at_loss_until"] == pd.Timestamp("2026-12-16")


def test_contribution_is_an_ongoing_threat():
    h = base(accounts={"K": "401k"}, positions=[pos("K", "VTI", 10.0, 250.0)],
             contributions={"K": 500.0})
    r = wash_calendar(h).iloc[0]
    assert r["ongoing"] == "planned contribution to K (401k) buys VTI (date not given)"
    assert pd.isna(r["do_not_buy_until"]) and pd.isna(r["do_not_sell_at_loss_until"])


def test_rows_ordered_by_earliest_date():
    h = base(accounts={"ROTH": "roth_ira"},
             positions=[pos("TAX", "BND", 100.0, 70.0), pos("ROTH", "BND", 4.0, 70.0)],
             lots=[lot("TAX", "BND", 100.0, 7_500.0, "2022-01-03", "B1")],
             transactions=[buy("2026-11-18", "ROTH", "BND", 4.0, 70.0)],
             realized=[loss_sale("2026-11-02")])
    c = wash_calendar(h)
    assert c["group"].tolist() == ["VTI", "BND"]
    assert c["do_not_buy_until"].tolist()[0] == pd.Timestamp("2026-12-03")
    assert c["do_not_sell_at_loss_until"].tolist()[1] == pd.Timestamp("2026-12-19")


def test_sample_household_both_policies():
    h = load_household(SAMPLES / "household" / "household.toml")
    c = wash_calendar(h)
    # VXUS sold at a loss 2026-10-28 in the joint account: 30 of 40 shares washed by the Roth,
    # 10 (loss $57.00) still open until 11-28; BND's IRA reinvests (date unknown)
    assert c[["group", "do_not_buy_until", "loss_at_stake"]].values.tolist() == [
        ["VXUS", pd.Timestamp("2026-11-28"), 57.0], ["BND", pd.NaT, 0.0]]
    assert c["buy_blocked_by"].fillna("").tolist() == ["...456", ""]
    assert c["ongoing"].tolist() == [
        "", "reinvestment of BND in 12345678 (traditional_ira), date unknown"]
    ix = wash_calendar(h, policy="same_index")
    # under same_index the 401(k)'s VTIAX buys wash the rest of the VXUS loss; its buys of
    # 2026-11-13 block loss sales of both index groups until 12-14
    assert ix[["group", "symbols", "do_not_sell_at_loss_until",
               "sell_block_permanent"]].values.tolist() == [
        ["index:FTSE Global All Cap ex US", "VTIAX;VXUS", pd.Timestamp("2026-12-14"), True],
        ["index:S&P 500", "59515R401;FXAIX", pd.Timestamp("2026-12-14"), True],
        ["index:Bloomberg US Aggregate Float Adjusted", "BND", pd.NaT, False]]
    assert ix["sell_blocked_by"].fillna("").tolist() == ["87654", "87654", ""]
    assert ix["do_not_buy_until"].isna().all()
