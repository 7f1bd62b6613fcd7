"""OFX/QFX investment statements: SGML and XML, every transaction aggregate, positions and
cash, currencies, line numbers, and hostile or damaged files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import FormatError, UnknownFormatError
from toolkit.io import _ofxparse as px
from toolkit.io import load_export

HEADER_V1 = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

"""
HEADER_V2 = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
             '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" '
             'NEWFILEUID="NONE"?>\n')

SECLIST = """<SECLISTMSGSRSV1><SECLIST>
<STOCKINFO><SECINFO><SECID><UNIQUEID>922908769<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>Vanguard Total Stock Market ETF<TICKER>VTI</SECINFO></STOCKINFO>
<MFINFO><SECINFO><SECID><UNIQUEID>921937603<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>Vanguard Total Bond Market Index Fund Admiral<TICKER>VBTLX</SECINFO></MFINFO>
<MFINFO><SECINFO><SECID><UNIQUEID>922906300<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>Vanguard Federal Money Market Fund<TICKER>VMFXX</SECINFO></MFINFO>
<STOCKINFO><SECINFO><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>APPLE INC<TICKER>AAPL</SECINFO></STOCKINFO>
<STOCKINFO><SECINFO><SECID><UNIQUEID>DE0007164600<UNIQUEIDTYPE>ISIN</SECID><SECNAME>SAP SE<TICKER>SAP</SECINFO></STOCKINFO>
<OPTINFO><SECINFO><SECID><UNIQUEID>AAPL270115C250<UNIQUEIDTYPE>OTHER</SECID><SECNAME>CALL (AAPL) APPLE INC JAN 15 27 $250<TICKER>-AAPL270115C250</SECINFO><OPTTYPE>CALL<STRIKEPRICE>250<DTEXPIRE>20270115<SHPERCTRCT>100</OPTINFO>
<STOCKINFO><SECINFO><SECID><UNIQUEID>88160R101<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>TESLA INC</SECINFO></STOCKINFO>
</SECLIST></SECLISTMSGSRSV1>
"""

# One aggregate per line, so each transaction's line is easy to count: the <OFX> line is 11.
TRANSACTIONS = [
    # line 17
    "<INVBANKTRAN><STMTTRN><TRNTYPE>DEP<DTPOSTED>20261002120000.000[-5:EST]<TRNAMT>5000.00"
    "<FITID>T01<NAME>ACH DEPOSIT</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>",
    # line 18
    "<BUYSTOCK><INVBUY><INVTRAN><FITID>T02<DTTRADE>20261005200000.000[-5:EST]"
    "<DTSETTLE>20261006<MEMO>YOU BOUGHT</INVTRAN><SECID><UNIQUEID>922908769"
    "<UNIQUEIDTYPE>CUSIP</SECID><UNITS>10<UNITPRICE>301.25<COMMISSION>4.95<TOTAL>-3017.45"
    "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY><BUYTYPE>BUY</BUYSTOCK>",
    # line 19: units written negative, total positive: signs come from the side
    "<SELLMF><INVSELL><INVTRAN><FITID>T03<DTTRADE>20261012<MEMO>YOU SOLD</INVTRAN><SECID>"
    "<UNIQUEID>921937603<UNIQUEIDTYPE>CUSIP</SECID><UNITS>-50.125<UNITPRICE>9.80<FEES>1.25"
    "<LOAD>0.50<TOTAL>489.475<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVSELL><SELLTYPE>SELL</SELLMF>",
    # line 20: a reinvestment alone (Vanguard): income and purchase in one aggregate
    "<REINVEST><INVTRAN><FITID>T04<DTTRADE>20261030<MEMO>DIVIDEND REINVESTMENT</INVTRAN>"
    "<SECID><UNIQUEID>922906300<UNIQUEIDTYPE>CUSIP</SECID><INCOMETYPE>DIV<TOTAL>-6.11"
    "<SUBACCTSEC>CASH<UNITS>6.11<UNITPRICE>1.00</REINVEST>",
    # line 21
    "<INCOME><INVTRAN><FITID>T05<DTTRADE>20261101<MEMO>LONG-TERM CAP GAIN</INVTRAN><SECID>"
    "<UNIQUEID>921937603<UNIQUEIDTYPE>CUSIP</SECID><INCOMETYPE>CGLONG<TOTAL>12.40"
    "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INCOME>",
    # line 22
    "<INCOME><INVTRAN><FITID>T06<DTTRADE>20261102<MEMO>INTEREST</INVTRAN><SECID>"
    "<UNIQUEID>922906300<UNIQUEIDTYPE>CUSIP</SECID><INCOMETYPE>INTEREST<TOTAL>1.05"
    "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INCOME>",
    # line 23
    "<TRANSFER><INVTRAN><FITID>T07<DTTRADE>20261104<MEMO>TRANSFER OF ASSETS</INVTRAN><SECID>"
    "<UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><SUBACCTSEC>CASH<UNITS>25<TFERACTION>IN"
    "<POSTYPE>LONG<UNITPRICE>180.00</TRANSFER>",
    # line 24
    "<TRANSFER><INVTRAN><FITID>T08<DTTRADE>20261105<MEMO>TRANSFERRED OUT</INVTRAN><SECID>"
    "<UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><SUBACCTSEC>CASH<UNITS>5<TFERACTION>OUT"
    "<POSTYPE>LONG</TRANSFER>",
    # line 25
    "<SPLIT><INVTRAN><FITID>T09<DTTRADE>20261109<MEMO>STOCK SPLIT</INVTRAN><SECID>"
    "<UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><SUBACCTSEC>CASH<OLDUNITS>20"
    "<NEWUNITS>40<NUMERATOR>2<DENOMINATOR>1<FRACCASH>3.10</SPLIT>",
    # line 26
    "<MARGININTEREST><INVTRAN><FITID>T10<DTTRADE>20261110<MEMO>MARGIN INTEREST</INVTRAN>"
    "<TOTAL>7.85<SUBACCTFUND>MARGIN</MARGININTEREST>",
    # line 27
    "<INVEXPENSE><INVTRAN><FITID>T11<DTTRADE>20261111<MEMO>ADR FEE</INVTRAN><SECID>"
    "<UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><TOTAL>-0.40<SUBACCTSEC>CASH"
    "<SUBACCTFUND>CASH</INVEXPENSE>",
    # line 28
    "<RETOFCAP><INVTRAN><FITID>T12<DTTRADE>20261112<MEMO>RETURN OF CAPITAL</INVTRAN><SECID>"
    "<UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><TOTAL>11.25<SUBACCTSEC>CASH"
    "<SUBACCTFUND>CASH</RETOFCAP>",
    # line 29: skipped
    "<JRNLFUND><INVTRAN><FITID>T13<DTTRADE>20261113<MEMO>JOURNAL</INVTRAN><SUBACCTTO>MARGIN"
    "<SUBACCTFROM>CASH<TOTAL>100.00</JRNLFUND>",
    # line 30
    "<INVBANKTRAN><STMTTRN><TRNTYPE>XFER<DTPOSTED>20261116<DTUSER>20261114<TRNAMT>-1500.00"
    "<FITID>T14<NAME>TRANSFER TO BANK</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>",
    # line 31: a DEBIT that brings money in is a contribution
    "<INVBANKTRAN><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261117<TRNAMT>25.00<FITID>T15"
    "<NAME>REVERSAL</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>",
    # line 32: no quantity (OFX does not say which side closed)
    "<CLOSUREOPT><INVTRAN><FITID>T16<DTTRADE>20261118<MEMO>EXPIRED</INVTRAN><SECID>"
    "<UNIQUEID>AAPL270115C250<UNIQUEIDTYPE>OTHER</SECID><OPTACTION>EXPIRE<UNITS>1"
    "<SHPERCTRCT>100<SUBACCTSEC>CASH</CLOSUREOPT>",
    # line 33: an aggregate this loader has no rule for
    "<CONTRIBUTION401K><INVTRAN><FITID>T17<DTTRADE>20261119<MEMO>PAYROLL</INVTRAN>"
    "<TOTAL>250.00</CONTRIBUTION401K>",
]
POSITIONS = [
    # line 36
    "<POSSTOCK><INVPOS><SECID><UNIQUEID>922908769<UNIQUEIDTYPE>CUSIP</SECID><HELDINACCT>CASH"
    "<POSTYPE>LONG<UNITS>10<UNITPRICE>305.00<MKTVAL>3050.00<DTPRICEASOF>20261120</INVPOS>"
    "</POSSTOCK>",
    # line 37: a money-market fund is cash
    "<POSMF><INVPOS><SECID><UNIQUEID>922906300<UNIQUEIDTYPE>CUSIP</SECID><HELDINACCT>CASH"
    "<POSTYPE>LONG<UNITS>1486.11<UNITPRICE>1.00<MKTVAL>1486.11<DTPRICEASOF>20261120</INVPOS>"
    "<REINVDIV>Y</POSMF>",
    # line 38: no ticker in the SECLIST: the CUSIP is the symbol
    "<POSSTOCK><INVPOS><SECID><UNIQUEID>88160R101<UNIQUEIDTYPE>CUSIP</SECID><HELDINACCT>CASH"
    "<POSTYPE>LONG<UNITS>3<UNITPRICE>250.00<MKTVAL>750.00<DTPRICEASOF>20261120</INVPOS>"
    "</POSSTOCK>",
    # line 39: skipped
    "<POSSTOCK><INVPOS><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID>"
    "<HELDINACCT>SHORT<POSTYPE>SHORT<UNITS>-10<UNITPRICE>245.00<MKTVAL>-2450.00"
    "<DTPRICEASOF>20261120</INVPOS></POSSTOCK>",
    # line 40
    "<POSOPT><INVPOS><SECID><UNIQUEID>AAPL270115C250<UNIQUEIDTYPE>OTHER</SECID>"
    "<HELDINACCT>CASH<POSTYPE>LONG<UNITS>2<UNITPRICE>14.00<MKTVAL>2800.00"
    "<DTPRICEASOF>20261120</INVPOS></POSOPT>",
]


def sgml(transactions=TRANSACTIONS, positions=POSITIONS, availcash="1486.11", curdef="USD",
         acctfrom="<BROKERID>vanguard.com<ACCTID>88776655", extra=""):
    """An OFX 1 file: the <OFX> tag on line 11, the transactions from line 17, the positions
    from line 18 + len(transactions) + 1."""
    lines = [
        "<OFX>",
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20261120180000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>",
        "<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>",
        f"<INVSTMTRS><DTASOF>20261120160000.000[-5:EST]<CURDEF>{curdef}",
        f"<INVACCTFROM>{acctfrom}</INVACCTFROM>",
        "<INVTRANLIST><DTSTART>20261001<DTEND>20261120",
        *transactions,
        "</INVTRANLIST>",
        "<INVPOSLIST>",
        *positions,
        "</INVPOSLIST>",
        f"<INVBAL><AVAILCASH>{availcash}<MARGINBALANCE>0<SHORTBALANCE>0</INVBAL>" if availcash
        else "",
        extra,
        "</INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1>",
        SECLIST.rstrip("\n"),
        "</OFX>",
    ]
    return HEADER_V1 + "\n".join(lines) + "\n"


@pytest.fixture
def sgml_export(write):
    return load_export(write("OfxDownload.qfx", sgml(), crlf=True))


def test_statement_header(sgml_export):
    e = sgml_export
    assert (e.format, e.custodian, e.as_of) == ("ofx_investment", "vanguard",
                                                 pd.Timestamp("2026-11-20"))
    assert e.accounts["account"].tolist() == ["88776655"]
    assert e.accounts["custodian"].tolist() == ["vanguard"]
    assert e.accounts["name"].isna().all()  # OFX names no account


def test_transactions_every_aggregate(sgml_export):
    t = sgml_export.transactions
    got = list(zip(t["source_line"], t["action"], t["action_text"], t["symbol"],
                   t["quantity"], t["amount"], strict=True))
    nan = np.nan
    want = [
        (17, "contribution", "INVBANKTRAN DEP", None, nan, 5000.00),
        (18, "buy", "BUYSTOCK BUY", "VTI", 10.0, -3017.45),
        (19, "sell", "SELLMF SELL", "VBTLX", -50.125, 489.475),
        (20, "dividend", "REINVEST DIV", "VMFXX", nan, 6.11),
        (20, "reinvest", "REINVEST DIV", "VMFXX", 6.11, -6.11),
        (21, "capital_gain", "INCOME CGLONG", "VBTLX", nan, 12.40),
        (22, "interest", "INCOME INTEREST", "VMFXX", nan, 1.05),
        (23, "transfer_in", "TRANSFER IN", "AAPL", 25.0, nan),
        (24, "transfer_out", "TRANSFER OUT", "AAPL", -5.0, nan),
        (25, "split", "SPLIT", "AAPL", 20.0, 3.10),
        (26, "fee", "MARGININTEREST", None, nan, -7.85),
        (27, "fee", "INVEXPENSE", "AAPL", nan, -0.40),
        (28, "other", "RETOFCAP", "AAPL", nan, 11.25),
        (30, "transfer_out", "INVBANKTRAN XFER", None, nan, -1500.00),
        (31, "contribution", "INVBANKTRAN DEBIT", None, nan, 25.00),
        (32, "other", "CLOSUREOPT EXPIRE", "-AAPL270115C250", nan, nan),
        (33, "other", "CONTRIBUTION401K", None, nan, 250.00),
    ]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:3] == w[:3]
        assert (g[3] if isinstance(g[3], str) else None) == w[3], w
        np.testing.assert_equal(g[4:], w[4:], err_msg=str(w))


def test_transaction_dates_fees_prices_descriptions(sgml_export):
    t = sgml_export.transactions.set_index(["source_line", "action"])
    buy = t.loc[(18, "buy")]
    # 20:00 EST on Oct 5 is Oct 6 in UTC; the date written is the trade date
    assert (buy["date"], buy["settle_date"]) == (pd.Timestamp("2026-10-05"),
                                                 pd.Timestamp("2026-10-06"))
    assert (buy["price"], buy["fees"], buy["description"]) == (301.25, 4.95, "YOU BOUGHT")
    sell = t.loc[(19, "sell")]
    assert sell["fees"] == pytest.approx(1.75)  # FEES + LOAD
    assert sell["price"] == 9.80
    xfer = t.loc[(30, "transfer_out")]
    # bank rows: DTUSER when given, else DTPOSTED; the bank NAME is the description
    assert (xfer["date"], xfer["description"]) == (pd.Timestamp("2026-11-14"),
                                                   "TRANSFER TO BANK")
    assert t.loc[(17, "contribution")]["date"] == pd.Timestamp("2026-10-02")
    assert t.loc[(23, "transfer_in")]["price"] == 180.0
    assert set(sgml_export.transactions["source_file"]) == {"OfxDownload.qfx"}


def test_positions_and_cash(sgml_export):
    p = sgml_export.positions
    assert p["symbol"].tolist() == ["VTI", "VMFXX", "88160R101", "-AAPL270115C250"]
    assert p["source_line"].tolist() == [36, 37, 38, 40]
    assert p["cusip"].tolist()[:3] == ["922908769", "922906300", "88160R101"]
    assert pd.isna(p["cusip"].iloc[3])
    assert p["quantity"].tolist() == [10.0, 1486.11, 3.0, 2.0]
    assert p["market_value"].tolist() == [3050.0, 1486.11, 750.0, 2800.0]
    assert p["security_type"].tolist() == ["stock", "money_market", "stock", "option"]
    assert p["asset_class"].tolist()[1] == "cash"
    assert p["asset_class"].isna().tolist() == [False if i == 1 else True for i in range(4)]
    assert p["cost_basis"].isna().tolist() == [True, False, True, True]
    assert p["cost_basis"].iloc[1] == 1486.11
    assert p["description"].iloc[2] == "TESLA INC"


def test_skipped_rows_and_reasons(sgml_export):
    sk = sgml_export.skipped
    assert sk["line"].tolist() == [29, 39, 42]
    assert sk["reason"].tolist() == [
        "journal between the cash and margin sub-accounts of one account: no change to "
        "holdings or cash",
        "short position: short positions are not supported",
        "AVAILCASH equals the money-market position(s) VMFXX (sweep funds are counted once)",
    ]
    assert sk["text"].iloc[0] == (
        "<JRNLFUND><INVTRAN><FITID>T13<DTTRADE>20261113<MEMO>JOURNAL</INVTRAN>"
        "<SUBACCTTO>MARGIN<SUBACCTFROM>CASH<TOTAL>100.00</JRNLFUND>")
    assert sk["text"].iloc[2] == "<AVAILCASH>1486.11"


def test_available_cash_is_a_cash_position(write):
    e = load_export(write("a.ofx", sgml(availcash="250.75")))
    cash = e.positions.iloc[-1]
    assert (cash["symbol"], cash["quantity"], cash["price"], cash["market_value"],
            cash["cost_basis"], cash["asset_class"]) == ("CASH", 250.75, 1.0, 250.75, 250.75,
                                                         "cash")
    assert cash["source_line"] == 42
    assert 42 not in e.skipped["line"].tolist()
    assert e.notes == []  # less than the VMFXX position: not the sweep again


def test_available_cash_above_the_sweep_fund_is_noted(write):
    e = load_export(write("a.ofx", sgml(availcash="1500.00")))
    assert e.positions["market_value"].iloc[-1] == 1500.0
    assert e.notes == [
        "line 42: AVAILCASH 1,500.00 is more than the money-market position(s) VMFXX "
        "(1,486.11); OFX counts sweep funds in AVAILCASH, so if this broker does, that cash "
        "is counted twice: check against the statement"]


def test_reinvest_with_matching_income_counts_the_income_once(write):
    rows = [
        "<INCOME><INVTRAN><FITID>D1<DTTRADE>20261116<MEMO>DIVIDEND RECEIVED</INVTRAN><SECID>"
        "<UNIQUEID>922908769<UNIQUEIDTYPE>CUSIP</SECID><INCOMETYPE>DIV<TOTAL>88.20"
        "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INCOME>",
        "<REINVEST><INVTRAN><FITID>D2<DTTRADE>20261116<MEMO>REINVESTMENT</INVTRAN><SECID>"
        "<UNIQUEID>922908769<UNIQUEIDTYPE>CUSIP</SECID><INCOMETYPE>DIV<TOTAL>-88.20"
        "<SUBACCTSEC>CASH<UNITS>0.412<UNITPRICE>214.08</REINVEST>",
    ]
    e = load_export(write("f.ofx", sgml(transactions=rows, availcash="")))
    t = e.transactions
    assert t["action"].tolist() == ["dividend", "reinvest"]
    assert t["amount"].tolist() == [88.20, -88.20]
    assert t["source_line"].tolist() == [17, 18]
    assert ("REINVEST with a matching INCOME in the file, so its income is counted once: "
            "line(s) 18 (INCOME line 17)") in e.notes


def test_xml_file_with_two_statements_and_a_currency(write):
    def stmt(acct, body, poslist="", cash="0.00"):
        return (f"<INVSTMTTRNRS><TRNUID>{acct}</TRNUID><INVSTMTRS><DTASOF>20261120</DTASOF>"
                f"<CURDEF>USD</CURDEF><INVACCTFROM><BROKERID>fidelity.com</BROKERID>"
                f"<ACCTID>{acct}</ACCTID></INVACCTFROM><INVTRANLIST><DTSTART>20261001</DTSTART>"
                f"<DTEND>20261120</DTEND>\n{body}\n</INVTRANLIST><INVPOSLIST>\n{poslist}\n"
                f"</INVPOSLIST><INVBAL><AVAILCASH>{cash}</AVAILCASH></INVBAL></INVSTMTRS>"
                "</INVSTMTTRNRS>")
    buy_sap = ("<BUYSTOCK><INVBUY><INVTRAN><FITID>X1</FITID><DTTRADE>20261002</DTTRADE>"
               "<MEMO>YOU BOUGHT</MEMO></INVTRAN><SECID><UNIQUEID>DE0007164600</UNIQUEID>"
               "<UNIQUEIDTYPE>ISIN</UNIQUEIDTYPE></SECID><UNITS>20</UNITS>"
               "<UNITPRICE>180.50</UNITPRICE><COMMISSION>5.00</COMMISSION>"
               "<TOTAL>-3615.00</TOTAL><CURRENCY><CURRATE>1.08</CURRATE><CURSYM>EUR</CURSYM>"
               "</CURRENCY><SUBACCTSEC>CASH</SUBACCTSEC><SUBACCTFUND>CASH</SUBACCTFUND>"
               "</INVBUY><BUYTYPE>BUY</BUYTYPE></BUYSTOCK>")
    pos_sap = ("<POSSTOCK><INVPOS><SECID><UNIQUEID>DE0007164600</UNIQUEID><UNIQUEIDTYPE>ISIN"
               "</UNIQUEIDTYPE></SECID><HELDINACCT>CASH</HELDINACCT><POSTYPE>LONG</POSTYPE>"
               "<UNITS>20</UNITS><UNITPRICE>185.00</UNITPRICE><MKTVAL>3700.00</MKTVAL>"
               "<DTPRICEASOF>20261120</DTPRICEASOF><ORIGCURRENCY><CURRATE>1.08</CURRATE>"
               "<CURSYM>EUR</CURSYM></ORIGCURRENCY></INVPOS></POSSTOCK>")
    sell_aapl = ("<SELLSTOCK><INVSELL><INVTRAN><FITID>Y1</FITID><DTTRADE>20261021</DTTRADE>"
                 "</INVTRAN><SECID><UNIQUEID>037833100</UNIQUEID><UNIQUEIDTYPE>CUSIP"
                 "</UNIQUEIDTYPE></SECID><UNITS>15</UNITS><UNITPRICE>240.00</UNITPRICE>"
                 "<TOTAL>3599.96</TOTAL><SUBACCTSEC>CASH</SUBACCTSEC><SUBACCTFUND>CASH"
                 "</SUBACCTFUND></INVSELL><SELLTYPE>SELL</SELLTYPE></SELLSTOCK>")
    text = (HEADER_V2 + "<OFX>\n<INVSTMTMSGSRSV1>\n"
            + stmt("X12345678", buy_sap, pos_sap, cash="1250.75") + "\n"
            + stmt("246813579", sell_aapl) + "\n</INVSTMTMSGSRSV1>\n"
            + SECLIST.replace("<TICKER>AAPL", "<TICKER>AAPL</TICKER>") + "</OFX>\n")
    e = load_export(write("Fidelity.ofx", text))
    assert e.custodian == "fidelity"
    assert e.accounts["account"].tolist() == ["X12345678", "246813579"]
    t = e.transactions
    assert t["account"].tolist() == ["X12345678", "246813579"]
    assert t["source_line"].tolist() == [6, 11]
    # CURRENCY: amounts in EUR, CURRATE 1.08 turns them into dollars
    assert t["amount"].iloc[0] == pytest.approx(-3904.20)
    assert t["price"].iloc[0] == pytest.approx(194.94)
    assert t["fees"].iloc[0] == pytest.approx(5.40)
    assert (t["quantity"].iloc[1], t["amount"].iloc[1]) == (-15.0, 3599.96)
    p = e.positions
    # ORIGCURRENCY: already converted to dollars
    assert p["symbol"].tolist() == ["SAP", "CASH", "CASH"]
    assert p["market_value"].tolist() == [3700.0, 1250.75, 0.0]
    assert p["account"].tolist() == ["X12345678", "X12345678", "246813579"]
    assert pd.isna(p["cusip"].iloc[0])  # a German ISIN holds no CUSIP
    assert "1 transaction(s) in another currency converted to dollars with their CURRATE" in \
        e.notes


def test_statement_in_another_currency_is_skipped(write):
    rows = TRANSACTIONS[1:2]
    e = load_export(write("eur.ofx", sgml(transactions=rows, positions=POSITIONS[:1],
                                          availcash="10.00", curdef="EUR")))
    assert e.transactions.empty and e.positions.empty
    assert e.skipped["reason"].tolist() == [
        "amounts in EUR, not US dollars (no CURRATE converting them to USD)",
        "amounts in EUR, not US dollars (no CURRATE converting them to USD)",
        "cash balance in EUR, not US dollars",
    ]
    assert e.skipped["line"].tolist() == [17, 20, 22]


def test_dollar_row_in_a_foreign_statement_is_loaded(write):
    row = TRANSACTIONS[1].replace("<TOTAL>-3017.45", "<TOTAL>-3017.45<CURRENCY><CURRATE>0.92"
                                  "<CURSYM>USD</CURRENCY>")
    e = load_export(write("eur.ofx", sgml(transactions=[row], positions=[], availcash="",
                                          curdef="EUR")))
    assert e.transactions["amount"].tolist() == [-3017.45]


def test_isin_of_a_us_security_gives_its_cusip(write):
    pos = POSITIONS[0].replace("<UNIQUEID>922908769<UNIQUEIDTYPE>CUSIP",
                               "<UNIQUEID>US9229087690<UNIQUEIDTYPE>ISIN")
    e = load_export(write("i.ofx", sgml(transactions=[], positions=[pos], availcash="")))
    assert (e.positions["symbol"].iloc[0], e.positions["cusip"].iloc[0]) == (
        "US9229087690", "922908769")


def test_whole_file_on_one_line(write):
    body = sgml(transactions=TRANSACTIONS[:3], availcash="").replace("\n", "")
    e = load_export(write("one.ofx", body))
    assert e.transactions["source_line"].tolist() == [1, 1, 1]
    assert e.transactions["action"].tolist() == ["contribution", "buy", "sell"]


def test_empty_sgml_element_is_closed_by_the_enclosing_end_tag(write):
    row = TRANSACTIONS[1].replace("<MEMO>YOU BOUGHT", "<MEMO>")
    e = load_export(write("m.ofx", sgml(transactions=[row], availcash="")))
    assert e.transactions["quantity"].tolist() == [10.0]
    # no MEMO: the security name describes the row
    assert e.transactions["description"].tolist() == ["Vanguard Total Stock Market ETF"]
    assert "empty SGML element(s) closed at the enclosing end tag: <MEMO> on line 17" in e.notes


def test_entities_in_values_are_replaced(write):
    row = TRANSACTIONS[1].replace("<MEMO>YOU BOUGHT", "<MEMO>S&amp;P &lt;ETF&gt;")
    e = load_export(write("m.ofx", sgml(transactions=[row], availcash="")))
    assert e.transactions["description"].tolist() == ["S&P <ETF>"]


def test_missing_total_is_computed_and_noted(write):
    row = TRANSACTIONS[1].replace("<TOTAL>-3017.45", "")
    e = load_export(write("m.ofx", sgml(transactions=[row], availcash="")))
    # 10 x 301.25 + 4.95 commission, paid out
    assert e.transactions["amount"].tolist() == [pytest.approx(-3017.45)]
    assert "TOTAL missing on line(s) 17; computed as units x price (x shares per contract) and fees" in e.notes


def test_headerless_ofx(write):
    text = sgml(transactions=TRANSACTIONS[:1], availcash="")
    e = load_export(write("h.ofx", text[len(HEADER_V1):]))
    assert e.transactions["source_line"].tolist() == [7]
    assert "no OFX header; read from <OFX>" in e.notes


@pytest.mark.parametrize(("brokerid", "custodian"), [
    ("fidelity.com", "fidelity"), ("vanguard.com", "vanguard"), ("SCHWAB.COM", "schwab"),
    ("etrade.com", "etrade"), ("ameritrade.com", "tdameritrade"), ("ml.com", "merrill"),
    ("www.wealthfront.com", "wealthfront"),
])
def test_custodian_from_brokerid(write, brokerid, custodian):
    e = load_export(write("c.ofx", sgml(transactions=[], positions=[], availcash="1",
                                        acctfrom=f"<BROKERID>{brokerid}<ACCTID>1")))
    assert e.custodian == custodian
    assert e.accounts["custodian"].tolist() == [custodian]


def test_no_account_id_needs_the_option(write):
    p = write("n.ofx", sgml(transactions=[], positions=[], availcash="1",
                            acctfrom="<BROKERID>vanguard.com"))
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert (exc.value.line, exc.value.message) == (
        14, "the statement names no account (INVACCTFROM/ACCTID); pass account= to load_export")
    assert load_export(p, account="VG-1").accounts["account"].tolist() == ["VG-1"]


def test_open_orders_are_skipped(write):
    extra = ("<INVOOLIST><OOBUYSTOCK><OO><FITID>O1<SECID><UNIQUEID>922908769<UNIQUEIDTYPE>CUSIP"
             "</SECID><DTPLACED>20261120<UNITS>5<SUBACCT>CASH<DURATION>DAY<RESTRICTION>NONE"
             "</OO><BUYTYPE>BUY</OOBUYSTOCK></INVOOLIST>")
    e = load_export(write("o.ofx", sgml(transactions=[], positions=[], availcash="",
                                        extra=extra)))
    assert e.skipped["reason"].tolist() == ["open order: neither a holding nor a transaction"]
    assert e.skipped["line"].tolist() == [21]


def test_detected_by_content_not_name(write):
    assert load_export(write("statement.txt", sgml())).format == "ofx_investment"


# --- hostile and damaged files ------------------------------------------------------------------

BOMB_DECL = ('<!DOCTYPE OFX [<!ENTITY a "aaaaaaaaaa">'
             + "".join(f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">'
                       for i in range(9)) + "]>\n")


def _xml_ofx(body_row: str) -> str:
    return (HEADER_V2 + "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><DTASOF>20261120"
            "</DTASOF><CURDEF>USD</CURDEF><INVACCTFROM><ACCTID>1</ACCTID></INVACCTFROM>"
            f"<INVTRANLIST>{body_row}</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS>"
            "</INVSTMTMSGSRSV1></OFX>\n")


@pytest.mark.parametrize("padding", [0, 20000], ids=["small", "ofx_tag_after_8k"])
def test_entity_expansion_bomb_is_refused_before_parsing(write, monkeypatch, padding):
    def never(*args, **kwargs):
        raise AssertionError("the parser must not run on a file with entity declarations")

    monkeypatch.setattr(px._Builder, "feed", never)
    row = ("<INCOME><INVTRAN><FITID>1</FITID><DTTRADE>20261101</DTTRADE><MEMO>&a8;</MEMO>"
           "</INVTRAN><INCOMETYPE>DIV</INCOMETYPE><TOTAL>1</TOTAL></INCOME>")
    text = _xml_ofx(row)
    decl = BOMB_DECL.replace("]>", "<!-- " + "x" * padding + " -->]>")
    cut = text.index("<OFX>")
    p = write("bomb.ofx", text[:cut] + decl + text[cut:])
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert (exc.value.line, exc.value.message) == (
        3, "the file declares a DOCTYPE or ENTITY; OFX files have none, and entity "
           "declarations are refused (they can expand without bound)")


def test_xml_file_without_entities_still_parses(write):
    row = ("<INCOME><INVTRAN><FITID>1</FITID><DTTRADE>20261101</DTTRADE></INVTRAN>"
           "<INCOMETYPE>DIV</INCOMETYPE><TOTAL>1.50</TOTAL></INCOME>")
    e = load_export(write("ok.ofx", _xml_ofx(row)))
    assert e.transactions["amount"].tolist() == [1.5]
    assert e.transactions["source_line"].tolist() == [3]


def test_truncated_inside_an_aggregate(write):
    text = sgml()
    cut = text.index("<UNITPRICE>301.25")  # inside the BUYSTOCK on line 18
    with pytest.raises(FormatError) as exc:
        load_export(write("t.ofx", text[:cut]))
    assert (exc.value.line, exc.value.message) == (
        18, "the file ends inside <INVBUY> (opened on line 18); it looks truncated")


def test_truncated_inside_a_tag(write):
    text = sgml()
    cut = text.index("</INVTRANLIST>") + 5
    with pytest.raises(FormatError) as exc:
        load_export(write("t.ofx", text[:cut]))
    assert (exc.value.line, exc.value.message) == (
        34, "the file ends in the middle of a tag ('</INV'); it looks truncated")


def test_truncated_after_the_header(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("t.ofx", HEADER_V1))
    assert exc.value.message == "OFX header without a body (no <OFX>); the file looks truncated"


def test_mismatched_end_tag(write):
    text = sgml().replace("</SELLMF>", "</BUYMF>")
    with pytest.raises(FormatError) as exc:
        load_export(write("m.ofx", text))
    assert (exc.value.line, exc.value.message) == (
        19, "closing tag </BUYMF> does not match the open <SELLMF> (opened on line 19)")


def test_unreadable_markup(write):
    text = sgml().replace("<MEMO>YOU SOLD", "<memo>YOU SOLD")
    with pytest.raises(FormatError) as exc:
        load_export(write("m.ofx", text))
    assert (exc.value.line, exc.value.message) == (
        19, "unreadable OFX markup '<memo>YOU SOLD' (tags must be upper-case <NAME>, values "
            "plain text)")


def test_text_after_an_end_tag(write):
    text = sgml().replace("</INVBUY><BUYTYPE>", "</INVBUY>stray<BUYTYPE>")
    with pytest.raises(FormatError) as exc:
        load_export(write("m.ofx", text))
    assert exc.value.line == 18
    assert exc.value.message.startswith("malformed OFX markup: Tail text 'stray'")


@pytest.mark.parametrize(("old", "new", "line", "reason", "symbol"), [
    ("<UNITS>10<UNITPRICE>301.25", "<UNITS>ten<UNITPRICE>301.25", 18,
     "cannot read UNITS 'ten': expected a number", "VTI"),
    ("<DTTRADE>20261012", "<DTTRADE>20261312", 19,
     "cannot read DTTRADE '20261312': expected a date", "VBTLX"),
    ("<MKTVAL>750.00", "<MKTVAL>n/a!", 38, "cannot read MKTVAL 'n/a!': expected a number",
     "88160R101"),
])
def test_unreadable_value_skips_its_aggregate(write, old, new, line, reason, symbol):
    clean = load_export(write("c.ofx", sgml()))
    e = load_export(write("v.ofx", sgml().replace(old, new)))
    got = e.skipped[e.skipped["line"] == line]
    assert got[["reason", "account", "symbol"]].to_dict("records") == [
        {"reason": reason, "account": "88776655", "symbol": symbol}]
    # everything else loads as before
    lost = len(clean.transactions) + len(clean.positions) - len(e.transactions) - len(
        e.positions)
    assert lost == 1


def test_malformed_header(write):
    text = sgml().replace("VERSION:102", "VERSION:one")
    with pytest.raises(FormatError) as exc:
        load_export(write("h.ofx", text))
    assert exc.value.line == 1
    assert exc.value.message.startswith("malformed OFX header (")


def test_bank_statement_is_refused_with_a_reason(write):
    text = HEADER_V1 + ("<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO"
                        "</STATUS><STMTRS><CURDEF>USD</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>")
    with pytest.raises(FormatError) as exc:
        load_export(write("bank.qfx", text))
    assert exc.value.message == ("no investment statement (INVSTMTRS) in this OFX file (it "
                                 "holds a bank or credit-card statement)")


def test_ofx_forced_on_a_csv_is_refused(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("x.csv", "a,b\n1,2\n"), format="ofx_investment")
    assert exc.value.message == "format 'ofx_investment' reads ofx or xml files, but this file is text"


def test_plain_xml_is_not_ofx(write):
    with pytest.raises(UnknownFormatError):
        load_export(write("x.xml", '<?xml version="1.0"?><Root><A>1</A></Root>'))


# --- the project's samples ------------------------------------------------------------------------


def test_sample_vanguard_qfx(samples):
    e = load_export(samples / "formats" / "ofx" / "OfxDownload.qfx")
    # by hand from the file: VTSAX 55,291.50 + VTI 3,050.00 + VXUS 1,560.00 + VMFXX 1,486.11
    assert e.positions["market_value"].sum() == pytest.approx(61387.61)
    # cash in and out: +5000 - 3012.50 + 489.98 + 42.17 - 42.17 + 6.11 - 6.11 + 12.40 - 20.00
    assert e.transactions["amount"].sum() == pytest.approx(2469.88)
    assert e.skipped["line"].tolist() == [188, 260, 265]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty; expected a brokerage export"),
    (b"\x00\x01\x02binary",
     "format 'ofx_investment' reads ofx or xml files, but this file is binary data"),
], ids=["empty", "binary"])
def test_empty_and_binary_files(write, data, message):
    with pytest.raises(FormatError) as exc:
        load_export(write("f.dat", data), format="ofx_investment", account="A1", symbol="S")
    assert exc.value.message == message


# --- fields that carry meaning, realised sales, damage (issue 12) ------------------------------

def test_transfer_without_tferaction_is_reported_not_guessed(write):
    undirected = TRANSACTIONS[6].replace("<TFERACTION>IN", "")  # line 23
    e = load_export(write("t.ofx", sgml(transactions=[*TRANSACTIONS[:6], undirected])))
    assert 23 not in e.transactions["source_line"].tolist()
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records")[0] == {
        "line": 23, "reason": "TRANSFER without TFERACTION IN or OUT (found 'none'): the "
                              "direction of the shares is not stated, so the row is not "
                              "guessed", "account": "88776655", "symbol": "AAPL"}


OPTION_BUY = ("<BUYOPT><INVBUY><INVTRAN><FITID>O1<DTTRADE>20261015<MEMO>BUY TO OPEN</INVTRAN>"
              "<SECID><UNIQUEID>AAPL270115C250<UNIQUEIDTYPE>OTHER</SECID><UNITS>2"
              "<UNITPRICE>12.50<COMMISSION>1.30{total}<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY>"
              "<OPTBUYTYPE>BUYTOOPEN{per}</BUYOPT>")


@pytest.mark.parametrize(("per", "shares"), [("<SHPERCTRCT>100", 100), ("", 100),
                                             ("<SHPERCTRCT>10", 10)],
                         ids=["in_the_transaction", "from_the_seclist", "mini_contract"])
def test_option_amount_without_total_counts_shares_per_contract(write, per, shares):
    # 2 contracts at 12.50 per share: 2 x 12.50 x 100 = 2,500.00 + 1.30 commission, paid out
    # (the SECLIST's OPTINFO says 100 shares per contract when the transaction does not)
    row = OPTION_BUY.format(total="", per=per)
    e = load_export(write("o.ofx", sgml(transactions=[row])))
    assert e.transactions[["action", "quantity", "price", "amount"]].to_dict("records") == [
        {"action": "buy", "quantity": 2.0, "price": 12.5, "amount": -(2 * 12.5 * shares + 1.3)}]


def test_option_without_shares_per_contract_anywhere_assumes_100_with_a_note(write):
    seclist_without = SECLIST.replace("<SHPERCTRCT>100", "")
    text = sgml(transactions=[OPTION_BUY.format(total="", per="")]).replace(
        SECLIST.rstrip("\n"), seclist_without.rstrip("\n"))
    e = load_export(write("o.ofx", text))
    assert e.transactions["amount"].tolist() == [pytest.approx(-2501.3)]
    assert "no SHPERCTRCT for the option(s) on line(s) 17; 100 shares per contract assumed" \
        in e.notes


def test_deposit_whose_memo_says_interest_or_dividend_is_income(write):
    rows = [TRANSACTIONS[0].replace("<NAME>ACH DEPOSIT", "<NAME>INTEREST EARNED"),
            TRANSACTIONS[0].replace("<NAME>ACH DEPOSIT", "<NAME>DIVIDEND RECEIVED")
            .replace("<FITID>T01", "<FITID>T01B"),
            TRANSACTIONS[0]]
    e = load_export(write("d.ofx", sgml(transactions=rows)))
    assert e.transactions["action"].tolist() == ["interest", "dividend", "contribution"]
    assert e.transactions["amount"].tolist() == [5000.0, 5000.0, 5000.0]


def test_sale_with_a_stated_gain_is_a_realised_sale(write):
    # SELLMF of 50.125 shares for a net 489.475 with GAIN -12.03: cost 501.505
    row = TRANSACTIONS[2].replace("<TOTAL>489.475", "<TOTAL>489.475<GAIN>-12.03")
    e = load_export(write("g.ofx", sgml(transactions=[row])))
    assert e.realized[["account", "symbol", "quantity", "sold", "proceeds", "cost_basis",
                       "gain", "source_line"]].to_dict("records") == [
        {"account": "88776655", "symbol": "VBTLX", "quantity": 50.125,
         "sold": pd.Timestamp("2026-10-12"), "proceeds": 489.475, "cost_basis": 501.505,
         "gain": -12.03, "source_line": 17}]
    # a sale that states no gain gives no realised row
    assert load_export(write("n.ofx", sgml(transactions=[TRANSACTIONS[2]]))).realized.empty


def test_missing_uniqueidtype_is_read_not_a_crash(write):
    row = TRANSACTIONS[1].replace("<UNIQUEIDTYPE>CUSIP", "")
    position = POSITIONS[0].replace("<UNIQUEIDTYPE>CUSIP", "")
    e = load_export(write("u.ofx", sgml(transactions=[row], positions=[position])))
    # the SECID's UNIQUEID alone finds the security in the SECLIST
    assert e.transactions["symbol"].tolist() == ["VTI"]
    assert e.positions["symbol"].tolist()[0] == "VTI"


def test_unclosed_aggregate_in_ofx2_names_its_line(write):
    # </BUYSTOCK> is missing: the sale after it must not be read as part of the purchase
    buy = ("<BUYSTOCK><INVBUY><INVTRAN><FITID>1</FITID><DTTRADE>20261002</DTTRADE></INVTRAN>"
           "<SECID><UNIQUEID>922908769</UNIQUEID><UNIQUEIDTYPE>CUSIP</UNIQUEIDTYPE></SECID>"
           "<UNITS>10</UNITS><UNITPRICE>300</UNITPRICE><TOTAL>-3000</TOTAL></INVBUY>"
           "<BUYTYPE>BUY</BUYTYPE>\n")
    sell = ("<SELLSTOCK><INVSELL><INVTRAN><FITID>2</FITID><DTTRADE>20261003</DTTRADE>"
            "</INVTRAN><SECID><UNIQUEID>922908769</UNIQUEID><UNIQUEIDTYPE>CUSIP</UNIQUEIDTYPE>"
            "</SECID><UNITS>4</UNITS><UNITPRICE>301</UNITPRICE><TOTAL>1204</TOTAL></INVSELL>"
            "<SELLTYPE>SELL</SELLTYPE></SELLSTOCK>\n")
    with pytest.raises(FormatError) as exc:
        load_export(write("x.ofx", _xml_ofx(buy + sell)))
    assert (exc.value.line, exc.value.message) == (
        3, "<BUYSTOCK> is never closed (</BUYSTOCK> missing before </INVTRANLIST> on line 5; "
           "OFX 2 (XML) needs every end tag)")


def test_unclosed_aggregate_in_ofx1_names_its_line(write):
    # in SGML an empty element may stay open, but an aggregate holding others may not
    unclosed = TRANSACTIONS[1].replace("</BUYSTOCK>", "")  # line 18
    with pytest.raises(FormatError) as exc:
        load_export(write("s.ofx", sgml(transactions=[TRANSACTIONS[0], unclosed,
                                                      TRANSACTIONS[2]])))
    assert (exc.value.line, exc.value.message) == (
        18, "<BUYSTOCK> is never closed (</BUYSTOCK> missing before </INVTRANLIST> on line 20; "
            "it holds other elements, which would be read as part of it)")


def test_comma_decimal_numbers_are_read_as_ofx_allows(write):
    row = TRANSACTIONS[1].replace("<UNITPRICE>301.25", "<UNITPRICE>301,25").replace(
        "<COMMISSION>4.95", "<COMMISSION>4,95").replace("<TOTAL>-3017.45", "<TOTAL>-3017,45")
    e = load_export(write("c.ofx", sgml(transactions=[row])))
    assert e.transactions[["price", "fees", "amount"]].to_dict("records") == [
        {"price": 301.25, "fees": 4.95, "amount": -3017.45}]


def test_aggregates_with_missing_or_misplaced_values_are_reported(write):
    no_trnamt = TRANSACTIONS[0].replace("<TRNAMT>5000.00", "")                   # line 17
    no_units = TRANSACTIONS[1].replace("<UNITS>10", "")                          # line 18
    no_cursym = TRANSACTIONS[1].replace("<TOTAL>-3017.45", "<TOTAL>-3017.45<CURRENCY>"
                                        "<CURRATE>1.08</CURRENCY>")              # line 19
    position = POSITIONS[0].replace("<UNITS>10", "")                             # line 22
    e = load_export(write("m.ofx", sgml(transactions=[no_trnamt, no_units, no_cursym],
                                        positions=[position, POSITIONS[1]])))
    assert e.transactions.empty
    assert e.positions["symbol"].tolist() == ["VMFXX"]
    assert e.skipped[["line", "reason", "symbol"]].fillna({"symbol": ""}).to_dict(
        "records")[:4] == [
        {"line": 17, "reason": "<INVBANKTRAN> has no amount (TRNAMT)", "symbol": ""},
        {"line": 18, "reason": "<BUYSTOCK> has no UNITS: the shares it moves are unknown",
         "symbol": "VTI"},
        {"line": 19, "reason": "CURRENCY without CURSYM: the currency of the amounts is not "
                               "stated", "symbol": "VTI"},
        {"line": 22, "reason": "<POSSTOCK> has no UNITS: the shares held are unknown",
         "symbol": "VTI"}]


def test_aggregate_nested_in_another_is_reported_not_merged(write):
    # </POSSTOCK> moved below the next <POSSTOCK>: the first holds two INVPOS; reading the
    # first of each would silently drop the second holding
    nested = POSITIONS[0].replace("</POSSTOCK>", "") + POSITIONS[2].replace(
        "<POSSTOCK>", "", 1)
    e = load_export(write("n.ofx", sgml(positions=[nested, POSITIONS[1]])))
    # AVAILCASH (1486.11) equals the VMFXX sweep, so it is skipped as in the full sample
    assert e.positions["symbol"].tolist() == ["VMFXX"]
    assert e.skipped[["line", "reason"]].to_dict("records")[1] == {
        "line": 36, "reason": "<POSSTOCK> holds UNIQUEID, UNIQUEIDTYPE, HELDINACCT, POSTYPE, "
                              "UNITS, UNITPRICE, MKTVAL more than once (an aggregate nested in "
                              "another): it cannot be read"}


def test_value_outside_its_aggregate_is_reported(write):
    text = sgml().replace("<INVBAL><AVAILCASH>1486.11", "<AVAILCASH>1486.11<INVBAL>")
    e = load_export(write("a.ofx", text))
    assert "CASH" not in e.positions["symbol"].tolist()
    got = e.skipped[e.skipped["reason"].str.contains("directly under")]
    assert got[["reason", "account"]].to_dict("records") == [
        {"reason": "<AVAILCASH> is directly under <INVSTMTRS>, outside the aggregate OFX "
                   "puts it in: not read", "account": "88776655"}]


def test_xml_empty_element_tag_is_an_element_without_a_value(write):
    # ofxstatement writes <BANKID/>; XML allows <MEMO/> for an empty element
    buy = ("<BUYSTOCK><INVBUY><INVTRAN><FITID>1</FITID><DTTRADE>20261002</DTTRADE><MEMO/>"
           "</INVTRAN><SECID><UNIQUEID>922908769</UNIQUEID><UNIQUEIDTYPE>CUSIP</UNIQUEIDTYPE>"
           "</SECID><UNITS>10</UNITS><UNITPRICE>300</UNITPRICE><TOTAL>-3000</TOTAL></INVBUY>"
           "<BUYTYPE>BUY</BUYTYPE></BUYSTOCK>\n")
    e = load_export(write("x.ofx", _xml_ofx(buy)))
    assert e.transactions[["source_line", "action", "quantity", "amount"]].to_dict(
        "records") == [{"source_line": 3, "action": "buy", "quantity": 10.0, "amount": -3000.0}]
    assert e.skipped.empty


def test_broken_bank_statement_is_refused_as_a_bank_statement(write):
    # a bank download with its </BANKTRANLIST> given twice (as in a public importer's test
    # file): what matters to the user is that it is no investment statement
    text = HEADER_V1 + (
        "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS><CURDEF>USD<BANKTRANLIST>\n"
        "<STMTTRN><TRNTYPE>XFER<TRNAMT>-55.00<FITID>1</STMTTRN></BANKTRANLIST>\n"
        "<STMTTRN><TRNTYPE>XFER<TRNAMT>-1000<FITID>2</STMTTRN></BANKTRANLIST>\n"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
    with pytest.raises(FormatError) as exc:
        load_export(write("transactions.qfx", text))
    assert (exc.value.line, exc.value.message) == (
        1, "no investment statement (INVSTMTRS) in this OFX file (it holds a bank or "
           "credit-card statement)")


def test_position_missing_from_the_seclist_is_noted_and_its_sweep_counted_once(write):
    # the settlement fund's SECINFO is absent: its CUSIP is the symbol and its name unknown;
    # AVAILCASH (1486.11) equals that $1.00 fund, so it is the sweep, not more cash
    seclist = "\n".join(ln for ln in SECLIST.split("\n") if "922906300" not in ln)
    text = sgml(positions=POSITIONS[:2]).replace(SECLIST.rstrip("\n"), seclist.rstrip("\n"))
    e = load_export(write("o.qfx", text))
    assert e.positions[["symbol", "market_value", "source_line"]].to_dict("records") == [
        {"symbol": "VTI", "market_value": 3050.0, "source_line": 36},
        {"symbol": "922906300", "market_value": 1486.11, "source_line": 37}]
    assert e.notes[-1] == ("security not in the SECLIST for the position(s) on line(s) 37: no "
                           "ticker or name, so the UNIQUEID is the symbol")
    assert e.skipped[["line", "reason", "symbol"]].to_dict("records")[-1] == {
        "line": 39, "reason": "AVAILCASH equals the $1.00 fund 922906300 (line 37), which the "
                              "SECLIST does not name: taken to be the sweep fund, counted once",
        "symbol": "CASH"}
