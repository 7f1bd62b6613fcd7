"""Loaders: brokerage exports in, validated canonical frames out.

:func:`load_export` detects a file's format from its content and dispatches to the format's
module. Each module in this package that does not start with ``_`` declares ``FORMATS``, a
list of :class:`~toolkit.io._export.FormatSpec`; they are discovered here, so adding a format
means adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from toolkit.errors import FormatError, UnknownFormatError

from ._export import Export, FormatSpec, Sniff
from ._text import decode, file_kind, norm_line, sniff_path

__all__ = ["Export", "FormatSpec", "available_formats", "load_export"]

_HEAD_BYTES = 65536
_KIND_WORDS = {"zip": "a zip/xlsx archive", "ole": "a legacy Excel (.xls) file",
               "binary": "binary data", "xml": "XML", "json": "JSON", "ofx": "OFX",
               "text": "text"}


@cache
def _registry() -> tuple[FormatSpec, ...]:
    specs: list[FormatSpec] = []
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        specs.extend(getattr(module, "FORMATS", ()))
    names = [s.name for s in specs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"format names declared twice: {sorted(dup)}")
    return tuple(sorted(specs, key=lambda s: (s.priority, s.name)))


def available_formats() -> list[FormatSpec]:
    """Every export format the toolkit can load, in detection order.

    Returns
    -------
    list of FormatSpec
        Each with ``name``, ``custodian`` and ``description``.
    """
    return list(_registry())


def sniff(path: str | Path) -> Sniff:
    """Read enough of ``path`` to detect its format.

    Raises
    ------
    FormatError
        If the file is missing, empty or a folder.
    """
    p = sniff_path(path)
    data = p.read_bytes()
    kind = file_kind(data)
    if kind == "empty":
        raise FormatError("the file is empty; expected a brokerage export", path=p)
    tf = None
    first: tuple[str, ...] = ()
    if kind in ("text", "json"):
        tf = decode(p, data)
        first = tuple(norm_line(ln) for ln in tf.lines[:60])
    return Sniff(path=p, head=data[:_HEAD_BYTES], kind=kind, text=tf, first_lines_norm=first)


def detect(s: Sniff) -> FormatSpec:
    """Return the format of a sniffed file.

    Raises
    ------
    UnknownFormatError
        When no known format matches, naming the first line seen.
    """
    for spec in _registry():
        if s.kind in spec.kinds and spec.detect(s):
            return spec
    known = ", ".join(f.name for f in _registry())
    if s.kind == "text" and s.text is not None:
        first = next((ln for ln in s.text.lines if ln.strip()), "")
        raise UnknownFormatError(
            f"not a recognised brokerage export; first non-empty line is {first[:120]!r}. "
            f"Known formats: {known}. For other brokers, use the generic lots/positions "
            "template (see README).",
            path=s.path, line=s.text.lines.index(first) + 1 if first else None,
        )
    what = {"zip": "a spreadsheet or zip archive", "ole": "a legacy .xls file",
            "binary": "binary data", "xml": "an XML file", "json": "a JSON file",
            "ofx": "an OFX file"}.get(s.kind, s.kind)
    raise UnknownFormatError(
        f"{what} that is not a recognised brokerage export. Known formats: {known}.",
        path=s.path,
    )


def load_export(path: str | Path, *, format: str | None = None, account: str | None = None,
                symbol: str | None = None, **options) -> Export:
    """Load one brokerage export into canonical frames.

    The format is detected from the file's content, not its name.

    Parameters
    ----------
    path : str or Path
        The export file.
    format : str, optional
        Force a format by name (see :func:`available_formats`) instead of detecting it.
    account : str, optional
        Account id for exports that do not name their account (Schwab transactions from late
        2023 keep it only in the file name; lot files of one account).
    symbol : str, optional
        Symbol for exports that do not name their security (Fidelity Stock Plan Services
        open lots: one file per stock).
    **options
        Format-specific options (for example ``date_format`` for IBKR Flex).

    Returns
    -------
    Export
        With ``format``, ``positions``, ``lots``, ``transactions``, ``skipped``,
        ``accounts`` and ``as_of``; frames follow :mod:`toolkit.schema`.

    Raises
    ------
    FormatError
        If the file is missing, empty, binary, truncated, has a missing required column or
        a cell that cannot be read; the message names the file, line and column.
    UnknownFormatError
        If the file is not an export the toolkit knows.
    """
    s = sniff(path)
    if format is not None:
        spec = next((f for f in _registry() if f.name == format), None)
        if spec is None:
            raise UnknownFormatError(
                f"unknown format {format!r}; known: {', '.join(f.name for f in _registry())}",
                path=s.path)
        if s.kind not in spec.kinds:
            raise FormatError(
                f"format {format!r} reads {' or '.join(spec.kinds)} files, but this file is "
                f"{_KIND_WORDS.get(s.kind, s.kind)}", path=s.path)
    else:
        spec = detect(s)
    opts = dict(options)
    if account is not None:
        opts["account"] = account
    if symbol is not None:
        opts["symbol"] = symbol
    export = spec.load(s, opts)
    return export.validated()
