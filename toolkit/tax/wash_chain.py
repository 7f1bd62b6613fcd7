"""Wash-sale chains: a disallowed loss follows the replacement shares into their own sale.

When a loss is washed by a purchase in a taxable account, the disallowed loss is added to
the replacement shares' basis (IRC §1091(d); Reg. §1.1091-2) and their holding period
includes that of the shares sold (§1223(3)). If the replacement shares are themselves sold
(later in the year, or even before the loss sale when they were bought in the 30 days
before it), that sale's gain or loss is measured on the adjusted basis and its term on the
tacked holding period; a loss so measured can itself be washed by a later purchase (a
"re-wash", in another account as well), and the tacked dates carry on down the chain.

This module places each taxable replacement's basis and tacked start on the sales that
sold its shares (:func:`place_in_sales`) and splits those sales into pieces carrying it
(:func:`apply_carry`); :func:`toolkit.tax.wash.match_wash_sales` repeats matching and
placing until nothing moves. What is left goes to the open lots
(:func:`~toolkit.tax.wash_match.adjust_lots`).

Which sale sold a replacement's shares:

- an acquisition implied by a realised row (``sale_id`` column of the acquisitions: a
  broker's closed lot with no purchase in the history) was sold by that very row;
- any other acquisition was sold by the sales of the same account and group whose shares
  were acquired on its date, in sale order, but only as far as the open lots of that
  account, group and day do not still hold its shares;
- within one acquisition the washed shares are sold first (the order in which
  :func:`~toolkit.tax.wash_match.adjust_lots` splits a lot: washed pieces first).

The holding period (§1223(3): "there shall be included the period for which he held the
stock or securities the loss from the sale ... of which was not deductible") is the union of
the two periods, no day counted twice (:func:`~toolkit.tax.wash_match.tacked_start`): for a
replacement bought after the loss sale this is the usual tacking (the replacement's date less
the days the sold shares were held); for one bought *before* the loss sale, while the sold
shares were still held, the overlapping days are already in the replacement's own period, so
its holding period starts where the sold shares' did. (Cost-basis systems differ on this
case: the "tacking" method, which subtracts the days held from the replacement's date, counts
the overlap twice and can turn a short-term sale long-term early; the union is the
conservative reading and equals the "replacement method" that keeps the original's holding date.)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from toolkit.tax.wash_match import EPS, day_numbers

__all__ = ["CARRY_COLUMNS", "apply_carry", "carry_signature", "place_in_sales"]

#: Columns :func:`apply_carry` adds to the sales.
CARRY_COLUMNS = ("sale", "basis_carried", "tacked")

def apply_carry(s: pd.DataFrame, carry: Mapping[int, list[tuple[float, float, object]]]
                ) -> pd.DataFrame:
    """The prepared sales, each sale split into the pieces that carry basis from washes.

    Parameters
    ----------
    s : DataFrame
        Prepared sales (:func:`~toolkit.tax.wash_match.prepare_sales`), positions 0..n-1.
    carry : mapping
        Sale position -> ``[(shares, dollars per share, holding start or None), ...]``: what
        washes placed on that sale's shares (:func:`place_in_sales`).

    Returns
    -------
    DataFrame
        One row per piece, positions 0..m-1, the sale's columns with ``quantity``,
        ``proceeds``, ``cost_basis`` (plus the carried dollars) and ``reported_disallowed``
        pro rata, ``holding_start`` tacked where a piece carries a start, ``loss`` and
        ``is_loss`` recomputed; plus :data:`CARRY_COLUMNS`: ``sale`` (the sale's position),
        ``basis_carried`` (dollars) and ``tacked`` (bool). Pieces of one sale are
        consecutive, carried pieces first.
    """
    n = len(s)
    if not carry:
        return s.assign(sale=np.arange(n), basis_carried=0.0, tacked=False)
    idx: list[int] = []
    qty: list[float] = []
    added: list[float] = []
    starts: list[object] = []
    q_all = s["quantity"].to_numpy()
    for i in range(n):
        left = float(q_all[i])
        for x, per, hs in carry.get(i, ()):
            take = min(x, left)
            if take <= EPS:
                continue
            idx.append(i)
            qty.append(take)
            added.append(take * per)
            starts.append(hs)
            left -= take
        if left > EPS or not carry.get(i):
            idx.append(i)
            qty.append(left)
            added.append(0.0)
            starts.append(None)
    out = s.iloc[idx].reset_index(drop=True)
    frac = np.asarray(qty) / q_all[idx]
    out["quantity"] = qty
    for c in ("proceeds", "cost_basis", "reported_disallowed"):
        out[c] = out[c].to_numpy() * frac
    out["cost_basis"] = out["cost_basis"].to_numpy() + np.asarray(added)
    hs = pd.Series([pd.NaT if v is None else v for v in starts], dtype="datetime64[us]")
    tacked = hs.notna().to_numpy() & (hs.to_numpy() != out["holding_start"].to_numpy())
    out["holding_start"] = out["holding_start"].where(~hs.notna().to_numpy(),
                                                      hs.to_numpy())
    out["loss"] = out["cost_basis"] - out["proceeds"]
    out["is_loss"] = (out["loss"] > 0).fillna(False) & out["tax_type"].eq("taxable")
    out["sale"] = idx
    out["basis_carried"] = added
    out["tacked"] = tacked
    return out


def place_in_sales(rows: pd.DataFrame, row_sale: np.ndarray, s: pd.DataFrame, a: pd.DataFrame,
                   keys: pd.Series, lots: pd.DataFrame | None
                   ) -> tuple[dict[int, list[tuple[float, float, object]]], pd.DataFrame]:
    """Put each taxable replacement's washed shares on the sales that sold them.

    Parameters
    ----------
    rows : DataFrame
        Match rows (:data:`~toolkit.tax.wash_match.ROW_COLUMNS`) of one pass.
    row_sale : ndarray of int
        For each row, the position in ``s`` of the sale whose loss it is.
    s : DataFrame
        The prepared sales, unsplit (positions 0..n-1).
    a : DataFrame
        The prepared acquisitions, with ``group`` (and optionally ``sale_id``: the sale an
        acquisition implied by a realised row belongs to).
    keys : Series
        Symbol -> group key.
    lots : DataFrame or None
        Open lots: shares they hold are not sold.

    Returns
    -------
    tuple
        ``(carry, rest)``: ``carry`` for :func:`apply_carry`; ``rest`` the taxable match
        rows with what no sale took (``replacement_quantity`` and ``basis_added`` reduced,
        rows fully taken dropped), for :func:`~toolkit.tax.wash_match.adjust_lots`.
    """
    use = (rows["replacement_id"].notna() & ~rows["permanent"].astype(bool)
           & ((rows["basis_added"] > 0) | rows["replacement_holding_start"].notna())
           ).to_numpy()
    m = rows[use]
    origin = np.asarray(row_sale)[use]
    if m.empty or s.empty:
        return {}, m
    pos_of = {aid: j for j, aid in reversed(list(enumerate(a["acq_id"])))}
    acq_pos = np.asarray([pos_of[r] for r in m["replacement_id"]], dtype=np.int64)
    a_day = day_numbers(a["date"])
    linked = (a["sale_id"].to_numpy() if "sale_id" in a.columns
              else np.full(len(a), None, dtype=object))
    s_ids = s["sale_id"].to_numpy()
    s_day = day_numbers(s["acquired"])
    s_sale_day = day_numbers(s["sale_date"])
    s_group = s["symbol"].map(keys).fillna(s["symbol"]).to_numpy()
    linked_ids = {x for x in linked if isinstance(x, str)}
    held = _held(lots, keys)

    # Pools: the acquisitions sold by the same sales; washed pieces in row order.
    pools: dict[tuple, list[tuple[int, float, float, object]]] = {}
    for k, (j, q, added, hs) in enumerate(zip(
            acq_pos.tolist(), m["replacement_quantity"].to_numpy(dtype="float64").tolist(),
            m["basis_added"].to_numpy(dtype="float64").tolist(),
            m["replacement_holding_start"].tolist(), strict=True)):
        link = linked[j]
        key = (("sale", link) if isinstance(link, str) else
               ("day", a["account"].iat[j], a["group"].iat[j], int(a_day[j])))
        pools.setdefault(key, []).append((k, q, added / q if q > EPS else 0.0,
                                          None if pd.isna(hs) else pd.Timestamp(hs)))
    carry: dict[int, list[tuple[float, float, object]]] = {}
    taken = np.zeros(len(m))
    for key, pieces in pools.items():
        if key[0] == "sale":
            sellers = np.flatnonzero(s_ids == key[1])
            cap = np.inf
        else:
            _, acct, grp, day = key
            sellers = np.flatnonzero((s["account"].to_numpy() == acct) & (s_group == grp)
                                     & (s_day == day) & (s_sale_day >= day)
                                     & ~np.isin(s_ids, list(linked_ids)))
            bought = float(a.loc[(a["account"] == acct) & (a["group"] == grp)
                                 & (a_day == day), "quantity"].sum())
            cap = max(0.0, bought - held.get((acct, grp, day), 0.0))
        if not len(sellers) or cap <= EPS:
            continue
        order = sellers[np.lexsort((sellers, s_sale_day[sellers]))]
        for i in order.tolist():
            need = min(float(s["quantity"].iat[i]), cap)
            for k, q, per, hs in pieces:
                if need <= EPS:
                    break
                # the shares that washed a sale's loss are not that sale's own shares
                x = 0.0 if origin[k] == i else min(need, q - taken[k])
                if x <= EPS:
                    continue
                carry.setdefault(i, []).append((x, per, hs))
                taken[k] += x
                need -= x
                cap -= x
            if cap <= EPS:
                break
    q = m["replacement_quantity"].to_numpy(dtype="float64")
    left = q - taken
    rest = m.assign(replacement_quantity=left,
                    basis_added=m["basis_added"].to_numpy() * np.where(q > EPS, left / q, 0.0))
    return carry, rest[left > EPS]


def _held(lots: pd.DataFrame | None, keys: pd.Series) -> dict[tuple, float]:
    """Shares the open lots hold per (account, group, acquisition day)."""
    if lots is None or lots.empty:
        return {}
    grp = lots["symbol"].map(keys).fillna(lots["symbol"])
    g = lots.groupby([lots["account"], grp, day_numbers(lots["acquired"])])["quantity"].sum()
    return {(a, k, int(d)): float(v) for (a, k, d), v in g.items()}


def carry_signature(carry: Mapping[int, list[tuple[float, float, object]]]) -> tuple:
    """A comparable form of a carry (shares and dollars rounded), to detect a fixed point."""
    return tuple(sorted((i, round(x, 9), round(per, 9), None if hs is None else str(hs))
                        for i, pieces in carry.items() for x, per, hs in pieces))
