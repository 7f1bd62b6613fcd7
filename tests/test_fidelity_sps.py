"""Fidelity Stock Plan Services "View open lots" CSV: lots with terms, the Total row, the
currency footer, and the symbol/account the file does not name."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

HEADER = ("Date acquired,Quantity,Cost basis,Cost basis/share,Value,Gain/loss,"
          "Sale availability date,Transfer availability date,Grant date,Share source,"
          "Holding period")
ROWS = [
    "Jun-30-2024,50.0000,2000.00,40.00,2500.00,500.00,Sep-30-2024,Sep-30-2024,Apr-01-2024,SP,"
    "Long",                                                                       # line 2
    "Mar-31-2025,25.0000,1100.00,44.00,1375.00,275.00,Jun-30-2025,Jun-30-2025,Jan-01-2025,SP,"
    "Short",                                                                      # line 3
    "Dec-15-2024,0.5500,-,40.00,27.50,5.50,Mar-15-2025,Mar-15-2025,-,DO,Long",    # line 4
    "Jan-02-2025,1.1000,44.00,40.00,55.00,11.00,-,-,-,RS,-",                      # line 5
    "Total,76.6500,3166.00,,3957.50,791.50,,,,, ",                                # line 6
]
FOOTER = [",", "The values are displayed in USD"]
OPTS = {"symbol": "MSFT", "account": "I87654321"}


def content(rows=ROWS, footer=FOOTER, header=HEADER):
    return "\n".join([header, *rows, *footer]) + "\n"


def test_open_lots(write):
    e = load_export(write("open_lots.csv", content(), bom=True, crlf=True), **OPTS)
    assert (e.format, e.custodian, e.as_of) == ("fidelity_sps_open_lots", "fidelity", None)
    lots = e.lots
    assert lots["source_line"].tolist() == [2, 3, 4, 5]
    assert lots["symbol"].unique().tolist() == ["MSFT"]
    assert lots["account"].unique().tolist() == ["I87654321"]
    assert lots["quantity"].tolist() == [50.0, 25.0, 0.55, 1.1]
    # line 4 has no Cost basis: 0.55 shares x $40.00
    assert lots["cost_basis"].tolist() == [2000.0, 1100.0, pytest.approx(22.0), 44.0]
    assert lots["acquired"].tolist() == [pd.Timestamp("2024-06-30"), pd.Timestamp("2025-03-31"),
                                         pd.Timestamp("2024-12-15"), pd.Timestamp("2025-01-02")]
    assert lots["holding_start"].tolist() == lots["acquired"].tolist()
    assert lots["term"].tolist()[:3] == ["long", "short", "long"]
    assert pd.isna(lots["term"].iloc[3])  # "-"
    assert lots["lot_id"].tolist() == ["open_lots.csv:2", "open_lots.csv:3", "open_lots.csv:4",
                                       "open_lots.csv:5"]
    assert e.skipped["line"].tolist() == [6]
    assert e.skipped["reason"].tolist() == ["total row: a sum of the lots above"]
    assert e.notes == []
    assert e.accounts[["account", "custodian"]].values.tolist() == [["I87654321", "fidelity"]]


def test_total_that_disagrees_is_noted(write):
    rows = [*ROWS[:4], "Total,70.0000,3166.00,,,,,,,, "]
    e = load_export(write("l.csv", content(rows)), **OPTS)
    assert e.notes == ["the Total row says 70 shares but the lots add up to 76.65"]


def test_without_total_row(write):
    e = load_export(write("l.csv", content(ROWS[:2])), **OPTS)
    assert len(e.lots) == 2 and e.skipped.empty


@pytest.mark.parametrize(("missing", "message"), [
    ("symbol", "Stock Plan Services open-lots files name neither their stock nor their "
               "account; pass symbol= to load_export (e.g. symbol='MSFT')"),
    ("account", "Stock Plan Services open-lots files name neither their stock nor their "
                "account; pass account= to load_export (e.g. account='X12345678')"),
])
def test_symbol_and_account_are_required(write, missing, message):
    opts = {k: v for k, v in OPTS.items() if k != missing}
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", content()), **opts)
    assert exc.value.message == message


def test_values_in_another_currency_are_refused(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", content(footer=[",", "The values are displayed in EUR"])),
                    **OPTS)
    assert (exc.value.line, exc.value.message) == (
        8, "the values are displayed in EUR, not US dollars; the toolkit needs dollar cost "
           "bases (switch the display currency to USD and export again)")


def test_missing_footer_is_a_cut_off_file(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", content(ROWS[:3], footer=[])), **OPTS)
    assert (exc.value.line, exc.value.message) == (
        4, "no 'The values are displayed in USD' footer: the file looks cut off, and the "
           "currency of its values is unknown")


def test_cut_off_mid_row(write):
    text = content(ROWS[:2], footer=[]) + "Dec-15-2024,0.55"
    with pytest.raises(FormatError) as exc:
        load_export(write("l.csv", text), **OPTS)
    assert exc.value.line == 4


def test_short_row_before_the_footer_is_skipped(write):
    # the footer follows, so the file is whole: the short row is one unreadable row
    e = load_export(write("l.csv", content([*ROWS[:2], "Dec-15-2024,0.55"])), **OPTS)
    assert e.lots["source_line"].tolist() == [2, 3]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 4, "reason": "row has 2 cells but the header needs 11: it cannot be read",
         "account": "I87654321", "symbol": "MSFT"}]


def test_bad_date_and_number(write):
    e = load_export(write("l.csv", content([ROWS[0].replace("Jun-30-2024", "Jun-31-2024"),
                                            ROWS[1].replace("25.0000", "fifty"), ROWS[2]])),
                    **OPTS)
    assert e.lots["source_line"].tolist() == [4]
    assert e.skipped["reason"].tolist()[:2] == [
        "cannot read Date acquired 'Jun-31-2024': expected a date",
        "cannot read Quantity 'fifty': expected a number"]
    with pytest.raises(FormatError) as exc:  # no row of the table can be read
        load_export(write("l.csv", content([ROWS[0].replace("Jun-30-2024", "Jun-31-2024"),
                                            ROWS[1].replace("25.0000", "fifty")])), **OPTS)
    assert (exc.value.line, exc.value.column, exc.value.message) == (
        2, "Date acquired", "no row of this table can be read; first: expected a date, found "
                            "'Jun-31-2024'")


def test_no_cost_basis_column(write):
    header = HEADER.replace("Cost basis,Cost basis/share,", "")
    rows = ["Jun-30-2024,50.0000,2500.00,500.00,-,-,-,SP,Long"]
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("l.csv", content(rows, header=header)), format="fidelity_sps_open_lots",
                    **OPTS)
    assert (exc.value.line, exc.value.column) == (1, "Cost basis")


def test_data_like_line_after_the_footer_is_reported(write):
    e = load_export(write("l.csv", content(footer=[*FOOTER, ROWS[0]])), **OPTS)
    assert e.skipped["line"].tolist() == [6, 9]
    assert e.skipped["reason"].tolist()[1] == "data-like line after the end of the open lots table"


def test_sample_file_with_its_options(samples):
    from tests import golden

    path = samples / "formats" / "fidelity" / "View_open_lots_MSFT.csv"
    assert golden.load_options(path) == {"symbol": "MSFT", "account": "I87654321"}
    e = golden.load(path)
    # by hand: 12 + 11.5 + 8 + 10.25 + 6 + 9.75 + 0.688 + 10 = 68.188 shares; cost 4080 +
    # 3852.50 + 3120 + 3587.50 + 2760 + 3705 + 309.76 + 3900 = 25,314.76 (the Total row's)
    assert e.lots["quantity"].sum() == pytest.approx(68.188)
    assert e.lots["cost_basis"].sum() == pytest.approx(25314.76)
    assert e.notes == []


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty; expected a brokerage export"),
    (b"\x00\x01\x02binary",
     "format 'fidelity_sps_open_lots' reads text files, but this file is binary data"),
], ids=["empty", "binary"])
def test_empty_and_binary_files(write, data, message):
    with pytest.raises(FormatError) as exc:
        load_export(write("f.dat", data), format="fidelity_sps_open_lots", account="A1", symbol="S")
    assert exc.value.message == message
