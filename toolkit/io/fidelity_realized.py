"""Fidelity realized gain/loss CSV (``Realized_Gain_Loss_Account_<acct>.csv``): closed lots.

Layout (FORMATS.md 1d, ``header_signatures.json`` ``fidelity_realized``; source
FINporterFido ``Tests/FidoSalesTests.swift``), the "Closed Positions" view of one account::

    Symbol(CUSIP),Security Description,Quantity,Date Acquired,Date Sold,Proceeds,Cost Basis,
    Short Term Gain/Loss,Long Term Gain/Loss
    VEA(100000000),"VANGUARD TAX-MANAGEDINTL FD FTSE DEV MKTETF",3.0,08/31/2020,01/29/2021,
    "$12.00 ","$10.00 ","$1.50 ","$0.50 "

Rules
-----
- **Symbol**: the text before the parentheses (``VEA``); a row with only a CUSIP in them
  (``(912828YK0)``, bonds) uses the CUSIP.
- **Money** is quoted with a trailing space (``"$12.00 "``); negatives ``-$1.50`` or
  ``($1.50)``.
- **Term** from which gain cell is filled: only the short-term one -> ``short``, only the
  long-term one -> ``long`` (a cell of ``$0.00`` beside a non-zero one does not count); both
  non-zero -> missing, noted. ``gain`` is their sum (proceeds - cost basis when both are
  empty). A ``Wash Sale Loss Disallowed``/``Disallowed Loss`` column, if present, fills
  ``wash_sale_disallowed``; Fidelity's usual file has none, so it is missing.
- **Acquired** ``VARIOUS`` (lots bought on several dates) is missing, noted.
- ``Total`` rows and rows with a non-positive quantity (short sales) are skipped with a
  reason; the table ends at the first blank line or disclaimer, and data-like lines after
  it are reported.
- **Account**: the file does not name it. ``options["account"]``, else the number in the
  file name ``Realized_Gain_Loss_Account_<acct>.csv``, else
  :class:`~toolkit.errors.FormatError` asking for ``account=``.
- ``as_of``: a ``Date downloaded`` footer when there is one, else missing.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, find_line, norm_line

__all__ = ["FORMATS", "detect", "load"]

FORMAT = "fidelity_realized"

SPEC = {
    "symbol": Col.text("Symbol(CUSIP)", "Symbol (CUSIP)"),  # VEA(100000000): split below
    "description": Col.text("Security Description", "Description", required=False),
    "quantity": Col.quantity("Quantity"),
    "acquired": Col.raw("Date Acquired", required=False),  # a date, or VARIOUS
    "sold": Col.date("Date Sold", need=True, missing="Date Sold is empty"),
    "proceeds": Col.money("Proceeds"),
    "cost_basis": Col.money("Cost Basis"),
    "st_gain": Col.money("Short Term Gain/Loss", required=False),
    "lt_gain": Col.money("Long Term Gain/Loss", required=False),
    "disallowed": Col.money("Wash Sale Loss Disallowed", "Disallowed Loss", required=False),
}

FOOTER = re.compile(r"^\"?\s*(Date downloaded|The data and information|Brokerage services|"
                    r"Fidelity Brokerage|Information provided)", re.I)
_DOWNLOADED = re.compile(r"Date downloaded\"?\s*,?\s*(\d{1,2}/\d{1,2}/\d{4}|"
                         r"[A-Za-z]{3}-\d{1,2}-\d{4}|\d{2}-\d{2}-\d{4})", re.I)
_FILENAME_ACCOUNT = re.compile(r"Realized_Gain_Loss_Account_([A-Za-z0-9]+)", re.I)
_SYMBOL = re.compile(r"^(?P<symbol>[^()]*?)\s*\((?P<cusip>[^()]*)\)$")
_VARIOUS = re.compile(r"^\s*various\s*$", re.I)


def _header(n: str) -> bool:
    return n.startswith(("symbol(cusip),", "symbol (cusip),")) and ",quantity," in n


def _is_header(line: str) -> bool:
    return _header(norm_line(line))


def detect(s: Sniff) -> bool:
    """A ``Symbol(CUSIP),...,Quantity,...`` header in the first lines."""
    return any(_header(n) for n in s.first_lines_norm[:10])


def _account(s: Sniff, options: dict, notes: list[str]) -> str:
    if options.get("account"):
        return str(options["account"])
    m = _FILENAME_ACCOUNT.search(s.path.name)
    if m:
        notes.append(f"account {m.group(1)} taken from the file name")
        return m.group(1)
    raise FormatError("this realized gain/loss file does not name its account and its file "
                      "name is not Realized_Gain_Loss_Account_<account>.csv; pass account= to "
                      "load_export", path=s.path.name)


def load(s: Sniff, options: dict) -> Export:
    """Load a Fidelity realized gain/loss export (see module docstring).

    Parameters
    ----------
    s : Sniff
        The sniffed file.
    options : dict
        ``account``: the account id (default: from the file name).

    Returns
    -------
    Export
        ``realized`` (one row per closed lot: shares, dollars, dates, term), ``skipped``,
        ``accounts`` and ``as_of``.

    Raises
    ------
    FormatError
        For a missing header or column, a truncated row, an unreadable cell, or an account
        that cannot be told.
    """
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    account = _account(s, options, notes)
    h = find_line(tf, _is_header, limit=10)
    if h is None:
        raise FormatError("no realized gain/loss header (Symbol(CUSIP),...,Quantity,...) in "
                          "the first 10 lines", path=path)
    b.report_leading(tf, h, skip, "realized gain/loss")
    end = b.table_end(tf, h + 1, FOOTER)
    raw, binding = b.read_table(tf, h, end, SPEC, path=path, skip=skip)

    cell = clean.text(raw["symbol"])
    total = cell.str.match(r"(?i)^total\b").fillna(False)
    if total.any():
        skip.add_frame(raw[total], "total row: a sum of the lots above", account=account)
    nosym = cell.isna() & ~total
    if nosym.any():
        skip.add_frame(raw[nosym], "row has no symbol or CUSIP", account=account)
    keep = ~(total | nosym)
    parts = cell[keep].str.extract(_SYMBOL)
    symbol = parts["symbol"].str.strip().replace("", None)
    symbol = symbol.fillna(parts["cusip"].str.strip().replace("", None)).fillna(cell[keep])
    rows = raw[keep].assign(symbol=symbol.astype("str"))
    t = b.convert(rows, SPEC, path=path, skip=skip, binding=binding,
                  context={"account": account})
    t = t.drop(~(t["quantity"] > 0), "quantity is not positive (a short sale or an "
                                     "adjustment): not a closed long lot")

    acquired_cell = t["acquired"]
    various = acquired_cell.str.match(_VARIOUS).fillna(False)
    if various.any():
        notes.append("Date Acquired 'VARIOUS' (several lots) on line(s) "
                     f"{', '.join(str(x) for x in t.line[various])}; acquired left missing")
    acquired, bad = clean.parse_dates(acquired_cell.mask(various))
    t = t.drop(bad.notna(), "cannot read " + t.header("acquired") + " " +
               acquired_cell.str.strip().map(repr) + ": " + bad)
    acquired = acquired[t.index]
    st, lt = t["st_gain"], t["lt_gain"]
    gain = (st.fillna(0) + lt.fillna(0)).where(st.notna() | lt.notna())
    st_on = st.notna() & st.ne(0)
    lt_on = lt.notna() & lt.ne(0)
    term = pd.Series(None, index=t.index, dtype="str")
    term = term.mask(st_on & ~lt_on, "short").mask(lt_on & ~st_on, "long")
    term = term.mask(~st_on & ~lt_on & st.notna() & lt.isna(), "short")
    term = term.mask(~st_on & ~lt_on & lt.notna() & st.isna(), "long")
    mixed = st_on & lt_on
    if mixed.any():
        notes.append("both a short- and a long-term gain on line(s) "
                     f"{', '.join(str(x) for x in t.line[mixed])}; term left missing")

    realized = b.realized_frame(
        t.index, account=account, symbol=t["symbol"], quantity=t["quantity"], sold=t["sold"],
        acquired=acquired, proceeds=t["proceeds"], cost_basis=t["cost_basis"], gain=gain,
        term=term, wash_sale_disallowed=t["disallowed"].abs(), source=t.source(s.path),
        notes=notes)
    b.report_trailing(tf, end, skip, "realized gain/loss")
    as_of = None
    for line in tf.lines[end:]:
        m = _DOWNLOADED.search(line)
        if m:
            as_of = clean.date_value(m.group(1), column="Date downloaded", path=path)
            break
    accounts = pd.DataFrame({"account": [account], "name": [None], "custodian": ["fidelity"]})
    return Export(path=s.path, format=FORMAT, custodian="fidelity", realized=realized,
                  skipped=skip.frame(), accounts=accounts, as_of=as_of, notes=notes)


FORMATS = [
    FormatSpec(FORMAT, "fidelity", "Fidelity Realized_Gain_Loss_Account CSV (closed lots)",
               ("text",), detect, load, priority=20),
]
