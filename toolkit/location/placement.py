"""The best placement of each class's dollars into treatments: a linear programme.

:func:`optimal_placement` places each class's dollars into treatments (taxable, tax-deferred,
tax-free) whose totals are the household's dollars in each, to minimise the yearly drag (scipy's
HiGHS); ties are broken towards higher expected growth in tax-free accounts and then towards
the current placement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from toolkit.errors import PlanningError
from toolkit.schema import TaxTreatment

__all__ = ["Placement", "optimal_placement"]

#: Reduced costs above this (relative to the largest) fix a variable at zero between stages.
_REDUCED_COST_TOL = 1e-9
_FREE = TaxTreatment.TAX_FREE.value

@dataclass(frozen=True)
class Placement:
    """The best placement of each class's dollars into treatments.

    Attributes
    ----------
    dollars : DataFrame
        Class (index ``asset_class``) x treatment (columns) dollars.
    drag : float
        Yearly drag of ``dollars`` at ``rates``, dollars.
    current_drag : float or None
        Yearly drag of the current placement at ``rates`` (None when not given).
    rates : DataFrame
        Drag per dollar per year of each class in each treatment, fractions.
    status : str
        HiGHS' message for the last stage solved, and any stage that failed.
    """

    dollars: pd.DataFrame
    drag: float
    current_drag: float | None
    rates: pd.DataFrame
    status: str

    @property
    def saving(self) -> float | None:
        """Current drag minus best drag, dollars a year (None without a current placement)."""
        if self.current_drag is None:
            return None
        return round(self.current_drag - self.drag, 2) + 0.0


def optimal_placement(values: pd.Series, capacity: pd.Series, rates: pd.DataFrame, *,
                      growth: Mapping[str, float] | pd.Series | None = None,
                      current: pd.DataFrame | None = None) -> Placement:
    """Place each class's dollars into treatments to minimise the yearly tax drag.

    A linear programme solved with HiGHS (``scipy.optimize.linprog(method="highs")``) over
    ``x[c, t]`` >= 0, the dollars of class ``c`` in treatment ``t``, with each class's total
    and each treatment's total fixed. Solved lexicographically:

    1. minimise the drag ``sum rates[c, t] x[c, t]``;
    2. among the drag-optimal placements, maximise the growth rank held in ``tax_free``
       (``sum growth[c] x[c, "tax_free"]``), when ``growth`` is given;
    3. among those, move as few dollars as possible from ``current``, when given.

    Parameters
    ----------
    values : Series
        Dollars per class (index: class), non-negative.
    capacity : Series
        Dollars per treatment (index: treatment); must sum to ``values``' total (to the
        cent).
    rates : DataFrame
        Drag per dollar per year, class (index) x treatment (columns); missing cells are 0.
    growth : mapping or Series, optional
        Expected-growth rank per class (e.g. :data:`GROWTH_RANK`); missing classes rank 0.
    current : DataFrame, optional
        Current dollars, class x treatment, for the last tie-break and ``current_drag``.

    Returns
    -------
    Placement

    Raises
    ------
    PlanningError
        If a value or capacity is negative or not finite, the totals differ by more than a
        cent, or HiGHS finds no solution.

    Examples
    --------
    >>> import pandas as pd
    >>> p = optimal_placement(pd.Series({"bonds": 100.0, "us_equity": 100.0}),
    ...                       pd.Series({"taxable": 100.0, "tax_deferred": 100.0}),
    ...                       pd.DataFrame({"taxable": [0.01, 0.002], "tax_deferred": 0.0},
    ...                                    index=["bonds", "us_equity"]))
    >>> float(p.dollars.loc["us_equity", "taxable"]), round(p.drag, 2)
    (100.0, 0.2)
    """
    classes = [str(c) for c in values.index]
    treats = [str(t) for t in capacity.index]
    v = values.astype("float64").to_numpy()
    k = capacity.astype("float64").to_numpy()
    if not (np.isfinite(v).all() and np.isfinite(k).all()) or (v < 0).any() or (k < 0).any():
        raise PlanningError("class values and treatment capacities must be finite, "
                            "non-negative dollars")
    if abs(v.sum() - k.sum()) > 0.01:
        raise PlanningError(f"class values total ${v.sum():,.2f} but treatment capacities "
                            f"total ${k.sum():,.2f}; they must be equal")
    nc, nt = len(classes), len(treats)
    rt = rates.reindex(index=classes, columns=treats).fillna(0.0).to_numpy(dtype="float64")
    x0 = None
    if current is not None:
        x0 = current.reindex(index=classes, columns=treats).fillna(0.0).to_numpy(
            dtype="float64")
    n = nc * nt
    if n == 0:
        empty = pd.DataFrame(index=pd.Index(classes, name="asset_class"), columns=treats,
                             dtype="float64")
        return Placement(empty, 0.0, 0.0 if x0 is not None else None,
                         pd.DataFrame(rt, index=classes, columns=treats), "nothing to place")
    a_eq = np.zeros((nc + nt - 1, n))
    for i in range(nc):
        a_eq[i, i * nt:(i + 1) * nt] = 1.0
    for j in range(nt - 1):  # the last treatment row is implied by the totals
        a_eq[nc + j, j::nt] = 1.0
    b_eq = np.concatenate([v, k[:-1]])
    # Each stage keeps the previous stage's optimal face exactly: a variable whose reduced
    # cost is positive is zero in every optimal solution (complementary slackness), so it is
    # fixed at zero for the next stage.
    upper = np.full(n, np.inf)

    def solve(c, extra: int = 0, a_ub=None, b_ub=None):
        a = a_eq if not extra else np.hstack([a_eq, np.zeros((a_eq.shape[0], extra))])
        bounds = [(0.0, None if np.isinf(u) else u) for u in upper] + [(0.0, None)] * extra
        return linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a, b_eq=b_eq, bounds=bounds,
                       method="highs")

    def fix(res) -> None:
        scale = max(1.0, float(np.max(np.abs(res.lower.marginals[:n]))))
        upper[res.lower.marginals[:n] > _REDUCED_COST_TOL * scale] = 0.0

    # the drag objective is scaled so its largest rate is 1: rate differences far below
    # HiGHS' optimality tolerance (1e-7) in dollars per dollar still decide the placement
    cmax = float(np.max(np.abs(rt))) if rt.size else 0.0
    res = solve(rt.ravel() / cmax if cmax > 0 else rt.ravel())
    if res.status != 0:
        raise PlanningError(f"optimal_placement: HiGHS found no placement ({res.message})")
    x = res.x
    status = [f"drag: {res.message}"]
    if growth is not None and _FREE in treats:
        rank = growth.astype("float64") if isinstance(growth, pd.Series) else \
            pd.Series(dict(growth), dtype="float64")
        g = np.zeros(n)
        jf = treats.index(_FREE)
        for i, c in enumerate(classes):
            g[i * nt + jf] = float(rank.get(c, 0.0))
        if np.any(g):
            fix(res)
            res = solve(-g)
            if res.status == 0:
                x = res.x
                status.append(f"growth tie-break: {res.message}")
            else:
                status.append(f"growth tie-break failed ({res.message}); drag-optimal kept")
    if x0 is not None and res.status == 0:
        # minimise sum u with u >= x0 - x: the dollars moved out of each cell
        fix(res)
        a_ub = np.hstack([-np.eye(n), -np.eye(n)])
        r3 = solve(np.concatenate([np.zeros(n), np.ones(n)]), n, a_ub, -x0.ravel())
        if r3.status == 0:
            x = r3.x[:n]
            status.append(f"fewest moves tie-break: {r3.message}")
        else:
            status.append(f"fewest moves tie-break failed ({r3.message})")
    xs = x.reshape(nc, nt)
    xs[np.abs(xs) < 0.005] = 0.0
    dollars = pd.DataFrame(xs, index=pd.Index(classes, name="asset_class"), columns=treats)
    drag = float((rt * xs).sum())
    cur = None if x0 is None else float((rt * x0).sum())
    return Placement(dollars=dollars, drag=drag, current_drag=cur,
                     rates=pd.DataFrame(rt, index=pd.Index(classes, name="asset_class"),
                                        columns=treats),
                     status="; ".join(status))

