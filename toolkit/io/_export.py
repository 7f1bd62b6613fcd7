"""The result of loading one export, and the registry of formats that can load one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.schema import (
    LOTS,
    POSITIONS,
    REALIZED,
    SKIPPED,
    TRANSACTIONS,
    FrameSchema,
    validate_lots,
    validate_positions,
    validate_realized,
    validate_skipped,
    validate_transactions,
)

from ._text import TextFile, shorten

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
        ``realized`` holds closed lots from realised gain/loss reports.
    skipped : DataFrame
        Every data-like row that was not loaded: ``file``, ``line``, ``reason``, ``text``.
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
    skipped: pd.DataFrame = field(default_factory=SKIPPED.empty)
    accounts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({c: pd.Series(dtype="str")
                                              for c in EXPORT_ACCOUNT_COLUMNS}))
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)

    def validated(self) -> Export:
        """Return self with every frame validated against its schema."""
        where = self.path.name
        self.positions = validate_positions(self.positions, where=where)
        self.lots = validate_lots(self.lots, where=where)
        self.transactions = validate_transactions(self.transactions, where=where)
        # one convention for every broker: a row that moves no shares has no quantity
        q = self.transactions["quantity"]
        self.transactions["quantity"] = q.where(q != 0)
        self.realized = validate_realized(self.realized, where=where)
        self.skipped = validate_skipped(self.skipped, where=where)
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
            "skipped": len(self.skipped),
        }


class SkipLog:
    """Collects skipped rows of one file."""

    def __init__(self, path: Path | str) -> None:
        self.file = Path(path).name
        self.rows: list[dict] = []

    def add(self, line: int | None, reason: str, raw: str = "") -> None:
        """Record that the row at ``line`` was not loaded, and why."""
        self.rows.append({"file": self.file, "line": line, "reason": reason,
                          "text": shorten(raw)})

    def add_frame(self, df: pd.DataFrame, reason: str | pd.Series) -> None:
        """Record every row of a raw frame (with ``line`` and ``raw`` columns) as skipped."""
        reasons = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=df.index)
        for line, raw, why in zip(df["line"], df["raw"], reasons, strict=True):
            self.add(int(line), str(why), str(raw))

    def frame(self) -> pd.DataFrame:
        """The skipped rows as a canonical frame, in line order."""
        if not self.rows:
            return SKIPPED.empty()
        df = pd.DataFrame(self.rows).sort_values("line", kind="stable")
        return validate_skipped(df)


@dataclass(frozen=True)
class Sniff:
    """What detection may look at: the path, the raw head bytes, the file kind, and for text
    files the decoded file."""

    path: Path
    head: bytes
    kind: str
    text: TextFile | None = None
    first_lines_norm: tuple[str, ...] = ()


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
