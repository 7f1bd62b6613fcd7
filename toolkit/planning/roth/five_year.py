"""Roth conversions: the five-year clocks.

Rules and sources: :mod:`toolkit.planning.roth`.
"""

from __future__ import annotations

import math

import pandas as pd

from toolkit.household import Household
from toolkit.planning._common import (
    birth_year,
    owner_accounts,
    person_number,
    rule_float,
)
from toolkit.schema import TaxType

__all__ = ['five_year_rules']


# --- five-year rules -------------------------------------------------------------------------


def _half_year(by: int) -> tuple[int, int]:
    """Earliest and latest calendar year of reaching 59½ for a birth year."""
    age = rule_float("early_distribution_age")
    whole = int(math.floor(age))
    return by + whole, by + whole + 1


def five_year_rules(household: Household, year: int, *, owner: str) -> pd.DataFrame:
    """The two Roth five-year clocks for a conversion in ``year``, as warnings.

    Parameters
    ----------
    household : Household
        ``[[people]] birth_year`` of the owner (and ``roth_first_year``, the first year of any
        Roth IRA contribution, if known).
    year : int
        Conversion year.
    owner : str

    Returns
    -------
    DataFrame
        Two rows (``rule``: ``"conversion"``, ``"qualified"``) with ``owner``,
        ``clock_start`` and ``clock_end`` (the first day the clock is met, dates; NaT when
        unknown), ``age_59_half`` (the calendar year(s) the owner reaches 59½, text),
        ``applies`` (``"yes"``, ``"no"``, ``"maybe"``: whether the clock can cost tax) and
        ``message`` (plain language).
    """
    y = int(year)
    n_conv = int(rule_float("roth_conversion_clock_taxable_years"))
    n_q = int(rule_float("roth_qualified_distribution_clock_taxable_years"))
    rate10 = rule_float("early_distribution_additional_tax_rate")
    by = birth_year(household, owner)
    first = person_number(household, owner, "roth_first_year")
    has_roth = bool(owner_accounts(household, owner, (TaxType.ROTH_IRA.value,)))
    end = pd.Timestamp(y + n_conv, 1, 1)
    rows = []
    if by is None:
        half = "unknown"
        applies = "maybe"
        msg = (f"Conversion in {y}: its own {n_conv}-year clock runs to {end.date()}; taking the "
               f"converted amount out before then and before 59½ costs a {rate10:.0%} "
               f"additional tax. Add birth_year for {owner} to [[people]] to check the age.")
    else:
        lo, hi = _half_year(by)
        half = f"{lo}" if lo == hi else f"{lo} or {hi}"
        if hi < y:
            applies = "no"
            msg = (f"Conversion in {y}: {owner} is past 59½ (born {by}), so the per-conversion "
                   f"{n_conv}-year clock (to {end.date()}) cannot cost the {rate10:.0%} tax.")
        elif lo >= y + n_conv:
            applies = "yes"
            msg = (f"Conversion in {y}: {owner} (born {by}) reaches 59½ in {half}, after the "
                   f"clock ends on {end.date()}: withdrawing the converted amount before "
                   f"{end.date()} costs a {rate10:.0%} additional tax (no exception applying).")
        else:
            applies = "yes" if lo >= y else "maybe"
            msg = (f"Conversion in {y}: {owner} (born {by}) reaches 59½ in {half}: until then "
                   f"and before {end.date()} (this conversion's {n_conv}-year clock), taking the "
                   f"converted amount out costs a {rate10:.0%} additional tax.")
    rows.append({"rule": "conversion", "owner": owner, "clock_start": pd.Timestamp(y, 1, 1),
                 "clock_end": end, "age_59_half": half, "applies": applies, "message": msg})
    if first is not None:
        start_y = int(min(first, y))
        src = f"first Roth IRA contribution in {int(first)}"
    elif not has_roth:
        start_y = y
        src = f"{owner} has no Roth IRA in the household: this conversion starts the clock"
    else:
        start_y = None
        src = (f"{owner} has a Roth IRA but no roth_first_year in [[people]]: the clock's start "
               "is unknown")
    if start_y is None:
        qrow = {"clock_start": pd.NaT, "clock_end": pd.NaT, "applies": "maybe",
                "message": (f"Qualified distributions: {src}. Earnings come out tax-free only "
                            f"{n_q} taxable years after the first contribution and after 59½.")}
    else:
        qend = pd.Timestamp(start_y + n_q, 1, 1)
        met = qend <= pd.Timestamp(y, 1, 1)
        qrow = {"clock_start": pd.Timestamp(start_y, 1, 1), "clock_end": qend,
                "applies": "no" if met else "yes",
                "message": (f"Qualified distributions ({src}): the {n_q}-year clock "
                            + ("is already met" if met else f"is met on {qend.date()}")
                            + "; earnings are tax-free only after it and after 59½ (or death, "
                              "disability, first home).")}
    rows.append({"rule": "qualified", "owner": owner, "age_59_half": half, **qrow})
    return pd.DataFrame(rows, columns=["rule", "owner", "clock_start", "clock_end",
                                       "age_59_half", "applies", "message"])
