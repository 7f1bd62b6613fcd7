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

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, find_line, norm_line, split_csv_line

FORMAT = "fidelity_positions"

SPEC = {
    "account": Col.text("Account Number", need=True, missing="row names no account"),
    "account_name": Col.text("Account Name", required=False),
    "symbol": Col.raw("Symbol"),  # raw: the ``**`` cash mark and pending rows are read first
    "description": Col.text("Description", required=False),
    "quantity": Col.quantity("Quantity"),
    "price": Col.money("Last Price", required=False),
    "market_value": Col.money("Current Value", need=True, missing="row has no current value"),
    "cost_basis": Col.money("Cost Basis Total", "Cost Basis", required=False),
    "type": Col.text("Type", required=False),
}

FOOTER = re.compile(r"^\"?\s*(Date downloaded|The data and information|Brokerage services|"
                    r"Fidelity Brokerage|Fidelity Investments|Custody)", re.I)
_DOWNLOADED = re.compile(
    r"Date downloaded\"?\s*,?\s*([A-Za-z]{3}-\d{1,2}-\d{4}|\d{1,2}/\d{1,2}/\d{4})", re.I)
_FILENAME_DATE = re.compile(r"([A-Za-z]{3}-\d{2}-\d{4})")
_CASH_SYMBOL = re.compile(r"^[A-Z0-9]+\*{2,3}$")
_PENDING = "pending activity: a cash adjustment in transit, not a holding"
_SPLIT = ("pending activity whose amount is cut by an unquoted thousands separator ($8,907.73 "
          "written without quotes): its amount cannot be read")
#: A money cell cut by an unquoted thousands comma: ``$8`` followed by a cell ``907.73``.
_HEAD = re.compile(r"^[-+]?\(?\$?\d{1,3}$")
_GROUP = re.compile(r"^\d{3}(?:\.\d*)?\)?$")


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


def _with_value(reason: str, value: pd.Series) -> pd.Series:
    return reason + value.map(lambda v: f" (value {v:,.2f})" if pd.notna(v) else "")


def load(s: Sniff, options: dict) -> Export:
    """Load a Fidelity positions export (see module docstring)."""
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, _is_header, limit=5)
    if h is None:
        raise FormatError("no Fidelity positions header (Account Number, ..., Symbol, ..., "
                          "Current Value) in the first 5 lines", path=path)
    b.report_leading(tf, h, skip, "positions")
    end = b.table_end(tf, h + 1, FOOTER)
    raw, binding = b.read_table(tf, h, end, SPEC, path=path, skip=skip)

    # Rows that are not holdings are set apart on their text first, whatever their cell
    # count: the Pending activity row often stops after the amount (FORMATS.md 1a).
    account = clean.text(raw["account"])
    sym_raw = clean.text(raw["symbol"])
    desc = clean.text(b.col(raw, "description"))
    pending = sym_raw.str.casefold().eq("pending activity").fillna(False)
    wrapper = sym_raw.isna() & desc.str.upper().str.contains("BROKERAGELINK").fillna(False)
    nosym = sym_raw.isna() & ~wrapper
    value, _ = clean.parse_numbers(raw["market_value"])
    if pending.any():
        rows = raw[pending]
        # a pending row's cell count is free (it may stop after the amount), so a cut amount
        # shows only in the cells themselves
        cut = _cut_amount(rows, binding.positions["market_value"])
        value = value.mask(cut.reindex(value.index, fill_value=False))
        reason = _with_value(_PENDING, value[pending]).mask(cut, _SPLIT)
        skip.add_frame(rows, reason, account=account[pending])
    for mask, reason in (
        (wrapper, "BrokerageLink wrapper row: its holdings are listed under the "
                  "BrokerageLink account"),
        (nosym, "row has no symbol or CUSIP"),
    ):
        if mask.any():
            skip.add_frame(raw[mask], _with_value(reason, value[mask]), account=account[mask])
    pend = _pending(raw[pending], account[pending], value[pending], s, skip, notes)

    t = b.convert(raw[~(pending | wrapper | nosym)], SPEC, path=path, skip=skip,
                  binding=binding)
    sym = clean.symbol(t["symbol"])
    cash = (t["symbol"].str.strip().str.match(_CASH_SYMBOL).fillna(False)
            | t["description"].str.match(b.CASH_DESCRIPTIONS).fillna(False))
    value = t["market_value"]
    # Cash rows: quantity is the dollar value at $1 (empty in 2025-26 files), basis = value.
    qty = t["quantity"].where(~cash | t["quantity"].notna(), value)
    price = t["price"].where(~cash | t["price"].notna(), 1.0)
    basis = t["cost_basis"].where(~cash | t["cost_basis"].notna(), value)
    security_type = pd.Series(pd.NA, index=t.index, dtype="str")
    security_type = security_type.mask(cash, "money_market")
    security_type = security_type.mask(sym.str.startswith("-").fillna(False), "option")
    positions = pd.DataFrame({
        "account": t["account"],
        "symbol": sym,
        "cusip": clean.cusips(sym),
        "description": t["description"],
        "quantity": qty,
        "price": price,
        "market_value": value,
        "cost_basis": basis,
        "asset_class": pd.Series(pd.NA, index=t.index, dtype="str").mask(cash, "cash"),
        "security_type": security_type,
        **t.source(s.path),
    })
    positions = _join_sub_accounts(positions, t["type"], notes)
    accounts = pd.DataFrame({
        "account": account,
        "name": clean.text(b.col(raw, "account_name")),
        "custodian": "fidelity",
    }).dropna(subset=["account"]).drop_duplicates("account")

    b.report_trailing(tf, end, skip, "positions")
    return Export(path=s.path, format=FORMAT, custodian="fidelity", positions=positions,
                  pending=pend, skipped=skip.frame(), accounts=accounts,
                  as_of=_as_of(tf.lines, s.path), notes=notes)


def _cut_amount(rows: pd.DataFrame, at: int) -> pd.Series:
    """Rows whose amount cell (position ``at``) is cut by an unquoted thousands comma.

    ``$8,907.73`` without quotes reads as the cells ``$8`` and ``907.73``.
    """
    def cut(raw: str) -> bool:
        cells = [c.strip() for c in split_csv_line(raw)]
        return (len(cells) > at + 1 and bool(_HEAD.match(cells[at]))
                and bool(_GROUP.match(cells[at + 1])))
    return rows["raw"].map(cut).astype(bool)


def _pending(rows: pd.DataFrame, account: pd.Series, value: pd.Series, s: Sniff,
             skip: SkipLog, notes: list[str]) -> pd.DataFrame:
    """Pending activity rows as cash in transit (their skipped rows are already reported)."""
    ok = account.notna() & value.notna()
    if (~ok).any():
        lines = ", ".join(str(x) for x in rows.loc[~ok, "line"])
        notes.append(f"pending activity on line(s) {lines} has no readable account or amount; "
                     "it is not counted as cash in transit")
    rows = rows[ok]
    return b.pending_frame(rows.index, account=account[ok], amount=value[ok],
                           description=pd.Series("Pending activity", index=rows.index,
                                                 dtype="str"),
                           source=b.source_columns(rows, s.path))


def _join_sub_accounts(positions: pd.DataFrame, kind: pd.Series,
                       notes: list[str]) -> pd.DataFrame:
    """One holding per account and symbol.

    Fidelity lists a security held in both the cash
    and the margin sub-account (Type ``Cash``/``Margin``) on two rows; they are summed.
    """
    key = positions["account"] + "\x1f" + positions["symbol"]
    kinds = kind.fillna("").str.casefold().groupby(key).transform("nunique")
    split = key.duplicated(keep=False) & kinds.gt(1)
    if not split.any():
        return positions
    parts = positions[split]
    summed = parts.groupby(key[split], sort=False).agg(
        account=("account", "first"), symbol=("symbol", "first"), cusip=("cusip", "first"),
        description=("description", "first"), quantity=("quantity", "sum"),
        price=("price", "first"), market_value=("market_value", "sum"),
        cost_basis=("cost_basis", lambda v: v.sum(min_count=len(v))),
        asset_class=("asset_class", "first"), security_type=("security_type", "first"),
        source_file=("source_file", "first"), source_line=("source_line", "first"),
    ).reset_index(drop=True)
    for r in summed.itertuples():
        lines = parts.loc[key[split] == f"{r.account}\x1f{r.symbol}", "source_line"]
        notes.append(f"{r.account} {r.symbol}: held in the cash and margin sub-accounts (lines "
                     f"{', '.join(str(x) for x in lines)}); the rows are summed into one "
                     "holding")
    return pd.concat([positions[~split], summed], ignore_index=True).sort_values(
        "source_line", kind="stable").reset_index(drop=True)


FORMATS = [
    FormatSpec(FORMAT, "fidelity", "Fidelity Portfolio_Positions CSV (all accounts)",
               ("text",), detect, load, priority=10),
]
