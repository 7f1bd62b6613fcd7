"""Every notebook in JupyterLab, in Chromium: run all, then read the page as a person sees it.

For each notebook: no error output and no widget error box; every cell that shows a chart
(``show(plot_...)``, or an app with a chart) has an image in its output; no full account
number anywhere in the page's text; no MathJax-typeset element in any output (dollar signs in
tables and messages stay dollar signs). Each chart cell is saved as a screenshot under
``test-artifacts/`` (``lab_<notebook>_<n>.png``), with the top of the page.
"""

from __future__ import annotations

import json
import re
from urllib.request import Request, urlopen

import pytest

from tests.browser.conftest import ARTIFACTS, full_ids
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
CHART_CELL = re.compile(r"\bshow\(|\b(Targets|Plan|LotWhatIf|Harvest|Cadence)App\(")


def run_all(page) -> None:
    """Run every cell and wait until the kernel has run the last one."""
    page.get_by_text(re.compile(r"\| Idle")).first.wait_for(timeout=120_000)
    for attempt in range(2):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:  # started: some prompt shows [*] or a number
            page.wait_for_function(
                """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                      .some(p => /\\[(\\*|\\d+)\\]/.test(p.innerText))""", timeout=60_000)
            break
        except Exception:
            if attempt:
                raise
    page.wait_for_function(
        """() => {
            const ps = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .map(p => p.innerText.trim());
            return ps.length > 0 && ps.every(t => /^\\[\\d+\\]:$/.test(t));
        }""", timeout=600_000, polling=1000)


def shut_kernels(base: str, token: str) -> None:
    """End the session's kernels (one notebook's kernel does not outlive its test)."""
    auth = {"Authorization": f"token {token}"}
    with urlopen(Request(f"{base}/api/kernels", headers=auth)) as r:
        for k in json.load(r):
            urlopen(Request(f"{base}/api/kernels/{k['id']}", method="DELETE", headers=auth))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_in_jupyterlab(lab, page, name):
    base, token = lab
    stem = name.removesuffix(".ipynb")
    # a workspace of its own: only this notebook open
    page.goto(f"{base}/lab/workspaces/t-{stem}/tree/notebooks/{name}?reset&token={token}")
    try:
        run_all(page)
        page.wait_for_timeout(1500)  # widget views attach after the kernel's last reply
        check_page(page, stem)
    finally:
        shut_kernels(base, token)


def check_page(page, stem: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"lab_{stem}_0.png"))
    cells = page.locator(".jp-NotebookPanel:visible .jp-CodeCell")
    missing, shot = [], 0
    for i in range(cells.count()):
        cell = cells.nth(i)
        source = cell.locator(".jp-InputArea-editor").inner_text()
        if not CHART_CELL.search(source):
            continue
        img = cell.locator(".jp-OutputArea img")
        try:
            img.first.wait_for(timeout=60_000)
        except Exception:
            missing.append(source)
            continue
        for k in range(min(img.count(), 2)):  # the chart itself (a cell may be taller
            shot += 1                           # than the window)
            img.nth(k).scroll_into_view_if_needed()
            img.nth(k).screenshot(path=str(ARTIFACTS / f"lab_{stem}_{shot}.png"))
    assert missing == [], "chart cells without an image"
    errors = page.locator(".jp-OutputArea-output[data-mime-type="
                          "'application/vnd.jupyter.error'], .jp-OutputArea-output.jp-mod-error"
                          ).all_inner_texts()
    assert errors == []
    text = page.locator("body").inner_text()
    assert "Could not update:" not in text  # no widget error box
    assert [i for i in full_ids() if re.search(rf"\b{re.escape(i)}\b", text)] == []
    assert page.locator(".jp-OutputArea mjx-container, table mjx-container").count() == 0
