"""Employer stock: NUA against an IRA rollover (toolkit.planning.nua), worked by hand.

The case is the sample's: 1,250 ACME shares at $68.40 = $85,500 in a 401(k) with a $22,500
plan cost basis, so NUA = $63,000 (§402(e)(4)). The owner is born 1969: 57 in 2026, under
59½. 2026 MFJ figures (Rev. Proc. 2025-32): 22% bracket to $211,400, 0% long-term rate to
$98,900 and 15% to $613,700 of taxable income, standard deduction $32,200, NIIT over
$250,000 of MAGI.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from tests.conftest import SAMPLES
from tests.factories import household, profile
from toolkit import load_household
from toolkit.errors import PlanningError
from toolkit.planning.nua import (
    COMPARISON_COLUMNS,
    nua_break_even,
    nua_comparison,
    nua_conditions,
    nua_inputs,
)
from toolkit.plots import plot_nua

CENT = 0.005


def acme(born=1969, ordinary=150_000.0, basis=22_500.0, **kw):
    """401(k) "K" with ACME 1,250 x $68.40 (basis $22,500) and $50,000 of a bond fund."""
    h = household(accounts={"K": "401k", "T": "taxable"}, owners={"K": "A", "T": "A"},
                  positions=[{"account": "K", "symbol": "ACME", "quantity": 1250.0,
                              "price": 68.40, "cost_basis": basis},
                             {"account": "K", "symbol": "BND", "quantity": 500.0,
                              "price": 100.0},
                             {"account": "T", "symbol": "VTI", "quantity": 10.0,
                              "price": 250.0}],
                  tax_profile=profile(ordinary_income=ordinary, state_rate=0.05,
                                      future_ordinary_rate=0.24), **kw)
    return h.replace(people={"A": {"name": "A", "birth_year": born}})


def test_inputs_and_early_tax():
    i = nua_inputs(acme(), account="K")
    assert (i["shares"], i["value"], i["basis"], i["nua"]) == (1250.0, 85_500.0, 22_500.0,
                                                                63_000.0)
    assert i["price"] == pytest.approx(68.40)
    assert i["age"] == 57 and i["early_tax"]
    assert i["early_tax_amount"] == 2_250.00  # 10% of the basis only, never of the NUA
    assert i["plan_other"] == 50_000.00
    # separated in 2026, in or after the year of turning 55 (2024): no early tax
    assert not nua_inputs(acme(), account="K", separation_year=2026)["early_tax"]
    # separated in 2023, before the year of turning 55: the 10% applies
    assert nua_inputs(acme(), account="K", separation_year=2023)["early_tax"]
    # 59½ or older (born 1960: 66 in 2026): none
    assert nua_inputs(acme(born=1960), account="K")["early_tax_amount"] == 0.0


def test_comparison_worked_example():
    """Tax now: 150,000 -> 172,500 stays in 22%: 4,950 federal + 5% state 1,125 = 6,075; MAGI
    150,000 + 32,200 + 22,500 = 204,700 < 250,000: no NIIT; plus the early tax 2,250 = 8,325.

    Sale rates (next year, 2026 tables, income 150,000): the 63,000 NUA at 15% = 9,450 and 5%
    state 3,150 -> 20%; MAGI 245,200 < 250,000: no NIIT.

    Year 0: NUA after tax 85,500 - 12,600 - 8,325 = 64,575.00. Rollover at 24%: 20,520 plus
    the 10% early tax on 85,500 (8,550: 57 years old, and the age-55 exception does not
    follow the money into an IRA) -> 56,430.00; advantage 8,145.00; break-even rate
    (12,600 + 8,325 - 8,550) / 85,500 = 0.144737.

    Year 5 at 6%: V5 = 85,500 x 1.06^5 = 114,418.2869; later growth 28,918.2869 taxed at 20%:
    tax at sale 12,600 + 5,783.6574 = 18,383.66; tax now grown 8,325 x 1.3382256 = 11,140.73;
    NUA 114,418.2869 - 18,383.6574 - 11,140.7279 = 84,893.90; rollover (62: no early tax)
    x 0.76 = 86,957.90; advantage -2,064.00.
    """
    c = nua_comparison(acme(), account="K", years=[0, 5], growth=0.06)
    assert list(c.columns) == list(COMPARISON_COLUMNS)
    y0, y5 = c.iloc[0], c.iloc[1]
    assert y0["tax_now"] == 8_325.00 and y0["early_tax"] == 2_250.00
    assert y0["tax_at_sale"] == 12_600.00
    assert y0["nua_after_tax"] == 64_575.00
    assert y0["rollover_early_tax"] == 8_550.00 and y0["rollover_tax"] == 29_070.00
    assert y0["rollover_after_tax"] == 56_430.00
    assert y0["advantage"] == 8_145.00 and y0["better"] == "NUA"
    assert y0["break_even_rate"] == pytest.approx(0.144737, abs=1e-6)
    assert y5["value_at_sale"] == 114_418.29 and y5["later_growth"] == 28_918.29
    assert y5["tax_at_sale"] == 18_383.66 and y5["tax_now_at_sale"] == 11_140.73
    assert y5["nua_after_tax"] == 84_893.90
    assert y5["rollover_early_tax"] == 0.0 and y5["rollover_after_tax"] == 86_957.90
    assert y5["advantage"] == -2_064.00 and y5["better"] == "rollover"
    assert y5["sale_year"] == 2031


def test_niit_assumption_on_nua():
    # NIIT 3.8% forced: with nua_niit the NUA pays it too (63,000 x 0.038 = 2,394.00)
    on = nua_comparison(acme(), account="K", years=[5], niit_rate=0.038).iloc[0]
    off = nua_comparison(acme(), account="K", years=[5], niit_rate=0.038,
                         nua_niit=False).iloc[0]
    assert on["tax_at_sale"] == 21_876.55  # 63,000 x 0.238 + 28,918.2869 x 0.238
    assert off["tax_at_sale"] == 19_482.55
    assert on["tax_at_sale"] - off["tax_at_sale"] == pytest.approx(2_394.00, abs=0.01)


def test_break_even_rate_makes_the_two_equal():
    c = nua_comparison(acme(), account="K", years=[1, 10], growth=0.05)
    for r in c.itertuples(index=False):
        again = nua_comparison(acme(), account="K", years=[r.years], growth=0.05,
                               future_ordinary_rate=r.break_even_rate).iloc[0]
        assert again["advantage"] == pytest.approx(0.0, abs=0.02)


def test_several_future_rates_give_blocks():
    c = nua_comparison(acme(), account="K", years=[0, 10], future_ordinary_rate=[0.22, 0.32])
    assert list(c["future_ordinary_rate"]) == [0.22, 0.22, 0.32, 0.32]
    # the NUA side does not depend on the future ordinary rate
    assert c["nua_after_tax"].iloc[0] == c["nua_after_tax"].iloc[2]
    assert c["advantage"].iloc[3] > c["advantage"].iloc[1]


def test_break_even_table():
    b = nua_break_even(acme(), account="K", years=[5, 10], growth=0.06,
                       future_ordinary_rate=0.24)
    assert list(b["years"]) == [5, 10]
    # at the break-even growth the advantage is zero
    for r in b.itertuples(index=False):
        c = nua_comparison(acme(), account="K", years=[r.years], growth=r.break_even_growth,
                           future_ordinary_rate=0.24).iloc[0]
        assert c["advantage"] == pytest.approx(0.0, abs=0.05)


def test_conditions():
    c = nua_conditions(acme(), account="K").set_index("condition")
    assert c.loc["Lump-sum distribution", "status"] == "required"
    assert c.loc["Lump-sum distribution", "detail"] == (
        "the whole balance of all the employer's plans of the same type in one tax year: "
        "the $50,000 of other holdings in K must also leave the plan that year (rolled to an "
        "IRA is fine); the employer stock comes out in kind"
    )
    assert c.loc["10% early-distribution tax", "status"] == "applies"
    assert c.loc["10% early-distribution tax", "detail"] == (
        "A is under 59½ in 2026 and did not separate from service in or after the year of "
        "turning 55: 10% early tax on the basis: $2,250.00 (on the basis only, never on the NUA)"
    )
    assert c.loc["NIIT on NUA", "status"] == "assumption"
    assert c.loc["Triggering event", "detail"] == (
        "A is 57 in 2026: the trigger must be separation from service (or death, or disability "
        "for the self-employed): separation from service, reaching 59½, death, or disability "
        "(self-employed only)"
    )
    c = nua_conditions(acme(), account="K", separation_year=2026).set_index("condition")
    assert c.loc["10% early-distribution tax", "status"] == "does not apply"


def test_errors():
    with pytest.raises(PlanningError, match="employer plan"):
        nua_inputs(acme(), account="T", symbol="VTI")
    with pytest.raises(PlanningError, match="no XYZ"):
        nua_inputs(acme(), account="K", symbol="XYZ")
    with pytest.raises(PlanningError, match="cost basis"):
        nua_inputs(acme(basis=None), account="K")
    with pytest.raises(PlanningError, match="years"):
        nua_comparison(acme(), account="K", years=[-1])


def test_sample_household_acme():
    h = load_household(SAMPLES / "household" / "household.toml")
    i = nua_inputs(h)
    assert (i["shares"], i["value"], i["basis"], i["nua"]) == (1250.0, 85_500.0, 22_500.0,
                                                                63_000.0)
    assert i["owner"] == "Alex" and i["age"] == 57
    c = nua_comparison(h, years=[0])
    # sample year-to-date: ordinary 185,000 less the 1,257 net capital loss deducted
    # (1,200 long-term carryforward + 57 short-term loss realised): 183,743 + 22,500 stays in
    # 22%: 4,950 + 5% state 1,125 = 6,075, plus 2,250 early tax
    assert c["tax_now"].iloc[0] == 8_325.00


def test_plot_nua_reads_back():
    c = nua_comparison(acme(), account="K", years=[0, 5, 10], future_ordinary_rate=[0.22, 0.32])
    ax = plot_nua(c, future_ordinary_rate=0.32)
    sel = c[c["future_ordinary_rate"] == 0.32]
    assert list(ax.lines[0].get_ydata()) == list(sel["nua_after_tax"])
    assert list(ax.lines[1].get_ydata()) == list(sel["rollover_after_tax"])
    assert list(ax.lines[0].get_xdata()) == [0, 5, 10]
    plt.close("all")
