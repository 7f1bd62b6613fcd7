"""Charles Schwab positions: ``<Nickname>-Positions-YYYY-MM-DD-HHMMSS.csv`` and all-accounts files.

Layout (FORMATS.md 2a): a banner ``"Positions for account Brokerage XXXX-1234 as of 06:04 PM
ET, 11/15/2020"`` (single account), ``"Positions for All-Accounts as of ..."`` or
``"Positions for CUSTACCS as of ..."`` (one block per account), dated MM/DD/YYYY up to 2021
and in CUSTACCS banners, YYYY/MM/DD in 2023+ single-account banners. Quirks handled:

- every header generation: the 25-column 2019-21 header with a trailing comma; the 17-column
  2022-24 header (banner padded to 17 cells, then a row of 17 ``""``); the 2025 ``Qty
  (Quantity)`` / ``Mkt Val (Market Value)`` labels; the Dec 2025 empty column after
  Description with Price before Qty; the Apr 2026 ``Asset Type``; and user-chosen reduced
  column sets (columns are bound by name);
- multi-account files: per block an account line (``"Individual ...123"``, ``"Brokerage
  XXXX-1234"``, padded or not), the header repeated, rows, ``Account Total``, blank lines;
- ``Cash & Cash Investments`` (2020+) and ``Cash & Money Market`` (2019) rows become a cash
  position (symbol ``CASH``, asset_class ``cash``, quantity = value at price 1);
- ``Account Total`` / ``Positions Total`` rows (often shorter than the header), ``Futures
  Cash`` and ``Futures Positions Market Value`` rows are skipped with reasons;
- Cost Basis ``Incomplete``/``--``/``N/A`` is missing; options rows (``SMAL 04/01/2020 32.00
  P``, numbers unquoted) are kept with the file's Security Type.

The account id is kept as written (``...234``, ``XXXX-1234``) and the name part of the label
(``Individual``, ``Roth Contributory IRA``) goes to ``Export.accounts``. A banner that names
the account only by nickname falls back to ``account=``, then the file name.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from . import _schwab as sw
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, find_line, norm_header

FORMAT = "schwab_positions"

SPEC = {
    "symbol": Col.raw("Symbol"),  # raw: cash, totals and futures rows are read first
    "description": Col.text("Description", required=False),
    "quantity": Col.quantity("Quantity", "Qty (Quantity)", "Qty", required=False),
    "price": Col.money("Price", required=False),
    "market_value": Col.money("Market Value", "Mkt Val (Market Value)", "Mkt Val", need=True,
                              missing="row has no market value"),
    "cost_basis": Col.money("Cost Basis", required=False),
    "security_type": Col.text("Security Type", "Asset Type", required=False),
    "account": Col.text("(account)", required=False),  # from the block's account line
}

BANNER = re.compile(r"^Positions for (?P<what>.+?) as of (?P<when>.+)$", re.I)
_MULTI = re.compile(r"^(All[- ]Accounts|CUSTACCS)$", re.I)
_CASH = re.compile(r"^cash\s*(&|and)\s*(cash investments|money market)$", re.I)
_TOTALS = re.compile(r"^(account total|positions total|total|totals)$", re.I)
_FILENAME_DATE = re.compile(r"Positions-(\d{4}-\d{2}-\d{2})")
#: Header labels only Schwab positions files use (for files without a banner).
_SCHWAB_LABELS = {"qty (quantity)", "mkt val (market value)", "% of acct (% of account)",
                  "reinvest dividends?", "% of account"}
_VALUE_LABELS = {"market value", "mkt val (market value)", "mkt val"}


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and norm_header(cells[0]) == "symbol" and \
        sum(1 for c in cells if c.strip()) >= 2


def _banner(lines) -> int | None:
    for i, line in enumerate(lines[:5]):
        if line.lstrip().startswith(('"Positions for', "Positions for")) and \
                BANNER.match(sw.first_cell(line)):
            return i
        if line.strip():
            return None
    return None


def detect(s: Sniff) -> bool:
    """A ``Positions for ... as of ...`` banner, or a header with Schwab-only labels."""
    if s.kind != "text":
        return False
    if _banner(s.head_lines) is not None:
        return True
    for n in s.first_lines_norm[:5]:
        cells = n.split(",")
        if cells and cells[0] == "symbol" and (set(cells) & _SCHWAB_LABELS) \
                and (set(cells) & _VALUE_LABELS):
            return True
    return False


def load(s: Sniff, options: dict) -> Export:
    """Load a Schwab positions export (see module docstring)."""
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []

    bi = _banner(tf.lines)
    as_of = None
    banner_label = None
    multi = False
    if bi is not None:
        m = BANNER.match(sw.first_cell(tf.lines[bi]))
        what = m.group("what").strip()
        as_of = sw.banner_date(m.group("when"), path=path, line=bi + 1)
        if what.lower().startswith("account "):
            banner_label = what[len("account "):].strip()
        elif _MULTI.match(what):
            multi = True
        else:
            banner_label = what
    if as_of is None:
        fm = _FILENAME_DATE.search(s.path.name)
        if fm:
            as_of = clean.date_value(fm.group(1), path=path)

    start = bi + 1 if bi is not None else 0
    blocks = sw.scan_blocks(tf, start, _is_header, skip, what="positions")
    if not blocks:
        first = find_line(tf, lambda ln: bool(ln.strip()), start=start)
        raise FormatError("no positions header (a row starting with \"Symbol\") was found "
                            "after the banner", path=path,
                            line=(first + 1) if first is not None else None)

    frames = []
    account_rows = []
    for block in blocks:
        raw, tail, binding = sw.read_block(tf, block, SPEC, path=path, skip=skip)
        label = block.label if block.label is not None else banner_label
        acct_id, acct_name = sw.split_account(label)
        if block.label is None and multi:
            what = "block of an all-accounts positions file"
        else:
            what = "positions file"
        account, name = sw.resolve_account(acct_id, acct_name, options, s.path, what=what,
                                           line=block.label_line or (bi + 1 if bi is not None
                                                                     else None))
        account_rows.append({"account": account, "name": name, "custodian": sw.CUSTODIAN})
        for row in tail:
            _skip_summary(skip, row.line, row.cells, row.raw)
        raw = raw.assign(account=pd.Series(account, index=raw.index, dtype="str"))
        frames.append(_positions(raw, binding, s, skip))

    positions = pd.concat(frames, ignore_index=True)
    accounts = pd.DataFrame(account_rows).drop_duplicates("account")
    return Export(path=s.path, format=FORMAT, custodian=sw.CUSTODIAN, positions=positions,
                  skipped=skip.frame(), accounts=accounts, as_of=as_of, notes=notes)


def _skip_summary(skip: SkipLog, line: int, cells: list[str], text: str) -> None:
    head = cells[0].strip() if cells else ""
    low = head.casefold()
    if low in ("futures cash", "futures positions market value"):
        skip.add(line, _futures_reason(low), text)
    else:
        skip.add(line, f"{head.lower()} row: a sum of the rows above, not a holding", text)


def _futures_reason(low: str) -> str:
    if low == "futures cash":
        return "futures cash: the futures sub-account's cash, not a securities position"
    return "futures positions market value: a summary of futures positions, not a holding"


def _positions(raw: pd.DataFrame, binding, s: Sniff, skip: SkipLog) -> pd.DataFrame:
    path = s.text.name
    sym_raw = clean.text(raw["symbol"])
    low = sym_raw.str.casefold()
    futures = low.isin(["futures cash", "futures positions market value"]).fillna(False)
    totals = sym_raw.str.match(_TOTALS).fillna(False).astype(bool)
    nosym = sym_raw.isna()
    for i in raw.index[futures | totals]:
        _skip_summary(skip, int(raw.at[i, "line"]), [sym_raw[i]], raw.at[i, "raw"])
    if nosym.any():
        skip.add_frame(raw[nosym], "row has no symbol", account=raw["account"])
    t = b.convert(raw[~(futures | totals | nosym)], SPEC, path=path, skip=skip,
                  binding=binding)
    sym_raw = clean.text(t["symbol"])
    cash = sym_raw.str.match(_CASH).fillna(False).astype(bool)
    value = t["market_value"]
    sym = clean.symbol(t["symbol"]).mask(cash, "CASH")
    qty = t["quantity"].where(~cash, value)
    price = t["price"].where(~cash, 1.0)
    basis = t["cost_basis"].where(~cash, value)
    desc = t["description"]
    desc = desc.where(~cash | desc.notna(), sym_raw)
    return pd.DataFrame({
        "account": t["account"],
        "symbol": sym,
        "cusip": clean.cusips(sym),
        "description": desc,
        "quantity": qty,
        "price": price,
        "market_value": value,
        "cost_basis": basis,
        "asset_class": pd.Series(pd.NA, index=t.index, dtype="str").mask(cash, "cash"),
        "security_type": t["security_type"],
        **t.source(s.path),
    })


FORMATS = [
    FormatSpec(FORMAT, sw.CUSTODIAN, "Schwab Positions CSV (one account or all accounts)",
               ("text",), detect, load, priority=20),
]
