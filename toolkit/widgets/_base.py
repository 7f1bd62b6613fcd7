"""Pieces every widget app shares: a figure shown as an image widget and updated in place, and
a visible error box for callbacks. Tables come from :func:`toolkit.display.table_html`."""

from __future__ import annotations

import functools
import io
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as W
from matplotlib.figure import Figure

from toolkit.style import style


class FigureView:
    """A matplotlib figure rendered into an ``ipywidgets.Image``.

    The figure and its artists live for the life of the app; callbacks change artists in
    place and call :meth:`refresh`, which re-renders the same figure into the same widget (no
    new figure, no output capture: works in JupyterLab, Voilà and plain pytest).
    """

    def __init__(self, *, figsize=(7.5, 4.0), nrows: int = 1, ncols: int = 1, dpi: int = 80,
                 **subplot_kw: Any) -> None:
        with style():
            self.figure = Figure(figsize=figsize, dpi=dpi)
            axes = self.figure.subplots(nrows, ncols, **subplot_kw)
            # fixed margins: a layout engine would re-solve the layout on every render
            self.figure.subplots_adjust(left=0.14, right=0.98, bottom=0.16, top=0.9,
                                        wspace=0.62)
        self.axes = axes
        self.dpi = dpi
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.renders = 0

    def refresh(self) -> None:
        """Render the figure into the image widget."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=self.dpi, bbox_inches=None)
        self.image.value = buf.getvalue()
        self.renders += 1


class ErrorBox:
    """A visible place for errors raised in callbacks (which would otherwise vanish)."""

    def __init__(self) -> None:
        self.widget = W.HTML(value="", layout=W.Layout(display="none"))
        self.last: BaseException | None = None

    def clear(self) -> None:
        self.widget.value = ""
        self.widget.layout.display = "none"
        self.last = None

    def show(self, exc: BaseException) -> None:
        self.last = exc
        msg = f"{type(exc).__name__}: {exc}"
        self.widget.value = (f'<div style="color:#9c0006;background:#ffc7ce;padding:6px;'
                             f'border-radius:4px"><b>Could not update:</b> {_escape(msg)}</div>')
        self.widget.layout.display = ""

    def guard(self, fn: Callable) -> Callable:
        """Wrap a callback so its errors show in the box instead of being lost."""

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                out = fn(*args, **kwargs)
            except Exception as exc:
                traceback.print_exc()
                self.show(exc)
                return None
            self.clear()
            return out

        return wrapped


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
