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
