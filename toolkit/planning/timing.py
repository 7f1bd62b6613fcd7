"""Year-end timing: realise a planned sale in December or wait until January.

:func:`december_vs_january` compares the two years' tax together, because a sale moved
across New Year changes both years: a December gain uses this year's brackets and netting,
a December loss also changes the carryforward that next year starts with. For each choice
it computes this year's full liability (year-to-date profile, :func:`toolkit.tax.gains
.capital_gains_liability`) and next year's, whose carryforward is the one this year leaves:

- **December**: this year with the sale; next year without it, carrying in what this year
  carries out.
- **January**: this year without the sale; next year with it.
- **No sale** (the baseline): neither year.

Next year's profile is ``next_year_profile`` if given (its carryforwards replaced by the ones
this year leaves), else this year's with ``next_year_income`` as ordinary income, no gains
realised yet and the next year's tables, or the latest available with a note (bracket edges
not indexed for inflation). The short- and long-term amounts are taken as given: a lot that
turns long-term in January should be passed with its January term in a separate call.
"""

from __future__ import annotations

import pandas as pd

from toolkit.household import TaxProfile
from toolkit.planning._common import future_profile, money, r2, tables_year
from toolkit.tax.engine import profile_for
from toolkit.tax.gains import Liability, capital_gains_liability

__all__ = ["TIMING_COLUMNS", "december_vs_january"]

#: Columns of :func:`december_vs_january`, in order.
TIMING_COLUMNS = (
    "scenario", "this_year", "next_year", "tables_year_next", "this_year_tax",
    "next_year_tax", "two_year_tax", "tax_of_sale", "this_year_federal", "this_year_niit",
    "this_year_state", "next_year_federal", "next_year_niit", "next_year_state",
    "carryforward_short_term", "carryforward_long_term", "note",
)


def _next(base: TaxProfile, year: int, income: float | None,
          given: TaxProfile | None) -> tuple[TaxProfile, str]:
    if given is not None:
        ty, note = tables_year(given.year)
        return given.replace(year=ty), note
    inc = base.ordinary_income if income is None else money("next_year_income", income,
                                                            allow_negative=True)
    p, note = future_profile(base, year, inc)
    if income is None:
        note = "; ".join(x for x in (note, "next year's income taken as this year's") if x)
    return p, note


def _with_carry(p: TaxProfile, L: Liability) -> TaxProfile:
    return p.replace(carryforward_short_term=L.carryforward_short_term,
                     carryforward_long_term=L.carryforward_long_term)


def december_vs_january(household, short_term: float = 0.0, long_term: float = 0.0, *,
                        next_year_income: float | None = None,
                        next_year_profile: TaxProfile | None = None) -> pd.DataFrame:
    """The tax of realising a sale in December against in January, over both years.

    Parameters
    ----------
    household : Household or TaxProfile
        This year (a Household's year-to-date profile: its exports' realised gains added).
    short_term, long_term : float, default 0
        The sale's net short- and long-term gain, dollars (negative for losses).
    next_year_income : float, optional
        Next year's taxable ordinary income, dollars (default: this year's).
    next_year_profile : TaxProfile, optional
        Next year in full (its year gives the tables; its realised gains are next year's
        other gains; its carryforwards are replaced by what this year leaves).

    Returns
    -------
    DataFrame
        Three rows (``scenario``: ``"December"``, ``"January"``, ``"no sale"``), columns
        :data:`TIMING_COLUMNS`: taxes per year and over both (``two_year_tax``), the
        ``tax_of_sale`` (two-year tax minus the no-sale baseline, dollars; the smaller is
        the better month), the federal/NIIT/state split per year, the carryforward out of
        next year (dollars) and a ``note`` on the tables used.

    Raises
    ------
    PlanningError
        If an amount is not a finite number.
    TaxTableError
        If there is no table for this year or filing status.
    """
    st = money("short_term", short_term, allow_negative=True)
    lt = money("long_term", long_term, allow_negative=True)
    p1 = profile_for(household)
    p2_base, note = _next(p1, p1.year + 1, next_year_income, next_year_profile)
    l1_none = capital_gains_liability(p1)
    l1_dec = capital_gains_liability(p1, short_term=st, long_term=lt)
    cases = {
        "December": (l1_dec, capital_gains_liability(_with_carry(p2_base, l1_dec))),
        "January": (l1_none, capital_gains_liability(_with_carry(p2_base, l1_none),
                                                     short_term=st, long_term=lt)),
        "no sale": (l1_none, capital_gains_liability(_with_carry(p2_base, l1_none))),
    }
    base_total = cases["no sale"][0].total + cases["no sale"][1].total
    rows = []
    for name, (a, b) in cases.items():
        two = r2(a.total + b.total)
        rows.append({"scenario": name, "this_year": p1.year, "next_year": p1.year + 1,
                     "tables_year_next": p2_base.year, "this_year_tax": a.total,
                     "next_year_tax": b.total, "two_year_tax": two,
                     "tax_of_sale": r2(two - base_total), "this_year_federal": a.federal,
                     "this_year_niit": a.niit, "this_year_state": a.state,
                     "next_year_federal": b.federal, "next_year_niit": b.niit,
                     "next_year_state": b.state,
                     "carryforward_short_term": b.carryforward_short_term,
                     "carryforward_long_term": b.carryforward_long_term, "note": note})
    return pd.DataFrame(rows, columns=list(TIMING_COLUMNS))
