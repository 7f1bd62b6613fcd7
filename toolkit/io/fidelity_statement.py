"""Fidelity monthly statement CSV (``StatementMMDDYYYY.csv``): holdings with cost basis.

Layout (FORMATS.md 1c, ``header_signatures.json`` ``fidelity_statement_csv``):

1. An account summary block, one row per account::

       Account Type,Account,Beginning mkt Value,Change in Investment,Ending mkt Value,...
       My Fidelity Account,U12349876,0.,-83.800,28295.80,,28495.80,...

   (2019: ``Account #`` and trailing commas, after a line ``,`` and a blank line). It gives
   each account's name (``Account Type``, e.g. ``ROTH IRA``) for ``Export.accounts``; its
   totals are not loaded.
2. Lines holding a single space, blank lines, then the holdings header
   ``Symbol/CUSIP,Description,Quantity,Price,Beginning Value,Ending Value,Cost Basis``.
3. Holdings grouped by an account-number line (``U12349876``) and a section line
   (``Stocks ``, ``Bonds``, ``Options``, ``Core Account ``, with trailing spaces), each
   section closed by ``Subtotal of Stocks,,,,,28335.06,28295.80,,,,`` (2019:
   ``SubTotal of``). Rows of bare commas separate groups in 2019.

Rules
-----
- ``market_value`` is the Ending Value, ``cost_basis`` the Cost Basis (``not applicable`` and
  ``N/A`` are missing), ``security_type`` the section name. Bonds keep Fidelity's quantity
  (face value) and price (per 100) as written.
- **Core account** rows (the section named ``Core Account``: ``QPIFQ``/``QPIQQ`` FDIC deposit
  sweeps, 2019's ``CASH``) are cash: ``asset_class`` "cash", quantity = value, price 1,
  basis = value; the symbol is kept as written.
- **2019's shifted CASH row** (``CASH,12345.67,1,21087.65,15678.89,N/A``) has no
  Description cell, so its numbers sit one column to the left; a row whose Description is a
  bare number is read shifted back (the section subtotal confirms it) and noted.
- **Options** in 2019 have no symbol, only a description
  (``CALL (SPY) SPDR S&amp;P 500 ETF JAN 25 19 $265 (100 SHS)``): the symbol is built in
  Fidelity's own option form, ``-SPY190125C265``. Any other row without a symbol is skipped.
- HTML entities (``S&amp;P``) are decoded; trailing spaces are stripped.
- ``Subtotal of``/``SubTotal of``/``Total`` rows are skipped with a reason, after checking
  each subtotal against the rows above it (a difference is noted). A file that ends inside
  a section, without that section's subtotal, looks cut off: :class:`FormatError`. A row
  with fewer cells than the header is too.
- ``as_of`` is the date in the file name (``Statement12312025.csv``, or ``Statement1312025``
  for January 31), else a date in the file (``as of``/``Date downloaded``), else missing.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, Row, bind, find_line, frame_from_rows, iter_rows, norm_line

__all__ = ["FORMATS", "detect", "load"]

FORMAT = "fidelity_statement"

SUMMARY = {
    "name": Col.text("Account Type"),
    "account": Col.text("Account", "Account #", "Account Number"),
}
SPEC = {
    "symbol": Col.raw("Symbol/CUSIP", "Symbol"),  # HTML entities (S&amp;P) undone first
    "description": Col.raw("Description"),
    "quantity": Col.quantity("Quantity"),
    "price": Col.money("Price", required=False),
    "beginning": Col.money("Beginning Value", required=False),
    "ending": Col.money("Ending Value"),
    "cost_basis": Col.money("Cost Basis", required=False),
    # made by the loader from the account-number and section lines above each holding
    "account": Col.text("(account line)", required=False),
    "section": Col.text("(section line)", required=False),
}

_SUBTOTAL = re.compile(r"sub\s*total of\s+(?P<section>.+?)\s*$", re.I)
_TOTAL = re.compile(r"^total\b", re.I)
_ACCOUNT = re.compile(r"^[A-Z]{0,3}\d[0-9A-Z-]{4,}$")
_NUMBER = re.compile(r"^\s*-?\$?[\d,]*\.?\d+\s*$")
_CORE = re.compile(r"\bcore\b", re.I)
_OPTION = re.compile(r"^(?P<kind>CALL|PUT)\s+\((?P<under>[A-Z0-9.]+)\).*?\s(?P<mon>[A-Z]{3})\s+"
                     r"(?P<day>\d{1,2})\s+(?P<yy>\d{2})\s+\$(?P<strike>[\d,]*\.?\d+)", re.I)
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_FILENAME_DATE = re.compile(r"Statement(\d{1,2})(\d{2})(\d{4})(?!\d)", re.I)
_CONTENT_DATE = re.compile(r"(?:as of|date downloaded|statement date)\"?\s*,?\s*"
                           r"(\d{1,2}/\d{1,2}/\d{4}|[A-Za-z]{3}-\d{1,2}-\d{4})", re.I)


def _is_summary(n: str) -> bool:
    return n.startswith("account type,account") and "beginning mkt value" in n


def _is_holdings(n: str) -> bool:
    return n.startswith("symbol/cusip,description,quantity,price,")


def detect(s: Sniff) -> bool:
    """The account summary header or the ``Symbol/CUSIP,...`` holdings header up front."""
    return any(_is_summary(n) or _is_holdings(n) for n in s.first_lines_norm[:20])


def _as_of(s: Sniff) -> pd.Timestamp | None:
    m = _FILENAME_DATE.search(s.path.name)
    if m:
        month, day, year = (int(x) for x in m.groups())
        try:
            return pd.Timestamp(year=year, month=month, day=day)
        except ValueError:
            pass
    m = _CONTENT_DATE.search(s.text.text)
    if m:
        return clean.date_value(m.group(1), path=s.path.name)
    return None


def _option_symbol(desc: str | None) -> str | None:
    """Fidelity's option symbol (``-SPY190125C265``) from a statement description."""
    if not isinstance(desc, str):
        return None
    m = _OPTION.search(desc)
    if not m or m["mon"].upper() not in _MONTHS:
        return None
    strike = m["strike"].replace(",", "")
    strike = strike.rstrip("0").rstrip(".") if "." in strike else strike
    return (f"-{m['under'].upper()}{m['yy']}{_MONTHS[m['mon'].upper()]:02d}{int(m['day']):02d}"
            f"{m['kind'][0].upper()}{strike}")


def _summary(tf, start: int, stop: int, path: str) -> pd.DataFrame:
    header = next(iter_rows(tf, start, start + 1)).cells
    binding = bind(header, SUMMARY, path=path, line=start + 1)
    end = start + 1
    while end < stop and not b.blank_lines([tf.lines[end]])[0]:
        end += 1
    raw = frame_from_rows(list(iter_rows(tf, start + 1, end)), binding, path=path)
    return pd.DataFrame({"account": clean.text(raw["account"]),
                         "name": clean.text(raw["name"]),
                         "custodian": "fidelity"}).dropna(subset=["account"])


def load(s: Sniff, options: dict) -> Export:
    """Load a Fidelity statement CSV (see module docstring).

    Parameters
    ----------
    s : Sniff
        The sniffed file.
    options : dict
        Not used: the file names its accounts.

    Returns
    -------
    Export
        ``positions`` (dollars, shares; Ending Value and Cost Basis), ``skipped`` (subtotal
        rows, rows without a symbol or value), ``accounts`` (with the summary's account type
        as the name) and ``as_of``.

    Raises
    ------
    FormatError
        For a file without the holdings header, a row with too few cells, a quoted cell
        never closed, a file that ends inside a section (no subtotal), or an unreadable
        number.
    """
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    sh = find_line(tf, lambda ln: _is_summary(norm_line(ln)), limit=20)
    hh = find_line(tf, lambda ln: _is_holdings(norm_line(ln)), start=sh or 0)
    if hh is None:
        raise FormatError("no holdings header (Symbol/CUSIP,Description,Quantity,Price,...) "
                          "found", path=path)
    summary = _summary(tf, sh, hh, path) if sh is not None else pd.DataFrame(
        columns=["account", "name", "custodian"])
    known = set(summary["account"])
    header = next(iter_rows(tf, hh, hh + 1)).cells
    binding = bind(header, SPEC, path=path, line=hh + 1)
    desc_pos = binding.positions["description"]

    rows: list[Row] = []
    groups: list[tuple[str | None, str | None]] = []
    subtotals: list[tuple[Row, str | None, str]] = []
    account: str | None = summary["account"].iloc[0] if len(summary) == 1 else None
    section: str | None = None
    for row in iter_rows(tf, hh + 1, lenient=True):
        if row.error is not None:  # a line the csv module cannot read: reported by convert
            rows.append(row)
            groups.append((account, section))
            continue
        cells = [c.strip() for c in row.cells]
        filled = [c for c in cells if c]
        if not filled:
            continue
        first = cells[0]
        m = _SUBTOTAL.search(first)
        if m:
            subtotals.append((row, account, m["section"]))
            skip.add(row.line, f"subtotal row: the sum of the {m['section']} holdings above",
                     row.raw)
        elif _TOTAL.match(first):
            skip.add(row.line, "total row: a sum of the holdings above", row.raw)
        elif len(filled) == 1 and first:
            if first in known or _ACCOUNT.match(first):
                account, section = first, None
            else:
                section = first
        else:
            if len(cells) > desc_pos and _NUMBER.match(cells[desc_pos]):
                notes.append(f"line {row.line}: no Description cell, numbers one column to the "
                             "left (Fidelity's CASH row); read shifted")
                row = Row(row.line, [*row.cells[:desc_pos], "", *row.cells[desc_pos:]],
                          row.raw)
            rows.append(row)
            groups.append((account, section))
    raw = frame_from_rows(rows, binding, path=path)
    b.check_cut(tf, raw)
    b.refuse_cut(raw, max(binding.positions.values()) + 1, path=path)
    if rows and (not subtotals or subtotals[-1][0].line < rows[-1].line):
        acct, sect = groups[-1]
        raise FormatError(f"the file ends in the {sect or 'holdings'} section"
                          f"{f' of account {acct}' if acct else ''} without its 'Subtotal of' "
                          "row; it looks cut off", path=path, line=len(tf.lines))

    raw["account"] = pd.Series([g[0] for g in groups], dtype="str")
    raw["section"] = pd.Series([g[1] for g in groups], dtype="str")
    if raw["account"].isna().any():
        i = raw.index[raw["account"].isna()][0]
        raise FormatError("holding before any account-number line, and the summary lists "
                          f"{len(summary)} accounts", path=path, line=int(raw["line"][i]))
    positions = _positions(raw, binding, s, skip)
    _check_subtotals(positions, subtotals, binding.positions["ending"], path, notes)

    accounts = pd.concat([summary, pd.DataFrame({
        "account": positions["account"].unique(), "name": None, "custodian": "fidelity"})]
    ).drop_duplicates("account")
    as_of = _as_of(s)
    if as_of is None:
        notes.append("no statement date in the file name (StatementMMDDYYYY.csv) or content")
    return Export(path=s.path, format=FORMAT, custodian="fidelity", positions=positions,
                  skipped=skip.frame(), accounts=accounts.reset_index(drop=True), as_of=as_of,
                  notes=notes)


def _unescape(cell):
    return html.unescape(cell) if isinstance(cell, str) and "&" in cell else cell


def _positions(raw: pd.DataFrame, binding, s: Sniff, skip: SkipLog) -> pd.DataFrame:
    path = s.path.name
    raw = raw.assign(symbol=raw["symbol"].map(_unescape).astype("str"),
                     description=raw["description"].map(_unescape).astype("str"))
    t = b.convert(raw, SPEC, path=path, skip=skip, binding=binding)
    symbol = clean.symbol(t["symbol"])
    desc = clean.text(t["description"])
    core = t["section"].str.contains(_CORE).fillna(False)
    option = symbol.isna() & ~core
    built = desc.where(option).map(_option_symbol, na_action="ignore").astype("str")
    symbol = symbol.fillna(built)
    t.values["symbol"] = symbol.mask(core & symbol.isna(), "CASH")
    t = t.drop(t["symbol"].isna(), "row has no symbol or CUSIP")
    t = t.drop(t["symbol"].str.contains(r"\s").fillna(False),
               "cannot read Symbol/CUSIP " + t["symbol"].map(repr) + ": a symbol has no spaces")
    t = t.drop(t["ending"].isna(), "row has no ending value")
    core, desc = core[t.index], desc[t.index]
    value = t["ending"]
    return pd.DataFrame({
        "account": t["account"],
        "symbol": t["symbol"],
        "cusip": clean.cusips(t["symbol"]),
        "description": desc,
        "quantity": t["quantity"].mask(core, value),
        "price": t["price"].mask(core, 1.0),
        "market_value": value,
        "cost_basis": t["cost_basis"].mask(core, value),
        "asset_class": pd.Series(None, index=t.index, dtype="str").mask(core, "cash"),
        "security_type": t["section"],
        **t.source(s.path),
    })


def _check_subtotals(positions: pd.DataFrame, subtotals: list, ending: int, path: str,
                     notes: list[str]) -> None:
    """Note every subtotal whose Ending Value differs from the sum of its section's rows."""
    previous = 0
    for row, account, section in subtotals:
        since, previous = previous, row.line
        if len(row.cells) <= ending:
            continue
        total = clean.parse_numbers(pd.Series([row.cells[ending]], dtype="str"))[0].iloc[0]
        if pd.isna(total):
            continue
        lines = positions["source_line"]
        rows = positions[(positions["account"] == account)
                         & positions["security_type"].str.casefold().eq(section.casefold())
                         .fillna(False) & (lines > since) & (lines < row.line)]
        got = float(rows["market_value"].sum())
        if abs(got - total) > 0.005:
            notes.append(f"line {row.line}: Subtotal of {section} is {total:,.2f} but its rows "
                         f"add up to {got:,.2f}")


FORMATS = [
    FormatSpec(FORMAT, "fidelity", "Fidelity monthly statement CSV (holdings with cost basis)",
               ("text",), detect, load, priority=20),
]
