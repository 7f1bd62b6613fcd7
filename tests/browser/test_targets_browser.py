"""The targets-and-drift notebook in a real browser: JupyterLab and the Voilà dashboard.

Open the notebook, run it, move the US-equity slider by typing into its readout, and check that
the drift table under the chart and the plan summary now show exactly what the core computes
for the new target, and that the chart image changed. The dashboard is served as
``python -m toolkit dashboard`` serves it: nothing is fetched from outside localhost (the
``page`` fixture refuses and fails on it), the widgets' icons come from the local Font
Awesome, and closing the page shuts its kernel down. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.conftest import SAMPLES
from toolkit import drift, load_household
from toolkit.allocation import Band
from toolkit.display import format_value
from toolkit.planner import plan
from toolkit.style import fmt_money
from toolkit.widgets import TargetsModel

pytestmark = pytest.mark.browser
NEW_US_EQUITY = 55.0


def expected():
    """What the core computes after the slider sets US equity to 55%."""
    h = load_household(SAMPLES / "household" / "household.toml")
    m = TargetsModel(h)
    m.set_target("us_equity", NEW_US_EQUITY / 100)
    t = m.validated()
    d = drift(h, t, band=Band())
    p = plan(h, targets=t, band=Band())
    # the app's sentence (TargetsApp.update), from the same plan
    summary = (f"Plan: {p.summary.trades} trades, tax {fmt_money(p.summary.tax)}, turnover "
               f"{p.summary.turnover:.1%}; {'within' if p.summary.within_band else 'not within'}"
               " the band after the plan.")
    return [format_value(v * 100, "pp") for v in d["drift"]], summary


def drift_cells(page) -> list[str]:
    table = page.locator("table", has=page.get_by_text("drift (pp)", exact=True))
    return [c.strip() for c in table.locator("tbody tr td:nth-child(4)").all_inner_texts()]


def image_src(page) -> str:
    return page.locator(".jupyter-widgets img, .widget-image").first.get_attribute("src") or ""


def move_slider(page, label: str, value: float) -> None:
    slider = page.locator(".widget-slider", has=page.get_by_text(label, exact=True))
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{value:g}")
    page.keyboard.press("Enter")


def check_after_move(page, name: str) -> None:
    page.locator(".widget-slider").nth(3).wait_for()
    page.get_by_text("drift (pp)", exact=True).wait_for()
    before_cells, before_src = drift_cells(page), image_src(page)
    before_summary = page.locator("b", has_text=re.compile(r"^Plan:$")).locator(
        "xpath=..").first.inner_text().split(" Outside")[0]
    want_cells, want_summary = expected()
    assert before_cells != want_cells
    move_slider(page, "US equity", NEW_US_EQUITY)
    page.wait_for_function(
        """([old]) => {
            const t = [...document.querySelectorAll('table')].find(
                x => x.innerText.includes('drift (pp)'));
            if (!t) return false;
            const cells = [...t.querySelectorAll('tbody tr td:nth-child(4)')]
                .map(c => c.innerText.trim());
            return JSON.stringify(cells) !== JSON.stringify(old);
        }""", arg=[before_cells], timeout=60_000)
    assert drift_cells(page) == want_cells
    # the summary is another widget: its new text may arrive a moment after the table's
    page.wait_for_function(
        """([old]) => [...document.querySelectorAll('b')]
            .filter(b => b.innerText.trim() === 'Plan:')
            .some(b => !b.parentElement.innerText.startsWith(old))""",
        arg=[before_summary], timeout=60_000)
    summary = page.locator("b", has_text=re.compile(r"^Plan:$")).locator("xpath=..")
    text = " ".join(summary.first.inner_text().split())
    assert text.split(" Outside the band now:")[0] == want_summary
    assert image_src(page) != before_src
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_jupyterlab_slider_updates_drift_and_plan(lab, page):
    base, token = lab
    page.goto(f"{base}/lab/workspaces/t-slider/tree/notebooks/01_targets_and_drift.ipynb"
              f"?reset&token={token}")
    page.get_by_text(re.compile(r"\| Idle")).first.wait_for(timeout=90_000)
    for attempt in range(2):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.locator(".widget-slider").first.wait_for(timeout=90_000)
            break
        except Exception:
            if attempt:
                raise
    check_after_move(page, "jupyterlab_targets")


def test_voila_dashboard_slider_updates_drift_and_plan(voila, page):
    page.goto(voila, timeout=300_000)
    page.locator(".widget-slider").first.wait_for(timeout=300_000)
    check_after_move(page, "voila_targets")
    # the lock buttons' icons are drawn with the Font Awesome Voila serves itself
    font = page.evaluate("""() => getComputedStyle(
        document.querySelector('.widget-toggle-button i.fa'), '::before').fontFamily""")
    assert "Font Awesome" in font
    # closing the page shuts its kernel down (the shutdown beacon is accepted)
    kernel = page.evaluate("""() => JSON.parse(
        document.getElementById('jupyter-config-data').textContent).kernelId""")
    assert urlopen(f"{voila}/api/kernels/{kernel}").status == 200
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 30
    status = 200
    while time.monotonic() < deadline and status == 200:
        time.sleep(1)
        try:
            status = urlopen(f"{voila}/api/kernels/{kernel}").status
        except HTTPError as exc:
            status = exc.code
    assert status == 404
