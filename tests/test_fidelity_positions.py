"""Fidelity Portfolio_Positions: both header cases, cash rows, pending activity, 401(k) CUSIPs,
options, the BrokerageLink wrapper, footer and encoding quirks."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

TITLE = ("Account Number,Account Name,Symbol,Description,Quantity,Last Price,Last Price Change,"
         "Current Value,Today's Gain/Loss Dollar,Today's Gain/Loss Percent,Total Gain/Loss Dollar,"
         "Total Gain/Loss Percent,Percent Of Account,Cost Basis Total,Average Cost Basis,Type")
SENTENCE = ("Account number,Account name,Symbol,Description,Quantity,Last price,Last price change,"
            "Current value,Today's gain/loss dollar,Today's gain/loss percent,Total gain/loss dollar,"
            "Total gain/loss percent,Percent of account,Cost basis total,Average cost basis,Type")
ROWS = [
    'X71234567,Joint WROS,SPAXX**,HELD IN MONEY MARKET,,,,"$1,204.17",,,,,2.1%,,,Cash,',
    'X71234567,Joint WROS,VTI,VANGUARD INDEX FDS TOTAL STK MKT,100,$300.50,+$1.10,"$30,050.00",'
    '+$110.00,+0.37%,"+$5,050.00",+20.20%,50.1%,"$25,000.00",$250.00,Cash,',
    'X71234567,Joint WROS,Pending activity,,,,,-$250.00,,,,,,,,,',
    'X71234567,Joint WROS, -SNDK270917C1500,CALL (SNDK) SANDISK SEP 17 27 $1500,-1,$12.40,,'
    '-$1240.00,,,,,,$900.00,,Margin,',
    '123456789,ACME 401(K) PLAN,922908769,VANG TOT STK MKT IDX TR,50.125,$120.00,,"$6,015.00",'
    ',,,,,--,--,,',
    '123456789,ACME 401(K) PLAN,,BROKERAGELINK,2000,$1.00,,"$2,000.00",,,,,,,,,',
]
FOOTER = [
    "",
    '"The data and information in this spreadsheet is provided to you solely for your use and '
    'is not for distribution."',
    '"Brokerage services are provided by Fidelity Brokerage Services LLC (FBS), 900 Salem Street,'
    ' Smithfield, RI 02917."',
    "",
    '"Date downloaded Nov-20-2026 at 1:02 p.m ET"',
]


def content(header=TITLE, rows=ROWS, footer=FOOTER):
    return "\n".join([header, *rows, *footer]) + "\n"


@pytest.mark.parametrize("header", [TITLE, SENTENCE], ids=["title_case", "sentence_case"])
def test_loads_both_header_cases(write, header):
    p = write("Portfolio_Positions_Nov-20-2026.csv", content(header), bom=True, crlf=True)
    e = load_export(p)
    assert e.format == "fidelity_positions"
    assert e.as_of == pd.Timestamp("2026-11-20")
    pos = e.positions
    assert pos["symbol"].tolist() == ["SPAXX", "VTI", "-SNDK270917C1500", "922908769"]
    assert pos["source_line"].tolist() == [2, 3, 5, 6]
    cash = pos.iloc[0]
    # money market with empty quantity and price: quantity = value at $1, basis = value
    assert (cash["quantity"], cash["price"], cash["market_value"], cash["cost_basis"]) == (
        1204.17, 1.0, 1204.17, 1204.17)
    assert cash["asset_class"] == "cash"
    vti = pos.iloc[1]
    assert (vti["quantity"], vti["price"], vti["market_value"], vti["cost_basis"]) == (
        100.0, 300.5, 30050.0, 25000.0)
    assert pd.isna(vti["asset_class"])
    option = pos.iloc[2]
    assert option["security_type"] == "option"
    assert option["market_value"] == -1240.0
    k401 = pos.iloc[3]
    assert k401["cusip"] == "922908769"
    assert pd.isna(k401["cost_basis"])
    assert pos["market_value"].sum() == pytest.approx(1204.17 + 30050 - 1240 + 6015)


def test_skipped_rows_are_reported_with_reasons(write):
    e = load_export(write("positions.csv", content()))
    sk = e.skipped
    assert sk["line"].tolist() == [4, 7]
    assert sk["reason"].tolist() == [
        "pending activity: a cash adjustment in transit, not a holding (value -250.00)",
        "BrokerageLink wrapper row: its holdings are listed under the BrokerageLink account "
        "(value 2,000.00)",
    ]
    assert set(sk["file"]) == {"positions.csv"}


def test_accounts_named_in_file(write):
    e = load_export(write("p.csv", content()))
    assert e.accounts.to_dict(orient="records") == [
        {"account": "X71234567", "name": "Joint WROS", "custodian": "fidelity"},
        {"account": "123456789", "name": "ACME 401(K) PLAN", "custodian": "fidelity"},
    ]


def test_detected_by_content_not_name(write):
    e = load_export(write("whatever.txt", content()))
    assert e.format == "fidelity_positions"


def test_data_like_line_after_footer_is_reported(write):
    rows = content(footer=[*FOOTER, "X71234567,Joint WROS,BND,BOND FUND,10,$70.00"])
    e = load_export(write("p.csv", rows))
    assert e.skipped["reason"].iloc[-1] == "data-like line after the end of the positions table"
    assert e.skipped["line"].iloc[-1] == 13


def test_reduced_column_set(write):
    header = "Account Number,Account Name,Symbol,Description,Quantity,Last Price,Current Value,Type"
    rows = ["Z1,Individual,VXUS,VANGUARD TOTAL INTL,10,$60.00,$600.00,Cash"]
    e = load_export(write("p.csv", content(header, rows, [])))
    assert e.positions["market_value"].tolist() == [600.0]
    assert e.positions["cost_basis"].isna().all()


def test_missing_required_column(write):
    header = "Account Number,Account Name,Symbol,Description,Last Price,Current Value"
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("p.csv", content(header, ["Z1,I,VTI,x,$1,$2"], [])))
    assert exc.value.line == 1
    assert exc.value.column == "Quantity"


def test_bad_cell_skips_its_row_with_the_holding(write):
    rows = [*ROWS[:2], 'X71234567,Joint WROS,BND,BOND,ten,$70.00,,$700.00,,,,,,,,Cash,']
    e = load_export(write("p.csv", content(rows=rows)))
    assert e.positions["symbol"].tolist() == ["SPAXX", "VTI"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 4, "reason": "cannot read Quantity 'ten': expected a number",
         "account": "X71234567", "symbol": "BND"}]


def test_truncated_mid_row(write):
    text = content(footer=[]).rstrip("\n")
    cut = text[: text.rindex("BROKERAGELINK") - 10] + '"$2,0'
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", cut))
    assert exc.value.line == 7


def test_shared_reference_file(shared_samples):
    e = load_export(shared_samples / "fidelity__FINporterFido__Portfolio_Positions_fromtest.csv")
    # Two rows by hand: VWO 900 sh, $45,900.35, basis $38,362.05; VOO 800 sh, same value/basis.
    assert e.positions["symbol"].tolist() == ["VWO", "VOO"]
    assert e.positions["quantity"].tolist() == [900.0, 800.0]
    assert e.positions["market_value"].sum() == pytest.approx(91800.70)
    assert e.positions["cost_basis"].sum() == pytest.approx(76724.10)
    assert e.skipped.empty  # the stand-in footer "XXX" is single-cell text


def test_forced_format_of_the_wrong_kind(write):
    p = write("p.csv", b"\x00\x01binary")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="fidelity_positions")
    assert exc.value.message == "format 'fidelity_positions' reads text files, but this file is binary data"


# --- rows that are not holdings, and rows that cannot be read (issue 12) -----------------------

def _pending(cells: int) -> str:
    """Fidelity's Pending activity row, stopping after the amount at ``cells`` cells."""
    row = ["X71234567", "Joint WROS", "Pending activity", "", "", "", "", "-$250.00"]
    return ",".join(row + [""] * (cells - len(row)))


@pytest.mark.parametrize("cells", [8, 12, 14, 17], ids=lambda n: f"{n}_cells")
@pytest.mark.parametrize("footer", [FOOTER, []], ids=["with_footer", "last_line"])
def test_pending_activity_row_of_any_length_loads_as_cash_in_transit(write, cells, footer):
    # real files stop the Pending activity row after the amount (12 or 14 cells of the
    # header's 16); it is not a holding whatever its length, even as the file's last line
    rows = [*ROWS[:2], _pending(cells)]
    e = load_export(write("Portfolio_Positions_Nov-20-2026.csv", content(rows=rows,
                                                                         footer=footer),
                          bom=True, crlf=True))
    assert e.positions["symbol"].tolist() == ["SPAXX", "VTI"]
    assert e.positions["market_value"].sum() == pytest.approx(1204.17 + 30050.00)
    assert e.pending[["account", "amount", "description", "source_line"]].to_dict(
        "records") == [{"account": "X71234567", "amount": -250.0,
                        "description": "Pending activity", "source_line": 4}]
    assert e.skipped[["line", "reason", "account"]].to_dict("records") == [
        {"line": 4, "reason": "pending activity: a cash adjustment in transit, not a holding "
                              "(value -250.00)", "account": "X71234567"}]


@pytest.mark.parametrize("tail", [",,,,,,,,,", ""], ids=["17_cells_and_one", "cut_short"])
def test_unquoted_thousands_in_a_pending_amount_is_reported_never_read_as_8(write, tail):
    # "$8,907.73" written without quotes splits into "$8" and "907.73": the amount must not
    # load as $8.00 (nor raise a pandas error); the row is reported and adds no cash in transit
    rows = [*ROWS[:2], "X71234567,Joint WROS,Pending activity,,,,,$8,907.73" + tail]
    e = load_export(write("Portfolio_Positions_Nov-20-2026.csv", content(rows=rows),
                          bom=True, crlf=True))
    assert e.positions["symbol"].tolist() == ["SPAXX", "VTI"]
    assert len(e.pending) == 0
    assert e.skipped[["line", "reason", "account"]].to_dict("records") == [
        {"line": 4, "reason": "pending activity whose amount is cut by an unquoted thousands "
                              "separator ($8,907.73 written without quotes): its amount cannot "
                              "be read", "account": "X71234567"}]
    assert e.notes == ["pending activity on line(s) 4 has no readable account or amount; it "
                       "is not counted as cash in transit"]


@pytest.mark.parametrize("row", [
    # a holding's value and a money market's value, each unquoted
    "X71234567,Joint WROS,VXUS,VANGUARD TOTAL INTL,148.5,$59.98,+$0.10,$8,907.73,+$1.00,+0.1%,"
    "+$907.73,+11.3%,14.8%,$8000.00,$53.87,Cash,",
    "X71234567,Joint WROS,SPAXX**,HELD IN MONEY MARKET,,,,$8,907.73,,,,,2.1%,,,Cash,",
], ids=["holding", "money_market"])
def test_unquoted_thousands_in_a_holding_row_is_a_skipped_row(write, row):
    e = load_export(write("Portfolio_Positions_Nov-20-2026.csv",
                          content(rows=[*ROWS[:2], row]), bom=True, crlf=True))
    assert e.positions["market_value"].tolist() == [1204.17, 30050.0]
    # the skipped row names its holding as the positions do (SPAXX, not SPAXX**), so the
    # household can mark that holding unreliable
    symbol = row.split(",")[2].rstrip("*")
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 4, "reason": "row has more cells than its header: its cells are shifted and "
                              "cannot be read", "account": "X71234567", "symbol": symbol}]


def test_short_data_row_at_the_end_means_a_cut_file(write):
    rows = [*ROWS[:2], "X71234567,Joint WROS,BND,BOND FUND,10,$70.00"]
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", content(rows=rows, footer=[])))
    assert (exc.value.line, exc.value.message) == (
        4, "row has 6 cells but the header needs 16; the file looks truncated or the row is "
           "malformed")


def test_short_data_row_in_the_middle_is_one_skipped_row(write):
    rows = [ROWS[0], "X71234567,Joint WROS,BND,BOND FUND,10,$70.00", ROWS[1]]
    e = load_export(write("p.csv", content(rows=rows)))
    assert e.positions["symbol"].tolist() == ["SPAXX", "VTI"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 3, "reason": "row has 6 cells but the header needs 16: it cannot be read",
         "account": "X71234567", "symbol": "BND"}]


VTI = ROWS[1]  # 100 shares, "$30,050.00"


@pytest.mark.parametrize(("cell", "reason"), [
    ("inf", "cannot read Current Value 'inf': expected a number"),
    ("nan", "cannot read Current Value 'nan': expected a number"),
    ("1e400", "cannot read Current Value '1e400': a number out of range"),
    ('"$30.050,00"', "cannot read Current Value '$30.050,00': expected a number"),
    ('"1.234,56"', "cannot read Current Value '1.234,56': expected a number"),
], ids=["inf", "nan", "overflow", "comma_decimal_money", "comma_decimal"])
def test_values_that_are_not_numbers_are_refused(write, cell, reason):
    rows = [ROWS[0], VTI.replace('"$30,050.00"', cell)]
    e = load_export(write("p.csv", content(rows=rows)))
    assert e.positions["symbol"].tolist() == ["SPAXX"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 3, "reason": reason, "account": "X71234567", "symbol": "VTI"}]


@pytest.mark.parametrize("vti", [
    VTI.replace(",100,", ',"10,000,'),   # a quote opened and never closed in the row
    VTI.replace(",100,", ',10,000",'),   # a closing quote without its opening one
], ids=["opened", "closed"])
def test_a_stray_quote_never_turns_10000_into_0(write, vti):
    e = load_export(write("p.csv", content(rows=[ROWS[0], vti, ROWS[2]])))
    assert e.positions["symbol"].tolist() == ["SPAXX"]
    assert e.positions["quantity"].tolist() == [1204.17]
    got = e.skipped[e.skipped["line"] == 3]
    assert got[["account", "symbol"]].to_dict("records") == [
        {"account": "X71234567", "symbol": "VTI"}]


def test_nul_byte_is_removed_with_a_note_never_kept_in_a_symbol(write):
    rows = [ROWS[0], VTI.replace(",VTI,", ",V\x00TI,")]
    e = load_export(write("p.csv", content(rows=rows)))
    assert e.positions["symbol"].tolist() == ["SPAXX", "VTI"]
    assert "removed 1 control character(s) (NUL) on line(s) 3" in e.notes


def test_huge_quoted_cell_is_one_skipped_row(write):
    huge = VTI.replace("VANGUARD INDEX FDS TOTAL STK MKT", '"' + "x" * 200_000 + '"')
    e = load_export(write("p.csv", content(rows=[ROWS[0], huge, ROWS[2]])))
    assert e.positions["symbol"].tolist() == ["SPAXX"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records")[0] == {
        "line": 3, "reason": "cannot read this row as CSV (field larger than field limit "
                             "(131072))", "account": "X71234567", "symbol": "VTI"}


def test_one_holding_in_the_cash_and_margin_sub_accounts_is_summed(write):
    # Type Cash and Type Margin rows of one symbol are one holding: 100 + 40 shares
    margin = ('X71234567,Joint WROS,VTI,VANGUARD INDEX FDS TOTAL STK MKT,40,$300.50,+$1.10,'
              '"$12,020.00",,,,,,"$10,000.00",$250.00,Margin,')
    e = load_export(write("p.csv", content(rows=[ROWS[0], VTI, margin])))
    vti = e.positions[e.positions["symbol"] == "VTI"]
    assert vti[["quantity", "market_value", "cost_basis", "source_line"]].to_dict(
        "records") == [{"quantity": 140.0, "market_value": 42070.0, "cost_basis": 35000.0,
                        "source_line": 3}]
    assert ("X71234567 VTI: held in the cash and margin sub-accounts (lines 3, 4); the rows "
            "are summed into one holding") in e.notes


def test_position_repeated_in_the_file_is_counted_once(write):
    e = load_export(write("p.csv", content(rows=[ROWS[0], VTI, VTI])))
    assert e.positions["symbol"].tolist() == ["SPAXX", "VTI"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 4, "reason": "position repeated in this file (X71234567 VTI, same quantity "
                              "and value as line 3): counted once", "account": "X71234567",
         "symbol": "VTI"}]
