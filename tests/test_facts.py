"""What a person is told about a plan's proceed-or-delay test (toolkit.facts.plan_decisions)."""

from __future__ import annotations

from tests.conftest import SAMPLES
from toolkit import load_household, plan
from toolkit.examples import example_b
from toolkit.facts import plan_decisions

SAMPLE_HOUSEHOLD = SAMPLES / "household" / "household.toml"


def test_example_b_says_what_it_left_undone_and_what_waiting_would_save():
    # Example B: $20,000 raised from the taxable account sells 80 VTI of lot B (bought
    # 2025-08-15, short-term: $1,600 gain, $432 of tax); long-term from 2026-08-16 it would
    # cost $320 (the seed's figures): waiting saves $432 - $320 = $112. US stocks stay above
    # the band: the taxable account has no fund it may buy for the underweight classes.
    p = plan(example_b(), contributions={"TAX": -20000})
    assert p.summary.tax == 432.0
    assert plan_decisions(p) == [
        "Price of drift: a taxable sale is made when its tax is at most $0.10 for each "
        "dollar it moves back toward the band.",
        "US stocks: $19,250 still above its band: no taxable account holding it has a fund "
        "it may buy for the underweight classes (a price, the menus and do-not-buy lists)",
        "New money of $29,615.38 would bring every class inside its band without a sale.",
        "1 short-term lot sold at a gain turns long-term by 2026-08-16: waiting would make "
        "the tax $320.00 instead of $432.00, a saving of $112.00."]


def test_a_gains_budget_is_named_and_nothing_left_undone_is_said():
    h = load_household(SAMPLE_HOUSEHOLD)
    assert plan_decisions(plan(h)) == [
        "Price of drift: a taxable sale is made when its tax is at most $0.10 for each "
        "dollar it moves back toward the band.",
        "Nothing was left undone."]
    assert plan_decisions(plan(h, gains_budget=0.0)) == [
        "Taxable sales were limited by the gains budget.", "Nothing was left undone."]
