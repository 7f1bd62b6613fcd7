"""Command line: ``python -m toolkit inspect PATH [--json]`` (more commands join as they land)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit.errors import ToolkitError

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
    from toolkit.summary import inspect_path

    report = inspect_path(args.path)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_inspect(report))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on a toolkit error (its message is printed to stderr).
    """
    ap = argparse.ArgumentParser(prog="python -m toolkit",
                                 description="Tax-aware household rebalancing toolkit")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="what an export or household file holds")
    p.add_argument("path", help="a brokerage export or a household .toml file")
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.set_defaults(func=_cmd_inspect)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except ToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
