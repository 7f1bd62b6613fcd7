"""The toolkit's exception hierarchy.

Every error the toolkit raises on purpose derives from :class:`ToolkitError` and also from
the builtin exception a caller would expect (``ValueError``, ``LookupError``), so code that
already catches builtins keeps working. Messages say what is wrong, where (file, line,
column, account, symbol) and, where possible, how to fix it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "FormatError",
    "HouseholdError",
    "MissingColumnError",
    "PlanningError",
    "SchemaError",
    "TaxTableError",
    "ToolkitError",
    "UnknownFormatError",
]


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class FormatError(ToolkitError, ValueError):
    """An input file is malformed, truncated, empty, binary or not what it claims to be.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or Path, optional
        The file.
    line : int, optional
        1-based physical line number (for spreadsheets: the row number).
    column : str, optional
        The column name (or letter) concerned.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class UnknownFormatError(FormatError):
    """A file is not any export format the toolkit knows."""


class MissingColumnError(FormatError):
    """A recognised export lacks a column the toolkit needs."""


class SchemaError(ToolkitError, ValueError):
    """A DataFrame does not satisfy its declared schema (see :mod:`toolkit.schema`)."""


class HouseholdError(ToolkitError, ValueError):
    """A household file is inconsistent: untyped accounts, bad targets, unknown references."""


class TaxTableError(ToolkitError, LookupError):
    """The toolkit has no tax table for the requested year or filing status."""


class PlanningError(ToolkitError, ValueError):
    """A plan cannot be made as asked (infeasible constraints, missing prices, untrusted lots)."""
