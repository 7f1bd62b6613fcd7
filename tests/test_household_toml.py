"""The household file's values type-checked: every wrong type or non-finite number is a
HouseholdError naming the key, never a raw Python error (issue 12)."""

from __future__ import annotations

import textwrap

import pytest

from toolkit.errors import HouseholdError
from toolkit.household_file import load_household

HOUSEHOLD = """\
[household]
name = "T"
tax_year = 2026
filing_status = "single"
ordinary_income = 100000
as_of = 2026-11-20
"""
TARGETS = "[targets]\nus_equity = 1.0\n"
ACCOUNT = '[[accounts]]\nid = "A1"\ntype = "taxable"\n'


def household_text(*, top: str = "", household: dict | None = None, targets: str = TARGETS,
                   tail: str = "") -> str:
    """A household file: ``top`` lines before any table, [household] with ``household``'s
    replacements (key -> TOML value text), the targets, one account, then ``tail``."""
    lines = HOUSEHOLD.splitlines()
    for k, v in (household or {}).items():
        lines = [x for x in lines if not x.startswith(f"{k} =")] + [f"{k} = {v}"]
    return (textwrap.dedent(top) + "\n".join(lines) + "\n" + targets + ACCOUNT
            + textwrap.dedent(tail))


def refused(tmp_path, text: str) -> str:
    p = tmp_path / "household.toml"
    p.write_text(text)
    with pytest.raises(HouseholdError) as exc:
        load_household(p)
    return str(exc.value).replace(str(p), "P")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("tax_year", '"x"', "[household]: tax_year = 'x' is not a year (a whole number such as 2026)"),
    ("tax_year", "2026.5", "[household]: tax_year = 2026.5 is not a year (a whole number such "
                           "as 2026)"),
    ("name", "{a = 1}", "[household]: name = {'a': 1} is not a string (write it in quotes)"),
    ("filing_status", '["single"]', "[household]: filing_status = ['single'] is not a string "
                                    "(write it in quotes)"),
    ("ordinary_income", "nan", "[household]: ordinary_income = nan is not a finite number"),
    ("state_rate", "inf", "[household]: state_rate = inf is not a finite number"),
    ("future_ordinary_rate", '"x"', "[household]: future_ordinary_rate = 'x' is not a number"),
    ("deductions", "-inf", "[household]: deductions = -inf is not a finite number"),
    ("as_of", "5", "[household]: as_of = 5 is not a date (write as_of = 2026-11-20)"),
])
def test_household_values(tmp_path, key, value, message):
    assert refused(tmp_path, household_text(household={key: value})) == f"P: {message}"


@pytest.mark.parametrize(("kw", "message"), [
    ({"targets": "[targets]\nus_equity = nan\n"},
     "[targets]: weight of 'us_equity' is nan, not a finite number"),
    ({"targets": "[targets]\nus_equity = inf\nbonds = 0.0\n"},
     "[targets]: weight of 'us_equity' is inf, not a finite number"),
    ({"top": "targets = [1]\n", "targets": ""},
     "targets = [1] is not a table; write it as [targets] with key = value lines"),
    ({"top": "contributions = [1, 2]\n"},
     "contributions = [1, 2] is not a table; write it as [contributions] with key = value lines"),
    ({"tail": '[contributions]\n"A1" = nan\n'},
     "[contributions]: 'A1' = nan is not a finite number of dollars"),
    ({"tail": '[contributions]\n"A1" = -inf\n'},
     "[contributions]: 'A1' = -inf is not a finite number of dollars"),
    ({"tail": '[contributions]\n"A1" = "1000"\n'},
     "[contributions]: 'A1' = '1000' is not a number"),
    ({"tail": "[subtargets.us_equity]\nlarge = nan\nsmall = 1.0\n"},
     "[subtargets]: us_equity.large = nan is not a finite non-negative number"),
    ({"top": "files = [1]\n"},
     "files = [1] is not an array of tables; write each entry as [[files]] with key = value "
     "lines"),
    ({"tail": "[[files]]\npath = 123\n"},
     "[[files]] #1: path = 123 is not a string (write it in quotes)"),
    ({"tail": '[[files]]\npath = "x.csv"\nformat = 5\n'},
     "[[files]] #1: format = 5 is not a string (write it in quotes)"),
    ({"tail": '[[accounts]]\nid = "B"\nowner = 5\n'},
     "[[accounts]] #2: owner = 5 is not a string (write it in quotes)"),
    ({"tail": '[[accounts]]\nid = ["B"]\n'},
     "[[accounts]] #2: id = ['B'] is not a string (write it in quotes)"),
    ({"top": "people = [1]\n"},
     "people = [1] is not an array of tables; write each entry as [[people]] with key = value "
     "lines"),
    ({"tail": "[[people]]\nbirth_year = 1970\n"},
     "[[people]] #1: name = None is not a string (each person needs a name, as the accounts' "
     "owner)"),
    ({"top": "securities = [1]\n"},
     "securities = [1] is not a table; write it as [securities] with key = value lines"),
    ({"tail": "[securities]\nVTI = 5\n"},
     'securities.VTI = 5 is not a table; write [securities.VTI] with asset_class = "..."'),
    ({"top": "settings = [1]\n"},
     "settings = [1] is not a table; write it as [settings] with key = value lines"),
    ({"tail": '[settings]\nsubstantially_identical = ["VTI", "ITOT"]\n'},
     "[settings]: substantially_identical = ['VTI', 'ITOT'] is not a list of lists of symbols "
     '(write [["VOO", "IVV"], ["VTI", "ITOT"]])'),
    ({"tail": "[settings]\ncash_floor = nan\n"},
     "[settings]: cash_floor = nan is not a non-negative number of dollars (or a table of "
     "account id = dollars)"),
    ({"tail": "[settings]\nharvest_log = 5\n"},
     "[settings]: harvest_log = 5 is not a string (write it in quotes)"),
])
def test_tables_and_values(tmp_path, kw, message):
    assert refused(tmp_path, household_text(**kw)) == f"P: {message}"


def test_an_integer_account_id_is_read_as_its_digits(tmp_path):
    # TOML integers cannot have leading zeros, so 87654 stands for "87654" exactly.
    p = tmp_path / "household.toml"
    p.write_text(household_text(tail="[[accounts]]\nid = 87654\ntype = \"roth_ira\"\n"))
    h = load_household(p)
    assert h.accounts["account"].tolist() == ["A1", "87654"]


def test_a_file_that_is_not_utf8_names_line_and_column(tmp_path):
    p = tmp_path / "household.toml"
    p.write_bytes(household_text().encode() + b'[settings]\nnote = "caf\xe9"\n')
    with pytest.raises(HouseholdError) as exc:
        load_household(p)
    # [settings] is line 13 of the file; 'note = "caf' is 11 characters: the byte is column 12
    assert str(exc.value) == (f"{p}: line 13, column 12: byte 0xe9 is not UTF-8; save the "
                              "household file as UTF-8")


def test_a_directory_given_as_the_household_file(tmp_path):
    with pytest.raises(HouseholdError) as exc:
        load_household(tmp_path)
    assert str(exc.value) == (f"{tmp_path}: is a directory; give the household file (a .toml "
                              "file) inside it")


def test_a_directory_listed_as_an_export(tmp_path):
    (tmp_path / "exports").mkdir()
    text = household_text(tail='[[files]]\npath = "exports"\n')
    assert refused(tmp_path, text) == (
        f"P: [[files]] #1: 'exports' is not a file (looked at {tmp_path / 'exports'})")


def test_a_model_file_that_is_not_utf8_or_not_a_file(tmp_path):
    # [household] model = "m.toml": a Latin-1 byte at offset 10 (after "[settings]"), then a
    # directory
    (tmp_path / "m.toml").write_bytes(b'[settings]\xe9\n')
    text = household_text(household={"model": '"m.toml"'})
    assert refused(tmp_path, text) == (f"{tmp_path / 'm.toml'}: the model file is not UTF-8 "
                                       "(byte 0xe9 at offset 10)")
    (tmp_path / "m.toml").unlink()
    (tmp_path / "m.toml").mkdir()
    assert refused(tmp_path, text).startswith(f"{tmp_path / 'm.toml'}: the model file cannot be "
                                              "read (")
