"""Where each asset class should live: a preference score per class and account treatment.

Higher is a better home. The scores encode the usual asset-location playbook (Vanguard,
"Tax-efficient investing" / Bogleheads "Tax-efficient fund placement"): tax-inefficient
income (taxable bonds, REITs) in tax-advantaged accounts, tax-deferred first; broad equity
index funds in taxable; international equity in taxable for the foreign tax credit; the
highest expected growth (equity) in Roth/HSA; municipal bonds only in taxable. The planner
uses them to decide where new money and tax-free trades go; the optimiser turns them into a
small location penalty.
"""

from __future__ import annotations

SCORES: dict[str, dict[str, float]] = {
    #              taxable  tax_deferred  tax_free
    "bonds":       {"taxable": 1.0, "tax_deferred": 3.0, "tax_free": 2.0},
    "reits":       {"taxable": 0.5, "tax_deferred": 3.0, "tax_free": 2.5},
    "muni_bonds":  {"taxable": 3.0, "tax_deferred": 0.0, "tax_free": 0.0},
    "us_equity":   {"taxable": 2.5, "tax_deferred": 1.0, "tax_free": 3.0},
    "intl_equity": {"taxable": 3.0, "tax_deferred": 1.0, "tax_free": 2.0},
    "other":       {"taxable": 1.0, "tax_deferred": 2.0, "tax_free": 2.0},
    "cash":        {"taxable": 1.0, "tax_deferred": 1.0, "tax_free": 1.0},
}

REASONS: dict[tuple[str, str], str] = {
    ("bonds", "tax_deferred"): "taxable interest is best sheltered in a tax-deferred account",
    ("bonds", "tax_free"): "taxable interest is sheltered in a tax-free account",
    ("reits", "tax_deferred"): "REIT dividends are mostly ordinary income: shelter them",
    ("reits", "tax_free"): "REIT dividends are mostly ordinary income: shelter them",
    ("us_equity", "tax_free"): "the highest expected growth belongs in Roth/HSA money",
    ("us_equity", "taxable"): "broad equity index funds are tax-efficient in taxable",
    ("intl_equity", "taxable"): "international equity in taxable earns the foreign tax credit",
    ("muni_bonds", "taxable"): "municipal bond interest is tax-exempt only in taxable",
}


def score(asset_class: str, treatment: str) -> float:
    """Placement preference of ``asset_class`` in an account of ``treatment`` (higher is
    better; unknown classes score 1)."""
    return SCORES.get(asset_class, {}).get(treatment, 1.0)


def reason(asset_class: str, treatment: str) -> str:
    """A plain-language reason for placing ``asset_class`` in ``treatment``, or ``""``."""
    return REASONS.get((asset_class, treatment), "")
