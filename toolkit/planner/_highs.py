"""A small column/row builder over HiGHS (``highspy``), with no modelling layer.

Columns and rows are added in vectorised batches (NumPy arrays); :meth:`Program.solve` builds
one column-wise sparse matrix, passes it to HiGHS and returns the solution with the status,
objective, MIP gap and time. Bounds and integrality can be changed and the program re-solved
(HiGHS keeps the basis of an LP between runs).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

_banner_done = False


def _highs():
    """A silent ``highspy.Highs`` (the one-off copyright banner HiGHS writes to the process's
    standard output on first use is swallowed, so ``--json`` output stays clean)."""
    global _banner_done

    if _banner_done:
        h = highspy.Highs()
    else:
        try:
            sys.stdout.flush()
            fd = os.dup(1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            try:
                h = highspy.Highs()
            finally:
                os.dup2(fd, 1)
                os.close(fd)
                os.close(null)
        except OSError:  # pragma: no cover - no usable file descriptor 1
            h = highspy.Highs()
        _banner_done = True
    h.setOptionValue("output_flag", False)
    return h


@dataclass
class Solution:
    """What a solve returned.

    Attributes
    ----------
    status : str
        HiGHS model status (``"Optimal"``, ``"Infeasible"``, ``"Time limit reached"``, ...).
    ok : bool
        A usable (feasible) solution is available.
    x : ndarray
        Column values.
    objective : float
    mip_gap : float
        Relative gap proven by the MIP solver (0 for an LP).
    abs_gap : float
        The same in the objective's units (dollars): objective less the proven bound.
    time : float
        Seconds in HiGHS.
    """

    status: str
    ok: bool
    x: np.ndarray
    objective: float
    mip_gap: float
    time: float
    abs_gap: float = 0.0


@dataclass
class Program:
    """Columns (bounds, costs, integrality) and sparse rows, built in batches."""

    lb: list = field(default_factory=list)
    ub: list = field(default_factory=list)
    cost: list = field(default_factory=list)
    kind: list = field(default_factory=list)  # 0 continuous, 1 integer
    rlo: list = field(default_factory=list)
    rhi: list = field(default_factory=list)
    ri: list = field(default_factory=list)
    rj: list = field(default_factory=list)
    rv: list = field(default_factory=list)
    n: int = 0
    m: int = 0
    _h: object = None

    def cols(self, count: int, lb=0.0, ub=math.inf, cost=0.0, kind: int = 0) -> np.ndarray:
        """Add ``count`` columns; returns their indices."""
        idx = np.arange(self.n, self.n + count)
        self.n += count
        for store, v in ((self.lb, lb), (self.ub, ub), (self.cost, cost), (self.kind, kind)):
            store.append(np.broadcast_to(np.asarray(v, dtype=float), (count,)).copy())
        return idx

    def rows(self, lo, hi, i, j, v, count: int | None = None) -> np.ndarray:
        """Add rows ``lo <= A x <= hi``; ``i`` are row numbers local to this batch (0..)."""
        lo = np.atleast_1d(np.asarray(lo, dtype=float))
        hi = np.atleast_1d(np.asarray(hi, dtype=float))
        k = count if count is not None else max(len(lo), len(hi))
        idx = np.arange(self.m, self.m + k)
        self.rlo.append(np.broadcast_to(lo, (k,)).copy())
        self.rhi.append(np.broadcast_to(hi, (k,)).copy())
        i = np.asarray(i, dtype=np.int64)
        self.ri.append(i + self.m)
        self.rj.append(np.asarray(j, dtype=np.int64))
        self.rv.append(np.broadcast_to(np.asarray(v, dtype=float), i.shape).copy())
        self.m += k
        return idx

    def row(self, lo: float, hi: float, j, v) -> int:
        """Add one row ``lo <= sum v x[j] <= hi``."""
        j = np.asarray(j, dtype=np.int64)
        return int(self.rows([lo], [hi], np.zeros(len(j), dtype=np.int64), j, v, count=1)[0])

    # --- solving ------------------------------------------------------------------------

    def _arrays(self):
        def cat(xs):
            return np.concatenate(xs) if xs else np.zeros(0)

        return (cat(self.lb), cat(self.ub), cat(self.cost), cat(self.kind), cat(self.rlo),
                cat(self.rhi))

    def build(self, *, time_limit: float, mip_gap: float, abs_gap: float = 0.0) -> None:
        """Pass the program to a fresh HiGHS instance (a MIP stops within ``mip_gap`` of the
        proven optimum, relative, or ``abs_gap`` in the objective's units)."""
        lb, ub, cost, kind, rlo, rhi = self._arrays()
        ri = np.concatenate(self.ri) if self.ri else np.zeros(0, dtype=np.int64)
        rj = np.concatenate(self.rj) if self.rj else np.zeros(0, dtype=np.int64)
        rv = np.concatenate(self.rv) if self.rv else np.zeros(0)
        a = sp.csc_matrix((rv, (ri, rj)), shape=(self.m, self.n))
        a.sum_duplicates()
        a.eliminate_zeros()
        lp = highspy.HighsLp()
        lp.num_col_ = self.n
        lp.num_row_ = self.m
        lp.col_cost_ = cost
        lp.col_lower_ = lb
        lp.col_upper_ = ub
        lp.row_lower_ = rlo
        lp.row_upper_ = rhi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        types = {0: highspy.HighsVarType.kContinuous, 1: highspy.HighsVarType.kInteger}
        if (kind != 0).any():
            lp.integrality_ = [types[int(k)] for k in kind]
        h = _highs()
        # dollars of a large household (1e7..1e8 in bounds and right-hand sides) next to
        # per-dollar costs of 1e-4: let HiGHS scale the bounds by a power of two (measured:
        # the 10,000-lot MIP solves 5-15x faster)
        finite = np.r_[lb, ub, rlo, rhi]
        finite = np.abs(finite[np.isfinite(finite)])
        big = float(finite.max()) if len(finite) else 0.0
        scale = -min(12, round(math.log2(big / 1e5))) if big > 1e5 else 0
        if scale:
            h.setOptionValue("user_bound_scale", scale)
        h.setOptionValue("time_limit", float(time_limit))
        h.passModel(lp)
        self._h = h
        self._kind = kind
        self._scale = scale
        self.set_gap(mip_gap, abs_gap)

    def set_gap(self, relative: float, absolute: float) -> None:
        """Stop later MIP runs within ``relative`` or ``absolute`` (objective units) of the
        proven optimum (after :meth:`build`)."""
        self._h.setOptionValue("mip_rel_gap", float(relative))
        # HiGHS compares the absolute gap on the scaled program (user_bound_scale), whose
        # objective is the unscaled one times 2**scale
        self._h.setOptionValue("mip_abs_gap", float(absolute) * 2.0 ** self._scale)

    @property
    def is_mip(self) -> bool:
        """Whether any column is integer."""
        return bool((self._kind != 0).any())

    def set_time_limit(self, seconds: float) -> None:
        """Change the time limit of later runs (after :meth:`build`)."""
        self._h.setOptionValue("time_limit", float(seconds))

    def set_bounds(self, j, lb, ub) -> None:
        """Change column bounds (after :meth:`build`)."""
        j = np.atleast_1d(np.asarray(j, dtype=np.int32))
        if not len(j):
            return
        lb = np.broadcast_to(np.asarray(lb, dtype=float), j.shape).copy()
        ub = np.broadcast_to(np.asarray(ub, dtype=float), j.shape).copy()
        self._h.changeColsBounds(len(j), j, lb, ub)

    def bounds(self, j) -> tuple[np.ndarray, np.ndarray]:
        """The current lower and upper bounds of columns ``j`` (after :meth:`build`)."""
        lp = self._h.getLp()
        j = np.atleast_1d(np.asarray(j, dtype=np.int64))
        return np.asarray(lp.col_lower_)[j], np.asarray(lp.col_upper_)[j]

    def kinds(self, j) -> np.ndarray:
        """The current integrality of columns ``j``: 0 continuous, 1 integer."""
        return self._kind[np.atleast_1d(np.asarray(j, dtype=np.int64))]

    def set_kind(self, j, kind: int) -> None:
        """Change column integrality (after :meth:`build`)."""
        j = np.atleast_1d(np.asarray(j, dtype=np.int32))
        if not len(j):
            return
        t = {0: highspy.HighsVarType.kContinuous, 1: highspy.HighsVarType.kInteger}[kind]
        self._h.changeColsIntegrality(len(j), j, np.array([t] * len(j)))
        self._kind = self._kind.copy()
        self._kind[j] = kind

    def basis(self):
        """The basis of the last linear program solved (to restart from with
        :meth:`set_basis`)."""
        return self._h.getBasis()

    def set_basis(self, basis) -> None:
        """Start the next linear program from ``basis`` (from :meth:`basis`)."""
        self._h.setBasis(basis)

    def set_start(self, x: np.ndarray) -> None:
        """Give the next MIP run a feasible solution to start from (after :meth:`build`)."""
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(x, dtype=float).tolist()
        sol.value_valid = True
        self._h.setSolution(sol)

    def solve(self) -> Solution:
        """Run HiGHS and read the solution."""
        h = self._h
        t0 = time.perf_counter()
        h.run()
        spent = time.perf_counter() - t0
        status = h.getModelStatus()
        info = h.getInfo()
        x = np.asarray(h.getSolution().col_value, dtype=float)
        ok = status == highspy.HighsModelStatus.kOptimal or (
            info.primal_solution_status == 2 and len(x) == self.n)
        gap = float(info.mip_gap) if self.is_mip else 0.0
        if not math.isfinite(gap):
            gap = math.inf
        obj = float(info.objective_function_value)
        bound = float(info.mip_dual_bound) if self.is_mip else obj
        absgap = abs(obj - bound) if math.isfinite(bound) and ok else math.inf
        return Solution(status=h.modelStatusToString(status), ok=bool(ok),
                        x=x if len(x) == self.n else np.zeros(self.n),
                        objective=obj, mip_gap=gap, time=spent,
                        abs_gap=absgap if self.is_mip else 0.0)
