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
from ._text import ColumnSpec, find_line, norm_line

__all__ = ["FORMATS", "detect", "load"]

FORMAT = "fidelity_realized"

SPEC = {
    "symbol": ColumnSpec(["Symbol(CUSIP)", "Symbol (CUSIP)"]),
    "description": ColumnSpec(["Security Description", "Description"], required=False),
    "quantity": ColumnSpec(["Quantity"], numeric=True),
    "acquired": ColumnSpec(["Date Acquired"], required=False),
    "sold": ColumnSpec(["Date Sold"]),
    "proceeds": ColumnSpec(["Proceeds"], numeric=True),
    "cost_basis": ColumnSpec(["Cost Basis"], numeric=True),
    "st_gain": ColumnSpec(["Short Term Gain/Loss"], required=False, numeric=True),
    "lt_gain": ColumnSpec(["Long Term Gain/Loss"], required=False, numeric=True),
    "disallowed": ColumnSpec(["Wash Sale Loss Disallowed", "Disallowed Loss"], required=False,
                             numeric=True),
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
    end = b.table_end(tf, h + 1, FOOTER)
    raw, _ = b.read_table(tf, h, end, SPEC, path=path)

    cell = clean.text(raw["symbol"])
    total = cell.str.match(r"(?i)^total\b").fillna(False)
    if total.any():
        skip.add_frame(raw[total], "total row: a sum of the lots above")
    nosym = cell.isna() & ~total
    if nosym.any():
        skip.add_frame(raw[nosym], "row has no symbol or CUSIP")
    keep = ~(total | nosym)
    raw, cell = raw[keep], cell[keep]
    w = b.where(path, raw)
    qty = clean.number(raw["quantity"], column="Quantity", where=w)
    bad = ~(qty > 0)
    if bad.any():
        skip.add_frame(raw[bad], "quantity is not positive (a short sale or an adjustment): "
                                 "not a closed long lot")
        raw, cell, qty = raw[~bad], cell[~bad], qty[~bad]
        w = b.where(path, raw)

    parts = cell.str.extract(_SYMBOL)
    symbol = parts["symbol"].str.strip().replace("", None)
    symbol = symbol.fillna(parts["cusip"].str.strip().replace("", None)).fillna(cell)
    acquired_cell = b.col(raw, "acquired")
    various = acquired_cell.str.match(_VARIOUS).fillna(False)
    if various.any():
        notes.append("Date Acquired 'VARIOUS' (several lots) on line(s) "
                     f"{', '.join(str(x) for x in raw['line'][various])}; acquired left missing")
    acquired = clean.date(acquired_cell.mask(various), column="Date Acquired", where=w)
    sold = clean.date(raw["sold"], column="Date Sold", where=w)
    if sold.isna().any():
        raise w.error(sold[sold.isna()].index[0], "Date Sold", "Date Sold is empty")
    proceeds = clean.number(raw["proceeds"], column="Proceeds", where=w)
    basis = clean.number(raw["cost_basis"], column="Cost Basis", where=w)
    st = clean.number(b.col(raw, "st_gain"), column="Short Term Gain/Loss", where=w)
    lt = clean.number(b.col(raw, "lt_gain"), column="Long Term Gain/Loss", where=w)
    wash = clean.number(b.col(raw, "disallowed"), column="Disallowed Loss", where=w).abs()

    gain = st.fillna(0) + lt.fillna(0)
    gain = gain.where(st.notna() | lt.notna(), proceeds - basis)
    st_on = st.notna() & st.ne(0)
    lt_on = lt.notna() & lt.ne(0)
    term = pd.Series(None, index=raw.index, dtype="str")
    term = term.mask(st_on & ~lt_on, "short").mask(lt_on & ~st_on, "long")
    term = term.mask(~st_on & ~lt_on & st.notna() & lt.isna(), "short")
    term = term.mask(~st_on & ~lt_on & lt.notna() & st.isna(), "long")
    mixed = st_on & lt_on
    if mixed.any():
        notes.append("both a short- and a long-term gain on line(s) "
                     f"{', '.join(str(x) for x in raw['line'][mixed])}; term left missing")

    realized = pd.DataFrame({
        "account": account,
        "symbol": symbol.astype("str"),
        "quantity": qty,
        "acquired": acquired,
        "sold": sold,
        "proceeds": proceeds,
        "cost_basis": basis,
        "gain": gain,
        "term": term,
        "wash_sale_disallowed": wash,
        **b.source_columns(raw, s.path),
    }, index=raw.index)
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
