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

from toolkit.errors import FormatError, ToolkitError, UnknownFormatError

from ._export import HEAD_BYTES, Export, FormatSpec, Sniff, head_lines, sniff_lines
from ._finish import finish
from ._text import file_kind, sniff_path
from ._xlsx import check_zip

__all__ = ["MAX_FILE_BYTES", "Export", "FormatSpec", "available_formats", "load_export"]

#: Largest export read, bytes: 100,000 lots of IBKR Flex XML are about 60 MB.
MAX_FILE_BYTES = 1024 * 2**20
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
    """Read ``path`` and prepare the bounded prefix detection looks at.

    Raises
    ------
    FormatError
        If the file is missing, empty, a folder or larger than :data:`MAX_FILE_BYTES`.
    """
    p = sniff_path(path)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FormatError(f"the file is {size:,} bytes; exports are far smaller (limit "
                          f"{MAX_FILE_BYTES:,})", path=p)
    data = p.read_bytes()
    head = data[:HEAD_BYTES]
    kind = file_kind(head)
    if kind == "empty" and data.strip():
        kind = "text"  # only blank space in the first bytes
    if kind == "empty":
        raise FormatError("the file is empty; expected a brokerage export", path=p)
    lines: tuple[str, ...] = ()
    if kind in ("text", "json"):
        lines = head_lines(head, complete=len(data) <= HEAD_BYTES)
    return Sniff(path=p, head=head, kind=kind, data=data, head_lines=lines,
                 first_lines_norm=sniff_lines(lines))


def detect(s: Sniff) -> FormatSpec:
    """Return the format of a sniffed file.

    Raises
    ------
    UnknownFormatError
        When no known format matches, naming the first line seen.
    FormatError
        For a zip archive that would inflate too far (checked before any detector opens it).
    """
    if s.kind == "zip":
        check_zip(s.path, s.data, readable_only=True)
    for spec in _registry():
        if s.kind in spec.kinds and spec.detect(s):
            return spec
    known = ", ".join(f.name for f in _registry())
    if s.kind == "text":
        first = next((ln for ln in s.head_lines if ln.strip()), "")
        raise UnknownFormatError(
            f"not a recognised brokerage export; first non-empty line is {first[:120]!r}. "
            f"Known formats: {known}. For other brokers, use the generic lots/positions "
            "template (see README).",
            path=s.path, line=s.head_lines.index(first) + 1 if first else None,
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
    _registry()  # outside the boundary below: a broken format module is a bug, not a file error
    try:
        spec = _spec(s, format)
        opts = dict(options)
        if account is not None:
            opts["account"] = account
        if symbol is not None:
            opts["symbol"] = symbol
        export = spec.load(s, opts)
        return finish(export, s)
    except ToolkitError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # the one boundary: every other parsing failure names the file
        raise FormatError(f"could not read the file ({type(exc).__name__}: {exc}); it is "
                          "damaged or in a layout the loader does not handle",
                          path=s.path.name, line=_line_of(exc)) from exc
    finally:
        s.close()


def _spec(s: Sniff, format: str | None) -> FormatSpec:
    if format is None:
        return detect(s)
    spec = next((f for f in _registry() if f.name == format), None)
    if spec is None:
        raise UnknownFormatError(
            f"unknown format {format!r}; known: {', '.join(f.name for f in _registry())}",
            path=s.path)
    if s.kind not in spec.kinds:
        raise FormatError(
            f"format {format!r} reads {' or '.join(spec.kinds)} files, but this file is "
            f"{_KIND_WORDS.get(s.kind, s.kind)}", path=s.path)
    return spec


def _line_of(exc: BaseException) -> int | None:
    """The line a parser's exception names, if it carries one (``lineno``, ``position``)."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    pos = getattr(exc, "position", None)
    if isinstance(pos, tuple) and pos and isinstance(pos[0], int):
        return pos[0]
    return None
