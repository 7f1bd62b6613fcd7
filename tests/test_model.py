"""The household model: frozen, frames read-only in effect, one validating constructor, and
the history replayed once (at load) and kept with the household."""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest

import toolkit
from tests.factories import household, profile
from toolkit.errors import HouseholdError, SchemaError
from toolkit.history import reconcile, replay_household
from toolkit.household import Household, per_household

from .conftest import SAMPLES

FRAMES = ("accounts", "positions", "lots", "transactions", "realized", "skipped", "provenance")


def small() -> Household:
    return household(
        accounts={"T": "taxable", "R": "roth_ira"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 10.0, "price": 300.0,
                    "cost_basis": 2_000.0},
                   {"account": "R", "symbol": "BND", "quantity": 40.0, "price": 75.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 10.0, "cost_basis": 2_000.0,
               "acquired": "2020-01-02", "lot_id": "L1"}],
        transactions=[{"date": "2020-01-02", "account": "T", "action": "buy", "symbol": "VTI",
                       "quantity": 10.0, "amount": -2_000.0}])


def test_assigning_an_attribute_raises():
    h = small()
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.positions = h.positions.iloc[:0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.name = "other"


@pytest.mark.parametrize("frame", FRAMES)
def test_a_new_column_in_a_frame_does_not_reach_the_next_reader(frame):
    h = small()
    cols = list(getattr(h, frame).columns)
    f = getattr(h, frame)
    f["scribble"] = 1
    assert list(getattr(h, frame).columns) == cols


def test_loc_and_iloc_writes_do_not_reach_the_next_reader():
    h = small()
    pos = h.positions
    pos.loc[pos["symbol"] == "VTI", "quantity"] = 999.0
    pos.iloc[1, pos.columns.get_loc("market_value")] = -1.0
    lots = h.lots
    lots.loc[0, "cost_basis"] = 0.0
    targets = h.targets
    targets.loc["bonds"] = 0.9
    assert h.positions["quantity"].tolist() == [10.0, 40.0]
    assert h.positions["market_value"].tolist() == [3_000.0, 3_000.0]
    assert h.lots["cost_basis"].tolist() == [2_000.0]
    assert h.targets.to_dict() == {"us_equity": 0.6, "bonds": 0.4}
    # the arrays handed out cannot be written either
    with pytest.raises(ValueError, match="read-only"):
        h.positions["quantity"].to_numpy()[0] = 5.0


def test_the_mappings_are_read_only():
    h = household(accounts={"T": "taxable"}, contributions={"T": 100.0},
                  settings={"cash_floor": 500})
    with pytest.raises(TypeError):
        h.contributions["T"] = 5.0
    with pytest.raises(TypeError):
        h.settings["cash_floor"] = 0
    assert dict(h.contributions) == {"T": 100.0}


def test_a_household_pickles_and_stays_frozen():
    h = small()
    back = pickle.loads(pickle.dumps(h))
    assert back.positions.equals(h.positions)
    assert back.reconciliation.equals(h.reconciliation)
    with pytest.raises(TypeError):
        back.settings["x"] = 1


def test_from_frames_validates_fills_and_classifies():
    h = Household.from_frames(
        name="rows", profile=profile(), as_of="2026-11-20 15:30", targets={"us_equity": 1.0},
        accounts=[{"account": "X71234567", "tax_type": "taxable"}],
        positions=[{"account": "X71234567", "symbol": "VTI", "quantity": 2.0, "price": 300.0},
                   {"account": "X71234567", "symbol": "CASH", "quantity": 50.0,
                    "price": 1.0},
                   {"account": "X71234567", "symbol": "ZZZQ", "quantity": 1.0,
                    "price": 10.0}],
        contributions={"...567": 250.0})
    assert h.as_of == pd.Timestamp("2026-11-20")
    assert h.accounts["account_key"].tolist() == ["X71234567"]
    # market value = quantity x price where not given (2 x 300 = 600; 50 x 1; 1 x 10)
    assert h.positions["market_value"].tolist() == [600.0, 50.0, 10.0]
    assert h.positions["asset_class"].tolist() == ["us_equity", "cash", "unclassified"]
    # a masked key in [contributions] is matched to the account it denotes
    assert dict(h.contributions) == {"X71234567": 250.0}
    assert h.history is None and h.reconciliation is None


def test_from_frames_errors_name_the_problem():
    with pytest.raises(HouseholdError) as exc:
        Household.from_frames(name="h", profile=profile(), as_of="2026-01-02",
                              targets={"us_equity": 1.0},
                              accounts=[{"account": "A", "tax_type": "taxable"}],
                              contributions={"B": 1.0})
    assert str(exc.value) == "h: [contributions]: 'B' matches no account"
    with pytest.raises(SchemaError) as exc:
        Household.from_frames(name="h", profile=profile(), as_of="2026-01-02",
                              targets={"us_equity": 1.0},
                              accounts=[{"account": "A", "tax_type": "brokerage"}])
    assert "'brokerage'" in str(exc.value) and "tax_type" in str(exc.value)


def test_replace_drops_a_history_its_frames_no_longer_match():
    h = small()
    assert h.history is not None
    assert h.replace(name="renamed").history is h.history
    moved = h.replace(positions=h.positions.iloc[:1])
    assert moved.history is None
    # reconcile then replays for the new frames: R's BND position is gone
    assert reconcile(moved)["symbol"].tolist() == ["VTI"]


def test_the_sample_history_is_replayed_once_at_load(monkeypatch):
    h = toolkit.load_household(SAMPLES / "household" / "household.toml")
    stored = h.reconciliation
    assert h.history is not None and len(h.history.implied) == 17
    calls = []

    def counting(*a, **k):
        calls.append(1)
        raise AssertionError("the history was replayed again")

    monkeypatch.setattr("toolkit.history.reconciliation.rebuild_lots", counting)
    monkeypatch.setattr("toolkit.history.trusted.rebuild_lots", counting)
    pd.testing.assert_frame_equal(toolkit.reconcile(h), stored)
    toolkit.plan(h)
    toolkit.checkup(h)
    toolkit.plan(h, mode="optimal")
    assert calls == []
    # other tolerances rebuild the report from the stored replay, still without replaying
    loose = toolkit.reconcile(h, dollar_tolerance=1e9)
    assert calls == [] and len(loose) == len(stored)


def test_a_household_without_its_history_gets_the_same_reconciliation():
    h = toolkit.load_household(SAMPLES / "household" / "household.toml")
    bare = h.replace(history=None)
    pd.testing.assert_frame_equal(reconcile(bare), h.reconciliation)
    again = replay_household(bare, rebuild=False)
    pd.testing.assert_frame_equal(again.reconciliation, h.reconciliation)


def test_per_household_computes_once_per_household_and_hands_out_copies():
    calls = []

    @per_household
    def value_of(h, scale):
        calls.append((h.name, scale))
        pos = h.positions
        return pos.assign(scaled=pos["market_value"] * scale), ["a note"]

    h = small()
    first, notes = value_of(h, 2)
    first["scaled"] = 0.0  # a caller writing into its copy
    notes.append("another")
    again, notes_again = value_of(h, 2)
    assert again["scaled"].tolist() == [6_000.0, 6_000.0]
    assert notes_again == ["a note"]
    assert calls == [("test", 2)]
    value_of(h, 3)
    value_of(h.replace(name="other"), 2)  # another household object: computed for it
    assert calls == [("test", 2), ("test", 3), ("other", 2)]
    value_of(h, scale=2)  # keyword arguments bypass the cache
    assert len(calls) == 4
