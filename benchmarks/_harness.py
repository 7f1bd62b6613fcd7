"""Timing and memory helpers for the benchmark modules."""

from __future__ import annotations

import gc
import json
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn: Callable, *, repeat: int = 5, warmup: int = 1) -> dict:
    """Run ``fn`` ``warmup`` + ``repeat`` times; return median/min seconds and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "result": result}


def traced_peak_mb(fn: Callable) -> float:
    """Peak Python/NumPy heap allocation while running ``fn`` once, MiB (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


@contextmanager
def section(title: str):
    print(f"\n== {title}")
    yield


def report(name: str, **figures) -> None:
    """Print one benchmark's figures, human-readable and as a JSON line."""
    parts = []
    for k, v in figures.items():
        parts.append(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}")
    print(f"  {name}: " + ", ".join(parts))
    print("  JSON " + json.dumps({"benchmark": name, **figures}))
