"""Fidelity Realized_Gain_Loss_Account CSV: symbols with CUSIPs, quoted money with trailing
spaces, term from the gain cells, account from the file name, and malformed files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

HEADER = ("Symbol(CUSIP),Security Description,Quantity,Date Acquired,Date Sold,Proceeds,"
          "Cost Basis,Short Term Gain/Loss,Long Term Gain/Loss")
# the FINporterFido row: both gain cells filled
FINPORTER_ROW = ('VEA(100000000),"VANGUARD TAX-MANAGEDINTL FD FTSE DEV MKTETF",3.0,08/31/2020,'
                 '01/29/2021,"$12.00 ","$10.00 ","$1.50 ","$0.50 "')
ROWS = [
    'VTI(922908769),"VANGUARD TOTAL STK MKT ETF",12.0,03/15/2021,02/03/2026,"$3,612.00 ",'
    '"$2,460.00 ",,"$1,152.00 "',                                                   # line 2
    'VXUS(921909768),"VANGUARD TL INTL STK F ETF",50.0,09/01/2025,04/21/2026,"$3,180.50 ",'
    '"$3,305.00 ","-$124.50 ","$0.00 "',                                            # line 3
    '(912828YK0),"UNITED STATES TREAS NTS",5000.0,11/02/2023,10/15/2026,"$5,000.00 ",'
    '"$4,812.50 ",,"$187.50 "',                                                     # line 4
    'NVDA(67066G104),"NVIDIA CORPORATION",10.0,05/20/2026,08/11/2026,"$1,245.00 ",'
    '"$1,310.00 ","($65.00) ",',                                                    # line 5
    'AAPL(037833100),"APPLE INC",3.5,VARIOUS,09/30/2026,"$805.00 ","$612.30 ",,',    # line 6
]
FOOTER = ["", '"The data and information in this spreadsheet is provided to you solely for '
          'your use."', '"Date downloaded 11/20/2026 4:12 pm"']


def content(rows=ROWS, footer=FOOTER, header=HEADER):
    return "\n".join([header, *rows, *footer]) + "\n"


def test_closed_lots(write):
    e = load_export(write("Realized_Gain_Loss_Account_Z23456789.csv", content(), bom=True,
                          crlf=True))
    assert (e.format, e.custodian, e.as_of) == ("fidelity_realized", "fidelity",
                                                 pd.Timestamp("2026-11-20"))
    r = e.realized
    assert r["account"].unique().tolist() == ["Z23456789"]
    assert r["symbol"].tolist() == ["VTI", "VXUS", "912828YK0", "NVDA", "AAPL"]
    assert r["source_line"].tolist() == [2, 3, 4, 5, 6]
    assert r["quantity"].tolist() == [12.0, 50.0, 5000.0, 10.0, 3.5]
    assert r["proceeds"].tolist() == [3612.0, 3180.5, 5000.0, 1245.0, 805.0]
    assert r["cost_basis"].tolist() == [2460.0, 3305.0, 4812.5, 1310.0, 612.3]
    # gains from the cells; AAPL has none: proceeds - cost basis
    np.testing.assert_allclose(r["gain"], [1152.0, -124.5, 187.5, -65.0, 192.7])
    assert r["term"].tolist()[:4] == ["long", "short", "long", "short"]
    assert pd.isna(r["term"].iloc[4])
    assert r["acquired"].tolist()[:4] == [pd.Timestamp("2021-03-15"), pd.Timestamp("2025-09-01"),
                                          pd.Timestamp("2023-11-02"), pd.Timestamp("2026-05-20")]
    assert pd.isna(r["acquired"].iloc[4])
    assert r["sold"].iloc[0] == pd.Timestamp("2026-02-03")
    assert r["wash_sale_disallowed"].isna().all()
    assert e.skipped.empty
    assert e.notes == ["account Z23456789 taken from the file name",
                       "Date Acquired 'VARIOUS' (several lots) on line(s) 6; acquired left "
                       "missing"]
    assert e.accounts[["account", "custodian"]].values.tolist() == [["Z23456789", "fidelity"]]
    assert e.accounts["name"].isna().all()


def test_finporter_row_with_both_gains(write):
    e = load_export(write("Realized_Gain_Loss_Account_X12345678.csv",
                          content([FINPORTER_ROW], footer=[])))
    r = e.realized.iloc[0]
    assert (r["symbol"], r["quantity"], r["proceeds"], r["cost_basis"], r["gain"]) == (
        "VEA", 3.0, 12.0, 10.0, 2.0)
    assert pd.isna(r["term"])
    assert "both a short- and a long-term gain on line(s) 2; term left missing" in e.notes
    assert e.as_of is None


def test_account_option_wins_over_the_file_name(write):
    e = load_export(write("Realized_Gain_Loss_Account_X1.csv", content()), account="Z999")
    assert e.realized["account"].unique().tolist() == ["Z999"]
    assert "account X1 taken from the file name" not in e.notes


def test_account_is_required(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("closed.csv", content()))
    assert exc.value.message == (
        "this realized gain/loss file does not name its account and its file name is not "
        "Realized_Gain_Loss_Account_<account>.csv; pass account= to load_export")


def test_total_and_short_sale_rows_are_skipped(write):
    rows = [*ROWS[:2], 'TSLA(88160R101),"TESLA INC",-5.0,03/01/2026,03/20/2026,"$900.00 ",'
            '"$1,000.00 ","-$100.00 ",', 'Total,,,,,"$7,692.50 ","$6,765.00 ",,']
    e = load_export(write("r.csv", content(rows)), account="Z1")
    assert e.realized["source_line"].tolist() == [2, 3]
    assert e.skipped["line"].tolist() == [4, 5]
    assert e.skipped["reason"].tolist() == [
        "quantity is not positive (a short sale or an adjustment): not a closed long lot",
        "total row: a sum of the lots above"]


def test_wash_sale_column_when_present(write):
    header = HEADER + ",Wash Sale Loss Disallowed"
    rows = [ROWS[3] + ',"$65.00 "']
    e = load_export(write("r.csv", content(rows, header=header)), account="Z1")
    assert e.realized["wash_sale_disallowed"].tolist() == [65.0]


def test_data_like_line_after_the_table_is_reported(write):
    e = load_export(write("r.csv", content(footer=[*FOOTER, ROWS[0]])), account="Z1")
    assert e.skipped["line"].tolist() == [10]
    assert e.skipped["reason"].tolist() == [
        "data-like line after the end of the realized gain/loss table"]


def test_missing_column(write):
    header = HEADER.replace(",Date Sold", "")
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("r.csv", content(["x"], header=header)), account="Z1")
    assert (exc.value.line, exc.value.column) == (1, "Date Sold")


def test_bad_date_skips_the_closed_lot(write):
    rows = [ROWS[0], ROWS[1].replace("04/21/2026", "04/31/2026")]
    e = load_export(write("r.csv", content(rows)), account="Z1")
    assert e.realized["symbol"].tolist() == ["VTI"]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records") == [
        {"line": 3, "reason": "cannot read Date Sold '04/31/2026': expected a date",
         "account": "Z1", "symbol": "VXUS"}]


def test_truncated_inside_quotes(write):
    text = content(footer=[])
    with pytest.raises(FormatError) as exc:
        load_export(write("r.csv", text[: text.rindex('"$805.00') + 5]), account="Z1")
    assert exc.value.line == 6


def test_truncated_row(write):
    text = content(footer=[])
    with pytest.raises(FormatError) as exc:
        load_export(write("r.csv", text[: text.rindex(',"APPLE INC"')]), account="Z1")
    assert (exc.value.line, exc.value.message) == (
        6, "row has 1 cells but the header needs 9; the file looks truncated or the row is "
           "malformed")


def test_detected_by_content(write):
    assert load_export(write("x.txt", content()), account="Z1").format == "fidelity_realized"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty; expected a brokerage export"),
    (b"\x00\x01\x02binary",
     "format 'fidelity_realized' reads text files, but this file is binary data"),
], ids=["empty", "binary"])
def test_empty_and_binary_files(write, data, message):
    with pytest.raises(FormatError) as exc:
        load_export(write("f.dat", data), format="fidelity_realized", account="A1", symbol="S")
    assert exc.value.message == message
