"""The book on Dask: households per second, serial against 1 and 2 local workers.

A generated book (``toolkit.batch.generate_book``, small households: 2-3 accounts, 5-8
holdings, 20-40 lots, all five tasks) is run:

- serially in this process, and on a ``LocalCluster`` of 1 and of 2 worker processes (one
  thread each), over the same ``BENCH_BATCH_COMPARE`` households (default 250): the ratios
  (Dask's overhead at 1 worker against serial, aim under 10%; speed-up from 1 to 2 workers,
  aim at least 1.8x) come from the same households;
- on 2 workers over the whole book of ``BENCH_BATCH_N`` households (default 1,000): the
  rate, the time to the first household back, each worker's peak memory, and the projected
  time for 10,000 households at that rate.

Clusters are started and warmed (each worker runs a few households first) before the timed
runs; the start-up is reported on its own. Set ``BENCH_BATCH_SIZE=realistic`` for
2-9 accounts, 5-60 holdings and 20-2,000 lots per household.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from distributed import Client

from benchmarks._harness import peak_rss_mb, report
from toolkit.batch import generate_book, load_book, local_cluster, run
from toolkit.batch.book import Book

N = int(os.environ.get("BENCH_BATCH_N", "1000"))
COMPARE = min(N, int(os.environ.get("BENCH_BATCH_COMPARE", "250")))
SIZE = os.environ.get("BENCH_BATCH_SIZE", "small")
WARM = 2  # households per worker before timing


def _sub(book: Book, start: int, n: int) -> Book:
    return Book(book.root, book.entries[start:start + n], book.source)


def _worker_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _dask(book: Book, workers: int, warm: Book) -> dict:
    t0 = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        startup = time.perf_counter() - t0
        run(warm, client=client, progress=False)
        r = run(book, client=client, progress=False)
        peaks = client.run(_worker_peak_mb)
    assert r.failures.empty, r.failures
    return {"seconds": r.timings["seconds"], "rate": r.timings["households_per_second"],
            "first_result_s": r.timings["first_result_s"], "startup_s": round(startup, 2),
            "peak_worker_mb": round(max(peaks.values()), 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        g = generate_book(Path(d) / "book", N + 2 * WARM, seed=1000, size=SIZE)
        report("generate_book", households=N + 2 * WARM, size=SIZE,
               seconds=round(time.perf_counter() - t0, 1))
        book = load_book(g.path)
        warm, full = _sub(book, 0, 2 * WARM), _sub(book, 2 * WARM, N)
        compare = _sub(full, 0, COMPARE)

        run(_sub(book, 0, WARM), serial=True, progress=False)
        serial = run(compare, serial=True, progress=False)
        assert serial.failures.empty, serial.failures
        s_rate = serial.timings["households_per_second"]
        one = _dask(compare, 1, warm)
        two = _dask(compare, 2, warm)
        report("batch_compare", households=COMPARE, serial_hh_per_s=round(s_rate, 3),
               dask1_hh_per_s=round(one["rate"], 3), dask2_hh_per_s=round(two["rate"], 3),
               dask1_overhead_pct=round((s_rate / one["rate"] - 1) * 100, 1),
               speedup_1_to_2=round(two["rate"] / one["rate"], 2),
               serial_s=serial.timings["seconds"], dask1_s=one["seconds"],
               dask2_s=two["seconds"])

        whole = _dask(full, 2, warm)
        report("batch_book_2_workers", households=N, hh_per_s=round(whole["rate"], 3),
               seconds=whole["seconds"], first_result_s=whole["first_result_s"],
               cluster_startup_s=whole["startup_s"],
               peak_worker_rss_mb=whole["peak_worker_mb"],
               projected_10k_households_min=round(10_000 / whole["rate"] / 60, 1))
    report("process", peak_rss_mb=round(peak_rss_mb(), 1), cpus=os.cpu_count())


if __name__ == "__main__":
    main()
