"""Shared helpers of the planning modules: package data, profiles per year, people, rooms."""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources

import pandas as pd

from toolkit.accounts import keys_match
from toolkit.errors import PlanningError
from toolkit.household import Household, TaxProfile
from toolkit.schema import TaxType
from toolkit.tax.gains import Liability, capital_gains_liability
from toolkit.tax.tables import available_years, year_tables

#: Tax types whose balances are aggregated per owner for the IRA rules (pro-rata, RMDs).
IRA_TYPES = (TaxType.TRADITIONAL_IRA.value, TaxType.SEP_IRA.value, TaxType.SIMPLE_IRA.value)
#: Employer plans with lifetime RMDs (each plan separately).
PLAN_TYPES = (TaxType.K401.value, TaxType.B403.value, TaxType.G457B.value)
#: Designated Roth plan accounts: lifetime RMDs only before 2024 (SECURE 2.0 §325).
ROTH_PLAN_TYPES = (TaxType.ROTH_401K.value, TaxType.ROTH_403B.value)


@cache
def data(name: str) -> pd.DataFrame:
    with resources.files("toolkit.planning").joinpath("data", name).open("rb") as f:
        return pd.read_csv(f)


def rule(parameter: str) -> str:
    r = data("special_rules.csv").set_index("parameter")["value"]
    return str(r[parameter])


def rule_float(parameter: str) -> float:
    return float(rule(parameter))


def money(name: str, v, *, allow_negative: bool = False) -> float:
    if isinstance(v, bool):
        raise PlanningError(f"{name} = {v!r} is not a number of dollars")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise PlanningError(f"{name} = {v!r} is not a number of dollars") from None
    if not math.isfinite(x):
        raise PlanningError(f"{name} = {v!r} must be a finite number of dollars")
    if x < 0 and not allow_negative:
        raise PlanningError(f"{name} = {v!r} must not be negative")
    return x


def rate(name: str, v, *, upper: float = 1.0) -> float:
    if isinstance(v, bool):
        raise PlanningError(f"{name} = {v!r} is not a rate")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise PlanningError(f"{name} = {v!r} is not a rate (a fraction)") from None
    if not math.isfinite(x) or not -1.0 < x < upper:
        raise PlanningError(f"{name} = {v!r} must be a fraction in (-1, {upper:g})")
    return x


def r2(x: float) -> float:
    return round(float(x), 2) + 0.0


def tables_year(year: int) -> tuple[int, str]:
    """(year whose tables are used, note): the year itself, else the latest available."""
    years = available_years()
    y = int(year)
    if y in years:
        return y, ""
    if y > years[-1]:
        return years[-1], (f"no {y} tables: the {years[-1]} tables are used (bracket edges "
                           "and thresholds not indexed for inflation)")
    raise PlanningError(f"no tax tables for {y}; available years: "
                        f"{', '.join(str(v) for v in years)}")


_NO_TABLES = re.compile(r"^no (\d{4}) tables: the (\d{4}) tables are used (.*)$")


def notes_once(notes) -> list[str]:
    """A multi-year table's notes, each said once: in the first row it applies to.

    ``"no 2027 tables: the 2026 tables are used (...)"`` on every later year becomes one
    ``"no tables after 2026: the 2026 tables are used from 2027 on (...)"`` on the first;
    any other note (``"; "``-joined parts) shows only where it first appears. Later rows
    keep what is new to them (blank when nothing is).
    """
    seen: set[str] = set()
    out = []
    for note in notes:
        parts = []
        for part in [x for x in str(note or "").split("; ") if x]:
            m = _NO_TABLES.match(part)
            key = f"tables {m.group(2)}" if m else part
            if key in seen:
                continue
            seen.add(key)
            parts.append(f"no tables after {m.group(2)}: the {m.group(2)} tables are used from "
                         f"{m.group(1)} on {m.group(3)}" if m else part)
        out.append("; ".join(parts))
    return out


def future_profile(base: TaxProfile, year: int, ordinary_income: float) -> tuple[TaxProfile, str]:
    """The profile for ``year``: ``base`` itself (income replaced) in its own year; for later
    years the tables of :func:`tables_year`, with no gains realised or carried in (qualified
    dividends, state rate, deductions and other investment income recur)."""
    ty, note = tables_year(year)
    if int(year) == base.year:
        return base.replace(ordinary_income=float(ordinary_income)), note
    return base.replace(year=ty, ordinary_income=float(ordinary_income),
                        realized_short_term=0.0, realized_long_term=0.0,
                        carryforward_short_term=0.0, carryforward_long_term=0.0), note


def no_capital(p: TaxProfile) -> TaxProfile:
    """The profile without any capital items (gains, carryforwards, qualified dividends)."""
    return p.replace(qualified_dividends=0.0, realized_short_term=0.0, realized_long_term=0.0,
                     carryforward_short_term=0.0, carryforward_long_term=0.0)


def ordinary_part(p: TaxProfile) -> float:
    """Ordinary taxable income of the profile, gains excluded (QDCGT worksheet line 5 before
    its floor): ordinary income + net short-term gain - the capital loss deduction."""
    L = capital_gains_liability(p)
    net_cap_gain = min(L.net_long_term, L.net_capital) if (
        L.net_long_term > 0 and L.net_capital > 0) else 0.0
    line7 = L.net_capital if L.net_capital > 0 else -L.capital_loss_deduction
    return p.ordinary_income + line7 - net_cap_gain


CEILINGS = ("ltcg_0", "ltcg_15", "niit")


def ceiling_limit(p: TaxProfile, ceiling) -> tuple[float, float, str]:
    """(limit, current measure, what is measured) for a ceiling; the room is their gap."""
    t = year_tables(p.year, p.filing_status)
    if isinstance(ceiling, str):
        L = capital_gains_liability(p)
        if ceiling == "ltcg_0":
            return t.ltcg_zero_max, L.taxable_income, "taxable income"
        if ceiling == "ltcg_15":
            return t.ltcg_fifteen_max, L.taxable_income, "taxable income"
        if ceiling == "niit":
            return t.niit_threshold, L.agi, "modified AGI"
        raise PlanningError(f"ceiling {ceiling!r} is not a bracket rate or one of "
                            f"{', '.join(CEILINGS)}")
    if isinstance(ceiling, bool):
        raise PlanningError(f"ceiling {ceiling!r} is not a bracket rate")
    try:
        c = float(ceiling)
    except (TypeError, ValueError):
        raise PlanningError(f"ceiling {ceiling!r} is not a bracket rate or one of "
                            f"{', '.join(CEILINGS)}") from None
    for _lo, up, r in t.brackets:
        if abs(r - c) < 1e-9:
            return up, ordinary_part(p), "ordinary taxable income"
    rates = ", ".join(f"{r:g}" for _, _, r in t.brackets)
    raise PlanningError(f"no {c:g} bracket in the {t.year} {t.filing_status} tables; rates: "
                        f"{rates} (or one of {', '.join(CEILINGS)})")


def room(p: TaxProfile, ceiling) -> float:
    """Dollars of extra ordinary income before the measure passes the ceiling (0 if past)."""
    limit, measure, _ = ceiling_limit(p, ceiling)
    if math.isinf(limit):
        return math.inf
    return r2(max(0.0, limit - measure))


def liabilities(p: TaxProfile, extra_ordinary: float) -> tuple[Liability, Liability]:
    """Full liabilities without and with ``extra_ordinary`` dollars of ordinary income."""
    return (capital_gains_liability(p),
            capital_gains_liability(p.replace(ordinary_income=p.ordinary_income
                                              + extra_ordinary)))


def ordinary_increment(p: TaxProfile, extra: float) -> dict[str, float]:
    """Tax of ``extra`` ordinary income: federal/niit/state/total changes and the part that
    is extra tax on the year's capital items (``gains_effect``)."""
    before, after = liabilities(p, extra)
    nb, na = liabilities(no_capital(p), extra)
    out = {k: r2(getattr(after, k) - getattr(before, k)) for k in
           ("federal", "niit", "state")}
    out["total"] = r2(out["federal"] + out["niit"] + out["state"])
    alone = r2(na.total - nb.total)
    out["ordinary_alone"] = alone
    out["gains_effect"] = r2(out["total"] - alone)
    out["before"], out["after"] = before, after
    return out


def breakdown(before: Liability, after: Liability) -> pd.DataFrame:
    """Before/after/change per computation line, as :func:`toolkit.gains_tax` shows it."""
    bd = pd.DataFrame([(s, ln, d, r2(b), r2(a)) for (s, ln, d, b), (_, _, _, a) in
                       zip(before.lines, after.lines, strict=True)],
                      columns=["section", "line", "description", "before", "after"])
    bd["change"] = (bd["after"] - bd["before"]).round(2) + 0.0
    return bd


# --- people and accounts --------------------------------------------------------------------


def birth_year(household: Household, owner: str | None) -> int | None:
    if owner is None:
        return None
    p = household.people.get(str(owner))
    if not p or p.get("birth_year") is None:
        return None
    v = p["birth_year"]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PlanningError(f"[[people]] {owner}: birth_year = {v!r} is not a year")
    return int(v)


def person_number(household: Household, owner: str | None, key: str) -> float | None:
    if owner is None:
        return None
    p = household.people.get(str(owner))
    if not p or p.get(key) is None:
        return None
    v = p[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        raise PlanningError(f"[[people]] {owner}: {key} = {v!r} must be a non-negative number")
    return float(v)


def account_row(household: Household, account: str) -> pd.Series:
    acc = household.accounts
    hit = acc[acc["account"] == account]
    if hit.empty:
        hit = acc[[keys_match(a, str(account)) for a in acc["account"]]]
    if len(hit) != 1:
        raise PlanningError(f"account {account!r} matches "
                            f"{'no account' if hit.empty else 'several accounts'} of "
                            f"household {household.name!r}")
    return hit.iloc[0]


def account_values(household: Household) -> pd.Series:
    """Market value per account id, dollars (0 for accounts without positions)."""
    v = household.positions.groupby("account")["market_value"].sum()
    return v.reindex(household.accounts["account"]).fillna(0.0)


def owner_accounts(household: Household, owner: str, types) -> list[str]:
    acc = household.accounts
    m = acc["tax_type"].isin(list(types)) & acc["owner"].eq(owner).fillna(False)
    return list(acc.loc[m, "account"])


def owners_with(household: Household, types) -> list[str]:
    acc = household.accounts
    m = acc["tax_type"].isin(list(types))
    return sorted({str(o) for o in acc.loc[m, "owner"].dropna()})
