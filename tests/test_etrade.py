"""E*TRADE: PortfolioDownload.csv (positions, expanded lots) and the Gains & Losses
"Download Expanded" workbook (closed lots), FORMATS.md section 5."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError, UnknownFormatError
from toolkit.io import load_export

# --- PortfolioDownload.csv --------------------------------------------------------------------

PREAMBLE = [
    "Account Summary,,,,,,,,,",                                                      # line 1
    "Account,Net Account Value,Total Gain $,Total Gain %,Day's Gain Unrealized $,"
    "Day's Gain Unrealized %,Available For Withdrawal,Cash Purchasing Power",
    '"Individual Brokerage -0123",31279.20,2828.23,9.94,-431.00,-1.38,12.20,12.20',   # line 3
    "",
    "",
    "View Summary - All Positions,,,,,,,,,",
    "Filters applied: ,,,,,,,,,",
    "Symbol,Security type(s),Sort by,Sort order,,,,,,",
    ",All,Total Gain $,Asc,,,,,,",
    "",                                                                             # line 10
]
HEADER = ("Symbol,Last Price $,Change $,Change %,Quantity,Price Paid $,Day's Gain $,"
          "Total Gain $,Total Gain %,Value $")                                     # line 11
ROWS = [
    "VTI,200.77,-4.31,-2.1,100.0000,180.8802,-431.0000,1988.9800,10.9961,20077.000",  # 12
    "VXUS,60.00,.00,.00,186.5000,55.5000,.0000,839.2500,8.1081,11190.0000",            # 13
    "CASH,,,,,,,,,12.2",                                                               # 14
    "TOTAL,,,,,28438.77,-431.00,2828.23,9.94,31279.20",                                # 15
]
FOOTER = ["", "", "", "Generated at Feb 14 2023 03:12 PM ET"]                        # 16-19


def portfolio(rows=ROWS, header=HEADER, preamble=PREAMBLE, footer=FOOTER) -> str:
    return "\n".join([*preamble, header, *rows, *footer]) + "\n"


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_positions_of_the_documented_layout(write, crlf):
    e = load_export(write("PortfolioDownload.csv", portfolio(), crlf=crlf))
    assert e.format == "etrade_portfolio_csv"
    assert e.custodian == "etrade"
    assert e.as_of == pd.Timestamp("2023-02-14")
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...0123", "name": "Individual Brokerage", "custodian": "etrade"}]
    pos = e.positions
    assert pos["account"].tolist() == ["...0123"] * 3
    assert pos["symbol"].tolist() == ["VTI", "VXUS", "CASH"]
    assert pos["source_line"].tolist() == [12, 13, 14]
    assert pos["quantity"].tolist() == [100.0, 186.5, 12.2]
    assert pos["price"].tolist() == [200.77, 60.0, 1.0]
    assert pos["market_value"].tolist() == [20077.0, 11190.0, 12.2]
    # basis = Quantity x Price Paid $: 100 x 180.8802, 186.5 x 55.5; cash: its value
    assert pos["cost_basis"].tolist() == pytest.approx([18088.02, 10350.75, 12.2])
    assert pos["asset_class"].isna().tolist() == [True, True, False]
    assert pos["asset_class"].iloc[2] == "cash"
    assert pos["security_type"].isna().all()
    assert e.lots.empty and e.transactions.empty and e.realized.empty
    assert e.skipped[["line", "reason"]].to_dict(orient="records") == [
        {"line": 15, "reason": "total row: the sum of the positions above, not a holding"}]
    assert e.notes == []


def test_detected_by_content_not_name(write):
    assert load_export(write("whatever.txt", portfolio())).format == "etrade_portfolio_csv"


def row_for(header: str, **cells) -> str:
    """A data row in ``header``'s column order from cells named by header text."""
    return ",".join(str(cells.get(h, "")) for h in header.split(","))


VARIANTS = {
    "qty_hash": "Symbol,Last Price $,Change $,Change %,Qty #,Price Paid $,Day's Gain $,"
                "Total Gain $,Total Gain %,Value $",
    "days_gain_first": "Symbol,Last Price $,Change $,Change %,Day's Gain $,Qty #,Price Paid $,"
                       "Total Gain $,Total Gain %,Value $",
    "user_chosen": "Symbol,Quantity,Last Price $,Value $,Change %,Total Gain $,Price Paid $",
}


@pytest.mark.parametrize("header", VARIANTS.values(), ids=VARIANTS.keys())
def test_header_variants_bind_by_name(write, header):
    qty = "Qty #" if "Qty #" in header else "Quantity"
    rows = [
        row_for(header, **{"Symbol": "VTI", "Last Price $": "200.77", qty: "100.0000",
                           "Price Paid $": "180.8802", "Total Gain $": "1988.98",
                           "Value $": "20077.00", "Day's Gain $": "-431.00"}),
        row_for(header, **{"Symbol": "CASH", "Value $": "12.20"}),
    ]
    e = load_export(write("p.csv", portfolio(rows, header=header)))
    assert e.positions["symbol"].tolist() == ["VTI", "CASH"]
    assert e.positions["quantity"].tolist() == [100.0, 12.2]
    assert e.positions["market_value"].tolist() == [20077.0, 12.2]
    assert e.positions["cost_basis"].tolist() == pytest.approx([18088.02, 12.2])


def test_positions_simple_view_with_total_cost_and_indented_lots(write):
    header = "Symbol,Qty #,Value $,Total Cost"
    rows = ["AAA,100.0000,1500.0000,1200.0000",
            "     01/15/2022,40.0000,600.0000,480.0000",
            "     03/10/2023,60.0000,900.0000,720.0000"]
    preamble = [*PREAMBLE[:5], "View Summary - PositionsSimple", "Filters applied:",
                "Symbol,Security type(s),Sort by,Sort order,", ",All,Symbol,Asc,", ""]
    e = load_export(write("p.csv", portfolio(rows, header=header, preamble=preamble)))
    pos = e.positions
    assert (pos["symbol"].tolist(), pos["quantity"].tolist()) == (["AAA"], [100.0])
    assert pos["cost_basis"].tolist() == [1200.0]  # the Total Cost column, as written
    assert pos["price"].isna().all()  # no Last Price column
    lots = e.lots
    assert lots["symbol"].tolist() == ["AAA", "AAA"]
    assert lots["acquired"].tolist() == [pd.Timestamp("2022-01-15"), pd.Timestamp("2023-03-10")]
    assert lots["quantity"].tolist() == [40.0, 60.0]
    assert lots["cost_basis"].tolist() == [480.0, 720.0]
    assert lots["source_line"].tolist() == [13, 14]
    assert lots["lot_id"].tolist() == ["p.csv:13", "p.csv:14"]


def test_expanded_view_lots_under_their_positions(write):
    rows = [
        ROWS[0],                                                                       # 12
        "     01/15/2020,200.77,-4.31,-2.1,60.0000,150.0000,,,,12046.2000",             # 13
        "     03/10/2022,200.77,-4.31,-2.1,40.0000,227.0005,,,,8030.8000",              # 14
        ROWS[1],                                                                       # 15
        "     11/30/2021,60.00,.00,.00,186.5000,55.5000,.0000,839.2500,8.1081,11190.0000",  # 16
        *ROWS[2:],
    ]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VTI", "VXUS", "CASH"]
    assert e.positions["source_line"].tolist() == [12, 15, 17]
    lots = e.lots
    assert lots["account"].tolist() == ["...0123"] * 3
    assert lots["symbol"].tolist() == ["VTI", "VTI", "VXUS"]
    assert lots["acquired"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-01-15", "2022-03-10", "2021-11-30"]
    assert lots["holding_start"].tolist() == lots["acquired"].tolist()
    assert lots["quantity"].tolist() == [60.0, 40.0, 186.5]
    # 60 x 150; 40 x 227.0005; 186.5 x 55.5
    assert lots["cost_basis"].tolist() == pytest.approx([9000.0, 9080.02, 10350.75])
    assert lots["term"].isna().all() and lots["wash_sale_disallowed"].isna().all()
    assert lots["source_line"].tolist() == [13, 14, 16]
    assert e.notes == []


def test_four_decimal_price_paid_does_not_split_a_position_from_its_lots(write):
    # 600 shares bought for $74,074.07 (Price Paid $ 123.456783.. shown 123.4568) and 400
    # for $40,000.00; the position's average, $114,074.07 / 1,000 = 114.07407, shows as
    # 114.0741. Quantity x Price Paid $ would give the position 1,000 x 114.0741 =
    # $114,074.10 and the lots 600 x 123.4568 + 400 x 100 = $114,074.08: 2 cents apart.
    # Value $ less Total Gain $ gives both $114,074.07 (130,000 - 15,925.93; 78,000 -
    # 3,925.93 and 52,000 - 12,000).
    rows = [
        "FUND,130.00,0.00,.00,1000.0000,114.0741,.0000,15925.9300,13.9610,130000.0000",
        "     01/03/2020,130.00,0.00,.00,600.0000,123.4568,.0000,3925.9300,5.3000,78000.0000",
        "     06/01/2022,130.00,0.00,.00,400.0000,100.0000,.0000,12000.0000,30.0000,52000.0000",
        "TOTAL,,,,,114074.07,.00,15925.93,13.96,130000.00",
    ]
    e = load_export(write("PortfolioDownload.csv", portfolio(rows=rows)))
    assert e.positions["cost_basis"].tolist() == pytest.approx([114074.07], abs=1e-9)
    assert e.lots["cost_basis"].tolist() == pytest.approx([74074.07, 40000.0], abs=1e-9)
    assert e.lots["cost_basis"].sum() == pytest.approx(e.positions["cost_basis"].iloc[0],
                                                       abs=1e-9)


def test_lots_that_do_not_add_up_are_reported_not_loaded(write):
    # 60 of VTI's 100 shares in lots: the lots do not explain the position, so they are not
    # its lots (a lot moved under the wrong position, or one missing); the position loads
    rows = [ROWS[0], "     01/15/2020,200.77,-4.31,-2.1,60.0000,150.0000,,,,12046.2000"]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VTI"]
    assert e.lots.empty
    assert e.notes == ["the lots of VTI (line 12) add up to 60 shares, but the position "
                       "holds 100; they are not loaded"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 13, "reason": "lot of VTI: the position's lots do not add up to its quantity",
         "account": "...0123", "symbol": "VTI"}]


def test_position_row_above_the_header_is_reported(write):
    # a position row moved into the preamble (above the header) is data, not preamble
    preamble = [*PREAMBLE[:-1], ROWS[1], PREAMBLE[-1]]
    e = load_export(write("p.csv", portfolio([ROWS[0], *ROWS[2:]], preamble=preamble)))
    assert e.positions["symbol"].tolist() == ["VTI", "CASH"]
    assert e.skipped[["line", "reason"]].to_dict("records")[0] == {
        "line": 10, "reason": "data-like line before the positions header"}


def test_orphan_lots_and_lots_of_skipped_positions(write):
    rows = [
        "     01/15/2020,200.77,-4.31,-2.1,60.0000,150.0000,,,,12046.2000",    # 12: no position
        "SQQQ,10.00,0.10,1.0,-50.0000,12.0000,5.00,100.00,16.67,-500.00",      # 13: short
        "     02/01/2023,10.00,0.10,1.0,-50.0000,12.0000,,,,-500.00",          # 14: its lot
        "CASH,,,,,,,,,12.2",                                                   # 15
        "     02/01/2023,1.00,,,5.0000,1.0000,,,,5.00",                        # 16: under CASH
        ROWS[0],                                                               # 17
        "     05/05/2021,200.77,-4.31,-2.1,0.0000,150.0000,,,,0.00",           # 18: zero lot
        "     06/06/2021,200.77,-4.31,-2.1,100.0000,180.8802,,,,20077.00",     # 19
    ]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["CASH", "VTI"]
    assert e.lots["source_line"].tolist() == [19]
    assert e.skipped[["line", "reason"]].to_dict(orient="records") == [
        {"line": 12, "reason": "lot row with no position row above it"},
        {"line": 13, "reason": "short position (negative quantity): short positions are not "
                               "supported"},
        {"line": 14, "reason": "lot of a position that was not loaded (see the position's own "
                               "row)"},
        {"line": 16, "reason": "lot row with no position row above it"},
        {"line": 18, "reason": "lot with a non-positive quantity: short lots are not "
                               "supported"},
    ]


def test_options_and_bonds_read_their_price_unit(write):
    rows = [
        "KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026,99.9934,--,--,110000.0000,100.00,3.7400,"
        "-7.2600,-.0066,109992.7400",
        "\"QQQ Dec 31 '26 $600 Put\",14.16,0.00,0.00,1.0000,50.35,.0000,-3628.1600,-72.0493,"
        "1407.5000",
        "LCTX,1.21,-0.04,-3.20,965.0000,1.74,-38.6000,-511.4500,-30.4598,1167.6500",
    ]
    e = load_export(write("p.csv", portfolio(rows)))
    pos = e.positions
    assert pos["symbol"].tolist() == ["KEY BANK CD CLEVELAND OH CD 3.85% 08/24/2026",
                                      "QQQ Dec 31 '26 $600 Put", "LCTX"]
    assert pos["security_type"].tolist()[:2] == ["bond", "option"]
    assert pd.isna(pos["security_type"].iloc[2])
    assert pos["quantity"].tolist() == [110000.0, 1.0, 965.0]
    # the CD is quoted per 100 of face: price / 100, so quantity x price = value
    assert pos["price"].tolist() == pytest.approx([0.999934, 14.16, 1.21])
    # basis: Value $ less Total Gain $: 109,992.74 + 7.26 = 110,000 (= 110000 x 100.00 /
    # 100); 1,407.50 + 3,628.16 = 5,035.66 (1 contract x 50.35 x 100 = 5,035 and the $0.66
    # commission E*TRADE counts in the gain, part of the basis); 1,167.65 + 511.45 = 1,679.10
    # (= 965 x 1.74)
    assert pos["cost_basis"].tolist() == pytest.approx([110000.0, 5035.66, 1679.1])


def test_cost_basis_from_total_gain_without_price_paid(write):
    header = "Symbol,Last Price $,Quantity,Total Gain $,Value $"
    e = load_export(write("p.csv", portfolio(["VTI,200.77,100,1988.98,20077.00"], header=header)))
    assert e.positions["cost_basis"].tolist() == pytest.approx([20077.0 - 1988.98])


def test_cash_row_with_every_cell_filled_and_padded_rows(write):
    rows = ["\ufeffVIG  ,238.58,-0.85,-0.36,161.3840,246.3694,-137.1800,-1257.0900,-3.1617,"
            "38502.9947,",
            "\u200bAVUV,124.02,-0.48,-0.39,277.4470,126.12,-133.1700,-582.6400,-1.6651,34408.9769,",
            "CASH,1.00,0.00,0.00,3421.7700,1.0000,0.00,0.00,0.00,3421.77,",
            "TOTAL,,,,,,,,,76333.54,"]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VIG", "AVUV", "CASH"]
    assert e.positions["quantity"].tolist() == [161.384, 277.447, 3421.77]
    assert e.positions["cost_basis"].tolist() == pytest.approx(
        [161.384 * 246.3694, 277.447 * 126.12, 3421.77])


@pytest.mark.parametrize(("label", "account", "name"), [
    # E*TRADE shows only the last digits: the id is masked, so it matches by suffix
    ('"Individual Brokerage -0123"', "...0123", "Individual Brokerage"),
    ('"Cap 1(-6084) -6354"', "...6354", "Cap 1(-6084)"),
    ('"Rollover IRA -9087"', "...9087", "Rollover IRA"),
])
def test_account_line_forms(write, label, account, name):
    preamble = [*PREAMBLE[:2], label + ",1.00,0,0,0,0,0,0", *PREAMBLE[3:]]
    e = load_export(write("p.csv", portfolio(preamble=preamble)))
    assert e.accounts.to_dict(orient="records") == [
        {"account": account, "name": name, "custodian": "etrade"}]
    assert set(e.positions["account"]) == {account}


def test_account_line_without_id_needs_account_option(write):
    preamble = [PREAMBLE[0], "Account,Total Assets,Total Unrealized Gain $",
                '"Harbor Ridge Brokerage",45838.58,9217.43', *PREAMBLE[3:]]
    p = write("p.csv", portfolio(preamble=preamble))
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.message == (
        "this E*TRADE positions file does not name its account id (its account line names "
        "only 'Harbor Ridge Brokerage'); pass account=... to load_export (for example "
        "account='1234')")
    assert exc.value.line == 3
    e = load_export(p, account="...5555")
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...5555", "name": "Harbor Ridge Brokerage", "custodian": "etrade"}]


def test_file_without_account_summary(write):
    preamble = ["View Summary - All Positions", ""]
    p = write("p.csv", portfolio(preamble=preamble))
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.message == (
        "this E*TRADE positions file does not name its account id; pass account=... to "
        "load_export (for example account='1234')")
    assert load_export(p, account="8888").positions["account"].tolist() == ["8888"] * 3


def test_several_accounts_in_the_summary_are_an_error(write):
    preamble = [*PREAMBLE[:3], '"Roth IRA -0456",100.00,0,0,0,0,0,0', *PREAMBLE[3:]]
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", portfolio(preamble=preamble)))
    assert exc.value.line == 4
    assert exc.value.message == (
        "the account summary lists 2 accounts ('Individual Brokerage -0123', 'Roth IRA -0456'); "
        "a positions download holds one account, so its rows cannot be attributed. Download "
        "each account's positions separately")


def test_no_generated_footer_gives_no_as_of(write):
    assert load_export(write("p.csv", portfolio(footer=[]))).as_of is None


def test_data_like_line_after_the_table_is_reported(write):
    footer = ["", "VOO,400.00,1,.25,2.0000,350.00,2.00,100.00,14.29,800.00", *FOOTER]
    e = load_export(write("p.csv", portfolio(footer=footer)))
    assert e.positions["symbol"].tolist() == ["VTI", "VXUS", "CASH"]
    assert e.skipped[["line", "reason"]].to_dict(orient="records")[-1] == {
        "line": 17, "reason": "data-like line after the end of the positions table"}


def test_rows_without_symbol_or_value_are_skipped(write):
    rows = [",32.50,-0.05,-.15,200.0000,28.40,-10.00,820.00,14.44,6500.00",
            "QZJB,84.10,-0.20,-.24,75.0000,78.00,-15.00,457.50,7.82,", *ROWS]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VTI", "VXUS", "CASH"]
    assert e.skipped[["line", "reason"]].to_dict(orient="records")[:2] == [
        {"line": 12, "reason": "row has no symbol"}, {"line": 13, "reason": "row has no value"}]


# --- PortfolioDownload: malformed files --------------------------------------------------------


def test_empty_file(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", ""))
    assert exc.value.message == "the file is empty; expected a brokerage export"


def test_binary_file_forced(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", b"\x00\x01\x02binary"), format="etrade_portfolio_csv")
    assert exc.value.message == ("format 'etrade_portfolio_csv' reads text files, but this "
                                 "file is binary data")


def test_truncated_mid_row_in_a_quoted_cell(write):
    text = portfolio(rows=[*ROWS[:2], "\"QQQ Dec 31 '26 $600 P"], footer=[])
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", text))
    assert exc.value.line == 14
    assert exc.value.message.endswith("the file looks cut off mid-row")


def test_truncated_short_last_row(write):
    text = portfolio(rows=[*ROWS[:2], "VOO,400.00,1,.25,2.0"], footer=[])
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", text))
    assert exc.value.line == 14
    assert exc.value.message == ("row has 5 cells but the header needs 10; the file looks "
                                 "truncated or the row is malformed")


def test_header_without_rows(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", portfolio(rows=[], footer=[])))
    assert (exc.value.line, exc.value.message) == (
        11, "the positions table has a header but no rows; the file looks truncated")


@pytest.mark.parametrize(("drop", "column"), [("Value $", "Value $"),
                                              ("Quantity", "Quantity")])
def test_missing_required_column(write, drop, column):
    cells = HEADER.split(",")
    keep = [i for i, c in enumerate(cells) if c != drop]
    header = ",".join(cells[i] for i in keep)
    rows = [",".join(r.split(",")[i] for i in keep) for r in ROWS[:2]]
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("p.csv", portfolio(rows, header=header)))
    assert (exc.value.line, exc.value.column) == (11, column)


def test_unreadable_cell_skips_the_row_and_names_the_holding(write):
    rows = [ROWS[0], "VXUS,60.00,.00,.00,lots,55.5000,.0000,839.2500,8.1081,11190.0000"]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VTI"]
    assert e.skipped[["file", "line", "reason", "account", "symbol"]].to_dict("records") == [
        {"file": "p.csv", "line": 13, "reason": "cannot read Quantity 'lots': expected a number",
         "account": "...0123", "symbol": "VXUS"}]


def test_unreadable_cell_is_named_by_the_files_own_header(write):
    header = VARIANTS["qty_hash"]
    rows = [row_for(header, **{"Symbol": "VTI", "Qty #": "1OO", "Value $": "20077.00"}),
            row_for(header, **{"Symbol": "BND", "Qty #": "10", "Value $": "700.00"})]
    e = load_export(write("p.csv", portfolio(rows, header=header)))
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 12, "reason": "cannot read Qty # '1OO': expected a number"}]


def test_only_row_unreadable_refuses_the_file(write):
    header = VARIANTS["qty_hash"]
    rows = [row_for(header, **{"Symbol": "VTI", "Qty #": "1OO", "Value $": "20077.00"}),
            row_for(header, **{"Symbol": "BND", "Qty #": "1O", "Value $": "700.00"})]
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", portfolio(rows, header=header)))
    assert (exc.value.line, exc.value.column) == (12, "Qty #")


def test_unreadable_lot_date_skips_the_lot_not_the_file(write):
    # a lot row with an impossible date: that lot is reported (with its position's symbol),
    # the position and the other rows load
    rows = [ROWS[0], "     13/45/2020,200.77,-4.31,-2.1,60.0000,150.0000,,,,12046.2000",
            *ROWS[1:]]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VTI", "VXUS", "CASH"]
    assert e.lots.empty
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records")[0] == {
        "line": 13, "reason": "cannot read Symbol '13/45/2020': expected a date",
        "account": "...0123", "symbol": "VTI"}


def test_lot_date_with_a_two_digit_year_is_reported_not_a_position(write):
    rows = [ROWS[0], "     01/15/20,200.77,-4.31,-2.1,100.0000,180.8802,,,,20077.000", *ROWS[1:]]
    e = load_export(write("p.csv", portfolio(rows)))
    assert "01/15/20" not in e.positions["symbol"].tolist()
    assert e.skipped[["line", "reason"]].to_dict("records")[0] == {
        "line": 13, "reason": "cannot read Symbol '01/15/20': expected a date"}


def test_lot_row_with_an_iso_date_is_a_lot_not_a_position(write):
    # E*TRADE's expanded view writes MM/DD/YYYY; a re-saved file may hold 2024-03-15: still a
    # lot of the VTI row above it, never a position called "2024-03-15" (issue 12)
    rows = [ROWS[0], "     2024-03-15,200.77,-4.31,-2.1,100.0000,180.8802,,,,20077.000",
            *ROWS[1:]]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions["symbol"].tolist() == ["VTI", "VXUS", "CASH"]
    assert e.positions["market_value"].sum() == pytest.approx(20077.0 + 11190.0 + 12.2)
    assert e.lots[["symbol", "quantity", "acquired", "cost_basis"]].to_dict("records") == [
        {"symbol": "VTI", "quantity": 100.0, "acquired": pd.Timestamp("2024-03-15"),
         "cost_basis": pytest.approx(18088.02)}]


def test_no_positions_header_when_forced(write):
    p = write("p.csv", "\n".join(PREAMBLE) + "\n")
    with pytest.raises(UnknownFormatError):
        load_export(p)
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_portfolio_csv")
    assert exc.value.message == (
        "no E*TRADE positions header (a row starting with Symbol, with columns such as Last "
        "Price $, Quantity, Price Paid $ and Value $) in the first 80 lines")


def test_etrade_portfolio_golden_sample(samples):
    # data/samples/formats/etrade/PortfolioDownload.csv, by hand: BND 10,822.50 + VTI
    # 25,619.00 + VXUS 13,604.00 + the call 820.00 + the note 5,006.25 + cash 2,431.87
    # = 58,303.62, the account line's Net Account Value and the TOTAL row's Value $.
    e = load_export(samples / "formats" / "etrade" / "PortfolioDownload.csv")
    assert e.positions["market_value"].sum() == pytest.approx(58303.62)
    # five lots: BND 150, VTI 50 + 35, VXUS 120 + 80
    assert e.lots.groupby("symbol")["quantity"].sum().to_dict() == {
        "BND": 150.0, "VTI": 85.0, "VXUS": 200.0}


def test_no_shared_reference_export_is_claimed(shared_samples):
    """No E*TRADE or Merrill file is among the shared reference samples (FORMATS.md marks
    theirs unlicensed); the other brokers' real files must not be mistaken for them."""
    from toolkit.io import detect, sniff

    files = [f for f in sorted(shared_samples.iterdir()) if f.suffix.lower() != ".md"]
    assert len(files) >= 10
    for f in files:
        try:
            spec = detect(sniff(f))
        except UnknownFormatError:
            continue
        assert spec.custodian not in ("etrade", "merrill"), f.name


# --- Gains & Losses workbook -------------------------------------------------------------------

GL_HEADER = (
    "Record Type|Symbol|Plan Type|Quantity|Date Acquired|Date Acquired (Wash Sale Toggle = On)|"
    "Acquisition Cost|Acquisition Cost Per Share|Ordinary Income Recognized|"
    "Ordinary Income Recognized Per Share|Adjusted Cost Basis|Adjusted Cost Basis Per Share|"
    "Date Sold|Total Proceeds|Proceeds Per Share|Deferred Loss|Gain/Loss|"
    "Gain/Loss (Wash Sale Toggle = On)|Adjusted Gain/Loss|Adjusted Gain (Loss) Per Share|"
    "Capital Gains Status|Wash Sale Adjusted Capital Gains Status|"
    "Total Wash Sale Adjustment Amount|Wash Sale Adjustment Amount Per Share|"
    "Total Wash Sale Adjusted Cost Basis|Wash Sale Adjusted Cost Basis Per Share|"
    "Total Wash Sale Adjusted Gain/Loss|Wash Sale Adjusted Gain/Loss Per Share|Order Type|"
    "Covered Status|Qualified Plan?|Disposition Type|Type|Grant Date|Grant Date FMV|"
    "Discount Amount|Purchase Date|Purchase Date Fair Mkt. Value|Purchase Price|Grant Number|"
    "83(b) Election|Vest Date|Vest Date FMV|Exercise Date|Exercise Date FMV|Grant Price|"
    "Order Number").split("|")


def gl_row(header=GL_HEADER, **cells) -> list:
    """A row in ``header``'s order; cells named by header text (``--`` elsewhere)."""
    return [cells.get(h, "--") for h in header]


def gl_rows(header=GL_HEADER) -> list[list]:
    q = "Quantity" if "Quantity" in header else "Qty."
    return [
        header,                                                                        # row 1
        [("Summary" if h == "Record Type" else 95 if h == q else None) for h in header],  # 2
        gl_row(header, **{"Record Type": "Sell", "Symbol": "ACME", "Plan Type": "RS", q: 40,
                          "Date Acquired": "03/15/2024", "Acquisition Cost": 0,
                          "Adjusted Cost Basis": 6000, "Date Sold": "02/10/2026",
                          "Total Proceeds": 7200, "Gain/Loss": 7200,
                          "Adjusted Gain/Loss": 1200, "Capital Gains Status": "Long",
                          "Term": "Long Term"}),                                       # 3
        gl_row(header, **{"Record Type": "Sell", "Symbol": "ACME", "Plan Type": "ESPP",
                          q: 12.5, "Date Acquired": "12/31/2025", "Acquisition Cost": 1593.75,
                          "Adjusted Cost Basis": 1875, "Date Sold": "03/05/2026",
                          "Total Proceeds": 1687.5, "Gain/Loss": 93.75,
                          "Adjusted Gain/Loss": -187.5, "Capital Gains Status": "Short",
                          "Term": "Short Term",
                          "Total Wash Sale Adjustment Amount": 187.5}),                 # 4
        [None] * len(header),                                                          # 5
        gl_row(header, **{"Record Type": "Sell", "Symbol": "VTI", "Plan Type": None, q: 10,
                          "Date Acquired": "01/05/2021", "Acquisition Cost": 2000,
                          "Adjusted Cost Basis": "2,000.00", "Date Sold": "04/01/2026",
                          "Total Proceeds": 3100, "Gain/Loss": 1100,
                          "Adjusted Gain/Loss": "--", "Capital Gains Status": "Long",
                          "Term": "Long Term"}),                                       # 6
    ]


def gl_workbook(path, rows, sheet="G&L_Expanded", extra_sheets=()):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title in extra_sheets:
        wb.create_sheet(title).append(["notes"])
    ws = wb.create_sheet(sheet)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


def test_gains_workbook_47_columns(tmp_path):
    p = gl_workbook(tmp_path / "G&L_Expanded.xlsx", gl_rows())
    e = load_export(p, account="7730")
    assert e.format == "etrade_gains_xlsx"
    assert e.custodian == "etrade"
    assert e.as_of is None
    assert e.accounts[["account", "custodian"]].to_dict(orient="records") == [
        {"account": "7730", "custodian": "etrade"}]
    assert e.accounts["name"].isna().all()  # the workbook names no account
    r = e.realized
    assert r["account"].tolist() == ["7730"] * 3
    assert r["symbol"].tolist() == ["ACME", "ACME", "VTI"]
    assert r["quantity"].tolist() == [40.0, 12.5, 10.0]
    assert r["acquired"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-15", "2025-12-31", "2021-01-05"]
    assert r["sold"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-02-10", "2026-03-05", "2026-04-01"]
    assert r["proceeds"].tolist() == [7200.0, 1687.5, 3100.0]
    assert r["cost_basis"].tolist() == [6000.0, 1875.0, 2000.0]  # Adjusted Cost Basis
    # Adjusted Gain/Loss; the VTI row has '--' there: proceeds - basis = 1100
    assert r["gain"].tolist() == [1200.0, -187.5, 1100.0]
    assert r["term"].tolist() == ["long", "short", "long"]
    assert r["wash_sale_disallowed"].tolist() == [0.0, 187.5, 0.0]
    assert r["source_line"].tolist() == [3, 4, 6]
    assert set(r["source_file"]) == {"G&L_Expanded.xlsx"}
    assert e.skipped[["line", "reason"]].to_dict(orient="records") == [
        {"line": 2, "reason": "summary row: totals of the Sell rows below"}]


def test_gains_workbook_classic_layout(tmp_path):
    # before 2025: Qty., Term, no wash-sale columns
    header = ["Record Type", "Symbol", "Plan Type", "Qty.", "Date Acquired", "Acquisition Cost",
              "Acquisition Cost Per Share", "Ordinary Income Recognized",
              "Ordinary Income Recognized Per Share", "Adjusted Cost Basis",
              "Adjusted Cost Basis Per Share", "Date Sold", "Total Proceeds",
              "Proceeds Per Share", "Gain/Loss", "Adjusted Gain/Loss",
              "Adjusted Gain (Loss) Per Share", "Term", "Order Type", "Covered Status",
              "Qualified Plan", "Order Number"]
    e = load_export(gl_workbook(tmp_path / "gl.xlsx", gl_rows(header)), account="7730")
    r = e.realized
    assert r["quantity"].tolist() == [40.0, 12.5, 10.0]
    assert r["term"].tolist() == ["long", "short", "long"]
    assert r["wash_sale_disallowed"].isna().all()  # the file does not report wash sales


def test_gains_workbook_excel_dates_and_other_record_types(tmp_path):
    rows = gl_rows()
    col = {h: i for i, h in enumerate(GL_HEADER)}
    rows[2][col["Date Sold"]] = dt.datetime(2026, 2, 10)
    rows[2][col["Date Acquired"]] = dt.datetime(2024, 3, 15)
    rows.append(gl_row(**{"Record Type": "Totals", "Quantity": 62.5}))          # row 7
    rows.append(gl_row(**{"Record Type": "Sell", "Symbol": "ACME", "Quantity": -5,
                          "Date Sold": "03/05/2026", "Total Proceeds": 675,
                          "Adjusted Cost Basis": 700}))                          # row 8
    e = load_export(gl_workbook(tmp_path / "gl.xlsx", rows), account="7730")
    assert e.realized["sold"].iloc[0] == pd.Timestamp("2026-02-10")
    assert e.realized["acquired"].iloc[0] == pd.Timestamp("2024-03-15")
    assert e.skipped[["line", "reason"]].to_dict(orient="records") == [
        {"line": 2, "reason": "summary row: totals of the Sell rows below"},
        {"line": 7, "reason": "record type 'Totals' is not a closed lot (only Sell rows are "
                              "loaded)"},
        {"line": 8, "reason": "quantity is not positive: closed short positions are not "
                              "supported"},
    ]


def test_gains_workbook_needs_an_account(tmp_path):
    p = gl_workbook(tmp_path / "G&L_Expanded.xlsx", gl_rows())
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.message == (
        "the E*TRADE Gains & Losses workbook does not name its account; pass account=... to "
        "load_export (for example account='1234')")
    assert exc.value.path == "G&L_Expanded.xlsx"


def test_gains_workbook_with_other_sheets_first(tmp_path):
    p = gl_workbook(tmp_path / "gl.xlsx", gl_rows(), sheet="g&l_expanded",
                    extra_sheets=("Notes",))
    assert load_export(p, account="1").format == "etrade_gains_xlsx"


def test_gains_missing_required_column(tmp_path):
    header = [h for h in GL_HEADER if h != "Date Sold"]
    rows = [header, gl_row(header, **{"Record Type": "Sell", "Symbol": "VTI", "Quantity": 1})]
    with pytest.raises(MissingColumnError) as exc:
        load_export(gl_workbook(tmp_path / "gl.xlsx", rows), account="1")
    assert (exc.value.line, exc.value.column) == (1, "Date Sold")


@pytest.mark.parametrize(("column", "value", "message"), [
    ("Quantity", "many", "cannot read Quantity 'many': expected a number"),
    ("Date Sold", "Feb 30", "cannot read Date Sold 'Feb 30': expected a date"),
    ("Date Sold", "--", "a Sell row has no sale date"),
    ("Capital Gains Status", "Medium",
     "cannot read Capital Gains Status 'medium': expected Long or Short"),
])
def test_gains_unreadable_cells_skip_their_row(tmp_path, column, value, message):
    rows = gl_rows()
    rows[3][GL_HEADER.index(column)] = value
    e = load_export(gl_workbook(tmp_path / "gl.xlsx", rows), account="1")
    assert e.realized["source_line"].tolist() == [3, 6]
    assert e.skipped[["file", "line", "reason", "account", "symbol"]].to_dict(
        "records")[1:] == [{"file": "gl.xlsx", "line": 4, "reason": message, "account": "1",
                            "symbol": "ACME"}]


def test_gains_classic_layout_errors_name_its_own_headers(tmp_path):
    header = [("Qty." if h == "Quantity" else "Term" if h == "Capital Gains Status" else h)
              for h in GL_HEADER]
    rows = gl_rows(header)
    rows[3][header.index("Qty.")] = "1O"
    e = load_export(gl_workbook(tmp_path / "gl.xlsx", rows), account="1")
    assert e.skipped["reason"].tolist()[1:] == ["cannot read Qty. '1O': expected a number"]


def test_workbook_without_the_sheet(tmp_path):
    p = gl_workbook(tmp_path / "gl.xlsx", gl_rows(), sheet="Sheet1")
    with pytest.raises(UnknownFormatError):
        load_export(p, account="1")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_gains_xlsx", account="1")
    assert exc.value.message == (
        "no sheet named 'G&L_Expanded' (sheets: ['Sheet1']); is this the E*TRADE Gains & "
        "Losses 'Download Expanded' workbook?")


def test_sheet_without_the_header(tmp_path):
    p = gl_workbook(tmp_path / "gl.xlsx", [["Symbol", "Qty."], ["VTI", 1]])
    with pytest.raises(UnknownFormatError):
        load_export(p, account="1")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_gains_xlsx", account="1")
    assert exc.value.message == ("sheet 'G&L_Expanded' has no header row starting with "
                                 "'Record Type' in its first 10 rows")


def test_xlsx_that_is_not_a_zip(write):
    p = write("G&L_Expanded.xlsx", "Record Type,Symbol\nSell,VTI\n")
    with pytest.raises(UnknownFormatError):
        load_export(p, account="1")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_gains_xlsx", account="1")
    assert exc.value.message == ("format 'etrade_gains_xlsx' reads zip files, but this file "
                                 "is text")


def test_corrupt_workbook(tmp_path):
    good = gl_workbook(tmp_path / "good.xlsx", gl_rows()).read_bytes()
    p = tmp_path / "corrupt.xlsx"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(UnknownFormatError):
        load_export(p, account="1")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_gains_xlsx", account="1")
    assert exc.value.message == ("cannot open as a zip/xlsx archive (File is not a zip file); "
                                 "is the file a damaged or password-protected .xlsx?")
    assert exc.value.path == "corrupt.xlsx"


def test_zip_that_is_not_a_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("G&L_Expanded.csv", "Record Type,Symbol\n")
    p = tmp_path / "gl.xlsx"
    p.write_bytes(buf.getvalue())
    with pytest.raises(UnknownFormatError):
        load_export(p, account="1")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_gains_xlsx", account="1")
    assert exc.value.message.startswith("cannot open as an Excel workbook (")


def test_entity_bomb_in_the_workbook_is_refused(tmp_path):
    # an XML entity-expansion bomb inside the sheet: refused (openpyxl parses with
    # defusedxml), never expanded
    good = gl_workbook(tmp_path / "good.xlsx", gl_rows())
    bomb = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    buf = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = bomb + body.replace(b"<v>40</v>", b"<v>&c;</v>", 1)
            dst.writestr(info, body)
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(buf.getvalue())
    with pytest.raises(UnknownFormatError):
        load_export(p, account="1")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="etrade_gains_xlsx", account="1")
    assert exc.value.message.startswith("cannot open as an Excel workbook (")


def test_gains_golden_sample_totals(samples):
    # data/samples/formats/etrade/G&L_Expanded.xlsx (make_gains_workbook.py), by hand:
    # proceeds 40x180 + 25x180 + 30x135 + 12.5x135 + 100x179.5 + 10x310
    # = 7,200 + 4,500 + 4,050 + 1,687.50 + 17,950 + 3,100 = 38,487.50;
    # adjusted basis 6,000 + 4,300 + 4,200 + 1,875 + 18,000 + 2,000 = 36,375;
    # one wash sale: the 12.5 ESPP shares sold at a 187.50 loss.
    e = load_export(samples / "formats" / "etrade" / "G&L_Expanded.xlsx", account="7730")
    assert e.realized["proceeds"].sum() == pytest.approx(38487.5)
    assert e.realized["cost_basis"].sum() == pytest.approx(36375.0)
    assert e.realized["gain"].sum() == pytest.approx(38487.5 - 36375.0)
    assert e.realized["wash_sale_disallowed"].sum() == 187.5
    assert np.isclose(e.realized.loc[e.realized["term"] == "long", "gain"].sum(),
                      1200 - 150 + 1100)


def test_cash_row_given_twice_is_counted_once(write):
    # E*TRADE's CASH row repeated: the cash is 12.20, not 24.40
    rows = [ROWS[0], ROWS[2], ROWS[2], ROWS[3]]
    e = load_export(write("p.csv", portfolio(rows)))
    assert e.positions[["symbol", "market_value"]].to_dict("records") == [
        {"symbol": "VTI", "market_value": 20077.0}, {"symbol": "CASH", "market_value": 12.2}]
    assert e.skipped[["line", "reason", "symbol"]].to_dict("records")[0] == {
        "line": 14, "reason": "position repeated in this file (...0123 CASH, same quantity "
                              "and value as line 13): counted once", "symbol": "CASH"}
