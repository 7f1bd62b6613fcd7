"""The mutation fuzzer's short run (``tests/fuzz.py``), and checks that its oracle can fail."""

import random

import pytest

from tests import fuzz
from tests.golden import load_options

#: Mutants per sample in the short run (a few seconds in make test): every sample is damaged
#: this many times. ``python -m tests.fuzz --mutants 1000`` is the long run.
PER_FILE = 1


def test_short_campaign_every_mutant_is_refused_equal_or_explained():
    files = fuzz.sample_files()
    counts, failures = fuzz.campaign(PER_FILE * len(files), seed=20261120, files=files)
    assert failures == []
    allowed = {"error", "equal", "explained", "as mutated"}
    outcomes = {k for k in counts if isinstance(k, str)}
    assert outcomes <= allowed
    # the samples were damaged and judged (a mutation may find nothing to change, e.g. no
    # date in a file: at most two of the mutants here)
    judged = sum(counts[o] for o in allowed)
    assert judged >= PER_FILE * len(files) - 2


def _sample(name):
    return next(p for p in fuzz.sample_files() if p.name == name)


def test_oracle_fails_a_changed_total_that_nothing_reports(tmp_path):
    # a valid number swapped for another valid one cannot be told from a real file: the
    # oracle must call it a changed total with nothing reported (which is why the fuzzer only
    # writes numbers no export writes)
    p = _sample("Holdings_11202026.csv")
    original = fuzz.load_export(p, **load_options(p))
    text = p.read_text()
    value = f"{original.positions['market_value'].iloc[0]:,.2f}"  # "36,168.00"
    assert value in text
    target = tmp_path / p.name
    target.write_text(text.replace(value, "1.00", 1))
    mutant = fuzz.Mutant("change number", "by hand", target.read_bytes())
    outcome, _ = fuzz.judge(original, mutant, target, load_options(p))
    assert outcome == "FAIL: totals changed, nothing reported"


def test_oracle_fails_a_raw_exception(tmp_path, monkeypatch):
    p = _sample("Holdings_11202026.csv")
    original = fuzz.load_export(p, **load_options(p))

    def broken(*args, **kwargs):
        raise KeyError("Quantity")

    monkeypatch.setattr(fuzz, "load_export", broken)
    mutant = fuzz.Mutant("drop line", "by hand", p.read_bytes())
    assert fuzz.judge(original, mutant, p, {}) == ("FAIL: raw exception", "KeyError: 'Quantity'")


@pytest.mark.parametrize("mutation", [fuzz.drop_line, fuzz.duplicate_line, fuzz.insert_bytes])
def test_line_mapping_sends_mutant_lines_back_to_the_original(mutation):
    data = b"a\nb\nc\nd\n"
    m = mutation(random.Random(3), data)
    new_lines = m.data.split(b"\n")
    old_lines = data.split(b"\n")
    for i, line in enumerate(new_lines, start=1):
        o = m.back(i)
        if m.kind == "insert bytes" and line not in old_lines:
            continue  # the damaged line itself
        assert old_lines[o - 1] == line, (m.detail, i, o)
