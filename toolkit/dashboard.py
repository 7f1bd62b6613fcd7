"""Serve a notebook as a Voilà dashboard for a meeting screen: localhost, offline, tidy.

``python -m toolkit dashboard [NOTEBOOK] [--port N]`` (and ``make dashboard``) run Voilà
with the settings this module holds, so the command line, the browser tests and the
benchmark serve the dashboard the same way:

* the ``toolkit`` template (``toolkit/share/voila/templates/toolkit``): Voilà's lab template
  without the Font Awesome stylesheets it fetches from a CDN (Voilà's own bundle serves Font
  Awesome locally), so a page loads everything from the local server;
* only ``127.0.0.1``, no browser opened, no port retries;
* :data:`POOL_SIZE` kernel kept warm: Voilà runs the notebook in it before anyone asks, so
  a page opens in seconds (a cold kernel spends half a minute importing and computing);
* kernels shut down when their page closes (Voilà's page sends a shutdown beacon; its XSRF
  check is off, since the page never gets the cookie the beacon would need and the server
  listens on localhost only) and, in case a browser never says goodbye, culled after
  :data:`CULL_IDLE_SECONDS` idle seconds without a connection (Jupyter's kernel culling,
  checked every :data:`CULL_INTERVAL_SECONDS`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["CULL_IDLE_SECONDS", "CULL_INTERVAL_SECONDS", "DATA_DIR", "DEFAULT_NOTEBOOK",
           "POOL_SIZE", "TEMPLATE", "serve", "voila_command", "voila_env"]

#: The Jupyter data folder holding the toolkit's Voilà template.
DATA_DIR = Path(__file__).resolve().parent / "share"
#: The template's name (``DATA_DIR/voila/templates/<TEMPLATE>``).
TEMPLATE = "toolkit"
#: Idle seconds after which a kernel nobody is connected to is shut down.
CULL_IDLE_SECONDS = 120
#: How often the culler looks, seconds.
CULL_INTERVAL_SECONDS = 30
#: Kernels kept warm (the notebook already run) for the next visitors.
POOL_SIZE = 1
#: The notebook served by default (relative to the project folder).
DEFAULT_NOTEBOOK = Path("notebooks") / "01_targets_and_drift.ipynb"


def voila_command(notebook: str | Path, *, port: int = 8866, python: str | None = None
                  ) -> list[str]:
    """The command that serves ``notebook`` as the toolkit's dashboard.

    Parameters
    ----------
    notebook : str or Path
    port : int, default 8866
        Served on ``127.0.0.1`` only; no other port is tried.
    python : str, optional
        The interpreter (default: this one).

    Returns
    -------
    list of str
    """
    return [python or sys.executable, "-m", "voila", str(notebook), "--no-browser",
            "--Voila.ip=127.0.0.1", f"--port={int(port)}", "--Voila.port_retries=0",
            f"--template={TEMPLATE}",
            # one kernel runs the notebook ahead of the next visitor: the page opens in
            # seconds, not the half minute a cold kernel takes to import and compute
            "--preheat_kernel=True", f"--pool_size={POOL_SIZE}",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
            "--MappingKernelManager.cull_connected=False",
            # the page's shutdown beacon carries no _xsrf field (Voila never sets the cookie
            # on its page), so the check would refuse it and leave a kernel per visit; the
            # server listens on 127.0.0.1 only
            "--Voila.tornado_settings=disable_check_xsrf=True"]


def voila_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment to run Voilà in: the template folder first on ``JUPYTER_PATH``.

    Parameters
    ----------
    base : mapping, optional
        The environment to start from (default: this process's).

    Returns
    -------
    dict
    """
    env = dict(os.environ if base is None else base)
    parts = [str(DATA_DIR), *[p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]]
    env["JUPYTER_PATH"] = os.pathsep.join(parts)
    return env


def serve(notebook: str | Path = DEFAULT_NOTEBOOK, *, port: int = 8866) -> int:
    """Serve ``notebook`` until interrupted; return Voilà's exit status.

    Parameters
    ----------
    notebook : str or Path
    port : int, default 8866

    Returns
    -------
    int
    """
    try:
        return subprocess.call(voila_command(notebook, port=port), env=voila_env())
    except KeyboardInterrupt:
        return 0
