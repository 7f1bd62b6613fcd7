"""Pieces the Charles Schwab loaders share: account labels, banner dates, account blocks.

Schwab writes accounts as ``<name> <masked id>`` (``Individual ...234``, ``Brokerage
XXXX-1234``, ``Roth Contributory IRA ...567``), sometimes as a nickname only
(``Joint_Tenant``, ``Designated Bene Individual``), and from late 2023 only in the file name
(``Individual_XXX178_Transactions_...``). Positions and realized gain/loss exports repeat a
header per account block (FORMATS.md 2a, 2c); :func:`scan_blocks` finds them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from ._export import SkipLog
from ._text import (
    Binding,
    ColumnSpec,
    Row,
    TextFile,
    bind,
    frame_from_rows,
    is_blank,
    iter_rows,
    norm_header,
    split_csv_line,
)

CUSTODIAN = "schwab"

#: A masked or plain account id at the end of an account label.
_ACCOUNT_ID = re.compile(r"(?:^|\s)(\.{3}[\w#]+|X{2,}-?\d+|\d{4}-\d{4}|\d{8})$", re.I)
#: A date inside a banner: ``11/15/2020`` or ``2023/04/23``.
_BANNER_DATE = re.compile(r"(\d{1,2}/\d{1,2}/\d{4}|\d{4}/\d{1,2}/\d{1,2})")
#: ``Tue Sep 28  23:17:11 EDT 2021`` (realized gain/loss titles).
_UNIX_STAMP = re.compile(
    r"(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+\d{1,2}:\d{2}(?::\d{2})?\s+[A-Z]{2,5}\s+(\d{4})")
#: ``Individual_XXX178_Transactions_20250309-115444``: nickname before the id in a file name.
_FILENAME_ACCOUNT = re.compile(r"^(?P<name>.*?)_?(?P<id>X{2,}\d{3,}|\.{3}\d{3,})(?:_|$)")


def first_cell(line: str) -> str:
    """The first CSV cell of a physical line, stripped."""
    cells = split_csv_line(line)
    return cells[0].replace("\ufeff", "").strip() if cells else ""


def filled_cells(line: str) -> int:
    """How many cells of a physical line hold text."""
    return sum(1 for c in split_csv_line(line) if c.strip())


def split_account(label: str | None) -> tuple[str | None, str | None]:
    """Split an account label into ``(id, name)``.

    ``"Roth Contributory IRA ...567"`` gives ``("...567", "Roth Contributory IRA")``;
    ``"XXXX-4321"`` gives ``("XXXX-4321", None)``; a label without an id gives
    ``(None, label)`` with underscores read as spaces (``Joint_Tenant``).
    """
    if label is None:
        return None, None
    text = " ".join(label.replace("\ufeff", "").split())
    m = _ACCOUNT_ID.search(text)
    if m is None:
        name = " ".join(text.replace("_", " ").split())
        return None, name or None
    name = text[: m.start(1)].strip().replace("_", " ")
    return m.group(1), " ".join(name.split()) or None


def banner_date(text: str, *, path: str, line: int) -> pd.Timestamp | None:
    """The date in a banner (``... as of 06:04 PM ET, 11/15/2020`` or ``..., 2023/04/23``)."""
    m = _BANNER_DATE.search(text)
    if m is None:
        return None
    return clean.date_value(m.group(1), column="banner", path=path, line=line)


def stamp_date(text: str, *, path: str, line: int) -> pd.Timestamp | None:
    """The date in a ``Tue Sep 28  23:17:11 EDT 2021`` time stamp."""
    m = _UNIX_STAMP.search(text)
    if m is None:
        return None
    return clean.date_value(f"{m.group(1)} {m.group(2)} {m.group(3)}", column="banner",
                            path=path, line=line)


def filename_account(path: Path) -> tuple[str | None, str | None]:
    """``(id, name)`` from a late-2023+ file name such as ``Roth_IRA_XXX567_Transactions_...``."""
    acct = b.account_from_filename(path)
    if acct is None:
        return None, None
    m = _FILENAME_ACCOUNT.match(path.stem)
    name = None
    if m is not None and m.group("id") == acct:
        name = " ".join(m.group("name").replace("_", " ").split()) or None
    return acct, name


def resolve_account(file_id: str | None, file_name: str | None, options: dict, path: Path,
                    *, what: str, line: int | None = None) -> tuple[str, str | None]:
    """The account of rows whose file may not name it, and its name.

    Order: the id written in the file; ``options["account"]``; the id in the file name
    (Schwab late 2023+); otherwise a FormatError asking for ``account=``.
    """
    if file_id:
        return file_id, file_name
    if options.get("account"):
        return str(options["account"]), file_name
    acct, name = filename_account(path)
    if acct is not None:
        return acct, file_name or name
    label = f" (it names only {file_name!r})" if file_name else ""
    raise FormatError(
        f"this {what} does not name its account id{label}, and the file name has none; pass "
        "account=... to load_export (for example account='...234')",
        path=path.name, line=line)


@dataclass
class Block:
    """One table in a Schwab export: its account line (if any) and header/body line indexes."""

    label: str | None  # account line text before the header, e.g. "Individual ...123"
    label_line: int | None  # 1-based
    header: int  # 0-based index of the header line
    end: int  # 0-based index one past the table's last line


_FIRST_CELL = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^,]*))')
_REST_EMPTY = re.compile(r'(?:\s*,\s*(?:""\s*)?)*')


def _table_stop(tf: TextFile, start: int, is_header: Callable[[list[str]], bool],
                first_name: str) -> int:
    """Index of the first line from ``start`` that ends a table: blank, a single filled
    cell (an account line), or another header (a line whose first cell is ``first_name``)."""
    for i in range(start, len(tf.lines)):
        line = tf.lines[i]
        if is_blank(line):
            return i
        m = _FIRST_CELL.match(line)
        if _REST_EMPTY.fullmatch(line, m.end()):
            return i
        first = m.group(1) if m.group(1) is not None else m.group(2)
        if norm_header(first) == first_name and is_header(split_csv_line(line)):
            return i
    return len(tf.lines)


def scan_blocks(tf: TextFile, start: int, is_header: Callable[[list[str]], bool],
                skip: SkipLog, *, what: str) -> list[Block]:
    """Find every header (by ``is_header`` on the cells) from line index ``start``.

    A single-cell line before a header is that block's account line. Lines with several
    filled cells outside any table are data-like and reported to ``skip``. A single-cell
    line that is cut mid-quote raises FormatError (a truncated file).
    """
    blocks: list[Block] = []
    label: tuple[str, int] | None = None
    i = start
    n = len(tf.lines)
    while i < n:
        line = tf.lines[i]
        if is_blank(line):
            i += 1
            continue
        row = next(iter_rows(tf, i, i + 1))  # raises on an unclosed quote
        cells = row.cells
        if is_header(cells):
            end = _table_stop(tf, i + 1, is_header, norm_header(cells[0]))
            blocks.append(Block(label=label[0] if label else None,
                                label_line=label[1] if label else None, header=i, end=end))
            label = None
            i = end
            continue
        filled = [c.strip() for c in cells if c.strip()]
        if len(filled) == 1:
            label = (filled[0], i + 1)
        else:
            skip.add(i + 1, f"data-like line outside any {what} table", line)
        i += 1
    return blocks


_SUMMARY = re.compile(r"^\s*\"?\s*(account total|positions total|total|totals|futures cash|"
                      r"futures positions market value)\s*\"?\s*(,|$)", re.I)


def read_block(tf: TextFile, block: Block, spec: dict[str, ColumnSpec], *, path: str,
               skip: SkipLog | None = None,
               summary: re.Pattern = _SUMMARY) -> tuple[pd.DataFrame, list[Row], Binding]:
    """Read a block's rows, setting summary rows (``Account Total``, ``Total``, ...) apart.

    Returns the raw frame (one column per bound name, plus ``line``, ``raw``, ``cells`` and
    ``over``), the summary rows and the header binding. Summary rows often have fewer cells
    than the header, so they are read apart; when they all come last (the usual case) the
    rows above are read in one go.
    """
    summ = [i for i in range(block.header + 1, block.end) if summary.match(tf.lines[i])]
    if not summ or summ == list(range(summ[0], block.end)):
        stop = summ[0] if summ else block.end
        raw, binding = b.read_table(tf, block.header, stop, spec, path=path, skip=skip)
        return raw, list(iter_rows(tf, stop, block.end)), binding
    header = next(iter_rows(tf, block.header, block.header + 1)).cells
    binding = bind(header, spec, path=path, line=block.header + 1)
    lines = {i + 1 for i in summ}
    rows = list(iter_rows(tf, block.header + 1, block.end, lenient=True))
    raw = frame_from_rows([r for r in rows if r.line not in lines], binding, path=path)
    b.check_cut(tf, raw)
    raw = b.report_unreadable(raw, skip)
    return raw, [r for r in rows if r.line in lines], binding
