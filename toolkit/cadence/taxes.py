"""The household's federal + NIIT + state tax on many scenarios at once (NumPy arrays).

:func:`liability_arrays` is :func:`toolkit.tax.gains.capital_gains_liability` with every input
an array: the same Schedule D netting, $3,000 loss limit, Capital Loss Carryover Worksheet,
Qualified Dividends and Capital Gain Tax Worksheet (lines 1-25), NIIT and flat state rate,
line for line (the rules and their sources are in :mod:`toolkit.tax.gains`), on the brackets
of :func:`toolkit.tax.tables.year_tables`. :func:`gains_tax_arrays` is the change in tax, as
:func:`toolkit.tax.gains.gains_tax`'s ``total``, to the cent. The simulator uses them to tax
every path's year in one call instead of a Python loop over paths.

Beyond ``gains_tax``, the arrays may add income the simulation produces: qualified dividends
(taxed by the QDCGT worksheet, net investment income for the NIIT) and ordinary investment
income (interest and non-qualified dividends: ordinary income and net investment income), and
may replace the carryforwards coming in (a multi-year simulation carries each path's own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.tax.engine import TaxInputs, profile_for, tax_inputs

__all__ = ["TaxArrays", "gains_tax_arrays", "liability_arrays"]


@dataclass(frozen=True)
class TaxArrays:
    """Federal, NIIT and state tax per scenario, with the carryforwards out.

    Attributes
    ----------
    federal, niit, state, total : ndarray
        Dollars (unrounded for :func:`liability_arrays`; the change rounded to cents per
        component, as :func:`~toolkit.tax.gains.gains_tax` rounds, for
        :func:`gains_tax_arrays`).
    carryforward_short_term, carryforward_long_term : ndarray
        Capital loss carried to the next year (positive dollars), Capital Loss Carryover
        Worksheet lines 8 and 13, after the new items.
    """

    federal: np.ndarray
    niit: np.ndarray
    state: np.ndarray
    total: np.ndarray
    carryforward_short_term: np.ndarray
    carryforward_long_term: np.ndarray


def _ordinary_tax(t, x: np.ndarray) -> np.ndarray:
    tax = np.zeros_like(x)
    for lower, upper, rate in t.brackets:
        tax += rate * np.clip(np.minimum(x, upper) - lower, 0.0, None)
    return tax


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype="float64")


def _compute(inp: TaxInputs, st, lt, qd_extra, inv_extra, cf_st, cf_lt, real_st, real_lt) -> dict:
    """Vectorised :func:`toolkit.tax.engine.liability_parts` (same lines, same order)."""
    t = inp.t
    # --- Schedule D
    l7 = (real_st + st) - cf_st
    l15 = (real_lt + lt) - cf_lt
    l16 = l7 + l15
    gain = l16 > 0
    l21 = np.where(gain, 0.0, np.minimum(-l16, t.capital_loss_limit))
    f1040_7 = np.where(gain, l16, -l21)
    ordinary = inp.ordinary + inv_extra
    qd = inp.qd + qd_extra
    ti_raw = ordinary + qd + f1040_7
    ti = np.maximum(0.0, ti_raw)
    # --- Capital Loss Carryover Worksheet
    loss = l16 < 0
    c3 = np.maximum(0.0, ti_raw + l21)
    c4 = np.minimum(l21, c3)
    c5 = np.where(l7 < 0, -l7, 0.0)
    c6 = np.maximum(0.0, l15)
    c8 = np.where(loss, np.maximum(0.0, c5 - (c4 + c6)), 0.0)
    c9 = -l15
    c10 = np.maximum(0.0, l7)
    c11 = np.maximum(0.0, c4 - c5)
    c13 = np.where(loss & (l15 < 0), np.maximum(0.0, c9 - (c10 + c11)), 0.0)
    # --- Qualified Dividends and Capital Gain Tax Worksheet
    w1 = ti
    w3 = np.where((l15 > 0) & (l16 > 0), np.minimum(l15, l16), 0.0)
    w4 = qd + w3
    w5 = np.maximum(0.0, w1 - w4)
    w7 = np.minimum(w1, t.ltcg_zero_max)
    w8 = np.minimum(w5, w7)
    w9 = w7 - w8
    w10 = np.minimum(w1, w4)
    w12 = w10 - w9
    w14 = np.minimum(w1, t.ltcg_fifteen_max)
    w15 = w5 + w9
    w16 = np.maximum(0.0, w14 - w15)
    w17 = np.minimum(w12, w16)
    w18 = 0.15 * w17
    w19 = w9 + w17
    w20 = w10 - w19
    w21 = 0.20 * w20
    w22 = _ordinary_tax(t, w5)
    w23 = w18 + w21 + w22
    w24 = _ordinary_tax(t, w1)
    federal = np.minimum(w23, w24)
    # --- NIIT
    agi = ordinary + inp.deductions + qd + f1040_7
    nii = np.maximum(0.0, qd + (inp.other_nii + inv_extra) + f1040_7)
    niit = t.niit_rate * np.maximum(0.0, np.minimum(nii, agi - t.niit_threshold))
    # --- State
    state = inp.state_rate * ti
    return {"federal": federal, "niit": niit, "state": state, "cf_st": c8, "cf_lt": c13}


def _prepare(profile, short_term, long_term, qualified_dividends, investment_income,
             carryforward_short_term, carryforward_long_term, include_realized):
    inp = tax_inputs(profile_for(profile))
    st, lt = _arr(short_term), _arr(long_term)
    qd, inv = _arr(qualified_dividends), _arr(investment_income)
    cf_st = _arr(inp.cf_st if carryforward_short_term is None else carryforward_short_term)
    cf_lt = _arr(inp.cf_lt if carryforward_long_term is None else carryforward_long_term)
    if np.any(cf_st < 0) or np.any(cf_lt < 0):
        raise ValueError("carryforwards are positive dollars")
    if np.any(inv < 0) or np.any(qd < 0):
        raise ValueError("qualified_dividends and investment_income must not be negative")
    real_st = inp.real_st if include_realized else 0.0
    real_lt = inp.real_lt if include_realized else 0.0
    return inp, (st, lt, qd, inv, cf_st, cf_lt, real_st, real_lt)


def liability_arrays(profile, short_term=0.0, long_term=0.0, *, qualified_dividends=0.0,
                     investment_income=0.0, carryforward_short_term=None,
                     carryforward_long_term=None, include_realized: bool = True) -> TaxArrays:
    """Full federal regular tax, NIIT and state tax for arrays of scenarios.

    Parameters
    ----------
    profile : TaxProfile or Household
        The year priced: a profile as given; a household's year-to-date profile
        (:func:`toolkit.tax.profile_for`).
    short_term, long_term : float or array-like
        Extra net short- and long-term gains per scenario, dollars (negative = losses), on
        top of the profile's ``realized_*`` (unless ``include_realized`` is False).
    qualified_dividends : float or array-like, default 0
        Extra qualified dividends, dollars (not negative).
    investment_income : float or array-like, default 0
        Extra ordinary investment income (interest, non-qualified dividends), dollars (not
        negative): added to ordinary income and to net investment income.
    carryforward_short_term, carryforward_long_term : float or array-like, optional
        Capital losses carried in (positive dollars); default the profile's.
    include_realized : bool, default True
        Count the profile's ``realized_short_term``/``realized_long_term``.

    Returns
    -------
    TaxArrays
        Unrounded dollars, broadcast over the inputs; no NaN handling (NaN in, NaN out).

    Raises
    ------
    TaxTableError
        If there is no table for the profile's year or filing status.
    ValueError
        If a carryforward, dividend or income amount is negative.
    """
    inp, args = _prepare(profile, short_term, long_term, qualified_dividends,
                         investment_income, carryforward_short_term, carryforward_long_term,
                         include_realized)
    r = _compute(inp, *args)
    total = r["federal"] + r["niit"] + r["state"]
    return TaxArrays(r["federal"], r["niit"], r["state"], total, r["cf_st"], r["cf_lt"])


_round_cents = np.vectorize(lambda v: round(float(v), 2) + 0.0, otypes=["float64"])


def _cents(x: np.ndarray) -> np.ndarray:
    """Python's ``round(x, 2)`` elementwise (exact decimal rounding, as gains_tax rounds)."""
    return _round_cents(x)


def gains_tax_arrays(profile, short_term=0.0, long_term=0.0, *, qualified_dividends=0.0,
                     investment_income=0.0, carryforward_short_term=None,
                     carryforward_long_term=None, include_realized: bool = True) -> TaxArrays:
    """The change in tax from extra gains and income, per scenario: after minus before.

    The vectorised :func:`toolkit.tax.gains.gains_tax`: each component of both liabilities is
    rounded to cents before the difference, as ``gains_tax`` does, so ``total`` equals
    ``gains_tax(profile, short_term, long_term).total`` to the cent.

    Parameters
    ----------
    profile : TaxProfile or Household
    short_term, long_term, qualified_dividends, investment_income : float or array-like
        As :func:`liability_arrays` (dollars).
    carryforward_short_term, carryforward_long_term : float or array-like, optional
        Capital losses carried in, the same before and after; default the profile's.
    include_realized : bool, default True
        As :func:`liability_arrays`.

    Returns
    -------
    TaxArrays
        ``federal``, ``niit``, ``state`` and ``total`` changes in dollars rounded to cents;
        the carryforwards are those *after* the new items.

    Raises
    ------
    TaxTableError
        If there is no table for the profile's year or filing status.
    ValueError
        If a carryforward, dividend or income amount is negative.

    Examples
    --------
    >>> from toolkit.household import TaxProfile
    >>> p = TaxProfile("married_filing_jointly", 2026, ordinary_income=185_000,
    ...                state_rate=0.05)
    >>> gains_tax_arrays(p, long_term=[10_000, 0]).total
    array([2000.,    0.])
    """
    inp, (st, lt, qd, inv, cf_st, cf_lt, rs, rl) = _prepare(
        profile, short_term, long_term, qualified_dividends, investment_income,
        carryforward_short_term, carryforward_long_term, include_realized)
    zero = np.zeros(())
    after = _compute(inp, st, lt, qd, inv, cf_st, cf_lt, rs, rl)
    before = _compute(inp, zero, zero, zero, zero, cf_st, cf_lt, rs, rl)
    parts = {k: _cents(_cents(after[k]) - _cents(before[k])) for k in ("federal", "niit",
                                                                       "state")}
    total = _cents(parts["federal"] + parts["state"] + parts["niit"])
    shape = np.broadcast(st, lt, qd, inv, cf_st, cf_lt).shape
    return TaxArrays(*(np.broadcast_to(parts[k], shape) for k in ("federal", "niit", "state")),
                     np.broadcast_to(total, shape), np.broadcast_to(after["cf_st"], shape),
                     np.broadcast_to(after["cf_lt"], shape))
