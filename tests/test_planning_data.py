"""The planning package data: copied unchanged from the tax research, every row sourced."""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import pytest

DATA = Path(resources.files("toolkit.planning").joinpath("data"))
SHARED = Path(__file__).resolve().parents[2] / "shared" / "tax"
TABLES = ["uniform_lifetime_table.csv", "rmd_rules.csv", "special_rules.csv"]


def _rows(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name", ["uniform_lifetime_table.csv", "rmd_rules.csv"])
def test_copied_tables_are_unchanged(name):
    if not SHARED.is_dir():
        pytest.skip("shared tax research not present")
    assert (DATA / name).read_bytes() == (SHARED / name).read_bytes()


def _declared_sources() -> list[str]:
    ids = []
    for line in (DATA / "sources.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ([^|]+?) \| ", line)
        if m and m.group(1) not in ("id", "---"):
            ids += [x.strip() for x in m.group(1).split(" / ")]
    return ids


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_a_status_and_a_listed_source(name):
    declared = sorted(_declared_sources(), key=len, reverse=True)
    for row in _rows(name):
        assert row["status"] in ("confirmed", "confirmed_secondary", "UNCONFIRMED")
        if not row["source_id"]:
            assert row["status"] == "UNCONFIRMED", row
            continue
        for part in row["source_id"].split(";"):
            part = part.strip().strip('"')
            assert any(part.startswith(d) for d in declared), (name, part)


def test_uniform_lifetime_table_is_the_2022_table():
    rows = {int(r["age"]): float(r["distribution_period"])
            for r in _rows("uniform_lifetime_table.csv")}
    assert min(rows) == 72 and max(rows) == 120 and len(rows) == 49
    # the pre-2022 table starts 70: 27.4, 71: 26.5; the current one has those at 72 and 73
    assert (rows[72], rows[73], rows[75], rows[120]) == (27.4, 26.5, 24.6, 2.0)
    assert all(rows[a] > rows[a + 1] for a in range(72, 120))
