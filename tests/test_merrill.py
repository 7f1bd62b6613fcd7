"""Merrill holdings and activity CSV exports (FORMATS.md section 6): quoted cells, ``(x)``
negatives, ``--`` nulls, the ``Description 1 `` header, registrations as account names, cash
sweeps, non-OCC option symbols, pending rows and the activity vocabulary."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.accounts import infer_tax_type
from toolkit.errors import FormatError, MissingColumnError, UnknownFormatError
from toolkit.io import load_export
from toolkit.io.merrill import classify
from toolkit.schema import Action, TaxType


def quoted(*cells: str) -> str:
    return ",".join(f'"{c}"' for c in cells)


# --- holdings ---------------------------------------------------------------------------------

H_HEADER = quoted("COB Date", "Security #", "Symbol", "CUSIP #", "Security Description",
                  "Account Nickname", "Account Registration", "Account #", "Quantity",
                  "Price ($)", "Value ($)", "Unrealized Gain/Loss ($)",
                  "Unrealized Gain/Loss (%)", "Cumulative Investment Return ($)",
                  "Cumulative Investment Return (%)", "Accrued Interest ($)")
CMA = ("Family", "CMA-Edge", "27Z-41K08")
IRRA = ("--", "IRRA-Edge", "61X-90Q55")
H_ROWS = [
    quoted("2/17/2023", "00380", "ADBE", "00724F101", "ADOBE INC", *CMA, "254", "240.69",
           "61,135.26", "(1,823.33)", "(2.90)", "--", "--", "--"),                       # 2
    quoted("2/17/2023", "00415", "AMD", "007903107", "ADVNCD MICRO D INC", *CMA, "10,000",
           "1.55", "15,500.00", "3,500.00", "29.17", "--", "--", "--"),                    # 3
    quoted("2/17/2023", "94SX0", "--", "990156937", "ML DIRECT DEPOSIT PROGRM", *CMA, "774",
           "1.00", "774.00", "--", "--", "--", "--", "--"),                                # 4
    quoted("2/17/2023", "7Q1Z8", "AMD#A1527C180000", "--", "CALL AMD 180.00 EXP 01-15-27", *CMA,
           "2", "6.50", "1,300.00", "200.00", "18.18", "--", "--", "--"),                  # 5
    quoted("2/17/2023", "7Q1Z9", "AMD#M1527D120000", "--", "PUT  AMD 120.00 EXP 01-15-27", *CMA,
           "(1)", "3.10", "(310.00)", "210.00", "(40.38)", "--", "--", "--"),              # 6
    quoted("2/17/2023", "977G3", "IIAXX", "55499U915", "BANK OF AMERICA, NA RASP", *IRRA,
           "157.71", "1.00", "157.71", "--", "--", "--", "--", "--"),                      # 7
    quoted("2/17/2023", "0A7B2", "--", "912828YK0", "US TREASURY NOTE 1.375% 10/15/2029", *IRRA,
           "10,000", "92.31", "9,231.00", "(331.50)", "(3.47)", "--", "--", "10.89"),      # 8
]


def holdings(rows=H_ROWS, header=H_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.mark.parametrize(("bom", "crlf"), [(False, False), (True, True)], ids=["plain", "bom_crlf"])
def test_holdings(write, bom, crlf):
    e = load_export(write("Holdings_02172023.csv", holdings(), bom=bom, crlf=crlf))
    assert e.format == "merrill_holdings_csv"
    assert e.custodian == "merrill"
    assert e.as_of == pd.Timestamp("2023-02-17")
    pos = e.positions
    assert pos["account"].tolist() == ["27Z-41K08"] * 4 + ["61X-90Q55"] * 2
    assert pos["symbol"].tolist() == ["ADBE", "AMD", "CASH", "AMD#A1527C180000", "IIAXX",
                                      "912828YK0"]
    assert pos["cusip"].tolist()[:3] == ["00724F101", "007903107", "990156937"]
    assert pd.isna(pos["cusip"].iloc[3])
    assert pos["quantity"].tolist() == [254.0, 10000.0, 774.0, 2.0, 157.71, 10000.0]
    # the note is quoted per 100 of face: 92.31 / 100
    assert pos["price"].tolist() == pytest.approx([240.69, 1.55, 1.0, 6.5, 1.0, 0.9231])
    assert pos["market_value"].tolist() == [61135.26, 15500.0, 774.0, 1300.0, 157.71, 9231.0]
    # basis = value - unrealized gain: 61,135.26 + 1,823.33; 15,500 - 3,500; cash = value;
    # 1,300 - 200; 9,231 + 331.50
    assert pos["cost_basis"].tolist() == pytest.approx(
        [62958.59, 12000.0, 774.0, 1100.0, 157.71, 9562.5])
    assert pos["asset_class"].tolist()[2] == "cash" and pos["asset_class"].tolist()[4] == "cash"
    assert pos["asset_class"].isna().tolist() == [True, True, False, True, False, True]
    assert pos["security_type"].fillna("").tolist() == [
        "", "", "money_market", "option", "money_market", "bond"]
    assert pos["source_line"].tolist() == [2, 3, 4, 5, 7, 8]
    assert e.skipped[["line", "reason"]].to_dict(orient="records") == [
        {"line": 6, "reason": "short position (negative quantity): short positions are not "
                              "supported"}]


def test_holdings_accounts_are_named_by_registration(write):
    e = load_export(write("h.csv", holdings()))
    assert e.accounts.to_dict(orient="records") == [
        {"account": "27Z-41K08", "name": "CMA-Edge", "custodian": "merrill"},
        {"account": "61X-90Q55", "name": "IRRA-Edge", "custodian": "merrill"},
    ]
    # the names let the household infer each account's tax type
    assert [infer_tax_type(n) for n in e.accounts["name"]] == [
        TaxType.TAXABLE, TaxType.TRADITIONAL_IRA]


def test_holdings_nickname_when_no_registration(write):
    header = H_HEADER.replace('"Account Registration",', "")
    rows = [r.replace('"CMA-Edge",', "") for r in H_ROWS[:2]]
    e = load_export(write("h.csv", holdings(rows, header)))
    assert e.accounts.to_dict(orient="records") == [
        {"account": "27Z-41K08", "name": "Family", "custodian": "merrill"}]


def test_holdings_rows_without_account_symbol_or_value(write):
    rows = [
        H_ROWS[0],
        quoted("2/17/2023", "--", "--", "--", "TOTAL", "--", "--", "--", "--", "--",
               "77,000.00", "--", "--", "--", "--", "--"),                                  # 3
        quoted("2/17/2023", "0Z", "--", "--", "PRIVATE PLACEMENT", *CMA, "10", "--", "100.00",
               "--", "--", "--", "--", "--"),                                              # 4
        quoted("2/17/2023", "0Y", "XYZ", "--", "XYZ CORP", *CMA, "10", "--", "--", "--", "--",
               "--", "--", "--"),                                                          # 5
    ]
    e = load_export(write("h.csv", holdings(rows)))
    assert e.positions["symbol"].tolist() == ["ADBE"]
    assert e.skipped[["line", "reason"]].to_dict(orient="records") == [
        {"line": 3, "reason": "row names no account (a summary or total line)"},
        {"line": 4, "reason": "row has no symbol and no CUSIP"},
        {"line": 5, "reason": "row has no value"},
    ]


def test_holdings_detected_by_content(write):
    assert load_export(write("positions.txt", holdings())).format == "merrill_holdings_csv"


def test_portfolio_summary_export_is_not_holdings(write):
    text = quoted("COB Date", "Account Nickname", "Account Registration", "Account #",
                  "Cash Balance ($)", "Money Accounts ($)", "Net Value ($)") + "\n" + quoted(
        "09/23/2026", "--", "Roth IRA-Edge", "42X-49U23", "0.89", "157.71", "61,293.86") + "\n"
    with pytest.raises(UnknownFormatError):
        load_export(write("PortfolioSummary.csv", text))


def test_holdings_missing_required_column(write):
    header = H_HEADER.replace('"Value ($)",', "")
    rows = [r.replace('"61,135.26",', "") for r in H_ROWS[:1]]
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("h.csv", holdings(rows, header)))
    assert (exc.value.line, exc.value.column) == (1, "Value ($)")


def test_holdings_unreadable_cell_skips_its_row_with_the_holding(write):
    rows = [H_ROWS[0], H_ROWS[1].replace('"10,000"', '"ten thousand"')]
    e = load_export(write("h.csv", holdings(rows)))
    assert e.positions["symbol"].tolist() == ["ADBE"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 3, "reason": "cannot read Quantity 'ten thousand': expected a number",
         "account": "27Z-41K08", "symbol": "AMD"}]


def test_holdings_every_row_unreadable_refuses_the_file(write):
    rows = [H_ROWS[0].replace('"2/17/2023"', '"2/30/2023"'),
            H_ROWS[1].replace('"2/17/2023"', '"2/31/2023"')]
    with pytest.raises(FormatError) as exc:
        load_export(write("h.csv", holdings(rows)))
    assert (exc.value.line, exc.value.column) == (2, "COB Date")
    assert exc.value.message == ("no row of this table can be read; first: expected a date, "
                                 "found '2/30/2023'")


def test_holdings_truncated_mid_row(write):
    text = holdings().rstrip("\n")
    cut = text[: text.rindex("US TREASURY")] + "US TREAS"
    with pytest.raises(FormatError) as exc:
        load_export(write("h.csv", cut))
    assert exc.value.line == 8
    assert exc.value.message.endswith("the file looks cut off mid-row")


def test_holdings_truncated_after_a_cell(write):
    text = holdings().rstrip("\n")
    cut = text[: text.rindex('"10,000","92.31"') + len('"10,000"')]
    with pytest.raises(FormatError) as exc:
        load_export(write("h.csv", cut))
    assert exc.value.line == 8
    assert exc.value.message == ("row has 9 cells but the header needs 12; the file looks "
                                 "truncated or the row is malformed")


def test_holdings_header_only(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("h.csv", H_HEADER + "\n"))
    assert (exc.value.line, exc.value.message) == (
        1, "the holdings table has a header but no rows; the file looks truncated")


def test_holdings_golden_sample(samples):
    # data/samples/formats/merrill/Holdings_11202026.csv, by hand: CMA-Edge 36,168.00 +
    # 21,120.21 + 15,500.00 + 1,843.22 + 1,300.00 = 75,931.43 (the short put is skipped);
    # IRRA-Edge 46,176.00 + 9,231.00 + 512.37 = 55,919.37; Roth 7,760.50 + 96.05 = 7,856.55.
    e = load_export(samples / "formats" / "merrill" / "Holdings_11202026.csv")
    by = e.positions.groupby("account")["market_value"].sum()
    assert by.to_dict() == pytest.approx(
        {"27Z-41K08": 75931.43, "61X-90Q55": 55919.37, "61X-90Q71": 7856.55})
    cash = e.positions[e.positions["asset_class"] == "cash"]
    assert cash["market_value"].sum() == pytest.approx(1843.22 + 512.37 + 96.05)


# --- activity ---------------------------------------------------------------------------------

A_HEADER = quoted("Trade Date", "Settlement Date", "Pending/Settled", "Account Nickname",
                  "Account Registration", "Account #", "Type", "Description 1 ",
                  "Description 2", "Symbol/CUSIP #", "Quantity", "Price ($)", "Amount ($)")
ROTH = ("--", "Roth IRA-Edge", "42X-49U23")


def act(date, settle, status, account, type_, d1, d2, symbol, qty, price, amount) -> str:
    return quoted(date, settle, status, *account, type_, d1, d2, symbol, qty, price, amount)


A_ROWS = [
    act("3/18/2026", "3/19/2026", "Settled", CMA, "Trades", "Purchase",
        "VANGUARD TOTAL STOCK MARKET ETF", "VTI", "10", "250.00", "(2,500.00)"),          # 2
    act("3/17/2026", "3/18/2026", "Settled", CMA, "Trades", "Sale", "ADVNCD MICRO D INC",
        "AMD", "2,500", "1.62", "4,049.95"),                                              # 3
    act("3/16/2026", "3/16/2026", "Settled", CMA, "Trades", "Option Sale ",
        "CALL AMD 180.00 EXP 01-15-27", "AMD#A1527C180000", "1", "7.25", "724.34"),       # 4
    act("3/20/2026", "3/23/2026", "Pending", CMA, "Trades", "Purchase", "VANGUARD",
        "VTI", "1", "251.00", "(251.00)"),                                                # 5
    act("3/02/2026", "3/02/2026", "Settled", ROTH, "DividendAndInterest", "Dividend",
        "VANGUARD REAL ESTATE ETF HOLDING 85.0000 PAY DATE 03/02/2026", "VNQ", "--", "--",
        "61.20"),                                                                         # 6
    act("3/02/2026", "3/02/2026", "Settled", ROTH, "Other", "Reinvestment",
        "VANGUARD REAL ESTATE ETF REINV PRICE 91.30", "VNQ", "0.6703", "91.30", "(61.20)"),  # 7
    act("2/27/2026", "2/27/2026", "Settled", ROTH, "DividendAndInterest", "Interest",
        "BANK OF AMERICA, NA RASP DIV/INT REINVEST", "IIAXX", "--", "--", "0.43"),       # 8
    act("2/27/2026", "2/27/2026", "Settled", ROTH, "Other", "Reinvestment",
        "BANK OF AMERICA, NA RASP DIV/INT REINVEST", "IIAXX", "0.43", "1.00", "(0.43)"),  # 9
    act("2/03/2026", "2/03/2026", "Settled", ROTH, "FundReceipts", "Funds Received",
        "ROTH CONTRIBUTION 2026", "--", "--", "--", "7,000.00"),                           # 10
]


def activity(rows=A_ROWS, header=A_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_activity(write):
    e = load_export(write("ExportData.csv", activity()))
    assert e.format == "merrill_activity_csv"
    assert e.as_of is None
    t = e.transactions
    assert t["source_line"].tolist() == [2, 3, 4, 6, 7, 8, 9, 10]
    assert t["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-03-18", "2026-03-17", "2026-03-16", "2026-03-02", "2026-03-02", "2026-02-27",
        "2026-02-27", "2026-02-03"]
    assert t["settle_date"].iloc[0] == pd.Timestamp("2026-03-19")
    assert t["account"].tolist() == ["27Z-41K08"] * 3 + ["42X-49U23"] * 5
    assert t["action"].tolist() == ["buy", "sell", "sell", "dividend", "reinvest", "interest",
                                    "other", "contribution"]
    assert t["action_text"].tolist() == ["Purchase", "Sale", "Option Sale", "Dividend",
                                         "Reinvestment", "Interest", "Reinvestment",
                                         "Funds Received"]
    assert t["symbol"].tolist()[:3] == ["VTI", "AMD", "AMD#A1527C180000"]
    assert pd.isna(t["symbol"].iloc[7])
    assert t["description"].iloc[0] == "VANGUARD TOTAL STOCK MARKET ETF"
    # sells are made negative although Merrill writes them unsigned
    # (-1 marks a missing quantity: rows that move no shares)
    assert t["quantity"].fillna(-1).tolist() == [10.0, -2500.0, -1.0, -1, 0.6703, -1, 0.43, -1]
    assert t["price"].tolist()[:3] == [250.0, 1.62, 7.25]
    # the sweep reinvestment moves cash into cash: amount 0
    assert t["amount"].tolist() == [-2500.0, 4049.95, 724.34, 61.2, -61.2, 0.43, 0.0, 7000.0]
    assert t["fees"].isna().all()
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict(orient="records") == [
        {"line": 5, "reason": "pending activity: not yet settled (it appears as settled in a "
                              "later download)", "account": "27Z-41K08", "symbol": "VTI"}]
    # the pending purchase is cash in transit: a debit of 251.00 from the CMA
    assert e.pending[["account", "amount", "date", "symbol", "description",
                      "source_line"]].to_dict("records") == [
        {"account": "27Z-41K08", "amount": -251.0, "date": pd.Timestamp("2026-03-20"),
         "symbol": "VTI", "description": "Purchase VANGUARD", "source_line": 5}]
    assert e.notes == [
        "1 purchase/sale/reinvestment row(s) of a cash sweep (IIAXX) moved $0.43 between core "
        "cash and the sweep; both are cash, so they are action 'other' with amount 0"]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "27Z-41K08", "name": "CMA-Edge", "custodian": "merrill"},
        {"account": "42X-49U23", "name": "Roth IRA-Edge", "custodian": "merrill"},
    ]
    assert infer_tax_type("Roth IRA-Edge") is TaxType.ROTH_IRA


# (Type, Description 1, Quantity, Amount) -> action; quantity and amount signs as Merrill writes
VOCABULARY = [
    ("Trades", "Purchase", "5", "(500.00)", "buy"),
    ("Trades", "Sale", "5", "500.00", "sell"),
    ("Trades", "Option Purchase", "1", "(120.00)", "buy"),
    ("Trades", "Option Sale ", "1", "120.00", "sell"),
    ("Trades", "Sale-Option Assigned", "100", "42,500.00", "sell"),
    ("Other", "Option Expired", "1", "--", "other"),
    ("Other", "Option Assigned", "1", "--", "other"),
    ("Trades", "Exchange", "(5)", "--", "sell"),
    ("DividendAndInterest", "Dividend", "--", "12.00", "dividend"),
    ("DividendAndInterest", "Foreign Dividend", "--", "1,272.44", "dividend"),
    ("DividendAndInterest", "Qualified Dividend", "--", "3.00", "dividend"),
    ("Other", "Reinvestment", "0.5", "(12.00)", "reinvest"),
    ("Other", "DIV/INT REINVEST", "0.5", "(12.00)", "reinvest"),
    ("Other", "Dividend Reinvestment", "0.5", "(12.00)", "reinvest"),
    ("DividendAndInterest", "Interest", "--", "0.43", "interest"),
    ("DividendAndInterest", "Bank Interest", "--", "85.00", "interest"),
    ("DividendAndInterest", "Lg Tm Cap Gain", "--", "100.50", "capital_gain"),
    ("DividendAndInterest", "Sh Tm Cap Gain", "--", "15.36", "capital_gain"),
    ("DividendAndInterest", "Capital Gain Distribution", "--", "7.00", "capital_gain"),
    ("Other", "Foreign Tax Withholding", "--", "(40.79)", "tax_withheld"),
    ("Other", "Depository Bank (ADR) Fee", "--", "(10.35)", "fee"),
    ("Other", "Fee", "--", "(25.00)", "fee"),
    ("Other", "Margin Interest", "--", "(3.10)", "fee"),
    ("FundReceipts", "Funds Received", "--", "1,000.00", "contribution"),
    ("FundReceipts", "Direct Deposit", "--", "1,520.60", "contribution"),
    ("FundReceipts", "Deposit", "--", "500.00", "contribution"),
    ("FundTransfers", "Withdrawal", "--", "(4,000.00)", "withdrawal"),
    ("Other", "Pre-Authorized Withdrawal", "--", "(2,169.18)", "withdrawal"),
    ("Checking", "Check 3723", "--", "(85.00)", "withdrawal"),
    ("FundTransfers", "Funds Transfer", "--", "300.00", "contribution"),
    ("Other", "Transfer / Adjustment", "--", "25,000.00", "transfer_in"),
    ("Other", "Transfer", "(10)", "--", "transfer_out"),
    ("Other", "Journal", "--", "(50.00)", "transfer_out"),
    ("Other", "Name Change", "--", "--", "other"),
    ("DividendAndInterest", "", "--", "5.00", "dividend"),  # Description 1 empty: by Type
    ("FundReceipts", "--", "--", "5.00", "contribution"),
    ("Mystery", "Something New", "--", "1.00", "other"),
]


@pytest.mark.parametrize(("type_", "d1", "qty", "amount", "action"), VOCABULARY,
                         ids=[f"{v[0]}-{v[1]}" for v in VOCABULARY])
def test_activity_vocabulary(write, type_, d1, qty, amount, action):
    rows = [act("1/05/2026", "1/06/2026", "Settled", CMA, type_, d1, "DETAIL", "XYZ", qty,
                "--", amount)]
    e = load_export(write("a.csv", activity(rows)))
    t = e.transactions
    assert t["action"].tolist() == [action]
    text = d1.strip() if d1.strip() not in ("", "--") else type_
    assert t["action_text"].tolist() == [text]
    q = t["quantity"].iloc[0]
    if qty == "--":
        assert pd.isna(q)
    else:
        size = float(qty.strip("()").replace(",", ""))
        written = -size if qty.startswith("(") else size
        expected = {"buy": size, "reinvest": size, "transfer_in": size, "sell": -size,
                    "transfer_out": -size}.get(action, written)
        assert q == expected


def test_classify_returns_none_for_unknown_text():
    assert classify("Something New") is None
    assert classify(None) is None
    assert classify("  option   SALE ").action is Action.SELL


def test_activity_older_layout_with_account_in_one_cell(write):
    header = quoted("Trade Date ", "Settlement Date ", "Account ", "Description ", "Type ",
                    "Symbol/ CUSIP ", "Quantity ", "Price ", "Amount ", " ")
    rows = [
        quoted("05/06/2024", "05/07/2024", "IRA-Edge 6B1-50X02",
               "Option Sale  CALL TSLA 00425 TESLA INC EXP 02-13-26", "", "TSLA#B1326C425000",
               "1", "$5.00", "$500.00", ""),
        quoted("05/08/2024", "05/08/2024", "IRA-Edge 6B1-50X02",
               "Interest BANK OF AMERICA RASP 1.23 DIV/INT REINVEST PAY DATE 05/08/2024", "",
               "IIAXX", "", "", "$1.23", ""),
        quoted("05/09/2024", "05/10/2024", "IRA-Edge 6B1-50X02",
               "Purchase VANGUARD TOTAL STOCK MKT ETF", "", "VTI", "3", "$250.00", "-$750.00",
               ""),
    ]
    e = load_export(write("a.csv", activity(rows, header)))
    t = e.transactions
    assert t["account"].tolist() == ["6B1-50X02"] * 3
    assert t["action"].tolist() == ["sell", "interest", "buy"]
    assert t["symbol"].tolist() == ["TSLA#B1326C425000", "IIAXX", "VTI"]
    assert t["quantity"].fillna(0).tolist() == [-1.0, 0.0, 3.0]
    assert t["amount"].tolist() == [500.0, 1.23, -750.0]
    assert t["description"].iloc[2] == "Purchase VANGUARD TOTAL STOCK MKT ETF"
    assert e.accounts.to_dict(orient="records") == [
        {"account": "6B1-50X02", "name": "IRA-Edge", "custodian": "merrill"}]


def test_activity_missing_required_column(write):
    header = A_HEADER.replace('"Amount ($)"', '"Net ($)"')
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("a.csv", activity(A_ROWS[:1], header)))
    assert (exc.value.line, exc.value.column) == (1, "Amount ($)")


def test_activity_unreadable_date(write):
    rows = [A_ROWS[0], A_ROWS[1].replace('"3/17/2026"', '"yesterday"')]
    e = load_export(write("a.csv", activity(rows)))
    assert e.transactions["source_line"].tolist() == [2]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 3, "reason": "cannot read Trade Date 'yesterday': expected a date",
         "account": "27Z-41K08", "symbol": "AMD"}]


def test_activity_comma_decimal_amount_is_refused_not_misread(write):
    # "4.049,95" is never read as 4.04995: Merrill writes US numbers
    rows = [A_ROWS[0], A_ROWS[1].replace('"4,049.95"', '"4.049,95"')]
    e = load_export(write("a.csv", activity(rows)))
    assert e.transactions["amount"].tolist() == [-2500.0]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 3, "reason": "cannot read Amount ($) '4.049,95': expected a number"}]


def test_activity_truncated_mid_row(write):
    text = activity().rstrip("\n")
    cut = text[: text.rindex("ROTH CONTRIBUTION")] + "ROTH CONTR"
    with pytest.raises(FormatError) as exc:
        load_export(write("a.csv", cut))
    assert exc.value.line == 10


def test_activity_empty_and_binary(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("a.csv", "   \n"))
    assert exc.value.message == "the file is empty; expected a brokerage export"
    with pytest.raises(FormatError) as exc:
        load_export(write("a.csv", b"PK\x03\x04junk"), format="merrill_activity_csv")
    assert exc.value.message == ("format 'merrill_activity_csv' reads text files, but this file "
                                 "is a zip/xlsx archive")


def test_activity_data_after_the_table_is_reported(write):
    text = activity() + "\n" + A_ROWS[0] + "\n"
    e = load_export(write("a.csv", text))
    assert len(e.transactions) == 8
    assert e.skipped[["line", "reason"]].to_dict(orient="records")[-1] == {
        "line": 12, "reason": "data-like line after the end of the activity table"}


def test_activity_golden_sample(samples):
    # data/samples/formats/merrill/ExportData_11202026.csv, by hand: 20 rows, 1 pending
    # (skipped); settled cash flows into the accounts: +10,000 wire, +7,000 Roth deposit;
    # out: check 1,200; the IIAXX reinvestment of 1.87 becomes 'other' with amount 0.
    e = load_export(samples / "formats" / "merrill" / "ExportData_11202026.csv")
    t = e.transactions
    assert len(t) == 19 and e.skipped["line"].tolist() == [2]
    flows = t[t["action"].isin(["contribution", "withdrawal"])]
    assert flows["amount"].tolist() == [10000.0, -1200.0, 7000.0]
    assert t.loc[t["symbol"].eq("IIAXX") & t["action"].eq("other"), "amount"].tolist() == [0.0]


# --- a holding listed twice (issue 12) ---------------------------------------------------------

def test_repeated_holdings_row_is_counted_once(write):
    e = load_export(write("h.csv", holdings([H_ROWS[0], H_ROWS[1], H_ROWS[1]])))
    assert e.positions["symbol"].tolist() == ["ADBE", "AMD"]
    assert e.positions["market_value"].sum() == pytest.approx(61135.26 + 15500.00)
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 4, "reason": "position repeated in this file (27Z-41K08 AMD, same quantity "
                              "and value as line 3): counted once", "account": "27Z-41K08",
         "symbol": "AMD"}]


def test_holding_listed_again_with_other_figures_is_reported(write):
    other = H_ROWS[1].replace('"10,000"', '"9,000"').replace('"15,500.00"', '"13,950.00"')
    e = load_export(write("h.csv", holdings([H_ROWS[1], other])))
    assert e.positions["market_value"].tolist() == [15500.0]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 3, "reason": "position listed again with different figures (27Z-41K08 AMD: "
                              "value 13,950.00 here, 15,500.00 on line 2); only line 2 is "
                              "loaded, check the export"}]
