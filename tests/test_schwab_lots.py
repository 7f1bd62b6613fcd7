"""Schwab per-symbol Lot Details: banner symbol/account/date, lots, Total row, wash sales,
short lots, options without a banner, malformed files."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.errors import FormatError, MissingColumnError
from toolkit.io import load_export

HEADER = ('"Open Date","Transaction Open","Quantity","Price","Cost/Share","Transaction CPS",'
          '"Market Value","Cost Basis","Transaction CB","Gain/Loss $","Transaction G/L $",'
          '"Gain/Loss %","Transaction G/L %","Holding Period","Disallowed Loss",')
ROWS = [
    # Open Date, Transaction Open, Qty, Price, Cost/Share, Tr CPS, MV, Cost Basis, Tr CB,
    # G/L $, Tr G/L $, G/L %, Tr G/L %, Holding Period, Disallowed Loss
    '"08/31/2020 00:00:00","--","24","$1.00","$5.00","--","$24.00","$120.00","--","-$96.00",'
    '"--","-80.00%","--","Short Term","--",',
    '"08/30/2019 13:42:07","--","16","$1.00","$10.00","--","$16.00","$160.00","--","-$144.00",'
    '"--","-90.00%","--","Long Term","$12.50",',
    '"09/15/2020 00:00:00","--","1,250.5","$1.00","$2.00","--","$1,250.50","$2,501.00","--",'
    '"-$1,250.50","--","-50.00%","--","Short Term","--",',
]
TOTAL = ('"Total","--","1,290.5","--","--","--","$1,290.50","$2,781.00","--","-$1,490.50",'
         '"--","--","--","--","--",')


def content(banner='"HYLB Lot Details for XXXX-4321 as of 02:45 AM ET, 10/25/2020"',
            rows=ROWS, total=TOTAL):
    lines = ([banner, ""] if banner else []) + [HEADER, *rows] + ([total] if total else [])
    return "\n".join(lines) + "\n"


def test_lots_from_banner_and_rows(write):
    e = load_export(write("HYLB.csv", content(), crlf=True))
    assert e.format == "schwab_lot_details"
    assert e.as_of == pd.Timestamp("2020-10-25")
    lots = e.lots
    assert lots["account"].tolist() == ["XXXX-4321"] * 3
    assert lots["symbol"].tolist() == ["HYLB"] * 3
    assert lots["quantity"].tolist() == [24.0, 16.0, 1250.5]
    assert lots["cost_basis"].tolist() == [120.0, 160.0, 2501.0]
    assert lots["acquired"].tolist() == [pd.Timestamp("2020-08-31"), pd.Timestamp("2019-08-30"),
                                         pd.Timestamp("2020-09-15")]
    assert lots["holding_start"].tolist() == lots["acquired"].tolist()
    assert lots["term"].tolist() == ["short", "long", "short"]
    assert lots["wash_sale_disallowed"].iloc[1] == 12.5
    assert lots["wash_sale_disallowed"].isna().tolist() == [True, False, True]
    assert lots["source_line"].tolist() == [4, 5, 6]
    assert lots["lot_id"].tolist() == ["HYLB.csv:4", "HYLB.csv:5", "HYLB.csv:6"]
    assert e.skipped["line"].tolist() == [7]
    assert e.skipped["reason"].tolist() == ["total row: the sum of the lots above"]
    assert e.accounts["account"].tolist() == ["XXXX-4321"]
    assert e.accounts["name"].isna().all()
    assert e.notes == []


def test_total_that_disagrees_is_noted(write):
    e = load_export(write("HYLB.csv", content(total=TOTAL.replace('"1,290.5"', '"20"'))))
    assert e.notes == ["line 7: the Total row's quantity 20.0000 differs from the sum of the "
                       "lots 1,290.5000"]


def test_short_lot_is_skipped(write):
    rows = [*ROWS[:1], ROWS[1].replace('"16"', '"-16"')]
    e = load_export(write("HYLB.csv", content(rows=rows, total=None)))
    assert e.lots["quantity"].tolist() == [24.0]
    assert e.skipped["reason"].tolist() == ["short lot: short positions are not supported"]
    assert e.skipped["line"].tolist() == [5]


def test_option_symbol_with_spaces_in_banner(write):
    banner = '"SPY 03/31/2021 284.00 P Lot Details for ...234 as of 10:00 AM ET, 2021/03/01"'
    e = load_export(write("lots.csv", content(banner=banner, rows=ROWS[:1], total=None)))
    assert e.lots["symbol"].tolist() == ["SPY 03/31/2021 284.00 P"]
    assert e.lots["account"].tolist() == ["...234"]
    assert e.as_of == pd.Timestamp("2021-03-01")


def test_without_banner_symbol_and_account_from_options(write):
    p = write("lots.csv", content(banner=None, rows=ROWS[:1], total=None))
    e = load_export(p, symbol="HYLB", account="XXXX-4321")
    assert e.lots[["account", "symbol"]].values.tolist() == [["XXXX-4321", "HYLB"]]
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert exc.value.message == ("this lot-details file has no banner naming its symbol; pass "
                                 "symbol=... to load_export")


def test_missing_cost_basis_column(write):
    header = '"Open Date","Quantity","Price","Holding Period","Disallowed Loss",'
    text = ('"HYLB Lot Details for XXXX-4321 as of 02:45 AM ET, 10/25/2020"\n\n' + header
            + '\n"08/31/2020","24","$1.00","Short Term","--",\n')
    with pytest.raises(MissingColumnError) as exc:
        load_export(write("HYLB.csv", text))
    assert (exc.value.line, exc.value.column) == (3, "Cost Basis")


def test_bad_open_date_skips_the_lot(write):
    rows = [ROWS[0], ROWS[1].replace("08/30/2019 13:42:07", "sometime")]
    e = load_export(write("HYLB.csv", content(rows=rows)))
    assert e.lots["source_line"].tolist() == [4]
    assert e.skipped[["line", "reason", "account", "symbol"]].to_dict("records")[0] == {
        "line": 5, "reason": "cannot read Open Date 'sometime': expected a date",
        "account": "XXXX-4321", "symbol": "HYLB"}


def test_truncated_mid_row(write):
    text = content(total=None)
    with pytest.raises(FormatError) as exc:
        load_export(write("HYLB.csv", text[: text.rindex("Short Term") + 4]))
    assert exc.value.line == 6
