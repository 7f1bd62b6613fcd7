"""Every sample export loads to exactly its committed expected output."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests import golden

FILES = golden.sample_files()


def test_there_are_samples():
    assert len(FILES) >= 1


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(golden.SAMPLES)) for p in FILES])
def test_sample_matches_golden(path):
    meta_file = golden.expected_dir(path) / f"{path.name}.meta.json"
    assert meta_file.exists(), f"no expected output for {path.name}: run `make golden`"
    export = golden.load(path)
    expected_meta = json.loads(meta_file.read_text())
    assert golden.meta(export) == expected_meta
    for name in golden.FRAMES:
        got = getattr(export, name)
        want = golden.read_expected(path, name)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10, atol=1e-9)
