"""The words of a trade's reason: the rule that made it, and what is true of its class there.

A reason has two parts. The rule says why the trade was made: a waterfall step
(:mod:`toolkit.planner.waterfall`) or the term of the optimiser's objective that the trade
lowers (:mod:`toolkit.planner.optimize`: drift, location drag, tax, cash). The placement
fact (:func:`placement_fact`) says what holding the class in the account's treatment means,
worded for that treatment only: no "foreign tax credit" on a Roth buy, no "tax-deferred
first" on Roth money, no "no tax" on a taxable sale.
"""

from __future__ import annotations

from toolkit.location import placement_score

__all__ = ["TREATMENT_WORDS", "class_words", "money_text", "placement_fact", "rank_clause"]

#: How a reason names an account's tax treatment.
TREATMENT_WORDS = {"taxable": "taxable", "tax_deferred": "tax-deferred",
                   "tax_free": "tax-free"}
_CLASS_WORDS = {"us_equity": "US stocks", "intl_equity": "international stocks",
                "bonds": "bonds", "muni_bonds": "municipal bonds", "reits": "REITs",
                "cash": "cash", "other": "other assets"}
_TREATMENTS = ("taxable", "tax_deferred", "tax_free")

#: What holding a class in an account of each treatment means (true there, and only there).
_FACTS = {
    ("bonds", "tax_deferred"): "bond interest, ordinary income, is tax-deferred here, and "
                               "tax-deferred money comes before Roth money for bonds (their "
                               "lower growth uses less of tax-free growth)",
    ("bonds", "tax_free"): "bond interest, ordinary income, is never taxed here",
    ("bonds", "taxable"): "bond interest is ordinary income, taxed every year in a taxable "
                          "account",
    ("reits", "tax_deferred"): "REIT dividends, mostly ordinary income, are tax-deferred here",
    ("reits", "tax_free"): "REIT dividends, mostly ordinary income, are never taxed here",
    ("reits", "taxable"): "REIT dividends are mostly ordinary income, taxed every year in a "
                          "taxable account",
    ("muni_bonds", "taxable"): "municipal interest is free of federal tax, an exemption only "
                               "a taxable account uses",
    ("muni_bonds", "tax_deferred"): "municipal interest is tax-exempt anyway: the exemption "
                                    "is wasted in a tax-deferred account",
    ("muni_bonds", "tax_free"): "municipal interest is tax-exempt anyway: the exemption is "
                                "wasted in a tax-free account",
    ("intl_equity", "taxable"): "the fund's foreign tax is recovered as a foreign tax credit, "
                                "which only a taxable account can claim",
    ("intl_equity", "tax_free"): "stocks' higher expected growth compounds untaxed in "
                                 "tax-free money",
    ("intl_equity", "tax_deferred"): "growth here is taxed as ordinary income when withdrawn "
                                     "and the fund's foreign tax credit is lost",
    ("us_equity", "taxable"): "broad stock index funds are tax-efficient in a taxable "
                              "account: low, mostly qualified dividends",
    ("us_equity", "tax_free"): "the highest expected growth belongs in tax-free money",
    ("us_equity", "tax_deferred"): "growth here is taxed as ordinary income when withdrawn",
}


def money_text(x: float) -> str:
    """Dollars as ``$1,234`` or ``-$1,234`` (no cents), for notes and reasons."""
    return f"-${-x:,.0f}" if round(x) < 0 else f"${abs(x):,.0f}"


def class_words(asset_class: str) -> str:
    """An asset class in words (``"bonds"``, ``"US stocks"``)."""
    return _CLASS_WORDS.get(asset_class, asset_class.replace("_", " "))


def placement_fact(asset_class: str, treatment: str) -> str:
    """What holding ``asset_class`` in an account of ``treatment`` means, for a reason.

    Parameters
    ----------
    asset_class : str
    treatment : {"taxable", "tax_deferred", "tax_free"}

    Returns
    -------
    str
        One clause, true for that treatment; ``""`` for classes the playbook is neutral about
        (cash, other).
    """
    return _FACTS.get((asset_class, treatment), "")


def rank_clause(asset_class: str, treatment: str) -> str:
    """Where ``treatment`` stands among the class's homes in the placement playbook.

    Returns ``"its best home"``, ``"its second home"`` ... or ``""`` when the playbook is
    neutral about the class.
    """
    scores = sorted({placement_score(asset_class, t) for t in _TREATMENTS}, reverse=True)
    if len(scores) == 1:
        return ""
    n = scores.index(placement_score(asset_class, treatment))
    return ("its best home", "its second-best home", "its last choice of home")[min(n, 2)]
