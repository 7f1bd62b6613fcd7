"""A book: a folder of household files or a manifest CSV, read into paths and labels."""

from __future__ import annotations

import pytest

from toolkit.batch import Entry, load_book
from toolkit.errors import FormatError, HouseholdError


def _touch(p, text="[household]\n"):
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_a_folder_lists_every_household_file_but_the_models(tmp_path):
    _touch(tmp_path / "b" / "household.toml")
    _touch(tmp_path / "a" / "household.toml")
    _touch(tmp_path / "solo.toml")
    _touch(tmp_path / "models" / "growth.toml", "[targets]\nbonds = 1.0\n")
    _touch(tmp_path / "team" / "models" / "income.toml", "[targets]\nbonds = 1.0\n")
    book = load_book(tmp_path)
    assert book.households == ["a/household", "b/household", "solo"]
    assert book.entries[0] == Entry("a/household", str((tmp_path / "a" / "household.toml")
                                                       .resolve()))
    assert len(book) == 3
    assert load_book(book) is book


def test_a_manifest_carries_model_advisor_and_tags(tmp_path):
    _touch(tmp_path / "models" / "growth.toml", "[targets]\nbonds = 1.0\n")
    m = tmp_path / "book.csv"
    m.write_text("file,model,advisor,tags\n"
                 "clients/a/household.toml,models/growth.toml,Avery Chen,rmd-age;vip\n"
                 "\n"
                 "clients/b.toml,,,\n")
    book = load_book(m)
    assert book.entries == (
        Entry("clients/a/household", str((tmp_path / "clients/a/household.toml").resolve()),
              str((tmp_path / "models/growth.toml").resolve()), "Avery Chen", "rmd-age;vip"),
        Entry("clients/b", str((tmp_path / "clients/b.toml").resolve())),
    )
    assert book.source == m


@pytest.mark.parametrize(("text", "message"), [
    ("", "{m}, line 1: empty manifest: expected a header row with a 'file' column"),
    ("path,advisor\nx.toml,A\n", "{m}, line 1, column 'file': no 'file' column in the header "
                                  "(path, advisor); columns: file, model, advisor, tags"),
    ("file,owner\nx.toml,A\n", "{m}, line 1, column 'owner': unknown column(s) ['owner']; "
                               "columns: file, model, advisor, tags"),
    ("file,advisor\nx.toml,A\n,B\n", "{m}, line 3, column 'file': no household file on this "
                                     "row"),
    ("file\nx.toml\ny.toml\nx.toml\n", "{m}, line 4, column 'file': household file 'x.toml' is "
                                       "already listed on line 2"),
    ("file,advisor\nx.toml,A,extra\n", "{m}, line 2: 3 cells for 2 columns"),
    ("file\n\n", "{m}, line 2: the manifest lists no households"),
])
def test_manifest_errors_name_the_file_line_and_column(tmp_path, text, message):
    m = tmp_path / "book.csv"
    m.write_text(text)
    with pytest.raises(FormatError) as e:
        load_book(m)
    assert str(e.value) == message.format(m=m)


def test_not_a_book(tmp_path):
    with pytest.raises(HouseholdError) as e:
        load_book(tmp_path / "nowhere")
    assert str(e.value) == (f"{tmp_path / 'nowhere'}: no such book (a folder of household "
                            "files or a manifest .csv)")
    with pytest.raises(HouseholdError) as e:
        load_book(tmp_path)
    assert str(e.value) == f"{tmp_path}: no household files (*.toml) in this folder"
    with pytest.raises(HouseholdError) as e:
        load_book(_touch(tmp_path / "x.toml"))
    assert str(e.value) == (f"{tmp_path / 'x.toml'}: a book is a folder of household files or "
                            "a manifest .csv")
