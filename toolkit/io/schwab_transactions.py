"""Charles Schwab brokerage transaction history: CSV (every generation) and JSON.

CSV layouts (FORMATS.md 2d):

- **up to 2021**: banner ``"Transactions  for account Brokerage XXXX-1234 as of 11/15/2020
  18:00:21 ET"`` (two spaces), header ``"Date","Action","Symbol","Description","Quantity",
  "Price","Fees & Comm","Amount",`` with a trailing comma, rows with or without it, and a
  footer ``Transactions Total,"",...,$0.00``;
- **2022 to mid-2023**: the banner names ``...234`` (``as of 08/03/2022 02:16:23 AM ET``,
  later ``YYYY/MM/DD``), no trailing comma on rows, footer ``"Transactions Total",...,
  "-$1,574.04",``;
- **late 2023 on**: the header on line 1, no banner and (usually) no footer; the account
  is only in the file name (``Individual_XXX178_Transactions_20250309-115444.csv``), so it
  comes from ``account=``, else the file name, else a FormatError asks for ``account=``.
  Price may come before Quantity (columns are bound by name).

JSON (FORMATS.md 2e): ``{"FromDate", "ToDate", "TotalTransactionsAmount",
"BrokerageTransactions": [{"Date", "Action", "Symbol", "Description", "Quantity", "Price",
"Fees & Comm", "Amount"}, ...]}`` with every value a string in the CSV's formats; detected
by its keys. Each row's ``source_line`` is the line where its object starts. Malformed JSON
raises FormatError with the decoder's line and column.

Rows: ``date`` is the trade date (``04/17/2023 as of 04/15/2023`` gives 04/15/2023);
Schwab's action vocabulary maps to :class:`~toolkit.schema.Action` (see ``ACTIONS``; cash
movements in or out of the household take their direction from the amount's sign, share
and cash journals from the quantity's, else the amount's); Buy/Sell quantities, written
unsigned, get their sign (+ bought, - sold); ``Reinvest Dividend`` is the dividend (+cash)
and ``Reinvest Shares`` the purchase (action ``reinvest``); unknown actions become
``other`` with their text kept and a note. A footer total that disagrees with the sum of
the amounts is noted.
"""

from __future__ import annotations

import bisect
import json
import re

import pandas as pd

from toolkit.errors import FormatError, MissingColumnError
from toolkit.schema import TRANSACTIONS, Action

from . import _build as b
from . import _clean as clean
from . import _schwab as sw
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, TextFile, find_line, norm_line, shorten, split_csv_line

FORMAT = "schwab_transactions"
FORMAT_JSON = "schwab_transactions_json"

SPEC = {
    "date": Col.date("Date", need=True, missing="a transaction has no date"),
    "action": Col.text("Action"),
    "symbol": Col.symbol("Symbol", required=False),
    "description": Col.text("Description", required=False),
    "quantity": Col.quantity("Quantity"),
    "price": Col.money("Price", required=False),
    "fees": Col.money("Fees & Comm", "Fees & Commissions", "FeesAndCommissions",
                      required=False),
    "amount": Col.money("Amount"),
}
#: JSON keys of a transaction object, by canonical raw column.
JSON_KEYS = {"date": ("Date",), "action": ("Action",), "symbol": ("Symbol",),
             "description": ("Description",), "quantity": ("Quantity",), "price": ("Price",),
             "fees": ("Fees & Comm", "FeesAndCommissions"), "amount": ("Amount",)}

#: Direction markers for actions whose Action value depends on a sign.
CASH_FLOW = "cash_flow"  # money from or to outside the household: contribution / withdrawal
TRANSFER = "transfer"  # shares or cash journaled between accounts: transfer_in / transfer_out

_A = Action
#: Schwab action text (case-insensitive) -> Action, or a direction marker.
ACTIONS: dict[str, Action | str] = {
    # trades
    "buy": _A.BUY, "buy to open": _A.BUY, "buy to close": _A.BUY,
    "sell": _A.SELL, "sell to open": _A.SELL, "sell to close": _A.SELL,
    "sell short": _A.SELL, "sale": _A.SELL,
    "reinvest shares": _A.REINVEST,
    # dividends (the cash leg of a reinvestment is a dividend too)
    "reinvest dividend": _A.DIVIDEND, "qualified dividend": _A.DIVIDEND,
    "cash dividend": _A.DIVIDEND, "non-qualified div": _A.DIVIDEND,
    "qual div reinvest": _A.DIVIDEND, "pr yr div reinvest": _A.DIVIDEND,
    "special dividend": _A.DIVIDEND, "special qual div": _A.DIVIDEND,
    "special non qual div": _A.DIVIDEND, "pr yr cash div": _A.DIVIDEND,
    "pr yr special div": _A.DIVIDEND, "pr yr non qual div": _A.DIVIDEND,
    "pr yr non-qual div": _A.DIVIDEND, "pr yr qual div": _A.DIVIDEND,
    "div adjustment": _A.DIVIDEND, "dividend": _A.DIVIDEND,
    "substitute inc pmt": _A.DIVIDEND, "rein sub inc pmt": _A.DIVIDEND,
    # fund capital-gain distributions
    "long term cap gain": _A.CAPITAL_GAIN, "short term cap gain": _A.CAPITAL_GAIN,
    "long term cap gain reinvest": _A.CAPITAL_GAIN,
    "short term cap gain reinvest": _A.CAPITAL_GAIN,
    "pr yr lt c/g rein": _A.CAPITAL_GAIN, "pr yr st c/g rein": _A.CAPITAL_GAIN,
    "pr yr long term cap gain": _A.CAPITAL_GAIN, "pr yr short term cap gain": _A.CAPITAL_GAIN,
    # interest
    "credit interest": _A.INTEREST, "bank interest": _A.INTEREST,
    "bond interest": _A.INTEREST, "cd interest": _A.INTEREST,
    "bank interest adj": _A.INTEREST, "interest adj": _A.INTEREST,
    # fees and charges
    "service fee": _A.FEE, "adr mgmt fee": _A.FEE, "advisor fee": _A.FEE,
    "margin interest": _A.FEE, "wire fee": _A.FEE,
    # taxes withheld
    "foreign tax paid": _A.TAX_WITHHELD, "nra tax adj": _A.TAX_WITHHELD,
    "nra withholding": _A.TAX_WITHHELD, "nra withhold": _A.TAX_WITHHELD,
    "irs withhold adj": _A.TAX_WITHHELD, "tax withholding": _A.TAX_WITHHELD,
    "backup withholding": _A.TAX_WITHHELD, "foreign tax reclaim": _A.TAX_WITHHELD,
    # money in or out of the household
    "moneylink transfer": CASH_FLOW, "moneylink deposit": CASH_FLOW,
    "moneylink withdrawal": CASH_FLOW, "wire received": CASH_FLOW,
    "wire funds received": CASH_FLOW, "funds received": CASH_FLOW,
    "wire funds": CASH_FLOW, "wire sent": CASH_FLOW, "funds disbursed": CASH_FLOW,
    "bank transfer": CASH_FLOW,
    # moves between accounts
    "journal": TRANSFER, "journaled shares": TRANSFER, "security transfer": TRANSFER,
    "internal transfer": TRANSFER, "transfer": TRANSFER, "deposit": TRANSFER,
    "stock plan activity": TRANSFER,
    # share-count changes without cash
    "stock split": _A.SPLIT, "reverse split": _A.SPLIT, "stock split adj": _A.SPLIT,
    "stock div dist": _A.SPLIT,
    # known corporate actions and odd cash entries: kept as "other" on purpose
    "cash in lieu": _A.OTHER, "expired": _A.OTHER, "assigned": _A.OTHER,
    "exchange or exercise": _A.OTHER, "exercised": _A.OTHER, "cash merger": _A.OTHER,
    "cash merger adj": _A.OTHER, "stock merger": _A.OTHER, "spin-off": _A.OTHER,
    "name change": _A.OTHER, "conversion": _A.OTHER, "mandatory reorg exc": _A.OTHER,
    "misc cash entry": _A.OTHER, "promotional award": _A.OTHER, "adjustment": _A.OTHER,
    "lapse": _A.OTHER, "return of capital": _A.OTHER, "ret cap reinvest": _A.OTHER,
    "reinvestment adj": _A.OTHER,
}

BANNER = re.compile(r"^Transactions\s+for account (?P<label>.+?) as of (?P<when>.+)$", re.I)
FOOTER = re.compile(r"^\"?Transactions Total", re.I)
_FILENAME_STAMP = re.compile(r"_Transactions_(\d{8})-\d{6}", re.I)
_JSON_KEY = re.compile(r"\"BrokerageTransactions\"\s*:")


def _is_header(line: str) -> bool:
    n = norm_line(line)
    return n.startswith("date,action,") and "fees & comm" in n


# --- CSV --------------------------------------------------------------------------------------

def detect(s: Sniff) -> bool:
    """The brokerage header (Date, Action, ..., Fees & Comm, Amount) in the first lines."""
    return any(n.startswith("date,action,") and "fees & comm" in n
               for n in s.first_lines_norm[:3])


def load(s: Sniff, options: dict) -> Export:
    """Load a Schwab transactions CSV (see module docstring)."""
    tf = s.text
    path = tf.name
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, _is_header, limit=3)
    if h is None:
        raise MissingColumnError("no Schwab transactions header (Date, Action, ..., Fees & "
                                 "Comm, Amount) in the first three lines", path=path, line=1)
    label = None
    as_of = None
    banner_line = None
    b.report_leading(tf, h, skip, "transactions")
    if h > 0:
        first = find_line(tf, lambda ln: bool(ln.strip()))
        m = BANNER.match(sw.first_cell(tf.lines[first]))
        if m is not None:
            label = m.group("label")
            banner_line = first + 1
            as_of = sw.banner_date(m.group("when"), path=path, line=banner_line)
    acct_id, acct_name = sw.split_account(label)
    account, name = sw.resolve_account(acct_id, acct_name, options, s.path,
                                       what="transactions file", line=banner_line)
    if as_of is None:
        fm = _FILENAME_STAMP.search(s.path.name)
        if fm:
            as_of = clean.date_value(fm.group(1), path=path)

    end = b.table_end(tf, h + 1, FOOTER)
    raw, binding = b.read_table(tf, h, end, SPEC, path=path, skip=skip)
    t = b.convert(raw, SPEC, path=path, skip=skip, binding=binding,
                  context={"account": account})
    transactions = _transactions(t, s.path, account, notes)
    after = end
    if end < len(tf.lines) and FOOTER.match(tf.lines[end].lstrip("\ufeff")):
        footer = tf.lines[end]
        skip.add(end + 1, "transactions total row: the sum of the amounts above", footer)
        _check_total(split_csv_line(footer)[1:], transactions, notes, line=end + 1,
                     path=path)
        after = end + 1
    b.report_trailing(tf, after, skip, "transactions")
    if transactions.empty:
        notes.append("the file lists no transactions")
    accounts = pd.DataFrame([{"account": account, "name": name, "custodian": sw.CUSTODIAN}])
    return Export(path=s.path, format=FORMAT, custodian=sw.CUSTODIAN,
                  transactions=transactions, skipped=skip.frame(), accounts=accounts,
                  as_of=as_of, notes=notes)


def _check_total(cells: list[str], transactions: pd.DataFrame, notes: list[str], *,
                 line: int | None, path: str) -> None:
    cells = [c for c in cells if c.strip()]
    if not cells:
        return
    total = clean.parse_numbers(pd.Series([cells[-1]], dtype="str"))[0].iloc[0]
    got = float(transactions["amount"].sum()) if len(transactions) else 0.0
    if pd.notna(total) and abs(total - got) > 0.005:
        where_ = f"line {line}: " if line is not None else ""
        notes.append(f"{where_}the file's total {total:,.2f} differs from the sum of the "
                     f"amounts {got:,.2f}")


# --- JSON -------------------------------------------------------------------------------------

def detect_json(s: Sniff) -> bool:
    """A JSON object with a ``BrokerageTransactions`` key."""
    return s.kind == "json" and _JSON_KEY.search("\n".join(s.head_lines)) is not None


def load_json(s: Sniff, options: dict) -> Export:
    """Load a Schwab transactions JSON export (see module docstring)."""
    tf = s.text
    path = tf.name
    notes: list[str] = []
    doc, items = _json_items(tf)
    raw = _json_frame(items, path)
    account, name = sw.resolve_account(None, None, options, s.path,
                                       what="transactions JSON file")
    skip = SkipLog(s.path)
    headers = {k: keys[0] for k, keys in JSON_KEYS.items()}
    t = b.convert(raw, SPEC, path=path, skip=skip, headers=headers,
                  context={"account": account})
    transactions = _transactions(t, s.path, account, notes)
    total = doc.get("TotalTransactionsAmount")
    if isinstance(total, str | int | float) and not isinstance(total, bool):
        _check_total([str(total)], transactions, notes, line=None, path=path)
    as_of = None
    to_date = doc.get("ToDate")
    if isinstance(to_date, str) and to_date.strip():
        as_of = clean.date_value(to_date, column="ToDate", path=path)
    if transactions.empty:
        notes.append("the file lists no transactions")
    accounts = pd.DataFrame([{"account": account, "name": name, "custodian": sw.CUSTODIAN}])
    return Export(path=s.path, format=FORMAT_JSON, custodian=sw.CUSTODIAN,
                  transactions=transactions, skipped=skip.frame(), accounts=accounts,
                  as_of=as_of, notes=notes)


_WS = re.compile(r"[ \t\n\r]*")


def _json_items(tf: TextFile) -> tuple[dict, list[tuple[int, object]]]:
    """Parse the document; return it and each BrokerageTransactions element with its line."""
    text = tf.text
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON: {exc.msg}", path=tf.name, line=exc.lineno,
                          column=str(exc.colno)) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("BrokerageTransactions"), list):
        raise FormatError("expected a JSON object whose \"BrokerageTransactions\" is a list",
                          path=tf.name, line=1)
    # Walk the (valid) top-level object to find where each transaction starts.
    dec = json.JSONDecoder()
    starts: list[int] = []
    pos = _WS.match(text, 0).end() + 1  # past "{"
    while True:
        pos = _WS.match(text, pos).end()
        if text[pos] == "}":
            break
        if text[pos] == ",":
            pos += 1
            continue
        key, pos = dec.raw_decode(text, pos)
        pos = _WS.match(text, pos).end() + 1  # past ":"
        pos = _WS.match(text, pos).end()
        if key == "BrokerageTransactions" and text[pos] == "[":
            starts = []
            pos += 1
            while True:
                pos = _WS.match(text, pos).end()
                if text[pos] == "]":
                    pos += 1
                    break
                if text[pos] == ",":
                    pos += 1
                    continue
                starts.append(pos)
                _, pos = dec.raw_decode(text, pos)
        else:
            _, pos = dec.raw_decode(text, pos)
    newlines = [m.start() for m in re.finditer("\n", text)]
    lines = [bisect.bisect_left(newlines, p) + 1 for p in starts]
    return doc, list(zip(lines, doc["BrokerageTransactions"], strict=True))


def _json_frame(items: list[tuple[int, object]], path: str) -> pd.DataFrame:
    cols: dict[str, list] = {k: [] for k in JSON_KEYS}
    lines: list[int] = []
    raws: list[str] = []
    for line, item in items:
        if not isinstance(item, dict):
            raise FormatError(f"expected a transaction object, found {type(item).__name__}",
                              path=path, line=line)
        for canon, keys in JSON_KEYS.items():
            key = next((k for k in keys if k in item), None)
            if key is None and canon in ("date", "action", "amount", "quantity"):
                raise MissingColumnError(f"transaction object has no {keys[0]!r} key",
                                         path=path, line=line, column=keys[0])
            value = item.get(key) if key is not None else None
            if isinstance(value, bool) or isinstance(value, dict | list):
                raise FormatError(f"expected a string, found {json.dumps(value)}",
                                  path=path, line=line, column=key)
            cols[canon].append(None if value is None else str(value))
        lines.append(line)
        raws.append(shorten(json.dumps(item, ensure_ascii=False)))
    df = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in cols.items()})
    df["line"] = pd.Series(lines, dtype="int64")
    df["raw"] = pd.Series(raws, dtype="str")
    return df


# --- shared -----------------------------------------------------------------------------------

def _transactions(t: b.Table, source, account: str, notes: list[str]) -> pd.DataFrame:
    """Canonical transactions from a converted table (columns as in ``SPEC``)."""
    if t.empty:
        return TRANSACTIONS.empty()
    text = t["action"]
    key = text.str.casefold().str.replace(r"\s+", " ", regex=True)
    mapped = key.map({k: str(v) for k, v in ACTIONS.items()}).astype("str")
    qty, amount = t["quantity"], t["amount"]

    action = mapped.mask(mapped.isin([CASH_FLOW, TRANSFER]))
    unknown = mapped.isna()
    if unknown.any():
        counts = text[unknown].fillna("(empty)").value_counts()
        listed = ", ".join(f"{k!r} ({v})" for k, v in counts.items())
        notes.append(f"unknown Schwab actions kept as 'other': {listed}")
    # Direction from signs: quantity first for journals (shares), else the amount.
    qty_sign = qty.where(qty != 0)
    amt_sign = amount.where(amount != 0)
    share_sign = qty_sign.where(qty_sign.notna(), amt_sign)
    cash_flow = mapped.eq(CASH_FLOW)
    transfer = mapped.eq(TRANSFER)
    action = action.mask(cash_flow & (amt_sign > 0), Action.CONTRIBUTION.value)
    action = action.mask(cash_flow & (amt_sign < 0), Action.WITHDRAWAL.value)
    action = action.mask(transfer & (share_sign > 0), Action.TRANSFER_IN.value)
    action = action.mask(transfer & (share_sign < 0), Action.TRANSFER_OUT.value)
    action = action.fillna(Action.OTHER.value).astype("str")

    bought = action.isin([Action.BUY.value, Action.REINVEST.value])
    sold = action.eq(Action.SELL.value)
    qty = qty.where(~bought, qty.abs()).where(~sold, -qty.abs())

    return pd.DataFrame({
        "date": t["date"],
        "settle_date": pd.Series(pd.NaT, index=t.index, dtype="datetime64[us]"),
        "account": pd.Series(account, index=t.index, dtype="str"),
        "action": action,
        "action_text": text,
        "symbol": t["symbol"],
        "description": t["description"],
        "quantity": qty,
        "price": t["price"],
        "amount": amount,
        "fees": t["fees"].abs(),
        **t.source(source),
    })


FORMATS = [
    FormatSpec(FORMAT, sw.CUSTODIAN, "Schwab brokerage transactions CSV (every generation)",
               ("text",), detect, load, priority=20),
    FormatSpec(FORMAT_JSON, sw.CUSTODIAN, "Schwab brokerage transactions JSON",
               ("json",), detect_json, load_json, priority=20),
]
