"""The location report: placement against the playbook, drag now and at best, and swaps.

:func:`location_report` puts :func:`~toolkit.location.tax_drag`,
:data:`~toolkit.location.PLAYBOOK`, :func:`~toolkit.location.optimal_placement` and
:func:`~toolkit.location.swaps.find_swaps` together for a household.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.allocation import exposures
from toolkit.household import Household
from toolkit.location.drag import drag_rates, drag_table, tax_drag
from toolkit.location.placement import Placement, optimal_placement
from toolkit.location.playbook import GROWTH_RANK, SOURCES, TREATMENTS, playbook_rule
from toolkit.location.swaps import SWAP_COLUMNS, find_swaps
from toolkit.schema import UNCLASSIFIED, TaxTreatment, TaxType

__all__ = ["LocationReport", "location_report"]

_TAXABLE = TaxTreatment.TAXABLE.value

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
                    policy: str = "same_security",
                    values: pd.DataFrame | None = None) -> LocationReport:
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
    values : DataFrame, optional
        ``toolkit.allocation.exposures(household)`` when already computed (as
        :func:`toolkit.allocation.drift` takes it).

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
    r = drag_rates(household, rates)
    notes: list[str] = []
    drag = tax_drag(household, rates=r)
    unknown = drag[drag["drag"].isna()]
    if len(unknown):
        notes.append("drag unknown (no yield in the security master) for "
                     + ", ".join(f"{s} in {a}" for a, s in
                                 zip(unknown["account"], unknown["symbol"], strict=True)))
    ex = _exposure_drag(household, drag_table(household, r), values)
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
    swaps = find_swaps(household, r, ex, x0, best.dollars, max_swaps, policy, notes) \
        if max_swaps > 0 else pd.DataFrame(columns=SWAP_COLUMNS)
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

