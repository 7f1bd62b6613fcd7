"""The cadence app, driven by setting widget values in plain pytest (small runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLES
from toolkit import compare_policies, load_household, simulate
from toolkit.style import fmt_money_short
from toolkit.widgets import CadenceApp
from toolkit.widgets.cadence import POLICIES

KW = {"years": 2, "paths": 20}


@pytest.fixture(scope="module")
def h():
    return load_household(SAMPLES / "household" / "household.toml")


@pytest.fixture(scope="module")
def app(h):
    return CadenceApp(h, unclassified="bonds", **KW)


def test_table_is_compare_policies_on_the_same_paths(app, h):
    want = compare_policies(h, list(POLICIES.values()), seed=0, unclassified="bonds",
                            progress=False, **KW)
    pd.testing.assert_frame_equal(app.table, want)
    assert list(app.results) == list(POLICIES)
    assert app.status.value == "Simulated 6 policies, 2 years x 20 paths (seed 0)."
    assert app.errors.last is None


def test_charts_read_back(app, h):
    drift_ax, tax_ax, wealth_ax = app.drift_ax, app.tax_ax, app.wealth_ax
    r = simulate(h, POLICIES["Threshold (5/25)"], seed=0, unclassified="bonds",
                 progress=False, **KW)
    line = drift_ax.lines[2]
    assert line.get_label() == "Threshold (5/25)"
    assert np.asarray(line.get_ydata()) == pytest.approx(r.drift["p50"].to_numpy())
    assert len(drift_ax.collections) == 6
    # taxes and wealth as differences from the first policy (calendar, annual), each bar
    # labelled with the policy's own median
    for ax, col in ((tax_ax, "taxes_p50"), (wealth_ax, "ending_after_tax_p50")):
        v = app.table[col]
        assert [p.get_height() for p in ax.containers[0].patches] == pytest.approx(
            (v - v.iloc[0]).tolist())
        assert [t.get_text() for t in ax.texts] == [fmt_money_short(x) for x in v]
        assert ax.get_ylabel() == "difference from Calendar (annual)"
    assert [t.get_text() for t in tax_ax.get_xticklabels()] == list(POLICIES)


def test_rerun_with_the_same_policies_moves_the_artists_in_place(h):
    app = CadenceApp(h, unclassified="bonds", **KW)
    line = app.drift_ax.lines[0]
    png = app.view.image.value
    app.seed.value = 7
    app.run_button.click()
    assert app.drift_ax.lines[0] is line
    r = simulate(h, POLICIES["Calendar (annual)"], seed=7, unclassified="bonds",
                 progress=False, **KW)
    assert np.asarray(line.get_ydata()) == pytest.approx(r.drift["p50"].to_numpy())
    v = app.table["taxes_p50"]
    assert [p.get_height() for p in app.tax_ax.containers[0].patches] == pytest.approx(
        (v - v.iloc[0]).tolist())
    assert app.view.image.value != png


def test_ticking_policies_and_years(h):
    app = CadenceApp(h, unclassified="bonds", run=False, **KW)
    assert app.table is None
    for name, box in app.checks.items():
        box.value = name in ("Calendar (quarterly)", "Seed recommendation")
    app.years.value = 1
    app.run_button.click()
    want = compare_policies(h, [POLICIES["Calendar (quarterly)"],
                                POLICIES["Seed recommendation"]],
                            years=1, paths=20, seed=0, unclassified="bonds", progress=False)
    pd.testing.assert_frame_equal(app.table, want)
    assert [ln.get_label() for ln in app.view.axes[0].lines] == ["Calendar (quarterly)",
                                                                 "Seed recommendation"]
    assert len(app.results["Seed recommendation"].drift) == 12


def test_errors_are_visible(h):
    app = CadenceApp(h, **KW)  # PTY is unclassified and no class is chosen for it
    assert str(app.errors.last) == (
        "holdings the security master does not know (PTY) need returns to simulate: classify "
        "them under [securities] in the household file, or pass unclassified='<asset class>' "
        "to simulate them as that class")
    assert app.errors.widget.layout.display == ""
    app.unclassified.value = "bonds"
    for box in app.checks.values():
        box.value = False
    app.run_button.click()
    assert str(app.errors.last) == "tick at least one policy to simulate"
