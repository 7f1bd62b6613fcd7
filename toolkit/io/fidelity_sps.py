"""Fidelity Stock Plan Services / NetBenefits "View open lots" CSV (ESPP and RSU shares).

Layout (FORMATS.md 1e, ``header_signatures.json`` ``fidelity_sps_open_lots``), one file per
stock, UTF-8 with a BOM::

    Date acquired,Quantity,Cost basis,Cost basis/share,Value,Gain/loss,Sale availability date,
    Transfer availability date,Grant date,Share source,Holding period
    Sep-30-2026,25.0000,1100.00,44.00,1375.00,275.00,Sep-30-2026,Sep-30-2026,Jul-01-2026,SP,Short
    Total,,3186.00,,,,,,,,
    ,
    The values are displayed in USD

Rules
-----
- One lot per row: ``acquired`` is Date acquired (``Mon-DD-YYYY``), ``quantity`` the
  shares, ``cost_basis`` the Cost basis (quantity x Cost basis/share when empty), ``term``
  from Holding period (``Short``/``Long``; ``-`` is missing), ``lot_id`` ``<file>:<line>``.
  Value, Gain/loss, the availability and grant dates and the share source (``SP`` ESPP
  purchase, ``DO``/``RS`` released shares) are not part of a lot and are not loaded.
- ``-`` is null; a ``Total`` row is skipped with a reason (a share count that differs from
  the lots' sum is noted); the table ends at the line ``,`` or the footer.
- **Currency**: the footer ``The values are displayed in USD`` is required. Another
  currency (``EUR``) is a :class:`~toolkit.errors.FormatError`: the cost bases are not
  dollars (switch the display currency to USD and export again). A file without the footer
  looks cut off and is refused too.
- **Symbol and account**: the file names neither. ``options["symbol"]`` and
  ``options["account"]`` are required (``load_export(path, symbol="MSFT", account=...)``);
  without them the loader raises a FormatError saying which to pass.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.errors import FormatError, MissingColumnError

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, find_line, norm_line

__all__ = ["FORMATS", "detect", "load"]

FORMAT = "fidelity_sps_open_lots"

SPEC = {
    "acquired": Col.date("Date acquired", need=True, missing="Date acquired is empty"),
    "quantity": Col.quantity("Quantity"),
    "cost_basis": Col.money("Cost basis", required=False),
    "cost_per_share": Col.money("Cost basis/share", required=False),
    "holding": Col.text("Holding period", required=False),
}

FOOTER = re.compile(r"^\"?\s*The values are displayed in\s+(?P<currency>[A-Za-z]{3})\b", re.I)
_TERMS = {"short": "short", "long": "long", "short term": "short", "long term": "long"}


def _header(n: str) -> bool:
    return n.startswith("date acquired,quantity,")


def detect(s: Sniff) -> bool:
    """A ``Date acquired,Quantity,...`` header in the first lines."""
    return any(_header(n) for n in s.first_lines_norm[:5])


def _option(options: dict, name: str, example: str, path: str) -> str:
    value = options.get(name)
    if not value:
        raise FormatError(f"Stock Plan Services open-lots files name neither their stock nor "
                          f"their account; pass {name}= to load_export (e.g. {name}={example!r})",
                          path=path)
    return str(value)


def load(s: Sniff, options: dict) -> Export:
    """Load a Fidelity Stock Plan Services open-lots export (see module docstring).

    Parameters
    ----------
    s : Sniff
        The sniffed file.
    options : dict
        ``symbol`` (the stock's ticker) and ``account`` (the stock plan account id), both
        required.

    Returns
    -------
    Export
        ``lots`` (shares, dollars, acquisition dates, term), ``skipped`` and ``accounts``.

    Raises
    ------
    FormatError
        Without ``symbol``/``account``, for values in a currency other than USD, a file
        without its currency footer (cut off), a missing column, a truncated row or an
        unreadable cell.
    """
    tf = s.text
    path = tf.name
    symbol = _option(options, "symbol", "MSFT", path)
    account = _option(options, "account", "X12345678", path)
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, lambda ln: _header(norm_line(ln)), limit=5)
    if h is None:
        raise FormatError("no open-lots header (Date acquired,Quantity,...) in the first 5 "
                          "lines", path=path)
    b.report_leading(tf, h, skip, "open lots")
    end = b.table_end(tf, h + 1, FOOTER)
    footer = find_line(tf, lambda ln: bool(FOOTER.match(ln.lstrip("\ufeff"))), start=end)
    if footer is None:
        raise FormatError("no 'The values are displayed in USD' footer: the file looks cut "
                          "off, and the currency of its values is unknown", path=path,
                          line=len(tf.lines))
    currency = FOOTER.match(tf.lines[footer].lstrip("\ufeff"))["currency"].upper()
    if currency != "USD":
        raise FormatError(f"the values are displayed in {currency}, not US dollars; the "
                          "toolkit needs dollar cost bases (switch the display currency to USD "
                          "and export again)", path=path, line=footer + 1)
    raw, binding = b.read_table(tf, h, end, SPEC, path=path, skip=skip)
    if not (binding.has("cost_basis") or binding.has("cost_per_share")):
        raise MissingColumnError("required column missing: expected 'Cost basis' or 'Cost "
                                 "basis/share'", path=path, line=h + 1, column="Cost basis")

    first = clean.text(raw["acquired"])
    total = first.str.match(r"(?i)^total\b").fillna(False)
    ctx = {"account": account, "symbol": symbol}
    if total.any():
        skip.add_frame(raw[total], "total row: a sum of the lots above", account=account,
                       symbol=symbol)
    totals = raw[total]
    t = b.convert(raw[~total], SPEC, path=path, skip=skip, binding=binding, context=ctx)
    qty = t["quantity"]
    if len(totals):
        written, _ = clean.parse_numbers(totals["quantity"])
        if written.notna().any() and abs(written.dropna().iloc[-1] - qty[qty > 0].sum()) > 1e-6:
            notes.append(f"the Total row says {written.dropna().iloc[-1]:g} shares but the lots "
                         f"add up to {qty[qty > 0].sum():g}")
    t = t.drop(~(qty > 0), "quantity is not positive: not an open lot")
    basis = t["cost_basis"].fillna(t["quantity"] * t["cost_per_share"])
    term = t["holding"].str.casefold().map(_TERMS).astype("str")
    lots = pd.DataFrame({
        "account": account,
        "symbol": symbol,
        "quantity": t["quantity"],
        "cost_basis": basis,
        "acquired": t["acquired"],
        "term": term,
        "lot_id": (s.path.name + ":" + t.line.astype("str")).astype("str"),
        **t.source(s.path),
    }, index=t.index)
    b.report_trailing(tf, end, skip, "open lots")  # the footer is one cell: not reported
    accounts = pd.DataFrame({"account": [account], "name": [None], "custodian": ["fidelity"]})
    return Export(path=s.path, format=FORMAT, custodian="fidelity", lots=lots,
                  skipped=skip.frame(), accounts=accounts, notes=notes)


FORMATS = [
    FormatSpec(FORMAT, "fidelity", "Fidelity Stock Plan Services open lots CSV (one stock; "
               "needs symbol= and account=)", ("text",), detect, load, priority=20),
]
