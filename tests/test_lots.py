"""Lot selection: methods, the seed's Example B by hand, and the errors a planner relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.factories import household, profile
from toolkit.errors import HouseholdError, PlanningError
from toolkit.tax.gains import gains_tax
from toolkit.tax.lots import compare_methods, select_lots


def vti_household(newer_acquired: str, **kw):
    """Example B: one lot bought eight years ago at a low basis, one bought about a year ago
    at a higher basis; VTI at $250; MFJ 2026, $185,000 ordinary taxable income, 5% state."""
    return household(
        accounts={"TAX": "taxable", "IRA": "traditional_ira"}, as_of="2026-06-15",
        positions=[{"account": "TAX", "symbol": "VTI", "quantity": 300.0, "price": 250.0}],
        lots=[{"account": "TAX", "symbol": "VTI", "quantity": 200.0, "cost_basis": 12_000.0,
               "acquired": "2018-06-11", "lot_id": "A"},
              {"account": "TAX", "symbol": "VTI", "quantity": 100.0, "cost_basis": 23_000.0,
               "acquired": newer_acquired, "lot_id": "B"}],
        tax_profile=profile(), **kw)


# Example B by hand. $20,000 at $250 = 80 shares. Lot A: $60/share, long-term. Lot B:
# $230/share; bought 2025-08-15 (10 months before 2026-06-15) it is short-term (long-term
# from 2026-08-16); bought 2025-05-15 (13 months) it is long-term (from 2026-05-16).
# Household: MFJ 2026, 185,000 taxable ordinary income (22% band: 100,800-211,400), 5% state,
# MAGI 185,000 + 32,200 = 217,200 (NIIT starts at 250,000; the largest gain below, 15,200,
# keeps MAGI at 232,400, under it).
# - FIFO / LOFO: 80 shares of A, gain 80 x 190 = 15,200 long-term: federal 15% = 2,280.00,
#   state 5% = 760.00, tax 3,040.00, after tax 16,960.00, 0.152 per dollar.
# - LIFO / HIFO: 80 shares of B, gain 80 x 20 = 1,600: short-term 22% = 352.00 + 80.00 =
#   432.00 (0.0216/$); long-term 15% = 240.00 + 80.00 = 320.00 (0.016/$).
# - average: 35,000 / 300 = 116.67/share; basis 80 x 116.666... = 9,333.33; gain 10,666.67,
#   long-term (holding period: first acquired = A): 1,600.00 + 533.33 = 2,133.33.
# - min_tax: tax per dollar A = 20% x 190/250 = 0.152; B = 27% x 20/250 = 0.0216 (short) or
#   20% x 20/250 = 0.016 (long): sells B, 432.00 or 320.00.
EXAMPLE_B = {
    # newer lot acquired: {method: (short-term gain, long-term gain, tax)}
    "2025-08-15": {"fifo": (0.0, 15_200.0, 3_040.00), "lifo": (1_600.0, 0.0, 432.00),
                   "hifo": (1_600.0, 0.0, 432.00), "lofo": (0.0, 15_200.0, 3_040.00),
                   "average": (0.0, 10_666.67, 2_133.33), "min_tax": (1_600.0, 0.0, 432.00)},
    "2025-05-15": {"fifo": (0.0, 15_200.0, 3_040.00), "lifo": (0.0, 1_600.0, 320.00),
                   "hifo": (0.0, 1_600.0, 320.00), "lofo": (0.0, 15_200.0, 3_040.00),
                   "average": (0.0, 10_666.67, 2_133.33), "min_tax": (0.0, 1_600.0, 320.00)},
}


@pytest.mark.parametrize("newer", list(EXAMPLE_B))
def test_example_b_every_method(newer):
    h = vti_household(newer)
    cmp = compare_methods(h, "TAX", "VTI", dollars=20_000)
    assert list(cmp["method"]) == ["fifo", "lifo", "hifo", "lofo", "average", "min_tax"]
    for _, row in cmp.iterrows():
        stg, ltg, tax = EXAMPLE_B[newer][row["method"]]
        assert row["shares"] == pytest.approx(80.0, abs=1e-9)
        assert row["proceeds"] == pytest.approx(20_000.0, abs=0.005)
        assert row["short_term_gain"] == pytest.approx(stg, abs=0.005)
        assert row["long_term_gain"] == pytest.approx(ltg, abs=0.005)
        assert row["tax"] == pytest.approx(tax, abs=0.005)
        assert row["after_tax_proceeds"] == pytest.approx(20_000.0 - tax, abs=0.005)
        assert row["tax_per_dollar"] == pytest.approx(tax / 20_000.0, abs=1e-9)
    # min_tax beats or equals every other method
    assert cmp.set_index("method")["tax"].min() == cmp.set_index("method").loc["min_tax", "tax"]
    sel = select_lots(h, "TAX", "VTI", dollars=20_000)
    assert list(sel["lot_id"]) == ["B"]
    assert sel.attrs["min_tax_order"] == "exact"
    assert sel["term"].item() == ("short" if newer == "2025-08-15" else "long")


def test_example_b_rows():
    sel = select_lots(vti_household("2025-08-15"), "TAX", "VTI", dollars=20_000, method="fifo")
    assert list(sel.columns) == ["lot_id", "account", "symbol", "acquired", "holding_start",
                                 "term", "quantity", "price", "proceeds", "basis_per_share",
                                 "cost_basis", "gain", "est_tax"]
    r = sel.iloc[0]
    assert (r["lot_id"], r["term"], r["quantity"], r["price"]) == ("A", "long", 80.0, 250.0)
    assert (r["proceeds"], r["cost_basis"], r["gain"], r["est_tax"]) == (
        20_000.0, 4_800.0, 15_200.0, 3_040.00)
    assert r["acquired"] == pd.Timestamp("2018-06-11")
    assert sel["acquired"].dtype == "datetime64[us]"
    avg = select_lots(vti_household("2025-08-15"), "TAX", "VTI", shares=80, method="average")
    assert avg["basis_per_share"].item() == pytest.approx(35_000 / 300, abs=1e-9)
    assert avg["lot_id"].item() == "A"


def four_lots(**kw):
    # price 100; lots (acquired, shares, basis/share): L1 2020 10 @ 50; L2 2021 10 @ 120;
    # L3 2022 10 @ 80; L4 2026-03-01 10 @ 90 (short-term at 2026-06-15)
    rows = [("L1", "2020-01-10", 50.0), ("L2", "2021-01-10", 120.0), ("L3", "2022-01-10", 80.0),
            ("L4", "2026-03-01", 90.0)]
    return household(
        accounts={"TAX": "taxable", "IRA": "roth_ira"}, as_of="2026-06-15",
        positions=[{"account": "TAX", "symbol": "VTI", "quantity": 40.0, "price": 100.0},
                   {"account": "IRA", "symbol": "VTI", "quantity": 40.0, "price": 100.0}],
        lots=[{"account": a, "symbol": "VTI", "quantity": 10.0, "cost_basis": 10 * b,
               "acquired": d, "lot_id": i} for a in ("TAX", "IRA") for i, d, b in rows],
        tax_profile=profile(), **kw)


@pytest.mark.parametrize(("method", "expected"), [
    # 25 shares: two whole lots and 5 shares of a third
    ("fifo", [("L1", 10.0), ("L2", 10.0), ("L3", 5.0)]),
    ("lifo", [("L4", 10.0), ("L3", 10.0), ("L2", 5.0)]),
    ("hifo", [("L2", 10.0), ("L4", 10.0), ("L3", 5.0)]),
    ("lofo", [("L1", 10.0), ("L3", 10.0), ("L4", 5.0)]),
    # min_tax: the loss lot L2 (-20/share) first; then gains by tax per dollar at the
    # household's marginal rates (LT 20%, ST 27%): L3 20% x 20/100 = 0.04, L4 27% x 10/100 =
    # 0.027, L1 20% x 50/100 = 0.10 -> L2, L4, L3
    ("min_tax", [("L2", 10.0), ("L4", 10.0), ("L3", 5.0)]),
])
def test_methods_order_and_partial_lots(method, expected):
    sel = select_lots(four_lots(), "TAX", "VTI", shares=25, method=method)
    assert list(zip(sel["lot_id"], sel["quantity"], strict=True)) == expected
    st = sel.loc[sel["term"].eq("short"), "gain"].sum()
    lt = sel.loc[sel["term"].eq("long"), "gain"].sum()
    assert sel["est_tax"].sum() == pytest.approx(gains_tax(profile(), st, lt).total, abs=1e-9)


def test_est_tax_split_by_term_and_gain():
    # HIFO 25 shares: L2 -200 LT, L4 +100 ST, L3 5 x 20 = +100 LT.
    # Schedule D: 7 = +100, 15 = -100, 16 = 0 -> no change in tax: T(100, -100) = 0.
    # Split between the terms (average of each term taken first and last):
    #   short-term = 1/2 [T(100, 0) - T(0, 0) + T(100, -100) - T(0, -100)]
    #              = 1/2 [27 (22% + 5% of 100) + 0 - (-27) (a 100 loss deducted)] = 27.00;
    #   long-term = 0 - 27 = -27.00, split by gain over the LT net of -100:
    #   L2 -200/-100 x -27 = -54.00, L3 100/-100 x -27 = 27.00.
    sel = select_lots(four_lots(), "TAX", "VTI", shares=25, method="hifo")
    assert list(sel["gain"]) == [-200.0, 100.0, 100.0]
    assert list(sel["est_tax"]) == [-54.00, 27.00, 27.00]
    assert sel.attrs["tax"] == 0.0
    # FIFO 25: L1 +500 LT, L2 -200 LT, L3 +100 LT: LT 400 at 15% + 5% = 80.00, split by gain:
    # 500/400 x 80 = 100.00, -200/400 x 80 = -40.00, 100/400 x 80 = 20.00
    sel = select_lots(four_lots(), "TAX", "VTI", shares=25, method="fifo")
    assert list(sel["est_tax"]) == [100.00, -40.00, 20.00]


def test_est_tax_sums_to_gains_tax_with_both_terms_and_cents():
    # LIFO 33.3 shares: L4 10 (+100 ST), L3 10 (+200 LT), L2 10 (-200 LT), L1 3.3 x 50 =
    # +165 LT
    sel = select_lots(four_lots(), "TAX", "VTI", shares=33.3, method="lifo")
    st = sel.loc[sel["term"].eq("short"), "gain"].sum()
    lt = sel.loc[sel["term"].eq("long"), "gain"].sum()
    assert (st, round(lt, 6)) == (100.0, 165.0)
    total = gains_tax(profile(), st, lt).total
    assert sel["est_tax"].sum() == pytest.approx(total, abs=1e-9)
    assert sel.attrs["tax"] == total
    assert all(round(x, 2) == x for x in sel["est_tax"])


def test_min_tax_is_exact_across_the_0_percent_threshold():
    # Single 2026, ordinary 40,000: marginal LT rate 0% (0% band to 49,450), ST 12%.
    # Lot A (2015) 1,000 shares at $10, long-term; lot B (2026-01-10) 1,000 at $95, short.
    # Price $100; sell $50,000 = 500 shares.
    # Greedy (marginal rates): A = 0% x 90/100 = 0 before B = 12% x 5/100 = 0.006 -> A:
    #   gain 45,000 LT; TI 85,000; 9,450 at 0%, 35,550 at 15% = 5,332.50.
    # All of B: gain 2,500 ST at 12% (TI 42,500 < 50,400) = 300.00.
    # Exact: x shares of A and 500 - x of B; A's gain stays at 0% while
    # 40,000 + 5 (500 - x) + 90 x <= 49,450, x <= 81.76; tax 12% x 5 x (500 - x).
    # Whole shares: x = 81: ST 2,095 x 12% = 251.40, TI 49,385 (all of A's 7,290 at 0%);
    # x = 82: TI 49,470, 20 at 15% = 3.00 + 12% x 2,090 = 250.80: 253.80. So 81 of A.
    h = household(
        accounts={"TAX": "taxable"}, as_of="2026-06-15",
        positions=[{"account": "TAX", "symbol": "VTI", "quantity": 2_000.0, "price": 100.0}],
        lots=[{"account": "TAX", "symbol": "VTI", "quantity": 1_000.0, "cost_basis": 10_000.0,
               "acquired": "2015-03-02", "lot_id": "A"},
              {"account": "TAX", "symbol": "VTI", "quantity": 1_000.0, "cost_basis": 95_000.0,
               "acquired": "2026-01-10", "lot_id": "B"}],
        tax_profile=profile(filing_status="single", ordinary_income=40_000.0, state_rate=0.0))
    sel = select_lots(h, "TAX", "VTI", dollars=50_000)
    assert sel.attrs["min_tax_order"] == "exact"
    assert sel[["lot_id", "quantity"]].values.tolist() == [["A", 81.0], ["B", 419.0]]
    assert sel.attrs["tax"] == 251.40
    assert gains_tax(h, short_term=2_095, long_term=7_290).total == 251.40
    greedy_tax = gains_tax(h, long_term=45_000).total
    assert greedy_tax == pytest.approx(5_332.50, abs=0.005)


def test_min_tax_takes_the_largest_loss_per_share_first():
    # Price 100. Losses: X -5/share (basis 105), Y -30/share (basis 130). Y first.
    h = household(
        accounts={"TAX": "taxable"}, as_of="2026-06-15",
        positions=[{"account": "TAX", "symbol": "VTI", "quantity": 20.0, "price": 100.0}],
        lots=[{"account": "TAX", "symbol": "VTI", "quantity": 10.0, "cost_basis": 1_050.0,
               "acquired": "2026-02-01", "lot_id": "X"},
              {"account": "TAX", "symbol": "VTI", "quantity": 10.0, "cost_basis": 1_300.0,
               "acquired": "2024-02-01", "lot_id": "Y"}])
    sel = select_lots(h, "TAX", "VTI", shares=12)
    assert list(zip(sel["lot_id"], sel["quantity"], strict=True)) == [("Y", 10.0), ("X", 2.0)]
    # ST -10, LT -300: deductible in full (under 3,000): 22% + 5% = 27% x 310 = -83.70
    assert sel.attrs["tax"] == pytest.approx(-83.70, abs=0.005)


def test_wash_sale_holding_start_counts():
    # Acquired 2026-04-01 (a replacement) but holding period tacked from 2024-01-02: long-term
    h = household(
        accounts={"TAX": "taxable"}, as_of="2026-06-15",
        positions=[{"account": "TAX", "symbol": "VTI", "quantity": 10.0, "price": 100.0}],
        lots=[{"account": "TAX", "symbol": "VTI", "quantity": 10.0, "cost_basis": 900.0,
               "acquired": "2026-04-01", "holding_start": "2024-01-02", "lot_id": "W"}])
    sel = select_lots(h, "TAX", "VTI", shares=10, method="fifo")
    assert sel["term"].item() == "long"
    assert sel["holding_start"].item() == pd.Timestamp("2024-01-02")


def test_specific_identification():
    h = four_lots()
    sel = select_lots(h, "TAX", "VTI", shares=14, method="specific", lot_ids=["L3", "L1"],
                      quantities=[4, 10])
    assert list(zip(sel["lot_id"], sel["quantity"], strict=True)) == [("L3", 4.0), ("L1", 10.0)]
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "VTI", shares=15, method="specific", lot_ids=["L3"])
    assert str(e.value) == "lots ['L3'] of VTI in account 'TAX' give 10 shares; 15 asked"
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "VTI", shares=5, method="specific", lot_ids=["L9"])
    assert str(e.value) == ("unknown lot id(s) ['L9'] for VTI in account 'TAX'; known: "
                            "L1, L2, L3, L4")
    with pytest.raises(PlanningError):
        select_lots(h, "TAX", "VTI", shares=5, method="specific")


def test_selling_more_than_held_names_account_symbol_held_and_asked():
    h = four_lots()
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "VTI", shares=41)
    assert str(e.value) == "cannot sell 41 shares of VTI in account 'TAX': 40 shares held"
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "VTI", dollars=4_500)
    assert str(e.value) == ("cannot sell $4,500.00 (45 shares at $100.00) of VTI in account "
                            "'TAX': 40 shares held")
    # selling everything is fine
    assert select_lots(h, "TAX", "VTI", dollars=4_000)["quantity"].sum() == 40.0


def test_argument_errors():
    h = four_lots()
    with pytest.raises(PlanningError):
        select_lots(h, "TAX", "VTI")
    with pytest.raises(PlanningError):
        select_lots(h, "TAX", "VTI", shares=1, dollars=100)
    with pytest.raises(PlanningError):
        select_lots(h, "TAX", "VTI", shares=-1)
    with pytest.raises(PlanningError):
        select_lots(h, "TAX", "VTI", shares=1, method="random")
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "BND", shares=1)
    assert str(e.value) == "no lots of BND in account 'TAX'"
    with pytest.raises(HouseholdError):
        select_lots(h, "NOPE", "VTI", shares=1)
    with pytest.raises(PlanningError):
        compare_methods(h, "TAX", "VTI", shares=1, methods=["specific"])


def test_price_from_positions_or_given():
    h = four_lots()
    assert select_lots(h, "TAX", "VTI", shares=1, method="fifo")["price"].item() == 100.0
    assert select_lots(h, "TAX", "VTI", shares=1, method="fifo", price=55.5)["price"].item() == 55.5
    h2 = household(accounts={"TAX": "taxable"}, lots=[
        {"account": "TAX", "symbol": "VTI", "quantity": 1.0, "cost_basis": 1.0,
         "acquired": "2020-01-01"}])
    with pytest.raises(PlanningError) as e:
        select_lots(h2, "TAX", "VTI", shares=1)
    assert str(e.value) == "no price for VTI in account 'TAX'; pass price="


def test_average_basis_only_for_ric_shares():
    h = household(
        accounts={"TAX": "taxable"},
        positions=[{"account": "TAX", "symbol": s, "quantity": 10.0, "price": 10.0}
                   for s in ("AAPL", "GLD")],
        lots=[{"account": "TAX", "symbol": s, "quantity": 10.0, "cost_basis": 50.0,
               "acquired": "2020-01-01"} for s in ("AAPL", "GLD")])
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "AAPL", shares=1, method="average")
    assert str(e.value) == (
        "AAPL in account 'TAX': average basis is allowed only for RIC shares (mutual funds and "
        "ETFs organised as regulated investment companies) and dividend-reinvestment-plan "
        "stock (Treas. Reg. 1.1012-1(e)); AAPL is not in the security master, so it is treated "
        "as a stock. Add it with vehicle etf or mutual_fund if it is a fund")
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "GLD", shares=1, method="average")
    assert str(e.value).endswith("GLD (gold) is a grantor trust holding the asset directly, "
                                 "not a RIC")
    # compare_methods leaves average out by default where it is not allowed
    assert "average" not in list(compare_methods(h, "TAX", "AAPL", shares=5)["method"])
    with pytest.raises(PlanningError):
        compare_methods(h, "TAX", "AAPL", shares=5, methods=["average"])


def test_tax_advantaged_account_realises_nothing():
    sel = select_lots(four_lots(), "IRA", "VTI", shares=25)  # min_tax falls back to FIFO
    assert list(sel["lot_id"]) == ["L1", "L2", "L3"]
    assert sel.attrs["min_tax_order"] == "fifo"
    assert list(sel["est_tax"]) == [0.0, 0.0, 0.0]
    assert sel.attrs["tax"] == 0.0


def test_lots_override_and_missing_basis():
    h = four_lots()
    mine = pd.DataFrame({"quantity": [5.0, 5.0], "cost_basis": [600.0, np.nan],
                         "acquired": pd.to_datetime(["2019-01-01", "2020-01-01"]),
                         "lot_id": ["P", "Q"]})
    sel = select_lots(h, "TAX", "VTI", shares=5, method="fifo", lots=mine)
    assert list(sel["lot_id"]) == ["P"] and sel["gain"].item() == -100.0
    with pytest.raises(PlanningError) as e:
        select_lots(h, "TAX", "VTI", shares=6, method="fifo", lots=mine)
    assert str(e.value) == ("lots of VTI in account 'TAX' have no cost basis (Q); the tax of a "
                            "sale cannot be estimated. Add the basis or pass lots= with it")
    with pytest.raises(PlanningError):
        select_lots(h, "TAX", "VTI", shares=1, method="min_tax", lots=mine)


def test_inputs_are_not_mutated():
    h = four_lots()
    before = h.lots.copy()
    select_lots(h, "TAX", "VTI", shares=25)
    compare_methods(h, "TAX", "VTI", shares=25)
    pd.testing.assert_frame_equal(h.lots, before)


def test_ten_thousand_lots():
    rng = np.random.default_rng(7)
    n = 10_000
    q = rng.uniform(1, 20, n).round(3)
    acq = pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 5_200, n), unit="D")
    lots = pd.DataFrame({"account": "TAX", "symbol": "VTI", "quantity": q,
                         "cost_basis": q * rng.uniform(80, 400, n), "acquired": acq,
                         "lot_id": [f"L{i}" for i in range(n)]})
    h = household(accounts={"TAX": "taxable"}, as_of="2026-06-15",
                  positions=[{"account": "TAX", "symbol": "VTI", "quantity": float(q.sum()),
                              "price": 250.0}], lots=lots.to_dict("records"))
    cmp = compare_methods(h, "TAX", "VTI", dollars=2_000_000)
    taxes = cmp.set_index("method")["tax"]
    assert taxes["min_tax"] == taxes.min()
    assert (cmp["shares"] - 8_000.0).abs().max() < 1e-6


def test_specific_takes_part_of_the_last_named_lot():
    sel = select_lots(four_lots(), "TAX", "VTI", shares=12, method="specific",
                      lot_ids=["L3", "L1"])
    assert list(zip(sel["lot_id"], sel["quantity"], strict=True)) == [("L3", 10.0), ("L1", 2.0)]
    with pytest.raises(PlanningError):
        select_lots(four_lots(), "TAX", "VTI", shares=5, method="specific", lot_ids=["L3"],
                    quantities=[11])
