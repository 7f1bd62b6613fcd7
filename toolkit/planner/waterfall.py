"""The waterfall: the explainable rebalancing order.

1. **Cash flows.** New contributions, dividends and idle cash (above each account's cash
   floor) buy underweight classes, in the accounts where those classes should live (the
   placement playbook, :func:`toolkit.location.placement_score`). Withdrawals raise cash in their
   own account from its most overweight classes.
2. **Tax-advantaged accounts.** Inside IRAs, Roth IRAs, 401(k)s and HSAs, overweight classes
   are sold and underweight ones bought: no tax, so these trades aim at the target, moving the
   classes that fit each account best.
3. **Taxable sales, last and least.** Only if a class is still outside its band: overweight
   classes are sold in taxable accounts lot by lot, losses first (largest loss per dollar),
   then gains in increasing tax per dollar raised (long-term before short-term at equal tax;
   short-term gains only when allowed; within the gains budget), only as far as needed to get
   inside the band (or to target with ``to="target"``). Each account's proceeds buy its own
   underweight classes: no money moves between accounts.

Every trade carries a plain-language reason; each step reports the drift it removed and the
tax it cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.allocation import Band
from toolkit.location import placement_reason, placement_score
from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import Guard
from toolkit.schema import UNCLASSIFIED

_SKIP = ("cash", UNCLASSIFIED)


def money_text(x: float) -> str:
    """Dollars as ``$1,234`` (no cents), for notes and reasons."""
    return f"${x:,.0f}"


def deficits(book: Book, targets: pd.Series) -> dict[str, float]:
    """Dollars each class needs (+) or has too much (−) against the target."""
    cv = book.class_values()
    total = sum(cv.values())
    classes = set(targets.index) | set(cv)
    return {c: float(targets.get(c, 0.0)) * total - cv.get(c, 0.0) for c in classes}


def abs_drift(book: Book, targets: pd.Series) -> float:
    """Sum of absolute class drifts, in fractions of the household."""
    cv = book.class_values()
    total = sum(cv.values()) or 1.0
    classes = set(targets.index) | set(cv)
    return float(sum(abs(cv.get(c, 0.0) / total - targets.get(c, 0.0)) for c in classes))


def _label(book: Book, account: str) -> str:
    return book.labels.get(account, account)


def step_cash(book: Book, guard: Guard, targets: pd.Series, step: int = 1) -> list[str]:
    """Step 1: cash flows to underweight classes where they should live; withdrawals.

    Returns notes (what a withdrawal or cash floor could not raise, and why).
    """
    opts = book.options
    notes: list[str] = []
    for a in list(book.cash):  # withdrawals and floors first: raise cash where it is short
        short = opts.floor(a) - book.cash[a]
        if short > EPS:
            notes += _raise_cash(book, guard, targets, a, short, step)
    d = deficits(book, targets)
    spendable = max(0.0, -d.get("cash", 0.0))  # cash above the household's cash target
    invest = {a: max(0.0, book.cash[a] - opts.floor(a)) for a in book.cash}
    pairs = []
    for c, need in d.items():
        if need <= EPS or c in _SKIP:
            continue
        for a, money in invest.items():
            if money <= EPS:
                continue
            fund = guard.fund_for(a, c)
            if fund is not None:
                pairs.append((-placement_score(c, book.treatment[a]), -need, c, a, fund))
    for _, _, c, a, fund in sorted(pairs):
        amt = min(d[c], invest[a], spendable)
        if amt <= max(opts.min_trade, EPS):
            continue
        why = placement_reason(c, book.treatment[a])
        spent = book.buy(a, fund, amt, asset_class=c, step=step, reason=(
            f"invest {money_text(amt)} of {_label(book, a)} cash in {c} (underweight by "
            f"{money_text(d[c])})" + (f": {why}" if why else "")))
        d[c] -= spent
        invest[a] -= spent
        spendable -= spent
    return notes


def plan_realized_gain(book: Book) -> float:
    """Net gain realised by the plan's sales so far, dollars."""
    return sum(t.get("short_term_gain", 0.0) + t.get("long_term_gain", 0.0)
               for t in book.trades if t["side"] == "sell")


def _take_lots(book: Book, guard: Guard, account: str, symbol: str, dollars: float
               ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Lot shares of one taxable holding worth about ``dollars``, least tax first.

    Only lots the plan may sell: a known basis, no short-term gain unless allowed, no loss the
    wash-sale guard blocks, within the gains budget. Returns the shares per lot, the lots in
    the order taken, and notes.
    """
    opts = book.options
    lb = book.lots[(account, symbol)]
    price = book.holdings[(account, symbol)].price
    gain_ps = price - lb.basis_ps
    blocked = guard.loss_sale_blocked(symbol)
    notes = []
    ok = (lb.quantity > EPS) & np.isfinite(gain_ps)
    if not opts.allow_short_term_gains:
        ok &= ~((gain_ps > 0) & ~lb.is_long)
    if blocked:
        if (ok & (gain_ps < 0)).any():
            notes.append(f"loss lots of {symbol} in {account} not sold: it would be a wash sale "
                         f"({blocked})")
        ok &= ~(gain_ps < 0)
    room = None if opts.gains_budget is None else opts.gains_budget - plan_realized_gain(book)
    take = np.zeros(len(lb.quantity))
    picked = []
    left = dollars
    for i in _lot_order(book, guard, account, symbol):
        if left <= 0.005:
            break
        if not ok[i]:
            continue
        q = min(lb.quantity[i], left / price)
        if opts.whole_shares:
            q = min(lb.quantity[i], float(np.ceil(q - EPS)))
        g = q * gain_ps[i]
        if room is not None and g > 0 and g > room + 0.005:
            q = max(room, 0.0) / gain_ps[i]
            if opts.whole_shares:
                q = float(np.floor(q + EPS))
            g = q * gain_ps[i]
        if q <= EPS:
            continue
        take[i] = q
        picked.append(int(i))
        left -= q * price
        if room is not None:
            room -= g
    return take, np.array(picked, dtype=np.int64), notes


def _raise_cash(book: Book, guard: Guard, targets: pd.Series, account: str, need: float,
                step: int) -> list[str]:
    """Raise ``need`` dollars of cash in ``account``; returns notes.

    First from its classes the household holds too much of (up to that excess), then from
    every single-class holding in proportion to its value, then from whatever may still be
    sold (multi-class funds included). Taxable
    lots follow the plan's rules (short-term gains, gains budget, wash-sale guard, untrusted
    or missing lots) and go least tax first.
    """
    opts = book.options
    d = deficits(book, targets)
    sellable = [hd for hd in book.holdings.values()
                if hd.account == account and hd.quantity > EPS
                and hd.symbol not in opts.do_not_sell and len(hd.classes) == 1]
    reason = f"raise {money_text(need)} of cash in {_label(book, account)} for the withdrawal / " \
             "cash floor"
    notes: list[str] = []
    taxable = book.treatment[account] == "taxable"
    if taxable:
        keep = []
        for hd in sellable:
            lb = book.lots.get((account, hd.symbol))
            if lb is None:
                notes.append(f"{hd.symbol} in {account} not sold: no tax lots, so its gain is "
                             "unknown")
            elif not lb.trusted and not opts.allow_untrusted:
                notes.append(f"{hd.symbol} in {account} not sold: its lots do not reconcile "
                             "with the position (allow_untrusted=True to sell anyway)")
            else:
                keep.append(hd)
        sellable = keep

    def sell(hd, amount: float) -> float:
        c = next(iter(hd.classes))
        amount = min(amount, hd.value)
        if not taxable:
            return book.sell(account, hd.symbol, amount, step=step,
                             reason=f"{reason}, from {c}")
        take, order, more = _take_lots(book, guard, account, hd.symbol, amount)
        notes.extend(more)
        if take.sum() <= EPS:
            return 0.0
        return book.sell(account, hd.symbol, 0.0, take=take, order=order, step=step,
                         reason=f"{reason}, from {c}")

    for hd in sorted(sellable, key=lambda hd: d.get(next(iter(hd.classes)), 0.0)):
        over = -d.get(next(iter(hd.classes)), 0.0)
        if need <= EPS or over <= EPS:
            continue
        got = sell(hd, min(need, over))
        d[next(iter(hd.classes))] = d.get(next(iter(hd.classes)), 0.0) + got
        need -= got
    if need > EPS:
        total = sum(hd.value for hd in sellable)
        shares = [(hd, need * hd.value / total) for hd in sellable if total > EPS]
        for hd, amount in shares:
            if amount > EPS:
                need -= sell(hd, amount)
    rest = sellable + [hd for hd in book.holdings.values()  # then multi-class funds too
                       if hd.account == account and hd.quantity > EPS and len(hd.classes) > 1
                       and hd.symbol not in opts.do_not_sell
                       and (not taxable or ((account, hd.symbol) in book.lots and (
                           book.lots[(account, hd.symbol)].trusted or opts.allow_untrusted)))]
    for hd in rest:  # what proportion could not take from some holding, from the rest
        if need <= 0.005:
            break
        if hd.quantity > EPS:
            need -= sell(hd, need)
    if need > max(0.005, opts.min_trade):
        notes.append(f"{_label(book, account)}: could raise only part of the cash needed "
                     f"({money_text(need)} short): restrictions, the wash-sale guard, short-term "
                     "gains or the gains budget")
    return list(dict.fromkeys(notes))


def step_tax_advantaged(book: Book, guard: Guard, targets: pd.Series, step: int = 2) -> None:
    """Step 2: sell overweight and buy underweight classes inside tax-advantaged accounts."""
    opts = book.options
    d = deficits(book, targets)
    triples = []
    for a, treat in book.treatment.items():
        if treat == "taxable":
            continue
        for o, over in d.items():
            if over >= -EPS or o in _SKIP:
                continue
            held = [hd for hd in book.held(a, o) if hd.symbol not in opts.do_not_sell]
            if not held:
                continue
            for u, under in d.items():
                if under <= EPS or u in _SKIP:
                    continue
                fund = guard.fund_for(a, u)
                if fund is not None:
                    gain = placement_score(u, treat) - placement_score(o, treat)
                    triples.append((-gain, -(min(-over, under)), o, u, a, fund))
    for _, _, o, u, a, fund in sorted(triples):
        amt = min(-d[o], d[u], sum(hd.value for hd in book.held(a, o)
                                   if hd.symbol not in opts.do_not_sell))
        if amt <= max(opts.min_trade, EPS):
            continue
        raised = 0.0
        for hd in book.held(a, o):
            if raised >= amt - EPS or hd.symbol in opts.do_not_sell:
                continue
            raised += book.sell(a, hd.symbol, amt - raised, step=step, reason=(
                f"sell {o} (overweight by {money_text(-d[o])}) inside {_label(book, a)}: "
                "no tax in a tax-advantaged account"))
        why = placement_reason(u, book.treatment[a])
        spent = book.buy(a, fund, min(raised, book.cash[a] - opts.floor(a)), asset_class=u,
                         step=step, reason=(
                             f"buy {u} (underweight by {money_text(d[u])}) inside {_label(book, a)}"
                             f" with the proceeds" + (f": {why}" if why else "")))
        d[o] += raised
        d[u] -= spent


def outside(book: Book, targets: pd.Series, band: Band) -> pd.DataFrame:
    """Current weights against the band, per class.

    Columns ``current``, ``target``, ``lower``, ``upper`` (fractions) and ``outside``.
    """
    cv = book.class_values()
    total = sum(cv.values()) or 1.0
    classes = list(targets.index) + [c for c in cv if c not in targets.index]
    t = targets.reindex(classes).fillna(0.0)
    cur = pd.Series({c: cv.get(c, 0.0) / total for c in classes})
    hw = band.half_width(t)
    out = pd.DataFrame({"current": cur, "target": t, "lower": (t - hw).clip(lower=0.0),
                        "upper": t + hw})
    out["outside"] = (out["current"] > out["upper"] + 1e-12) | (
        out["current"] < out["lower"] - 1e-12)
    return out


def _lot_order(book: Book, guard: Guard, account: str, symbol: str,
               rates: dict | None = None) -> np.ndarray:
    """Lots of one fund in tax order.

    Losses (largest per dollar) first, then gains by tax per dollar, long-term before
    short-term.
    """
    lb = book.lots[(account, symbol)]
    price = book.holdings[(account, symbol)].price
    rates = book.rates if rates is None else rates
    gain_ps = price - lb.basis_ps
    rate = np.where(lb.is_long, rates["long_term"], rates["short_term"])
    tpd = rate * gain_ps / price
    return np.lexsort((~lb.is_long, tpd))


def step_taxable(book: Book, guard: Guard, targets: pd.Series, band: Band, rates: dict,
                 realized_so_far: float = 0.0, step: int = 3) -> list[str]:
    """Step 3: least-tax taxable sales, only as far as needed; proceeds stay in the account."""
    opts = book.options
    notes: list[str] = []
    ob = outside(book, targets, band)
    if not ob["outside"].any():
        return notes
    total = book.total()
    d = deficits(book, targets)
    to_target = opts.to == "target"
    need_sell: dict[str, float] = {}
    need_buy: dict[str, float] = {}
    for c, r in ob.iterrows():
        if c in _SKIP:
            continue
        if r["outside"] and r["current"] > r["upper"]:
            need_sell[c] = (r["current"] - (r["target"] if to_target else r["upper"])) * total
        elif r["outside"] and r["current"] < r["lower"]:
            need_buy[c] = ((r["target"] if to_target else r["lower"]) - r["current"]) * total
    want = max(sum(need_sell.values()), sum(need_buy.values()))
    extra = want - sum(need_sell.values())
    if extra > EPS:  # raise the rest from other overweight classes, in proportion
        others = {c: -v for c, v in d.items() if v < -EPS and c not in _SKIP
                  and c not in need_sell}
        tot = sum(others.values())
        for c, v in others.items():
            need_sell[c] = min(v, extra * v / tot) if tot else 0.0
    budget = opts.gains_budget
    proceeds: dict[str, float] = {}
    for o in sorted(need_sell, key=lambda c: -need_sell[c]):
        amount = need_sell[o]
        # candidate lots across taxable accounts holding o, as arrays (one pass per holding)
        parts = []  # (tax per dollar, term flag, holding, lot index, gain/share, price)
        keys: list[tuple[str, str]] = []
        for (a, sym), lb in book.lots.items():
            if book.treatment[a] != "taxable" or sym in opts.do_not_sell:
                continue
            hd = book.holdings.get((a, sym))
            if hd is None or hd.classes != {o: 1.0} or hd.quantity <= EPS:
                continue
            if not lb.trusted and not opts.allow_untrusted:
                notes.append(f"{sym} in {a} not sold: its lots do not reconcile with the "
                             "position (allow_untrusted=True to sell anyway)")
                continue
            gain_ps = hd.price - lb.basis_ps
            long_ = lb.is_long
            rate = np.where(long_, rates["long_term"], rates["short_term"])
            tpd = rate * gain_ps / hd.price
            loss_blocked = guard.loss_sale_blocked(sym)
            live = lb.quantity > EPS
            nobasis = live & np.isnan(gain_ps)
            washed = live & (gain_ps < 0) & bool(loss_blocked)
            for i in np.flatnonzero(nobasis | washed):  # notes in lot order
                if nobasis[i]:
                    notes.append(f"lot {lb.lot_id[i]} of {sym} in {a} has no cost basis: "
                                 "not sold")
                else:
                    notes.append(f"lot {lb.lot_id[i]} of {sym} in {a} not sold at a loss: "
                                 f"it would be a wash sale ({loss_blocked})")
            ok = live & ~nobasis & ~washed
            if not opts.allow_short_term_gains:
                ok &= ~((gain_ps > 0) & ~long_)
            idx = np.flatnonzero(ok)
            if len(idx):
                parts.append((tpd[idx], np.where(long_[idx], 0, 1), np.full(len(idx),
                              len(keys)), idx, gain_ps[idx], np.full(len(idx), hd.price)))
                keys.append((a, sym))
        if parts:
            c_tpd, c_term, c_hold, c_i, c_gain, c_price = (np.concatenate(x) for x in zip(
                *parts, strict=True))
            rank = np.empty(len(keys), dtype=np.int64)  # ties: account, symbol, lot order
            rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
            order = np.lexsort((c_i, rank[c_hold], c_term, c_tpd))
            cands = zip(c_hold[order], c_i[order], c_gain[order], c_price[order], strict=True)
        else:
            cands = iter(())
        takes: dict[tuple[str, str], np.ndarray] = {}
        picked: dict[tuple[str, str], list[int]] = {}
        raised = 0.0
        for h_ix, i, gps, price in cands:
            if raised >= amount - 0.005:
                break
            a, sym = keys[h_ix]
            i, gps, price = int(i), float(gps), float(price)
            lb = book.lots[(a, sym)]
            q = min(lb.quantity[i], (amount - raised) / price)
            if opts.whole_shares:
                q = min(lb.quantity[i], float(np.ceil(q - EPS)))
            g = q * gps
            if budget is not None and g > 0 and realized_so_far + g > budget + 0.005:
                room = budget - realized_so_far
                if room <= 0:
                    continue
                q = room / gps
                if opts.whole_shares:
                    q = float(np.floor(q + EPS))
                g = q * gps
            if q <= EPS:
                continue
            takes.setdefault((a, sym), np.zeros(len(lb.quantity)))[i] += q
            picked.setdefault((a, sym), []).append(i)
            raised += q * price
            realized_so_far += g
        if raised < amount - max(1.0, opts.min_trade):
            notes.append(f"{o}: could raise only {money_text(raised)} of the "
                         f"{money_text(amount)} needed from taxable lots (restrictions, wash "
                         "guard, short-term gains or the gains budget)")
        for (a, sym), take in takes.items():
            got = book.sell(a, sym, 0.0, take=take, order=np.asarray(picked[(a, sym)]),
                            step=step, reason=(
                f"sell {o} (overweight; outside its band) in taxable {_label(book, a)}: "
                "losses first, then the least tax per dollar"))
            proceeds[a] = proceeds.get(a, 0.0) + got
    # reinvest each account's proceeds in its own underweight classes
    for a, money in proceeds.items():
        d = deficits(book, targets)
        wants = {u: v for u, v in d.items() if v > EPS and u not in _SKIP}
        order = sorted(wants, key=lambda u: (u not in need_buy,
                                             -placement_score(u, book.treatment[a]), -wants[u]))
        left = min(money, book.cash[a] - opts.floor(a))
        for u in order:
            if left <= EPS:
                break
            fund = guard.fund_for(a, u)
            if fund is None:
                continue
            amt = min(left, wants[u])
            spent = book.buy(a, fund, amt, asset_class=u, step=step, reason=(
                f"buy {u} (underweight by {money_text(wants[u])}) with the sale proceeds in "
                f"{_label(book, a)}"))
            left -= spent
    return notes
