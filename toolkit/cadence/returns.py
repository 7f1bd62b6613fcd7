"""Monthly returns per asset class for the simulator: the user's own, or seeded Monte Carlo.

:class:`AssetAssumptions` holds per-class expected return, volatility, correlation and the
income yield with its tax character (qualified dividends, tax-exempt interest, the rest
ordinary). :meth:`AssetAssumptions.default` reads the sourced defaults bundled in
``toolkit/data/asset_assumptions.csv`` and ``asset_correlations.csv`` (sources and proxies in
``asset_assumptions.md``: Vanguard's April 2025 VCMM return ranges and volatilities,
J.P. Morgan's 2024 LTCMA correlations, the security master's fund yields).

:func:`monte_carlo` draws correlated lognormal monthly returns for many paths at once (no
Python loop over paths): monthly log returns are normal with mean ``log(1 + r) / 12`` and
covariance ``diag(s) C diag(s) / 12``, where ``r`` is the expected (median) annual compound
return, ``s`` the annual volatility of log returns and ``C`` the correlation matrix. So the
median annualised return over any horizon is ``r`` and the annualised standard deviation and
correlations of log returns are ``s`` and ``C``.

:func:`returns_from_frame` turns a user's DataFrame of monthly total returns (index monthly
dates, one column per class, simple returns as fractions) into a one-path
:class:`ReturnPaths`, with the income part of each month's return from the assumptions'
yields, a mapping of yields, or a second DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError

__all__ = ["AssetAssumptions", "ReturnPaths", "monte_carlo", "returns_from_frame"]

_COLUMNS = ("expected_return", "volatility", "income_yield", "qualified_fraction",
            "tax_exempt_fraction")


@cache
def _default_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    base = resources.files("toolkit") / "data"
    with (base / "asset_assumptions.csv").open("rb") as f:
        table = pd.read_csv(f, index_col="asset_class")
    with (base / "asset_correlations.csv").open("rb") as f:
        corr = pd.read_csv(f, index_col="asset_class")
    return table, corr


@dataclass(frozen=True, eq=False)
class AssetAssumptions:
    """Long-term assumptions per asset class.

    Parameters
    ----------
    table : DataFrame
        Indexed by asset class, with float columns ``expected_return`` (median annual
        compound total return, fraction), ``volatility`` (annualised standard deviation of log
        returns, fraction), ``income_yield`` (income paid per year, fraction of value: the
        rest of the return is price change), ``qualified_fraction`` and
        ``tax_exempt_fraction`` (shares of the income; the remainder is ordinary income);
        other columns (sources) are kept. No NaN.
    correlation : DataFrame
        Correlation of monthly log returns between the classes (same labels as ``table``,
        symmetric, unit diagonal, positive semi-definite).
    source : str
        Where the figures come from.

    Raises
    ------
    PlanningError
        If a column is missing, a value is out of range or NaN, or the correlation matrix is
        not a valid correlation matrix for the classes.
    """

    table: pd.DataFrame
    correlation: pd.DataFrame
    source: str = ""
    _chol: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        t, c = self.table, self.correlation
        missing = [k for k in _COLUMNS if k not in t.columns]
        if missing:
            raise PlanningError(f"asset assumptions lack column(s) {missing}")
        vals = t[list(_COLUMNS)].astype("float64")
        if vals.isna().any().any():
            raise PlanningError("asset assumptions have missing values: "
                                f"{vals[vals.isna().any(axis=1)].index.tolist()}")
        if (vals["expected_return"] <= -1).any() or (vals["volatility"] < 0).any():
            raise PlanningError("expected returns must be above -100% and volatilities >= 0")
        if ((vals["income_yield"] < 0) | (vals["income_yield"] >= 1)).any():
            raise PlanningError("income yields must be fractions in [0, 1)")
        frac = vals[["qualified_fraction", "tax_exempt_fraction"]]
        if ((frac < 0) | (frac > 1)).any().any() or (frac.sum(axis=1) > 1 + 1e-12).any():
            raise PlanningError("qualified_fraction and tax_exempt_fraction must be fractions "
                                "summing to at most 1")
        labels = list(t.index)
        if set(c.index) != set(labels) or set(c.columns) != set(labels):
            raise PlanningError(f"the correlation matrix must cover exactly the classes "
                                f"{labels}; it has {list(c.index)}")
        m = c.loc[labels, labels].to_numpy(dtype="float64")
        if not np.allclose(m, m.T, atol=1e-12) or not np.allclose(np.diag(m), 1.0):
            raise PlanningError("the correlation matrix must be symmetric with a unit diagonal")
        if np.any(np.abs(m) > 1 + 1e-12):
            raise PlanningError("correlations must lie in [-1, 1]")
        w, v = np.linalg.eigh(m)
        if w.min() < -1e-10:
            raise PlanningError(f"the correlation matrix is not positive semi-definite "
                                f"(smallest eigenvalue {w.min():.3g})")
        object.__setattr__(self, "table", t.copy())
        object.__setattr__(self, "correlation", c.loc[labels, labels].astype("float64"))
        object.__setattr__(self, "_chol", v * np.sqrt(np.clip(w, 0.0, None)))

    @classmethod
    def default(cls) -> AssetAssumptions:
        """The bundled, sourced defaults (see ``toolkit/data/asset_assumptions.md``).

        Returns
        -------
        AssetAssumptions
            Classes ``us_equity``, ``intl_equity``, ``bonds``, ``muni_bonds``, ``reits``,
            ``cash``.
        """
        table, corr = _default_frames()
        return cls(table, corr, source="toolkit/data/asset_assumptions.md: Vanguard VCMM "
                                       "(April 30, 2025), J.P. Morgan LTCMA 2024 correlations")

    @classmethod
    def from_values(cls, expected_return: Mapping[str, float], volatility: Mapping[str, float],
                    correlation: pd.DataFrame | np.ndarray, *,
                    income_yield: Mapping[str, float] | None = None,
                    qualified_fraction: Mapping[str, float] | None = None,
                    tax_exempt_fraction: Mapping[str, float] | None = None,
                    source: str = "user") -> AssetAssumptions:
        """Assumptions from plain mappings (class -> value), e.g. your firm's own figures.

        Parameters
        ----------
        expected_return, volatility : mapping
            Class -> median annual compound return and annual log-return volatility
            (fractions); their keys define the classes, in order.
        correlation : DataFrame or ndarray
            Labelled frame, or a square array in the order of ``expected_return``.
        income_yield, qualified_fraction, tax_exempt_fraction : mapping, optional
            Per class; missing classes get 0.
        source : str

        Returns
        -------
        AssetAssumptions
        """
        classes = list(expected_return)
        table = pd.DataFrame(index=pd.Index(classes, name="asset_class"))
        table["expected_return"] = [float(expected_return[k]) for k in classes]
        table["volatility"] = [float(volatility[k]) for k in classes]
        for name, m in (("income_yield", income_yield),
                        ("qualified_fraction", qualified_fraction),
                        ("tax_exempt_fraction", tax_exempt_fraction)):
            table[name] = [float((m or {}).get(k, 0.0)) for k in classes]
        if not isinstance(correlation, pd.DataFrame):
            correlation = pd.DataFrame(np.asarray(correlation, dtype="float64"),
                                       index=classes, columns=classes)
        return cls(table, correlation, source=source)

    @property
    def classes(self) -> list[str]:
        """The asset classes covered, in order."""
        return list(self.table.index)

    def subset(self, classes) -> AssetAssumptions:
        """The assumptions for some classes only, in the order given.

        Raises
        ------
        PlanningError
            If a class has no assumptions; the message names it and the fix.
        """
        classes = list(classes)
        missing = [c for c in classes if c not in self.table.index]
        if missing:
            raise PlanningError(
                f"no return assumptions for asset class(es) {missing} (have "
                f"{self.classes}); pass assumptions=AssetAssumptions.from_values(...) covering "
                "them, or returns= with a column for each")
        return AssetAssumptions(self.table.loc[classes], self.correlation.loc[classes, classes],
                                source=self.source)


@dataclass(frozen=True, eq=False)
class ReturnPaths:
    """Monthly returns per path, month and class, with the income split and its character.

    Attributes
    ----------
    classes : tuple of str
        Asset classes, the last axis.
    total : ndarray, shape (paths, months, classes)
        Monthly total simple returns (fractions), income included.
    income : ndarray, broadcastable to ``total``
        The income part of each month's return, paid as cash (fraction of the value at the
        start of the month); the price part is ``total - income``.
    qualified_fraction, tax_exempt_fraction : ndarray, shape (classes,)
        Shares of the income that are qualified dividends and tax-exempt interest; the
        rest is ordinary income.
    dates : DatetimeIndex or None
        Month labels, if known.
    """

    classes: tuple[str, ...]
    total: np.ndarray
    income: np.ndarray
    qualified_fraction: np.ndarray
    tax_exempt_fraction: np.ndarray
    dates: pd.DatetimeIndex | None = None

    @property
    def paths(self) -> int:
        """Number of paths."""
        return self.total.shape[0]

    @property
    def months(self) -> int:
        """Number of months."""
        return self.total.shape[1]

    def select(self, classes) -> ReturnPaths:
        """The returns of some classes, in the order given.

        Raises
        ------
        PlanningError
            If a class is not among :attr:`classes`.
        """
        classes = list(classes)
        missing = [c for c in classes if c not in self.classes]
        if missing:
            raise PlanningError(f"the returns have no column for asset class(es) {missing} "
                                f"(they cover {list(self.classes)})")
        idx = [self.classes.index(c) for c in classes]
        return ReturnPaths(tuple(classes), self.total[..., idx], self.income[..., idx],
                           self.qualified_fraction[idx], self.tax_exempt_fraction[idx],
                           self.dates)


def monte_carlo(assumptions: AssetAssumptions | None = None, years: int = 30,
                paths: int = 1000, seed: int = 0) -> ReturnPaths:
    """Seeded correlated lognormal monthly returns for every class, all paths at once.

    Parameters
    ----------
    assumptions : AssetAssumptions, optional
        Default :meth:`AssetAssumptions.default`.
    years : int, default 30
        Horizon; ``12 * years`` months.
    paths : int, default 1000
        Number of independent paths.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same paths.

    Returns
    -------
    ReturnPaths
        ``total`` of shape (paths, 12 * years, classes); ``income`` the annual income yield
        / 12 each month (constant).

    Examples
    --------
    >>> r = monte_carlo(years=1, paths=2, seed=1)
    >>> r.total.shape
    (2, 12, 6)
    """
    a = assumptions or AssetAssumptions.default()
    if years < 1 or paths < 1:
        raise PlanningError("years and paths must be at least 1")
    t = a.table.astype({k: "float64" for k in _COLUMNS})
    months = 12 * int(years)
    mu = np.log1p(t["expected_return"].to_numpy()) / 12.0
    sd = t["volatility"].to_numpy() / np.sqrt(12.0)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(paths), months, len(t)))
    # correlated normals: z @ L.T with L L^T = C (eigen square root, valid for PSD C)
    log_r = mu + (z @ a._chol.T) * sd
    np.expm1(log_r, out=log_r)
    income = (t["income_yield"].to_numpy() / 12.0)[None, None, :]
    return ReturnPaths(tuple(t.index), log_r, income, t["qualified_fraction"].to_numpy(),
                       t["tax_exempt_fraction"].to_numpy())


def returns_from_frame(returns: pd.DataFrame, *, income=None,
                       assumptions: AssetAssumptions | None = None) -> ReturnPaths:
    """One path of user-given monthly total returns.

    Parameters
    ----------
    returns : DataFrame
        Index: monthly dates (or any labels), one row per month, in order; columns: asset
        classes; values: simple total returns as fractions (0.01 = 1%). No NaN.
    income : None, float, mapping or DataFrame, optional
        The income part of the total return. None: each class's ``income_yield`` / 12 from
        ``assumptions`` (0 for a class it lacks); a float or mapping class -> float: annual
        yields (/ 12 per month); a DataFrame shaped like ``returns``: monthly income returns.
    assumptions : AssetAssumptions, optional
        For the income yields (when ``income`` is None) and the qualified / tax-exempt
        shares of income; default :meth:`AssetAssumptions.default`.

    Returns
    -------
    ReturnPaths
        One path.

    Raises
    ------
    PlanningError
        If the frame is empty, has NaN, or a return is -100% or below.
    """
    if not isinstance(returns, pd.DataFrame) or returns.empty:
        raise PlanningError("returns must be a non-empty DataFrame: one row per month, one "
                            "column per asset class")
    r = returns.astype("float64")
    if r.isna().any().any():
        raise PlanningError("returns have missing values; fill or drop those months")
    if (r <= -1).any().any():
        raise PlanningError("a monthly return of -100% or below is not possible")
    a = assumptions or AssetAssumptions.default()
    classes = [str(c) for c in r.columns]
    tab = a.table.reindex(classes)
    if income is None:
        inc = (tab["income_yield"].fillna(0.0).to_numpy() / 12.0)[None, None, :]
    elif isinstance(income, pd.DataFrame):
        inc = income.reindex(index=r.index, columns=r.columns).fillna(0.0).to_numpy(
            dtype="float64")[None]
    elif isinstance(income, Mapping):
        inc = (np.array([float(income.get(c, 0.0)) for c in classes]) / 12.0)[None, None, :]
    else:
        inc = np.full((1, 1, len(classes)), float(income) / 12.0)
    dates = pd.DatetimeIndex(r.index) if isinstance(r.index, pd.DatetimeIndex) else None
    return ReturnPaths(tuple(classes), r.to_numpy()[None], np.asarray(inc, dtype="float64"),
                       tab["qualified_fraction"].fillna(0.0).to_numpy(),
                       tab["tax_exempt_fraction"].fillna(0.0).to_numpy(), dates)
