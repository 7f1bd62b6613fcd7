"""Real-browser fixtures: Debian's Chromium driven by Playwright against a JupyterLab or Voilà
server started on a free localhost port with private config folders (see shared BROWSER.md).

Without Chromium the browser tests skip and say why, except under CI (``CI=true``), where a
missing browser is a failure.
"""

from __future__ import annotations

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

from tests.conftest import ROOT

CHROMIUM = os.environ.get("TOOLKIT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


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


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the notebooks beside a link to the sample data, and private Jupyter dirs."""
    root = tmp_path / "ws"
    (root / "notebooks").mkdir(parents=True)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, root / "notebooks" / nb.name)
    (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    return root


def jupyter_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")):
        d = tmp / "jupyter" / sub
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    notif = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    return env


def _start(cmd: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def lab(workspace: Path, tmp_path: Path):
    """A JupyterLab server on a free port: yields (base_url, token)."""
    _need_browser()
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
           "--port", str(port), f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={workspace}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    proc = _start(cmd, jupyter_env(tmp_path), workspace, tmp_path / "lab.log")
    try:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}", token
    finally:
        _stop(proc)


@pytest.fixture
def voila(workspace: Path, tmp_path: Path):
    """A Voilà server for the targets notebook: yields its base URL."""
    _need_browser()
    port = free_port()
    cmd = [sys.executable, "-m", "voila", "--no-browser", "--Voila.ip=127.0.0.1",
           "--port", str(port), "--Voila.port_retries=0",
           str(workspace / "notebooks" / "01_targets_and_drift.ipynb")]
    proc = _start(cmd, jupyter_env(tmp_path), workspace / "notebooks", tmp_path / "voila.log")
    try:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture
def page(tmp_path: Path):
    """A Chromium page (headless, fresh profile); fails the test on any page error."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1400, "height": 1100})
        pg = ctx.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.set_default_timeout(60_000)
        try:
            yield pg
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            ctx.close()
    assert errors == [], f"errors in the page: {errors}"
