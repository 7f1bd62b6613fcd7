"""Enums where strings are schema keys, declared once and tested over the whole enum."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from toolkit.errors import PlanningError
from toolkit.examples import EXAMPLE_B_CASH_NEED, example_a, example_b
from toolkit.history import rebuild_lots
from toolkit.planner import PlanMode, plan
from toolkit.planner.plan import PlanSummary
from toolkit.schema import ACCOUNTS, CostBasisMethod, TaxType
from toolkit.tax import LotSelection, select_lots

EMPLOYER_PLANS = {"401k", "roth_401k", "403b", "roth_403b", "457b"}


@pytest.mark.parametrize("tax_type", list(TaxType))
def test_is_employer_plan(tax_type):
    assert tax_type.is_employer_plan is (tax_type.value in EMPLOYER_PLANS)
    if tax_type.is_employer_plan:
        assert tax_type.tax_advantaged and not tax_type.is_ira


def test_the_accounts_frame_takes_its_relief_methods_from_the_enum():
    choices = {c.name: c.choices for c in ACCOUNTS.columns}["cost_basis_method"]
    assert choices == ("fifo", "lifo", "hifo", "average", "specific")
    assert choices == tuple(m.value for m in CostBasisMethod)


@pytest.mark.parametrize("method", list(CostBasisMethod))
def test_every_relief_method_replays(method):
    # Buy 10 at $100, 10 at $300, sell 5: fifo/specific (no realised rows: fifo fallback)
    # and average keep 15 shares; only the lots left differ.
    tx = [{"date": "2024-01-02", "account": "A", "action": "buy", "symbol": "VTI",
           "quantity": 10.0, "amount": -1_000.0},
          {"date": "2024-06-03", "account": "A", "action": "buy", "symbol": "VTI",
           "quantity": 10.0, "amount": -3_000.0},
          {"date": "2025-02-03", "account": "A", "action": "sell", "symbol": "VTI",
           "quantity": -5.0, "amount": 1_500.0}]
    r = rebuild_lots(pd.DataFrame(tx), methods={"A": method.value})
    assert r.lots["quantity"].sum() == 15.0
    # basis left: fifo/specific sell 5 of the $100 lot (4,000 - 500 = 3,500); lifo and hifo
    # 5 of the $300 lot (4,000 - 1,500 = 2,500); average 5 at $200 (4,000 - 1,000 = 3,000)
    want = {"fifo": 3_500.0, "specific": 3_500.0, "lifo": 2_500.0, "hifo": 2_500.0,
            "average": 3_000.0}[method.value]
    assert r.lots["cost_basis"].sum() == pytest.approx(want)


@pytest.mark.parametrize("method", [m for m in LotSelection if m is not LotSelection.SPECIFIC])
def test_every_lot_selection_prices_its_lots_to_the_cent(method):
    h = example_b()
    sel = select_lots(h, "TAX", "VTI", dollars=EXAMPLE_B_CASH_NEED, method=method.value)
    assert sel["quantity"].sum() == pytest.approx(80.0)  # $20,000 at $250
    assert sel.attrs["method"] == method.value
    assert round(sel["est_tax"].sum(), 2) == sel.attrs["tax"]


@pytest.mark.parametrize("mode", list(PlanMode))
def test_every_plan_mode_gives_a_typed_summary(mode):
    p = plan(example_a(), mode=mode)
    s = p.summary
    assert isinstance(s, PlanSummary)
    assert p.mode == mode.value == s.mode
    assert s.trades == len(p.trades)
    assert s.tax == p.tax_detail.total
    assert s.bought == round(float(p.trades.loc[p.trades["side"] == "buy", "amount"].sum()), 2)
    assert s.max_abs_drift_after == max(abs(v) for v in s.drift_after.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.tax = 0.0
    with pytest.raises(TypeError):
        s.drift_after["bonds"] = 0.0
    d = s.to_dict()
    assert list(d) == [f.name for f in dataclasses.fields(PlanSummary)]
    assert json.loads(json.dumps(d))["trades"] == s.trades
    assert p.to_json()["summary"]["tax"] == s.tax


def test_an_unknown_mode_names_the_modes():
    with pytest.raises(PlanningError) as exc:
        plan(example_a(), mode="fast")
    assert str(exc.value) == "mode='fast': expected one of waterfall, optimal, naive"
