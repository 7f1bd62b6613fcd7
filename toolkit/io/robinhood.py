"""Robinhood account activity report CSV (the only Robinhood export; it has no holdings).

Layout (FORMATS.md section 7, ``header_signatures.json`` ``robinhood_activity``)::

    "Activity Date","Process Date","Settle Date","Instrument","Description","Trans Code",
    "Quantity","Price","Amount"
    "3/2/2026","3/2/2026","3/4/2026","AAPL","Apple
    CUSIP: 037833100","Buy","100","$187.40","($18,740.00)"

Every cell is quoted; dates are ``M/D/YYYY``; money ``$53.85`` with negatives in
parentheses ``($43.64)``; rows are newest first; a stock's Description spans several
physical lines (name / ``CUSIP: ...`` / ``Dividend Reinvestment`` or ``Recurring``), so
``source_line`` is the first line of the record. The report ends with a disclaimer row
(``"The data provided is for informational purposes only..."``, alone or after nine empty
cells): the table ends at the first row without an Activity Date (or made of one text cell),
and data-like rows after it are reported. Quantities of share events may carry an ``S``
suffix (``8S``).

Trans Codes (compared case-insensitively; ``action_text`` keeps the code):

- ``Buy`` -> buy (+shares), or reinvest when the description says ``Dividend
  Reinvestment``; ``Sell`` -> sell (-shares); options ``BTO``/``BTC`` -> buy (+contracts),
  ``STO``/``STC`` -> sell (-contracts);
- ``CDIV``, ``MDIV`` (manufactured dividend) -> dividend; ``INT``, ``SLIP`` (stock lending
  income) -> interest; ``DTAX``, ``NRAT``, ``FTAX`` -> tax_withheld; ``GOLD`` (subscription),
  ``AFEE`` (ADR fee), ``DFEE``, ``MINT`` (margin interest) -> fee;
- ``ACH``, ``RTP``, ``DCF``, ``WIRE`` -> contribution (+amount) or withdrawal (-amount);
  ``XENT``, ``ACATI``, ``ACATO`` -> transfer_in/out by the sign of the amount; ``REC``
  (shares received) -> transfer_in (+shares);
- ``SPL`` (split) -> split (+shares received);
- ``SPR`` (reverse split), ``OEXP``/``OASGN``/``OEXCS`` (option expired, assigned,
  exercised) and every other code (``SOFF``, ``SXCH``, ``OCA``, ``CIL``, ...) -> other, with
  the amount as written and no quantity: Robinhood writes quantities unsigned, and for these
  the direction is not in the row (a note lists them).

Option rows (``BTO``/``BTC``/``STO``/``STC``/``OEXP``/``OASGN``/``OEXCS``) name only the
underlying in Instrument; their symbol is built from the description
(``AAPL 12/18/2026 Call $250.00`` -> ``-AAPL261218C250``, the form Fidelity uses) so that
contracts are never counted as shares of the stock. Amounts are kept as written (already
signed); Robinhood has no fee column, so ``fees`` is missing. The file names no account:
``options["account"]`` is required (else a :class:`~toolkit.errors.FormatError` asking for
``account=``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import Action

from . import _build as b
from . import _clean as clean
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, bind, find_line, frame_from_rows, iter_rows, norm_line

__all__ = ["CODES", "FORMATS", "detect", "load"]

FORMAT = "robinhood_activity_csv"
A = Action

SPEC = {
    "date": Col.date("Activity Date", need=True, missing="Activity Date is empty"),
    "settle_date": Col.date("Settle Date", required=False),
    "symbol": Col.symbol("Instrument"),
    "description": Col.raw("Description", required=False),  # several lines: joined below
    "code": Col.text("Trans Code", need=True, missing="Trans Code is empty"),
    "quantity": Col.quantity("Quantity"),  # the S suffix of share events is removed first
    "price": Col.money("Price", required=False),
    "amount": Col.money("Amount"),
}

#: Trans Code -> (action, how the row is signed): "+" / "-" shares, "cash" (contribution or
#: withdrawal by the amount's sign), "transfer" (in or out by the amount's sign), "" (no
#: shares).
CODES: dict[str, tuple[Action, str]] = {
    "BUY": (A.BUY, "+"), "SELL": (A.SELL, "-"),
    "BTO": (A.BUY, "+"), "BTC": (A.BUY, "+"), "STO": (A.SELL, "-"), "STC": (A.SELL, "-"),
    "CDIV": (A.DIVIDEND, ""), "MDIV": (A.DIVIDEND, ""),
    "INT": (A.INTEREST, ""), "SLIP": (A.INTEREST, ""),
    "DTAX": (A.TAX_WITHHELD, ""), "NRAT": (A.TAX_WITHHELD, ""), "FTAX": (A.TAX_WITHHELD, ""),
    "GOLD": (A.FEE, ""), "AFEE": (A.FEE, ""), "DFEE": (A.FEE, ""), "MINT": (A.FEE, ""),
    "ACH": (A.CONTRIBUTION, "cash"), "RTP": (A.CONTRIBUTION, "cash"),
    "DCF": (A.CONTRIBUTION, "cash"), "WIRE": (A.CONTRIBUTION, "cash"),
    "XENT": (A.TRANSFER_IN, "transfer"), "ACATI": (A.TRANSFER_IN, "transfer"),
    "ACATO": (A.TRANSFER_OUT, "transfer"),
    "REC": (A.TRANSFER_IN, "+"),
    "SPL": (A.SPLIT, "+"),
}
_REINVEST = re.compile(r"dividend reinvest", re.I)
_OPTION_CODES = ("BTO", "BTC", "STO", "STC", "OEXP", "OASGN", "OEXCS")
_OPTION = re.compile(r"(?P<under>[A-Z][A-Z0-9.]*)\s+(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s+"
                     r"(?P<kind>Call|Put)\s+\$(?P<strike>[\d,]*\.?\d+)", re.I)
_DATE_START = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{2,4}")
_QTY_SUFFIX = re.compile(r"^\s*([-+]?[\d,]*\.?\d+)\s*S\s*$", re.I)


def _header(n: str) -> bool:
    return n.startswith("activity date,process date,settle date,instrument,")


def detect(s: Sniff) -> bool:
    """The ``"Activity Date","Process Date","Settle Date","Instrument",...`` header."""
    return any(_header(n) for n in s.first_lines_norm[:5])


def load(s: Sniff, options: dict) -> Export:
    """Load a Robinhood account activity report (see module docstring).

    Parameters
    ----------
    s : Sniff
        The sniffed file.
    options : dict
        ``account``: the account id (required; the file does not name it).

    Returns
    -------
    Export
        ``transactions`` (signed shares, signed dollars), ``skipped`` and ``accounts``.

    Raises
    ------
    FormatError
        Without ``account``, for a missing column, a record cut off inside its quotes or
        with too few cells, or an unreadable date or number.
    """
    tf = s.text
    path = tf.name
    account = options.get("account")
    if not account:
        raise FormatError("Robinhood activity reports do not name their account; pass "
                          "account= to load_export (e.g. account='robinhood-individual')",
                          path=path)
    account = str(account)
    skip = SkipLog(s.path)
    notes: list[str] = []
    h = find_line(tf, lambda ln: _header(norm_line(ln)), limit=5)
    if h is None:
        raise FormatError("no Robinhood activity header (Activity Date,Process Date,Settle "
                          "Date,Instrument,...) in the first 5 lines", path=path)
    b.report_leading(tf, h, skip, "activity")
    header = next(iter_rows(tf, h, h + 1)).cells
    binding = bind(header, SPEC, path=path, line=h + 1)
    date_pos = binding.positions["date"]

    rows, footer = [], None
    for row in iter_rows(tf, h + 1, lenient=True):
        if row.error is not None:  # a line the csv module cannot read
            if footer is None:
                rows.append(row)  # reported by convert with the reason
            else:
                skip.add(row.line, f"cannot read this row as CSV ({row.error})", row.raw)
            continue
        filled = [c for c in row.cells if c.strip()]
        if not filled:
            continue
        lone_text = len(row.cells) == 1 and not _DATE_START.match(row.cells[0])
        if footer is None and (lone_text or len(row.cells) <= date_pos
                               or not row.cells[date_pos].strip()):
            footer = row.line
        if footer is None:
            rows.append(row)
        elif len(filled) > 1:
            skip.add(row.line, "data-like row after the end of the activity table", row.raw)
    if footer is None:
        notes.append("no disclaimer row at the end; the report may be incomplete")
    raw = frame_from_rows(rows, binding, path=path)
    b.check_cut(tf, raw)
    raw["quantity"] = raw["quantity"].str.replace(_QTY_SUFFIX, r"\1", regex=True)
    t = b.convert(raw, SPEC, path=path, skip=skip, binding=binding,
                  context={"account": account})
    transactions = _transactions(t, s, account, notes)
    accounts = pd.DataFrame({"account": [account], "name": [None], "custodian": ["robinhood"]})
    return Export(path=s.path, format=FORMAT, custodian="robinhood", transactions=transactions,
                  skipped=skip.frame(), accounts=accounts, notes=notes)


def _option_symbol(desc: str) -> str | None:
    """``-AAPL261218C250`` (the form Fidelity uses) from ``AAPL 12/18/2026 Call $250.00``."""
    m = _OPTION.search(desc)
    if not m:
        return None
    strike = m["strike"].replace(",", "")
    strike = strike.rstrip("0").rstrip(".") if "." in strike else strike
    return (f"-{m['under'].upper()}{m['y'][2:]}{int(m['m']):02d}{int(m['d']):02d}"
            f"{m['kind'][0].upper()}{strike}")


def _transactions(t: b.Table, s: Sniff, account: str, notes: list[str]) -> pd.DataFrame:
    code_text = t["code"]
    code = code_text.str.upper()
    qty = t["quantity"].abs()
    price = t["price"]
    amount = t["amount"]
    desc_cell = t["description"]
    description = clean.text(desc_cell.str.replace(r"\s*\n\s*", "; ", regex=True))

    rule = code.map({k: v[0].value for k, v in CODES.items()})
    mode = code.map({k: v[1] for k, v in CODES.items()}).fillna("")
    action = rule.fillna(A.OTHER.value).astype("str")
    action = action.mask(code.eq("BUY") & desc_cell.str.contains(_REINVEST).fillna(False),
                         A.REINVEST.value)
    out = amount < 0
    action = action.mask(mode.eq("cash") & out, A.WITHDRAWAL.value)
    action = action.mask(mode.eq("transfer") & out, A.TRANSFER_OUT.value)
    action = action.mask(mode.eq("transfer") & amount.gt(0), A.TRANSFER_IN.value)
    quantity = pd.Series(np.nan, index=t.index)
    quantity = quantity.mask(mode.eq("+"), qty).mask(mode.eq("-"), -qty)

    unknown = rule.isna()
    if unknown.any():
        counts = code_text[unknown].value_counts()
        listed = ", ".join(f"{c} ({n})" for c, n in counts.items())
        dropped = int((unknown & qty.notna() & qty.ne(0)).sum())
        notes.append(f"Trans Codes kept as 'other' without a quantity (Robinhood does not sign "
                     f"quantities; the direction is not in the row): {listed}; {dropped} of "
                     "these rows had a quantity")
    symbol = t["symbol"]
    is_option = code.isin(_OPTION_CODES)
    if is_option.any():
        built = description.where(is_option).map(_option_symbol, na_action="ignore")
        symbol = symbol.mask(built.notna(), built.astype("str"))
    return pd.DataFrame({
        "date": t["date"],
        "settle_date": t["settle_date"],
        "account": account,
        "action": action,
        "action_text": code_text,
        "symbol": symbol,
        "description": description,
        "quantity": quantity,
        "price": price,
        "amount": amount,
        "fees": np.nan,
        **t.source(s.path),
    }, index=t.index)


FORMATS = [
    FormatSpec(FORMAT, "robinhood", "Robinhood account activity CSV (needs account=)",
               ("text",), detect, load, priority=20),
]
