"""Widget apps for JupyterLab and Voilà: each wraps the pure core, exposes ``.root`` and never
displays itself in its constructor. Errors raised in callbacks show in a visible box."""

from toolkit.widgets.targets import TargetsApp, TargetsModel

__all__ = ["TargetsApp", "TargetsModel"]
