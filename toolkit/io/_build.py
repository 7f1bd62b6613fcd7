"""Small helpers format modules share to turn raw cells into canonical frames."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import DATE_DTYPE

from . import _clean as clean
from ._export import SkipLog
from ._text import (
    Binding,
    ColumnSpec,
    TextFile,
    bind,
    fast_table,
    frame_from_rows,
    is_blank,
    iter_rows,
    split_csv_line,
)

#: Tickers of money-market funds: five letters ending in XX (VMFXX, SPAXX, SWVXX, IIAXX).
MONEY_MARKET_TICKER = re.compile(r"[A-Z]{3}XX")
#: Symbols or descriptions that mark a cash or money-market sweep holding.
CASH_DESCRIPTIONS = re.compile(
    r"(HELD IN MONEY MARKET|HELD IN FCASH|FDIC[- ]INSURED DEPOSIT|DEPOSIT SWEEP|"
    r"CASH & CASH INVESTMENTS|CASH & MONEY MARKET|SETTLEMENT FUND|MONEY MARKET)", re.I)


def read_table(tf: TextFile, header_idx: int, stop_idx: int, spec, *, path: str,
               skip: SkipLog | None = None) -> tuple[pd.DataFrame, Binding]:
    """Bind the header at ``header_idx`` and read rows up to ``stop_idx`` as raw strings.

    Uses pandas' C parser when every record is one line, the careful reader otherwise. With
    ``skip``, lines the csv module cannot read are reported there at once (see
    :func:`report_unreadable`); otherwise :func:`convert` reports them.
    """
    header = next(iter_rows(tf, header_idx, header_idx + 1)).cells
    binding = bind(header, spec, path=path, line=header_idx + 1)
    df = fast_table(tf, header_idx, stop_idx, binding)
    if df is None:
        rows = list(iter_rows(tf, header_idx + 1, stop_idx, lenient=True))
        df = frame_from_rows(rows, binding, path=path)
        check_cut(tf, df)
    return report_unreadable(df, skip), binding


def report_unreadable(raw: pd.DataFrame, skip: SkipLog | None) -> pd.DataFrame:
    """Report the rows the csv module could not read; return the others.

    A stray quote or a cell of 200 KB makes a line unreadable; reporting it at once means a
    format's own row checks never see an empty shell of it.
    """
    if skip is None or "error" not in raw.columns or raw["error"].isna().all():
        return raw
    bad = raw["error"].notna()
    skip.add_frame(raw[bad], "cannot read this row as CSV (" + raw.loc[bad, "error"] + ")",
                   account=clean.text(col(raw[bad], "account")),
                   symbol=clean.symbol(col(raw[bad], "symbol")))
    return raw[~bad]


def check_cut(tf: TextFile, df: pd.DataFrame) -> None:
    """Mark (column ``at_end``) the row that is the file's last non-blank line.

    A short row in the middle of a table is one row to report; a short data row at the end
    of the file means the file was cut off mid-row and rows after it are lost:
    :func:`convert` refuses the file then. (A non-data row there, such as Fidelity's short
    ``Pending activity`` row, is set apart by the format first and is no such sign.)
    """
    df["at_end"] = False
    if df.empty:
        return
    line = int(df["line"].iloc[-1])
    if all(is_blank(ln) for ln in tf.lines[line:]):
        df.loc[df.index[-1], "at_end"] = True


def refuse_cut(raw: pd.DataFrame, need_cells: int, *, path: str) -> None:
    """Raise when a short row ends the file (marked by :func:`check_cut`): it was cut off.

    Raises
    ------
    FormatError
        Naming the row's line and its cell count.
    """
    if "at_end" not in raw.columns or "cells" not in raw.columns:
        return
    cut = raw["at_end"].astype(bool) & (raw["cells"] < need_cells)
    if "error" in raw.columns:
        cut &= raw["error"].isna()
    if cut.any():
        i = raw.index[cut][0]
        raise FormatError(f"row has {int(raw['cells'][i])} cells but the header needs "
                          f"{need_cells}; the file looks truncated or the row is malformed",
                          path=path, line=int(raw["line"][i]))


def blank_lines(lines: list[str]) -> np.ndarray:
    """Boolean mask of lines that are blank (only spaces, commas and quotes), vectorised."""
    if not lines:
        return np.zeros(0, dtype=bool)
    return np.fromiter((not ln.strip(' \t\r\n,"') for ln in lines), dtype=bool,
                       count=len(lines))


def read_blocks(tf: TextFile, header_idx: int, stop_idx: int, spec, *, path: str,
                skip: SkipLog | None = None) -> tuple[pd.DataFrame, Binding]:
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
            df = frame_from_rows(list(iter_rows(tf, s, e, lenient=True)), binding, path=path)
            check_cut(tf, df)
        frames.append(df)
    if not frames:
        df = pd.DataFrame({name: pd.Series(dtype="str") for name in binding.positions})
        df["line"] = pd.Series(dtype="int64")
        df["raw"] = pd.Series(dtype="str")
        df["cells"] = pd.Series(dtype="int64")
        df["over"] = pd.Series(dtype=bool)
        return df, binding
    if len(frames) == 1:
        return report_unreadable(frames[0], skip), binding
    return report_unreadable(pd.concat(frames, ignore_index=True), skip), binding


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


def report_leading(tf: TextFile, header_idx: int, skip, what: str) -> None:
    """Account for every line before a table's header: blank lines and single-cell text
    (banners, comments) are structure; a line with several filled cells looks like data (a
    row moved above the header) and is reported as skipped."""
    for i in range(header_idx):
        line = tf.lines[i]
        if is_blank(line):
            continue
        if len([c for c in split_csv_line(line) if c.strip()]) > 1:
            skip.add(i + 1, f"data-like line before the {what} header", line)


def report_trailing(tf: TextFile, start: int, skip, what: str) -> None:
    """Account for every line after a table: blank lines and single-cell text (disclaimers,
    ``Date downloaded``) are structure; a line with several filled cells looks like data and
    is reported as skipped, never silently dropped."""
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


# --- typed tables: declared columns converted once, bad rows reported -------------------------

_EMPTY_BY_KIND = {"money": "float64", "quantity": "float64", "percent": "float64",
                  "date": DATE_DTYPE}


@dataclass
class Table:
    """Rows of one table after :func:`convert`: typed columns, each row's line and text.

    ``t["quantity"]`` is a converted column (all-missing when the file lacks it);
    :meth:`drop` removes rows and reports them to the file's :class:`SkipLog` with the
    account and symbol they belong to.
    """

    values: pd.DataFrame
    line: pd.Series
    raw: pd.Series
    headers: dict[str, str]
    path: str
    skip: SkipLog
    context: dict[str, str | None] = field(default_factory=dict)
    text_of: Callable[[pd.Index], pd.Series] | None = None

    def __getitem__(self, key: str) -> pd.Series:
        return self.values[key]

    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, key: str) -> bool:
        return key in self.headers

    @property
    def index(self) -> pd.Index:
        """The rows' index (aligned with every column)."""
        return self.values.index

    @property
    def empty(self) -> bool:
        """True when no row is left."""
        return self.values.empty

    def header(self, key: str) -> str:
        """The column's header as the file writes it (for messages), else ``key``."""
        return self.headers.get(key, key)

    def has(self, key: str) -> bool:
        """True when the file has the column ``key``."""
        return key in self.headers

    @property
    def where(self) -> clean.Where:
        """File and line of each row, for the cleanup's error messages."""
        return clean.Where(self.path, self.line)

    def take(self, mask: pd.Series) -> Table:
        """The rows under ``mask``, without reporting the others."""
        mask = mask.reindex(self.index, fill_value=False).astype(bool)
        return replace(self, values=self.values[mask], line=self.line[mask],
                       raw=self.raw[mask])

    def drop(self, mask: pd.Series, reason: str | pd.Series) -> Table:
        """Report the rows under ``mask`` as skipped with ``reason``; return the others."""
        mask = mask.reindex(self.index, fill_value=False).fillna(False).astype(bool)
        if mask.any():
            self.report(mask, reason)
        return self.take(~mask)

    def report(self, mask: pd.Series, reason: str | pd.Series) -> None:
        """Report the rows under ``mask`` as skipped (they stay in the table)."""
        rows = self.index[mask.reindex(self.index, fill_value=False).to_numpy(dtype=bool)]
        if not len(rows):
            return
        reasons = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=rows)
        texts = self.text_of(rows) if self.text_of is not None else self.raw[rows]
        accounts = self.holding("account")[rows]
        symbols = self.holding("symbol")[rows]
        for i, acct, sym in zip(rows, accounts, symbols, strict=True):
            self.skip.add(int(self.line[i]), str(reasons[i]), str(texts[i]),
                          account=acct, symbol=sym)

    def holding(self, key: str) -> pd.Series:
        """``account`` or ``symbol`` of each row as far as known (column, else context)."""
        got = self.values[key] if key in self.values.columns and \
            self.values[key].dtype != DATE_DTYPE else None
        if got is not None and key == "symbol" and pd.api.types.is_string_dtype(got):
            got = clean.symbol(got)  # a raw symbol column (Fidelity's SPAXX**) as loaded
        out = pd.Series(self.context.get(key), index=self.index, dtype=object)
        if got is not None:
            out = got.astype(object).where(got.notna(), out)
        return out

    def source(self, path: Path | str) -> dict[str, pd.Series]:
        """``source_file`` and ``source_line`` columns for the rows."""
        return {"source_file": pd.Series(Path(path).name, index=self.index, dtype="str"),
                "source_line": self.line.astype("Int64")}


def _convert_column(cells: pd.Series, cs: ColumnSpec) -> tuple[pd.Series, pd.Series | None]:
    kind = cs.kind
    if kind == "text":
        return clean.text(cells), None
    if kind == "symbol":
        return clean.symbol(cells), None
    if kind in ("money", "quantity", "percent"):
        return clean.parse_numbers(cells, percent=kind == "percent", decimal=cs.decimal)
    if kind == "date":
        return clean.parse_dates(cells, dayfirst_form=cs.dayfirst_form)
    return cells.astype("str"), None


def _empty_column(index: pd.Index, kind: str) -> pd.Series:
    dtype = _EMPTY_BY_KIND.get(kind)
    if dtype is None:
        return pd.Series(None, index=index, dtype="str")
    if dtype == DATE_DTYPE:
        return pd.Series(pd.NaT, index=index, dtype=DATE_DTYPE)
    return pd.Series(np.nan, index=index, dtype=dtype)


def convert(raw: pd.DataFrame, spec: Mapping[str, ColumnSpec], *, path: str, skip: SkipLog,
            binding: Binding | None = None, headers: Mapping[str, str] | None = None,
            context: Mapping[str, str | None] | None = None,
            text_of: Callable[[pd.Index], pd.Series] | None = None,
            need_cells: int | None = None) -> Table:
    """Convert a raw table by its declared columns; report the rows that cannot be read.

    ``raw`` holds one column of cell strings per bound key of ``spec`` (as the readers of
    :mod:`toolkit.io._text` return it), ``line``, and optionally ``raw`` (each row's text),
    ``cells`` and ``over``. Every declared column is converted by its kind (see
    :class:`~toolkit.io._text.ColumnSpec`). A row is skipped, with its line, a reason naming
    the column and the value, and its account and symbol when they could be read, when:
    it has fewer cells than the header needs or filled cells past the header (its cells are
    shifted); a cell cannot be read (``cannot read Quantity 'ten': expected a number``); or a
    ``need`` column is empty. When every row of a table of two or more rows fails to read, the
    table (not a row) is broken: FormatError at the first bad cell.

    Parameters
    ----------
    raw : DataFrame
        Raw cells (see above).
    spec : mapping of str to ColumnSpec
        The declared columns.
    path : str
        The file's name, for messages.
    skip : SkipLog
        Where skipped rows are reported.
    binding : Binding, optional
        The header binding (gives headers and the cell count rows need).
    headers : mapping, optional
        Header text per key for columns the binding does not give (XML attributes, OFX
        elements, a column the format made).
    context : mapping, optional
        ``account`` and ``symbol`` of rows whose file does not repeat them per row.
    text_of : callable, optional
        Row texts for the skipped report when ``raw`` has no ``raw`` column.
    need_cells : int, optional
        Cells a row must have (default: up to the last bound column).

    Returns
    -------
    Table

    Raises
    ------
    FormatError
        When no row of a table of two or more can be read.
    """
    heads = {k: v for k, v in (headers or {}).items() if k in raw.columns}
    if binding is not None:
        heads.update({k: binding.header[p].strip() for k, p in binding.positions.items()})
        if need_cells is None:
            need_cells = max(binding.positions.values(), default=-1) + 1
    texts = raw["raw"] if "raw" in raw.columns else pd.Series("", index=raw.index, dtype="str")
    values = {}
    failed = pd.Series(None, index=raw.index, dtype="str")
    first_bad: tuple | None = None
    for key, cs in spec.items():
        if key not in raw.columns:
            values[key] = _empty_column(raw.index, cs.kind)
            continue
        got, bad = _convert_column(raw[key], cs)
        values[key] = got
        if bad is not None and bad.notna().any():
            head = heads.get(key, key)
            cells = raw[key].astype("str").str.strip()
            why = ("cannot read " + head + " " + cells.map(repr) + ": " + bad).where(bad.notna())
            failed = failed.fillna(why)
            if first_bad is None or bad.notna().idxmax() < first_bad[0]:
                i = bad.index[bad.notna()][0]
                first_bad = (i, head, f"{bad[i]}, found {cells[i]!r}")
    table = Table(values=pd.DataFrame(values, index=raw.index), line=raw["line"].astype("int64"),
                  raw=texts, headers=heads, path=path, skip=skip, context=dict(context or {}),
                  text_of=text_of)
    n = len(raw)
    shape = pd.Series(None, index=raw.index, dtype="str")
    if "error" in raw.columns:
        shape = shape.mask(raw["error"].notna(), "cannot read this row as CSV (" +
                           raw["error"].fillna("") + ")")
    if "cells" in raw.columns and need_cells:
        refuse_cut(raw, need_cells, path=path)
        short = (raw["cells"] < need_cells) & shape.isna()
        shape = shape.mask(short, "row has " + raw["cells"].astype("str") + " cells but the "
                           f"header needs {need_cells}: it cannot be read")
    if "over" in raw.columns:
        shape = shape.mask(raw["over"].astype(bool) & shape.isna(),
                           "row has more cells than its header: its cells are shifted and "
                           "cannot be read")
    failed = shape.fillna(failed)
    if n >= 2 and failed.notna().all():
        if first_bad is not None and shape.isna().any():
            i, head, message = first_bad
            raise FormatError(f"no row of this table can be read; first: {message}",
                              path=path, line=int(raw["line"][i]), column=head)
        i = failed.index[0]
        raise FormatError(f"no row of this table can be read; first: {failed[i]}", path=path,
                          line=int(raw["line"][i]))
    table = table.drop(failed.notna(), failed)
    for key, cs in spec.items():
        if cs.need and len(table):
            empty = table[key].isna()
            if empty.any():
                table = table.drop(empty, cs.missing or f"row has no {table.header(key)}")
    return table


def load_table(tf: TextFile, header_idx: int, stop_idx: int, spec: Mapping[str, ColumnSpec],
               *, skip: SkipLog, context: Mapping[str, str | None] | None = None) -> Table:
    """:func:`read_table` then :func:`convert`, for tables with no non-data rows to set apart."""
    raw, binding = read_table(tf, header_idx, stop_idx, spec, path=tf.name, skip=skip)
    return convert(raw, spec, path=tf.name, skip=skip, binding=binding, context=context)


# --- realised sales, built in one place -------------------------------------------------------

#: Dollars by which proceeds - cost may differ from a stated gain before a note says so.
GAIN_TOLERANCE = 0.01


def realized_frame(index: pd.Index, *, account, symbol, quantity: pd.Series, sold: pd.Series,
                   source: Mapping[str, pd.Series], proceeds: pd.Series | None = None,
                   cost_basis: pd.Series | None = None, gain: pd.Series | None = None,
                   acquired: pd.Series | None = None, term: pd.Series | None = None,
                   wash_sale_disallowed: pd.Series | None = None,
                   notes: list[str] | None = None, what: str = "closed lot") -> pd.DataFrame:
    """The canonical ``realized`` frame (:data:`toolkit.schema.REALIZED`) of closed lots or sales.

    Every loader that reads realised sales builds its frame here, so the three money columns
    follow one rule: of ``proceeds`` (net of fees), ``cost_basis`` and ``gain`` (before any
    wash-sale adjustment), a missing one is derived from the other two (gain = proceeds -
    cost basis). When all three are given and disagree by more than
    :data:`GAIN_TOLERANCE`, the stated ``gain`` is kept and ``notes`` says how many rows
    disagree.

    Parameters
    ----------
    index : Index
        The rows' index.
    account, symbol : Series or str
        Account id and ticker (one value for all rows, or per row).
    quantity : Series of float
        Shares sold (positive).
    sold : Series of datetime64
        Sale dates.
    source : mapping
        ``source_file`` and ``source_line`` columns.
    proceeds, cost_basis, gain : Series of float, optional
        Dollars; see above.
    acquired : Series of datetime64, optional
        Acquisition dates of the lots sold.
    term : Series of str, optional
        ``short`` or ``long`` as reported.
    wash_sale_disallowed : Series of float, optional
        Loss disallowed as a wash sale, as reported (positive dollars).
    notes : list of str, optional
        Where a disagreement is noted.
    what : str, default "closed lot"
        What a row is, for the note.

    Returns
    -------
    DataFrame
        Canonical columns, not yet validated (the load validates every frame).
    """
    nan = pd.Series(np.nan, index=index, dtype="float64")
    p = nan if proceeds is None else proceeds.astype("float64")
    c = nan if cost_basis is None else cost_basis.astype("float64")
    g = nan if gain is None else gain.astype("float64")
    off = p.notna() & c.notna() & g.notna() & (p - c - g).abs().gt(GAIN_TOLERANCE)
    if off.any() and notes is not None:
        notes.append(f"{int(off.sum())} {what}(s) state a gain that differs from proceeds "
                     "minus cost basis; the stated gain was kept")
    g = g.fillna(p - c)
    p = p.fillna(c + g)
    c = c.fillna(p - g)
    return pd.DataFrame({
        "account": _per_row(account, index),
        "symbol": _per_row(symbol, index),
        "quantity": quantity.astype("float64"),
        "acquired": (acquired if acquired is not None
                     else pd.Series(pd.NaT, index=index, dtype=DATE_DTYPE)),
        "sold": sold,
        "proceeds": p,
        "cost_basis": c,
        "gain": g,
        "term": term if term is not None else pd.Series(None, index=index, dtype="str"),
        "wash_sale_disallowed": nan if wash_sale_disallowed is None else wash_sale_disallowed,
        **source,
    }, index=index)


def _per_row(value, index: pd.Index) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype("str")
    return pd.Series(value, index=index, dtype="str")


# --- pending activity --------------------------------------------------------------------------

def pending_frame(index: pd.Index, *, account, amount: pd.Series,
                  source: Mapping[str, pd.Series], date: pd.Series | None = None,
                  symbol: pd.Series | None = None,
                  description: pd.Series | None = None) -> pd.DataFrame:
    """The canonical ``pending`` frame (:data:`toolkit.schema.PENDING`): cash in transit."""
    none = pd.Series(None, index=index, dtype="str")
    return pd.DataFrame({
        "account": _per_row(account, index),
        "amount": amount.astype("float64"),
        "date": date if date is not None else pd.Series(pd.NaT, index=index, dtype=DATE_DTYPE),
        "symbol": symbol if symbol is not None else none,
        "description": description if description is not None else none,
        **source,
    }, index=index)
