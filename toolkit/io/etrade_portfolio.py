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
- A row whose cells cannot be read (a number that is not one, a date that is not one, cells
  shifted by a stray comma) is skipped with the reason, the account and the symbol; the
  position's lots with it.
- A position or ``CASH`` row repeated in the file is counted once (see
  :func:`toolkit.io._finish.repeated_positions`).
- **Lots** (expanded view, [L] in FORMATS.md; gmadrid/etrade-csv-tool reads them): rows
  whose Symbol cell is a date (``MM/DD/YYYY``, often indented; ``YYYY-MM-DD`` and the other
  date forms brokers write count too, so a lot is never read as a position) under a
  position row are
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
    Col,
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
    "symbol": Col.raw("Symbol"),  # a ticker, CASH, TOTAL or a lot's date: read by the loader
    "last_price": Col.money("Last Price $", "Last Price", required=False),
    "quantity": Col.quantity("Quantity", "Qty #", "Qty"),
    "price_paid": Col.money("Price Paid $", "Price Paid", required=False),
    "total_cost": Col.money("Total Cost", "Total Cost $", "Cost Basis", "Cost Basis $",
                            required=False),
    "total_gain": Col.money("Total Gain $", "Total Gain", required=False),
    "value": Col.money("Value $", "Value", "Market Value"),
    "lot_date": Col.date("lot_date", required=False),  # made by the loader from a lot's Symbol
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
#: A lot row's Symbol cell: a date in any form brokers write, or anything shaped like one
#: (digits and date separators, eight digits): two-digit years, ISO ``2024-03-15`` and a
#: damaged ``13/45/2026`` are lots, which the date cleanup reads or reports, and never a
#: position called "01/15/20".
_LOT_DATE = re.compile(r"^(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|\d{8}|[A-Za-z]{3}-\d{1,2}-\d{4})$")
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


#: First cells of the preamble's own rows (the account summary and the filters block).
_PREAMBLE_ROWS = frozenset({"account summary", "account", "view summary - all positions",
                            "filters applied:", "symbol", ""})


def _report_preamble(tf: TextFile, header: int, skip: SkipLog) -> None:
    """Report data-like lines in the preamble that are not its own rows.

    A position row moved above the header is such a line; the account summary's rows are
    the account lines.
    """
    accounts = {line for _, line in _summary_accounts(tf, header)}
    for i in range(header):
        cells = split_csv_line(tf.lines[i])
        if i + 1 in accounts or len([c for c in cells if c.strip()]) < 2:
            continue
        if norm_header(cells[0]) not in _PREAMBLE_ROWS:
            skip.add(i + 1, "data-like line before the positions header", tf.lines[i])


def _as_of(lines: list[str], start: int, path: str) -> pd.Timestamp | None:
    for i in range(len(lines) - 1, start - 1, -1):
        m = _GENERATED.search(lines[i])
        if m:
            return clean.date_value(m.group(1), column="Generated at", path=path, line=i + 1)
    return None


def _basis(qty, paid, unit, total_cost, value, gain) -> pd.Series:
    """Cost basis: Total Cost $, else Value $ less Total Gain $, else Quantity x Price Paid $.

    Price Paid $ is rounded to 4 decimals, so Quantity x Price Paid $ is off by up to
    Quantity x $0.00005: a position's average price and its lots' prices round apart, and
    their bases would differ by more than a cent. Value $ and Total Gain $ are to the cent or
    finer.
    """
    return total_cost.fillna(value - gain).fillna(qty * paid * unit)


def load(s: Sniff, options: dict) -> Export:
    """Load an E*TRADE PortfolioDownload.csv (see module docstring)."""
    tf = s.text if s.text is not None else decode(s.path, s.data)
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, _is_header, limit=HEADER_SEARCH)
    if h is None:
        raise FormatError("no E*TRADE positions header (a row starting with Symbol, with "
                          "columns such as Last Price $, Quantity, Price Paid $ and Value $) "
                          f"in the first {HEADER_SEARCH} lines", path=path)
    account, name = _account(tf, h, options)
    _report_preamble(tf, h, skip)
    end = b.table_end(tf, h + 1, FOOTER)
    raw, binding = b.read_table(tf, h, end, SPEC, path=path, skip=skip)
    raw = raw.reset_index(drop=True)
    b.require_rows(raw, path=path, line=h + 1, what="positions")

    # kinds of rows, on their text
    sym_text = clean.text(raw["symbol"].astype("str").str.replace(_INVISIBLE, "", regex=True))
    upper = sym_text.str.upper()
    total = upper.eq("TOTAL").fillna(False).astype(bool)
    cash = upper.eq("CASH").fillna(False).astype(bool)
    # a lot row's Symbol is a date, indented under its position: an indented cell starting
    # with a digit is a lot row too, whose date the cleanup reads or reports
    indented = raw["symbol"].astype("str").str.match(r"^\s{2,}\d").fillna(False).astype(bool)
    lot = sym_text.str.match(_LOT_DATE).fillna(False).astype(bool) | indented
    nosym = sym_text.isna()
    # the row each lot belongs to: the last row above it that is not a lot row
    rows = np.arange(len(raw), dtype="float64")
    owner = pd.Series(np.where(lot.to_numpy(), np.nan, rows), index=raw.index).ffill()
    o = owner.fillna(-1).astype("int64")
    is_position = ~(total | cash | lot | nosym)
    owner_is_position = lot & o.ge(0) & pd.Series(
        is_position.to_numpy()[o.clip(lower=0).to_numpy()], index=raw.index)
    raw["lot_date"] = sym_text.where(lot, "")
    raw["symbol"] = sym_text.where(~lot, pd.Series(sym_text.to_numpy()[o.clip(lower=0)],
                                                   index=raw.index).where(owner_is_position))
    raw["symbol"] = raw["symbol"].where(~cash, "CASH").fillna("")

    ctx = {"account": account}
    if total.any():
        skip.add_frame(raw[total], "total row: the sum of the positions above, not a holding",
                       account=account)
    if nosym.any():
        skip.add_frame(raw[nosym], "row has no symbol", account=account)
    orphan = lot & ~owner_is_position
    if orphan.any():
        skip.add_frame(raw[orphan], "lot row with no position row above it", account=account)
    t = b.convert(raw[~(total | nosym | orphan)], SPEC, path=path, skip=skip, binding=binding,
                  headers={"lot_date": binding.header[binding.positions["symbol"]].strip()},
                  context=ctx)
    t.values["symbol"] = clean.text(t["symbol"])
    lot, cash, o = lot[t.index], cash[t.index], o[t.index]
    position = ~(lot | cash)
    t = t.drop((position | cash) & t["value"].isna(), "row has no value")
    lot, cash, o, position = lot[t.index], cash[t.index], o[t.index], position[t.index]
    t = t.drop(position & t["quantity"].isna(), "row has no quantity")
    lot, cash, o, position = lot[t.index], cash[t.index], o[t.index], position[t.index]
    t = t.drop(position & t["quantity"].lt(0), "short position (negative quantity): short "
                                               "positions are not supported")
    lot, cash, o, position = lot[t.index], cash[t.index], o[t.index], position[t.index]
    unit = b.price_unit(t["quantity"], t["last_price"], t["value"])

    # --- positions ------------------------------------------------------------------------
    keep = position | cash
    pt = t.take(keep)
    c = cash[keep]
    p_unit = unit[keep]
    p_value = pt["value"]
    p_qty = pt["quantity"].where(~c, p_value)
    p_price = (pt["last_price"] * p_unit.where(p_unit.eq(0.01), 1.0)).where(~c, 1.0)
    p_basis = _basis(pt["quantity"], pt["price_paid"], p_unit, pt["total_cost"], p_value,
                     pt["total_gain"]).where(~c, p_value)
    security_type = pd.Series(pd.NA, index=pt.index, dtype="str")
    security_type = security_type.mask(p_unit.eq(100.0) & ~c, "option")
    security_type = security_type.mask(p_unit.eq(0.01) & ~c, "bond")
    positions = pd.DataFrame({
        "account": pd.Series(account, index=pt.index, dtype="str"),
        "symbol": pt["symbol"],
        "cusip": clean.cusips(pt["symbol"]),
        "description": pd.Series(pd.NA, index=pt.index, dtype="str"),
        "quantity": p_qty,
        "price": p_price,
        "market_value": p_value,
        "cost_basis": p_basis,
        "asset_class": pd.Series(pd.NA, index=pt.index, dtype="str").mask(c, "cash"),
        "security_type": security_type,
        **pt.source(s.path),
    })

    # --- lots (expanded view) -------------------------------------------------------------
    lots = _lots(t.take(lot), o[lot], pt, unit, account, s, notes)
    accounts = pd.DataFrame({"account": [account], "name": [name], "custodian": [CUSTODIAN]})
    b.report_trailing(tf, end, skip, "positions")
    return Export(path=s.path, format=FORMAT, custodian=CUSTODIAN, positions=positions,
                  lots=lots, skipped=skip.frame(), accounts=accounts,
                  as_of=_as_of(tf.lines, end, path), notes=notes)


def _lots(lt: b.Table, owner: pd.Series, pt: b.Table, unit: pd.Series, account: str,
          s: Sniff, notes: list[str]) -> pd.DataFrame:
    """Lot rows (a date in the Symbol column) under their position row.

    ``owner`` is, for each lot row, the index of its position row; ``pt`` holds the position
    rows that were loaded; ``unit`` the price unit of every row.
    """
    if lt.empty:
        return LOTS.empty()
    lt = lt.drop(~owner.isin(pt.index), "lot of a position that was not loaded (see the "
                                        "position's own row)")
    lt = lt.drop(lt["quantity"].isna(), "lot row has no quantity")
    lt = lt.drop(lt["quantity"].le(0), "lot with a non-positive quantity: short lots are not "
                                       "supported")
    lt = lt.drop(lt["lot_date"].isna(), "lot row has no date")
    if lt.empty:
        return LOTS.empty()
    parent = owner[lt.index]
    parent_unit = pd.Series(unit.reindex(parent.to_numpy()).to_numpy(), index=lt.index)
    basis = _basis(lt["quantity"], lt["price_paid"], parent_unit, lt["total_cost"],
                   lt["value"], lt["total_gain"])
    lots = pd.DataFrame({
        "account": pd.Series(account, index=lt.index, dtype="str"),
        "symbol": lt["symbol"],
        "quantity": lt["quantity"],
        "cost_basis": basis,
        "acquired": lt["lot_date"],
        "lot_id": s.path.name + ":" + lt.line.astype("str"),
        **lt.source(s.path),
    })
    # the lots of a position must add up to its quantity: lots that do not explain their
    # position (a lot moved under another position, one missing) are reported, not loaded
    sums = lots["quantity"].groupby(parent.to_numpy()).sum()
    wrong = []
    for i, got in sums.items():
        held = pt["quantity"][i]
        if abs(got - held) > 1e-6 * max(1.0, abs(held)):
            wrong.append(i)
            notes.append(f"the lots of {pt['symbol'][i]} (line {int(pt.line[i])}) add "
                         f"up to {got:g} shares, but the position holds {held:g}; they are "
                         "not loaded")
    if wrong:
        bad = parent.isin(wrong)
        lt.report(bad, "lot of " + lt["symbol"] + ": the position's lots do not add up to its "
                       "quantity")
        lots = lots[~bad.to_numpy()]
    return lots


FORMATS = [
    FormatSpec(FORMAT, CUSTODIAN, "E*TRADE PortfolioDownload.csv (positions of one account, "
               "lots in the expanded view)", ("text",), detect, load, priority=30),
]
