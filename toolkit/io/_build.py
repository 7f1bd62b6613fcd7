"""Small helpers format modules share to turn raw cells into canonical frames."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import FormatError

from . import _clean as clean
from ._text import Binding, TextFile, bind, fast_table, frame_from_rows, iter_rows

#: Symbols or descriptions that mark a cash or money-market sweep holding.
CASH_DESCRIPTIONS = re.compile(
    r"(HELD IN MONEY MARKET|HELD IN FCASH|FDIC[- ]INSURED DEPOSIT|DEPOSIT SWEEP|"
    r"CASH & CASH INVESTMENTS|CASH & MONEY MARKET|SETTLEMENT FUND|MONEY MARKET)", re.I)


def read_table(tf: TextFile, header_idx: int, stop_idx: int, spec, *, path: str) -> tuple[
        pd.DataFrame, Binding]:
    """Bind the header at ``header_idx`` and read rows up to ``stop_idx`` as raw strings.

    Uses pandas' C parser when every record is one line, the careful reader otherwise.
    """
    header = next(iter_rows(tf, header_idx, header_idx + 1)).cells
    binding = bind(header, spec, path=path, line=header_idx + 1)
    df = fast_table(tf, header_idx, stop_idx, binding)
    if df is None:
        rows = list(iter_rows(tf, header_idx + 1, stop_idx))
        df = frame_from_rows(rows, binding, path=path)
    return df, binding


def blank_lines(lines: list[str]) -> np.ndarray:
    """Boolean mask of lines that are blank (only spaces, commas and quotes), vectorised."""
    if not lines:
        return np.zeros(0, dtype=bool)
    return np.fromiter((not ln.strip(' \t\r\n,"') for ln in lines), dtype=bool,
                       count=len(lines))


def read_blocks(tf: TextFile, header_idx: int, stop_idx: int, spec, *, path: str) -> tuple[
        pd.DataFrame, Binding]:
    """Like :func:`read_table`, but blank lines between the header and ``stop_idx`` are skipped.

    The non-blank lines are read in contiguous blocks, each with the fast C-parser path when
    it can be used (Vanguard's holdings section separates accounts by blank lines; a
    hand-made template may hold stray blank rows). Columns as in :func:`read_table`.
    """
    header = next(iter_rows(tf, header_idx, header_idx + 1)).cells
    binding = bind(header, spec, path=path, line=header_idx + 1)
    blank = blank_lines(tf.lines[header_idx + 1:stop_idx])
    frames = []
    # runs of non-blank lines: [start, end) as absolute line indexes
    edges = np.diff(np.concatenate(([1], blank.astype(np.int8), [1])))
    starts = np.flatnonzero(edges == -1) + header_idx + 1
    ends = np.flatnonzero(edges == 1) + header_idx + 1
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        df = fast_table(tf, s - 1, e, binding)
        if df is None:
            df = frame_from_rows(list(iter_rows(tf, s, e)), binding, path=path)
        frames.append(df)
    if not frames:
        df = pd.DataFrame({name: pd.Series(dtype="str") for name in binding.positions})
        df["line"] = pd.Series(dtype="int64")
        df["raw"] = pd.Series(dtype="str")
        return df, binding
    if len(frames) == 1:
        return frames[0], binding
    return pd.concat(frames, ignore_index=True), binding


def where(path: str, raw: pd.DataFrame) -> clean.Where:
    """A :class:`~toolkit.io._clean.Where` for a raw frame with a ``line`` column."""
    return clean.Where(path, raw["line"])


def col(raw: pd.DataFrame, name: str) -> pd.Series:
    """The raw column ``name``, or an all-missing string column when it was not bound."""
    if name in raw.columns:
        return raw[name]
    return pd.Series([None] * len(raw), index=raw.index, dtype="str")


def source_columns(raw: pd.DataFrame, path: Path | str) -> dict[str, pd.Series]:
    """``source_file`` and ``source_line`` columns for rows of a raw frame."""
    return {
        "source_file": pd.Series(Path(path).name, index=raw.index, dtype="str"),
        "source_line": raw["line"].astype("Int64"),
    }


def table_end(tf: TextFile, start: int, stop_rx: re.Pattern | None = None) -> int:
    """Index of the first blank line (or line matching ``stop_rx``) at or after ``start``."""
    from ._text import is_blank

    for i in range(start, len(tf.lines)):
        line = tf.lines[i]
        if is_blank(line) or (stop_rx is not None and stop_rx.match(line.lstrip('\ufeff"'))):
            return i
    return len(tf.lines)


def account_from_filename(path: Path) -> str | None:
    """The masked account id Schwab (late 2023+) puts only in the file name, e.g. ``XXX178``."""
    m = re.search(r"(?:^|_)(X{2,}\d{3,}|\.{3}\d{3,})(?:_|$)", path.stem)
    return m.group(1) if m else None


def require_rows(raw: pd.DataFrame, *, path: str, line: int, what: str) -> None:
    """Raise when a table that must have rows has none (a truncated or emptied export)."""
    if raw.empty:
        raise FormatError(f"the {what} table has a header but no rows; the file looks "
                          "truncated", path=path, line=line)


def report_trailing(tf: TextFile, start: int, skip, what: str) -> None:
    """Account for every line after a table: blank lines and single-cell text (disclaimers,
    ``Date downloaded``) are structure; a line with several filled cells looks like data and
    is reported as skipped, never silently dropped."""
    from ._text import is_blank, split_csv_line

    for i in range(start, len(tf.lines)):
        line = tf.lines[i]
        if is_blank(line):
            continue
        cells = [c for c in split_csv_line(line) if c.strip()]
        if len(cells) <= 1:
            continue
        skip.add(i + 1, f"data-like line after the end of the {what} table", line)


#: Relative tolerance when reading a row's price unit (see :func:`price_unit`).
PRICE_UNIT_TOLERANCE = 0.05


def price_unit(quantity: pd.Series, price: pd.Series, value: pd.Series) -> pd.Series:
    """The unit a row's price is quoted in, read from the row's own numbers.

    Brokers quote options per share (a contract is 100 shares) and bonds, notes and CDs per
    100 of face value, and write quantity as contracts or face value. When ``value`` is
    about 100 times ``quantity x price`` the unit is 100 (an option); when it is about
    1/100 of it, 0.01 (quoted per 100 of face); otherwise, or when a number is missing, 1.

    Parameters
    ----------
    quantity, price, value : Series of float
        Quantity (shares, contracts or face value), price as quoted, market value (dollars).

    Returns
    -------
    Series of float
        100.0, 0.01 or 1.0 per row (within :data:`PRICE_UNIT_TOLERANCE`).
    """
    notional = quantity * price
    ratio = (value / notional).where(notional.ne(0) & notional.notna())
    unit = pd.Series(1.0, index=quantity.index)
    unit = unit.mask((ratio / 100 - 1).abs().lt(PRICE_UNIT_TOLERANCE).fillna(False), 100.0)
    unit = unit.mask((ratio / 0.01 - 1).abs().lt(PRICE_UNIT_TOLERANCE).fillna(False), 0.01)
    return unit
