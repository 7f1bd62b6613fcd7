"""Widget responsiveness: a slider move on the sample household.

Each move sets the US-equity slider, which auto-balances the other sliders, recomputes the
household drift and draws it (the first frame sent to the browser), then makes the waterfall
plan and draws the holdings after it (the second frame): only the moving bars are redrawn on
a kept background (blitting, ``FigureView.refresh(full=False)``); a full redraw happens when
an axis or legend must change. Reported: the time from the move to the drift's frame (the
slider's latency; aim: median and p90 under 150 ms) and to the plan's frame (the whole move).
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
    times, first = [], []
    shown: list[float] = []
    app.view.image.observe(lambda _: shown.append(time.perf_counter()), names="value")
    for v in values:
        shown.clear()
        t0 = time.perf_counter()
        app.sliders["us_equity"].value = v
        times.append(time.perf_counter() - t0)
        first.append(shown[0] - t0)
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
           drift_frame_median_ms=round(statistics.median(first) * 1000, 1),
           drift_frame_p90_ms=round(sorted(first)[int(0.9 * len(first))] * 1000, 1),
           median_ms=round(statistics.median(times) * 1000, 1),
           p90_ms=round(sorted(times)[int(0.9 * len(times))] * 1000, 1),
           max_ms=round(max(times) * 1000, 1),
           full_redraws=full, drift_ms=round(parts["drift"], 1),
           plan_ms=round(parts["plan"], 1), render_full_ms=round(parts["render_full"], 1),
           render_fast_ms=round(parts["render_fast"], 1), peak_rss_mb=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
