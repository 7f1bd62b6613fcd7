"""Every notebook, executed headless with nbclient: no errors, and charts where they are called.

A cell that calls a ``plot_*`` function must show an image in its own outputs, and no other
cell may carry one (a figure left open by one cell used to appear in a later one, or not at
all). No output may show a full account number of the sample household, and no table may
leave MathJax on (its ``$`` signs would turn into mathematics).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT, SAMPLES
from toolkit import load_household
from toolkit.accounts import AccountMasker, account_key

pytestmark = pytest.mark.notebook
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOT_CALL = re.compile(r"\bplot_\w+\(")


def full_ids() -> list[str]:
    """The sample household's full account ids (not those a broker masked already)."""
    h = load_household(SAMPLES / "household" / "household.toml")
    return sorted(a for a in AccountMasker.of(h.accounts).masks if not account_key(a).masked)


def run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def texts(output) -> list[str]:
    if output.output_type == "stream":
        return [output.text]
    data = output.get("data", {})
    return [v if isinstance(v, str) else "".join(v)
            for k, v in data.items() if k in ("text/plain", "text/html")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_charts_where_called(path):
    nb = run(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [(c.source, o.get("ename"), o.get("evalue")) for c in code for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    images = {i: sum("image/png" in o.get("data", {}) for o in c.outputs)
              for i, c in enumerate(code)}
    plots = {i for i, c in enumerate(code) if PLOT_CALL.search(c.source)}
    assert {i for i in plots if images[i] != 1} == set(), "a plot_* cell without its chart"
    assert {i for i, n in images.items() if n and i not in plots} == set(), "a stray image"
    shown = [t for c in code for o in c.outputs for t in texts(o)]
    leaks = sorted({i for i in full_ids() for t in shown if re.search(rf"\b{i}\b", t)})
    assert leaks == []
    tables = [t for t in shown if "<table" in t]
    assert all('mathjax_ignore' in t for t in tables), "a table MathJax would typeset"


def test_every_notebook_with_charts_calls_show():
    """The charts notebooks call ``show(plot_...)`` (no notebook relies on a backend)."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            if c.cell_type == "code" and PLOT_CALL.search(c.source):
                assert re.search(r"\bshow\((?:\w+\.)?plot_\w+\(", c.source), (path.name, c.source)
