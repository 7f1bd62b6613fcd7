"""The tax engine: holding periods, the tax cost of realising gains, lot selection and wash
sales across the household. Pure functions over canonical frames; no I/O, no display."""

from toolkit.tax.calendar import wash_calendar
from toolkit.tax.engine import (
    TaxInputs,
    liability_parts,
    profile_for,
    realized_this_year,
    tax_change,
    tax_inputs,
    year_to_date_profile,
)
from toolkit.tax.gains import (
    GainsTax,
    Liability,
    capital_gains_liability,
    gains_tax,
    marginal_rates,
)
from toolkit.tax.harvest import HarvestResult, harvest, replacement_candidates
from toolkit.tax.harvest_log import HarvestLog, read_log
from toolkit.tax.holding import long_term_date, long_term_dates, lot_status, term, terms
from toolkit.tax.lots import LotSelection, compare_methods, select_lots
from toolkit.tax.tables import YearTables, available_years, ordinary_tax, year_tables
from toolkit.tax.wash import (
    SubstantiallyIdentical,
    WashResult,
    forward_wash_check,
    identity_groups,
    match_wash_sales,
    wash_sale_result,
    wash_sales,
)
from toolkit.tax.wash_household import expected_reinvestments

__all__ = [
    "GainsTax",
    "HarvestLog",
    "HarvestResult",
    "Liability",
    "LotSelection",
    "SubstantiallyIdentical",
    "TaxInputs",
    "WashResult",
    "YearTables",
    "available_years",
    "capital_gains_liability",
    "compare_methods",
    "expected_reinvestments",
    "forward_wash_check",
    "gains_tax",
    "harvest",
    "identity_groups",
    "long_term_date",
    "long_term_dates",
    "liability_parts",
    "lot_status",
    "marginal_rates",
    "match_wash_sales",
    "ordinary_tax",
    "profile_for",
    "read_log",
    "realized_this_year",
    "replacement_candidates",
    "select_lots",
    "tax_change",
    "tax_inputs",
    "term",
    "terms",
    "wash_sale_result",
    "wash_calendar",
    "wash_sales",
    "year_tables",
    "year_to_date_profile",
]
