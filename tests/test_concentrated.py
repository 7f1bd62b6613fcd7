"""Diversifying a concentrated holding (toolkit.planning.concentrated), worked by hand.

2026 MFJ: the 0% long-term rate reaches $98,900 of taxable income and 15% $613,700
(Rev. Proc. 2025-32); capital losses offset gains first, then up to $3,000 of ordinary
income (IRC §1211(b)).

The household: $90,000 of ordinary income, no state tax; a taxable account T holding 1,000
ACME at $100 in three lots (L1 400 sh at $20, L2 400 sh at $60, L3 200 sh at $120: a loss)
and $100,000 of BND. Total $200,000; a 10% target leaves $20,000 of ACME: sell 800 shares.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit.errors import PlanningError
from toolkit.planning.concentrated import DIVERSIFY_COLUMNS, diversify
from toolkit.plots import plot_diversify


def lot(account, symbol, quantity, basis, acquired, lot_id):
    return {"account": account, "symbol": symbol, "quantity": quantity, "cost_basis": basis,
            "acquired": acquired, "lot_id": lot_id}


def pos(account, symbol, quantity, price, basis=None):
    r = {"account": account, "symbol": symbol, "quantity": quantity, "price": price}
    if basis is not None:
        r["cost_basis"] = basis
    return r


def concentrated(bnd_basis=None, acme_account="taxable", **kw):
    lots = [lot("T", "ACME", 400, 8_000, "2015-01-05", "L1"),
            lot("T", "ACME", 400, 24_000, "2018-01-05", "L2"),
            lot("T", "ACME", 200, 24_000, "2020-01-06", "L3")]
    if bnd_basis is not None:
        lots.append(lot("T", "BND", 1000, bnd_basis, "2020-01-06", "B1"))
    return household(accounts={"T": "taxable", **({} if acme_account == "taxable" else
                                                  {"K": acme_account})},
                     positions=[pos("T" if acme_account == "taxable" else "K", "ACME", 1000,
                                    100.0, 56_000),
                                pos("T", "BND", 1000, 100.0, bnd_basis)],
                     lots=lots if acme_account == "taxable" else lots[3:],
                     tax_profile=profile(ordinary_income=90_000.0, state_rate=0.0), **kw)


def test_zero_rate_room_year_by_year():
    """Room under the 0% ceiling: 98,900 - 90,000 = 8,900 of net gain a year.

    2026: the L3 loss first (200 x -20 = -4,000) adds room: 12,900; then L2 (least gain per
    dollar, 40/sh): 12,900 / 40 = 322.5 -> 322 whole shares, gain 12,880; L1 (80/sh) gets
    20 / 80 -> 0. Sold 522; net gain 8,880: taxable income 98,880, all at 0%.
    2027: want 478 x 100 - 20,000 = 27,800 -> 278 sh: L2's last 78 (3,120), then L1
    5,780 / 80 = 72.25 -> 72 (5,760); gain 8,880; sold 150, 328 left.
    2028: want 128; 8,900 / 80 = 111.25 -> 111 sh (8,880); 217 left.
    2029: want 17 (21,700 - 20,000): 17 sh, gain 1,360; 200 left = 10%.
    2030: nothing left to sell.
    """
    p = diversify(concentrated(), "ACME", target_weight=0.10, years=5, bracket="ltcg_0",
                  harvest=False)
    assert list(p.columns) == list(DIVERSIFY_COLUMNS)
    assert list(p["year"]) == [2026, 2027, 2028, 2029, 2030]
    assert list(p["allowed_gain"][:4]) == [8_900.00, 8_900.00, 8_900.00, 8_900.00]
    assert list(p["shares_sold"]) == [522, 150, 111, 17, 0]
    assert list(p["long_term_gain"]) == [8_880.00, 8_880.00, 8_880.00, 1_360.00, 0.0]
    assert list(p["short_term_gain"]) == [0.0] * 5
    assert list(p["tax"]) == [0.0] * 5
    assert list(p["remaining_shares"]) == [478, 328, 217, 200, 200]
    assert p["weight"].iloc[3] == pytest.approx(0.10)
    assert p["lots"].iloc[0] == "T:L3 x 200; T:L2 x 322"
    assert p["basis_sold"].iloc[0] == 24_000 + 322 * 60
    assert p["unrealized_gain"].iloc[3] == 200 * 80  # L1's last 200 shares
    # later years use the 2026 tables: said once, on the first of them
    assert list(p["assumption"]) == [
        "", "no tables after 2026: the 2026 tables are used from 2027 on (bracket edges and "
        "thresholds not indexed for inflation)", "", "", ""]


def test_gains_budget():
    # budget 5,000 net: L3's -4,000 then 9,000 / 40 = 225 shares of L2 (9,000): net 5,000
    p = diversify(concentrated(), "ACME", target_weight=0.10, years=1, budget=5_000,
                  harvest=False)
    assert p["allowed_gain"].iloc[0] == 5_000.00
    assert p["shares_sold"].iloc[0] == 425
    assert p["long_term_gain"].iloc[0] == 5_000.00
    # 90,000 + 5,000 = 95,000 < 98,900: still 0%
    assert p["tax"].iloc[0] == 0.0


def test_fifteen_percent_ceiling_sells_everything_at_once():
    # 613,700 - 90,000 leaves room for every gain: 800 shares in 2026. Lots: L3 200 sh
    # (-4,000), L2 400 sh (16,000), L1 200 sh x 80 (16,000): net 28,000 on 118,000 of taxable
    # income: 98,900 - 90,000 = 8,900 at 0%, 19,100 at 15% = 2,865.00
    p = diversify(concentrated(), "ACME", target_weight=0.10, years=2, harvest=False)
    assert p["shares_sold"].iloc[0] == 800
    assert p["long_term_gain"].iloc[0] == 28_000.00
    assert p["tax"].iloc[0] == 2_865.00 and p["federal"].iloc[0] == 2_865.00
    assert p["shares_sold"].iloc[1] == 0


def test_harvested_losses_widen_the_room():
    """BND bought for 110,000, worth 100,000: a 10,000 long-term loss to harvest.

    With it realised the 0% room takes 18,900 of net ACME gain (taxable income 90,000 +
    18,900 - 10,000 = 98,900). L3 (-4,000) then all of L2 (16,000), then L1 6,900 / 80 = 86
    shares (6,880): net 18,880, sold 686. Tax with the harvest: taxable income 98,880, 0.
    Without it: 108,880 of taxable income, 9,980 above 98,900 at 15% = 1,497.00.
    """
    p = diversify(concentrated(bnd_basis=110_000), "ACME", target_weight=0.10, years=1,
                  bracket="ltcg_0")
    r = p.iloc[0]
    assert r["harvested_loss"] == 10_000.00
    assert r["allowed_gain"] == 18_900.00
    assert r["shares_sold"] == 686
    assert r["long_term_gain"] == 18_880.00
    assert r["tax"] == 0.0
    assert r["tax_without_harvest"] == 1_497.00
    no = diversify(concentrated(bnd_basis=110_000), "ACME", target_weight=0.10, years=1,
                   bracket="ltcg_0", harvest=False).iloc[0]
    assert no["allowed_gain"] == 8_900.00 and no["harvested_loss"] == 0.0


def test_short_term_lots_wait():
    h = household(accounts={"T": "taxable"},
                  positions=[pos("T", "ACME", 100, 100.0, 5_000), pos("T", "BND", 100, 100.0)],
                  lots=[lot("T", "ACME", 100, 5_000, "2026-06-01", "S1")],
                  tax_profile=profile(ordinary_income=90_000.0, state_rate=0.0))
    p = diversify(h, "ACME", target_weight=0.10, years=2, budget=100_000, harvest=False)
    # bought 2026-06-01: short-term on 2026-11-20, long-term on 2027-11-20
    assert p["shares_sold"].iloc[0] == 0 and "short-term" in p["assumption"].iloc[0]
    # household 20,000; 10% leaves 2,000 of ACME: sell 8,000 / 100 = 80 shares, gain 50 each
    assert p["shares_sold"].iloc[1] == 80
    assert p["long_term_gain"].iloc[1] == 4_000.00


def test_tax_advantaged_holding_sells_untaxed_with_an_nua_warning():
    p = diversify(concentrated(acme_account="401k"), "ACME", target_weight=0.10, years=2)
    assert p["shares_sold"].iloc[0] == 800 and p["tax"].iloc[0] == 0.0
    assert p["lots"].iloc[0] == "K: 800 sh (untaxed)"
    assert p["assumption"].iloc[0] == (
        "selling ACME inside the employer plan gives up the NUA treatment (see nua_comparison)")
    assert pd.isna(p["allowed_gain"].iloc[0])


def test_errors():
    h = concentrated()
    with pytest.raises(PlanningError, match="no XYZ"):
        diversify(h, "XYZ")
    with pytest.raises(PlanningError, match="gains ceiling"):
        diversify(h, "ACME", bracket=0.22)
    with pytest.raises(PlanningError, match="target_weight"):
        diversify(h, "ACME", target_weight=1.5)


def test_plot_diversify_reads_back():
    p = diversify(concentrated(), "ACME", target_weight=0.10, years=3, bracket="ltcg_0",
                  harvest=False)
    ax = plot_diversify(p)
    assert [b.get_height() for b in ax.containers[0].patches] == list(p["proceeds"])
    assert [b.get_height() for b in ax.containers[1].patches] == list(p["tax"])
    assert [t.get_text() for t in ax.texts] == ["23.9% left", "16.4% left", "10.8% left"]
    plt.close("all")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.floats(0, 60_000), years=st.integers(1, 4), tw=st.floats(0, 0.5))
def test_budget_is_respected_and_shares_never_oversold(budget, years, tw):
    p = diversify(concentrated(), "ACME", target_weight=tw, years=years, budget=budget,
                  harvest=False)
    net = p["long_term_gain"] + p["short_term_gain"]
    assert (net <= budget + 0.01).all()
    assert p["shares_sold"].sum() <= 1000
    assert (p["remaining_shares"] >= 0).all()
    assert p["remaining_shares"].is_monotonic_decreasing
    assert p["remaining_shares"].iloc[-1] == 1000 - p["shares_sold"].sum()
    # never below the target
    assert (p["remaining_shares"] * 100 >= tw * 200_000 - 100 - 1e-6).all()
