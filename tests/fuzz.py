"""A seeded mutation fuzzer over the sample exports in ``data/samples/formats``.

Each mutant is a sample file with one damage: a line dropped, duplicated or swapped with the
next; a column dropped or two swapped (CSV); bytes inserted; a number or a date replaced by
one that is not a number or not a date; for workbooks, a cell, a row or the archive's bytes
damaged. The loader must answer each mutant with one of:

``error``
    a clean :class:`~toolkit.errors.ToolkitError` (the file is refused, with a reason);
``equal``
    a load whose totals equal the original's;
``explained``
    a load whose totals equal the original's minus the rows of the lines reported in
    ``skipped`` (mapped back to the original's lines);
``as mutated``
    a load whose totals are those of the file as mutated: a dropped line's rows gone, a
    duplicated transaction line's rows twice (a repeated holding must be skipped, never
    counted twice); again less any rows reported in ``skipped``.

Anything else fails: a raw exception, or totals that changed with nothing reported.

Totals are, per frame, the row count and the sums of its money and share columns. A valid
number swapped for another valid number cannot be told from a real file, so the number and
date mutations use values no export writes (``inf``, ``1.234,56``, ``02/30/2026`` ...), and
inserted bytes exclude digits, ``-`` and ``.``. Dropping a column is judged on row counts
only (a file without an optional column is a valid, poorer file).

``python -m tests.fuzz --mutants 5000 --seed 1`` runs a long campaign and prints the count
of each outcome per file; ``tests/test_fuzz.py`` runs a short one in ``make test``.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from tests import golden
from toolkit.errors import ToolkitError
from toolkit.io import load_export

#: Columns summed per frame (money in dollars, quantities in shares).
TOTALS = {
    "positions": ("market_value", "quantity"),
    "lots": ("quantity", "cost_basis"),
    "transactions": ("amount", "quantity"),
    "realized": ("proceeds", "cost_basis", "quantity"),
    "pending": ("amount",),
}
#: Frames whose rows may legitimately repeat in one file (two identical buys the same day).
REPEATABLE = ("transactions", "lots", "realized", "pending")
BAD_NUMBERS = ("inf", "nan", "-Infinity", "1e400", "1.234,56", "12..5", "10,00", "--5",
               "5%5", "١٢", "0x1F", "$$3")
BAD_DATES = ("02/30/2026", "13/45/2026", "2026-13-01", "2026-02-30", "20261399",
             "Feb-30-2026", "32/01/2026", "0000-00-00")
INSERTS = (b"\x00", b'"', b",", b"\n", b"x", b"Q", b"$", b"\xff", b"<", b">", b";", b" ",
           b"\t", b"(", b"*", b"\x1b")
#: A number filling a whole cell, attribute or element (never one spanning a comma between
#: cells, never an identifier: integers of up to six digits only).
_NUMBER = re.compile(r'(?<=[,>="(])[-+]?\$?(?:\d+\.\d+|\d{1,6})(?=[,<")]|$)'
                     r'|(?<=")[-+]?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?=")', re.M)
#: "line 12", "lines 3, 4 and 9", "line(s) 12, 40" inside a note.
_NOTE_LINES = re.compile(r"\blines?(?:\(s\))? (\d+(?:(?:, | and )\d+)*)")
_DATE = re.compile(r"\b(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2}-\d{2}-\d{4}|"
                   r"20\d{6})\b")


def sample_files() -> list[Path]:
    """The exports under ``data/samples/formats``."""
    return [p for p in golden.sample_files() if "formats" in p.relative_to(golden.SAMPLES).parts]


# --- totals ------------------------------------------------------------------------------------

def rows_by_line(export) -> dict[str, pd.DataFrame]:
    """Each frame's total columns with its ``source_line`` (and holding, where it has one)."""
    out = {}
    for name, cols in TOTALS.items():
        f = getattr(export, name)
        keys = ["source_line", *(["account", "symbol"] if name in HOLDINGS else [])]
        out[name] = f[[*keys, *cols]].copy() if len(f) else pd.DataFrame(columns=[*keys, *cols])
    return out


#: Frames whose rows belong to a holding: a skipped row naming the holding explains them.
HOLDINGS = ("positions", "lots")


def without_holdings(frames: dict[str, pd.DataFrame],
                     holdings: set[tuple[str, str]]) -> dict[str, pd.DataFrame]:
    out = dict(frames)
    for k in HOLDINGS:
        f = frames[k]
        key = list(zip(f["account"], f["symbol"], strict=True))
        out[k] = f[np.array([h not in holdings for h in key], dtype=bool)]
    return out


def totals(frames: dict[str, pd.DataFrame], *, counts_only: bool = False) -> dict:
    """Per frame: row count and sums; ``counts_only``: one count of rows over all frames (a
    dropped column may move a row between frames, e.g. pending activity that no longer says
    it is pending)."""
    if counts_only:
        return {"rows": (sum(len(f) for f in frames.values()),)}
    out = {}
    for name, cols in TOTALS.items():
        f = frames[name]
        sums = tuple(float(pd.to_numeric(f[c], errors="coerce").fillna(0).sum()) for c in cols)
        out[name] = (len(f), *sums)
    return out


def same(a: dict, b: dict) -> bool:
    for k in a:
        x, y = a[k], b[k]
        if x[0] != y[0]:
            return False
        if not np.allclose(x[1:], y[1:], rtol=1e-9, atol=1e-6):
            return False
    return True


def without(frames: dict[str, pd.DataFrame], lines: set[int]) -> dict[str, pd.DataFrame]:
    return {k: f[~f["source_line"].isin(lines)] for k, f in frames.items()}


def plus(frames: dict[str, pd.DataFrame], lines: set[int],
         only: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    out = {}
    for k, f in frames.items():
        extra = f[f["source_line"].isin(lines)] if k in only else f.iloc[0:0]
        out[k] = pd.concat([f, extra]) if len(extra) else f
    return out


# --- mutations ---------------------------------------------------------------------------------

@dataclass
class Mutant:
    """A damaged copy of a sample: its bytes, what was done, and how its lines map back."""

    kind: str
    detail: str
    data: bytes
    back: Callable[[int], int | None] = lambda m: m  # mutant line -> original line
    dropped: set[int] = field(default_factory=set)  # original lines removed on purpose
    repeated: set[int] = field(default_factory=set)  # original lines present twice
    counts_only: bool = False
    line: int | None = None  # the original line a byte or value change landed on


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines)


def _content_lines(lines: list[bytes]) -> list[int]:
    return [i for i, ln in enumerate(lines) if ln.strip(b" \r\t,\"")]


def drop_line(rng: random.Random, data: bytes) -> Mutant | None:
    lines = _lines(data)
    cand = _content_lines(lines)
    if not cand:
        return None
    i = rng.choice(cand)
    L = i + 1
    return Mutant("drop line", f"line {L}", _join(lines[:i] + lines[i + 1:]),
                  back=lambda m, L=L: m if m < L else m + 1, dropped={L})


def duplicate_line(rng: random.Random, data: bytes) -> Mutant | None:
    lines = _lines(data)
    cand = _content_lines(lines)
    if not cand:
        return None
    i = rng.choice(cand)
    L = i + 1
    return Mutant("duplicate line", f"line {L}", _join(lines[:i + 1] + lines[i:]),
                  back=lambda m, L=L: m if m <= L else (L if m == L + 1 else m - 1),
                  repeated={L})


def swap_lines(rng: random.Random, data: bytes) -> Mutant | None:
    lines = _lines(data)
    cand = [i for i in _content_lines(lines) if i + 1 < len(lines)]
    if not cand:
        return None
    i = rng.choice(cand)
    L = i + 1
    out = lines[:]
    out[i], out[i + 1] = out[i + 1], out[i]
    return Mutant("swap lines", f"lines {L} and {L + 1}", _join(out),
                  back=lambda m, L=L: L + 1 if m == L else (L if m == L + 1 else m))


def _csv_edit(data: bytes, edit: Callable[[list[str]], list[str]]) -> bytes:
    text = data.decode("utf-8", errors="surrogateescape")
    out = []
    for line in text.split("\n"):
        if not line.strip():
            out.append(line)
            continue
        try:
            cells = next(csv.reader([line]), [])
        except csv.Error:
            out.append(line)
            continue
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(edit(cells))
        out.append(buf.getvalue())
    return "\n".join(out).encode("utf-8", errors="surrogateescape")


def drop_column(rng: random.Random, data: bytes) -> Mutant | None:
    k = rng.randrange(0, 12)
    return Mutant("drop column", f"column {k + 1}",
                  _csv_edit(data, lambda c: c[:k] + c[k + 1:]), counts_only=True)


def swap_columns(rng: random.Random, data: bytes) -> Mutant | None:
    j, k = sorted(rng.sample(range(12), 2))

    def edit(c):
        c = c[:]
        if k < len(c):
            c[j], c[k] = c[k], c[j]
        return c
    return Mutant("swap columns", f"columns {j + 1} and {k + 1}", _csv_edit(data, edit))


def insert_bytes(rng: random.Random, data: bytes) -> Mutant | None:
    pos = rng.randrange(0, len(data) + 1)
    b = rng.choice(INSERTS)
    L = data.count(b"\n", 0, pos) + 1
    back = (lambda m, L=L: m if m <= L else (L if m == L + 1 else m - 1)) if b == b"\n" \
        else (lambda m: m)
    return Mutant("insert bytes", f"{b!r} at byte {pos} (line {L})",
                  data[:pos] + b + data[pos:], back=back, line=L)


def _replace_match(rng: random.Random, data: bytes, rx: re.Pattern, values: tuple[str, ...],
                   kind: str) -> Mutant | None:
    text = data.decode("utf-8", errors="surrogateescape")
    found = list(rx.finditer(text))
    if not found:
        return None
    m = rng.choice(found)
    new = rng.choice(values)
    L = text.count("\n", 0, m.start()) + 1
    out = text[:m.start()] + new + text[m.end():]
    return Mutant(kind, f"{m.group(0)!r} -> {new!r} on line {L}",
                  out.encode("utf-8", errors="surrogateescape"), line=L)


def change_number(rng: random.Random, data: bytes) -> Mutant | None:
    # OFX takes "," as a decimal point: "10,00" is a valid OFX number there
    ofx = b"<OFX>" in data[:8192].upper() or b"OFXHEADER" in data[:8192]
    values = tuple(v for v in BAD_NUMBERS if not (ofx and v == "10,00"))
    return _replace_match(rng, data, _NUMBER, values, "change number")


def change_date(rng: random.Random, data: bytes) -> Mutant | None:
    return _replace_match(rng, data, _DATE, BAD_DATES, "change date")


TEXT_MUTATIONS = (drop_line, duplicate_line, swap_lines, insert_bytes, change_number,
                  change_date)
CSV_MUTATIONS = (*TEXT_MUTATIONS, drop_column, swap_columns)


def workbook_mutant(rng: random.Random, data: bytes) -> Mutant | None:
    """A damaged workbook: a cell made not a number or not a date, a row dropped or
    duplicated (rows keep their Excel numbers), or bytes of the archive changed."""
    choice = rng.randrange(4)
    if choice == 3:
        pos = rng.randrange(0, len(data))
        return Mutant("workbook bytes", f"byte {pos} changed",
                      data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    n = ws.max_row
    if n < 2:
        return None
    r = rng.randrange(2, n + 1)
    if choice == 0:
        c = rng.randrange(1, ws.max_column + 1)
        new = rng.choice(BAD_NUMBERS + BAD_DATES)
        ws.cell(row=r, column=c, value=new)
        kind, detail, m = "workbook cell", f"row {r} column {c} -> {new!r}", {}
    elif choice == 1:
        ws.delete_rows(r)
        kind, detail = "workbook drop row", f"row {r}"
        m = {"back": lambda x, r=r: x if x < r else x + 1, "dropped": {r}}
    else:
        ws.insert_rows(r + 1)
        for col in range(1, ws.max_column + 1):
            ws.cell(row=r + 1, column=col, value=ws.cell(row=r, column=col).value)
        kind, detail = "workbook duplicate row", f"row {r}"
        m = {"back": lambda x, r=r: x if x <= r else (r if x == r + 1 else x - 1),
             "repeated": {r}}
    buf = io.BytesIO()
    wb.save(buf)
    return Mutant(kind, detail, buf.getvalue(), **m)


# --- the oracle --------------------------------------------------------------------------------

def _compare(original, got, mutant: Mutant, new, base, reported: set[int], before: set,
             co: bool) -> tuple[str, str] | None:
    """``explained`` or ``as mutated`` (with a detail) when the mutant's totals are the
    original's less the reported rows, or those of the file as mutated; else None."""
    explained = without(base, reported)
    if same(totals(new, counts_only=co), totals(explained, counts_only=co)):
        return "explained", f"lines {sorted(reported)[:8]}"
    # a skipped row naming a holding explains that holding's rows (it is marked unreliable)
    fresh = got.skipped[np.array([
        pd.isna(ln) or (mutant.back(int(ln)), r) not in before
        for ln, r in zip(got.skipped["line"], got.skipped["reason"], strict=True)], dtype=bool)]
    holdings = {(a, s) for a, s in zip(fresh["account"], fresh["symbol"], strict=True)
                if isinstance(a, str) and isinstance(s, str)}
    if holdings and same(totals(without_holdings(new, holdings), counts_only=co),
                         totals(without_holdings(explained, holdings), counts_only=co)):
        return "explained", f"holdings {sorted(holdings)[:4]}"
    if mutant.dropped or mutant.repeated:
        expect = without(base, reported | mutant.dropped)
        expect = plus(expect, mutant.repeated - reported, REPEATABLE)
        if same(totals(new, counts_only=co), totals(expect, counts_only=co)):
            return "as mutated", ""
        # a holding built from the changed line's rows (a position summed from its lots)
        # changes with them: compare the rest
        touched = set()
        for k in HOLDINGS:
            f = base[k]
            rows = f[f["source_line"].isin(mutant.dropped | mutant.repeated)]
            touched |= set(zip(rows["account"], rows["symbol"], strict=True))
        if touched and same(
                totals(without_holdings(new, touched | holdings), counts_only=co),
                totals(without_holdings(expect, touched | holdings), counts_only=co)):
            return "as mutated", f"holdings {sorted(touched)[:4]}"
    return None


def judge(original, mutant: Mutant, path: Path, options: dict) -> tuple[str, str]:
    """The outcome of loading ``mutant`` (see the module docstring) and a detail."""
    try:
        got = load_export(path, **options)
    except ToolkitError as exc:
        return "error", str(exc)[:160]
    except Exception as exc:  # the one thing that must never happen
        return "FAIL: raw exception", "".join(traceback.format_exception_only(exc)).strip()
    base = rows_by_line(original)
    new = rows_by_line(got)
    co = mutant.counts_only
    if mutant.line is not None:
        # damage outside the rows (a banner, a header above the data, a trailer) changes the
        # layout, like a dropped or renamed column: judged on row counts
        data_lines = set().union(*(set(f["source_line"].dropna().astype(int))
                                   for f in base.values()))
        data_lines |= set(original.skipped["line"].dropna().astype(int))
        co = co or not data_lines or not min(data_lines) <= mutant.line <= max(data_lines)
    if same(totals(new, counts_only=co), totals(base, counts_only=co)):
        return "equal", ""
    # the mutant's skipped rows that the original does not have, on the original's lines
    before = set(zip(original.skipped["line"], original.skipped["reason"], strict=True))
    reported = set()
    for m, why in zip(got.skipped["line"], got.skipped["reason"], strict=True):
        if pd.isna(m):
            continue
        o = mutant.back(int(m))
        if o is not None and (o, why) not in before:
            reported.add(o)
    outcome = _compare(original, got, mutant, new, base, reported, before, co)
    if outcome:
        return outcome
    # a new note naming lines (an amount computed, rows summed) accounts for those lines'
    # rows: they are compared no further, on both sides
    noted = {int(n) for note in set(got.notes) - set(original.notes)
             for m in _NOTE_LINES.finditer(note) for n in re.findall(r"\d+", m.group(1))}
    if noted:
        back = {mutant.back(n) for n in noted} - {None}
        outcome = _compare(original, got, mutant, without(new, noted), without(base, back),
                           reported, before, co)
        if outcome:
            return outcome[0], f"{outcome[1]}; noted lines {sorted(noted)[:8]}"
    return "FAIL: totals changed, nothing reported", (
        f"original {totals(base)}, mutant {totals(new)}, reported lines {sorted(reported)}")


def campaign(mutants: int, seed: int, files: list[Path] | None = None,
             verbose: bool = False) -> tuple[Counter, list[str]]:
    """Run ``mutants`` mutants spread over the sample files; return outcome counts and the
    failures (one line each)."""
    rng = random.Random(seed)
    files = files or sample_files()
    counts: Counter = Counter()
    failures: list[str] = []
    originals = {p: (load_export(p, **golden.load_options(p)), golden.load_options(p))
                 for p in files}
    with tempfile.TemporaryDirectory() as d:
        for i in range(mutants):
            p = files[i % len(files)]
            original, options = originals[p]
            data = p.read_bytes()
            if p.suffix.lower() == ".xlsx":
                mutant = workbook_mutant(rng, data)
            else:
                pool = CSV_MUTATIONS if p.suffix.lower() == ".csv" else TEXT_MUTATIONS
                mutant = rng.choice(pool)(rng, data)
            if mutant is None:
                continue
            target = Path(d) / p.name
            target.write_bytes(mutant.data)
            outcome, detail = judge(original, mutant, target, options)
            counts[(p.name, outcome)] += 1
            counts[outcome] += 1
            if outcome.startswith("FAIL"):
                failures.append(f"{p.name}: {mutant.kind} {mutant.detail}: {outcome} "
                                f"({detail})")
            if verbose:
                print(f"{i:5d} {p.name}: {mutant.kind} {mutant.detail}: {outcome}")
    return counts, failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--file", action="append", default=[],
                    help="only the samples whose name contains this text (repeatable)")
    args = ap.parse_args(argv)
    files = [p for p in sample_files() if not args.file or any(f in p.name for f in args.file)]
    counts, failures = campaign(args.mutants, args.seed, files, verbose=args.verbose)
    outcomes = ("error", "equal", "explained", "as mutated", "FAIL: raw exception",
                "FAIL: totals changed, nothing reported")
    print(f"{args.mutants} mutants, seed {args.seed}")
    for o in outcomes:
        print(f"  {o:40s} {counts[o]}")
    print("per file:")
    for p in sample_files():
        parts = ", ".join(f"{o} {counts[(p.name, o)]}" for o in outcomes if counts[(p.name, o)])
        print(f"  {p.name}: {parts}")
    for f in failures[:50]:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
