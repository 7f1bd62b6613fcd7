"""The batch on real Dask clusters: the same results as the serial functions, nothing lost.

A scheduler and worker processes are started here on localhost with the ``dask scheduler``
and ``dask worker`` commands (as a user starts them by hand on a cluster), and again as a
``distributed.LocalCluster``; every process started is stopped by its handle.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from distributed import Client

import toolkit
from toolkit.batch import generate_book, load_book, read_results, run
from toolkit.batch.store import DONE, done_households
from toolkit.cli import main

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent  # the venv's console scripts (dask)
N = 50


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextmanager
def dask_cluster(log_dir: Path, workers: int = 2, *, nanny: bool = True):
    """A scheduler and ``workers`` worker processes on 127.0.0.1; yields (address, workers)."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (log_dir / "scheduler.log").open("w")
    procs = [subprocess.Popen([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--dashboard-address", ":0", "--no-show"],
                              stdout=log, stderr=subprocess.STDOUT)]
    ws = []
    try:
        for i in range(workers):
            wlog = (log_dir / f"worker{i}.log").open("w")
            ws.append(subprocess.Popen(
                [BIN / "dask", "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--memory-limit", "2GiB",
                 "--nanny" if nanny else "--no-nanny"], stdout=wlog, stderr=subprocess.STDOUT))
        procs += ws
        with Client(address, timeout=60) as c:
            c.wait_for_workers(workers, timeout=120)
        yield address, ws
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """50 small households with their own targets (read serially by load_household)."""
    return generate_book(tmp_path_factory.mktemp("book50") / "book", N, seed=50, size="small",
                         models=False)


@pytest.fixture(scope="module")
def expected(book):
    """The serial functions' results, household by household."""
    out = {}
    for e in load_book(book.path).entries:
        h = toolkit.load_household(e.file)
        p = toolkit.plan(h)
        out[e.household] = {
            "drift": toolkit.drift(h), "checkup": toolkit.checkup(h),
            "harvest": toolkit.harvest(h), "rmd": toolkit.household_rmds(h, h.profile.year),
            "plan": p}
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("logs")) as c:
        yield c


def _rows(frame: pd.DataFrame, household: str) -> pd.DataFrame:
    return frame[frame["household"] == household].drop(columns="household").reset_index(
        drop=True)


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as the batch returns them: ``str`` dtype (None becomes missing)."""
    out = df.reset_index(drop=True)
    for c in out.columns:
        if pd.api.types.is_object_dtype(out[c]) and out[c].map(
                lambda v: v is None or isinstance(v, str)).all():
            out[c] = out[c].astype("str").where(out[c].notna())
    return out


def assert_same_as_serial(result, expected, households) -> None:
    h = result.households
    assert h["household"].tolist() == sorted(households)
    assert h["status"].eq("ok").all()
    assert result.failures.empty
    for key in households:
        exp = expected[key]
        d = _rows(result.frames["drift"], key)
        pd.testing.assert_frame_equal(
            d.drop(columns="band_status").set_index("asset_class").rename_axis(
                exp["drift"].index.name), exp["drift"], check_dtype=False)
        pd.testing.assert_frame_equal(_rows(result.frames["checkup"], key),
                                      _as_text(exp["checkup"]), check_dtype=False)
        pd.testing.assert_frame_equal(_rows(result.frames["harvest"], key),
                                      _as_text(exp["harvest"].candidates), check_dtype=False)
        pd.testing.assert_frame_equal(_rows(result.frames["rmd"], key), _as_text(exp["rmd"]),
                                      check_dtype=False)
        pd.testing.assert_frame_equal(_rows(result.frames["trades"], key),
                                      _as_text(exp["plan"].trades), check_dtype=False)
        row = _rows(result.frames["plan"], key).iloc[0]
        for k in ("tax", "federal", "state", "niit", "turnover", "bought", "sold",
                  "abs_drift_before", "abs_drift_after", "value"):
            assert row[k] == getattr(exp["plan"].summary, k), (key, k)
        hh = h.set_index("household").loc[key]
        assert hh["harvest_value"] == exp["harvest"].total_tax_value
        assert hh["rmd_owed"] == float(exp["rmd"]["rmd"].sum())


def test_local_cluster_results_equal_the_serial_functions(book, expected):
    result = run(book.path, workers=2, progress=False)
    assert result.timings["workers"] == 2
    assert len(set(result.households["worker"])) == 2  # both workers took households
    assert_same_as_serial(result, expected, list(book.households))


def test_dask_scheduler_and_workers_results_equal_the_serial_functions(book, expected,
                                                                       cluster, tmp_path):
    address, _ = cluster
    with Client(address) as client:
        result = run(book.path, client=client, out=tmp_path / "out", progress=False)
    assert result.timings["workers"] == 2
    assert_same_as_serial(result, expected, list(book.households))
    # what was written is what came back
    back = read_results(tmp_path / "out")
    for name, frame in result.frames.items():
        if name == "households" or frame.empty:
            continue
        pd.testing.assert_frame_equal(back.frames[name], frame, check_dtype=False, obj=name)


def test_broken_households_are_failures_and_the_rest_finish(cluster, tmp_path):
    g = generate_book(tmp_path / "book", 9, seed=9, size="small",
                      broken={"malformed": 1, "targets": 1, "infeasible": 1})
    result = run(g.path, plan_options={"mode": "optimal"}, scheduler=cluster[0],
                 progress=False)
    f = result.failures
    assert f[["household", "task", "error_type"]].values.tolist() == [
        ["hh0006/household", "load", "UnknownFormatError"],
        ["hh0007/household", "load", "HouseholdError"],
        ["hh0008/household", "plan", "PlanningError"]]
    assert f["file"].tolist() == [str(g.path / f"hh000{i}" / "household.toml")
                                  for i in (6, 7, 8)]
    status = result.households.set_index("household")["status"].to_dict()
    assert status == {**{f"hh000{i}/household": "ok" for i in range(6)},
                      "hh0006/household": "failed", "hh0007/household": "failed",
                      "hh0008/household": "incomplete"}
    good = [f"hh000{i}/household" for i in range(6)]
    for name in ("drift", "checkup", "harvest", "plan", "accounts"):
        assert set(good) <= set(result.frames[name]["household"]), name
    # the infeasible household keeps everything but its plan
    assert "hh0008/household" in set(result.frames["drift"]["household"])
    assert "hh0008/household" not in set(result.frames["plan"]["household"])


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(book, expected, tmp_path):
    keys = list(book.households[:20])
    manifest = book.path / "first20.csv"
    manifest.write_text("file\n" + "".join(f"{k}.toml\n" for k in keys))
    out = tmp_path / "out"
    killed: dict = {}

    def by(pid: int) -> int:
        """Households written so far that the worker ``pid`` computed."""
        n = 0
        for f in (out / "households").glob("*.parquet"):
            try:
                n += pd.read_parquet(f)["worker"].str.endswith(f":{pid}").sum()
            except (OSError, ValueError):  # renamed away under us: read it next time
                pass
        return n

    def kill_when_started(worker):
        deadline = time.monotonic() + 300
        while (len(done_households(out)) < 3 or by(worker.pid) < 1) and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        killed["done_before"] = len(done_households(out))
        killed["pid"] = worker.pid
        worker.kill()  # SIGKILL: the worker's running task is lost with it

    with dask_cluster(tmp_path, nanny=False) as (address, workers):
        t = threading.Thread(target=kill_when_started, args=(workers[0],), daemon=True)
        t.start()
        result = run(manifest, scheduler=address, out=out, retries=2, progress=False)
        t.join(timeout=5)
        assert workers[0].poll() is not None  # it really died during the run
    assert killed["done_before"] < 20
    assert result.households["household"].tolist() == sorted(keys)  # each exactly once
    assert_same_as_serial(result, expected, keys)
    by_worker = result.households["worker"].str.rsplit(":", n=1).str[1].astype(int)
    assert killed["pid"] in set(by_worker)  # the killed worker had done some households
    assert (by_worker != killed["pid"]).sum() >= 20 - killed["done_before"]
    # on disk: one file per household and frame, every household complete
    assert done_households(out) == set(keys)
    assert len(list((out / "households").glob("*.parquet"))) == 20
    assert read_results(out).households["household"].tolist() == sorted(keys)


def test_cli_resume_after_an_interrupted_run_completes_the_rest_only(book, expected, cluster,
                                                                     tmp_path):
    address, _ = cluster
    keys = list(book.households[20:32])
    manifest = book.path / "twelve.csv"
    manifest.write_text("file,advisor\n" + "".join(f"{k}.toml,Avery Chen\n" for k in keys))
    out = tmp_path / "out"
    cli = subprocess.Popen([sys.executable, "-m", "toolkit", "batch", str(manifest), "--out",
                            str(out), "--scheduler", address, "--no-progress"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while len(done_households(out)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        cli.kill()  # the run is interrupted (a closed laptop, a killed job)
    finally:
        cli.wait(timeout=30)
    before = {k: (out / DONE / k.replace("/", "%2F")).stat().st_mtime_ns
              for k in done_households(out)}
    assert 3 <= len(before) < 12
    rc = main(["batch", str(manifest), "--out", str(out), "--scheduler", address, "--resume",
               "--no-progress"])
    assert rc == 0
    after = {k: (out / DONE / k.replace("/", "%2F")).stat().st_mtime_ns
             for k in done_households(out)}
    assert set(after) == set(keys)
    assert {k: after[k] for k in before} == before  # households already written: not rerun
    result = read_results(out)
    assert_same_as_serial(result, expected, keys)
    assert result.households["advisor"].tolist() == ["Avery Chen"] * 12
    wb = openpyxl.load_workbook(out / "book.xlsx")
    assert wb["Summary"]["B2"].value == 12
    assert (out / "book_drift.png").stat().st_size > 10_000
    assert np.isfinite(result.households["value"]).all()
