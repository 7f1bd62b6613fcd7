"""What a person sees in a notebook: charts shown in the cell that draws them, tables for people.

Two functions, used by every notebook, widget and the meeting pack's tables:

* :func:`show` displays a chart (the axes a ``plot_*`` function returns) as an image in the
  cell that calls it. The ``plot_*`` functions draw on a :class:`matplotlib.figure.Figure`
  that pyplot does not know, so no figure is left open for the notebook's backend to show
  later, in another cell: ``show(plot_drift(d))`` shows the chart here, in JupyterLab,
  Voilà and a headless run (nbclient) alike.
* :func:`table` turns a frame into a :class:`pandas.io.formats.style.Styler` for people:
  money as ``$1,234.56``, fractions as percentages, shares without trailing zeros, dates
  without times, missing values blank (never ``NaN``/``NaT``), long text wrapped, account
  ids masked (cells and free text, :class:`toolkit.accounts.AccountMasker`), provenance
  columns (lot ids, source files and lines) left out, and MathJax off (so a ``$`` in a
  message stays a dollar sign). :func:`table_html` gives the same table as HTML for widgets.

How a column is formatted (:func:`column_kinds`): a column declared in
:mod:`toolkit.schema` by its unit; otherwise by its name (:data:`MONEY`, :data:`FRACTION` ...,
percentile suffixes such as ``_p50`` ignored); a few names that mean dollars in one frame and
fractions in another (``current``, ``before``, ``after``, ``change``) by their size; any other
float with two decimals. Pass ``kinds=`` to decide yourself. A frame of items in mixed units
(``value`` and ``unit`` columns, such as a book's summary) shows each value by its own unit
(:data:`VALUE_UNITS`).

Why a pandas ``Styler`` and not an interactive table library: it needs nothing beyond pandas,
renders as static HTML in JupyterLab, Voilà, nbconvert and a widget's ``HTML`` alike (no
JavaScript, no network), and keeps the frame's values while formatting what is shown.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from toolkit.accounts import AccountMasker
from toolkit.schema import ACCOUNTS, LOTS, POSITIONS, REALIZED, SKIPPED, TRANSACTIONS
from toolkit.style import band_status, fmt_money_cents, label, style, tax_type_label

__all__ = [
    "ACCOUNT_COLUMNS",
    "AMBIGUOUS",
    "COUNTS",
    "FRACTION",
    "HIDDEN",
    "KINDS",
    "MONEY",
    "Notes",
    "Table",
    "VALUE_UNITS",
    "column_kinds",
    "format_value",
    "no_math",
    "notes",
    "png_bytes",
    "show",
    "table",
    "table_html",
]

#: Every kind a column can be shown as.
KINDS = ("money", "pct", "pct_units", "pp", "shares", "count", "int", "year", "number", "date",
         "bool", "text")

#: Columns in dollars (besides those :mod:`toolkit.schema` declares in dollars).
MONEY = frozenset({
    "advantage", "allowed_gain", "amount", "balance", "balance_end",
    "balance_end_no_conversion", "balance_start", "basis", "basis_left", "basis_sold",
    "bought", "cash", "converted", "cost_basis", "dollars_outside", "dollars_to_target",
    "early_tax", "est_tax", "federal", "gain", "gains_effect", "group_rmd", "harvested_loss",
    "income", "later_growth", "limit", "loss", "loss_at_stake", "lots_basis", "market_value",
    "niit", "nua", "ordinary_alone", "ordinary_before", "ordinary_income_after",
    "position_basis", "price", "proceeds", "remaining_value", "rmd", "rmd_no_conversion",
    "rmd_taxable", "room", "sold", "state", "tax", "taxable", "taxable_converted",
    "taxable_sales", "taxes", "total", "value", "value_at_sale", "wash_loss",
    "carryforward_short_term", "carryforward_long_term", "ending_after_tax",
})
#: Name endings that mean dollars.
MONEY_SUFFIXES = ("_tax", "_value", "_gain", "_loss", "_basis", "_proceeds", "_income",
                  "_cash", "_balance", "_after_tax", "_federal", "_state", "_niit", "_rmd",
                  "_effect", "_disallowed", "_dollars", "_amount")
#: Columns holding fractions, shown as percentages.
FRACTION = frozenset({
    "break_even_growth", "break_even_rate", "drift", "drift_rel", "drift_removed",
    "effective_rate", "expected_return", "future_ordinary_rate", "growth",
    "household_weight", "loss_pct", "lower", "marginal_rate", "roth_preference", "target",
    "tax_per_dollar", "turnover", "upper", "weight", "yield", "qualified_fraction",
})
#: Name endings that mean a fraction.
FRACTION_SUFFIXES = ("_rate", "_weight", "_fraction", "_share_of")
#: Columns already in percent (12.5 means 12.5%), or in percentage points.
PERCENT_UNITS = frozenset({"turnover_pct"})
POINTS = frozenset({"drift_pp", "avg_drift_pp", "worst_drift_pp", "drift (pp)"})
#: Columns in shares.
SHARES = frozenset({"quantity", "shares", "shares_sold", "remaining_shares", "quantity_held",
                    "wash_shares", "position_quantity", "lots_quantity", "history_quantity"})
#: Counts that may come as floats (medians across simulated paths): no trailing zeros.
COUNTS = frozenset({"rebalances", "trades", "lots", "positions", "transactions",
                    "basis_missing", "divisor"})
#: Names that are dollars in one frame and fractions in another: decided by size.
AMBIGUOUS = frozenset({"current", "before", "after", "change"})
#: Columns never shown to a person: provenance (lot ids, source files and lines).
HIDDEN = frozenset({"lot_id", "source_file", "source_line", "account_key", "lots_source"})
#: Columns holding account ids (masked; also where ids are collected when no household is
#: given).
ACCOUNT_COLUMNS = ("account", "group", "to_account", "from_account", "threat_account",
                   "replacement_account", "buy_blocked_by", "sell_blocked_by")
#: Text longer than this (characters) is wrapped.
WRAP_AT = 40

#: A ``unit`` column's words -> the kind its row's ``value`` is shown as.
VALUE_UNITS = {"dollars": "money", "count": "count", "fraction": "pct", "rate": "number",
               "shares": "shares", "date": "date", "pp": "pp"}

_UNIT_KINDS = {"dollars": "money", "dollars/share": "money", "fraction": "pct",
               "shares": "shares", "date": "date"}
_SCHEMA_KINDS = {c.name: _UNIT_KINDS[c.unit]
                 for s in (ACCOUNTS, POSITIONS, LOTS, TRANSACTIONS, REALIZED, SKIPPED)
                 for c in s.columns if c.unit in _UNIT_KINDS}
_PERCENTILE = re.compile(r"_p\d{1,2}$")
_MATHJAX_OFF = 'class="toolkit-table tex2jax_ignore mathjax_ignore"'


# --- charts ----------------------------------------------------------------------------------


def _figure_of(chart) -> Figure:
    if isinstance(chart, Figure):
        return chart
    if isinstance(chart, Axes):
        return chart.figure
    if isinstance(chart, np.ndarray | list | tuple) and len(chart):
        return _figure_of(np.asarray(chart, dtype=object).flat[0])
    raise TypeError(f"show() takes a Figure or the Axes a plot_* function returned, not "
                    f"{type(chart).__name__}")


def png_bytes(chart, *, dpi: int = 100) -> bytes:
    """The chart rendered as a PNG (tight bounding box), for display or a file."""
    fig = _figure_of(chart)
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def show(chart, *, dpi: int = 100) -> None:
    """Display a chart in the cell that calls this, as a PNG image.

    Parameters
    ----------
    chart : Axes, array of Axes or Figure
        What a ``plot_*`` function returned (or its figure).
    dpi : int, default 100
        Rendering resolution (the image is shown at 100 dpi; higher is sharper on a
        high-density screen).

    Notes
    -----
    The figure is closed afterwards if pyplot manages it (a figure made with
    ``plt.subplots``), so the notebook's backend does not show it a second time.
    """
    fig = _figure_of(chart)
    png = png_bytes(fig, dpi=dpi)
    width, height = _png_size(png)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    text = f"<chart: {'; '.join(titles)}>" if titles else "<chart>"
    meta = {"image/png": {"width": round(width * 100 / dpi), "height": round(height * 100 / dpi)}}
    display({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": text},
            raw=True, metadata=meta)
    if fig.canvas.manager is not None:  # a pyplot figure: not shown again at the cell's end
        plt.close(fig)


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


# --- tables ----------------------------------------------------------------------------------


def _base(name: str) -> str:
    """The name a column's kind is decided by: without ``_p50`` or ``:us_equity`` tails."""
    return _PERCENTILE.sub("", str(name).split(":")[0])


def _kind(name: str, s: pd.Series) -> str:
    """The kind of one column (see the module docstring for the rule)."""
    base = _base(name)
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if not pd.api.types.is_numeric_dtype(s):
        vals = s.dropna()
        if len(vals) and all(isinstance(v, pd.Timestamp) for v in vals):
            return "date"
        if len(vals) and all(isinstance(v, bool | np.bool_) for v in vals):
            return "bool"
        return "text"
    if "year" in base or base in ("line", "age", "step") or base.endswith("_age"):
        return "year"
    if base in _SCHEMA_KINDS:
        return _SCHEMA_KINDS[base]
    if base in PERCENT_UNITS:
        return "pct_units"
    if base in POINTS or base.endswith("_pp"):
        return "pp"
    if base in SHARES:
        return "shares"
    if base in COUNTS:
        return "count"
    if base in AMBIGUOUS:
        vals = pd.to_numeric(s, errors="coerce").abs()
        return "pct" if not (vals > 1.5).any() else "money"
    if base in MONEY or base.endswith(MONEY_SUFFIXES) or base.startswith(("tax_", "dollars_")) \
            and not base.startswith("tax_per"):
        return "money"
    if base in FRACTION or base.endswith(FRACTION_SUFFIXES) or base.startswith(
            ("drift_", "abs_drift", "max_abs_drift")):
        return "pct"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    return "number"


def column_kinds(df: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> dict[str, str]:
    """How each column of ``df`` is shown: one of :data:`KINDS`.

    Parameters
    ----------
    df : DataFrame
    kinds : mapping, optional
        Column -> kind, overriding the rule.

    Returns
    -------
    dict
        Column -> kind, in column order.
    """
    given = dict(kinds or {})
    bad = {k: v for k, v in given.items() if v not in KINDS}
    if bad:
        raise ValueError(f"unknown column kinds {bad}; expected one of {', '.join(KINDS)}")
    return {c: given.get(c) or _kind(c, df[c]) for c in df.columns}


def _missing(v: Any) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if np.ndim(v) == 0 else False
    except (TypeError, ValueError):
        return False


def _pct(v: float) -> str:
    v = float(v)
    if v != 0 and abs(v) < 0.001:
        return f"{v:.2%}"
    return f"{v:.1%}"


def _shares(v: float) -> str:
    s = f"{float(v):,.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _number(v: float) -> str:
    return f"{float(v):,.2f}"


_FORMATS: dict[str, Callable[[Any], str]] = {
    "money": fmt_money_cents,
    "pct": _pct,
    "pct_units": lambda v: f"{float(v):.1f}%",
    "pp": lambda v: f"{float(v):+.1f} pp",
    "shares": _shares,
    "count": _shares,
    "int": lambda v: f"{int(v):,}",
    "year": lambda v: str(int(v)),
    "number": _number,
    "date": lambda v: pd.Timestamp(v).strftime("%Y-%m-%d"),
    "bool": lambda v: "yes" if bool(v) else "no",
    "text": str,
    "formatted": str,  # already formatted (values by their unit): shown as numbers are
}


def format_value(value: Any, kind: str) -> str:
    """One value as a person reads it (missing values are an empty string).

    Examples
    --------
    >>> format_value(10666.666667, "money"), format_value(0.152, "pct")
    ('$10,666.67', '15.2%')
    >>> format_value(float("nan"), "money"), format_value(pd.NaT, "date")
    ('', '')
    """
    if _missing(value):
        return ""
    return _FORMATS[kind](value)


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Asset classes and tax types as people name them; a drift frame's band status."""
    out = df.copy()
    if {"outside", "target"} <= set(out.columns) and out.index.name == "asset_class":
        status = [band_status(c, r) for c, r in out.iterrows()]
        out = out.drop(columns="outside").assign(band=status)
    for c, fn in (("asset_class", label), ("class", label), ("tax_type", tax_type_label)):
        if c in out.columns and not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].map(fn, na_action="ignore")
    if out.index.name == "asset_class":
        out.index = out.index.map(label).rename("asset class")
    return out


def _masker_for(df: pd.DataFrame, mask) -> AccountMasker:
    if isinstance(mask, AccountMasker):
        return mask
    if mask is False:
        return AccountMasker({})
    if mask is not None and hasattr(mask, "accounts"):  # a Household
        return AccountMasker.of(mask.accounts)
    ids: list[str] = []
    for c in ACCOUNT_COLUMNS:
        if c in df.columns:
            for v in df[c].dropna():
                ids += [p.strip() for p in str(v).replace(";", ",").split(",") if p.strip()]
    return AccountMasker.of(ids)


def _prepared(df: pd.DataFrame, mask, hide: Sequence[str] | None, show_hidden: bool,
              kinds: Mapping[str, str] | None) -> tuple[pd.DataFrame, dict[str, str]]:
    if isinstance(df, pd.Series):
        df = df.to_frame()
    drop = [c for c in df.columns if (c in HIDDEN and not show_hidden) or c in (hide or ())]
    if "lots" in df.columns and not show_hidden and not pd.api.types.is_numeric_dtype(
            df["lots"]):
        drop.append("lots")  # a list of lot ids
    masker = _masker_for(df, mask)
    out = masker.frame(df.drop(columns=drop))
    if not isinstance(out.index, pd.RangeIndex) and (
            pd.api.types.is_string_dtype(out.index) or pd.api.types.is_object_dtype(out.index)):
        out.index = out.index.map(masker.text)
    shown, k = _labelled(out), column_kinds(out, kinds)
    if {"value", "unit"} <= set(shown.columns) and "value" not in (kinds or {}):
        # items in mixed units (a summary): each value shown by its own unit
        shown["value"] = [format_value(v, VALUE_UNITS.get(str(u), "number"))
                          for v, u in zip(shown["value"], shown["unit"], strict=True)]
        shown = shown.drop(columns="unit")
        k = {c: ("formatted" if c == "value" else kind) for c, kind in k.items() if c != "unit"}
    return shown, k


class Table(Styler):
    """A :class:`~pandas.io.formats.style.Styler` that prints as aligned text outside HTML."""

    def __repr__(self) -> str:
        return self.to_string(delimiter="  ")


def table(df: pd.DataFrame, mask=None, *, kinds: Mapping[str, str] | None = None,
          hide: Sequence[str] | None = None, show_hidden: bool = False, rows: bool = False,
          caption: str | None = None) -> Table:
    """A frame formatted for a person (see the module docstring for the rules).

    Parameters
    ----------
    df : DataFrame or Series
    mask : Household, AccountMasker or bool, optional
        Whose masking rule to use: a household (its accounts' unique masks), a masker, or
        False to show ids as they are. Default: mask the ids found in the frame's account
        columns (:data:`ACCOUNT_COLUMNS`), in those columns and in every text cell.
        A :func:`toolkit.drift` frame shows its ``outside`` column as ``band``
        (:func:`toolkit.style.band_status`: unclassified holdings and cash held against a
        0% target are not called out of band).
    kinds : mapping, optional
        Column -> one of :data:`KINDS`, overriding :func:`column_kinds`.
    hide : sequence of str, optional
        More columns to leave out (:data:`HIDDEN` always are, unless ``show_hidden``).
    show_hidden : bool, default False
        Keep the provenance columns (lot ids, source files and lines).
    rows : bool, default False
        The frame's rows are the quantities (a comparison with one column per plan or
        policy): kinds are decided per row label, and ``kinds``/``hide`` name rows.
    caption : str, optional

    Returns
    -------
    Table
        A Styler: displayed as HTML in a notebook, printed as text elsewhere. The frame's
        own values are left unchanged.
    """
    if rows:
        shown, k = _prepared(df.T.infer_objects(), mask, hide, show_hidden, kinds)
        shown = shown.T
    else:
        shown, k = _prepared(df, mask, hide, show_hidden, kinds)
    # the id of the table's CSS: the same columns and kinds give the same styles
    uuid = hashlib.md5(repr((rows, sorted(k.items()))).encode()).hexdigest()[:10]
    st = Table(shown, cell_ids=False, uuid=uuid)
    if rows:
        for r, kind in k.items():
            st.format(lambda v, kind=kind: format_value(v, kind), subset=pd.IndexSlice[[r], :],
                      escape="html")
        st.format_index(lambda c: str(c).replace("_", " "), axis=0)
        st.set_table_attributes(_MATHJAX_OFF)
        if caption:
            st.set_caption(html.escape(caption))
        return st
    st.format({c: (lambda v, kind=kind: format_value(v, kind)) for c, kind in k.items()},
              escape="html")
    st.format_index(lambda c: str(c).replace("_", " "), axis=1)
    if isinstance(shown.index, pd.RangeIndex):
        st.hide(axis="index")
    styles: dict[str, list[dict[str, str]]] = {}
    for c, kind in k.items():
        if kind in ("money", "pct", "pct_units", "pp", "shares", "count", "int", "number",
                    "formatted"):
            styles[c] = [{"selector": "td", "props": "text-align: right; white-space: nowrap;"}]
        elif kind in ("date", "year", "bool"):
            styles[c] = [{"selector": "td", "props": "text-align: left; white-space: nowrap;"}]
        elif kind == "text" and shown[c].astype("str").str.len().max() > WRAP_AT:
            styles[c] = [{"selector": "td", "props": "white-space: normal; text-align: left; "
                                                     "min-width: 16em; max-width: 36em;"}]
        else:
            styles[c] = [{"selector": "td", "props": "text-align: left;"}]
    if styles:
        st.set_table_styles(styles, overwrite=False)
    st.set_table_styles([{"selector": "th", "props": "text-align: left;"},
                         {"selector": "th, td", "props": "padding: 3px 10px;"}],
                        overwrite=False)
    st.set_table_attributes(_MATHJAX_OFF)
    if caption:
        st.set_caption(html.escape(caption))
    return st


def table_html(df: pd.DataFrame, mask=None, *, kinds: Mapping[str, str] | None = None,
               hide: Sequence[str] | None = None, max_rows: int | None = None,
               empty: str = "nothing to show") -> str:
    """:func:`table` as an HTML string, for an ``ipywidgets.HTML`` (same rules).

    Parameters
    ----------
    df : DataFrame
    mask, kinds, hide
        As for :func:`table`.
    max_rows : int, optional
        Show the first rows only, with a line saying how many more there are.
    empty : str
        What to show for a frame without rows (in italics).

    Returns
    -------
    str
    """
    if not len(df):
        return f"<i>{html.escape(empty)}</i>"
    head = df if max_rows is None else df.head(max_rows)
    out = table(head, mask, kinds=kinds, hide=hide).to_html()
    if max_rows is not None and len(df) > max_rows:
        out += f"<div><i>{len(df) - max_rows} more rows</i></div>"
    return out


def no_math(fragment: str) -> str:
    """An HTML fragment MathJax leaves alone (for widget text holding dollar signs)."""
    return f'<div class="tex2jax_ignore mathjax_ignore">{fragment}</div>'


class Notes:
    """A bulleted list of messages for people (masked, escaped, MathJax off)."""

    def __init__(self, items: Sequence[str], title: str | None = None) -> None:
        self.items = list(items)
        self.title = title

    def to_html(self) -> str:
        """The list as HTML (a ``ul`` MathJax leaves alone)."""
        head = f"<b>{html.escape(self.title)}</b>" if self.title else ""
        if not self.items:
            return head + "<p><i>none</i></p>"
        body = "".join(f"<li>{html.escape(i)}</li>" for i in self.items)
        return f'{head}<ul {_MATHJAX_OFF}>{body}</ul>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        lines = [self.title] if self.title else []
        return "\n".join(lines + [f"- {i}" for i in self.items] or ["(none)"])


def notes(items: Sequence[str], mask=None, *, title: str | None = None) -> Notes:
    """Messages (warnings, notes) as a list a person reads, account ids masked.

    Parameters
    ----------
    items : sequence of str
    mask : Household or AccountMasker, optional
        Whose ids to mask (as for :func:`table`); without one, nothing is masked.
    title : str, optional

    Returns
    -------
    toolkit.display.Notes
        Shown as an HTML list in a notebook, printed as lines elsewhere.
    """
    masker = mask if isinstance(mask, AccountMasker) else (
        AccountMasker.of(mask.accounts) if mask is not None and hasattr(mask, "accounts")
        else AccountMasker({}))
    return Notes([masker.text(str(i)) for i in items], title)
