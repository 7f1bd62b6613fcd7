"""Robinhood activity report: quoted multi-line records, parenthesised negatives, Trans Codes,
option symbols, the disclaimer footer, and malformed files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export
from toolkit.io.robinhood import CODES

HEADER = ('"Activity Date","Process Date","Settle Date","Instrument","Description",'
          '"Trans Code","Quantity","Price","Amount"')
DISCLAIMER = ('"","","","","","","","","","The data provided is for informational purposes '
              'only. Please consult a professional tax service or personal tax advisor."')


def row(*cells):
    return ",".join(f'"{c}"' for c in cells)


ROWS = [
    row("3/3/2026", "3/3/2026", "3/5/2026", "SPY", "SPY 3/20/2026 Call $580.00", "STC", "2",
        "$4.25", "$850.00"),                                                           # 2
    row("3/2/2026", "3/2/2026", "3/4/2026", "AAPL", "Apple\nCUSIP: 037833100", "Sell", "100",
        "$189.10", "$18,910.00"),                                                      # 3-4
    row("3/2/2026", "3/2/2026", "3/2/2026", "MSFT", "Cash Div: R/D 2026-02-15", "CDIV", "", "",
        "$7.50"),                                                                      # 5
    row("3/2/2026", "3/2/2026", "3/2/2026", "MSFT",
        "Microsoft\nCUSIP: 594918104\nDividend Reinvestment", "Buy", "0.0181", "$414.36",
        "($7.50)"),                                                                    # 6-8
    row("2/27/2026", "2/27/2026", "3/2/2026", "AAPL", "Apple\nCUSIP: 037833100\nRecurring",
        "Buy", "0.2", "$218.20", "($43.64)"),                                          # 9-11
    row("2/20/2026", "2/20/2026", "2/20/2026", "NVDA", "Nvidia\nCUSIP: 67066G104", "SPL",
        "8S", "", ""),                                                                 # 12-13
    row("2/15/2026", "2/15/2026", "2/15/2026", "", "Gold Subscription Fee", "GOLD", "", "",
        "($5.00)"),                                                                    # 14
    row("2/10/2026", "2/10/2026", "2/10/2026", "SPY", "Option Expiration for SPY 2/6/2026 Put "
        "$500.00", "OEXP", "1", "", ""),                                               # 15
    row("2/2/2026", "2/2/2026", "2/3/2026", "", "ACH Withdrawal", "ACH", "", "",
        "($1,000.00)"),                                                                # 16
    row("2/1/2026", "2/1/2026", "2/1/2026", "", "ACH Deposit", "ACH", "", "", "$5,000.00"),  # 17
    row("1/30/2026", "1/30/2026", "1/30/2026", "SOFI", "SoFi Technologies spin-off", "SOFF",
        "3", "", ""),                                                                  # 18
]


def content(rows=ROWS, footer=("", DISCLAIMER), header=HEADER):
    return "\n".join([header, *rows, *footer]) + "\n"


@pytest.fixture
def export(write):
    return load_export(write("Robinhood.csv", content()), account="RH-1")


def test_records_and_lines(export):
    t = export.transactions
    assert export.format == "robinhood_activity_csv"
    assert export.custodian == "robinhood"
    assert t["source_line"].tolist() == [2, 3, 5, 6, 9, 12, 14, 15, 16, 17, 18]
    assert t["date"].tolist()[:2] == [pd.Timestamp("2026-03-03"), pd.Timestamp("2026-03-02")]
    assert t["settle_date"].tolist()[0] == pd.Timestamp("2026-03-05")
    assert t["account"].unique().tolist() == ["RH-1"]
    assert export.skipped.empty
    assert export.accounts[["account", "custodian"]].values.tolist() == [["RH-1", "robinhood"]]


def test_actions_quantities_amounts(export):
    t = export.transactions
    assert t["action"].tolist() == ["sell", "sell", "dividend", "reinvest", "buy", "split", "fee",
                                    "other", "withdrawal", "contribution", "other"]
    assert t["action_text"].tolist() == ["STC", "Sell", "CDIV", "Buy", "Buy", "SPL", "GOLD",
                                         "OEXP", "ACH", "ACH", "SOFF"]
    np.testing.assert_array_equal(
        t["quantity"], [-2.0, -100.0, np.nan, 0.0181, 0.2, 8.0, np.nan, np.nan, np.nan, np.nan,
                        np.nan])
    np.testing.assert_array_equal(
        t["amount"], [850.0, 18910.0, 7.5, -7.5, -43.64, np.nan, -5.0, np.nan, -1000.0, 5000.0,
                      np.nan])
    np.testing.assert_array_equal(t["price"][:2], [4.25, 189.10])
    assert t["fees"].isna().all()


def test_symbols_and_descriptions(export):
    t = export.transactions
    # option rows get an option symbol built from the description, never the stock's
    assert t["symbol"].tolist()[:2] == ["-SPY260320C580", "AAPL"]
    assert t["symbol"].iloc[7] == "-SPY260206P500"
    assert pd.isna(t["symbol"].iloc[6])
    assert t["description"].tolist()[3] == "Microsoft; CUSIP: 594918104; Dividend Reinvestment"


def test_codes_without_a_direction_are_noted(export):
    assert export.notes == [
        "Trans Codes kept as 'other' without a quantity (Robinhood does not sign quantities; "
        "the direction is not in the row): OEXP (1), SOFF (1); 2 of these rows had a quantity"]


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_trans_code_has_an_action(write, code):
    sign = -1 if code in ("ACH", "RTP", "DCF", "WIRE", "XENT", "ACATI", "ACATO") else 1
    amount = "($10.00)" if sign < 0 else "$10.00"
    rows = [row("1/5/2026", "1/5/2026", "1/5/2026", "XYZ", "Something", code, "2", "$5.00",
                amount)]
    t = load_export(write("r.csv", content(rows)), account="RH-1").transactions
    action, how = CODES[code]
    want = {"cash": "withdrawal", "transfer": "transfer_out"}.get(how, action.value)
    assert t["action"].tolist() == [want]
    want_qty = {"+": 2.0, "-": -2.0}.get(how, np.nan)
    np.testing.assert_array_equal(t["quantity"], [want_qty])
    assert t["amount"].tolist() == [-10.0 if sign < 0 else 10.0]


def test_single_cell_disclaimer_and_trailing_rows(write):
    footer = ['"The data provided is for informational purposes only."', ROWS[0]]
    e = load_export(write("r.csv", content(ROWS[:1], footer=footer)), account="RH-1")
    assert len(e.transactions) == 1
    assert e.skipped["line"].tolist() == [4]
    assert e.skipped["reason"].tolist() == ["data-like row after the end of the activity table"]


def test_no_disclaimer_is_noted(write):
    e = load_export(write("r.csv", content(ROWS[:1], footer=())), account="RH-1")
    assert e.notes == ["no disclaimer row at the end; the report may be incomplete"]


def test_account_is_required(write):
    with pytest.raises(FormatError) as exc:
        load_export(write("r.csv", content()))
    assert exc.value.message == ("Robinhood activity reports do not name their account; pass "
                                 "account= to load_export (e.g. account='robinhood-individual')")


def test_cut_off_inside_a_multiline_description(write):
    text = content(footer=())
    cut = text[: text.index("CUSIP: 594918104") + 5]
    with pytest.raises(FormatError) as exc:
        load_export(write("r.csv", cut), account="RH-1")
    assert exc.value.line == 6
    assert exc.value.message.endswith("the file looks cut off mid-row")


def test_cut_off_between_cells(write):
    text = content(ROWS[:2], footer=()) + '"2/1/2026","2/1/2026","2/1/2026","AAPL"\n'
    with pytest.raises(FormatError) as exc:
        load_export(write("r.csv", text), account="RH-1")
    assert (exc.value.line, exc.value.message) == (
        5, "row has 4 cells but the header needs 9; the file looks truncated or the row is "
           "malformed")


def test_bad_amount_and_date_skip_their_rows(write):
    rows = [row("1/5/2026", "1/5/2026", "1/5/2026", "", "ACH Deposit", "ACH", "", "", "$5,0O0"),
            row("13/5/2026", "1/5/2026", "1/5/2026", "", "ACH Deposit", "ACH", "", "", "$5"),
            row("1/6/2026", "1/6/2026", "1/6/2026", "", "ACH Deposit", "ACH", "", "", "$7")]
    e = load_export(write("r.csv", content(rows)), account="RH-1")
    assert e.transactions["amount"].tolist() == [7.0]
    assert e.skipped[["line", "reason", "account"]].to_dict("records")[:2] == [
        {"line": 2, "reason": "cannot read Amount '$5,0O0': expected a number",
         "account": "RH-1"},
        {"line": 3, "reason": "cannot read Activity Date '13/5/2026': expected a date",
         "account": "RH-1"}]


def test_missing_column(write):
    header = HEADER.replace(',"Amount"', "")
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("r.csv", content(ROWS[:1], header=header)), account="RH-1")
    assert (exc.value.line, exc.value.column) == (1, "Amount")


def test_sample_file(samples):
    from tests import golden

    path = samples / "formats" / "robinhood" / "Robinhood_activity_2026-11-20.csv"
    e = golden.load(path)
    t = e.transactions
    assert t["account"].unique().tolist() == ["RH-5521"]
    # cash by hand: -50 - 5 + 639.96 - 12.98 + 12.98 + 1220.48 + 4.12 + 0.37 - 2.94 + 14.00
    # - 435.04 - 1000 + 2500 - 2301.50 = 584.45
    assert t["amount"].sum() == pytest.approx(584.45)
    # AAPL shares: +10 bought, -5 sold, +10 from the split = 15
    aapl = t[t["symbol"].eq("AAPL").fillna(False)]
    assert aapl["quantity"].sum() == pytest.approx(15.0)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty; expected a brokerage export"),
    (b"\x00\x01\x02binary",
     "format 'robinhood_activity_csv' reads text files, but this file is binary data"),
], ids=["empty", "binary"])
def test_empty_and_binary_files(write, data, message):
    with pytest.raises(FormatError) as exc:
        load_export(write("f.dat", data), format="robinhood_activity_csv", account="A1", symbol="S")
    assert exc.value.message == message
