"""From exports to a household file: ``init`` writes it, placeholders filled it loads; the
targets app's target written back into a household file keeps its comments."""

from __future__ import annotations

import re
import shutil
import tomllib

import pytest

from tests.conftest import SAMPLES
from toolkit import load_household
from toolkit.cli import main
from toolkit.errors import HouseholdError
from toolkit.onboarding import FILL_IN, household_template, save_targets

HOUSEHOLD = SAMPLES / "household" / "household.toml"
SAMPLE_FILES = sorted(p for p in (SAMPLES / "household").rglob("*") if p.is_file()
                      and p.suffix != ".toml")


def fill(text: str, *, types: dict[str, str], targets: dict[str, float]) -> str:
    """What a person does with the file: replace each FILL IN."""
    text = text.replace(f'filing_status = "{FILL_IN}"', 'filing_status = "married_filing_jointly"')
    text = text.replace(f'ordinary_income = "{FILL_IN}"', "ordinary_income = 185000")
    for cls, w in targets.items():
        text = text.replace(f'{cls} = "{FILL_IN}"', f"{cls} = {w}")
    for acct, t in types.items():
        text = re.sub(rf'(id = "{re.escape(acct)}"\ntype = )"{FILL_IN}"', rf'\1"{t}"', text)
    return text


def test_init_on_the_sample_exports_loads_once_filled(tmp_path):
    out = tmp_path / "household.toml"
    r = household_template(SAMPLE_FILES, out_dir=tmp_path)
    text = r.text
    # accounts as the exports name them: typed from the broker's names where they tell
    # (marked CHECK), a placeholder where they do not (Vanguard's OfxDownload.csv);
    # Schwab's "...456" (positions) and "XXX456" (lot file names) are one account
    assert re.findall(r'^id = "(.*)"$', text, re.M) == [
        "87654", "456789123", "234567891", "X71234567", "...456", "...789", "12345678",
        "23456789"]
    assert 'type = "hsa"   # CHECK: inferred from the broker\'s name "HEALTH SAVINGS ACCOUNT"' \
        in text.splitlines()
    assert text.count(f'type = "{FILL_IN}"') == 2
    assert text.count(f'# owner = "{FILL_IN}"') == 8
    # the allocation today as comments, beside the target placeholders
    assert "#   bonds           25.7%   $293,972.00" in text.splitlines()
    assert f'bonds = "{FILL_IN}"   # now 25.7%' in text.splitlines()
    assert len(re.findall(r"^\[\[files\]\]$", text, re.M)) == len(SAMPLE_FILES) == 12
    # as written, it does not load quietly: the first placeholder is named
    out.write_text(text)
    with pytest.raises(HouseholdError, match="ordinary_income = 'FILL IN' is not a number"):
        load_household(out)
    filled = fill(text, types={"12345678": "traditional_ira", "23456789": "roth_ira"},
                  targets={"us_equity": 0.45, "intl_equity": 0.15, "bonds": 0.35, "reits": 0.05})
    # no placeholder left outside comments
    assert [line for line in filled.splitlines() if FILL_IN in line.split("#")[0]] == []
    out.write_text(filled)
    h = load_household(out)
    sample = load_household(HOUSEHOLD)
    assert len(h.accounts) == 8
    assert h.total_value == pytest.approx(sample.total_value)
    assert len(h.lots) == len(sample.lots) == 54
    assert dict(zip(h.accounts["account"], h.accounts["tax_type"], strict=True))["...789"] \
        == "roth_ira"


def test_init_on_exports_nobody_here_wrote(tmp_path, shared_samples):
    files = [shared_samples / n for n in (
        "fidelity__FINporterFido__Portfolio_Positions_fromtest.csv",
        "schwab__FINporterChuck__Individual-Positions-2023-04-23_fromtest.csv",
        "ibkr__opensteuerauszug__vtandchill_2025_flex.xml",
        "vanguard__bankroll__vanguard_positions_and_transactions.csv",
        "schwab__Export-To-Ghostfolio__schwab-export.csv")]
    out = tmp_path / "h" / "household.toml"
    assert main(["init", *map(str, files), "--out", str(out)]) == 0
    text = out.read_text()
    ids = re.findall(r'^id = "(.*)"$', text, re.M)
    assert ids == ["Z00000000", "Z00000001", "...234", "U12349876", "12345678"]
    # the Ghostfolio transactions file names no account: its entry is written commented out
    commented = [line for line in text.splitlines() if line.startswith("# path = ")]
    assert len(commented) == 1 and commented[0].endswith(
        '/schwab__Export-To-Ghostfolio__schwab-export.csv"')
    assert len(re.findall(r"^\[\[files\]\]$", text, re.M)) == 4
    types = {a: "taxable" for a in ids}
    filled = fill(text, types=types, targets={c: 1.0 if c == "us_equity" else 0.0 for c in
                                              re.findall(r'^(\w+) = "FILL IN"   # now',
                                                         text, re.M)})
    out.write_text(filled)
    h = load_household(out)
    assert list(h.accounts["account"]) == ids
    assert h.profile.filing_status == "married_filing_jointly"
    # refusing to overwrite, unless asked
    assert main(["init", str(files[0]), "--out", str(out)]) == 2
    assert main(["init", str(files[0]), "--out", str(out), "--force"]) == 0


def test_init_refuses_no_files_and_unknown_files(tmp_path):
    with pytest.raises(HouseholdError, match="give at least one export file"):
        household_template([])
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    with pytest.raises(Exception, match="not a recognised brokerage export"):
        household_template([bad])


def test_saved_targets_keep_the_file_and_its_comments(tmp_path):
    p = tmp_path / "household.toml"
    shutil.copy(HOUSEHOLD, p)
    before = p.read_text()
    save_targets(p, {"us_equity": 0.5, "intl_equity": 0.1, "bonds": 0.35, "reits": 0.05})
    after = p.read_text()
    assert tomllib.loads(after)["targets"] == {"us_equity": 0.5, "intl_equity": 0.1,
                                               "bonds": 0.35, "reits": 0.05}
    # every line but the two changed weights is as it was, comments included
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert changed == [("us_equity = 0.45", "us_equity = 0.5"),
                       ("intl_equity = 0.15", "intl_equity = 0.1")]
    # a class dropped from the target is removed, a new one added
    save_targets(p, {"us_equity": 0.6, "bonds": 0.4})
    assert tomllib.loads(p.read_text())["targets"] == {"us_equity": 0.6, "bonds": 0.4}
    assert "# The sample household: Maya and Alex Rivera" in p.read_text()
