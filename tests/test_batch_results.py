"""Batch results without Dask: per-household frames, the store, resume, summary, report, chart."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import openpyxl
import pandas as pd
import pytest

import toolkit
from toolkit.batch import BookResult, generate_book, load_book, load_entry, plot_book_drift, run
from toolkit.batch.result import combine
from toolkit.batch.store import DONE, done_households, read_frames, write_household
from toolkit.batch.tasks import household_results
from toolkit.cli import main

VOLATILE = ["seconds", "worker"]  # wall-clock and which process: not results


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    return generate_book(tmp_path_factory.mktemp("small") / "book", 4, seed=21, size="small")


def _rows(frame: pd.DataFrame, household: str) -> pd.DataFrame:
    return frame[frame["household"] == household].drop(columns="household").reset_index(
        drop=True)


def test_household_results_are_the_public_functions_results(small_book):
    e = load_book(small_book.path).entries[0]
    res = household_results(e)
    h = load_entry(e)
    d = toolkit.drift(h)
    got = _rows(res["drift"], e.household)
    assert got["asset_class"].tolist() == list(d.index)
    np.testing.assert_array_equal(got["drift"], d["drift"])
    expected_status = np.where(~d["outside"], "within",
                               np.where(d["current"] > d["upper"], "above", "below"))
    assert got["band_status"].tolist() == expected_status.tolist()
    pd.testing.assert_frame_equal(_rows(res["checkup"], e.household), toolkit.checkup(h),
                                  check_dtype=False)
    hv = toolkit.harvest(h)
    pd.testing.assert_frame_equal(_rows(res["harvest"], e.household), hv.candidates,
                                  check_dtype=False)
    assert res["households"]["harvest_value"].iloc[0] == hv.total_tax_value
    rmd = toolkit.household_rmds(h, 2026)
    pd.testing.assert_frame_equal(_rows(res["rmd"], e.household), rmd, check_dtype=False)
    p = toolkit.plan(h)
    pd.testing.assert_frame_equal(_rows(res["trades"], e.household), p.trades,
                                  check_dtype=False)
    plan_row = res["plan"].iloc[0]
    for k in ("tax", "turnover", "bought", "sold", "abs_drift_before", "abs_drift_after"):
        assert plan_row[k] == getattr(p.summary, k), k
    assert plan_row["trades"] == len(p.trades)
    assert res["households"]["status"].tolist() == ["ok"]
    assert res["failures"].empty


def test_store_writes_atomically_and_replaces_instead_of_adding(tmp_path):
    a = pd.DataFrame({"household": ["x/h"] * 2, "v": [1.0, 2.0]})
    b = pd.DataFrame({"household": ["x/h"], "w": ["t"]})
    write_household(tmp_path, "x/h", {"drift": a, "trades": b})
    assert done_households(tmp_path) == {"x/h"}
    assert sorted(p.name for p in (tmp_path / "drift").iterdir()) == ["x%2Fh.parquet"]
    # written again (a retried task, a rerun) without trades: no duplicate, no stale file
    write_household(tmp_path, "x/h", {"drift": a.iloc[:1]})
    got = read_frames(tmp_path, ["x/h"])
    assert list(got) == ["drift"]
    pd.testing.assert_frame_equal(got["drift"][0], a.iloc[:1])
    assert not list(tmp_path.rglob(".tmp-*"))
    assert (tmp_path / DONE / "x%2Fh").read_text() == "x/h\n"


def test_resume_runs_only_what_was_not_written(small_book, tmp_path):
    out = tmp_path / "out"
    first = run(small_book.path, out=out, serial=True, progress=False)
    assert first.timings["run"] == 4
    keys = load_book(small_book.path).households
    # an interrupted run: the last two households were never marked complete (one of
    # them had half its frames written)
    for k in keys[2:]:
        (out / DONE / k.replace("/", "%2F")).unlink()
    (out / "trades" / f"{keys[3].replace('/', '%2F')}.parquet").unlink()
    kept = {k: (out / DONE / k.replace("/", "%2F")).stat().st_mtime_ns for k in keys[:2]}
    again = run(small_book.path, out=out, resume=True, serial=True, progress=False)
    assert (again.timings["run"], again.timings["resumed"]) == (2, 2)
    assert {k: (out / DONE / k.replace("/", "%2F")).stat().st_mtime_ns for k in keys[:2]} == kept
    assert done_households(out) == set(keys)
    for name in first.frames:
        a, b = first.frames[name], again.frames[name]
        if name == "households":
            a, b = a.drop(columns=VOLATILE), b.drop(columns=VOLATILE)
        pd.testing.assert_frame_equal(b, a, check_dtype=False, obj=name)
    # every household once in the households frame, however it got there
    assert again.households["household"].tolist() == keys
    # nothing left to do: nothing runs
    done = run(small_book.path, out=out, resume=True, serial=True, progress=False)
    assert done.timings["run"] == 0
    with pytest.raises(ValueError, match="^resume needs out"):
        run(small_book.path, resume=True, serial=True)
    with pytest.raises(ValueError, match=r"^give at most one of client, scheduler, workers "
                                         r"and serial \(got workers, serial\)$"):
        run(small_book.path, workers=2, serial=True)
    with pytest.raises(ValueError, match=r"^unknown task\(s\) \['taxes'\]"):
        run(small_book.path, tasks=("drift", "taxes"), serial=True)


def _hand_made() -> BookResult:
    households = pd.DataFrame({
        "household": ["a", "b", "c"], "name": ["A", "B", None], "advisor": ["X", "Y", None],
        "status": ["ok", "ok", "failed"],
        "outside_band": pd.array([True, False, None], dtype="boolean"),
        "harvest_value": [120.4, 0.0, np.nan], "rmd_owed": [0.0, 4000.0, np.nan],
        "plan_tax": [300.0, 0.0, np.nan]})
    drift = pd.DataFrame({
        "household": ["a", "a", "a", "b"],
        "asset_class": ["us_equity", "bonds", "cash", "us_equity"],
        "drift": [0.08, -0.08, 0.01, 0.01], "outside": [True, True, True, False],
        "band_status": ["above", "below", "above", "within"]})
    plan = pd.DataFrame({"household": ["a", "b"], "tax": [300.0, 0.0], "trades": [4, 0]})
    failures = pd.DataFrame({"household": ["c"], "file": ["c.toml"], "task": ["load"],
                             "error_type": ["FormatError"], "message": ["bad"]})
    frames = combine({"households": [households], "drift": [drift], "plan": [plan],
                      "failures": [failures]})
    return BookResult(frames, {"households": 3, "households_per_second": 2.5})


def test_attention_lists_failures_then_bands_then_rmds():
    att = _hand_made().attention()
    assert att["household"].tolist() == ["c", "a", "b"]
    assert att["reasons"].tolist() == ["failed", "outside band; harvest worth $120",
                                       "RMD $4,000"]
    # cash is not banded: the checkup reports idle cash
    assert att["classes_outside"].tolist() == ["", "us_equity above; bonds below", ""]
    assert att["worst_drift_pp"].iloc[1:].tolist() == [8.0, 1.0]
    assert att["failures"].tolist() == [1, 0, 0]


def test_book_summary_numbers():
    s = _hand_made().summary().set_index("item")["value"]
    assert s.to_dict() == {
        "households": 3, "households complete": 2, "households that failed to load": 1,
        "households with a failed task": 0, "households outside band": 1,
        "harvestable loss value this year": 120.4, "households owing an RMD": 1,
        "RMDs owed": 4000.0, "tax of the plans": 300.0, "trades planned": 4,
        "households per second": 2.5}


def test_book_workbook_masks_every_account_id(small_book, tmp_path):
    result = run(small_book.path, serial=True, progress=False)
    ids = set(result.frames["accounts"]["account"])
    assert len(ids) >= 8
    path = result.to_xlsx(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Attention", "Households", "Accounts", "Drift",
                             "Checkup", "Harvest", "RMD", "Plan", "Trades", "Orders"]
    text = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert not [t for t in text if any(i in t for i in ids)]
    masked = {"..." + i[-3:] for i in ids}
    assert masked <= {t for t in text if t.startswith("...")}
    assert wb["Summary"]["A2"].value == "households"
    assert wb["Summary"]["B2"].value == 4
    # unmasked on request
    wb2 = openpyxl.load_workbook(result.to_xlsx(tmp_path / "full.xlsx", mask_accounts=False))
    cells = {str(c.value) for row in wb2["Accounts"].iter_rows() for c in row}
    assert ids <= cells


def test_plot_book_drift_draws_one_dot_per_household_and_class():
    result = _hand_made()
    ax = plot_book_drift(result)
    outside, within = ax.collections[0], ax.collections[1]
    assert sorted(outside.get_offsets()[:, 0].round(6).tolist()) == [-8.0, 8.0]
    assert within.get_offsets()[:, 0].round(6).tolist() == [1.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "US equity (1 of 2 outside)", "Bonds (1 of 1 outside)"]
    # rows: us_equity on top (y near 1), bonds below (y near 0)
    ys = outside.get_offsets()[:, 1]
    assert ((ys > -0.2) & (ys < 1.2)).all()
    plt.close(ax.figure)


@pytest.mark.parametrize(("extra", "message"), [
    (["--tasks", "drift,taxes"], "--tasks 'drift,taxes': unknown task(s) ['taxes']; known: "
                                 "drift, checkup, harvest, rmd, plan"),
    (["--workers", "0"], "--workers 0: need at least one worker"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "--workers sizes a local cluster: leave it out with --scheduler"),
])
def test_batch_command_refuses_bad_arguments_before_starting_anything(small_book, tmp_path,
                                                                      extra, message):
    with pytest.raises(SystemExit) as e:
        main(["batch", str(small_book.path), "--out", str(tmp_path / "out"), *extra])
    assert str(e.value) == message
    assert not (tmp_path / "out").exists()
