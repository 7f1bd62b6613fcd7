"""The targets-and-drift app, driven by setting widget values in plain pytest."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.conftest import SAMPLES
from tests.htmltables import header, rows
from toolkit import drift, load_household
from toolkit.allocation import Band
from toolkit.planner import plan
from toolkit.style import label
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
    bars = app.drift_ax.containers[0]
    assert [p.get_width() for p in bars.patches] == pytest.approx((want["drift"] * 100).tolist())
    assert app.view.image.value != png
    # the plan summary is the core's plan for the new target
    p = plan(h, targets=t, band=Band())
    assert app.plan.summary.tax == p.summary.tax
    assert app.plan.trades[["account", "symbol", "side", "amount"]].equals(
        p.trades[["account", "symbol", "side", "amount"]])
    first = app.summary.value.split(" Outside the band now:")[0]
    # tax -$471: the waterfall's loss harvest (step 3) of BND in the joint account
    assert first == ('<div class="tex2jax_ignore mathjax_ignore"><b>Plan:</b> '
                     f"{p.summary.trades} trades, tax -$471, turnover {p.summary.turnover:.1%}; within the band "
                     "after the plan.")
    # the drift table: classes by name, weights in percent, drift in points, band status;
    # unclassified holdings and cash held against a 0% target are not "outside band"
    assert header(app.drift_table.value) == ["class", "current", "target", "drift (pp)",
                                             "band"]
    assert rows(app.drift_table.value) == [
        [label(c), f"{r['current']:.1%}", f"{r['target']:.1%}", f"{r['drift'] * 100:+.1f} pp",
         {"unclassified": "unclassified", "cash": "no target"}.get(
             c, "outside band" if r["outside"] else "within band")]
        for c, r in want.iterrows()]
    assert rows(app.drift_table.value)[-2:] == [
        ["Unclassified", "0.6%", "0.0%", "+0.6 pp", "unclassified"],
        ["Cash", "3.7%", "0.0%", "+3.7 pp", "no target"]]
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


def test_slider_moves_redraw_only_the_bars_and_look_the_same(h):
    """A slider move redraws the bars on the kept background (blitting); the picture is
    exactly the one a full redraw of the same figure gives."""
    app = TargetsApp(h)
    app.sliders["us_equity"].value = 46.0
    fast_before = app.view.fast_renders
    app.sliders["us_equity"].value = 47.0
    assert app.view.fast_renders == fast_before + 2  # the drift's frame, then the plan's
    fast = np.asarray(Image.open(io.BytesIO(app.view.image.value)))
    app.view.refresh(full=True)
    full = np.asarray(Image.open(io.BytesIO(app.view.image.value)))
    assert fast.shape == full.shape
    assert np.array_equal(fast, full)
    # the bars moved: the drift chart shows the new drift of US equity
    d = app.drift_frame
    assert app.drift_ax.containers[0].patches[0].get_width() == pytest.approx(
        d.loc["us_equity", "drift"] * 100)


def test_a_move_shows_the_new_drift_before_the_plan_is_made(h):
    """Two frames per move: the first carries the new drift (the plan still the last one),
    the second the plan made for the new target."""
    app = TargetsApp(h)
    old_plan = app.plan
    frames = []
    app.view.image.observe(
        lambda ch: frames.append((app.drift_frame.loc["us_equity", "target"], app.plan)),
        names="value")
    app.sliders["us_equity"].value = 40.0
    assert len(frames) == 2
    (target_1, plan_1), (target_2, plan_2) = frames
    # the slider's 40% is the drift's target from the first frame on
    assert target_1 == pytest.approx(0.40)
    assert target_2 == pytest.approx(0.40)
    assert plan_1 is old_plan
    assert plan_2 is app.plan
    assert plan_2 is not old_plan
