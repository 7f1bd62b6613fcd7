"""IBKR Flex Query XML: positions and lots, trades, cash transactions, closed lots, every date
form, the currency rule, hostile XML, truncation and missing attributes."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError, UnknownFormatError
from toolkit.io import load_export

INFO = ('<AccountInformation accountId="U1111111" acctAlias="Family" currency="{base}" '
        'accountType="Individual" />')


def flex(*sections: str, base: str | None = "USD", account: str = "U1111111",
         dates: tuple[str, str, str] = ("20250101", "20251231", "20260105;081244"),
         info: bool = True) -> str:
    """A one-statement Flex file; each section string is placed on its own lines.

    ``dates`` are the statement's fromDate, toDate and whenGenerated (line 4)."""
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<FlexQueryResponse queryName="t" type="AF">',
        '<FlexStatements count="1">',
        f'<FlexStatement accountId="{account}" fromDate="{dates[0]}" toDate="{dates[1]}" '
        f'period="LastYear" whenGenerated="{dates[2]}">',
    ]
    if info and base is not None:
        head.append(INFO.format(base=base))
    return "\n".join([*head, *sections, "</FlexStatement>", "</FlexStatements>",
                      "</FlexQueryResponse>"]) + "\n"


def op(symbol="VTI", position="100", lod="SUMMARY", currency="USD", fx="1", **kw) -> str:
    attrs = {"accountId": "U1111111", "currency": currency, "fxRateToBase": fx,
             "assetCategory": "STK", "symbol": symbol, "description": f"{symbol} FUND",
             "cusip": "922908769" if symbol == "VTI" else "", "reportDate": "20251231",
             "position": position, "markPrice": "300", "positionValue": "30000",
             "costBasisMoney": "25000", "side": "Long", "levelOfDetail": lod,
             "openDateTime": "", "holdingPeriodDateTime": "", "code": "",
             "originatingOrderID": "", "originatingTransactionID": ""}
    attrs.update(kw)
    return "<OpenPosition " + " ".join(f'{k}="{v}"' for k, v in attrs.items() if v is not None) \
        + " />"


def section(name: str, *rows: str) -> str:
    return "\n".join([f"<{name}>", *rows, f"</{name}>"])


def trade(**kw) -> str:
    attrs = {"accountId": "U1111111", "currency": "USD", "fxRateToBase": "1",
             "assetCategory": "STK", "symbol": "VTI", "description": "VTI FUND",
             "tradeDate": "20250415", "dateTime": "20250415;093000",
             "settleDateTarget": "20250416", "quantity": "40", "tradePrice": "300",
             "proceeds": "-12000", "taxes": "0", "ibCommission": "-1",
             "ibCommissionCurrency": "USD", "netCash": "-12001", "buySell": "BUY", "notes": "",
             "transactionType": "ExchTrade", "levelOfDetail": "EXECUTION"}
    tag = kw.pop("tag", "Trade")
    attrs.update(kw)
    return f"<{tag} " + " ".join(f'{k}="{v}"' for k, v in attrs.items() if v is not None) \
        + " />"


def cash(type_, amount, **kw) -> str:
    attrs = {"accountId": "U1111111", "currency": "USD", "fxRateToBase": "1", "symbol": "",
             "description": "", "dateTime": "20250930;202000", "settleDate": "20251001",
             "amount": amount, "type": type_, "levelOfDetail": "DETAIL"}
    attrs.update(kw)
    return "<CashTransaction " + " ".join(f'{k}="{v}"' for k, v in attrs.items()
                                          if v is not None) + " />"


def load(write, text, name="flex.xml", **options):
    return load_export(write(name, text), **options)


# --- open positions and lots -------------------------------------------------------------------

def test_summary_rows_are_positions_and_lot_rows_are_lots(write):
    text = flex(section(
        "OpenPositions",
        op(position="120", positionValue="36000", costBasisMoney="28000"),
        op(position="80", lod="LOT", positionValue="24000", costBasisMoney="16000",
           openDateTime="20210310;101500", holdingPeriodDateTime="20210310;101500",
           originatingOrderID="77", originatingTransactionID="9100001", code="LT"),
        op(position="40", lod="LOT", positionValue="12000", costBasisMoney="12000",
           openDateTime="20250415;093000", holdingPeriodDateTime="20250320;150000",
           originatingOrderID="1702002"),
        op(position="1", lod="LOT", positionValue="300", costBasisMoney="290",
           openDateTime="20250601", holdingPeriodDateTime=""),
    ))
    # the three lots sum to 121 shares while the summary says 120
    e = load(write, text)
    assert e.format == "ibkr_flex_xml"
    assert e.custodian == "ibkr"
    assert e.as_of == pd.Timestamp("2025-12-31")
    pos = e.positions
    assert pos[["account", "symbol", "cusip", "quantity", "price", "market_value",
                "cost_basis", "security_type", "source_line"]].to_dict("records") == [
        {"account": "U1111111", "symbol": "VTI", "cusip": "922908769", "quantity": 120.0,
         "price": 300.0, "market_value": 36000.0, "cost_basis": 28000.0,
         "security_type": "stock", "source_line": 7}]
    lots = e.lots
    assert lots["quantity"].tolist() == [80.0, 40.0, 1.0]
    assert lots["cost_basis"].tolist() == [16000.0, 12000.0, 290.0]
    assert lots["acquired"].tolist() == [pd.Timestamp("2021-03-10"), pd.Timestamp("2025-04-15"),
                                         pd.Timestamp("2025-06-01")]
    # holdingPeriodDateTime earlier than openDateTime (a wash sale moved it); missing -> acquired
    assert lots["holding_start"].tolist() == [pd.Timestamp("2021-03-10"),
                                              pd.Timestamp("2025-03-20"),
                                              pd.Timestamp("2025-06-01")]
    # originatingTransactionID, else originatingOrderID, else file:line
    assert lots["lot_id"].tolist() == ["9100001", "1702002", "flex.xml:10"]
    assert lots["term"].tolist()[0] == "long"
    assert lots["term"].isna().tolist() == [False, True, True]
    assert lots["source_line"].tolist() == [8, 9, 10]
    assert "U1111111 VTI: LOT rows sum to 121 shares but the SUMMARY row says 120" in e.notes


def test_positions_are_summed_from_lots_when_there_is_no_summary(write):
    text = flex(section(
        "OpenPositions",
        op(symbol="VXUS", position="100", lod="LOT", markPrice="65", positionValue="6500",
           costBasisMoney="5800", openDateTime="20220110;113000"),
        op(symbol="VXUS", position="50", lod="LOT", markPrice="65", positionValue="3250",
           costBasisMoney="3100", openDateTime="20250801;100000"),
    ))
    e = load(write, text)
    assert e.positions[["symbol", "quantity", "price", "market_value", "cost_basis",
                        "source_line"]].to_dict("records") == [
        {"symbol": "VXUS", "quantity": 150.0, "price": 65.0, "market_value": 9750.0,
         "cost_basis": 8900.0, "source_line": 7}]
    assert len(e.lots) == 2
    assert ("1 position(s) (VXUS) were summed from their LOT rows: the file has no SUMMARY "
            "row for them") in e.notes


def test_short_positions_and_lots_are_skipped(write):
    text = flex(section(
        "OpenPositions",
        op(symbol="TSLA", position="-5", side="Short"),
        op(symbol="TSLA", position="-5", side="Short", lod="LOT",
           openDateTime="20250102;100000"),
        op(symbol="VTI", position="10"),
    ))
    e = load(write, text)
    assert e.positions["symbol"].tolist() == ["VTI"]
    assert e.lots.empty
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 7, "reason": "short position: short positions are not supported"},
        {"line": 8, "reason": "short lot: short positions are not supported"},
    ]


def test_shared_ibflex_lot_sample(shared_samples):
    # One LOT row: VXX, position -100, side="Short" (a short lot) -> skipped, nothing loaded.
    e = load_export(shared_samples / "ibkr__ibflex__OpenPosition_LOT_fromtest.xml")
    assert e.format == "ibkr_flex_xml"
    assert e.positions.empty and e.lots.empty and e.transactions.empty
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "short lot: short positions are not supported"}]
    assert e.accounts.to_dict("records") == [
        {"account": "U123456", "name": "ibflex test", "custodian": "ibkr"}]
    assert e.as_of == pd.Timestamp("2011-12-30")  # reportDate (the fragment has no statement)


def test_shared_chf_base_statement(shared_samples):
    e = load_export(shared_samples / "ibkr__opensteuerauszug__vtandchill_2025_flex.xml")
    assert e.accounts.to_dict("records") == [
        {"account": "U12349876", "name": "CHILLACCOUNT (Individual)", "custodian": "ibkr"}]
    assert e.as_of == pd.Timestamp("2026-01-01")  # FlexStatement toDate
    # Positions: VT 200 sh (USD, positionValue 28212, costBasisMoney 28377.0925) and the USD
    # ending cash of the CashReport, -0.87. CHF cash (17000.05854876) is not USD: skipped.
    assert e.positions[["symbol", "quantity", "market_value", "cost_basis"]].to_dict(
        "records") == [
        {"symbol": "VT", "quantity": 200.0, "market_value": 28212.0, "cost_basis": 28377.0925},
        {"symbol": "CASH", "quantity": -0.87, "market_value": -0.87, "cost_basis": -0.87}]
    assert e.positions["market_value"].sum() == pytest.approx(28212 - 0.87)
    tx = e.transactions
    # Five USD VT buys: 130 + 28 + 10 + 10 + 22 = 200 shares; netCash
    # -17867.17 - 3970.40 - 1418 - 1418 - 3686.80 = -28360.37; commissions
    # 1 + 0.14 + 0.05 + 0.05 + 0.13 = 1.37.
    buys = tx[tx["action"] == "buy"]
    assert buys["source_line"].tolist() == [21, 22, 23, 24, 25]
    assert buys["quantity"].sum() == 200.0
    assert buys["amount"].sum() == pytest.approx(-28360.37)
    assert buys["fees"].sum() == pytest.approx(1.37)
    # USD cash transactions: withholding -21.746, dividend 144.976, interest received
    # 13.52 + 4.34 + 10.61 = 28.47, debit interest -2.01 (a fee).
    cash_rows = tx[tx["action"] != "buy"]
    assert cash_rows[["source_line", "action", "amount"]].to_dict("records") == [
        {"source_line": 44, "action": "tax_withheld", "amount": -21.746},
        {"source_line": 45, "action": "dividend", "amount": 144.976},
        {"source_line": 50, "action": "interest", "amount": 13.52},
        {"source_line": 51, "action": "interest", "amount": 4.34},
        {"source_line": 52, "action": "interest", "amount": 10.61},
        {"source_line": 53, "action": "fee", "amount": -2.01},
    ]
    chf = ("the toolkit works in US dollars and the statement's base currency is CHF, "
           "so fxRateToBase cannot convert it")
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 6, "reason": "cash report summary in the base currency (BASE_SUMMARY): the "
                              "per-currency rows are used"},
        {"line": 7, "reason": f"cash balance in CHF: {chf}"},
        {"line": 16, "reason": "cash balance also given by the CashReport (loaded from there)"},
        {"line": 17, "reason": "cash balance also given by the CashReport (loaded from there)"},
        {"line": 19, "reason": "trade summary row (ASSET_SUMMARY): the executions are loaded"},
        {"line": 20, "reason": "trade summary row (SYMBOL_SUMMARY): the executions are loaded"},
        {"line": 26, "reason": "trade summary row (SYMBOL_SUMMARY): the executions are loaded"},
        {"line": 27, "reason": "currency conversion (USD.CHF): not a security trade"},
        {"line": 28, "reason": "currency conversion (USD.CHF): not a security trade"},
        {"line": 46, "reason": f"cash transaction in CHF: {chf}"},
        {"line": 47, "reason": f"cash transaction in CHF: {chf}"},
        {"line": 48, "reason": f"cash transaction in CHF: {chf}"},
        {"line": 49, "reason": f"cash transaction in CHF: {chf}"},
    ]
    assert ("sections not read (structure for this toolkit): NetStockPositionSummary (1), "
            "PriorPeriodPositions (11)") in e.notes


# --- trades and closed lots --------------------------------------------------------------------

def test_trades_signs_fees_reinvestment_and_dates(write):
    text = flex(section(
        "Trades",
        trade(),
        trade(symbol="VXUS", quantity="20", buySell="SELL", tradePrice="62.5",
              proceeds="1250", taxes="-0.02", netCash="1248.98", tradeDate="20250610",
              dateTime="20250610;140512", settleDateTarget="20250611"),
        trade(symbol="VXUS", quantity="0.5", tradePrice="62", proceeds="-31", ibCommission="0",
              netCash="-31", notes="P;R", tradeDate="20250801", settleDateTarget=""),
        trade(quantity="-40", buySell="BUY (Ca.)", proceeds="12000", netCash="12001",
              transactionType="TradeCancel", tradeDate="20250416"),
    ))
    e = load(write, text)
    tx = e.transactions
    assert tx[["date", "settle_date", "action", "action_text", "symbol", "quantity", "price",
               "amount", "fees", "source_line"]].to_dict("records") == [
        {"date": pd.Timestamp("2025-04-15"), "settle_date": pd.Timestamp("2025-04-16"),
         "action": "buy", "action_text": "BUY", "symbol": "VTI", "quantity": 40.0,
         "price": 300.0, "amount": -12001.0, "fees": 1.0, "source_line": 7},
        # IBKR wrote the sell unsigned: made negative
        {"date": pd.Timestamp("2025-06-10"), "settle_date": pd.Timestamp("2025-06-11"),
         "action": "sell", "action_text": "SELL", "symbol": "VXUS", "quantity": -20.0,
         "price": 62.5, "amount": 1248.98, "fees": 1.02, "source_line": 8},
        {"date": pd.Timestamp("2025-08-01"), "settle_date": pd.NaT, "action": "reinvest",
         "action_text": "BUY", "symbol": "VXUS", "quantity": 0.5, "price": 62.0,
         "amount": -31.0, "fees": 0.0, "source_line": 9},
        {"date": pd.Timestamp("2025-04-16"), "settle_date": pd.Timestamp("2025-04-16"),
         "action": "other", "action_text": "BUY (Ca.)", "symbol": "VTI", "quantity": -40.0,
         "price": 300.0, "amount": 12001.0, "fees": 1.0, "source_line": 10},
    ]
    assert e.skipped.empty


def test_orders_summaries_washsales_and_forex(write):
    with_exec = flex(section(
        "Trades",
        trade(tag="SymbolSummary", levelOfDetail="SYMBOL_SUMMARY", tradeDate="MULTI"),
        trade(),
        trade(tag="Order", levelOfDetail="ORDER"),
        trade(tag="WashSale", levelOfDetail="WASH_SALE"),
        trade(symbol="EUR.USD", assetCategory="CASH"),
    ))
    e = load(write, with_exec)
    assert e.transactions["source_line"].tolist() == [8]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 7, "reason": "trade summary row (SYMBOL_SUMMARY): the executions are loaded"},
        {"line": 9, "reason": "order row: its executions are loaded"},
        {"line": 10, "reason": "wash-sale detail row: wash sales are computed by the toolkit"},
        {"line": 11, "reason": "currency conversion (EUR.USD): not a security trade"},
    ]
    # a query with orders only: the orders are the trades
    orders_only = flex(section("Trades", trade(tag="Order", levelOfDetail="ORDER")))
    e = load(write, orders_only, name="orders.xml")
    assert e.transactions[["action", "quantity", "amount"]].to_dict("records") == [
        {"action": "buy", "quantity": 40.0, "amount": -12001.0}]


def test_net_cash_mismatch_is_noted(write):
    e = load(write, flex(section("Trades", trade(netCash="-11990"))))
    assert e.transactions["amount"].tolist() == [-11990.0]
    assert ("1 trade(s) have a netCash that differs from proceeds + ibCommission + taxes; "
            "netCash (IBKR's cash effect) was used") in e.notes


def test_closed_lots_are_realized(write):
    text = flex(section(
        "Trades",
        trade(tag="Lot", symbol="VXUS", quantity="20", buySell="SELL", tradePrice="55",
              cost="1100", fifoPnlRealized="148.98", openDateTime="20220110;113000",
              tradeDate="20250610", notes="LT", levelOfDetail="CLOSED_LOT"),
        trade(symbol="TSLA", quantity="5", buySell="BUY", cost="2100", fifoPnlRealized="100",
              openDateTime="20250102;100000", levelOfDetail="CLOSED_LOT"),
    ))
    e = load(write, text)
    assert e.realized[["symbol", "quantity", "acquired", "sold", "proceeds", "cost_basis",
                       "gain", "term", "source_line"]].to_dict("records") == [
        {"symbol": "VXUS", "quantity": 20.0, "acquired": pd.Timestamp("2022-01-10"),
         "sold": pd.Timestamp("2025-06-10"), "proceeds": 1248.98, "cost_basis": 1100.0,
         "gain": 148.98, "term": "long", "source_line": 7}]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 8, "reason": "closed short lot: short positions are not supported"}]
    assert e.transactions.empty


# --- realised sales from executions (issue 12) --------------------------------------------------

LOSS_SALE = dict(symbol="VXUS", quantity="-50", buySell="SELL", tradePrice="58.40",
                 proceeds="2920", ibCommission="-1.00", taxes="-0.05", netCash="2918.95",
                 cost="-3250.00", fifoPnlRealized="-331.05", openCloseIndicator="C",
                 tradeDate="20250612", dateTime="20250612;101500", settleDateTarget="20250613")


def test_execution_with_a_realised_loss_is_a_realised_sale(write):
    # IBKR writes a closing sell with its FIFO cost (negative) and realised P/L. By hand:
    # net proceeds 50 x 58.40 = 2,920.00 - 1.00 commission - 0.05 taxes = 2,918.95;
    # basis 3,250.00; loss 2,918.95 - 3,250.00 = -331.05 (fifoPnlRealized says the same)
    e = load(write, flex(section("Trades", trade(), trade(**LOSS_SALE))))
    assert e.realized[["account", "symbol", "quantity", "sold", "proceeds", "cost_basis",
                       "gain", "source_line"]].to_dict("records") == [
        {"account": "U1111111", "symbol": "VXUS", "quantity": 50.0,
         "sold": pd.Timestamp("2025-06-12"), "proceeds": 2918.95, "cost_basis": 3250.0,
         "gain": -331.05, "source_line": 8}]
    assert e.realized["acquired"].isna().all() and e.realized["term"].isna().all()
    # the buy states no realised P/L: no realised row; both are transactions
    assert e.transactions["action"].tolist() == ["buy", "sell"]


def test_closed_lots_replace_the_sale_row_never_add_to_it(write):
    # the same sale with its two closed lots: 30 bought 2024-01-10 for 1,950.00 and 20
    # bought 2025-03-01 for 1,300.00; their P/L -198.63 and -132.42 add up to -331.05
    lots = [trade(tag="Lot", symbol="VXUS", quantity="30", buySell="SELL", cost="1950.00",
                  fifoPnlRealized="-198.63", openDateTime="20240110;100000",
                  tradeDate="20250612", dateTime="20250612;101500", notes="LT",
                  levelOfDetail="CLOSED_LOT"),
            trade(tag="Lot", symbol="VXUS", quantity="20", buySell="SELL", cost="1300.00",
                  fifoPnlRealized="-132.42", openDateTime="20250301;100000",
                  tradeDate="20250612", dateTime="20250612;101500", notes="ST",
                  levelOfDetail="CLOSED_LOT")]
    e = load(write, flex(section("Trades", trade(**LOSS_SALE), *lots)))
    assert e.realized[["quantity", "acquired", "cost_basis", "gain", "proceeds",
                       "term"]].to_dict("records") == [
        {"quantity": 30.0, "acquired": pd.Timestamp("2024-01-10"), "cost_basis": 1950.0,
         "gain": -198.63, "proceeds": 1751.37, "term": "long"},
        {"quantity": 20.0, "acquired": pd.Timestamp("2025-03-01"), "cost_basis": 1300.0,
         "gain": -132.42, "proceeds": 1167.58, "term": "short"}]
    assert e.realized["gain"].sum() == pytest.approx(-331.05)


def test_opening_sell_and_cover_are_not_realised_sales(write):
    short_open = {**LOSS_SALE, "openCloseIndicator": "O", "cost": "0", "fifoPnlRealized": "0"}
    cover = trade(symbol="VXUS", quantity="50", buySell="BUY", cost="2920",
                  fifoPnlRealized="-80", openCloseIndicator="C")
    e = load(write, flex(section("Trades", trade(**short_open), cover)))
    assert e.realized.empty
    assert len(e.transactions) == 2


@pytest.mark.parametrize(("drop", "extra", "note"), [
    (("netCash",), {}, "1 trade(s) have no netCash; their amount is proceeds (else "
                       "-tradeMoney, else -quantity x tradePrice x multiplier) + ibCommission "
                       "+ taxes"),
    (("netCash", "proceeds"), {"tradeMoney": "12000"}, None),
    (("netCash", "proceeds"), {"multiplier": "1"}, None),
])
def test_trade_without_net_cash_derives_it(write, drop, extra, note):
    # a buy of 40 at 300.00 with 1.00 commission: -12,000.00 - 1.00 = -12,001.00 whichever
    # of proceeds, tradeMoney or quantity x tradePrice gives the gross
    attrs = {k: None for k in drop}
    e = load(write, flex(section("Trades", trade(**attrs, **extra))))
    assert e.transactions[["action", "quantity", "amount", "fees"]].to_dict("records") == [
        {"action": "buy", "quantity": 40.0, "amount": -12001.0, "fees": 1.0}]
    if note:
        assert note in e.notes


def test_trade_with_no_amount_at_all_is_refused_for_that_layout(write):
    with pytest.raises(MissingColumnError) as exc:
        load(write, flex(section("Trades", trade(netCash=None, proceeds=None,
                                                 tradePrice=None))))
    assert (exc.value.line, exc.value.column) == (7, "netCash")


# --- cash balances given twice (issue 12) ------------------------------------------------------

def test_cash_report_given_twice_is_counted_once(write):
    usd = '<CashReportCurrency accountId="U1111111" currency="USD" endingCash="3080.90" />'
    e = load(write, flex(section("CashReport", usd), section("CashReport", usd)))
    assert e.positions[["symbol", "market_value", "source_line"]].to_dict("records") == [
        {"symbol": "CASH", "market_value": 3080.9, "source_line": 7}]
    assert e.skipped[["line", "reason", "account"]].to_dict("records") == [
        {"line": 10, "reason": "cash balance repeated in this statement (a CashReport given "
                               "twice): counted once", "account": "U1111111"}]
    other = usd.replace("3080.90", "2000.00")
    e = load(write, flex(section("CashReport", usd), section("CashReport", other)), name="b.xml")
    assert e.positions["market_value"].tolist() == [3080.9]
    assert e.skipped["reason"].tolist() == [
        "cash balance given again in this statement with a different amount (2,000.00 here); "
        "only line 7 is loaded"]


def test_two_statements_of_one_account_give_the_latest_cash(write):
    one = flex(section("CashReport", '<CashReportCurrency currency="USD" endingCash="500" />'),
               dates=("20250101", "20250630", "20250701;081244"))
    stmt = one.split('<FlexStatements count="1">\n', 1)[1].rsplit("</FlexStatements>", 1)[0]
    later = stmt.replace('toDate="20250630"', 'toDate="20251231"').replace(
        'endingCash="500"', 'endingCash="750"')
    e = load(write, one.replace("</FlexStatements>", later + "</FlexStatements>"))
    assert e.positions[["account", "market_value"]].to_dict("records") == [
        {"account": "U1111111", "market_value": 750.0}]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 7, "reason": "cash balance of an earlier statement of U1111111 (to 20250630): "
                              "the latest statement's balance is used"}]


# --- cash transactions, corporate actions, cash balances ---------------------------------------

@pytest.mark.parametrize(("type_", "amount", "description", "action"), [
    ("Dividends", "110.50", "VTI(US9229087690) CASH DIVIDEND USD 0.92 PER SHARE", "dividend"),
    ("Dividends", "40.00", "VTI(US9229087690) CASH DIVIDEND (Long Term Capital Gain)",
     "capital_gain"),
    ("Payment In Lieu Of Dividends", "12.00", "VTI PAYMENT IN LIEU", "dividend"),
    ("Withholding Tax", "-3.15", "VXUS FOREIGN TAX", "tax_withheld"),
    ("871(m) Withholding", "-1.00", "871M", "tax_withheld"),
    ("Broker Interest Received", "15.20", "USD CREDIT INT", "interest"),
    ("Bond Interest Received", "25.00", "BOND COUPON", "interest"),
    ("Broker Interest Paid", "-2.01", "USD DEBIT INT", "fee"),
    ("Deposits/Withdrawals", "20000", "ELECTRONIC FUND TRANSFER", "contribution"),
    ("Deposits &amp; Withdrawals", "-2500", "DISBURSEMENT", "withdrawal"),
    ("Other Fees", "-1.50", "MARKET DATA", "fee"),
    ("Commission Adjustments", "0.35", "COMMISSION REFUND", "fee"),
    ("Advisor Fees", "-30", "ADVISOR FEE", "fee"),
    ("Price Adjustments", "1.10", "PRICE ADJUSTMENT", "other"),
])
def test_cash_transaction_types(write, type_, amount, description, action):
    e = load(write, flex(section("CashTransactions",
                                 cash(type_, amount, description=description))))
    row = e.transactions.iloc[0]
    assert (row["action"], row["action_text"], row["amount"]) == (
        action, type_.replace("&amp;", "&"), float(amount))
    assert row["date"] == pd.Timestamp("2025-09-30")
    assert row["settle_date"] == pd.Timestamp("2025-10-01")
    assert pd.isna(row["quantity"]) and pd.isna(row["fees"])


def test_unknown_cash_type_and_summary_rows(write):
    text = flex(section(
        "CashTransactions",
        cash("Mystery Credit", "5.00", description="?"),
        cash("Dividends", "155.50", levelOfDetail="SUMMARY"),
        cash("Dividends", "45.00", symbol="VXUS", description="VXUS(US9219097683) DIV"),
    ))
    e = load(write, text)
    assert e.transactions[["action", "action_text", "amount"]].to_dict("records") == [
        {"action": "other", "action_text": "Mystery Credit", "amount": 5.0},
        {"action": "dividend", "action_text": "Dividends", "amount": 45.0},
    ]
    assert e.transactions["symbol"].isna().tolist() == [True, False]
    assert e.transactions["symbol"].iloc[1] == "VXUS"
    assert "unknown cash transaction types kept as 'other': 'Mystery Credit' (1)" in e.notes
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 8, "reason": "cash transaction summary row: the DETAIL rows are loaded"}]


def test_corporate_actions(write):
    text = flex(section(
        "CorporateActions",
        '<CorporateAction accountId="U1111111" currency="USD" fxRateToBase="1" symbol="IBKR" '
        'actionDescription="IBKR(US45841N1072) SPLIT 4 FOR 1" dateTime="20250617;202500" '
        'reportDate="20250618" quantity="3.75" proceeds="0" type="FS" />',
        '<CorporateAction accountId="U1111111" currency="USD" fxRateToBase="1" symbol="XYZ" '
        'actionDescription="XYZ CASH MERGER" dateTime="20250901" quantity="-10" '
        'proceeds="250" type="TC" />',
    ))
    e = load(write, text)
    assert e.transactions[["date", "action", "action_text", "symbol", "quantity",
                           "amount"]].to_dict("records") == [
        {"date": pd.Timestamp("2025-06-17"), "action": "split", "action_text": "FS",
         "symbol": "IBKR", "quantity": 3.75, "amount": 0.0},
        {"date": pd.Timestamp("2025-09-01"), "action": "other", "action_text": "TC",
         "symbol": "XYZ", "quantity": -10.0, "amount": 250.0},
    ]


def test_cash_report_and_fx_positions(write):
    report = section(
        "CashReport",
        '<CashReportCurrency accountId="U1111111" currency="BASE_SUMMARY" endingCash="3200" />',
        '<CashReportCurrency accountId="U1111111" currency="USD" endingCash="3080.90" />',
        '<CashReportCurrency accountId="U1111111" currency="EUR" endingCash="120" />')
    fx = section("FxPositions", '<FxLots>',
                 '<FxLot accountId="U1111111" fxCurrency="USD" quantity="3080.90" />',
                 '</FxLots>')
    e = load(write, flex(report, fx))
    assert e.positions[["symbol", "quantity", "price", "market_value", "cost_basis",
                        "asset_class", "source_line"]].to_dict("records") == [
        {"symbol": "CASH", "quantity": 3080.9, "price": 1.0, "market_value": 3080.9,
         "cost_basis": 3080.9, "asset_class": "cash", "source_line": 8}]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 7, "reason": "cash report summary in the base currency (BASE_SUMMARY): the "
                              "per-currency rows are used"},
        {"line": 9, "reason": "cash balance in EUR: no fxRateToBase to convert it to US "
                              "dollars"},
        {"line": 13, "reason": "cash balance also given by the CashReport (loaded from there)"},
    ]
    # without a CashReport the FxPositions give the cash
    e = load(write, flex(fx), name="fx.xml")
    assert e.positions[["symbol", "market_value", "source_line"]].to_dict("records") == [
        {"symbol": "CASH", "market_value": 3080.9, "source_line": 8}]


# --- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("trade_date", "date_time", "open_dt"), [
    ("20250415", "20250415;093000", "20210310;101500"),        # yyyyMMdd;HHmmss (default)
    ("20250415", "20250415,093000", "20210310,101500"),        # comma separator
    ("20250415", "20250415 09:30:00", "20210310 10:15:00"),    # space, HH:mm:ss
    ("20250415", "20250415093000", "20210310101500"),          # no separator
    ("2025-04-15", "2025-04-15;093000", "2021-03-10;101500"),  # yyyy-MM-dd;HHmmss
    ("2025-04-15", "2025-04-15 09:30:00", "2021-03-10 10:15:00"),
    ("2025-04-15", "2025-04-15T09:30:00", "2021-03-10T10:15:00"),
    ("04/15/2025", "04/15/2025;093000", "03/10/2021;101500"),  # MM/dd/yyyy (15 > 12)
    ("15/04/2025", "15/04/2025;093000", "10/03/2021;101500"),  # dd/MM/yyyy
    ("04/15/25", "04/15/25;093000", "03/10/21;101500"),        # MM/dd/yy
    ("15/04/25", "15/04/25 09:30:00", "10/03/21 10:15:00"),    # dd/MM/yy
    ("15-Apr-25", "15-Apr-25;093000", "10-Mar-21;101500"),     # dd-MMM-yy
])
def test_every_flex_date_form(write, trade_date, date_time, open_dt):
    # the statement's fromDate, toDate and whenGenerated in the same form
    stamps = {"20250415": ("20250101", "20251231", "20260105;081244"),
              "2025-04-15": ("2025-01-01", "2025-12-31", "2026-01-05;081244"),
              "04/15/2025": ("01/01/2025", "12/31/2025", "01/05/2026;081244"),
              "15/04/2025": ("01/01/2025", "31/12/2025", "05/01/2026;081244"),
              "04/15/25": ("01/01/25", "12/31/25", "01/05/26;081244"),
              "15/04/25": ("01/01/25", "31/12/25", "05/01/26;081244"),
              "15-Apr-25": ("01-Jan-25", "31-Dec-25", "05-Jan-26;081244")}[trade_date]
    text = flex(section("OpenPositions", op(position="40", lod="LOT", openDateTime=open_dt,
                                            holdingPeriodDateTime=open_dt,
                                            reportDate=stamps[1])),
                section("Trades", trade(tradeDate=trade_date, dateTime=date_time,
                                        settleDateTarget=trade_date)),
                dates=stamps)
    e = load(write, text)
    assert e.transactions["date"].tolist() == [pd.Timestamp("2025-04-15")]
    assert e.lots["acquired"].tolist() == [pd.Timestamp("2021-03-10")]
    assert e.as_of == pd.Timestamp("2025-12-31")


AMBIGUOUS = flex(section("Trades", trade(tradeDate="03/04/2025", dateTime="03/04/2025;093000",
                                         settleDateTarget="03/05/2025")),
                 dates=("01/01/2025", "12/01/2025", "12/02/2025;081244"))


def test_ambiguous_dates_ask_for_date_format(write):
    with pytest.raises(FormatError) as exc:
        load(write, AMBIGUOUS)
    assert exc.value.message == (
        "the file's dates (such as '01/01/2025') could be month-first or day-first; pass "
        "date_format='MM/dd/yyyy' or date_format='dd/MM/yyyy' to load_export")
    assert exc.value.line == 4


@pytest.mark.parametrize(("fmt", "day"), [("MM/dd/yyyy", "2025-03-04"),
                                          ("dd/MM/yyyy", "2025-04-03")])
def test_date_format_option_settles_ambiguity(write, fmt, day):
    e = load(write, AMBIGUOUS, date_format=fmt)
    assert e.transactions["date"].tolist() == [pd.Timestamp(day)]
    assert f"dates read as {fmt}" in e.notes


def test_date_format_errors(write):
    with pytest.raises(FormatError) as exc:
        load(write, AMBIGUOUS, date_format="dd.MM.yyyy")
    assert exc.value.message == ("unknown date_format 'dd.MM.yyyy'; use one of yyyyMMdd, "
                                 "yyyy-MM-dd, MM/dd/yyyy, dd/MM/yyyy, MM/dd/yy, dd/MM/yy, "
                                 "dd-MMM-yy")
    with pytest.raises(FormatError) as exc:
        load(write, AMBIGUOUS, date_format="yyyy-MM-dd")
    assert exc.value.message == "date '01/01/2025' does not match date_format='yyyy-MM-dd'"
    assert exc.value.line == 4
    conflicting = flex(section("Trades", trade(tradeDate="13/04/2025", dateTime="",
                                               settleDateTarget="04/14/2025")),
                       dates=("01/01/2025", "12/01/2025", "12/02/2025"))
    with pytest.raises(FormatError) as exc:
        load(write, conflicting, name="c.xml")
    assert exc.value.message == ("dates read both as dd/MM/yyyy (first '13/04/2025') and as "
                                 "MM/dd/yyyy ('04/14/2025')")
    mixed = flex(section("Trades", trade(tradeDate="2025-04-15")))
    with pytest.raises(FormatError) as exc:
        load(write, mixed, name="m.xml")
    assert exc.value.message == ("dates in more than one format (first '20250101', then "
                                 "'2025-04-15'); a Flex query writes one")
    assert exc.value.line == 7
    # a value of no date form among the file's dates is a damaged cell: its row is reported
    junk = flex(section("Trades", trade(tradeDate="April 15"), trade(symbol="BND")))
    e = load(write, junk, name="j.xml")
    assert e.transactions["symbol"].tolist() == ["BND"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 7, "reason": "cannot read tradeDate 'April 15': expected a date",
         "account": "U1111111", "symbol": "VTI"}]


# --- currency ----------------------------------------------------------------------------------

def test_usd_base_converts_other_currencies_with_fx_rate(write):
    text = flex(section("OpenPositions", op(symbol="SAP", currency="EUR", fx="1.08",
                                            markPrice="210", positionValue="2100",
                                            costBasisMoney="1800", position="10")),
                section("Trades", trade(symbol="SAP", currency="EUR", fxRateToBase="1.045",
                                        tradePrice="180", proceeds="-1800", ibCommission="-3",
                                        ibCommissionCurrency="EUR", netCash="-1803",
                                        quantity="10")))
    e = load(write, text)
    p = e.positions.iloc[0]
    assert (p["price"], p["market_value"], p["cost_basis"]) == pytest.approx(
        (210 * 1.08, 2100 * 1.08, 1800 * 1.08))
    t = e.transactions.iloc[0]
    assert (t["price"], t["amount"], t["fees"], t["quantity"]) == pytest.approx(
        (180 * 1.045, -1803 * 1.045, 3 * 1.045, 10.0))
    assert ("1 position rows in EUR were converted to US dollars with their fxRateToBase (the "
            "statement's base currency is USD)") in e.notes


def test_non_usd_base_skips_other_currencies_and_keeps_usd(write):
    text = flex(section("CashTransactions",
                        cash("Dividends", "22.00", currency="EUR", fxRateToBase="0.94"),
                        cash("Dividends", "10.00")),
                base="CHF")
    e = load(write, text)
    assert e.transactions["amount"].tolist() == [10.0]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 7, "reason": "cash transaction in EUR: the toolkit works in US dollars and "
                              "the statement's base currency is CHF, so fxRateToBase cannot "
                              "convert it"}]


def test_base_currency_inferred_or_unknown(write):
    rows = section("CashTransactions", cash("Dividends", "22.00", currency="EUR",
                                            fxRateToBase="1.12"))
    unknown = flex(rows, info=False)
    e = load(write, unknown)
    assert e.transactions.empty
    assert e.skipped["reason"].tolist() == [
        "cash transaction in EUR: the statement does not name its base currency, so "
        "fxRateToBase cannot convert it to US dollars"]
    # a USD row at fxRateToBase="1" shows the base is USD
    inferred = flex(section("CashTransactions",
                            cash("Dividends", "22.00", currency="EUR", fxRateToBase="1.12"),
                            cash("Dividends", "10.00")), info=False)
    e = load(write, inferred, name="i.xml")
    assert e.transactions["amount"].tolist() == pytest.approx([22.0 * 1.12, 10.0])
    missing_rate = flex(section("CashTransactions", cash("Dividends", "22.00", currency="EUR",
                                                         fxRateToBase="")))
    e = load(write, missing_rate, name="r.xml")
    assert e.skipped["reason"].tolist() == [
        "cash transaction in EUR: no fxRateToBase to convert it to US dollars"]


# --- accounts, detection, structure ------------------------------------------------------------

def test_accounts_from_statements_and_option(write):
    e = load(write, flex(section("CashTransactions", cash("Dividends", "1", accountId=""))))
    assert e.transactions["account"].tolist() == ["U1111111"]  # from the FlexStatement
    assert e.accounts.to_dict("records") == [
        {"account": "U1111111", "name": "Family (Individual)", "custodian": "ibkr"}]
    bare = ('<OpenPositions>\n<OpenPosition symbol="VTI" position="5" positionValue="1500" '
            'currency="USD" reportDate="20251231" />\n</OpenPositions>\n')
    with pytest.raises(FormatError) as exc:
        load(write, bare, name="bare.xml")
    assert (exc.value.message, exc.value.line, exc.value.column) == (
        "the row names no account (no accountId here or on its FlexStatement); pass account= "
        "to load_export", 2, "accountId")
    e = load(write, bare, name="bare.xml", account="U9")
    assert e.positions[["account", "symbol", "market_value"]].to_dict("records") == [
        {"account": "U9", "symbol": "VTI", "market_value": 1500.0}]


def test_two_statements(write):
    one = flex(section("CashTransactions", cash("Dividends", "1", accountId="")))
    stmt = one.split("<FlexStatements count=\"1\">\n", 1)[1].rsplit("</FlexStatements>", 1)[0]
    second = stmt.replace("U1111111", "U2222222")
    text = one.replace("</FlexStatements>", second + "</FlexStatements>")
    e = load(write, text)
    assert e.transactions["account"].tolist() == ["U1111111", "U2222222"]
    assert e.accounts["account"].tolist() == ["U1111111", "U2222222"]


def test_detected_by_content_and_unknown_xml(write):
    e = load_export(write("statement.txt", flex(section("Trades", trade()))))
    assert e.format == "ibkr_flex_xml"
    with pytest.raises(UnknownFormatError):
        load_export(write("other.xml", '<?xml version="1.0"?>\n<Portfolio><Holding/></Portfolio>\n'))


def test_multi_line_start_tag_reports_its_first_line(write):
    text = flex(section("CashTransactions",
                        '<CashTransaction accountId="U1111111" currency="USD"\n'
                        '   type="Dividends" amount="5" dateTime="20250930"\n   />'))
    e = load(write, text)
    assert e.transactions["source_line"].tolist() == [7]


def test_other_sections_are_listed_in_a_note(write):
    text = flex('<ChangeInNAV accountId="U1111111" startingValue="1" endingValue="2" />',
                section("PriorPeriodPositions",
                        '<PriorPeriodPosition accountId="U1111111" symbol="VT" />',
                        '<PriorPeriodPosition accountId="U1111111" symbol="VT" />'))
    e = load(write, text)
    assert ("sections not read (structure for this toolkit): ChangeInNAV (1), "
            "PriorPeriodPositions (2)") in e.notes
    assert e.skipped.empty


# --- hostile, broken and incomplete files ------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE FlexQueryResponse [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<FlexQueryResponse><FlexStatements count="1"><FlexStatement accountId="&d;">
</FlexStatement></FlexStatements></FlexQueryResponse>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE FlexQueryResponse [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<FlexQueryResponse><FlexStatements count="1"><FlexStatement accountId="&secret;">
</FlexStatement></FlexStatements></FlexQueryResponse>
"""


@pytest.mark.parametrize("text", [BOMB, XXE, BOMB.split("\n", 1)[1]],
                         ids=["bomb", "external_entity", "bomb_without_declaration"])
def test_entities_are_refused(write, text):
    with pytest.raises(FormatError) as exc:
        load(write, text)
    assert exc.value.message == (
        "the XML declares a DTD or entities (DTDForbidden); Flex files never do, and expanding "
        "them could be an entity-expansion bomb or read other files, so the file was not loaded")
    assert exc.value.path == "flex.xml"


def test_truncated_mid_element(write):
    full = flex(section("Trades", trade(), trade(symbol="VXUS")))
    cut = full[: full.index('symbol="VXUS"') + 5]
    with pytest.raises(FormatError) as exc:
        load(write, cut)
    assert exc.value.line == 8
    assert exc.value.message == ("not well-formed XML (unclosed token); the file looks "
                                 "truncated or damaged")
    cut = full[: full.index("</Trades>")]
    with pytest.raises(FormatError) as exc:
        load(write, cut, name="cut2.xml")
    assert exc.value.message == ("not well-formed XML (no element found); the file looks "
                                 "truncated or damaged")
    assert exc.value.line == 9


@pytest.mark.parametrize(("text", "line", "column"), [
    (flex(section("OpenPositions", op(position=None))), 7, "position"),
    (flex(section("OpenPositions", op(lod="LOT", openDateTime=None))), 7, "openDateTime"),
    (flex(section("Trades", trade(quantity=None))), 7, "quantity"),
    (flex(section("Trades", trade(tradeDate=None, dateTime=None))), 7, "tradeDate"),
    (flex(section("CashTransactions", cash("Dividends", None))), 7, "amount"),
    (flex(section("CashReport", '<CashReportCurrency currency="USD" />')), 7, "endingCash"),
])
def test_missing_required_attribute(write, text, line, column):
    with pytest.raises(MissingColumnError) as exc:
        load(write, text)
    assert (exc.value.line, exc.value.column) == (line, column)


def test_missing_required_attribute_message(write):
    with pytest.raises(MissingColumnError) as exc:
        load(write, flex(section("Trades", trade(tradeDate=None, dateTime=None))))
    assert exc.value.message == ("<Trade> elements have no tradeDate or dateTime attribute; "
                                 "add it to the Flex query")


def test_empty_or_unreadable_values_skip_their_row(write):
    e = load(write, flex(section("OpenPositions", op(), op(lod="LOT", openDateTime=""))))
    assert e.positions["symbol"].tolist() == ["VTI"] and e.lots.empty
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 8, "reason": "<OpenPosition> has no openDateTime (acquired date)",
         "account": "U1111111", "symbol": "VTI"}]
    e = load(write, flex(section("Trades", trade(), trade(quantity="ten"))), name="b.xml")
    assert e.transactions["source_line"].tolist() == [7]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 8, "reason": "cannot read quantity 'ten': expected a number"}]


def test_empty_and_binary_files(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("x.xml", b""), format="ibkr_flex_xml")
    assert exc.value.message == "the file is empty; expected a brokerage export"
    binary = write("y.xml", b"\x00\x01\x02<FlexQueryResponse>")
    with pytest.raises(UnknownFormatError):
        load_export(binary)
    with pytest.raises(FormatError) as exc:
        load_export(binary, format="ibkr_flex_xml")
    assert exc.value.message == ("format 'ibkr_flex_xml' reads xml or text files, but this "
                                 "file is binary data")


def test_repeated_and_orphan_lot_rows_are_reported_not_added(write):
    text = flex(section(
        "OpenPositions",
        op(position="60", positionValue="18000", costBasisMoney="15000"),             # line 7
        op(position="40", lod="LOT", positionValue="12000", costBasisMoney="9600",
           openDateTime="20230315;100102", originatingTransactionID="9100001"),     # line 8
        op(position="20", lod="LOT", positionValue="6000", costBasisMoney="5400",
           openDateTime="20250902;143000", originatingTransactionID="9100002"),     # line 9
        # line 10: line 8 again; line 11: the transaction of line 9 with another quantity
        op(position="40", lod="LOT", positionValue="12000", costBasisMoney="9600",
           openDateTime="20230315;100102", originatingTransactionID="9100001"),
        op(position="30", lod="LOT", positionValue="12000", costBasisMoney="9600",
           openDateTime="20230315;100102", originatingTransactionID="9100002"),
        # line 12: a lot of a holding with no SUMMARY row, where the others have one
        op(symbol="BND", position="10", lod="LOT", positionValue="720", costBasisMoney="700",
           openDateTime="20240105", originatingTransactionID="9100003"),
    ))
    e = load(write, text)
    assert e.positions[["symbol", "quantity"]].to_dict("records") == [
        {"symbol": "VTI", "quantity": 60.0}]
    # the loaded lots add up to the SUMMARY row's 60 shares: no note of a mismatch
    assert e.lots[["symbol", "quantity", "source_line"]].to_dict("records") == [
        {"symbol": "VTI", "quantity": 40.0, "source_line": 8},
        {"symbol": "VTI", "quantity": 20.0, "source_line": 9}]
    assert e.notes == ["dates read as yyyyMMdd"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 10, "reason": "lot repeated in this file (same originating transaction and "
                               "quantity as line 8): counted once",
         "account": "U1111111", "symbol": "VTI"},
        {"line": 11, "reason": "lot listed again with a different quantity (same originating "
                               "transaction as line 9); only that line is loaded",
         "account": "U1111111", "symbol": "VTI"},
        {"line": 12, "reason": "LOT row with no SUMMARY row for its holding, in a statement "
                               "that has SUMMARY rows: not loaded",
         "account": "U1111111", "symbol": "BND"}]
