"""A book of households: a folder of household files, or a manifest CSV that lists them.

A **folder**: every ``*.toml`` under it is a household file (each with its exports beside
it), except files in a folder named ``models`` (the shared models, :mod:`toolkit.model_portfolio`).
A **manifest** (a ``.csv`` file): one household per row, columns ``file`` (the household
file, relative to the manifest's folder; required), ``model`` (a model file for a household
that names none, relative to the manifest's folder), ``advisor`` and ``tags`` (free text,
carried into the results). Each household is keyed by its file's path relative to the
book's folder without ``.toml`` (``hh0001/household``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import FormatError, HouseholdError

__all__ = ["MANIFEST_COLUMNS", "Book", "Entry", "load_book"]

#: Columns of a manifest CSV (only ``file`` is required).
MANIFEST_COLUMNS = ("file", "model", "advisor", "tags")


@dataclass(frozen=True)
class Entry:
    """One household of a book: only paths and labels (what is sent to a worker).

    Attributes
    ----------
    household : str
        The household's key (its file relative to the book, without ``.toml``).
    file : str
        Absolute path of the household file.
    model : str or None
        Absolute path of a model assigned by the manifest, if any.
    advisor, tags : str or None
        From the manifest.
    """

    household: str
    file: str
    model: str | None = None
    advisor: str | None = None
    tags: str | None = None


@dataclass(frozen=True)
class Book:
    """The households of a book, in order.

    Attributes
    ----------
    root : Path
        The book's folder (the manifest's folder for a manifest).
    entries : tuple of Entry
    source : Path
        The folder or the manifest file read.
    """

    root: Path
    entries: tuple[Entry, ...]
    source: Path

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def households(self) -> list[str]:
        """Household keys, in order."""
        return [e.household for e in self.entries]


def _key(file: Path, root: Path) -> str:
    try:
        rel = file.relative_to(root)
    except ValueError:
        rel = file
    return rel.with_suffix("").as_posix()


def _from_folder(folder: Path) -> Book:
    files = sorted(p for p in folder.rglob("*.toml")
                   if "models" not in p.relative_to(folder).parts[:-1])
    if not files:
        raise HouseholdError(f"{folder}: no household files (*.toml) in this folder")
    root = folder.resolve()
    entries = tuple(Entry(_key(p.resolve(), root), str(p.resolve())) for p in files)
    return Book(root, entries, folder)


def _cell(row: dict, col: str) -> str | None:
    v = row.get(col)
    v = v.strip() if isinstance(v, str) else None
    return v or None


def _from_manifest(path: Path) -> Book:
    root = path.parent.resolve()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise HouseholdError(f"{path}: no such manifest") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(c.strip() for c in rows[0]):
        raise FormatError("empty manifest: expected a header row with a 'file' column",
                          path=path, line=1)
    header = [c.strip().lower() for c in rows[0]]
    if "file" not in header:
        raise FormatError(f"no 'file' column in the header ({', '.join(rows[0])}); columns: "
                          f"{', '.join(MANIFEST_COLUMNS)}", path=path, line=1, column="file")
    unknown = [c for c in header if c and c not in MANIFEST_COLUMNS]
    if unknown:
        raise FormatError(f"unknown column(s) {unknown}; columns: {', '.join(MANIFEST_COLUMNS)}",
                          path=path, line=1, column=unknown[0])
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise FormatError(f"{len(cells)} cells for {len(header)} columns", path=path,
                              line=line)
        row = dict(zip(header, cells, strict=False))
        f = _cell(row, "file")
        if f is None:
            raise FormatError("no household file on this row", path=path, line=line,
                              column="file")
        file = (root / f).resolve()
        key = _key(file, root)
        if key in seen:
            raise FormatError(f"household file {f!r} is already listed on line {seen[key]}",
                              path=path, line=line, column="file")
        seen[key] = line
        m = _cell(row, "model")
        entries.append(Entry(key, str(file), str((root / m).resolve()) if m else None,
                             _cell(row, "advisor"), _cell(row, "tags")))
    if not entries:
        raise FormatError("the manifest lists no households", path=path, line=2)
    return Book(root, tuple(entries), path)


def load_book(book: str | Path | Book) -> Book:
    """Read a book: a folder of household files or a manifest CSV.

    Parameters
    ----------
    book : str, Path or Book
        A folder, a ``.csv`` manifest, or a :class:`Book` (returned as is).

    Returns
    -------
    Book
        Only paths and labels: no household is read here (the workers read them).

    Raises
    ------
    HouseholdError
        If the path does not exist or a folder holds no household file.
    FormatError
        If a manifest has no ``file`` column, an unknown column, an empty file cell or a
        household listed twice (the message names the manifest, line and column).
    """
    if isinstance(book, Book):
        return book
    path = Path(book)
    if path.is_dir():
        return _from_folder(path)
    if path.suffix.lower() == ".csv":
        return _from_manifest(path)
    if not path.exists():
        raise HouseholdError(f"{path}: no such book (a folder of household files or a "
                             "manifest .csv)")
    raise HouseholdError(f"{path}: a book is a folder of household files or a manifest .csv")
