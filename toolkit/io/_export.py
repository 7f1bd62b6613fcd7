"""The result of loading one export, and the registry of formats that can load one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.schema import (
    LOTS,
    PENDING,
    POSITIONS,
    REALIZED,
    SKIPPED,
    TRANSACTIONS,
    FrameSchema,
    validate_lots,
    validate_pending,
    validate_positions,
    validate_realized,
    validate_skipped,
    validate_transactions,
)

from ._text import TextFile, decode, norm_line, shorten, strip_controls
from ._xlsx import open_workbook

#: Columns of ``Export.accounts``: the accounts a file names, as the broker writes them.
EXPORT_ACCOUNT_COLUMNS = ("account", "name", "custodian")


@dataclass
class Export:
    """One export file, loaded.

    Attributes
    ----------
    path : Path
        The file.
    format : str
        Short name of the detected format, e.g. ``"fidelity_positions"``.
    custodian : str
        ``"fidelity"``, ``"schwab"``, ``"vanguard"``, ... or ``"generic"``.
    positions, lots, transactions, realized : DataFrame
        Canonical frames (:mod:`toolkit.schema`); empty when the format has none.
        ``realized`` holds closed lots (or whole sales) the file states as sold: realised
        gain/loss reports, IBKR closed lots and trades with their realised P/L, OFX sales
        with a stated gain.
    pending : DataFrame
        Cash in transit per account (:data:`toolkit.schema.PENDING`): a signed ``amount``
        the cash balance does not hold yet (Fidelity's ``Pending activity``, Merrill's
        pending activity). The same rows are also listed in ``skipped``.
    skipped : DataFrame
        Every data-like row that was not loaded: ``file``, ``line``, ``reason``, ``text``,
        and the ``account`` and ``symbol`` it belongs to when they could be read.
    accounts : DataFrame
        Accounts the file names: ``account`` (as written), ``name`` (the broker's account
        name, e.g. ``"ROTH IRA"``), ``custodian``.
    as_of : Timestamp or None
        The date the file describes (download or statement date) when it says so.
    notes : list of str
        Odd but usable things seen while loading.
    """

    path: Path
    format: str
    custodian: str
    positions: pd.DataFrame = field(default_factory=POSITIONS.empty)
    lots: pd.DataFrame = field(default_factory=LOTS.empty)
    transactions: pd.DataFrame = field(default_factory=TRANSACTIONS.empty)
    realized: pd.DataFrame = field(default_factory=REALIZED.empty)
    pending: pd.DataFrame = field(default_factory=PENDING.empty)
    skipped: pd.DataFrame = field(default_factory=SKIPPED.empty)
    accounts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({c: pd.Series(dtype="str")
                                              for c in EXPORT_ACCOUNT_COLUMNS}))
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)

    def validated(self) -> Export:
        """Return self with every frame validated against its schema."""
        where = self.path.name
        self.positions = _valid(self.positions, POSITIONS, validate_positions, where)
        self.lots = _valid(self.lots, LOTS, validate_lots, where)
        self.transactions = _valid(self.transactions, TRANSACTIONS, validate_transactions,
                                   where)
        # one convention for every broker: a row that moves no shares has no quantity
        q = self.transactions["quantity"]
        if (q == 0).any():
            self.transactions["quantity"] = q.where(q != 0)
        self.realized = _valid(self.realized, REALIZED, validate_realized, where)
        self.pending = _valid(self.pending, PENDING, validate_pending, where)
        self.skipped = _valid(self.skipped, SKIPPED, validate_skipped, where)
        acc = self.accounts.drop_duplicates("account").reset_index(drop=True)
        self.accounts = acc.astype({c: "str" for c in EXPORT_ACCOUNT_COLUMNS})
        return self

    def summary(self) -> dict[str, Any]:
        """Counts and totals of this export, as plain Python values."""
        return {
            "file": str(self.path),
            "format": self.format,
            "custodian": self.custodian,
            "as_of": None if self.as_of is None else self.as_of.date().isoformat(),
            "positions": len(self.positions),
            "lots": len(self.lots),
            "transactions": len(self.transactions),
            "realized": len(self.realized),
            "pending": len(self.pending),
            "skipped": len(self.skipped),
        }


#: Each schema's validated empty frame, built once (most of an export's frames are empty: a
#: lots file has no transactions; validating them per file was most of a small file's cost).
_EMPTY: dict[str, pd.DataFrame] = {}


def _valid(df: pd.DataFrame, schema: FrameSchema, validate: Callable[..., pd.DataFrame],
           where: str) -> pd.DataFrame:
    """``validate(df)``, or a copy of the schema's validated empty frame when ``df`` has no rows
    and no columns of its own."""
    if len(df) or not set(df.columns) <= {c.name for c in schema.columns}:
        return validate(df, where=where)
    if schema.name not in _EMPTY:
        _EMPTY[schema.name] = validate(schema.empty(), where=where)
    return _EMPTY[schema.name].copy()


class SkipLog:
    """Collects skipped rows of one file."""

    def __init__(self, path: Path | str) -> None:
        self.file = Path(path).name
        self.rows: list[dict] = []

    def add(self, line: int | None, reason: str, raw: str = "", *, account: str | None = None,
            symbol: str | None = None) -> None:
        """Record that the row at ``line`` was not loaded, and why.

        ``account`` and ``symbol`` name the holding the row belongs to, when known.
        """
        self.rows.append({"file": self.file, "line": line, "reason": reason,
                          "text": shorten(raw), "account": _opt(account),
                          "symbol": _opt(symbol)})

    def add_frame(self, df: pd.DataFrame, reason: str | pd.Series, *,
                  account: pd.Series | str | None = None,
                  symbol: pd.Series | str | None = None) -> None:
        """Record every row of a raw frame (with ``line`` and ``raw`` columns) as skipped.

        ``account`` and ``symbol`` (aligned Series, or one value for all rows) name the
        holding of each row when known.
        """
        reasons = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=df.index)
        accounts = _aligned(account, df.index)
        symbols = _aligned(symbol, df.index)
        raws = df["raw"] if "raw" in df.columns else pd.Series("", index=df.index)
        for line, raw, why, acct, sym in zip(df["line"], raws, reasons.reindex(df.index),
                                             accounts, symbols, strict=True):
            self.add(int(line), str(why), str(raw), account=acct, symbol=sym)

    def frame(self) -> pd.DataFrame:
        """The skipped rows as a canonical frame, in line order."""
        if not self.rows:
            return SKIPPED.empty()
        df = pd.DataFrame(self.rows).sort_values("line", kind="stable")
        return validate_skipped(df)


def _opt(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    value = str(value).strip()
    return value or None


def _aligned(value, index: pd.Index) -> list:
    if isinstance(value, pd.Series):
        v = value.reindex(index)
        return v.astype(object).where(v.notna(), None).tolist()
    return [value] * len(index)


#: Bytes detection may look at: every detector reads only this prefix of a file.
HEAD_BYTES = 65536
#: Lines of the prefix detection sees (normalised in ``first_lines_norm``).
HEAD_LINES = 60


@dataclass(frozen=True)
class Sniff:
    """What detection may look at, and what loading reads.

    Detection sees a bounded prefix: ``head`` (the first :data:`HEAD_BYTES` bytes),
    ``head_lines`` (its complete lines, decoded, control characters removed) and
    ``first_lines_norm`` (the first :data:`HEAD_LINES` of them normalised). Loading reads
    the whole file: ``data``, ``text`` (a :class:`TextFile`, decoded once on first use, for
    text and JSON kinds) and ``workbook()`` (an .xlsx opened once per load, after its zip
    members were checked).
    """

    path: Path
    head: bytes
    kind: str
    data: bytes = b""
    head_lines: tuple[str, ...] = ()
    first_lines_norm: tuple[str, ...] = ()
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def text(self) -> TextFile | None:
        """The whole file decoded (text and JSON kinds), else None."""
        if self.kind not in ("text", "json"):
            return None
        return decode(self.path, self.data)

    def workbook(self):
        """The file opened as an .xlsx workbook (read-only, cached values), once per load.

        Raises
        ------
        FormatError
            If the zip's members are too large or too compressed, or openpyxl cannot open it.
        """
        if "workbook" not in self.cache:
            self.cache["workbook"] = open_workbook(self.path, self.data)
        return self.cache["workbook"]

    def close(self) -> None:
        """Close the workbook if one was opened."""
        wb = self.cache.pop("workbook", None)
        if wb is not None:
            wb.close()


def head_lines(head: bytes, complete: bool) -> tuple[str, ...]:
    """The decoded lines of a file prefix (the last one dropped when the prefix may cut it)."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # a character cut by the prefix's end
            text = head[:exc.start].decode("utf-8")
        else:
            text = head.decode("cp1252", errors="replace")
    text, _ = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = text.split("\n")
    if lines and (not complete or lines[-1] == ""):
        lines.pop()
    return tuple(lines)


def sniff_lines(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The first :data:`HEAD_LINES` lines normalised for signature matching."""
    return tuple(norm_line(ln) for ln in lines[:HEAD_LINES])


@dataclass(frozen=True)
class FormatSpec:
    """A loadable export format.

    ``detect(sniff)`` says whether a file is in this format (from its content);
    ``load(sniff, options)`` returns an :class:`Export`. Lower ``priority`` is tried first.
    """

    name: str
    custodian: str
    description: str
    kinds: tuple[str, ...]
    detect: Callable[[Sniff], bool]
    load: Callable[[Sniff, dict], Export]
    priority: int = 100


def empty_frame(schema: FrameSchema) -> pd.DataFrame:
    """Empty canonical frame of ``schema``."""
    return schema.empty()
