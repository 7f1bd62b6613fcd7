"""Fidelity ``Portfolio_Positions_Mon-DD-YYYY.csv``: positions of every account in one file.

Layout (FORMATS.md 1a): no preamble, UTF-8 BOM, CRLF; a 16-column header in title case, or
in sentence case from July 2026, or a reduced user-chosen set; data rows that may end in a
trailing comma; ``**`` money-market rows whose quantity and price may be empty; a
``Pending activity`` row (a cash adjustment, not a holding); 401(k) rows with CUSIP symbols
and a blank Type; options with a leading space; a ``BROKERAGELINK`` wrapper row; then a
blank line, quoted disclaimers and a ``Date downloaded`` line.
"""

from __future__ import annotations

import re

import pandas as pd

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import ColumnSpec, find_line, norm_line

FORMAT = "fidelity_positions"

SPEC = {
    "account": ColumnSpec(["Account Number"]),
    "account_name": ColumnSpec(["Account Name"], required=False),
    "symbol": ColumnSpec(["Symbol"]),
    "description": ColumnSpec(["Description"], required=False),
    "quantity": ColumnSpec(["Quantity"]),
    "price": ColumnSpec(["Last Price"], required=False),
    "market_value": ColumnSpec(["Current Value"]),
    "cost_basis": ColumnSpec(["Cost Basis Total", "Cost Basis"], required=False),
    "type": ColumnSpec(["Type"], required=False),
}

FOOTER = re.compile(r"^\"?\s*(Date downloaded|The data and information|Brokerage services|"
                    r"Fidelity Brokerage|Fidelity Investments|Custody)", re.I)
_DOWNLOADED = re.compile(
    r"Date downloaded\"?\s*,?\s*([A-Za-z]{3}-\d{1,2}-\d{4}|\d{1,2}/\d{1,2}/\d{4})", re.I)
_FILENAME_DATE = re.compile(r"([A-Za-z]{3}-\d{2}-\d{4})")
_CASH_SYMBOL = re.compile(r"^[A-Z0-9]+\*{2,3}$")


def _is_header(line: str) -> bool:
    n = norm_line(line)
    return n.startswith("account number,") and ",symbol," in n and "current value" in n


def detect(s: Sniff) -> bool:
    """A header with Account Number, Symbol and Current Value in the first lines."""
    return any(n.startswith("account number,") and ",symbol," in n and "current value" in n
               for n in s.first_lines_norm[:5])


def _as_of(lines: list[str], path) -> pd.Timestamp | None:
    for line in reversed(lines[-40:]):
        m = _DOWNLOADED.search(line)
        if m:
            return clean.date_value(m.group(1), path=str(path))
    m = _FILENAME_DATE.search(path.name)
    if m:
        return clean.date_value(m.group(1), path=str(path))
    return None


def load(s: Sniff, options: dict) -> Export:
    """Load a Fidelity positions export (see module docstring)."""
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    h = find_line(tf, _is_header, limit=5)
    end = b.table_end(tf, h + 1, FOOTER)
    raw, _ = b.read_table(tf, h, end, SPEC, path=path)
    w = b.where(path, raw)

    sym_raw = clean.text(raw["symbol"])
    desc = clean.text(b.col(raw, "description"))
    pending = sym_raw.str.casefold().eq("pending activity").fillna(False)
    cash = (sym_raw.str.match(_CASH_SYMBOL).fillna(False)
            | desc.str.match(b.CASH_DESCRIPTIONS).fillna(False))
    wrapper = sym_raw.isna() & desc.str.upper().str.contains("BROKERAGELINK").fillna(False)
    nosym = sym_raw.isna() & ~wrapper

    mv = clean.number(raw["market_value"], column="Current Value", where=w)
    for mask, reason in (
        (pending, "pending activity: a cash adjustment in transit, not a holding"),
        (wrapper, "BrokerageLink wrapper row: its holdings are listed under the "
                  "BrokerageLink account"),
        (nosym, "row has no symbol or CUSIP"),
    ):
        if mask.any():
            rows = raw[mask]
            skip.add_frame(rows, reason + rows.index.map(
                lambda i: f" (value {mv[i]:,.2f})" if pd.notna(mv[i]) else "").to_series(
                    index=rows.index))
    nomv = mv.isna() & ~(pending | wrapper | nosym)
    if nomv.any():
        skip.add_frame(raw[nomv], "row has no current value")
    keep = ~(pending | wrapper | nosym | nomv)
    raw = raw[keep]
    w = b.where(path, raw)
    cash = cash[keep]
    sym = clean.symbol(raw["symbol"])
    qty = clean.number(raw["quantity"], column="Quantity", where=w)
    price = clean.number(b.col(raw, "price"), column="Last Price", where=w)
    value = mv[keep]
    basis = clean.number(b.col(raw, "cost_basis"), column="Cost Basis Total", where=w)
    # Cash rows: quantity is the dollar value at $1 (empty in 2025-26 files), basis = value.
    qty = qty.where(~cash | qty.notna(), value)
    price = price.where(~cash | price.notna(), 1.0)
    basis = basis.where(~cash | basis.notna(), value)
    security_type = pd.Series(pd.NA, index=raw.index, dtype="str")
    security_type = security_type.mask(cash, "money_market")
    security_type = security_type.mask(sym.str.startswith("-").fillna(False), "option")
    account = clean.text(raw["account"])
    positions = pd.DataFrame({
        "account": account,
        "symbol": sym,
        "cusip": clean.cusips(sym),
        "description": desc[keep],
        "quantity": qty,
        "price": price,
        "market_value": value,
        "cost_basis": basis,
        "asset_class": pd.Series(pd.NA, index=raw.index, dtype="str").mask(cash, "cash"),
        "security_type": security_type,
        **b.source_columns(raw, s.path),
    })
    accounts = pd.DataFrame({
        "account": account,
        "name": clean.text(b.col(raw, "account_name")),
        "custodian": "fidelity",
    }).drop_duplicates("account")

    b.report_trailing(tf, end, skip, "positions")
    return Export(path=s.path, format=FORMAT, custodian="fidelity", positions=positions,
                  skipped=skip.frame(), accounts=accounts, as_of=_as_of(tf.lines, s.path))


FORMATS = [
    FormatSpec(FORMAT, "fidelity", "Fidelity Portfolio_Positions CSV (all accounts)",
               ("text",), detect, load, priority=10),
]
