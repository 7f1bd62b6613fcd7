"""One household's work in a batch: read it, run the asked tasks, return tidy frames.

:func:`household_results` runs on a worker: it receives an :class:`~toolkit.batch.book.Entry`
(paths only), reads the household there, calls the public functions (:func:`toolkit.drift`,
:func:`toolkit.checkup`, :func:`toolkit.harvest`, :func:`toolkit.household_rmds`,
:func:`toolkit.plan`) and returns small tidy frames, each with a ``household`` key column.
It never raises for a household's own problem: a household that cannot be read, or a task
that fails, becomes a row of ``failures`` (file, task, error type, message), and the tasks
that did run keep their results.

Every place that reads a plan (its summary, trades and orders) is :func:`plan_frames`, so a
change of the plan's shape is adapted there alone.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import toolkit
from toolkit.batch.book import Entry

__all__ = ["FAILURE_COLUMNS", "FRAMES", "HOUSEHOLD_COLUMNS", "NOT_BANDED", "TASKS", "check_tasks",
           "drift_frame", "household_results", "load_entry", "plan_frames", "serial_results"]

#: Tasks a batch can run, in the order they run.
TASKS = ("drift", "checkup", "harvest", "rmd", "plan")
#: Result frames of a batch, in order: one row per household, its accounts, one per task's
#: output, the plan's summary, trades and orders, and the failures.
FRAMES = ("households", "accounts", "drift", "checkup", "harvest", "rmd", "plan", "trades",
          "orders", "failures")
HOUSEHOLD_COLUMNS = ("household", "file", "name", "advisor", "tags", "model", "status",
                     "as_of", "value", "accounts", "positions", "lots", "outside_band",
                     "harvest_value", "rmd_owed", "plan_tax", "seconds", "worker")
FAILURE_COLUMNS = ("household", "file", "task", "error_type", "message")
#: Classes left out of a household's ``outside_band`` flag: idle cash and holdings the
#: security master does not know have no target; the checkup reports both as findings.
NOT_BANDED = ("cash", "unclassified")


def _tidy(df: pd.DataFrame, household: str) -> pd.DataFrame:
    """A frame with a leading ``household`` column, a plain index and text as ``str``."""
    out = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df.copy()
    out = out.reset_index(drop=True)
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_object_dtype(col) and col.map(
                lambda v: v is None or isinstance(v, str) or (isinstance(v, float) and v != v)
        ).all():
            out[c] = col.astype("str").where(col.notna())
    out.insert(0, "household", household)
    out["household"] = out["household"].astype("str")
    return out


def drift_frame(household: toolkit.Household) -> pd.DataFrame:
    """Drift by asset class with its band status.

    Parameters
    ----------
    household : Household

    Returns
    -------
    DataFrame
        :func:`toolkit.drift` as columns (``asset_class`` first) plus ``band_status``:
        ``"above"`` when the class is above its band, ``"below"`` below it, else ``"within"``.
    """
    d = toolkit.drift(household).rename_axis("asset_class").reset_index()
    status = pd.Series("within", index=d.index, dtype="str")
    status[d["outside"].astype(bool) & (d["current"] > d["upper"])] = "above"
    status[d["outside"].astype(bool) & (d["current"] < d["lower"])] = "below"
    d["band_status"] = status
    return d


def plan_frames(plan: toolkit.Plan) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame | None]:
    """What a batch keeps of a plan: one summary row, the trades and the orders.

    The one place the batch reads a plan's summary (:class:`toolkit.planner.PlanSummary`).

    Parameters
    ----------
    plan : Plan

    Returns
    -------
    summary : dict
        ``mode``, ``tax``, ``federal``, ``state``, ``niit``, ``short_term_gain``,
        ``long_term_gain`` (dollars), ``turnover`` (fraction of the household), ``trades``,
        ``bought``, ``sold`` (dollars), ``abs_drift_before``, ``abs_drift_after`` (sums of
        absolute drift, fractions), ``within_band``, ``value`` (dollars), ``notes``.
    trades : DataFrame
        ``plan.trades``.
    orders : DataFrame or None
        ``plan.orders`` when the planner provides an order list, else None.
    """
    s = plan.summary
    row = {k: getattr(s, k) for k in ("mode", "tax", "federal", "state", "niit", "short_term_gain",
                             "long_term_gain", "turnover", "trades", "bought", "sold",
                             "abs_drift_before", "abs_drift_after", "within_band", "value")}
    row["trades"] = int(row["trades"])
    row["within_band"] = bool(row["within_band"])
    for k in ("tax", "federal", "state", "niit", "turnover", "abs_drift_before",
              "abs_drift_after", "value", "short_term_gain", "long_term_gain", "bought", "sold"):
        row[k] = float(row[k])
    row["notes"] = " | ".join(plan.notes)
    orders = getattr(plan, "orders", None)
    return row, plan.trades, orders if isinstance(orders, pd.DataFrame) else None


def _absolute_files(data: dict, folder: Path) -> dict:
    out = dict(data)
    out["files"] = [dict(f, path=str((folder / f["path"]).resolve())) if isinstance(f, Mapping)
                    and isinstance(f.get("path"), str) else f for f in data.get("files", [])]
    return out


def load_entry(entry: Entry) -> toolkit.Household:
    """Read one household of a book, its model merged in.

    :func:`toolkit.load_household` reads the household file and merges the model it names in
    ``[household]`` or the one the manifest assigns (:mod:`toolkit.model_portfolio`).

    Parameters
    ----------
    entry : Entry

    Returns
    -------
    Household

    Raises
    ------
    ToolkitError
        Whatever reading the household raises (:class:`~toolkit.errors.HouseholdError`,
        :class:`~toolkit.errors.FormatError` ...).
    """
    return toolkit.load_household(entry.file, model=entry.model)


def _failure(entry: Entry, task: str, exc: BaseException) -> dict:
    return {"household": entry.household, "file": entry.file, "task": task,
            "error_type": type(exc).__name__, "message": str(exc)}


def _run_task(task: str, h: toolkit.Household, plan_options: Mapping[str, Any]
              ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """One task's frames, and what it adds to the household's row."""
    if task == "drift":
        d = drift_frame(h)
        classes = d[~d["asset_class"].isin(NOT_BANDED)]
        return {"drift": d}, {"outside_band": bool(classes["outside"].any())}
    if task == "checkup":
        return {"checkup": toolkit.checkup(h)}, {}
    if task == "harvest":
        r = toolkit.harvest(h)
        return {"harvest": r.candidates}, {"harvest_value": float(r.total_tax_value)}
    if task == "rmd":
        r = toolkit.household_rmds(h, h.profile.year)
        return {"rmd": r}, {"rmd_owed": float(r["rmd"].sum())}
    if task == "plan":
        row, trades, orders = plan_frames(toolkit.plan(h, **dict(plan_options)))
        out = {"plan": pd.DataFrame([row]), "trades": trades}
        if orders is not None:
            out["orders"] = orders
        return out, {"plan_tax": row["tax"]}
    raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")


def check_tasks(tasks: Sequence[str] | str) -> tuple[str, ...]:
    """Validate a list of task names, in :data:`TASKS` order.

    Parameters
    ----------
    tasks : sequence of str or str
        Names from :data:`TASKS` (a string may list them separated by commas).

    Returns
    -------
    tuple of str

    Raises
    ------
    ValueError
        On an unknown or empty list.
    """
    if isinstance(tasks, str):
        tasks = [t.strip() for t in tasks.split(",") if t.strip()]
    bad = [t for t in tasks if t not in TASKS]
    if bad:
        raise ValueError(f"unknown task(s) {bad}; known: {', '.join(TASKS)}")
    if not tasks:
        raise ValueError(f"no tasks: pick from {', '.join(TASKS)}")
    return tuple(t for t in TASKS if t in tasks)


def household_results(entry: Entry, tasks: Sequence[str] = TASKS,
                      plan_options: Mapping[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """Read one household and run the tasks on it (the function each worker runs).

    Parameters
    ----------
    entry : Entry
        The household's paths and labels.
    tasks : sequence of str
        Names from :data:`TASKS`.
    plan_options : mapping, optional
        Keyword arguments of :func:`toolkit.plan` (``mode``, ``contributions`` and any
        :class:`~toolkit.PlanOptions` field).

    Returns
    -------
    dict of str to DataFrame
        ``households`` (one row, :data:`HOUSEHOLD_COLUMNS`; ``status`` ``"ok"``, ``"failed"``
        when it could not be read, ``"incomplete"`` when a task failed; ``outside_band``
        (any class but those of :data:`NOT_BANDED` outside its band), ``harvest_value``
        (:attr:`HarvestResult.total_tax_value`), ``rmd_owed`` (dollars) and ``plan_tax``
        (dollars) from the tasks that ran, else empty), ``failures``
        (:data:`FAILURE_COLUMNS`), ``accounts`` (:meth:`toolkit.Household.account_totals`)
        and one frame per result the tasks made (``drift``,
        ``checkup``, ``harvest``, ``rmd``, ``plan``, ``trades``, ``orders``), each with a
        leading ``household`` column.
    """
    tasks = check_tasks(tasks)
    t0 = time.perf_counter()
    failures: list[dict] = []
    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, Any] = {"household": entry.household, "file": entry.file, "name": None,
                            "advisor": entry.advisor, "tags": entry.tags, "model": entry.model,
                            "as_of": pd.NaT, "value": float("nan"), "accounts": 0,
                            "positions": 0, "lots": 0, "outside_band": None,
                            "harvest_value": float("nan"), "rmd_owed": float("nan"),
                            "plan_tax": float("nan")}
    try:
        h = load_entry(entry)
    except Exception as exc:  # a household that cannot be read is a failure row, not a crash
        failures.append(_failure(entry, "load", exc))
        status = "failed"
    else:
        info.update(name=h.name, as_of=h.as_of, value=round(h.total_value, 2),
                    accounts=len(h.accounts), positions=len(h.positions), lots=len(h.lots))
        frames["accounts"] = h.account_totals()
        for task in tasks:
            try:
                made, extra = _run_task(task, h, plan_options or {})
                frames.update(made)
                info.update(extra)
            except Exception as exc:  # one task's failure leaves the others' results
                failures.append(_failure(entry, task, exc))
        status = "incomplete" if failures else "ok"
    info.update(status=status, seconds=round(time.perf_counter() - t0, 4),
                worker=f"{socket.gethostname()}:{os.getpid()}")
    row = pd.DataFrame([info], columns=list(HOUSEHOLD_COLUMNS)).drop(columns="household")
    row["outside_band"] = row["outside_band"].astype("boolean")
    row["as_of"] = pd.to_datetime(row["as_of"]).astype("datetime64[us]")
    out = {"households": _tidy(row, entry.household)}
    out["failures"] = _tidy(pd.DataFrame(failures, columns=list(FAILURE_COLUMNS)).drop(
        columns="household"), entry.household)
    for k, v in frames.items():
        out[k] = _tidy(v, entry.household)
    return out


def serial_results(entries: Sequence[Entry], tasks: Sequence[str] = TASKS,
                   plan_options: Mapping[str, Any] | None = None):
    """Yield :func:`household_results` for each entry in this process, in order.

    Parameters
    ----------
    entries : sequence of Entry
    tasks : sequence of str
    plan_options : mapping, optional

    Yields
    ------
    dict of str to DataFrame
    """
    for e in entries:
        yield household_results(e, tasks, plan_options)
