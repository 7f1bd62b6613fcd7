"""Roth conversions: the pro-rata rule (Form 8606) and whose IRAs convert.

Rules and sources: :mod:`toolkit.planning.roth`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.planning._common import (
    IRA_TYPES,
    account_row,
    account_values,
    money,
    owner_accounts,
    owners_with,
    person_number,
    r2,
)

__all__ = ['ProRata', 'conversion_owner', 'ira_basis', 'pro_rata']


# --- pro-rata --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProRata:
    """The pro-rata split of a conversion (Form 8606 Part I and line 18).

    Attributes
    ----------
    owner : str or None
    conversion, taxable, nontaxable : float
        Dollars converted, of which taxable and nontaxable (basis recovered).
    nontaxable_fraction : float
        Form 8606 line 10 (not rounded; capped at 1).
    basis_left : float
        Basis carried to next year (line 14), dollars.
    lines : DataFrame
        ``line``, ``description``, ``value``.
    """

    owner: str | None
    conversion: float
    taxable: float
    nontaxable: float
    nontaxable_fraction: float
    basis_left: float
    lines: pd.DataFrame = field(repr=False)

    @property
    def taxable_fraction(self) -> float:
        """``1 - nontaxable_fraction``."""
        return 1.0 - self.nontaxable_fraction


def _owner(household: Household, owner: str | None, account: str | None) -> str | None:
    if account is not None:
        row = account_row(household, account)
        o = None if pd.isna(row["owner"]) else str(row["owner"])
        if owner is not None and o is not None and o != owner:
            raise PlanningError(f"account {account!r} belongs to {o!r}, not {owner!r}")
        return o or owner
    return owner


def ira_basis(household: Household, owner: str | None, basis) -> float:
    """After-tax IRA basis: ``basis`` (dollars, or per owner), else ``[[people]] ira_basis``."""
    if basis is not None:
        if isinstance(basis, Mapping):
            if owner is None:
                raise PlanningError("basis given per owner: pass owner= or account=")
            return money(f"basis[{owner!r}]", basis.get(owner, 0.0))
        return money("basis", basis)
    v = person_number(household, owner, "ira_basis")
    return 0.0 if v is None else v


def pro_rata(household: Household, conversion: float, *, owner: str | None = None,
             account: str | None = None, basis=None, distributions: float = 0.0,
             year_end_value: float | None = None) -> ProRata:
    """Taxable and nontaxable parts of a conversion under the pro-rata rule.

    Parameters
    ----------
    household : Household
    conversion : float
        Dollars converted this year (all conversions of the year), gross.
    owner : str, optional
        Whose IRAs (needed unless ``account`` names one).
    account : str, optional
        The IRA converted from (its owner is used).
    basis : float or mapping, optional
        After-tax basis in the owner's traditional IRAs (Form 8606 line 5), dollars, or
        owner -> basis. Default: ``[[people]] ira_basis`` of the owner, else 0.
    distributions : float, default 0
        Other distributions from the owner's IRAs this year (line 7), dollars.
    year_end_value : float, optional
        Dec 31 value of all the owner's traditional, SEP and SIMPLE IRAs after the conversion
        (line 6). Default: their value today minus ``conversion`` and ``distributions`` (no
        growth to year end), not below 0.

    Returns
    -------
    ProRata

    Raises
    ------
    PlanningError
        If an amount is negative or not a number, or the conversion is more than the owner's
        IRAs hold (without ``year_end_value``).
    """
    conv = money("conversion", conversion)
    dist = money("distributions", distributions)
    o = _owner(household, owner, account)
    b = ira_basis(household, o, basis)
    if year_end_value is None:
        pool = owner_accounts(household, o, IRA_TYPES) if o is not None else []
        now = float(account_values(household).reindex(pool).fillna(0.0).sum())
        if b > 0 and conv + dist > now + 0.005:
            raise PlanningError(f"converting ${conv:,.2f} and distributing ${dist:,.2f} is more "
                                f"than the ${now:,.2f} in {o}'s traditional IRAs")
        ye = max(0.0, now - conv - dist)
    else:
        ye = money("year_end_value", year_end_value)
    line9 = ye + dist + conv
    frac = 0.0 if b == 0 else (1.0 if line9 <= 0 else min(1.0, b / line9))
    line11 = r2(conv * frac)
    line12 = r2(dist * frac)
    lines = pd.DataFrame([
        ("5", "After-tax basis in traditional IRAs", b),
        ("6", "Value of all traditional, SEP and SIMPLE IRAs on Dec 31", r2(ye)),
        ("7", "Distributions this year (not conversions)", dist),
        ("8", "Net amount converted to Roth IRAs", conv),
        ("9", "Lines 6 + 7 + 8", r2(line9)),
        ("10", "Nontaxable fraction: line 5 / line 9 (at most 1)", frac),
        ("11", "Nontaxable part of the conversion: line 8 x line 10", line11),
        ("12", "Nontaxable part of the distributions: line 7 x line 10", line12),
        ("14", "Basis left for next year: line 5 - lines 11 and 12", r2(b - line11 - line12)),
        ("18", "Taxable conversion: line 8 - line 11", r2(conv - line11)),
    ], columns=["line", "description", "value"])
    return ProRata(owner=o, conversion=conv, taxable=r2(conv - line11), nontaxable=line11,
                   nontaxable_fraction=frac, basis_left=r2(b - line11 - line12), lines=lines)



def conversion_owner(household: Household, owner, account) -> str | None:
    """Whose IRAs a conversion draws on.

    The account's owner, else ``owner``, else the only owner of traditional IRAs (None when
    that cannot be told).
    """
    o = _owner(household, owner, account)
    if o is None:
        cands = owners_with(household, IRA_TYPES)
        if len(cands) == 1:
            o = cands[0]
    return o
