"""Schwab Realized Gain/Loss: the 2021 layout, the 2024-26 Lot Details view (single account
and All_Accounts blocks), the other synthetic variant, malformed files, the shared file."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

H2021 = ('"Symbol","Name","Closed Date","Quantity","Proceeds","CostBasis","Total Gain/Loss ($)",'
         '"Total Gain/Loss (%)","Long Term Gain/Loss ($)","Long Term Gain/Loss (%)",'
         '"Short Term Gain/Loss ($)","Short Term Gain/Loss (%)","Wash Sale?","Disallowed Loss",'
         '"Transaction Closed Date","Transaction Cost Basis","Total Transaction Gain/Loss ($)",'
         '"Total Transaction Gain/Loss (%)","LT Transaction Gain/Loss ($)",'
         '"LT Transaction Gain/Loss (%)","ST Transaction Gain/Loss ($)",'
         '"ST Transaction Gain/Loss (%)"')
HLOTS = ("Symbol,Name,Closed Date,Opened Date,Quantity,Proceeds Per Share,Cost Per Share,"
         "Proceeds,Cost Basis (CB),Gain/Loss ($),Gain/Loss (%),Long Term Gain/Loss,"
         "Short Term Gain/Loss,Term,Unadjusted Cost Basis,Wash Sale?,Disallowed Loss,"
         "Transaction Closed Date,Transaction Cost Basis,Total Transaction Gain/Loss ($),"
         "Total Transaction Gain/Loss (%),LT Transaction Gain/Loss ($),"
         "LT Transaction Gain/Loss (%),ST Transaction Gain/Loss ($),"
         "ST Transaction Gain/Loss (%)")


def q(cells):
    return ",".join(f'"{c}"' for c in cells)


def test_2021_layout(write):
    text = "\n".join([
        "Realized Gain/Loss for XXXX-1234 for 01/01/2021 to 09/28/2021 as of Tue Sep 28  "
        "23:17:11 EDT 2021",
        H2021,
        q(["VTI", "VANGUARD TOTAL STOCK MKT ETF", "03/15/2021", "10", "$2,100.00",
           "$1,600.00", "$500.00", "31.25%", "$500.00", "31.25%", "--", "--", "No", "", "",
           "", "", "", "", "", "", ""]),
        q(["ARKK", "ARK INNOVATION ETF", "05/11/2021", "5.5", "$550.00", "$700.00", "-$150.00",
           "-21.43%", "--", "--", "-$150.00", "-21.43%", "Yes", "$150.00", "", "", "", "", "",
           "", "", ""]),
    ]) + "\n"
    e = load_export(write("XXXX1234_GainLoss_Realized_20210928-231711.CSV", text, crlf=True))
    assert e.format == "schwab_realized"
    assert e.as_of == pd.Timestamp("2021-09-28")
    r = e.realized
    assert r["account"].tolist() == ["XXXX-1234", "XXXX-1234"]
    assert r["symbol"].tolist() == ["VTI", "ARKK"]
    assert r["quantity"].tolist() == [10.0, 5.5]
    assert r["sold"].tolist() == [pd.Timestamp("2021-03-15"), pd.Timestamp("2021-05-11")]
    assert r["acquired"].isna().all()  # the 2021 layout has no acquisition date
    assert r["proceeds"].tolist() == [2100.0, 550.0]
    assert r["cost_basis"].tolist() == [1600.0, 700.0]
    assert r["gain"].tolist() == [500.0, -150.0]
    assert r["term"].tolist() == ["long", "short"]
    assert r["wash_sale_disallowed"].tolist() == [0.0, 150.0]
    assert r["source_line"].tolist() == [3, 4]
    assert e.skipped.empty
    assert e.accounts["account"].tolist() == ["XXXX-1234"]


def lot_details_single(label="...615", rows=None):
    n = 25
    title = (f"Realized Gain/Loss - Lot Details for {label} as of Wed Sep 16  10:16:58 EDT 2026 "
             "from 06/16/2026 to 09/16/2026")
    rows = rows if rows is not None else [
        ["AAPL 09/16/2026 337.50 C", "CALL APPLE INC $337.5 EXP 09/16/26", "09/16/2026",
         "09/16/2026", "1", "$0.40", "$0.52", "$40.34", "$51.98", "-$11.64", "-22.39%", "",
         "-$11.64", "Short Term", "$51.98", "Yes", "$11.64", "09/16/2026", "$42.66", "-$2.32",
         "-5.44%", "", "", "-$2.32", "-5.44%"],
        ["NVDA", "NVIDIA CORP", "07/01/2026", "06/20/2024", "10", "$140.00", "$130.00",
         "$1,400.00", "$1,300.00", "$100.00", "7.69%", "$100.00", "", "Long Term",
         "$1,300.00", "No", "", "07/01/2026", "", "", "", "", "", "", ""],
    ]
    lines = [q([title] + [""] * (n - 1)), q(HLOTS.split(","))] + [q(r) for r in rows]
    return "\n".join(lines) + "\n"


def test_lot_details_single_account(write):
    e = load_export(write("Individual_GainLoss_Realized_Details_20260916-101658.csv",
                          lot_details_single()))
    assert e.as_of == pd.Timestamp("2026-09-16")  # the end of the report's period
    r = e.realized
    assert r["account"].tolist() == ["...615", "...615"]
    assert r["symbol"].tolist() == ["AAPL 09/16/2026 337.50 C", "NVDA"]
    assert r["acquired"].tolist() == [pd.Timestamp("2026-09-16"), pd.Timestamp("2024-06-20")]
    assert r["sold"].tolist() == [pd.Timestamp("2026-09-16"), pd.Timestamp("2026-07-01")]
    assert r["proceeds"].tolist() == [40.34, 1400.0]
    assert r["cost_basis"].tolist() == [51.98, 1300.0]
    assert r["gain"].tolist() == [-11.64, 100.0]
    assert r["term"].tolist() == ["short", "long"]
    assert r["wash_sale_disallowed"].tolist() == [11.64, 0.0]
    assert r["source_line"].tolist() == [3, 4]


def test_lot_details_all_accounts_blocks(write):
    text = "\n".join([
        "Realized Gain/Loss - Lot Details for All_Accounts as of Tue Mar 03  19:13:09 EDT 2026 "
        "from 01/01/2026 to 03/03/2026",
        "Individual Brokerage ...1234",
        HLOTS,
        "TEST,TEST SYMBOL,01/03/2026,01/02/2026,10,$8.00,$10.00,$80.00,$100.00,-$20.00,-20%,,"
        "$-20.00,Short Term,$100.00,No,,01/03/2026,,,,,,,",
        "",
        "Roth Contributory IRA ...567",
        HLOTS,
        "VXUS,VANGUARD TOTAL INTL,02/02/2026,03/01/2020,\"1,000\",$65.00,$50.00,\"$65,000.00\","
        "\"$50,000.00\",\"$15,000.00\",30%,\"$15,000.00\",,Long Term,\"$50,000.00\",No,,02/02/2026"
        ",,,,,,,",
        "Total,,,,\"1,000\",,,\"$65,000.00\",\"$50,000.00\",\"$15,000.00\",,,,,,,,,,,,,,,",
        "",
    ]) + "\n"
    e = load_export(write("All_Accounts_GainLoss_Realized_Details_20260303-191309.csv", text))
    assert e.as_of == pd.Timestamp("2026-03-03")
    r = e.realized
    assert r["account"].tolist() == ["...1234", "...567"]
    assert r["quantity"].tolist() == [10.0, 1000.0]
    assert r["gain"].tolist() == [-20.0, 15000.0]
    assert r["term"].tolist() == ["short", "long"]
    assert r["source_line"].tolist() == [4, 8]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...1234", "name": "Individual Brokerage", "custodian": "schwab"},
        {"account": "...567", "name": "Roth Contributory IRA", "custodian": "schwab"}]
    assert e.skipped["line"].tolist() == [9]
    assert e.skipped["reason"].tolist() == ["total row: a sum of the lots above"]


def test_other_synthetic_variant_with_nickname_title(write):
    header = ("Symbol,Name,Closed Date,Opened Date,Quantity,Proceeds/Share,Cost/Share,"
              "Total Proceeds,Cost Basis,Gain/Loss $,Gain/Loss %,LT Gain/Loss,ST Gain/Loss,Term,"
              "Unadjusted Cost,Wash Sale?,Disallowed Loss,Cost Basis Method")
    text = "\n".join([
        q(["Realized Gain/Loss - Lot Details for Joint_Tenant as of Sun May 03  13:18:19 EDT "
           "2026 from 01/01/2024 to 05/03/2026"] + [""] * 17),
        q(header.split(",")),
        q(["VUG", "VANGUARD GROWTH ETF", "04/21/2026", "11/23/2016", "0.03", "$82.73", "$18.48",
           "$2.73", "$0.61", "$2.12", "347.54%", "$2.12", "", "Long Term", "$0.61", "NO", "",
           "FIFO"]),
        q(["BND", "VANGUARD TOTAL BOND", "04/22/2026", "03/01/2026", "2", "$70.00", "$75.00",
           "$140.00", "$150.00", "-$10.00", "-6.67%", "", "-$10.00", "Short Term", "$150.00",
           "YES", "$10.00", "FIFO"]),
    ]) + "\n"
    p = write("Joint_Tenant_GainLoss_Realized_Details_20260503-131819.csv", text)
    e = load_export(p, account="...753")
    r = e.realized
    assert r["account"].tolist() == ["...753", "...753"]
    assert r["proceeds"].tolist() == [2.73, 140.0]
    assert r["cost_basis"].tolist() == [0.61, 150.0]
    assert r["gain"].tolist() == [2.12, -10.0]
    assert r["term"].tolist() == ["long", "short"]
    assert r["wash_sale_disallowed"].tolist() == [0.0, 10.0]
    assert e.accounts.to_dict(orient="records") == [
        {"account": "...753", "name": "Joint Tenant", "custodian": "schwab"}]
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.line == 1
    assert exc.value.message == (
        "this realized gain/loss file does not name its account id (it names only 'Joint "
        "Tenant'), and the file name has none; pass account=... to load_export (for example "
        "account='...234')")


def test_both_long_and_short_gain_leaves_term_missing(write, shared_samples):
    e = load_export(shared_samples / "schwab__FINporterChuck__GainLoss_Realized_2021_fromtest.csv")
    assert pd.isna(e.realized["term"].iloc[0])
    assert e.notes == ["1 closed lot(s) report both a long-term and a short-term gain (line 3); "
                       "their term is left missing"]


def test_missing_closed_date_column(write):
    text = lot_details_single().replace("Closed Date,", "Sold On,", 1)
    text = text.replace('"Closed Date"', '"Sold On"')
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("r.csv", text))
    assert (exc.value.line, exc.value.column) == (2, "Closed Date")


def test_bad_proceeds_cell_skips_the_closed_lot(write):
    clean = load_export(write("c.csv", lot_details_single()))
    e = load_export(write("r.csv", lot_details_single().replace('"$1,400.00"', '"lots"')))
    assert len(e.realized) == len(clean.realized) - 1
    assert e.skipped[["line", "reason"]].to_dict("records")[0] == {
        "line": 4, "reason": "cannot read Proceeds 'lots': expected a number"}


def test_truncated_mid_row(write):
    text = lot_details_single()
    with pytest.raises(FormatError) as exc:
        load_export(write("r.csv", text[: text.index("NVIDIA CORP") + 4]))
    assert exc.value.line == 4


def test_shared_reference_file(shared_samples):
    e = load_export(shared_samples / "schwab__FINporterChuck__GainLoss_Realized_2021_fromtest.csv")
    # By hand: one closed lot, VEA 3 sh closed 09/27/2021, proceeds $12.00, basis $10.00,
    # gain $2.00 (LT 0.50 + ST $1.50), Wash Sale? No -> disallowed 0; period ends 09/28/2021.
    assert e.format == "schwab_realized"
    assert e.as_of == pd.Timestamp("2021-09-28")
    r = e.realized
    assert len(r) == 1
    assert (r["symbol"].iloc[0], r["quantity"].iloc[0], r["sold"].iloc[0]) == (
        "VEA", 3.0, pd.Timestamp("2021-09-27"))
    assert r["proceeds"].sum() == pytest.approx(12.0)
    assert r["cost_basis"].sum() == pytest.approx(10.0)
    assert r["gain"].sum() == pytest.approx(2.0)
    assert r["wash_sale_disallowed"].tolist() == [0.0]
    assert r["account"].tolist() == ["...234"]
    assert e.skipped.empty


def test_rows_without_symbol_or_quantity_and_short_rows_are_skipped(write):
    base = ["NVDA", "NVIDIA CORP", "07/01/2026", "06/20/2024", "10", "$140.00", "$130.00",
            "$1,400.00", "$1,300.00", "$100.00", "7.69%", "$100.00", "", "Long Term",
            "$1,300.00", "No", "", "07/01/2026", "", "", "", "", "", "", ""]
    rows = [base, ["", *base[1:]], [*base[:4], "--", *base[5:]], [*base[:4], "-3", *base[5:]]]
    e = load_export(write("r.csv", lot_details_single(rows=rows)))
    assert e.realized["source_line"].tolist() == [3]
    assert e.skipped["line"].tolist() == [4, 5, 6]
    assert e.skipped["reason"].tolist() == [
        "row has no symbol", "row has no quantity",
        "quantity is not positive: closed short positions are not supported"]
