"""The harvest app, driven by setting widget values in plain pytest."""

from __future__ import annotations

from dataclasses import replace

import matplotlib.colors as mc
import pandas as pd
import pytest

from tests.conftest import SAMPLES
from tests.htmltables import header, rows
from toolkit import HarvestLog, harvest, load_household, read_log
from toolkit.display import no_math
from toolkit.plots import HARVEST_COLORS
from toolkit.tax import wash_calendar
from toolkit.widgets import HarvestApp, HarvestModel


@pytest.fixture(scope="module")
def h():
    return load_household(SAMPLES / "household" / "household.toml")


@pytest.fixture
def app(h, tmp_path):
    return HarvestApp(h, log_path=tmp_path / "harvest_log.csv")


def test_defaults_match_the_core(app, h):
    want = harvest(h)
    pd.testing.assert_frame_equal(app.result.candidates, want.candidates)
    pd.testing.assert_frame_equal(app.calendar, wash_calendar(h))
    assert (app.min_loss.value, app.min_loss_pct.value, app.policy.value) == (
        500.0, 5.0, "same_security")
    assert app.summary.value == no_math(
        "7 candidate lot(s) in 3 holding(s); harvesting the 3 lot(s) not at wash risk "
        "realises a loss of <b>$1,299</b> and saves <b>$351</b> of tax this year."
        '<ul class="toolkit-table tex2jax_ignore mathjax_ignore">'
        "<li>1 taxable lot(s) have no cost basis and were skipped: AAPL</li>"
        "<li>not in the security master, so no replacement is proposed (add them under "
        "[securities] with an index and replacements): PTY</li></ul>")
    assert app.choose.options[4] == ("...456 PTY 2019-09-16: loss $620 (harvest)", 4)
    assert app.log_table.value == "<i>No harvests recorded yet.</i>"
    # the candidates as a person reads them: no lot ids, masked accounts, dollars and
    # percents, dates without times
    assert header(app.candidates.value)[:8] == [
        "account", "symbol", "acquired", "quantity", "loss", "loss pct", "term", "tax value"]
    first = rows(app.candidates.value)[0]
    c = want.candidates.iloc[0]
    assert first[:8] == ["...456", "BND", "2019-05-13", "60", f"${c['loss']:,.2f}",
                         f"{c['loss_pct']:.1%}", "long", f"${c['tax_value']:,.2f}"]
    assert app.errors.last is None


def test_thresholds_and_policy_reach_the_core(app, h):
    app.min_loss.value = 100.0
    app.min_loss_pct.value = 3.0
    pd.testing.assert_frame_equal(app.result.candidates,
                                  harvest(h, min_loss=100.0, min_loss_pct=0.03).candidates)
    app.policy.value = "same_index"
    want = harvest(h, min_loss=100.0, min_loss_pct=0.03, policy="same_index")
    pd.testing.assert_frame_equal(app.result.candidates, want.candidates)
    pd.testing.assert_frame_equal(app.calendar, wash_calendar(h, policy="same_index"))
    app.min_loss_pct.value = 100.0
    assert str(app.errors.last) == ("min_loss_pct = 1.0 is a fraction of the basis (0.05 is "
                                    "5%); it must be below 1")


def test_chart_bars_are_losses_coloured_by_status(app):
    ax = app.view.axes
    b = app.result.by_symbol
    bars = ax.containers[0]
    assert [p.get_height() for p in bars.patches] == pytest.approx(b["loss"].tolist())
    assert [t.get_text() for t in ax.texts] == ["saves $471", "saves $167", "saves $183"]
    colours = [p.get_facecolor()[:3] for p in bars.patches]
    assert colours == [mc.to_rgb(HARVEST_COLORS[s]) for s in b["status"]]
    # the same three holdings at 14%: BND keeps two lots (624 + 387); the bars move in place
    png = app.view.image.value
    app.min_loss_pct.value = 14.0
    assert ax.containers[0] is bars
    assert [p.get_height() for p in bars.patches] == pytest.approx([1011.0, 620.0, 679.0])
    assert [t.get_position()[1] for t in ax.texts] == pytest.approx([1011.0, 620.0, 679.0])
    assert app.view.image.value != png
    # fewer holdings: redrawn
    app.min_loss.value = 700.0
    assert app.result.by_symbol["symbol"].tolist() == ["BND"]
    assert [p.get_height() for p in ax.containers[0].patches] == pytest.approx([1011.0])


def test_calendar_table_masks_accounts(app):
    # ids masked in the account columns and in the free text (12345678 -> ...678); dates
    # without times; missing dates and accounts blank, not NaT/None
    assert header(app.cal_table.value) == [
        "symbols", "do not buy until", "buy blocked by", "loss at stake",
        "do not sell at loss until", "sell blocked by", "ongoing", "note"]
    got = rows(app.cal_table.value)
    assert [r[:7] for r in got] == [
        ["VXUS", "2026-11-28", "...456", "$57.00", "", "", ""],
        ["BND", "", "", "$0.00", "", "",
         "reinvestment of BND in ...678 (traditional_ira), date unknown"]]
    assert not any("12345678" in c for r in got for c in r)


def test_record_selected_harvests_appends_to_the_log(app, h, tmp_path):
    path = tmp_path / "harvest_log.csv"
    app.choose.value = (5, 6)  # the two VNQ lots
    app.record_button.click()
    assert app.errors.last is None
    r = harvest(h)
    want = HarvestLog.from_result(replace(r, candidates=r.candidates.iloc[[5, 6]]
                                          .reset_index(drop=True)))
    pd.testing.assert_frame_equal(read_log(path).frame, want.frame)
    row = want.frame.iloc[0]
    assert (row["symbol"], row["lot_ids"].count(";"), row["loss"], row["replacement_symbol"],
            row["first_safe_buyback"]) == ("VNQ", 1, 679.0, "SCHH", pd.Timestamp("2026-12-21"))
    assert app.choose.value == ()
    app.choose.value = (4,)
    app.record_button.click()
    log = read_log(path).frame
    assert log["symbol"].tolist() == ["VNQ", "PTY"]
    pd.testing.assert_frame_equal(app.log.frame, log)
    shown = dict(zip(header(app.log_table.value), zip(*rows(app.log_table.value),
                                                          strict=True), strict=True))
    assert shown["account"] == ("...456", "...456")
    assert shown["replacement account"] == ("...456", "")
    assert shown["symbol"] == ("VNQ", "PTY")
    assert shown["loss"] == tuple(f"${v:,.2f}" for v in log["loss"])
    assert shown["first safe buyback"][0] == "2026-12-21"


def test_record_errors_are_visible(app, tmp_path):
    app.record_button.click()
    assert str(app.errors.last) == "select at least one candidate to record"
    app.choose.value = (4,)
    app.log_path.value = str(tmp_path / "log.txt")
    app.record_button.click()
    assert str(app.errors.last) == f"harvest log {str(tmp_path / 'log.txt')!r} must be a .csv or .xlsx file"
    assert not (tmp_path / "log.txt").exists()


def test_existing_log_is_shown_and_xlsx_works(h, tmp_path):
    path = tmp_path / "log.xlsx"
    HarvestLog().record("2026-10-01", "...456", "VTI", 10, 3000.0, 3400.0).to_xlsx(path)
    app = HarvestApp(h, log_path=path)
    assert len(app.log) == 1
    app.choose.value = (4,)
    app.record_button.click()
    assert read_log(path).frame["symbol"].tolist() == ["VTI", "PTY"]
    assert len(HarvestModel.read(tmp_path / "none.csv")) == 0
