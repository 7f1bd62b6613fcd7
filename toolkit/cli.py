"""Command line: ``inspect``, ``plan``, ``report`` and ``batch``.

``python -m toolkit inspect PATH [--json]``, ``python -m toolkit plan HOUSEHOLD ...``,
``python -m toolkit report HOUSEHOLD --out DIR [--no-mask]`` and
``python -m toolkit batch BOOK --out DIR ...`` (:mod:`toolkit.batch.command`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit.allocation import Band
from toolkit.errors import ToolkitError
from toolkit.household_file import load_household
from toolkit.planner import PlanMode, plan
from toolkit.report import meeting_pack, pack_files
from toolkit.summary import inspect_path

__all__ = ["main"]


def _money(x: float | None) -> str:
    return "—" if x is None else f"${x:,.2f}"


def format_inspect(report: dict) -> str:
    """Render an ``inspect`` report (see :mod:`toolkit.summary`) as text for a terminal.

    Parameters
    ----------
    report : dict

    Returns
    -------
    str
    """
    out: list[str] = []
    if report["kind"] == "household":
        out.append(f"Household: {report['name']}  (as of {report['as_of']})")
    else:
        out.append(f"Export: {report['path']}")
        out.append(f"Format: {report['format']}  (as of {report['as_of'] or 'not stated'})")
    out.append("")
    out.append("Files:")
    for f in report["files"]:
        out.append(f"  {Path(f['file']).name}: {f['format']}, {f['positions']} positions, "
                   f"{f['lots']} lots, "
                   f"{f['transactions']} transactions, {f['realized']} realized, "
                   f"{f['skipped']} skipped")
    out.append("")
    out.append("Accounts:")
    head = (f"  {'account':<14} {'tax type':<16} {'name':<26} {'market value':>15} "
            f"{'cost basis':>15} {'cash':>13} {'pos':>4} {'lots':>5} {'txns':>5}")
    out.append(head)
    for a in report["accounts"]:
        tt = (a["tax_type"] or "UNKNOWN") + (" (inferred)" if a["tax_type_inferred"] else "")
        basis = _money(a["cost_basis"]) + ("*" if a["basis_missing"] else "")
        out.append(f"  {a['account']:<14} {tt:<16} {str(a['name'] or '')[:26]:<26} "
                   f"{_money(a['market_value']):>15} {basis:>15} {_money(a['cash']):>13} "
                   f"{a['positions']:>4} {a['lots']:>5} {a['transactions']:>5}")
    t = report["totals"]
    out.append(f"  {'TOTAL':<14} {'':<16} {'':<26} {_money(t['market_value']):>15} "
               f"{_money(t['cost_basis']):>15} {_money(t['cash']):>13} {t['positions']:>4} "
               f"{t['lots']:>5} {t['transactions']:>5}")
    if any(a["basis_missing"] for a in report["accounts"]):
        out.append("  * some positions have no cost basis; the total covers known bases only")
    out.append("")
    if report["unclassified"]:
        out.append("Unclassified holdings (not in the security master; add [securities.X]):")
        for u in report["unclassified"]:
            out.append(f"  {u['account']}: {u['symbol']} {u['description'] or ''} "
                       f"{_money(u['market_value'])}")
    else:
        out.append("Unclassified holdings: none")
    out.append("")
    if report["skipped"]:
        out.append(f"Skipped rows ({len(report['skipped'])}):")
        for s in report["skipped"]:
            out.append(f"  {s['file']}:{s['line']}: {s['reason']}")
    else:
        out.append("Skipped rows: none")
    rec = report.get("reconciliation")
    if rec:
        out.append("")
        counts = ", ".join(f"{n} {status.replace('_', ' ')}"
                           for status, n in rec["counts"].items() if n)
        out.append(f"Reconciliation of lots and positions: {counts or 'no holdings'}")
        if rec["unreconciled"]:
            out.append("Unreconciled holdings (their lots are not trusted for tax-aware "
                       "selling):")
            for u in rec["unreconciled"]:
                out.append(f"  {u['account']} {u['symbol']}: {u['status'].replace('_', ' ')}"
                           f" - {u['detail']}")
        else:
            out.append("  every holding is reconciled")
    if report["warnings"]:
        out.append("")
        out.append("Warnings:")
        out.extend(f"  {w}" for w in report["warnings"])
    return "\n".join(out)


def _cmd_inspect(args: argparse.Namespace) -> int:
    report = inspect_path(args.path)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_inspect(report))
    return 0


def _parse_contributions(items: Sequence[str]) -> dict[str, float] | None:
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--contribute expects ACCOUNT=DOLLARS, got {item!r}")
        acct, dollars = item.rsplit("=", 1)
        try:
            out[acct] = out.get(acct, 0.0) + float(dollars.replace(",", "").replace("$", ""))
        except ValueError as exc:
            raise SystemExit(f"--contribute {item!r}: {dollars!r} is not a number") from exc
    return out


def format_plan(p) -> str:
    """Render a :class:`~toolkit.planner.plan.Plan` as text for a terminal.

    Parameters
    ----------
    p : Plan

    Returns
    -------
    str
    """
    s = p.summary
    out = [f"Plan ({p.mode}): {s.trades} trades, tax {_money(s.tax)}, turnover "
           f"{s.turnover:.1%}, {'within' if s.within_band else 'NOT within'} the band", ""]
    if len(p.trades):
        out.append(f"  {'step':<4} {'account':<14} {'side':<4} {'symbol':<10} {'shares':>12} "
                   f"{'amount':>14} {'est. tax':>10}  reason")
        for t in p.trades.itertuples(index=False):
            shares = "" if t.shares != t.shares else f"{t.shares:,.3f}"
            out.append(f"  {t.step:<4} {t.account:<14} {t.side:<4} {t.symbol:<10} {shares:>12} "
                       f"{_money(t.amount):>14} {_money(t.est_tax):>10}  {t.reason}")
    else:
        out.append("  no trades needed")
    out += ["", "Drift (percentage points):", f"  {'class':<14} {'before':>8} {'after':>8}"]
    for c, r in p.drift.iterrows():
        out.append(f"  {c:<14} {r['before'] * 100:>8.2f} {r['after'] * 100:>8.2f}")
    if p.notes:
        out += ["", "Notes:"] + [f"  {n}" for n in p.notes]
    return "\n".join(out)


def _cmd_plan(args: argparse.Namespace) -> int:
    h = load_household(args.household)
    opts = {"to": args.to, "whole_shares": args.whole_shares,
            "allow_short_term_gains": args.allow_short_term_gains, "min_trade": args.min_trade}
    if args.band:
        opts["band"] = args.band
    if args.gains_budget is not None:
        opts["gains_budget"] = args.gains_budget
    p = plan(h, _parse_contributions(args.contribute), mode=args.mode, **opts)
    if args.xlsx:
        p.to_xlsx(args.xlsx, mask_accounts=args.mask_accounts)
    if args.csv:
        p.to_csv(args.csv)
    if args.json:
        print(json.dumps(p.to_json(), indent=2))
    else:
        print(format_plan(p))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    h = load_household(args.household)
    out = meeting_pack(h, args.out, mask_accounts=args.mask,
                       band=Band(args.band) if args.band else None)
    for name in pack_files():
        print(out / name)
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from toolkit.batch.command import batch_command  # Dask loads only for this command

    return batch_command(args)


def _batch_arguments(p: argparse.ArgumentParser) -> None:
    # declared here, not imported from toolkit.batch, so other commands never import Dask
    p.add_argument("book", help="a folder of household files, or a manifest .csv")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the results (Parquet per household), book.xlsx and "
                        "book_drift.png")
    p.add_argument("--tasks", default="drift,checkup,harvest,rmd,plan", metavar="LIST",
                   help="comma-separated, from drift,checkup,harvest,rmd,plan (default: all)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler, tcp://host:8786 (default: a local cluster)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--resume", action="store_true",
                   help="skip households already written under --out")
    p.add_argument("--mode", choices=["waterfall", "optimal", "naive"], default="waterfall",
                   help="planner mode for the plan task")
    p.add_argument("--no-mask", dest="mask", action="store_false",
                   help="show full account ids in book.xlsx (default: last 3 characters)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    p.set_defaults(func=_cmd_batch)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on a toolkit error (its message is printed to stderr); ``batch``
        returns 1 when some households failed (they are listed).
    """
    ap = argparse.ArgumentParser(prog="python -m toolkit",
                                 description="Tax-aware household rebalancing toolkit")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="what an export or household file holds")
    p.add_argument("path", help="a brokerage export or a household .toml file")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.set_defaults(func=_cmd_inspect)
    q = sub.add_parser("plan", help="plan the trades that rebalance a household")
    q.add_argument("household", help="a household .toml file")
    q.add_argument("--contribute", action="append", default=[], metavar="ACCOUNT=DOLLARS",
                   help="new money (negative: a withdrawal) for an account; repeatable; "
                        "default: the household file's [contributions]")
    q.add_argument("--mode", choices=[m.value for m in PlanMode], default=PlanMode.WATERFALL.value)
    q.add_argument("--band", choices=["5/25", "absolute", "relative", "none"])
    q.add_argument("--to", choices=["band", "target"], default="band",
                   help="how far taxable sales go")
    q.add_argument("--whole-shares", action="store_true")
    q.add_argument("--allow-short-term-gains", action="store_true")
    q.add_argument("--gains-budget", type=float, metavar="DOLLARS")
    q.add_argument("--min-trade", type=float, default=0.0, metavar="DOLLARS")
    q.add_argument("--json", action="store_true", help="the plan as JSON on stdout")
    q.add_argument("--xlsx", metavar="FILE", help="write a formatted trade list workbook")
    q.add_argument("--csv", metavar="FILE", help="write the trades as CSV")
    q.add_argument("--mask-accounts", action="store_true",
                   help="show only the last 3 characters of account ids in the XLSX")
    q.set_defaults(func=_cmd_plan)
    r = sub.add_parser("report", help="write a client-meeting pack: charts, PDF, workbook")
    r.add_argument("household", help="a household .toml file")
    r.add_argument("--out", required=True, metavar="DIR",
                   help="folder to write into (created if missing)")
    r.add_argument("--no-mask", dest="mask", action="store_false",
                   help="show full account ids (default: only their last 3 characters)")
    r.add_argument("--band", choices=["5/25", "absolute", "relative", "none"],
                   help="tolerance band for drift and the plan (default 5/25)")
    r.set_defaults(func=_cmd_report)
    _batch_arguments(sub.add_parser("batch", help="run checkups and plans over a book of "
                                                  "households on Dask"))
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except ToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
