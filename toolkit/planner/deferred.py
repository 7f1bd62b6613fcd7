"""What a plan left undone and what would do it: the proceed/delay test in numbers.

The seed's rule: "If selling will create a large long-term gain but the tax cost is acceptable
relative to rebalancing benefits, proceed; otherwise delay or use contributions." A taxable
sale proceeds when its tax is at most the price of drift (``drift_price``, dollars of tax per
dollar moved back toward the band; or within the gains budget when one is set). After the
plan, :func:`left_undone` reports for each class still outside its band: the dollars still
to move, the tax that selling them now would cost (the least-tax lots, priced exactly on top
of the plan's own gains) and that tax per dollar against the price; :func:`new_money_needed`
the contributions that would bring every class inside its band without selling; and, for the
lots that selling would take, what waiting for short-term ones to turn long-term would save.
:func:`waiting` says the same for the short-term lots the plan does sell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.planner._book import Book
from toolkit.planner._guard import Guard
from toolkit.planner._picks import marginal_tax, pick_lots, plan_gains
from toolkit.planner.reasons import class_words, money_text
from toolkit.planner.waterfall import can_reinvest, needs, taxable_holdings
from toolkit.schema import UNCLASSIFIED

__all__ = ["left_undone", "new_money_needed", "waiting"]

_SKIP = ("cash", UNCLASSIFIED)


def new_money_needed(book: Book, targets: pd.Series) -> float | None:
    """Dollars of new money that would bring every class inside its band without a sale.

    The least total ``C`` such that, invested in the classes below their band, every class
    ends inside it: each class above its band is diluted to its upper edge
    (``value / (total + C) <= upper``) and the classes below are bought up to their lower
    edge. None when new money cannot do it (a class above a band of zero width, such as a
    holding with no target).

    Parameters
    ----------
    book : Book
        The state after the plan.
    targets : Series

    Returns
    -------
    float or None
        Dollars, to the cent.
    """
    band = book.options.band
    cv = book.class_values()
    total = sum(cv.values())
    classes = [c for c in list(targets.index) + [c for c in cv if c not in targets.index]
               if c not in _SKIP]
    t = targets.reindex(classes).fillna(0.0)
    hw = band.half_width(t)
    upper = (t + hw).to_numpy()
    lower = (t - hw).clip(lower=0.0).to_numpy()
    v = np.array([cv.get(c, 0.0) for c in classes])

    def ok(c: float) -> bool:
        tot = total + c
        if (v > upper * tot + 0.005).any():
            return False
        return float(np.maximum(lower * tot - v, 0.0).sum()) <= c + 0.005

    if ok(0.0):
        return 0.0
    hi = max(total, 1.0)
    while not ok(hi):
        hi *= 2
        if hi > 1e4 * max(total, 1.0):
            return None
    lo = 0.0
    while hi - lo > 0.005:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return round(hi, 2)


def left_undone(book: Book, guard: Guard, targets: pd.Series) -> list[dict]:
    """Each class still outside its band after the plan, with the numbers of the test.

    Parameters
    ----------
    book : Book
        The state after the plan (not changed).
    guard : Guard
    targets : Series

    Returns
    -------
    list of dict
        Per overweight class still outside its band (largest first): ``asset_class``,
        ``dollars`` (still to move back inside the band), ``sellable`` (what the plan's rules
        let taxable accounts sell of it), ``tax_now`` (the tax of selling that now, dollars),
        ``tax_per_dollar``, ``drift_price``, ``within_price`` (whether that passes the
        test), ``soon`` (short-term lots of that sale turning long-term within
        ``wait_days``: ``account``, ``symbol``, ``lot_id``, ``long_from``) and
        ``tax_if_long`` (the tax once they have), and ``reason`` in words.
    """
    opts = book.options
    need_sell, _ = needs(book, targets, opts.band, opts.to == "target")
    out: list[dict] = []
    base = plan_gains(book)
    price = opts.price_of_drift
    as_of = pd.Timestamp(book.household.as_of)
    for o, amount in sorted(need_sell.items(), key=lambda kv: -kv[1]):
        if amount < max(1.0, opts.min_trade):
            continue
        every = taxable_holdings(book, guard, o, [])
        keys = [k for k in every if can_reinvest(book, guard, targets, k[0])]
        picked = pick_lots(book, guard, keys, amount, price_test=False)
        st = lt = st_soon = 0.0
        soon = []
        for k, take in picked.takes.items():
            lb = book.lots[k]
            hd = book.holdings[k]
            for i in picked.order[k]:
                q = take[i]
                if q <= 0:
                    continue
                g = q * (hd.price - lb.basis_ps[i])
                if lb.is_long[i]:
                    lt += g
                else:
                    st += g
                    when = pd.Timestamp(lb.long_from[i])
                    if g > 0 and (when - as_of).days <= opts.wait_days:
                        st_soon += g
                        soon.append({"account": k[0], "symbol": k[1],
                                     "lot_id": str(lb.lot_id[i]),
                                     "long_from": when.date().isoformat()})
        value = picked.raised
        tax_now = marginal_tax(book, st, lt, base) if value > 0 else 0.0
        tax_long = marginal_tax(book, st - st_soon, lt + st_soon, base) if soon else None
        per = tax_now / value if value > 0 else float("nan")
        within = bool(value > 0 and tax_now <= price * value + 0.005)
        words = (f"{class_words(o)}: {money_text(amount)} still above its band")
        if value <= 0.005 and every and not keys:
            words += (": no taxable account holding it has a fund it may buy for the "
                      "underweight classes (a price, the menus and do-not-buy lists)")
        elif value <= 0.005:
            words += (": nothing in taxable accounts may be sold (restrictions, untrusted "
                      "lots, the wash-sale guard"
                      + ("" if opts.allow_short_term_gains else ", short-term gains not allowed")
                      + ")")
        elif opts.gains_budget is not None:
            words += (f"; selling {money_text(value)} now would realise more than the gains "
                      f"budget allows (tax {money_text(tax_now)})")
        else:
            words += (f"; selling {money_text(value)} of it now would cost "
                      f"{money_text(tax_now)} of tax ({100 * per:.1f} cents per dollar, "
                      f"{'within' if within else 'above'} the drift price of "
                      f"{100 * price:.0f} cents)")
        if soon and tax_long is not None:
            last = max(s["long_from"] for s in soon)
            words += (f"; waiting until {last} for {len(soon)} short-term lot(s) to turn "
                      f"long-term would make it {money_text(tax_long)}")
        out.append({"asset_class": o, "dollars": round(amount, 2),
                    "sellable": round(value, 2), "tax_now": round(tax_now, 2),
                    "tax_per_dollar": round(per, 4) if value > 0 else None,
                    "drift_price": price, "within_price": within, "soon": soon,
                    "tax_if_long": None if tax_long is None else round(tax_long, 2),
                    "reason": words})
    return out


def waiting(book: Book, lots: pd.DataFrame, tax: float) -> dict | None:
    """What waiting would save on the short-term lots the plan sells at a gain.

    Parameters
    ----------
    book : Book
    lots : DataFrame
        The plan's lots sold (``term``, ``gain``, ``long_from``, ``account``, ``symbol``,
        ``lot_id``).
    tax : float
        The plan's tax, dollars.

    Returns
    -------
    dict or None
        None when no such lot turns long-term within ``wait_days``; else ``lots`` (each
        ``account``, ``symbol``, ``lot_id``, ``gain``, ``long_from``), ``until`` (the last
        of those dates), ``tax_then`` (the plan's tax were they long-term) and ``saving``.
    """
    if not len(lots):
        return None
    as_of = pd.Timestamp(book.household.as_of)
    days = (pd.to_datetime(lots["long_from"]) - as_of).dt.days
    soon = lots[(lots["term"] == "short") & (lots["gain"] > 0.005)
                & (days <= book.options.wait_days)]
    if soon.empty:
        return None
    soon = soon.groupby(["account", "symbol", "lot_id"], as_index=False, sort=False).agg(
        gain=("gain", "sum"), long_from=("long_from", "first"))
    g = float(soon["gain"].sum())
    st, lt = plan_gains(book)
    then = marginal_tax(book, st - g, lt + g, (0.0, 0.0))
    rows = [{"account": r.account, "symbol": r.symbol, "lot_id": r.lot_id,
             "gain": round(float(r.gain), 2),
             "long_from": pd.Timestamp(r.long_from).date().isoformat()}
            for r in soon.itertuples(index=False)]
    return {"lots": rows, "until": max(r["long_from"] for r in rows),
            "tax_then": round(then, 2), "saving": round(tax - then, 2)}
