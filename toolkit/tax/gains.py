"""The tax cost of realising gains: the change in federal, NIIT and state tax.

:func:`gains_tax` answers "what does realising these extra short- and long-term gains (or
losses) cost this household this year?" as the difference of two full computations by
:func:`capital_gains_liability`, with and without the new gains, so that every rule below is
applied once, in one place: :func:`toolkit.tax.engine.liability_parts`. A household is priced
on its year-to-date profile, a :class:`~toolkit.household.TaxProfile` exactly as given
(:func:`toolkit.tax.profile_for`).

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
from toolkit.tax.engine import (
    TaxInputs,
    liability_parts,
    profile_for,
    round_cents,
    tax_inputs,
)

__all__ = [
    "GainsTax",
    "Liability",
    "capital_gains_liability",
    "gains_tax",
    "marginal_rates",
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


def _money(name: str, v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise PlanningError(f"{name} = {v!r} is not a number of dollars") from None
    if not math.isfinite(x):
        raise PlanningError(f"{name} = {v!r} must be a finite number of dollars")
    return x


def _liability(r: dict) -> Liability:
    fed, niit, state = round_cents(r["federal"]), round_cents(r["niit"]), round_cents(r["state"])
    lines = tuple(r.get("lines", ()))
    total = round_cents(fed + niit + state)
    lines += (("Total", "federal", "Regular federal income tax", fed),
              ("Total", "niit", "Net investment income tax", niit),
              ("Total", "state", "State tax", state),
              ("Total", "total", "Federal + NIIT + state", total))
    return Liability(
        federal=fed, niit=niit, state=state, total=total,
        taxable_income=round_cents(r["ti"]), agi=round_cents(r["agi"]),
        net_investment_income=round_cents(r["nii"]), net_short_term=round_cents(r["l7"]),
        net_long_term=round_cents(r["l15"]), net_capital=round_cents(r["l16"]),
        capital_loss_deduction=round_cents(r["l21"]),
        carryforward_short_term=round_cents(r["cf_st"]),
        carryforward_long_term=round_cents(r["cf_lt"]), lines=lines)


def capital_gains_liability(profile, short_term: float = 0.0,
                            long_term: float = 0.0) -> Liability:
    """Full federal regular tax, NIIT and state tax with extra gains realised.

    Parameters
    ----------
    profile : TaxProfile or Household
        The year priced: a profile exactly as given; a household's year-to-date profile
        (:func:`toolkit.tax.profile_for`: the file's profile plus this year's realised sales).
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
    inp = tax_inputs(profile_for(profile))
    st = _money("short_term", short_term)
    lt = _money("long_term", long_term)
    return _liability(liability_parts(inp, st, lt, detail=True))


def gains_tax(profile, short_term: float = 0.0, long_term: float = 0.0) -> GainsTax:
    """The change in tax from realising extra short- and long-term gains this year.

    Computed as :func:`capital_gains_liability` with the gains minus without them, so
    netting, the loss limit, carryforwards, the QDCGT worksheet stacking, the NIIT and the
    state tax are each applied once (rules and approximations in the module docstring).

    Parameters
    ----------
    profile : TaxProfile or Household
        The year priced: a profile exactly as given; a household's year-to-date profile
        (:func:`toolkit.tax.profile_for`: the file's profile plus this year's realised sales).
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
    inp = tax_inputs(profile_for(profile))
    st = _money("short_term", short_term)
    lt = _money("long_term", long_term)
    rb = liability_parts(inp, 0.0, 0.0, detail=True)
    ra = liability_parts(inp, st, lt, detail=True)
    before, after = _liability(rb), _liability(ra)
    fed = round_cents(after.federal - before.federal)
    state = round_cents(after.state - before.state)
    niit = round_cents(after.niit - before.niit)
    total = round_cents(fed + state + niit)
    bd = pd.DataFrame([(s, ln, d, round_cents(b), round_cents(a)) for (s, ln, d, b), (_, _, _, a) in
                       zip(before.lines, after.lines, strict=True)],
                      columns=["section", "line", "description", "before", "after"])
    bd["change"] = (bd["after"] - bd["before"]).round(2) + 0.0
    bd.loc[bd["line"].eq("total") & bd["section"].eq("Total"), "change"] = total
    return GainsTax(federal=fed, state=state, niit=niit, total=total, breakdown=bd,
                    warnings=_warnings(inp, rb, ra), before=before, after=after)


def _amt_estimate(inp: TaxInputs, r: dict) -> tuple[float, float, float] | None:
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


def _warnings(inp: TaxInputs, rb: dict, ra: dict) -> list[str]:
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
        The year priced: a profile exactly as given; a household's year-to-date profile
        (:func:`toolkit.tax.profile_for`), so the gains already realised this year count.

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
    p = profile_for(profile)
    inp = tax_inputs(p)
    h = 1.0
    base = liability_parts(inp, 0.0, 0.0)
    bumped = tax_inputs(p.replace(ordinary_income=p.ordinary_income + h))
    cases = {
        "ordinary": liability_parts(bumped, 0.0, 0.0),
        "short_term": liability_parts(inp, h, 0.0),
        "long_term": liability_parts(inp, 0.0, h),
    }
    out: dict[str, float] = {}
    for kind, r in cases.items():
        parts = {k: round((r[k] - base[k]) / h, 6) + 0.0 for k in ("federal", "niit", "state")}
        out[kind] = round(sum(parts.values()), 6) + 0.0
        for k, v in parts.items():
            out[f"{kind}_{k}"] = v
    return out
