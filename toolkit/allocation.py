"""The household against its one target: allocation, drift and tolerance bands.

Allocation is measured on the whole household, not account by account: a 401(k) heavy in
stocks and a taxable account heavy in bonds can together be on target. Funds that span
classes (balanced and target-date funds) are looked through by the security master's weights;
cash (sweeps, money-market funds) is a class of its own; holdings the master does not know are
``unclassified`` and always shown.

All weights are fractions of the household total (0.05 is 5%); money is in dollars.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import HouseholdError
from toolkit.household import Household, per_household, validate_subtargets, validate_targets
from toolkit.schema import UNCLASSIFIED, TaxType
from toolkit.tax.gains import marginal_rates

__all__ = [
    "Band",
    "after_tax_values",
    "allocation",
    "drift",
    "drift_views",
    "exposures",
    "subclass_drift",
]


@dataclass(frozen=True)
class Band:
    """A tolerance band around each class's target.

    Parameters
    ----------
    kind : {"absolute", "relative", "5/25", "none"}
        ``absolute``: target ± ``absolute`` (5 percentage points by default).
        ``relative``: target ± ``relative`` × target (25% of the target by default).
        ``5/25``: the nearer of the two edges (± min(5 pp, 25% of target)), Swedroe's rule.
        ``none``: no band: any drift is outside.
    absolute : float
        Half-width in fractions for ``absolute`` and ``5/25`` (0.05 = 5 pp).
    relative : float
        Half-width as a fraction of the target for ``relative`` and ``5/25``.
    """

    kind: str = "5/25"
    absolute: float = 0.05
    relative: float = 0.25

    def __post_init__(self) -> None:
        if self.kind not in ("absolute", "relative", "5/25", "none"):
            raise ValueError(f"band kind {self.kind!r} is not one of absolute, relative, 5/25, "
                             "none")
        if self.absolute < 0 or self.relative < 0:
            raise ValueError("band widths must be non-negative")

    def half_width(self, target: pd.Series) -> pd.Series:
        """Half-width of the band for each target weight (fractions)."""
        t = target.astype("float64")
        if self.kind == "absolute":
            return pd.Series(self.absolute, index=t.index)
        if self.kind == "relative":
            return self.relative * t
        if self.kind == "5/25":
            return np.minimum(self.absolute, self.relative * t)
        return pd.Series(0.0, index=t.index)

    def label(self) -> str:
        """A short description, e.g. ``"±5 pp or ±25% of target, whichever is nearer"``."""
        return {
            "absolute": f"±{self.absolute * 100:g} pp",
            "relative": f"±{self.relative * 100:g}% of target",
            "5/25": f"±{self.absolute * 100:g} pp or ±{self.relative * 100:g}% of target, "
                    "whichever is nearer",
            "none": "no band",
        }[self.kind]


@per_household
def exposures(household: Household) -> pd.DataFrame:
    """Every position split into the asset classes it holds (look-through).

    Parameters
    ----------
    household : Household

    Returns
    -------
    DataFrame
        One row per position and class: ``account``, ``tax_type``, ``symbol``,
        ``asset_class``, ``sub_class``, ``weight`` (the fund's weight in that class, 1 for a
        single-class holding) and ``market_value`` (dollars: position value × weight). Cash
        holdings are ``cash``; unknown holdings ``unclassified``.
    """
    pos = household.positions
    master = household.securities
    types = dict(zip(household.accounts["account"], household.accounts["tax_type"],
                     strict=True))
    rows = []
    for r in pos.itertuples(index=False):
        if r.asset_class == "cash":
            split = {"cash": 1.0}
            sub = "cash"
        elif r.asset_class == UNCLASSIFIED:
            split = {UNCLASSIFIED: 1.0}
            sub = UNCLASSIFIED
        else:
            key = master.resolve(r.symbol) or master.resolve(r.cusip)
            split = master.weights(key) if key else {r.asset_class: 1.0}
            if len(split) == 1 and next(iter(split)) == UNCLASSIFIED:
                split = {r.asset_class: 1.0}
            row = master.get(key) if key else None
            sub = None if row is None or pd.isna(row["sub_class"]) else row["sub_class"]
        for cls, w in split.items():
            rows.append((r.account, types.get(r.account), r.symbol, cls,
                         sub if len(split) == 1 else None, w, r.market_value * w))
    return pd.DataFrame(rows, columns=["account", "tax_type", "symbol", "asset_class",
                                       "sub_class", "weight", "market_value"]).astype(
        {"account": "str", "tax_type": "str", "symbol": "str", "asset_class": "str",
         "sub_class": "str", "weight": "float64", "market_value": "float64"})


_GROUPS = {"account": "account", "tax_type": "tax_type", "treatment": "treatment"}


def allocation(household: Household, by: str | None = None, *,
               values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Allocation by asset class, for the household or by account / account type.

    Parameters
    ----------
    household : Household
    by : {None, "account", "tax_type", "treatment"}
        Group: the whole household (None), each account, each tax type (``401k``,
        ``roth_ira`` ...), or each treatment (taxable / tax_deferred / tax_free).
    values : DataFrame, optional
        Exposures to use instead of :func:`exposures` (e.g. after-tax values).

    Returns
    -------
    DataFrame
        Long and tidy: ``group`` (``"household"`` when ``by`` is None), ``asset_class``,
        ``market_value`` (dollars), ``weight`` (fraction of the group) and
        ``household_weight`` (fraction of the household).
    """
    ex = exposures(household) if values is None else values
    if by is None:
        key = pd.Series("household", index=ex.index)
    elif by == "treatment":
        key = ex["tax_type"].map(lambda t: TaxType(t).treatment.value)
    elif by in _GROUPS:
        key = ex[_GROUPS[by]]
    else:
        raise ValueError(f"by={by!r}: expected None, 'account', 'tax_type' or 'treatment'")
    g = ex.assign(group=key).groupby(["group", "asset_class"], sort=False)["market_value"].sum()
    out = g.reset_index()
    total = out["market_value"].sum()
    out["weight"] = out["market_value"] / out.groupby("group")["market_value"].transform("sum")
    out["household_weight"] = out["market_value"] / total if total else np.nan
    return out


def _targets(household: Household, targets: Mapping[str, float] | pd.Series | None) -> pd.Series:
    if targets is None:
        return household.targets
    return validate_targets(dict(targets), where="targets")


def drift(household: Household, targets: Mapping[str, float] | pd.Series | None = None, *,
          band: Band | None = None, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Household drift from target per asset class, with tolerance bands.

    Parameters
    ----------
    household : Household
    targets : mapping, optional
        Class -> weight (fractions summing to 1); default the household's target.
    band : Band, optional
        Tolerance band (default the 5/25 rule).
    values : DataFrame, optional
        Exposures to measure instead of market values (see :func:`after_tax_values`).

    Returns
    -------
    DataFrame
        One row per asset class (target classes in target order, then any other class held,
        such as ``cash`` or ``unclassified``), indexed by ``asset_class``, with
        ``market_value`` (dollars), ``current`` and ``target`` (fractions of the household
        total), ``drift`` (current − target, fractions), ``drift_pp`` (drift in percentage
        points), ``drift_rel`` (drift / target; NaN when the target is 0), ``lower`` and
        ``upper`` (band edges, fractions), ``outside`` (True when outside the band; a class
        held with a zero target is outside whenever held), ``dollars_to_target`` (dollars to
        buy (+) or sell (−) to reach the target) and ``dollars_outside`` (dollars beyond the
        nearer band edge, 0 inside).
    """
    band = band or Band()
    tgt = _targets(household, targets)
    ex = exposures(household) if values is None else values
    mv = ex.groupby("asset_class", sort=False)["market_value"].sum()
    classes = list(tgt.index) + [c for c in mv.index if c not in tgt.index]
    total = float(mv.sum())
    out = pd.DataFrame(index=pd.Index(classes, name="asset_class", dtype="str"))
    out["market_value"] = mv.reindex(out.index).fillna(0.0)
    out["current"] = out["market_value"] / total if total else 0.0
    out["target"] = tgt.reindex(out.index).fillna(0.0)
    out["drift"] = out["current"] - out["target"]
    out["drift_pp"] = out["drift"] * 100.0
    out["drift_rel"] = out["drift"] / out["target"].where(out["target"] > 0)
    hw = band.half_width(out["target"])
    out["lower"] = (out["target"] - hw).clip(lower=0.0)
    out["upper"] = out["target"] + hw
    eps = 1e-12
    out["outside"] = (out["current"] < out["lower"] - eps) | (out["current"] > out["upper"] + eps)
    out["dollars_to_target"] = (out["target"] - out["current"]) * total
    beyond = np.where(out["current"] > out["upper"], out["current"] - out["upper"],
                      np.where(out["current"] < out["lower"], out["current"] - out["lower"], 0.0))
    out["dollars_outside"] = np.abs(beyond) * total
    return out


def after_tax_values(household: Household, *, future_ordinary_rate: float | None = None,
                     net_embedded_gains: bool = False,
                     capital_gains_rate: float | None = None) -> pd.DataFrame:
    """Exposures valued after tax (the tax-adjusted view).

    Traditional (tax-deferred) balances are reduced by an assumed future ordinary rate; Roth
    and HSA balances count in full; taxable balances count in full or, optionally, net of the
    tax on their embedded gains.

    Parameters
    ----------
    household : Household
        The capital-gains rate is priced on its year-to-date profile
        (:func:`toolkit.tax.profile_for`).
    future_ordinary_rate : float, optional
        Marginal ordinary rate when tax-deferred money comes out (default: the profile's
        ``future_ordinary_rate``; required if that is not set).
    net_embedded_gains : bool, default False
        Subtract the tax on each taxable holding's unrealised gain (losses are not credited).
    capital_gains_rate : float, optional
        Rate on embedded gains (default: the household's marginal long-term rate including
        NIIT and state, from :func:`toolkit.tax.marginal_rates`).

    Returns
    -------
    DataFrame
        As :func:`exposures`, with ``market_value`` after tax and ``pre_tax_value``.

    Raises
    ------
    HouseholdError
        If no future ordinary rate is given or set in the household file.
    """
    rate = future_ordinary_rate if future_ordinary_rate is not None else \
        household.profile.future_ordinary_rate
    if rate is None:
        raise HouseholdError("the after-tax view needs a future ordinary rate: pass "
                             "future_ordinary_rate= or set future_ordinary_rate in [household]")
    if not 0 <= rate < 1:
        raise HouseholdError(f"future_ordinary_rate {rate!r} must be a fraction in [0, 1)")
    ex = exposures(household)
    factor = ex["tax_type"].map(
        lambda t: 1.0 - rate if TaxType(t).treatment.value == "tax_deferred" else 1.0)
    out = ex.assign(pre_tax_value=ex["market_value"], market_value=ex["market_value"] * factor)
    if net_embedded_gains:
        cg = capital_gains_rate if capital_gains_rate is not None else \
            marginal_rates(household)["long_term"]  # the year-to-date profile
        pos = household.positions
        gain = (pos["market_value"] - pos["cost_basis"]).clip(lower=0.0).fillna(0.0)
        taxable = pos["account"].map(
            dict(zip(household.accounts["account"], household.accounts["tax_type"],
                     strict=True))) == TaxType.TAXABLE.value
        tax = (gain * cg).where(taxable, 0.0)
        tax_by = dict(zip(zip(pos["account"], pos["symbol"], strict=True), tax, strict=True))
        frac = out["weight"]
        owed = [tax_by.get((a, s), 0.0) * w for a, s, w in
                zip(out["account"], out["symbol"], frac, strict=True)]
        out["market_value"] = out["market_value"] - np.asarray(owed)
    return out


def drift_views(household: Household, *, band: Band | None = None,
                future_ordinary_rate: float | None = None,
                net_embedded_gains: bool = False) -> pd.DataFrame:
    """Pre-tax and after-tax drift side by side.

    Returns
    -------
    DataFrame
        Indexed by ``asset_class`` with two column levels: ``pre_tax`` and ``after_tax``,
        each holding the columns of :func:`drift`.
    """
    pre = drift(household, band=band)
    post = drift(household, band=band,
                 values=after_tax_values(household, future_ordinary_rate=future_ordinary_rate,
                                         net_embedded_gains=net_embedded_gains))
    post = post.reindex(pre.index.union(post.index, sort=False))
    return pd.concat({"pre_tax": pre, "after_tax": post}, axis=1)


def subclass_drift(household: Household, subtargets: Mapping[str, Mapping[str, float]] |
                   None = None) -> pd.DataFrame:
    """Drift of the sub-classes inside the classes the household splits further.

    Parameters
    ----------
    household : Household
    subtargets : mapping, optional
        Class -> {sub_class: weight within the class}; default the household file's
        ``[subtargets]``.

    Returns
    -------
    DataFrame
        One row per (``asset_class``, ``sub_class``) of the split classes, with
        ``market_value`` (dollars), ``current`` and ``target`` (fractions of the household
        total; target = class target x sub-weight), ``drift`` (current - target) and
        ``share_of_class`` (fraction of the class's dollars). Holdings of a split class whose
        sub-class is unknown (or a multi-asset fund's slice) appear as ``sub_class``
        ``"unspecified"`` with target 0.
    """
    subs = household.subtargets if subtargets is None else validate_subtargets(
        subtargets, household.targets)
    ex = exposures(household)
    total = float(ex["market_value"].sum())
    rows = []
    for cls, split in subs.items():
        part = ex[ex["asset_class"] == cls]
        by = part.assign(sub=part["sub_class"].fillna("unspecified")).groupby(
            "sub", sort=False)["market_value"].sum()
        class_total = float(by.sum())
        names = list(split.index) + [s for s in by.index if s not in split.index]
        for sub in names:
            mv = float(by.get(sub, 0.0))
            target = float(household.targets[cls]) * float(split.get(sub, 0.0))
            rows.append({"asset_class": cls, "sub_class": sub, "market_value": mv,
                         "current": mv / total if total else 0.0, "target": target,
                         "share_of_class": mv / class_total if class_total else 0.0})
    out = pd.DataFrame(rows, columns=["asset_class", "sub_class", "market_value", "current",
                                      "target", "share_of_class"])
    out["drift"] = out["current"] - out["target"]
    return out
