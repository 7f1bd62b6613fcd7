"""Roth conversions: the tax of converting this year.

Rules and sources: :mod:`toolkit.planning.roth`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household, TaxProfile
from toolkit.planning._common import (
    IRA_TYPES,
    PLAN_TYPES,
    account_row,
    money,
    ordinary_increment,
    ordinary_part,
    owners_with,
    person_number,
    r2,
)
from toolkit.planning._common import breakdown as _breakdown
from toolkit.planning.rmd import (
    check_rmd_before_conversion,
)
from toolkit.planning.roth.five_year import five_year_rules
from toolkit.planning.roth.prorata import ProRata, conversion_owner, pro_rata
from toolkit.planning.roth.room import conversion_rooms
from toolkit.tax.engine import profile_for
from toolkit.tax.gains import Liability
from toolkit.tax.tables import year_tables

__all__ = ['ConversionTax', 'conversion_tax', 'conversion_whatif', 'top_bracket_rate']


# --- the tax of a conversion -----------------------------------------------------------------


@dataclass(frozen=True)
class ConversionTax:
    """The tax of converting this year: after minus before.

    Attributes
    ----------
    amount, taxable : float
        Dollars converted (gross) and the taxable part (pro-rata rule).
    federal, niit, state, total : float
        Change in tax, dollars to the cent; ``total = federal + niit + state``.
    ordinary_alone : float
        What the conversion would cost with no capital gains or qualified dividends this year.
    gains_effect : float
        ``total - ordinary_alone``: extra tax on this year's gains and qualified dividends
        pushed into higher brackets or into the NIIT by the conversion.
    effective_rate : float
        ``total / amount`` (fraction; 0 for a zero amount).
    marginal_rate : float
        Ordinary bracket rate of the last dollar converted.
    breakdown : DataFrame
        ``section``, ``line``, ``description``, ``before``, ``after``, ``change`` (dollars),
        every line of the liability computation.
    pro_rata : ProRata or None
        The Form 8606 split when the owner has basis.
    warnings : list of str
        Five-year rules and notes.
    before, after : Liability
    """

    amount: float
    taxable: float
    federal: float
    niit: float
    state: float
    total: float
    ordinary_alone: float
    gains_effect: float
    effective_rate: float
    marginal_rate: float
    breakdown: pd.DataFrame = field(repr=False)
    pro_rata: ProRata | None = field(repr=False)
    warnings: list[str]
    before: Liability = field(repr=False)
    after: Liability = field(repr=False)


def top_bracket_rate(p: TaxProfile, extra: float) -> float:
    """The ordinary bracket rate of the last of ``extra`` dollars of ordinary income.

    Added to the profile's ordinary taxable income; 0 when that stays at or below 0.
    """
    t = year_tables(p.year, p.filing_status)
    x = round(ordinary_part(p) + extra, 2)  # dollars and cents: no float noise at an edge
    for lo, up, r in t.brackets:
        if lo < x <= up:
            return r
    return 0.0 if x <= 0 else t.brackets[-1][2]


def conversion_tax(household, amount: float, *, owner: str | None = None,
                   account: str | None = None, basis=None, distributions: float = 0.0,
                   year_end_value: float | None = None,
                   rmd_distributed: float = 0.0) -> ConversionTax:
    """The federal, NIIT and state tax of converting ``amount`` to a Roth IRA this year.

    The taxable part (pro-rata rule) is added to the year-to-date profile's ordinary income
    and the full liability is differenced, so gains stacked on top move too.

    Parameters
    ----------
    household : Household or TaxProfile
        With a TaxProfile there is no pro-rata rule, RMD check or five-year warning.
    amount : float
        Dollars converted (gross), this year.
    owner, account : str, optional
        Whose IRAs (or the IRA converted from). Default: the only owner of traditional IRAs.
    basis : float or mapping, optional
        After-tax IRA basis (see :func:`pro_rata`); default ``[[people]] ira_basis``.
    distributions, year_end_value : float, optional
        For the pro-rata rule (see :func:`pro_rata`).
    rmd_distributed : float, default 0
        Dollars of this year's RMD already distributed (checked: an RMD owed must be out
        before converting). The profile's ordinary income should already include it.

    Returns
    -------
    ConversionTax

    Raises
    ------
    PlanningError
        If ``amount`` is negative, the owner's RMD for the year has not been distributed, or
        the owner is needed (basis, RMD) and cannot be told.
    TaxTableError
        If there is no table for the profile's year or filing status.

    Examples
    --------
    >>> from toolkit.household import TaxProfile
    >>> c = conversion_tax(TaxProfile("married_filing_jointly", 2026, 150_000), 61_400)
    >>> c.federal, c.marginal_rate
    (13508.0, 0.22)
    """
    amt = money("amount", amount)
    p = profile_for(household)
    warnings: list[str] = []
    pr = None
    taxable = amt
    if isinstance(household, Household):
        o = conversion_owner(household, owner, account)
        has_basis = (basis is not None) or any(
            person_number(household, x, "ira_basis") for x in
            ([o] if o else owners_with(household, IRA_TYPES)))
        if has_basis:
            if o is None:
                raise PlanningError("after-tax IRA basis makes the owner matter: pass owner= or "
                                    "account=")
            pr = pro_rata(household, amt, owner=o, basis=basis, distributions=distributions,
                          year_end_value=year_end_value)
            taxable = pr.taxable
        plan_acct = None
        if account is not None and account_row(household, account)["tax_type"] in PLAN_TYPES:
            plan_acct = account
        for who in ([o] if o else owners_with(household, IRA_TYPES)) if amt > 0 else []:
            try:
                due = check_rmd_before_conversion(household, p.year, who,
                                                  distributed=rmd_distributed,
                                                  account=plan_acct if who == o else None,
                                                  unknown_age="ignore")
            except PlanningError as exc:
                hint = "" if o is not None else " (pass owner= if another owner converts)"
                raise PlanningError(f"{exc}{hint}") from None
            if due != due:  # NaN: no birth year
                warnings.append(f"RMD not checked for {who}: no birth_year in [[people]] (an "
                                "RMD owed this year must be taken before converting)")
        if o is not None and amt > 0:
            warnings.extend(five_year_rules(household, p.year, owner=o)["message"])
        elif amt > 0:
            warnings.append("pass owner= to see the five-year rules for the owner's age")
    inc = ordinary_increment(p, taxable)
    eff = round(inc["total"] / amt, 6) if amt else 0.0
    return ConversionTax(
        amount=r2(amt), taxable=r2(taxable), federal=inc["federal"], niit=inc["niit"],
        state=inc["state"], total=inc["total"], ordinary_alone=inc["ordinary_alone"],
        gains_effect=inc["gains_effect"], effective_rate=eff,
        marginal_rate=top_bracket_rate(p, taxable) if taxable > 0 else 0.0,
        breakdown=_breakdown(inc["before"], inc["after"]), pro_rata=pr, warnings=warnings,
        before=inc["before"], after=inc["after"])


def conversion_whatif(household, amounts=None, *, owner: str | None = None, basis=None
                      ) -> pd.DataFrame:
    """The tax of several conversion amounts this year, side by side.

    Parameters
    ----------
    household : Household or TaxProfile
        A Household's year-to-date profile is used (:func:`toolkit.tax.profile_for`); a TaxProfile
        as given.
    amounts : sequence of float, optional
        Gross dollars to convert. Default: the room under each finite ceiling of
        :func:`conversion_rooms` (sorted, duplicates and zeros dropped).
    owner, basis : optional
        As for :func:`conversion_tax`.

    Returns
    -------
    DataFrame
        One row per amount: ``amount``, ``taxable``, ``ordinary_income_after`` (the profile's
        ordinary income plus the taxable part), ``federal``, ``niit``, ``state``, ``total``,
        ``ordinary_alone``, ``gains_effect`` (dollars), ``effective_rate`` and
        ``marginal_rate`` (fractions).
    """
    p = profile_for(household)
    if amounts is None:
        rooms = conversion_rooms(p)["room"]
        amounts = sorted({float(x) for x in rooms if np.isfinite(x) and x > 0})
    rows = []
    for a in amounts:
        c = conversion_tax(household, a, owner=owner, basis=basis)
        rows.append({"amount": c.amount, "taxable": c.taxable,
                     "ordinary_income_after": r2(p.ordinary_income + c.taxable),
                     "federal": c.federal, "niit": c.niit, "state": c.state, "total": c.total,
                     "ordinary_alone": c.ordinary_alone, "gains_effect": c.gains_effect,
                     "effective_rate": c.effective_rate, "marginal_rate": c.marginal_rate})
    return pd.DataFrame(rows, columns=["amount", "taxable", "ordinary_income_after", "federal",
                                       "niit", "state", "total", "ordinary_alone",
                                       "gains_effect", "effective_rate", "marginal_rate"])
