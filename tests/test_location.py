"""Asset location: tax drag worked by hand, the playbook, the placement LP and swaps.

Unless a test says otherwise the profile is the factories' default: married filing jointly,
2026, $185,000 of taxable ordinary income, no other investment income, a 5% state rate. Its
marginal rates (2026 MFJ brackets, Rev. Proc. 2025-32): ordinary income sits in the 22% band
($100,800-$211,400), so one more dollar of interest or non-qualified dividends costs
22% + 5% state = 27%; qualified dividends sit in the 15% band (0% only to $98,900 of taxable
income, 15% to $613,700), so 15% + 5% = 20%. MAGI = 185,000 + the $32,200 standard
deduction = $217,200, under the $250,000 NIIT threshold: no NIIT.

Security-master figures used (toolkit/data/securities.csv): BND yield 3.8%, ordinary; VTI
yield 1.2%, 95% qualified; VXUS yield 3.0%, 68% qualified, foreign tax 0.25%; VNQ yield
3.8%, 5% qualified; VTEB yield 3.0%, tax-exempt; VBIAX yield 2.24%, 31% qualified; HYG
yield 6.5%, ordinary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import household, profile
from toolkit import load_household
from toolkit.errors import PlanningError
from toolkit.location import (
    GROWTH_RANK,
    PLAYBOOK,
    SOURCES,
    location_report,
    optimal_placement,
    playbook,
    playbook_rule,
    tax_drag,
)
from toolkit.tax import marginal_rates

from .conftest import SAMPLES


def one(symbol, value=100_000.0, account_type="taxable", price=100.0, **kw):
    return household(accounts={"A": account_type},
                     positions=[{"account": "A", "symbol": symbol, "quantity": value / price,
                                 "price": price}], **kw)


def drag_of(h, symbol, **kw):
    d = tax_drag(h, **kw)
    return d.set_index("symbol").loc[symbol]


# --- tax drag ---------------------------------------------------------------------------------


def test_bond_fund_in_taxable_brief_example():
    # $100,000 of BND at 3.8%: $3,800 of interest x (22% + 5%) = $1,026.00 a year
    r = drag_of(one("BND"), "BND")
    assert r["distributions"] == 3800.00
    assert r["tax_rate"] == pytest.approx(0.27)
    assert r["tax"] == 1026.00
    assert r["foreign_tax_credit"] == 0.0
    assert r["drag"] == 1026.00


def test_broad_stock_fund_in_taxable():
    # VTI $100,000 at 1.2% = $1,200: 95% qualified at 15% + 5%, 5% ordinary at 27%
    # 1,200 x (0.95 x 0.20 + 0.05 x 0.27) = 1,200 x 0.2035 = $244.20
    r = drag_of(one("VTI"), "VTI")
    assert r["distributions"] == 1200.00
    assert r["tax_rate"] == pytest.approx(0.2035)
    assert r["drag"] == 244.20


def test_international_fund_recovers_foreign_tax_only_in_taxable():
    # VXUS $100,000 at 3.0% = $3,000; 3,000 x (0.68 x 0.20 + 0.32 x 0.27) = 3,000 x 0.2224
    # = $667.20 of tax, less the foreign tax credit 0.25% x 100,000 = $250.00: $417.20
    r = drag_of(one("VXUS"), "VXUS")
    assert r["tax"] == 667.20
    assert r["foreign_tax_credit"] == 250.00
    assert r["drag"] == 417.20
    ira = drag_of(one("VXUS", account_type="traditional_ira"), "VXUS")
    assert ira["tax"] == 0.0 and ira["foreign_tax_credit"] == 0.0 and ira["drag"] == 0.0
    assert ira["drag_if_taxable"] == 417.20


def test_reit_fund_is_mostly_ordinary():
    # VNQ $100,000 at 3.8% = $3,800; 3,800 x (0.05 x 0.20 + 0.95 x 0.27) = 3,800 x 0.2665
    assert drag_of(one("VNQ"), "VNQ")["drag"] == 1012.70


def test_muni_fund_pays_state_tax_only_by_default():
    # VTEB $100,000 at 3.0% = $3,000: no federal tax, no NIIT; 5% state = $150.00
    assert drag_of(one("VTEB"), "VTEB")["drag"] == 150.00
    # an in-state fund (or a state without income tax): nothing
    assert drag_of(one("VTEB"), "VTEB", rates={"tax_exempt": 0.0})["drag"] == 0.0


def test_balanced_fund_uses_its_look_through_character():
    # VBIAX $100,000 at 2.24% = $2,240; 2,240 x (0.31 x 0.20 + 0.69 x 0.27) = 2,240 x 0.2483
    # = $556.19 (556.192)
    assert drag_of(one("VBIAX"), "VBIAX")["drag"] == 556.19


@pytest.mark.parametrize("tax_type", ["traditional_ira", "roth_ira", "401k", "hsa", "403b",
                                      "roth_401k", "sep_ira"])
def test_no_drag_in_any_tax_advantaged_account(tax_type):
    r = drag_of(one("BND", account_type=tax_type), "BND")
    assert r["drag"] == 0.0 and r["tax"] == 0.0
    assert r["drag_if_taxable"] == 1026.00


def test_qualified_rate_is_not_the_long_term_gain_rate_under_a_loss_carryover():
    # A $1,200 long-term loss carryover absorbs the next dollar of long-term gain, so that
    # dollar reduces the loss deduction against ordinary income: marginal LT rate 27%. A
    # qualified dividend is never netted with capital losses: still 15% + 5% = 20%.
    p = profile(carryforward_long_term=1200.0)
    assert marginal_rates(p)["long_term"] == 0.27
    h = one("VTI", tax_profile=p)
    d = tax_drag(h)
    assert d.attrs["rates"] == {"ordinary": 0.27, "qualified": 0.2, "tax_exempt": 0.05}
    assert d.loc[0, "drag"] == 244.20


def test_niit_applies_to_distributions_above_the_threshold():
    # $300,000 ordinary: 24% band ($211,400-$403,550); MAGI 300,000 + 32,200 = $332,200 >
    # $250,000, so interest and dividends also pay the 3.8% NIIT. Ordinary: 24 + 3.8 + 5 =
    # 32.8%; qualified: 15 + 3.8 + 5 = 23.8%. BND: 3,800 x 0.328 = $1,246.40.
    # VTI: 1,200 x (0.95 x 0.238 + 0.05 x 0.328) = 1,200 x 0.2425 = $291.00
    p = profile(ordinary_income=300_000.0)
    h = household(accounts={"A": "taxable"}, tax_profile=p, positions=[
        {"account": "A", "symbol": "BND", "quantity": 1000, "price": 100.0},
        {"account": "A", "symbol": "VTI", "quantity": 1000, "price": 100.0}])
    d = tax_drag(h).set_index("symbol")
    assert d.attrs["rates"]["ordinary"] == 0.328
    assert d.attrs["rates"]["qualified"] == 0.238
    assert d.loc["BND", "drag"] == 1246.40
    assert d.loc["VTI", "drag"] == 291.00


def test_given_rates_override_the_profile():
    # ordinary 30%, qualified 15% (long_term is accepted as the qualified rate)
    # VTI: 1,200 x (0.95 x 0.15 + 0.05 x 0.30) = 1,200 x 0.1575 = $189.00
    h = one("VTI")
    assert drag_of(h, "VTI", rates={"ordinary": 0.30, "qualified": 0.15})["drag"] == 189.00
    assert drag_of(h, "VTI", rates={"ordinary": 0.30, "long_term": 0.15})["drag"] == 189.00
    with pytest.raises(PlanningError, match="unknown key"):
        tax_drag(h, rates={"dividend": 0.1})
    with pytest.raises(PlanningError, match=r"rates\['ordinary'\]"):
        tax_drag(h, rates={"ordinary": 1.5})


def test_unknown_yield_is_nan_in_taxable_and_zero_when_sheltered():
    h = household(accounts={"T": "taxable", "I": "roth_ira"}, positions=[
        {"account": "T", "symbol": "ZZZZ", "quantity": 10, "price": 10.0},
        {"account": "T", "symbol": "CASH", "quantity": 500, "price": 1.0},
        {"account": "I", "symbol": "ZZZZ", "quantity": 10, "price": 10.0}])
    d = tax_drag(h)
    assert d["drag"].isna().tolist() == [True, True, False]
    assert d.loc[2, "drag"] == 0.0
    assert d["drag"].sum() == 0.0


_SYMBOLS = ["BND", "VTI", "VXUS", "VNQ", "VTEB", "VBIAX", "HYG", "ZZZZ", "CASH", "SPAXX"]
_TYPES = ["taxable", "traditional_ira", "roth_ira", "401k", "hsa"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_SYMBOLS), st.sampled_from(_TYPES),
                          st.integers(1, 10_000_000)), min_size=1, max_size=8))
def test_drag_properties(holdings):
    accounts = {f"A{i}": t for i, (_, t, _) in enumerate(holdings)}
    rows = [{"account": f"A{i}", "symbol": s, "quantity": cents / 100.0, "price": 1.0}
            for i, (s, _, cents) in enumerate(holdings)]
    d = tax_drag(household(accounts=accounts, positions=rows))
    sheltered = d["treatment"] != "taxable"
    # nothing is taxed inside a tax-advantaged account; in taxable the drag is the drag
    assert (d.loc[sheltered, "drag"] == 0.0).all()
    assert (d.loc[sheltered, ["tax", "foreign_tax_credit"]] == 0.0).all().all()
    taxable = d[~sheltered]
    assert taxable["drag"].equals(taxable["drag_if_taxable"])
    # doubling every holding doubles every drag (to the cent)
    d2 = tax_drag(household(accounts=accounts, positions=[
        {**r, "quantity": 2 * r["quantity"]} for r in rows]))
    both = d["drag_if_taxable"].notna()
    assert np.allclose(d2.loc[both, "drag_if_taxable"], 2 * d.loc[both, "drag_if_taxable"],
                       atol=0.011)
    assert d2["drag_if_taxable"].isna().equals(d["drag_if_taxable"].isna())


def test_tax_drag_does_not_mutate_the_household():
    h = one("BND")
    before = h.positions.copy()
    tax_drag(h)
    pd.testing.assert_frame_equal(h.positions, before)


# --- playbook ---------------------------------------------------------------------------------


def test_playbook_table_has_a_reason_and_a_source_for_every_rule():
    t = playbook()
    assert len(t) == len(PLAYBOOK)
    assert t["reason"].str.len().gt(20).all()
    assert t["source"].str.contains("https://").all()
    assert {r.source for r in PLAYBOOK} <= set(SOURCES)
    assert set(t.set_index("key").loc[["bonds", "reits", "muni_bonds"], "avoid"]) == {
        "taxable", "tax_deferred, tax_free"}


def test_playbook_rule_prefers_the_sub_class():
    assert playbook_rule("bonds", "high_yield").key == "high_yield"
    assert playbook_rule("bonds", "us_aggregate_bond").key == "bonds"
    assert playbook_rule("us_equity").prefer[0] == "taxable"
    assert playbook_rule("bonds").prefer[0] == "tax_deferred"
    assert playbook_rule("multi_asset") is None


def test_flags_follow_the_playbook():
    h = household(accounts={"T": "taxable", "I": "traditional_ira"}, positions=[
        {"account": "T", "symbol": "BND", "quantity": 100, "price": 100.0},
        {"account": "T", "symbol": "HYG", "quantity": 50, "price": 100.0},
        {"account": "T", "symbol": "VTI", "quantity": 100, "price": 100.0},
        {"account": "T", "symbol": "VBIAX", "quantity": 100, "price": 100.0},
        {"account": "T", "symbol": "VTEB", "quantity": 100, "price": 100.0},
        {"account": "I", "symbol": "VTEB", "quantity": 20, "price": 100.0},
        {"account": "I", "symbol": "VNQ", "quantity": 100, "price": 100.0}])
    f = location_report(h, max_swaps=0).flags
    got = f[["account", "symbol", "asset_class", "market_value", "drag", "rule"]]
    # BND $10,000: 380 x 27% = 102.60; HYG $5,000 at 6.5% = 325 x 27% = 87.75;
    # VBIAX's bond part: 40% of $10,000, drag 40% of (224 x 0.2483 = 55.6192) = 22.25
    assert got.values.tolist() == [
        ["T", "BND", "bonds", 10_000.0, 102.60, "bonds"],
        ["T", "HYG", "bonds", 5_000.0, 87.75, "high_yield"],
        ["T", "VBIAX", "bonds", 4_000.0, 22.25, "bonds"],
        ["I", "VTEB", "muni_bonds", 2_000.0, 0.0, "muni_bonds"],
    ]
    assert f.loc[0, "prefer"] == "tax_deferred, tax_free, taxable"


# --- the linear programme ----------------------------------------------------------------------


def test_optimal_placement_fills_taxable_with_the_lowest_drag():
    rates = pd.DataFrame({"taxable": [0.01026, 0.002442, 0.004172]},
                         index=["bonds", "us_equity", "intl_equity"])
    p = optimal_placement(pd.Series({"bonds": 50.0, "us_equity": 100.0, "intl_equity": 50.0}),
                          pd.Series({"taxable": 150.0, "tax_deferred": 50.0}), rates)
    assert p.dollars.loc[["us_equity", "intl_equity", "bonds"], "taxable"].tolist() == [
        100.0, 50.0, 0.0]
    assert p.dollars.loc["bonds", "tax_deferred"] == 50.0
    assert p.drag == pytest.approx(100 * 0.002442 + 50 * 0.004172)
    assert p.current_drag is None and p.saving is None


def test_optimal_placement_keeps_the_current_placement_among_ties():
    cur = pd.DataFrame({"taxable": [0.0, 100.0], "tax_deferred": [100.0, 0.0]},
                       index=["a", "b"])
    p = optimal_placement(pd.Series({"a": 100.0, "b": 100.0}),
                          pd.Series({"taxable": 100.0, "tax_deferred": 100.0}),
                          pd.DataFrame(0.0, index=["a", "b"], columns=["taxable"]),
                          current=cur)
    pd.testing.assert_frame_equal(p.dollars, cur.rename_axis("asset_class"))
    assert p.saving == 0.0


def test_optimal_placement_growth_tie_break_fills_tax_free_with_stocks():
    cur = pd.DataFrame({"tax_deferred": [50.0, 0.0], "tax_free": [0.0, 50.0]},
                       index=["us_equity", "bonds"])
    p = optimal_placement(pd.Series({"us_equity": 50.0, "bonds": 50.0}),
                          pd.Series({"tax_deferred": 50.0, "tax_free": 50.0}),
                          pd.DataFrame(0.0, index=["us_equity", "bonds"],
                                       columns=["tax_deferred"]),
                          growth=GROWTH_RANK, current=cur)
    assert p.dollars.loc["us_equity", "tax_free"] == 50.0
    assert p.dollars.loc["bonds", "tax_deferred"] == 50.0


def test_optimal_placement_rejects_bad_input():
    r = pd.DataFrame(0.0, index=["a"], columns=["taxable"])
    with pytest.raises(PlanningError, match="must be equal"):
        optimal_placement(pd.Series({"a": 100.0}), pd.Series({"taxable": 90.0}), r)
    with pytest.raises(PlanningError, match="non-negative"):
        optimal_placement(pd.Series({"a": -1.0}), pd.Series({"taxable": -1.0}), r)


@st.composite
def _lp_case(draw):
    nc = draw(st.integers(1, 5))
    classes = [f"c{i}" for i in range(nc)]
    cur = np.array([[draw(st.floats(0, 1e6)) for _ in range(3)] for _ in range(nc)])
    rates = [draw(st.floats(-0.005, 0.05)) for _ in range(nc)]
    return classes, cur, rates


@settings(max_examples=60, deadline=None)
@given(_lp_case())
def test_optimal_placement_properties(case):
    classes, cur, rates = case
    treats = ["taxable", "tax_deferred", "tax_free"]
    current = pd.DataFrame(cur, index=classes, columns=treats)
    values, capacity = current.sum(axis=1), current.sum(axis=0)
    r = pd.DataFrame({"taxable": rates}, index=classes)
    p = optimal_placement(values, capacity, r, growth={c: i for i, c in enumerate(classes)},
                          current=current)
    # totals kept, nothing negative, never worse than now
    assert np.allclose(p.dollars.sum(axis=1), values, atol=0.02)
    assert np.allclose(p.dollars.sum(axis=0), capacity, atol=0.02)
    assert (p.dollars.to_numpy() >= 0).all()
    assert p.drag <= p.current_drag + 0.01  # a cent a year: HiGHS' tolerances
    # with zero drag outside taxable accounts the optimum fills taxable cheapest first
    left, greedy = capacity["taxable"], 0.0
    for c in sorted(classes, key=lambda c: r.loc[c, "taxable"]):
        take = min(left, values[c])
        greedy += take * r.loc[c, "taxable"]
        left -= take
    assert p.drag == pytest.approx(greedy, abs=0.01)


# --- the report on small households ------------------------------------------------------------


def two_accounts(bnd_basis=95_000.0):
    """Taxable: $100,000 of BND bought 2020 (basis given); traditional IRA: $100,000 of VTI."""
    return household(
        accounts={"T": "taxable", "I": "traditional_ira"},
        positions=[{"account": "T", "symbol": "BND", "quantity": 1000, "price": 100.0},
                   {"account": "I", "symbol": "VTI", "quantity": 250, "price": 400.0}],
        lots=[{"account": "T", "symbol": "BND", "quantity": 1000, "cost_basis": bnd_basis,
               "acquired": "2020-06-01", "lot_id": "B1"}])


def test_two_account_toy_household_worked_by_hand():
    rep = location_report(two_accounts())
    # now: BND in taxable, $1,026.00 a year. Best the sizes allow: VTI in taxable ($244.20),
    # BND in the IRA (0): saving 1,026.00 - 244.20 = $781.80
    assert rep.current_drag == 1026.00
    assert rep.best_drag == 244.20
    assert rep.saving == 781.80
    assert rep.best.dollars.loc["us_equity", "taxable"] == 100_000.0
    assert rep.best.dollars.loc["bonds", "tax_deferred"] == 100_000.0
    pl = rep.placement.set_index(["asset_class", "treatment"])
    assert pl.loc[("bonds", "taxable"), ["market_value", "share_of_class", "best_value",
                                          "change"]].tolist() == [100_000.0, 1.0, 0.0,
                                                                  -100_000.0]
    assert pl.loc[("bonds", "taxable"), "preferred"] == "tax_deferred"
    assert rep.by_tax_type.values.tolist() == [
        ["bonds", "taxable", "taxable", 100_000.0, 1.0],
        ["us_equity", "traditional_ira", "tax_deferred", 100_000.0, 1.0]]
    # one swap: sell BND in T and buy VTI there; in I sell VTI and buy BND. The BND lot
    # (basis $95,000, held since 2020: long-term) realises a $5,000 gain: 15% + 5% state =
    # $1,000.00 of tax, recovered in 1,000 / 781.80 = 1.28 years
    s = rep.swaps
    assert s[["account", "sell", "sell_class", "buy", "buy_class", "other_account",
              "other_sell", "other_buy"]].values.tolist() == [
        ["T", "BND", "bonds", "VTI", "us_equity", "I", "VTI", "BND"]]
    assert s.loc[0, "dollars"] == 100_000.0
    assert s.loc[0, "drag_recovered"] == 781.80
    assert s.loc[0, "tax_cost"] == 1000.00
    assert s.loc[0, "years_to_recover"] == 1.28
    assert s.loc[0, "note"] == ""


def test_three_classes_and_a_small_ira():
    # T taxable $150,000: BND 50,000 + VTI 100,000; I IRA $50,000 of VXUS.
    # Taxable must hold $150,000: the cheapest are VTI (0.2442%) and VXUS (0.4172%, from
    # its IRA holding since taxable holds none): best 244.20 + 50,000 x 0.004172 = 244.20 +
    # 208.60 = $452.80; now 50,000 x 1.026% + 244.20 = 513.00 + 244.20 = $757.20.
    h = household(
        accounts={"T": "taxable", "I": "traditional_ira"},
        positions=[{"account": "T", "symbol": "BND", "quantity": 500, "price": 100.0},
                   {"account": "T", "symbol": "VTI", "quantity": 1000, "price": 100.0},
                   {"account": "I", "symbol": "VXUS", "quantity": 500, "price": 100.0}],
        lots=[{"account": "T", "symbol": "BND", "quantity": 500, "cost_basis": 50_000.0,
               "acquired": "2020-06-01", "lot_id": "B1"},
              {"account": "T", "symbol": "VTI", "quantity": 1000, "cost_basis": 60_000.0,
               "acquired": "2020-06-01", "lot_id": "V1"}])
    rep = location_report(h)
    assert (rep.current_drag, rep.best_drag, rep.saving) == (757.20, 452.80, 304.40)
    s = rep.swaps
    assert s[["account", "sell", "buy", "other_account", "other_sell", "other_buy"]
             ].values.tolist() == [["T", "BND", "VXUS", "I", "VXUS", "BND"]]
    # no gain on BND (basis = value): no tax, recovered at once
    assert (s.loc[0, "drag_recovered"], s.loc[0, "tax_cost"], s.loc[0, "years_to_recover"]) \
        == (304.40, 0.0, 0.0)


def test_growth_tie_break_moves_stocks_into_the_roth_without_a_drag_swap():
    h = household(
        accounts={"T": "taxable", "D": "traditional_ira", "R": "roth_ira"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 1000, "price": 100.0},
                   {"account": "D", "symbol": "VTI", "quantity": 500, "price": 100.0},
                   {"account": "R", "symbol": "BND", "quantity": 500, "price": 100.0}])
    rep = location_report(h)
    assert rep.saving == 0.0
    pl = rep.placement.set_index(["asset_class", "treatment"])["change"]
    assert pl[("us_equity", "tax_free")] == 50_000.0
    assert pl[("bonds", "tax_deferred")] == 50_000.0
    assert rep.swaps.empty  # no drag to recover: nothing to rank


def test_swap_avoids_washing_its_own_loss_and_notes_the_plan_menu():
    # BND sells at a loss (basis $110,000 > $100,000): buying BND in the 401(k) within 30
    # days would wash that loss for good, so the 401(k) buys BND's first replacement, AGG,
    # and the 401(k) holds no AGG yet: check the plan menu. Of the $10,000 long-term loss
    # only $3,000 offsets ordinary income this year (IRC 1211(b)); the rest carries forward:
    # 3,000 x 27% = $810.00 saved.
    h = household(
        accounts={"T": "taxable", "K": "401k"},
        positions=[{"account": "T", "symbol": "BND", "quantity": 1000, "price": 100.0},
                   {"account": "K", "symbol": "VTI", "quantity": 250, "price": 400.0}],
        lots=[{"account": "T", "symbol": "BND", "quantity": 1000, "cost_basis": 110_000.0,
               "acquired": "2020-06-01", "lot_id": "B1"}])
    s = location_report(h).swaps
    assert s.loc[0, "other_buy"] == "AGG"
    assert s.loc[0, "tax_cost"] == -810.00
    assert s.loc[0, "years_to_recover"] == 0.0
    assert s.loc[0, "note"] == "check that AGG is on the K plan menu"


def test_swap_buys_around_a_recent_loss_and_warns_of_reinvestment():
    # VTI was sold at a loss in T on 2026-11-10 (10 days ago): buying VTI anywhere through
    # 2026-12-10 would wash it, so T buys VTI's first replacement ITOT. The IRA holds BND,
    # but BND sells at a loss in T (basis $101,000), so buying BND in the IRA would wash
    # that loss for good: it buys AGG. And the IRA reinvests BND dividends: the next
    # reinvestment would wash the loss too.
    h = household(
        accounts={"T": "taxable", "I": "traditional_ira"},
        positions=[{"account": "T", "symbol": "BND", "quantity": 1000, "price": 100.0},
                   {"account": "I", "symbol": "VTI", "quantity": 250, "price": 400.0},
                   {"account": "I", "symbol": "BND", "quantity": 10, "price": 100.0}],
        lots=[{"account": "T", "symbol": "BND", "quantity": 1000, "cost_basis": 101_000.0,
               "acquired": "2020-06-01", "lot_id": "B1"}],
        realized=[{"account": "T", "symbol": "VTI", "quantity": 10, "acquired": "2026-01-05",
                   "sold": "2026-11-10", "proceeds": 3900.0, "cost_basis": 4000.0,
                   "gain": -100.0, "term": "short"}],
        transactions=[{"date": "2026-10-01", "account": "I", "action": "reinvest",
                       "symbol": "BND", "quantity": 1.0, "price": 100.0, "amount": -100.0}])
    s = location_report(h).swaps
    assert s.loc[0, ["sell", "buy", "other_sell", "other_buy"]].tolist() == [
        "BND", "ITOT", "VTI", "AGG"]
    assert s.loc[0, "note"] == ("the BND loss could be washed by the expected dividend "
                                "reinvestment of BND in I (for good: a tax-advantaged "
                                "account)")


def test_swap_without_lots_has_an_unknown_tax_cost():
    h = household(
        accounts={"T": "taxable", "I": "traditional_ira"},
        positions=[{"account": "T", "symbol": "BND", "quantity": 1000, "price": 100.0},
                   {"account": "I", "symbol": "VTI", "quantity": 250, "price": 400.0}])
    s = location_report(h).swaps
    assert np.isnan(s.loc[0, "tax_cost"]) and np.isnan(s.loc[0, "years_to_recover"])
    assert s.loc[0, "note"] == "tax cost unknown: no lots of BND in account 'T'"


def test_pinned_classes_stay_and_an_empty_household_reports_nothing():
    h = household(accounts={"T": "taxable", "I": "roth_ira"}, positions=[
        {"account": "T", "symbol": "CASH", "quantity": 5000, "price": 1.0},
        {"account": "I", "symbol": "ZZZZ", "quantity": 10, "price": 10.0}])
    rep = location_report(h)
    assert rep.saving == 0.0 and rep.swaps.empty and rep.flags.empty
    assert rep.placement.set_index(["asset_class", "treatment"]).loc[
        ("cash", "taxable"), "best_value"] == 5000.0
    empty = household(accounts={"T": "taxable"})
    rep = location_report(empty)
    assert (rep.current_drag, rep.best_drag, rep.saving) == (0.0, 0.0, 0.0)


# --- the sample household ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return load_household(SAMPLES / "household" / "household.toml")


def test_sample_household_drag_and_flags(sample):
    # Rivera household: MFJ, $185,000 ordinary, 5% state, $4,800 qualified dividends and a
    # $1,200 long-term carryover: ordinary 27%, qualified 20% (see the carryover test).
    rep = location_report(sample)
    assert rep.rates == {"ordinary": 0.27, "qualified": 0.2, "tax_exempt": 0.05}
    d = rep.drag[rep.drag["account"] == "...456"].set_index("symbol")["drag"]
    # VTI 89,100 x 1.2% x 0.2035 = 217.58; VXUS 25,200 x 3% x 0.2224 - 0.25% x 25,200
    # = 168.13 - 63.00 = 105.13; BND 22,050 x 3.8% x 27% = 226.23; VNQ 11,040 x 3.8% x
    # 0.2665 = 111.80; SCHD 25,650 x 3.8% x (0.98 x 0.20 + 0.02 x 0.27) = 196.30
    assert d[["VTI", "VXUS", "BND", "VNQ", "SCHD"]].tolist() == [217.58, 105.13, 226.23,
                                                                  111.80, 196.30]
    assert np.isnan(d["PTY"]) and np.isnan(d["CASH"])
    assert float(d.sum()) == pytest.approx(857.04, abs=0.005)
    taxable_flags = rep.flags[rep.flags["treatment"] == "taxable"]
    assert taxable_flags[["account", "symbol", "drag"]].values.tolist() == [
        ["...456", "BND", 226.23], ["...456", "VNQ", 111.80]]
    # the bond swap: sell the $22,050 of BND (a loss: basis $23,847.50) for VTI; the
    # Rollover IRA sells FXAIX for the FXNAX it already holds. Recovered 22,050 x
    # (1.026% - 0.2442%) = 172.39. The sale is priced on the year-to-date profile
    # (toolkit.tax.profile_for): this year VXUS was sold at a $228 loss (40 shares, $5.70
    # each) of which the Roth's 30 shares bought back wash $171, and VTI's $140 loss is washed
    # whole, so the year already has a $57 net short-term loss. With the $1,200 long-term
    # carryover, $1,257 of the $3,000 loss limit is used before the swap; the $1,797.50 BND
    # loss deducts only the other $1,743 this year (the $54.50 rest carries forward):
    # 1,743 x (22% + 5%) = $470.61 saved.
    bnd = rep.swaps[rep.swaps["sell"] == "BND"].iloc[0]
    assert bnd[["account", "buy", "other_account", "other_sell", "other_buy"]].tolist() == [
        "...456", "VTI", "234567891", "FXAIX", "FXNAX"]
    assert (bnd["dollars"], bnd["drag_recovered"], bnd["tax_cost"]) == (22_050.0, 172.39,
                                                                        -470.61)
    assert "expected dividend reinvestment of BND in 12345678" in bnd["note"]
