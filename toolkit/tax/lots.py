"""Choosing which lots to sell, and what each choice costs in tax.

:func:`select_lots` picks the lots of one symbol in one account for a sale of a number of
shares or dollars, by a cost-basis method, and estimates each lot's share of the tax with
:func:`toolkit.tax.gains.gains_tax`. :func:`compare_methods` runs several methods side by side.

Methods (identification rules: Treas. Reg. §1.1012-1(c); Pub 550 "Identifying shares"):

``fifo``
    Earliest acquired first (the default when shares are not identified, §1.1012-1(c)(1)).
``lifo``
    Latest acquired first.
``hifo`` / ``lofo``
    Highest / lowest cost per share first (ties: earliest acquired first).
``average``
    Single-category average basis: every share sold carries the average cost per share of
    all shares held in the account; for the holding period the shares sold are those
    acquired first (Pub 550; §1.1012-1(e)). Allowed only for shares of a regulated
    investment company (mutual funds and ETFs organised as RICs) or dividend-reinvestment
    plan stock. The toolkit allows it for security-master vehicles ``etf``, ``mutual_fund``
    and ``money_market``, refuses it for ``stock`` and unknown securities, and also refuses
    it for physically backed gold and spot-bitcoin ETFs (sub-classes ``gold``, ``crypto``),
    which are grantor trusts, not RICs (an inference from the regulation's wording; the
    master has no RIC flag, so commodity-pool ETFs are not caught).
``specific``
    The lots named in ``lot_ids``, in that order (optionally capped by ``quantities``).
``min_tax``
    Tax-aware specific identification, exact: the set of lot shares whose sale costs the least
    tax (:func:`~toolkit.tax.gains.gains_tax` on the year-to-date profile). The tax depends
    only on the sale's net short- and long-term gains and grows with each, so for any split
    of the shares between short- and long-term lots the lots with the least gain per share
    of each term go first; what is left is one number, the shares taken from short-term
    lots, and the tax along it is piecewise linear (the lots' edges, the brackets, the
    0%/15%/20% thresholds, the NIIT threshold, the netting of losses). Every corner of that
    curve is found (each straight piece checked by evaluation) and the cheapest point kept;
    a sale of whole shares from lots of whole shares is searched in whole shares. So a sale
    crossing the 0%/15% threshold takes just enough short-term shares to stay under it.
    ``attrs["min_tax_order"]`` is ``"exact"``.

The sale date is ``household.as_of``; each lot's term counts from its ``holding_start``
(:mod:`toolkit.tax.holding`), so wash-sale replacement lots keep their tacked holding period;
their ``cost_basis`` already includes any disallowed wash-sale loss. Trades in a tax-advantaged
account realise no gain: ``est_tax`` is 0 there and ``min_tax`` falls back to FIFO.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

import numpy as np
import pandas as pd

from toolkit.errors import PlanningError
from toolkit.household import Household
from toolkit.schema import DATE_DTYPE, TaxType, Term, validate_lots
from toolkit.tax.engine import liability_parts, profile_for, tax_change, tax_inputs, total_tax
from toolkit.tax.gains import marginal_rates
from toolkit.tax.holding import long_term_dates

__all__ = ["LotSelection", "compare_methods", "select_lots"]

#: Lot-selection methods understood by :func:`select_lots`.
class LotSelection(StrEnum):
    """How :func:`select_lots` chooses the lots of one sale (its ``method``; module docstring).

    Not to be confused with an account's relief method for sales that name no lots
    (:class:`~toolkit.schema.CostBasisMethod`, what a history is replayed with).
    """

    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    LOFO = "lofo"
    AVERAGE = "average"
    SPECIFIC = "specific"
    MIN_TAX = "min_tax"


_SELECTIONS = tuple(m.value for m in LotSelection)
#: Methods :func:`compare_methods` runs by default (``average`` only where allowed).
DEFAULT_COMPARE = tuple(m.value for m in LotSelection if m is not LotSelection.SPECIFIC)
_RIC_VEHICLES = ("etf", "mutual_fund", "money_market")
_GRANTOR_TRUST_SUBCLASSES = ("gold", "crypto")
_EPS = 1e-9

_OUT_COLUMNS = ["lot_id", "account", "symbol", "acquired", "holding_start", "term", "quantity",
                "price", "proceeds", "basis_per_share", "cost_basis", "gain", "est_tax"]


def _average_refusal(household: Household, symbol: str) -> str | None:
    """Why average basis is not allowed for ``symbol`` (None when it is)."""
    row = household.securities.get(symbol)
    rule = ("average basis is allowed only for RIC shares (mutual funds and ETFs organised as "
            "regulated investment companies) and dividend-reinvestment-plan stock "
            "(Treas. Reg. 1.1012-1(e))")
    if row is None:
        return (f"{rule}; {symbol} is not in the security master, so it is treated as a stock. "
                "Add it with vehicle etf or mutual_fund if it is a fund")
    vehicle = str(row["vehicle"])
    if vehicle not in _RIC_VEHICLES:
        return f"{rule}; {symbol} has vehicle {vehicle!r}"
    sub = row.get("sub_class")
    if isinstance(sub, str) and sub in _GRANTOR_TRUST_SUBCLASSES:
        return (f"{rule}; {symbol} ({sub}) is a grantor trust holding the asset directly, "
                "not a RIC")
    return None


def _pool(household: Household, account: str, symbol: str,
          lots: pd.DataFrame | None) -> pd.DataFrame:
    if lots is None:
        src = household.lots
    else:
        src = lots.copy()
        for col, val in (("account", account), ("symbol", symbol)):
            if col not in src.columns:
                src[col] = val
        if "lot_id" not in src.columns:
            src["lot_id"] = [f"lot{i + 1}" for i in range(len(src))]
        src = validate_lots(src, where="lots=")
    pool = src[(src["account"] == account) & (src["symbol"] == symbol)]
    if pool.empty:
        raise PlanningError(f"no lots of {symbol} in account {account!r}"
                            + ("" if lots is None else " in the lots given"))
    pool = pool.reset_index(drop=True)
    if pool["lot_id"].isna().any():
        pool["lot_id"] = pool["lot_id"].where(pool["lot_id"].notna(),
                                              pd.Series([f"#{i}" for i in range(len(pool))]))
    return pool


def _price(household: Household, account: str, symbol: str, price) -> float:
    if price is None:
        pos = household.positions
        hit = pos[(pos["account"] == account) & (pos["symbol"] == symbol)]
        p = float("nan")
        if len(hit):
            row = hit.iloc[0]
            p = row["price"]
            if pd.isna(p) and row["quantity"] and not pd.isna(row["quantity"]):
                p = row["market_value"] / row["quantity"]
        if pd.isna(p):
            raise PlanningError(f"no price for {symbol} in account {account!r}; pass price=")
        price = p
    price = float(price)
    if not np.isfinite(price) or price <= 0:
        raise PlanningError(f"price of {symbol} must be a positive number of dollars, "
                            f"got {price!r}")
    return price


def _order(method: str, qty, bps, acq, is_long, price: float, rates: dict | None):
    n = len(qty)
    idx = np.arange(n)
    if method in ("fifo", "average"):
        return np.lexsort((idx, acq))
    if method == "lifo":
        return np.lexsort((idx, -acq))
    if method == "hifo":
        return np.lexsort((idx, acq, -bps))
    if method == "lofo":
        return np.lexsort((idx, acq, bps))
    if method == "min_tax":
        gps = price - bps
        loss = gps < 0
        rate = np.where(is_long, rates["long_term"], rates["short_term"])
        per_dollar = rate * gps / price
        key2 = np.where(loss, gps, per_dollar)
        return np.lexsort((idx, acq, gps, ~is_long, key2, ~loss))
    raise AssertionError(method)


def _take(order, qty, shares: float) -> np.ndarray:
    q = qty[order]
    before = np.cumsum(q) - q
    take = np.clip(shares - before, 0.0, q)
    take[take < _EPS * max(1.0, shares)] = 0.0
    out = np.zeros_like(qty)
    out[order] = take
    return out


def _corners(f, a: float, b: float, fa: float, fb: float, depth: int = 0) -> list[float]:
    """The corners of a piecewise-linear ``f`` strictly between ``a`` and ``b``.

    Each end's slope is measured; where the two lines through the ends meet, ``f`` is
    evaluated: on both lines (and straight either side), that is the one corner; else the
    interval is split and both halves searched.
    """
    if b - a <= 1e-9 * max(1.0, abs(b)) or depth > 60:
        return []
    h = (b - a) * 1e-6
    da = (f(a + h) - fa) / h
    db = (fb - f(b - h)) / h
    tol = 1e-7 * (1.0 + abs(fa) + abs(fb))

    def on_a(x: float, fx: float) -> bool:
        return abs(fx - (fa + da * (x - a))) <= tol

    def on_b(x: float, fx: float) -> bool:
        return abs(fx - (fb + db * (x - b))) <= tol

    m = 0.5 * (a + b)
    if abs(da - db) > 1e-12 * (1.0 + abs(da) + abs(db)):
        x = (fb - fa + da * a - db * b) / (da - db)
        if a < x < b:
            fx = f(x)
            left, right = 0.5 * (a + x), 0.5 * (x + b)
            if on_a(x, fx) and on_b(x, fx) and on_a(left, f(left)) and on_b(right, f(right)):
                return [x]
            m = x
    else:
        fm = f(m)
        if on_a(m, fm):
            return []
    fm = f(m)
    return _corners(f, a, m, fa, fm, depth + 1) + [m] + _corners(f, m, b, fm, fb, depth + 1)


def _fill(idx: np.ndarray, qty: np.ndarray, shares: float) -> np.ndarray:
    """Shares taken from the lots ``idx`` in that order for a sale of ``shares``."""
    q = qty[idx]
    return np.clip(shares - (np.cumsum(q) - q), 0.0, q)


def _exact_min_tax(inp, qty, gps, is_long, want: float) -> np.ndarray:
    """The least-tax shares per lot for a sale of ``want`` shares (module docstring)."""
    n = len(qty)
    idx = np.arange(n)
    s_idx = idx[~is_long][np.lexsort((idx[~is_long], gps[~is_long]))]
    l_idx = idx[is_long][np.lexsort((idx[is_long], gps[is_long]))]
    qs, ql = float(qty[s_idx].sum()), float(qty[l_idx].sum())
    lo, hi = max(0.0, want - ql), min(qs, want)

    def take(s: float) -> np.ndarray:
        out = np.zeros(n)
        out[s_idx] = _fill(s_idx, qty, s)
        out[l_idx] = _fill(l_idx, qty, want - s)
        return out

    def u(s: float) -> float:  # the tax, unrounded (piecewise linear in s)
        t = take(s)
        g = t * gps
        r = liability_parts(inp, float(g[~is_long].sum()), float(g[is_long].sum()))
        return r["federal"] + r["state"] + r["niit"]

    edges = {lo, hi}
    edges |= {float(c) for c in np.cumsum(qty[s_idx]) if lo < c < hi}
    edges |= {float(want - c) for c in np.cumsum(qty[l_idx]) if lo < want - c < hi}
    edges = sorted(edges)
    points = set(edges)
    vals = {e: u(e) for e in edges}
    for a, b in zip(edges, edges[1:], strict=False):
        points.update(_corners(u, a, b, vals[a], vals[b]))
    whole = abs(want - round(want)) < 1e-9 and bool(np.all(np.abs(qty - np.round(qty)) < 1e-9))
    if whole:  # whole shares: the whole numbers either side of every corner
        lo_w, hi_w = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
        points = {min(max(float(v), lo_w), hi_w) for p in points
                  for v in (math.floor(p + 1e-9), math.ceil(p - 1e-9))}
    base = liability_parts(inp, 0.0, 0.0)
    best = None
    for s in sorted(points):
        t = take(s)
        c = tax_change(inp, *_sums(t, gps, is_long), base=base)
        if best is None or c < best[0] - 1e-9:
            best = (c, t)
    return best[1]


def _sums(take, gps, is_long) -> tuple[float, float]:
    g = take * gps
    return float(g[~is_long].sum()), float(g[is_long].sum())


def _allocate(inp, gains: np.ndarray, is_long: np.ndarray, total: float) -> np.ndarray:
    """Split ``total`` (cents) over rows: by term (Shapley over the two terms), then by gain."""
    st = float(gains[~is_long].sum())
    lt = float(gains[is_long].sum())
    t00 = total_tax(inp, 0.0, 0.0)
    tax_st = 0.5 * ((total_tax(inp, st, 0.0) - t00)
                    + (total_tax(inp, st, lt) - total_tax(inp, 0.0, lt)))
    tax_lt = total - tax_st
    est = np.zeros(len(gains))
    for mask, tax in ((~is_long, tax_st), (is_long, tax_lt)):
        if not mask.any():
            continue
        g = gains[mask]
        net = g.sum()
        if abs(net) >= 0.01:
            w = g / net
        elif np.abs(g).sum() > 0:
            w = np.abs(g) / np.abs(g).sum()
        else:
            w = np.full(len(g), 1.0 / len(g))
        est[mask] = tax * w
    # round to cents, putting the rounding remainder on the largest row so the sum is exact
    cents = np.round(est * 100.0)
    diff = int(round(total * 100.0)) - int(cents.sum())
    if len(cents) and diff:
        cents[int(np.argmax(np.abs(est)))] += diff
    return cents / 100.0


def select_lots(household: Household, account: str, symbol: str, shares: float | None = None,
                dollars: float | None = None, method: str = "min_tax", price: float | None = None,
                lots: pd.DataFrame | None = None, lot_ids: Sequence[str] | None = None,
                quantities: Sequence[float] | None = None) -> pd.DataFrame:
    """The lots to sell for a sale of ``shares`` or ``dollars`` of one symbol in one account.

    Parameters
    ----------
    household : Household
        Supplies the lots, the price (positions), the sale date (``as_of``), the account's
        tax type and the security master. Tax is priced on the household's year-to-date
        profile (:func:`toolkit.tax.profile_for`: the file's profile plus this year's
        realised sales), as :func:`~toolkit.tax.gains_tax` prices a household.
    account, symbol : str
        The household account id and the symbol sold.
    shares, dollars : float, optional
        Exactly one: shares to sell, or dollars to raise (shares = dollars / price).
    method : str, default "min_tax"
        One of :class:`LotSelection` (see the module docstring).
    price : float, optional
        Price per share in dollars; default the position's price in the household.
    lots : DataFrame, optional
        Lots to choose from instead of the household's (canonical lots columns; ``account``
        and ``symbol`` default to the ones given; rows of other accounts/symbols ignored).
    lot_ids : sequence of str, optional
        For ``specific``: the lots to sell, in order.
    quantities : sequence of float, optional
        For ``specific``: shares at most to take from each of ``lot_ids``.

    Returns
    -------
    DataFrame
        One row per lot sold (or part of one), in selling order: ``lot_id``, ``account``,
        ``symbol``, ``acquired``, ``holding_start`` (dates), ``term`` (``short``/``long`` at
        ``as_of``), ``quantity`` (shares), ``price`` (dollars/share), ``proceeds``,
        ``basis_per_share``, ``cost_basis``, ``gain`` (dollars) and ``est_tax``: the lot's
        share of ``gains_tax(household, short_term_gain, long_term_gain).total`` for the whole
        sale, to the cent, the rows summing exactly to it (split between the terms by the
        average of each term's incremental tax taken first and last, then within a term in
        proportion to gain). ``attrs`` holds ``method`` (the method used; for ``min_tax``
        also ``min_tax_order``: ``exact``) and
        ``tax`` (the total).

    Raises
    ------
    PlanningError
        If both or neither of shares/dollars are given, the amount is not positive, more is
        asked than held (naming account, symbol, held and asked), there is no price, a lot
        used has no cost basis (taxable accounts), ``average`` is used for a non-RIC
        security, or ``specific`` names unknown lots or too few shares.
    HouseholdError
        If the account is not in the household.
    """
    if method not in _SELECTIONS:
        raise PlanningError(f"unknown lot-selection method {method!r}; use one of "
                            f"{', '.join(_SELECTIONS)}")
    if (shares is None) == (dollars is None):
        raise PlanningError("give exactly one of shares= or dollars=")
    tax_type = household.tax_type(account)
    pool = _pool(household, account, symbol, lots)
    px = _price(household, account, symbol, price)
    amount = float(shares if shares is not None else dollars)
    if not np.isfinite(amount) or amount <= 0:
        raise PlanningError(f"{'shares' if shares is not None else 'dollars'} must be a "
                            f"positive number, got {amount!r}")
    want = amount if shares is not None else amount / px
    qty = pool["quantity"].to_numpy(dtype="float64")
    held = float(qty.sum())
    if want > held * (1 + 1e-12) + _EPS:
        asked = (f"{want:,.6g} shares" if shares is not None else
                 f"${amount:,.2f} ({want:,.6g} shares at ${px:,.2f})")
        raise PlanningError(f"cannot sell {asked} of {symbol} in account {account!r}: "
                            f"{held:,.6g} shares held")
    want = min(want, held)
    taxable = not TaxType(tax_type).tax_advantaged
    if method == "average":
        why = _average_refusal(household, symbol)
        if why:
            raise PlanningError(f"{symbol} in account {account!r}: {why}")
    basis = pool["cost_basis"].to_numpy(dtype="float64")
    bps = basis / qty
    acq = pool["acquired"].to_numpy(dtype=DATE_DTYPE).astype("int64")
    as_of = pd.Timestamp(household.as_of)
    is_long = (long_term_dates(pool["holding_start"]) <= as_of).to_numpy()
    ids = pool["lot_id"].astype("str").to_numpy()
    if method == "average":
        if np.isnan(basis).any() and taxable:
            _missing_basis(ids, np.isnan(basis), symbol, account)
        bps = np.full(len(qty), basis.sum() / held)
    profile = profile_for(household) if taxable else None
    inp = tax_inputs(profile) if taxable else None
    chosen = method
    if method == "specific":
        take, order = _specific(ids, qty, want, lot_ids, quantities, symbol, account)
    else:
        eff = "fifo" if (method == "min_tax" and not taxable) else method
        chosen = eff
        if taxable and eff in ("hifo", "lofo", "min_tax") and np.isnan(bps).any():
            _missing_basis(ids, np.isnan(bps), symbol, account)
        rates = marginal_rates(profile) if eff == "min_tax" else None
        order = _order(eff, qty, bps, acq, is_long, px, rates)
        take = _take(order, qty, want)
        if eff == "min_tax":
            take = _exact_min_tax(inp, qty, px - bps, is_long, want)
            take[take < _EPS * max(1.0, want)] = 0.0
            chosen = "exact"
    used = order[take[order] > 0]
    q = take[used]
    if taxable and np.isnan(bps[used]).any():
        _missing_basis(ids[used], np.isnan(bps[used]), symbol, account)
    proceeds = q * px
    cost = q * bps[used]
    gain = proceeds - cost
    long_used = is_long[used]
    if taxable:
        st, lt = float(gain[~long_used].sum()), float(gain[long_used].sum())
        total = tax_change(inp, st, lt)
        est = _allocate(inp, gain, long_used, total)
    else:
        total = 0.0
        est = np.zeros(len(used))
    out = pd.DataFrame({
        "lot_id": pd.Series(ids[used], dtype="str"),
        "account": pd.Series([account] * len(used), dtype="str"),
        "symbol": pd.Series([symbol] * len(used), dtype="str"),
        "acquired": pool["acquired"].to_numpy()[used].astype(DATE_DTYPE),
        "holding_start": pool["holding_start"].to_numpy()[used].astype(DATE_DTYPE),
        "term": pd.Series(np.where(long_used, Term.LONG.value, Term.SHORT.value), dtype="str"),
        "quantity": q,
        "price": np.full(len(used), px),
        "proceeds": proceeds,
        "basis_per_share": bps[used],
        "cost_basis": cost,
        "gain": gain,
        "est_tax": est,
    }, columns=_OUT_COLUMNS)
    out.attrs["method"] = method
    if method == "min_tax":
        out.attrs["min_tax_order"] = chosen
    out.attrs["tax"] = total
    return out


def _missing_basis(ids, mask, symbol: str, account: str) -> None:
    missing = ", ".join(map(str, np.asarray(ids)[mask][:10]))
    raise PlanningError(f"lots of {symbol} in account {account!r} have no cost basis "
                        f"({missing}); the tax of a sale cannot be estimated. Add the basis "
                        "or pass lots= with it")


def _specific(ids, qty, want: float, lot_ids, quantities, symbol: str, account: str):
    if not lot_ids:
        raise PlanningError("method 'specific' needs lot_ids=[...]")
    lot_ids = [str(x) for x in lot_ids]
    if quantities is not None and len(quantities) != len(lot_ids):
        raise PlanningError(f"quantities has {len(quantities)} values for {len(lot_ids)} "
                            "lot_ids")
    where = {lid: i for i, lid in enumerate(ids)}
    unknown = [x for x in lot_ids if x not in where]
    if unknown:
        raise PlanningError(f"unknown lot id(s) {unknown} for {symbol} in account {account!r}; "
                            f"known: {', '.join(map(str, ids[:20]))}")
    if len(set(lot_ids)) != len(lot_ids):
        raise PlanningError(f"lot_ids {lot_ids} name a lot twice")
    order = np.array([where[x] for x in lot_ids])
    cap = qty[order].copy()
    if quantities is not None:
        asked = np.asarray(quantities, dtype="float64")
        if (asked <= 0).any() or (asked > cap * (1 + 1e-12) + _EPS).any():
            raise PlanningError(f"quantities {list(asked)} must be positive and at most each "
                                f"lot's shares {list(cap)}")
        cap = np.minimum(asked, cap)
    if cap.sum() < want * (1 - 1e-12) - _EPS:
        raise PlanningError(f"lots {lot_ids} of {symbol} in account {account!r} give "
                            f"{cap.sum():,.6g} shares; {want:,.6g} asked")
    before = np.cumsum(cap) - cap
    t = np.clip(want - before, 0.0, cap)
    take = np.zeros_like(qty)
    take[order] = t
    return take, order


def compare_methods(household: Household, account: str, symbol: str,
                    shares: float | None = None, dollars: float | None = None,
                    methods: Sequence[str] | None = None, price: float | None = None,
                    lots: pd.DataFrame | None = None) -> pd.DataFrame:
    """The same sale under several lot-selection methods, side by side.

    Parameters
    ----------
    household, account, symbol, shares, dollars, price, lots
        As for :func:`select_lots` (tax priced on the household's year-to-date profile,
        :func:`toolkit.tax.profile_for`).
    methods : sequence of str, optional
        Methods to run (not ``specific``). Default: fifo, lifo, hifo, lofo, average (only
        when allowed for the security) and min_tax.

    Returns
    -------
    DataFrame
        One row per method: ``method``, ``shares``, ``proceeds``, ``short_term_gain``,
        ``long_term_gain``, ``tax`` (the sale's ``gains_tax`` total, dollars),
        ``after_tax_proceeds`` (proceeds - tax) and ``tax_per_dollar`` (tax / proceeds).

    Raises
    ------
    PlanningError
        As :func:`select_lots`; also for ``specific`` or an explicitly asked ``average``
        that is not allowed.
    """
    if methods is None:
        methods = [m for m in DEFAULT_COMPARE
                   if m != "average" or _average_refusal(household, symbol) is None]
    rows = []
    for m in methods:
        if m == "specific":
            raise PlanningError("compare_methods cannot run 'specific' (it needs lot_ids); "
                                "use select_lots")
        sel = select_lots(household, account, symbol, shares=shares, dollars=dollars,
                          method=m, price=price, lots=lots)
        long_ = sel["term"].eq(Term.LONG.value)
        proceeds = float(sel["proceeds"].sum())
        tax = float(sel.attrs["tax"])
        rows.append({
            "method": m,
            "shares": float(sel["quantity"].sum()),
            "proceeds": proceeds,
            "short_term_gain": float(sel.loc[~long_, "gain"].sum()),
            "long_term_gain": float(sel.loc[long_, "gain"].sum()),
            "tax": tax,
            "after_tax_proceeds": proceeds - tax,
            "tax_per_dollar": tax / proceeds if proceeds else float("nan"),
        })
    out = pd.DataFrame(rows, columns=["method", "shares", "proceeds", "short_term_gain",
                                      "long_term_gain", "tax", "after_tax_proceeds",
                                      "tax_per_dollar"])
    out["method"] = out["method"].astype("str")
    return out
