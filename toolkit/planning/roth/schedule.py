"""Roth conversions: a multi-year schedule.

Rules and sources: :mod:`toolkit.planning.roth`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.planning._common import (
    IRA_TYPES,
    account_values,
    future_profile,
    money,
    notes_once,
    ordinary_increment,
    owner_accounts,
    owners_with,
    r2,
    rate,
    room,
    tables_year,
)
from toolkit.planning._common import birth_year as _by
from toolkit.planning.rmd import (
    distribution_period,
    rmd_start_age,
)
from toolkit.planning.roth.prorata import conversion_owner, ira_basis
from toolkit.planning.roth.tax import top_bracket_rate
from toolkit.tax.engine import profile_for

__all__ = ['SCHEDULE_COLUMNS', 'conversion_schedule']


# --- multi-year schedule ---------------------------------------------------------------------

#: Columns of :func:`conversion_schedule`, in order.
SCHEDULE_COLUMNS = (
    "year", "tables_year", "assumption", "age", "income", "balance_start", "rmd",
    "rmd_taxable", "ordinary_before", "room", "converted", "taxable_converted", "federal",
    "niit", "state", "tax", "gains_effect", "effective_rate", "marginal_rate", "balance_end",
    "basis_left", "balance_end_no_conversion", "rmd_no_conversion",
)


def conversion_schedule(household: Household, incomes_by_year: Mapping[int, float], *,
                        ceiling=0.22, growth: float = 0.05, start_year: int | None = None,
                        rmd_start: int | None = None, owner: str | None = None,
                        balance: float | None = None, basis=None,
                        birth_year: int | None = None) -> pd.DataFrame:
    """A multi-year conversion plan: fill a bracket each year until RMDs start.

    Each year (from ``start_year`` through ``rmd_start``): the traditional balance grows by
    ``growth``; at year end the RMD (from ``rmd_start``: the prior year-end balance / the
    Uniform Lifetime Table period) comes out first, then the conversion: the room under
    ``ceiling`` given the year's projected income plus the RMD's taxable part, grossed up for
    the pro-rata rule, at most the balance left. Tax is the full-liability difference
    (:func:`conversion_tax`'s method) with that year's tables; years past the last table use
    the last one (``tables_year``; ``assumption`` says so once, on the first such year, as it
    says "no income projected" once, on the first year without an income). Conversion taxes
    are paid from outside the IRA. A second balance column follows the same path without
    conversions.

    Parameters
    ----------
    household : Household
        Its year-to-date profile supplies the filing status, state rate, qualified dividends,
        deductions; this year's realised gains and carryforwards count only in the profile's
        own year.
    incomes_by_year : mapping of int to float
        Projected taxable ordinary income per year (after deductions), dollars, *without*
        distributions or conversions from this balance. Years without an income are grown
        through with no conversion (tax columns NaN).
    ceiling : float or str, default 0.22
        As for :func:`roth_conversion_room`.
    growth : float, default 0.05
        Annual growth of the traditional balance, fraction.
    start_year : int, optional
        First year (default the first year of ``incomes_by_year``).
    rmd_start : int, optional
        First RMD year (default: from the owner's birth year, :func:`rmd_start_age`). The
        table runs through this year.
    owner : str, optional
        Whose IRAs (default: the only owner of traditional IRAs).
    balance : float, optional
        Traditional balance at the start of ``start_year`` (default: the owner's traditional,
        SEP and SIMPLE IRAs today), dollars.
    basis : float, optional
        After-tax basis (default ``[[people]] ira_basis``).
    birth_year : int, optional
        Overrides ``[[people]] birth_year`` for the ages.

    Returns
    -------
    DataFrame
        One row per year, columns :data:`SCHEDULE_COLUMNS` (dollars; ``effective_rate`` and
        ``marginal_rate`` fractions). ``balance_start`` of the ``rmd_start`` row is the
        balance left when RMDs start (the prior year-end balance its first RMD is based on).

    Raises
    ------
    PlanningError
        If no income is given, the owner is ambiguous, or RMDs cannot be dated (no
        ``rmd_start`` and no birth year).
    """
    if not incomes_by_year:
        raise PlanningError("incomes_by_year is empty: give projected ordinary income per year")
    incomes = {int(y): money(f"incomes_by_year[{y}]", v, allow_negative=True)
               for y, v in incomes_by_year.items()}
    g = rate("growth", growth, upper=10.0)
    p0 = profile_for(household)
    o = conversion_owner(household, owner, None)
    if o is None and (balance is None or (rmd_start is None and birth_year is None)):
        cands = owners_with(household, IRA_TYPES)
        raise PlanningError("whose IRAs? pass owner= (traditional IRAs are owned by "
                            f"{', '.join(cands) if cands else 'nobody'})")

    by = birth_year if birth_year is not None else _by(household, o)
    if rmd_start is None:
        if by is None:
            raise PlanningError(f"no rmd_start and no birth_year for {o}: give one")
        rmd_start = int(by + math.ceil(rmd_start_age(int(by))))
    if by is None:
        raise PlanningError(f"the RMD divisor needs an age: add birth_year for {o} to "
                            "[[people]] or pass birth_year=")
    start = int(start_year) if start_year is not None else min(incomes)
    end = max(int(rmd_start), max(incomes))
    if balance is None:
        pool = owner_accounts(household, o, IRA_TYPES)
        bal = float(account_values(household).reindex(pool).fillna(0.0).sum())
    else:
        bal = money("balance", balance)
    b_left = (money("basis", basis) if basis is not None and not isinstance(basis, Mapping)
              else ira_basis(household, o, basis))
    bal_nc = bal
    rows = []
    for y in range(start, end + 1):
        ty, note = tables_year(y)
        age = y - by
        grown = bal * (1.0 + g)
        grown_nc = bal_nc * (1.0 + g)
        need = rmd_start is not None and y >= rmd_start and age >= 72
        r = r2(bal / distribution_period(age)) if need else 0.0
        r_nc = r2(bal_nc / distribution_period(age)) if need else 0.0
        r = min(r, grown)
        frac_nt = 0.0 if b_left <= 0 or grown <= 0 else min(1.0, b_left / grown)
        r_tax = r2(r * (1.0 - frac_nt))
        inc = incomes.get(y)
        row = {"year": y, "tables_year": ty, "assumption": note, "age": age, "income": inc,
               "balance_start": r2(bal), "rmd": r, "rmd_taxable": r_tax}
        conv = 0.0
        if inc is None:
            row.update({"ordinary_before": np.nan, "room": np.nan, "converted": 0.0,
                        "taxable_converted": 0.0, "federal": np.nan, "niit": np.nan,
                        "state": np.nan, "tax": np.nan, "gains_effect": np.nan,
                        "effective_rate": np.nan, "marginal_rate": np.nan})
            row["assumption"] = "; ".join(x for x in (note, "no income projected: no "
                                                      "conversion") if x)
        else:
            py, _ = future_profile(p0, y, inc + r_tax)
            rm = room(py, ceiling)
            avail = max(0.0, grown - r)
            gross = avail if frac_nt >= 1.0 else (
                rm / (1.0 - frac_nt) if math.isfinite(rm) else avail)
            conv = r2(min(gross, avail))
            taxable = r2(conv * (1.0 - frac_nt))
            inc_tax = ordinary_increment(py, taxable)
            row.update({"ordinary_before": r2(py.ordinary_income), "room": rm,
                        "converted": conv, "taxable_converted": taxable,
                        "federal": inc_tax["federal"], "niit": inc_tax["niit"],
                        "state": inc_tax["state"], "tax": inc_tax["total"],
                        "gains_effect": inc_tax["gains_effect"],
                        "effective_rate": round(inc_tax["total"] / conv, 6) if conv else 0.0,
                        "marginal_rate": top_bracket_rate(py, taxable) if taxable > 0 else 0.0})
        b_left = r2(max(0.0, b_left - frac_nt * (r + conv)))
        bal = max(0.0, grown - r - conv)
        bal_nc = max(0.0, grown_nc - min(r_nc, grown_nc))
        row.update({"balance_end": r2(bal), "basis_left": b_left,
                    "balance_end_no_conversion": r2(bal_nc), "rmd_no_conversion": r_nc})
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(SCHEDULE_COLUMNS))
    out["assumption"] = notes_once(out["assumption"])  # each note once, where it starts
    return out.astype({"year": "int64", "tables_year": "int64", "assumption": "str",
                       "age": "int64", "income": "float64"})
