"""Required minimum distributions: the amount, who owes it, and rebalancing around it.

Rules (``planning/data/rmd_rules.csv`` and ``uniform_lifetime_table.csv``, sources in
``planning/data/sources.md``; TAX_FACTS section 6):

- **Applicable age** (SECURE 2.0 §107): 70½ if born before 1949-07-01; 72 if born
  1949-07-01 to 1950; 73 if born 1951 to 1959 (1959 is in both statutory clauses: the
  toolkit follows the July 2024 proposed regulations and IRS summaries, 73); 75 if born 1960
  or later. The first RMD is for the year the owner reaches the applicable age and is due by
  April 1 of the next year; later RMDs by December 31.
- **Amount**: the prior December 31 balance divided by the Uniform Lifetime Table period for
  the age the owner reaches in the distribution year (Reg. §1.401(a)(9)-9(c), the table for
  distribution years from 2022). The Joint and Last Survivor table (a spouse more than ten
  years younger as sole beneficiary) is not modelled.
- **Aggregation**: the RMDs of one owner's traditional, SEP and SIMPLE IRAs are added up and
  may be taken from any of them; each employer plan (401(k), 403(b), 457(b)) is computed and
  taken separately (the toolkit does not aggregate 403(b)s). Roth IRAs have no lifetime RMD
  (§408A(c)(5)); designated Roth 401(k)/403(b) accounts have none from 2024 (SECURE 2.0
  §325). An employer plan's "still working" deferral is not modelled (a note says so).
- **Before a conversion**: an RMD can be neither rolled over nor converted, and the first
  dollars distributed in an RMD year count as the RMD (Reg. §1.408A-4 Q&A-6), so the RMD is
  taken before any Roth conversion that year: :func:`check_rmd_before_conversion` raises if
  a conversion is planned while the year's RMD is not yet distributed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.allocation import Band, allocation, drift, exposures
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.location import placement_score
from toolkit.planning._common import (
    IRA_TYPES,
    PLAN_TYPES,
    ROTH_PLAN_TYPES,
    account_values,
    birth_year,
    data,
    money,
    r2,
)
from toolkit.schema import TaxType

__all__ = [
    "RMD_COLUMNS",
    "RmdPlan",
    "check_rmd_before_conversion",
    "distribution_period",
    "first_rmd_year",
    "household_rmds",
    "rmd",
    "rmd_plan",
    "rmd_start_age",
]

#: Columns of :func:`household_rmds`, in order.
RMD_COLUMNS = ("owner", "account", "tax_type", "group", "birth_year", "age", "applicable_age",
               "first_rmd_year", "required", "balance", "divisor", "rmd", "group_rmd", "due",
               "note")


def _table() -> pd.Series:
    t = data("uniform_lifetime_table.csv")
    return pd.Series(t["distribution_period"].to_numpy(dtype="float64"),
                     index=t["age"].astype("int64"))


def _rules() -> pd.Series:
    return data("rmd_rules.csv").set_index("parameter")["value"]


def distribution_period(age) -> float:
    """The Uniform Lifetime Table distribution period (divisor) for an age.

    Parameters
    ----------
    age : int
        Age the owner reaches (on their birthday) in the distribution year, whole years.

    Returns
    -------
    float
        Years (27.4 at 72 ... 2.0 at 120 and over).

    Raises
    ------
    PlanningError
        If the age is not a whole number or is below the table's first age (72).
    """
    t = _table()
    if isinstance(age, bool):
        raise PlanningError(f"age {age!r} is not a whole number of years")
    try:
        a = float(age)
    except (TypeError, ValueError):
        raise PlanningError(f"age {age!r} is not a whole number of years") from None
    if not math.isfinite(a) or a != int(a):
        raise PlanningError(f"age {age!r} is not a whole number of years (the age reached "
                            "in the distribution year)")
    a = int(a)
    first, last = int(t.index.min()), int(t.index.max())
    if a < first:
        raise PlanningError(f"no RMD at age {a}: the Uniform Lifetime Table starts at {first} "
                            "(the applicable age is 73 for people born 1951-1959 and 75 from "
                            "1960)")
    return float(t.loc[min(a, last)])


def rmd(prior_year_end_balance, age) -> float:
    """The required minimum distribution for a year.

    Parameters
    ----------
    prior_year_end_balance : float
        The account's (or the owner's IRAs') balance on December 31 of the previous year,
        dollars.
    age : int
        Age the owner reaches in the distribution year.

    Returns
    -------
    float
        ``prior_year_end_balance / distribution_period(age)``, dollars rounded to cents.

    Raises
    ------
    PlanningError
        If the balance is negative or not a number, or the age is below 72 (the table's
        first age) or not whole.

    Examples
    --------
    >>> rmd(500_000, 75)
    20325.2
    """
    bal = money("prior_year_end_balance", prior_year_end_balance)
    return r2(bal / distribution_period(age))


def rmd_start_age(birth_year) -> float:
    """The applicable age at which RMDs start (SECURE 2.0 §107).

    Parameters
    ----------
    birth_year : int or date-like
        Year of birth, or the date of birth (needed for 1949, whose first half has 70½ and
        second half 72).

    Returns
    -------
    float
        70.5, 72.0, 73.0 (born 1951-1959, 1959 included as the proposed regulations read it)
        or 75.0 (born 1960 or later).

    Raises
    ------
    PlanningError
        If the year is 1949 without a date, or the value is not a year or date.

    Examples
    --------
    >>> rmd_start_age(1959), rmd_start_age(1960)
    (73.0, 75.0)
    """
    r = _rules()
    a705 = float(r["applicable_age_born_before_1949-07-01"])
    a72 = float(r["applicable_age_born_1949-07-01_to_1950-12-31"])
    a73 = float(r["applicable_age_born_1951_to_1959"])
    a75 = float(r["applicable_age_born_1960_or_later"])
    if isinstance(birth_year, bool):
        raise PlanningError(f"birth_year {birth_year!r} is not a year or a date")
    if isinstance(birth_year, int | np.integer):
        y = int(birth_year)
        if y == 1949:
            raise PlanningError("born in 1949: the applicable age is 70½ if born before July 1 "
                                "and 72 from July 1; pass the date of birth")
        if y < 1949:
            return a705
        return a72 if y == 1950 else a73 if y <= 1959 else a75
    try:
        d = pd.Timestamp(birth_year)
    except (TypeError, ValueError):
        raise PlanningError(f"birth_year {birth_year!r} is not a year or a date") from None
    if d < pd.Timestamp("1949-07-01"):
        return a705
    y = d.year
    return a72 if y <= 1950 else a73 if y <= 1959 else a75


def first_rmd_year(birth_year: int) -> int:
    """The first distribution year: the year the owner reaches the applicable age.

    Parameters
    ----------
    birth_year : int
        Year of birth (1950 or later; earlier owners are long past their first RMD).

    Returns
    -------
    int
        ``birth_year + rmd_start_age(birth_year)``. That RMD is due by April 1 of the next
        year; later ones by December 31.

    Raises
    ------
    PlanningError
        If born before 1950 (the 70½ rule needs the date of birth).
    """
    if int(birth_year) < 1950:
        raise PlanningError(f"born {birth_year}: the first RMD year depends on the date of "
                            "birth (70½ or 72 rules); those RMDs started before 2022")
    return int(birth_year) + int(rmd_start_age(int(birth_year)))


def household_rmds(household: Household, year: int,
                   balances: dict[str, float] | None = None) -> pd.DataFrame:
    """Each owner's required minimum distributions for a year, account by account.

    Parameters
    ----------
    household : Household
        Accounts with ``owner`` and ``tax_type``; ``household.people[owner]["birth_year"]``
        for the ages.
    year : int
        Distribution year.
    balances : dict, optional
        Account id -> prior December 31 balance, dollars. Default: each account's current
        market value (a stand-in for the previous year-end balance; say so when presenting).

    Returns
    -------
    DataFrame
        One row per tax-deferred or Roth retirement account, columns :data:`RMD_COLUMNS`:
        ``group`` (``"IRA <owner>"`` for an owner's aggregated traditional/SEP/SIMPLE IRAs,
        else the account id: each employer plan alone), ``age`` (reached in ``year``),
        ``applicable_age``, ``first_rmd_year``, ``required`` (nullable boolean: NA when the
        owner's birth year is unknown), ``balance`` and ``rmd`` (dollars; ``rmd`` 0 when
        not required, NaN when unknown), ``divisor`` (years), ``group_rmd`` (the group's
        total, which may be taken from any account of an IRA group), ``due`` (date) and
        ``note``. Taxable accounts and HSAs are left out.
    """
    year = int(year)
    vals = account_values(household)
    if balances:
        for k, v in balances.items():
            if k not in vals.index:
                raise PlanningError(f"balances: no account {k!r} in the household")
            vals.loc[k] = money(f"balances[{k!r}]", v)
    rows = []
    for a in household.accounts.itertuples(index=False):
        t = a.tax_type
        if t in (TaxType.TAXABLE.value, TaxType.HSA.value):
            continue
        owner = None if pd.isna(a.owner) else str(a.owner)
        by = birth_year(household, owner)
        note = ""
        group = f"IRA {owner}" if t in IRA_TYPES else a.account
        roth_exempt = t == TaxType.ROTH_IRA.value or (t in ROTH_PLAN_TYPES and year >= 2024)
        bal = float(vals.get(a.account, 0.0))
        age = None if by is None else year - by
        applicable = first = None
        required = pd.NA
        if roth_exempt:
            required = False
            note = ("Roth IRA: no lifetime RMD (IRC 408A(c)(5))" if t == TaxType.ROTH_IRA.value
                    else "designated Roth plan account: no lifetime RMD from 2024 "
                         "(SECURE 2.0 §325)")
        elif by is None:
            note = (f"no birth_year for owner {owner!r} in [[people]]: RMD unknown"
                    if owner else "account has no owner: RMD unknown")
        else:
            applicable = rmd_start_age(by) if by != 1949 else 72.0
            first = by + math.ceil(applicable) if by >= 1950 else None
            required = bool(age >= applicable) if by >= 1950 else True
            if by == 1949:
                note = "born 1949: applicable age 70½ or 72 by birth date; long past either"
        divisor = np.nan
        amount = 0.0 if required is False else np.nan
        due = pd.NaT
        if required is True:
            divisor = distribution_period(age)
            amount = r2(bal / divisor)
            due = (pd.Timestamp(year + 1, 4, 1) if first is not None and year == first
                   else pd.Timestamp(year, 12, 31))
            if t in PLAN_TYPES or t in ROTH_PLAN_TYPES:
                note = ("employer plan: taken from this plan alone; a participant still "
                        "working (not a 5% owner) may defer under the plan's terms "
                        "(not modelled)")
            if first is not None and year == first:
                note = (note + "; " if note else "") + (
                    "first RMD year: due by April 1 of the next year (delaying it means two "
                    "RMDs that year)")
        rows.append({"owner": owner, "account": a.account, "tax_type": t, "group": group,
                     "birth_year": by, "age": age, "applicable_age": applicable,
                     "first_rmd_year": first, "required": required, "balance": r2(bal),
                     "divisor": divisor, "rmd": amount, "due": due, "note": note})
    out = pd.DataFrame(rows, columns=[c for c in RMD_COLUMNS if c != "group_rmd"])
    if out.empty:
        out["group_rmd"] = pd.Series(dtype="float64")
        return out[list(RMD_COLUMNS)]
    out["group_rmd"] = out.groupby("group")["rmd"].transform(
        lambda s: r2(s.sum()) if s.notna().all() else np.nan)
    out = out.astype({"owner": "str", "account": "str", "tax_type": "str", "group": "str",
                      "birth_year": "Int64", "age": "Int64", "applicable_age": "float64",
                      "first_rmd_year": "Int64", "required": "boolean", "balance": "float64",
                      "divisor": "float64", "rmd": "float64", "group_rmd": "float64",
                      "due": "datetime64[us]", "note": "str"})
    return out[list(RMD_COLUMNS)]


def check_rmd_before_conversion(household: Household, year: int, owner: str, *,
                                distributed: float = 0.0, account: str | None = None,
                                balances: dict[str, float] | None = None,
                                unknown_age: str = "raise") -> float:
    """Raise if a Roth conversion is planned before the year's RMD has been distributed.

    The first dollars distributed in an RMD year count as the RMD and an RMD cannot be
    converted (Reg. §1.408A-4 Q&A-6), so the owner's IRA RMD (or, converting from an
    employer plan, that plan's RMD) must be out first.

    Parameters
    ----------
    household : Household
    year : int
        Conversion year.
    owner : str
        Owner of the account converted from.
    distributed : float, default 0
        Dollars already distributed this year from the group (the owner's IRAs, or the plan).
    account : str, optional
        Converting from this employer plan rather than the owner's IRAs.
    balances : dict, optional
        Prior year-end balances (see :func:`household_rmds`).
    unknown_age : {"raise", "ignore"}, default "raise"
        What to do when the owner's birth year is missing: raise, or return NaN.

    Returns
    -------
    float
        The group's RMD for the year, dollars (0 when none is required; NaN when unknown and
        ``unknown_age="ignore"``).

    Raises
    ------
    PlanningError
        If an RMD is required and ``distributed`` is below it; or it cannot be known because
        the owner's birth year is missing (``unknown_age="raise"``).
    """
    r = household_rmds(household, year, balances)
    acct = household.accounts.set_index("account")
    if account is not None and acct.loc[account, "tax_type"] not in IRA_TYPES:
        rows = r[r["account"] == account]
    else:
        rows = r[r["group"] == f"IRA {owner}"]
    if rows.empty:
        return 0.0
    if rows["required"].isna().any():
        if unknown_age == "ignore":
            return float("nan")
        raise PlanningError(f"cannot tell whether {owner} owes an RMD in {year}: add "
                            f"birth_year for {owner} to [[people]]")
    due = float(rows["rmd"].sum())
    got = money("distributed", distributed)
    if due > 0 and got + 0.005 < due:
        raise PlanningError(
            f"{owner} owes a ${due:,.2f} RMD in {year} and ${got:,.2f} has been distributed: "
            f"take the remaining ${due - got:,.2f} before converting (the first dollars out "
            "in an RMD year are the RMD, and an RMD cannot be converted: Reg. 1.408A-4 Q&A-6)")
    return r2(due)


# --- rebalancing around the RMD ---------------------------------------------------------------


@dataclass(frozen=True)
class RmdPlan:
    """How to take the year's RMDs and what the household looks like after.

    Attributes
    ----------
    year : int
    rmds : DataFrame
        :func:`household_rmds` for the year.
    trades : DataFrame
        One row per holding used: ``owner``, ``group``, ``account``, ``symbol``,
        ``asset_class``, ``action`` (``"sell"``: sold in the account and the cash
        distributed; ``"distribute in kind"``: the shares move to ``to_account``),
        ``quantity`` (shares), ``price`` (dollars/share), ``value`` (dollars), ``to_account``
        (the taxable account receiving cash or shares; None when the household has none)
        and ``reason``.
    allocation : DataFrame
        Indexed by ``asset_class``: ``target``, ``before``, ``after`` (fractions of the
        household) and ``drift_before``, ``drift_after`` (fractions).
    location : DataFrame
        ``asset_class``, ``treatment``, ``before``, ``after``, ``change`` (dollars).
    notes : tuple of str
    """

    year: int
    rmds: pd.DataFrame
    trades: pd.DataFrame
    allocation: pd.DataFrame
    location: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> float:
        """Dollars distributed by the plan."""
        return r2(self.trades["value"].sum()) if len(self.trades) else 0.0


TRADE_COLUMNS = ("owner", "group", "account", "symbol", "asset_class", "action", "quantity",
                 "price", "value", "to_account", "reason")


def _class_weights(household: Household) -> dict[tuple[str, str], dict[str, float]]:
    """(account, symbol) -> {asset class: look-through weight}."""
    ex = exposures(household)
    out: dict[tuple[str, str], dict[str, float]] = {}
    for a, s, c, w in zip(ex["account"], ex["symbol"], ex["asset_class"], ex["weight"],
                          strict=True):
        out.setdefault((a, s), {})[c] = out.get((a, s), {}).get(c, 0.0) + float(w)
    return out


def _receiving_account(household: Household, owner: str | None) -> str | None:
    acc = household.accounts
    tax = acc[acc["tax_type"] == TaxType.TAXABLE.value]
    if tax.empty:
        return None
    own = tax[tax["owner"] == owner]
    if len(own):
        return str(own["account"].iloc[0])
    joint = tax[tax["owner"].astype("str").str.lower().eq("joint")]
    return str((joint if len(joint) else tax)["account"].iloc[0])


def rmd_plan(household: Household, year: int, *, in_kind: bool = False,
             balances: dict[str, float] | None = None, band: Band | None = None) -> RmdPlan:
    """Take the year's RMDs where they help the allocation, or in kind into taxable.

    For each owner's IRA group and each employer plan owing an RMD:

    - ``in_kind=False``: sell inside the group's accounts from the holdings whose asset
      classes are most over target in the household (:func:`toolkit.drift`, looked through
      funds), each up to its class's overweight dollars; what is still owed is sold pro rata
      across the group's holdings. The cash goes to the owner's taxable account (else a
      joint one), so the household keeps the money and the sold class shrinks.
    - ``in_kind=True``: move whole holdings into that taxable account, the ones asset
      location says belong in taxable first (the planner's placement scores: taxable minus
      tax-deferred), partially for the last one. The allocation does not change; the location
      does. The shares' basis in taxable is the value distributed (the amount taxed).

    The RMD comes before any Roth conversion that year (see
    :func:`check_rmd_before_conversion`). Income tax on the RMD is not withheld here.

    Parameters
    ----------
    household : Household
    year : int
        Distribution year.
    in_kind : bool, default False
    balances : dict, optional
        Prior year-end balances per account (default: current values).
    band : Band, optional
        Tolerance band for the drift (default 5/25).

    Returns
    -------
    RmdPlan
        ``rmds``, ``trades``, ``allocation`` (weights before and after), ``location`` (dollars
        by class and treatment before and after), ``notes``.

    Raises
    ------
    PlanningError
        If an RMD is larger than the group's current value.
    """
    year = int(year)
    r = household_rmds(household, year, balances)
    notes: list[str] = []
    unknown = r[r["required"].isna()]
    for o in sorted(set(unknown["owner"])):
        notes.append(f"{o}: no birth_year in [[people]]: RMDs not known, none planned")
    due = r[r["required"].fillna(False).astype(bool) & (r["rmd"] > 0)]
    pos = household.positions
    d = drift(household, band=band)
    total = float(d["market_value"].sum())
    over = (d["market_value"] - d["target"] * total)  # dollars over target per class
    if in_kind:
        cls_score = pd.Series({c: placement_score(c, "taxable") - placement_score(c, "tax_deferred")
                               for c in d.index})
    else:
        cls_score = over
    weights = _class_weights(household)
    over_left = over.clip(lower=0.0).to_dict()
    trades = []
    for group, g in due.groupby("group", sort=False):
        owner = g["owner"].iloc[0]
        need = float(g["group_rmd"].iloc[0])
        accts = list(g["account"])
        held = pos[pos["account"].isin(accts) & (pos["market_value"] > 0)].copy()
        if held["market_value"].sum() + 0.005 < need:
            raise PlanningError(f"{group}: the {year} RMD ${need:,.2f} is more than the "
                                f"${held['market_value'].sum():,.2f} held there now")
        held["score"] = [sum(w * cls_score.get(c, 0.0) for c, w in
                             weights.get((a, s), {}).items())
                         for a, s in zip(held["account"], held["symbol"], strict=True)]
        held = held.sort_values(["score", "market_value"], ascending=[False, False],
                                kind="stable")
        to = _receiving_account(household, owner)
        take = pd.Series(0.0, index=held.index)
        left = need
        for i, row in held.iterrows():
            if left <= 0.005:
                break
            if in_kind:
                take[i] = min(left, row["market_value"])
            else:
                w = weights.get((row["account"], row["symbol"]), {})
                # sell no more than keeps each of the holding's classes at or above target
                room = min((over_left.get(c, 0.0) / x for c, x in w.items() if x > 0),
                           default=0.0)
                take[i] = min(left, row["market_value"], max(0.0, room))
                for c, x in w.items():
                    over_left[c] = over_left.get(c, 0.0) - x * take[i]
            left -= take[i]
        first_pass = take.copy()
        if left > 0.005:
            rest = held["market_value"] - take
            take += rest / rest.sum() * left
            left = 0.0
        for i, row in held.iterrows():
            v = float(take[i])
            if v <= 0.005:
                continue
            cls = row["asset_class"]
            if in_kind:
                why = "belongs in taxable by asset location"
            elif first_pass[i] > 0.005:
                why = (f"{cls} is over target by ${over[cls]:,.0f} in the household"
                       if cls in over.index else "its classes are over target")
                if v - first_pass[i] > 0.005:
                    why += "; the rest pro rata"
            else:
                why = "pro rata: no class left over target in these accounts"
            price = float(row["price"]) if pd.notna(row["price"]) and row["price"] else np.nan
            trades.append({"owner": owner, "group": group, "account": row["account"],
                           "symbol": row["symbol"], "asset_class": cls,
                           "action": "distribute in kind" if in_kind else "sell",
                           "quantity": v / price if price == price else np.nan,
                           "price": price, "value": r2(v), "to_account": to, "reason": why})
    tr = pd.DataFrame(trades, columns=list(TRADE_COLUMNS)).astype(
        {"quantity": "float64", "price": "float64", "value": "float64"})
    if len(tr) and tr["to_account"].isna().any():
        notes.append("the household has no taxable account: the distribution leaves the "
                     "household's accounts")
    after = _after(household, tr, in_kind)
    d_after = drift(after, band=band)
    alloc = pd.DataFrame({"target": d["target"], "before": d["current"]})
    alloc = alloc.join(d_after[["current"]].rename(columns={"current": "after"}), how="outer")
    alloc["target"] = alloc["target"].fillna(0.0)
    alloc = alloc.fillna({"before": 0.0, "after": 0.0})
    alloc["drift_before"] = alloc["before"] - alloc["target"]
    alloc["drift_after"] = alloc["after"] - alloc["target"]
    alloc = alloc.reindex([c for c in d.index] + [c for c in alloc.index if c not in d.index])
    loc = _location(household, after)
    if not in_kind and len(tr):
        notes.append("sales are in dollars (fractional shares): round each order up to whole "
                     "shares so the RMD is fully met")
    return RmdPlan(year=year, rmds=r, trades=tr, allocation=alloc, location=loc,
                   notes=tuple(notes))


def _after(household: Household, trades: pd.DataFrame, in_kind: bool) -> Household:
    """The household after the distributions (positions only)."""
    pos = household.positions.copy()
    add = []
    for t in trades.itertuples(index=False):
        m = (pos["account"] == t.account) & (pos["symbol"] == t.symbol)
        i = pos.index[m][0]
        frac = t.value / pos.at[i, "market_value"]
        pos.loc[i, "market_value"] = pos.at[i, "market_value"] - t.value
        pos.loc[i, "quantity"] = pos.at[i, "quantity"] * (1.0 - frac)
        if t.to_account is None:
            continue
        row = pos.loc[i].copy()
        row["account"] = t.to_account
        row["market_value"] = t.value
        row["quantity"] = t.quantity if in_kind else t.value
        row["cost_basis"] = t.value
        if not in_kind:
            row["symbol"], row["asset_class"], row["price"] = "CASH", "cash", 1.0
            row["cusip"] = pd.NA
        add.append(row)
    if add:
        pos = pd.concat([pos, pd.DataFrame(add)], ignore_index=True)
    return household.replace(positions=pos)


def _location(before: Household, after: Household) -> pd.DataFrame:
    a = allocation(before, by="treatment").rename(columns={"group": "treatment"})
    b = allocation(after, by="treatment").rename(columns={"group": "treatment"})
    out = a[["asset_class", "treatment", "market_value"]].merge(
        b[["asset_class", "treatment", "market_value"]], on=["asset_class", "treatment"],
        how="outer", suffixes=("_before", "_after")).fillna(0.0)
    out = out.rename(columns={"market_value_before": "before", "market_value_after": "after"})
    out["before"] = out["before"].round(2)
    out["after"] = out["after"].round(2)
    out["change"] = (out["after"] - out["before"]).round(2) + 0.0
    return out.sort_values(["asset_class", "treatment"], kind="stable").reset_index(drop=True)
