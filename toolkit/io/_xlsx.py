"""Reading .xlsx workbooks safely: zip members checked before openpyxl sees them, rows bounded.

An .xlsx is a zip of XML parts. A small file can inflate to gigabytes (a zip bomb) or hold
millions of empty rows; openpyxl would spend minutes and memory on either before failing.
:func:`open_workbook` checks every member's uncompressed size and compression ratio first;
:func:`sheet_rows` stops at Excel's own row limit and at an implausible run of empty rows.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit.errors import FormatError

#: Largest uncompressed size of one zip member (a worksheet's XML), bytes.
MAX_MEMBER_BYTES = 256 * 2**20
#: Largest uncompressed size of all members together, bytes.
MAX_TOTAL_BYTES = 512 * 2**20
#: Largest compression ratio of a member bigger than :data:`RATIO_FLOOR_BYTES`: sheet XML
#: compresses 5-20 times; a zip bomb, thousands of times.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 2**20
#: Most members a workbook may have.
MAX_MEMBERS = 5000
#: Excel's row limit: a sheet cannot have more rows.
MAX_ROWS = 1_048_576
#: Empty rows in a row after which a sheet is taken as damaged (no export has such gaps).
MAX_BLANK_RUN = 100_000
#: Largest Excel serial date (9999-12-31); a bigger number in a date cell is ``yyyymmdd``.
MAX_SERIAL = 2958465


def check_zip(path: Path, data: bytes, *, readable_only: bool = False) -> None:
    """Refuse a zip whose members would inflate past the limits above.

    With ``readable_only``, a file that is not a readable zip passes (detection then finds
    no workbook format for it); only an archive that would inflate too far is refused.

    Raises
    ------
    FormatError
        Naming the member and its sizes, or when the bytes are not a readable zip.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        if readable_only:
            return
        raise FormatError(f"cannot open as a zip/xlsx archive ({exc}); is the file a damaged "
                          "or password-protected .xlsx?", path=path.name) from exc
    if len(infos) > MAX_MEMBERS:
        raise FormatError(f"the archive has {len(infos)} members; a workbook has a few dozen",
                          path=path.name)
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        ratio = size / max(info.compress_size, 1)
        if size > MAX_MEMBER_BYTES or (size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO):
            raise FormatError(
                f"member {info.filename!r} inflates from {info.compress_size:,} to {size:,} "
                f"bytes (ratio {ratio:,.0f}); refused before reading (limits "
                f"{MAX_MEMBER_BYTES:,} bytes, ratio {MAX_RATIO})", path=path.name)
    if total > MAX_TOTAL_BYTES:
        raise FormatError(f"the archive inflates to {total:,} bytes (limit {MAX_TOTAL_BYTES:,}); "
                          "refused before reading", path=path.name)


def open_workbook(path: Path, data: bytes):
    """Open an .xlsx (read-only, cached formula values) after :func:`check_zip`.

    Raises
    ------
    FormatError
        If the archive is refused or openpyxl cannot open it.
    """
    check_zip(path, data)
    import openpyxl  # imported only when a workbook is read (its import takes a while)

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors
        raise FormatError(f"cannot open as an Excel workbook ({type(exc).__name__}: {exc}); "
                          "is the file a corrupt or password-protected .xlsx?",
                          path=path.name) from exc


def blank_row(row: tuple) -> bool:
    """True for a row of empty cells."""
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def sheet_rows(ws, *, path: str) -> Iterator[tuple[int, tuple]]:
    """(Excel row number, cell values) for every row from row 1, gaps included, bounded.

    Raises
    ------
    FormatError
        After :data:`MAX_BLANK_RUN` empty rows in a row (a sheet padded with millions of
        empty rows), or for a row past :data:`MAX_ROWS`, naming the sheet and row.
    """
    ws.reset_dimensions()  # read-only sheets trust a stored dimension that may be wrong
    blank = 0
    # one row past the limit is asked for: openpyxl yields it only when the sheet goes on
    for n, row in enumerate(ws.iter_rows(min_row=1, max_row=MAX_ROWS + 1, values_only=True),
                            start=1):
        if n > MAX_ROWS:
            raise FormatError(f"sheet {ws.title!r} has rows past row {MAX_ROWS:,} (Excel's "
                              "limit); the workbook looks damaged", path=path, line=n)
        if blank_row(row):
            blank += 1
            if blank > MAX_BLANK_RUN:
                raise FormatError(f"sheet {ws.title!r} has more than {MAX_BLANK_RUN:,} empty "
                                  "rows in a row; the workbook looks damaged (re-save it, or "
                                  "delete the empty rows)", path=path, line=n)
        else:
            blank = 0
        yield n, row


def cell_text(value: Any, *, date: bool) -> str:
    """A cell value as the text a CSV export would hold (dates as ``YYYY-MM-DD``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        if date and 0 < value <= MAX_SERIAL:
            from openpyxl.utils.datetime import from_excel  # openpyxl: workbooks only

            return from_excel(value).strftime("%Y-%m-%d")
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return str(value)
    return str(value)
