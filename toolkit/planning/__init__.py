"""Special situations: Roth conversions, RMDs, employer stock (NUA), concentrated positions
and year-end timing. Pure functions over the household and the tax engine; no I/O but the
package data in ``planning/data`` (sourced figures, see ``sources.md`` there), no display.
"""

from toolkit.planning.concentrated import diversify
from toolkit.planning.nua import nua_break_even, nua_comparison, nua_conditions, nua_inputs
from toolkit.planning.rmd import (
    RmdPlan,
    check_rmd_before_conversion,
    distribution_period,
    first_rmd_year,
    household_rmds,
    rmd,
    rmd_plan,
    rmd_start_age,
)
from toolkit.planning.roth import (
    ConversionTax,
    InKindConversion,
    ProRata,
    conversion_rooms,
    conversion_schedule,
    conversion_tax,
    conversion_whatif,
    convert_in_kind,
    five_year_rules,
    pro_rata,
    roth_conversion_room,
)
from toolkit.planning.timing import december_vs_january

__all__ = [
    "ConversionTax",
    "InKindConversion",
    "ProRata",
    "RmdPlan",
    "check_rmd_before_conversion",
    "conversion_rooms",
    "conversion_schedule",
    "conversion_tax",
    "conversion_whatif",
    "convert_in_kind",
    "december_vs_january",
    "distribution_period",
    "diversify",
    "first_rmd_year",
    "five_year_rules",
    "household_rmds",
    "nua_break_even",
    "nua_comparison",
    "nua_conditions",
    "nua_inputs",
    "pro_rata",
    "rmd",
    "rmd_plan",
    "rmd_start_age",
    "roth_conversion_room",
]
