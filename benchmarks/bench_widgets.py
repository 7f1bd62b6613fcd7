"""Widget responsiveness: a slider move on the sample household.

Each move sets the US-equity slider, which auto-balances the other sliders, recomputes the
household drift and the waterfall plan, updates the drift and location charts in place and
re-renders them into the image widget: only the moving bars are redrawn on a kept background
(blitting, ``FigureView.refresh(full=False)``); a full redraw happens when an axis or legend
must change. Aim: median and p90 under 150 ms.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from benchmarks._harness import peak_rss_mb, report
from toolkit import load_household
from toolkit.widgets import TargetsApp

HOUSEHOLD = Path(__file__).resolve().parents[1] / "data/samples/household/household.toml"


def main() -> None:
    h = load_household(HOUSEHOLD)
    app = TargetsApp(h)  # the first update pays for what is derived once per household
    values = [40.0 + 0.5 * i for i in range(40)]
    times = []
    for v in values:
        t0 = time.perf_counter()
        app.sliders["us_equity"].value = v
        times.append(time.perf_counter() - t0)
    assert app.errors.last is None
    full = app.view.renders - app.view.fast_renders
    parts = {}
    for name, fn in (("drift", app.model.drift), ("plan", app.model.plan),
                     ("render_full", lambda: app.view.refresh(full=True)),
                     ("render_fast", lambda: app.view.refresh(full=False))):
        ts = []
        for _ in range(10):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        parts[name] = statistics.median(ts) * 1000
    report("targets_slider_move", moves=len(times),
           median_ms=round(statistics.median(times) * 1000, 1),
           p90_ms=round(sorted(times)[int(0.9 * len(times))] * 1000, 1),
           max_ms=round(max(times) * 1000, 1),
           full_redraws=full, drift_ms=round(parts["drift"], 1),
           plan_ms=round(parts["plan"], 1), render_full_ms=round(parts["render_full"], 1),
           render_fast_ms=round(parts["render_fast"], 1), peak_rss_mb=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
