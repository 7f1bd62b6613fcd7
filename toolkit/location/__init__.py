"""Asset location: the yearly tax drag of each holding where it sits, and where it should sit.

Three pieces, each usable alone:

:func:`tax_drag`
    Per position, the estimated tax a year of holding it where it is. In a taxable account a
    fund's distributions (``yield`` x value, from the security master) are taxed by character:
    the ``qualified_fraction`` at the household's marginal rate on one more dollar of qualified
    dividends, the rest at its marginal rate on one more dollar of ordinary investment income
    (interest, non-qualified and REIT dividends); tax-exempt (municipal) distributions pay no
    federal tax and no NIIT but, by default, the state rate. International funds held in a
    taxable account recover the foreign tax their fund paid (``foreign_tax`` x value) as a
    foreign tax credit, which is subtracted. Holdings in tax-deferred and tax-free accounts
    have no drag now.
:data:`PLAYBOOK`
    The placement rules of thumb (Bogleheads and Vanguard asset-location principles): per
    asset class or sub-class, the treatments preferred, best first, and those to avoid, each
    with a one-line reason and its source.
:func:`optimal_placement`
    A linear programme (scipy's HiGHS) placing each class's dollars into treatments (taxable,
    tax-deferred, tax-free) whose totals are the household's dollars in each, to minimise
    the yearly drag; ties are broken towards higher expected growth in tax-free accounts and
    then towards the current placement.

:func:`location_report` puts them together for a household, flags the holdings the playbook
would place elsewhere, and lists concrete swaps between accounts ranked by the drag they
recover, each with the tax cost of its taxable side.

How the marginal rates are found
--------------------------------
``ordinary`` is the change in federal + NIIT + state tax when the profile's
``ordinary_income`` *and* ``other_investment_income`` grow by one dollar (interest and
non-qualified dividends are investment income, so they count for the NIIT); ``qualified``
the change when ``qualified_dividends`` grows by one dollar. Both come from the same full
computation :func:`toolkit.tax.gains_tax` uses (:mod:`toolkit.tax.gains`), as
:func:`toolkit.tax.marginal_rates` does; the qualified-dividend rate is computed directly
rather than taken as the long-term-gain rate because the two differ when the household has
capital losses (a loss carryover absorbs the next dollar of gain, taxing it at the ordinary
rate, but never a dividend). The profile's income is taken to include the year's
distributions already, so each holding's drag is priced at the margin; a very large
holding may cross a bracket.

What is not modelled (documented approximations)
------------------------------------------------
- The deferral and the rate at withdrawal: tax-deferred and tax-free holdings have zero
  drag now; the future tax on a traditional account's withdrawals is not charged to any
  class, so the placement between tax-deferred and tax-free is decided by the growth
  tie-break only.
- Capital-gain distributions and the tax on selling are not part of the drag (index funds
  and ETFs rarely distribute gains); turnover of active funds is therefore understated.
- REIT dividends are taxed at the ordinary rate on their non-qualified part; the section
  199A deduction (which lowers the federal rate on qualified REIT dividends) is not
  applied, so REIT drag in a taxable account is overstated, not understated.
- The foreign tax credit is taken in full (no Form 1116 limitation) and the foreign tax is
  not grossed up into the dividend.
- Treasury interest is taxed at the full ordinary rate, including the state rate, though
  states do not tax it; municipal interest is taxed at the state rate (most states tax
  other states' bonds, and a national fund holds mostly out-of-state bonds): pass
  ``rates={"tax_exempt": 0.0}`` for an in-state fund or a state without income tax.
- A holding the security master does not describe (no ``yield``) has an unknown drag (NaN)
  in a taxable account, and zero in a tax-advantaged one.
"""

from toolkit.location.drag import fund_drag_rates, tax_drag
from toolkit.location.placement import Placement, optimal_placement
from toolkit.location.playbook import (
    GROWTH_RANK,
    PLAYBOOK,
    SOURCES,
    TREATMENTS,
    Rule,
    placement_reason,
    placement_score,
    playbook,
    playbook_rule,
)
from toolkit.location.report import LocationReport, location_report

__all__ = [
    "GROWTH_RANK",
    "PLAYBOOK",
    "SOURCES",
    "TREATMENTS",
    "LocationReport",
    "Placement",
    "Rule",
    "fund_drag_rates",
    "location_report",
    "optimal_placement",
    "placement_reason",
    "placement_score",
    "playbook",
    "playbook_rule",
    "tax_drag",
]
