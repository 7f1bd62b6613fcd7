"""Roth conversions: bracket room, tax, multi-year schedule, in kind, pro-rata, 5-year rules.

One module per concept: the room in a bracket (:mod:`~toolkit.planning.roth.room`), the tax
of converting (:mod:`~toolkit.planning.roth.tax`), a multi-year schedule
(:mod:`~toolkit.planning.roth.schedule`), which holdings to convert in kind
(:mod:`~toolkit.planning.roth.in_kind`), the pro-rata rule
(:mod:`~toolkit.planning.roth.prorata`) and the five-year clocks
(:mod:`~toolkit.planning.roth.five_year`).

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

from toolkit.planning.roth.five_year import five_year_rules
from toolkit.planning.roth.in_kind import InKindConversion, convert_in_kind
from toolkit.planning.roth.prorata import ProRata, pro_rata
from toolkit.planning.roth.room import conversion_rooms, roth_conversion_room
from toolkit.planning.roth.schedule import SCHEDULE_COLUMNS, conversion_schedule
from toolkit.planning.roth.tax import ConversionTax, conversion_tax, conversion_whatif

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
