"""Reading export files: bytes to text, CSV rows with their line numbers, headers bound by name.

Nothing here knows a broker. Format modules use these pieces to find their header by
pattern, read their rows, stop at footers and bind columns by name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import FormatError, MissingColumnError

ZIP_MAGIC = b"PK\x03\x04"
#: Cells the fast reader may turn into NaN in numeric columns (all are null tokens).
_NUMERIC_NULLS = ("", "--", "-", "n/a", "N/A", "NA", "na")
#: Marker cell appended to each line by the fast reader (control characters never reach it).
_MARK = "\x01"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


@dataclass
class TextFile:
    """A decoded text export: its path, full text and physical lines (no line endings)."""

    path: Path
    text: str
    lines: list[str]
    encoding: str = "utf-8"
    had_bom: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The file's name (what messages show)."""
        return self.path.name


def file_kind(data: bytes) -> str:
    """Classify raw bytes as ``"empty"``, ``"zip"``, ``"ole"``, ``"binary"``, ``"xml"``,
    ``"json"``, ``"ofx"`` or ``"text"``."""
    if not data.strip():
        return "empty"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    head = data[:8192]
    # binary data (or UTF-16) is full of control bytes; a stray NUL in a text export is
    # damage that decode() strips with a note
    controls = sum(head.count(bytes([c])) for c in (*range(0, 9), *range(14, 32), 127))
    if controls > len(head) // 100 or (controls >= 2 and controls * 10 > len(head)):
        return "binary"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<FlexQueryResponse") or \
            stripped.startswith(b"<OpenPositions"):
        if b"<OFX" in head.upper():
            return "ofx"
        return "xml"
    if stripped.startswith(b"OFXHEADER") or b"<OFX>" in head.upper():
        return "ofx"
    if stripped.startswith(b"{") or stripped.startswith(b"["):
        return "json"
    return "text"


def decode(path: Path, data: bytes) -> TextFile:
    """Decode export bytes as UTF-8 (BOM removed), falling back to Windows-1252.

    Line endings (CRLF, CR, LF) are normalised; ``lines`` holds physical lines.

    Raises
    ------
    FormatError
        If the file is empty or binary.
    """
    kind = file_kind(data)
    if kind == "empty":
        raise FormatError("the file is empty; expected a brokerage export", path=path)
    if kind in ("binary", "zip", "ole"):
        what = {"zip": "a zip/xlsx archive", "ole": "a legacy Excel (.xls) file",
                "binary": "binary data"}[kind]
        raise FormatError(f"found {what} where a text (CSV) export was expected", path=path)
    had_bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
        enc = "utf-8"
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        enc = "cp1252"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, note = strip_controls(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return TextFile(path=path, text=text, lines=lines, encoding=enc, had_bom=had_bom,
                    notes=[note] if note else [])


#: Control characters no export holds in a cell (C0 but tab and newline, DEL, C1).
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> tuple[str, str | None]:
    """Remove control characters (NUL, ...) from decoded text, with a note naming the lines.

    A NUL or an escape code inside a cell is damage, never data: left in place it would stay
    inside a symbol (``V\x00TI`` is not ``VTI``) or break a number. Tabs and line ends stay.

    Returns
    -------
    text : str
        The text without them.
    note : str or None
        ``"removed 2 control character(s) (NUL) on line(s) 4, 9"``, or None when there were none.
    """
    if not CONTROLS.search(text):
        return text, None
    found = CONTROLS.findall(text)
    names = sorted({"NUL" if c == "\x00" else f"U+{ord(c):04X}" for c in found})
    lines = sorted({text.count("\n", 0, m.start()) + 1 for m in CONTROLS.finditer(text)})
    shown = ", ".join(str(n) for n in lines[:10]) + (" ..." if len(lines) > 10 else "")
    return CONTROLS.sub("", text), (f"removed {len(found)} control character(s) "
                                    f"({', '.join(names)}) on line(s) {shown}")


@lru_cache(maxsize=4096)
def norm_header(cell: str) -> str:
    """Normalise a header cell for matching: case-folded, quotes and `` ($)``/``($)`` removed,
    inner whitespace collapsed."""
    h = cell.replace("\ufeff", "").strip().strip('"').strip()
    h = re.sub(r"\s*\(\$\)\s*$", "", h)
    h = re.sub(r"\s+", " ", h)
    return h.casefold()


def _lenient_cells(line: str) -> list[str]:
    try:
        return next(csv.reader([line[:4096]]), [])
    except csv.Error:
        return line[:4096].split(",")


def split_csv_line(line: str) -> list[str]:
    """Split one physical line as CSV (quotes honoured).

    A line the csv module cannot read (a cell beyond its size limit) is split on commas, so
    that detection and footer checks never fail on it; loading it reports the error.
    """
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return line.split(",")


def norm_line(line: str) -> str:
    """A line normalised for signature matching: cells normalised, trailing empties dropped."""
    cells = [norm_header(c) for c in split_csv_line(line)]
    while cells and cells[-1] == "":
        cells.pop()
    return ",".join(cells)


def is_blank(line: str) -> bool:
    """True for an empty line or one made only of commas, quotes and spaces."""
    return not line.strip().strip(',"').strip(', "\t')


@dataclass
class Row:
    """One CSV record: its first physical line (1-based), its cells and its raw text.

    ``error`` is set (and ``cells`` empty) for a line the csv module could not read, when
    the reader was asked to go on past it (``iter_rows(..., lenient=True)``).
    """

    line: int
    cells: list[str]
    raw: str
    error: str | None = None


def iter_rows(tf: TextFile, start: int, stop: int | None = None, *,
              lenient: bool = False) -> Iterator[Row]:
    """Yield CSV records from physical line index ``start`` (0-based) up to ``stop``.

    A quoted cell may span lines; ``Row.line`` is the record's first line (1-based).
    With ``lenient``, a record the csv module cannot read (a stray quote, a cell beyond its
    size limit) is yielded as a :class:`Row` with ``error`` set for its first physical line,
    and reading goes on at the next line; a record cut off at the end of the file still
    raises.

    Raises
    ------
    FormatError
        If a quoted cell is never closed (the file was cut off mid-row), or for any record
        the csv module cannot read when not ``lenient``.
    """
    stop = len(tf.lines) if stop is None else stop
    i = start
    while i < stop:
        chunk = tf.lines[i:stop]
        reader = csv.reader((ln + "\n" for ln in chunk), strict=True)
        consumed = 0
        first = 0
        try:
            while True:
                first = consumed
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                consumed = reader.line_num
                yield Row(line=i + first + 1, cells=cells, raw="\n".join(chunk[first:consumed]))
        except csv.Error as exc:
            line = i + first
            why = ("a cell is larger than any export writes" if "field larger" in str(exc)
                   else "the file looks cut off mid-row")
            # cut off: the last record of the file is broken, or a quote opened in it runs to
            # the end of the file
            at_end = all(is_blank(ln) for ln in tf.lines[line + 1:]) or (
                "unexpected end of data" in str(exc)
                and all(is_blank(ln) for ln in tf.lines[stop:]))
            if not lenient or at_end:
                raise FormatError(f"cannot read this row as CSV ({exc}); {why}",
                                  path=tf.name, line=line + 1) from exc
            # the lines the broken record took are reported, and reading goes on after them
            # (restarting inside a record would read its middle as a record of its own); a
            # quote that ran to the end of the file took only its own line
            runaway = "unexpected end of data" in str(exc)
            upto = line + 1 if runaway else i + max(reader.line_num, first + 1)
            yield Row(line=line + 1, cells=[], raw=tf.lines[line], error=str(exc))
            for k in range(line + 1, upto):
                yield Row(line=k + 1, cells=[], raw=tf.lines[k],
                          error=f"part of the unreadable record of line {line + 1}")
            i = upto


#: What a declared column's cells are converted to (see :func:`toolkit.io._build.convert`):
#: ``text`` (stripped, null tokens missing), ``symbol`` (also without Fidelity's ``**``),
#: ``money`` and ``quantity`` (float: dollars, shares), ``percent`` (a fraction), ``date``
#: (``datetime64`` at midnight) and ``raw`` (the cell as written, for the format to read).
KINDS = ("text", "symbol", "money", "quantity", "percent", "date", "raw")
NUMERIC_KINDS = frozenset({"money", "quantity", "percent"})


@dataclass(frozen=True)
class ColumnSpec:
    """How a canonical column is found in a broker header, and what its cells hold.

    ``names`` are accepted header texts, compared after :func:`norm_header`. ``kind`` is one
    of :data:`KINDS`. ``need``: a row whose cell is empty is not data this loader can use; it
    is skipped with ``missing`` as the reason (default ``"no <header>"``). ``decimal`` is the
    layout's decimal convention for numbers (:data:`toolkit.io._clean.DECIMALS`). Numeric
    kinds with the US convention let the fast reader hand plain numbers to pandas' C parser
    (``numeric``); the cleanup still reads ``$1,234``, ``(5)`` and null tokens.
    """

    names: Sequence[str]
    required: bool = True
    kind: str = "raw"
    need: bool = False
    missing: str | None = None
    decimal: str = "."
    dayfirst_form: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {KINDS}")

    @property
    def numeric(self) -> bool:
        """True when plain numbers in this column may be read by pandas' C parser."""
        return self.kind in NUMERIC_KINDS and self.decimal == "."


class Col:
    """Short constructors for :class:`ColumnSpec`, one per kind.

    ``Col.money("Current Value", "Value")`` declares a required money column found under
    either header; keywords are those of :class:`ColumnSpec`.
    """

    @staticmethod
    def text(*names: str, **kw) -> ColumnSpec:
        """A text column."""
        return ColumnSpec(names, kind="text", **kw)

    @staticmethod
    def symbol(*names: str, **kw) -> ColumnSpec:
        """A ticker or CUSIP column."""
        return ColumnSpec(names, kind="symbol", **kw)

    @staticmethod
    def money(*names: str, **kw) -> ColumnSpec:
        """A dollar amount."""
        return ColumnSpec(names, kind="money", **kw)

    @staticmethod
    def quantity(*names: str, **kw) -> ColumnSpec:
        """Shares, contracts or face value."""
        return ColumnSpec(names, kind="quantity", **kw)

    @staticmethod
    def percent(*names: str, **kw) -> ColumnSpec:
        """A percent, read as a fraction."""
        return ColumnSpec(names, kind="percent", **kw)

    @staticmethod
    def date(*names: str, **kw) -> ColumnSpec:
        """A date."""
        return ColumnSpec(names, kind="date", **kw)

    @staticmethod
    def raw(*names: str, **kw) -> ColumnSpec:
        """Cells kept as written (the format reads them itself)."""
        return ColumnSpec(names, kind="raw", **kw)


@dataclass
class Binding:
    """Canonical column name -> position in the header row, plus the header itself."""

    positions: dict[str, int]
    header: list[str]
    line: int
    extra: list[str] = field(default_factory=list)
    numeric: frozenset[str] = frozenset()

    def has(self, name: str) -> bool:
        """True if the canonical column ``name`` was found."""
        return name in self.positions


def bind(header: Sequence[str], spec: Mapping[str, ColumnSpec], *, path: str,
         line: int) -> Binding:
    """Bind canonical columns to header positions by name, case-insensitively.

    Raises
    ------
    MissingColumnError
        Naming the first required column not found and the header that was seen.
    """
    normed = [norm_header(h) for h in header]
    positions: dict[str, int] = {}
    for canon, cs in spec.items():
        wanted = [norm_header(n) for n in cs.names]
        hit = next((i for i, h in enumerate(normed) if h in wanted), None)
        if hit is None:
            if cs.required:
                raise MissingColumnError(
                    f"required column missing: expected one of {list(cs.names)!r}; "
                    f"header has {[h for h in header if h.strip()]!r}",
                    path=path, line=line, column=cs.names[0],
                )
            continue
        positions[canon] = hit
    used = set(positions.values())
    extra = [h for i, h in enumerate(header) if i not in used and h.strip()]
    numeric = frozenset(k for k in positions if spec[k].numeric)
    return Binding(positions=positions, header=list(header), line=line, extra=extra,
                   numeric=numeric)


def find_line(tf: TextFile, predicate: Callable[[str], bool], *, start: int = 0,
              limit: int | None = None) -> int | None:
    """Index of the first physical line (from ``start``) for which ``predicate`` holds."""
    end = len(tf.lines) if limit is None else min(len(tf.lines), start + limit)
    for i in range(start, end):
        if predicate(tf.lines[i]):
            return i
    return None


def frame_from_rows(rows: list[Row], binding: Binding, *, path: str) -> pd.DataFrame:
    """Build a frame of raw cell strings (one column per bound canonical name) from rows.

    A ``line`` column holds each row's line, ``raw`` its text, ``cells`` its number of cells,
    ``over`` whether it has filled cells past the header's last column (its cells are
    shifted) and ``error`` why the csv module could not read it (lenient reading). A row with
    fewer cells than the header is kept, its missing cells empty: a format may recognise it
    as a non-data row (Fidelity's ``Pending activity`` stops after the amount);
    :func:`toolkit.io._build.convert` reports the rest as unreadable.
    """
    width = len(binding.header)
    data: dict[str, list] = {name: [] for name in binding.positions}
    lines: list[int] = []
    raws: list[str] = []
    counts: list[int] = []
    over: list[bool] = []
    errors: list[str | None] = []
    for r in rows:
        n = len(r.cells)
        # a line the csv module refused: its cells as a lenient reading gives them, only to
        # tell whose row it is (account, symbol) when it is reported
        cells = r.cells if r.error is None else _lenient_cells(r.raw)
        for name, pos in binding.positions.items():
            data[name].append(cells[pos] if pos < len(cells) else "")
        lines.append(r.line)
        raws.append(r.raw)
        counts.append(n)
        over.append(n > width and any(c.strip() for c in r.cells[width:]))
        errors.append(r.error)
    df = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    df["line"] = np.asarray(lines, dtype="int64")
    df["raw"] = pd.Series(raws, dtype="str")
    df["cells"] = np.asarray(counts, dtype="int64")
    df["over"] = np.asarray(over, dtype=bool)
    df["error"] = pd.Series(errors, dtype="str")
    return df


def fast_table(tf: TextFile, header_idx: int, stop_idx: int,
               binding: Binding) -> pd.DataFrame | None:
    """Read lines ``header_idx+1 .. stop_idx`` with pandas' C parser when each record is one line.

    Returns None when records span lines (quoted newlines) or cell counts are ragged, so the
    caller falls back to :func:`iter_rows`. Columns are as in :func:`frame_from_rows`.
    """
    body = tf.lines[header_idx + 1:stop_idx]
    if not body:
        return None
    ncols = len(binding.header)
    need = max(binding.positions.values(), default=-1) + 1
    # A row with fewer commas than the bound columns need is short (quoted commas only add
    # to the count): let the careful reader name it.
    if min(line.count(",") for line in body) < need - 1:
        return None
    # a line longer than the csv module's cell limit may hold a cell no export writes: the
    # careful reader reports it, so both readers agree
    if max(len(line) for line in body) > csv.field_size_limit():
        return None
    # Text columns stay exact strings; numeric ones are read by the C parser where plain
    # (empty and null-token cells become NaN there, anything else stays text for the cleanup).
    # Every line gets a marker cell appended: it lands at the index of the line's cell count,
    # so a marker before the last bound column is a short row, and a filled cell between the
    # header's end and the marker a row whose cells are shifted; both go to the careful
    # reader, which counts cells and reports them.
    if need > ncols:
        return None
    num_pos = {binding.positions[k] for k in binding.numeric}
    width = ncols + 2
    try:
        raw = pd.read_csv(
            io.StringIO("\n".join(line + "," + _MARK for line in body)), header=None,
            engine="c", names=range(width),
            dtype={i: object for i in range(width) if i not in num_pos},
            keep_default_na=False, na_values={i: list(_NUMERIC_NULLS) for i in num_pos},
            skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError):
        return None
    if len(raw) != len(body):
        return None
    for i in range(need):
        c = raw[i]
        if not pd.api.types.is_float_dtype(c.dtype) and c.eq(_MARK).any():
            return None  # a row with fewer cells than the bound columns need
    if raw[ncols].ne(_MARK).any():
        extra = raw[ncols].where(raw[ncols].ne(_MARK))
        if (extra.notna() & extra.astype("str").str.strip().ne("")).any():
            return None  # filled cells past the header: shifted
    for i in range(width):
        if i not in num_pos:
            raw[i] = raw[i].fillna("")  # a missing trailing cell reads as empty text
    # cells stay Python str objects (object dtype): the cleanup converts each column once
    df = pd.DataFrame({name: raw[pos] for name, pos in binding.positions.items()})
    df["line"] = np.arange(header_idx + 2, header_idx + 2 + len(body), dtype="int64")
    df["raw"] = pd.Series(body, dtype=object)  # internal: only read for skipped rows
    df["cells"] = np.full(len(body), ncols, dtype="int64")
    df["over"] = np.zeros(len(body), dtype=bool)
    return df


def shorten(text: str, limit: int = 160) -> str:
    """Shorten a raw row for the skipped report."""
    text = text.replace("\n", " | ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sniff_path(path: str | Path) -> Path:
    """Return ``path`` as a Path, raising FormatError when it does not exist or is a folder."""
    p = Path(path)
    if not p.exists():
        raise FormatError("no such file", path=p)
    if p.is_dir():
        raise FormatError("is a folder; expected an export file", path=p)
    return p
