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

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from toolkit.allocation import exposures
from toolkit.errors import PlanningError
from toolkit.household import Household, TaxProfile
from toolkit.schema import UNCLASSIFIED, TaxTreatment, TaxType
from toolkit.tax.engine import liability_parts, profile_for, tax_inputs

__all__ = [
    "GROWTH_RANK",
    "PLAYBOOK",
    "SOURCES",
    "TREATMENTS",
    "LocationReport",
    "Placement",
    "Rule",
    "location_report",
    "fund_drag_rates",
    "optimal_placement",
    "playbook",
    "playbook_rule",
    "tax_drag",
]

#: The three treatments, in report order.
TREATMENTS: tuple[str, ...] = tuple(t.value for t in TaxTreatment)
_TAXABLE = TaxTreatment.TAXABLE.value
_DEFERRED = TaxTreatment.TAX_DEFERRED.value
_FREE = TaxTreatment.TAX_FREE.value
#: Account tax types that are employer plans: what they can buy is limited to the plan menu.
_EMPLOYER_PLANS = frozenset({"401k", "roth_401k", "403b", "roth_403b", "457b"})
#: Holdings of each class in each treatment a swap search considers (largest yearly drag in
#: taxable accounts, largest value elsewhere), which bounds the search on large households.
_SWAP_CANDIDATES = 8
#: Reduced costs above this (relative to the largest) fix a variable at zero between stages.
_REDUCED_COST_TOL = 1e-9

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


# --- rates and drag ---------------------------------------------------------------------------


def _distribution_rates(profile: TaxProfile) -> dict[str, float]:
    """Marginal federal + NIIT + state rate on one more dollar of each kind of distribution."""

    def total(p: TaxProfile) -> float:
        r = liability_parts(tax_inputs(p), 0.0, 0.0)
        return r["federal"] + r["niit"] + r["state"]

    h = 1.0
    base = total(profile)
    ordinary = total(profile.replace(
        ordinary_income=profile.ordinary_income + h,
        other_investment_income=profile.other_investment_income + h)) - base
    qualified = total(profile.replace(qualified_dividends=profile.qualified_dividends + h)) - base
    return {"ordinary": round(ordinary / h, 6) + 0.0, "qualified": round(qualified / h, 6) + 0.0,
            "tax_exempt": float(profile.state_rate)}


def _rates(household: Household, rates: Mapping[str, float] | None) -> dict[str, float]:
    given = dict(rates or {})
    if "qualified" not in given and "long_term" in given:
        given["qualified"] = given["long_term"]
    unknown = set(given) - {"ordinary", "qualified", "long_term", "tax_exempt"}
    if unknown:
        raise PlanningError(f"rates: unknown key(s) {sorted(unknown)}; expected ordinary, "
                            "qualified (or long_term) and tax_exempt")
    need = {"ordinary", "qualified", "tax_exempt"} - set(given)
    out = _distribution_rates(profile_for(household)) if need else {}
    out.update({k: given[k] for k in ("ordinary", "qualified", "tax_exempt") if k in given})
    for k, v in out.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1:
            raise PlanningError(f"rates[{k!r}] = {v!r} must be a fraction in [0, 1)")
        out[k] = float(v)
    return out


def _master_fields(household: Household, symbols: pd.Series,
                   cusips: pd.Series | None = None) -> pd.DataFrame:
    master = household.securities
    uniq = pd.unique(symbols.astype("object"))
    res = {s: master.resolve(s) for s in uniq}
    keys = symbols.map(res)
    if cusips is not None:
        keys = keys.where(keys.notna(), cusips.map(master.resolve))
    cols = ["sub_class", "tax_character", "qualified_fraction", "yield", "foreign_tax"]
    f = master.frame.reindex(keys.to_numpy())[cols].reset_index(drop=True)
    f.index = symbols.index
    return f


def _character(fields: pd.DataFrame, r: Mapping[str, float]) -> tuple[pd.Series, pd.Series]:
    """Qualified fraction (filled from the character) and average rate on distributions."""
    char = fields["tax_character"]
    qf = fields["qualified_fraction"]
    qf = qf.where(qf.notna(), char.map({"qualified": 1.0, "ordinary": 0.0,
                                        "tax_exempt": 0.0})).astype("float64")
    exempt = char.eq("tax_exempt").fillna(False).to_numpy(dtype=bool)
    rate = np.where(exempt, r["tax_exempt"], qf * r["qualified"] + (1.0 - qf) * r["ordinary"])
    return qf, pd.Series(rate, index=fields.index, dtype="float64")


def _rate_if_taxable(fields: pd.DataFrame, r: Mapping[str, float]) -> pd.Series:
    """Drag per dollar of value in a taxable account (NaN where the yield is unknown)."""
    _, rate = _character(fields, r)
    return fields["yield"] * rate - fields["foreign_tax"].fillna(0.0)


def _drag_frame(household: Household, r: Mapping[str, float]) -> pd.DataFrame:
    pos = household.positions
    types = dict(zip(household.accounts["account"], household.accounts["tax_type"],
                     strict=True))
    tax_type = pos["account"].map(types)
    treatment = tax_type.map(lambda t: TaxType(t).treatment.value)
    fields = _master_fields(household, pos["symbol"], pos["cusip"])
    mv = pos["market_value"]
    qf, rate = _character(fields, r)
    dist = fields["yield"] * mv
    tax_if = dist * rate
    ftc_if = fields["foreign_tax"].fillna(0.0) * mv
    taxable = treatment.eq(_TAXABLE)
    drag_if = tax_if - ftc_if
    out = pd.DataFrame({
        "account": pos["account"],
        "tax_type": tax_type.astype("str"),
        "treatment": treatment.astype("str"),
        "symbol": pos["symbol"],
        "asset_class": pos["asset_class"],
        "sub_class": fields["sub_class"].astype("str"),
        "market_value": mv,
        "tax_character": fields["tax_character"].astype("str"),
        "yield": fields["yield"],
        "qualified_fraction": qf,
        "foreign_tax": fields["foreign_tax"],
        "distributions": dist,
        "tax_rate": rate,
        "tax": tax_if.where(taxable, 0.0),
        "foreign_tax_credit": ftc_if.where(taxable, 0.0),
        "drag": drag_if.where(taxable, 0.0),
        "drag_if_taxable": drag_if,
    })
    return out.reset_index(drop=True)


_MONEY = ("distributions", "tax", "foreign_tax_credit", "drag", "drag_if_taxable")


def tax_drag(household: Household, *, rates: Mapping[str, float] | None = None
             ) -> pd.DataFrame:
    """Estimated yearly tax of holding each position where it is.

    Parameters
    ----------
    household : Household
        Positions, account tax types, security master (``yield``, ``tax_character``,
        ``qualified_fraction``, ``foreign_tax``) and tax profile.
        Tax is priced on its year-to-date profile (:func:`toolkit.tax.profile_for`).
    rates : mapping, optional
        Marginal rates as fractions: ``ordinary`` (interest, non-qualified and REIT
        dividends), ``qualified`` (or ``long_term``; qualified dividends) and ``tax_exempt``
        (municipal interest: the state rate by default). Missing keys are computed from the
        profile (see the module docstring); each includes federal, NIIT and state tax.

    Returns
    -------
    DataFrame
        One row per position, in the positions' order: ``account``, ``tax_type``,
        ``treatment``, ``symbol``, ``asset_class``, ``sub_class``, ``market_value``
        (dollars), ``tax_character``, ``yield``, ``qualified_fraction``, ``foreign_tax``
        (fractions, from the master; NaN when unknown), ``distributions`` (yield x value,
        dollars a year), ``tax_rate`` (average rate on the distributions, fraction),
        ``tax`` (tax on the distributions, 0 outside taxable accounts), ``foreign_tax_credit``
        (foreign tax recovered, taxable accounts only), ``drag`` (``tax`` minus
        ``foreign_tax_credit``: dollars a year; may be negative for an international fund
        whose credit exceeds the tax; 0 in tax-advantaged accounts) and ``drag_if_taxable``
        (the drag the holding would have in a taxable account). Money is rounded to cents.
        A holding without a known yield (unclassified, a broker's cash sweep) has NaN
        ``drag`` in a taxable account; sums skip it. ``attrs["rates"]`` holds the rates used.

    Raises
    ------
    PlanningError
        If a given rate is not a fraction in [0, 1).
    TaxTableError
        If rates must be computed and there is no tax table for the profile's year.

    Examples
    --------
    $100,000 of BND (3.8% yield, ordinary) in a taxable account, married filing jointly with
    $185,000 of ordinary income and a 5% state rate: 3,800 x (22% + 5%) = $1,026.00 a year.
    """
    r = _rates(household, rates)
    out = _drag_frame(household, r)
    for c in _MONEY:
        out[c] = out[c].round(2) + 0.0
    out.attrs["rates"] = dict(r)
    return out


# --- the linear programme --------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """The best placement of each class's dollars into treatments.

    Attributes
    ----------
    dollars : DataFrame
        Class (index ``asset_class``) x treatment (columns) dollars.
    drag : float
        Yearly drag of ``dollars`` at ``rates``, dollars.
    current_drag : float or None
        Yearly drag of the current placement at ``rates`` (None when not given).
    rates : DataFrame
        Drag per dollar per year of each class in each treatment, fractions.
    status : str
        HiGHS' message for the last stage solved, and any stage that failed.
    """

    dollars: pd.DataFrame
    drag: float
    current_drag: float | None
    rates: pd.DataFrame
    status: str

    @property
    def saving(self) -> float | None:
        """Current drag minus best drag, dollars a year (None without a current placement)."""
        if self.current_drag is None:
            return None
        return round(self.current_drag - self.drag, 2) + 0.0


def optimal_placement(values: pd.Series, capacity: pd.Series, rates: pd.DataFrame, *,
                      growth: Mapping[str, float] | pd.Series | None = None,
                      current: pd.DataFrame | None = None) -> Placement:
    """Place each class's dollars into treatments to minimise the yearly tax drag.

    A linear programme solved with HiGHS (``scipy.optimize.linprog(method="highs")``) over
    ``x[c, t]`` >= 0, the dollars of class ``c`` in treatment ``t``, with each class's total
    and each treatment's total fixed. Solved lexicographically:

    1. minimise the drag ``sum rates[c, t] x[c, t]``;
    2. among the drag-optimal placements, maximise the growth rank held in ``tax_free``
       (``sum growth[c] x[c, "tax_free"]``), when ``growth`` is given;
    3. among those, move as few dollars as possible from ``current``, when given.

    Parameters
    ----------
    values : Series
        Dollars per class (index: class), non-negative.
    capacity : Series
        Dollars per treatment (index: treatment); must sum to ``values``' total (to the
        cent).
    rates : DataFrame
        Drag per dollar per year, class (index) x treatment (columns); missing cells are 0.
    growth : mapping or Series, optional
        Expected-growth rank per class (e.g. :data:`GROWTH_RANK`); missing classes rank 0.
    current : DataFrame, optional
        Current dollars, class x treatment, for the last tie-break and ``current_drag``.

    Returns
    -------
    Placement

    Raises
    ------
    PlanningError
        If a value or capacity is negative or not finite, the totals differ by more than a
        cent, or HiGHS finds no solution.

    Examples
    --------
    >>> import pandas as pd
    >>> p = optimal_placement(pd.Series({"bonds": 100.0, "us_equity": 100.0}),
    ...                       pd.Series({"taxable": 100.0, "tax_deferred": 100.0}),
    ...                       pd.DataFrame({"taxable": [0.01, 0.002], "tax_deferred": 0.0},
    ...                                    index=["bonds", "us_equity"]))
    >>> float(p.dollars.loc["us_equity", "taxable"]), round(p.drag, 2)
    (100.0, 0.2)
    """
    classes = [str(c) for c in values.index]
    treats = [str(t) for t in capacity.index]
    v = values.astype("float64").to_numpy()
    k = capacity.astype("float64").to_numpy()
    if not (np.isfinite(v).all() and np.isfinite(k).all()) or (v < 0).any() or (k < 0).any():
        raise PlanningError("class values and treatment capacities must be finite, "
                            "non-negative dollars")
    if abs(v.sum() - k.sum()) > 0.01:
        raise PlanningError(f"class values total ${v.sum():,.2f} but treatment capacities "
                            f"total ${k.sum():,.2f}; they must be equal")
    nc, nt = len(classes), len(treats)
    rt = rates.reindex(index=classes, columns=treats).fillna(0.0).to_numpy(dtype="float64")
    x0 = None
    if current is not None:
        x0 = current.reindex(index=classes, columns=treats).fillna(0.0).to_numpy(
            dtype="float64")
    n = nc * nt
    if n == 0:
        empty = pd.DataFrame(index=pd.Index(classes, name="asset_class"), columns=treats,
                             dtype="float64")
        return Placement(empty, 0.0, 0.0 if x0 is not None else None,
                         pd.DataFrame(rt, index=classes, columns=treats), "nothing to place")
    a_eq = np.zeros((nc + nt - 1, n))
    for i in range(nc):
        a_eq[i, i * nt:(i + 1) * nt] = 1.0
    for j in range(nt - 1):  # the last treatment row is implied by the totals
        a_eq[nc + j, j::nt] = 1.0
    b_eq = np.concatenate([v, k[:-1]])
    # Each stage keeps the previous stage's optimal face exactly: a variable whose reduced
    # cost is positive is zero in every optimal solution (complementary slackness), so it is
    # fixed at zero for the next stage.
    upper = np.full(n, np.inf)

    def solve(c, extra: int = 0, a_ub=None, b_ub=None):
        a = a_eq if not extra else np.hstack([a_eq, np.zeros((a_eq.shape[0], extra))])
        bounds = [(0.0, None if np.isinf(u) else u) for u in upper] + [(0.0, None)] * extra
        return linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a, b_eq=b_eq, bounds=bounds,
                       method="highs")

    def fix(res) -> None:
        scale = max(1.0, float(np.max(np.abs(res.lower.marginals[:n]))))
        upper[res.lower.marginals[:n] > _REDUCED_COST_TOL * scale] = 0.0

    # the drag objective is scaled so its largest rate is 1: rate differences far below
    # HiGHS' optimality tolerance (1e-7) in dollars per dollar still decide the placement
    cmax = float(np.max(np.abs(rt))) if rt.size else 0.0
    res = solve(rt.ravel() / cmax if cmax > 0 else rt.ravel())
    if res.status != 0:
        raise PlanningError(f"optimal_placement: HiGHS found no placement ({res.message})")
    x = res.x
    status = [f"drag: {res.message}"]
    if growth is not None and _FREE in treats:
        rank = growth.astype("float64") if isinstance(growth, pd.Series) else \
            pd.Series(dict(growth), dtype="float64")
        g = np.zeros(n)
        jf = treats.index(_FREE)
        for i, c in enumerate(classes):
            g[i * nt + jf] = float(rank.get(c, 0.0))
        if np.any(g):
            fix(res)
            res = solve(-g)
            if res.status == 0:
                x = res.x
                status.append(f"growth tie-break: {res.message}")
            else:
                status.append(f"growth tie-break failed ({res.message}); drag-optimal kept")
    if x0 is not None and res.status == 0:
        # minimise sum u with u >= x0 - x: the dollars moved out of each cell
        fix(res)
        a_ub = np.hstack([-np.eye(n), -np.eye(n)])
        r3 = solve(np.concatenate([np.zeros(n), np.ones(n)]), n, a_ub, -x0.ravel())
        if r3.status == 0:
            x = r3.x[:n]
            status.append(f"fewest moves tie-break: {r3.message}")
        else:
            status.append(f"fewest moves tie-break failed ({r3.message})")
    xs = x.reshape(nc, nt)
    xs[np.abs(xs) < 0.005] = 0.0
    dollars = pd.DataFrame(xs, index=pd.Index(classes, name="asset_class"), columns=treats)
    drag = float((rt * xs).sum())
    cur = None if x0 is None else float((rt * x0).sum())
    return Placement(dollars=dollars, drag=drag, current_drag=cur,
                     rates=pd.DataFrame(rt, index=pd.Index(classes, name="asset_class"),
                                        columns=treats),
                     status="; ".join(status))


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationReport:
    """Where each class sits, what it costs, and what to move (see :func:`location_report`).

    Attributes
    ----------
    placement : DataFrame
        One row per asset class and treatment: ``asset_class``, ``treatment``,
        ``market_value`` (dollars now), ``share_of_class`` (fraction of the class's
        dollars), ``best_value`` (dollars in the best placement; pinned classes stay) and
        ``change`` (best minus now), and ``preferred`` (the playbook's first choice for the
        class, empty when it has none).
    by_tax_type : DataFrame
        The same by account tax type (``401k``, ``roth_ira``, ...): ``asset_class``,
        ``tax_type``, ``treatment``, ``market_value`` and ``share_of_class``; only the
        combinations held.
    flags : DataFrame
        Holdings (look-through rows) in a treatment the playbook avoids for them:
        ``account``, ``tax_type``, ``treatment``, ``symbol``, ``asset_class``,
        ``sub_class``, ``market_value``, ``drag`` (dollars a year), ``rule``, ``prefer``,
        ``reason`` and ``source``; largest drag first.
    drag : DataFrame
        :func:`tax_drag` of the household.
    current_drag, best_drag, saving : float
        Yearly drag now (the sum of ``drag``, unknown drags skipped), in the best placement
        the account sizes allow, and the difference; dollars.
    best : Placement
        The linear programme's solution (pinned classes excluded).
    swaps : DataFrame
        Concrete swaps, best first (see :func:`location_report`).
    rates : dict
        Marginal rates used (fractions).
    notes : list of str
        Assumptions and what could not be done.
    """

    placement: pd.DataFrame
    by_tax_type: pd.DataFrame
    flags: pd.DataFrame
    drag: pd.DataFrame
    current_drag: float
    best_drag: float
    saving: float
    best: Placement = field(repr=False)
    swaps: pd.DataFrame = field(repr=False)
    rates: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_THREAT_LABELS = {"recent_purchase": "recent purchase",
                  "scheduled_contribution": "scheduled contribution",
                  "expected_reinvestment": "expected dividend reinvestment"}
_SWAP_COLUMNS = ["account", "sell", "sell_class", "buy", "buy_class", "other_account",
                 "other_sell", "other_buy", "dollars", "drag_recovered", "tax_cost",
                 "years_to_recover", "note"]


def _exposure_drag(household: Household, drag: pd.DataFrame,
                   ex: pd.DataFrame | None = None) -> pd.DataFrame:
    """Look-through exposures with each row's share of its position's drag."""
    ex = exposures(household) if ex is None else ex.copy()
    ex["treatment"] = ex["tax_type"].map(lambda t: TaxType(t).treatment.value).astype("str")
    g = drag.groupby(["account", "symbol"], sort=False)
    per = pd.DataFrame({"mv": g["market_value"].sum(),
                        "drag": g["drag"].sum(min_count=1),
                        "drag_if": g["drag_if_taxable"].sum(min_count=1)})
    per["rate"] = per["drag"] / per["mv"].where(per["mv"] != 0)
    per["rate_if"] = per["drag_if"] / per["mv"].where(per["mv"] != 0)
    key = pd.MultiIndex.from_frame(ex[["account", "symbol"]])
    ex["drag"] = per["rate"].reindex(key).to_numpy() * ex["market_value"].to_numpy()
    ex["drag_if_taxable"] = per["rate_if"].reindex(key).to_numpy() * ex["market_value"].to_numpy()
    # zero-value rows keep a zero drag where it is known to be zero
    ex.loc[ex["treatment"] != _TAXABLE, "drag"] = 0.0
    return ex


def _class_rates(ex: pd.DataFrame, classes: list[str], notes: list[str]) -> pd.DataFrame:
    rates = pd.DataFrame(0.0, index=pd.Index(classes, name="asset_class"),
                         columns=list(TREATMENTS))
    known = ex[ex["drag_if_taxable"].notna()]
    for c in classes:
        rows = known[(known["asset_class"] == c) & (known["treatment"] == _TAXABLE)]
        if rows["market_value"].sum() <= 0:
            rows = known[known["asset_class"] == c]
        mv = rows["market_value"].sum()
        if mv > 0:
            rates.loc[c, _TAXABLE] = rows["drag_if_taxable"].sum() / mv
        else:
            notes.append(f"{c}: no holding with a known yield; its drag in a taxable account "
                         "is taken as 0 in the placement")
    return rates


def location_report(household: Household, *, rates: Mapping[str, float] | None = None,
                    pinned: Sequence[str] = ("cash", UNCLASSIFIED),
                    growth: Mapping[str, float] | None = None, max_swaps: int = 5,
                    policy: str = "same_security") -> LocationReport:
    """Asset location of a household: placement against the playbook, drag, best drag, swaps.

    Parameters
    ----------
    household : Household
        Tax is priced on its year-to-date profile (:func:`toolkit.tax.profile_for`).
    rates : mapping, optional
        Marginal rates for :func:`tax_drag` (default: from the profile).
    pinned : sequence of str, default ("cash", "unclassified")
        Classes left where they are by the placement (cash is held where it is needed; an
        unknown holding cannot be placed).
    growth : mapping, optional
        Expected-growth ranks for the tax-free tie-break (default :data:`GROWTH_RANK`).
    max_swaps : int, default 5
        Length of the swap list (0: no swaps, and no lot selection).
    policy : str, default "same_security"
        Substantially-identical policy used to keep a swap's purchases from washing a loss
        (see :class:`toolkit.tax.SubstantiallyIdentical`).

    Returns
    -------
    LocationReport
        ``placement`` and ``by_tax_type`` (a), ``flags`` (the playbook's violations),
        ``current_drag``, ``best_drag`` and ``saving`` (b), ``swaps`` (c).

        The linear programme (:func:`optimal_placement`) places the look-through class
        dollars of the non-pinned classes into the three treatments, each treatment keeping
        the household's dollars in it. A class's drag per dollar in a taxable account is the
        value-weighted drag of the class's holdings in taxable accounts (or of all its
        holdings when no taxable account holds it); elsewhere it is 0. So the programme's
        drag of the current placement equals ``current_drag`` (up to holdings of unknown
        yield), and ``best_drag = current_drag - saving``.

        ``swaps``: one row per swap, best first: in ``account`` (the taxable side when there
        is one) sell ``dollars`` of ``sell`` (class ``sell_class``) and buy ``buy``
        (``buy_class``); in ``other_account`` sell ``other_sell`` and buy ``other_buy``;
        each account's cash is unchanged. Swaps are chosen greedily, the largest yearly drag
        recovered first; they follow the best placement (they only move class dollars the
        way it does), use single-class holdings (no balanced funds, cash or unknown
        holdings; the 8 with the largest drag, or value outside taxable accounts, of each
        class in each treatment are considered) and buy, in order of
        preference, a fund of the class the account already holds, the fund sold on the
        other side, or one of its master ``replacements``, skipping any that would wash a
        loss realised in the last 30 days or the swap's own loss. ``drag_recovered`` is the
        yearly drag saved (dollars), ``tax_cost`` the tax of the taxable side's sale with the
        least-tax lots (``select_lots(method="min_tax")``; negative when the sale realises a
        loss; NaN when its lots are unknown), ``years_to_recover`` ``tax_cost /
        drag_recovered`` (0 when the sale costs no tax), ``note`` what to check (wash-sale
        threats, plan menus).

    Raises
    ------
    PlanningError
        If a rate is not a fraction, or the programme has no solution.
    """
    return _report(household, rates=rates, pinned=pinned, growth=growth, max_swaps=max_swaps,
                   policy=policy)


def _report(household: Household, *, rates=None, pinned=("cash", UNCLASSIFIED), growth=None,
            max_swaps: int = 5, policy: str = "same_security",
            exposures_: pd.DataFrame | None = None) -> LocationReport:
    """:func:`location_report`, optionally reusing already computed exposures."""
    r = _rates(household, rates)
    notes: list[str] = []
    drag = tax_drag(household, rates=r)
    unknown = drag[drag["drag"].isna()]
    if len(unknown):
        notes.append("drag unknown (no yield in the security master) for "
                     + ", ".join(f"{s} in {a}" for a, s in
                                 zip(unknown["account"], unknown["symbol"], strict=True)))
    ex = _exposure_drag(household, _drag_frame(household, r), exposures_)
    pinned = tuple(pinned)
    movable = ex[~ex["asset_class"].isin(pinned)]
    x0 = movable.pivot_table(index="asset_class", columns="treatment", values="market_value",
                             aggfunc="sum", fill_value=0.0, sort=False).reindex(
        columns=list(TREATMENTS), fill_value=0.0)
    classes = [str(c) for c in x0.index]
    class_rates = _class_rates(ex, classes, notes)
    best = optimal_placement(x0.sum(axis=1), x0.sum(axis=0), class_rates,
                             growth=growth if growth is not None else GROWTH_RANK, current=x0)
    current = round(float(drag["drag"].sum()), 2) + 0.0
    saving = best.saving or 0.0
    placement = _placement_table(ex, best, pinned)
    flags = _flags(ex)
    swaps = _swaps(household, r, ex, x0, best.dollars, max_swaps, policy, notes) \
        if max_swaps > 0 else pd.DataFrame(columns=_SWAP_COLUMNS)
    by_type = ex.groupby(["asset_class", "tax_type", "treatment"], sort=False)[
        "market_value"].sum().reset_index()
    by_type["share_of_class"] = by_type["market_value"] / by_type.groupby("asset_class")[
        "market_value"].transform("sum").where(lambda v: v != 0)
    return LocationReport(placement=placement, by_tax_type=by_type, flags=flags, drag=drag,
                          current_drag=current,
                          best_drag=round(current - saving, 2) + 0.0, saving=saving,
                          best=best, swaps=swaps, rates=r, notes=notes)


def _placement_table(ex: pd.DataFrame, best: Placement, pinned: tuple[str, ...]
                     ) -> pd.DataFrame:
    now = ex.pivot_table(index="asset_class", columns="treatment", values="market_value",
                         aggfunc="sum", fill_value=0.0, sort=False).reindex(
        columns=list(TREATMENTS), fill_value=0.0)
    rows = []
    for c in now.index:
        total = float(now.loc[c].sum())
        rule = playbook_rule(str(c))
        for t in TREATMENTS:
            mv = float(now.loc[c, t])
            if c in best.dollars.index and c not in pinned:
                b = float(best.dollars.loc[c, t])
            else:
                b = mv
            rows.append({"asset_class": c, "treatment": t, "market_value": mv,
                         "share_of_class": mv / total if total else np.nan,
                         "best_value": round(b, 2) + 0.0,
                         "change": round(b - mv, 2) + 0.0,
                         "preferred": rule.prefer[0] if rule and rule.prefer else ""})
    cols = ["asset_class", "treatment", "market_value", "share_of_class", "best_value",
            "change", "preferred"]
    return pd.DataFrame(rows, columns=cols).astype(
        {"asset_class": "str", "treatment": "str", "market_value": "float64",
         "share_of_class": "float64", "best_value": "float64", "change": "float64",
         "preferred": "str"})


def _flags(ex: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in ex.itertuples(index=False):
        rule = playbook_rule(r.asset_class, r.sub_class if isinstance(r.sub_class, str)
                             else None)
        if rule is None or r.treatment not in rule.avoid:
            continue
        rows.append({"account": r.account, "tax_type": r.tax_type, "treatment": r.treatment,
                     "symbol": r.symbol, "asset_class": r.asset_class,
                     "sub_class": r.sub_class, "market_value": r.market_value,
                     "drag": round(float(r.drag), 2) + 0.0 if pd.notna(r.drag) else np.nan,
                     "rule": rule.key, "prefer": ", ".join(rule.prefer),
                     "reason": rule.reason, "source": SOURCES[rule.source]})
    cols = ["account", "tax_type", "treatment", "symbol", "asset_class", "sub_class",
            "market_value", "drag", "rule", "prefer", "reason", "source"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out = out.sort_values(["drag", "market_value"], ascending=False,
                              na_position="last", kind="stable").reset_index(drop=True)
    return out


# --- swaps ---------------------------------------------------------------------------------


def _recent_loss_groups(household: Household, keys) -> dict[str, pd.Timestamp]:
    """Identity group -> last day a purchase washes a loss realised in the last 30 days."""
    from toolkit.tax.wash import _window

    before, after = _window()
    rz = household.realized
    if rz.empty:
        return {}
    loss = rz["cost_basis"] - rz["proceeds"]
    loss = loss.where(loss.notna(), -rz["gain"])
    day0 = pd.Timestamp(household.as_of)
    recent = rz[(loss > 0) & (rz["sold"] + pd.Timedelta(days=after) >= day0)
                & (rz["sold"] <= day0)]
    out: dict[str, pd.Timestamp] = {}
    for s, d in zip(recent["symbol"], recent["sold"], strict=True):
        g = keys(s)
        end = d + pd.Timedelta(days=after)
        out[g] = max(out.get(g, end), end)
    return out


def _swaps(household: Household, r: Mapping[str, float], ex: pd.DataFrame,
           x0: pd.DataFrame, best: pd.DataFrame, max_swaps: int, policy: str,
           notes: list[str]) -> pd.DataFrame:
    """Greedy swaps along the best placement, largest yearly drag recovered first."""
    from toolkit.tax import _wash_household as hh
    from toolkit.tax.wash import SubstantiallyIdentical

    master = household.securities
    pol = SubstantiallyIdentical.coerce(policy, hh.groups_setting(household, None))
    cache: dict[str, str] = {}

    def key(sym: str) -> str:
        if sym not in cache:
            cache[sym] = str(pol.keys([sym], master).iloc[0])
        return cache[sym]

    rate_cache: dict[str, float] = {}

    def rate(sym: str, treatment: str) -> float:
        if treatment != _TAXABLE:
            return 0.0
        if sym not in rate_cache:
            v = float(_rate_if_taxable(_master_fields(household, pd.Series([sym])), r).iloc[0])
            rate_cache[sym] = v if np.isfinite(v) else 0.0
        return rate_cache[sym]

    ctx = _SwapContext(household=household, master=master, key=key, rate=rate,
                       recent=_recent_loss_groups(household, key), policy=policy,
                       types=dict(zip(household.accounts["account"],
                                      household.accounts["tax_type"], strict=True)))
    single = ex[(ex["weight"] == 1.0) & (ex["market_value"] > 0)
                & ex["asset_class"].isin(list(best.index))]
    hold = single.groupby(["account", "symbol", "asset_class", "treatment"], sort=False)[
        "market_value"].sum().reset_index().sort_values("market_value", ascending=False,
                                                        kind="stable")
    syms = pd.Series(pd.unique(hold["symbol"].astype("object")), dtype="object")
    known = _rate_if_taxable(_master_fields(household, syms), r).fillna(0.0)
    rate_cache.update(zip(syms, known.astype("float64"), strict=True))
    ctx.held = {k: g["symbol"].tolist() for k, g in hold.groupby(["account", "asset_class"],
                                                                  sort=False)}
    items = list(hold.itertuples(index=False, name="Holding"))
    groups: dict[tuple[str, str], list] = {}
    for it in items:
        groups.setdefault((it.asset_class, it.treatment), []).append(it)
    remaining = {(it.account, it.symbol): it.market_value for it in items}
    delta = best - x0.reindex(index=best.index, columns=best.columns, fill_value=0.0)
    out_b = (-delta).clip(lower=0.0).stack().to_dict()  # (class, treatment) -> dollars to move
    in_b = delta.clip(lower=0.0).stack().to_dict()
    eps = 0.005
    order = {a: i for i, a in enumerate(household.accounts["account"])}

    def top(cls: str, t: str) -> list:
        """The _SWAP_CANDIDATES holdings of a class in a treatment that matter most."""
        def weight(it):
            left = remaining[(it.account, it.symbol)]
            return left * rate(it.symbol, t) if t == _TAXABLE else left
        live = [it for it in groups.get((cls, t), ()) if remaining[(it.account, it.symbol)]
                > eps]
        return sorted(live, key=weight, reverse=True)[:_SWAP_CANDIDATES]

    rows = []
    for _ in range(max_swaps):
        pick = None
        live = [k for k in groups if out_b.get(k, 0.0) > eps]
        for a_cls, t1 in live:
            for b_cls, t2 in live:
                if t2 == t1 or b_cls == a_cls or in_b.get((a_cls, t2), 0.0) <= eps \
                        or in_b.get((b_cls, t1), 0.0) <= eps:
                    continue
                cap = min(out_b[(a_cls, t1)], out_b[(b_cls, t2)], in_b[(a_cls, t2)],
                          in_b[(b_cls, t1)])
                for p1 in top(a_cls, t1):
                    for p2 in top(b_cls, t2):
                        amount = min(cap, remaining[(p1.account, p1.symbol)],
                                     remaining[(p2.account, p2.symbol)])
                        buy_x, held_x = ctx.buy(p1.account, b_cls, p2.symbol)
                        buy_y, held_y = ctx.buy(p2.account, a_cls, p1.symbol)
                        per = rate(p1.symbol, t1) + rate(p2.symbol, t2) - rate(buy_x, t1) \
                            - rate(buy_y, t2)
                        gain = round(amount * per, 2)
                        if gain <= eps:
                            continue
                        rank = (gain, held_x, held_y,
                                ctx.types.get(p1.account) not in _EMPLOYER_PLANS,
                                ctx.types.get(p2.account) not in _EMPLOYER_PLANS,
                                -order.get(p1.account, 0), -order.get(p2.account, 0))
                        if pick is None or rank > pick[0]:
                            pick = (rank, p1, p2, amount)
        if pick is None:
            break
        _, p1, p2, amount = pick
        a_cls, t1, b_cls, t2 = p1.asset_class, p1.treatment, p2.asset_class, p2.treatment
        remaining[(p1.account, p1.symbol)] -= amount
        remaining[(p2.account, p2.symbol)] -= amount
        out_b[(a_cls, t1)] -= amount
        out_b[(b_cls, t2)] -= amount
        in_b[(a_cls, t2)] -= amount
        in_b[(b_cls, t1)] -= amount
        if t2 == _TAXABLE:  # the taxable side goes first
            p1, p2 = p2, p1
        rows.append(ctx.row(p1, p2, amount))
    ctx.wash_notes(rows)
    out = pd.DataFrame(rows, columns=_SWAP_COLUMNS)
    for c in ("account", "sell", "sell_class", "buy", "buy_class", "other_account",
              "other_sell", "other_buy", "note"):
        out[c] = out[c].astype("str")
    for c in ("dollars", "drag_recovered", "tax_cost", "years_to_recover"):
        out[c] = out[c].astype("float64")
    if len(out):
        out = out.sort_values("drag_recovered", ascending=False, kind="stable").reset_index(
            drop=True)
    return out


@dataclass
class _SwapContext:
    household: Household
    master: object
    key: object
    rate: object
    recent: dict
    policy: str
    types: dict
    held: dict = field(default_factory=dict)
    sold_at_loss: list = field(default_factory=list)
    _buys: dict = field(default_factory=dict)

    def buy(self, account: str, cls: str, other: str, avoid: tuple[str, ...] = ()
            ) -> tuple[str, bool]:
        """The fund of ``cls`` to buy in ``account``, and whether the account holds it."""
        k = (account, cls, other, avoid)
        if k not in self._buys:
            self._buys[k] = self._buy(account, cls, other, avoid)
        return self._buys[k]

    def _buy(self, account: str, cls: str, other: str, avoid: tuple[str, ...]
             ) -> tuple[str, bool]:
        held = self.held.get((account, cls), [])
        cands = list(dict.fromkeys([*held, other, *self.master.replacements(other)]))
        bad = {self.key(s) for s in avoid} | set(self.recent)
        for s in cands:
            if self.key(s) not in bad:
                return s, s in held
        return cands[0], cands[0] in held

    def row(self, p1, p2, amount: float) -> dict:
        """One swap: ``p1``'s account sells ``p1`` and buys ``p2``'s class; the other, back."""
        from toolkit.tax import select_lots

        hh, key, rate = self.household, self.key, self.rate
        buy_x, _ = self.buy(p1.account, p2.asset_class, p2.symbol)
        note: list[str] = []
        tax_cost = 0.0
        avoid: tuple[str, ...] = ()
        if p1.treatment == _TAXABLE:
            try:
                sel = select_lots(hh, p1.account, p1.symbol, dollars=amount, method="min_tax")
            except PlanningError as exc:
                tax_cost = float("nan")
                note.append(f"tax cost unknown: {exc}")
            else:
                tax_cost = round(float(sel.attrs["tax"]), 2) + 0.0
                if float(sel["gain"].sum()) < 0:
                    avoid = (p1.symbol,)
                    self.sold_at_loss.append(sel[["lot_id", "account", "symbol", "quantity"]])
        buy_y, _ = self.buy(p2.account, p1.asset_class, p1.symbol, avoid)
        if avoid and key(buy_y) == key(p1.symbol):
            note.append(f"buying {buy_y} in {p2.account} within 30 days would wash the "
                        f"{p1.symbol} loss: buy a fund that is not substantially identical")
        for acct, sym in ((p1.account, buy_x), (p2.account, buy_y)):
            g = key(sym)
            if g in self.recent:
                safe = (self.recent[g] + pd.Timedelta(days=1)).date()
                note.append(f"buying {sym} in {acct} before {safe} would wash a recent loss")
            if self.types.get(acct) in _EMPLOYER_PLANS:
                pos = hh.positions
                if not ((pos["account"] == acct) & (pos["symbol"] == sym)).any():
                    note.append(f"check that {sym} is on the {acct} plan menu")
        per = (rate(p1.symbol, p1.treatment) + rate(p2.symbol, p2.treatment)
               - rate(buy_x, p1.treatment) - rate(buy_y, p2.treatment))
        recovered = round(amount * per, 2) + 0.0
        if not np.isfinite(tax_cost):
            years = float("nan")
        elif tax_cost <= 0:
            years = 0.0
        else:
            years = round(tax_cost / recovered, 2) if recovered > 0 else float("inf")
        return {"account": p1.account, "sell": p1.symbol, "sell_class": p1.asset_class,
                "buy": buy_x, "buy_class": p2.asset_class, "other_account": p2.account,
                "other_sell": p2.symbol, "other_buy": buy_y,
                "dollars": round(amount, 2) + 0.0, "drag_recovered": recovered,
                "tax_cost": tax_cost, "years_to_recover": years, "note": "; ".join(note)}

    def wash_notes(self, rows: list[dict]) -> None:
        """Add what could wash each loss sold by the swaps (one forward check for all)."""
        if not self.sold_at_loss:
            return
        from toolkit.tax import forward_wash_check

        sales = pd.concat(self.sold_at_loss, ignore_index=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = forward_wash_check(self.household, sales[["lot_id", "quantity"]],
                                   policy=self.policy)
        t = t[t["quantity"].fillna(0) > 0].drop_duplicates(
            ["sale_account", "sale_symbol", "account", "symbol", "kind"])
        for row in rows:
            hit = t[(t["sale_account"] == row["account"]) & (t["sale_symbol"] == row["sell"])]
            extra = [f"the {row['sell']} loss could be washed by the "
                     f"{_THREAT_LABELS.get(k, k)} of {s} in {a}"
                     + (" (for good: a tax-advantaged account)" if p else "")
                     for a, s, k, p in zip(hit["account"], hit["symbol"], hit["kind"],
                                           hit["permanent"], strict=True)]
            row["note"] = "; ".join([*extra, *filter(None, [row["note"]])])


def fund_drag_rates(household: Household, symbols, *,
                    rates: Mapping[str, float] | None = None) -> dict[str, float]:
    """Yearly tax drag per dollar of each fund if held in a taxable account.

    From the security master's yield, tax character, qualified fraction and foreign tax at
    the household's marginal rates, as :func:`tax_drag` computes it: distributions x their
    average tax rate, less the foreign tax credit. A fund the master does not know (or
    without a yield) drags 0.

    Parameters
    ----------
    household : Household
        Tax is priced on its year-to-date profile (:func:`toolkit.tax.profile_for`).
    symbols : iterable of str
    rates : mapping, optional
        As in :func:`tax_drag`.

    Returns
    -------
    dict
        Symbol -> fraction per year (0.01026 means $1.026 a year per $100 in taxable).
    """
    r = _rates(household, rates)
    syms = pd.Series(list(dict.fromkeys(symbols)), dtype="str")
    if syms.empty:
        return {}
    fields = _master_fields(household, syms)
    _, rate = _character(fields, r)
    drag = fields["yield"] * rate - fields["foreign_tax"].fillna(0.0)
    return {s: float(d) if pd.notna(d) else 0.0 for s, d in zip(syms, drag, strict=True)}
