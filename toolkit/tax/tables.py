"""Federal tax tables by year and filing status, read from the sourced CSVs in ``tax/data``.

:func:`year_tables` returns one :class:`YearTables` for a year and filing status: the
ordinary-income brackets (Rev. Proc. rate tables), the 0%/15% long-term capital gain ceilings
(on *total* taxable income, IRC §1(h) and §1(j)(5)(B)), the basic standard deduction, the
NIIT threshold and rate (IRC §1411, not indexed), the capital-loss limit (IRC §1211(b):
$3,000, $1,500 married filing separately) and, where sourced, the AMT exemption, its
phase-out and the 26%/28% breakpoint (:class:`AmtTable`, used only to warn).

Every figure comes from a CSV row with a ``source_id`` and a ``status``; ``sources.md`` beside
the CSVs lists the sources. A year or filing status with no table raises
:class:`~toolkit.errors.TaxTableError` naming what is available: there is never a silent
fallback to another year.

A qualifying surviving spouse uses the married-filing-jointly tables (Rev. Proc. rate tables;
IRC §1(a)); ``year_tables`` accepts ``"qualifying_surviving_spouse"`` for that reason.

:func:`ordinary_tax` applies the bracket formula exactly (the IRS Tax Computation Worksheet).
The IRS Tax Table used below $100,000 of taxable income taxes the midpoint of a $50 band and
rounds to whole dollars, so a return can differ from this by a few dollars; the toolkit keeps
the exact, continuous formula because it estimates the *change* in tax from a decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from toolkit.errors import TaxTableError

__all__ = [
    "TABLE_FILING_STATUSES",
    "AmtTable",
    "YearTables",
    "available_years",
    "ordinary_tax",
    "year_tables",
]

#: Filing statuses the tables cover (the CSVs' own names).
TABLE_FILING_STATUSES = (
    "single",
    "married_filing_jointly",
    "married_filing_separately",
    "head_of_household",
)
#: Statuses that use another status's tables.
_ALIASES = {"qualifying_surviving_spouse": "married_filing_jointly"}


@dataclass(frozen=True)
class AmtTable:
    """AMT parameters for one year and filing status (``amt.csv``), for warnings only.

    Attributes
    ----------
    exemption : float
        AMT exemption amount, dollars.
    phaseout_threshold : float
        AMTI above which the exemption is reduced, dollars.
    phaseout_rate : float
        Exemption reduction per dollar of AMTI above the threshold (0.25; 0.50 from 2026).
    rate_28_threshold : float
        AMT taxable excess above which the 28% rate applies instead of 26%, dollars.
    status : str
        The CSV row's status (``confirmed_secondary`` or ``UNCONFIRMED``).
    """

    exemption: float
    phaseout_threshold: float
    phaseout_rate: float
    rate_28_threshold: float
    status: str

    def exemption_for(self, amti: float) -> float:
        """The exemption left at an AMTI (dollars), after the phase-out."""
        cut = self.phaseout_rate * max(0.0, amti - self.phaseout_threshold)
        return max(0.0, self.exemption - cut)

    def rate_tax(self, taxable_excess: float) -> float:
        """26% up to :attr:`rate_28_threshold`, 28% above, on an AMT taxable excess."""
        x = max(0.0, taxable_excess)
        return 0.26 * min(x, self.rate_28_threshold) + 0.28 * max(0.0, x - self.rate_28_threshold)


@dataclass(frozen=True)
class YearTables:
    """The federal figures for one tax year and filing status.

    Attributes
    ----------
    year : int
    filing_status : str
        The status whose tables these are (a qualifying surviving spouse gets
        ``married_filing_jointly``).
    brackets : tuple of (float, float, float)
        ``(lower, upper, rate)`` per band, dollars of taxable income and fraction; income over
        ``lower`` and up to ``upper`` is taxed at ``rate``; the last ``upper`` is ``inf``.
    base_tax : tuple of float
        The Rev. Proc. "base tax" column: tax on all income below each band's ``lower``.
    ltcg_zero_max, ltcg_fifteen_max : float
        The maximum zero-rate and 15%-rate amounts: taxable income (gains stacked on top of
        ordinary income) up to which long-term gains and qualified dividends are taxed at 0%
        and 15%; 20% above. Dollars.
    standard_deduction : float
        Basic standard deduction, dollars (no age-65/blind additions, no 2025-2028 senior
        deduction).
    additional_65 : float
        Additional standard deduction per filer 65 or older (per condition), dollars.
    senior_deduction : float
        The 2025-2028 senior deduction per filer 65 or older (OBBBA §70103), dollars; 0 in
        other years and for married filing separately.
    senior_phaseout_threshold, senior_phaseout_rate : float
        Each senior deduction is reduced by ``senior_phaseout_rate`` of MAGI over the
        threshold (dollars, fraction).
    niit_threshold : float
        NIIT modified-AGI threshold, dollars.
    niit_rate : float
        NIIT rate (0.038).
    capital_loss_limit : float
        Net capital loss deductible against ordinary income per year, dollars.
    amt : AmtTable or None
        AMT parameters, when sourced for the year.
    """

    year: int
    filing_status: str
    brackets: tuple[tuple[float, float, float], ...]
    base_tax: tuple[float, ...]
    ltcg_zero_max: float
    ltcg_fifteen_max: float
    standard_deduction: float
    niit_threshold: float
    niit_rate: float
    capital_loss_limit: float
    amt: AmtTable | None = None
    additional_65: float = 0.0
    senior_deduction: float = 0.0
    senior_phaseout_threshold: float = 0.0
    senior_phaseout_rate: float = 0.0

    def ordinary_tax(self, taxable_income: float) -> float:
        """Tax on ``taxable_income`` (dollars) at the ordinary brackets; 0 at or below 0."""
        x = float(taxable_income)
        if not x > 0:
            return 0.0
        tax = 0.0
        for lower, upper, rate in self.brackets:
            if x <= lower:
                break
            tax += rate * (min(x, upper) - lower)
        return tax

    def ordinary_rate(self, taxable_income: float) -> float:
        """Marginal ordinary rate on the next dollar above ``taxable_income``."""
        x = max(0.0, float(taxable_income))
        for lower, upper, rate in self.brackets:
            if lower <= x < upper:
                return rate
        return self.brackets[-1][2]

    def bracket_slices(self, taxable_income: float) -> list[tuple[float, float, float, float]]:
        """``(lower, upper, rate, amount in band)`` for every band, dollars."""
        x = max(0.0, float(taxable_income))
        return [(lo, up, r, max(0.0, min(x, up) - lo)) for lo, up, r in self.brackets]


def _read(name: str) -> pd.DataFrame:
    with resources.files("toolkit.tax").joinpath("data", name).open("rb") as f:
        return pd.read_csv(f, dtype={"filing_status": "str"})


@cache
def _frames() -> dict[str, pd.DataFrame]:
    return {n: _read(f"{n}.csv") for n in
            ("brackets_ordinary", "ltcg_thresholds", "standard_deduction", "niit",
             "capital_gains_rules", "amt", "senior_deduction")}


def available_years() -> list[int]:
    """Tax years with complete tables (brackets, LTCG ceilings and standard deduction)."""
    f = _frames()
    years = (set(f["brackets_ordinary"]["year"]) & set(f["ltcg_thresholds"]["year"])
             & set(f["standard_deduction"]["year"]))
    return sorted(int(y) for y in years)


def _canonical_status(filing_status: str) -> str:
    s = _ALIASES.get(filing_status, filing_status)
    if s not in TABLE_FILING_STATUSES:
        raise TaxTableError(
            f"no tax tables for filing status {filing_status!r}; available: "
            f"{', '.join(TABLE_FILING_STATUSES)} (and qualifying_surviving_spouse, which uses "
            "married_filing_jointly)")
    return s


def year_tables(year: int, filing_status: str) -> YearTables:
    """The federal tables for a tax year and filing status.

    Parameters
    ----------
    year : int
        Tax year (see :func:`available_years`).
    filing_status : str
        ``single``, ``married_filing_jointly``, ``married_filing_separately``,
        ``head_of_household`` or ``qualifying_surviving_spouse`` (uses the joint tables).

    Returns
    -------
    YearTables

    Raises
    ------
    TaxTableError
        If there is no table for the year or filing status; the message lists what is
        available. Never falls back to another year.

    Examples
    --------
    >>> t = year_tables(2026, "married_filing_jointly")
    >>> t.ltcg_zero_max, t.standard_deduction, t.capital_loss_limit
    (98900.0, 32200.0, 3000.0)
    """
    return _year_tables(int(year), _canonical_status(filing_status))


@cache
def _year_tables(year: int, status: str) -> YearTables:
    f = _frames()
    years = available_years()
    if year not in years:
        raise TaxTableError(f"no tax tables for tax year {year}; available years: "
                            f"{', '.join(str(y) for y in years)}")

    def rows(name: str) -> pd.DataFrame:
        df = f[name]
        return df[(df["year"] == year) & (df["filing_status"] == status)]

    b = rows("brackets_ordinary").sort_values("lower_bound")
    uppers = b["upper_bound"].fillna(math.inf)
    brackets = tuple((float(lo), float(up), float(r)) for lo, up, r in
                     zip(b["lower_bound"], uppers, b["rate"], strict=True))
    lt = rows("ltcg_thresholds").set_index("rate")["upper_bound"]
    sd_rows = rows("standard_deduction")
    sd = sd_rows["basic_standard_deduction"]
    sen = f["senior_deduction"]
    sen = sen[sen["year"] == year]
    senior = threshold = rate = 0.0
    if len(sen) and (status != "married_filing_separately"
                     or str(sen["married_filing_separately_allowed"].iloc[0]).lower() == "true"):
        senior = float(sen["amount_per_qualified_individual"].iloc[0])
        rate = float(sen["phaseout_rate"].iloc[0])
        threshold = float(sen["magi_threshold_joint" if status == "married_filing_jointly"
                              else "magi_threshold_other"].iloc[0])
    niit = f["niit"].set_index("filing_status").loc[status]
    rules = f["capital_gains_rules"].set_index("parameter")["value"]
    limit = rules["capital_loss_limit_vs_ordinary_income_mfs" if
                  status == "married_filing_separately" else
                  "capital_loss_limit_vs_ordinary_income"]
    a = rows("amt")
    amt = None
    if len(a):
        r = a.iloc[0]
        amt = AmtTable(float(r["exemption"]), float(r["phaseout_threshold"]),
                       float(r["phaseout_rate"]), float(r["rate_28_threshold"]), str(r["status"]))
    if len(brackets) == 0 or len(sd) != 1 or not {0.0, 0.15}.issubset(lt.index):
        raise TaxTableError(f"tax tables for {year} {status} are incomplete in toolkit/tax/data")
    return YearTables(
        year=year,
        filing_status=status,
        brackets=brackets,
        base_tax=tuple(float(x) for x in b["base_tax_at_lower_bound"]),
        ltcg_zero_max=float(lt.loc[0.0]),
        ltcg_fifteen_max=float(lt.loc[0.15]),
        standard_deduction=float(sd.iloc[0]),
        niit_threshold=float(niit["magi_threshold"]),
        niit_rate=float(niit["rate"]),
        capital_loss_limit=float(limit),
        amt=amt,
        additional_65=float(sd_rows["additional_65_or_blind_per_condition"].iloc[0]),
        senior_deduction=senior,
        senior_phaseout_threshold=threshold,
        senior_phaseout_rate=rate,
    )


def ordinary_tax(taxable_income, year: int, filing_status: str):
    """Regular tax on taxable income at the ordinary brackets (Tax Computation Worksheet).

    Parameters
    ----------
    taxable_income : float or array-like
        Taxable income, dollars; values at or below zero (and NaN) give 0.
    year : int
    filing_status : str
        As for :func:`year_tables`.

    Returns
    -------
    float or ndarray
        Tax in dollars (not rounded), a float for a scalar input.

    Raises
    ------
    TaxTableError
        If there is no table for the year or filing status.

    Examples
    --------
    >>> ordinary_tax(60_000, 2026, "single")
    7912.0
    """
    t = year_tables(year, filing_status)
    x = np.asarray(taxable_income, dtype="float64")
    x = np.where(np.isnan(x), 0.0, x)
    tax = np.zeros_like(x)
    for lower, upper, rate in t.brackets:
        tax += rate * np.clip(np.minimum(x, upper) - lower, 0.0, None)
    return float(tax) if tax.ndim == 0 else tax
