"""Golden files: each sample export in data/samples has committed expected tidy output.

``python -m tests.golden --write`` (``make golden``) regenerates them on purpose; the tests
compare a fresh load against them with ``assert_frame_equal``.

Expected output of ``data/samples/<dir>/<file>`` lives in ``data/samples/expected/<dir>/``:
``<file>.<frame>.csv`` for each non-empty frame and ``<file>.meta.json`` for the format,
as-of date, accounts and frame sizes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

import pandas as pd

from toolkit.io import load_export
from toolkit.schema import DATE_DTYPE, LOTS, PENDING, POSITIONS, REALIZED, SKIPPED, TRANSACTIONS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
EXPECTED = SAMPLES / "expected"
FRAMES = {"positions": POSITIONS, "lots": LOTS, "transactions": TRANSACTIONS,
          "realized": REALIZED, "pending": PENDING, "skipped": SKIPPED}
NOT_EXPORTS = {".toml", ".md", ".py"}


def sample_files() -> list[Path]:
    """Every sample export under data/samples (not the expected output or household files)."""
    out = []
    for p in sorted(SAMPLES.rglob("*")):
        if not p.is_file() or EXPECTED in p.parents or p.suffix.lower() in NOT_EXPORTS:
            continue
        if p.name.startswith(".") or "malformed" in p.parts:
            continue
        out.append(p)
    return out


def load_options(path: Path) -> dict:
    """Options (account, symbol) a household file gives for this export, if any."""
    for toml in SAMPLES.rglob("*.toml"):
        data = tomllib.loads(toml.read_text())
        for entry in data.get("files", []):
            if (toml.parent / entry["path"]).resolve() == path.resolve():
                return {k: v for k, v in entry.items() if k in ("account", "symbol", "format")}
    return {}


def expected_dir(path: Path) -> Path:
    return EXPECTED / path.parent.relative_to(SAMPLES)


def load(path: Path):
    return load_export(path, **load_options(path))


def read_expected(path: Path, frame: str) -> pd.DataFrame:
    schema = FRAMES[frame]
    f = expected_dir(path) / f"{path.name}.{frame}.csv"
    if not f.exists():
        return schema.empty()
    dtypes = {c.name: c.dtype for c in schema.columns if c.dtype in ("str", "float64")}
    df = pd.read_csv(f, dtype=dtypes, keep_default_na=False, na_values=[""])
    for c in schema.columns:
        if c.dtype == DATE_DTYPE:
            df[c.name] = pd.to_datetime(df[c.name]).astype(DATE_DTYPE)
        elif c.dtype == "Int64":
            df[c.name] = df[c.name].astype("Int64")
        elif c.dtype == "bool":
            df[c.name] = df[c.name].astype(bool)
    return schema.validate(df)


def meta(export) -> dict:
    return {
        "format": export.format,
        "custodian": export.custodian,
        "as_of": None if export.as_of is None else export.as_of.date().isoformat(),
        "accounts": [{k: (None if pd.isna(v) else v) for k, v in r.items()}
                     for r in export.accounts.to_dict(orient="records")],
        "counts": {name: len(getattr(export, name)) for name in FRAMES},
    }


def write(path: Path) -> None:
    export = load(path)
    d = expected_dir(path)
    d.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        frame = getattr(export, name)
        f = d / f"{path.name}.{name}.csv"
        if len(frame):
            out = frame.copy()
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_csv(f, index=False, float_format="%.12g")
        elif f.exists():
            f.unlink()
    (d / f"{path.name}.meta.json").write_text(json.dumps(meta(export), indent=1, sort_keys=True)
                                              + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true", help="regenerate the expected output")
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args(argv)
    files = [f.resolve() for f in args.files] or sample_files()
    for f in files:
        if args.write:
            write(f)
            print(f"wrote expected output for {f.relative_to(SAMPLES)}")
        else:
            print(f.relative_to(SAMPLES), meta(load(f))["counts"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
