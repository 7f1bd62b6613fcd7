"""Charts added for the apps, read back: harvest losses, drift paths, cadence bars."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mc
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLES
from toolkit import Calendar, SeedRecommendation, compare_policies, harvest, load_household
from toolkit.cadence import compare_results, simulate
from toolkit.plots import HARVEST_COLORS, plot_cadence, plot_drift_paths, plot_harvest


@pytest.fixture(scope="module")
def h():
    return load_household(SAMPLES / "household" / "household.toml")


@pytest.fixture(scope="module")
def sims(h):
    kw = {"years": 2, "paths": 10, "seed": 3, "unclassified": "bonds", "progress": False}
    return [simulate(h, Calendar("annual"), **kw), simulate(h, SeedRecommendation(), **kw)]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_harvest_bars_losses_status_colours_and_tax_labels(h):
    r = harvest(h)
    ax = plot_harvest(r)
    bars = ax.containers[0]
    assert [p.get_height() for p in bars.patches] == [2040.0, 620.0, 679.0]
    assert [p.get_facecolor()[:3] for p in bars.patches] == [
        mc.to_rgb(HARVEST_COLORS["wash_risk"]), mc.to_rgb(HARVEST_COLORS["harvest"]),
        mc.to_rgb(HARVEST_COLORS["harvest"])]
    assert [t.get_text() for t in ax.texts] == ["saves $471", "saves $167", "saves $183"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["BND\n...456", "PTY\n...456",
                                                            "VNQ\n...456"]
    ax = plot_harvest(r, mask_accounts=False)
    assert ax.get_xticklabels()[0].get_text() == "BND\n...456"  # already a masked id


def test_drift_paths_median_lines_and_bands(sims):
    ax = plot_drift_paths(sims)
    assert [ln.get_label() for ln in ax.lines] == [s.label for s in sims]
    for ln, s in zip(ax.lines, sims, strict=True):
        assert np.asarray(ln.get_ydata()) == pytest.approx(s.drift["p50"].to_numpy())
    assert len(ax.collections) == 2
    # the band spans p5..p95: its path's y values are exactly those columns
    ys = ax.collections[1].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(sims[1].drift["p5"].min())
    assert ys.max() == pytest.approx(sims[1].drift["p95"].max())
    ax = plot_drift_paths({"A": sims[0]})
    assert [ln.get_label() for ln in ax.lines] == ["A"]


def test_compare_results_is_the_compare_policies_table(h, sims):
    want = compare_policies(h, [Calendar("annual"), SeedRecommendation()], years=2, paths=10,
                            seed=3, unclassified="bonds", progress=False)
    got = compare_results(sims)
    pd.testing.assert_frame_equal(got, want)
    twice = compare_results([sims[0], sims[0]])
    assert list(twice.index) == [sims[0].label, f"{sims[0].label} #2"]
    with pytest.raises(ValueError, match="no results to compare"):
        compare_results([])


def test_cadence_bars_money_axis(sims):
    cmp = compare_results(sims)
    ax = plot_cadence(cmp, "taxes_p50", money=True)
    assert [p.get_height() for p in ax.containers[0].patches] == pytest.approx(
        cmp["taxes_p50"].tolist())
    assert ax.yaxis.get_major_formatter()(25_000, 0) == "$25k"
