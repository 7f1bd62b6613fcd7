"""Employer stock in a 401(k): net unrealized appreciation (NUA) against rolling over.

Two ways out of the plan for employer shares worth ``V`` with plan cost basis ``B``
(rules in ``planning/data/special_rules.csv``; TAX_FACTS section 8; §402(e)(4),
Reg. §1.402(a)-1(b), Notice 98-24):

- **NUA** (lump-sum distribution, shares in kind to a taxable account): ``B`` is ordinary
  income this year, computed exactly with the tax engine (the full-liability difference, as
  for a Roth conversion), plus the 10% early-distribution tax on ``B`` when the owner is
  under 59½ and did not separate from service in or after the year of turning 55
  (§72(t)(2)(A)(v)). When the shares are sold ``n`` years later at ``V(1+g)^n``, the NUA
  ``V - B`` is long-term gain whatever the holding period; the growth after the distribution
  is long-term here (a sale more than a year after it; ``n = 0`` is a sale at distribution).
- **Rollover to an IRA**: nothing now; the whole ``V(1+g)^n`` is ordinary income when
  withdrawn, at ``future_ordinary_rate``, plus the 10% early tax on all of it when the owner
  is at most 59 in the withdrawal year (the age-55 separation exception is for employer plans
  and does not follow the money into an IRA).

Comparison at year ``n`` (dollars of year ``n``)::

    nua_after_tax      = V_n - tax_at_sale - tax_now x (1 + reinvest)^n
    rollover_after_tax = V_n x (1 - future_ordinary_rate) - rollover early tax

where ``tax_now`` (ordinary tax on the basis + early tax) is money paid today that the
rollover path keeps invested (``reinvest`` defaults to the stock's growth; its own taxes are
ignored), and ``tax_at_sale = NUA x (ltcg_rate [+ niit_rate]) + later growth x (ltcg_rate +
niit_rate)``. Future rates are flat assumptions (the sale year's income is unknown).
The break-even future ordinary rate is ``(tax_at_sale + tax_now x (1+reinvest)^n - rollover
early tax) / V_n``: above it NUA leaves more after tax. The default sale rates are the
average federal + state and NIIT rates of realising the whole NUA as long-term gain in one
year at this year's ordinary income (next year's tables, or the last available), without this
year's realised gains or carryforwards.

Assumptions stated, not facts: whether NUA gain is net investment income is UNCONFIRMED
(``nua_niit=True`` by default: the conservative choice for the NUA side); whether NUA shares
get a basis step-up at death is UNCONFIRMED and not modelled; both paths hold the same stock
at the same growth (a rollover could diversify at no tax: see :mod:`toolkit.planning
.concentrated`); state taxes follow the same flat rates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.planning._common import (
    account_row,
    birth_year,
    future_profile,
    ordinary_increment,
    r2,
    rate,
    rule,
    rule_float,
)
from toolkit.schema import TaxType
from toolkit.tax.engine import profile_for
from toolkit.tax.gains import gains_tax

__all__ = ["COMPARISON_COLUMNS", "nua_break_even", "nua_comparison", "nua_conditions",
           "nua_inputs"]

#: Columns of :func:`nua_comparison`, in order.
COMPARISON_COLUMNS = (
    "years", "sale_year", "future_ordinary_rate", "value_at_sale", "basis", "nua",
    "later_growth", "tax_now", "early_tax", "tax_now_at_sale", "tax_at_sale",
    "nua_after_tax", "rollover_tax", "rollover_early_tax", "rollover_after_tax", "advantage",
    "better", "break_even_rate",
)


def nua_inputs(household: Household, *, symbol: str = "ACME", account: str = "87654",
               separation_year: int | None = None, early_tax: bool | None = None) -> dict:
    """The figures the NUA comparison starts from.

    Parameters
    ----------
    household : Household
        The employer stock position in ``account`` with its plan cost basis
        (``cost_basis``).
    symbol : str, default "ACME"
    account : str, default "87654"
        An employer plan (401(k), 403(b)).
    separation_year : int, optional
        Year the owner left (or leaves) the employer: at or after the year of turning 55 the
        10% early tax does not apply.
    early_tax : bool, optional
        Force the 10% early tax on (True) or off (False).

    Returns
    -------
    dict
        ``shares``, ``price``, ``value``, ``basis``, ``nua`` (dollars), ``owner``,
        ``birth_year``, ``year``, ``age`` (reached this year), ``early_tax`` (bool),
        ``early_tax_amount`` (dollars), ``early_note`` (text), ``plan_other`` (dollars of the
        plan's other holdings, which must leave the plan the same year).

    Raises
    ------
    PlanningError
        If the account is not an employer plan, the position is missing, or it has no
        cost basis.
    """
    row = account_row(household, account)
    acct = str(row["account"])
    if not TaxType(row["tax_type"]).is_employer_plan:
        raise PlanningError(f"account {account!r} is a {row['tax_type']} account: NUA applies "
                            "to employer securities in an employer plan")
    pos = household.positions
    hit = pos[(pos["account"] == acct) & (pos["symbol"].str.upper() == symbol.upper())]
    if hit.empty:
        raise PlanningError(f"no {symbol} position in account {acct}")
    shares = float(hit["quantity"].sum())
    value = float(hit["market_value"].sum())
    basis = hit["cost_basis"].sum(min_count=len(hit))
    if pd.isna(basis):
        raise PlanningError(f"{symbol} in {acct} has no cost basis: the plan's cost basis of "
                            "the employer stock (ask the plan administrator) is needed")
    basis = float(basis)
    owner = None if pd.isna(row["owner"]) else str(row["owner"])
    by = birth_year(household, owner)
    year = household.profile.year
    age = None if by is None else year - by
    half = rule_float("early_distribution_age")
    sep_age = rule_float("separation_from_service_age")
    r10 = rule_float("early_distribution_additional_tax_rate")
    if early_tax is not None:
        applies = bool(early_tax)
        note = "early tax set by the caller"
    elif by is None:
        applies = True
        note = (f"no birth_year for {owner} in [[people]]: the {r10:.0%} early tax on the basis "
                "is assumed to apply")
    elif year - by >= math.ceil(half):
        applies = False
        note = f"{owner} is 59½ or older in {year}: no early tax"
    elif separation_year is not None and int(separation_year) >= by + sep_age and \
            int(separation_year) <= year:
        applies = False
        note = (f"{owner} separated from service in {int(separation_year)}, in or after the "
                f"year of turning {sep_age:.0f}: no early tax (§72(t)(2)(A)(v))")
    else:
        applies = True
        maybe = " (or may be, by birth month)" if year - by == math.floor(half) else ""
        note = (f"{owner} is under 59½ in {year}{maybe} and did not separate from service in or "
                f"after the year of turning {sep_age:.0f}: {r10:.0%} early tax on the basis")
    plan_other = float(pos.loc[(pos["account"] == acct), "market_value"].sum()) - value
    return {"shares": shares, "price": value / shares if shares else np.nan, "value": value,
            "basis": basis, "nua": value - basis, "owner": owner, "birth_year": by,
            "year": year, "age": age, "early_tax": applies,
            "early_tax_amount": r2(r10 * basis) if applies else 0.0, "early_note": note,
            "plan_other": r2(plan_other)}


def _rates(household: Household, nua: float, ltcg_rate, niit_rate) -> tuple[float, float]:
    """Default sale rates: average federal + state and NIIT rates of realising the NUA.

    The whole NUA as long-term gain in a year like the next one (this year's income, the
    next year's tables or the last available, no gains realised or carried in).
    """
    lt = None if ltcg_rate is None else rate("ltcg_rate", ltcg_rate)
    nt = None if niit_rate is None else rate("niit_rate", niit_rate)
    if lt is None or nt is None:
        p = profile_for(household)
        fp, _ = future_profile(p, p.year + 1, p.ordinary_income)
        g = gains_tax(fp, long_term=max(nua, 1.0))
        base = max(nua, 1.0)
        lt = (g.federal + g.state) / base if lt is None else lt
        nt = g.niit / base if nt is None else nt
    return lt, nt


def _early_rollover(inp: dict, n: int) -> bool:
    """Whether a withdrawal from the IRA ``n`` years on is early (the owner reaches <= 59).

    The §72(t) age-55 exception does not follow the money into an IRA.
    """
    if inp["birth_year"] is None:
        return False
    return inp["year"] + n - inp["birth_year"] < math.ceil(rule_float("early_distribution_age"))


def _one(inp: dict, tax_now: float, n: int, growth: float, reinvest: float, rf: float,
         lt: float, nt: float, nua_niit: bool) -> dict:
    v, b = inp["value"], inp["basis"]
    nua = v - b
    vn = v * (1.0 + growth) ** n
    later = vn - v
    t_sale = nua * (lt + (nt if nua_niit else 0.0)) + later * (lt + nt)
    t_now_n = tax_now * (1.0 + reinvest) ** n
    nua_after = vn - t_sale - t_now_n
    early = rule_float("early_distribution_additional_tax_rate") * vn if \
        _early_rollover(inp, n) else 0.0
    roll_tax = vn * rf + early
    roll_after = vn - roll_tax
    return {"vn": vn, "later": later, "t_sale": t_sale, "t_now_n": t_now_n,
            "nua_after": nua_after, "early": early, "roll_tax": roll_tax,
            "roll_after": roll_after, "adv": nua_after - roll_after,
            "be": (t_sale + t_now_n - early) / vn if vn else np.nan}


def _frame(inp: dict, tax_now: float, years: Sequence[int], growth: float, reinvest: float,
           f_rates: Sequence[float], lt: float, nt: float, nua_niit: bool) -> pd.DataFrame:
    rows = []
    for rf in f_rates:
        for n in years:
            x = _one(inp, tax_now, n, growth, reinvest, rf, lt, nt, nua_niit)
            adv = x["adv"]
            rows.append({"years": int(n), "sale_year": inp["year"] + int(n),
                         "future_ordinary_rate": rf, "value_at_sale": r2(x["vn"]),
                         "basis": r2(inp["basis"]), "nua": r2(inp["nua"]),
                         "later_growth": r2(x["later"]), "tax_now": r2(tax_now),
                         "early_tax": inp["early_tax_amount"],
                         "tax_now_at_sale": r2(x["t_now_n"]), "tax_at_sale": r2(x["t_sale"]),
                         "nua_after_tax": r2(x["nua_after"]), "rollover_tax": r2(x["roll_tax"]),
                         "rollover_early_tax": r2(x["early"]),
                         "rollover_after_tax": r2(x["roll_after"]), "advantage": r2(adv),
                         "better": "NUA" if adv > 0.005 else "rollover" if adv < -0.005 else
                         "equal",
                         "break_even_rate": x["be"]})
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _years(years) -> list[int]:
    ys = [int(y) for y in years]
    if not ys or any(y < 0 for y in ys):
        raise PlanningError(f"years {years!r}: give whole numbers of years, 0 or more")
    return ys


def nua_comparison(household: Household, *, symbol: str = "ACME", account: str = "87654",
                   years: Sequence[int] = (0, 1, 5, 10, 15, 20), growth: float = 0.06,
                   future_ordinary_rate=None, ltcg_rate: float | None = None,
                   niit_rate: float | None = None, nua_niit: bool = True,
                   reinvest: float | None = None, separation_year: int | None = None,
                   early_tax: bool | None = None) -> pd.DataFrame:
    """NUA distribution against an IRA rollover, across sale years and future rates.

    Parameters
    ----------
    household : Household
        The employer stock position (``cost_basis`` = the plan's cost basis) and the
        year-to-date profile (this year's tax on the basis is computed on it).
    symbol : str, default "ACME"
    account : str, default "87654"
    years : sequence of int, default (0, 1, 5, 10, 15, 20)
        Years after the distribution when the shares are sold (NUA) or withdrawn (rollover).
    growth : float, default 0.06
        Annual growth of the stock, fraction (an assumption to vary).
    future_ordinary_rate : float or sequence of float, optional
        Total marginal rate (federal + state) on IRA withdrawals; several give one block of
        rows each. Default: the profile's ``future_ordinary_rate``.
    ltcg_rate : float, optional
        Total long-term gain rate at sale, NIIT excluded (default: the average federal +
        state rate of realising the whole NUA in one year, see the module docstring).
    niit_rate : float, optional
        NIIT rate on the gain at sale (default: the average NIIT rate of that same
        realisation).
    nua_niit : bool, default True
        Whether the NIIT applies to the NUA part (UNCONFIRMED: see the module docstring).
    reinvest : float, optional
        Growth of the tax paid now in the rollover path (default ``growth``).
    separation_year, early_tax : optional
        See :func:`nua_inputs`.

    Returns
    -------
    DataFrame
        One row per future rate and year, columns :data:`COMPARISON_COLUMNS` (dollars;
        rates as fractions): ``tax_now`` is this year's full tax on the basis (federal, NIIT,
        state by the engine) plus ``early_tax``; ``rollover_tax`` includes
        ``rollover_early_tax``; ``advantage`` = ``nua_after_tax - rollover_after_tax``
        (positive: NUA leaves more); ``break_even_rate`` the future ordinary rate at which
        the two are equal.

    Raises
    ------
    PlanningError
        See :func:`nua_inputs`; or no future ordinary rate is given or set.
    """
    inp = nua_inputs(household, symbol=symbol, account=account,
                     separation_year=separation_year, early_tax=early_tax)
    g = rate("growth", growth, upper=10.0)
    rv = g if reinvest is None else rate("reinvest", reinvest, upper=10.0)
    fr = future_ordinary_rate if future_ordinary_rate is not None else \
        household.profile.future_ordinary_rate
    if fr is None:
        raise PlanningError("no future_ordinary_rate: pass one or set it in [household]")
    f_rates = [rate("future_ordinary_rate", x) for x in
               (fr if isinstance(fr, Sequence) else [fr])]
    lt, nt = _rates(household, inp["nua"], ltcg_rate, niit_rate)
    tax_now = ordinary_increment(profile_for(household), inp["basis"])["total"] \
        + inp["early_tax_amount"]
    return _frame(inp, r2(tax_now), _years(years), g, rv, f_rates, lt, nt, nua_niit)


def nua_break_even(household: Household, *, symbol: str = "ACME", account: str = "87654",
                   years: Sequence[int] = (1, 5, 10, 15, 20), growth: float = 0.06,
                   future_ordinary_rate: float | None = None, ltcg_rate: float | None = None,
                   niit_rate: float | None = None, nua_niit: bool = True,
                   separation_year: int | None = None,
                   early_tax: bool | None = None) -> pd.DataFrame:
    """Where NUA and the rollover leave the same after tax, per sale year.

    Parameters
    ----------
    household, symbol, account, years, growth, future_ordinary_rate, ltcg_rate, niit_rate,
    nua_niit, separation_year, early_tax
        As for :func:`nua_comparison` (the tax paid now is reinvested at ``growth``).

    Returns
    -------
    DataFrame
        One row per year: ``years``, ``break_even_rate`` (the future ordinary rate above
        which NUA wins at ``growth``), ``future_ordinary_rate`` (the one assumed) and
        ``break_even_growth`` (the annual growth at which the two are equal at that future
        rate; NaN when none in -50%..+100%: one side wins at every growth), and ``better``
        at the assumed figures.
    """
    cmp = nua_comparison(household, symbol=symbol, account=account, years=years,
                         growth=growth, future_ordinary_rate=future_ordinary_rate,
                         ltcg_rate=ltcg_rate, niit_rate=niit_rate, nua_niit=nua_niit,
                         separation_year=separation_year, early_tax=early_tax)
    inp = nua_inputs(household, symbol=symbol, account=account,
                     separation_year=separation_year, early_tax=early_tax)
    lt, nt = _rates(household, inp["nua"], ltcg_rate, niit_rate)
    tax_now = float(cmp["tax_now"].iloc[0]) if len(cmp) else 0.0
    rows = []
    for r in cmp.itertuples(index=False):
        n, rf = r.years, r.future_ordinary_rate

        def adv(gr: float, n=n, rf=rf) -> float:
            return _one(inp, tax_now, n, gr, gr, rf, lt, nt, nua_niit)["adv"]

        lo, hi = -0.5, 1.0
        bg = np.nan
        if n > 0 and adv(lo) * adv(hi) < 0:
            bg = round(float(brentq(adv, lo, hi, xtol=1e-10)), 6)
        rows.append({"years": n, "break_even_rate": r.break_even_rate,
                     "future_ordinary_rate": rf, "break_even_growth": bg, "better": r.better})
    return pd.DataFrame(rows, columns=["years", "break_even_rate", "future_ordinary_rate",
                                       "break_even_growth", "better"])


def nua_conditions(household: Household, *, symbol: str = "ACME", account: str = "87654",
                   separation_year: int | None = None,
                   early_tax: bool | None = None) -> pd.DataFrame:
    """The conditions the NUA rules impose, checked against the household where possible.

    Parameters
    ----------
    household, symbol, account, separation_year, early_tax
        As for :func:`nua_inputs`.

    Returns
    -------
    DataFrame
        ``condition``, ``status`` (``"required"``, ``"applies"``, ``"does not apply"``,
        ``"assumption"``, ``"not modelled"``) and ``detail`` (plain language, with the
        household's figures).
    """
    inp = nua_inputs(household, symbol=symbol, account=account,
                     separation_year=separation_year, early_tax=early_tax)
    o = inp["owner"] or "the owner"
    trig = ("separation from service, reaching 59½, death, or disability (self-employed only)")
    if inp["age"] is not None and inp["age"] < 59:
        trig_detail = (f"{o} is {inp['age']} in {inp['year']}: the trigger must be separation "
                       f"from service (or death, or disability for the self-employed): {trig}")
    else:
        trig_detail = f"a triggering event: {trig}"
    r10 = rule_float("early_distribution_additional_tax_rate")
    rows = [
        ("Lump-sum distribution", "required",
         f"the whole balance of all the employer's plans of the same type in one tax year: the "
         f"${inp['plan_other']:,.0f} of other holdings in {account} must also leave the plan "
         "that year (rolled to an IRA is fine); the employer stock comes out in kind"),
        ("Triggering event", "required", trig_detail),
        ("Tax now", "applies",
         f"the plan cost basis ${inp['basis']:,.0f} is ordinary income in {inp['year']}"),
        (f"{r10:.0%} early-distribution tax", "applies" if inp["early_tax"] else
         "does not apply",
         f"{inp['early_note']}: ${inp['early_tax_amount']:,.2f} (on the basis only, never on "
         "the NUA)"),
        ("NUA at sale", "applies",
         f"${inp['nua']:,.0f} of NUA is long-term gain whenever the shares are sold"),
        ("Growth after distribution", "applies",
         "short- or long-term by the holding period counted from the distribution"),
        ("NIIT on NUA", "assumption",
         f"{rule('nua_subject_to_niit')}: no primary text found; the comparison assumes the "
         "NIIT applies to NUA gain (nua_niit=True) unless told otherwise"),
        ("Electing out", "applies", "the NUA treatment may be declined (everything rolled over)"),
        ("Step-up at death", "not modelled", "UNCONFIRMED whether NUA shares get a basis "
                                             "step-up at death"),
    ]
    return pd.DataFrame(rows, columns=["condition", "status", "detail"])
