"""OFX / QFX investment statements (``.ofx``, ``.qfx``): OFX 1.x SGML and OFX 2.x XML.

Brokers offer these downloads for Quicken (FORMATS.md sections 3 and 8 mention Vanguard,
E*TRADE and TD Ameritrade OFX; Fidelity's OFX server is the source reds #170 discusses).
The markup is parsed by ``ofxtools`` (:class:`ofxtools.Parser.TreeBuilder`, which reads
SGML, where data elements have no end tags, and XML alike); the OFX header is checked with
``ofxtools.header``. Only the investment statement (``INVSTMTRS``) is read; bank and card
statements are not brokerage exports.

What is read
------------
``INVSTMTRS``
    One per account (a file may hold several). ``INVACCTFROM/ACCTID`` is the account (as
    written), ``BROKERID`` (``vanguard.com``) names the custodian, ``DTASOF`` is ``as_of``
    (the latest when there are several statements), ``CURDEF`` the statement currency.
``SECLIST``
    ``SECINFO`` of every security: ``SECID`` (``UNIQUEID``/``UNIQUEIDTYPE``), ``TICKER``,
    ``SECNAME``. A position or transaction takes the ticker of its ``SECID``, else the
    ``UNIQUEID`` (a CUSIP) itself; ``cusip`` is the ``UNIQUEID`` when it is a valid CUSIP
    (or the CUSIP inside a US/CA ISIN).
``INVPOSLIST``
    ``POSSTOCK``, ``POSMF``, ``POSDEBT``, ``POSOPT``, ``POSOTHER``: ``UNITS``, ``UNITPRICE``,
    ``MKTVAL`` (``security_type`` stock, mutual_fund, debt, option, other). OFX gives no cost
    basis, so ``cost_basis`` is missing, and ``DTPRICEASOF`` is not kept (positions carry no
    price date; ``as_of`` is the statement's). Money-market funds (a name matching the shared cash
    descriptions, e.g. ``... MONEY MARKET ...``, or a ticker of five letters ending in
    ``XX``, e.g. ``VMFXX``) are cash: ``asset_class`` "cash", quantity
    = value, price 1, basis = value, ``security_type`` "money_market". ``POSTYPE`` SHORT
    positions are skipped (not supported). Bonds keep OFX's units (face value) and price
    (percent of par) as written.
``INVBAL/AVAILCASH``
    The cash balance: a position with symbol ``CASH``. OFX defines AVAILCASH as cash
    *including sweep funds*, and Vanguard repeats its settlement fund there (reds #23): when
    AVAILCASH equals the summed value of the account's money-market positions (and is not
    zero) it is skipped with that reason, so the sweep is counted once; when it is larger
    than that sum, it is loaded and a note asks to check it (it may hold the sweep again).
    A position whose security the ``SECLIST`` does not describe keeps its ``UNIQUEID`` as
    symbol, with a note; when the account has no known money-market fund and AVAILCASH
    equals such an unnamed $1.00 ``POSMF``, that fund is taken to be the sweep and
    AVAILCASH is skipped with that reason.
``INVTRANLIST``
    Each transaction aggregate becomes one row (``action_text`` is the aggregate and its
    type, e.g. ``BUYSTOCK BUY``, ``INCOME DIV``, ``INVBANKTRAN DEP``; ``description`` is the
    ``MEMO``, else the bank ``NAME``, else the security name):

    - ``BUYSTOCK``/``BUYMF``/``BUYDEBT``/``BUYOPT``/``BUYOTHER`` -> buy (+units, amount
      -|TOTAL|); ``SELL...`` -> sell (-units, +|TOTAL|), whatever signs the broker wrote;
      when ``TOTAL`` is missing it is units x price -/+ fees (and a note says so);
    - ``REINVEST`` -> two rows with the same ``source_line``: the income by ``INCOMETYPE``
      (``DIV`` dividend, ``INTEREST`` interest, ``CGLONG``/``CGSHORT`` capital_gain, ``MISC``
      other; +|TOTAL|) then reinvest (+units, -|TOTAL|). A REINVEST is income and purchase
      in one aggregate (Vanguard sends it alone), but when the same file also has an
      ``INCOME`` for the same account, security, date, type and amount, that INCOME is the
      income row and the REINVEST gives only the reinvest row (noted);
    - ``INCOME`` -> by ``INCOMETYPE`` as above, amount as written;
    - ``RETOFCAP`` (return of capital) -> other, amount as written;
    - ``INVBANKTRAN`` by ``TRNTYPE``: ``INT`` interest, ``DIV`` dividend, ``FEE``/``SRVCHG``
      fee, ``XFER`` transfer_in/out by sign, ``CREDIT``/``DEP``/``DIRECTDEP`` contribution
      and ``DEBIT``/``ATM``/``POS``/``CHECK``/``PAYMENT``/``CASH``/``DIRECTDEBIT``/
      ``REPEATPMT`` withdrawal (each flipped when the amount has the other sign), else other;
      ``TRNAMT`` as written; the date is ``DTUSER`` when given, else ``DTPOSTED``;
    - ``TRANSFER`` -> transfer_in (``TFERACTION`` IN, +units) or transfer_out (OUT,
      -units), no cash; a transfer of a short position is skipped;
    - ``SPLIT`` -> split, quantity NEWUNITS - OLDUNITS, amount the cash in lieu
      (``FRACCASH``) when given;
    - ``MARGININTEREST`` and ``INVEXPENSE`` -> fee, amount -|TOTAL|;
    - ``CLOSUREOPT`` (option exercised, assigned or expired) -> other without a quantity
      (OFX does not say which side closed);
    - ``JRNLFUND``/``JRNLSEC`` (journals between the cash and margin sub-accounts of one
      account) are skipped: they change neither holdings nor cash;
    - any other aggregate -> other, ``UNITS`` and ``TOTAL`` as written.

    ``date`` is ``DTTRADE``, ``settle_date`` ``DTSETTLE``; OFX date-times are read as the
    date written (``20251231200000.000[-5:EST]`` is 2025-12-31; see ``_clean.date``).
    ``fees`` = |COMMISSION| + |FEES| + |LOAD|; ``price`` = |UNITPRICE|.
``INVOOLIST``
    Open orders are neither holdings nor transactions: each is skipped with a reason.

Currencies
    Amounts are in ``CURDEF`` unless the row has a ``CURRENCY`` aggregate (then in its
    ``CURSYM``, and ``CURRATE`` converts them to CURDEF); ``ORIGCURRENCY`` means they were
    already converted to CURDEF. A row in dollars is loaded as written; a row in another
    currency whose ``CURRATE`` converts it to a USD ``CURDEF`` is converted (noted); any
    other row (a statement in EUR, say) is skipped with the reason, as is AVAILCASH when
    CURDEF is not USD.

Line numbers
    ``source_line`` is the line of the aggregate's start tag (``<BUYSTOCK>``, ``<POSMF>``,
    ``<AVAILCASH>``): the parser records where every tag starts, so the number is exact even
    when a whole file sits on one line (then every row is line 1). Errors in a value name the
    line of its element and the element as the column (``UNITS``).

Hostile and damaged files
    A ``<!DOCTYPE`` or ``<!ENTITY`` declaration is refused before parsing (entity expansion
    is never attempted). Markup the parser cannot read, a closing tag that matches no open
    aggregate, a file that ends inside an aggregate (truncated) or inside a tag, and a
    malformed OFX header each raise :class:`~toolkit.errors.FormatError` with the line.
    SGML files that leave an empty element open (``<MEMO>`` with no value) are read by
    closing it at the enclosing end tag, with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import pandas as pd

from toolkit.errors import FormatError
from toolkit.schema import REALIZED, Action

from . import _build as b
from . import _clean as clean
from . import _ofxparse as px
from ._export import Export, FormatSpec, SkipLog, Sniff
from ._text import Col, ColumnSpec

__all__ = ["FORMATS", "detect", "load"]

FORMAT = "ofx_investment"
A = Action


_BUYS = ("BUYSTOCK", "BUYMF", "BUYOTHER", "BUYDEBT", "BUYOPT")
_SELLS = ("SELLSTOCK", "SELLMF", "SELLOTHER", "SELLDEBT", "SELLOPT")
_POSITIONS = {"POSSTOCK": "stock", "POSMF": "mutual_fund", "POSDEBT": "debt",
              "POSOPT": "option", "POSOTHER": "other"}
_INCOME = {"DIV": A.DIVIDEND, "INTEREST": A.INTEREST, "CGLONG": A.CAPITAL_GAIN,
           "CGSHORT": A.CAPITAL_GAIN, "MISC": A.OTHER}
_BANK = {"INT": A.INTEREST, "DIV": A.DIVIDEND, "FEE": A.FEE, "SRVCHG": A.FEE,
         "XFER": A.TRANSFER_IN, "CREDIT": A.CONTRIBUTION, "DEP": A.CONTRIBUTION,
         "DIRECTDEP": A.CONTRIBUTION, "DEBIT": A.WITHDRAWAL, "ATM": A.WITHDRAWAL,
         "POS": A.WITHDRAWAL, "CHECK": A.WITHDRAWAL, "PAYMENT": A.WITHDRAWAL,
         "CASH": A.WITHDRAWAL, "DIRECTDEBIT": A.WITHDRAWAL, "REPEATPMT": A.WITHDRAWAL}
_OPPOSITE = {A.CONTRIBUTION: A.WITHDRAWAL, A.WITHDRAWAL: A.CONTRIBUTION,
             A.TRANSFER_IN: A.TRANSFER_OUT}
#: Elements giving the type of a transaction, in the order they are looked for.
_SUBTYPES = ("BUYTYPE", "SELLTYPE", "OPTBUYTYPE", "OPTSELLTYPE", "SELLREASON", "INCOMETYPE",
             "TRNTYPE", "TFERACTION", "OPTACTION")
#: Leaf elements read from each transaction / position aggregate.
_TXN_FIELDS = ("FITID", "DTTRADE", "DTSETTLE", "DTPOSTED", "DTUSER", "MEMO", "NAME",
               "UNIQUEID", "UNIQUEIDTYPE", "UNITS", "UNITPRICE", "COMMISSION", "FEES", "LOAD",
               "TOTAL", "TRNAMT", "POSTYPE", "OLDUNITS", "NEWUNITS", "FRACCASH", "GAIN",
               "SHPERCTRCT", *_SUBTYPES)
_TXN_SET = frozenset(_TXN_FIELDS)
_POS_FIELDS = ("UNIQUEID", "UNIQUEIDTYPE", "POSTYPE", "UNITS", "UNITPRICE", "MKTVAL", "MEMO",
               "HELDINACCT")
_POS_SET = frozenset(_POS_FIELDS)
#: Data elements OFX puts directly under <INVSTMTRS>.
_STATEMENT_LEAVES = frozenset({"DTASOF", "CURDEF", "MKTGINFO"})
_BROKERS = (("fidelity", "fidelity"), ("vanguard", "vanguard"), ("schwab", "schwab"),
            ("etrade", "etrade"), ("ameritrade", "tdameritrade"), ("merrill", "merrill"),
            ("ml.com", "merrill"), ("interactivebrokers", "ibkr"), ("robinhood", "robinhood"),
            ("troweprice", "troweprice"), ("tiaa", "tiaa"))


# --- reading aggregates -------------------------------------------------------------------------


def _record(doc: px.Doc, elem: Element, fields: frozenset[str]) -> dict:
    """Texts and lines of the ``fields`` of one aggregate, with its currency."""
    found: dict[str, Element] = {}
    twice: list[str] = []
    for e in elem.iter():
        if e.tag in found and e.tag in fields and e.tag not in twice:
            twice.append(e.tag)  # an aggregate holding another's values (a broken nesting)
        found.setdefault(e.tag, e)
    rec: dict = {"tag": elem.tag, "line": doc.line(elem), "ORIG": "ORIGCURRENCY" in found,
                 "CUR": "CURRENCY" in found, "TWICE": ", ".join(twice) or None}
    for tag, e in found.items():
        if tag in fields and e.text is not None and len(e) == 0:
            rec[tag] = px.text(e.text)
            rec[f"{tag}@"] = doc.line(e)
    cur = found.get("CURRENCY")
    if cur is not None:
        for e in cur:
            if e.tag in ("CURSYM", "CURRATE"):
                rec[e.tag] = px.text(e.text)
                rec[f"{e.tag}@"] = doc.line(e)
    return rec


def _frame(records: list[dict], fields: tuple[str, ...]) -> pd.DataFrame:
    names = (*fields, "CURSYM", "CURRATE")
    columns = ["tag", "line", "ORIG", "CUR", "TWICE", "account", "curdef", "stmt",
               *names, *(f"{f}@" for f in names)]
    df = pd.DataFrame.from_records(records, columns=columns)
    types = {f: "str" for f in (*names, "tag", "account", "curdef", "TWICE")}
    types.update({f"{f}@": "float64" for f in names})
    types.update(line="int64", stmt="int64", ORIG="bool", CUR="bool")
    return df.astype(types)


def _convert(doc: px.Doc, raw: pd.DataFrame, elems: list[Element], spec: dict, path: str,
             skip: SkipLog, symbol: pd.Series | None = None) -> b.Table:
    """The aggregates' declared elements converted (OFX numbers take ``.`` or ``,``).

    Aggregates with an unreadable value are reported and left out.
    """
    cols = {k: raw[cs.names[0]] for k, cs in spec.items() if cs.names[0] in raw.columns}
    table = pd.DataFrame(cols, index=raw.index)
    table["account"] = raw["account"]
    if symbol is not None:
        table["symbol"] = symbol
    table["line"] = raw["line"]
    full = {**spec, "account": Col.text("ACCTID"), "symbol": Col.text("UNIQUEID")}
    headers = {k: cs.names[0] for k, cs in full.items()}

    def texts(index: pd.Index) -> pd.Series:
        return pd.Series([doc.raw(elems[i]) for i in index], index=index, dtype="str")

    return b.convert(table, full, path=path, skip=skip, headers=headers, text_of=texts)


def _money(name: str) -> ColumnSpec:
    return Col.money(name, decimal="ofx")


TXN_SPEC = {
    "units": Col.quantity("UNITS", decimal="ofx"),
    "unitprice": _money("UNITPRICE"),
    "total": _money("TOTAL"),
    "trnamt": _money("TRNAMT"),
    "commission": _money("COMMISSION"),
    "fees": _money("FEES"),
    "load": _money("LOAD"),
    "oldunits": Col.quantity("OLDUNITS", decimal="ofx"),
    "newunits": Col.quantity("NEWUNITS", decimal="ofx"),
    "fraccash": _money("FRACCASH"),
    "gain": _money("GAIN"),
    "shperctrct": Col.quantity("SHPERCTRCT", decimal="ofx"),
    "currate": Col.quantity("CURRATE", decimal="ofx"),
    "dttrade": Col.date("DTTRADE"),
    "dtsettle": Col.date("DTSETTLE"),
    "dtposted": Col.date("DTPOSTED"),
    "dtuser": Col.date("DTUSER"),
}
POS_SPEC = {
    "units": Col.quantity("UNITS", decimal="ofx"),
    "unitprice": _money("UNITPRICE"),
    "mktval": _money("MKTVAL"),
    "currate": Col.quantity("CURRATE", decimal="ofx"),
}


def _custodian(brokerid: str | None) -> str:
    if not brokerid:
        return "ofx"
    low = brokerid.lower()
    for key, name in _BROKERS:
        if key in low:
            return name
    host = re.sub(r"^(?:www\.)", "", low).split(".")[0]
    return re.sub(r"[^a-z0-9]+", "_", host).strip("_") or "ofx"


@dataclass
class _Securities:
    by_key: dict[tuple[str, str], tuple[str | None, str | None]]
    by_id: dict[str, tuple[str | None, str | None]]
    per_contract: dict[str, float]  # UNIQUEID -> SHPERCTRCT of its OPTINFO

    def known(self, uid) -> bool:
        """Whether the SECLIST describes this unique id."""
        return isinstance(uid, str) and uid in self.by_id

    def lookup(self, kind: pd.Series, uid: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Ticker (else the unique id) and security name of each row."""
        tickers, names = [], []
        for k, u in zip(kind.tolist(), uid.tolist(), strict=True):
            if not isinstance(u, str):
                tickers.append(None)
                names.append(None)
                continue
            k = k.upper() if isinstance(k, str) else ""  # UNIQUEIDTYPE may be missing
            hit = self.by_key.get((k, u)) or self.by_id.get(u) or (None, None)
            tickers.append(hit[0] or u)
            names.append(hit[1])
        return pd.Series(tickers, index=kind.index, dtype="str"), \
            pd.Series(names, index=kind.index, dtype="str")


def _securities(doc: px.Doc) -> _Securities:
    by_key: dict = {}
    by_id: dict = {}
    per_contract: dict = {}
    for info in doc.root.iter("SECINFO"):
        leaves = px.leaves(info)
        uid = px.text(leaves["UNIQUEID"].text) if "UNIQUEID" in leaves else None
        if uid is None:
            continue
        kind = (px.text(leaves["UNIQUEIDTYPE"].text) or "") if "UNIQUEIDTYPE" in leaves else ""
        ticker = px.text(leaves["TICKER"].text) if "TICKER" in leaves else None
        name = px.text(leaves["SECNAME"].text) if "SECNAME" in leaves else None
        by_key[(kind.upper(), uid)] = (ticker, name)
        by_id.setdefault(uid, (ticker, name))
    for opt in doc.root.iter("OPTINFO"):
        leaves = px.leaves(opt)
        uid = px.text(leaves["UNIQUEID"].text) if "UNIQUEID" in leaves else None
        n = px.text(leaves["SHPERCTRCT"].text) if "SHPERCTRCT" in leaves else None
        value, bad = clean.parse_numbers(pd.Series([n], dtype="str"), decimal="ofx")
        if uid is not None and pd.notna(value.iloc[0]) and value.iloc[0] > 0:
            per_contract[uid] = float(value.iloc[0])
    return _Securities(by_key, by_id, per_contract)


def _cusip(kind: pd.Series, uid: pd.Series) -> pd.Series:
    k = kind.str.upper()
    cand = uid.where(k.eq("CUSIP").fillna(False))
    isin = uid.where(k.eq("ISIN").fillna(False) & uid.str.match(r"^(US|CA)[0-9A-Z]{10}$")
                     .fillna(False))
    cand = cand.fillna(isin.str.slice(2, 11))
    return clean.cusips(cand)


# --- currency -----------------------------------------------------------------------------------


def _currency(raw: pd.DataFrame, rate: pd.Series, notes: list[str],
              what: str) -> tuple[pd.Series, pd.Series]:
    """Rate that turns each row's amounts into dollars, and the reason a row cannot be."""
    curdef = raw["curdef"].str.upper().fillna("USD")
    has_cur = raw["CURSYM"].notna() & ~raw["ORIG"]
    row_cur = raw["CURSYM"].str.upper().where(has_cur, curdef)
    usd = row_cur.eq("USD")
    convert = ~usd & has_cur & curdef.eq("USD") & rate.notna() & (rate > 0)
    factor = pd.Series(1.0, index=raw.index).where(~convert, rate)
    bad = ~usd & ~convert
    reason = pd.Series(None, index=raw.index, dtype="str")
    if bad.any():
        reason = reason.mask(bad, "amounts in " + row_cur + ", not US dollars (no CURRATE "
                             "converting them to USD)")
    unnamed = raw["CUR"] & raw["CURSYM"].isna()
    reason = reason.mask(unnamed, "CURRENCY without CURSYM: the currency of the amounts is not "
                                  "stated")
    reason = reason.mask(raw["TWICE"].notna(), "<" + raw["tag"] + "> holds " + raw["TWICE"] +
                         " more than once (an aggregate nested in another): it cannot be read")
    if convert.any():
        notes.append(f"{int(convert.sum())} {what} in another currency converted to dollars "
                     "with their CURRATE")
    return factor, reason


# --- transactions -----------------------------------------------------------------------------

_INCOME_MEMO = ((re.compile(r"\bINTEREST\b", re.I), A.INTEREST),
                (re.compile(r"\bDIV(?:IDEND)?S?\b", re.I), A.DIVIDEND))


def _transactions(doc: px.Doc, stmts: list[dict], secs: _Securities, path: str,
                  skip: SkipLog, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    records: list[dict] = []
    elems: list[Element] = []
    for st in stmts:
        tranlist = st["elem"].find("INVTRANLIST")
        if tranlist is None:
            continue
        for agg in tranlist:
            if len(agg) == 0:  # DTSTART, DTEND
                continue
            rec = _record(doc, agg, _TXN_SET)
            rec.update(account=st["account"], curdef=st["curdef"], stmt=st["index"])
            records.append(rec)
            elems.append(agg)
    if not records:
        return pd.DataFrame(), REALIZED.empty()
    raw = _frame(records, _TXN_FIELDS)
    symbol, secname = secs.lookup(raw["UNIQUEIDTYPE"], raw["UNIQUEID"])
    t = _convert(doc, raw, elems, TXN_SPEC, path, skip, symbol=symbol)
    raw, symbol, secname = raw.loc[t.index], symbol[t.index], secname[t.index]
    tag = raw["tag"]
    journal = tag.isin(["JRNLFUND", "JRNLSEC"])
    short = tag.eq("TRANSFER") & raw["POSTYPE"].str.upper().eq("SHORT").fillna(False)
    tfer = raw["TFERACTION"].str.upper()
    undirected = tag.eq("TRANSFER") & ~tfer.isin(["IN", "OUT"]).fillna(False)
    factor, reasons = _currency(raw, t["currate"], notes, "transaction(s)")
    reasons = reasons.mask(journal, "journal between the cash and margin sub-accounts of one "
                           "account: no change to holdings or cash")
    reasons = reasons.mask(short, "transfer of a short position: short positions are not "
                           "supported")
    reasons = reasons.mask(undirected & reasons.isna(),
                           "TRANSFER without TFERACTION IN or OUT (found " +
                           tfer.fillna("none").map(repr) + "): the direction of the shares is "
                           "not stated, so the row is not guessed")
    t = t.drop(reasons.notna(), reasons)
    date = t["dttrade"].fillna(t["dtuser"]).fillna(t["dtposted"])
    t = t.drop(date.isna(), "<" + raw["tag"] + "> has no date (DTTRADE or DTPOSTED)")
    if t.empty:
        return pd.DataFrame(), REALIZED.empty()
    raw, symbol, secname = raw.loc[t.index], symbol[t.index], secname[t.index]
    factor, date, tag = factor[t.index], date[t.index], raw["tag"]
    units = t["units"]
    price = t["unitprice"].abs() * factor
    total = t["total"] * factor
    trnamt = t["trnamt"] * factor
    fees = pd.concat([t[f].abs() for f in ("commission", "fees", "load")],
                     axis=1).sum(axis=1, min_count=1) * factor
    old, new = t["oldunits"], t["newunits"]
    fraccash = t["fraccash"] * factor
    dtuser, dtposted = t["dtuser"], t["dtposted"]

    sub = pd.Series(None, index=raw.index, dtype="str")
    for f in _SUBTYPES:
        sub = sub.fillna(raw[f].str.upper())
    action_text = (tag + (" " + sub).fillna("")).astype("str")

    buy = tag.isin(_BUYS)
    sell = tag.isin(_SELLS)
    option = tag.isin(["BUYOPT", "SELLOPT"])
    reinvest = tag.eq("REINVEST")
    income = tag.eq("INCOME")
    bank = tag.eq("INVBANKTRAN")
    transfer = tag.eq("TRANSFER")
    split = tag.eq("SPLIT")
    expense = tag.isin(["MARGININTEREST", "INVEXPENSE"])
    closure = tag.eq("CLOSUREOPT")
    income_action = raw["INCOMETYPE"].str.upper().map(
        {k: v.value for k, v in _INCOME.items()}).fillna(A.OTHER.value)

    action = pd.Series(A.OTHER.value, index=raw.index, dtype="str")
    action = action.mask(buy, A.BUY.value).mask(sell, A.SELL.value)
    action = action.mask(reinvest, A.REINVEST.value).mask(income, income_action)
    bank_action = raw["TRNTYPE"].str.upper().map({k: v.value for k, v in _BANK.items()})
    bank_action = bank_action.fillna(A.OTHER.value)
    flip = bank & (((bank_action.isin([A.CONTRIBUTION.value, A.TRANSFER_IN.value]))
                    & (trnamt < 0))
                   | (bank_action.eq(A.WITHDRAWAL.value) & (trnamt > 0)))
    bank_action = bank_action.where(~flip, bank_action.map(
        {a.value: _OPPOSITE.get(a, a).value for a in A}))
    # a deposit whose memo says it is interest or a dividend is income, not new money
    said = raw["MEMO"].fillna("") + " " + raw["NAME"].fillna("")
    deposit = bank & bank_action.eq(A.CONTRIBUTION.value)
    for rx, kind in _INCOME_MEMO:
        hit = deposit & said.str.contains(rx)
        bank_action = bank_action.mask(hit, kind.value)
        deposit = deposit & ~hit
    action = action.mask(bank, bank_action)
    tfer_out = raw["TFERACTION"].str.upper().eq("OUT").fillna(False)
    action = action.mask(transfer, A.TRANSFER_IN.value).mask(transfer & tfer_out,
                                                             A.TRANSFER_OUT.value)
    action = action.mask(split, A.SPLIT.value).mask(expense, A.FEE.value)

    qty = units.where(~tag.isin(["INCOME", "RETOFCAP", "INVBANKTRAN", "MARGININTEREST",
                                 "INVEXPENSE"]))
    qty = qty.mask(buy | reinvest | (transfer & ~tfer_out), units.abs())
    qty = qty.mask(sell | (transfer & tfer_out), -units.abs())
    qty = qty.mask(split, new - old).mask(closure, np.nan)

    # trades: the sign of the cash follows the side, whatever the broker wrote; an option's
    # price is per share, so an amount rebuilt without TOTAL counts its shares per contract
    per_contract = t["shperctrct"].fillna(raw["UNIQUEID"].map(secs.per_contract))
    assumed = option & total.isna() & per_contract.isna()
    if assumed.any():
        notes.append("no SHPERCTRCT for the option(s) on line(s) "
                     f"{', '.join(str(x) for x in t.line[assumed].head(20))}; 100 shares per "
                     "contract assumed")
    multiplier = pd.Series(1.0, index=raw.index).mask(option, per_contract.fillna(100.0))
    gross = units.abs() * price * multiplier
    missing_total = (buy | sell | reinvest) & total.isna()
    if missing_total.any():
        notes.append("TOTAL missing on line(s) "
                     f"{', '.join(str(x) for x in t.line[missing_total].head(20))}; "
                     "computed as units x price (x shares per contract) and fees")
    amount = total.copy()
    amount = amount.mask(buy | reinvest, -total.abs().fillna(gross + fees.fillna(0)))
    amount = amount.mask(sell, total.abs().fillna(gross - fees.fillna(0)))
    amount = amount.mask(bank, trnamt).mask(transfer, np.nan)
    amount = amount.mask(split, fraccash).mask(expense, -total.abs()).mask(closure, np.nan)
    # an aggregate whose meaning is cash, without the amount, or that moves shares, without
    # the UNITS, cannot be read
    cash_meaning = bank | income | expense | tag.eq("RETOFCAP") | buy | sell | reinvest
    no_amount = cash_meaning & amount.isna()
    no_units = (buy | sell | reinvest | transfer) & units.isna()
    if no_amount.any() or no_units.any():
        element = pd.Series("TOTAL", index=raw.index).mask(bank, "TRNAMT")
        t.report(no_units, "<" + tag + "> has no UNITS: the shares it moves are unknown")
        t.report(no_amount & ~no_units, "<" + tag + "> has no amount (" + element + ")")
        keep = ~(no_amount | no_units)
        t = t.take(keep)
        raw, symbol, secname, tag = raw[keep], symbol[keep], secname[keep], tag[keep]
        date, dtuser, dtposted = date[keep], dtuser[keep], dtposted[keep]
        action, action_text, qty, price = action[keep], action_text[keep], qty[keep], price[keep]
        amount, fees, units, factor = amount[keep], fees[keep], units[keep], factor[keep]
        buy, sell, reinvest, income, bank = (buy[keep], sell[keep], reinvest[keep],
                                             income[keep], bank[keep])
        transfer = transfer[keep]
        income_action = income_action[keep]

    description = raw["MEMO"].fillna(raw["NAME"]).fillna(secname)
    frame = pd.DataFrame({
        "date": date.where(~bank, dtuser.fillna(dtposted)),
        "settle_date": t["dtsettle"],
        "account": raw["account"],
        "action": action,
        "action_text": action_text,
        "symbol": symbol,
        "description": description,
        "quantity": qty,
        "price": price,
        "amount": amount,
        "fees": fees,
        **t.source(path),
        "_order": 1,
        "_stmt": raw["stmt"],
    })

    # sales that state their gain: realised rows (cost basis = net proceeds - gain)
    gain = t["gain"] * factor
    stated = sell & gain.notna() & symbol.notna()
    realized = REALIZED.empty()
    if stated.any():
        realized = b.realized_frame(
            raw.index[stated], account=raw["account"][stated], symbol=symbol[stated],
            quantity=units[stated].abs(), sold=date[stated], proceeds=amount[stated],
            gain=gain[stated], source=t.take(stated).source(path), notes=notes, what="sale")

    # REINVEST: the income row, unless an INCOME of the same file is that income already
    reinv = frame[reinvest]
    if not reinv.empty:
        inc_type = raw["INCOMETYPE"].str.upper()
        key_cols = ["account", "symbol", "date"]
        inc = frame[income].assign(_type=inc_type[income], _amt=frame["amount"][income]
                                   .abs().round(2))
        rein = reinv.assign(_type=inc_type[reinvest], _amt=reinv["amount"].abs().round(2))
        matched = rein.reset_index().merge(
            inc[[*key_cols, "_type", "_amt", "source_line"]].drop_duplicates(
                [*key_cols, "_type", "_amt"]),
            on=[*key_cols, "_type", "_amt"], how="inner", suffixes=("", "_income"))
        has_income = rein.index.isin(matched["index"])
        if has_income.any():
            pairs = ", ".join(f"{int(r.source_line)} (INCOME line {int(r.source_line_income)})"
                              for r in matched.head(10).itertuples())
            notes.append(f"REINVEST with a matching INCOME in the file, so its income is "
                         f"counted once: line(s) {pairs}")
        cash = rein[~has_income].copy()
        cash["action"] = income_action[cash.index]
        cash["quantity"] = np.nan
        cash["price"] = np.nan
        cash["fees"] = np.nan
        cash["amount"] = cash["amount"].abs()
        cash["_order"] = 0
        frame = pd.concat([frame, cash.drop(columns=["_type", "_amt"])])
    frame = frame.sort_values(["_stmt", "source_line", "_order"], kind="stable")
    return frame.drop(columns=["_order", "_stmt"]).reset_index(drop=True), realized


# --- positions --------------------------------------------------------------------------------


def _positions(doc: px.Doc, stmts: list[dict], secs: _Securities, path: str, skip: SkipLog,
               notes: list[str]) -> pd.DataFrame:
    records: list[dict] = []
    elems: list[Element] = []
    unnamed_funds: list[pd.DataFrame] = []
    for st in stmts:
        poslist = st["elem"].find("INVPOSLIST")
        if poslist is None:
            continue
        for agg in poslist:
            if len(agg) == 0:
                continue
            rec = _record(doc, agg, _POS_SET)
            rec.update(account=st["account"], curdef=st["curdef"], stmt=st["index"])
            records.append(rec)
            elems.append(agg)
    frames = []
    if records:
        raw = _frame(records, _POS_FIELDS)
        symbol, secname = secs.lookup(raw["UNIQUEIDTYPE"], raw["UNIQUEID"])
        t = _convert(doc, raw, elems, POS_SPEC, path, skip, symbol=symbol)
        raw = raw.loc[t.index]
        factor, reasons = _currency(raw, t["currate"], notes, "position(s)")
        short = raw["POSTYPE"].str.upper().eq("SHORT").fillna(False)
        reasons = reasons.mask(short, "short position: short positions are not supported")
        t = t.drop(reasons.notna(), reasons)
        t = t.drop(t["symbol"].isna(), "<" + raw["tag"] + "> has no SECID/UNIQUEID")
        raw, factor = raw.loc[t.index], factor[t.index]
        symbol, secname = symbol[t.index], secname[t.index]
        units = t["units"]
        price = t["unitprice"] * factor
        value = t["mktval"] * factor
        no_value = value.isna()
        if no_value.any():
            value = value.fillna(units * price)
            notes.append("MKTVAL missing on line(s) "
                         f"{', '.join(str(x) for x in t.line[no_value].head(20))}; "
                         "computed as units x price")
        t.values["mktval"] = value
        t = t.drop(value.isna(), "<" + raw["tag"] + "> has no market value (MKTVAL) and no "
                   "units and price to compute it")
        t = t.drop(t["units"].isna(), "<" + raw["tag"] + "> has no UNITS: the shares held are "
                   "unknown")
        raw, symbol, secname = raw.loc[t.index], symbol[t.index], secname[t.index]
        units, price, value = t["units"], price[t.index], t["mktval"]
        unknown = ~raw["UNIQUEID"].map(secs.known).astype(bool)
        if unknown.any():
            notes.append("security not in the SECLIST for the position(s) on line(s) "
                         f"{', '.join(str(x) for x in t.line[unknown].head(20))}: no ticker "
                         "or name, so the UNIQUEID is the symbol")
        names = secname.dropna().unique()
        cash_names = {n for n in names if b.CASH_DESCRIPTIONS.search(n)}
        # a money-market fund by its name, or by its ticker (five letters ending in XX:
        # VMFXX, SPAXX, SWVXX)
        cash = secname.isin(cash_names).fillna(False) | \
            symbol.str.fullmatch(b.MONEY_MARKET_TICKER).fillna(False)
        security_type = raw["tag"].map(_POSITIONS).fillna("other").astype("str")
        frames.append(pd.DataFrame({
            "account": raw["account"],
            "symbol": symbol,
            "cusip": _cusip(raw["UNIQUEIDTYPE"], raw["UNIQUEID"]),
            "description": secname.fillna(raw["MEMO"]),
            "quantity": units.mask(cash, value),
            "price": price.mask(cash, 1.0),
            "market_value": value,
            "cost_basis": pd.Series(np.nan, index=raw.index).mask(cash, value),
            "asset_class": pd.Series(None, index=raw.index, dtype="str").mask(cash, "cash"),
            "security_type": security_type.mask(cash, "money_market"),
            **t.source(path),
        }))
        # a $1.00 fund the SECLIST does not name may be the sweep fund AVAILCASH repeats
        dollar_fund = unknown & ~cash & raw["tag"].eq("POSMF") & price.eq(1.0).fillna(False)
        unnamed_funds.append(frames[-1][dollar_fund.to_numpy()])
    positions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    unnamed = pd.concat(unnamed_funds) if unnamed_funds else positions.iloc[0:0]
    cash_rows = _available_cash(doc, stmts, positions, unnamed, path, skip, notes)
    if cash_rows is not None:
        positions = pd.concat([positions, cash_rows], ignore_index=True)
    return positions


def _available_cash(doc: px.Doc, stmts: list[dict], positions: pd.DataFrame,
                    unnamed: pd.DataFrame, path: str, skip: SkipLog,
                    notes: list[str]) -> pd.DataFrame | None:
    rows = []
    for st in stmts:
        elem = st["elem"].find("INVBAL/AVAILCASH")
        if elem is None or px.text(elem.text) is None:
            continue
        line = doc.line(elem)
        raw = f"<AVAILCASH>{px.text(elem.text)}"
        values, bad = clean.parse_numbers(pd.Series([px.text(elem.text)], dtype="str"),
                                          decimal="ofx")
        value = values.iloc[0]
        if bad.notna().iloc[0]:
            skip.add(line, f"cannot read AVAILCASH {px.text(elem.text)!r}: {bad.iloc[0]}", raw,
                     account=st["account"], symbol="CASH")
            continue
        if pd.isna(value):
            continue
        if (st["curdef"] or "USD").upper() != "USD":
            skip.add(line, f"cash balance in {st['curdef'].upper()}, not US dollars", raw,
                     account=st["account"], symbol="CASH")
            continue
        if len(positions):
            mm = positions[(positions["account"] == st["account"])
                           & positions["asset_class"].eq("cash").fillna(False)]
        else:
            mm = positions
        swept = float(mm["market_value"].sum()) if len(mm) else 0.0
        if len(mm) and value != 0 and abs(swept - value) < 0.005:
            skip.add(line, "AVAILCASH equals the money-market position(s) "
                     f"{', '.join(mm['symbol'])} (sweep funds are counted once)", raw,
                     account=st["account"], symbol="CASH")
            continue
        same = unnamed[(unnamed["account"] == st["account"])
                       & (unnamed["market_value"] - value).abs().lt(0.005)] if len(unnamed) \
            else unnamed
        if not len(mm) and len(same) and value != 0:
            skip.add(line, f"AVAILCASH equals the $1.00 fund {same['symbol'].iloc[0]} (line "
                     f"{int(same['source_line'].iloc[0])}), which the SECLIST does not name: "
                     "taken to be the sweep fund, counted once", raw,
                     account=st["account"], symbol="CASH")
            continue
        if len(mm) and value > swept > 0:
            notes.append(f"line {line}: AVAILCASH {value:,.2f} is more than the money-market "
                         f"position(s) {', '.join(mm['symbol'])} ({swept:,.2f}); OFX counts "
                         "sweep funds in AVAILCASH, so if this broker does, that cash is "
                         "counted twice: check against the statement")
        rows.append({"account": st["account"], "symbol": "CASH", "description": "Available cash",
                     "quantity": value, "price": 1.0, "market_value": value,
                     "cost_basis": value, "asset_class": "cash", "security_type": "cash",
                     "source_file": Path(path).name, "source_line": line})
    return pd.DataFrame(rows) if rows else None


# --- the loader ---------------------------------------------------------------------------------


def detect(s: Sniff) -> bool:
    """Any OFX file (SGML or XML).

    No other format reads OFX, so a bank or card statement is claimed too and refused by
    :func:`load` with a reason, not an unknown-format error.
    """
    if s.kind == "ofx":
        return True
    head = s.head.upper()
    return s.kind == "xml" and (b"<?OFX" in head or b"OFXHEADER" in head or b"<OFX>" in head)


def _statements(doc: px.Doc, path: str, options: dict) -> list[dict]:
    stmts = []
    for i, elem in enumerate(doc.root.iter("INVSTMTRS")):
        leaves = {c.tag: c for c in elem if len(c) == 0}
        acctfrom = elem.find("INVACCTFROM")
        acct_leaves = px.leaves(acctfrom) if acctfrom is not None else {}
        account = px.text(acct_leaves["ACCTID"].text) if "ACCTID" in acct_leaves else None
        if account is None:
            account = options.get("account")
            if not account:
                raise FormatError("the statement names no account (INVACCTFROM/ACCTID); pass "
                                  "account= to load_export", path=path, line=doc.line(elem))
        broker = px.text(acct_leaves["BROKERID"].text) if "BROKERID" in acct_leaves else None
        asof = None
        if "DTASOF" in leaves:
            asof = clean.date_value(px.text(leaves["DTASOF"].text) or "", column="DTASOF",
                                    path=path, line=doc.line(leaves["DTASOF"]))
        curdef = px.text(leaves["CURDEF"].text) if "CURDEF" in leaves else None
        stmts.append({"elem": elem, "index": i, "account": str(account), "broker": broker,
                      "as_of": asof, "curdef": curdef or "USD"})
        for tag, leaf in leaves.items():
            # a value outside its aggregate (AVAILCASH...); an empty aggregate is no value
            if tag not in _STATEMENT_LEAVES and px.text(leaf.text) is not None:
                doc.stray.append((doc.line(leaf), tag, str(account)))
        if curdef is None:
            doc.notes.append(f"statement on line {doc.line(elem)} has no CURDEF; amounts are "
                             "taken to be US dollars")
    return stmts


def load(s: Sniff, options: dict) -> Export:
    """Load an OFX/QFX investment statement (see module docstring).

    Parameters
    ----------
    s : Sniff
        The sniffed file (kind ``"ofx"``, or ``"xml"`` for an OFX 2 file whose ``<OFX>``
        starts late).
    options : dict
        ``account``: used only when a statement names no account.

    Returns
    -------
    Export
        ``positions`` (dollars, shares), ``transactions`` (signed shares and dollars),
        ``skipped``, ``accounts`` (``account``, custodian from ``BROKERID``) and ``as_of``
        (``DTASOF``).

    Raises
    ------
    FormatError
        For a DOCTYPE/ENTITY declaration, a malformed header, unreadable or mismatched
        markup, a truncated file, a file without an investment statement, or a value that
        is not a number or date (naming the line and element).
    """
    path = s.path.name
    try:
        doc = px.parse(s.path, s.data)
    except FormatError:
        # broken markup in a bank or card statement: what matters is that it is one
        upper = s.data.upper()
        if b"<INVSTMTRS>" in upper or not (b"<STMTRS>" in upper or b"<CCSTMTRS>" in upper):
            raise
        raise FormatError("no investment statement (INVSTMTRS) in this OFX file (it holds a "
                          "bank or credit-card statement)", path=path, line=1) from None
    stmts = _statements(doc, path, options)
    if not stmts:
        message = doc.root.find(".//STATUS/MESSAGE")
        why = f" (server message: {px.text(message.text)!r})" if message is not None else ""
        kinds = [t for t in ("STMTRS", "CCSTMTRS") if doc.root.find(f".//{t}") is not None]
        what = " (it holds a bank or credit-card statement)" if kinds else ""
        raise FormatError("no investment statement (INVSTMTRS) in this OFX file"
                          f"{what}{why}", path=path, line=1)
    skip = SkipLog(s.path)
    notes = doc.notes
    for line, tag, account in doc.stray:
        skip.add(line, f"<{tag}> is directly under <INVSTMTRS>, outside the aggregate OFX puts "
                 "it in: not read", f"<{tag}>", account=account)
    secs = _securities(doc)
    transactions, realized = _transactions(doc, stmts, secs, path, skip, notes)
    positions = _positions(doc, stmts, secs, path, skip, notes)

    for st in stmts:
        ool = st["elem"].find("INVOOLIST")
        if ool is not None:
            for order in ool:
                if len(order):
                    skip.add(doc.line(order), "open order: neither a holding nor a "
                             "transaction", doc.raw(order))
    custodians = [_custodian(st["broker"]) for st in stmts]
    accounts = pd.DataFrame({"account": [st["account"] for st in stmts],
                             "name": pd.Series([None] * len(stmts), dtype="str"),
                             "custodian": custodians})
    dates = [st["as_of"] for st in stmts if st["as_of"] is not None]
    as_of = max(dates) if dates else None
    if len({d for d in dates}) > 1:
        notes.append("statements with different DTASOF dates; as_of is the latest")
    kwargs = {}
    if len(positions):
        kwargs["positions"] = positions
    if len(transactions):
        kwargs["transactions"] = transactions
    if len(realized):
        kwargs["realized"] = realized
    return Export(path=s.path, format=FORMAT, custodian=custodians[0], skipped=skip.frame(),
                  accounts=accounts, as_of=as_of, notes=notes, **kwargs)


FORMATS = [
    FormatSpec(FORMAT, "ofx", "OFX/QFX investment statement (OFX 1.x SGML or 2.x XML)",
               ("ofx", "xml"), detect, load, priority=30),
]
