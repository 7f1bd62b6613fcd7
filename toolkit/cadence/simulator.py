"""Run a rebalancing policy over many years for one household, on many return paths at once.

Each month, on every path at once:

1. **Returns**: every holding moves by its class's price return (total return minus income).
2. **Income**: each holding pays its class's income yield in cash. In taxable accounts the
   income is counted by character (qualified dividends, tax-exempt interest, the rest
   ordinary) for the year's tax.
3. **New money**: the account's income plus 1/12 of its planned annual contribution
   (``household.contributions``, or ``contributions=``). In a month the policy checks (and
   every month for :class:`~toolkit.cadence.SeedRecommendation`) it goes to the household's
   underweight classes first; otherwise it buys the account's current mix. Directed money is
   location-aware: tax-advantaged accounts' money is placed first and fills the deficits of
   the least tax-efficient classes first (highest income yield x marginal rate on its
   character), taxable accounts' money the most tax-efficient first.
4. **Rebalancing**, when the policy acts, in the seed's order: (1) the cash flows above,
   (2) trades inside tax-advantaged accounts (tax-neutral), (3) sales in taxable accounts only
   if the household is still outside the policy's tolerance band, least tax first within each
   class (losses, then long-term gains, then short-term gains).
5. **Taxes**, every twelfth month and at the end: the year's realised gains and taxable
   income are taxed with the household's federal + NIIT + state computation
   (:func:`toolkit.cadence.taxes.liability_arrays`, the vectorised ``gains_tax``) as the
   difference with and without them, carryforwards carried path by path. The tax is paid from
   the taxable accounts pro rata (the gain that sale realises counts in the next year); a tax
   saving is added to them.

Simplifications (documented, deliberate):

- **Lots**: per taxable account and class, a long-term pool and 13 monthly short-term buckets
  (value and basis), so each dollar turns long-term in the right month; within a bucket the
  basis is pooled. Wash sales are not modelled (a loss sale is assumed replaced by a fund of
  another index, see the security master's ``replacements``).
- **Classes, not funds**: holdings are simulated by asset class (funds spanning classes are
  split by the security master's weights); an account can trade any class, except employer
  plans (401(k), 403(b), 457(b) and their Roth forms) and HSAs, which trade only the classes
  they hold at the start (their menu). Money never moves between accounts.
- **Tax years** are the simulated 12-month years from the household's ``as_of``, all taxed
  with the profile's year tables (no inflation indexing); the profile's income, deductions
  and qualified dividends recur every year as the baseline, its ``realized_*`` count in the
  first year only, its carryforwards start the first year. AMT is not modelled.
- **After tax** at the end: taxable accounts net of the tax on their net embedded gain at the
  household's marginal long-term rate (:func:`toolkit.tax.marginal_rates`), tax-deferred
  accounts net of ``future_ordinary_rate``, Roth and HSA accounts in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.cadence._engine import MIN_TRADE, Engine, Outcome
from toolkit.cadence._setup import Setup, build
from toolkit.cadence.returns import (
    AssetAssumptions,
    ReturnPaths,
    monte_carlo,
    returns_from_frame,
)
from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.tax.engine import profile_for
from toolkit.tax.gains import marginal_rates

__all__ = ["METRICS", "SimResult", "compare_policies", "compare_results", "simulate"]

#: Per-path metrics, in the order of :attr:`SimResult.summary`.
METRICS = {
    "avg_drift_pp": "mean over months of the worst class's absolute drift from target at "
                    "month end, percentage points",
    "worst_drift_pp": "largest month-end worst-class absolute drift, percentage points",
    "tracking_error_pp": "annualised standard deviation of the monthly return difference "
                         "from the always-on-target portfolio, percentage points",
    "rebalances": "months with rebalancing trades (tax-advantaged or taxable)",
    "taxable_sale_months": "months with rebalancing sales in taxable accounts",
    "taxable_sales": "rebalancing sales in taxable accounts, dollars",
    "turnover_pct": "rebalancing sales per year as a percentage of the average portfolio",
    "realized_short_term": "short-term gains realised (rebalancing and tax payments), dollars",
    "realized_long_term": "long-term gains realised (rebalancing and tax payments), dollars",
    "taxes": "tax on the portfolio's gains and taxable income over the horizon, dollars",
    "taxes_pv": "the same, discounted to today at discount_rate, dollars",
    "ending_pre_tax": "household portfolio value at the end, dollars",
    "ending_after_tax": "ending value after tax (see the module docstring), dollars",
}


@dataclass(frozen=True, eq=False)
class SimResult:
    """The outcome of :func:`simulate` for one policy.

    Attributes
    ----------
    label : str
        The policy's name.
    policy : object
        The policy simulated.
    per_path : DataFrame
        One row per path (index ``path``), one column per metric of :data:`METRICS`
        (``taxes_pv`` only with a ``discount_rate``).
    summary : DataFrame
        One row per metric, columns ``p5``, ``p50``, ``p95`` (percentiles across paths) and
        ``mean``.
    drift : DataFrame
        Index: month-end dates; columns ``p5``, ``p50``, ``p95``: percentiles across paths
        of the worst class's absolute drift at month end, percentage points (for charts).
    taxes : DataFrame
        Tax per path (rows) and simulated year (columns 1, 2, ...), dollars; negative = a
        saving.
    classes, accounts : list of str
        The simulated asset classes and accounts.
    warnings : list of str
        Simplifications that touched this household (missing bases, unclassified holdings).
    months : DataFrame or None
        With ``trace=True``: one row per path and month: ``path``, ``month`` (1, 2, ...),
        ``date``, ``drift_pp``, ``traded``, ``taxable_sold``, ``realized_short_term``,
        ``realized_long_term`` and ``wealth`` (dollars).
    holdings : DataFrame or None
        With ``trace=True``: one row per path, month, account and class: ``value`` at month
        end, ``invested`` (new money put in), ``bought`` and ``sold`` (rebalancing trades),
        dollars.
    """

    label: str
    policy: object
    per_path: pd.DataFrame
    summary: pd.DataFrame
    drift: pd.DataFrame
    taxes: pd.DataFrame
    classes: list[str]
    accounts: list[str]
    warnings: list[str] = field(default_factory=list)
    months: pd.DataFrame | None = field(default=None, repr=False)
    holdings: pd.DataFrame | None = field(default=None, repr=False)


def _spec(policy):
    if not hasattr(policy, "spec"):
        raise TypeError(f"{policy!r} is not a rebalancing policy (Calendar, Threshold, Hybrid, "
                        "Opportunistic, SeedRecommendation)")
    return policy.spec()


def _paths(setup: Setup, returns, income, assumptions, years: int, paths: int,
           seed: int) -> ReturnPaths:
    if isinstance(returns, ReturnPaths):
        return returns.select(setup.classes)
    if isinstance(returns, pd.DataFrame):
        return returns_from_frame(returns, income=income,
                                  assumptions=assumptions).select(setup.classes)
    if returns is not None:
        raise TypeError("returns must be None (Monte Carlo), a DataFrame of monthly returns or "
                        "a ReturnPaths")
    a = (assumptions or AssetAssumptions.default()).subset(setup.classes)
    return monte_carlo(a, years=years, paths=paths, seed=seed)


def _dates(start: pd.Timestamp, rp: ReturnPaths) -> pd.DatetimeIndex:
    if rp.dates is not None and len(rp.dates) == rp.months:
        return rp.dates.rename("date")
    return pd.DatetimeIndex([start + pd.DateOffset(months=k) for k in range(1, rp.months + 1)],
                            name="date")


def _future_rate(household: Household, setup: Setup, rate: float | None) -> float:
    r = household.profile.future_ordinary_rate if rate is None else rate
    needs = bool(((setup.value.sum(1) > 0) | (setup.contributions > 0))[setup.deferred].any())
    if r is None:
        if needs:
            raise PlanningError("the after-tax ending wealth needs a future ordinary rate for "
                                "the tax-deferred accounts: pass future_ordinary_rate= or set "
                                "future_ordinary_rate in [household]")
        return 0.0
    if not 0 <= r < 1:
        raise PlanningError(f"future_ordinary_rate {r!r} must be a fraction in [0, 1)")
    return float(r)


def _metrics(setup: Setup, out: Outcome, months: int, *, lt_rate: float, fut: float,
             discount_rate: float | None) -> pd.DataFrame:
    T = months
    P = out.drift.shape[0]
    d = {}
    d["avg_drift_pp"] = out.drift.mean(1)
    d["worst_drift_pp"] = out.drift.max(1)
    d["tracking_error_pp"] = (out.diff.std(1, ddof=1) * np.sqrt(12.0) * 100.0 if T > 1
                              else np.zeros(P))
    d["rebalances"] = (out.traded > MIN_TRADE).sum(1)
    d["taxable_sale_months"] = (out.taxable_sold > MIN_TRADE).sum(1)
    d["taxable_sales"] = out.taxable_sold.sum(1)
    avg = out.wealth.mean(1)
    d["turnover_pct"] = np.divide(out.traded.sum(1), avg, out=np.zeros(P),
                                  where=avg > 0) / (T / 12.0) * 100.0
    d["realized_short_term"] = out.realized_st.sum(1)
    d["realized_long_term"] = out.realized_lt.sum(1)
    d["taxes"] = out.taxes.sum(1)
    if discount_rate is not None:
        ends = np.minimum(12 * (np.arange(out.taxes.shape[1]) + 1), T) / 12.0
        d["taxes_pv"] = (out.taxes / (1.0 + discount_rate) ** ends).sum(1)
    d["ending_pre_tax"] = out.wealth[:, -1]
    acct = out.value.sum(2)                                     # (P, A)
    after = np.where(setup.deferred[None], acct * (1.0 - fut), acct)
    if len(setup.taxable):
        gain = (out.bucket_value - out.bucket_basis).sum(axis=(2, 3))   # (P, K)
        after[:, setup.taxable] = acct[:, setup.taxable] - lt_rate * np.clip(gain, 0.0, None)
    d["ending_after_tax"] = after.sum(1)
    return pd.DataFrame(d, index=pd.RangeIndex(P, name="path"))


def _summary(per_path: pd.DataFrame, percentiles: Sequence[float]) -> pd.DataFrame:
    q = per_path.quantile([p / 100.0 for p in percentiles])
    out = q.T
    out.columns = [f"p{p:g}" for p in percentiles]
    out["mean"] = per_path.mean()
    out.index.name = "metric"
    return out


def simulate(household: Household, policy, *, returns=None, income=None,
             assumptions: AssetAssumptions | None = None, years: int = 30, paths: int = 1000,
             seed: int = 0, contributions: Mapping[str, float] | None = None,
             unclassified: str | None = None, future_ordinary_rate: float | None = None,
             discount_rate: float | None = None, percentiles: Sequence[float] = (5, 50, 95),
             trace: bool = False, progress: bool = True) -> SimResult:
    """Run a rebalancing policy for this household over many years and return paths.

    Parameters
    ----------
    household : Household
        Accounts, positions, lots (for the taxable accounts' basis and holding periods),
        targets, tax profile and planned contributions.
        Tax is priced on its year-to-date profile (:func:`toolkit.tax.profile_for`).
    policy : Calendar, Threshold, Hybrid, Opportunistic or SeedRecommendation
    returns : None, DataFrame or ReturnPaths, optional
        None: seeded Monte Carlo (:func:`~toolkit.cadence.monte_carlo` with ``assumptions``,
        ``years``, ``paths``, ``seed``). A DataFrame: one path of monthly total returns per
        class (see :func:`~toolkit.cadence.returns_from_frame`; ``years`` and ``paths`` are
        then ignored). A ReturnPaths: used as given (to share paths between policies).
    income : None, float, mapping or DataFrame, optional
        With a DataFrame of returns: the income part (see ``returns_from_frame``).
    assumptions : AssetAssumptions, optional
        Return and income assumptions; default :meth:`AssetAssumptions.default`.
    years : int, default 30
    paths : int, default 1000
    seed : int, default 0
    contributions : mapping, optional
        Account id -> planned contribution, dollars per year (default the household's
        ``[contributions]``, read as dollars per year); 1/12 is added each month.
    unclassified : str, optional
        Asset class whose returns holdings the security master does not know follow; needed
        when there are such holdings.
    future_ordinary_rate : float, optional
        Rate on tax-deferred money for the after-tax ending wealth (default the profile's).
    discount_rate : float, optional
        Annual rate to discount taxes to today (adds ``taxes_pv``).
    percentiles : sequence of float, default (5, 50, 95)
        Percentiles across paths in :attr:`SimResult.summary`.
    trace : bool, default False
        Keep month-by-month detail (:attr:`SimResult.months`, :attr:`SimResult.holdings`);
        for small runs.
    progress : bool, default True
        Show a tqdm progress bar over months.

    Returns
    -------
    SimResult

    Raises
    ------
    PlanningError
        If a class has no returns, holdings are unclassified and ``unclassified`` is not
        given, a contribution names an unknown account, or the after-tax view needs a future
        ordinary rate that is not set.
    TaxTableError
        If there is no tax table for the profile's year or filing status.
    """
    spec = _spec(policy)
    setup = build(household, unclassified=unclassified, contributions=contributions)
    rp = _paths(setup, returns, income, assumptions, years, paths, seed)
    fut = _future_rate(household, setup, future_ordinary_rate)
    profile = profile_for(household)  # the year-to-date profile: year 1 stacks on this year's sales
    lt_rate = marginal_rates(profile)["long_term"]
    out = Engine(setup, spec, rp, profile, trace=trace).run(
        progress=progress, desc=spec.label)
    dates = _dates(setup.start, rp)
    per_path = _metrics(setup, out, rp.months, lt_rate=lt_rate, fut=fut,
                        discount_rate=discount_rate)
    pct = np.percentile(out.drift, list(percentiles), axis=0).T
    drift = pd.DataFrame(pct, index=dates, columns=[f"p{p:g}" for p in percentiles])
    taxes = pd.DataFrame(out.taxes, index=per_path.index,
                         columns=pd.RangeIndex(1, out.taxes.shape[1] + 1, name="year"))
    warnings = list(setup.warnings)
    if (out.taxes_outside > 0.005).any():
        warnings.append(f"on {(out.taxes_outside > 0.005).sum()} path(s) the taxable accounts "
                        "could not pay the tax; the rest was paid from outside the portfolio")
    months = holdings = None
    if trace:
        months, holdings = _trace_frames(setup, out, dates)
    return SimResult(spec.label, policy, per_path, _summary(per_path, percentiles), drift, taxes,
                     list(setup.classes), list(setup.accounts), warnings, months, holdings)


def _trace_frames(setup: Setup, out: Outcome, dates: pd.DatetimeIndex):
    P, T = out.drift.shape
    path, month = np.meshgrid(np.arange(P), np.arange(1, T + 1), indexing="ij")
    months = pd.DataFrame({
        "path": path.ravel(), "month": month.ravel(),
        "date": np.tile(dates.to_numpy(), P),
        "drift_pp": out.drift.ravel(), "traded": out.traded.ravel(),
        "taxable_sold": out.taxable_sold.ravel(),
        "realized_short_term": out.realized_st.ravel(),
        "realized_long_term": out.realized_lt.ravel(), "wealth": out.wealth.ravel()})
    idx = pd.MultiIndex.from_product(
        [range(P), range(1, T + 1), setup.accounts, setup.classes],
        names=["path", "month", "account", "asset_class"])
    tr = out.trace
    holdings = pd.DataFrame({k: tr[k].reshape(-1) for k in ("value", "invested", "bought",
                                                             "sold")},
                            index=idx).reset_index()
    holdings["account"] = holdings["account"].astype("str")
    holdings["asset_class"] = holdings["asset_class"].astype("str")
    return months, holdings


def compare_policies(household: Household, policies: Sequence, *, returns=None, income=None,
                     assumptions: AssetAssumptions | None = None, years: int = 30,
                     paths: int = 1000, seed: int = 0,
                     percentiles: Sequence[float] = (5, 50, 95), progress: bool = True,
                     **kwargs) -> pd.DataFrame:
    """Simulate several policies on the same return paths and tabulate their metrics.

    Parameters
    ----------
    household : Household
        Tax is priced on its year-to-date profile (:func:`toolkit.tax.profile_for`).
    policies : sequence of policies
    returns, income, assumptions, years, paths, seed
        As :func:`simulate`; the paths are drawn once and shared by every policy.
    percentiles : sequence of float, default (5, 50, 95)
    progress : bool, default True
    **kwargs
        Passed to :func:`simulate` (``contributions``, ``unclassified``,
        ``future_ordinary_rate``, ``discount_rate``).

    Returns
    -------
    DataFrame
        One row per policy (index ``policy``: the policy's label, numbered if repeated);
        columns ``<metric>_p<percentile>`` for every metric of :data:`METRICS` (in that
        order) and percentile, e.g. ``taxes_p50``.
    """
    if not policies:
        raise PlanningError("no policies to compare")
    for p in policies:
        _spec(p)
    setup = build(household, unclassified=kwargs.get("unclassified"),
                  contributions=kwargs.get("contributions"))
    rp = _paths(setup, returns, income, assumptions, years, paths, seed)
    return compare_results([simulate(household, p, returns=rp, assumptions=assumptions,
                                     percentiles=percentiles, progress=progress, **kwargs)
                            for p in policies])


def compare_results(results: Sequence[SimResult]) -> pd.DataFrame:
    """Tabulate simulated policies side by side (the table of :func:`compare_policies`).

    For callers that keep each :class:`SimResult` (its drift paths and yearly taxes) and want
    the comparison table too, without simulating twice. Compare results run on the same
    return paths (a shared ``ReturnPaths``, or the same ``seed``, ``years`` and ``paths``).

    Parameters
    ----------
    results : sequence of SimResult

    Returns
    -------
    DataFrame
        One row per result (index ``policy``: its label, numbered ``#2``, ``#3`` if
        repeated); columns ``<metric>_p<percentile>`` for every metric of :data:`METRICS`
        and percentile of the results' summaries.
    """
    if not results:
        raise PlanningError("no results to compare")
    rows, labels = [], []
    for r in results:
        label, n = r.label, 2
        while label in labels:
            label, n = f"{r.label} #{n}", n + 1
        labels.append(label)
        s = r.summary.drop(columns="mean")
        rows.append({f"{m}_{c}": s.loc[m, c] for m in s.index for c in s.columns})
    return pd.DataFrame(rows, index=pd.Index(labels, name="policy", dtype="str"))
