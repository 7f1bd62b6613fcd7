"""Shared fixtures: paths to the project's samples and to the shared reference exports."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
#: Real, permissively licensed exports kept beside the project (absent on some machines).
SHARED_SAMPLES = ROOT.parent / "shared" / "formats" / "samples"


#: Markers whose tests are slow by nature: ``make test-fast`` leaves them out.
_SLOW_BY_NATURE = ("browser", "notebook")


def pytest_collection_modifyitems(config, items):
    """Browser and notebook tests are ``slow`` too."""
    for item in items:
        if any(item.get_closest_marker(m) for m in _SLOW_BY_NATURE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def shared_samples() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"reference exports not present at {SHARED_SAMPLES}")
    return SHARED_SAMPLES


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file in a temporary folder and return its path."""

    def _write(name: str, content: str | bytes, *, bom: bool = False, crlf: bool = False) -> Path:
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
            return p
        if crlf:
            content = content.replace("\n", "\r\n")
        data = content.encode("utf-8")
        if bom:
            data = b"\xef\xbb\xbf" + data
        p.write_bytes(data)
        return p

    return _write
