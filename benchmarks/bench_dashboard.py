"""The dashboard's first render: Voilà serving the targets notebook, opened in Chromium.

Served as ``python -m toolkit dashboard`` serves it (``toolkit.dashboard``: offline template,
one preheated kernel). Figures: seconds from starting the server to its port opening; from
opening the page right then to the sliders and the chart image showing (the first visitor
after ``make dashboard``); the same for a second visitor once the pool has refilled; and the
count of requests to hosts other than localhost (must be 0). Needs Debian's Chromium; without
it the benchmark says so and reports nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks._harness import report
from toolkit.dashboard import voila_command, voila_env

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_targets_and_drift.ipynb"
CHROMIUM = os.environ.get("TOOLKIT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
REFILL_WAIT_S = 40.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_page(ctx, url: str, external: list[str]) -> float:
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, timeout=300_000)
    page.locator(".widget-slider").first.wait_for(timeout=300_000)
    page.locator(".jupyter-widgets img, img.widget-image").first.wait_for(timeout=300_000)
    seconds = time.perf_counter() - t0
    page.close(run_before_unload=True)
    return seconds


def main() -> None:
    if not Path(CHROMIUM).exists():
        print(f"  dashboard_first_render: skipped (no Chromium at {CHROMIUM})")
        return
    from playwright.sync_api import sync_playwright  # (only when a browser is there)

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    env = voila_env()
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR"):
        (tmp / var).mkdir()
        env[var] = str(tmp / var)
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(voila_command(NOTEBOOK, port=port), env=env, cwd=NOTEBOOK.parent,
                            stdout=(tmp / "voila.log").open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.perf_counter() - t0 > 120:
                raise RuntimeError(f"voila did not start; see {tmp / 'voila.log'}")
            time.sleep(0.1)
        ready = time.perf_counter() - t0
        external: list[str] = []
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(tmp / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport={"width": 1400, "height": 1100})

            def route(r):
                host = r.request.url.split("/")[2].split(":")[0] if "://" in r.request.url \
                    else ""
                if host in ("127.0.0.1", "localhost"):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            first = open_page(ctx, f"http://127.0.0.1:{port}/", external)
            time.sleep(REFILL_WAIT_S)
            second = open_page(ctx, f"http://127.0.0.1:{port}/", external)
            ctx.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    report("dashboard_first_render", server_ready_s=round(ready, 1),
           first_page_s=round(first, 1), next_page_s=round(second, 1),
           external_requests=len(external))


if __name__ == "__main__":
    main()
