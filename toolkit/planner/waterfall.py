"""The waterfall: the explainable rebalancing order.

1. **Cash flows.** Withdrawals and cash floors first: an account short of cash sells its
   overweight classes first (taxable lots least tax first). Then new contributions and idle
   cash (above each account's floor) buy underweight classes, in the accounts where those
   classes should live (the placement playbook, :func:`toolkit.location.placement_score`).
2. **Tax-advantaged accounts.** Inside IRAs, Roth IRAs, 401(k)s and HSAs, classes are sold
   and bought toward the target at no tax. What each account trades is chosen for all of them
   at once (:func:`toolkit.planner._advantaged.allocate`: least drift, then the placement
   playbook, then the fewest dollars), so a class may move from one account to another to
   make room where only one account has a fund for a missing class. *Before* this step, a
   class the household holds too much of is sold in taxable accounts where it is at a loss
   (:func:`step_loss_sales`, reported with step 3): there the sale lowers tax, inside an IRA
   it would not.
3. **Loss harvests.** In taxable accounts, lots at a loss are sold and the proceeds buy a fund
   of the same class that is not substantially identical (a wash-safe swap), as far as the
   losses lower this year's tax: they offset the gains realised this year and those step 4
   will realise, then up to $3,000 ($1,500 married filing separately) of ordinary income.
   The largest losses go first; loss lots step 4 would sell outright are left to it.
4. **Taxable sales, last and least.** Only if a class is still outside its band: overweight
   classes are sold in taxable accounts lot by lot, losses first, then gains by the least tax
   per dollar, only as far as needed to get inside the band (or to target with
   ``to="target"``), and each lot only when its exact tax is at most ``drift_price`` per
   dollar it moves (the proceed/delay test; within the gains budget instead when one is set).
   Cheaper lots of another class may stand in for the overweight one (:func:`substitutes`)
   when a tax-advantaged account can hold more of that class and less of the overweight one.
   What the test holds back is reported (``summary.deferred``). Each account's proceeds buy
   its own underweight classes (first those no tax-advantaged account can buy): no money
   moves between accounts, and nothing is sold that its proceeds could not buy back.
5. **Tax-advantaged accounts again.** Step 2's choice, after the taxable sales: it makes up
   for the classes that stood in, and may shrink a sale of step 2 (no purchase: no wash sale)
   instead of buying.

Every trade carries a reason naming its step and rule (:mod:`toolkit.planner.reasons`); each
step reports the drift it removed and the tax it cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.allocation import Band
from toolkit.location import placement_score
from toolkit.planner._advantaged import allocate
from toolkit.planner._book import EPS, Book
from toolkit.planner._guard import SHRINK_RULE, Guard
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
           "outside", "step_cash", "step_harvest", "step_loss_sales", "step_tax_advantaged",
           "step_taxable", "substitutes", "tax_lowering", "taxable_holdings"]

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


def step_tax_advantaged(book: Book, guard: Guard, targets: pd.Series, step: int = 2,
                        label: str = "tax-advantaged trades") -> None:
    """Step 2: sell and buy classes inside tax-advantaged accounts, toward the target.

    What each account sells and buys is :func:`toolkit.planner._advantaged.allocate`'s least
    drift (then best placement, then least trading) over all of them at once; a class may be
    sold in one account and bought back in another so that an account with the only fund for a
    missing class can hold it (the reasons say so).
    """
    opts = book.options
    d0 = deficits(book, targets)
    moves = allocate(book, guard, targets)
    bought_in: dict[str, list[str]] = {}
    sold_in: dict[str, list[str]] = {}
    for a, (sell, buy) in moves.items():
        for c in sell:
            sold_in.setdefault(c, []).append(_label(book, a))
        for c in buy:
            bought_in.setdefault(c, []).append(_label(book, a))
    for a in sorted(moves):
        sell, buy = moves[a]
        words = TREATMENT_WORDS[book.treatment[a]]
        # sell only what the buys can spend in whole shares (less the cash already there)
        funds = {u: guard.choice(a, u) for u in buy}
        for_ = _and([class_words(u) if not (funds[u] and funds[u][1] == SHRINK_RULE) else
                     f"keep the {class_words(u)} it was to sell (a smaller sale of "
                     f"{funds[u][0]})" for u in sorted(buy, key=lambda u: -buy[u])])
        spend = sum(book.affordable(a, f[0], buy[u]) for u, f in funds.items() if f)
        scale = max(0.0, spend - book.spendable(a)) / max(sum(sell.values()), EPS)
        for o in sorted(sell, key=lambda o: -sell[o]):
            amt = sell[o] * min(1.0, scale)
            if amt <= max(opts.min_trade, EPS):
                continue
            if d0.get(o, 0.0) < -EPS:
                why = f"sell {class_words(o)}, overweight by {money_text(-d0[o])}, inside " \
                      f"{_label(book, a)} to buy {for_}"
            else:
                why = (f"sell {class_words(o)} inside {_label(book, a)} to buy {for_}; the "
                       f"household's {class_words(o)} are bought back in "
                       f"{_and(bought_in.get(o, [])) or 'other accounts'}")
            raised = 0.0
            for hd in [hd for hd in book.held(a, o) if guard.may_sell(a, hd.symbol)]:
                if raised >= amt - EPS:
                    break
                raised += book.sell(a, hd.symbol, amt - raised, step=step, reason=(
                    f"step {step} ({label}): {why}: no tax on a sale inside a "
                    f"{words} account"))
        from_ = _and([class_words(o) for o in sorted(sell, key=lambda o: -sell[o])])
        for u in sorted(buy, key=lambda u: (-(d0.get(u, 0.0) > EPS), -buy[u])):
            hit = guard.choice(a, u)
            if hit is None:
                continue
            fund, rule = hit
            spend = book.affordable(a, fund, min(buy[u], book.spendable(a)))
            if spend <= 0:
                continue
            if rule == SHRINK_RULE:  # no trade of its own: an earlier sale shrinks
                book.buy(a, fund, min(spend, book.sold_here(a, u)[fund]), asset_class=u,
                         step=step, reason="")
                continue
            if d0.get(u, 0.0) > EPS:
                why = (f"buy {money_text(spend)} of {class_words(u)}, underweight by "
                       f"{money_text(d0[u])}, inside {_label(book, a)} with the proceeds of "
                       f"{from_}")
            else:
                why = (f"buy {money_text(spend)} of {class_words(u)} inside {_label(book, a)} "
                       f"with the proceeds of {from_}, in place of the {class_words(u)} sold in "
                       f"{_and(sold_in.get(u, [])) or 'other accounts'}")
            book.buy(a, fund, spend, asset_class=u, step=step, reason=(
                f"step {step} ({label}): {why}; {fund} is {rule}"
                + _home(book, u, a, better_full=False)))


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


def tax_lowering(book: Book, key: tuple[str, str], picked, gains_ahead: float,
                 reserved: set[tuple[str, str, str]] = frozenset()
                 ) -> tuple[np.ndarray, list[int]]:
    """The loss lots of ``picked`` (one holding) that still lower this year's tax.

    Lot by lot in the picked order, each kept while its loss lowers the tax of the year
    counting the gains the plan has realised, the lots kept before it and ``gains_ahead``;
    lots in ``reserved`` are skipped; whole shares (rounded down) where the holding trades in
    shares.

    Returns
    -------
    take : ndarray
        Shares per lot.
    order : list of int
        Lot indices in the order taken.
    """
    a, sym = key
    lb = book.lots[key]
    hd = book.holdings[key]
    loss_ps = hd.price - lb.basis_ps
    take = np.zeros(len(lb.quantity))
    order: list[int] = []
    now = plan_gains(book)
    for i in picked.order.get(key, []):
        q = picked.takes[key][i]
        if q <= EPS or (a, sym, str(lb.lot_id[i])) in reserved:
            continue
        g = q * loss_ps[i]
        is_long = bool(lb.is_long[i])
        mine = take > 0
        cur = (now[0] + float(np.sum(take * loss_ps, where=mine & ~lb.is_long)),
               now[1] + float(np.sum(take * loss_ps, where=mine & lb.is_long)) + gains_ahead)
        if -marginal_tax(book, 0.0 if is_long else g, g if is_long else 0.0, cur) <= 0.005:
            continue
        take[i] = q
        order.append(i)
    if order and not book.in_dollars(a, sym):  # whole shares: round down
        total = take.sum()
        if total < hd.quantity - 1e-7:
            frac = total - np.floor(total + 1e-9)
            for i in reversed(order):
                cut = min(frac, take[i])
                take[i] -= cut
                frac -= cut
                if frac <= 1e-9:
                    break
    return take, order


def step_harvest(book: Book, guard: Guard, targets: pd.Series, *, gains_ahead: float = 0.0,
                 reserved: set[tuple[str, str, str]] = frozenset(), step: int = 3
                 ) -> list[str]:
    """Step 3: wash-safe loss harvests in taxable accounts, as far as they lower this year's tax.

    Each taxable holding with loss lots is swapped for a fund of the same class in another
    substantially-identical group that the account may buy (a price, not blocked), largest
    loss per dollar first, while each lot's loss lowers the tax of the year counting the
    gains realised so far and ``gains_ahead`` (dollars of gain the taxable sales of step 4
    are expected to realise). Loss lots in ``reserved`` (account, symbol, lot id) are left for
    step 4, which sells them outright. Returns notes.
    """
    notes: list[str] = []
    keys = taxable_holdings(book, guard, None, notes)

    def holding_loss(k: tuple[str, str]) -> float:
        lb = book.lots[k]
        g = (book.holdings[k].price - lb.basis_ps) * lb.quantity
        return float(np.sum(g, where=(lb.quantity > EPS) & (g < 0)))

    # the largest losses first (by group, then holding): an earlier swap must not buy (and
    # so block) a fund whose own loss is larger
    for a, sym in sorted(keys, key=lambda k: (guard.avoid_loss.get(guard.group(k[1]), 0.0),
                                              holding_loss(k))):
        hd = book.holdings[(a, sym)]
        lb = book.lots[(a, sym)]
        c = next(iter(hd.classes))
        loss_ps = hd.price - lb.basis_ps
        if not ((lb.quantity > EPS) & (loss_ps < 0)).any() or guard.loss_sale_blocked(sym):
            continue
        swap = [(f, r) for f, r in guard.eligible(a, c)
                if guard.group(f) != guard.group(sym) and guard.buy_blocked(f) is None]
        partners = book.household.securities.replacements(sym)
        # not a fund with losses of its own to harvest (else the one with the smallest)
        swap.sort(key=lambda fr: (guard.group(fr[0]) in guard.avoid,
                                  -guard.avoid_loss.get(guard.group(fr[0]), 0.0),
                                  partners.index(fr[0]) if fr[0] in partners else len(partners)))
        if not swap:
            continue
        fund, rule = swap[0]
        # how much loss still lowers this year's tax, lot by lot (largest loss per dollar)
        picked = pick_lots(book, guard, [(a, sym)], hd.value, price_test=False,
                           losses_only=True)
        take, order = tax_lowering(book, (a, sym), picked, gains_ahead, reserved)
        if not order:
            continue
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
    realise gains). The steps then buy another group's fund where they can, else the fund of
    the group with the smallest loss (``guard.avoid_loss``).
    """
    room = marginal_tax(book, -100.0, 0.0, (0.0, 0.0)) < -0.005
    if not room and not needs(book, targets, book.options.band, book.options.to == "target")[0]:
        return {}
    out: dict[str, str] = {}
    guard.avoid_loss = {}
    for a, sym in taxable_holdings(book, guard, None, []):
        lb = book.lots[(a, sym)]
        hd = book.holdings[(a, sym)]
        loss = (lb.quantity > EPS) & (lb.basis_ps > hd.price)
        if loss.any() and not guard.loss_sale_blocked(sym):
            g = guard.group(sym)
            out.setdefault(g, f"{sym} in {_label(book, a)} has losses to harvest")
            guard.avoid_loss[g] = guard.avoid_loss.get(g, 0.0) + float(np.sum(
                (hd.price - lb.basis_ps) * lb.quantity, where=loss))
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


def substitutes(book: Book, guard: Guard, over: str
                ) -> tuple[list[tuple[str, str]], list[tuple[list[tuple[str, str]], float]],
                           set[tuple[str, str]]]:
    """Taxable holdings of other classes whose sale can stand in for a sale of ``over``.

    Selling US stocks in a taxable account instead of its bonds leaves the household with the
    same allocation once a tax-advantaged account sells bonds and buys US stocks (step 5), at
    no tax there; worth it when those stock lots cost less tax than the taxable bonds. The
    tax-advantaged accounts' sellable ``over`` limits how much can stand in: in total, and per
    class by the accounts that have a fund for it.

    Returns
    -------
    keys : list of (account, symbol)
        Taxable holdings of the other classes (an overweight one too: selling more of it
        here and buying it back in a tax-advantaged account can still cost less tax).
    caps : list of (keys, dollars)
        The limits, for :func:`toolkit.planner._picks.pick_lots`.
    gains_only : set of (account, symbol)
        Holdings whose loss lots may not stand in (only a fund of the same group could buy the
        class back: a wash sale).
    """
    room: dict[str, float] = {}
    for a, treat in book.treatment.items():
        if treat != "taxable":
            v = sum(hd.value for hd in book.held(a, over) if guard.may_sell(a, hd.symbol))
            if v > book.options.min_trade:
                room[a] = v
    if not room:
        return [], [], set()
    keys: list[tuple[str, str]] = []
    caps: list[tuple[list[tuple[str, str]], float]] = []
    classes = {c for hd in book.holdings.values() for c in hd.classes}
    gains_only: set[tuple[str, str]] = set()
    for c in sorted(classes - {over} - set(_SKIP)):
        funds = {a: [f for f, _ in guard.eligible(a, c) if guard.buy_blocked(f) is None]
                 for a in room}
        # or an account may sell less of the class than it was to (no purchase: no wash)
        less = {a: sum(book.sold_here(a, c).values()) for a in room}
        for k in taxable_holdings(book, guard, c, []):
            # a loss sold here would be washed by buying the same fund (or one substantially
            # identical) back: its loss lots stand in only where an account has a fund of
            # another group for the class, its gain lots wherever the class can be bought
            g = guard.group(k[1])
            cap = sum(v if funds[a] else min(v, less[a]) for a, v in room.items())
            other = sum(v if any(guard.group(f) != g for f in funds[a]) else min(v, less[a])
                        for a, v in room.items())
            if cap > book.options.min_trade:
                keys.append(k)
                caps.append(([k], cap))
                if other <= book.options.min_trade:
                    gains_only.add(k)
        mine = [k for k in keys if next(iter(book.holdings[k].classes)) == c]
        if mine:
            caps.append((mine, sum(v for a, v in room.items() if guard.choice(a, c))))
    if keys:
        caps.append((list(keys), sum(room.values())))
    return keys, caps, gains_only


def can_reinvest(book: Book, guard: Guard, targets: pd.Series, account: str) -> bool:
    """Whether ``account`` has a fund it may buy for some underweight class.

    A rebalancing sale is made only where its proceeds can buy what is missing (not left
    idle as cash).
    """
    d = deficits(book, targets)
    return any(guard.choice(account, u) is not None for u, v in d.items()
               if v > EPS and u not in _SKIP)


def _reinvest(book: Book, guard: Guard, targets: pd.Series, proceeds: dict[str, float],
              first: set[str], step: int, label: str) -> None:
    """Each taxable account's sale proceeds buy its own underweight classes.

    With them, any cash above its floor that whole shares left over. No money moves between
    accounts. ``first`` first, then the classes no tax-advantaged account has a fund for (only
    a taxable account can fix them), then by placement and size.
    """
    advantaged = [a for a, t in book.treatment.items() if t != "taxable"]
    for a in proceeds:
        d = deficits(book, targets)
        wants = {u: v for u, v in d.items() if v > EPS and u not in _SKIP}
        elsewhere = {u: any(guard.choice(b, u) is not None for b in advantaged) for u in wants}
        order = sorted(wants, key=lambda u: (u not in first, elsewhere[u],
                                             -placement_score(u, book.treatment[a]), -wants[u]))
        left = book.spendable(a)  # the proceeds, and what whole shares left of its cash
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
                f"step {step} ({label}): buy {money_text(amt)} of {class_words(u)}, underweight "
                f"by {money_text(wants[u])}, with the sale proceeds in {_label(book, a)} (the "
                f"proceeds stay in the account); {fund} is {rule}"
                + _home(book, u, a, better_full=False)))
            left -= spent


def step_loss_sales(book: Book, guard: Guard, targets: pd.Series, *, gains_ahead: float = 0.0,
                    step: int = 3) -> None:
    """Before step 2: sell an overweight class first where it is at a loss, in taxable accounts.

    Selling it there costs no tax (the loss lowers this year's tax, or carries forward) and
    leaves the tax-advantaged accounts' room for the rest; tax-advantaged accounts would sell
    it at no tax but with no loss to show. Loss lots only (largest loss per dollar first), up
    to the class's excess over its target, in accounts whose proceeds can buy an underweight
    class; the wash-sale guard applies; each lot only while its loss lowers this year's tax,
    counting ``gains_ahead`` (the gains steps 2 and 4 are expected to realise). Reported with
    the loss harvests (step 3).
    """
    if not guard.avoid:  # no loss would lower this year's tax (:func:`harvest_groups`)
        return
    d0 = deficits(book, targets)
    proceeds: dict[str, float] = {}
    for o in sorted((c for c, v in d0.items() if v < -EPS and c not in _SKIP),
                    key=lambda c: d0[c]):
        amount = -deficits(book, targets)[o]
        if amount <= max(book.options.min_trade, EPS):
            continue
        held = taxable_holdings(book, guard, o, [])
        reinvest = {a: can_reinvest(book, guard, targets, a) for a in {k[0] for k in held}}
        keys = [k for k in held if reinvest[k[0]]]
        picked = pick_lots(book, guard, keys, amount, price_test=False, losses_only=True)
        for k in picked.takes:
            take, order = tax_lowering(book, k, picked, gains_ahead)
            if take.sum() <= EPS:
                continue
            hd = book.holdings[k]
            lb = book.lots[k]
            loss = float(np.sum(take * (hd.price - lb.basis_ps), where=take > 0))
            got = book.sell(k[0], k[1], 0.0, take=take, order=np.asarray(order),
                            step=step, reason=(
                f"step {step} (loss harvest): sell {class_words(o)}, overweight by "
                f"{money_text(-d0[o])}, at a {money_text(-loss)} loss in taxable "
                f"{_label(book, k[0])}: an overweight class is sold first where it is at a "
                "loss, which lowers this year's tax (the loss offsets this year's gains, then "
                "up to the yearly limit of ordinary income)"))
            proceeds[k[0]] = proceeds.get(k[0], 0.0) + got
    _reinvest(book, guard, targets, proceeds, set(), step, "loss harvest")


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
    # a sale is made only where its proceeds can buy what is missing: per account, the
    # underweight classes it has a fund for; in all, the underweight classes some taxable
    # account can buy (what no account can buy is not a reason to sell)
    under = {u: v for u, v in d0.items() if v > EPS and u not in _SKIP}
    taxable = [a for a, t in book.treatment.items() if t == "taxable"]
    funds = {a: {u: guard.choice(a, u) for u in under} for a in taxable}
    buyable = {a: {u for u, f in funds[a].items() if f is not None} for a in taxable}
    room = {a: sum(book.affordable(a, funds[a][u][0], under[u]) for u in buyable[a])
            for a in taxable}  # whole shares where the fund trades in shares
    room_all = sum(under[u] for u in set().union(*buyable.values())) if taxable else 0.0
    for o in sorted(need_sell, key=lambda c: -need_sell[c]):
        amount = min(need_sell[o], room_all - sum(proceeds.values()))
        if amount <= max(opts.min_trade, EPS):
            continue
        reinvest = {a: can_reinvest(book, guard, targets, a) for a in taxable}
        keys = [k for k in taxable_holdings(book, guard, o, notes) if reinvest[k[0]]]
        own = len(keys)
        subs, caps, gains_only = substitutes(book, guard, o)
        keys += [k for k in subs if reinvest[k[0]]]
        index = {k: i for i, k in enumerate(keys)}
        caps = [(frozenset(index[k] for k in ks if k in index), cap) for ks, cap in caps]
        caps += [(frozenset(i for k, i in index.items() if k[0] == a),
                  room[a] - proceeds.get(a, 0.0)) for a in taxable]
        picked = pick_lots(book, guard, keys, amount, price_test=True, caps=caps,
                           gains_only=frozenset(index[k] for k in gains_only if k in index))
        notes += picked.notes
        held += [x for x in picked.held if index[(x.account, x.symbol)] < own]
        for k, take in picked.takes.items():
            a = k[0]
            if take.sum() <= EPS:
                continue
            if index[k] < own:
                why = (f"sell {class_words(o)}, overweight by {money_text(-d0.get(o, 0.0))} "
                       f"and outside its band, in taxable {_label(book, a)}: losses first, "
                       f"then gains by the least tax, {test}")
            else:
                c = next(iter(book.holdings[k].classes))
                why = (f"sell {class_words(c)} in taxable {_label(book, a)} in place of "
                       f"{class_words(o)}, overweight by {money_text(-d0.get(o, 0.0))} and "
                       f"outside its band: these lots cost less tax than the household's "
                       f"taxable {class_words(o)} (losses first, then gains by the least tax, "
                       f"{test}); step 5 makes up for it inside a tax-advantaged account "
                       f"(more {class_words(c)}, less {class_words(o)}), at no tax")
            got = book.sell(a, k[1], 0.0, take=take, order=np.asarray(picked.order[k]),
                            step=step, reason=f"step 4 (taxable sale): {why}")
            proceeds[a] = proceeds.get(a, 0.0) + got
    _reinvest(book, guard, targets, proceeds, set(need_buy), step, "taxable sale")
    return list(dict.fromkeys(notes)), held
