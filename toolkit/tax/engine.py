"""The tax engine's public seams: inputs, one liability computation, the profile priced on.

Every module that prices tax goes through here:

- :func:`tax_inputs` turns a :class:`~toolkit.household.TaxProfile` into the year's figures
  (:class:`TaxInputs`); :func:`liability_parts` computes the year's federal, NIIT and state
  tax with extra gains, line by line (the rules are :mod:`toolkit.tax.gains`'s);
  :func:`total_tax` and :func:`tax_change` are its fast paths for loops.
- :func:`profile_for` is the one way to get the profile a computation prices on.

The profile rule
----------------
A function given a :class:`~toolkit.household.Household` prices on the **year-to-date
profile**: the household file's profile plus the net gains of this year's sales in the loaded
exports (taxable accounts, after the household-wide wash-sale rule:
:func:`realized_this_year`). A function given a :class:`~toolkit.household.TaxProfile` prices
on exactly that profile. So ``gains_tax(h, ...)``, ``select_lots(h, ...)``, ``harvest(h)``,
``plan(h)``, ``conversion_tax(h, ...)``, the cadence simulator, the location report and the
checkup all stack a new sale on the same income. The household file's own profile is
``household.profile``; ``profile_for(h, year_to_date=False)`` returns it.

The year-to-date profile is computed once per household object and wash-sale policy
(a :class:`~toolkit.household.Household` is immutable, so it cannot go stale).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.household import Household, TaxProfile, per_household
from toolkit.schema import TaxType, Term
from toolkit.tax.holding import terms
from toolkit.tax.tables import YearTables, year_tables
from toolkit.tax.wash import SubstantiallyIdentical, WashResult, wash_sale_result
from toolkit.tax.wash_household import groups_setting, household_sales

__all__ = [
    "TaxInputs",
    "liability_parts",
    "profile_for",
    "realized_this_year",
    "round_cents",
    "seniors",
    "standard_deductions",
    "tax_change",
    "tax_inputs",
    "total_tax",
    "year_to_date_profile",
]


@dataclass(frozen=True)
class TaxInputs:
    """A tax year's figures, as :func:`liability_parts` reads them (dollars, fractions).

    Attributes
    ----------
    t : YearTables
        Brackets, ceilings, thresholds and limits of the year and filing status.
    ordinary, qd, other_nii, deductions : float
        Ordinary taxable income, qualified dividends, other net investment income and the
        deductions added back to estimate MAGI.
    state_rate : float
    cf_st, cf_lt : float
        Capital loss carryforwards in (positive).
    real_st, real_lt : float
        Net gains already realised this year.
    """

    t: YearTables
    ordinary: float
    qd: float
    other_nii: float
    deductions: float
    state_rate: float
    cf_st: float
    cf_lt: float
    real_st: float
    real_lt: float


def tax_inputs(p: TaxProfile) -> TaxInputs:
    """The year's figures of a profile, priced exactly as given.

    Parameters
    ----------
    p : TaxProfile

    Returns
    -------
    TaxInputs
        ``deductions`` (what the NIIT's MAGI estimate adds back to taxable income) is the
        profile's, else :func:`standard_deductions`: the year's basic standard deduction, the
        additional deduction for each filer 65 or older and the 2025-2028 senior deduction.

    Raises
    ------
    TaxTableError
        If there is no table for the profile's year or filing status.
    """
    t = year_tables(p.year, p.filing_status)
    return TaxInputs(
        t=t,
        ordinary=float(p.ordinary_income),
        qd=float(p.qualified_dividends),
        other_nii=float(p.other_investment_income),
        deductions=standard_deductions(p, t) if p.deductions is None else float(p.deductions),
        state_rate=float(p.state_rate),
        cf_st=float(p.carryforward_short_term),
        cf_lt=float(p.carryforward_long_term),
        real_st=float(p.realized_short_term),
        real_lt=float(p.realized_long_term),
    )


def seniors(p: TaxProfile) -> int:
    """How many of the profile's filers are 65 or older at the end of its year.

    A filer born in ``year - 65`` or earlier (only birth years are known, so one born on
    January 1 of ``year - 64``, who counts as 65 for the IRS on December 31, is missed).

    Parameters
    ----------
    p : TaxProfile

    Returns
    -------
    int
    """
    return sum(1 for y in p.birth_years if p.year - y >= 65)


def standard_deductions(p: TaxProfile, t: YearTables | None = None) -> float:
    """The deductions between AGI and taxable income for a profile without ``deductions``.

    The basic standard deduction, plus the additional standard deduction for each filer 65
    or older (``standard_deduction.csv``), plus the 2025-2028 senior deduction
    (``senior_deduction.csv``, OBBBA §70103): $6,000 per filer 65 or older, each reduced by
    6% of MAGI over $75,000 ($150,000 on a joint return), none for married filing
    separately. MAGI (AGI here) is the profile's own, before any extra gain: taxable ordinary
    income, qualified dividends and the year's net realised capital gain (Schedule D line
    16 after carryforwards, a net loss counting down to the loss limit) plus these
    deductions, solved exactly (the phase-out makes the deduction depend on the AGI it helps
    to reach back to). Extra gains priced later move MAGI dollar for dollar; their effect
    on the senior deduction itself (and so on taxable income) is not modelled.

    Parameters
    ----------
    p : TaxProfile
    t : YearTables, optional
        The year's tables (looked up when not given).

    Returns
    -------
    float
        Dollars.

    Examples
    --------
    A 2026 joint return, both spouses 70, $100,000 of taxable ordinary income, no gains:
    32,200 + 2 x 1,650 = 35,500; AGI before the senior deduction 135,500 + 12,000 = 147,500
    (under $150,000), so the full $12,000: 47,500.
    """
    t = t or year_tables(p.year, p.filing_status)
    n = seniors(p)
    base = t.standard_deduction + n * t.additional_65
    if not n or not t.senior_deduction:
        return base
    l16 = (p.realized_short_term - p.carryforward_short_term) + (
        p.realized_long_term - p.carryforward_long_term)
    line7 = l16 if l16 > 0 else -min(-l16, t.capital_loss_limit)
    x = p.ordinary_income + p.qualified_dividends + line7 + base
    s, r, thr = t.senior_deduction, t.senior_phaseout_rate, t.senior_phaseout_threshold
    if x + n * s <= thr:
        return base + n * s
    agi = (x + n * s + n * r * thr) / (1.0 + n * r)
    each = s - r * (agi - thr)
    if each <= 0:
        return base
    return base + n * each


def round_cents(x: float) -> float:
    """Dollars rounded to cents, ``-0.0`` as ``0.0``."""
    return round(x, 2) + 0.0


def liability_parts(inp: TaxInputs, st: float, lt: float, detail: bool = False) -> dict:
    """The year's tax with extra short- and long-term gains, unrounded, by part.

    The one computation behind :func:`~toolkit.tax.gains_tax`,
    :func:`~toolkit.tax.capital_gains_liability`, lot selection, harvesting, the planner's
    tax curves and the checkup (rules in :mod:`toolkit.tax.gains`).

    Parameters
    ----------
    inp : TaxInputs
        The year (:func:`tax_inputs`).
    st, lt : float
        Extra net short- and long-term gains, dollars (negative for losses), on top of the
        profile's realised gains.
    detail : bool, default False
        Add ``lines``: every worksheet line as ``(section, line, description, value)``.

    Returns
    -------
    dict
        Dollars, unrounded: ``federal``, ``niit``, ``state``; ``ti`` (taxable income, not
        below 0) and ``ti_raw``; ``agi`` (estimated MAGI), ``nii``; Schedule D ``l7``,
        ``l15``, ``l16``, ``l21``; carryforwards out ``cf_st``, ``cf_lt``; QDCGT worksheet
        ``qdcgt_line4`` and ``qdcgt_line5``.
    """
    t = inp.t
    # --- Schedule D
    st_items = inp.real_st + st
    l7 = st_items - inp.cf_st
    lt_items = inp.real_lt + lt
    l15 = lt_items - inp.cf_lt
    l16 = l7 + l15
    if l16 > 0:
        l21 = 0.0
        f1040_7 = l16
    else:
        l21 = min(-l16, t.capital_loss_limit)
        f1040_7 = -l21
    ti_raw = inp.ordinary + inp.qd + f1040_7
    ti = max(0.0, ti_raw)
    # --- Capital Loss Carryover Worksheet (for next year)
    c8 = c13 = 0.0
    if l16 < 0:
        c3 = max(0.0, ti_raw + l21)
        c4 = min(l21, c3)
        c5 = -l7 if l7 < 0 else 0.0
        c6 = max(0.0, l15)
        c8 = max(0.0, c5 - (c4 + c6))
        if l15 < 0:
            c9 = -l15
            c10 = max(0.0, l7)
            c11 = max(0.0, c4 - c5)
            c13 = max(0.0, c9 - (c10 + c11))
    # --- Qualified Dividends and Capital Gain Tax Worksheet
    w1 = ti
    w2 = inp.qd
    w3 = min(l15, l16) if (l15 > 0 and l16 > 0) else 0.0
    w4 = w2 + w3
    w5 = max(0.0, w1 - w4)
    w6 = t.ltcg_zero_max
    w7 = min(w1, w6)
    w8 = min(w5, w7)
    w9 = w7 - w8
    w10 = min(w1, w4)
    w11 = w9
    w12 = w10 - w11
    w13 = t.ltcg_fifteen_max
    w14 = min(w1, w13)
    w15 = w5 + w9
    w16 = max(0.0, w14 - w15)
    w17 = min(w12, w16)
    w18 = 0.15 * w17
    w19 = w9 + w17
    w20 = w10 - w19
    w21 = 0.20 * w20
    w22 = t.ordinary_tax(w5)
    w23 = w18 + w21 + w22
    w24 = t.ordinary_tax(w1)
    federal = min(w23, w24)
    # --- NIIT
    agi = inp.ordinary + inp.deductions + inp.qd + f1040_7
    nii = max(0.0, inp.qd + inp.other_nii + f1040_7)
    over = agi - t.niit_threshold
    niit_base = max(0.0, min(nii, over))
    niit = t.niit_rate * niit_base
    # --- State
    state = inp.state_rate * ti
    out = {
        "federal": federal, "niit": niit, "state": state, "ti": ti, "ti_raw": ti_raw,
        "agi": agi, "nii": nii, "l7": l7, "l15": l15, "l16": l16, "l21": l21,
        "cf_st": c8, "cf_lt": c13, "qdcgt_line4": w4, "qdcgt_line5": w5,
    }
    if not detail:
        return out
    lim = t.capital_loss_limit
    lines = [
        ("Schedule D", "1-5", "Short-term gains and losses this year (realised + new)", st_items),
        ("Schedule D", "6", "Short-term capital loss carryover in", -inp.cf_st),
        ("Schedule D", "7", "Net short-term capital gain or (loss)", l7),
        ("Schedule D", "8-13", "Long-term gains and losses this year (realised + new)", lt_items),
        ("Schedule D", "14", "Long-term capital loss carryover in", -inp.cf_lt),
        ("Schedule D", "15", "Net long-term capital gain or (loss)", l15),
        ("Schedule D", "16", "Net gain or (loss): line 7 + line 15", l16),
        ("Schedule D", "21", f"Net capital loss deducted this year (limit ${lim:,.0f})", l21),
        ("Form 1040", "7", "Capital gain or (loss) in income", f1040_7),
        ("Form 1040", "15", "Taxable income: ordinary income + qualified dividends + line 7 "
         "(not below 0)", ti),
        ("Carryover worksheet", "8", "Short-term capital loss carried to next year", c8),
        ("Carryover worksheet", "13", "Long-term capital loss carried to next year", c13),
        ("QDCGT worksheet", "1", "Taxable income", w1),
        ("QDCGT worksheet", "2", "Qualified dividends", w2),
        ("QDCGT worksheet", "3", "Net capital gain: smaller of Schedule D lines 15 and 16", w3),
        ("QDCGT worksheet", "4", "Line 2 + line 3 (taxed at capital gain rates)", w4),
        ("QDCGT worksheet", "5", "Line 1 - line 4 (taxed at ordinary rates)", w5),
        ("QDCGT worksheet", "6", "Maximum zero-rate amount", w6),
        ("QDCGT worksheet", "7", "Smaller of line 1 or line 6", w7),
        ("QDCGT worksheet", "8", "Smaller of line 5 or line 7", w8),
        ("QDCGT worksheet", "9", "Line 7 - line 8: taxed at 0%", w9),
        ("QDCGT worksheet", "10", "Smaller of line 1 or line 4", w10),
        ("QDCGT worksheet", "11", "Line 9", w11),
        ("QDCGT worksheet", "12", "Line 10 - line 11", w12),
        ("QDCGT worksheet", "13", "Maximum 15%-rate amount", w13),
        ("QDCGT worksheet", "14", "Smaller of line 1 or line 13", w14),
        ("QDCGT worksheet", "15", "Line 5 + line 9", w15),
        ("QDCGT worksheet", "16", "Line 14 - line 15 (not below 0)", w16),
        ("QDCGT worksheet", "17", "Smaller of line 12 or line 16: taxed at 15%", w17),
        ("QDCGT worksheet", "18", "15% of line 17", w18),
        ("QDCGT worksheet", "19", "Line 9 + line 17", w19),
        ("QDCGT worksheet", "20", "Line 10 - line 19: taxed at 20%", w20),
        ("QDCGT worksheet", "21", "20% of line 20", w21),
        ("QDCGT worksheet", "22", "Tax on line 5 at the ordinary brackets", w22),
        ("QDCGT worksheet", "23", "Line 18 + line 21 + line 22", w23),
        ("QDCGT worksheet", "24", "Tax on line 1 at the ordinary brackets", w24),
        ("QDCGT worksheet", "25", "Smaller of line 23 or line 24: regular tax", federal),
    ]
    for lo, up, rate, amount in t.bracket_slices(w5):
        band = f"over ${lo:,.0f}" if math.isinf(up) else f"${lo:,.0f}-${up:,.0f}"
        lines.append(("Ordinary brackets", f"{rate:.0%}",
                      f"Line 5 dollars in the {rate:.0%} band ({band})", amount))
    lines += [
        ("NIIT", "deductions", "Deductions added back to reach AGI (the profile's, else the "
         "standard deduction with the 65+ additions and the 2025-2028 senior deduction)",
         inp.deductions),
        ("NIIT", "MAGI", "Estimated MAGI: ordinary income + deductions + qualified dividends "
         "+ Form 1040 line 7", agi),
        ("NIIT", "threshold", "NIIT threshold", t.niit_threshold),
        ("NIIT", "NII", "Net investment income: qualified dividends + other investment income "
         "+ Form 1040 line 7 (not below 0)", nii),
        ("NIIT", "base", "Smaller of NII and MAGI over the threshold (not below 0)", niit_base),
        ("NIIT", "tax", f"{t.niit_rate:.1%} of the base", niit),
        ("State", "base", "State taxable income (= federal taxable income)", ti),
        ("State", "tax", f"{inp.state_rate:.2%} of the base", state),
    ]
    out["lines"] = lines
    return out


def total_tax(inp: TaxInputs, st: float, lt: float) -> float:
    """Federal + NIIT + state with extra gains, unrounded dollars (:func:`liability_parts`).

    Parameters
    ----------
    inp : TaxInputs
    st, lt : float
        Extra net short- and long-term gains, dollars.

    Returns
    -------
    float
    """
    r = liability_parts(inp, st, lt)
    return r["federal"] + r["niit"] + r["state"]


def tax_change(inp: TaxInputs, st: float, lt: float, base: dict | None = None) -> float:
    """The change in tax from extra gains, to the cent, as ``gains_tax(...).total``.

    The fast path of :func:`~toolkit.tax.gains_tax` (no breakdown frames): each part
    (federal, state, NIIT) rounded to cents before and after, then summed.

    Parameters
    ----------
    inp : TaxInputs
    st, lt : float
        Extra net short- and long-term gains, dollars (negative for losses).
    base : dict, optional
        ``liability_parts(inp, 0, 0)`` when already computed (a loop over many sales).

    Returns
    -------
    float
        Dollars (negative: the sale saves tax).
    """
    rb = base if base is not None else liability_parts(inp, 0.0, 0.0)
    ra = liability_parts(inp, st, lt)
    parts = [round_cents(ra[k]) - round_cents(rb[k]) for k in ("federal", "state", "niit")]
    return round_cents(sum(round_cents(x) for x in parts))



# --- the profile a computation prices on -----------------------------------------------------

def profile_for(obj: Household | TaxProfile, *, year_to_date: bool = True,
                policy: str | SubstantiallyIdentical = "same_security",
                groups: Iterable[Iterable[str]] | None = None,
                wash: WashResult | None = None) -> TaxProfile:
    """The profile a tax computation on ``obj`` prices on (the rule in the module docstring).

    Parameters
    ----------
    obj : Household or TaxProfile
        A profile is returned as given.
    year_to_date : bool, default True
        For a household: add this year's realised sales (:func:`year_to_date_profile`);
        False returns the household file's profile (``household.profile``).
    policy : str or SubstantiallyIdentical, default "same_security"
        Substantially-identical policy of the wash-sale check behind the year's losses.
    groups : iterable of iterable of str, optional
        Declared groups; default ``household.settings["substantially_identical"]``.
    wash : WashResult, optional
        The household's wash-sale result under that policy, when already computed.

    Returns
    -------
    TaxProfile

    Raises
    ------
    TypeError
        If ``obj`` is neither a Household nor a TaxProfile.
    """
    if isinstance(obj, TaxProfile):
        return obj
    if not isinstance(obj, Household):
        raise TypeError(f"expected a TaxProfile or a Household, got {type(obj).__name__}")
    if not year_to_date:
        return obj.profile
    pol = SubstantiallyIdentical.coerce(policy, groups_setting(obj, groups))
    if wash is not None:
        return year_to_date_profile(obj, policy=pol, wash=wash)
    return _year_to_date(obj, pol)


@per_household
def _year_to_date(household: Household, policy: SubstantiallyIdentical) -> TaxProfile:
    return year_to_date_profile(household, policy=policy)


def realized_this_year(household: Household, *,
                       policy: str | SubstantiallyIdentical = "same_security",
                       wash: WashResult | None = None) -> tuple[float, float, list[str]]:
    """Net short- and long-term gains realised this year in taxable accounts, after wash sales.

    The closed lots in ``household.realized`` sold in the profile's tax year in taxable
    accounts are netted by term, as the household-wide wash-sale check leaves them
    (:func:`toolkit.tax.wash.wash_sale_result`, which sees purchases in other accounts, IRAs
    included, that the broker does not):

    - a loss counts only as far as it is allowed (the disallowed part is the check's, or the
      broker's figure for rows it cannot read);
    - a sale of replacement shares is measured on their adjusted basis (the disallowed loss of
      the sale they replaced, IRC §1091(d)) and its term on the tacked holding period
      (§1223(3)), chained across accounts (:mod:`toolkit.tax.wash_chain`);
    - otherwise a row's term is the broker's, else it is computed from its acquisition date,
      else it counts as short-term (with a note).

    Parameters
    ----------
    household : Household
    policy : str or SubstantiallyIdentical, default "same_security"
        Substantially-identical policy for the wash-sale check.
    wash : WashResult, optional
        An already computed wash-sale result for this household and policy.

    Returns
    -------
    tuple
        ``(short_term, long_term, notes)``: dollars (negative for net losses) and notes.
    """
    r = household.realized
    notes: list[str] = []
    if r.empty:
        return 0.0, 0.0, notes
    year = household.profile.year
    if wash is None:
        wash = wash_sale_result(household, policy=policy)
    sales, _ = household_sales(household)
    pieces = wash.sales
    if len(pieces) and len(pieces) >= len(r) and set(pieces["sale"]) == set(range(len(r))):
        row = pieces["sale"].to_numpy()
        gain = pieces["gain"]
        disallowed = pieces["disallowed"]
        tacked = pieces["tacked"].astype(bool) | pieces["basis_carried"].gt(0)
        start = pieces["holding_start"]
    else:  # a result computed on other sales: read the realised rows as they are
        row = np.arange(len(r))
        gain = (r["proceeds"] - r["cost_basis"]).reset_index(drop=True)
        disallowed = sales["sale_id"].map(wash.rows.groupby("sale_id")["disallowed"].sum())
        tacked = pd.Series(False, index=gain.index)
        start = r["acquired"].reset_index(drop=True)
    rr = r.reset_index(drop=True).iloc[row].reset_index(drop=True)
    # rows the wash check could not read keep the broker's reported figure and their gain
    checked = (sales["proceeds"].notna() & sales["cost_basis"].notna()).to_numpy()[row]
    gain = pd.Series(np.where(checked, gain.to_numpy(dtype="float64"),
                              (rr["proceeds"] - rr["cost_basis"]).fillna(rr["gain"])
                              .to_numpy(dtype="float64")))
    disallowed = pd.Series(np.where(checked, pd.Series(disallowed).fillna(0.0).to_numpy(
        dtype="float64"), rr["wash_sale_disallowed"].fillna(0.0).to_numpy(dtype="float64")))
    net = (gain + disallowed).where(gain.notna())
    types = household.accounts.set_index("account")["tax_type"]
    taxable = rr["account"].map(types).fillna(TaxType.TAXABLE.value).eq(TaxType.TAXABLE.value)
    use = taxable & rr["sold"].dt.year.eq(year)
    unknown = use & net.isna()
    if unknown.any():
        notes.append(f"{int(unknown.sum())} realised row(s) of {year} have no gain, proceeds or "
                     "basis: left out of this year's baseline")
    use &= net.notna()
    term = rr["term"].copy()
    tacked = pd.Series(np.asarray(tacked, dtype=bool))
    if tacked.any():
        term.loc[tacked] = terms(pd.Series(start)[tacked].reset_index(drop=True),
                                 rr.loc[tacked, "sold"].reset_index(drop=True)).to_numpy()
    need = use & term.isna()
    if need.any():
        known = need & rr["acquired"].notna()
        if known.any():
            term.loc[known] = terms(rr.loc[known, "acquired"], rr.loc[known, "sold"]).to_numpy()
        if (need & ~known).any():
            notes.append(f"{int((need & ~known).sum())} realised row(s) have no term and no "
                         "acquisition date: counted as short-term")
            term.loc[need & ~known] = Term.SHORT.value
    is_long = term.eq(Term.LONG.value).fillna(False)
    st = float(net[use & ~is_long].sum())
    lt = float(net[use & is_long].sum())
    return round(st, 2) + 0.0, round(lt, 2) + 0.0, notes


def year_to_date_profile(household: Household, *,
                         policy: str | SubstantiallyIdentical = "same_security",
                         wash: WashResult | None = None) -> TaxProfile:
    """The household's tax profile with this year's realised gains from its exports added.

    Computed anew on each call; :func:`profile_for` is the cached way to get it.

    The household file's ``realized_short_term`` / ``realized_long_term`` hold gains realised
    *outside* the loaded exports; :func:`realized_this_year` (the exports' closed lots in
    taxable accounts, after wash sales found household-wide) is added to them.

    Parameters
    ----------
    household : Household
    policy : str or SubstantiallyIdentical, default "same_security"
        Substantially-identical policy for the wash-sale check.
    wash : WashResult, optional
        An already computed wash-sale result.

    Returns
    -------
    TaxProfile
        A copy of ``household.profile`` with ``realized_short_term`` and
        ``realized_long_term`` increased (dollars).
    """
    p = household.profile
    st, lt, _ = realized_this_year(household, policy=policy, wash=wash)
    return p.replace(realized_short_term=p.realized_short_term + st,
                     realized_long_term=p.realized_long_term + lt)
