"""E*TRADE ``PortfolioDownload.csv``: the positions of one account, and its lots when expanded.

Layout (FORMATS.md 5a; ``header_signatures.json`` key ``etrade_portfolio_download``)::

    Account Summary
    Account,Net Account Value,Total Gain $,Total Gain %,...      (the columns vary)
    "Individual Brokerage -1234",200770.00,...
    (blank lines)
    View Summary - All Positions
    Filters applied:
    Symbol,Security type(s),Sort by,Sort order,
    ,All,Total Gain $,Asc,
    (blank)
    Symbol,Last Price $,Change $,Change %,Quantity,Price Paid $,Day's Gain $,Total Gain $,...
    VTI,200.77,-4.31,-2.1,1000.0000,180.8802,-1017.6145,3326.1358,14.3953,200770.000
    CASH,,,,,,,,,12.2
    TOTAL,,,,,180880.20,-1017.61,3326.14,14.4,200770.00
    (blank lines)
    Generated at Feb 14 2023 03:12 PM ET

Quirks handled
--------------
- The positions header is found by pattern: a row whose first cell is ``Symbol`` with at
  least two of E*TRADE's position columns (``Last Price $``, ``Price Paid $``, ``Qty #``,
  ``Value $``, ...); the filters block's own ``Symbol,Security type(s),...`` row is not it.
  The quantity is ``Quantity`` (older files: ``Qty #``). Columns are bound by name, in any order
  (E*TRADE lets users pick them); only ``Symbol``, the quantity and ``Value $`` are required.
  Rows may be padded with trailing commas. Numbers carry no ``$``; ``.00`` occurs.
- The table ends at the first blank line or the ``Generated at`` footer, whose date is
  ``as_of``. Data-like lines after it are reported in ``skipped``.
- ``CASH`` (only Value filled, or Quantity/Price 1 filled too) is a cash position: symbol
  ``CASH``, quantity = value, price 1, basis = value. ``TOTAL`` is skipped with a reason.
- **Account.** The account line ``"Individual Brokerage -1234"`` gives the account id as a
  masked id (``"...1234"``: E*TRADE shows only the last digits, so it matches a household
  account ending in them), the
  digits after the last `` -`` (``"1234"``, as written, leading zeros kept), and the
  account name, the text before it (``"Individual Brokerage"``; ``"Cap 1(-6084) -6354"``
  gives ``6354`` and ``Cap 1(-6084)``). A file without an account summary, or whose account
  line has no id (``"Harbor Ridge Brokerage"``), takes ``options["account"]``; without it
  :class:`~toolkit.errors.FormatError` asks for ``account=``. A summary listing several
  accounts cannot be attributed and is an error too.
- **Cost basis** = ``Total Cost`` when the file has that column; otherwise Quantity x
  ``Price Paid $`` (E*TRADE's average price paid per share); otherwise ``Value $`` -
  ``Total Gain $``. E*TRADE does not write a total cost in the default view, so the basis is
  derived; files whose Total Gain disagrees with Quantity x Price Paid exist (the public
  sample), and Price Paid is preferred.
- **Price units.** Options are quoted per share (a contract is 100 shares) and CDs, notes
  and bonds per 100 of face value. The unit is read from the row itself: when ``Value $``
  is about 100 (or 1/100) times Quantity x ``Last Price $``, the row is an option
  (``security_type`` "option", price and quantity as written, basis = Quantity x Price Paid
  x 100) or a bond/CD quoted per 100 (``security_type`` "bond", price divided by 100 so
  quantity x price = value, basis = Quantity x Price Paid / 100). Such rows keep E*TRADE's
  description-like symbol (``QQQ Dec 31 '26 $600 Put``, ``KEY BANK CD ... 08/24/2026``).
- **Short positions** (negative quantity) are not supported: skipped with a reason.
- **Lots** (expanded view, [L] in FORMATS.md; gmadrid/etrade-csv-tool reads them): rows
  whose Symbol cell is a date (``MM/DD/YYYY``, often indented) under a position row are
  that position's open lots: ``acquired`` = that date, quantity, and a basis computed as for
  positions (Total Cost, else Quantity x Price Paid in the position's price unit, else
  Value - Total Gain). E*TRADE reports no term or wash-sale figure for them, so those stay
  missing; ``lot_id`` is ``<file>:<line>``. The layout is assumed, not confirmed by a public
  fixture; a lot row with no position above it, or under a skipped (short) position, is
  skipped with a reason, and lots that do not add up to their position's quantity are
  listed in ``Export.notes``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import LOTS

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import (
    ColumnSpec,
    TextFile,
    decode,
    find_line,
    is_blank,
    iter_rows,
    norm_header,
    split_csv_line,
)

FORMAT = "etrade_portfolio_csv"
CUSTODIAN = "etrade"

SPEC = {
    "symbol": ColumnSpec(["Symbol"]),
    "last_price": ColumnSpec(["Last Price $", "Last Price"], required=False, numeric=True),
    "quantity": ColumnSpec(["Quantity", "Qty #", "Qty"], numeric=True),
    "price_paid": ColumnSpec(["Price Paid $", "Price Paid"], required=False, numeric=True),
    "total_cost": ColumnSpec(["Total Cost", "Total Cost $", "Cost Basis", "Cost Basis $"],
                             required=False, numeric=True),
    "total_gain": ColumnSpec(["Total Gain $", "Total Gain"], required=False, numeric=True),
    "value": ColumnSpec(["Value $", "Value", "Market Value"], numeric=True),
}
#: Column names only E*TRADE's positions view uses; a ``Symbol`` row with two of them is the
#: positions header (the filters block's ``Symbol,Security type(s),...`` row has none).
_ETRADE_COLUMNS = frozenset({"last price $", "change $", "change %", "qty #", "price paid $",
                             "day's gain $", "total gain $", "total gain %", "value $",
                             "total cost"})
#: How far into the file the positions header is looked for (the preamble is ~12 lines).
HEADER_SEARCH = 80

FOOTER = re.compile(r"^\s*\"?\s*Generated at\b", re.I)
_GENERATED = re.compile(r"Generated at\s+([A-Za-z]{3}\s+\d{1,2},?\s+\d{4})", re.I)
_ACCOUNT_LABEL = re.compile(r"^(?P<name>.*?)\s+-\s*(?P<id>\d{3,})\s*$")
#: A lot row's Symbol cell: a date (two-digit years are taken as lots too, so that the date
#: cleanup reports them rather than loading a position called "01/15/20").
_LOT_DATE = re.compile(r"^\d{1,2}/\d{1,2}/(\d{2}|\d{4})$")
#: Zero-width characters and BOMs seen inside symbol cells of re-saved files.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _cells(line: str) -> list[str]:
    return [norm_header(c) for c in split_csv_line(line)]


def _header_cells(cells: list[str]) -> bool:
    return bool(cells) and cells[0] == "symbol" and len(_ETRADE_COLUMNS & set(cells)) >= 2


def _is_header(line: str) -> bool:
    return _header_cells(_cells(line))


def detect(s: Sniff) -> bool:
    """A ``Symbol`` row with two of E*TRADE's position columns (``Value $``, ``Qty #``, ...)."""
    return any(_header_cells(n.split(",")) for n in s.first_lines_norm[:HEADER_SEARCH])


def _summary_accounts(tf: TextFile, stop: int) -> list[tuple[str, int]]:
    """``(label, line)`` of each account row of the ``Account Summary`` block above ``stop``."""
    head = find_line(tf, lambda ln: (c := _cells(ln)) != [] and c[0] == "account"
                     and len([x for x in c if x]) >= 2, limit=stop)
    if head is None:
        return []
    out = []
    for i in range(head + 1, stop):
        line = tf.lines[i]
        if is_blank(line):
            break
        row = next(iter_rows(tf, i, i + 1))  # raises on an unclosed quote
        label = _INVISIBLE.sub("", row.cells[0]).strip() if row.cells else ""
        if label:
            out.append((label, i + 1))
    return out


def _account(tf: TextFile, stop: int, options: dict) -> tuple[str, str | None]:
    """The account id and name (see the module docstring)."""
    labels = _summary_accounts(tf, stop)
    if len(labels) > 1:
        listed = ", ".join(repr(lb) for lb, _ in labels)
        raise FormatError(f"the account summary lists {len(labels)} accounts ({listed}); a "
                          "positions download holds one account, so its rows cannot be "
                          "attributed. Download each account's positions separately",
                          path=tf.name, line=labels[1][1])
    name = None
    if labels:
        label, _ = labels[0]
        m = _ACCOUNT_LABEL.match(label)
        if m:
            # E*TRADE shows only the last digits: a masked id, matched by suffix
            return "..." + m.group("id"), m.group("name").strip() or None
        name = label
    if options.get("account"):
        return str(options["account"]), name
    named = f" (its account line names only {name!r})" if name else ""
    raise FormatError(f"this E*TRADE positions file does not name its account id{named}; pass "
                      "account=... to load_export (for example account='1234')",
                      path=tf.name, line=labels[0][1] if labels else None)


def _as_of(lines: list[str], start: int, path: str) -> pd.Timestamp | None:
    for i in range(len(lines) - 1, start - 1, -1):
        m = _GENERATED.search(lines[i])
        if m:
            return clean.date_value(m.group(1), column="Generated at", path=path, line=i + 1)
    return None


def _basis(qty, paid, unit, total_cost, value, gain) -> pd.Series:
    return total_cost.fillna(qty * paid * unit).fillna(value - gain)


def load(s: Sniff, options: dict) -> Export:
    """Load an E*TRADE PortfolioDownload.csv (see module docstring)."""
    tf = s.text if s.text is not None else decode(s.path, s.path.read_bytes())
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, _is_header, limit=HEADER_SEARCH)
    if h is None:
        raise FormatError("no E*TRADE positions header (a row starting with Symbol, with "
                          "columns such as Last Price $, Quantity, Price Paid $ and Value $) "
                          f"in the first {HEADER_SEARCH} lines", path=path)
    account, name = _account(tf, h, options)
    end = b.table_end(tf, h + 1, FOOTER)
    raw, binding = b.read_table(tf, h, end, SPEC, path=path)
    raw = raw.reset_index(drop=True)
    b.require_rows(raw, path=path, line=h + 1, what="positions")
    w = b.where(path, raw)

    sym_text = clean.text(raw["symbol"].astype("str").str.replace(_INVISIBLE, "", regex=True))
    upper = sym_text.str.upper()
    total = upper.eq("TOTAL").fillna(False).astype(bool)
    cash = upper.eq("CASH").fillna(False).astype(bool)
    lot = sym_text.str.match(_LOT_DATE).fillna(False).astype(bool)
    nosym = sym_text.isna()
    position = ~(total | cash | lot | nosym)

    def header(key: str) -> str:  # the column's header text, for messages
        pos = binding.positions.get(key)
        return binding.header[pos].strip() if pos is not None else key

    qty = clean.number(raw["quantity"], column=header("quantity"), where=w)
    last = clean.number(b.col(raw, "last_price"), column=header("last_price"), where=w)
    paid = clean.number(b.col(raw, "price_paid"), column=header("price_paid"), where=w)
    total_cost = clean.number(b.col(raw, "total_cost"), column=header("total_cost"), where=w)
    gain = clean.number(b.col(raw, "total_gain"), column=header("total_gain"), where=w)
    value = clean.number(raw["value"], column=header("value"), where=w)

    if total.any():
        skip.add_frame(raw[total], "total row: the sum of the positions above, not a holding")
    if nosym.any():
        skip.add_frame(raw[nosym], "row has no symbol")
    novalue = (position | cash) & value.isna()
    if novalue.any():
        skip.add_frame(raw[novalue], "row has no value")
    noqty = position & ~novalue & qty.isna()
    if noqty.any():
        skip.add_frame(raw[noqty], "row has no quantity")
    short = position & ~novalue & ~noqty & qty.lt(0).fillna(False)
    if short.any():
        skip.add_frame(raw[short], "short position (negative quantity): short positions are "
                                   "not supported")
    kept_pos = position & ~(novalue | noqty | short)
    kept_cash = cash & ~novalue
    unit = b.price_unit(qty, last, value)

    # --- positions ------------------------------------------------------------------------
    keep = kept_pos | kept_cash
    p_unit = unit[keep]
    c = kept_cash[keep]
    p_value = value[keep]
    p_qty = qty[keep].where(~c, p_value)
    p_price = (last[keep] * p_unit.where(p_unit.eq(0.01), 1.0)).where(~c, 1.0)
    p_basis = _basis(qty[keep], paid[keep], p_unit, total_cost[keep], p_value,
                     gain[keep]).where(~c, p_value)
    security_type = pd.Series(pd.NA, index=p_unit.index, dtype="str")
    security_type = security_type.mask(p_unit.eq(100.0) & ~c, "option")
    security_type = security_type.mask(p_unit.eq(0.01) & ~c, "bond")
    symbol = sym_text[keep].where(~c, "CASH")
    pos_raw = raw[keep]
    positions = pd.DataFrame({
        "account": pd.Series(account, index=pos_raw.index, dtype="str"),
        "symbol": symbol,
        "cusip": clean.cusips(symbol),
        "description": pd.Series(pd.NA, index=pos_raw.index, dtype="str"),
        "quantity": p_qty,
        "price": p_price,
        "market_value": p_value,
        "cost_basis": p_basis,
        "asset_class": pd.Series(pd.NA, index=pos_raw.index, dtype="str").mask(c, "cash"),
        "security_type": security_type,
        **b.source_columns(pos_raw, s.path),
    })

    # --- lots (expanded view) -------------------------------------------------------------
    lots = _lots(raw, lot, position, kept_pos, sym_text, qty, paid, unit, total_cost, value,
                 gain, account, skip, s, notes)
    accounts = pd.DataFrame({"account": [account], "name": [name], "custodian": [CUSTODIAN]})
    b.report_trailing(tf, end, skip, "positions")
    return Export(path=s.path, format=FORMAT, custodian=CUSTODIAN, positions=positions,
                  lots=lots, skipped=skip.frame(), accounts=accounts,
                  as_of=_as_of(tf.lines, end, path), notes=notes)


def _lots(raw, lot, position, kept_pos, sym_text, qty, paid, unit, total_cost, value, gain,
          account, skip: SkipLog, s: Sniff, notes: list[str]) -> pd.DataFrame:
    """Lot rows (a date in the Symbol column) under their position row.

    ``raw`` has a RangeIndex; every Series passed is aligned with it.
    """
    if not lot.any():
        return LOTS.empty()
    # the row each lot belongs to: the last row above it that is not a lot row
    rows = np.arange(len(raw), dtype="float64")
    owner = pd.Series(np.where(lot.to_numpy(), np.nan, rows), index=raw.index).ffill()
    known = owner.notna()
    o = owner.fillna(0).astype("int64").to_numpy()
    owner_is_position = known & pd.Series(position.to_numpy()[o], index=raw.index)
    owner_kept = known & pd.Series(kept_pos.to_numpy()[o], index=raw.index)
    orphan = lot & ~owner_is_position
    under_skipped = lot & owner_is_position & ~owner_kept
    if orphan.any():
        skip.add_frame(raw[orphan], "lot row with no position row above it")
    if under_skipped.any():
        skip.add_frame(raw[under_skipped], "lot of a position that was not loaded (see the "
                                           "position's own row)")
    live = lot & owner_kept
    noqty = live & qty.isna()
    if noqty.any():
        skip.add_frame(raw[noqty], "lot row has no quantity")
    bad = live & ~noqty & qty.le(0).fillna(False)
    if bad.any():
        skip.add_frame(raw[bad], "lot with a non-positive quantity: short lots are not "
                                 "supported")
    live = live & ~noqty & ~bad
    if not live.any():
        return LOTS.empty()
    lr = raw[live]
    parent = o[live.to_numpy()]
    acquired = clean.date(sym_text[live], column="Symbol", where=b.where(s.path.name, lr))
    parent_unit = pd.Series(unit.to_numpy()[parent], index=lr.index)
    basis = _basis(qty[live], paid[live], parent_unit, total_cost[live], value[live],
                   gain[live])
    lots = pd.DataFrame({
        "account": pd.Series(account, index=lr.index, dtype="str"),
        "symbol": pd.Series(sym_text.to_numpy()[parent], index=lr.index, dtype="str"),
        "quantity": qty[live],
        "cost_basis": basis,
        "acquired": acquired,
        "lot_id": s.path.name + ":" + lr["line"].astype("str"),
        **b.source_columns(lr, s.path),
    })
    # the lots of a position should add up to its quantity
    sums = lots["quantity"].groupby(parent).sum()
    for i, got in sums.items():
        held = qty.iat[i]
        if abs(got - held) > 1e-6 * max(1.0, abs(held)):
            notes.append(f"the lots of {sym_text.iat[i]} (line {int(raw['line'].iat[i])}) add "
                         f"up to {got:g} shares, but the position holds {held:g}")
    return lots


FORMATS = [
    FormatSpec(FORMAT, CUSTODIAN, "E*TRADE PortfolioDownload.csv (positions of one account, "
               "lots in the expanded view)", ("text",), detect, load, priority=30),
]
