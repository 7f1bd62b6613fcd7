"""Generic lots/positions templates: CSV and XLSX, every column rule, Excel dates and rows,
errors (missing column, bad cells, corrupt or foreign workbooks, empty files), the shipped
templates and the 100,000-row speed budget."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError, UnknownFormatError
from toolkit.io import load_export
from toolkit.io.generic import header_kind, template_path
from toolkit.templates import make_templates

LOTS_CSV = """# toolkit generic lots template v1
account,symbol,quantity,Cost Basis ($),cost_per_share,acquired,term,wash_sale_disallowed,lot_id,description
X71234567,VTI,10,2000.00,,2021-03-15,,,,Total stock
X71234567,VTI,5.5,,250.10,11/02/2024,short,,T-778,
Z12345678,VXUS,20,"$1,150.40",,Jan-10-2025,LT,35.20,,
Z12345678, bnd ,3,(0.00),,20230105,Long-Term,,,

"""


def test_lots_csv_exact_values(write):
    e = load_export(write("lots.csv", LOTS_CSV, bom=True, crlf=True))
    assert e.format == "generic_lots"
    assert e.custodian == "generic"
    lots = e.lots
    assert lots["account"].tolist() == ["X71234567", "X71234567", "Z12345678", "Z12345678"]
    assert lots["symbol"].tolist() == ["VTI", "VTI", "VXUS", "bnd"]
    assert lots["quantity"].tolist() == [10.0, 5.5, 20.0, 3.0]
    # 5.5 x 250.10 = 1375.55; "(0.00)" is a zero basis
    assert lots["cost_basis"].tolist() == pytest.approx([2000.0, 1375.55, 1150.40, 0.0])
    assert lots["acquired"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-03-15", "2024-11-02", "2025-01-10", "2023-01-05"]
    assert lots["holding_start"].equals(lots["acquired"])
    assert lots["term"].fillna("").tolist() == ["", "short", "long", "long"]
    assert lots["wash_sale_disallowed"].fillna(-1).tolist() == [-1, -1, 35.2, -1]
    assert lots["lot_id"].tolist() == ["lots.csv:3", "T-778", "lots.csv:5", "lots.csv:6"]
    assert lots["source_line"].tolist() == [3, 4, 5, 6]
    assert set(lots["source_file"]) == {"lots.csv"}
    assert e.accounts["account"].tolist() == ["X71234567", "Z12345678"]
    assert e.skipped.empty
    assert e.positions.empty


def test_readme_example_loads_as_documented(write):
    readme = template_path("README.md").read_text()
    example = readme.split("```csv\n", 1)[1].split("```", 1)[0]
    lots = load_export(write("example.csv", example)).lots
    assert lots["cost_basis"].tolist() == pytest.approx([2000.0, 1375.55, 1150.40])
    assert lots["acquired"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-03-15", "2024-11-02", "2025-01-10"]
    assert lots["term"].fillna("").tolist() == ["", "short", ""]


def test_blank_rows_inside_and_after_the_table_are_ignored(write):
    text = ("account,symbol,quantity,cost_basis,acquired\n\nA1,VTI,1,100,2020-01-02\n,,,,\n"
            "A1,VTI,2,200,2020-01-03\n\n\n")
    lots = load_export(write("l.csv", text)).lots
    assert lots["source_line"].tolist() == [3, 5]
    assert lots["quantity"].tolist() == [1.0, 2.0]


def test_short_and_zero_lots_are_skipped(write):
    text = ("account,symbol,quantity,cost_basis,acquired\nA1,VTI,-3,300,2020-01-02\n"
            "A1,VTI,0,0,2020-01-02\nA1,VTI,1,100,2020-01-02\n")
    e = load_export(write("l.csv", text))
    assert e.lots["source_line"].tolist() == [4]
    assert e.skipped["line"].tolist() == [2, 3]
    assert e.skipped["reason"].tolist() == [
        "short lot (negative quantity): short positions are not supported",
        "lot with zero quantity"]


def test_account_from_option(write):
    text = "symbol,quantity,cost_basis,acquired\nVTI,1,100,2020-01-02\n"
    p = write("l.csv", text)
    with pytest.raises(MissingColumnError) as exc:
        load_export(p, format="generic_lots")
    assert (exc.value.line, exc.value.column) == (1, "account")
    lots = load_export(p, format="generic_lots", account="X1").lots
    assert lots["account"].tolist() == ["X1"]


def test_empty_account_cell(write):
    text = "account,symbol,quantity,cost_basis,acquired\nA1,VTI,1,100,2020-01-02\n,VTI,1,1,2020-01-02\n"
    e = load_export(write("l.csv", text))
    assert e.lots["account"].tolist() == ["A1"]
    assert e.skipped[["line", "reason", "symbol"]].to_dict("records") == [
        {"line": 3, "reason": "the account is empty (fill it, or pass account= to load_export)",
         "symbol": "VTI"}]
    assert load_export(write("l.csv", text), account="B2").lots["account"].tolist() == [
        "A1", "B2"]


@pytest.mark.parametrize(("header", "column"), [
    ("account,symbol,quantity,cost_basis", "acquired"),
    ("account,symbol,quantity,acquired", "cost_basis"),
    ("account,quantity,cost_basis,acquired", "symbol"),
])
def test_missing_lots_column(write, header, column):
    p = write("l.csv", header + "\nA1,VTI,1,2020-01-02\n")
    with pytest.raises(UnknownFormatError):
        load_export(p)  # not the template header: not detected
    with pytest.raises(MissingColumnError) as exc:
        load_export(p, format="generic_lots")
    assert (exc.value.line, exc.value.column) == (1, column)


@pytest.mark.parametrize(("row", "message"), [
    ("A1,VTI,1,100,2021-02-30", "cannot read acquired '2021-02-30': expected a date"),
    ("A1,VTI,1,100,15/03/2021", "cannot read acquired '15/03/2021': expected a date"),
    ("A1,VTI,1,100,", "the acquired date is empty"),
    ("A1,VTI,one,100,2021-01-02", "cannot read quantity 'one': expected a number"),
    ("A1,VTI,,100,2021-01-02", "the quantity is empty"),
    ("A1,,1,100,2021-01-02", "the symbol is empty"),
    ("A1,VTI,1,-5,2021-01-02", "the cost basis is negative"),
])
def test_bad_lots_cells_skip_their_row(write, row, message):
    text = f"# v1\naccount,symbol,quantity,cost_basis,acquired\nA1,VTI,1,100,2021-01-02\n{row}\n"
    e = load_export(write("l.csv", text))
    assert e.lots["source_line"].tolist() == [3]
    assert e.skipped[["line", "reason", "account"]].to_dict("records") == [
        {"line": 4, "reason": message, "account": "A1"}]


def test_no_readable_row_refuses_the_file(write):
    text = "account,symbol,quantity,cost_basis,acquired\nA1,VTI,x,100,2021-01-02\nA1,VTI,y,1,2021-01-02\n"
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", text))
    assert (exc.value.line, exc.value.column, exc.value.message) == (
        2, "quantity", "no row of this table can be read; first: expected a number, found 'x'")


def test_bad_term(write):
    text = ("account,symbol,quantity,cost_basis,acquired,term\nA1,VTI,1,100,2021-01-02,medium\n"
            "A1,VTI,1,100,2021-01-02,LT\n")
    e = load_export(write("l.csv", text))
    assert e.lots["term"].tolist() == ["long"]
    assert e.skipped[["line", "reason", "symbol"]].to_dict("records") == [
        {"line": 2, "reason": "cannot read term 'medium': expected short or long (also "
                              "short-term/long-term, ST/LT)", "symbol": "VTI"}]


POSITIONS_CSV = """account,symbol,quantity,price,market_value,cost_basis,description,asset_class
401K-ACME,VFIAX,10,500.00,,4000,Vanguard 500,
401K-ACME,ACME STABLE VALUE,,,"12,500.00",,stable value fund,Cash
401K-ACME,TRP 2045 TRUST,100,31.40,3140.00,,target date,Multi Asset
401K-ACME,,,,250.00,,uninvested,cash
401K-ACME,922908769,2,100,,,cusip as symbol,US Equity
"""


def test_positions_csv_exact_values(write):
    e = load_export(write("positions.csv", POSITIONS_CSV))
    assert e.format == "generic_positions"
    pos = e.positions
    assert pos["symbol"].tolist() == ["VFIAX", "ACME STABLE VALUE", "TRP 2045 TRUST", "CASH",
                                      "922908769"]
    # market value = price x quantity when empty; cash: quantity = value, price 1, basis = value
    assert pos["market_value"].tolist() == [5000.0, 12500.0, 3140.0, 250.0, 200.0]
    assert pos["quantity"].tolist() == [10.0, 12500.0, 100.0, 250.0, 2.0]
    assert pos["price"].tolist() == [500.0, 1.0, 31.4, 1.0, 100.0]
    assert pos["cost_basis"].fillna(-1).tolist() == [4000.0, 12500.0, -1, 250.0, -1]
    assert pos["asset_class"].fillna("").tolist() == ["", "cash", "multi_asset", "cash",
                                                      "us_equity"]
    assert pos["cusip"].fillna("").tolist() == ["", "", "", "", "922908769"]
    assert pos["source_line"].tolist() == [2, 3, 4, 5, 6]


def test_positions_unknown_asset_class(write):
    text = "account,symbol,quantity,market_value,asset_class\nA1,VTI,1,100,stocks\nA1,BND,1,7,\n"
    e = load_export(write("p.csv", text))
    assert e.positions["symbol"].tolist() == ["BND"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 2, "reason": "cannot read asset_class 'stocks': expected one of us_equity, "
                              "intl_equity, bonds, muni_bonds, reits, cash, other, multi_asset",
         "account": "A1", "symbol": "VTI"}]


def test_positions_without_any_value(write):
    text = "account,symbol,quantity,price,market_value\nA1,VTI,1,,\nA1,BND,1,7,\n"
    e = load_export(write("p.csv", text))
    assert e.positions["market_value"].tolist() == [7.0]
    assert e.skipped[["line", "reason"]].to_dict("records") == [
        {"line": 2, "reason": "no market value: fill market_value, or price and quantity"}]


def test_header_kind():
    assert header_kind(["Account", "Symbol", "Quantity", "Cost_Basis ($)", "Acquired"]) == "lots"
    assert header_kind(["account", "symbol", "quantity", "cost per share", "acquired"]) == "lots"
    assert header_kind(["account", "symbol", "quantity", "price"]) == "positions"
    assert header_kind(["account", "symbol", "quantity", "market value", "acquired"]) is None
    assert header_kind(["Account Number", "Symbol", "Quantity", "Current Value"]) is None


def test_header_only_and_comment_only_files(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", "# v1\naccount,symbol,quantity,cost_basis,acquired\n\n"))
    assert (exc.value.line, exc.value.message) == (
        2, "the lots table has a header but no rows; the file looks truncated")
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", "# only a comment\n"), format="generic_lots")
    assert exc.value.message == ("no lots template header found; the file has only comments "
                                 "or blank lines")


def test_empty_file(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("lots.csv", ""))
    assert exc.value.message == "the file is empty; expected a brokerage export"


# --- XLSX -------------------------------------------------------------------------------------


def workbook(path, sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


LOTS_ROWS = [
    ["# toolkit generic lots template v1"],                                          # row 1
    ["account", "symbol", "quantity", "cost_basis", "cost_per_share", "acquired", "term"],
    ["X1", "VTI", 10, 2000, None, dt.datetime(2021, 3, 15), None],                  # row 3
    [None] * 7,                                                                       # row 4
    ["X1", "VTI", 5.5, None, 250.1, "11/02/2024", "ST"],                             # row 5
    ["X1", "VXUS", 20, "$1,150.40", None, 45667, "long"],                           # row 6: serial
    ["X1", "BND", 3, 210.0, None, 20230105, None],                                  # row 7: yyyymmdd
]


def test_lots_xlsx_excel_and_text_dates(tmp_path):
    p = workbook(tmp_path / "lots.xlsx", {"notes": [["read me"]], "Lots": LOTS_ROWS})
    e = load_export(p)
    assert e.format == "generic_lots_xlsx"
    lots = e.lots
    assert lots["source_line"].tolist() == [3, 5, 6, 7]  # Excel row numbers
    assert lots["quantity"].tolist() == [10.0, 5.5, 20.0, 3.0]
    assert lots["cost_basis"].tolist() == pytest.approx([2000.0, 1375.55, 1150.40, 210.0])
    # 45667 is the Excel serial of 2025-01-10
    assert lots["acquired"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-03-15", "2024-11-02", "2025-01-10", "2023-01-05"]
    assert lots["term"].fillna("").tolist() == ["", "short", "long", ""]
    assert lots["lot_id"].tolist() == ["lots.xlsx:3", "lots.xlsx:5", "lots.xlsx:6",
                                       "lots.xlsx:7"]


def test_first_sheet_with_template_header_is_used(tmp_path):
    p = workbook(tmp_path / "anything.xlsx", {"Sheet1": LOTS_ROWS[1:4]})
    lots = load_export(p).lots
    assert lots["source_line"].tolist() == [2]


def test_positions_xlsx(tmp_path):
    rows = [["account", "symbol", "quantity", "price", "market_value", "asset_class"],
            ["401K", "FXAIX", 2.5, 200.0, None, None],
            ["401K", None, None, None, 99.5, "cash"]]
    e = load_export(workbook(tmp_path / "p.xlsx", {"positions": rows}))
    assert e.format == "generic_positions_xlsx"
    assert e.positions["market_value"].tolist() == [500.0, 99.5]
    assert e.positions["symbol"].tolist() == ["FXAIX", "CASH"]
    assert e.positions["source_line"].tolist() == [2, 3]


def test_workbook_with_both_sheets_notes_the_other(tmp_path):
    pos = [["account", "symbol", "quantity", "market_value"], ["A", "VTI", 1, 100]]
    p = workbook(tmp_path / "both.xlsx", {"positions": pos, "lots": LOTS_ROWS[:3]})
    e = load_export(p)
    assert e.format == "generic_lots_xlsx"
    assert e.notes == ["the workbook also has a 'positions' sheet; load it with "
                       "format='generic_positions_xlsx'"]
    assert load_export(p, format="generic_positions_xlsx").positions["market_value"].tolist() == [
        100.0]


def test_bad_date_cell_names_excel_row(tmp_path):
    rows = [*LOTS_ROWS[:3], ["X1", "VTI", 1, 100, None, "not a date", None]]
    e = load_export(workbook(tmp_path / "l.xlsx", {"lots": rows}))
    assert e.lots["source_line"].tolist() == [3]
    assert e.skipped[["file", "line", "reason"]].to_dict("records") == [
        {"file": "l.xlsx", "line": 4, "reason": "cannot read acquired 'not a date': expected a "
                                                "date"}]


def test_missing_column_in_workbook(tmp_path):
    rows = [["account", "symbol", "quantity", "acquired"], ["X1", "VTI", 1, dt.date(2020, 1, 2)]]
    p = workbook(tmp_path / "l.xlsx", {"lots": rows})
    with pytest.raises(UnknownFormatError):
        load_export(p)
    with pytest.raises(MissingColumnError) as exc:
        load_export(p, format="generic_lots_xlsx")
    assert (exc.value.line, exc.value.column) == (1, "cost_basis")


def test_non_template_workbook_is_unknown(tmp_path):
    p = workbook(tmp_path / "gains.xlsx",
                 {"G&L": [["Symbol", "Qty.", "Proceeds"], ["VTI", 1, 100]]})
    with pytest.raises(UnknownFormatError) as exc:
        load_export(p)
    assert exc.value.message == (
        "a spreadsheet or zip archive that is not a recognised brokerage export. Known formats: "
        "fidelity_positions, fidelity_history, fidelity_realized, fidelity_sps_open_lots, "
        "fidelity_statement, robinhood_activity_csv, schwab_lot_details, schwab_positions, "
        "schwab_realized, schwab_transactions, schwab_transactions_json, vanguard_ofxdownload, "
        "etrade_gains_xlsx, etrade_portfolio_csv, ibkr_activity_csv, ibkr_flex_xml, "
        "ibkr_transaction_history_csv, merrill_activity_csv, merrill_holdings_csv, "
        "ofx_investment, generic_lots, generic_lots_xlsx, generic_positions, "
        "generic_positions_xlsx.")
    with pytest.raises(FormatError) as exc:
        load_export(p, format="generic_positions_xlsx")
    assert exc.value.message == (
        "no sheet holds the positions template header (a sheet named 'positions', or the "
        "first sheet, starting with 'account,symbol,quantity,price,market_value')")


def test_sheet_named_positions_with_a_foreign_header(tmp_path):
    p = workbook(tmp_path / "etrade.xlsx",
                 {"Positions": [["Symbol", "Qty.", "Proceeds"], ["VTI", 1, 100]]})
    with pytest.raises(UnknownFormatError):
        load_export(p)  # detection needs the template header, not just the sheet name
    with pytest.raises(MissingColumnError) as exc:
        load_export(p, format="generic_positions_xlsx")
    assert (exc.value.line, exc.value.column) == (1, "market_value")


def test_corrupt_xlsx(tmp_path):
    good = workbook(tmp_path / "good.xlsx", {"lots": LOTS_ROWS[:3]}).read_bytes()
    p = tmp_path / "corrupt.xlsx"
    p.write_bytes(good[: len(good) // 2])  # cut in half: starts with PK, central directory gone
    with pytest.raises(UnknownFormatError):
        load_export(p)
    with pytest.raises(FormatError) as exc:
        load_export(p, format="generic_lots_xlsx")
    assert exc.value.message == ("cannot open as a zip/xlsx archive (File is not a zip file); "
                                 "is the file a damaged or password-protected .xlsx?")
    assert exc.value.path == "corrupt.xlsx"


def test_zip_that_is_not_a_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "account,symbol,quantity,cost_basis,acquired\n")
    p = tmp_path / "archive.xlsx"
    p.write_bytes(buf.getvalue())
    with pytest.raises(UnknownFormatError):
        load_export(p)
    with pytest.raises(FormatError) as exc:
        load_export(p, format="generic_lots_xlsx")
    assert exc.value.message.startswith("cannot open as an Excel workbook (")


def test_csv_format_forced_on_a_workbook(tmp_path):
    p = workbook(tmp_path / "l.xlsx", {"lots": LOTS_ROWS[:3]})
    with pytest.raises(FormatError) as exc:
        load_export(p, format="generic_lots")
    assert exc.value.message == "format 'generic_lots' reads text files, but this file is a zip/xlsx archive"


# --- shipped templates ------------------------------------------------------------------------


def test_shipped_templates_load_and_agree():
    csv_lots = load_export(template_path("lots_template.csv")).lots
    xlsx_lots = load_export(template_path("lots_template.xlsx")).lots
    cols = ["account", "symbol", "quantity", "cost_basis", "acquired", "term",
            "wash_sale_disallowed", "source_line"]
    pd.testing.assert_frame_equal(csv_lots[cols], xlsx_lots[cols])
    assert csv_lots["cost_basis"].tolist() == pytest.approx([2000.0, 1375.55, 1150.40])
    csv_pos = load_export(template_path("positions_template.csv")).positions
    xlsx_pos = load_export(template_path("positions_template.xlsx")).positions
    cols = ["account", "symbol", "quantity", "price", "market_value", "cost_basis",
            "asset_class", "source_line"]
    pd.testing.assert_frame_equal(csv_pos[cols], xlsx_pos[cols])
    assert csv_pos["market_value"].tolist() == pytest.approx([51959.60, 6603.42, 1500.0])


def test_committed_templates_are_what_the_script_writes(tmp_path):
    for written in make_templates.main(tmp_path):
        assert written.read_bytes() == template_path(written.name).read_bytes(), written.name


def test_template_path_unknown():
    with pytest.raises(FileNotFoundError):
        template_path("nope.csv")


# --- a large file ----------------------------------------------------------------------------


def test_100k_row_lots_csv_loads_every_row_with_its_line(tmp_path):
    # (its speed is measured in benchmarks/bench_load.py, not timed here)
    rows = ["# toolkit generic lots template v1",
            "account,symbol,quantity,cost_basis,acquired,term,lot_id"]
    rows += [f"X{i % 7:08d},SYM{i % 500},{1 + i % 997}.5,{10 + i % 9973}.25,"
             f"{2000 + i % 25}-{1 + i % 12:02d}-{1 + i % 28:02d},{'short' if i % 3 else 'long'},"
             f"L{i}" for i in range(100_000)]
    p = tmp_path / "big.csv"
    p.write_text("\n".join(rows) + "\n")
    e = load_export(p)
    assert len(e.lots) == 100_000
    assert e.lots["source_line"].iloc[-1] == 100_002
    # the last row, i = 99,999: quantity 1 + 99999 % 997 = 1 + 299 = 300, then ".5";
    # basis 10 + 99999 % 9973 = 10 + 269 = 279, then ".25"
    assert e.lots["quantity"].iloc[-1] == 300.5
    assert e.lots["cost_basis"].iloc[-1] == 279.25
