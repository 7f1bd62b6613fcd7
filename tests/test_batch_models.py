"""Shared models: the pure merge, reading a model file, resolving the one a household names."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from toolkit.batch import Entry, load_entry, merge_model, read_model, resolve_model
from toolkit.errors import HouseholdError

MODEL = {
    "targets": {"us_equity": 0.6, "intl_equity": 0.25, "bonds": 0.1, "reits": 0.05},
    "subtargets": {"us_equity": {"us_large_cap": 0.8, "us_small_cap": 0.2}},
    "settings": {"cash_floor": 500, "substantially_identical": [["VOO", "IVV"]]},
    "funds": {"us_equity": "VTI", "bonds": {"taxable": "VTEB", "default": "BND"}},
}


def test_household_keys_override_the_model_key_by_key():
    household = {
        "household": {"name": "A", "tax_year": 2026, "model": "models/growth.toml"},
        "settings": {"cash_floor": 250},
        "funds": {"bonds": {"taxable": "MUB"}},
        "accounts": [{"id": "1", "type": "taxable"}],
    }
    before = copy.deepcopy(household), copy.deepcopy(MODEL)
    merged = merge_model(household, MODEL)
    # [household] keeps its own keys, without the model reference
    assert merged["household"] == {"name": "A", "tax_year": 2026}
    # a section only the model has is taken whole
    assert merged["targets"] == MODEL["targets"]
    assert merged["subtargets"] == MODEL["subtargets"]
    # the household's cash_floor replaces the model's; the model's other settings stay
    assert merged["settings"] == {"cash_floor": 250, "substantially_identical": [["VOO", "IVV"]]}
    # nested tables merge: bonds.taxable from the household, bonds.default from the model
    assert merged["funds"] == {"us_equity": "VTI", "bonds": {"taxable": "MUB", "default": "BND"}}
    # sections that are the household's own are passed through
    assert merged["accounts"] == [{"id": "1", "type": "taxable"}]
    # the inputs are not changed
    assert (household, MODEL) == before


def test_household_targets_override_the_models_weights_one_by_one():
    # the household moves 5 points from us_equity to bonds: 0.55 + 0.25 + 0.15 + 0.05 = 1
    merged = merge_model({"household": {}, "targets": {"us_equity": 0.55, "bonds": 0.15}},
                         MODEL)
    assert merged["targets"] == {"us_equity": 0.55, "intl_equity": 0.25, "bonds": 0.15,
                                 "reits": 0.05}


def test_merged_targets_not_summing_to_one_name_where_each_weight_came_from():
    # 0.5 (household) + 0.25 + 0.1 + 0.05 (model) = 0.9
    with pytest.raises(HouseholdError) as e:
        merge_model({"household": {}, "targets": {"us_equity": 0.5}}, MODEL,
                    household_file="hh/household.toml", model_file="models/growth.toml")
    assert str(e.value) == (
        "hh/household.toml: [targets] merged with model models/growth.toml sum to 0.9, not 1 "
        "(us_equity = 0.5 from hh/household.toml, intl_equity = 0.25 from models/growth.toml, "
        "bonds = 0.1 from models/growth.toml, reits = 0.05 from models/growth.toml)")


def test_a_table_where_the_model_has_a_value_is_an_error_naming_both_files_and_the_key():
    with pytest.raises(HouseholdError) as e:
        merge_model({"household": {}, "funds": {"us_equity": {"taxable": "VTI"}}}, MODEL,
                    household_file="h.toml", model_file="m.toml")
    assert str(e.value) == ("h.toml over model m.toml: [funds].us_equity: the household gives "
                            "a table where the model has a value")


def test_a_model_may_not_hold_household_sections():
    with pytest.raises(HouseholdError) as e:
        merge_model({"household": {}}, {"targets": {"bonds": 1.0}, "accounts": []},
                    model_file="m.toml")
    assert str(e.value) == ("m.toml: a model file may hold only [targets], [subtargets], "
                            "[settings], [funds]; found accounts")


def test_read_model_checks_the_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[targets]\nbonds = 0.4\nus_equity = 0.6\n[funds]\nbonds = "BND"\n')
    assert read_model(good) == {"targets": {"bonds": 0.4, "us_equity": 0.6},
                                "funds": {"bonds": "BND"}}
    bad = tmp_path / "bad.toml"
    bad.write_text('[household]\nname = "x"\n')
    with pytest.raises(HouseholdError) as e:
        read_model(bad)
    assert str(e.value) == (f"{bad}: a model file may hold only [targets], [subtargets], "
                            "[settings], [funds]; found household (keep those in each "
                            "household file)")
    flat = tmp_path / "flat.toml"
    flat.write_text('targets = "growth"\n')
    with pytest.raises(HouseholdError) as e:
        read_model(flat)
    assert str(e.value) == f"{flat}: targets must be a table ([targets]), not str"
    with pytest.raises(HouseholdError) as e:
        read_model(tmp_path / "missing.toml")
    assert str(e.value) == f"{tmp_path / 'missing.toml'}: no such model file"


def test_resolve_model_reads_the_model_relative_to_the_household_file(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.toml").write_text("[targets]\nbonds = 0.4\nus_equity = 0.6\n")
    hh = tmp_path / "clients" / "a" / "household.toml"
    hh.parent.mkdir(parents=True)
    data = {"household": {"name": "A", "model": "../../models/m.toml"}}
    assert resolve_model(data, hh) == {"household": {"name": "A"},
                                       "targets": {"bonds": 0.4, "us_equity": 0.6}}
    # no model anywhere: the data unchanged
    assert resolve_model({"household": {"name": "B"}}, hh) == {"household": {"name": "B"}}
    # a model assigned by the book's manifest, for a household that names none
    assert resolve_model({"household": {"name": "C"}}, hh,
                         model=tmp_path / "models" / "m.toml")["targets"] == {
        "bonds": 0.4, "us_equity": 0.6}
    # the same model both ways is fine; two different ones are an error
    other = tmp_path / "models" / "other.toml"
    other.write_text("[targets]\nbonds = 1.0\n")
    with pytest.raises(HouseholdError) as e:
        resolve_model(data, hh, model=other)
    assert str(e.value) == (f"{hh}: names model '../../models/m.toml' "
                            f"({tmp_path / 'models' / 'm.toml'}) but the book assigns {other}; "
                            "remove one of them")
    with pytest.raises(HouseholdError) as e:
        resolve_model({"household": {"model": 3}}, hh)
    assert str(e.value) == f"{hh}: [household] model = 3 must be a path (a string)"


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "household"


def test_a_household_naming_a_model_loads_as_if_the_targets_were_its_own(tmp_path):
    # The sample household with its [targets] moved into a model file, and one weight
    # overridden in the household file, loads exactly like the sample with the merged
    # weights written inline: us_equity 0.40 (own), intl 0.15, bonds 0.40 (own), reits 0.05.
    src = (SAMPLE / "household.toml").read_text()
    inline = src.replace("us_equity = 0.45", "us_equity = 0.40").replace("bonds = 0.35",
                                                                         "bonds = 0.40")
    a = toolkit.load_household(_write_copy(tmp_path / "inline", inline))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "growth.toml").write_text(
        "[targets]\nus_equity = 0.45\nintl_equity = 0.15\nbonds = 0.35\nreits = 0.05\n"
        "[settings]\ncash_floor = 750\n")
    with_model = src.replace('tax_year = 2026', 'tax_year = 2026\nmodel = "../models/growth.toml"')
    with_model = with_model.replace(
        "[targets]\nus_equity = 0.45\nintl_equity = 0.15\nbonds = 0.35\nreits = 0.05",
        "[targets]\nus_equity = 0.40\nbonds = 0.40")
    path = _write_copy(tmp_path / "modelled", with_model)
    b = load_entry(Entry("modelled/household", str(path)))
    pd.testing.assert_series_equal(b.targets.sort_index(), a.targets.sort_index())
    assert b.targets.sort_index().to_dict() == {"bonds": 0.40, "intl_equity": 0.15,
                                                "reits": 0.05, "us_equity": 0.40}
    assert b.settings == {"cash_floor": 750}
    assert b.name == a.name
    pd.testing.assert_frame_equal(b.positions, a.positions)
    pd.testing.assert_frame_equal(b.lots, a.lots)
    pd.testing.assert_frame_equal(toolkit.drift(b), toolkit.drift(a))


def _write_copy(folder, text):
    """The sample household file written into ``folder`` with its exports reached by
    absolute paths (the sample's own folder)."""
    folder.mkdir(parents=True)
    text = text.replace('path = "', f'path = "{SAMPLE}/')
    p = folder / "household.toml"
    p.write_text(text)
    return p
