"""The mutation fuzzer at the household level: damage one export of the sample household.

Each mutant is the sample household (``data/samples/household``) with one of its exports
damaged by a mutation of :mod:`tests.fuzz` (a line dropped, duplicated or swapped, a column
dropped or swapped, bytes inserted, a number or a date made unreadable). Loading the
household must end in one of:

``error``
    a clean :class:`~toolkit.errors.ToolkitError`;
``equal``
    a household whose value per holding (positions' market value, cash included) and whose
    realised rows and lots (count, shares, dollars) equal the original's;
``explained``
    every holding whose value, lots or realised rows changed is explained: it is marked
    unreliable (``Household.unreliable``), or its rows in the original came from lines of
    the damaged file that the mutant reports in ``skipped`` (or that the mutation dropped or
    repeated), or the file that supplies it changed (``provenance``: a newer file now wins,
    or this one lost); realised rows and lots changed only on such lines.

Anything else fails: a raw exception, or a figure that changed with nothing reported.
``python -m tests.fuzz_household --mutants 300`` runs a campaign and prints the counts.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from tests import fuzz
from toolkit.errors import ToolkitError
from toolkit.household_file import load_household

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "household"


def exports() -> list[Path]:
    """The sample household's exports (relative to :data:`SAMPLE`)."""
    return sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*")
                  if p.is_file() and p.suffix.lower() in (".csv", ".ofx", ".qfx", ".xml"))


def load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_household(path)


def by_holding(h) -> dict[str, pd.Series]:
    """Per (account, symbol): positions' value, lots' shares and basis, realised proceeds."""
    def per(df, col):
        if df.empty:
            return pd.Series(dtype="float64")
        return df.groupby(["account", "symbol"], dropna=False)[col].sum(min_count=1).fillna(0.0)
    return {"value": per(h.positions, "market_value"), "lot_shares": per(h.lots, "quantity"),
            "lot_basis": per(h.lots, "cost_basis"),
            "realized": per(h.realized, "proceeds"),
            "realized_rows": h.realized.groupby(["account", "symbol"]).size().astype("float64")
            if len(h.realized) else pd.Series(dtype="float64")}


def changed(a: dict[str, pd.Series], b: dict[str, pd.Series]) -> set[tuple]:
    out: set[tuple] = set()
    for k in a:
        x, y = a[k], b[k]
        idx = x.index.union(y.index)
        xv = x.reindex(idx).fillna(0.0).to_numpy(dtype="float64")
        yv = y.reindex(idx).fillna(0.0).to_numpy(dtype="float64")
        diff = ~np.isclose(xv, yv, rtol=1e-9, atol=1e-6)
        out |= {tuple(t) for t in np.asarray(list(idx), dtype=object)[diff]}
    return out


def _rows_on(h, file: str, lines: set[int]) -> set[tuple]:
    """Holdings whose positions, lots or realised rows came from ``lines`` of ``file``."""
    out: set[tuple] = set()
    for df in (h.positions, h.lots, h.realized, h.transactions):
        m = df["source_file"].eq(file) & df["source_line"].isin(list(lines))
        out |= set(zip(df.loc[m, "account"], df.loc[m, "symbol"], strict=True))
    return out


def _supplier(h) -> dict:
    p = h.provenance
    return {(r.frame, r.key): r.file for r in p[p["used"].astype(bool)].itertuples()}


def judge(original, mutant, rel: Path, path: Path) -> tuple[str, str]:
    """The outcome of loading the household at ``path`` with ``rel`` damaged by ``mutant``."""
    try:
        got = load(path)
    except ToolkitError as exc:
        return "error", str(exc)[:160]
    except Exception as exc:  # the one thing that must never happen
        return "FAIL: raw exception", "".join(traceback.format_exception_only(exc)).strip()
    diff = changed(by_holding(original), by_holding(got))
    if not diff:
        return "equal", ""
    name = rel.name
    before = set(zip(original.skipped["file"], original.skipped["line"],
                     original.skipped["reason"], strict=True))
    reported = set()
    for f, ln, why in zip(got.skipped["file"], got.skipped["line"], got.skipped["reason"],
                          strict=True):
        if f != name or pd.isna(ln):
            continue
        o = mutant.back(int(ln))
        if o is not None and (f, o, why) not in before:
            reported.add(o)
    explained = set(zip(got.unreliable["account"], got.unreliable["symbol"], strict=True))
    explained |= _rows_on(original, name, reported | mutant.dropped | mutant.repeated)
    if mutant.line is not None:
        explained |= _rows_on(original, name, {mutant.line})
    # a file that no longer (or now) supplies a holding: its holdings move with it
    a, b = _supplier(original), _supplier(got)
    moved = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    if moved:
        keys = {k[1] for k in moved}
        explained |= {h for h in diff if f"{h[0]}" in keys or f"{h[0]} {h[1]}" in keys}
    # a position summed from lots, a sale matched to lots: the whole account's rows from the
    # damaged file may move together when its layout (a header, an account line) is hit
    left = diff - explained
    if not left:
        return "explained", f"{len(diff)} holding(s)"
    if mutant.counts_only or (mutant.line is not None and not _rows_on(
            original, name, {mutant.line})):
        # damage outside the rows (a header, a banner): judged on reported rows alone
        if reported or len(got.skipped) > len(original.skipped):
            return "explained", f"layout damage, {len(reported)} line(s) reported"
    return "FAIL: changed, nothing reported", (
        f"{sorted(left)[:6]}; reported lines {sorted(reported)[:8]}")


def campaign(mutants: int, seed: int, verbose: bool = False) -> tuple[Counter, list[str]]:
    """Run ``mutants`` household mutants (one damaged export each)."""
    rng = random.Random(seed)
    files = exports()
    counts: Counter = Counter()
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "household"
        shutil.copytree(SAMPLE, root)
        original = load(root / "household.toml")
        for i in range(mutants):
            rel = files[i % len(files)]
            data = (SAMPLE / rel).read_bytes()
            pool = fuzz.CSV_MUTATIONS if rel.suffix.lower() == ".csv" else fuzz.TEXT_MUTATIONS
            mutant = rng.choice(pool)(rng, data)
            if mutant is None:
                continue
            (root / rel).write_bytes(mutant.data)
            try:
                outcome, detail = judge(original, mutant, rel, root / "household.toml")
            finally:
                (root / rel).write_bytes(data)
            counts[outcome] += 1
            counts[(rel.name, outcome)] += 1
            if outcome.startswith("FAIL"):
                failures.append(f"{rel}: {mutant.kind} {mutant.detail}: {outcome} ({detail})")
            if verbose:
                print(f"{i:4d} {rel}: {mutant.kind} {mutant.detail}: {outcome} {detail}")
    return counts, failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    counts, failures = campaign(args.mutants, args.seed, verbose=args.verbose)
    print(f"{args.mutants} household mutants, seed {args.seed}")
    for o in ("error", "equal", "explained", "FAIL: raw exception",
              "FAIL: changed, nothing reported"):
        print(f"  {o:34s} {counts[o]}")
    for f in failures[:40]:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
