"""Rebalancing cadence: policies, return scenarios and the multi-year household simulator.

``simulate(household, policy)`` runs one policy over many years and Monte Carlo (or given)
return paths for this household's accounts, tax lots, contributions and tax profile;
``compare_policies`` tabulates several policies on the same paths. Pure NumPy/pandas; no
display.
"""

from toolkit.cadence.policies import (
    Calendar,
    Hybrid,
    Opportunistic,
    PolicySpec,
    SeedRecommendation,
    Threshold,
)
from toolkit.cadence.returns import AssetAssumptions, ReturnPaths, monte_carlo, returns_from_frame
from toolkit.cadence.simulator import (
    METRICS,
    SimResult,
    compare_policies,
    compare_results,
    simulate,
)
from toolkit.cadence.taxes import TaxArrays, gains_tax_arrays, liability_arrays

__all__ = [
    "METRICS",
    "AssetAssumptions",
    "Calendar",
    "Hybrid",
    "Opportunistic",
    "PolicySpec",
    "ReturnPaths",
    "SeedRecommendation",
    "SimResult",
    "TaxArrays",
    "Threshold",
    "compare_policies",
    "compare_results",
    "gains_tax_arrays",
    "liability_arrays",
    "monte_carlo",
    "returns_from_frame",
    "simulate",
]
