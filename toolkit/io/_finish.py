"""What every load ends with: the file's notes, repeated positions, validated frames.

:func:`finish` runs once per :func:`toolkit.io.load_export`, after the format's loader, so
that every format gets the same treatment of a position listed twice in one file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.schema import validate_skipped

from ._export import Export, Sniff
from ._text import shorten

#: Relative tolerance under which two rows of one holding count as the same figures.
SAME = 1e-9


def finish(export: Export, s: Sniff) -> Export:
    """Add the file's own notes, drop repeated positions (reported), validate every frame."""
    tf = s.__dict__.get("text")  # the decoded file, when the loader read it as text
    for note in tf.notes if tf is not None else ():
        if note not in export.notes:
            export.notes.append(note)
    export = export.validated()
    repeated_positions(export, s)
    return export


def _row_text(s: Sniff, line, fallback: str) -> str:
    tf = s.__dict__.get("text")
    if tf is not None and pd.notna(line) and 0 < int(line) <= len(tf.lines):
        return tf.lines[int(line) - 1]
    return fallback


def repeated_positions(export: Export, s: Sniff) -> None:
    """A holding listed twice in one file is counted once; the repeat goes to ``skipped``.

    Rows of one file with the same account and symbol (and security type) are one holding
    listed again (a repeated Merrill row, E*TRADE's ``CASH`` twice, an IBKR cash balance given
    twice): the first row is kept; each later row is skipped, with the reason saying whether
    its figures are the same (a plain repeat) or differ (the file contradicts itself: check
    the export; the holding's ``account`` and ``symbol`` are on the skipped row so it can be
    treated as unreliable).
    """
    pos = export.positions
    if len(pos) < 2:
        return
    # column-wise (a row-wise join took seconds on 100,000 positions)
    key = (pos["account"].astype("str").fillna("") + "\x1f"
           + pos["symbol"].astype("str").fillna("") + "\x1f"
           + pos["security_type"].astype("str").fillna(""))
    dup = key.duplicated(keep="first")
    if not dup.any():
        return
    first_at = pd.Series(np.arange(len(pos)), index=pos.index).groupby(key).transform("first")
    rows = []
    for i in np.flatnonzero(dup.to_numpy()):
        r = pos.iloc[i]
        f = pos.iloc[int(first_at.iloc[i])]
        same = all(_same(r[c], f[c]) for c in ("quantity", "market_value", "cost_basis"))
        where = f"line {int(f['source_line'])}" if pd.notna(f["source_line"]) else "above"
        if same:
            reason = (f"position repeated in this file ({r['account']} {r['symbol']}, same "
                      f"quantity and value as {where}): counted once")
        else:
            reason = (f"position listed again with different figures ({r['account']} "
                      f"{r['symbol']}: value {r['market_value']:,.2f} here, "
                      f"{f['market_value']:,.2f} on {where}); only {where} is loaded, check "
                      "the export")
        fallback = f"{r['account']} {r['symbol']} quantity {r['quantity']} value " \
                   f"{r['market_value']}"
        rows.append({"file": export.path.name, "line": r["source_line"], "reason": reason,
                     "text": shorten(_row_text(s, r["source_line"], fallback)),
                     "account": r["account"], "symbol": r["symbol"]})
    export.positions = pos[~dup].reset_index(drop=True)
    skipped = pd.concat([export.skipped, pd.DataFrame(rows)], ignore_index=True)
    export.skipped = validate_skipped(skipped.sort_values("line", kind="stable"))


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return abs(float(a) - float(b)) <= SAME * max(1.0, abs(float(a)), abs(float(b)))
