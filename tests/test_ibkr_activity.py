"""IBKR Activity Statement CSV (positions with and without lots, trades, cash sections, totals)
and the 2025 Transaction History CSV."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

STATEMENT = [
    "Statement,Header,Field Name,Field Value",
    "Statement,Data,BrokerName,Interactive Brokers LLC",
    "Statement,Data,Title,Activity Statement",
    'Statement,Data,Period,"January 1, 2025 - December 31, 2025"',
    'Statement,Data,WhenGenerated,"2026-01-05, 08:12:44 EST"',
    "Account Information,Header,Field Name,Field Value",
    "Account Information,Data,Name,Jordan Lee",
    "Account Information,Data,Account,U7654321",
    "Account Information,Data,Account Type,Individual",
    "Account Information,Data,Base Currency,USD",
]  # lines 1-10
LOTS_HEADER = ("Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,"
               "Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,% of NAV,Code")
NO_LOTS_HEADER = ("Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,"
                  "Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code")
LOT_ROWS = [
    "Open Positions,Data,Summary,Stocks,USD,VTI,-,60,1,250.50,15030.00,300.00,18000.00,2970.00,"
    "57.95,",
    'Open Positions,Data,Lot,Stocks,USD,VTI,"2023-03-15, 10:01:02",40,,240.00,9600.00,300.00,'
    "12000.00,2400.00,,LT",
    'Open Positions,Data,Lot,Stocks,USD,VTI,"2025-09-02, 14:30:00",20,,271.50,5430.00,300.00,'
    "6000.00,570.00,,ST",
    "Open Positions,Data,Lot,Stocks,USD,IBKR,2024-11-28 (Vesting: 2025-11-28),5,,48.91,244.55,"
    "56.32,281.60,37.05,,Un;ST",
    "Open Positions,Total,,Stocks,USD,,,,,,15274.55,,18281.60,3007.05,,",
    "Open Positions,Notes,Lots are shown in FIFO order",
]  # lines 12-17 after the header on line 11
TRADES_HEADER = ("Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,"
                 "Quantity,T. Price,C. Price,Proceeds,Comm/Fee,Basis,Realized P/L,MTM P/L,Code")


def csv(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def load(write, text, name="U7654321_2025.csv", **options):
    return load_export(write(name, text, bom=True), **options)


# --- positions ---------------------------------------------------------------------------------

def test_positions_and_lots(write):
    e = load(write, csv(*STATEMENT, LOTS_HEADER, *LOT_ROWS))
    assert e.format == "ibkr_activity_csv"
    assert e.custodian == "ibkr"
    assert e.as_of == pd.Timestamp("2025-12-31")  # the period's end
    assert e.accounts.to_dict("records") == [
        {"account": "U7654321", "name": "Individual", "custodian": "ibkr"}]
    assert e.positions[["account", "symbol", "quantity", "price", "market_value", "cost_basis",
                        "security_type", "source_line"]].to_dict("records") == [
        {"account": "U7654321", "symbol": "VTI", "quantity": 60.0, "price": 300.0,
         "market_value": 18000.0, "cost_basis": 15030.0, "security_type": "stock",
         "source_line": 12},
    ]
    assert e.lots[["symbol", "quantity", "cost_basis", "acquired", "holding_start", "term",
                   "lot_id", "source_line"]].to_dict("records") == [
        {"symbol": "VTI", "quantity": 40.0, "cost_basis": 9600.0,
         "acquired": pd.Timestamp("2023-03-15"), "holding_start": pd.Timestamp("2023-03-15"),
         "term": "long", "lot_id": "U7654321_2025.csv:13", "source_line": 13},
        {"symbol": "VTI", "quantity": 20.0, "cost_basis": 5430.0,
         "acquired": pd.Timestamp("2025-09-02"), "holding_start": pd.Timestamp("2025-09-02"),
         "term": "short", "lot_id": "U7654321_2025.csv:14", "source_line": 14},
    ]
    # IBKR's lot has no Summary row although the statement writes them: a damaged symbol
    # must not make up a holding, so the lot is reported and no position is derived
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 15, "reason": "Lot row with no Summary row for its holding, in a statement "
                               "that has Summary rows: not loaded"},
        {"line": 16, "reason": "Open Positions total row"},
        {"line": 17, "reason": "Open Positions notes row"},
    ]
    assert e.skipped[["account", "symbol"]].iloc[0].tolist() == ["U7654321", "IBKR"]


def test_statement_of_lots_only_sums_positions_from_them(write):
    rows = [r for r in LOT_ROWS if ",Summary," not in r]
    e = load(write, csv(*STATEMENT, LOTS_HEADER, *rows))
    assert e.positions[["symbol", "quantity", "market_value", "cost_basis",
                        "source_line"]].to_dict("records") == [
        {"symbol": "VTI", "quantity": 60.0, "market_value": 18000.0, "cost_basis": 15030.0,
         "source_line": 12},
        {"symbol": "IBKR", "quantity": 5.0, "market_value": 281.6, "cost_basis": 244.55,
         "source_line": 14}]
    assert ("2 position(s) (VTI, IBKR) were summed from their Lot rows: the statement has no "
            "Summary row for them") in e.notes


def test_positions_without_lot_detail(write):
    rows = [
        "Open Positions,Data,Summary,Stocks,USD,BND,100,1,72.10,7210.00,73.50,7350.00,140.00,",
        "Open Positions,Data,Lot,Stocks,USD,BND,100,1,72.10,7210.00,73.50,7350.00,140.00,",
        "Open Positions,Total,,Stocks,USD,,,,,7210.00,,7350.00,140.00,",
    ]
    e = load(write, csv(*STATEMENT, NO_LOTS_HEADER, *rows))
    assert e.positions[["symbol", "quantity", "market_value", "cost_basis"]].to_dict(
        "records") == [{"symbol": "BND", "quantity": 100.0, "market_value": 7350.0,
                        "cost_basis": 7210.0}]
    assert e.lots.empty
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 13, "reason": "lot row without an Open date (the statement was run without "
                               "lot detail)"},
        {"line": 14, "reason": "Open Positions total row"},
    ]


def test_older_long_and_short_sections_and_reemitted_headers(write):
    long_header = LOTS_HEADER.replace("Open Positions", "Long Open Positions")
    rows = [
        long_header,
        "Long Open Positions,Data,Summary,Stocks,CAD,ENB,-,154,1,51.83,7982.39,49.35,7599.90,"
        "-382.49,4.65,",
        # the header comes again for another asset category, here without % of NAV and Mult
        "Long Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,"
        "Quantity,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code",
        "Long Open Positions,Data,Summary,Bonds,USD,T 4 5/8 09/15/26,-,1000,100.16,1001.60,"
        "100.20,1002.00,0.40,",
        "Short Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,"
        "Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,% of NAV,Code",
        "Short Open Positions,Data,Summary,Stocks,USD,TSLA,-,-5,1,420,-2100,400,-2000,100,-1,",
    ]
    base = [line.replace("Base Currency,USD", "Base Currency,CAD") for line in STATEMENT]
    e = load(write, csv(*base, *rows))
    assert e.positions[["symbol", "quantity", "market_value", "security_type",
                        "source_line"]].to_dict("records") == [
        {"symbol": "T 4 5/8 09/15/26", "quantity": 1000.0, "market_value": 1002.0,
         "security_type": "bond", "source_line": 14}]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 12, "reason": "position in CAD: the toolkit works in US dollars and the "
                               "statement's base currency is CAD, so Base Currency Exchange "
                               "Rate cannot convert it"},
        {"line": 16, "reason": "short position: short positions are not supported"},
    ]


def test_non_usd_positions_converted_when_base_is_usd(write):
    rows = [LOTS_HEADER,
            "Open Positions,Data,Summary,Stocks,CAD,XEQT,-,50,1,30.00,1500.00,32.00,1600.00,"
            "100.00,3.76,",
            'Open Positions,Data,Lot,Stocks,CAD,XEQT,"2025-02-03, 11:00:00",50,,30.00,1500.00,'
            "32.00,1600.00,100.00,,ST",
            "Open Positions,Data,Summary,Stocks,EUR,SAP,-,10,1,180,1800,210,2100,300,1,",
            "Base Currency Exchange Rate,Header,Currency,Rate",
            "Base Currency Exchange Rate,Data,CAD,0.73"]
    e = load(write, csv(*STATEMENT, *rows))
    p = e.positions.iloc[0]
    assert (p["symbol"], p["quantity"]) == ("XEQT", 50.0)
    assert (p["price"], p["market_value"], p["cost_basis"]) == pytest.approx(
        (32 * 0.73, 1600 * 0.73, 1500 * 0.73))
    assert e.lots["cost_basis"].tolist() == pytest.approx([1500 * 0.73])
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 14, "reason": "position in EUR: no Base Currency Exchange Rate to convert it "
                               "to US dollars"}]


# --- trades and cash sections ------------------------------------------------------------------

TRADE_ROWS = [
    TRADES_HEADER,
    'Trades,Data,Order,Stocks,USD,VTI,"2025-09-02, 14:30:00",20,271.50,272.00,-5430.00,-1.00,'
    "5431.00,0,10.00,O",
    'Trades,Data,Order,Stocks,USD,VTI,"2025-12-15, 09:31:00",0.1234,280.00,280.50,-34.55,0,'
    "34.55,0,0.06,O;R",
    'Trades,Data,Trade,Stocks,USD,VTI,"2025-12-15, 09:31:00",0.1234,280.00,280.50,-34.55,0,'
    "34.55,0,0.06,O;R",
    "Trades,SubTotal,,Stocks,USD,VTI,,20.1234,,,-5464.55,-1.00,5465.55,0,10.06,",
    'Trades,Data,Order,Stocks,USD,VXUS,"2025-10-06, 10:15:30",-30,65.20,65.10,1956.00,-1.00,'
    "-1800.00,155.00,-3.00,C",
    "Trades,Data,ClosedLot,Stocks,USD,VXUS,2022-01-10,30,60.00,,,,1800.00,155.00,,LT",
    'Trades,Data,Order,Stocks,CAD,XEQT,"2025-02-03, 11:00:00",50,30.00,30.10,-1500.00,-1.00,'
    "1501.00,0,5.00,O",
    "Trades,Total,,Stocks,USD,,,,,,-3508.55,-2.00,3665.55,155.00,7.06,",
    "Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,"
    "T. Price,,Proceeds,Comm in USD,,,MTM in USD,Code",
    'Trades,Data,Order,Forex,CAD,USD.CAD,"2025-02-03, 10:59:00",1100,1.3650,,-1501.50,-2.00,'
    ",,0.40,",
]  # lines 11-21


def test_trades(write):
    e = load(write, csv(*STATEMENT, *TRADE_ROWS))
    assert e.transactions[["date", "action", "action_text", "symbol", "quantity", "price",
                           "amount", "fees", "source_line"]].to_dict("records") == [
        {"date": pd.Timestamp("2025-09-02"), "action": "buy", "action_text": "Order O",
         "symbol": "VTI", "quantity": 20.0, "price": 271.5, "amount": -5431.0, "fees": 1.0,
         "source_line": 12},
        {"date": pd.Timestamp("2025-12-15"), "action": "reinvest", "action_text": "Order O;R",
         "symbol": "VTI", "quantity": 0.1234, "price": 280.0, "amount": -34.55, "fees": 0.0,
         "source_line": 13},
        {"date": pd.Timestamp("2025-10-06"), "action": "sell", "action_text": "Order C",
         "symbol": "VXUS", "quantity": -30.0, "price": 65.2, "amount": 1955.0, "fees": 1.0,
         "source_line": 16},
    ]
    # the VXUS sale's closed lot is its realised sale: 30 shares bought 2022-01-10, basis
    # 1,800.00, realised P/L 155.00, so net proceeds 1,955.00 (1,956.00 - 1.00 commission)
    assert e.realized[["account", "symbol", "quantity", "acquired", "sold", "proceeds",
                       "cost_basis", "gain", "term", "source_line"]].to_dict("records") == [
        {"account": "U7654321", "symbol": "VXUS", "quantity": 30.0,
         "acquired": pd.Timestamp("2022-01-10"), "sold": pd.Timestamp("2025-10-06"),
         "proceeds": 1955.0, "cost_basis": 1800.0, "gain": 155.0, "term": "long",
         "source_line": 17}]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 14, "reason": "execution detail of an order row (the order is loaded)"},
        {"line": 15, "reason": "Trades subtotal row"},
        {"line": 18, "reason": "trade in CAD: the toolkit works in US dollars and an activity "
                               "statement gives no exchange rate for the transaction's date"},
        {"line": 19, "reason": "Trades total row"},
        {"line": 21, "reason": "currency conversion (USD.CAD): not a security trade"},
    ]


def test_execution_rows_load_when_there_are_no_orders(write):
    rows = [TRADES_HEADER,
            'Trades,Data,Trade,Stocks,USD,VTI,"2025-09-02, 14:30:00",20,271.50,272.00,-5430.00,'
            "-1.00,5431.00,0,10.00,O"]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.transactions[["action", "quantity", "amount"]].to_dict("records") == [
        {"action": "buy", "quantity": 20.0, "amount": -5431.0}]


def test_cash_sections(write):
    rows = [
        "Dividends,Header,Currency,Date,Description,Amount",
        "Dividends,Data,USD,2025-09-30,VTI(US9229087690) Cash Dividend USD 0.9322 per Share "
        "(Ordinary Dividend),55.93",
        "Dividends,Data,USD,2025-12-20,BRK B(US0846707026) Cash Dividend (Long Term Capital "
        "Gain),4.00",
        "Dividends,Data,EUR,2025-05-16,SAP(DE0007164600) Cash Dividend EUR 2.20 per Share,22.00",
        "Dividends,Data,Total,,,59.93",
        "Dividends,Data,Total in USD,,,84.57",
        "Withholding Tax,Header,Currency,Date,Description,Amount,Code",
        "Withholding Tax,Data,USD,2025-09-30,VXUS(US9219097683) Cash Dividend - Foreign Tax,"
        "-0.45,",
        "Deposits & Withdrawals,Header,Currency,Settle Date,Description,Amount",
        "Deposits & Withdrawals,Data,USD,2025-01-06,Electronic Fund Transfer,10000",
        "Deposits & Withdrawals,Data,USD,2025-11-14,Disbursement Initiated by Jordan Lee,-2500",
        "Interest,Header,Currency,Date,Description,Amount",
        "Interest,Data,USD,2025-11-04,USD Credit Interest for Oct-2025,18.42",
        "Interest,Data,USD,2025-12-03,USD Debit Interest for Nov-2025,-3.10",
        "Fees,Header,Subtitle,Currency,Date,Description,Amount",
        "Fees,Data,Other Fees,USD,2025-08-04,Market data fee for Jul-2025,-1.50",
        "Fees,Data,Total,,,,-1.50",
        "Corporate Actions,Header,Asset Category,Currency,Report Date,Date/Time,Description,"
        "Quantity,Proceeds,Value,Realized P/L,Code",
        'Corporate Actions,Data,Stocks,USD,2025-06-18,"2025-06-17, 20:25:00","IBKR(US45841N1072) '
        'Split 4 for 1 (IBKR, INTERACTIVE BROKERS GRO-CL A, US45841N1072)",3.75,0,0,0,',
    ]  # lines 11-29
    e = load(write, csv(*STATEMENT, *rows))
    tx = e.transactions
    assert tx["source_line"].tolist() == [12, 13, 18, 20, 21, 23, 24, 26, 29]
    assert tx["action"].tolist() == ["dividend", "capital_gain", "tax_withheld", "contribution",
                                     "withdrawal", "interest", "fee", "fee", "split"]
    assert tx["symbol"].tolist()[:3] == ["VTI", "BRK B", "VXUS"]
    assert tx["symbol"].iloc[3:8].isna().all()
    assert tx["symbol"].iloc[8] == "IBKR"
    assert tx["amount"].tolist() == [55.93, 4.0, -0.45, 10000.0, -2500.0, 18.42, -3.1, -1.5, 0.0]
    assert tx["settle_date"].notna().tolist() == [False, False, False, True, True, False,
                                                  False, False, False]
    assert tx["quantity"].tolist()[8] == 3.75
    assert tx["quantity"].iloc[:8].isna().all()
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 14, "reason": "dividend in EUR: the toolkit works in US dollars and an "
                               "activity statement gives no exchange rate for the "
                               "transaction's date"},
        {"line": 15, "reason": "Dividends total row"},
        {"line": 16, "reason": "Dividends total row"},
        {"line": 27, "reason": "Fees total row"},
    ]


def test_cash_report_ending_cash(write):
    rows = [
        "Cash Report,Header,Currency Summary,Currency,Total,Securities,Futures,Month to Date,"
        "Year to Date",
        "Cash Report,Data,Starting Cash,Base Currency Summary,2000.00,2000.00,0,,",
        "Cash Report,Data,Ending Cash,Base Currency Summary,4512.73,4512.73,0,,",
        "Cash Report,Data,Ending Cash,CAD,0.50,0.50,0,,",
        "Cash Report,Data,Ending Cash,USD,4512.37,4512.37,0,,",
    ]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.positions[["symbol", "quantity", "price", "market_value", "cost_basis",
                        "asset_class", "source_line"]].to_dict("records") == [
        {"symbol": "CASH", "quantity": 4512.37, "price": 1.0, "market_value": 4512.37,
         "cost_basis": 4512.37, "asset_class": "cash", "source_line": 15}]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 13, "reason": "cash report summary in the base currency: the per-currency "
                               "rows are used"},
        {"line": 14, "reason": "cash balance in CAD: no Base Currency Exchange Rate to "
                               "convert it to US dollars"},
    ]
    assert "Cash Report: only the Ending Cash rows are read" in e.notes


def test_cash_report_given_twice_is_counted_once(write):
    header = ("Cash Report,Header,Currency Summary,Currency,Total,Securities,Futures,"
              "Month to Date,Year to Date")
    usd = "Cash Report,Data,Ending Cash,USD,4512.37,4512.37,0,,"
    e = load(write, csv(*STATEMENT, header, usd, header, usd))
    assert e.positions[["symbol", "market_value", "source_line"]].to_dict("records") == [
        {"symbol": "CASH", "market_value": 4512.37, "source_line": 12}]
    assert e.skipped[["line", "reason", "account"]].to_dict("records") == [
        {"line": 14, "reason": "cash balance repeated (the Cash Report given twice): counted "
                               "once", "account": "U7654321"}]
    e = load(write, csv(*STATEMENT, header, usd, header, usd.replace("4512.37,", "12.00,")),
             name="b.csv")
    assert e.positions["market_value"].tolist() == [4512.37]
    assert e.skipped["reason"].tolist() == [
        "cash balance given again with a different amount (12.00 here); only line 12 is "
        "loaded"]


def test_sale_without_closed_lots_is_one_realised_sale(write):
    # Order row: proceeds 1,956.00, Comm/Fee -1.00 (net 1,955.00), Basis -1,800.00 and
    # Realized P/L 155.00 = 1,955.00 - 1,800.00
    rows = [TRADES_HEADER,
            'Trades,Data,Order,Stocks,USD,VXUS,"2025-10-06, 10:15:30",-30,65.20,65.10,1956.00,'
            "-1.00,-1800.00,155.00,-3.00,C"]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.realized[["symbol", "quantity", "sold", "proceeds", "cost_basis", "gain",
                       "source_line"]].to_dict("records") == [
        {"symbol": "VXUS", "quantity": 30.0, "sold": pd.Timestamp("2025-10-06"),
         "proceeds": 1955.0, "cost_basis": 1800.0, "gain": 155.0, "source_line": 12}]
    assert e.realized["acquired"].isna().all()


def test_closed_lots_of_a_sale_split_its_realised_gain(write):
    # a sale of 50 VXUS closing two lots: 30 from 2022-01-10 (basis 1,800.00, P/L 155.00)
    # and 20 from 2025-06-02 (basis 1,320.00, P/L -16.00); net proceeds 3,259.00
    rows = [TRADES_HEADER,
            'Trades,Data,Order,Stocks,USD,VXUS,"2025-10-06, 10:15:30",-50,65.20,65.10,3260.00,'
            "-1.00,-3120.00,139.00,-3.00,C",
            "Trades,Data,ClosedLot,Stocks,USD,VXUS,2022-01-10,30,60.00,,,,1800.00,155.00,,LT",
            "Trades,Data,ClosedLot,Stocks,USD,VXUS,2025-06-02,20,66.00,,,,1320.00,-16.00,,ST"]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.realized[["quantity", "acquired", "sold", "proceeds", "cost_basis", "gain",
                       "term", "source_line"]].to_dict("records") == [
        {"quantity": 30.0, "acquired": pd.Timestamp("2022-01-10"),
         "sold": pd.Timestamp("2025-10-06"), "proceeds": 1955.0, "cost_basis": 1800.0,
         "gain": 155.0, "term": "long", "source_line": 13},
        {"quantity": 20.0, "acquired": pd.Timestamp("2025-06-02"),
         "sold": pd.Timestamp("2025-10-06"), "proceeds": 1304.0, "cost_basis": 1320.0,
         "gain": -16.0, "term": "short", "source_line": 14}]
    assert e.realized["proceeds"].sum() == pytest.approx(3259.0)
    assert e.transactions["quantity"].tolist() == [-50.0]


def test_closed_lot_of_a_short_cover_is_reported(write):
    rows = [TRADES_HEADER,
            'Trades,Data,Order,Stocks,USD,TSLA,"2025-10-06, 10:15:30",5,200.00,200.00,-1000.00,'
            "-1.00,1000.00,-20.00,0,C",
            "Trades,Data,ClosedLot,Stocks,USD,TSLA,2025-09-01,-5,196.00,,,,-980.00,-20.00,,ST"]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.realized.empty
    assert e.skipped[["line", "reason", "symbol"]].to_dict("records") == [
        {"line": 13, "reason": "closed short lot: short positions are not supported",
         "symbol": "TSLA"}]


def test_unread_sections_are_noted_and_trailing_junk_reported(write):
    rows = ["Net Asset Value,Header,Asset Class,Prior Total,Current Total",
            "Net Asset Value,Data,Stock,100,200",
            "Codes,Header,Code,Meaning", "Codes,Data,O,Opening Trade",
            "Interest,Header,Currency,Date,Description,Amount",
            "Interest,Data,USD,2025-11-04,USD Credit Interest for Oct-2025,18.42",
            "a stray line,with,cells",
            "Interet,Data,USD,2025-11-04,a damaged section name,1.00"]
    e = load(write, csv(*STATEMENT, *rows))
    assert ("sections not read (structure for this toolkit): Codes (1), Net Asset Value (1)"
            in e.notes)
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 17, "reason": "row is not in the Section,RowType,... layout"},
        {"line": 18, "reason": "row of a section 'Interet' that has no header: it cannot be "
                               "read"}]


def test_file_without_any_section_the_loader_reads_is_refused(write):
    rows = ["Net Asset Value,Header,Asset Class,Prior Total,Current Total",
            "Net Asset Value,Data,Stock,100,200"]
    with pytest.raises(FormatError) as exc:
        load(write, csv(*STATEMENT, *rows))
    assert (exc.value.line, exc.value.message) == (
        1, "no Open Positions, Trades, cash or Cash Report section (found Account Information, "
           "Net Asset Value, Statement); the file is not this report or has lost its section "
           "headers")


def test_sample_file_totals(samples):
    e = load_export(samples / "formats" / "ibkr" / "Activity_U7654321_2025.csv")
    # Positions: XEQT 1600 CAD x 0.73 = 1168.00, BND 7350.00, IBKR 281.60, VTI 18000.00 and
    # cash 4512.37 USD + 0.50 CAD x 0.73 = 4512.735: 31312.335 in all.
    assert e.positions["market_value"].sum() == pytest.approx(31312.335)
    # Lots: XEQT 1500 x 0.73 = 1095, BND 7210, IBKR 244.55, VTI 9600 + 5430 = 23579.55 basis.
    assert e.lots["cost_basis"].sum() == pytest.approx(23579.55)
    # Skipped: totals (19, 27, 30, 37, 43, 46, 50, 53, 56, 59), the short SPY put (29), the CAD
    # trade (32), the subtotal (35), the forex conversion (39), the base-currency cash summary
    # (62).
    assert e.skipped["line"].tolist() == [19, 27, 29, 30, 32, 35, 37, 39, 43, 46, 50, 53, 56,
                                          59, 62]
    # Transactions: -5431 - 34.55 + 1955 (trades) + 6.39 + 55.93 - 0.45 (dividends, tax)
    # + 10000 - 2500 (deposit, withdrawal) + 18.42 - 1.50 (interest, fee) + 0 (split) = 4068.24
    assert e.transactions["amount"].sum() == pytest.approx(4068.24)


# --- as_of and accounts ------------------------------------------------------------------------

def test_as_of_from_when_generated_and_account_option(write):
    head = [line for line in STATEMENT if "Period" not in line and "Account," not in line]
    rows = ["Interest,Header,Currency,Date,Description,Amount",
            "Interest,Data,USD,2025-11-04,USD Credit Interest for Oct-2025,18.42"]
    with pytest.raises(FormatError) as exc:
        load(write, csv(*head, *rows))
    assert (exc.value.message, exc.value.line, exc.value.column) == (
        "the statement names no account (no Account Information,Data,Account row); pass "
        "account= to load_export", 10, "Account")
    e = load(write, csv(*head, *rows), account="U55")
    assert e.as_of == pd.Timestamp("2026-01-05")
    assert e.transactions["account"].tolist() == ["U55"]
    assert e.accounts.to_dict("records") == [
        {"account": "U55", "name": "Individual", "custodian": "ibkr"}]


def test_detected_by_content(write):
    e = load_export(write("activity.txt", csv(*STATEMENT, LOTS_HEADER, *LOT_ROWS[:1])))
    assert e.format == "ibkr_activity_csv"
    # a statement that starts with its Open Positions section
    e = load_export(write("bare.csv", csv(NO_LOTS_HEADER,
                                          "Open Positions,Data,Summary,Stocks,USD,VTI,10,1,"
                                          "250,2500,260,2600,100,")), account="U1")
    assert e.format == "ibkr_activity_csv"
    assert e.positions["market_value"].tolist() == [2600.0]


# --- malformed files ---------------------------------------------------------------------------

def test_truncated_mid_row(write):
    text = csv(*STATEMENT, LOTS_HEADER, *LOT_ROWS)
    cut = text[: text.index('"2025-09-02, 14:30')] + '"2025-09-02, 14'
    with pytest.raises(FormatError) as exc:
        load(write, cut)
    assert exc.value.line == 14
    cut = text[: text.index("Open Positions,Data,Lot,Stocks,USD,IBKR")] + \
        "Open Positions,Data,Lot,Stocks,USD,IBK"
    with pytest.raises(FormatError) as exc:
        load(write, cut, name="cut2.csv")
    assert exc.value.line == 15
    assert exc.value.message == ("row has 6 cells but the Open Positions header needs 13; the "
                                 "file looks truncated or the row is malformed")


def test_missing_required_column(write):
    header = LOTS_HEADER.replace(",Quantity,", ",Qty,")
    with pytest.raises(MissingColumnError) as exc:
        load(write, csv(*STATEMENT, header, *LOT_ROWS[:1]))
    assert (exc.value.line, exc.value.column) == (11, "Quantity")


def test_bad_cell_skips_its_row(write):
    rows = [TRADES_HEADER,
            'Trades,Data,Order,Stocks,USD,VTI,"2025-09-02, 14:30:00",twenty,271.50,272.00,'
            "-5430.00,-1.00,5431.00,0,10.00,O",
            'Trades,Data,Order,Stocks,USD,BND,"2025-09-02, 14:30:00",10,70.00,70.00,'
            "-700.00,-1.00,701.00,0,0,O"]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.transactions["symbol"].tolist() == ["BND"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 12, "reason": "cannot read Quantity 'twenty': expected a number",
         "account": "U7654321", "symbol": "VTI"}]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty; expected a brokerage export"),
    (b"\x00\x01\x02Statement,Header",
     "format 'ibkr_activity_csv' reads text files, but this file is binary data"),
])
def test_empty_and_binary(write, content, message):
    with pytest.raises(FormatError) as exc:
        load_export(write("x.csv", content), format="ibkr_activity_csv")
    assert exc.value.message == message


# --- Transaction History -----------------------------------------------------------------------

HISTORY = [
    "Statement,Header,Field Name,Field Value",
    "Statement,Data,Title,Transaction History",
    'Statement,Data,Period,"January 1, 2025 - December 31, 2025"',
    'Statement,Data,WhenGenerated,"2026-01-05, 08:12:44 EST"',
    "Summary,Header,Field Name,Field Value",
    "Summary,Data,Base Currency,USD",
    "Transaction History,Header,Date,Account,Description,Transaction Type,Symbol,Quantity,Price,"
    "Price Currency,Gross Amount ,Commission,Net Amount",
    "Transaction History,Data,2025-11-03,U***00001,VT(US9220427424) Cash Dividend USD 0.50 per "
    "Share,Dividend,VT,-,-,-,20.0,-,20.0",
    "Transaction History,Data,2025-11-03,U***00001,VT(US9220427424) Cash Dividend - Foreign "
    "Tax,Foreign Tax Withholding,VT,-,-,-,-3.0,-,-3.0",
    "Transaction History,Data,2025-08-15,U***00001,VANGUARD TOT WORLD,Sell,VT,-2.0,120.00,USD,"
    "240.0,-1.0,239.0",
    "Transaction History,Data,2025-03-15,U***00001,SAP SE,Buy,SAP,4,180.0,EUR,-780.0,-3.0,-783.0",
    "Transaction History,Data,2025-02-01,U***00001,USD Credit Interest for Jan-2025,Credit "
    "Interest,-,-,-,-,13.0,-,13.0",
    "Transaction History,Data,2025-01-01,U***00001,Electronic Fund Transfer,Deposit,-,-,-,-,"
    "5000.0,-,5000.0",
    "Transaction History,Data,2025-10-01,U***00001,Net Amount in Base from Forex Trade: 0.8 "
    "EUR.USD,Forex Trade Component,EUR.USD,0.8,1.10,USD,0.88,-,0.88",
    "Transaction History,Data,2025-11-30,U***00001,Something new,Mystery,-,-,-,-,1.0,-,1.0",
]  # data rows on lines 8-15


def test_transaction_history(write):
    e = load(write, csv(*HISTORY), name="history.csv")
    assert e.format == "ibkr_transaction_history_csv"
    assert e.as_of == pd.Timestamp("2025-12-31")
    tx = e.transactions
    assert tx["action"].tolist() == ["dividend", "tax_withheld", "sell", "buy", "interest",
                                     "contribution", "other", "other"]
    assert tx["account"].unique().tolist() == ["U***00001"]
    assert tx["amount"].tolist() == [20.0, -3.0, 239.0, -783.0, 13.0, 5000.0, 0.88, 1.0]
    assert tx["quantity"].tolist()[2:4] == [-2.0, 4.0]
    assert tx["quantity"].isna().tolist() == [True, True, False, False, True, True, True, True]
    assert tx["fees"].tolist()[2:4] == [1.0, 3.0]
    # SAP's price is in EUR and the file gives no Exchange Rate: the price is left empty
    assert tx["price"].tolist()[2] == 120.0
    assert pd.isna(tx["price"].iloc[3])
    assert tx["symbol"].tolist()[:4] == ["VT", "VT", "VT", "SAP"]
    assert tx["symbol"].iloc[4:7].isna().all()
    assert tx["source_line"].tolist() == list(range(8, 16))
    assert ("unknown transaction types kept as 'other' without a quantity (what the shares did "
            "is not known): 'Mystery' (1)") in e.notes
    assert e.accounts["account"].tolist() == ["U***00001"]
    assert e.accounts["name"].isna().all()


def test_transaction_history_in_another_base_currency_is_skipped(write):
    text = csv(*[line.replace("Base Currency,USD", "Base Currency,GBP") for line in HISTORY])
    e = load(write, text, name="gbp.csv")
    assert e.transactions.empty
    assert e.skipped["line"].tolist() == list(range(8, 16))
    assert set(e.skipped["reason"]) == {
        "amounts in GBP: the toolkit works in US dollars and a Transaction History reports "
        "amounts in the account's base currency"}


def test_transaction_history_without_base_currency(write):
    text = csv(*[line for line in HISTORY if "Base Currency" not in line])
    e = load(write, text, name="nobase.csv")
    assert len(e.transactions) == 8
    assert ("the file does not state its base currency (Summary,Data,Base Currency); amounts "
            "were taken as US dollars") in e.notes


def test_transaction_history_without_a_quantity_column_loads_no_trade(write):
    # a buy or sell with no shares would move cash and no shares: each is reported, and the
    # cash rows of the file load
    header = HISTORY[6].replace(",Quantity,", ",")
    rows = [line.replace(",-,-,-,", ",-,-,", 1) if "Dividend" in line or "Interest" in line
            or "Deposit" in line or "Mystery" in line else line for line in HISTORY[7:]]
    rows = [r.replace(",VT,-2.0,120.00,", ",VT,120.00,").replace(",SAP,4,180.0,", ",SAP,180.0,")
            .replace(",EUR.USD,0.8,1.10,", ",EUR.USD,1.10,") for r in rows]
    e = load(write, csv(*HISTORY[:6], header, *rows), name="noqty.csv")
    assert e.transactions["action"].tolist() == ["dividend", "tax_withheld", "interest",
                                                 "contribution", "other", "other"]
    assert e.transactions["quantity"].isna().all()
    assert e.skipped[["line", "reason", "symbol"]].to_dict("records") == [
        {"line": 10, "reason": "a sell without a quantity: the file has no Quantity column",
         "symbol": "VT"},
        {"line": 11, "reason": "a buy without a quantity: the file has no Quantity column",
         "symbol": "SAP"}]


def test_consolidated_statement_with_an_account_column(write):
    rows = ["Open Positions,Header,DataDiscriminator,Asset Category,Currency,Account,Symbol,"
            "Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code",
            "Open Positions,Data,Summary,Stocks,USD,U7654321,VTI,10,1,250,2500,300,3000,500,",
            "Open Positions,Data,Summary,Stocks,USD,U7654322,VTI,5,1,250,1250,300,1500,250,"]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.positions[["account", "quantity", "market_value"]].to_dict("records") == [
        {"account": "U7654321", "quantity": 10.0, "market_value": 3000.0},
        {"account": "U7654322", "quantity": 5.0, "market_value": 1500.0}]
    assert e.accounts["account"].tolist() == ["U7654321", "U7654322"]
    assert e.accounts["name"].tolist()[0] == "Individual"
    assert pd.isna(e.accounts["name"].iloc[1])


def test_shifted_stray_and_headerless_rows_are_reported(write):
    rows = [
        # line 11: a Trades row above any Trades header
        'Trades,Data,Order,Stocks,USD,VTI,"2025-04-15, 09:30:00",40,300,300,-12000,-1,12001,0,'
        "0,O",
        LOTS_HEADER,                                                  # line 12
        # line 13: the Summary row with one cell more than its header (IBKR writes every row
        # with its header's cell count, so even an empty extra cell means a shifted row)
        LOT_ROWS[0] + ",",
        *LOT_ROWS[1:3],                                               # lines 14-15
        "junk",                                                       # line 16: one cell
    ]
    e = load(write, csv(*STATEMENT, *rows))
    assert e.skipped[["line", "reason", "account", "symbol"]].fillna("").to_dict(
        "records") == [
        {"line": 11, "reason": "Trades row before any Trades header", "account": "",
         "symbol": ""},
        {"line": 13, "reason": "row has more cells than its header: its cells are shifted and "
                               "cannot be read", "account": "U7654321", "symbol": "VTI"},
        {"line": 16, "reason": "row is not in the Section,RowType,... layout", "account": "",
         "symbol": ""}]
    # the lots still load, and the position comes from them (60 = 40 + 20 shares, $15,030 =
    # 9,600 + 5,430 of basis), the skipped Summary row marking the holding
    assert e.lots["quantity"].tolist() == [40.0, 20.0]
    assert e.positions[["symbol", "quantity", "cost_basis", "source_line"]].to_dict(
        "records") == [{"symbol": "VTI", "quantity": 60.0, "cost_basis": 15030.0,
                        "source_line": 14}]
