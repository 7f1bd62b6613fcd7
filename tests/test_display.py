"""The display layer's tables: a summary of items in mixed units shows each value by its unit."""

from __future__ import annotations

import pandas as pd

from tests.htmltables import header, rows
from toolkit.display import table, table_html


def summary() -> pd.DataFrame:
    # a book summary's shape (toolkit.batch.BookResult.summary): item, value, unit
    return pd.DataFrame({"item": ["households", "RMDs owed", "households per second",
                                  "turnover", "missing"],
                         "value": [6.0, 27041.987, 2.5, 0.1525, float("nan")],
                         "unit": ["count", "dollars", "rate", "fraction", "dollars"]})


def test_values_are_shown_by_their_own_unit_and_the_unit_column_goes():
    html = table_html(summary())
    assert header(html) == ["item", "value"]
    assert rows(html) == [["households", "6"], ["RMDs owed", "$27,041.99"],
                          ["households per second", "2.50"], ["turnover", "15.2%"],
                          ["missing", ""]]


def test_the_frame_itself_is_left_alone_and_kinds_can_override_the_unit_rule():
    df = summary()
    before = df.copy()
    st = table(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(st.data.columns) == ["item", "value"]
    # a caller who names the value column's kind keeps the unit column and that kind
    html = table_html(df, kinds={"value": "number"})
    assert header(html) == ["item", "value", "unit"]
    assert [r[1] for r in rows(html)] == ["6.00", "27,041.99", "2.50", "0.15", ""]
