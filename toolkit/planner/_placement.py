"""Where each asset class should live, as a preference score per class and account treatment.

The scores come from the one placement playbook, :data:`toolkit.location.PLAYBOOK` (sourced
there): a class's first preferred treatment scores 3, the second 2, the third 1; a treatment
the playbook says to avoid scores 0; a class the playbook is neutral about scores 1 everywhere.
The planner uses them to decide where new money and tax-free trades go; the optimiser turns
them into a small location penalty.
"""

from __future__ import annotations

from functools import cache

from toolkit.location import PLAYBOOK, playbook_rule

_TREATMENTS = ("taxable", "tax_deferred", "tax_free")


@cache
def _scores() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for rule in PLAYBOOK:
        s = dict.fromkeys(_TREATMENTS, 1.0)
        for rank, treatment in enumerate(rule.prefer):
            s[treatment] = 3.0 - rank
        for treatment in rule.avoid:
            s[treatment] = 0.0
        out[rule.key] = s
    return out


def score(asset_class: str, treatment: str) -> float:
    """Placement preference of ``asset_class`` in an account of ``treatment`` (higher is
    better; classes the playbook does not name score 1)."""
    return _scores().get(asset_class, {}).get(treatment, 1.0)


def reason(asset_class: str, treatment: str) -> str:
    """The playbook's reason when ``treatment`` is a preferred home of ``asset_class``, else
    ``""``."""
    rule = playbook_rule(asset_class)
    if rule is None or treatment not in rule.prefer[:2]:
        return ""
    return rule.reason
