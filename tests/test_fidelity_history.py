"""Fidelity transaction history (Accounts_History.csv, History_for_Account_<acct>.csv): every
header layout of FORMATS.md 1b, preambles and footers, actions and signs, the "as of" date,
accounts, workplace (401(k)) rows with Price/Quantity swapped, and malformed files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError, UnknownFormatError
from toolkit.io import _text, load_export
from toolkit.io.fidelity_history import classify
from toolkit.schema import Action

# --- the eight header layouts (FORMATS.md 1b table) -----------------------------------------
H2019 = ("Run Date,Account,Action,Symbol,Security Description,Security Type,Exchange Quantity,"
         "Exchange Currency,Quantity,Currency,Price,Exchange Rate,Commission,Fees,"
         "Accrued Interest,Amount,Settlement Date")
H2021 = ("Run Date,Account,Action,Symbol,Security Description,Security Type,Quantity,Price ($),"
         "Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date")
H2023_CMA = ("Run Date,Action,Symbol,Security Description,Security Type,Quantity,Price ($),"
             "Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date")
H2024_SINGLE = ("Run Date,Action,Symbol,Description,Type,Quantity,Price ($),Commission ($),"
                "Fees ($),Accrued Interest ($),Amount ($),Cash Balance ($),Settlement Date")
H2025_FX = ("Run Date,Action,Symbol,Description,Type,Exchange Quantity,Exchange Currency,"
            "Quantity,Currency,Price,Exchange Rate,Commission,Fees,Accrued Interest,Amount,"
            "Cash Balance,Settlement Date")
H2025_DEC_ALL = ("Run Date,Account,Account Number,Action,Symbol,Description,Type,"
                 "Exchange Quantity,Exchange Currency,Currency,Price,Quantity,Exchange Rate,"
                 "Commission,Fees,Accrued Interest,Amount,Settlement Date")
H2026_ALL = ("Run Date,Account,Account Number,Action,Symbol,Description,Type,Price ($),Quantity,"
             "Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date")
H2026_SINGLE = ("Run Date,Action,Symbol,Description,Type,Price ($),Quantity,Commission ($),"
                "Fees ($),Accrued Interest ($),Amount ($),Cash Balance ($),Settlement Date")

ALL_HEADERS = (H2019, H2021, H2023_CMA, H2024_SINGLE, H2025_FX, H2025_DEC_ALL, H2026_ALL,
               H2026_SINGLE)

DISCLAIMER = [
    '"The data and information in this spreadsheet is provided to you solely for your use and '
    'is not for distribution. The spreadsheet is provided for"',
    '"informational purposes only, and is not intended to provide advice, nor should it be '
    'construed as an offer to sell, a solicitation of an offer to buy or a"',
    '"purposes. For more information on the data included in this spreadsheet, including any '
    'limitations thereof, go to Fidelity.com."',
    "",
    '"Brokerage services are provided by Fidelity Brokerage Services LLC (FBS), 900 Salem '
    'Street, Smithfield, RI 02917. Custody and other services provided by National"',
    '"Financial Services LLC (NFS). Both are Fidelity Investment companies and members SIPC, '
    'NYSE."',
    "",
]
FOOTER_2026 = ["", "", "", "", *DISCLAIMER, "Date downloaded 04/11/2026 11:54 am"]
FOOTER_2019 = ["", "", "", "", "", "", *DISCLAIMER, '"Date downloaded" 04/06/2019, 6:29 PM']


def row(header: str, **values) -> str:
    """A data line for ``header`` with cells placed by column name (``($)`` ignored), so the
    same transaction can be written in every layout; other cells are empty."""
    names = [_text.norm_header(h) for h in header.split(",")]
    wanted = {_text.norm_header(k.replace("_", " ")): v for k, v in values.items()}
    # keys this header does not have are not written (e.g. Account in single-account files),
    # but every key must be a column of some layout (guards against typos)
    known = {_text.norm_header(h) for hd in ALL_HEADERS for h in hd.split(",")}
    assert set(wanted) <= known, set(wanted) - known
    return ",".join(wanted.get(n, "") for n in names)


def history(header: str, rows: list[str], *, preamble=("", ""), footer=FOOTER_2026) -> str:
    return "\n".join([*preamble, header, *rows, *footer]) + "\n"


# --- every header layout --------------------------------------------------------------------

def _buy(header):
    return row(header, run_date="03/01/2021", account="MY TACTICAL (taxable) X00000001",
               account_number="X00000001",
               action=" YOU BOUGHT VANGUARD LARGE-CAP INDEX FUND (VV) (Cash)", symbol=" VV",
               description=" VANGUARD LARGE-CAP INDEX FUND", security_description=
               " VANGUARD LARGE-CAP INDEX FUND", type="Cash", security_type="Cash",
               quantity="10", price="180.95", commission="4.95", fees="0.05",
               amount="-1814.50", settlement_date="03/03/2021", currency="USD")


def _interest(header):
    return row(header, run_date="03/31/2021", account="MY TACTICAL (taxable) X00000001",
               account_number="X00000001", action="INTEREST EARNED as of Mar-30-2021 (Cash)",
               symbol="", description="No Description", security_description="No Description",
               type="Cash", security_type="Cash", quantity="0.000", amount="0.42")


VARIANTS = [
    ("2019", H2019, "Accounts_History.csv", "X00000001", "MY TACTICAL (taxable)"),
    ("2021-23", H2021, "Accounts_History.csv", "X00000001", "MY TACTICAL (taxable)"),
    ("2023_cma", H2023_CMA, "History_for_Account_X00000001.csv", "X00000001", None),
    ("2024-25_single", H2024_SINGLE, "History_for_Account_X00000001.csv", "X00000001", None),
    ("2025_fx", H2025_FX, "History_for_Account_X00000001.csv", "X00000001", None),
    ("2025_dec_all", H2025_DEC_ALL, "Accounts_History.csv", "X00000001",
     "MY TACTICAL (taxable)"),
    ("2026_all", H2026_ALL, "Accounts_History.csv", "X00000001", "MY TACTICAL (taxable)"),
    ("2026_single", H2026_SINGLE, "History_for_Account_X00000001.csv", "X00000001", None),
]


@pytest.mark.parametrize(("header", "filename", "account", "name"),
                         [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_every_header_layout(write, header, filename, account, name):
    p = write(filename, history(header, [_buy(header), _interest(header)]), bom=True, crlf=True)
    e = load_export(p)
    assert e.format == "fidelity_history"
    assert e.custodian == "fidelity"
    assert e.as_of == pd.Timestamp("2026-04-11")
    t = e.transactions
    assert t["action"].tolist() == ["buy", "interest"]
    assert t["account"].tolist() == [account, account]
    assert t["date"].tolist() == [pd.Timestamp("2021-03-01"), pd.Timestamp("2021-03-30")]
    assert t["settle_date"].iloc[0] == pd.Timestamp("2021-03-03")
    assert pd.isna(t["settle_date"].iloc[1])
    buy = t.iloc[0]
    assert (buy["symbol"], buy["quantity"], buy["price"], buy["amount"]) == (
        "VV", 10.0, 180.95, -1814.50)
    assert buy["fees"] == pytest.approx(5.0)
    assert buy["description"] == "VANGUARD LARGE-CAP INDEX FUND"
    assert buy["action_text"] == "YOU BOUGHT VANGUARD LARGE-CAP INDEX FUND (VV) (Cash)"
    interest = t.iloc[1]
    assert pd.isna(interest["symbol"]) and pd.isna(interest["description"])
    assert math.isnan(interest["quantity"]) and math.isnan(interest["fees"])
    assert interest["amount"] == 0.42
    assert t["source_line"].tolist() == [4, 5]
    assert t["source_file"].tolist() == [filename, filename]
    acc = e.accounts.to_dict(orient="records")
    assert len(acc) == 1
    assert acc[0]["account"] == account and acc[0]["custodian"] == "fidelity"
    assert (acc[0]["name"] if pd.notna(acc[0]["name"]) else None) == name
    assert e.skipped.empty


def test_columns_bound_by_name_not_position(write):
    # the same buy with Price before Quantity (2026) and after it (2021): same result
    a = load_export(write("a.csv", history(H2026_ALL, [_buy(H2026_ALL)])))
    b = load_export(write("b.csv", history(H2021, [_buy(H2021)])))
    cols = ["quantity", "price", "amount", "fees"]
    assert a.transactions[cols].to_dict("records") == b.transactions[cols].to_dict("records")


# --- preambles and footers ------------------------------------------------------------------

def test_preamble_of_comma_rows_crlf(write):
    text = history(H2021, [_buy(H2021)], preamble=[",,,,"] * 5)
    e = load_export(write("Accounts_History.csv", text, crlf=True))
    assert e.transactions["source_line"].tolist() == [7]
    assert e.transactions["quantity"].tolist() == [10.0]


def test_preamble_with_banner_line(write):
    # FINporterFido test files: blank lines, a one-cell "Brokerage" banner, a blank, the header
    text = history(H2021, [_buy(H2021)], preamble=["", "", "", "Brokerage", ""])
    e = load_export(write("Accounts_History.csv", text))
    assert e.transactions["source_line"].tolist() == [7]
    assert e.skipped.empty


def test_july_2026_header_on_line_one_then_empty_line(write):
    # header on line 1, an empty line, MM-DD-YYYY dates and "" for empty cells
    rows = [
        '"07-15-2026","My Account","Z23456789","YOU BOUGHT ISHARES CORE S&P 500 (IVV) (Cash)",'
        '"IVV","ISHARES CORE S&P 500","Cash","600.25","2","","","","-1200.50","07-16-2026"',
        '"07-20-2026","My Account","Z23456789","DIVIDEND RECEIVED as of 07-18-2026 ISHARES '
        'CORE S&P 500 (IVV) (Cash)","IVV","ISHARES CORE S&P 500","Cash","","0.000","","","",'
        '"3.10",""',
    ]
    text = history(H2026_ALL, ["", *rows], preamble=[],
                   footer=["", "", *DISCLAIMER, "Date downloaded 07-21-2026 9:01 am"])
    e = load_export(write("Accounts_History.csv", text, bom=True, crlf=True))
    t = e.transactions
    assert t["source_line"].tolist() == [3, 4]
    assert t["date"].tolist() == [pd.Timestamp("2026-07-15"), pd.Timestamp("2026-07-18")]
    assert t["settle_date"].iloc[0] == pd.Timestamp("2026-07-16")
    assert pd.isna(t["settle_date"].iloc[1])
    assert t["action"].tolist() == ["buy", "dividend"]
    assert t["quantity"].iloc[0] == 2.0 and math.isnan(t["quantity"].iloc[1])
    assert math.isnan(t["fees"].iloc[0])
    assert e.as_of == pd.Timestamp("2026-07-21")
    assert e.skipped.empty


@pytest.mark.parametrize(("footer", "as_of"), [
    (FOOTER_2026, "2026-04-11"),
    (FOOTER_2019, "2019-04-06"),
    (["", "", '"Date downloaded Dec-05-2025 at 1:02 p.m ET"'], "2025-12-05"),
], ids=["2026", "2019_quoted_label", "mon-dd-yyyy"])
def test_footer_forms_give_as_of(write, footer, as_of):
    e = load_export(write("Accounts_History.csv", history(H2019, [_buy(H2019)], footer=footer)))
    assert e.as_of == pd.Timestamp(as_of)
    assert e.skipped.empty
    assert e.notes == []


def test_no_footer_is_noted(write):
    e = load_export(write("Accounts_History.csv", history(H2021, [_buy(H2021)], footer=[])))
    assert e.as_of is None
    assert e.notes == ["no 'Date downloaded' footer; the file may be incomplete"]
    assert len(e.transactions) == 1


def test_footer_right_after_rows_ends_table(write):
    # a disclaimer line directly after the last row (no blank line) still ends the table
    text = history(H2021, [_buy(H2021)], footer=DISCLAIMER + ["Date downloaded 04/11/2026"])
    e = load_export(write("Accounts_History.csv", text))
    assert len(e.transactions) == 1 and e.skipped.empty


def test_data_like_line_after_footer_is_reported(write):
    extra = _buy(H2021)
    text = history(H2021, [_buy(H2021)], footer=[*FOOTER_2026, "", extra])
    e = load_export(write("Accounts_History.csv", text))
    # 2 preamble + header + 1 row (line 4) + 12 footer lines (5-16) + a blank (17): line 18
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 18, "reason": "data-like line after the end of the history table"}]


def test_empty_history_with_footer(write):
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, [])))
    assert e.transactions.empty
    assert e.notes == ["the history lists no transactions"]
    assert e.as_of == pd.Timestamp("2026-04-11")


def test_non_usd_currency_is_noted(write):
    rows = [row(H2025_FX, run_date="01/10/2025", action="YOU BOUGHT SHOPIFY INC (SHOP) (Cash)",
                symbol="SHOP", type="Cash", exchange_quantity="10", exchange_currency="CAD",
                quantity="10", currency="CAD", price="150.00", exchange_rate="0.70",
                amount="-1050.00")]
    e = load_export(write("History_for_Account_Z12345678.csv", history(H2025_FX, rows)))
    assert e.transactions["amount"].tolist() == [-1050.0]
    assert e.notes == ["account Z12345678 taken from the file name",
                       "1 row(s) in a currency other than USD (e.g. CAD on line 4); amounts are "
                       "kept as written"]


# --- as-of dates, leading spaces, signs -----------------------------------------------------

def test_as_of_inside_action_is_the_trade_date(write):
    rows = [
        row(H2019, run_date="10/11/2017", account="My Account X12345678",
            action="FOREIGN TAX PAID as of 12/07/2018", symbol=" TM", amount="-8.76"),
        row(H2019, run_date="12/31/2025", account="My Account X12345678",
            action="INTEREST EARNED as of Dec-30-2025 (Cash)", amount="0.04"),
        row(H2019, run_date="10/26/2017", account="My Account X12345678",
            action="YOU SOLD             EX-DIV DATE 01/02/19RECORD DATE 01/03/19", symbol=" FXB",
            quantity="-16", price="122.64", commission="4.95", fees="0.03", amount="2345.67",
            settlement_date="10/28/2017"),
    ]
    e = load_export(write("Accounts_History.csv", history(H2019, rows)))
    t = e.transactions
    assert t["date"].tolist() == [pd.Timestamp("2018-12-07"), pd.Timestamp("2025-12-30"),
                                  pd.Timestamp("2017-10-26")]
    # settle_date only ever comes from the Settlement Date column, never from the Run Date
    assert t["settle_date"].isna().tolist() == [True, True, False]
    assert t["action"].tolist() == ["tax_withheld", "interest", "sell"]
    assert t["fees"].iloc[2] == pytest.approx(4.98)


def test_as_of_in_unknown_form_falls_back_to_run_date(write):
    rows = [row(H2021, run_date="02/05/2024", account="Acct X12345678",
                action="YOU BOUGHT RSU AS OF 2/3/24 (Cash)", symbol="ACME", quantity="5",
                price="10", amount="-50")]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert e.transactions["date"].tolist() == [pd.Timestamp("2024-02-05")]
    assert e.notes == ["Action text with an 'as of' date in an unknown form on line(s) 4; "
                       "the Run Date is used"]


def test_impossible_as_of_date_skips_the_row(write):
    rows = [row(H2021, run_date="02/05/2024", account="Acct X12345678",
                action="DIVIDEND RECEIVED as of 13/45/2024 (Cash)", symbol="VTI", amount="5"),
            row(H2021, run_date="02/06/2024", account="Acct X12345678",
                action="DIVIDEND RECEIVED (Cash)", symbol="VTI", amount="6")]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert e.transactions["amount"].tolist() == [6.0]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 4, "reason": "cannot read the 'as of' date '13/45/2024' in Action: expected a "
                              "date", "account": "X12345678", "symbol": "VTI"}]


def test_unsigned_sell_quantity_made_negative_and_bonds_kept_as_face_value(write):
    rows = [
        row(H2021, run_date="01/05/2024", account="A X12345678", action="YOU SOLD ACME (Cash)",
            symbol="ACME", quantity="12", price="10", amount="119.95", commission="0.05"),
        row(H2021, run_date="01/06/2024", account="A X12345678",
            action="YOU BOUGHT UNITED STATES TREAS BILLS (Cash)", symbol="912797GK7",
            quantity='"10,000"', price="98.75", accrued_interest="", amount="-9875.00"),
    ]
    t = load_export(write("Accounts_History.csv", history(H2021, rows))).transactions
    assert t["quantity"].tolist() == [-12.0, 10000.0]
    assert t["price"].tolist() == [10.0, 98.75]  # bond price per 100 of face, as written
    assert t["amount"].tolist() == [119.95, -9875.0]


# --- actions --------------------------------------------------------------------------------

ACTIONS = [
    # (Action text, symbol, quantity, amount, expected action, expected quantity, amount kept?)
    ("YOU BOUGHT APPLE INC (AAPL) (Cash)", "AAPL", "10", "-1500", "buy", 10.0, True),
    ("YOU SOLD APPLE INC (AAPL) (Margin)", "AAPL", "-10", "1500", "sell", -10.0, True),
    ("REINVESTMENT VANGUARD TOTAL BND (BND) (Cash)", "BND", "9.598", "-713.08", "reinvest",
     9.598, True),
    ("DIVIDEND RECEIVED ZOETIS INC (ZTS) (Cash)", "ZTS", "0.000", "588", "dividend", None, True),
    ("INTEREST EARNED (Cash)", "", "0.000", "0.3", "interest", None, True),
    ("MUNI EXEMPT INT WHEAT RIDGE COLO (Cash)", "96255NBE8", "0.000", "1250", "interest", None,
     True),
    ("FOREIGN TAX PAID TAIWAN SEMICONDUCTOR (TSM) (Cash)", "TSM", "", "-32.93", "tax_withheld",
     None, True),
    ("NON-RESIDENT TAX VANGUARD INTL (VT) (Cash)", "VT", "", "-21.75", "tax_withheld", None,
     True),
    ("Electronic Funds Transfer Received (Cash)", "", "", "4567", "contribution", None, True),
    ("Electronic Funds Transfer Paid (Cash)", "", "", "-200", "withdrawal", None, True),
    ("CONTRIBUTION CURRENT YEAR (Cash)", "", "0.000", "7000", "contribution", None, True),
    ("PARTIC CONTR CURRENT YR PARTICIPANT CUR YR (Cash)", "", "0.000", "250", "contribution",
     None, True),
    ("CO CONTR CURRENT YR EMPLOYER CUR YR (Cash)", "", "0.000", "100", "contribution", None,
     True),
    ("TRANSFERRED FROM 555555555 (Cash)", "", "0.000", "37592.63", "transfer_in", None, True),
    ("TRANSFERRED TO 444444444 (Cash)", "", "0.000", "-37592.63", "transfer_out", None, True),
    ("JOURNALED JNL VS A/C TYPES (Cash)", "", "0.000", "10.01", "transfer_in", None, True),
    ("JOURNALED JNL VS A/C TYPES (Margin)", "", "0.000", "-10.01", "transfer_out", None, True),
    ("TRANSFER OF ASSETS ACAT RECEIVE (Cash)", "VTI", "25", "", "transfer_in", 25.0, True),
    ("TRANSFER OF ASSETS ACAT DELIVER (Cash)", "VTI", "-25", "", "transfer_out", -25.0, True),
    ("REDEMPTION PAYOUT HOUSTON TEX UTIL SYS REV (Cash)", "44244CCF2", "-25000", "25000",
     "sell", -25000.0, True),
    ("SHORT-TERM CAP GAIN FIDELITY CONTRAFUND (FCNTX) (Cash)", "FCNTX", "", "12.5",
     "capital_gain", None, True),
    ("LONG-TERM CAP GAIN FIDELITY CONTRAFUND (FCNTX) (Cash)", "FCNTX", "", "80.1",
     "capital_gain", None, True),
    ("MERGER MER FROM 54211N101#REOR M0051702100001 LSEG (LSEGY) (Margin)", "LSEGY", "1060",
     "30246.04", "split", 1060.0, False),
    ("DISTRIBUTION NVIDIA CORP (NVDA) (Cash)", "NVDA", "90", "0", "split", 90.0, False),
    ("STOCK SPLIT ACME CORP (ACME) (Cash)", "ACME", "10", "", "split", 10.0, False),
    ("REVERSE SPLIT R/S FROM 123456789#REOR (XYZ) (Cash)", "XYZ", "-100", "", "split", -100.0,
     False),
    ("FEE CHARGED ADVISORY FEE (Cash)", "", "", "-25", "fee", None, True),
    ("DIRECT DEBIT CREDIT CARD PAYMENT (Cash)", "", "", "-100", "withdrawal", None, True),
    ("DIRECT DEPOSIT XXXX ACH DEPOSIT (Cash)", "", "0.000", "8613.36", "contribution", None,
     True),
    ("CHECK RECEIVED (Cash)", "", "0.000", "760.05", "contribution", None, True),
    ("Check Paid # 9999 (Cash)", "", "0.000", "-612.5", "withdrawal", None, True),
    ("ROTH CONVERSION (Cash)", "", "", "6500", "transfer_in", None, True),
    ("ROTH CONVERSION (Cash)", "", "", "-6500", "transfer_out", None, True),
    ("WIRE TRANSFER FROM BANK (Cash)", "", "", "1000", "contribution", None, True),
    ("WIRE TRANSFER TO BANK (Cash)", "", "", "-1000", "withdrawal", None, True),
    ("NORMAL DISTR PARTIAL VS A/C (Cash)", "", "", "-1000", "withdrawal", None, True),
    ("DISTRIBUTION (Cash)", "", "", "-500", "withdrawal", None, True),
    ("PURCHASE INTO CORE ACCOUNT FIDELITY GOVERNMENT MONEY MARKET (SPAXX) (Cash)", "SPAXX",
     "100", "-100", "buy", 100.0, True),
    ("REDEMPTION FROM CORE ACCOUNT FIDELITY GOVERNMENT MONEY MARKET (SPAXX) (Cash)", "SPAXX",
     "-50", "50", "sell", -50.0, True),
    ("IN LIEU OF FRX SHARE LEU PAYOUT (Cash)", "XYZ", "", "4.12", "other", None, True),
    ("SOMETHING ENTIRELY NEW (Cash)", "", "", "1", "other", None, True),
]


@pytest.mark.parametrize(("text", "symbol", "qty", "amount", "action", "want_qty", "cash"),
                         ACTIONS, ids=[f"{a[0][:28]}|{a[3]}" for a in ACTIONS])
def test_action_mapping(write, text, symbol, qty, amount, action, want_qty, cash):
    line = row(H2026_ALL, run_date="12/03/2025", account="Brokerage",
               account_number="333333333", action=f'"{text}"', symbol=symbol,
               description="No Description", type="Cash", quantity=qty, amount=amount)
    t = load_export(write("Accounts_History.csv", history(H2026_ALL, [line]))).transactions
    assert len(t) == 1
    got = t.iloc[0]
    assert got["action"] == action
    assert got["action_text"] == text
    assert (None if math.isnan(got["quantity"]) else got["quantity"]) == want_qty
    written = float(amount) if amount else None
    assert (None if math.isnan(got["amount"]) else got["amount"]) == (written if cash else None)


def test_every_rule_action_is_a_schema_action():
    from toolkit.io.fidelity_history import RULES

    assert {r.action for r in RULES} <= set(Action)
    assert {r.mode for r in RULES} == {"fixed", "cash", "transfer", "shares"}


@pytest.mark.parametrize(("text", "prefix"), [
    ("  you   bought  X (Cash)", "YOU BOUGHT"),
    ("CONTRIBUTIONS", "CONTRIBUTION"),
    ("Dividend", "DIVIDEND"),
    ("TRANSFERRED TO 444444444 (Cash)", "TRANSFERRED TO"),
    ("Fees", "FEES"),
])
def test_classify_is_case_and_space_insensitive(text, prefix):
    assert classify(text).prefix == prefix


def test_classify_unknown_is_none():
    assert classify("NOTHING WE KNOW") is None


# --- accounts -------------------------------------------------------------------------------

def test_account_number_inside_account_cell(write):
    rows = [
        row(H2021, run_date="03/01/2021", account="CASH MGMT X0000000A",
            action="DEBIT CARD PURCHASE", symbol=" ", amount="-17.00"),
        row(H2021, run_date="03/01/2021", account="ROTH IRA 234567890",
            action="DIRECT DEPOSIT BLAH", amount="7.00"),
        row(H2021, run_date="03/01/2021", account="X99999999",
            action="DIRECT DEPOSIT BLAH", amount="1.00"),
    ]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert e.transactions["account"].tolist() == ["X0000000A", "234567890", "X99999999"]
    assert e.accounts["account"].tolist() == ["X0000000A", "234567890", "X99999999"]
    assert e.accounts["name"].tolist()[:2] == ["CASH MGMT", "ROTH IRA"]
    assert pd.isna(e.accounts["name"].iloc[2])


def test_account_cell_without_number_is_used_and_noted(write):
    rows = [row(H2021, run_date="03/01/2021", account="Individual - TOD",
                action="DIRECT DEPOSIT BLAH", amount="7.00")]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert e.transactions["account"].tolist() == ["Individual - TOD"]
    assert e.notes == ["no account number in the Account cell of 1 row(s) (e.g. "
                       "'Individual - TOD', line 4); the cell text is used as the account id"]


def test_account_cell_without_number_takes_account_option(write):
    rows = [row(H2021, run_date="03/01/2021", account="Individual - TOD",
                action="DIRECT DEPOSIT BLAH", amount="7.00")]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)), account="Z11112222")
    assert e.transactions["account"].tolist() == ["Z11112222"]
    assert e.accounts["name"].tolist() == ["Individual - TOD"]


def test_account_number_column_wins_over_account_cell(write):
    rows = [row(H2026_ALL, run_date="12/31/2025", account="Rollover IRA 111111111",
                account_number="111111111", action="INTEREST EARNED (Cash)", type="Cash",
                quantity="0.000", amount="1.00"),
            row(H2026_ALL, run_date="12/31/2025", account="HSA", account_number="222222222",
                action="INTEREST EARNED (Cash)", type="Cash", quantity="0.000", amount="2.00")]
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, rows)),
                    account="IGNORED")
    assert e.transactions["account"].tolist() == ["111111111", "222222222"]
    assert e.accounts["name"].tolist() == ["Rollover IRA", "HSA"]


def test_single_account_option_beats_file_name(write):
    p = write("History_for_Account_X11111111.csv", history(H2026_SINGLE, [_buy(H2026_SINGLE)]))
    assert load_export(p, account="Z22222222").transactions["account"].tolist() == ["Z22222222"]
    e = load_export(p)
    assert e.transactions["account"].tolist() == ["X11111111"]
    assert e.notes == ["account X11111111 taken from the file name"]


def test_single_account_file_name_with_download_suffix(write):
    p = write("History_for_Account_Z12345678 (1).csv", history(H2024_SINGLE,
                                                               [_buy(H2024_SINGLE)]))
    assert load_export(p).transactions["account"].tolist() == ["Z12345678"]


def test_single_account_without_account_is_an_error(write):
    p = write("history.csv", history(H2024_SINGLE, [_buy(H2024_SINGLE)]))
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.message == (
        "this single-account history has no Account column and its file name is not "
        "History_for_Account_<account>.csv; pass account= to load_export")
    assert exc.value.path == "history.csv"


def test_all_accounts_row_without_account_is_skipped(write):
    rows = [row(H2026_ALL, run_date="12/31/2025", action="INTEREST EARNED (Cash)",
                type="Cash", amount="1.00"),
            row(H2026_ALL, run_date="12/31/2025", account="Joint", account_number="X12345678",
                action="INTEREST EARNED (Cash)", type="Cash", amount="2.00")]
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, rows)))
    assert e.transactions["amount"].tolist() == [2.0]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "row names no account (Account and Account Number are empty)"}]
    assert e.skipped["account"].isna().all()


# --- workplace (401(k)) rows: Price and Quantity swapped (reds #182) ------------------------

def _k401(header, run, action, desc, first, second, amount):
    """A workplace row as Fidelity writes it: no Symbol, no Type, two numbers in the
    Price/Quantity slots in file order (``first`` then ``second``)."""
    names = [_text.norm_header(h) for h in header.split(",")]
    cells = [""] * len(names)
    put = {"run date": run, "account": '"ACME 401K 87654321"', "account number": '"87654321"',
           "action": f'"{action}"', "description": f'"{desc}"', "amount": amount}
    for k, v in put.items():
        if k in names:
            cells[names.index(k)] = v
    slots = sorted(names.index(k) for k in ("price", "quantity"))
    cells[slots[0]], cells[slots[1]] = first, second
    return ",".join(cells) + ","


def test_workplace_rows_swap_price_and_quantity(write):
    rows = [
        _buy(H2026_ALL),
        _k401(H2026_ALL, "11/07/2025", "Contributions", "FID 500 INDEX", "0.35", "", "81.79"),
        _k401(H2026_ALL, "11/07/2025", "Transfer", "FID 500 INDEX", "0.000", "", "0.00"),
        _k401(H2026_ALL, "12/22/2025", "Dividend", "VANG MIDCAP IDX ADM", "0.278", "", "101.3"),
        _k401(H2026_ALL, "11/26/2025", "Contributions", "FID 500 INDEX", "2.435", "236.92",
              "576.9"),
    ]
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, rows), bom=True))
    t = e.transactions
    # the buy (line 4) is an ordinary row; each workplace row with shares becomes two rows
    assert t["source_line"].tolist() == [4, 5, 5, 7, 7, 8, 8]
    assert t["action"].tolist() == ["buy", "contribution", "buy", "dividend", "reinvest",
                                    "contribution", "buy"]
    q = t["quantity"].tolist()
    assert q[0] == 10.0 and math.isnan(q[1]) and math.isnan(q[3]) and math.isnan(q[5])
    assert [q[2], q[4], q[6]] == [0.35, 0.278, 2.435]
    assert t["amount"].tolist() == [-1814.5, 81.79, -81.79, 101.3, -101.3, 576.9, -576.9]
    # the number under Quantity (second slot) is the price after the swap
    assert t["price"].iloc[6] == 236.92 and math.isnan(t["price"].iloc[2])
    assert t["symbol"].iloc[1:].isna().all()
    assert t["description"].iloc[1:].tolist() == ["FID 500 INDEX"] * 2 + [
        "VANG MIDCAP IDX ADM"] * 2 + ["FID 500 INDEX"] * 2
    assert t["account"].iloc[1:].tolist() == ["87654321"] * 6
    # a Transfer moving neither shares nor cash is skipped, with its reason
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 6, "reason": "workplace-plan transfer with no shares and no amount "
                              "(no effect on holdings or cash)"}]
    assert e.notes == ["4 workplace-plan row(s): Price and Quantity cells read swapped "
                       "(Fidelity writes them in Quantity, Price order)"]
    # cash is conserved: each contribution and its buy net to zero
    assert t.loc[t["source_line"].isin([5, 7, 8]), "amount"].sum() == pytest.approx(0.0)


def test_workplace_rows_not_swapped_when_header_has_quantity_first(write):
    # 2021-23 all-accounts layout already reads Quantity before Price: no swap
    rows = [_k401(H2021, "11/07/2021", "Contributions", "FID 500 INDEX", "0.35", "233.69",
                  "81.79")]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    t = e.transactions
    assert t["action"].tolist() == ["contribution", "buy"]
    assert t["quantity"].iloc[1] == 0.35 and t["price"].iloc[1] == 233.69
    assert e.notes == []


def test_workplace_exchanges_withdrawals_and_fees(write):
    rows = [
        _k401(H2026_ALL, "01/05/2026", "Exchange Out", "FID 500 INDEX", "2", "", "500"),
        _k401(H2026_ALL, "01/05/2026", "Exchange In", "VANG MIDCAP IDX ADM", "1.5", "", "500"),
        _k401(H2026_ALL, "01/09/2026", "Withdrawals", "VANG MIDCAP IDX ADM", "0.5", "",
              "-166.67"),
        _k401(H2026_ALL, "01/31/2026", "Recordkeeping Fee", "FID 500 INDEX", "0.02", "", "-5"),
        _k401(H2026_ALL, "01/31/2026", "Revenue Credit", "FID 500 INDEX", "0.001", "", "0.25"),
        _k401(H2026_ALL, "02/02/2026", "Transfer", "FID 500 INDEX", "-1", "", "-250"),
    ]
    t = load_export(write("Accounts_History.csv", history(H2026_ALL, rows))).transactions
    assert t["action"].tolist() == ["sell", "buy", "sell", "withdrawal", "sell", "fee", "other",
                                    "transfer_out"]
    assert t["source_line"].tolist() == [4, 5, 6, 6, 7, 7, 8, 9]
    assert t["quantity"].fillna(0).tolist() == [-2.0, 1.5, -0.5, 0.0, -0.02, 0.0, 0.001, -1.0]
    assert t["amount"].tolist() == [500.0, -500.0, 166.67, -166.67, 5.0, -5.0, 0.25, -250.0]


def test_brokerage_rows_with_empty_type_but_subaccount_suffix_are_not_workplace(write):
    line = row(H2026_ALL, run_date="12/22/2025", account="HSA", account_number="222222222",
               action='"CO CONTR CURRENT YR EMPLOYER CUR YR (Cash)"', quantity="0.000",
               amount="100")
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, [line])))
    assert e.transactions["action"].tolist() == ["contribution"]
    assert e.notes == []


# --- malformed inputs -----------------------------------------------------------------------

def test_empty_file(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("Accounts_History.csv", b""), format="fidelity_history")
    assert exc.value.message == "the file is empty; expected a brokerage export"


def test_binary_file_forced(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("Accounts_History.csv", b"\x00\x01\x02binary"),
                    format="fidelity_history")
    assert exc.value.message == "format 'fidelity_history' reads text files, but this file is binary data"


def test_binary_file_detected(write):
    with pytest.raises(UnknownFormatError):
        load_export(write("Accounts_History.csv", b"\x00\x01\x02binary"))


def test_no_header_forced(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("x.csv", "a,b,c\n1,2,3\n"), format="fidelity_history")
    assert exc.value.message == ("no Fidelity history header (Run Date, Action, Symbol, ...) in "
                                 "the first 20 lines")


def test_missing_required_column(write):
    header = H2021.replace(",Amount ($)", "")
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("Accounts_History.csv", history(header, [_buy(header)])))
    assert (exc.value.line, exc.value.column) == (3, "Amount ($)")


def test_unreadable_quantity(write):
    rows = [_buy(H2026_ALL), _buy(H2026_ALL).replace(",10,", ",ten,")]
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, rows)))
    assert e.transactions["source_line"].tolist() == [4]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 5, "reason": "cannot read Quantity 'ten': expected a number"}]


def test_unreadable_amount_names_header_spelling(write):
    rows = [_buy(H2026_ALL).replace("-1814.50", "12abc"), _buy(H2026_ALL)]
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, rows)))
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "cannot read Amount ($) '12abc': expected a number"}]


def test_bad_run_date(write):
    rows = [_buy(H2021).replace("03/01/2021", "13/45/2021"), _buy(H2021)]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "cannot read Run Date '13/45/2021': expected a date"}]


def test_only_row_with_a_bad_run_date_refuses_the_file(write):
    rows = [_buy(H2021).replace("03/01/2021", "13/45/2021"),
            _buy(H2021).replace("03/01/2021", "13/46/2021")]
    with pytest.raises(FormatError) as exc:
        load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert (exc.value.line, exc.value.column) == (4, "Run Date")


def test_empty_run_date(write):
    rows = [_buy(H2021), _buy(H2021).replace("03/01/2021", "")]
    e = load_export(write("Accounts_History.csv", history(H2021, rows)))
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 5, "reason": "Run Date is empty"}]


def test_truncated_mid_quoted_cell(write):
    text = history(H2026_ALL, [_buy(H2026_ALL), _buy(H2026_ALL)], footer=[]).rstrip("\n")
    cut = text[: text.rindex("YOU BOUGHT") + 10]  # cut inside the quoted Action cell
    cut = cut.replace(",YOU BOUGHT", ',"YOU BOUGHT')
    with pytest.raises(FormatError) as exc:
        load_export(write("Accounts_History.csv", cut))
    assert exc.value.line == 5


def test_truncated_short_last_row(write):
    text = history(H2026_ALL, [_buy(H2026_ALL), _buy(H2026_ALL)], footer=[]).rstrip("\n")
    cut = text[: text.rindex("VV,") + 3]  # last row stops after the Symbol cell
    with pytest.raises(FormatError) as exc:
        load_export(write("Accounts_History.csv", cut))
    assert exc.value.line == 5
    assert exc.value.message == (
        "row has 6 cells but the header needs 14; the file looks truncated or the row is "
        "malformed")


def test_header_only_without_footer_is_truncated(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("Accounts_History.csv", "\n\n" + H2026_ALL + "\n"))
    assert (exc.value.line, exc.value.message) == (
        3, "the history table has a header but no rows and no footer; the file looks truncated")


def test_detected_by_content_not_name(write):
    e = load_export(write("whatever.txt", history(H2021, [_buy(H2021)])))
    assert e.format == "fidelity_history"


# --- speed ----------------------------------------------------------------------------------

def test_large_file_loads_vectorised(write):
    rows = [_buy(H2026_ALL)] * 20000
    e = load_export(write("Accounts_History.csv", history(H2026_ALL, rows)))
    assert len(e.transactions) == 20000
    assert e.transactions["quantity"].sum() == 200000.0


# --- the shared real-structure samples ------------------------------------------------------

def test_shared_bankroll_2019_layout(shared_samples):
    e = load_export(shared_samples / "fidelity__bankroll__fidelity_transactions.csv")
    t = e.transactions
    # 19 data rows, lines 4-22; one transaction each (no workplace rows, no contributions
    # with shares).
    assert len(t) == 19
    assert t["source_line"].tolist() == list(range(4, 23))
    assert set(t["account"]) == {"X12345678"}
    assert e.accounts.to_dict("records") == [
        {"account": "X12345678", "name": "My Account", "custodian": "fidelity"}]
    assert e.as_of == pd.Timestamp("2019-04-06")
    # By hand: the three dividend/interest + reinvest pairs cancel (2.34, 6.78, 1.54), leaving
    # 89.01 + 2345.67 + 4567.89 + 10123.45 - 8.76 - 10576.20 - 10266.2 + 10000 + 4567
    # - 5432.10 + 1487.38 + 0.02 - 3210.98 = 3686.18
    assert t["amount"].sum() == pytest.approx(3686.18)
    # fees = commission + fees: 5.03 + 4.98 + 5.01 + 4.95 + 4.97 + 25.31 = 50.25
    assert t["fees"].sum() == pytest.approx(50.25)
    assert t["action"].value_counts().to_dict() == {
        "sell": 6, "buy": 4, "reinvest": 3, "dividend": 2, "interest": 2, "tax_withheld": 1,
        "contribution": 1}
    # bonds keep face value: 978928WR4 bought 10000 and sold 10000 -> nets to 0
    assert t.loc[t["symbol"] == "978928WR4", "quantity"].sum() == 0.0
    # FOREIGN TAX PAID as of 12/07/2018 (Run Date 10/11/2017): the as-of date is the date
    assert t.loc[t["source_line"] == 12, "date"].tolist() == [pd.Timestamp("2018-12-07")]
    # the money-market pseudo symbol is kept as written; the EFT row has no symbol
    assert t.loc[t["source_line"] == 5, "symbol"].tolist() == ["987654321"]
    assert t.loc[t["source_line"] == 16, "symbol"].isna().all()
    assert e.skipped.empty
    assert e.notes == []


def test_shared_opensteuerauszug_2026_layout(shared_samples):
    e = load_export(shared_samples / "fidelity__opensteuerauszug__Accounts_History.csv")
    t = e.transactions
    assert len(t) == 16
    assert t["source_line"].tolist() == list(range(2, 18))
    assert set(t["account"]) == {"U12349876"}
    assert e.accounts.to_dict("records") == [
        {"account": "U12349876", "name": "My Fidelity Account", "custodian": "fidelity"}]
    assert e.as_of == pd.Timestamp("2026-04-11")
    # By hand: interest 0.04+0.04+0.28+0.17+0.24+0.28+0.30+0.30 = 1.65; VT buys
    # -(3976.96+1420.35+1420.35+3124.77+18433.35) = -28375.78; reinvest -123.23;
    # dividend +144.98; non-resident tax -21.75 -> total -28374.13
    assert t["amount"].sum() == pytest.approx(-28374.13)
    # VT shares: 28 + 10 + 10 + 22 + 0.8724 + 130 = 200.8724
    assert t.loc[t["symbol"] == "VT", "quantity"].sum() == pytest.approx(200.8724)
    assert t["action"].value_counts().to_dict() == {
        "interest": 8, "buy": 5, "reinvest": 1, "dividend": 1, "tax_withheld": 1}
    interest = t[t["action"] == "interest"]
    # dates come from "as of Mon-DD-YYYY" in the Action, not the Run Date
    assert interest["date"].dt.strftime("%m-%d").tolist() == [
        "12-30", "12-22", "12-29", "11-24", "12-21", "12-15", "12-01", "12-08"]
    assert interest["symbol"].isna().all() and interest["description"].isna().all()
    assert t["settle_date"].notna().sum() == 5
    assert e.skipped.empty
    assert e.notes == []
