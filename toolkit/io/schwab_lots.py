"""Charles Schwab per-symbol Lot Details CSV (open lots of one security in one account).

Layout (FORMATS.md 2b; jbms/beancount-import test data, 2020): a banner ``"HYLB Lot Details
for XXXX-4321 as of 02:45 AM ET, 10/25/2020"`` naming the symbol, the account and the date;
a blank line; the header ``"Open Date","Transaction Open","Quantity","Price","Cost/Share",
...,"Cost Basis",...,"Holding Period","Disallowed Loss",`` with a trailing comma; one row per
lot with Open Date ``08/31/2020 00:00:00``; and a ``"Total"`` row (skipped with a reason).

Each lot: ``acquired`` from Open Date, ``cost_basis`` the lot's total Cost Basis, ``term``
from Holding Period (``Short Term`` / ``Long Term``), ``wash_sale_disallowed`` from
Disallowed Loss (``--`` is missing). Short lots (negative quantity) are skipped with a reason.
``Transaction Open`` (``--`` in every known sample) is not used. Without a banner the symbol
comes from ``symbol=`` and the account from ``account=`` or the file name.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from . import _schwab as sw
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import ColumnSpec, norm_header, split_csv_line

FORMAT = "schwab_lot_details"

SPEC = {
    "acquired": ColumnSpec(["Open Date"]),
    "quantity": ColumnSpec(["Quantity"]),
    "cost_basis": ColumnSpec(["Cost Basis"]),
    "term": ColumnSpec(["Holding Period"], required=False),
    "disallowed": ColumnSpec(["Disallowed Loss"], required=False),
}

BANNER = re.compile(r"^(?!Realized Gain/Loss)(?P<symbol>\S.*?) Lot Details for "
                    r"(?P<account>.+?) as of (?P<when>.+)$", re.I)
_TERMS = {"short term": "short", "short-term": "short", "long term": "long",
          "long-term": "long"}


def _is_header(cells: list[str]) -> bool:
    normed = {norm_header(c) for c in cells}
    return "open date" in normed and "quantity" in normed


def _banner(lines: list[str]) -> tuple[int, re.Match] | None:
    for i, line in enumerate(lines[:5]):
        if not line.strip():
            continue
        m = BANNER.match(sw.first_cell(line)) if "Lot Details for" in line else None
        return (i, m) if m else None
    return None


def detect(s: Sniff) -> bool:
    """A ``<SYMBOL> Lot Details for ...`` banner, or an Open Date / Holding Period header."""
    if s.text is None:
        return False
    if _banner(s.text.lines) is not None:
        return True
    return any(n.startswith("open date,") and "holding period" in n and "disallowed loss" in n
               for n in s.first_lines_norm[:5])


def load(s: Sniff, options: dict) -> Export:
    """Load a Schwab lot-details export (see module docstring)."""
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    found = _banner(tf.lines)
    if found is not None:
        bi, m = found
        symbol = m.group("symbol").strip()
        acct_id, acct_name = sw.split_account(m.group("account"))
        as_of = sw.banner_date(m.group("when"), path=path, line=bi + 1)
        start = bi + 1
    else:
        bi = None
        symbol = options.get("symbol")
        acct_id = acct_name = None
        as_of = None
        start = 0
        if not symbol:
            raise FormatError("this lot-details file has no banner naming its symbol; pass "
                              "symbol=... to load_export", path=path)
    account, name = sw.resolve_account(acct_id, acct_name, options, s.path,
                                       what="lot-details file",
                                       line=bi + 1 if bi is not None else None)

    blocks = sw.scan_blocks(tf, start, _is_header, skip, what="lot details")
    if not blocks:
        raise FormatError("no lot-details header (with Open Date and Quantity) was found",
                          path=path, line=start + 1)
    frames = []
    totals: list[tuple[int, float | None]] = []
    for block in blocks:
        raw, tail = sw.read_block(tf, block, SPEC, path=path)
        frames.append(raw)
        for row in tail:
            skip.add(row.line, "total row: the sum of the lots above", row.raw)
            qty = _total_quantity(row.cells, block, tf)
            totals.append((row.line, qty))
    raw = pd.concat(frames, ignore_index=True)
    lots = _lots(raw, s, skip, account, str(symbol))
    for line, qty in totals:
        if qty is not None and not np.isclose(qty, lots["quantity"].sum()):
            notes.append(f"line {line}: the Total row's quantity {qty:,.4f} differs from the "
                         f"sum of the lots {lots['quantity'].sum():,.4f}")
    accounts = pd.DataFrame([{"account": account, "name": name, "custodian": sw.CUSTODIAN}])
    return Export(path=s.path, format=FORMAT, custodian=sw.CUSTODIAN, lots=lots,
                  skipped=skip.frame(), accounts=accounts, as_of=as_of, notes=notes)


def _total_quantity(cells: list[str], block: sw.Block, tf) -> float | None:
    header = [norm_header(c) for c in split_csv_line(tf.lines[block.header])]
    if "quantity" not in header:
        return None
    pos = header.index("quantity")
    if pos >= len(cells):
        return None
    value = clean.number(pd.Series([cells[pos]], dtype="str"), column="Quantity",
                         where=clean.Where(tf.name, pd.Series([None])))
    v = value.iloc[0]
    return None if pd.isna(v) else float(v)


def _lots(raw: pd.DataFrame, s: Sniff, skip: SkipLog, account: str,
          symbol: str) -> pd.DataFrame:
    path = s.text.name
    w = b.where(path, raw)
    qty = clean.number(raw["quantity"], column="Quantity", where=w)
    short = (qty < 0).fillna(False)
    if short.any():
        skip.add_frame(raw[short], "short lot: short positions are not supported")
    zero = (qty == 0).fillna(False) | qty.isna()
    if zero.any():
        skip.add_frame(raw[zero], "lot has no quantity")
    keep = ~(short | zero)
    raw = raw[keep]
    w = b.where(path, raw)
    acquired = clean.date(raw["acquired"], column="Open Date", where=w)
    if acquired.isna().any():
        i = acquired.index[acquired.isna()][0]
        raise w.error(i, "Open Date", "a lot has no open date")
    term = clean.text(b.col(raw, "term")).str.casefold().map(_TERMS).astype("str")
    disallowed = clean.number(b.col(raw, "disallowed"), column="Disallowed Loss", where=w).abs()
    lines = raw["line"].astype("int64")
    return pd.DataFrame({
        "account": pd.Series(account, index=raw.index, dtype="str"),
        "symbol": pd.Series(symbol, index=raw.index, dtype="str"),
        "quantity": qty[keep],
        "cost_basis": clean.number(raw["cost_basis"], column="Cost Basis", where=w),
        "acquired": acquired,
        "holding_start": acquired,
        "term": term,
        "wash_sale_disallowed": disallowed,
        "lot_id": (s.path.name + ":" + lines.astype("str")).astype("str"),
        **b.source_columns(raw, s.path),
    })


FORMATS = [
    FormatSpec(FORMAT, sw.CUSTODIAN, "Schwab Lot Details CSV (open lots of one symbol)",
               ("text",), detect, load, priority=20),
]
