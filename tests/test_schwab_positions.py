"""Schwab positions: every header generation, reduced column sets, all-accounts blocks, cash and
summary rows, banners and account ids, malformed files and the shared reference file."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

H2020 = ("Symbol,Description,Quantity,Price,Price Change $,Price Change %,Market Value,"
         "Day Change $,Day Change %,Cost Basis,Gain/Loss $,Gain/Loss %,Reinvest Dividends?,"
         "Capital Gains?,% Of Account,Dividend Yield,Last Dividend,Ex-Dividend Date,P/E Ratio,"
         "52 Week Low,52 Week High,Volume,Intrinsic Value,In The Money,Security Type")
H2022 = ("Symbol,Description,Quantity,Price,Price Change %,Price Change $,Market Value,"
         "Day Change %,Day Change $,Cost Basis,Gain/Loss %,Gain/Loss $,Ratings,"
         "Reinvest Dividends?,Capital Gains?,% Of Account,Security Type")
H2025 = ("Symbol,Description,Qty (Quantity),Price,Price Chng $ (Price Change $),"
         "Price Chng % (Price Change %),Mkt Val (Market Value),Day Chng $ (Day Change $),"
         "Day Chng % (Day Change %),Cost Basis,Gain $ (Gain/Loss $),Gain % (Gain/Loss %),"
         "Ratings,Reinvest?,Reinvest Capital Gains?,% of Acct (% of Account),Security Type")
H2025_12 = ("Symbol,Description,,Price,Qty (Quantity),Price Chng $ (Price Change $),"
            "Price Chng % (Price Change %),Mkt Val (Market Value),Day Chng $ (Day Change $),"
            "Day Chng % (Day Change %),Cost Basis,Gain $ (Gain/Loss $),Gain % (Gain/Loss %),"
            "Ratings,Reinvest?,Reinvest Capital Gains?,% of Acct (% of Account),Security Type")
H2026_04 = ("Symbol,Description,Price,Qty (Quantity),Price Chng $ (Price Change $),"
            "Price Chng % (Price Change %),Mkt Val (Market Value),Day Chng $ (Day Change $),"
            "Day Chng % (Day Change %),Cost Basis,Gain $ (Gain/Loss $),Gain % (Gain/Loss %),"
            "Ratings,Reinvest?,Reinvest Capital Gains?,% of Acct (% of Account),Asset Type")

# Cell values by the (long) label they sit under; short 2025 labels map to these.
ALIAS = {"Qty (Quantity)": "Quantity", "Mkt Val (Market Value)": "Market Value",
         "Asset Type": "Security Type"}
ROWS = [
    {"Symbol": "VTI", "Description": "VANGUARD TOTAL STOCK MARKET ETF", "Quantity": "10,000",
     "Price": "$250.10", "Market Value": "$2,501,000.00", "Cost Basis": "$1,800,000.00",
     "Security Type": "ETFs & Closed End Funds"},
    {"Symbol": "912828YK0", "Description": "US TREASURY NOTE", "Quantity": "5,000",
     "Price": "$98.50", "Market Value": "$4,925.00", "Cost Basis": "Incomplete",
     "Security Type": "Fixed Income"},
    {"Symbol": "Cash & Cash Investments", "Description": "--", "Quantity": "--",
     "Price": "--", "Market Value": "$650.37", "Cost Basis": "--",
     "Security Type": "Cash and Money Market"},
]
TOTAL = {"Symbol": "Account Total", "Description": "--", "Market Value": "$2,506,575.37",
         "Cost Basis": "$1,800,000.00"}


def q(cells):
    return ",".join(f'"{c}"' for c in cells)


def row(header: str, values: dict, *, short: bool = False) -> list[str]:
    cells = []
    for label in header.split(","):
        cells.append(values.get(ALIAS.get(label, label), "--" if label else ""))
    return cells[:-3] if short else cells


def single_account(header, banner_date="2023/04/23", *, label="Individual ...234",
                   trailing=False, padded=True, rows=ROWS):
    n = len(header.split(","))
    banner = f"Positions for account {label} as of 12:52 PM ET, {banner_date}"
    tail = "," if trailing else ""
    lines = [q([banner] + [""] * (n - 1)) if padded else q([banner]),
             q([""] * n) if padded else "",
             q(header.split(",")) + tail]
    lines += [q(row(header, r)) + tail for r in rows]
    lines += [q(row(header, TOTAL)) + tail, "", ""]
    return "\n".join(lines) + "\n"


EXPECTED = pd.DataFrame({
    "symbol": ["VTI", "912828YK0", "CASH"],
    "quantity": [10000.0, 5000.0, 650.37],
    "price": [250.10, 98.50, 1.0],
    "market_value": [2501000.0, 4925.0, 650.37],
    "cost_basis": [1800000.0, float("nan"), 650.37],
    "security_type": ["ETFs & Closed End Funds", "Fixed Income", "Cash and Money Market"],
})


@pytest.mark.parametrize("header", [H2022, H2025, H2025_12, H2026_04],
                         ids=["2022_24", "2025", "2025_12_empty_column", "2026_04_asset_type"])
def test_every_17_column_generation(write, header):
    e = load_export(write("Individual-Positions-2023-04-23-125200.csv", single_account(header)))
    assert e.format == "schwab_positions"
    assert e.as_of == pd.Timestamp("2023-04-23")
    pos = e.positions
    pd.testing.assert_frame_equal(pos[list(EXPECTED.columns)], EXPECTED, check_dtype=False)
    assert pos["account"].tolist() == ["...234"] * 3
    assert pos["source_line"].tolist() == [4, 5, 6]
    assert pos["asset_class"].isna().tolist() == [True, True, False]
    assert pos["asset_class"].iloc[2] == "cash"
    assert pos["cusip"].isna().tolist() == [True, False, True]
    assert pos["cusip"].iloc[1] == "912828YK0"
    assert pos["description"].iloc[2] == "Cash & Cash Investments"
    assert e.skipped["line"].tolist() == [7]
    assert e.skipped["reason"].tolist() == [
        "account total row: a sum of the rows above, not a holding"]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...234", "name": "Individual", "custodian": "schwab"}]


def test_2020_single_account_trailing_comma_and_banner(write):
    text = single_account(H2020, "11/15/2020", label="Brokerage XXXX-1234", trailing=True,
                          padded=False)
    e = load_export(write("Brokerage-Positions-2020-11-15.CSV", text, crlf=True))
    assert e.as_of == pd.Timestamp("2020-11-15")
    pd.testing.assert_frame_equal(e.positions[list(EXPECTED.columns)], EXPECTED,
                                  check_dtype=False)
    assert e.positions["account"].unique().tolist() == ["XXXX-1234"]
    assert e.accounts["name"].tolist() == ["Brokerage"]
    assert e.skipped["line"].tolist() == [7]


def test_2020_option_row_with_unquoted_numbers_is_kept(write):
    text = "\n".join([
        '"Positions for account Brokerage XXXX-1234 as of 06:04 PM ET, 11/15/2020"',
        "",
        q(H2020.split(",")) + ",",
        '"SMAL 04/01/2020 32.00 P","PUT SMALL CAP INDEX $32 EXP 04/01/20",1,"$12.53","$0","0%",'
        '"$1253","$0.00","0%","$1253","$0","0%","No","--","1%","0%","$0","--","--","$1","$100",'
        '1000,"--","TRUE","Option"',
        # Account Total rows are shorter than the header (22 cells): read apart, not an error
        '"Account Total","--","--","--","--","--","$1,253.00","$0.00","0%","N/A","N/A","N/A",'
        '"--","--","--","--","--","--","--","--","--","--",',
    ]) + "\n"
    e = load_export(write("p.csv", text))
    opt = e.positions.iloc[0]
    assert (opt["symbol"], opt["quantity"], opt["price"], opt["market_value"],
            opt["cost_basis"], opt["security_type"]) == (
        "SMAL 04/01/2020 32.00 P", 1.0, 12.53, 1253.0, 1253.0, "Option")
    assert e.skipped["line"].tolist() == [5]


def test_reduced_user_chosen_columns(write):
    header = "Symbol,Description,Qty (Quantity),Price,Mkt Val (Market Value),Asset Type"
    text = "\n".join([
        '"Positions for account Individual ...123 as of 09:00 AM ET, 2026/05/11"',
        '""',
        q(header.split(",")),
        '"Cash & Cash Investments","",,"","$900.00",""',
        '"SYNTH","Synthetic Holdings",2,"$100.00","$200.00","Equity"',
    ]) + "\n"
    e = load_export(write("p.csv", text))
    pos = e.positions
    assert pos["symbol"].tolist() == ["CASH", "SYNTH"]
    assert pos["quantity"].tolist() == [900.0, 2.0]
    assert pos["market_value"].tolist() == [900.0, 200.0]
    # no Cost Basis column: unknown for holdings; cash basis is its value
    assert pos["cost_basis"].iloc[0] == 900.0
    assert pd.isna(pos["cost_basis"].iloc[1])
    assert pd.isna(pos["security_type"].iloc[0])
    assert pos["security_type"].iloc[1] == "Equity"
    assert e.as_of == pd.Timestamp("2026-05-11")


def test_reduced_columns_without_quantity(write):
    header = "Symbol,Description,Cost Basis,Mkt Val (Market Value),Asset Type"
    text = ('"Positions for account Individual ...373 as of 03:44 AM ET, 2026/07/14"\n\n'
            + q(header.split(",")) + ",\n"
            + '"VOO","VANGUARD S&P 500 ETF","$60,000.00","$65,081.84","ETFs & Closed End Funds",\n'
            + '"CVRONE","Synthetic right","$0.00","N/A","Equity",\n'
            + '"Positions Total","","$60,000.00","$65,081.84","",\n')
    e = load_export(write("p.csv", text))
    assert e.positions["symbol"].tolist() == ["VOO"]
    assert pd.isna(e.positions["quantity"].iloc[0])
    assert e.skipped["line"].tolist() == [5, 6]
    assert e.skipped["reason"].tolist() == [
        "row has no market value",
        "positions total row: a sum of the rows above, not a holding"]


def test_custaccs_one_block_per_account(write):
    n = 17
    def pad(cell):
        return q([cell] + [""] * (n - 1))
    lines = [pad("Positions for CUSTACCS as of 09:13 PM ET, 02/04/2023"), q([""] * n),
             pad("Individual ...123"), q(H2022.split(",")),
             q(row(H2022, ROWS[0])), q(row(H2022, ROWS[2])), q(row(H2022, TOTAL)),
             q([""] * n), q([""] * n),
             pad("Roth Contributory IRA ...567"), q(H2022.split(",")),
             q(row(H2022, {**ROWS[0], "Symbol": "VXUS", "Quantity": "20", "Price": "$60.00",
                           "Market Value": "$1,200.00", "Cost Basis": "$1,000.00"})),
             q(row(H2022, {**ROWS[2], "Market Value": "$5.20"})),
             q(row(H2022, TOTAL))]
    e = load_export(write("All-Accounts-Positions-2023-02-04.csv", "\n".join(lines) + "\n"))
    pos = e.positions
    assert e.as_of == pd.Timestamp("2023-02-04")
    assert pos["account"].tolist() == ["...123", "...123", "...567", "...567"]
    assert pos["symbol"].tolist() == ["VTI", "CASH", "VXUS", "CASH"]
    assert pos["market_value"].tolist() == [2501000.0, 650.37, 1200.0, 5.20]
    assert pos["source_line"].tolist() == [5, 6, 12, 13]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...123", "name": "Individual", "custodian": "schwab"},
        {"account": "...567", "name": "Roth Contributory IRA", "custodian": "schwab"}]
    assert e.skipped["line"].tolist() == [7, 14]


def test_2019_all_accounts_cash_money_market_and_futures_rows(write):
    header = H2020.split(",")
    def full(cells):
        return q(cells + ["--"] * (len(header) - len(cells))) + ","
    lines = ['"Positions for All-Accounts as of 05:00 PM ET, 12/31/2019"', "",
             '"Brokerage XXXX-1234"', q(header) + ",",
             full(["SCHB", "SCHWAB US BROAD MARKET ETF", "100", "$77.00", "--", "--",
                   "$7,700.00", "--", "--", "$6,000.00"]),
             full(["Futures Cash", "--", "--", "--", "--", "--", "$1,000.00"]),
             full(["Futures Positions Market Value", "--", "--", "--", "--", "--", "$250.00"]),
             full(["Cash & Money Market", "--", "--", "--", "--", "--", "$300.00"]),
             '"Account Total","--","--","--","--","--","$9,250.00",']
    e = load_export(write("All-Accounts-Positions-2019-12-31.CSV", "\n".join(lines) + "\n"))
    assert e.positions["symbol"].tolist() == ["SCHB", "CASH"]
    assert e.positions["market_value"].tolist() == [7700.0, 300.0]
    assert e.positions["asset_class"].tolist()[1] == "cash"
    assert e.skipped["line"].tolist() == [6, 7, 9]
    assert e.skipped["reason"].tolist() == [
        "futures cash: the futures sub-account's cash, not a securities position",
        "futures positions market value: a summary of futures positions, not a holding",
        "account total row: a sum of the rows above, not a holding"]


def test_banner_with_nickname_only_uses_account_option(write):
    header = "Symbol,Description,Qty (Quantity),Price,Cost Basis,Mkt Val (Market Value),Asset Type"
    text = ('"Positions for account Designated Bene Individual as of 02:41 AM ET, 2026/04/30"\n\n'
            + q(header.split(",")) + "\n"
            + '"AAPL","APPLE INC","27.4355","270.84","$2,989.79","$7,430.63","Equity"\n')
    p = write("Designated-Bene-Individual-Positions-2026-04-30.csv", text)
    e = load_export(p, account="...789")
    assert e.positions["account"].tolist() == ["...789"]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...789", "name": "Designated Bene Individual", "custodian": "schwab"}]
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.line == 1
    assert exc.value.message == (
        "this positions file does not name its account id (it names only 'Designated Bene "
        "Individual'), and the file name has none; pass account=... to load_export (for "
        "example account='...234')")


def test_data_like_line_outside_a_table_is_reported(write):
    text = single_account(H2022) + '"VTI","stray","1","$1.00","--","--","$1.00"\n'
    e = load_export(write("p.csv", text))
    assert e.skipped["line"].tolist() == [7, 10]
    assert e.skipped["reason"].iloc[1] == "data-like line outside any positions table"


def test_detected_by_content_not_name(write):
    e = load_export(write("download.txt", single_account(H2025), bom=True, crlf=True))
    assert e.format == "schwab_positions"
    assert len(e.positions) == 3


def test_missing_market_value_column(write):
    header = "Symbol,Description,Quantity,Price"
    text = ('"Positions for account Individual ...234 as of 12:52 PM ET, 2023/04/23"\n\n'
            + q(header.split(",")) + '\n"VTI","X","1","$1.00"\n')
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("p.csv", text))
    assert (exc.value.line, exc.value.column) == (3, "Market Value")


def test_bad_cell_skips_its_row(write):
    bad = [ROWS[0], {**ROWS[1], "Price": "ninety"}]
    e = load_export(write("p.csv", single_account(H2022, rows=bad)))
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records")[0] == {
        "line": 5, "reason": "cannot read Price 'ninety': expected a number",
        "account": "...234", "symbol": ROWS[1]["Symbol"]}


def test_truncated_mid_row(write):
    text = single_account(H2022)
    cut = text[: text.index('"912828YK0"') + 25]
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", cut))
    assert exc.value.line == 5


def test_truncated_row_with_too_few_cells(write):
    text = single_account(H2022)
    cut = text[: text.index('"912828YK0"')] + '"912828YK0","US TREASURY NOTE","5,000"\n'
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", cut))
    assert exc.value.line == 5
    assert exc.value.message == ("row has 3 cells but the header needs 17; the file looks "
                                 "truncated or the row is malformed")


def test_banner_without_table(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", '"Positions for account Individual ...234 as of 12:52 PM '
                                   'ET, 2023/04/23"\n\n'))
    assert exc.value.message == ('no positions header (a row starting with "Symbol") was '
                                 "found after the banner")


def test_empty_and_binary_files(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("empty.csv", ""))
    assert exc.value.message == "the file is empty; expected a brokerage export"
    with pytest.raises(FormatError):
        load_export(write("x.csv", b"\x00\x01\x02PK"))


def test_shared_reference_file(shared_samples):
    e = load_export(shared_samples
                    / "schwab__FINporterChuck__Individual-Positions-2023-04-23_fromtest.csv")
    # By hand from the file: SCHB 500 sh at $48.08, $24,040.00, basis $22,951.97; cash $650.37.
    # Market value total 24,040.00 + 650.37 = 24,690.37 (the Account Total row, $85,661.87,
    # belongs to the untrimmed original and is skipped, line 6).
    assert e.as_of == pd.Timestamp("2023-04-23")
    assert e.positions["symbol"].tolist() == ["SCHB", "CASH"]
    assert e.positions["quantity"].tolist() == [500.0, 650.37]
    assert e.positions["market_value"].sum() == pytest.approx(24690.37)
    assert e.positions["cost_basis"].sum() == pytest.approx(22951.97 + 650.37)
    assert e.positions["account"].unique().tolist() == ["...234"]
    assert e.accounts["name"].tolist() == ["Individual"]
    assert e.skipped["line"].tolist() == [6]


def test_header_without_banner_detected_by_schwab_labels(write):
    text = q(H2025.split(",")) + "\n" + q(row(H2025, ROWS[0])) + "\n"
    e = load_export(write("Individual-Positions-2025-05-04-123300.csv", text), account="...123")
    assert e.format == "schwab_positions"
    assert e.as_of == pd.Timestamp("2025-05-04")  # from the file name when there is no banner
    assert e.positions["symbol"].tolist() == ["VTI"]
    assert e.positions["source_line"].tolist() == [2]


@pytest.mark.parametrize(("label", "expected"), [
    ("Individual ...234", ("...234", "Individual")),
    ("Brokerage XXXX-1234", ("XXXX-1234", "Brokerage")),
    ("Roth Contributory IRA ...567", ("...567", "Roth Contributory IRA")),
    ("Individual 401(k) ...499", ("...499", "Individual 401(k)")),
    ("General Investing ...XXX", ("...XXX", "General Investing")),
    ("XXXX-4321", ("XXXX-4321", None)),
    ("...615", ("...615", None)),
    ("Joint_Tenant", (None, "Joint Tenant")),
    ("Designated Bene Individual", (None, "Designated Bene Individual")),
])
def test_account_labels(label, expected):
    from toolkit.io._schwab import split_account

    assert split_account(label) == expected
