"""Roth conversions: the room under a bracket or ceiling this year.

Rules and sources: :mod:`toolkit.planning.roth`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.household import TaxProfile
from toolkit.planning._common import (
    CEILINGS,
    ceiling_limit,
    ordinary_increment,
    r2,
    room,
)
from toolkit.tax.engine import profile_for
from toolkit.tax.tables import year_tables

__all__ = ['conversion_rooms', 'roth_conversion_room']


# --- room ------------------------------------------------------------------------------------


def roth_conversion_room(household, ceiling=0.22) -> float:
    """Dollars of Roth conversion (taxable amount) that fit under a ceiling this year.

    Parameters
    ----------
    household : Household or TaxProfile
        A Household's year-to-date profile is used (the household file's figures plus this
        year's realised gains from its exports); a TaxProfile as given.
    ceiling : float or str, default 0.22
        A bracket rate of the year's table (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37): room to
        the top of that bracket measured on ordinary taxable income; or ``"ltcg_0"`` /
        ``"ltcg_15"``: room before total taxable income passes the 0% / 15% long-term gain
        ceiling (beyond it this year's gains and qualified dividends are pushed to 15% / 20%);
        or ``"niit"``: room before modified AGI passes the NIIT threshold.

    Returns
    -------
    float
        Dollars of extra ordinary income, to the cent; 0 when already past the ceiling;
        ``inf`` for the top (37%) bracket. With after-tax IRA basis the gross conversion that
        fits is larger: divide by the taxable fraction (:func:`pro_rata`).

    Raises
    ------
    PlanningError
        If ``ceiling`` is not a rate of the year's brackets nor a named ceiling.
    TaxTableError
        If there is no table for the profile's year or filing status.

    Examples
    --------
    >>> from toolkit.household import TaxProfile
    >>> roth_conversion_room(TaxProfile("married_filing_jointly", 2026, 150_000))
    61400.0
    """
    return room(profile_for(household), ceiling)


def _ceilings(p: TaxProfile) -> list:
    t = year_tables(p.year, p.filing_status)
    return [r for _, _, r in t.brackets] + list(CEILINGS)


def conversion_rooms(household) -> pd.DataFrame:
    """The room under every ceiling at once, and what converting all of it would cost.

    Parameters
    ----------
    household : Household or TaxProfile
        A Household's year-to-date profile is used (:func:`toolkit.tax.profile_for`); a TaxProfile
        as given.

    Returns
    -------
    DataFrame
        One row per ceiling (each bracket rate, then ``ltcg_0``, ``ltcg_15``, ``niit``):
        ``ceiling``, ``measure`` (what is compared: ordinary taxable income, taxable income or
        modified AGI), ``limit`` and ``current`` (dollars), ``room`` (dollars, ``inf`` for the
        top bracket), and for a finite room: ``tax`` (federal + NIIT + state of converting
        the whole room, dollars), ``effective_rate`` (tax / room) and ``gains_effect`` (the
        part of ``tax`` that is extra tax on this year's gains and qualified dividends).
    """
    p = profile_for(household)
    rows = []
    for c in _ceilings(p):
        limit, measure, what = ceiling_limit(p, c)
        rm = math.inf if math.isinf(limit) else r2(max(0.0, limit - measure))
        tax = eff = ge = np.nan
        if math.isfinite(rm) and rm > 0:
            inc = ordinary_increment(p, rm)
            tax, ge = inc["total"], inc["gains_effect"]
            eff = round(tax / rm, 6)
        elif rm == 0:
            tax = eff = ge = 0.0
        rows.append({"ceiling": c if isinstance(c, str) else f"{c:.0%}", "measure": what,
                     "limit": limit, "current": r2(measure), "room": rm, "tax": tax,
                     "effective_rate": eff, "gains_effect": ge})
    return pd.DataFrame(rows).astype({"ceiling": "str", "measure": "str"})
