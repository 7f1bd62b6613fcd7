"""The waterfall: the explainable rebalancing order.

1. **Cash flows.** Withdrawals and cash floors first: an account short of cash sells its
   overweight classes first (taxable lots least tax first). Then new contributions and idle
   cash (above each account's floor) buy underweight classes, in the accounts where those
   classes should live (the placement playbook, :func:`toolkit.location.placement_score`).
2. **Tax-advantaged accounts.** Inside IRAs, Roth IRAs, 401(k)s and HSAs, overweight classes
   are sold and underweight ones bought: no tax, so these trades aim at the target, moving the
   classes that fit each account best.
3. **Loss harvests.** In taxable accounts, lots at a loss are sold and the proceeds buy a fund
   of the same class that is not substantially identical (a wash-safe swap), as far as the
   losses lower this year's tax: they offset the gains realised this year and those step 4
   will realise, then up to $3,000 ($1,500 married filing separately) of ordinary income.
4. **Taxable sales, last and least.** Only if a class is still outside its band: overweight
   classes are sold in taxable accounts lot by lot, losses first, then gains by the least tax
   per dollar, only as far as needed to get inside the band (or to target with
   ``to="target"``), and each lot only when its exact tax is at most ``drift_price`` per
   dollar it moves (the proceed/delay test; within the gains budget instead when one is set).
   What the test holds back is reported (``summary.deferred``). Each account's proceeds buy
   its own underweight classes: no money moves between accounts.

Every trade carries a reason naming its step and rule (:mod:`toolkit.planner.reasons`); each
step reports the drift it removed and the tax it cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.allocation import Band
from toolkit.location import placement_score
from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import Guard
from toolkit.planner._picks import Held, marginal_tax, pick_lots, plan_gains
from toolkit.planner.reasons import (
    TREATMENT_WORDS,
    class_words,
    money_text,
    placement_fact,
    rank_clause,
)
from toolkit.schema import UNCLASSIFIED

__all__ = ["abs_drift", "can_reinvest", "deficits", "harvest_groups", "money_text", "needs",
           "outside", "step_cash", "step_harvest", "step_tax_advantaged", "step_taxable",
           "taxable_holdings"]

_SKIP = ("cash", UNCLASSIFIED)


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


def cash_allowance(book: Book) -> float:
    """Cash a plan may leave above the cash band, dollars.

    The accounts' cash floors, and per account what whole shares and the minimum trade leave
    behind: the minimum trade plus, with whole shares, one share of its dearest holding.
    """
    out = sum(book.floors.values())
    dear: dict[str, float] = {}
    for (a, _), hd in book.holdings.items():
        if hd.price == hd.price and not book.in_dollars(a, hd.symbol):
            dear[a] = max(dear.get(a, 0.0), hd.price)
    for a in book.cash:
        out += book.options.min_trade + dear.get(a, 0.0)
    return out


def outside(book: Book, targets: pd.Series, band: Band) -> pd.DataFrame:
    """Current weights against the band, per class.

    Columns ``current``, ``target``, ``lower``, ``upper`` (fractions) and ``outside``. Cash
    above its band by no more than :func:`cash_allowance` is not outside.
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
    if "cash" in out.index and out.loc["cash", "outside"]:
        over = (out.loc["cash", "current"] - out.loc["cash", "upper"]) * total
        if 0 < over <= cash_allowance(book) + 0.005:
            out.loc["cash", "outside"] = False
    return out


def _label(book: Book, account: str) -> str:
    return book.labels.get(account, account)


def _home(book: Book, asset_class: str, account: str, *, better_full: bool) -> str:
    """The placement part of a buy's reason, true for the account's treatment."""
    treat = book.treatment[account]
    fact = placement_fact(asset_class, treat)
    rank = rank_clause(asset_class, treat)
    words = TREATMENT_WORDS[treat]
    if not rank:
        return ""
    if rank == "its best home":
        return f"; {words} accounts are {class_words(asset_class)}' best home: {fact}"
    lead = (f"; {words} is {rank} for {class_words(asset_class)}"
            + (" and its better homes had no cash left for them (or no fund)"
               if better_full else ""))
    return f"{lead}: {fact}" if fact else lead


# --- step 1 ---------------------------------------------------------------------------------


def step_cash(book: Book, guard: Guard, targets: pd.Series, step: int = 1) -> list[str]:
    """Step 1: withdrawals and floors, then cash to underweight classes where they belong.

    Returns notes (what a withdrawal or cash floor could not raise, and why).
    """
    opts = book.options
    notes: list[str] = []
    for a in list(book.cash):  # withdrawals and floors first: raise cash where it is short
        short = book.floor(a) - book.cash[a]
        if short > 0.005:
            notes += _raise_cash(book, guard, targets, a, short, step)
    d = deficits(book, targets)
    spendable = max(0.0, -d.get("cash", 0.0))  # cash above the household's cash target
    invest = {a: book.spendable(a) for a in book.cash}
    pairs = []
    for c, need in d.items():
        if need <= EPS or c in _SKIP:
            continue
        for a, money in invest.items():
            if money <= EPS:
                continue
            hit = guard.choice(a, c)
            if hit is not None:
                pairs.append((-placement_score(c, book.treatment[a]), -need, c, a, hit))
    for score, _, c, a, _hit in sorted(pairs):
        amt = min(d[c], invest[a], spendable)
        if amt <= max(opts.min_trade, EPS):
            continue
        now = guard.choice(a, c)  # an earlier buy may have blocked it (wash guard)
        if now is None:
            continue
        fund_now, rule = now
        amt = book.affordable(a, fund_now, amt)
        if amt <= 0:
            continue
        better = [b for b in book.cash if placement_score(c, book.treatment[b]) > -score]
        better_full = bool(better) and all(
            invest[b] <= max(opts.min_trade, EPS) or guard.fund_for(b, c) is None
            for b in better)
        src = "new money and idle cash" if book.contributions.get(a, 0.0) > 0 else "idle cash"
        spent = book.buy(a, fund_now, amt, asset_class=c, step=step, reason=(
            f"step 1 ({src}): invest {money_text(amt)} of {_label(book, a)}'s cash above its "
            f"floor in {class_words(c)}, underweight by {money_text(d[c])}; {fund_now} is "
            f"{rule}" + _home(book, c, a, better_full=better_full)))
        d[c] -= spent
        invest[a] -= spent
        spendable -= spent
    return notes


def _raise_cash(book: Book, guard: Guard, targets: pd.Series, account: str, need: float,
                step: int) -> list[str]:
    """Raise ``need`` dollars of cash in ``account``; returns notes.

    First from the classes the household holds too much of (up to that excess), then from
    every other holding that may be sold. Taxable lots go least tax first and follow the
    plan's rules (short-term gains, gains budget, wash-sale guard, untrusted or missing lots);
    cash the plan must raise is not held to the drift price.
    """
    opts = book.options
    d = deficits(book, targets)
    why = ("the withdrawal" if book.contributions.get(account, 0.0) < 0 else
           f"its {money_text(book.floor(account))} cash floor")
    notes: list[str] = []
    taxable = book.treatment[account] == "taxable"
    sellable = []
    for hd in book.holdings.values():
        if hd.account != account or hd.quantity <= EPS or UNCLASSIFIED in hd.classes or \
                not guard.may_sell(account, hd.symbol):
            continue
        if taxable:
            lb = book.lots.get((account, hd.symbol))
            if lb is None:
                notes.append(f"{hd.symbol} in {account} not sold: no tax lots, so its gain is "
                             "unknown")
                continue
            if not lb.trusted and not opts.allow_untrusted:
                notes.append(f"{hd.symbol} in {account} not sold: its lots do not reconcile "
                             "with the position (allow_untrusted=True to sell anyway)")
                continue
        sellable.append(hd)

    def over(hd) -> float:
        return -sum(w * d.get(c, 0.0) for c, w in hd.classes.items())

    def text(hd) -> str:
        c = ",".join(class_words(x) for x in hd.classes)
        o = over(hd)
        lead = (f"step 1 (withdrawal and cash floor): raise {money_text(need)} of cash in "
                f"{_label(book, account)} for {why}, from {c}"
                + (f" (overweight by {money_text(o)})" if o > 0.5 else ""))
        if taxable:
            return lead + ": the lots that cost the least tax"
        return lead + f": no tax on a sale inside a {TREATMENT_WORDS[book.treatment[account]]} " \
                      "account"

    phases = [[hd for hd in sellable if over(hd) > 0.5], sellable]
    for n, group in enumerate(phases):
        if need <= 0.005:
            break
        if taxable:
            keys = [(hd.account, hd.symbol) for hd in sorted(group, key=lambda hd: -over(hd))]
            cap = sum(max(over(hd), 0.0) for hd in group) if n == 0 else need
            picked = pick_lots(book, guard, keys, min(need, cap), price_test=False)
            notes += picked.notes
            for k, take in picked.takes.items():
                hd = book.holdings[k]
                got = book.sell(account, k[1], 0.0, take=take, order=np.asarray(picked.order[k]),
                                step=step, reason=text(hd), min_trade=False)
                need -= got
        else:
            for hd in sorted(group, key=lambda hd: -over(hd)):
                if need <= 0.005:
                    break
                amount = min(need, hd.value, max(over(hd), 0.0) if n == 0 else need)
                need -= book.sell(account, hd.symbol, amount, step=step, reason=text(hd),
                                  min_trade=False)
    if need > max(0.005, opts.min_trade):
        notes.append(f"{_label(book, account)}: could raise only part of the cash needed "
                     f"({money_text(need)} short): restrictions, the wash-sale guard, "
                     "short-term gains or the gains budget")
    return list(dict.fromkeys(notes))


# --- step 2 ---------------------------------------------------------------------------------


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
            held = [hd for hd in book.held(a, o) if guard.may_sell(a, hd.symbol)]
            if not held:
                continue
            for u, under in d.items():
                if under <= EPS or u in _SKIP:
                    continue
                hit = guard.choice(a, u)
                if hit is not None:
                    gain = placement_score(u, treat) - placement_score(o, treat)
                    triples.append((-gain, -(min(-over, under)), o, u, a))
    for _, _, o, u, a in sorted(triples):
        hit = guard.choice(a, u)
        if hit is None:
            continue
        fund, rule = hit
        held = [hd for hd in book.held(a, o) if guard.may_sell(a, hd.symbol)]
        amt = min(-d[o], d[u], sum(hd.value for hd in held))
        if amt <= max(opts.min_trade, EPS):
            continue
        words = TREATMENT_WORDS[book.treatment[a]]
        raised = 0.0
        for hd in held:
            if raised >= amt - EPS:
                continue
            raised += book.sell(a, hd.symbol, amt - raised, step=step, reason=(
                f"step 2 (tax-advantaged trades): sell {class_words(o)}, overweight by "
                f"{money_text(-d[o])}, inside {_label(book, a)} to buy {class_words(u)}: no "
                f"tax on a sale inside a {words} account"))
        spend = book.affordable(a, fund, min(raised, book.spendable(a)))
        spent = book.buy(a, fund, spend, asset_class=u, step=step, reason=(
            f"step 2 (tax-advantaged trades): buy {money_text(spend)} of {class_words(u)}, "
            f"underweight by {money_text(d[u])}, inside {_label(book, a)} with the proceeds of "
            f"{class_words(o)}; {fund} is {rule}" + _home(book, u, a, better_full=False)))
        d[o] += raised
        d[u] -= spent


# --- step 3 ---------------------------------------------------------------------------------


def taxable_holdings(book: Book, guard: Guard, asset_class: str | None,
                      notes: list[str]) -> list[tuple[str, str]]:
    """Taxable holdings with lots the plan may sell (of one class, or of any single class)."""
    opts = book.options
    keys = []
    for (a, sym), lb in book.lots.items():
        if book.treatment[a] != "taxable" or not guard.may_sell(a, sym):
            continue
        hd = book.holdings.get((a, sym))
        if hd is None or hd.quantity <= EPS or len(hd.classes) != 1 or UNCLASSIFIED in \
                hd.classes:
            continue
        if asset_class is not None and hd.classes != {asset_class: 1.0}:
            continue
        if not lb.trusted and not opts.allow_untrusted:
            notes.append(f"{sym} in {a} not sold: its lots do not reconcile with the "
                         "position (allow_untrusted=True to sell anyway)")
            continue
        keys.append((a, sym))
    return sorted(keys)


def step_harvest(book: Book, guard: Guard, targets: pd.Series, *, gains_ahead: float = 0.0,
                 step: int = 3) -> list[str]:
    """Step 3: wash-safe loss harvests in taxable accounts, as far as they lower this year's tax.

    Each taxable holding with loss lots is swapped for a fund of the same class in another
    substantially-identical group that the account may buy (a price, not blocked), largest
    loss per dollar first, while each lot's loss lowers the tax of the year counting the
    gains realised so far and ``gains_ahead`` (dollars of gain the taxable sales of step 4
    are expected to realise). Returns notes.
    """
    notes: list[str] = []
    keys = taxable_holdings(book, guard, None, notes)
    for a, sym in keys:
        hd = book.holdings[(a, sym)]
        lb = book.lots[(a, sym)]
        c = next(iter(hd.classes))
        loss_ps = hd.price - lb.basis_ps
        if not ((lb.quantity > EPS) & (loss_ps < 0)).any() or guard.loss_sale_blocked(sym):
            continue
        swap = [(f, r) for f, r in guard.eligible(a, c)
                if guard.group(f) != guard.group(sym) and guard.buy_blocked(f) is None]
        partners = book.household.securities.replacements(sym)
        swap.sort(key=lambda fr: (guard.group(fr[0]) in guard.avoid,
                                  partners.index(fr[0]) if fr[0] in partners else len(partners)))
        if not swap:
            continue
        fund, rule = swap[0]
        # how much loss still lowers this year's tax, lot by lot (largest loss per dollar)
        picked = pick_lots(book, guard, [(a, sym)], hd.value, price_test=False,
                           losses_only=True)
        take = np.zeros(len(lb.quantity))
        order = []
        for i in picked.order.get((a, sym), []):
            q = picked.takes[(a, sym)][i]
            if q <= EPS:
                continue
            g = q * loss_ps[i]
            is_long = bool(lb.is_long[i])
            now = plan_gains(book)
            mine = take > 0
            cur = (now[0] + float(np.sum(take * loss_ps, where=mine & ~lb.is_long)),
                   now[1] + float(np.sum(take * loss_ps, where=mine & lb.is_long))
                   + gains_ahead)
            saves = -marginal_tax(book, 0.0 if is_long else g, g if is_long else 0.0, cur)
            if saves <= 0.005:
                continue
            take[i] = q
            order.append(i)
        if not order:
            continue
        if not book.in_dollars(a, sym):  # whole shares: round the swap down
            total = take.sum()
            if total < hd.quantity - 1e-7:
                frac = total - np.floor(total + 1e-9)
                for i in reversed(order):
                    cut = min(frac, take[i])
                    take[i] -= cut
                    frac -= cut
                    if frac <= 1e-9:
                        break
        loss = float(np.sum(take * loss_ps, where=take > 0))
        if take.sum() <= EPS:
            continue
        got = book.sell(a, sym, 0.0, take=take, order=np.asarray(order), step=step, reason=(
            f"step 3 (loss harvest): sell {sym} at a {money_text(-loss)} loss in taxable "
            f"{_label(book, a)}: the loss offsets gains realised this year (then up to the "
            "yearly limit of ordinary income); the proceeds buy a fund that is not "
            "substantially identical"))
        if got <= 0:
            continue
        book.buy(a, fund, book.affordable(a, fund, min(got, book.spendable(a))), asset_class=c,
                 step=step, reason=(
            f"step 3 (loss harvest): buy {fund} with the proceeds of the {sym} loss sale in "
            f"{_label(book, a)}, keeping {class_words(c)} where they were; {fund} is "
            f"{rule} and not substantially identical to {sym}"))
    return notes


def harvest_groups(book: Book, guard: Guard, targets: pd.Series) -> dict[str, str]:
    """Substantially-identical groups with losses step 3 may harvest, and where.

    Only when a harvest can lower this year's tax: a loss still reaches the year's loss room
    (the year-to-date gains, then the deduction) or a class is outside its band (step 4 may
    realise gains). The steps then buy another group's fund where they can.
    """
    room = marginal_tax(book, -100.0, 0.0, (0.0, 0.0)) < -0.005
    if not room and not needs(book, targets, book.options.band, book.options.to == "target")[0]:
        return {}
    out: dict[str, str] = {}
    for a, sym in taxable_holdings(book, guard, None, []):
        lb = book.lots[(a, sym)]
        hd = book.holdings[(a, sym)]
        loss = (lb.quantity > EPS) & (lb.basis_ps > hd.price)
        if loss.any() and not guard.loss_sale_blocked(sym):
            out.setdefault(guard.group(sym), f"{sym} in {_label(book, a)} has losses to harvest")
    return out


# --- step 4 ---------------------------------------------------------------------------------


def needs(book: Book, targets: pd.Series, band: Band, to_target: bool
          ) -> tuple[dict[str, float], dict[str, float]]:
    """Dollars each class must shed / gain to get inside its band (or to target).

    Returns ``(need_sell, need_buy)``; the sales cover the larger of the two totals (the
    shortfall of underweight classes beyond the overweight ones' excess is taken from the
    other overweight classes in proportion).
    """
    ob = outside(book, targets, band)
    total = book.total()
    d = deficits(book, targets)
    need_sell: dict[str, float] = {}
    need_buy: dict[str, float] = {}
    for c, r in ob.iterrows():
        if c in _SKIP:
            continue
        if r["outside"] and r["current"] > r["upper"]:
            need_sell[c] = (r["current"] - (r["target"] if to_target else r["upper"])) * total
        elif r["outside"] and r["current"] < r["lower"]:
            need_buy[c] = ((r["target"] if to_target else r["lower"]) - r["current"]) * total
    extra = sum(need_buy.values()) - sum(need_sell.values())
    if extra > EPS:  # raise the rest from other overweight classes, in proportion
        others = {c: -v for c, v in d.items() if v < -EPS and c not in _SKIP
                  and c not in need_sell}
        tot = sum(others.values())
        for c, v in others.items():
            need_sell[c] = min(v, extra * v / tot) if tot else 0.0
    return need_sell, need_buy


def can_reinvest(book: Book, guard: Guard, targets: pd.Series, account: str) -> bool:
    """Whether ``account`` has a fund it may buy for some underweight class.

    A rebalancing sale is made only where its proceeds can buy what is missing (not left
    idle as cash).
    """
    d = deficits(book, targets)
    return any(guard.choice(account, u) is not None for u, v in d.items()
               if v > EPS and u not in _SKIP)


def step_taxable(book: Book, guard: Guard, targets: pd.Series, band: Band, *,
                 step: int = 4) -> tuple[list[str], list[Held]]:
    """Step 4: least-tax taxable sales that pass the proceed/delay test, only as far as needed.

    Proceeds stay in the account and buy its underweight classes. Returns notes and the lots
    the test held back.
    """
    opts = book.options
    notes: list[str] = []
    held: list[Held] = []
    need_sell, need_buy = needs(book, targets, band, opts.to == "target")
    if not need_sell:
        return notes, held
    price = opts.price_of_drift
    test = ("within the gains budget" if opts.gains_budget is not None else
            f"each lot's tax at most {100 * price:.0f} cents per dollar moved (the drift "
            "price)")
    proceeds: dict[str, float] = {}
    d0 = deficits(book, targets)
    for o in sorted(need_sell, key=lambda c: -need_sell[c]):
        amount = need_sell[o]
        if amount <= max(opts.min_trade, EPS):
            continue
        keys = [k for k in taxable_holdings(book, guard, o, notes)
                if can_reinvest(book, guard, targets, k[0])]
        picked = pick_lots(book, guard, keys, amount, price_test=True)
        notes += picked.notes
        held += picked.held
        for k, take in picked.takes.items():
            a = k[0]
            if take.sum() <= EPS:
                continue
            got = book.sell(a, k[1], 0.0, take=take, order=np.asarray(picked.order[k]),
                            step=step, reason=(
                f"step 4 (taxable sale): sell {class_words(o)}, overweight by "
                f"{money_text(-d0.get(o, 0.0))} and outside its band, in taxable "
                f"{_label(book, a)}: losses first, then gains by the least tax, {test}"))
            proceeds[a] = proceeds.get(a, 0.0) + got
    for a, money in proceeds.items():  # reinvest each account's proceeds in its own account
        d = deficits(book, targets)
        wants = {u: v for u, v in d.items() if v > EPS and u not in _SKIP}
        order = sorted(wants, key=lambda u: (u not in need_buy,
                                             -placement_score(u, book.treatment[a]), -wants[u]))
        left = min(money, book.spendable(a))
        for u in order:
            if left <= EPS:
                break
            hit = guard.choice(a, u)
            if hit is None:
                continue
            fund, rule = hit
            amt = book.affordable(a, fund, min(left, wants[u]))
            if amt <= 0:
                continue
            spent = book.buy(a, fund, amt, asset_class=u, step=step, reason=(
                f"step 4 (taxable sale): buy {money_text(amt)} of {class_words(u)}, underweight by "
                f"{money_text(wants[u])}, with the sale proceeds in {_label(book, a)} (the "
                f"proceeds stay in the account); {fund} is {rule}"
                + _home(book, u, a, better_full=False)))
            left -= spent
    return list(dict.fromkeys(notes)), held
