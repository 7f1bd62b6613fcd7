"""Tax-aware, household-level rebalancing for US investors, Jupyter first.

The public API: load a household (or single exports) into validated pandas frames, then ask
the core about it. Frames and their columns are declared in :mod:`toolkit.schema`.
"""

from toolkit.allocation import (
    Band,
    allocation,
    drift,
    drift_views,
    exposures,
    subclass_drift,
)
from toolkit.cadence import (
    AssetAssumptions,
    Calendar,
    Hybrid,
    Opportunistic,
    SeedRecommendation,
    Threshold,
    compare_policies,
    simulate,
)
from toolkit.checkup import checkup
from toolkit.errors import (
    FormatError,
    HouseholdError,
    MissingColumnError,
    PlanningError,
    SchemaError,
    TaxTableError,
    ToolkitError,
    UnknownFormatError,
)
from toolkit.history import rebuild_lots, reconcile, reconciliation_summary
from toolkit.household import Household, TaxProfile
from toolkit.household_file import load_household
from toolkit.io import Export, available_formats, load_export
from toolkit.location import location_report, optimal_placement, tax_drag
from toolkit.planner import (
    Plan,
    PlanMode,
    PlanOptions,
    cheapest_matching,
    cheapest_within_band,
    compare,
    plan,
)
from toolkit.planning import (
    conversion_schedule,
    conversion_tax,
    convert_in_kind,
    december_vs_january,
    diversify,
    household_rmds,
    nua_break_even,
    nua_comparison,
    pro_rata,
    rmd,
    rmd_plan,
    roth_conversion_room,
)
from toolkit.schema import Action, CostBasisMethod, TaxType
from toolkit.securities import SecurityMaster, load_securities
from toolkit.tax import (
    HarvestLog,
    LotSelection,
    compare_methods,
    forward_wash_check,
    gains_tax,
    harvest,
    lot_status,
    marginal_rates,
    profile_for,
    read_log,
    select_lots,
    term,
    wash_sales,
    year_tables,
)

__all__ = [
    "Action",
    "AssetAssumptions",
    "Band",
    "Calendar",
    "CostBasisMethod",
    "Export",
    "FormatError",
    "HarvestLog",
    "Household",
    "HouseholdError",
    "Hybrid",
    "LotSelection",
    "MissingColumnError",
    "Opportunistic",
    "Plan",
    "PlanMode",
    "PlanOptions",
    "PlanningError",
    "SchemaError",
    "SecurityMaster",
    "SeedRecommendation",
    "TaxProfile",
    "TaxTableError",
    "TaxType",
    "Threshold",
    "ToolkitError",
    "UnknownFormatError",
    "allocation",
    "available_formats",
    "cheapest_matching",
    "cheapest_within_band",
    "checkup",
    "compare",
    "compare_methods",
    "compare_policies",
    "conversion_schedule",
    "conversion_tax",
    "convert_in_kind",
    "december_vs_january",
    "diversify",
    "drift",
    "drift_views",
    "exposures",
    "forward_wash_check",
    "gains_tax",
    "harvest",
    "household_rmds",
    "load_export",
    "load_household",
    "load_securities",
    "location_report",
    "lot_status",
    "marginal_rates",
    "nua_break_even",
    "nua_comparison",
    "optimal_placement",
    "plan",
    "pro_rata",
    "profile_for",
    "read_log",
    "rebuild_lots",
    "reconcile",
    "reconciliation_summary",
    "rmd",
    "rmd_plan",
    "roth_conversion_room",
    "select_lots",
    "simulate",
    "subclass_drift",
    "tax_drag",
    "term",
    "wash_sales",
    "year_tables",
]

__version__ = "0.1.0"
