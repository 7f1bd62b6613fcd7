"""Schwab transactions: CSV of every generation (banner/footer, trailing commas, header only),
account from the banner / account= / file name, the action vocabulary, signs, as-of dates,
JSON exports, malformed files and the shared reference file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

HEADER = '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"'
ROWS_2020 = [
    '"11/20/2020","Buy","VTI","VANGUARD TOTAL STOCK MKT ETF","10","$190.00","","-$1900.00",',
    '"11/18/2020","Sell","BND","VANGUARD TOTAL BOND MARKET ETF","5","$88.00","$0.05","$439.95",',
    '"11/16/2020","Reinvest Shares","VTI","VANGUARD TOTAL STOCK MKT ETF","0.1","$190.00","",'
    '"-$19.00",',
    '"11/13/2020","Reinvest Dividend","VTI","VANGUARD TOTAL STOCK MKT ETF","","","","$19.00",',
    '"09/16/2020 as of 09/15/2020","Bank Interest","","BANK INT 081620-091520 SCHWAB BANK",'
    '"","","","$0.05",',
    '"09/01/2020","MoneyLink Transfer","","Tfr JPMORGAN CHASE BAN","","","","$2,000.00",',
    # rows of this era may lack the trailing comma
    '"08/10/2020","Journal","","JOURNAL TO 00004321","","","","-$123.45"',
    '"08/01/2020","Stock Plan Activity","FB","FACEBOOK INC CLASS A","300","","","",',
]
# -1900 + 439.95 - 19 + 19 + 0.05 + 2000 - 123.45 = 416.55
FOOTER_2020 = 'Transactions Total,"","","","","","",$416.55'


def csv_2020():
    banner = '"Transactions  for account Brokerage XXXX-1234 as of 11/21/2020 18:00:21 ET"'
    return "\n".join([banner, HEADER + ",", *ROWS_2020, FOOTER_2020]) + "\n"


def test_2020_banner_trailing_commas_and_footer(write):
    e = load_export(write("Brokerage_Transactions_20201121-180021.CSV", csv_2020(), crlf=True))
    assert e.format == "schwab_transactions"
    assert e.as_of == pd.Timestamp("2020-11-21")
    t = e.transactions
    assert t["account"].unique().tolist() == ["XXXX-1234"]
    assert t["action"].tolist() == ["buy", "sell", "reinvest", "dividend", "interest",
                                    "contribution", "transfer_out", "transfer_in"]
    assert t["action_text"].tolist() == ["Buy", "Sell", "Reinvest Shares", "Reinvest Dividend",
                                         "Bank Interest", "MoneyLink Transfer", "Journal",
                                         "Stock Plan Activity"]
    assert t["date"].tolist()[4] == pd.Timestamp("2020-09-15")  # the "as of" date
    assert t["quantity"].tolist()[:3] == [10.0, -5.0, 0.1]  # sells get their minus sign
    assert t["quantity"].iloc[7] == 300.0
    assert t["amount"].tolist()[:6] == [-1900.0, 439.95, -19.0, 19.0, 0.05, 2000.0]
    assert t["fees"].iloc[1] == 0.05
    assert t["price"].iloc[0] == 190.0
    assert t["symbol"].isna().tolist() == [False, False, False, False, True, True, True, False]
    assert t["source_line"].tolist() == list(range(3, 11))
    assert e.skipped["line"].tolist() == [11]
    assert e.skipped["reason"].tolist() == ["transactions total row: the sum of the amounts "
                                            "above"]
    assert e.notes == []  # the footer total equals the sum of the amounts
    assert e.accounts.to_dict(orient="records") == [
        {"account": "XXXX-1234", "name": "Brokerage", "custodian": "schwab"}]


def test_2022_banner_with_short_id_and_quoted_footer(write):
    text = "\n".join([
        '"Transactions  for account General Investing ...234 as of 08/03/2022 02:16:23 AM ET"',
        HEADER,
        '"04/27/2022","Buy","BND","VANGUARD TOTAL BOND MARKET ETF","45","$73.7789","",'
        '"-$3320.05"',
        '"04/18/2022","Sell","BND","VANGUARD TOTAL BOND MARKET ETF","10.065","$73.4049","$0.01",'
        '"$738.81"',
        '"Transactions Total","","","","","","","-$1,574.04",',
    ]) + "\n"
    e = load_export(write("General_Investing_XXX234_Transactions_20220803-021623.csv", text))
    assert e.as_of == pd.Timestamp("2022-08-03")
    assert e.transactions["account"].unique().tolist() == ["...234"]
    assert e.transactions["quantity"].tolist() == [45.0, -10.065]
    assert e.accounts["name"].tolist() == ["General Investing"]
    # -3320.05 + 738.81 = -2581.24, not the footer's -1,574.04
    assert e.notes == ["line 5: the file's total -1,574.04 differs from the sum of the amounts "
                       "-2,581.24"]


def test_2024_banner_with_year_first_date(write):
    text = "\n".join([
        '"Transactions  for account Individual ...234 as of 2024/10/01 09:00:00 AM ET"', HEADER,
        '"09/30/2024","Credit Interest","","SCHWAB1 INT 08/29-09/29","","","","$1.63"',
    ]) + "\n"
    e = load_export(write("t.csv", text))
    assert e.as_of == pd.Timestamp("2024-10-01")
    assert e.transactions["action"].tolist() == ["interest"]


LATE = "\n".join([
    HEADER.replace('"Quantity","Price"', '"Price","Quantity"'),  # price before quantity (2024)
    '"03/05/2025","Sell","VTI","VANGUARD TOTAL STOCK MKT ETF","$290.00","100","$0.10",'
    '"$28,999.90"',
    '"03/03/2025 as of 02/28/2025","Qualified Dividend","VTI","VANGUARD TOTAL STOCK MKT ETF",'
    '"","","","$120.00"',
]) + "\n"


def test_late_2023_header_only_account_from_file_name(write):
    e = load_export(write("Roth_Contributory_IRA_XXX567_Transactions_20250309-115444.csv", LATE))
    assert e.as_of == pd.Timestamp("2025-03-09")
    t = e.transactions
    assert t["account"].tolist() == ["XXX567", "XXX567"]
    assert t["quantity"].tolist()[0] == -100.0
    assert t["price"].tolist()[0] == 290.0
    assert t["amount"].tolist() == [28999.9, 120.0]
    assert t["date"].tolist() == [pd.Timestamp("2025-03-05"), pd.Timestamp("2025-02-28")]
    assert t["source_line"].tolist() == [2, 3]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "XXX567", "name": "Roth Contributory IRA", "custodian": "schwab"}]
    assert e.skipped.empty


def test_late_2023_account_option_wins_over_file_name(write):
    e = load_export(write("Individual_XXX178_Transactions_20250309-115444.csv", LATE),
                    account="...178")
    assert e.transactions["account"].unique().tolist() == ["...178"]


def test_late_2023_without_account_asks_for_it(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("history.csv", LATE))
    assert exc.value.message == (
        "this transactions file does not name its account id, and the file name has none; "
        "pass account=... to load_export (for example account='...234')")


def test_header_only_file_has_no_transactions(write):
    e = load_export(write("Brokerage_XXX234_Transactions_20201130-180000.CSV",
                          HEADER + '\n""\n'))
    assert e.transactions.empty
    assert e.notes == ["the file lists no transactions"]


# The vocabulary, written out independently of the loader's table.
VOCABULARY = [
    ("Buy", "10", "-$100.00", "buy", 10.0),
    ("Sell", "10", "$100.00", "sell", -10.0),
    ("Buy to Open", "1", "-$50.00", "buy", 1.0),
    ("Sell to Close", "1", "$60.00", "sell", -1.0),
    ("Sell to Open", "2", "$80.00", "sell", -2.0),
    ("Buy to Close", "2", "-$20.00", "buy", 2.0),
    ("Reinvest Shares", "0.5", "-$5.00", "reinvest", 0.5),
    ("Reinvest Dividend", "", "$5.00", "dividend", None),
    ("Qualified Dividend", "", "$5.00", "dividend", None),
    ("Cash Dividend", "", "$5.00", "dividend", None),
    ("Non-Qualified Div", "", "$5.00", "dividend", None),
    ("Qual Div Reinvest", "", "$5.00", "dividend", None),
    ("Pr Yr Div Reinvest", "", "$5.00", "dividend", None),
    ("Pr Yr Cash Div", "", "$5.00", "dividend", None),
    ("Special Dividend", "", "$5.00", "dividend", None),
    ("Special Non Qual Div", "", "$5.00", "dividend", None),
    ("Long Term Cap Gain", "", "$5.00", "capital_gain", None),
    ("Short Term Cap Gain", "", "$5.00", "capital_gain", None),
    ("Long Term Cap Gain Reinvest", "", "$5.00", "capital_gain", None),
    ("Credit Interest", "", "$1.00", "interest", None),
    ("Bank Interest", "", "$1.00", "interest", None),
    ("Bond Interest", "", "$1.00", "interest", None),
    ("MoneyLink Transfer", "", "$1,000.00", "contribution", None),
    ("MoneyLink Transfer", "", "-$1,000.00", "withdrawal", None),
    ("MoneyLink Deposit", "", "$25.00", "contribution", None),
    ("Wire Received", "", "$500.00", "contribution", None),
    ("Wire Funds Received", "", "$500.00", "contribution", None),
    ("Funds Received", "", "$500.00", "contribution", None),
    ("Wire Sent", "", "-$500.00", "withdrawal", None),
    ("Wire Funds", "", "-$500.00", "withdrawal", None),
    ("Journal", "", "$10.00", "transfer_in", None),
    ("Journal", "", "-$10.00", "transfer_out", None),
    ("Journaled Shares", "-877", "", "transfer_out", -877.0),
    ("Journaled Shares", "5", "", "transfer_in", 5.0),
    ("Security Transfer", "20", "", "transfer_in", 20.0),
    ("Internal Transfer", "", "$7.06", "transfer_in", None),
    ("Stock Plan Activity", "300", "", "transfer_in", 300.0),
    ("Stock Split", "9", "", "split", 9.0),
    ("Reverse Split", "-10", "", "split", -10.0),
    ("Stock Div Dist", "4", "", "split", 4.0),
    ("Service Fee", "", "-$25.00", "fee", None),
    ("ADR Mgmt Fee", "", "-$0.50", "fee", None),
    ("Advisor Fee", "", "-$519.67", "fee", None),
    ("Margin Interest", "", "-$0.15", "fee", None),
    ("Foreign Tax Paid", "", "-$1.30", "tax_withheld", None),
    ("NRA Tax Adj", "", "-$3.00", "tax_withheld", None),
    ("Cash In Lieu", "", "$5.49", "other", None),
    ("Expired", "-1", "", "other", -1.0),
    ("Stock Merger", "50", "", "other", 50.0),
    ("Spin-off", "344", "", "other", 344.0),
]


def test_action_vocabulary(write):
    rows = [f'"01/02/2024","{a}","SYM","DESC","{qty}","","","{amt}"'
            for a, qty, amt, _, _ in VOCABULARY]
    e = load_export(write("t.csv", HEADER + "\n" + "\n".join(rows) + "\n"), account="...1")
    t = e.transactions
    assert t["action"].tolist() == [v[3] for v in VOCABULARY]
    got_qty = [None if pd.isna(x) else x for x in t["quantity"]]
    assert got_qty == [v[4] for v in VOCABULARY]
    assert e.notes == []


def test_unknown_action_is_other_with_a_note(write):
    rows = ['"01/02/2024","Mystery Credit","","X","","","","$1.00"',
            '"01/03/2024","Mystery Credit","","X","","","","$2.00"',
            '"01/04/2024","","","Y","","","","$3.00"']
    e = load_export(write("t.csv", HEADER + "\n" + "\n".join(rows) + "\n"), account="...1")
    assert e.transactions["action"].tolist() == ["other"] * 3
    assert e.transactions["action_text"].tolist()[:2] == ["Mystery Credit"] * 2
    assert pd.isna(e.transactions["action_text"].iloc[2])
    assert e.notes == ["unknown Schwab actions kept as 'other': 'Mystery Credit' (2), "
                       "'(empty)' (1)"]


def test_data_like_line_after_footer_is_reported(write):
    text = csv_2020() + '"12/01/2020","Buy","VTI","X","1","$1.00","","-$1.00",\n'
    e = load_export(write("t.csv", text))
    assert e.skipped["line"].tolist() == [11, 12]
    assert e.skipped["reason"].iloc[1] == "data-like line after the end of the transactions table"


def test_detected_by_content_not_name(write):
    e = load_export(write("export.txt", csv_2020(), bom=True))
    assert e.format == "schwab_transactions"


def test_missing_amount_column(write):
    text = '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm"\n' \
           '"01/02/2024","Buy","VTI","X","1","$1.00",""\n'
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("t.csv", text), account="...1")
    assert (exc.value.line, exc.value.column) == (1, "Amount")


def test_bad_amount_names_line_and_column(write):
    rows = [*ROWS_2020[:2], '"11/01/2020","Buy","VTI","X","1","$1.00","","one dollar",']
    text = "\n".join(['"Transactions  for account Brokerage XXXX-1234 as of 11/21/2020 18:00:21 ET"',
                      HEADER + ",", *rows]) + "\n"
    e = load_export(write("t.csv", text))
    assert e.transactions["source_line"].tolist() == [3, 4]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 5, "reason": "cannot read Amount 'one dollar': expected a number",
         "account": "XXXX-1234", "symbol": "VTI"}]


def test_bad_date_names_line_and_column(write):
    text = HEADER + '\n"01/02/2024","Buy","VTI","X","1","$1.00","","-$1.00"\n' \
                    '"yesterday","Buy","VTI","X","1","$1.00","","-$1.00"\n'
    e = load_export(write("t.csv", text), account="...1")
    assert e.transactions["source_line"].tolist() == [2]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 3, "reason": "cannot read Date 'yesterday': expected a date"}]


def test_truncated_mid_row(write):
    text = csv_2020()
    cut = text[: text.index("JOURNAL TO") + 5]
    with pytest.raises(FormatError) as exc:
        load_export(write("t.csv", cut))
    assert exc.value.line == 9


# --- JSON -------------------------------------------------------------------------------------

DOC = {
    "FromDate": "01/01/2024",
    "ToDate": "12/31/2024",
    "TotalTransactionsAmount": "$9,908.50",
    "BrokerageTransactions": [
        {"Date": "12/30/2024", "Action": "Credit Interest", "Symbol": "",
         "Description": "SCHWAB1 INT 11/27-12/29", "Quantity": "", "Price": "",
         "Fees & Comm": "", "Amount": "$9.99"},
        {"Date": "06/14/2024 as of 06/13/2024", "Action": "Sell", "Symbol": "AVGO",
         "Description": "BROADCOM INC", "Quantity": "10", "Price": "$1,000.00",
         "Fees & Comm": "$1.49", "Amount": "$9,998.51", "AcctgRuleCd": "1"},
        {"Date": "03/01/2024", "Action": "Buy", "Symbol": "SCHB", "Description": "SCHWAB ETF",
         "Quantity": "2", "Price": "$50.00", "Fees & Comm": None, "Amount": "-$100.00"},
        {"Date": "02/01/2024", "Action": "NRA Tax Adj", "Symbol": "SCHB",
         "Description": "SCHWAB ETF", "Quantity": "", "Price": "", "Fees & Comm": "",
         "Amount": "$0.00"},
    ],
}
# 9.99 + 9998.51 - 100.00 + 0.00 = 9908.50


def test_json_export(write):
    text = json.dumps(DOC, indent=2)
    e = load_export(write("Individual_XXX178_Transactions_20250309-115444.json", text))
    assert e.format == "schwab_transactions_json"
    assert e.as_of == pd.Timestamp("2024-12-31")
    t = e.transactions
    assert t["account"].unique().tolist() == ["XXX178"]
    assert t["action"].tolist() == ["interest", "sell", "buy", "tax_withheld"]
    assert t["date"].tolist() == [pd.Timestamp("2024-12-30"), pd.Timestamp("2024-06-13"),
                                  pd.Timestamp("2024-03-01"), pd.Timestamp("2024-02-01")]
    assert t["quantity"].tolist()[1:3] == [-10.0, 2.0]
    assert t["amount"].tolist() == [9.99, 9998.51, -100.0, 0.0]
    assert t["fees"].iloc[1] == 1.49
    # each object's first line: "{" of the n-th transaction in the indented dump
    starts = [i + 1 for i, ln in enumerate(text.split("\n")) if ln == "    {"]
    assert t["source_line"].tolist() == starts
    assert starts == [6, 16, 27, 37]
    assert e.notes == []
    assert e.accounts.to_dict(orient="records") == [
        {"account": "XXX178", "name": "Individual", "custodian": "schwab"}]


def test_json_compact_one_line(write):
    e = load_export(write("t.json", json.dumps(DOC), bom=True), account="...178")
    assert e.transactions["source_line"].tolist() == [1, 1, 1, 1]
    assert len(e.transactions) == 4


def test_json_total_that_disagrees_is_noted(write):
    doc = {**DOC, "TotalTransactionsAmount": "$1.00"}
    e = load_export(write("t.json", json.dumps(doc)), account="...1")
    assert e.notes == ["the file's total 1.00 differs from the sum of the amounts 9,908.50"]


def test_json_malformed_gives_line_and_column(write):
    text = json.dumps(DOC, indent=2).replace('"Action": "Buy",', '"Action": "Buy"', 1)
    with pytest.raises(FormatError) as exc:
        load_export(write("t.json", text), account="...1")
    # line 30 is the "Symbol" key after the "Action": "Buy" that lost its comma (line 29)
    assert exc.value.line == 30
    assert exc.value.column == "7"
    assert exc.value.message == "malformed JSON: Expecting ',' delimiter"


def test_json_truncated(write):
    text = json.dumps(DOC, indent=2)
    with pytest.raises(FormatError) as exc:
        load_export(write("t.json", text[:400]), account="...1")
    assert exc.value.message.startswith("malformed JSON: ")
    assert exc.value.line == text[:400].count("\n") + 1


def test_json_transaction_without_amount(write):
    doc = {**DOC, "BrokerageTransactions": [{"Date": "01/02/2024", "Action": "Buy",
                                             "Quantity": "1"}]}
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("t.json", json.dumps(doc, indent=1)), account="...1")
    assert (exc.value.line, exc.value.column) == (6, "Amount")


def test_json_bad_cell(write):
    doc = {**DOC, "BrokerageTransactions": [{**DOC["BrokerageTransactions"][0],
                                             "Amount": "nine"}]}
    e = load_export(write("t.json", json.dumps(doc, indent=2)), account="...1")
    assert e.transactions.empty
    assert e.skipped[["line", "reason", "account"]].to_dict("records") == [
        {"line": 6, "reason": "cannot read Amount 'nine': expected a number", "account": "...1"}]


def test_json_without_account_asks_for_it(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("t.json", json.dumps(DOC)))
    assert exc.value.message == (
        "this transactions JSON file does not name its account id, and the file name has "
        "none; pass account=... to load_export (for example account='...234')")


def test_json_without_brokerage_transactions_is_not_this_format(write):
    from toolkit.errors import UnknownFormatError

    with pytest.raises(UnknownFormatError):
        load_export(write("t.json", json.dumps({"FromDate": "01/01/2024", "Transactions": []})))


# --- the shared reference file -----------------------------------------------------------------

def test_shared_reference_file(shared_samples):
    e = load_export(shared_samples / "schwab__Export-To-Ghostfolio__schwab-export.csv",
                    account="...999")
    t = e.transactions
    # By hand (csv module over the file, Amount column): 119 rows, amounts sum to 400,074.19;
    # Reinvest Shares 40 rows -14,423.59; Reinvest Dividend 29 rows 11,644.66; Advisor Fee
    # 10 rows -4,366.97; Sell 2 rows 505,135.00 (SNAXX "500,135" sh, FIHBX 592.199 sh);
    # dividends of all kinds 42 rows 15,187.50 (11,644.66 + 2,066.90 + 249.76 + 5.90 + 932.07
    # + 276.80 + 11.41). The footer says -26,582.91: the file was assembled from several exports.
    assert len(t) == 119
    assert t["amount"].sum() == pytest.approx(400074.19)
    by = t.groupby("action")["amount"].agg(["count", "sum"])
    assert by.loc["reinvest", "count"] == 40
    assert by.loc["reinvest", "sum"] == pytest.approx(-14423.59)
    assert by.loc["dividend", "count"] == 42
    assert by.loc["dividend", "sum"] == pytest.approx(15187.50)
    assert by.loc["fee", "count"] == 11  # 10 Advisor Fee + 1 ADR Mgmt Fee
    assert by.loc["fee", "sum"] == pytest.approx(-4366.97 - 0.50)
    sells = t[t["action"] == "sell"]
    assert sells["quantity"].tolist() == [-592.199, -500135.0]
    assert sells["amount"].sum() == pytest.approx(505135.0)
    assert (t.loc[t["action"] == "reinvest", "quantity"] > 0).all()
    cil = t[t["action_text"] == "Cash In Lieu"].iloc[0]
    assert cil["date"] == pd.Timestamp("2024-10-10")  # "10/14/2024 as of 10/10/2024"
    assert e.skipped["line"].tolist() == [121]
    assert e.notes == ["line 121: the file's total -26,582.91 differs from the sum of the "
                       "amounts 400,074.19"]


def test_forced_format_on_another_file(write):
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("t.csv", "a,b,c\n1,2,3\n"), format="schwab_transactions",
                    account="...1")
    assert exc.value.line == 1
