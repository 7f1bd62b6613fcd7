"""Pieces every widget app shares: a figure shown as an image widget and updated in place, and
a visible error box for callbacks. Tables come from :func:`toolkit.display.table_html`."""

from __future__ import annotations

import functools
import io
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as W
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from toolkit.style import style


class FigureView:
    """A matplotlib figure rendered into an ``ipywidgets.Image``.

    The figure and its artists live for the life of the app; callbacks change artists in
    place and call :meth:`refresh`, which re-renders the same figure into the same widget (no
    new figure, no output capture: works in JupyterLab, Voilà and plain pytest).

    Fast path (blitting): artists named with :meth:`set_moving` are drawn apart from the rest.
    A full refresh draws the still part (axes, ticks, labels, titles: most of the text) once
    and keeps it; ``refresh(full=False)`` restores that background and draws only the moving
    artists on it, so a slider move does not re-render text that did not change.
    """

    def __init__(self, *, figsize=(7.5, 4.0), nrows: int = 1, ncols: int = 1, dpi: int = 80,
                 **subplot_kw: Any) -> None:
        with style():
            self.figure = Figure(figsize=figsize, dpi=dpi)
            axes = self.figure.subplots(nrows, ncols, **subplot_kw)
            # fixed margins: a layout engine would re-solve the layout on every render
            self.figure.subplots_adjust(left=0.14, right=0.98, bottom=0.16, top=0.9,
                                        wspace=0.62)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = axes
        self.dpi = dpi
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.renders = 0
        self.fast_renders = 0
        self.moving: list[Artist] = []
        self.overlays: list[Artist] = []
        self._background = None
        self._overlay_pixels: list = []

    def set_moving(self, artists, overlays=()) -> None:
        """Name the artists a fast refresh redraws (the rest is kept as a still background).

        Parameters
        ----------
        artists : iterable of Artist
            Drawn on every refresh, in z-order, on the still background.
        overlays : iterable of Artist
            Opaque artists drawn over the moving ones (legends with a filled frame): drawn
            once per full refresh, their pixels then pasted back on every fast one (text is
            not re-rendered).

        The next :meth:`refresh` is a full one.
        """
        for a in (*self.moving, *self.overlays):
            a.set_animated(False)
        self.moving = sorted(artists, key=lambda a: a.get_zorder())
        self.overlays = list(overlays)
        for a in (*self.moving, *self.overlays):
            a.set_animated(True)
        self._background = None

    def refresh(self, full: bool = True) -> None:
        """Render the figure into the image widget.

        Parameters
        ----------
        full : bool, default True
            Redraw everything. False redraws only the moving artists on the kept background
            (a full redraw happens anyway when there is no background yet).
        """
        with style():
            if full or self._background is None:
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
                for a in self.moving:
                    self.figure.draw_artist(a)
                renderer = self.canvas.get_renderer()
                self._overlay_pixels = []
                for a in self.overlays:
                    self.figure.draw_artist(a)
                    # (one pixel more all round: the frame's anti-aliased edge)
                    self._overlay_pixels.append(
                        self.canvas.copy_from_bbox(a.get_window_extent(renderer).padded(1)))
            else:
                self.canvas.restore_region(self._background)
                for a in self.moving:
                    self.figure.draw_artist(a)
                for region in self._overlay_pixels:
                    self.canvas.restore_region(region)
                self.fast_renders += 1
        w, h = self.canvas.get_width_height()
        buf = io.BytesIO()
        PILImage.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
                            ).save(buf, format="png", compress_level=1)
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
