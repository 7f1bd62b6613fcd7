"""The tax cost of realising gains: the change in federal, NIIT and state tax.

:func:`gains_tax` answers "what does realising these extra short- and long-term gains (or
losses) cost this household this year?" as the difference of two full computations by
:func:`capital_gains_liability`, with and without the new gains, so that every rule below is
applied once, in one place.

The computation follows the IRS forms line by line (sources in ``tax/data/sources.md``):

1. **Schedule D netting** (Pub 550 "Capital Losses"). Short-term items of the year (the
   profile's ``realized_short_term`` plus the new ``short_term``) net with the short-term loss
   carryover (line 7); long-term items with the long-term carryover (line 15); line 16 is
   their sum, so a net loss on one side offsets a net gain on the other.
2. **Net capital loss** (IRC §1211(b)): deductible against other income up to $3,000
   ($1,500 married filing separately) (line 21). The rest carries forward with its character
   (IRC §1212(b)), by the Schedule D **Capital Loss Carryover Worksheet**: short-term losses
   are used first against the deduction, and a carryover is only used to the extent taxable
   income before the deduction was positive (worksheet lines 1-4).
3. **Regular tax** by the **Qualified Dividends and Capital Gain Tax Worksheet** (Form 1040
   instructions, 25 lines): taxable income = ordinary income + qualified dividends + the
   Form 1040 line 7 amount (line 16 if a gain, minus line 21 if a loss), not below 0. Net
   short-term gain is ordinary income; net capital gain (smaller of lines 15 and 16) plus
   qualified dividends is taxed at 0/15/20% stacked on top of ordinary income, the 0% and
   15% ceilings applying to *total* taxable income. Line 25 keeps the smaller of the
   worksheet tax and the regular tax on all taxable income: where the 0% ceiling sits below
   the top of the 12% bracket (2024-2026, widest in 2026 after OBBBA indexed only the 10%
   and 12% edges), gains in that window are taxed at 12%, not 15%.
4. **NIIT** (IRC §1411): 3.8% x min(net investment income, MAGI - threshold), not below 0.

   - MAGI is estimated as AGI = ``ordinary_income`` + deductions + qualified dividends + the
     Form 1040 line 7 amount, where deductions are the profile's ``deductions`` or else the
     year's basic standard deduction (no age-65 or 2025-2028 senior additions). No foreign
     earned income exclusion is modelled.
   - Net investment income = qualified dividends + ``other_investment_income`` + the Form
     1040 line 7 amount, not below 0 (Form 8960 lines 5a and 12). Net gain counts only when
     positive (Treas. Reg. §1.1411-4(d)(2): "The calculation of net gain may not be less than
     zero"), but the up-to-$3,000 loss allowed under §1211(b) reduces other investment income
     (§1.1411-4(d)(3)(ii) Example 1; Form 8960 line 5a takes the Form 1040 line 7 amount).
     Investment expenses (Form 8960 lines 9-10) are not modelled.
5. **State**: ``state_rate`` x state taxable income, taken to be federal taxable income
   (floored at 0), so the change is ``state_rate`` x (the new gains, or the loss deduction).
   States that tax gains differently (exclusions, no loss limit, no income tax on some
   income) are not modelled; the flat rate stands for the household's marginal state rate.
6. **AMT is not modelled.** A plain warning is added when the estimated tentative minimum tax
   comes within 10% of, or exceeds, the regular tax after the gains (Form 6251 estimate:
   AMTI taken as the estimated AGI, an upper bound for a household without AMT preference
   items because the standard deduction is not allowed for AMT; exemption and its phase-out
   from ``amt.csv``; 26%/28% on the ordinary part and the same 0/15/20% stacking on
   preferential income).

Approximations documented here, not errors: the exact bracket formula is used instead of the
IRS Tax Table (which rounds below $100,000 of taxable income, see :mod:`toolkit.tax.tables`);
collectibles (28%) and unrecaptured §1250 gain (25%) rates are not modelled; all gains are
treated as ordinary capital gains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import TaxProfile
from toolkit.tax.tables import YearTables, year_tables

__all__ = [
    "GainsTax",
    "Liability",
    "capital_gains_liability",
    "gains_tax",
    "marginal_rates",
    "realized_this_year",
    "year_to_date_profile",
]

#: The tentative minimum tax within this fraction of the regular tax triggers a warning.
AMT_NEAR = 0.10


@dataclass(frozen=True)
class Liability:
    """A full federal + NIIT + state computation for one set of gains.

    Money in dollars, rounded to cents; capital loss figures as positive numbers where
    the attribute name says "deduction" or "carryforward".

    Attributes
    ----------
    federal : float
        Regular income tax (QDCGT worksheet line 25).
    niit : float
        Net investment income tax.
    state : float
        State tax at the flat rate.
    total : float
        ``federal + niit + state``.
    taxable_income : float
        Form 1040 line 15.
    agi : float
        Estimated AGI, used as MAGI for the NIIT and AMTI for the AMT warning.
    net_investment_income : float
        NII for the NIIT.
    net_short_term, net_long_term, net_capital : float
        Schedule D lines 7, 15 and 16 (negative = loss).
    capital_loss_deduction : float
        Schedule D line 21: net capital loss deducted this year.
    carryforward_short_term, carryforward_long_term : float
        Capital loss carried to next year (Capital Loss Carryover Worksheet lines 8, 13).
    lines : tuple of (section, line, description, value)
        Every step of the computation, for :meth:`table`.
    """

    federal: float
    niit: float
    state: float
    total: float
    taxable_income: float
    agi: float
    net_investment_income: float
    net_short_term: float
    net_long_term: float
    net_capital: float
    capital_loss_deduction: float
    carryforward_short_term: float
    carryforward_long_term: float
    lines: tuple[tuple[str, str, str, float], ...] = field(default=(), repr=False)

    def table(self) -> pd.DataFrame:
        """The computation as a frame: ``section``, ``line``, ``description``, ``value``."""
        return pd.DataFrame(list(self.lines),
                            columns=["section", "line", "description", "value"])


@dataclass(frozen=True)
class GainsTax:
    """The change in tax from realising extra gains: after minus before.

    Attributes
    ----------
    federal, state, niit, total : float
        Change in regular federal tax, state tax, NIIT and their sum, dollars rounded to
        cents (negative = the sale saves tax). ``total = federal + state + niit``.
    breakdown : DataFrame
        One row per step a person can check: ``section`` (Schedule D, Form 1040, Carryover
        worksheet, QDCGT worksheet, Ordinary brackets, NIIT, State, Total), ``line``,
        ``description``, ``before``, ``after``, ``change`` (dollars).
    warnings : list of str
        Plain-language cautions (AMT proximity).
    before, after : Liability
        The full computations without and with the new gains.
    """

    federal: float
    state: float
    niit: float
    total: float
    breakdown: pd.DataFrame = field(repr=False)
    warnings: list[str]
    before: Liability = field(repr=False)
    after: Liability = field(repr=False)

    @property
    def carryforward_short_term(self) -> float:
        """Short-term capital loss carried to next year after the sale, dollars."""
        return self.after.carryforward_short_term

    @property
    def carryforward_long_term(self) -> float:
        """Long-term capital loss carried to next year after the sale, dollars."""
        return self.after.carryforward_long_term


@dataclass(frozen=True)
class _Inputs:
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


def _profile(profile) -> TaxProfile:
    p = getattr(profile, "profile", profile)
    if not isinstance(p, TaxProfile):
        raise TypeError(f"expected a TaxProfile or a Household, got {type(profile).__name__}")
    return p


def _inputs(p: TaxProfile) -> _Inputs:
    t = year_tables(p.year, p.filing_status)
    return _Inputs(
        t=t,
        ordinary=float(p.ordinary_income),
        qd=float(p.qualified_dividends),
        other_nii=float(p.other_investment_income),
        deductions=t.standard_deduction if p.deductions is None else float(p.deductions),
        state_rate=float(p.state_rate),
        cf_st=float(p.carryforward_short_term),
        cf_lt=float(p.carryforward_long_term),
        real_st=float(p.realized_short_term),
        real_lt=float(p.realized_long_term),
    )


def _money(name: str, v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise PlanningError(f"{name} = {v!r} is not a number of dollars") from None
    if not math.isfinite(x):
        raise PlanningError(f"{name} = {v!r} must be a finite number of dollars")
    return x


def _compute(inp: _Inputs, st: float, lt: float, detail: bool = False) -> dict:
    """Unrounded liability for new short-/long-term gains; ``detail`` adds the lines."""
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
        ("NIIT", "deductions", "Deductions added back to reach AGI (profile or basic standard "
         "deduction)", inp.deductions),
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


def _round(x: float) -> float:
    return round(x, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def _liability(r: dict) -> Liability:
    fed, niit, state = _round(r["federal"]), _round(r["niit"]), _round(r["state"])
    lines = tuple(r.get("lines", ()))
    total = _round(fed + niit + state)
    lines += (("Total", "federal", "Regular federal income tax", fed),
              ("Total", "niit", "Net investment income tax", niit),
              ("Total", "state", "State tax", state),
              ("Total", "total", "Federal + NIIT + state", total))
    return Liability(
        federal=fed, niit=niit, state=state, total=total,
        taxable_income=_round(r["ti"]), agi=_round(r["agi"]),
        net_investment_income=_round(r["nii"]), net_short_term=_round(r["l7"]),
        net_long_term=_round(r["l15"]), net_capital=_round(r["l16"]),
        capital_loss_deduction=_round(r["l21"]), carryforward_short_term=_round(r["cf_st"]),
        carryforward_long_term=_round(r["cf_lt"]), lines=lines)


def capital_gains_liability(profile, short_term: float = 0.0,
                            long_term: float = 0.0) -> Liability:
    """Full federal regular tax, NIIT and state tax with extra gains realised.

    Parameters
    ----------
    profile : TaxProfile or Household
        The household's year (a Household's ``.profile`` is used).
    short_term, long_term : float, default 0
        Extra net short- and long-term capital gains realised, dollars (negative = losses),
        on top of the profile's ``realized_short_term``/``realized_long_term``.

    Returns
    -------
    Liability
        Tax in dollars rounded to cents, the Schedule D figures, the carryforward out and
        every worksheet line (:meth:`Liability.table`).

    Raises
    ------
    TaxTableError
        If there is no table for the profile's year or filing status.
    PlanningError
        If a gain is not a finite number.
    """
    inp = _inputs(_profile(profile))
    st = _money("short_term", short_term)
    lt = _money("long_term", long_term)
    return _liability(_compute(inp, st, lt, detail=True))


def gains_tax(profile, short_term: float = 0.0, long_term: float = 0.0) -> GainsTax:
    """The change in tax from realising extra short- and long-term gains this year.

    Computed as :func:`capital_gains_liability` with the gains minus without them, so
    netting, the loss limit, carryforwards, the QDCGT worksheet stacking, the NIIT and the
    state tax are each applied once (rules and approximations in the module docstring).

    Parameters
    ----------
    profile : TaxProfile or Household
        The household's year (a Household's ``.profile`` is used).
    short_term, long_term : float, default 0
        Extra net short- and long-term gains, dollars; negative for losses.

    Returns
    -------
    GainsTax
        ``federal``, ``state``, ``niit``, ``total`` (changes in dollars, to the cent;
        negative means the sale saves tax), ``breakdown`` (before/after/change per line),
        ``warnings`` (AMT proximity) and the ``before``/``after`` liabilities.

    Raises
    ------
    TaxTableError
        If there is no table for the profile's year or filing status.
    PlanningError
        If a gain is not a finite number.

    Examples
    --------
    >>> from toolkit.household import TaxProfile
    >>> p = TaxProfile("married_filing_jointly", 2026, ordinary_income=185_000,
    ...                state_rate=0.05)
    >>> g = gains_tax(p, long_term=10_000)
    >>> g.federal, g.state, g.niit, g.total
    (1500.0, 500.0, 0.0, 2000.0)
    """
    inp = _inputs(_profile(profile))
    st = _money("short_term", short_term)
    lt = _money("long_term", long_term)
    rb = _compute(inp, 0.0, 0.0, detail=True)
    ra = _compute(inp, st, lt, detail=True)
    before, after = _liability(rb), _liability(ra)
    fed = _round(after.federal - before.federal)
    state = _round(after.state - before.state)
    niit = _round(after.niit - before.niit)
    total = _round(fed + state + niit)
    bd = pd.DataFrame([(s, ln, d, _round(b), _round(a)) for (s, ln, d, b), (_, _, _, a) in
                       zip(before.lines, after.lines, strict=True)],
                      columns=["section", "line", "description", "before", "after"])
    bd["change"] = (bd["after"] - bd["before"]).round(2) + 0.0
    bd.loc[bd["line"].eq("total") & bd["section"].eq("Total"), "change"] = total
    return GainsTax(federal=fed, state=state, niit=niit, total=total, breakdown=bd,
                    warnings=_warnings(inp, rb, ra), before=before, after=after)


def _total(inp: _Inputs, st: float, lt: float) -> float:
    """Unrounded federal + NIIT + state (fast path for lot selection)."""
    r = _compute(inp, st, lt)
    return r["federal"] + r["niit"] + r["state"]


def _change(inp: _Inputs, st: float, lt: float, base: dict | None = None) -> float:
    """Change in total tax rounded like :func:`gains_tax`'s ``total``."""
    rb = base if base is not None else _compute(inp, 0.0, 0.0)
    ra = _compute(inp, st, lt)
    parts = [_round(ra[k]) - _round(rb[k]) for k in ("federal", "state", "niit")]
    return _round(sum(_round(x) for x in parts))


def _amt_estimate(inp: _Inputs, r: dict) -> tuple[float, float, float] | None:
    """(AMTI estimate, exemption left, tentative minimum tax estimate) or None."""
    a = inp.t.amt
    if a is None:
        return None
    amti = max(0.0, r["agi"])
    exemption = a.exemption_for(amti)
    excess = max(0.0, amti - exemption)
    pref = min(excess, r["qdcgt_line4"])
    line5 = r["qdcgt_line5"]
    zero_cap = max(0.0, inp.t.ltcg_zero_max - line5)
    at0 = min(pref, zero_cap)
    rest = pref - at0
    at15 = min(rest, max(0.0, inp.t.ltcg_fifteen_max - line5 - zero_cap))
    at20 = rest - at15
    tmt = min(a.rate_tax(excess - pref) + 0.15 * at15 + 0.20 * at20, a.rate_tax(excess))
    return amti, exemption, tmt


def _warnings(inp: _Inputs, rb: dict, ra: dict) -> list[str]:
    out: list[str] = []
    est = _amt_estimate(inp, ra)
    if est is None:
        out.append(f"AMT not checked: no AMT table for {inp.t.year}.")
        return out
    amti, exemption, tmt = est
    regular = ra["federal"]
    a = inp.t.amt
    if tmt < (1.0 - AMT_NEAR) * regular or tmt <= 0:
        return out
    phase = ""
    if amti > a.phaseout_threshold:
        phase = (f"; AMTI above ${a.phaseout_threshold:,.0f} cuts the ${a.exemption:,.0f} AMT "
                 f"exemption by {a.phaseout_rate:.0%} of the excess, leaving "
                 f"${exemption:,.0f}")
    before = _amt_estimate(inp, rb)
    was = ""
    if before is not None and before[2] > rb["federal"]:
        was = " (even without these gains)"
    elif before is not None and before[2] >= (1.0 - AMT_NEAR) * rb["federal"] > 0:
        was = " (near it even without these gains)"
    if tmt > regular:
        head = (f"AMT likely{was}: estimated tentative minimum tax ${tmt:,.0f} exceeds the "
                f"regular tax ${regular:,.0f} by ${tmt - regular:,.0f}")
    else:
        head = (f"Near AMT{was}: estimated tentative minimum tax ${tmt:,.0f} is within "
                f"{AMT_NEAR:.0%} of the regular tax ${regular:,.0f}")
    unconfirmed = (f" The {inp.t.year} AMT figures for {inp.t.filing_status} are unconfirmed "
                   "(see amt.csv)." if a.status == "UNCONFIRMED" else "")
    out.append(f"{head} (AMTI estimated as AGI ${amti:,.0f}{phase}). The toolkit does not "
               f"model AMT; check Form 6251 before relying on these figures.{unconfirmed}")
    return out


def marginal_rates(profile) -> dict[str, float]:
    """Marginal tax rates on the next dollar at the profile's income, for quick estimates.

    Parameters
    ----------
    profile : TaxProfile or Household
        The household's year, including gains already realised.

    Returns
    -------
    dict of str to float
        Fractions. ``ordinary``, ``short_term``, ``long_term``: the total rate (federal +
        NIIT + state) on one more dollar of ordinary income (not investment income),
        short-term gain and long-term gain; and each split as ``<kind>_federal``,
        ``<kind>_niit``, ``<kind>_state``. The next dollar only: a large sale may cross
        brackets, so use :func:`gains_tax` for amounts.

    Raises
    ------
    TaxTableError
        If there is no table for the profile's year or filing status.

    Examples
    --------
    >>> from toolkit.household import TaxProfile
    >>> p = TaxProfile("married_filing_jointly", 2026, ordinary_income=185_000,
    ...                state_rate=0.05)
    >>> r = marginal_rates(p)
    >>> r["ordinary"], r["short_term"], r["long_term"]
    (0.27, 0.27, 0.2)
    """
    p = _profile(profile)
    inp = _inputs(p)
    h = 1.0
    base = _compute(inp, 0.0, 0.0)
    bumped = _inputs(p.replace(ordinary_income=p.ordinary_income + h))
    cases = {
        "ordinary": _compute(bumped, 0.0, 0.0),
        "short_term": _compute(inp, h, 0.0),
        "long_term": _compute(inp, 0.0, h),
    }
    out: dict[str, float] = {}
    for kind, r in cases.items():
        parts = {k: round((r[k] - base[k]) / h, 6) + 0.0 for k in ("federal", "niit", "state")}
        out[kind] = round(sum(parts.values()), 6) + 0.0
        for k, v in parts.items():
            out[f"{kind}_{k}"] = v
    return out


def realized_this_year(household, *, policy: str = "same_security",
                       wash=None) -> tuple[float, float, list[str]]:
    """Net short- and long-term gains realised this year in taxable accounts, after wash sales.

    The closed lots in ``household.realized`` sold in the profile's tax year in taxable
    accounts are netted by term. A loss counts only as far as it is allowed: the wash-sale
    disallowed part is what the household-wide check finds
    (:func:`toolkit.tax.wash.wash_sale_result`, which sees purchases in other accounts, IRAs
    included, that the broker does not), or the broker's figure for rows it cannot check. A
    row's term is the broker's, else it is computed from its acquisition date, else it counts
    as short-term (with a note).

    Parameters
    ----------
    household : Household
    policy : str, default "same_security"
        Substantially-identical policy for the wash-sale check.
    wash : WashResult, optional
        An already computed wash-sale result for this household and policy.

    Returns
    -------
    tuple
        ``(short_term, long_term, notes)``: dollars (negative for net losses) and notes.
    """
    from toolkit.schema import TaxType, Term
    from toolkit.tax._wash_household import household_sales
    from toolkit.tax.holding import terms
    from toolkit.tax.wash import wash_sale_result

    r = household.realized
    notes: list[str] = []
    if r.empty:
        return 0.0, 0.0, notes
    year = household.profile.year
    if wash is None:
        wash = wash_sale_result(household, policy=policy)
    sales, _ = household_sales(household)
    types = household.accounts.set_index("account")["tax_type"]
    taxable = r["account"].map(types).fillna(TaxType.TAXABLE.value).eq(TaxType.TAXABLE.value)
    this_year = r["sold"].dt.year.eq(year)
    gain = (r["proceeds"] - r["cost_basis"]).fillna(r["gain"])
    disallowed = sales["sale_id"].map(wash.rows.groupby("sale_id")["disallowed"].sum())
    checked = sales["proceeds"].notna() & sales["cost_basis"].notna()
    # rows the wash check could not read keep the broker's reported figure
    disallowed = disallowed.where(checked, r["wash_sale_disallowed"]).fillna(0.0)
    net = (gain + disallowed.to_numpy()).where(gain.notna())
    use = taxable & this_year
    unknown = use & net.isna()
    if unknown.any():
        notes.append(f"{int(unknown.sum())} realised row(s) of {year} have no gain, proceeds or "
                     "basis: left out of this year's baseline")
    use &= net.notna()
    term = r["term"].copy()
    need = use & term.isna()
    if need.any():
        known = need & r["acquired"].notna()
        if known.any():
            term.loc[known] = terms(r.loc[known, "acquired"], r.loc[known, "sold"]).to_numpy()
        if (need & ~known).any():
            notes.append(f"{int((need & ~known).sum())} realised row(s) have no term and no "
                         "acquisition date: counted as short-term")
            term.loc[need & ~known] = Term.SHORT.value
    is_long = term.eq(Term.LONG.value).fillna(False)
    st = float(net[use & ~is_long].sum())
    lt = float(net[use & is_long].sum())
    return round(st, 2) + 0.0, round(lt, 2) + 0.0, notes


def year_to_date_profile(household, *, policy: str = "same_security", wash=None) -> TaxProfile:
    """The household's tax profile with this year's realised gains from its exports added.

    The household file's ``realized_short_term`` / ``realized_long_term`` hold gains realised
    *outside* the loaded exports; :func:`realized_this_year` (the exports' closed lots in
    taxable accounts, after wash sales found household-wide) is added to them.

    Parameters
    ----------
    household : Household
    policy : str, default "same_security"
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
