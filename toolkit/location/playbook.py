"""The placement playbook: where each asset class should live, and why.

:data:`PLAYBOOK` holds the asset-location rules of thumb (Bogleheads and Vanguard
asset-location principles): per asset class or sub-class, the treatments preferred, best first,
and those to avoid, each with a one-line reason and its source. :func:`placement_score` and
:func:`placement_reason` turn them into the scores and reasons the planner and the RMD and Roth
planning use.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit.schema import UNCLASSIFIED, TaxTreatment

__all__ = [
    "GROWTH_RANK",
    "PLAYBOOK",
    "SOURCES",
    "TREATMENTS",
    "Rule",
    "placement_reason",
    "placement_score",
    "playbook",
    "playbook_rule",
]

#: The three treatments, in report order.
TREATMENTS: tuple[str, ...] = tuple(t.value for t in TaxTreatment)
_TAXABLE = TaxTreatment.TAXABLE.value
_DEFERRED = TaxTreatment.TAX_DEFERRED.value
_FREE = TaxTreatment.TAX_FREE.value

#: Sources the playbook cites (id -> title and address).
SOURCES: dict[str, str] = {
    "bogleheads": "Bogleheads wiki, 'Tax-efficient fund placement' "
                  "(https://www.bogleheads.org/wiki/Tax-efficient_fund_placement)",
    "vanguard": "Vanguard, 'Asset location can lead to lower taxes', 2024-08-16 "
                "(https://investor.vanguard.com/investor-resources-education/article/"
                "asset-location-can-lead-to-lower-taxes)",
    "wci_international": "White Coat Investor, 'Where should you hold international stocks' "
                         "(https://www.whitecoatinvestor.com/"
                         "where-should-you-hold-international-stocks/)",
    "bogleheads_university": "Bogleheads University 101 (2023), Mike Piper, 'Minimizing taxes "
                             "on your investments': fill Roth accounts with the assets with "
                             "the highest expected returns "
                             "(https://lawwu.github.io/transcripts/TEG0mra8RQM.html)",
}


@dataclass(frozen=True)
class Rule:
    """One placement rule of :data:`PLAYBOOK`.

    Attributes
    ----------
    key : str
        An asset class (:data:`toolkit.schema.ASSET_CLASSES`) or a security-master
        ``sub_class``; a sub-class rule wins over its class's rule.
    prefer : tuple of str
        Treatments preferred, best first (``taxable``, ``tax_deferred``, ``tax_free``);
        empty when the class is fine anywhere.
    avoid : tuple of str
        Treatments where a holding is flagged.
    reason : str
        One line: why.
    source : str
        Key of :data:`SOURCES`.
    """

    key: str
    prefer: tuple[str, ...]
    avoid: tuple[str, ...]
    reason: str
    source: str


#: The placement playbook (asset-location rules of thumb), most specific first.
PLAYBOOK: tuple[Rule, ...] = (
    Rule("high_yield", (_DEFERRED, _FREE, _TAXABLE), (_TAXABLE,),
         "high-yield bond interest is ordinary income taxed every year at the full rate, and "
         "it is the highest bond yield", "bogleheads"),
    Rule("tips", (_DEFERRED, _FREE, _TAXABLE), (_TAXABLE,),
         "TIPS interest and their inflation adjustment are ordinary income each year, even "
         "though the adjustment is not paid out", "bogleheads"),
    Rule("bonds", (_DEFERRED, _FREE, _TAXABLE), (_TAXABLE,),
         "bond interest is ordinary income taxed every year at the full marginal rate; "
         "shelter it, tax-deferred first (bonds' lower expected growth uses less of the "
         "Roth's tax-free growth)", "vanguard"),
    Rule("reits", (_DEFERRED, _FREE, _TAXABLE), (_TAXABLE,),
         "REIT dividends are mostly non-qualified, taxed at ordinary rates every year",
         "bogleheads"),
    Rule("muni_bonds", (_TAXABLE,), (_DEFERRED, _FREE),
         "municipal interest is already free of federal tax; inside a tax-advantaged account "
         "the exemption is wasted and the lower yield remains", "bogleheads"),
    Rule("intl_equity", (_TAXABLE, _FREE, _DEFERRED), (),
         "foreign tax paid by the fund is recovered as a foreign tax credit only in a taxable "
         "account", "wci_international"),
    Rule("us_equity", (_TAXABLE, _FREE, _DEFERRED), (),
         "broad stock index funds are tax-efficient: low, mostly qualified dividends and few "
         "capital-gain distributions; the highest expected growth belongs in Roth before "
         "tax-deferred", "bogleheads_university"),
    Rule("cash", (), (),
         "cash yields little; hold it where it is needed (taxable for spending)", "vanguard"),
    Rule("other", (), (),
         "commodity, gold and crypto funds are not covered by the playbook; their drag comes "
         "from their distributions only", "bogleheads"),
)

#: Ordinal expected-growth rank per class (higher = more growth), for the tie-break that fills
#: tax-free accounts with growth first. An ordering, not a forecast: stocks above REITs above
#: bonds and other funds above munis and cash.
GROWTH_RANK: dict[str, int] = {
    "us_equity": 3, "intl_equity": 3, "reits": 2, "bonds": 1, "other": 1, "muni_bonds": 0,
    "cash": 0, UNCLASSIFIED: 0,
}

_RULES = {r.key: r for r in PLAYBOOK}


def playbook() -> pd.DataFrame:
    """The placement playbook as a frame.

    Returns
    -------
    DataFrame
        One row per :class:`Rule`: ``key``, ``prefer`` and ``avoid`` (treatments joined by
        ``", "``; empty when none), ``reason`` and ``source`` (the cited page).
    """
    return pd.DataFrame([{"key": r.key, "prefer": ", ".join(r.prefer),
                          "avoid": ", ".join(r.avoid), "reason": r.reason,
                          "source": SOURCES[r.source]} for r in PLAYBOOK]).astype("str")


def playbook_rule(asset_class: str, sub_class: str | None = None) -> Rule | None:
    """The rule for a holding: its sub-class's, else its class's, else None.

    Parameters
    ----------
    asset_class : str
    sub_class : str, optional

    Returns
    -------
    Rule or None
    """
    if isinstance(sub_class, str) and sub_class in _RULES:
        return _RULES[sub_class]
    return _RULES.get(asset_class)


def _scores() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for rule in PLAYBOOK:
        s = dict.fromkeys(TREATMENTS, 1.0)
        for rank, treatment in enumerate(rule.prefer):
            s[treatment] = 3.0 - rank
        for treatment in rule.avoid:
            s[treatment] = 0.0
        out[rule.key] = s
    return out


_SCORES = _scores()


def placement_score(asset_class: str, treatment: str) -> float:
    """Placement preference of ``asset_class`` in an account of ``treatment``, from the playbook.

    A class's first preferred treatment scores 3, the second 2, the third 1; a treatment the
    playbook says to avoid scores 0; a class the playbook is neutral about (or does not
    name) scores 1 everywhere. The planner uses it to decide where new money and tax-free
    trades go; the optimiser turns it into a small location tie-break.

    Parameters
    ----------
    asset_class : str
    treatment : {"taxable", "tax_deferred", "tax_free"}

    Returns
    -------
    float
        Higher is better.
    """
    return _SCORES.get(asset_class, {}).get(treatment, 1.0)


def placement_reason(asset_class: str, treatment: str) -> str:
    """The playbook's reason when ``treatment`` is one of the two preferred homes of a class.

    Parameters
    ----------
    asset_class : str
    treatment : {"taxable", "tax_deferred", "tax_free"}

    Returns
    -------
    str
        The rule's one-line reason, else ``""``.
    """
    rule = playbook_rule(asset_class)
    if rule is None or treatment not in rule.prefer[:2]:
        return ""
    return rule.reason
