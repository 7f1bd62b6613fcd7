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
from ._text import Col, norm_header, split_csv_line

FORMAT = "schwab_lot_details"

SPEC = {
    "acquired": Col.date("Open Date", need=True, missing="a lot has no open date"),
    "quantity": Col.quantity("Quantity"),
    "cost_basis": Col.money("Cost Basis"),
    "term": Col.text("Holding Period", required=False),
    "disallowed": Col.money("Disallowed Loss", required=False),
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
    if s.kind != "text":
        return False
    if _banner(s.head_lines) is not None:
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
    ctx = {"account": account, "symbol": str(symbol)}
    for block in blocks:
        raw, tail, binding = sw.read_block(tf, block, SPEC, path=path, skip=skip)
        frames.append(_lots(b.convert(raw, SPEC, path=path, skip=skip, binding=binding,
                                      context=ctx), s, account, str(symbol)))
        for row in tail:
            skip.add(row.line, "total row: the sum of the lots above", row.raw,
                     account=account, symbol=str(symbol))
            qty = _total_quantity(row.cells, block, tf)
            totals.append((row.line, qty))
    lots = pd.concat(frames, ignore_index=True)
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
    v = clean.parse_numbers(pd.Series([cells[pos]], dtype="str"))[0].iloc[0]
    return None if pd.isna(v) else float(v)


def _lots(t: b.Table, s: Sniff, account: str, symbol: str) -> pd.DataFrame:
    t = t.drop(t["quantity"].lt(0), "short lot: short positions are not supported")
    t = t.drop(t["quantity"].isna() | t["quantity"].eq(0), "lot has no quantity")
    term = t["term"].str.casefold().map(_TERMS).astype("str")
    return pd.DataFrame({
        "account": pd.Series(account, index=t.index, dtype="str"),
        "symbol": pd.Series(symbol, index=t.index, dtype="str"),
        "quantity": t["quantity"],
        "cost_basis": t["cost_basis"],
        "acquired": t["acquired"],
        "holding_start": t["acquired"],
        "term": term,
        "wash_sale_disallowed": t["disallowed"].abs(),
        "lot_id": (s.path.name + ":" + t.line.astype("str")).astype("str"),
        **t.source(s.path),
    })


FORMATS = [
    FormatSpec(FORMAT, sw.CUSTODIAN, "Schwab Lot Details CSV (open lots of one symbol)",
               ("text",), detect, load, priority=20),
]
