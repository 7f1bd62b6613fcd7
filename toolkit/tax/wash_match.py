"""Wash-sale matching on plain frames: the engine behind :mod:`toolkit.tax.wash`.

Sales and acquisitions are prepared (:func:`prepare_sales`, :func:`prepare_acquisitions`),
matched share for share by :func:`sweep` (the order of Reg. §1.1091-1(b)-(e), rules in
:mod:`toolkit.tax.wash`), and turned into result rows (:func:`build_rows`), per-replacement
adjustments (:func:`summarise_adjustments`) and adjusted open lots (:func:`adjust_lots`).
:func:`toolkit.history.rebuild_lots` uses :func:`sweep` to place the wash sales a broker
reported. Quantities are shares (below :data:`EPS` a quantity is zero), money dollars.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import SchemaError
from toolkit.schema import DATE_DTYPE, TaxType, validate_lots

#: Columns of the rows :func:`toolkit.tax.wash.match_wash_sales` returns, in order.
ROW_COLUMNS = (
    "sale_id", "account", "owner", "symbol", "group", "sale_date", "acquired", "holding_start",
    "quantity", "proceeds", "cost_basis", "loss", "disallowed", "allowed", "permanent",
    "basis_added", "broker_reported", "code", "replacement_id", "replacement_account",
    "replacement_tax_type", "replacement_kind", "replacement_symbol", "replacement_date",
    "replacement_quantity", "replacement_holding_start",
)

EPS = 1e-9  # shares: below this a quantity is zero


def _to_dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).astype(DATE_DTYPE).dt.normalize()


#: The day number :func:`day_numbers` gives a missing date (far before any real one).
NAT_DAY = np.iinfo(np.int64).min // 2


def day_numbers(s) -> np.ndarray:
    """Dates as int64 day numbers since 1970-01-01 (NaT -> :data:`NAT_DAY`).

    Parameters
    ----------
    s : Series or array-like of dates

    Returns
    -------
    ndarray of int64
    """
    v = pd.to_datetime(pd.Series(s)).to_numpy(dtype="datetime64[D]") if not isinstance(
        s, pd.Series) else s.to_numpy(dtype="datetime64[D]")
    out = v.astype(np.int64)
    out[np.isnat(v)] = NAT_DAY
    return out


def tacked_start(replacement_date, sale_date, holding_start, acquired=None) -> pd.Series:
    """Holding-period start of replacement shares (IRC §1223(3)), as a union of periods.

    The replacement's holding period includes the sold shares' period: the sold shares' days
    (from ``holding_start``, itself perhaps tacked, to ``sale_date``) are added to the
    replacement's own, less the days both were held at once (from the later of ``acquired``
    and ``replacement_date`` to ``sale_date``), so no day counts twice.

    Parameters
    ----------
    replacement_date, sale_date, holding_start : array-like of dates
        The replacement's acquisition date; the loss sale's date; the sold shares' holding
        start.
    acquired : array-like of dates, optional
        When the sold shares were really acquired (default ``holding_start``).

    Returns
    -------
    Series of datetime64
        ``replacement_date - (sale_date - holding_start) + overlap``; NaT where a date is
        missing. A replacement bought after the sale starts
        ``sale_date - holding_start`` days before its date; one bought while the sold shares
        were held starts on ``holding_start``.

    Examples
    --------
    >>> tacked_start(["2026-02-20"], ["2026-02-10"], ["2025-01-10"]).dt.date.tolist()
    [datetime.date(2025, 1, 20)]
    >>> tacked_start(["2026-02-02"], ["2026-02-16"], ["2025-06-02"]).dt.date.tolist()
    [datetime.date(2025, 6, 2)]
    """
    r = day_numbers(replacement_date)
    sale = day_numbers(sale_date)
    hs = day_numbers(holding_start)
    acq = hs if acquired is None else day_numbers(acquired)
    acq = np.where(acq == NAT_DAY, hs, acq)
    overlap = np.maximum(0, sale - np.maximum(acq, r))
    ok = (r != NAT_DAY) & (sale != NAT_DAY) & (hs != NAT_DAY)
    out = np.where(ok, r - (sale - hs) + overlap, 0)
    res = pd.Series(out.astype("datetime64[D]")).astype("datetime64[us]")
    return res.where(ok)


def _require_columns(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{what}: expected a DataFrame, got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(f"{what}: missing column(s) {', '.join(missing)}")


def _check_tax_types(s: pd.Series, what: str) -> pd.Series:
    valid = {t.value for t in TaxType}
    bad = ~s.isin(valid)
    if bad.any():
        raise SchemaError(f"{what}: tax_type {s[bad].iloc[0]!r} is not one of "
                          f"{', '.join(sorted(valid))}")
    return s.astype("str")


def prepare_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Sales checked and completed for :func:`sweep`.

    Parameters
    ----------
    sales : DataFrame
        ``account``, ``symbol``, ``sale_date``, ``quantity`` (shares), ``proceeds`` and
        ``cost_basis`` (dollars); optionally ``sale_id``, ``owner``, ``acquired``,
        ``holding_start``, ``tax_type`` (default taxable), ``reported_disallowed``.

    Returns
    -------
    DataFrame
        A copy with the optional columns filled, dates normalised, ``loss`` (basis -
        proceeds, dollars) and ``is_loss`` (a loss in a taxable account).

    Raises
    ------
    SchemaError
        If a column is missing, a date or quantity is missing, a quantity is not positive, a
        tax type is unknown, or shares were acquired after their sale date.
    """
    what = "wash-sale sales"
    _require_columns(sales, ["account", "symbol", "sale_date", "quantity", "proceeds",
                             "cost_basis"], what)
    s = sales.reset_index(drop=True).copy()
    n = len(s)
    if "sale_id" not in s.columns:
        s["sale_id"] = [f"S{i}" for i in range(n)]
    for c, default in (("owner", None), ("acquired", pd.NaT), ("tax_type", "taxable"),
                       ("reported_disallowed", 0.0)):
        if c not in s.columns:
            s[c] = default
    s["sale_date"] = _to_dates(s["sale_date"])
    s["acquired"] = _to_dates(s["acquired"])
    if "holding_start" not in s.columns:
        s["holding_start"] = s["acquired"]
    s["holding_start"] = _to_dates(s["holding_start"]).fillna(s["acquired"])
    for c in ("quantity", "proceeds", "cost_basis", "reported_disallowed"):
        s[c] = pd.to_numeric(s[c]).astype("float64")
    s["reported_disallowed"] = s["reported_disallowed"].fillna(0.0)
    s["tax_type"] = _check_tax_types(s["tax_type"].fillna("taxable"), what)
    for c in ("sale_id", "account", "symbol"):
        s[c] = s[c].astype("str")
    if s["sale_date"].isna().any() or s["quantity"].isna().any():
        raise SchemaError(f"{what}: sale_date and quantity must not be missing")
    if (s["quantity"] <= 0).any():
        bad = s.loc[s["quantity"] <= 0].iloc[0]
        raise SchemaError(f"{what}: quantity must be positive (sale {bad['sale_id']}: "
                          f"{bad['quantity']!r})")
    late = s["holding_start"] > s["sale_date"]
    if late.any():
        bad = s.loc[late].iloc[0]
        raise SchemaError(f"{what}: sale {bad['sale_id']} ({bad['account']} {bad['symbol']}) "
                          f"was acquired {bad['holding_start'].date()}, after its sale date "
                          f"{bad['sale_date'].date()}")
    s["loss"] = s["cost_basis"] - s["proceeds"]
    s["is_loss"] = (s["loss"] > 0).fillna(False) & s["tax_type"].eq(TaxType.TAXABLE.value)
    return s


def prepare_acquisitions(acq: pd.DataFrame) -> pd.DataFrame:
    """Acquisitions checked and completed for :func:`sweep`.

    Parameters
    ----------
    acq : DataFrame
        ``account``, ``symbol``, ``date``, ``quantity`` (shares); optionally ``acq_id``,
        ``kind`` (default ``buy``), ``tax_type`` (default taxable), ``lot_id``, ``price``,
        ``cost`` (dollars; default price x quantity).

    Returns
    -------
    DataFrame
        A copy with the optional columns filled and dates normalised.

    Raises
    ------
    SchemaError
        If a column is missing, a date or quantity is missing, a quantity is not positive or
        a tax type is unknown.
    """
    what = "wash-sale acquisitions"
    _require_columns(acq, ["account", "symbol", "date", "quantity"], what)
    a = acq.reset_index(drop=True).copy()
    n = len(a)
    if "acq_id" not in a.columns:
        a["acq_id"] = [f"A{i}" for i in range(n)]
    for c, default in (("kind", "buy"), ("tax_type", "taxable"), ("lot_id", None),
                       ("price", np.nan), ("cost", np.nan)):
        if c not in a.columns:
            a[c] = default
    a["date"] = _to_dates(a["date"])
    for c in ("quantity", "price", "cost"):
        a[c] = pd.to_numeric(a[c]).astype("float64")
    a["cost"] = a["cost"].fillna(a["price"] * a["quantity"])
    a["tax_type"] = _check_tax_types(a["tax_type"].fillna("taxable"), what)
    for c in ("acq_id", "account", "symbol", "kind"):
        a[c] = a[c].astype("str")
    if a["date"].isna().any() or a["quantity"].isna().any():
        raise SchemaError(f"{what}: date and quantity must not be missing")
    if (a["quantity"] <= 0).any():
        bad = a.loc[a["quantity"] <= 0].iloc[0]
        raise SchemaError(f"{what}: quantity must be positive (acquisition {bad['acq_id']}: "
                          f"{bad['quantity']!r})")
    return a


def sweep(s: pd.DataFrame, a: pd.DataFrame, before: int, after: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy matching per group: (sale index, acquisition index, shares) per match.

    Sales in processing order; each takes the earliest acquisitions in its window that still
    have unmatched shares. A "next acquisition with shares left" pointer with path compression
    keeps the sweep near linear in sales + acquisitions + matches.
    """
    accounts = pd.Index(pd.unique(pd.concat([s["account"], a["account"]])))
    s_acct = accounts.get_indexer(s["account"])
    a_acct = accounts.get_indexer(a["account"])
    s_day, s_acq_day = day_numbers(s["sale_date"]), day_numbers(s["acquired"])
    a_day = day_numbers(a["date"])

    # Shares sold in each sale event (group, account, day), by the day they were acquired.
    ev = pd.DataFrame({"g": s["group"], "acct": s_acct, "day": s_day, "acq": s_acq_day,
                       "q": s["quantity"]})[s["acquired"].notna().to_numpy()]
    excl: dict[tuple, dict[int, float]] = {}
    for (g, acct, day, acq), q in ev.groupby(["g", "acct", "day", "acq"])["q"].sum().items():
        excl.setdefault((g, acct, day), {})[acq] = q

    # Processing order: sale date, then original acquisition of the sold shares, then input.
    loss = s.index[s["is_loss"].to_numpy()].to_numpy()
    acq_order = np.where(s["acquired"].isna().to_numpy(), np.iinfo(np.int64).max, s_acq_day)
    loss = loss[np.lexsort((loss, acq_order[loss], s_day[loss]))]
    a_order = np.lexsort((np.arange(len(a)), a_day))

    a_groups: dict[str, np.ndarray] = {}
    if len(a):
        ga = a["group"].to_numpy()[a_order]
        for g, idx in pd.Series(a_order).groupby(ga, sort=False):
            a_groups[g] = idx.to_numpy()

    m_sale: list[int] = []
    m_acq: list[int] = []
    m_q: list[float] = []
    s_group = s["group"].to_numpy()
    s_q = s["quantity"].to_numpy()
    a_q_all = a["quantity"].to_numpy()
    by_group = pd.Series(loss).groupby(s_group[loss], sort=False) if len(loss) else []
    for g, sale_idx in by_group:
        idx = a_groups.get(g)
        if idx is None:
            continue
        ad = a_day[idx].tolist()
        aq = a_q_all[idx].tolist()
        acct = a_acct[idx].tolist()
        rem = list(aq)
        n = len(idx)
        nxt = list(range(n + 1))

        def find(j: int, nxt: list[int] = nxt) -> int:
            root = j
            while nxt[root] != root:
                root = nxt[root]
            while nxt[j] != root:
                nxt[j], j = root, nxt[j]
            return root

        for i in sale_idx.to_numpy().tolist():
            day = int(s_day[i])
            need = float(s_q[i])
            sold = excl.get((g, int(s_acct[i]), day))
            left = dict(sold) if sold else None
            hi = day + after
            j = find(bisect.bisect_left(ad, day - before))
            while j < n and ad[j] <= hi and need > EPS:
                avail = rem[j]
                if left and acct[j] == s_acct[i] and ad[j] in left:
                    x = min(left[ad[j]], aq[j])  # these shares of acquisition j are being sold
                    left[ad[j]] -= x
                    avail = max(0.0, avail - x)
                take = min(need, avail)
                if take > EPS:
                    m_sale.append(i)
                    m_acq.append(int(idx[j]))
                    m_q.append(take)
                    rem[j] -= take
                    need -= take
                if rem[j] <= EPS:
                    rem[j] = 0.0
                    nxt[j] = j + 1
                j = find(j + 1)
    return (np.asarray(m_sale, dtype=np.int64), np.asarray(m_acq, dtype=np.int64),
            np.asarray(m_q, dtype="float64"))


def build_rows(s: pd.DataFrame, a: pd.DataFrame, ms: np.ndarray, ma: np.ndarray, mq: np.ndarray
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of the result: matches then each sale's unmatched remainder, in sale order.

    Returns the rows (:data:`ROW_COLUMNS`) and, for each row, the position of its sale in
    ``s``.
    """
    n = len(s)
    q = s["quantity"].to_numpy()
    matched = np.bincount(ms, weights=mq, minlength=n)
    rest = q - matched
    has_rest = s["is_loss"].to_numpy() & (rest > EPS)
    r_idx = np.flatnonzero(has_rest)

    sale = np.concatenate([ms, r_idx])
    shares = np.concatenate([mq, rest[r_idx]])
    acq = np.concatenate([ma, np.full(len(r_idx), -1)])
    seq = np.concatenate([np.arange(len(ms)), np.full(len(r_idx), len(ms))])
    # Sale processing order is the order the matches were recorded; unmatched sales follow
    # the same order (sale date, acquisition, input).
    s_day = day_numbers(s["sale_date"])
    acq_day = np.where(s["acquired"].isna().to_numpy(), np.iinfo(np.int64).max,
                       day_numbers(s["acquired"]))
    order_key = np.lexsort((np.arange(n), acq_day, s_day))
    rank = np.empty(n, dtype=np.int64)
    rank[order_key] = np.arange(n)
    order = np.lexsort((seq, rank[sale]))
    sale, shares, acq = sale[order], shares[order], acq[order]

    frac = shares / q[sale]
    proceeds = s["proceeds"].to_numpy()[sale] * frac
    basis = s["cost_basis"].to_numpy()[sale] * frac
    # The last row of each sale takes the rounding residue so the rows sum to the sale.
    last = np.zeros(len(sale), dtype=bool)
    if len(sale):
        last[np.r_[np.flatnonzero(np.diff(sale) != 0), len(sale) - 1]] = True
        for col, total in ((proceeds, s["proceeds"].to_numpy()),
                           (basis, s["cost_basis"].to_numpy())):
            sums = np.bincount(sale, weights=col, minlength=n)
            col[last] += (total - sums)[sale[last]]
    loss = basis - proceeds
    is_match = acq >= 0
    a_idx = np.where(is_match, acq, 0)
    tax = a["tax_type"].to_numpy()[a_idx] if len(a) else np.full(len(sale), "taxable")
    permanent = is_match & (tax != TaxType.TAXABLE.value)
    disallowed = np.where(is_match, loss, 0.0)

    out = pd.DataFrame({
        "sale_id": s["sale_id"].to_numpy()[sale],
        "account": s["account"].to_numpy()[sale],
        "owner": s["owner"].to_numpy()[sale],
        "symbol": s["symbol"].to_numpy()[sale],
        "group": s["group"].to_numpy()[sale],
        "sale_date": s["sale_date"].to_numpy()[sale],
        "acquired": s["acquired"].to_numpy()[sale],
        "holding_start": s["holding_start"].to_numpy()[sale],
        "quantity": shares,
        "proceeds": proceeds,
        "cost_basis": basis,
        "loss": loss,
        "disallowed": disallowed,
        "allowed": loss - disallowed,
        "permanent": permanent,
    })

    def pick(col: str, fill: Any) -> np.ndarray:
        if not len(a):
            return np.full(len(sale), fill, dtype=object)
        v = a[col].to_numpy()[a_idx].astype(object)
        v[~is_match] = fill
        return v

    # Broker-reported disallowance (same account) is already in the replacement's basis.
    reported = s["reported_disallowed"].to_numpy()[sale]
    same = is_match & ~permanent & (pick("account", "") == out["account"].to_numpy())
    d_same = np.where(same, disallowed, 0.0)
    cum_before = pd.Series(d_same).groupby(sale).cumsum().to_numpy() - d_same
    broker = np.clip(reported - cum_before, 0.0, d_same)
    out["basis_added"] = np.where(permanent, 0.0, disallowed - broker)
    out["broker_reported"] = broker
    out["code"] = np.where(disallowed > 0, "W", "")
    out["replacement_id"] = pick("acq_id", None)
    out["replacement_account"] = pick("account", None)
    out["replacement_tax_type"] = pick("tax_type", None)
    out["replacement_kind"] = pick("kind", None)
    out["replacement_symbol"] = pick("symbol", None)
    r_date = pd.Series(pick("date", pd.NaT)).astype(DATE_DTYPE)
    out["replacement_date"] = r_date
    out["replacement_quantity"] = np.where(is_match, shares, np.nan)
    tacked = tacked_start(r_date, out["sale_date"], out["holding_start"], out["acquired"])
    out["replacement_holding_start"] = tacked.where(is_match & ~permanent)
    for c in ("sale_id", "account", "owner", "symbol", "group", "code", "replacement_id",
              "replacement_account", "replacement_tax_type", "replacement_kind",
              "replacement_symbol"):
        out[c] = out[c].astype("str").where(pd.notna(out[c]))
    out["replacement_holding_start"] = out["replacement_holding_start"].astype(DATE_DTYPE)
    out.attrs.clear()
    return out[list(ROW_COLUMNS)], sale


def summarise_adjustments(rows: pd.DataFrame, a: pd.DataFrame) -> pd.DataFrame:
    """Per replacement acquisition: the shares washed and the basis and days it takes on.

    Parameters
    ----------
    rows : DataFrame
        :func:`build_rows`'s result (:data:`ROW_COLUMNS`).
    a : DataFrame
        The prepared acquisitions (:func:`prepare_acquisitions`).

    Returns
    -------
    DataFrame
        One row per replacement: its id, account, symbol, date, shares, cost and the washed
        shares, disallowed dollars added to basis and holding days tacked (taxable
        replacements; permanent ones add nothing).
    """
    m = rows[rows["replacement_id"].notna()]
    cols = ["replacement_id", "account", "symbol", "date", "quantity", "cost", "washed",
            "disallowed", "basis_added", "permanent_loss", "adjusted_cost", "holding_start"]
    if m.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype(
            {"replacement_id": "str", "account": "str", "symbol": "str", "date": DATE_DTYPE,
             "holding_start": DATE_DTYPE})
    g = m.assign(perm=m["disallowed"].where(m["permanent"], 0.0)).groupby(
        "replacement_id", sort=False)
    agg = pd.DataFrame({
        "washed": g["replacement_quantity"].sum(),
        "disallowed": g["disallowed"].sum(),
        "basis_added": g["basis_added"].sum(),
        "permanent_loss": g["perm"].sum(),
        "holding_start": g["replacement_holding_start"].min(),
    })
    info = a.set_index("acq_id").loc[agg.index, ["account", "symbol", "date", "quantity",
                                                 "cost"]]
    out = info.join(agg).rename_axis("replacement_id").reset_index()
    out["adjusted_cost"] = out["cost"] + out["basis_added"]
    return out[cols]


def adjust_lots(lots: pd.DataFrame, rows: pd.DataFrame, a: pd.DataFrame,
                 keys: pd.Series) -> tuple[pd.DataFrame, float, list[str]]:
    """Apply each taxable replacement's basis and holding start to the open lots holding it.

    A replacement acquisition that names a ``lot_id`` adjusts that lot; otherwise the lots of
    the same account, group and acquisition date, in their order (held shares first).
    """
    lots = validate_lots(lots)
    lots["wash_basis_added"] = 0.0
    m = rows[rows["replacement_id"].notna() & ~rows["permanent"]]
    m = m[(m["basis_added"] > 0) | m["replacement_holding_start"].notna()]
    if m.empty or lots.empty:
        unplaced = float(m["basis_added"].sum()) if len(m) else 0.0
        notes = [] if unplaced <= 0.005 else [_unplaced_note(unplaced)]
        return lots, unplaced, notes
    ai = a.set_index("acq_id")
    lot_of = ai["lot_id"].reindex(m["replacement_id"]).to_numpy()
    lot_group = lots["symbol"].map(keys)
    by_id = {lid: [i] for i, lid in enumerate(lots["lot_id"]) if isinstance(lid, str)}
    by_key: dict[tuple, list[int]] = {}
    for i, k in enumerate(zip(lots["account"], lot_group, day_numbers(lots["acquired"]),
                              strict=True)):
        by_key.setdefault(k, []).append(i)
    rep_day = day_numbers(m["replacement_date"])
    targets: dict[Any, list[tuple[float, float, Any]]] = {}
    target_lots: dict[Any, list[int]] = {}
    for lid, acct, grp, day, q, added, hs in zip(
            lot_of, m["replacement_account"], m["group"], rep_day, m["replacement_quantity"],
            m["basis_added"], m["replacement_holding_start"], strict=True):
        if isinstance(lid, str) and lid in by_id:
            t: Any = ("lot", lid)
            target_lots[t] = by_id[lid]
        else:
            t = (acct, grp, int(day))
            target_lots[t] = by_key.get(t, [])
        targets.setdefault(t, []).append((float(q), float(added) / float(q), hs))

    q_lot = lots["quantity"].to_numpy()
    pieces: dict[int, list[tuple[float, float, Any]]] = {}  # lot -> (shares, $/share, start)
    unplaced = 0.0
    for t, slices in targets.items():
        idxs = target_lots[t]
        li, used = 0, 0.0
        for q, per_share, hs in slices:
            while q > EPS and li < len(idxs):
                room = q_lot[idxs[li]] - used
                take = min(q, room)
                pieces.setdefault(idxs[li], []).append((take, per_share, hs))
                q -= take
                used += take
                if q_lot[idxs[li]] - used <= EPS:
                    li, used = li + 1, 0.0
            if q > EPS:
                unplaced += q * per_share
    out_rows = []
    recs = lots.to_dict("records")
    for i, rec in enumerate(recs):
        parts = pieces.get(i)
        if not parts:
            out_rows.append(rec)
            continue
        covered = sum(p[0] for p in parts)
        if q_lot[i] - covered > EPS:
            parts = [*parts, (q_lot[i] - covered, 0.0, None)]
        split = len(parts) > 1
        for k, (shares, per_share, hs) in enumerate(parts, start=1):
            new = dict(rec)
            frac = shares / q_lot[i]
            added = shares * per_share
            new["quantity"] = shares
            new["cost_basis"] = rec["cost_basis"] * frac + added
            prior = rec["wash_sale_disallowed"]
            new["wash_sale_disallowed"] = (0.0 if pd.isna(prior) else prior * frac) + added
            if hs is not None and pd.notna(hs):
                new["holding_start"] = min(rec["holding_start"], hs)
            new["wash_basis_added"] = added
            if split:
                base = rec["lot_id"] if isinstance(rec["lot_id"], str) else f"lot{i}"
                new["lot_id"] = f"{base}.{k}"
            out_rows.append(new)
    adjusted = validate_lots(pd.DataFrame(out_rows, columns=lots.columns))
    notes = []
    if unplaced > 0.005:
        notes.append(_unplaced_note(unplaced))
    return adjusted, unplaced, notes


def _unplaced_note(dollars: float) -> str:
    return (f"${dollars:,.2f} of disallowed loss belongs to replacement shares found neither "
            "in a later sale nor in an open lot (sold or moved in rows the household does not "
            "have): it belongs in the basis of their later sale; check its 1099-B")
