"""The book's drift on one chart: every household's drift per asset class.

Shows no account ids at all (nothing to mask) and no client names: a household is a dot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from toolkit.batch.tasks import NOT_BANDED
from toolkit.style import LABELS, style

__all__ = ["plot_book_drift"]

_OUT, _IN = "#c0504d", "#4f81bd"


def plot_book_drift(result, ax: Axes | None = None, *,
                    title: str = "Drift across the book (percentage points)") -> Axes:
    """One dot per household and asset class: its drift, red when outside the band.

    Parameters
    ----------
    result : BookResult or DataFrame
        A :class:`~toolkit.batch.BookResult` or its ``drift`` frame (``household``,
        ``asset_class``, ``drift``, ``outside``). Cash and unclassified rows are left out
        (:data:`toolkit.batch.tasks.NOT_BANDED`).
    ax : Axes, optional
        Where to draw (default: a new figure that pyplot does not manage, as
        :mod:`toolkit.plots` makes).
    title : str

    Returns
    -------
    Axes
        ``ax.collections[0]`` holds the households outside their band, ``[1]`` those within
        (offsets: drift in percentage points, class row); the y tick labels name the classes
        with how many households are outside (``"Bonds (12 of 40 outside)"``).
    """
    drift = result if isinstance(result, pd.DataFrame) else result.frames["drift"]
    d = drift[~drift["asset_class"].isin(NOT_BANDED)] if len(drift) else drift
    if ax is None:  # a figure pyplot never sees: shown where toolkit.display.show says
        with style():
            ax = Figure(figsize=(7.5, 4.0), layout="constrained").subplots()
    with style():
        classes = list(dict.fromkeys(d["asset_class"])) if len(d) else []
        row = {c: len(classes) - 1 - i for i, c in enumerate(classes)}
        rng = np.random.default_rng(0)  # fixed jitter: the same book draws the same chart
        y = d["asset_class"].map(row).to_numpy(dtype=float) + rng.uniform(-0.18, 0.18, len(d))
        x = d["drift"].to_numpy(dtype=float) * 100
        out = d["outside"].astype(bool).to_numpy() if len(d) else np.zeros(0, dtype=bool)
        ax.scatter(x[out], y[out], s=14, color=_OUT, alpha=0.75, label="outside band", lw=0)
        ax.scatter(x[~out], y[~out], s=14, color=_IN, alpha=0.55, label="within band", lw=0)
        ax.axvline(0, color="black", lw=0.8)
        labels = []
        for c in classes:
            part = d[d["asset_class"] == c]
            n_out = int(part["outside"].astype(bool).sum())
            labels.append(f"{LABELS.get(c, c)} ({n_out} of {part['household'].nunique()} "
                          "outside)")
        ax.set_yticks([row[c] for c in classes], labels)
        ax.set_xlabel("drift from target, percentage points")
        ax.grid(axis="x", color="#e5e5e5")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", frameon=False)
        ax.set_title(title)
    return ax
