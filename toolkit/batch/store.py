"""Results on disk, one household at a time: partitioned Parquet under an output folder.

Layout under ``out``::

    <frame>/<household>.parquet     one file per result frame and household
    _done/<household>               written last: the household is complete

``<household>`` is the household key, percent-encoded (``hh0001%2Fhousehold``). Every file is
written to a temporary name and renamed into place, so a reader never sees half a file, and
a household written twice (a retried task, a rerun) replaces its files instead of adding
rows. A household without its ``_done`` marker is not complete and is run again by
``resume``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd

__all__ = ["DONE", "done_households", "read_frames", "write_household"]

DONE = "_done"


def _name(household: str) -> str:
    return quote(household, safe="")


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_household(out: str | Path, household: str, frames: Mapping[str, pd.DataFrame]
                    ) -> None:
    """Write one household's frames, then mark it complete.

    Parameters
    ----------
    out : str or Path
        The output folder.
    household : str
        The household key.
    frames : mapping of str to DataFrame
        Frame name -> this household's rows (each with its ``household`` column). Files of
        frames the household no longer has (from an earlier run) are removed.
    """
    out = Path(out)
    name = _name(household)
    marker = out / DONE / name
    marker.unlink(missing_ok=True)
    for frame, df in frames.items():
        _atomic_write(out / frame / f"{name}.parquet",
                      lambda tmp, df=df: df.to_parquet(tmp, index=False))
    for folder in out.iterdir() if out.exists() else ():
        stale = folder / f"{name}.parquet"
        if folder.is_dir() and folder.name not in frames and stale.exists():
            stale.unlink()
    _atomic_write(marker, lambda tmp: Path(tmp).write_text(household + "\n", encoding="utf-8"))


def done_households(out: str | Path) -> set[str]:
    """Keys of the households written completely under ``out``.

    Parameters
    ----------
    out : str or Path

    Returns
    -------
    set of str
    """
    folder = Path(out) / DONE
    if not folder.is_dir():
        return set()
    return {unquote(p.name) for p in folder.iterdir() if not p.name.startswith(".tmp-")}


def read_frames(out: str | Path, households: Iterable[str]) -> dict[str, list[pd.DataFrame]]:
    """Read the frames of some households back.

    Parameters
    ----------
    out : str or Path
    households : iterable of str
        Household keys (normally :func:`done_households`).

    Returns
    -------
    dict of str to list of DataFrame
        Frame name -> one frame per household that has it.
    """
    out = Path(out)
    names = [_name(h) for h in households]
    found: dict[str, list[pd.DataFrame]] = {}
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and p.name != DONE):
        for n in names:
            f = folder / f"{n}.parquet"
            if f.exists():
                found.setdefault(folder.name, []).append(pd.read_parquet(f))
    return found
