"""The household-level fuzzer's short run (``tests/fuzz_household.py``) and a check that its
oracle can fail."""

from __future__ import annotations

import shutil

import pytest

from tests import fuzz, fuzz_household


@pytest.mark.slow  # about 3 s a household load: 12 loads (python -m tests.fuzz_household)
def test_short_household_campaign_every_mutant_is_refused_equal_or_explained():
    # one damaged export per mutant, each of the sample household's 12 exports once
    n = len(fuzz_household.exports())
    counts, failures = fuzz_household.campaign(n, seed=20261120)
    assert failures == []
    judged = sum(counts[o] for o in ("error", "equal", "explained"))
    assert judged >= n - 2  # a mutation may find nothing to change (no date in a file)


def test_oracle_fails_a_changed_value_that_nothing_reports(tmp_path):
    # A valid number swapped for another valid one cannot be told from a real file: the
    # oracle must call it a change with nothing reported. Fidelity's FXAIX in the ROLLOVER
    # IRA: "$92,840.00" -> "$1.00".
    root = tmp_path / "household"
    shutil.copytree(fuzz_household.SAMPLE, root)
    original = fuzz_household.load(root / "household.toml")
    rel = fuzz_household.Path("fidelity/Portfolio_Positions_Nov-20-2026.csv")
    text = (root / rel).read_text(encoding="utf-8-sig")
    assert '"$92,840.00"' in text
    (root / rel).write_text(text.replace('"$92,840.00"', '"$1.00"', 1))
    mutant = fuzz.Mutant("change number", "by hand", (root / rel).read_bytes())
    outcome, detail = fuzz_household.judge(original, mutant, rel, root / "household.toml")
    assert outcome == "FAIL: changed, nothing reported"
    assert detail.startswith("[('234567891', 'FXAIX')]")
