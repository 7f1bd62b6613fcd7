"""``python -m toolkit batch BOOK --out DIR``: run a book and write its report.

Writes, under ``--out``: the per-household Parquet results (:mod:`toolkit.batch.store`),
``book.xlsx`` (:func:`toolkit.batch.report.write_book_xlsx`) and ``book_drift.png``
(:func:`toolkit.batch.plot_book_drift`); prints the book summary and the households that
need attention.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

from toolkit.batch.plots import plot_book_drift
from toolkit.batch.result import BookResult
from toolkit.batch.run import run
from toolkit.batch.tasks import check_tasks

__all__ = ["batch_command", "format_book"]


def format_book(result: BookResult, *, limit: int = 20) -> str:
    """The book summary and the households needing attention, as text for a terminal.

    Parameters
    ----------
    result : BookResult
    limit : int, default 20
        Most households listed under "Needs attention".

    Returns
    -------
    str
    """
    lines = ["Book summary:"]
    for r in result.summary().itertuples(index=False):
        v = (f"${r.value:,.2f}" if r.unit == "dollars" else
             f"{r.value:,.3f}" if r.unit == "rate" else f"{int(r.value):,}")
        lines.append(f"  {r.item:<36} {v:>16}")
    att = result.attention()
    lines += ["", f"Needs attention ({len(att)} households):"]
    for r in att.head(limit).itertuples(index=False):
        lines.append(f"  {r.household:<28} {r.reasons}")
    if len(att) > limit:
        lines.append(f"  ... and {len(att) - limit} more (book.xlsx, sheet Attention)")
    fails = result.failures
    if len(fails):
        lines += ["", f"Failures ({len(fails)}):"]
        for r in result.masked(fails).itertuples(index=False):
            lines.append(f"  {r.household} [{r.task}] {r.error_type}: {r.message}")
    return "\n".join(lines)


def batch_command(args: argparse.Namespace) -> int:
    """Run the ``batch`` command.

    Parameters
    ----------
    args : argparse.Namespace
        As declared for ``batch`` in :func:`toolkit.cli.main`.

    Returns
    -------
    int
        0 when every household was done, 1 when some failed (listed on stdout and in
        ``failures``).
    """
    matplotlib.use("Agg")  # files only: no window on a server
    try:
        tasks = check_tasks(args.tasks)
    except ValueError as exc:
        raise SystemExit(f"--tasks {args.tasks!r}: {exc}") from None
    if args.workers is not None and args.workers < 1:
        raise SystemExit(f"--workers {args.workers}: need at least one worker")
    if args.workers is not None and args.scheduler:
        raise SystemExit("--workers sizes a local cluster: leave it out with --scheduler")
    result = run(args.book, tasks=tasks, plan_options={"mode": args.mode},
                 scheduler=args.scheduler, workers=args.workers, out=args.out,
                 resume=args.resume, progress=args.progress)
    out = Path(args.out)
    xlsx = result.to_xlsx(out / "book.xlsx", mask_accounts=args.mask)
    png = out / "book_drift.png"
    ax = plot_book_drift(result)
    ax.figure.savefig(png, dpi=120, bbox_inches="tight")
    print(format_book(result))
    print("")
    print(xlsx)
    print(png)
    return 1 if len(result.failures) else 0
