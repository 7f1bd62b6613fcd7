"""Charles Schwab Realized Gain/Loss CSV (closed lots) into ``Export.realized``.

Layouts (FORMATS.md 2c):

- **2021** (``XXXX1234_GainLoss_Realized_YYYYMMDD-HHMMSS.CSV``): an unquoted title ``Realized
  Gain/Loss for ...234 for 08/29/2021 to 09/28/2021 as of Tue Sep 28  23:17:11 EDT 2021``,
  then 22 quoted columns (``Closed Date``, ``Quantity``, ``Proceeds``, ``CostBasis``, ``Total
  Gain/Loss ($)``, ``Long Term Gain/Loss ($)``, ``Short Term Gain/Loss ($)``, ``Wash Sale?``,
  ``Disallowed Loss``, ...). There is no acquisition date and no Term column: the term is
  read from which of the long/short gain cells is filled (missing when both are).
- **2024-26 "Lot Details" view**: a title ``Realized Gain/Loss - Lot Details for <account> as
  of Tue Mar 03  19:13:09 EDT 2026 from 01/01/2026 to 03/03/2026`` (quoted and padded to 25
  cells, or unquoted), where ``<account>`` is an id (``...615``), a nickname
  (``Joint_Tenant``) or ``All_Accounts``; with ``All_Accounts`` one block per account, each
  an account line (``Individual Brokerage ...1234``), the header repeated and rows. Columns
  include ``Opened Date``, ``Cost Basis (CB)``, ``Gain/Loss ($)``, ``Term``, ``Wash Sale?``
  and ``Disallowed Loss``.
- The other synthetic variant: ``Proceeds/Share``, ``Total Proceeds``, ``Cost Basis``,
  ``Gain/Loss $``, ``LT Gain/Loss``, ``ST Gain/Loss``, ``Term``, ``Wash Sale?``,
  ``Disallowed Loss``, ``Cost Basis Method``; ``Wash Sale?`` may be ``YES``/``NO``.

``gain`` is Schwab's gain before the wash-sale adjustment (falling back to proceeds minus
cost basis); ``wash_sale_disallowed`` is the Disallowed Loss (0 when ``Wash Sale?`` is No).
``as_of`` is the end of the report's period (``to MM/DD/YYYY``), else the run date. Rows
named ``Total`` are skipped with a reason; rows with a non-positive quantity too.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.errors import FormatError

from . import _build as b
from . import _clean as clean
from . import _schwab as sw
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, norm_header

FORMAT = "schwab_realized"

SPEC = {
    "symbol": Col.symbol("Symbol", need=True, missing="row has no symbol"),
    "name": Col.text("Name", "Description", required=False),
    "sold": Col.date("Closed Date", need=True, missing="a closed lot has no closed date"),
    "acquired": Col.date("Opened Date", "Open Date", "Date Acquired", required=False),
    "quantity": Col.quantity("Quantity", "Qty", need=True, missing="row has no quantity"),
    "proceeds": Col.money("Proceeds", "Total Proceeds"),
    "cost_basis": Col.money("Cost Basis (CB)", "CostBasis", "Cost Basis"),
    "gain": Col.money("Gain/Loss ($)", "Gain/Loss $", "Total Gain/Loss ($)", required=False),
    "lt_gain": Col.money("Long Term Gain/Loss ($)", "Long Term Gain/Loss", "LT Gain/Loss",
                         required=False),
    "st_gain": Col.money("Short Term Gain/Loss ($)", "Short Term Gain/Loss", "ST Gain/Loss",
                         required=False),
    "term": Col.text("Term", required=False),
    "wash": Col.text("Wash Sale?", required=False),
    "disallowed": Col.money("Disallowed Loss", required=False),
    "account": Col.text("(account)", required=False),  # from the block's account line
}

TITLE_2021 = re.compile(r"^Realized Gain/Loss for (?P<account>.+?) for (?P<start>\S+) to "
                        r"(?P<end>\S+) as of (?P<when>.+)$", re.I)
TITLE_LOTS = re.compile(r"^Realized Gain/Loss - Lot Details for (?P<account>.+?) as of "
                        r"(?P<when>.+?)(?: from (?P<start>\S+) to (?P<end>\S+))?$", re.I)
_ALL = re.compile(r"^All[_ -]Accounts$", re.I)
_TERMS = {"short term": "short", "short-term": "short", "short": "short",
          "long term": "long", "long-term": "long", "long": "long"}


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and norm_header(cells[0]) == "symbol" and \
        sum(1 for c in cells if c.strip()) >= 2


def _title(lines: list[str]) -> tuple[int, re.Match] | None:
    for i, line in enumerate(lines[:5]):
        if not line.strip():
            continue
        if "Realized Gain/Loss" not in line:
            return None
        cell = sw.first_cell(line)
        m = TITLE_LOTS.match(cell) or TITLE_2021.match(cell)
        return (i, m) if m else None
    return None


def detect(s: Sniff) -> bool:
    """A ``Realized Gain/Loss ...`` title, or a header starting Symbol, Name, Closed Date."""
    if s.kind != "text":
        return False
    if _title(s.head_lines) is not None:
        return True
    return any(n.startswith("symbol,name,closed date,") for n in s.first_lines_norm[:3])


def load(s: Sniff, options: dict) -> Export:
    """Load a Schwab realized gain/loss export (see module docstring)."""
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    found = _title(tf.lines)
    title_label = None
    as_of = None
    multi = False
    ti = None
    start = 0
    if found is not None:
        ti, m = found
        start = ti + 1
        label = m.group("account").strip()
        if _ALL.match(label):
            multi = True
        else:
            title_label = label
        if m.group("end"):
            as_of = clean.date_value(m.group("end"), column="title", path=path, line=ti + 1)
        if as_of is None:
            as_of = sw.stamp_date(m.group("when"), path=path, line=ti + 1)

    blocks = sw.scan_blocks(tf, start, _is_header, skip, what="realized gain/loss")
    if not blocks:
        raise FormatError("no realized gain/loss header (a row starting with \"Symbol\") was "
                          "found", path=path, line=start + 1)
    frames = []
    account_rows = []
    for block in blocks:
        raw, tail, binding = sw.read_block(tf, block, SPEC, path=path, skip=skip)
        label = block.label if block.label is not None else title_label
        acct_id, acct_name = sw.split_account(label)
        what = ("block of an all-accounts realized gain/loss file"
                if multi and block.label is None else "realized gain/loss file")
        account, name = sw.resolve_account(
            acct_id, acct_name, options, s.path, what=what,
            line=block.label_line or (ti + 1 if ti is not None else None))
        account_rows.append({"account": account, "name": name, "custodian": sw.CUSTODIAN})
        for row in tail:
            head = row.cells[0].strip() if row.cells else ""
            skip.add(row.line, f"{head.lower()} row: a sum of the lots above", row.raw,
                     account=account)
        raw = raw.assign(account=pd.Series(account, index=raw.index, dtype="str"))
        frames.append(_realized(b.convert(raw, SPEC, path=path, skip=skip, binding=binding),
                                s, notes))
    realized = pd.concat(frames, ignore_index=True)
    accounts = pd.DataFrame(account_rows).drop_duplicates("account")
    return Export(path=s.path, format=FORMAT, custodian=sw.CUSTODIAN, realized=realized,
                  skipped=skip.frame(), accounts=accounts, as_of=as_of, notes=notes)


def _realized(t: b.Table, s: Sniff, notes: list[str]) -> pd.DataFrame:
    t = t.drop(~(t["quantity"] > 0), "quantity is not positive: closed short positions are "
                                     "not supported")
    lt, st = t["lt_gain"], t["st_gain"]
    term = t["term"].str.casefold().map(_TERMS)
    has_lt = lt.notna() & (lt != 0)
    has_st = st.notna() & (st != 0)
    from_gains = pd.Series(pd.NA, index=t.index, dtype="object")
    from_gains = from_gains.mask(has_lt & ~has_st, "long").mask(has_st & ~has_lt, "short")
    both = term.isna() & has_lt & has_st
    term = term.where(term.notna(), from_gains).astype("str")
    if both.any():
        lines = ", ".join(str(v) for v in t.line[both].head(5))
        notes.append(f"{int(both.sum())} closed lot(s) report both a long-term and a "
                     f"short-term gain (line {lines}); their term is left missing")
    wash = t["wash"].str.casefold()
    disallowed = t["disallowed"].abs()
    disallowed = disallowed.where(disallowed.notna() | ~wash.isin(["no", "n", "false"]), 0.0)
    return b.realized_frame(
        t.index, account=t["account"], symbol=t["symbol"], quantity=t["quantity"],
        sold=t["sold"], acquired=t["acquired"], proceeds=t["proceeds"],
        cost_basis=t["cost_basis"], gain=t["gain"], term=term,
        wash_sale_disallowed=disallowed, source=t.source(s.path), notes=notes)


FORMATS = [
    FormatSpec(FORMAT, sw.CUSTODIAN, "Schwab Realized Gain/Loss CSV (2021 and Lot Details)",
               ("text",), detect, load, priority=20),
]
