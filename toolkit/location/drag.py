"""Tax drag: the yearly tax of holding each position where it is.

:func:`tax_drag` per position, :func:`fund_drag_rates` per fund if held in a taxable account,
and the marginal rates on distributions behind them (:func:`distribution_rates`,
:func:`drag_rates`). How the rates are found and what is not modelled: :mod:`toolkit.location`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household, TaxProfile
from toolkit.schema import TaxTreatment, TaxType
from toolkit.tax.engine import liability_parts, profile_for, tax_inputs

__all__ = [
    "distribution_rates",
    "drag_rates",
    "drag_table",
    "fund_drag_rates",
    "security_fields",
    "tax_drag",
    "taxable_drag_rate",
]

_TAXABLE = TaxTreatment.TAXABLE.value

def distribution_rates(profile: TaxProfile) -> dict[str, float]:
    """Marginal federal + NIIT + state rate on one more dollar of each kind of distribution.

    Parameters
    ----------
    profile : TaxProfile
        Priced exactly as given (a household's is :func:`toolkit.tax.profile_for`).

    Returns
    -------
    dict of str to float
        ``ordinary`` (income and other investment income up one dollar), ``qualified``
        (qualified dividends up one dollar) and ``tax_exempt`` (the state rate), fractions.
    """

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


def drag_rates(household: Household, rates: Mapping[str, float] | None) -> dict[str, float]:
    """The marginal rates on distributions: those given, the rest from the household.

    Parameters
    ----------
    household : Household
        Missing rates are priced on its year-to-date profile
        (:func:`toolkit.tax.profile_for`, :func:`distribution_rates`).
    rates : mapping or None
        ``ordinary``, ``qualified`` (or ``long_term``) and ``tax_exempt``, fractions.

    Returns
    -------
    dict of str to float
        ``ordinary``, ``qualified``, ``tax_exempt``.

    Raises
    ------
    PlanningError
        If a key is unknown or a rate is not a fraction in [0, 1).
    """
    given = dict(rates or {})
    if "qualified" not in given and "long_term" in given:
        given["qualified"] = given["long_term"]
    unknown = set(given) - {"ordinary", "qualified", "long_term", "tax_exempt"}
    if unknown:
        raise PlanningError(f"rates: unknown key(s) {sorted(unknown)}; expected ordinary, "
                            "qualified (or long_term) and tax_exempt")
    need = {"ordinary", "qualified", "tax_exempt"} - set(given)
    out = distribution_rates(profile_for(household)) if need else {}
    out.update({k: given[k] for k in ("ordinary", "qualified", "tax_exempt") if k in given})
    for k, v in out.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1:
            raise PlanningError(f"rates[{k!r}] = {v!r} must be a fraction in [0, 1)")
        out[k] = float(v)
    return out


def security_fields(household: Household, symbols: pd.Series,
                    cusips: pd.Series | None = None) -> pd.DataFrame:
    """The security master's drag fields for each symbol (NaN where it does not know it).

    Parameters
    ----------
    household : Household
        Its security master.
    symbols : Series
    cusips : Series, optional
        Tried where a symbol is not known.

    Returns
    -------
    DataFrame
        ``sub_class``, ``tax_character``, ``qualified_fraction``, ``yield`` and
        ``foreign_tax``, indexed like ``symbols``.
    """
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


def taxable_drag_rate(fields: pd.DataFrame, r: Mapping[str, float]) -> pd.Series:
    """Drag per dollar of value in a taxable account (NaN where the yield is unknown).

    Parameters
    ----------
    fields : DataFrame
        :func:`security_fields` of the symbols.
    r : mapping
        ``ordinary``, ``qualified`` and ``tax_exempt`` rates (fractions).

    Returns
    -------
    Series
        Yield x the average rate on the distributions, less the foreign tax, per year.
    """
    _, rate = _character(fields, r)
    return fields["yield"] * rate - fields["foreign_tax"].fillna(0.0)


def drag_table(household: Household, r: Mapping[str, float]) -> pd.DataFrame:
    """:func:`tax_drag`'s frame, unrounded, at the rates ``r`` (:func:`drag_rates`).

    Parameters
    ----------
    household : Household
    r : mapping
        ``ordinary``, ``qualified`` and ``tax_exempt`` rates (fractions).

    Returns
    -------
    DataFrame
        As :func:`tax_drag` (dollars not rounded, no ``attrs``).
    """
    pos = household.positions
    types = dict(zip(household.accounts["account"], household.accounts["tax_type"],
                     strict=True))
    tax_type = pos["account"].map(types)
    treatment = tax_type.map(lambda t: TaxType(t).treatment.value)
    fields = security_fields(household, pos["symbol"], pos["cusip"])
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
    r = drag_rates(household, rates)
    out = drag_table(household, r)
    for c in _MONEY:
        out[c] = out[c].round(2) + 0.0
    out.attrs["rates"] = dict(r)
    return out


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
    r = drag_rates(household, rates)
    syms = pd.Series(list(dict.fromkeys(symbols)), dtype="str")
    if syms.empty:
        return {}
    fields = security_fields(household, syms)
    _, rate = _character(fields, r)
    drag = fields["yield"] * rate - fields["foreign_tax"].fillna(0.0)
    return {s: float(d) if pd.notna(d) else 0.0 for s, d in zip(syms, drag, strict=True)}
