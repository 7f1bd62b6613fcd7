"""Roth conversions: bracket room, tax, multi-year schedule, in kind, pro-rata, 5-year rules.

The room in a bracket, the tax of converting, a multi-year schedule, which holdings to
convert in kind, the pro-rata rule and the five-year clocks.

Rules (``planning/data/special_rules.csv``, sources in ``planning/data/sources.md``;
TAX_FACTS section 8):

- The pre-tax amount converted is **ordinary income** in the conversion year (§408A(d)(3));
  the 10% early-distribution tax does not apply at conversion; conversions cannot be
  recharacterized after 2017. :func:`conversion_tax` adds the taxable amount to the profile's
  ordinary income and differences the full liability of :func:`toolkit.tax.gains
  .capital_gains_liability`, so long-term gains and qualified dividends stacked on top move
  into higher brackets (and a higher MAGI may start the NIIT on them): the ``gains_effect``
  column shows that part separately.
- **Room** (:func:`roth_conversion_room`): for a bracket rate, the top of that bracket minus
  the household's *ordinary* taxable income (ordinary income + net short-term gain - the
  capital loss deduction: gains taxed at capital-gain rates stack on top and use no ordinary
  room); for ``"ltcg_0"``/``"ltcg_15"`` the 0%/15% ceiling minus *total* taxable income (the
  dollars a conversion can add before any of this year's long-term gains or qualified
  dividends leave the 0% or 15% rate); for ``"niit"`` the NIIT threshold minus modified AGI.
  The profile is the year-to-date one (the household file's figures plus the exports'
  realised gains this year). Its ordinary income should include any RMD taken this year.
- **Pro-rata rule** (§408(d)(2); Form 8606 Part I): the owner's traditional, SEP and SIMPLE
  IRAs are one pool (employer plans and inherited IRAs excluded); the nontaxable fraction is
  basis / (Dec 31 value + distributions + conversions of the year), at most 1. The Dec 31
  value defaults to today's value minus the conversion and distributions (no growth to year
  end), which makes the denominator today's value. The basis comes from ``basis=`` or the
  owner's ``[[people]] ira_basis``.
- **Five-year rules** (warnings, :func:`five_year_rules`): each conversion starts its own
  five-taxable-year clock on January 1 of its year; taking the converted taxable amount out
  within it before 59½ costs the 10% additional tax (§408A(d)(3)(F)). Earnings are tax-free
  only after the owner's single qualified-distribution clock (from January 1 of the first
  year of any Roth IRA contribution; ``[[people]] roth_first_year``) *and* 59½ (or death,
  disability, first home). Ages come from ``[[people]] birth_year``: without a birth month,
  59½ falls in the birth year + 59 (born January-June) or + 60 (July-December).
- An RMD must be taken before converting in an RMD year
  (:func:`toolkit.planning.rmd.check_rmd_before_conversion`).

Not modelled: state rules that exempt retirement income, the 2025-2028 senior deduction and
its phase-out with MAGI, Medicare IRMAA surcharges, and any effect of a higher AGI on credits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.allocation import exposures
from toolkit.errors import PlanningError
from toolkit.household import Household, TaxProfile
from toolkit.planner._placement import reason as placement_reason
from toolkit.planner._placement import score
from toolkit.planning._common import (
    CEILINGS,
    IRA_TYPES,
    PLAN_TYPES,
    account_row,
    account_values,
    birth_year,
    ceiling_limit,
    future_profile,
    money,
    notes_once,
    ordinary_increment,
    owner_accounts,
    owners_with,
    person_number,
    profile_of,
    r2,
    rate,
    room,
    rule_float,
    tables_year,
)
from toolkit.planning._common import breakdown as _breakdown
from toolkit.planning.rmd import (
    check_rmd_before_conversion,
    distribution_period,
    rmd_start_age,
)
from toolkit.schema import TaxType
from toolkit.tax.gains import Liability
from toolkit.tax.tables import year_tables

__all__ = [
    "SCHEDULE_COLUMNS",
    "ConversionTax",
    "InKindConversion",
    "ProRata",
    "conversion_rooms",
    "conversion_schedule",
    "conversion_tax",
    "conversion_whatif",
    "convert_in_kind",
    "five_year_rules",
    "pro_rata",
    "roth_conversion_room",
]


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
    return room(profile_of(household), ceiling)


def _ceilings(p: TaxProfile) -> list:
    t = year_tables(p.year, p.filing_status)
    return [r for _, _, r in t.brackets] + list(CEILINGS)


def conversion_rooms(household) -> pd.DataFrame:
    """The room under every ceiling at once, and what converting all of it would cost.

    Parameters
    ----------
    household : Household or TaxProfile

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
    p = profile_of(household)
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


# --- pro-rata --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProRata:
    """The pro-rata split of a conversion (Form 8606 Part I and line 18).

    Attributes
    ----------
    owner : str or None
    conversion, taxable, nontaxable : float
        Dollars converted, of which taxable and nontaxable (basis recovered).
    nontaxable_fraction : float
        Form 8606 line 10 (not rounded; capped at 1).
    basis_left : float
        Basis carried to next year (line 14), dollars.
    lines : DataFrame
        ``line``, ``description``, ``value``.
    """

    owner: str | None
    conversion: float
    taxable: float
    nontaxable: float
    nontaxable_fraction: float
    basis_left: float
    lines: pd.DataFrame = field(repr=False)

    @property
    def taxable_fraction(self) -> float:
        """``1 - nontaxable_fraction``."""
        return 1.0 - self.nontaxable_fraction


def _owner(household: Household, owner: str | None, account: str | None) -> str | None:
    if account is not None:
        row = account_row(household, account)
        o = None if pd.isna(row["owner"]) else str(row["owner"])
        if owner is not None and o is not None and o != owner:
            raise PlanningError(f"account {account!r} belongs to {o!r}, not {owner!r}")
        return o or owner
    return owner


def _basis(household: Household, owner: str | None, basis) -> float:
    if basis is not None:
        if isinstance(basis, Mapping):
            if owner is None:
                raise PlanningError("basis given per owner: pass owner= or account=")
            return money(f"basis[{owner!r}]", basis.get(owner, 0.0))
        return money("basis", basis)
    v = person_number(household, owner, "ira_basis")
    return 0.0 if v is None else v


def pro_rata(household: Household, conversion: float, *, owner: str | None = None,
             account: str | None = None, basis=None, distributions: float = 0.0,
             year_end_value: float | None = None) -> ProRata:
    """Taxable and nontaxable parts of a conversion under the pro-rata rule.

    Parameters
    ----------
    household : Household
    conversion : float
        Dollars converted this year (all conversions of the year), gross.
    owner : str, optional
        Whose IRAs (needed unless ``account`` names one).
    account : str, optional
        The IRA converted from (its owner is used).
    basis : float or mapping, optional
        After-tax basis in the owner's traditional IRAs (Form 8606 line 5), dollars, or
        owner -> basis. Default: ``[[people]] ira_basis`` of the owner, else 0.
    distributions : float, default 0
        Other distributions from the owner's IRAs this year (line 7), dollars.
    year_end_value : float, optional
        Dec 31 value of all the owner's traditional, SEP and SIMPLE IRAs after the conversion
        (line 6). Default: their value today minus ``conversion`` and ``distributions`` (no
        growth to year end), not below 0.

    Returns
    -------
    ProRata

    Raises
    ------
    PlanningError
        If an amount is negative or not a number, or the conversion is more than the owner's
        IRAs hold (without ``year_end_value``).
    """
    conv = money("conversion", conversion)
    dist = money("distributions", distributions)
    o = _owner(household, owner, account)
    b = _basis(household, o, basis)
    if year_end_value is None:
        pool = owner_accounts(household, o, IRA_TYPES) if o is not None else []
        now = float(account_values(household).reindex(pool).fillna(0.0).sum())
        if b > 0 and conv + dist > now + 0.005:
            raise PlanningError(f"converting ${conv:,.2f} and distributing ${dist:,.2f} is more "
                                f"than the ${now:,.2f} in {o}'s traditional IRAs")
        ye = max(0.0, now - conv - dist)
    else:
        ye = money("year_end_value", year_end_value)
    line9 = ye + dist + conv
    frac = 0.0 if b == 0 else (1.0 if line9 <= 0 else min(1.0, b / line9))
    line11 = r2(conv * frac)
    line12 = r2(dist * frac)
    lines = pd.DataFrame([
        ("5", "After-tax basis in traditional IRAs", b),
        ("6", "Value of all traditional, SEP and SIMPLE IRAs on Dec 31", r2(ye)),
        ("7", "Distributions this year (not conversions)", dist),
        ("8", "Net amount converted to Roth IRAs", conv),
        ("9", "Lines 6 + 7 + 8", r2(line9)),
        ("10", "Nontaxable fraction: line 5 / line 9 (at most 1)", frac),
        ("11", "Nontaxable part of the conversion: line 8 x line 10", line11),
        ("12", "Nontaxable part of the distributions: line 7 x line 10", line12),
        ("14", "Basis left for next year: line 5 - lines 11 and 12", r2(b - line11 - line12)),
        ("18", "Taxable conversion: line 8 - line 11", r2(conv - line11)),
    ], columns=["line", "description", "value"])
    return ProRata(owner=o, conversion=conv, taxable=r2(conv - line11), nontaxable=line11,
                   nontaxable_fraction=frac, basis_left=r2(b - line11 - line12), lines=lines)


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


def _top_rate(p: TaxProfile, extra: float) -> float:
    from toolkit.planning._common import ordinary_part

    t = year_tables(p.year, p.filing_status)
    x = round(ordinary_part(p) + extra, 2)  # dollars and cents: no float noise at an edge
    for lo, up, r in t.brackets:
        if lo < x <= up:
            return r
    return 0.0 if x <= 0 else t.brackets[-1][2]


def _resolve_owner(household: Household, owner, account) -> str | None:
    o = _owner(household, owner, account)
    if o is None:
        cands = owners_with(household, IRA_TYPES)
        if len(cands) == 1:
            o = cands[0]
    return o


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
    p = profile_of(household)
    warnings: list[str] = []
    pr = None
    taxable = amt
    if isinstance(household, Household):
        o = _resolve_owner(household, owner, account)
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
        marginal_rate=_top_rate(p, taxable) if taxable > 0 else 0.0,
        breakdown=_breakdown(inc["before"], inc["after"]), pro_rata=pr, warnings=warnings,
        before=inc["before"], after=inc["after"])


def conversion_whatif(household, amounts=None, *, owner: str | None = None, basis=None
                      ) -> pd.DataFrame:
    """The tax of several conversion amounts this year, side by side.

    Parameters
    ----------
    household : Household or TaxProfile
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
    p = profile_of(household)
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
    p0 = profile_of(household)
    o = _resolve_owner(household, owner, None)
    if o is None and (balance is None or (rmd_start is None and birth_year is None)):
        cands = owners_with(household, IRA_TYPES)
        raise PlanningError("whose IRAs? pass owner= (traditional IRAs are owned by "
                            f"{', '.join(cands) if cands else 'nobody'})")
    from toolkit.planning._common import birth_year as _by

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
              else _basis(household, o, basis))
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
                        "marginal_rate": _top_rate(py, taxable) if taxable > 0 else 0.0})
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


# --- in kind ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InKindConversion:
    """Which holdings to convert in kind and how the household's location changes.

    Attributes
    ----------
    holdings : DataFrame
        One row per holding converted, best first: ``account`` (the traditional IRA),
        ``symbol``, ``asset_class``, ``roth_preference`` (placement score in Roth minus in
        tax-deferred: how much better the holding lives in Roth), ``expected_return``
        (fraction per year, the class assumption; look-through for funds), ``price``
        (dollars/share), ``quantity_held``, ``quantity`` (shares converted), ``value``
        (dollars), ``reason``.
    location : DataFrame
        ``asset_class``, ``treatment``, ``before``, ``after``, ``change`` (dollars).
    to_account : str or None
        The owner's Roth IRA receiving the shares (None: a new Roth IRA).
    amount, converted : float
        Dollars asked for and converted (whole shares of ETFs and stocks: a little less).
    tax : ConversionTax
    notes : tuple of str
    """

    holdings: pd.DataFrame
    location: pd.DataFrame
    to_account: str | None
    amount: float
    converted: float
    tax: ConversionTax = field(repr=False)
    notes: tuple[str, ...] = ()


def _expected_returns() -> dict[str, float]:
    from toolkit.cadence.returns import AssetAssumptions

    t = AssetAssumptions.default().table
    return {str(c): float(v) for c, v in t["expected_return"].items()}


def convert_in_kind(household: Household, amount: float, *, account: str | None = None,
                    owner: str | None = None, basis=None) -> InKindConversion:
    """Which holdings of a traditional IRA to convert in kind, and the location after.

    Holdings are ranked by how much better they live in Roth than in a tax-deferred account
    (the planner's placement scores, :mod:`toolkit.planner._placement`: equity before
    bonds: the highest expected growth belongs in Roth), then by their class's expected
    return (``toolkit/data/asset_assumptions.csv``; funds looked through by the security
    master's weights), then by value. Whole holdings are taken in that order and the last one
    in part: whole shares for ETFs and stocks, thousandths of a share for mutual funds.

    Parameters
    ----------
    household : Household
    amount : float
        Dollars to convert.
    account : str, optional
        The traditional IRA to convert from (default: every traditional, SEP and SIMPLE IRA
        of the owner, pooled).
    owner : str, optional
        Default: the account's owner, else the only owner of traditional IRAs.
    basis : optional
        After-tax IRA basis, for the tax (see :func:`conversion_tax`).

    Returns
    -------
    InKindConversion

    Raises
    ------
    PlanningError
        If the owner cannot be told, the account is not a traditional IRA, or ``amount`` is
        more than the account(s) hold.
    """
    amt = money("amount", amount)
    o = _resolve_owner(household, owner, account)
    if account is not None:
        row = account_row(household, account)
        if row["tax_type"] not in IRA_TYPES:
            raise PlanningError(f"account {account!r} is a {row['tax_type']} account, not a "
                                "traditional, SEP or SIMPLE IRA")
        src = [str(row["account"])]
    else:
        if o is None:
            raise PlanningError("whose IRA? pass account= or owner=")
        src = owner_accounts(household, o, IRA_TYPES)
    pos = household.positions
    held = pos[pos["account"].isin(src) & (pos["market_value"] > 0)].copy()
    total = float(held["market_value"].sum())
    if amt > total + 0.005:
        raise PlanningError(f"converting ${amt:,.2f} is more than the ${total:,.2f} held in "
                            f"{', '.join(src)}")
    er = _expected_returns()
    ex = exposures(household)
    ex = ex[ex["account"].isin(src)]
    pref = ex["weight"] * ex["asset_class"].map(
        lambda c: score(c, "tax_free") - score(c, "tax_deferred"))
    exp_ret = ex["weight"] * ex["asset_class"].map(lambda c: er.get(c, np.nan))
    key = [ex["account"], ex["symbol"]]
    pref_by = pref.groupby(key).sum()
    er_by = exp_ret.groupby(key).sum(min_count=1)
    held["roth_preference"] = [float(pref_by.get((a, s), 0.0)) for a, s in
                               zip(held["account"], held["symbol"], strict=True)]
    held["expected_return"] = [float(er_by.get((a, s), np.nan)) for a, s in
                               zip(held["account"], held["symbol"], strict=True)]
    held = held.sort_values(["roth_preference", "expected_return", "market_value"],
                            ascending=[False, False, False], na_position="last", kind="stable")
    master = household.securities
    rows = []
    left = amt
    for r in held.itertuples(index=False):
        if left <= 0.005:
            break
        price = float(r.price) if pd.notna(r.price) and r.price > 0 else (
            r.market_value / r.quantity if r.quantity else np.nan)
        key_ = master.resolve(r.symbol) or master.resolve(r.cusip)
        info = master.get(key_) if key_ else None
        vehicle = None if info is None else info.get("vehicle")
        whole = vehicle in ("etf", "stock", "cef") or r.asset_class == "cash"
        if r.market_value <= left + 0.005:
            q = float(r.quantity)
        else:
            q = left / price
            q = math.floor(q) if whole and r.asset_class != "cash" else math.floor(q * 1000) / 1000
        if q <= 0:
            continue
        v = r2(min(r.market_value, q * price))
        left -= v
        cls = r.asset_class
        why = placement_reason(cls, "tax_free") or (
            "better in Roth than tax-deferred" if r.roth_preference > 0 else
            "fills the amount (no placement preference for Roth)")
        rows.append({"account": r.account, "symbol": r.symbol, "asset_class": cls,
                     "roth_preference": r.roth_preference, "expected_return": r.expected_return,
                     "price": price, "quantity_held": float(r.quantity), "quantity": q,
                     "value": v, "reason": why})
    cols = ["account", "symbol", "asset_class", "roth_preference", "expected_return", "price",
            "quantity_held", "quantity", "value", "reason"]
    moves = pd.DataFrame(rows, columns=cols)
    converted = r2(moves["value"].sum()) if len(moves) else 0.0
    dest = owner_accounts(household, o, (TaxType.ROTH_IRA.value,)) if o else []
    to = dest[0] if dest else None
    notes = []
    if to is None:
        notes.append(f"{o or 'the owner'} has no Roth IRA in the household: the shares go to a "
                     "new Roth IRA")
    if amt - converted > 0.005:
        notes.append(f"${amt - converted:,.2f} of the ${amt:,.2f} is not converted: whole "
                     "shares only for ETFs and stocks")
    tax = conversion_tax(household, converted, owner=o, basis=basis)
    return InKindConversion(holdings=moves, location=_location_after(household, moves, to),
                            to_account=to, amount=r2(amt), converted=converted, tax=tax,
                            notes=tuple(notes))


def _location_after(household: Household, moves: pd.DataFrame, to: str | None
                    ) -> pd.DataFrame:
    ex = exposures(household)
    ex["treatment"] = ex["tax_type"].map(lambda t: TaxType(t).treatment.value)
    before = ex.groupby(["asset_class", "treatment"])["market_value"].sum()
    after_ex = ex.copy()
    vals = household.positions.groupby(["account", "symbol"])["market_value"].sum()
    added = []
    for m in moves.itertuples(index=False):
        frac = m.value / float(vals.get((m.account, m.symbol), m.value))
        sel = (after_ex["account"] == m.account) & (after_ex["symbol"] == m.symbol)
        part = after_ex.loc[sel].copy()
        after_ex.loc[sel, "market_value"] = part["market_value"] * (1.0 - frac)
        part["market_value"] = part["market_value"] * frac
        part["treatment"] = "tax_free"
        part["account"] = to if to is not None else "new Roth IRA"
        added.append(part)
    if added:
        after_ex = pd.concat([after_ex, *added], ignore_index=True)
    after = after_ex.groupby(["asset_class", "treatment"])["market_value"].sum()
    out = pd.concat({"before": before, "after": after}, axis=1).fillna(0.0).round(2)
    out["change"] = (out["after"] - out["before"]).round(2) + 0.0
    return out.reset_index()
