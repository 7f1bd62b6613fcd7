"""Fidelity monthly statement CSV: the 2025 and 2019 layouts, core-account cash, subtotals,
option rows without symbols, the shifted CASH row, and cut-off files."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

SUMMARY = ("Account Type,Account,Beginning mkt Value,Change in Investment,Ending mkt Value,"
           "Short Balance,Ending Net Value,Dividends This Period,Dividends Year to Date,"
           "Interest This Year,Interest Year to Date,Total This Period,Total Year to Date")
HOLDINGS = "Symbol/CUSIP,Description,Quantity,Price,Beginning Value,Ending Value,Cost Basis"

LAYOUT_2025 = [
    SUMMARY,                                                                      # 1
    "Individual - TOD,Z23456789,1000.00,10.00,1010.00,,1010.00,0,0,0,0,0,0",     # 2
    "ROTH IRA,245678901,500.00,5.00,505.00,,505.00,0,0,0,0,0,0",                 # 3
    " ",                                                                          # 4
    "",                                                                           # 5
    HOLDINGS,                                                                     # 6
    " ",                                                                          # 7
    "",                                                                           # 8
    "Z23456789",                                                                  # 9
    "Stocks ",                                                                    # 10
    "",                                                                           # 11
    "VTI,VANGUARD INDEX FDS TOTAL STK MKT ETF ,2.5000,300.00000,740.00,750.00,600.00",  # 12
    "SCHD,SCHWAB US DIVIDEND EQUITY ETF ,4.0000,28.75000,114.00,115.00,not applicable",  # 13
    "Subtotal of Stocks,,,,,865.00,600.00,,,,",                                    # 14
    "",                                                                           # 15
    "Z23456789",                                                                  # 16
    "Core Account ",                                                              # 17
    "QPIFQ,FDIC INSURED DEPOSIT AT TRUIST BANK NOT COVERED BY SIPC q,140.50000,1.00000,"
    "130.00,140.50,not applicable",                                               # 18
    "QPIQQ,FDIC INSURED DEPOSIT AT WELLS FARGO BK NOT COVERED BY SIPC q,4.50000,1.00000,"
    "4.50,4.50,not applicable",                                                   # 19
    "Subtotal of Core Account,,,,,145.00,,,,,",                                    # 20
    "",                                                                           # 21
    "245678901",                                                                  # 22
    "Mutual Funds ",                                                              # 23
    "FXAIX,FIDELITY 500 INDEX FUND ,2.0000,215.40000,420.00,430.80,400.00",       # 24
    "Subtotal of Mutual Funds,,,,,430.80,400.00,,,,",                              # 25
]

LAYOUT_2019 = [
    ",",                                                                          # 1
    "",                                                                           # 2
    "Account Type,Account #,Beginning mkt Value,Change in Investment,Ending mkt Value,"
    "Short Balance,Ending Net Value,Dividends This Period,Dividends Year to Date,"
    "Interest This Year,Interest Year to Date,Total This Period,Total Year to Date",  # 3
    "Brokerage,X71234567,9000.00,100.00,9100.00,0,9100.00,1.00,2.00,0.10,0.20,1.10,2.20,,",  # 4
    ",,,,,,,,,,,,,,",                                                             # 5
    HOLDINGS + ",,,,,,,,",                                                        # 6
    "X71234567,,,,,,,,,,,,,,",                                                    # 7
    "Stocks,,,,,,,,,,,,,,",                                                       # 8
    "AAPL,APPLE INC EAI: $2.97 EY: 1.85%,10,157.74,1500.00,1577.40,1400.00,,,,,,,,",  # 9
    ",,,,,,,,,,,,,,",                                                             # 10
    "SubTotal of Stocks,,,,,1577.40,1400.00,,,,,,,,",                              # 11
    "Bonds,,,,,,,,,,,,,,",                                                        # 12
    "912810FS2,UNITED STATES TREAS BDS 6.125% 11/15/2027,2000,104.25,N/A,2085.00,2010.00,,,,,,,,",
    ",,,,,,,,,,,,,,",                                                             # 14
    "SubTotal of Bonds,,,,,2085.00,2010.00,,,,,,,,",                               # 15
    "Options,,,,,,,,,,,,,,",                                                      # 16
    ",CALL (SPY) SPDR S&amp;P 500 ETF JAN 25 19 $265 (100 SHS),1,0.25,139.01,25.00,345.67,,,,,,,,",
    ",PUT (SPY) SPDR S&amp;P 500 ETF MAR 22 19 $189.50 (100 SHS),2,0.54,87.65,108.00,54.32,,,,,,,,",
    ",,,,,,,,,,,,,,",                                                             # 19
    "SubTotal of Options,,,,,133.00,400.00,,,,,,,,",                               # 20
    "Core Account,,,,,,,,,,,,,,",                                                 # 21
    "CASH,1234.56,1,2108.76,5304.60,N/A,,,,,,,,,",                                # 22
    ",,,,,,,,,,,,,,",                                                             # 23
    "SubTotal of Core Account,,,,,5304.60,,,,,,,,,",                               # 24
]


def text(lines):
    return "\n".join(lines)


def test_2025_layout_positions(write):
    e = load_export(write("Statement11302026.csv", text(LAYOUT_2025)))
    assert (e.format, e.custodian, e.as_of) == ("fidelity_statement", "fidelity",
                                                 pd.Timestamp("2026-11-30"))
    p = e.positions
    assert p["symbol"].tolist() == ["VTI", "SCHD", "QPIFQ", "QPIQQ", "FXAIX"]
    assert p["source_line"].tolist() == [12, 13, 18, 19, 24]
    assert p["account"].tolist() == ["Z23456789"] * 4 + ["245678901"]
    assert p["quantity"].tolist() == [2.5, 4.0, 140.5, 4.5, 2.0]
    assert p["price"].tolist() == [300.0, 28.75, 1.0, 1.0, 215.4]
    assert p["market_value"].tolist() == [750.0, 115.0, 140.5, 4.5, 430.8]
    assert p["cost_basis"].tolist()[0] == 600.0
    assert pd.isna(p["cost_basis"].iloc[1])  # "not applicable"
    assert p["cost_basis"].tolist()[2:4] == [140.5, 4.5]  # cash: basis = value
    assert p["asset_class"].tolist()[2:4] == ["cash", "cash"]
    assert p["asset_class"].isna().tolist() == [True, True, False, False, True]
    assert p["security_type"].tolist() == ["Stocks", "Stocks", "Core Account", "Core Account",
                                           "Mutual Funds"]
    assert p["description"].tolist()[0] == "VANGUARD INDEX FDS TOTAL STK MKT ETF"
    assert e.notes == []


def test_2025_layout_accounts_and_skipped(write):
    e = load_export(write("Statement11302026.csv", text(LAYOUT_2025)))
    assert e.accounts.to_dict(orient="records") == [
        {"account": "Z23456789", "name": "Individual - TOD", "custodian": "fidelity"},
        {"account": "245678901", "name": "ROTH IRA", "custodian": "fidelity"},
    ]
    assert e.skipped["line"].tolist() == [14, 20, 25]
    assert e.skipped["reason"].tolist() == [
        "subtotal row: the sum of the Stocks holdings above",
        "subtotal row: the sum of the Core Account holdings above",
        "subtotal row: the sum of the Mutual Funds holdings above",
    ]


def test_2019_layout(write):
    e = load_export(write("Statement1312019.csv", text(LAYOUT_2019), crlf=True))
    assert e.as_of == pd.Timestamp("2019-01-31")  # StatementMDDYYYY
    p = e.positions
    assert p["symbol"].tolist() == ["AAPL", "912810FS2", "-SPY190125C265", "-SPY190322P189.5",
                                    "CASH"]
    assert p["source_line"].tolist() == [9, 13, 17, 18, 22]
    assert p["cusip"].tolist()[1] == "912810FS2"
    assert p["description"].tolist()[2] == "CALL (SPY) SPDR S&P 500 ETF JAN 25 19 $265 (100 SHS)"
    assert p["market_value"].tolist() == [1577.40, 2085.0, 25.0, 108.0, 5304.60]
    assert p["quantity"].tolist() == [10.0, 2000.0, 1.0, 2.0, 5304.60]
    assert p["cost_basis"].tolist() == [1400.0, 2010.0, 345.67, 54.32, 5304.60]
    assert p["asset_class"].tolist()[-1] == "cash"
    assert e.accounts.to_dict(orient="records") == [
        {"account": "X71234567", "name": "Brokerage", "custodian": "fidelity"}]
    assert e.skipped["line"].tolist() == [11, 15, 20, 24]
    assert e.notes == ["line 22: no Description cell, numbers one column to the left "
                       "(Fidelity's CASH row); read shifted"]


def test_subtotal_that_disagrees_is_noted(write):
    lines = list(LAYOUT_2025)
    lines[13] = "Subtotal of Stocks,,,,,900.00,600.00,,,,"
    e = load_export(write("Statement11302026.csv", text(lines)))
    assert e.notes == ["line 14: Subtotal of Stocks is 900.00 but its rows add up to 865.00"]


def test_row_without_symbol_or_value_is_skipped(write):
    lines = list(LAYOUT_2025)
    lines.insert(13, ",SOMETHING WITHOUT A SYMBOL,1,1.00,1.00,1.00,1.00")  # line 14
    lines.insert(14, "XYZ,NO ENDING VALUE,1,1.00,1.00,,1.00")  # line 15
    e = load_export(write("Statement11302026.csv", text(lines)))
    sk = e.skipped
    assert sk["line"].tolist()[:3] == [14, 15, 16]
    assert sk["reason"].tolist()[:2] == ["row has no symbol or CUSIP", "row has no ending value"]


def test_as_of_from_content_or_missing(write):
    e = load_export(write("positions.csv", text([*LAYOUT_2025, "", '"Date downloaded 12/01/2026"'])))
    assert e.as_of == pd.Timestamp("2026-12-01")
    e = load_export(write("positions.csv", text(LAYOUT_2025)))
    assert e.as_of is None
    assert e.notes == ["no statement date in the file name (StatementMMDDYYYY.csv) or content"]


def test_cut_off_mid_row(write):
    body = text(LAYOUT_2025)
    cut = body[: body.index("FXAIX") + len("FXAIX,FIDELITY 500")]
    with pytest.raises(FormatError) as exc:
        load_export(write("Statement11302026.csv", cut))
    assert (exc.value.line, exc.value.message) == (
        24, "row has 2 cells but the header needs 7; the file looks truncated or the row is "
            "malformed")


def test_cut_off_after_a_row(write):
    lines = LAYOUT_2025[:24]  # the Mutual Funds subtotal is missing
    with pytest.raises(FormatError) as exc:
        load_export(write("Statement11302026.csv", text(lines)))
    assert (exc.value.line, exc.value.message) == (
        24, "the file ends in the Mutual Funds section of account 245678901 without its "
            "'Subtotal of' row; it looks cut off")


def test_cut_off_inside_quotes(write):
    lines = [*LAYOUT_2025[:23], 'FXAIX,"FIDELITY 500 INDEX']
    with pytest.raises(FormatError) as exc:
        load_export(write("Statement11302026.csv", text(lines)))
    assert exc.value.line == 24


def test_missing_column(write):
    lines = [line.replace(",Ending Value", "") if line == HOLDINGS else line
             for line in LAYOUT_2025]
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("Statement11302026.csv", text(lines)))
    assert (exc.value.line, exc.value.column) == (6, "Ending Value")


def test_unreadable_number(write):
    lines = list(LAYOUT_2025)
    lines[11] = "VTI,VANGUARD INDEX FDS TOTAL STK MKT ETF ,two,300.00000,740.00,750.00,600.00"
    e = load_export(write("Statement11302026.csv", text(lines)))
    assert "VTI" not in e.positions["symbol"].tolist()
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records")[0] == {
        "line": 12, "reason": "cannot read Quantity 'two': expected a number",
        "account": "Z23456789", "symbol": "VTI"}


def test_holding_before_any_account_line_with_two_accounts(write):
    lines = [line for line in LAYOUT_2025[:21] if line != "Z23456789"]
    with pytest.raises(FormatError) as exc:
        load_export(write("Statement11302026.csv", text(lines)))
    assert exc.value.message == ("holding before any account-number line, and the summary "
                                 "lists 2 accounts")


def test_no_holdings_header(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("s.csv", text(LAYOUT_2025[:3])), format="fidelity_statement")
    assert exc.value.message == ("no holdings header (Symbol/CUSIP,Description,Quantity,Price,"
                                 "...) found")


def test_shared_reference_file(shared_samples):
    e = load_export(shared_samples / "fidelity__opensteuerauszug__Statement12312025.csv")
    assert e.as_of == pd.Timestamp("2025-12-31")
    p = e.positions
    # By hand: VT 200.8724 sh, ending 28,335.06, basis 28,295.80; core deposits QPIFQ 0.61 and
    # QPIQQ 0.10 (cash, basis = value): 28,335.06 + 0.61 + 0.10 = 28,335.77 in value and
    # 28,295.80 + 0.71 = 28,296.51 in basis.
    assert p["symbol"].tolist() == ["VT", "QPIFQ", "QPIQQ"]
    assert p["market_value"].sum() == pytest.approx(28335.77)
    assert p["cost_basis"].sum() == pytest.approx(28296.51)
    assert p["quantity"].iloc[0] == 200.8724
    assert p["asset_class"].tolist()[1:] == ["cash", "cash"]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "U12349876", "name": "My Fidelity Account", "custodian": "fidelity"}]
    assert e.skipped["line"].tolist() == [12, 18]
    assert e.notes == []  # both subtotals agree with their rows


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty; expected a brokerage export"),
    (b"\x00\x01\x02binary",
     "format 'fidelity_statement' reads text files, but this file is binary data"),
], ids=["empty", "binary"])
def test_empty_and_binary_files(write, data, message):
    with pytest.raises(FormatError) as exc:
        load_export(write("f.dat", data), format="fidelity_statement", account="A1", symbol="S")
    assert exc.value.message == message
