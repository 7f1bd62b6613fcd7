"""The tax engine as a few straight lines, for the optimiser.

:func:`tax_curves` turns the household's exact year computation (:mod:`toolkit.tax.gains`)
into what a linear program can use:

- ``short_term`` and ``long_term``: the tax on a net short- (long-) term gain of ``x`` dollars
  for the year, as a piecewise-linear function of ``x >= 0`` (the other character at zero),
  found by evaluating the exact computation at every point where a rate can change (ordinary
  bracket edges, the 0%/15% long-term ceilings, the NIIT threshold, measured from the
  household's taxable income and MAGI) and bisecting any interval that is still not straight
  (the QDCGT worksheet's line 25 minimum, qualified dividends pushed up a bracket). The slopes
  are then made non-decreasing (a running maximum), so each curve is convex and never below
  the exact one: the program may overstate, never understate, the tax of a sale along one
  character.
- ``deduction_rate``: what each dollar of the net capital loss deducted against ordinary
  income (up to the $3,000 / $1,500 limit, IRC §1211(b)) saves this year: the exact saving of
  the full limit divided by the limit.

The curves start from the household's income with no capital gains of the year; the gains
already realised this year and the carryforwards enter the optimiser's netting as constants
(:mod:`toolkit.planner.optimize`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from toolkit.household import TaxProfile
from toolkit.tax.engine import liability_parts, tax_inputs

_TOL = 1e-6
_MAX_POINTS = 80


@dataclass(frozen=True)
class Curve:
    """A convex piecewise-linear tax curve on ``[0, inf)``.

    Attributes
    ----------
    lengths : ndarray
        Dollar length of each segment; the last is ``inf``.
    slopes : ndarray
        Tax per dollar on each segment (fractions), non-decreasing.
    exact_slopes : ndarray
        The slopes before they were made non-decreasing (equal where the exact curve is
        already convex).
    """

    lengths: np.ndarray
    slopes: np.ndarray
    exact_slopes: np.ndarray

    def __call__(self, x: float) -> float:
        """Tax of a net gain of ``x >= 0`` dollars on the curve (0 at 0)."""
        left, out = float(x), 0.0
        for n, s in zip(self.lengths, self.slopes, strict=True):
            take = min(left, n)
            out += take * s
            left -= take
            if left <= 0:
                break
        return out


@dataclass(frozen=True)
class TaxCurves:
    """The optimiser's view of the year's tax (see the module docstring).

    Attributes
    ----------
    short_term, long_term : Curve
    deduction_rate : float
        Saving per dollar of net capital loss deducted, fraction.
    loss_limit : float
        The year's capital loss limit against ordinary income, dollars.
    """

    short_term: Curve
    long_term: Curve
    deduction_rate: float
    loss_limit: float


def _total(inp, st: float, lt: float) -> float:
    r = liability_parts(inp, st, lt)
    return r["federal"] + r["niit"] + r["state"]


def _candidates(inp) -> list[float]:
    """Gain amounts where a rate may change, measured from the household's own income."""
    t = inp.t
    ti0 = inp.ordinary + inp.qd
    edges = [lo for lo, _, _ in t.brackets] + [t.ltcg_zero_max, t.ltcg_fifteen_max]
    out = []
    for x in edges:
        out += [x - ti0, x - inp.ordinary]
    out.append(t.niit_threshold - (inp.ordinary + inp.deductions + inp.qd))
    return out


def _curve(f, hi: float, candidates: list[float]) -> Curve:
    hi = max(hi, 1.0)
    pts = sorted({0.0, hi} | {float(c) for c in candidates if 0.0 < c < hi})
    vals = {x: f(x) for x in pts}

    def straight(a: float, b: float) -> bool:
        m = 0.5 * (a + b)
        vals.setdefault(m, f(m))
        return abs(vals[m] - 0.5 * (vals[a] + vals[b])) <= _TOL * max(1.0, abs(vals[m]))

    work = list(zip(pts[:-1], pts[1:], strict=True))
    while work and len(vals) < _MAX_POINTS:
        a, b = work.pop()
        if b - a < 0.02 or straight(a, b):
            continue
        d = min(0.01, (b - a) / 8)
        s_left = (f(a + d) - vals[a]) / d
        s_right = (vals[b] - f(b - d)) / d
        if abs(s_left - s_right) < 1e-9:
            k = 0.5 * (a + b)
        else:
            k = (vals[b] - vals[a] + s_left * a - s_right * b) / (s_left - s_right)
            if not a + 0.01 < k < b - 0.01:
                k = 0.5 * (a + b)
        vals[k] = f(k)
        pts.append(k)
        work += [(a, k), (k, b)]
    xs = np.array(sorted(set(pts)))
    ys = np.array([vals[x] if x in vals else f(x) for x in xs])
    exact = np.diff(ys) / np.diff(xs)
    slopes = np.maximum.accumulate(exact)
    lengths = np.diff(xs)
    lengths[-1] = math.inf  # the last rate goes on
    # merge neighbours with the same slope (fewer columns, same curve)
    keep = np.r_[np.abs(np.diff(slopes)) > 1e-12, True] | np.r_[
        np.abs(np.diff(exact)) > 1e-12, True]
    ends = np.flatnonzero(keep)
    starts = np.r_[0, ends[:-1] + 1]
    lengths = np.array([lengths[a:b + 1].sum() for a, b in zip(starts, ends, strict=True)])
    return Curve(lengths=lengths, slopes=slopes[ends], exact_slopes=exact[ends])


def tax_curves(profile: TaxProfile, *, short_term_max: float = 0.0,
               long_term_max: float = 0.0) -> TaxCurves:
    """Piecewise-linear tax curves of the household's year (see the module docstring).

    Parameters
    ----------
    profile : TaxProfile
        The year; its realised gains and carryforwards are ignored here (the optimiser nets
        them itself).
    short_term_max, long_term_max : float
        The most net short- (long-) term gain the plan can reach, dollars: breakpoints
        beyond it are not needed.

    Returns
    -------
    TaxCurves
    """
    p = replace(profile, realized_short_term=0.0, realized_long_term=0.0,
                carryforward_short_term=0.0, carryforward_long_term=0.0)
    inp = tax_inputs(p)
    base = _total(inp, 0.0, 0.0)
    cand = _candidates(inp)
    st = _curve(lambda x: _total(inp, x, 0.0) - base, short_term_max, cand)
    lt = _curve(lambda x: _total(inp, 0.0, x) - base, long_term_max, cand)
    lim = inp.t.capital_loss_limit
    rate = (base - _total(inp, -lim, 0.0)) / lim if lim > 0 else 0.0
    return TaxCurves(short_term=st, long_term=lt, deduction_rate=max(0.0, rate),
                     loss_limit=lim)
