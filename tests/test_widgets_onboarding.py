"""The upload box of notebook 00 and the targets app's Save button, driven in plain pytest."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tomllib

import pytest

from tests.conftest import SAMPLES
from toolkit import load_household
from toolkit.onboarding import FILL_IN
from toolkit.widgets import InitApp, TargetsApp

SAMPLE_DIR = SAMPLES / "household"


def uploads(paths):
    """What ipywidgets' FileUpload holds after a person picks ``paths``."""
    when = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    return tuple({"name": p.name, "type": "text/csv", "size": p.stat().st_size,
                  "last_modified": when, "content": memoryview(p.read_bytes())} for p in paths)


def test_uploaded_exports_become_a_household_file(tmp_path):
    files = [SAMPLE_DIR / "fidelity" / "Portfolio_Positions_Nov-20-2026.csv",
             SAMPLE_DIR / "vanguard" / "OfxDownload.csv"]
    app = InitApp(folder=tmp_path / "mine")
    app.upload.value = uploads(files)
    app.name.value = "The Riveras"
    app.button.click()
    assert app.errors.last is None
    out = tmp_path / "mine" / "household.toml"
    assert app.written == out
    # the uploads saved beside it, byte for byte, and listed in it by their names
    for f in files:
        assert (tmp_path / "mine" / f.name).read_bytes() == f.read_bytes()
    text = out.read_text()
    assert re.findall(r'^path = "(.*)"$', text, re.M) == [f.name for f in files]
    assert 'name = "The Riveras"' in text.splitlines()
    assert re.findall(r'^id = "(.*)"$', text, re.M) == [
        "234567891", "87654", "456789123", "X71234567", "12345678", "23456789"]
    assert app.result.text == text
    assert f"replace the {text.count(FILL_IN)} <code>{FILL_IN}</code> placeholder(s)" in \
        app.status.value
    assert "<pre>" in app.text.value and "[[accounts]]" in app.text.value
    # again: the file is there, so it asks first
    app.button.click()
    assert str(app.errors.last) == f"{out} exists: tick 'replace' or choose another folder"
    app.replace.value = True
    app.button.click()
    assert app.errors.last is None


def test_nothing_uploaded_is_a_visible_error(tmp_path):
    app = InitApp(folder=tmp_path)
    app.button.click()
    assert str(app.errors.last) == "upload at least one export first"
    assert not (tmp_path / "household.toml").exists()


def test_targets_app_saves_its_targets_and_the_file_reads_them_back(tmp_path):
    home = tmp_path / "household"
    shutil.copytree(SAMPLE_DIR, home)
    path = home / "household.toml"
    h = load_household(path)
    app = TargetsApp(h)
    assert app.save_to == path and not app.save.disabled
    app.sliders["us_equity"].value = 55.0
    app.save.click()
    assert app.errors.last is None
    want = app.model.validated()
    saved = tomllib.loads(path.read_text())["targets"]
    # US equity 55%; the other 45% split 15 : 35 : 5 as before: 45 x 15/55 = 12.2727%,
    # 45 x 35/55 = 28.6364%, 45 x 5/55 = 4.0909% (six decimals)
    assert saved == {"us_equity": 0.55, "intl_equity": 0.122727, "bonds": 0.286364,
                     "reits": 0.040909}
    assert saved == pytest.approx({c: float(w) for c, w in want.items()}, abs=1e-6)
    # what notebook 02 does: load the file again; the plan works to the saved target
    again = load_household(path)
    assert again.targets.to_dict() == pytest.approx(want.to_dict(), abs=1e-6)
    assert "# taxable ordinary income before any realised gains" in path.read_text()
    assert app.saved.value == (f"Saved to <code>{path}</code>; notebook 02 and the command "
                               "line read it from there.")


def test_a_household_without_a_file_cannot_save(tmp_path):
    from toolkit.examples import example_a

    app = TargetsApp(example_a())
    assert app.save.disabled
    with pytest.raises(Exception, match="nowhere to save"):
        app.save_targets()
