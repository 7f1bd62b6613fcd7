"""The seed examples built in memory: the same figures as the hand-checked tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_lots import EXAMPLE_B
from tests.test_plan import example_a as factory_example_a
from toolkit import compare_methods, plan, reconcile
from toolkit.examples import EXAMPLE_B_CASH_NEED, example_a, example_b


def test_example_a_is_the_seed_household():
    h = example_a()
    assert h.as_of == pd.Timestamp("2026-11-20")
    assert (h.profile.filing_status, h.profile.year, h.profile.ordinary_income,
            h.profile.state_rate) == ("married_filing_jointly", 2026, 185_000.0, 0.05)
    assert h.targets.to_dict() == {"us_equity": 0.6, "bonds": 0.4}
    assert h.accounts[["account", "tax_type"]].values.tolist() == [["K", "401k"],
                                                                   ["T", "taxable"]]
    by = h.positions.groupby(["account", "asset_class"])["market_value"].sum()
    assert by.to_dict() == pytest.approx({("K", "us_equity"): 560_000.0,
                                          ("K", "bonds"): 140_000.0,
                                          ("T", "us_equity"): 90_000.0,
                                          ("T", "bonds"): 180_000.0, ("T", "cash"): 30_000.0})
    assert h.contributions == {"K": 1_000.0}
    assert reconcile(h)["trusted"].all()


def test_example_a_plan_trades_nothing_taxable():
    p = plan(example_a())
    t = p.trades
    assert t[["step", "account", "symbol", "side"]].values.tolist() == [
        [1, "K", "BND", "buy"], [1, "T", "BND", "buy"], [2, "K", "VTI", "sell"],
        [2, "K", "BND", "buy"]]
    assert t["amount"].tolist() == pytest.approx([1_000.0, 30_000.0, 49_400.0, 49_400.0])
    assert not ((t["account"] == "T") & (t["side"] == "sell")).any()
    assert p.summary.tax == 0.0
    assert p.summary.within_band is True
    # the same plan as the test factory's Example A
    want = plan(factory_example_a()).trades
    pd.testing.assert_frame_equal(t[["account", "symbol", "side", "amount", "step"]],
                                  want[["account", "symbol", "side", "amount", "step"]])


def test_example_a_naive_sells_in_the_taxable_account():
    t = plan(example_a(), mode="naive").trades
    assert set(t.loc[t["side"] == "sell", "account"]) == {"K", "T"}


@pytest.mark.parametrize(("short", "newer"), [(True, "2025-08-15"), (False, "2025-05-15")])
def test_example_b_compare_methods_matches_the_hand_figures(short, newer):
    h = example_b(newer_lot_short_term=short)
    assert h.lots.loc[h.lots["lot_id"] == "B", "acquired"].item() == pd.Timestamp(newer)
    cmp = compare_methods(h, "TAX", "VTI", dollars=EXAMPLE_B_CASH_NEED)
    assert list(cmp["method"]) == list(EXAMPLE_B[newer])
    got = {r.method: (round(r.short_term_gain, 2), round(r.long_term_gain, 2), round(r.tax, 2))
           for r in cmp.itertuples()}
    assert got == EXAMPLE_B[newer]
    assert cmp["proceeds"].tolist() == pytest.approx([20_000.0] * 6, abs=0.005)
    assert cmp["after_tax_proceeds"].round(2).tolist() == [
        round(20_000.0 - v[2], 2) for v in EXAMPLE_B[newer].values()]


def test_example_b_default_is_the_short_term_variant():
    assert example_b().name == "Seed Example B (newer lot short-term)"
    assert example_b(False).name == "Seed Example B (newer lot long-term)"
    assert example_b().lots["lot_id"].tolist() == ["A", "B"]
