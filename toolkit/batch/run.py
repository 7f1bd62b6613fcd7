"""Run a book on Dask: a local cluster by default, a running cluster when given one.

:func:`run` sends each household's paths to a worker (:func:`toolkit.batch.tasks.
household_results` reads the household there), gathers the tidy frames as they come back,
writes each household to the output folder as it finishes (:mod:`toolkit.batch.store`) and
returns a :class:`~toolkit.batch.result.BookResult`. Without ``client`` or ``scheduler`` it
starts a :class:`distributed.LocalCluster` of worker processes, one per core, one thread each
(pandas and HiGHS hold the GIL), and closes it at the end.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd
from distributed import Client, LocalCluster, as_completed
from tqdm.auto import tqdm

from toolkit.batch.book import Book, Entry, load_book
from toolkit.batch.result import BookResult, combine
from toolkit.batch.store import done_households, read_frames, write_household
from toolkit.batch.tasks import (
    FAILURE_COLUMNS,
    HOUSEHOLD_COLUMNS,
    TASKS,
    check_tasks,
    household_results,
)

__all__ = ["local_cluster", "read_results", "run"]


def local_cluster(workers: int | None = None, **kwargs: Any) -> LocalCluster:
    """A local Dask cluster sized for this batch: worker processes with one thread each.

    Parameters
    ----------
    workers : int, optional
        Number of worker processes (default: the machine's cores, ``os.cpu_count()``).
    **kwargs
        Passed to :class:`distributed.LocalCluster` (``memory_limit``, ...).

    Returns
    -------
    LocalCluster
    """
    n = int(workers) if workers else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError(f"workers={workers!r}: need at least one worker")
    opts = {"n_workers": n, "threads_per_worker": 1, "processes": True,
            "dashboard_address": None, "silence_logs": logging.ERROR}
    opts.update(kwargs)
    return LocalCluster(**opts)


def _lost(entry: Entry, exc: BaseException) -> dict[str, pd.DataFrame]:
    """Frames for a household whose task never came back (a worker lost too often ...)."""
    row = {c: None for c in HOUSEHOLD_COLUMNS}
    row.update(household=entry.household, file=entry.file, advisor=entry.advisor,
               tags=entry.tags, model=entry.model, status="failed", accounts=0, positions=0,
               lots=0)
    h = pd.DataFrame([row], columns=list(HOUSEHOLD_COLUMNS))
    for c in ("value", "harvest_value", "rmd_owed", "plan_tax", "seconds"):
        h[c] = h[c].astype("float64")
    h["outside_band"] = h["outside_band"].astype("boolean")
    h["as_of"] = pd.to_datetime(h["as_of"]).astype("datetime64[us]")
    f = pd.DataFrame([{"household": entry.household, "file": entry.file, "task": "run",
                       "error_type": type(exc).__name__, "message": str(exc)}],
                     columns=list(FAILURE_COLUMNS))
    return {"households": h, "failures": f}


def read_results(out: str | Path, book: str | Path | Book | None = None) -> BookResult:
    """Read the results a batch wrote, without running anything.

    Parameters
    ----------
    out : str or Path
        The output folder of :func:`run`.
    book : str, Path or Book, optional
        Keep only this book's households (default: every complete household in ``out``).

    Returns
    -------
    BookResult
    """
    done = done_households(out)
    if book is not None:
        done &= set(load_book(book).households)
    keys = sorted(done)
    frames = combine(read_frames(out, keys))
    return BookResult(frames, {"households": len(keys), "run": 0, "resumed": len(keys)},
                      Path(out))


def run(book: str | Path | Book, tasks: Sequence[str] = TASKS,
        plan_options: Mapping[str, Any] | None = None, client: Client | None = None, *,
        scheduler: str | None = None, workers: int | None = None,
        out: str | Path | None = None, resume: bool = False, retries: int = 2,
        progress: bool = True, serial: bool = False) -> BookResult:
    """Run tasks over every household of a book, one Dask task per household.

    Parameters
    ----------
    book : str, Path or Book
        A folder of household files or a manifest CSV (:func:`toolkit.batch.load_book`).
    tasks : sequence of str
        From ``("drift", "checkup", "harvest", "rmd", "plan")`` (all by default).
    plan_options : mapping, optional
        Keyword arguments of :func:`toolkit.plan` for every household (``mode``,
        ``contributions``, any :class:`~toolkit.PlanOptions` field).
    client : distributed.Client, optional
        A client of a running cluster; it is left open.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``) to connect to instead.
    workers : int, optional
        Worker processes of the local cluster started when neither ``client`` nor
        ``scheduler`` is given (default: one per core).
    out : str or Path, optional
        Folder to write each household's results into as it finishes (partitioned Parquet,
        :mod:`toolkit.batch.store`).
    resume : bool, default False
        Skip households already written completely under ``out`` (their results are read
        back into the returned result).
    retries : int, default 2
        Dask retries of a household's task (on top of Dask rescheduling the tasks of a lost
        worker).
    progress : bool, default True
        Show a progress bar with households done, failed and remaining.
    serial : bool, default False
        Run in this process, one household after another, without Dask (a baseline).

    Returns
    -------
    BookResult

    Raises
    ------
    ValueError
        On an unknown task, ``resume`` without ``out``, or conflicting ``client``,
        ``scheduler``, ``workers`` and ``serial``.
    HouseholdError, FormatError
        If the book itself cannot be read (a household that cannot be read is a row of
        ``failures`` instead).
    """
    tasks = check_tasks(tasks)
    if resume and out is None:
        raise ValueError("resume needs out: the folder an earlier run wrote into")
    given = [n for n, v in (("client", client), ("scheduler", scheduler),
                            ("workers", workers), ("serial", serial or None)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"give at most one of client, scheduler, workers and serial (got "
                         f"{', '.join(given)})")
    b = load_book(book)
    done = done_households(out) & set(b.households) if resume else set()
    todo = [e for e in b.entries if e.household not in done]
    parts: dict[str, list[pd.DataFrame]] = {k: list(v) for k, v in
                                            (read_frames(out, sorted(done)).items()
                                             if done else ())}
    t0 = time.perf_counter()
    first: float | None = None
    failed = 0
    n_workers = 0
    bar = tqdm(total=len(b), initial=len(done), disable=not progress, unit="household",
               desc="book")

    def collect(entry: Entry, res: dict[str, pd.DataFrame], final: bool) -> None:
        nonlocal first, failed
        if first is None:
            first = time.perf_counter() - t0
        if out is not None and final:
            write_household(out, entry.household, res)
        for k, v in res.items():
            parts.setdefault(k, []).append(v)
        failed += bool(len(res["failures"]))
        bar.update(1)
        bar.set_postfix(done=bar.n, failed=failed, remaining=len(b) - bar.n, refresh=False)

    try:
        if serial:
            n_workers = 0
            for e in todo:
                collect(e, household_results(e, tasks, plan_options), True)
        elif todo:
            with ExitStack() as stack:
                if client is None:
                    if scheduler is not None:
                        client = stack.enter_context(Client(scheduler, timeout=30))
                    else:
                        cluster = stack.enter_context(local_cluster(workers))
                        client = stack.enter_context(Client(cluster))
                n_workers = len(client.scheduler_info().get("workers", {}))
                futures = client.map(household_results, todo, tasks=tasks,
                                     plan_options=dict(plan_options or {}), retries=retries,
                                     pure=False)
                entry_of = {f.key: e for f, e in zip(futures, todo, strict=True)}
                for fut in as_completed(futures):
                    e = entry_of[fut.key]
                    try:
                        res = fut.result()
                    except Exception as exc:  # the task never came back: not written, resumable
                        collect(e, _lost(e, exc), False)
                    else:
                        collect(e, res, True)
                    fut.release()
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    timings = {"households": len(b), "run": len(todo), "resumed": len(done),
               "seconds": round(seconds, 3),
               "first_result_s": None if first is None else round(first, 3),
               "households_per_second": round(len(todo) / seconds, 4) if todo and seconds
               else float("nan"),
               "workers": n_workers}
    return BookResult(combine(parts), timings, Path(out) if out is not None else None)
