"""Real-browser fixtures: Debian's Chromium driven by Playwright against one JupyterLab and one
Voilà server per test session, each on a free localhost port with private config folders
(see shared BROWSER.md).

Without Chromium the browser tests skip and say why, except under CI (``CI=true``), where a
missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES
from toolkit import load_household
from toolkit.accounts import AccountMasker, account_key
from toolkit.dashboard import voila_command, voila_env

CHROMIUM = os.environ.get("TOOLKIT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _need_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    msg = (f"Chromium not found at {CHROMIUM}: install Debian's chromium (make test does it "
           "when run as root) or set TOOLKIT_CHROMIUM")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def full_ids() -> list[str]:
    """The sample household's full account numbers (what no page may show)."""
    h = load_household(SAMPLES / "household" / "household.toml")
    return sorted(a for a in AccountMasker.of(h.accounts).masks if not account_key(a).masked)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """A copy of the notebooks beside a copy of the sample data (nothing a test does can
    change the project's files)."""
    root = tmp_path_factory.mktemp("ws")
    (root / "notebooks").mkdir()
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, root / "notebooks" / nb.name)
    shutil.copytree(SAMPLES / "household", root / "data" / "samples" / "household")
    return root


def jupyter_env(tmp: Path) -> dict[str, str]:
    env = voila_env()
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")):
        d = tmp / "jupyter" / sub
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    # notebooks are never saved (a test's outputs do not reach the next test's copy)
    (settings / "docmanager-extension").mkdir(parents=True, exist_ok=True)
    (settings / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False}))
    # every cell in the page (no windowing), so a test reads every output
    (settings / "notebook-extension").mkdir(parents=True, exist_ok=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    return env


def _start(cmd: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def lab(workspace: Path, tmp_path_factory):
    """One JupyterLab server for the session: yields (base_url, token)."""
    _need_browser()
    tmp = tmp_path_factory.mktemp("lab")
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
           "--port", str(port), f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={workspace}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    proc = _start(cmd, jupyter_env(tmp), workspace, tmp / "lab.log")
    try:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}", token
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def voila(workspace: Path, tmp_path_factory):
    """One dashboard server (as ``python -m toolkit dashboard`` serves it): yields its URL."""
    _need_browser()
    tmp = tmp_path_factory.mktemp("voila")
    port = free_port()
    cmd = voila_command(workspace / "notebooks" / "01_targets_and_drift.ipynb", port=port)
    proc = _start(cmd, jupyter_env(tmp), workspace / "notebooks", tmp / "voila.log")
    try:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One headless Chromium for the session. Requests to any host but localhost are
    refused and recorded in ``browser.outside`` (nothing may need the network)."""
    _need_browser()
    from playwright.sync_api import sync_playwright  # (only when a browser is there)

    tmp = tmp_path_factory.mktemp("chromium")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 1100})
        ctx.outside = []

        def route(r):
            url = r.request.url
            host = url.split("/")[2].split(":")[0] if "://" in url else ""
            if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                r.continue_()
            else:
                ctx.outside.append(url)
                r.abort()

        ctx.route("**/*", route)
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture
def page(browser):
    """A new page; fails the test on any page error or request to the outside."""
    errors: list[str] = []
    pg = browser.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(120_000)
    ARTIFACTS.mkdir(exist_ok=True)
    before = len(browser.outside)
    try:
        yield pg
    finally:
        if not pg.is_closed():
            pg.close()
    assert errors == [], f"errors in the page: {errors}"
    assert browser.outside[before:] == [], "requests to hosts other than localhost"
