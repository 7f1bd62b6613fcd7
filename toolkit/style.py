"""One clean, consistent look for every chart: class colours, fonts, number formats, masking.

Charts are for a client meeting: muted colours that stay distinct in greyscale print, the
same colour for an asset class everywhere, percentages and dollars formatted for people.
(Account ids are masked by :class:`toolkit.accounts.AccountMasker`.)
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl

__all__ = ["BAND_COLORS", "CLASS_COLORS", "INSIDE", "LABELS", "NO_TARGET", "OUTSIDE",
           "UNCLASSIFIED", "TAX_TYPE_LABELS", "TERM_COLORS", "class_color",
           "band_status", "fmt_money", "fmt_money_cents", "fmt_money_short", "fmt_pct",
           "label", "style", "tax_type_label"]

#: One colour per asset class, used by every chart.
CLASS_COLORS = {
    "us_equity": "#1f4e79",
    "intl_equity": "#4f81bd",
    "bonds": "#9bbb59",
    "muni_bonds": "#c3d69b",
    "reits": "#f79646",
    "cash": "#a6a6a6",
    "other": "#8064a2",
    "multi_asset": "#4bacc6",
    "unclassified": "#e6b9b8",
}
TERM_COLORS = {"long": "#1f4e79", "short": "#f79646"}
#: Tax types as people write them.
TAX_TYPE_LABELS = {
    "taxable": "Taxable", "traditional_ira": "Traditional IRA", "roth_ira": "Roth IRA",
    "401k": "401(k)", "roth_401k": "Roth 401(k)", "403b": "403(b)", "hsa": "HSA",
    "sep_ira": "SEP IRA", "simple_ira": "SIMPLE IRA", "457b": "457(b)", "roth_403b": "Roth 403(b)",
}
LABELS = {
    "us_equity": "US equity", "intl_equity": "International equity", "bonds": "Bonds",
    "muni_bonds": "Municipal bonds", "reits": "REITs", "cash": "Cash", "other": "Other",
    "multi_asset": "Multi-asset", "unclassified": "Unclassified",
}

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "text.parse_math": False,  # dollar signs in labels and reasons are money, not TeX
}


@contextmanager
def style():
    """Context manager applying the toolkit's chart style (matplotlib rcParams)."""
    with mpl.rc_context(_RC):
        yield


def class_color(asset_class: str) -> str:
    """The colour of ``asset_class`` (grey for anything unknown)."""
    return CLASS_COLORS.get(asset_class, "#7f7f7f")


def label(asset_class: str) -> str:
    """A readable label for an asset class (``"us_equity"`` -> ``"US equity"``)."""
    return LABELS.get(asset_class, asset_class.replace("_", " ").capitalize())


#: How a class stands against its band, as charts and tables say it.
OUTSIDE, INSIDE, NO_TARGET, UNCLASSIFIED = ("outside band", "within band", "no target",
                                            "unclassified")
#: The colour of each band status in drift charts.
BAND_COLORS = {OUTSIDE: "#c0504d", INSIDE: "#4f81bd", NO_TARGET: "#a6a6a6",
               UNCLASSIFIED: "#e6b9b8"}


def band_status(asset_class: str, row) -> str:
    """How a class stands against its band, for people.

    Holdings the security master does not know are ``"unclassified"`` (no target can name
    them: classify them); cash held against a 0% target is ``"no target"`` (cash waiting to
    be invested, not a class out of its band); every other class is ``"outside band"`` or
    ``"within band"`` as :func:`toolkit.drift` says.

    Parameters
    ----------
    asset_class : str
    row : mapping
        The class's row of :func:`toolkit.drift` (``target``, ``outside``).

    Returns
    -------
    str
        One of :data:`OUTSIDE`, :data:`INSIDE`, :data:`NO_TARGET`, :data:`UNCLASSIFIED`.
    """
    if asset_class == "unclassified":
        return UNCLASSIFIED
    if asset_class == "cash" and not row["target"] > 0:
        return NO_TARGET
    return OUTSIDE if bool(row["outside"]) else INSIDE


def tax_type_label(tax_type: str) -> str:
    """A readable tax type (``"traditional_ira"`` -> ``"Traditional IRA"``)."""
    return TAX_TYPE_LABELS.get(str(tax_type), str(tax_type).replace("_", " "))


def fmt_pct(x: float, digits: int = 1) -> str:
    """``0.1234`` -> ``"12.3%"``."""
    return f"{x * 100:.{digits}f}%"


def fmt_money(x: float) -> str:
    """``12345.6`` -> ``"$12,346"``; negatives ``"-$12,346"``."""
    return f"-${abs(x):,.0f}" if x < 0 else f"${x:,.0f}"


def fmt_money_cents(x: float) -> str:
    """``1234.5`` -> ``"$1,234.50"``; negatives ``"-$1,234.50"``; missing -> ``""``."""
    if x is None or x != x:
        return ""
    x = round(float(x), 2) + 0.0
    return f"-${abs(x):,.2f}" if x < 0 else f"${x:,.2f}"


def fmt_money_short(x: float) -> str:
    """Compact dollars for axes: ``50000`` -> ``"$50k"``, ``1250000`` -> ``"$1.25M"``."""
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e6:
        return f"{sign}${a / 1e6:.3g}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:.3g}k"
    return f"{sign}${a:.0f}"
