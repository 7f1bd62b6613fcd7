"""From a folder of downloaded exports to a household file, without writing TOML by hand.

:func:`household_template` reads the exports (formats detected from their content), and
writes the text of a commented household file: the accounts the exports name, each with the
tax type the broker's account name tells (marked ``CHECK``) or a ``FILL IN`` placeholder,
the files to load, and the household's current allocation as comments beside the target
placeholders. Every value a person must decide is written as ``"FILL IN"`` (a value the
loader refuses, naming it) or as a commented-out line (optional keys such as owners), so a
file with a placeholder left cannot load quietly wrong. ``python -m toolkit init`` and the
upload box of notebook 00 (:class:`toolkit.widgets.InitApp`) both write it.

:func:`save_targets` writes a target back into an existing household file, keeping its
comments and layout (``tomlkit``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import tomlkit

from toolkit.accounts import account_key, infer_tax_type, keys_match
from toolkit.errors import FormatError, HouseholdError
from toolkit.household import FILING_STATUSES
from toolkit.io import Export, load_export
from toolkit.schema import ASSET_CLASSES, MULTI_ASSET, UNCLASSIFIED, TaxType
from toolkit.securities import load_securities

__all__ = ["FILL_IN", "InitResult", "household_template", "save_targets",
           "write_household_template"]

#: The placeholder written where a person must decide.
FILL_IN = "FILL IN"


class InitResult:
    """What :func:`household_template` read and wrote.

    Attributes
    ----------
    text : str
        The household file.
    exports : list of Export
        The exports loaded.
    not_loaded : dict
        File -> why it could not be read alone (its ``[[files]]`` entry is written commented
        out, with what to add).
    """

    def __init__(self, text: str, exports: list[Export], not_loaded: dict[Path, str]) -> None:
        self.text = text
        self.exports = exports
        self.not_loaded = not_loaded


def _q(s: str) -> str:
    """A TOML basic string."""
    return tomlkit.string(str(s)).as_string()


def _allocation(exports: list[Export]) -> tuple[pd.Series, pd.DataFrame]:
    """Dollars per asset class today, and the holdings the security master does not know.

    Funds spanning classes are split by the master's weights.
    """
    master = load_securities()
    frames = [e.positions for e in exports if len(e.positions)]
    if not frames:
        return pd.Series(dtype="float64"), pd.DataFrame()
    pos = pd.concat(frames, ignore_index=True)
    given = pos["asset_class"]
    pos["asset_class"] = given.where(given.notna(), master.classify(pos["symbol"], pos["cusip"]))
    # the newest file per account and symbol wins, as the household loader decides
    pos = pos.drop_duplicates(["account", "symbol"], keep="last")
    rows = []
    for r in pos.itertuples(index=False):
        mv = float(r.market_value) if r.market_value == r.market_value else 0.0
        if r.asset_class == MULTI_ASSET:
            for c, w in master.weights(r.symbol).items():
                rows.append((c, mv * w))
        else:
            rows.append((r.asset_class, mv))
    by = pd.DataFrame(rows, columns=["asset_class", "value"]).groupby(
        "asset_class", sort=False)["value"].sum()
    unknown = pos[pos["asset_class"] == UNCLASSIFIED]
    return by, unknown


def household_template(paths: Iterable[str | Path], *, out_dir: str | Path = ".",
                       name: str | None = None) -> InitResult:
    """The text of a commented household file for the exports at ``paths``.

    Parameters
    ----------
    paths : iterable of str or Path
        Brokerage exports (any format :func:`toolkit.load_export` detects).
    out_dir : str or Path, default "."
        Folder the household file will be written in: file paths are written relative to it.
    name : str, optional
        The household's name (default: a ``FILL IN`` placeholder).

    Returns
    -------
    InitResult
        ``text`` loads with :func:`toolkit.load_household` once every ``FILL IN`` is
        replaced (and the ``CHECK`` lines checked).

    Raises
    ------
    HouseholdError
        If no path is given, or no export could be read.
    FormatError
        If a file is not a known export (named, with line and column).
    """
    files = [Path(p) for p in paths]
    if not files:
        raise HouseholdError("init: give at least one export file")
    out_dir = Path(out_dir)
    exports: list[Export] = []
    not_loaded: dict[Path, str] = {}
    for f in files:
        try:
            exports.append(load_export(f))
        except FormatError as exc:
            if "account=" in str(exc) or "symbol=" in str(exc):
                not_loaded[f] = str(exc)
            else:
                raise
    if not exports:
        raise HouseholdError("init: none of the files could be read on its own: "
                             + "; ".join(not_loaded.values()))
    as_of = max((e.as_of for e in exports if e.as_of is not None), default=None)
    year = (as_of or pd.Timestamp.today()).year
    lines = [
        "# Household file written by `python -m toolkit init` from "
        f"{len(exports)} export(s)" + (f", the newest as of {as_of:%Y-%m-%d}." if as_of else "."),
        f"# Replace every {FILL_IN} and look at every CHECK, then load it with",
        '# toolkit.load_household("<this file>") or notebooks/00_start_here.ipynb.',
        "",
        "[household]",
        f"name = {_q(name)}" if name else
        f'# name = "{FILL_IN}"   # the household\'s name (default: this file\'s name)',

        f"tax_year = {year}",
        f'filing_status = "{FILL_IN}"   # {" | ".join(FILING_STATUSES)}',
        f'ordinary_income = "{FILL_IN}"   # taxable ordinary income before realised gains, '
        "dollars",
        "state_rate = 0.0   # CHECK: flat marginal state rate on gains and income (0.05 = 5%)",
        "# carryforward_short_term = 0   # capital losses carried in, dollars",
        "# carryforward_long_term = 0",
        "",
    ]
    by, unknown = _allocation(exports)
    total = float(by.sum()) if len(by) else 0.0
    lines.append("# The household today, from the exports (market value by asset class):")
    for c, v in by.sort_values(ascending=False).items():
        share = v / total if total else 0.0
        lines.append(f"#   {c:<14} {share:>6.1%}   ${v:,.2f}")
    if len(unknown):
        lines.append("# Holdings the security master does not know (add [securities.SYMBOL] "
                     "with asset_class):")
        for r in unknown.itertuples(index=False):
            desc = r.description if isinstance(r.description, str) else ""
            lines.append(f"#   {r.symbol:<10} {desc[:50]:<50} ${float(r.market_value):,.2f}")
    for r in unknown.itertuples(index=False):
        desc = r.description if isinstance(r.description, str) else ""
        lines += [f"# [securities.{r.symbol}]   # {desc[:60]}",
                  f'# asset_class = "{FILL_IN}"   # {" | ".join(ASSET_CLASSES)}']
    lines += ["", f"[targets]   # {FILL_IN}: target weights (fractions) summing to 1; "
                  "today's share beside each"]
    shown = [c for c in ASSET_CLASSES if c in by.index and c != "cash"] or ["us_equity", "bonds"]
    for c in shown:
        now = by.get(c, 0.0) / total if total else 0.0
        lines.append(f'{c} = "{FILL_IN}"   # now {now:.1%}')
    lines.append("")
    seen: dict[str, tuple[str | None, str]] = {}
    for e in exports:
        names = dict(zip(e.accounts["account"], e.accounts["name"], strict=True)) \
            if len(e.accounts) else {}
        ids: list[str] = []  # in the order the file's rows name them
        for frame in (e.positions, e.lots, e.transactions, e.realized, e.accounts):
            ids += [a for a in frame["account"].dropna().unique() if a not in ids]
        for a in ids:
            nm = names.get(a)
            nm = nm if isinstance(nm, str) and nm.strip() else None
            # one account written once: "...456" in a positions file and "XXX456" in a lot
            # file's name are the same account at the same custodian (the loader matches
            # them the same way); the fuller id is kept
            same = next((b for b in seen if seen[b][1] == e.custodian and keys_match(a, b)),
                        None)
            if same is None:
                seen[a] = (nm, e.custodian)
                continue
            keep = a if len(account_key(a).key) > len(account_key(same).key) else same
            merged = (seen[same][0] or nm, e.custodian)
            seen = {(keep if b == same else b): (merged if b == same else v)
                    for b, v in seen.items()}
    for a, (nm, custodian) in seen.items():
        t = infer_tax_type(nm)
        lines.append("[[accounts]]")
        lines.append(f"id = {_q(a)}")
        if t is None:
            lines.append(f'type = "{FILL_IN}"   # the export does not tell: '
                         f"{' | '.join(x.value for x in TaxType)}")
        else:
            lines.append(f'type = "{t.value}"   # CHECK: inferred from the broker\'s name '
                         f"{_q(nm)}")
        lines.append(f'# owner = "{FILL_IN}"   # whose account (for RMDs and conversions)')
        if nm:
            lines.append(f"name = {_q(nm)}")
        if custodian:
            lines.append(f"custodian = {_q(custodian)}")
        lines.append("")
    for f in files:
        rel = Path(os.path.relpath(f.resolve(), out_dir.resolve())).as_posix()
        if f in not_loaded:
            lines += [f"# {FILL_IN}: this export does not say which account it is for; add its",
                      "# account id (or symbol) and uncomment the three lines:",
                      "# [[files]]", f"# path = {_q(rel)}", '# account = "..."', ""]
        else:
            lines += ["[[files]]", f"path = {_q(rel)}", ""]
    return InitResult("\n".join(lines).rstrip() + "\n", exports, not_loaded)


def write_household_template(paths: Iterable[str | Path], out: str | Path, *,
                             force: bool = False, name: str | None = None) -> InitResult:
    """Write :func:`household_template` to ``out``.

    Parameters
    ----------
    paths : iterable of str or Path
    out : str or Path
        The household file to write (its folder is created if missing).
    force : bool, default False
        Replace ``out`` if it exists.
    name : str, optional

    Returns
    -------
    InitResult

    Raises
    ------
    HouseholdError
        If ``out`` exists and ``force`` is False.
    """
    out = Path(out)
    if out.exists() and not force:
        raise HouseholdError(f"{out} exists; choose another file or pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    result = household_template(paths, out_dir=out.parent, name=name)
    out.write_text(result.text, encoding="utf-8")
    return result


def save_targets(path: str | Path, targets: Mapping[str, float]) -> None:
    """Write ``targets`` into the household file at ``path``, keeping everything else.

    The ``[targets]`` table's values are replaced (classes no longer in ``targets`` removed,
    new ones added), rounded to 6 decimals that still sum to 1 (the residue goes to the
    largest weight); its comments, the other tables and the file's layout stay as they were.

    Parameters
    ----------
    path : str or Path
    targets : mapping
        Asset class -> weight, fractions summing to 1 (checked by the caller).

    Raises
    ------
    HouseholdError
        If the file is not valid TOML.
    """
    p = Path(path)
    try:
        doc = tomlkit.parse(p.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise HouseholdError(f"{p}: not valid TOML ({exc})") from None
    table = doc.get("targets")
    if table is None:
        table = tomlkit.table()
        doc["targets"] = table
    for k in [k for k in table if k not in targets]:
        del table[k]
    shown = {k: round(float(v), 6) for k, v in targets.items()}
    if shown:  # six decimals that still sum to 1: the rounding residue on the largest weight
        top = max(shown, key=shown.get)
        shown[top] = round(shown[top] + 1.0 - sum(shown.values()), 6)
    for k, value in shown.items():
        if k in table:
            item = table[k]
            new = tomlkit.item(value)
            if hasattr(item, "trivia"):
                new.trivia.comment = item.trivia.comment
                new.trivia.comment_ws = item.trivia.comment_ws
            table[k] = new
        else:
            table[k] = value
    p.write_text(tomlkit.dumps(doc), encoding="utf-8")
