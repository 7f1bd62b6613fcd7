"""The tax-lot what-if app, driven by setting widget values in plain pytest."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import SAMPLES
from tests.test_lots import EXAMPLE_B
from toolkit import compare_methods, load_household, lot_status
from toolkit.display import no_math
from toolkit.examples import example_b
from toolkit.widgets import LotWhatIfApp, LotWhatIfModel


@pytest.fixture(scope="module")
def h():
    return load_household(SAMPLES / "household" / "household.toml")


def heights(ax):
    return [p.get_height() for p in ax.containers[0].patches]


def test_pickers_list_taxable_accounts_and_their_lot_symbols(h):
    app = LotWhatIfApp(h)
    assert app.account.options == (("Joint brokerage (...456)", "...456"),
                                   ("Maya individual (...567)", "X71234567"))
    assert app.symbol.options == ("BND", "PTY", "SCHD", "VNQ", "VTI", "VXUS")
    assert (app.account.value, app.symbol.value, app.unit.value, app.amount.value) == (
        "...456", "BND", "dollars", 10_000.0)
    m = LotWhatIfModel(h)
    assert m.symbols("X71234567") == ["AAPL", "FXAIX", "NVDA"]


def test_every_method_side_by_side_matches_the_core(h):
    app = LotWhatIfApp(h, symbol="VTI", amount=20_000.0)
    want = compare_methods(h, "...456", "VTI", dollars=20_000.0)
    pd.testing.assert_frame_equal(app.comparison, want)
    assert heights(app.methods_ax) == pytest.approx(want["tax"].tolist())
    # shares instead of dollars
    app.unit.value = "shares"
    app.amount.value = 25.0
    want = compare_methods(h, "...456", "VTI", shares=25.0)
    pd.testing.assert_frame_equal(app.comparison, want)
    assert heights(app.methods_ax) == pytest.approx(want["tax"].tolist())
    assert [t.get_text() for t in app.methods_ax.texts] == [
        f"${v:,.0f}" if v >= 0 else f"-${-v:,.0f}" for v in want["tax"]]


def test_amount_change_updates_the_chart_in_place(h):
    app = LotWhatIfApp(h, symbol="VTI")
    bars = app.methods_ax.containers[0]
    lots_bars = app.lots_ax.containers[0]
    png = app.view.image.value
    app.amount.value = 15_000.0
    assert app.methods_ax.containers[0] is bars
    assert app.lots_ax.containers[0] is lots_bars  # same holding: the lots are not redrawn
    assert heights(app.methods_ax) == pytest.approx(
        compare_methods(h, "...456", "VTI", dollars=15_000.0)["tax"].tolist())
    assert app.view.image.value != png
    # the labels moved with the bars
    assert [c for t in app.methods_ax.texts for c in t.get_position()] == pytest.approx(
        [c for p in bars.patches for c in (p.get_x() + p.get_width() / 2, p.get_height())])


def test_lots_chart_is_lot_status_of_the_holding(h):
    app = LotWhatIfApp(h, symbol="VNQ")
    mine = h.lots[(h.lots["account"] == "...456") & (h.lots["symbol"] == "VNQ")]
    want = lot_status(mine, h.positions[["account", "symbol", "price"]], h.as_of)
    pd.testing.assert_frame_equal(app.status, want)
    ordered = want.sort_values("acquired", kind="stable")
    assert heights(app.lots_ax) == pytest.approx(ordered["unrealized_gain"].tolist())
    assert app.lots_ax.get_title() == "VNQ lots in ...456: unrealised gain by term"


def test_account_change_resets_the_symbols_and_shows_errors(h):
    app = LotWhatIfApp(h)
    app.account.value = "X71234567"
    assert app.symbol.options == ("AAPL", "FXAIX", "NVDA")
    assert app.symbol.value == "AAPL"
    # AAPL's lot has no basis: no tax estimate, but its lot still shows
    assert str(app.errors.last) == (
        "lots of AAPL in account 'X71234567' have no cost basis "
        "(history:Accounts_History.csv:39); the tax of a sale cannot be estimated. Add the "
        "basis or pass lots= with it")
    assert app.comparison is None and app.table.value == ""
    assert app.status["symbol"].tolist() == ["AAPL"]
    app.symbol.value = "NVDA"
    assert app.errors.last is None
    pd.testing.assert_frame_equal(app.comparison,
                                  compare_methods(h, "X71234567", "NVDA", dollars=10_000.0))


def test_selling_more_than_held_is_a_visible_error(h):
    app = LotWhatIfApp(h, symbol="VNQ")
    app.unit.value = "shares"
    app.amount.value = 500.0
    assert str(app.errors.last) == "cannot sell 500 shares of VNQ in account '...456': 120 shares held"
    app.amount.value = 0.0
    assert str(app.errors.last) == "sell a positive number of shares, not 0.0"


@pytest.mark.parametrize(("short", "newer"), [(True, "2025-08-15"), (False, "2025-05-15")])
def test_seed_example_b(short, newer):
    app = LotWhatIfApp(example_b(short), amount=20_000.0)
    got = {r.method: (round(r.short_term_gain, 2), round(r.long_term_gain, 2), round(r.tax, 2))
           for r in app.comparison.itertuples()}
    assert got == EXAMPLE_B[newer]
    lifo = EXAMPLE_B[newer]["lifo"][2]
    assert app.summary.value == no_math(
        f"Selling 80.000 shares of VTI for $20,000: least tax ${lifo:,.0f} "
        f"(<b>lifo, hifo, min_tax</b>), most $3,040 (fifo, lofo); choosing the lots saves "
        f"${3_040 - lifo:,.0f}.")


def test_app_builds_when_the_first_holding_cannot_be_sold(h):
    app = LotWhatIfApp(h, account="X71234567")
    assert app.symbol.value == "AAPL"
    assert app.comparison is None
    assert app.errors.widget.layout.display == ""
    assert app.status["lot_id"].tolist() == h.lots.loc[
        (h.lots["account"] == "X71234567") & (h.lots["symbol"] == "AAPL"), "lot_id"].tolist()
