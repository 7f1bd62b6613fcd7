"""Holding period: when a lot becomes long-term, and each lot's term and gain today.

The rule (IRC §1222; Pub 550 "Holding Period"; Rev. Rul. 66-7, 66-97, 70-598): property is
long-term when held *more than one year*. Counting begins the day after the trade date and
includes the sale date, in calendar months, not days. So a lot bought 2024-03-15 is
short-term if sold on 2025-03-15 and long-term if sold on 2025-03-16 or later:
``long_term_date = (acquired + 1 day) + 1 calendar year``.

February 29 (no IRS example; documented choice): when the day after acquisition is Feb 29,
its anniversary does not exist and the holding period is treated as complete on Mar 1 of the
next year. A lot bought 2024-02-28 is long-term from 2025-03-01; a lot bought 2023-02-28 and
sold 2024-02-29 is short-term (held 2023-03-01 to 2024-02-29: exactly one year, not more).
A lot bought on Feb 29 itself starts counting on Mar 1 and is long-term a year later, Mar 1.

Wash-sale replacement lots carry a ``holding_start`` earlier than their trade date (the
sold shares' holding period is tacked on, IRC §1223(3)); terms here count from
``holding_start``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from toolkit.schema import DATE_DTYPE, Term

__all__ = ["long_term_date", "long_term_dates", "lot_status", "term", "terms"]


def _ts(d) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def long_term_date(acquired) -> pd.Timestamp:
    """First sale date on which a lot acquired on ``acquired`` is long-term.

    Parameters
    ----------
    acquired : date-like
        Trade date of the acquisition (or the tacked holding-period start).

    Returns
    -------
    Timestamp

    Examples
    --------
    >>> long_term_date("2024-03-15").date()
    datetime.date(2025, 3, 16)
    >>> long_term_date("2024-02-28").date()
    datetime.date(2025, 3, 1)
    """
    start = _ts(acquired) + pd.Timedelta(days=1)
    if start.month == 2 and start.day == 29:
        return pd.Timestamp(dt.date(start.year + 1, 3, 1))
    return start + pd.DateOffset(years=1)


def long_term_dates(acquired: pd.Series) -> pd.Series:
    """Vectorised :func:`long_term_date` over a Series of dates (missing stays missing)."""
    start = pd.to_datetime(acquired).astype(DATE_DTYPE).dt.normalize() + pd.Timedelta(days=1)
    out = start + pd.DateOffset(years=1)
    leap = (start.dt.month == 2) & (start.dt.day == 29)
    return out.where(~leap, out + pd.Timedelta(days=1)).astype(DATE_DTYPE)


def term(acquired, sold) -> str:
    """The term of a sale: ``"long"`` if held more than one year, else ``"short"``.

    Parameters
    ----------
    acquired, sold : date-like
        Trade dates (``acquired`` may be a tacked holding-period start).

    Returns
    -------
    str
        ``"short"`` or ``"long"``.

    Raises
    ------
    ValueError
        If ``sold`` is before ``acquired``.

    Examples
    --------
    >>> term("2024-03-15", "2025-03-15"), term("2024-03-15", "2025-03-16")
    ('short', 'long')
    """
    a, s = _ts(acquired), _ts(sold)
    if s < a:
        raise ValueError(f"sale date {s.date()} is before acquisition date {a.date()}")
    return Term.LONG.value if s >= long_term_date(a) else Term.SHORT.value


def terms(acquired: pd.Series, sold) -> pd.Series:
    """Vectorised :func:`term`: ``sold`` may be one date or a Series aligned with ``acquired``.

    Returns
    -------
    Series of str
        ``"short"`` / ``"long"``.
    """
    sold_ts = pd.to_datetime(sold)
    lt = long_term_dates(acquired)
    is_long = np.asarray(sold_ts >= lt) if isinstance(sold_ts, pd.Series) else (lt <= sold_ts)
    return pd.Series(np.where(is_long, Term.LONG.value, Term.SHORT.value),
                     index=acquired.index, dtype="str")


def lot_status(lots: pd.DataFrame, prices: pd.Series | pd.DataFrame, as_of, *,
               soon_days: int = 30) -> pd.DataFrame:
    """Each lot's value, unrealised gain, term today and the date it turns long-term.

    Parameters
    ----------
    lots : DataFrame
        Canonical lots (:data:`toolkit.schema.LOTS`).
    prices : Series or DataFrame
        Price per share in dollars: a Series indexed by symbol, or a frame with ``account``,
        ``symbol`` and ``price`` (prices per account win over per-symbol ones).
    as_of : date-like
        The valuation date ("today").
    soon_days : int, default 30
        Lots turning long-term within this many days are flagged ``turns_long_soon``.

    Returns
    -------
    DataFrame
        The lots with ``price``, ``market_value``, ``unrealized_gain`` (dollars; NaN where
        price or basis is unknown), ``term`` (today, from ``holding_start``; the broker's
        reported term is kept as ``term_reported``), ``long_term_date``,
        ``days_to_long_term`` (0 once long-term) and ``turns_long_soon``.
    """
    as_of = _ts(as_of)
    out = lots.copy()
    if isinstance(prices, pd.DataFrame):
        per_acct = prices.dropna(subset=["price"]).drop_duplicates(["account", "symbol"],
                                                                   keep="last")
        per_sym = per_acct.drop_duplicates("symbol", keep="last").set_index("symbol")["price"]
        key = pd.MultiIndex.from_frame(out[["account", "symbol"]])
        p = pd.Series(per_acct.set_index(["account", "symbol"])["price"].reindex(key).to_numpy(),
                      index=out.index)
        p = p.fillna(out["symbol"].map(per_sym))
    else:
        p = out["symbol"].map(prices)
    out["price"] = p.astype("float64")
    out["market_value"] = out["quantity"] * out["price"]
    out["unrealized_gain"] = out["market_value"] - out["cost_basis"]
    out = out.rename(columns={"term": "term_reported"})
    ltd = long_term_dates(out["holding_start"])
    out["term"] = np.where(ltd <= as_of, Term.LONG.value, Term.SHORT.value)
    out["term"] = out["term"].astype("str")
    out["long_term_date"] = ltd
    days = (ltd - as_of).dt.days.clip(lower=0)
    out["days_to_long_term"] = days.astype("int64")
    out["turns_long_soon"] = (days > 0) & (days <= soon_days)
    return out
