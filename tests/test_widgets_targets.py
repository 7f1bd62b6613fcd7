"""The targets-and-drift app, driven by setting widget values in plain pytest."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import SAMPLES
from toolkit import drift, load_household
from toolkit.allocation import Band
from toolkit.planner import plan
from toolkit.widgets import TargetsApp, TargetsModel


@pytest.fixture(scope="module")
def h():
    return load_household(SAMPLES / "household" / "household.toml")


def test_model_auto_balance_in_proportion(h):
    m = TargetsModel(h)  # 45 / 15 / 35 / 5
    m.set_target("us_equity", 0.55)
    # the others share the remaining 45% in proportion to 15:35:5 (55 in all)
    assert m.targets == pytest.approx({"us_equity": 0.55, "intl_equity": 0.45 * 15 / 55,
                                       "bonds": 0.45 * 35 / 55, "reits": 0.45 * 5 / 55})
    assert sum(m.targets.values()) == pytest.approx(1.0, abs=1e-12)


def test_model_locks(h):
    m = TargetsModel(h)
    m.set_lock("bonds", True)
    m.set_target("us_equity", 0.50)
    # bonds stays 35; intl and reits share 15 in proportion 15:5
    assert m.targets["bonds"] == 0.35
    assert m.targets["intl_equity"] == pytest.approx(0.15 * 15 / 20)
    assert m.targets["reits"] == pytest.approx(0.15 * 5 / 20)
    m.set_lock("intl_equity", True)
    m.set_lock("reits", True)
    # everything else locked: us_equity takes exactly the room left
    m.set_target("us_equity", 0.9)
    assert m.targets["us_equity"] == pytest.approx(1 - 0.35 - m.targets["intl_equity"]
                                                   - m.targets["reits"])
    with pytest.raises(KeyError):
        m.set_target("gold", 0.1)


def test_model_when_others_are_zero(h):
    m = TargetsModel(h)
    m.set_target("us_equity", 1.0)
    assert m.targets == pytest.approx({"us_equity": 1.0, "intl_equity": 0.0, "bonds": 0.0,
                                       "reits": 0.0})
    m.set_target("us_equity", 0.6)  # the freed 40% is shared equally among zero weights
    assert m.targets == pytest.approx({"us_equity": 0.6, "intl_equity": 0.4 / 3,
                                       "bonds": 0.4 / 3, "reits": 0.4 / 3})


def test_app_slider_move_updates_drift_plan_and_chart(h):
    app = TargetsApp(h)
    png = app.view.image.value
    assert app.root.children[0].children[0].value == "<b>Target allocation</b>"
    app.sliders["us_equity"].value = 55.0
    t = app.model.validated()
    assert t["us_equity"] == pytest.approx(0.55)
    # the sliders show the auto-balanced values
    assert app.sliders["bonds"].value == pytest.approx(round(0.45 * 35 / 55 * 100, 4))
    want = drift(h, t, band=Band())
    pd.testing.assert_frame_equal(app.drift_frame, want)
    # the chart's bars are the new drifts, in percentage points, in place
    bars = app._drift_ax.containers[0]
    assert [p.get_width() for p in bars.patches] == pytest.approx((want["drift"] * 100).tolist())
    assert app.view.image.value != png
    # the plan summary is the core's plan for the new target
    p = plan(h, targets=t, band=Band())
    assert app.plan.summary.tax == p.summary.tax
    assert app.plan.trades[["account", "symbol", "side", "amount"]].equals(
        p.trades[["account", "symbol", "side", "amount"]])
    first = app.summary.value.split(" Outside the band now:")[0]
    assert first == (f"<b>Plan:</b> {p.summary.trades} trades, tax $0, turnover "
                     f"{p.summary.turnover:.1%}; within the band after the plan.")
    assert app.errors.last is None


def test_app_band_choice_and_lock_button(h):
    app = TargetsApp(h)
    app.band.value = "±5 percentage points"
    assert app.model.band == Band("absolute", absolute=0.05)
    assert app.drift_frame.loc["intl_equity", "lower"] == pytest.approx(0.10)
    app.locks["bonds"].value = True
    assert app.locks["bonds"].icon == "lock"
    app.sliders["us_equity"].value = 50.0
    assert app.model.targets["bonds"] == 0.35


def test_callback_errors_are_visible(h, monkeypatch):
    app = TargetsApp(h)

    def boom(**kw):
        raise RuntimeError("solver on fire")

    monkeypatch.setattr(app.model, "plan", boom)
    app.sliders["us_equity"].value = 50.0
    assert isinstance(app.errors.last, RuntimeError)
    assert app.errors.widget.value == (
        '<div style="color:#9c0006;background:#ffc7ce;padding:6px;border-radius:4px">'
        "<b>Could not update:</b> RuntimeError: solver on fire</div>")
    assert app.errors.widget.layout.display == ""
