"""Command line: ``inspect``, ``plan``, ``report``, ``batch``, ``init`` and ``dashboard``.

``python -m toolkit inspect PATH [--json] [--mask-accounts]``,
``python -m toolkit plan HOUSEHOLD ...``, ``python -m toolkit report HOUSEHOLD --out DIR
[--no-mask]``, ``python -m toolkit batch BOOK --out DIR ...`` (:mod:`toolkit.batch.command`),
``python -m toolkit init EXPORTS... --out household.toml`` and
``python -m toolkit dashboard [NOTEBOOK] [--port N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from toolkit.accounts import AccountMasker
from toolkit.allocation import Band
from toolkit.dashboard import serve
from toolkit.errors import ToolkitError
from toolkit.facts import plan_facts
from toolkit.household_file import load_household
from toolkit.onboarding import FILL_IN, write_household_template
from toolkit.planner import PlanMode, plan
from toolkit.report import meeting_pack, pack_files
from toolkit.style import label, tax_type_label
from toolkit.summary import inspect_path

__all__ = ["WIDTH", "format_inspect", "format_plan", "main", "mask_data"]


#: Terminal width every table and line of text fits in.
WIDTH = 100


def _money(x: float | None) -> str:
    return "—" if x is None else f"${x:,.2f}"


def _wrap(text: str, indent: int = 2, hang: int = 4, width: int = WIDTH) -> list[str]:
    """``text`` wrapped to ``width`` columns, the first line indented ``indent``.

    Later lines are indented ``indent + hang``; long words such as file names are broken
    only when they must be.
    """
    return textwrap.wrap(str(text), width, initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + hang), break_on_hyphens=False) \
        or [" " * indent]


def _fit(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters (an ellipsis marks the cut)."""
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _label(shown_id: str, name: str | None, n: int) -> str:
    """``"Name (id)"`` in ``n`` characters: the name is cut, never the id."""
    if name and shown_id.endswith(f" ({name})"):  # a mask that carries the name
        shown_id = shown_id[: -len(name) - 3]
    if not name:
        return _fit(shown_id, n)
    room = n - len(shown_id) - 3
    return f"{_fit(name, room)} ({shown_id})" if room >= 4 else _fit(shown_id, n)


def _masker(report_or_ids, enabled: bool) -> AccountMasker:
    if isinstance(report_or_ids, dict):
        accounts = report_or_ids["accounts"]
        return AccountMasker.of([a["account"] for a in accounts],
                                {a["account"]: a["name"] for a in accounts if a["name"]},
                                enabled=enabled)
    return AccountMasker.of(report_or_ids, enabled=enabled)


def mask_data(data, masker: AccountMasker):
    """``data`` (dicts, lists, text) with every account id masked in every string."""
    if isinstance(data, dict):
        return {mask_data(k, masker): mask_data(v, masker) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_data(v, masker) for v in data]
    return masker.text(data) if isinstance(data, str) else data


def format_inspect(report: dict, *, mask_accounts: bool = False) -> str:
    """Render an ``inspect`` report (see :mod:`toolkit.summary`) as text for a terminal.

    Every line fits in :data:`WIDTH` (100) columns: long texts (skipped rows' reasons,
    reconciliation details, warnings) are wrapped; ``--json`` has them whole.

    Parameters
    ----------
    report : dict
    mask_accounts : bool, default False
        Mask account ids (:class:`toolkit.accounts.AccountMasker`), in every line.

    Returns
    -------
    str
    """
    masker = _masker(report, mask_accounts)
    labels = [_label(masker.account(a["account"]), a["name"], 28) for a in report["accounts"]]
    report = mask_data(report, masker) if masker.enabled else report
    out: list[str] = []
    if report["kind"] == "household":
        out.append(_fit(f"Household: {report['name']}  (as of {report['as_of']})", WIDTH))
        if report.get("not_loaded"):
            out.append("")
            out.append("Not fully loaded (rows that could not be read; these holdings are not "
                       "traded unless allowed):")
            for line in report["not_loaded"]:
                out += _wrap(line)
        pending = report.get("pending_cash") or {}
        if pending:
            out.append("Pending cash (in transit, not yet in the cash below): " + ", ".join(
                f"{a} {'-' if v < 0 else '+'}{_money(abs(v))}" for a, v in pending.items()))
    else:
        out += _wrap(f"Export: {report['path']}", 0)
        out.append(f"Format: {report['format']}  (as of {report['as_of'] or 'not stated'})")
    out.append("")
    out.append("Files:")
    for f in report["files"]:
        out += _wrap(f"{Path(f['file']).name}: {f['format']}, {f['positions']} positions, "
                     f"{f['lots']} lots, {f['transactions']} transactions, {f['realized']} "
                     f"realized, {f['skipped']} skipped")
    out.append("")
    out.append("Accounts:")
    out.append(f"  {'account':<28} {'tax type':<15} {'market value':>13} {'cost basis':>14} "
               f"{'cash':>12} {'pos/lots/tx':>11}")
    for a, name in zip(report["accounts"], labels, strict=True):
        tt = tax_type_label(a["tax_type"]) if a["tax_type"] else "UNKNOWN"
        tt += "?" if a["tax_type_inferred"] else ""
        basis = _money(a["cost_basis"]) + ("*" if a["basis_missing"] else "")
        counts = f"{a['positions']}/{a['lots']}/{a['transactions']}"
        out.append(f"  {name:<28} {_fit(tt, 15):<15} {_money(a['market_value']):>13} "
                   f"{basis:>14} {_money(a['cash']):>12} {counts:>11}")
    t = report["totals"]
    counts = f"{t['positions']}/{t['lots']}/{t['transactions']}"
    out.append(f"  {'TOTAL':<28} {'':<15} {_money(t['market_value']):>13} "
               f"{_money(t['cost_basis']):>14} {_money(t['cash']):>12} {counts:>11}")
    if any(a["tax_type_inferred"] for a in report["accounts"]):
        out.append("  ? tax type inferred from the broker's account name: check it")
    if any(a["basis_missing"] for a in report["accounts"]):
        out.append("  * some positions have no cost basis; the total covers known bases only")
    out.append("")
    if report["unclassified"]:
        out.append("Unclassified holdings (not in the security master; add [securities.X]):")
        for u in report["unclassified"]:
            out += _wrap(f"{u['account']}: {u['symbol']} {u['description'] or ''} "
                         f"{_money(u['market_value'])}")
    else:
        out.append("Unclassified holdings: none")
    out.append("")
    if report["skipped"]:
        out.append(f"Skipped rows ({len(report['skipped'])}):")
        for s in report["skipped"]:
            out += _wrap(f"{s['file']}:{s['line']}: {s['reason']}")
    else:
        out.append("Skipped rows: none")
    rec = report.get("reconciliation")
    if rec:
        out.append("")
        counts = ", ".join(f"{n} {status.replace('_', ' ')}"
                           for status, n in rec["counts"].items() if n)
        out += _wrap(f"Reconciliation of lots and positions: {counts or 'no holdings'}", 0)
        if rec["unreconciled"]:
            out.append("Unreconciled holdings (their lots are not trusted for tax-aware "
                       "selling):")
            for u in rec["unreconciled"]:
                out += _wrap(f"{u['account']} {u['symbol']}: {u['status'].replace('_', ' ')}"
                             f" - {u['detail']}")
        else:
            out.append("  every holding is reconciled")
    if report["warnings"]:
        out.append("")
        out.append("Warnings:")
        for w in report["warnings"]:
            out += _wrap(w)
    return "\n".join(out)


def _cmd_inspect(args: argparse.Namespace) -> int:
    report = inspect_path(args.path)
    if args.json:
        masker = _masker(report, args.mask_accounts)
        print(json.dumps(mask_data(report, masker), indent=2))
    else:
        print(format_inspect(report, mask_accounts=args.mask_accounts))
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


def format_plan(p, *, mask_accounts: bool = False) -> str:
    """Render a :class:`~toolkit.planner.plan.Plan` as text for a terminal.

    One line per trade (step, account, side, symbol, shares, amount, estimated tax) with its
    reason wrapped below it; every line fits in :data:`WIDTH` (100) columns (``--json``
    has the same reasons on one line each).

    Parameters
    ----------
    p : Plan
    mask_accounts : bool, default False
        Mask account ids (:class:`toolkit.accounts.AccountMasker`), in the account column
        and in the reasons and notes.

    Returns
    -------
    str
    """
    f = plan_facts(p)
    ids = list(p.household.accounts["account"]) if p.household is not None else \
        list(p.trades["account"])
    masker = AccountMasker.of(p.household.accounts if p.household is not None else ids,
                              enabled=mask_accounts)
    out = [f"Plan ({p.mode}): {f.trades} trades, tax {_money(f.tax)}, turnover "
           f"{f.turnover:.1%}, {'within' if f.within_band else 'NOT within'} the band", ""]
    if len(p.trades):
        acct = [masker.account(a) for a in p.trades["account"]]
        w = min(24, max(7, *map(len, acct)))
        out.append(f"  {'step':<4} {'account':<{w}} {'side':<4} {'symbol':<10} {'shares':>12} "
                   f"{'amount':>14} {'est. tax':>11}")
        for t, a in zip(p.trades.itertuples(index=False), acct, strict=True):
            shares = "" if t.shares != t.shares else f"{t.shares:,.3f}"
            out.append(f"  {t.step:<4} {_fit(a, w):<{w}} {t.side:<4} {_fit(t.symbol, 10):<10} "
                       f"{shares:>12} {_money(t.amount):>14} {_money(t.est_tax):>11}")
            out += _wrap(masker.text(t.reason), 7, 0)
    else:
        out.append("  no trades needed")
    out += ["", "Drift (percentage points):", f"  {'class':<22} {'before':>8} {'after':>8}"]
    for c, r in p.drift.iterrows():
        out.append(f"  {label(c):<22} {r['before'] * 100:>+8.2f} {r['after'] * 100 + 0.0:>+8.2f}")
    if p.notes:
        out += ["", "Notes:"]
        for n in p.notes:
            out += _wrap(masker.text(n))
    return "\n".join(out)


def _cmd_plan(args: argparse.Namespace) -> int:
    h = load_household(args.household)
    opts = {"to": args.to}
    for name in ("whole_shares", "allow_short_term_gains", "min_trade", "drift_price"):
        if getattr(args, name) is not None:  # else PlanOptions' default
            opts[name] = getattr(args, name)
    if args.band:
        opts["band"] = args.band
    if args.gains_budget is not None:
        opts["gains_budget"] = args.gains_budget
    p = plan(h, _parse_contributions(args.contribute), mode=args.mode, **opts)
    masker = AccountMasker.of(h.accounts, enabled=args.mask_accounts)
    if args.xlsx:
        p.to_xlsx(args.xlsx, mask_accounts=args.mask_accounts)
    if args.csv:
        masker.frame(p.trades).to_csv(args.csv, index=False)
    if args.orders:
        write = p.orders_to_xlsx if str(args.orders).lower().endswith(".xlsx") else \
            p.orders_to_csv
        write(args.orders, mask_accounts=args.mask_accounts)
    if args.json:
        print(json.dumps(mask_data(p.to_json(), masker), indent=2))
    else:
        print(format_plan(p, mask_accounts=args.mask_accounts))
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
                   help="show full account ids in book.xlsx (default: masked, unique "
                        "within each household)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    p.set_defaults(func=_cmd_batch)


def _cmd_init(args: argparse.Namespace) -> int:
    r = write_household_template(args.exports, args.out, force=args.force, name=args.name)
    fill = r.text.count(FILL_IN)
    check = r.text.count("CHECK")
    print(f"wrote {args.out}: {len(r.exports)} export(s) read, "
          f"{sum(1 for line in r.text.splitlines() if line == '[[accounts]]')} account(s); "
          f"{fill} {FILL_IN} placeholder(s) to replace and {check} CHECK line(s) to look at")
    for f, why in r.not_loaded.items():
        for line in _wrap(f"not loaded alone (see its commented [[files]] entry): {f}: {why}",
                          0):
            print(line)
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    return serve(args.notebook, port=args.port)


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
    p.add_argument("--mask-accounts", action="store_true",
                   help="show account ids masked (last characters only), everywhere")
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
    q.add_argument("--whole-shares", action=argparse.BooleanOptionalAction,
                   help="whole shares for ETFs and stocks (default; mutual funds in dollars)")
    q.add_argument("--allow-short-term-gains", action=argparse.BooleanOptionalAction,
                   help="lots with a short-term gain may be sold (default: lots by real tax)")
    q.add_argument("--gains-budget", type=float, metavar="DOLLARS")
    q.add_argument("--min-trade", type=float, metavar="DOLLARS",
                   help="smallest trade made (default $100)")
    q.add_argument("--drift-price", type=float, metavar="DOLLARS",
                   help="tax a taxable sale may cost per dollar it moves toward the band "
                        "(default 0.10)")
    q.add_argument("--json", action="store_true", help="the plan as JSON on stdout")
    q.add_argument("--xlsx", metavar="FILE", help="write a formatted trade list workbook")
    q.add_argument("--orders", metavar="FILE",
                   help="write the order list (.xlsx, else CSV): one row per order, per lot "
                        "for taxable sales")
    q.add_argument("--csv", metavar="FILE", help="write the trades as CSV")
    q.add_argument("--mask-accounts", action="store_true",
                   help="show account ids masked (last characters only) in the text, JSON, "
                        "CSV and XLSX")
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
    i = sub.add_parser("init", help="write a commented household file from brokerage exports")
    i.add_argument("exports", nargs="+", help="the exports to read (formats are detected)")
    i.add_argument("--out", required=True, metavar="FILE", help="the household .toml to write")
    i.add_argument("--name", help="the household's name (default: a placeholder)")
    i.add_argument("--force", action="store_true", help="replace FILE if it exists")
    i.set_defaults(func=_cmd_init)
    d = sub.add_parser("dashboard", help="serve a notebook as a Voila dashboard on localhost "
                                         "(offline; kernels shut down when pages close)")
    d.add_argument("notebook", nargs="?", default="notebooks/01_targets_and_drift.ipynb")
    d.add_argument("--port", type=int, default=8866)
    d.set_defaults(func=_cmd_dashboard)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except ToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
