"""The shared cell cleanup: money, percents, nulls and every date form brokers write."""

from __future__ import annotations

import datetime
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import FormatError
from toolkit.io import _clean as clean


def where(n):
    return clean.Where("f.csv", pd.Series(range(10, 10 + n)))


def s(*values):
    return pd.Series(list(values), dtype="str")


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("$1,234.56", 1234.56),
        ("-$1,234.56", -1234.56),
        ("+$150.25", 150.25),
        ("+$11,945.20", 11945.20),
        ("($1,234.56)", -1234.56),
        ("(3,221.30)", -3221.30),
        ("1234.5", 1234.5),
        (".00", 0.0),
        ("10,000", 10000.0),
        ("1,259.59", 1259.59),
        ("$12.00 ", 12.0),
        ("$-5.00", -5.0),
        ("5.00-", -5.0),
    ],
)
def test_number_forms(cell, value):
    assert clean.number(s(cell), column="c", where=where(1)).iloc[0] == value


@pytest.mark.parametrize("cell", ["--", "n/a", "N/A", "-", "", '""', "Incomplete",
                                  "not applicable", None])
def test_null_tokens(cell):
    assert math.isnan(clean.number(s(cell), column="c", where=where(1)).iloc[0])


def test_percent():
    got = clean.number(s("+0.32%", "-2.9%", "--"), column="p", where=where(3), percent=True)
    assert got.iloc[0] == pytest.approx(0.0032, abs=1e-15)
    assert got.iloc[1] == pytest.approx(-0.029, abs=1e-15)
    assert math.isnan(got.iloc[2])


def test_bad_number_names_line_and_column():
    with pytest.raises(FormatError) as exc:
        clean.number(s("1.0", "abc"), column="Quantity", where=where(2))
    assert exc.value.line == 11
    assert exc.value.column == "Quantity"
    assert exc.value.path == "f.csv"
    assert str(exc.value) == "f.csv, line 11, column 'Quantity': expected a number, found 'abc'"


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        ("11/20/2026", "2026-11-20"),
        ("1/5/2026", "2026-01-05"),
        ("2023/04/23", "2023-04-23"),
        ("2024-07-19", "2024-07-19"),
        ("Dec-05-2025", "2025-12-05"),
        ("07-15-2026", "2026-07-15"),
        ("20240102;093005", "2024-01-02"),
        ("20240102", "2024-01-02"),
        ("2023-07-07, 15:39:46", "2023-07-07"),
        ("2011-08-08;134413", "2011-08-08"),
        ("04/17/2023 as of 04/15/2023", "2023-04-15"),
        ("08/31/2020 00:00:00", "2020-08-31"),
        ("Feb 14 2023", "2023-02-14"),
        ("December 31, 2025", "2025-12-31"),
        ("June 5 2026", "2026-06-05"),
        # OFX date-times: the date as written, whatever the time and zone
        ("20251231", "2025-12-31"),
        ("202512312359", "2025-12-31"),
        ("20251231200000", "2025-12-31"),
        ("20251231200000.000[-5:EST]", "2025-12-31"),
        ("20251231233000.123[+9]", "2025-12-31"),
        ("20251231120000[0:GMT]", "2025-12-31"),
    ],
)
def test_date_forms(cell, iso):
    got = clean.date(s(cell), column="d", where=where(1))
    assert got.iloc[0] == pd.Timestamp(iso)
    assert str(got.dtype) == "datetime64[us]"


def test_as_of_posting_date_when_asked():
    got = clean.date(s("04/17/2023 as of 04/15/2023"), column="d", where=where(1),
                     prefer_as_of=False)
    assert got.iloc[0] == pd.Timestamp("2023-04-17")


def test_mixed_forms_in_one_column_and_nulls():
    got = clean.date(s("11/20/2026", "2026-11-21", "--"), column="d", where=where(3))
    assert got.iloc[0] == pd.Timestamp("2026-11-20")
    assert got.iloc[1] == pd.Timestamp("2026-11-21")
    assert pd.isna(got.iloc[2])


def test_ofx_date_time_keeps_the_written_day_in_a_column():
    got = clean.date(s("20251231200000.000[-5:EST]", "20260102", "20260105093000"),
                     column="DTTRADE", where=where(3))
    assert got.tolist() == [pd.Timestamp("2025-12-31"), pd.Timestamp("2026-01-02"),
                            pd.Timestamp("2026-01-05")]


def test_column_led_by_a_date_time_still_reads_other_forms():
    got = clean.date(s("20251231200000.000[-5:EST]", "11/20/2026", "Dec-05-2025", "--"),
                     column="d", where=where(4))
    assert got.tolist()[:3] == [pd.Timestamp("2025-12-31"), pd.Timestamp("2026-11-20"),
                                pd.Timestamp("2025-12-05")]
    assert pd.isna(got.iloc[3])


@pytest.mark.parametrize("cell", ["20251231200000.000[-5:EST", "2025123120", "20251331"])
def test_malformed_ofx_date_times_are_errors(cell):
    with pytest.raises(FormatError) as exc:
        clean.date(s(cell), column="DTTRADE", where=where(1))
    assert exc.value.message == f"expected a date, found {cell!r}"


def test_bad_date_names_line():
    with pytest.raises(FormatError) as exc:
        clean.date(s("11/20/2026", "13/45/2026"), column="Run Date", where=where(2))
    assert exc.value.line == 11
    assert exc.value.column == "Run Date"


@pytest.mark.parametrize(("cusip", "ok"), [("037833100", True), ("922908769", True),
                                           ("922908768", False), ("VTI", False),
                                           ("38259P508", True)])
def test_cusip_check_digit(cusip, ok):
    # Apple 037833100, Vanguard Total Stock Market ETF 922908769, Google (2004) 38259P508
    assert clean.is_cusip(cusip) is ok


def test_cusips_of_a_column_without_any():
    # every cell missing or not a CUSIP (a German ISIN): all missing, no dtype warning
    got = clean.cusips(pd.Series([None, "DE0007164600", None], dtype="str"))
    assert got.isna().all()
    assert clean.cusips(pd.Series(["922908769", None], dtype="str")).tolist()[0] == "922908769"


def test_symbol_cleanup():
    got = clean.symbol(s(" -SNDK270917C1500", "SPAXX**", "USD***", " VTI ", "--"))
    assert got.tolist()[:4] == ["-SNDK270917C1500", "SPAXX", "USD", "VTI"]
    assert pd.isna(got.iloc[4])


# --- C-speed fast paths give exactly what the full cleanup gives ------------------------------

_plain_cell = st.one_of(
    st.just(""),
    st.floats(min_value=-1e14, max_value=1e14, allow_nan=False, width=64).map(repr),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False).map(str),
)


@settings(deadline=None)  # a shared CI machine: timing is not what this test checks
@given(st.lists(_plain_cell, min_size=1, max_size=30))
def test_number_fast_path_matches_full_cleanup(cells):
    fast = clean.number(s(*cells), column="c", where=where(len(cells)))
    # a "$" cell forces the full cleanup for the whole column
    full = clean.number(s(*cells, "$1"), column="c", where=where(len(cells) + 1)).iloc[:-1]
    pd.testing.assert_series_equal(fast, full)


_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31))


@settings(deadline=None)
@given(st.lists(st.one_of(st.just(""), _dates), min_size=1, max_size=30),
       st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%-m/%-d/%Y"]))
def test_date_fast_path_matches_full_cleanup(values, fmt):
    cells = ["" if v == "" else v.strftime(fmt) for v in values]
    fast = clean.date(s(*cells), column="d", where=where(len(cells)))
    # a Mon-DD-YYYY cell forces the full cleanup for the whole column
    full = clean.date(s(*cells, "Jan-02-2020"), column="d",
                      where=where(len(cells) + 1)).iloc[:-1]
    pd.testing.assert_series_equal(fast, full)


@pytest.mark.parametrize(("cells", "message"), [
    (["1", "inf"], "expected a number, found 'inf'"),
    (["1", "1_000"], "expected a number, found '1_000'"),
])
def test_number_fast_path_does_not_widen_accepted_forms(cells, message):
    with pytest.raises(FormatError) as exc:
        clean.number(s(*cells), column="c", where=where(len(cells)))
    assert (exc.value.line, exc.value.message) == (11, message)


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_and_inf_text_is_refused_on_both_paths(cell):
    for cells in (("1", cell), ("$1", cell)):  # fast path, then full cleanup
        with pytest.raises(FormatError) as exc:
            clean.number(s(*cells), column="c", where=where(2))
        assert (exc.value.line, exc.value.message) == (11, f"expected a number, found {cell!r}")


def test_unpadded_dates_read_alike_on_fast_and_full_paths():
    # fast path: the column's first cell sets the form; full path: a Mon-DD-YYYY cell forces it
    fast = clean.date(s("2024-01-05", "2024-1-5"), column="d", where=where(2))
    full = clean.date(s("Jan-02-2020", "2024-1-5"), column="d", where=where(2))
    assert fast.iloc[1] == full.iloc[1] == pd.Timestamp("2024-01-05")


def test_strip_and_null_mask_keep_missing_values():
    cells = pd.Series([' "a" ', None, "  --  ", "N/A", "b"], dtype="str")
    assert clean.strip(cells).fillna("<NA>").tolist() == ["a", "<NA>", "--", "N/A", "b"]
    assert clean.text(cells).fillna("<NA>").tolist() == ["a", "<NA>", "<NA>", "<NA>", "b"]
    assert clean.null_mask(clean.strip(cells)).tolist() == [False, True, True, True, False]


def test_cusips_of_an_all_missing_column():
    got = clean.cusips(pd.Series([None, None], dtype="str"))
    assert got.isna().all()
    assert clean.cusips(s("922908769", "VTI", None)).tolist()[0] == "922908769"
    assert clean.cusips(s("922908769", "VTI", None)).isna().tolist() == [False, True, True]


# --- numbers that are not numbers (issue 12) ---------------------------------------------------

@pytest.mark.parametrize(("cell", "message"), [
    ("1.234,56", "expected a number"),        # comma-decimal where the layout has none
    ("10,00", "expected a number"),           # thousands groups are three digits
    ('10,000"', "expected a number"),         # a stray quote is not stripped into 10000
    ('"10', "expected a number"),
    ("1e400", "a number out of range"),       # overflows to inf
    ("1e15", "a number out of range"),        # a quadrillion: a damaged cell
    ("-$2,000,000,000,000,000", "a number out of range"),
    ("5%", "a percent where an amount is expected"),
    ("(5", "unbalanced parentheses"),
    ("-(5.00)", "more than one sign"),
    ("--5", "more than one sign"),
    ("1\x000", "expected a number"),          # a NUL inside a number
    ("١٢", "expected a number"),              # digits of another script
])
def test_malformed_numbers_are_refused(cell, message):
    values, failed = clean.parse_numbers(s("$1.00", cell))
    assert values.iloc[0] == 1.0 and math.isnan(values.iloc[1])
    assert pd.isna(failed.iloc[0])
    assert failed.iloc[1] == message


@pytest.mark.parametrize(("cell", "value"), [
    ("1.234,56", 1234.56), ("-1.234.567,5", -1234567.5), ("12,5", 12.5), ("(3,00)", -3.0)])
def test_comma_decimal_only_where_the_layout_says_so(cell, value):
    values, failed = clean.parse_numbers(s(cell), decimal=",")
    assert values.iloc[0] == value and failed.isna().all()


@pytest.mark.parametrize(("cell", "value"), [("12,5", 12.5), ("1234.5", 1234.5), ("-0,25", -0.25)])
def test_ofx_numbers_take_either_decimal_point(cell, value):
    values, failed = clean.parse_numbers(s(cell), decimal="ofx")
    assert values.iloc[0] == value and failed.isna().all()


def test_ofx_numbers_have_no_thousands_separators():
    _, failed = clean.parse_numbers(s("1,234.56"), decimal="ofx")
    assert failed.iloc[0] == "expected a number"


def test_float_column_from_the_fast_reader_is_range_checked():
    values, failed = clean.parse_numbers(pd.Series([1.0, float("inf"), 2e15, float("nan")]))
    assert values.iloc[0] == 1.0 and values.iloc[1:].isna().all()
    assert failed.tolist()[1:3] == ["a number out of range", "a number out of range"]
    assert pd.isna(failed.iloc[3])  # NaN from the reader is an empty (null) cell


@pytest.mark.parametrize("cell", ["02/30/2026", "13/01/2026", "2026-00-10", "Dec-32-2026"])
def test_impossible_dates_fail(cell):
    values, failed = clean.parse_dates(s("01/02/2026", cell))
    assert values.iloc[0] == pd.Timestamp("2026-01-02") and pd.isna(values.iloc[1])
    assert failed.iloc[1] == "expected a date"


@pytest.mark.parametrize("cell", ["01/02/1850", "2226-01-02", "21260102"])
def test_dates_out_of_range_fail(cell):
    values, failed = clean.parse_dates(s(cell))
    assert pd.isna(values.iloc[0]) and failed.iloc[0] == "a date out of range"
