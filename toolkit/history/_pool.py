"""The lot pools behind :func:`toolkit.history.rebuild_lots`: one per account and symbol.

A :class:`Pool` holds the open lots of one symbol in one account in the order they were
acquired and relieves shares by one method (``fifo``, ``lifo``, ``hifo``, ``average`` or
``specific``). Quantities are shares, bases dollars, dates integer day numbers. Pure Python on
purpose: a replay is sequential (every sale depends on the sales before it), and plain lists
keep it near linear in the rows.
"""

from __future__ import annotations

import heapq
import math

#: Shares: below this a quantity is zero.
EPS = 1e-9


class Lot:
    """One open lot while the history is replayed (mutable)."""

    __slots__ = ("qty", "basis", "acq", "hs", "lot_id", "file", "line", "seq", "wash")

    def __init__(self, qty: float, basis: float, acq: int, hs: int, lot_id: str,
                 file: str | None, line: int | None, seq: int, wash: float) -> None:
        self.qty = qty
        self.basis = basis
        self.acq = acq
        self.hs = hs
        self.lot_id = lot_id
        self.file = file
        self.line = line
        self.seq = seq
        self.wash = wash


_nan = math.isnan


class Pool:
    """The open lots of one account and symbol, relieved by ``method``.

    ``fifo`` and ``specific`` (its fallback) take the earliest acquired first; ``lifo`` the
    latest; ``hifo`` the highest cost per share (ties: earliest acquired; lots without a basis
    last); ``average`` takes shares earliest first (for the holding period) at the pool's
    average cost per share, and every open lot carries that average at the end.
    """

    __slots__ = ("method", "lots", "head", "total", "heap", "pool_basis", "pool_unknown")

    def __init__(self, method: str) -> None:
        self.method = method
        self.lots: list[Lot] = []
        self.head = 0  # every lot before it is closed
        self.total = 0.0
        self.heap: list[tuple] | None = [] if method == "hifo" else None
        self.pool_basis = 0.0  # average: basis of the open shares
        self.pool_unknown = False  # average: some open share has no basis

    # --- adding and scaling -------------------------------------------------------------
    @staticmethod
    def _key(lot: Lot) -> tuple:
        if _nan(lot.basis):
            return (1, 0.0, lot.acq, lot.seq, lot)
        return (0, -lot.basis / lot.qty, lot.acq, lot.seq, lot)

    def add(self, lot: Lot) -> None:
        """Open a lot."""
        self.lots.append(lot)
        self.total += lot.qty
        if self.heap is not None:
            heapq.heappush(self.heap, self._key(lot))
        if self.method == "average":
            if _nan(lot.basis):
                self.pool_unknown = True
            else:
                self.pool_basis += lot.basis

    def open_lots(self) -> list[Lot]:
        """The open lots in acquisition order (``average``: each at the pooled cost)."""
        out = [lot for lot in self.lots[self.head:] if lot.qty > EPS]
        if self.method == "average" and out:
            avg = self.average()
            for lot in out:
                lot.basis = lot.qty * avg
        return out

    def average(self) -> float:
        """Average cost per open share, dollars (NaN when unknown or nothing is held)."""
        if self.pool_unknown or self.total <= EPS:
            return math.nan
        return self.pool_basis / self.total

    def split(self, shares: float) -> float | None:
        """Apply a split that delivered ``shares`` new shares (negative: a reverse split).

        Every open lot's quantity is scaled by ``(held + shares) / held``; bases are unchanged.
        Returns the ratio, or None when nothing is held or the split would leave no shares.
        """
        held = self.total
        if held <= EPS or held + shares <= EPS:
            return None
        ratio = (held + shares) / held
        for lot in self.lots[self.head:]:
            if lot.qty > EPS:
                lot.qty *= ratio
        self.total = held + shares
        if self.heap is not None:
            self.heap = [self._key(lot) for lot in self.lots if lot.qty > EPS]
            heapq.heapify(self.heap)
        return ratio

    # --- relief ---------------------------------------------------------------------------
    def _relieve(self, lot: Lot, want: float) -> tuple[float, float, float]:
        """Take ``want`` shares (at most the lot) from ``lot``: (shares, basis, wash)."""
        if lot.qty - want <= EPS:  # the whole lot: no residue left behind
            x, b, w = lot.qty, lot.basis, lot.wash
            lot.qty, lot.basis, lot.wash = 0.0, 0.0 if not _nan(b) else b, 0.0
        else:
            f = want / lot.qty
            x, b, w = want, lot.basis * f, lot.wash * f
            lot.qty -= x
            lot.basis -= b
            lot.wash -= w
        self.total -= x
        return x, b, w

    def _advance(self) -> None:
        lots = self.lots
        while self.head < len(lots) and lots[self.head].qty <= EPS:
            self.head += 1

    def _fifo(self, need: float, out: list) -> float:
        lots = self.lots
        i = self.head
        while need > EPS and i < len(lots):
            lot = lots[i]
            if lot.qty > EPS:
                x, b, w = self._relieve(lot, min(need, lot.qty))
                out.append((lot, x, b, w))
                need -= x
            if lot.qty <= EPS:
                i += 1
        self._advance()
        return need

    def _lifo(self, need: float, out: list) -> float:
        lots = self.lots
        i = len(lots) - 1
        while need > EPS and i >= self.head:
            lot = lots[i]
            if lot.qty > EPS:
                x, b, w = self._relieve(lot, min(need, lot.qty))
                out.append((lot, x, b, w))
                need -= x
            if lot.qty <= EPS:
                i -= 1
        while len(lots) > self.head and lots[-1].qty <= EPS:
            lots.pop()
        return need

    def _hifo(self, need: float, out: list) -> float:
        heap = self.heap
        while need > EPS and heap:
            lot = heap[0][-1]
            if lot.qty > EPS:
                x, b, w = self._relieve(lot, min(need, lot.qty))
                out.append((lot, x, b, w))
                need -= x
            if lot.qty <= EPS:
                heapq.heappop(heap)
        self._advance()
        return need

    def take(self, need: float) -> tuple[list, float]:
        """Relieve ``need`` shares by the pool's method.

        Returns
        -------
        pieces : list of (Lot, shares, basis, wash)
            What was taken from each lot, in relief order (basis in dollars).
        left : float
            Shares that could not be found (0 when the pool held enough).
        """
        out: list = []
        avg = self.average() if self.method == "average" else None
        if self.method == "lifo":
            left = self._lifo(need, out)
        elif self.method == "hifo":
            left = self._hifo(need, out)
        else:
            left = self._fifo(need, out)
        if avg is not None:
            out = self._pooled(out, avg)
        return out, max(left, 0.0)

    def _pooled(self, pieces: list, avg: float) -> list:
        """Average method: the shares taken carry the pool's average cost per share."""
        taken = sum(x for _, x, _, _ in pieces)
        if self.pool_unknown:
            basis = [math.nan] * len(pieces)
        else:
            basis = [x * avg for _, x, _, _ in pieces]
            self.pool_basis -= avg * taken
        if self.total <= EPS:
            self.pool_basis, self.pool_unknown = 0.0, False
        return [(lot, x, b, w) for (lot, x, _, w), b in zip(pieces, basis, strict=True)]

    def take_identified(self, need: float, entries: list[list] | None) -> tuple[list, float,
                                                                                  float]:
        """Relieve the lots the broker's realised rows name (specific identification).

        ``entries`` are ``[acquired day or None, shares left]`` for the sale's account, symbol
        and date, consumed in order; each takes shares from the open lots acquired that day
        (earliest first). Whatever the entries do not identify is taken FIFO.

        Returns
        -------
        pieces : list
            As :meth:`take`.
        left : float
            Shares not found at all.
        fallback : float
            Shares taken FIFO because no entry identified them.
        """
        out: list = []
        for e in entries or ():
            if need <= EPS:
                break
            if e[0] is None or e[1] <= EPS:
                continue
            want = min(need, e[1])
            got = 0.0
            for lot in self.lots[self.head:]:
                if lot.qty > EPS and lot.acq == e[0]:
                    x, b, w = self._relieve(lot, min(want - got, lot.qty))
                    out.append((lot, x, b, w))
                    got += x
                    if want - got <= EPS:
                        break
            e[1] -= got
            need -= got
        self._advance()
        fallback = max(need, 0.0)
        left = self._fifo(need, out) if need > EPS else 0.0
        return out, max(left, 0.0), fallback - max(left, 0.0)
