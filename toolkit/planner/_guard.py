"""Which funds an account may buy, and the wash-sale guard across the household.

Fund choice (README "The household file", ``[funds]``): for an asset class in an account, the
fund the caller prefers (``preferred=``), else the household file's choice for that account,
account type or class, else a fund the account already holds in that class, else (an
employer plan) a fund of its menu, else an ETF the household holds elsewhere in that class,
else the security master's default for the class (:data:`~toolkit.planner.options.DEFAULT_FUNDS`
and their replacements). A candidate is skipped when it is on a do-not-buy list (per symbol
or per account), off the account's menu, a single stock or a concentrated fund (sector and
crypto funds) that the household file does not name, or has no price (from an export, the
household file's ``[securities.X] price`` or ``prices=``): the plan notes the refusal,
naming the fund and the account.

The wash-sale guard follows the household's rule: no trade in the plan may wash a loss taken
in the plan or in the last 30 days. So a fund may not be bought when a substantially
identical fund was sold at a loss in the last 30 days or in this plan, and a lot may not be
sold at a loss when a substantially identical fund was bought in the last 30 days, is
expected to be bought in the next 30 (planned contributions into an account holding it, and
dividends reinvested in any account whose next reinvestment is due within 30 days:
:func:`toolkit.tax.expected_reinvestments`), or is bought in this plan.

A holding with export rows that could not be read (``Household.unreliable``) is neither
bought nor sold unless ``allow_untrusted``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from toolkit.planner._book import Book
from toolkit.planner.options import DEFAULT_FUNDS
from toolkit.schema import TaxType
from toolkit.tax.wash import identity_groups
from toolkit.tax.wash_household import (
    expected_reinvestments,
    household_acquisitions,
    household_sales,
)

WINDOW_DAYS = 30
#: Security-master vehicles the plan buys by default (diversified funds).
FUND_VEHICLES = ("etf", "mutual_fund", "cit", "money_market")
#: Sub-classes of funds too concentrated to buy by default.
CONCENTRATED_SUBCLASSES = ("us_sector", "crypto")
#: The rule of :meth:`Guard.choice` for a fund the plan sells in the same account: buying it
#: back shrinks that sale.
SHRINK_RULE = "sold earlier in this plan in this account (its sale shrinks instead)"


class Guard:
    """Fund eligibility and the wash-sale guard for one plan.

    Parameters
    ----------
    book : Book
    contributions : dict
        Planned new money per account (a positive one buys what the account holds).
    wash : bool, default True
        Apply the wash-sale guard (``options.wash_guard`` too); the naive baseline has none.
    """

    def __init__(self, book: Book, contributions: dict[str, float], *,
                 wash: bool = True) -> None:
        self.book = book
        h = book.household
        opts = book.options
        self.enabled = bool(wash and opts.wash_guard)
        self._groups = h.settings.get("substantially_identical") or ()
        self._cache: dict[str, str] = {}
        self._static: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.recent_loss_groups: dict[str, str] = {}  # group -> why
        self.recent_buy_groups: dict[str, str] = {}
        #: (account, asset class) -> why the fund ranked first could not be bought
        self.refusals: dict[tuple[str, str], str] = {}
        #: groups with losses the plan may harvest: bought only when nothing else is
        #: eligible (a purchase would wash the harvest)
        self.avoid: dict[str, str] = {}
        #: harvestable loss per group in :attr:`avoid`, dollars (negative)
        self.avoid_loss: dict[str, float] = {}
        pref = opts.preferred
        named = set(h.rules.named_funds)
        for v in pref.values():
            if isinstance(v, str):
                named.add(v.upper())
            elif isinstance(v, dict):
                named.update(str(x).upper() for x in v.values())
        self.named = frozenset(named)
        #: (account, symbol) holdings with export rows that could not be read
        #: (:attr:`~toolkit.household.Household.unreliable`): neither bought nor sold unless
        #: ``allow_untrusted``
        self.unreliable = frozenset() if opts.allow_untrusted else frozenset(
            (str(a), str(s)) for a, s in zip(h.unreliable["account"], h.unreliable["symbol"],
                                             strict=True) if pd.notna(a) and pd.notna(s))
        if not self.enabled:
            return
        start = h.as_of - pd.Timedelta(days=WINDOW_DAYS)
        sales, _ = household_sales(h)
        loss = sales[(sales["cost_basis"] - sales["proceeds"] > 0)
                     & sales["sale_date"].between(start, h.as_of)]
        for r in loss.itertuples(index=False):
            self.recent_loss_groups.setdefault(
                self.group(r.symbol), f"{r.symbol} sold at a loss in {r.account} on "
                                      f"{pd.Timestamp(r.sale_date).date()}")
        acq, _ = household_acquisitions(h)
        recent = acq[acq["date"].between(start, h.as_of)]
        for r in recent.itertuples(index=False):
            self.recent_buy_groups.setdefault(
                self.group(r.symbol), f"{r.symbol} bought in {r.account} on "
                                      f"{pd.Timestamp(r.date).date()}")
        # dividends reinvested in any account are purchases too (IRAs included: Rev. Rul.
        # 2008-5): a loss sale is washed by the next one when it is due within the window.
        # A single reinvestment in the past year gives no date to project: it does not block
        # here (the harvest tool and the checkup list it as a threat to check)
        soon = h.as_of + pd.Timedelta(days=WINDOW_DAYS)
        for r in expected_reinvestments(h).itertuples(index=False):
            if pd.notna(r.next_date) and pd.Timestamp(r.next_date) <= soon:
                self.recent_buy_groups.setdefault(
                    self.group(r.symbol),
                    f"{r.symbol} reinvests its dividends in {r.account} (last "
                    f"{pd.Timestamp(r.last_date).date()}, next expected "
                    f"{pd.Timestamp(r.next_date).date()})")
        for a, v in contributions.items():  # planned new money buys what the account holds
            if v > 0:
                for (acct, sym), _ in book.holdings.items():
                    if acct == a:
                        self.recent_buy_groups.setdefault(
                            self.group(sym), f"planned contribution to {a} buys {sym}")

    def group(self, symbol: str) -> str:
        """Substantially-identical group key of ``symbol`` under the plan's policy."""
        if symbol not in self._cache:
            key = identity_groups([symbol], self.book.options.wash_policy,
                                  self.book.household.securities, groups=self._groups)
            self._cache[symbol] = str(key.iloc[0]) if len(key) else symbol
        return self._cache[symbol]

    def buy_blocked(self, symbol: str) -> str | None:
        """Why buying ``symbol`` now would wash a loss (None when it would not)."""
        if not self.enabled:
            return None
        g = self.group(symbol)
        if g in self.recent_loss_groups:
            return self.recent_loss_groups[g]
        for s in self.book.loss_symbols:
            if self.group(s) == g:
                return f"{s} is sold at a loss in this plan"
        return None

    def loss_sale_blocked(self, symbol: str) -> str | None:
        """Why selling ``symbol`` at a loss now would be washed (None when it would not)."""
        if not self.enabled:
            return None
        g = self.group(symbol)
        if g in self.recent_buy_groups:
            return self.recent_buy_groups[g]
        for s in self.book.bought_symbols:
            if self.group(s) == g:
                return f"{s} is bought in this plan"
        return None

    # --- restrictions -----------------------------------------------------------------------

    def may_sell(self, account: str, symbol: str) -> bool:
        """Whether ``symbol`` may be sold in ``account`` (do-not-sell lists, per symbol and
        per account)."""
        rules = self.book.household.rules
        acct = rules.account(account)
        return not (acct.no_sells or symbol in acct.do_not_sell or symbol in rules.do_not_sell
                    or symbol in self.book.options.do_not_sell
                    or (account, symbol) in self.unreliable)

    def menu(self, account: str) -> frozenset[str] | None:
        """Symbols ``account`` may buy, or None for any."""
        book = self.book
        if account in book.options.menus:
            return book.options.menus[account]
        own = book.household.rules.account(account).menu
        if own is not None:
            return own
        if TaxType(book.tax_type[account]).is_employer_plan:
            return frozenset(s for (a, s) in book.holdings if a == account)
        return None

    def diversified(self, symbol: str) -> bool:
        """Whether the security master knows ``symbol`` as a diversified fund (not a single
        stock, not a sector or crypto fund)."""
        master = self.book.household.securities
        if master.field(symbol, "vehicle") not in FUND_VEHICLES:
            return False
        return master.field(symbol, "sub_class") not in CONCENTRATED_SUBCLASSES

    def _why_not(self, account: str, symbol: str) -> str | None:
        """Why ``account`` may never buy ``symbol`` in this plan (None when it may)."""
        book = self.book
        rules = book.household.rules
        acct = rules.account(account)
        if acct.no_buys:
            return "the household file says nothing is bought in this account"
        if (account, symbol) in self.unreliable:
            return ("rows of it in this account's exports could not be read (its shares may "
                    "be wrong; allow_untrusted=True trades it)")
        if symbol in book.options.do_not_buy or symbol in rules.do_not_buy or \
                symbol in acct.do_not_buy:
            return "on a do-not-buy list"
        menu = self.menu(account)
        if menu is not None and symbol not in menu:
            return "not on the account's menu"
        if symbol not in self.named and not self.diversified(symbol):
            return ("a single stock or concentrated fund, bought only when the household "
                    "file's [funds] names it")
        p = book.price_of(symbol)
        if not (p == p and p > 0):
            return (f"no price (no export holds it; add [securities.{symbol}] price = ... "
                    "to the household file)")
        return None

    # --- fund choice ------------------------------------------------------------------------

    def candidates(self, account: str, asset_class: str) -> Iterator[tuple[str, str]]:
        """Funds ``account`` could buy for ``asset_class``, best first, each with the rule that
        put it there (eligibility unchecked; module docstring)."""
        book = self.book
        pref = book.options.preferred
        per_acct = pref.get(account)
        if isinstance(per_acct, dict) and asset_class in per_acct:
            yield str(per_acct[asset_class]).upper(), "the fund preferred for this account"
        if isinstance(pref.get(asset_class), str):
            yield str(pref[asset_class]).upper(), f"the fund preferred for {asset_class}"
        for sym in book.household.rules.funds_for(account, book.tax_type[account],
                                                  asset_class):
            yield sym, "the household's fund for this class"
        for hd in book.held(account, asset_class):
            yield hd.symbol, "already held in this account"
        master = book.household.securities
        menu = self.menu(account)
        if menu is not None:
            for sym in sorted(menu):
                if master.weights(sym) == {asset_class: 1.0}:
                    yield sym, "on the account's fund menu"
            return
        elsewhere = sorted((hd for hd in book.holdings.values()
                            if hd.classes == {asset_class: 1.0} and hd.quantity > 0),
                           key=lambda hd: -hd.value)
        for hd in elsewhere:  # an ETF the household already uses elsewhere (not a plan's trust,
            # a stock or another custodian's mutual fund)
            if master.field(hd.symbol, "vehicle") == "etf":
                yield hd.symbol, "held elsewhere in the household"
        for sym in DEFAULT_FUNDS.get(asset_class, ()):
            yield sym, "the security master's default for this class"
            for r in master.replacements(sym):
                yield r, "the security master's default for this class"

    def eligible(self, account: str, asset_class: str) -> list[tuple[str, str]]:
        """Candidates the account may buy at all (everything but the wash-sale guard), best
        first, with their rules; refusals of higher-ranked ones are kept in
        :attr:`refusals`."""
        key = (account, asset_class)
        if key not in self._static:
            out: list[tuple[str, str]] = []
            seen: set[str] = set()
            for sym, rule in self.candidates(account, asset_class):
                if sym in seen:
                    continue
                seen.add(sym)
                why = self._why_not(account, sym)
                if why is None:
                    out.append((sym, rule))
                elif not out and key not in self.refusals and (
                        why.startswith("no price") or rule.startswith(("the fund preferred",
                                                                       "the household's"))):
                    self.refusals[key] = (f"{sym} not bought for {asset_class} in "
                                          f"{self.book.labels.get(account, account)}: {why}")
            self._static[key] = out
        return self._static[key]

    def can_buy(self, account: str, symbol: str) -> bool:
        """Whether ``account`` may buy ``symbol`` now (lists, menu, price, wash-sale guard)."""
        return self._why_not(account, symbol) is None and self.buy_blocked(symbol) is None

    def fund_for(self, account: str, asset_class: str) -> str | None:
        """The fund ``account`` should buy for ``asset_class`` now, or None if it has none."""
        hit = self.choice(account, asset_class)
        return None if hit is None else hit[0]

    def choice(self, account: str, asset_class: str) -> tuple[str, str] | None:
        """The fund ``account`` should buy for ``asset_class`` now and the rule that chose it.

        In a tax-advantaged account, a fund of the class this plan sells there comes first:
        buying it back shrinks that sale (:data:`SHRINK_RULE`). A fund of a group in
        :attr:`avoid` (losses the plan may harvest) is bought only when no other is eligible,
        and then the one whose group has the smallest loss.
        """
        for sym in self.book.sold_here(account, asset_class):  # not a purchase: no checks
            return sym, SHRINK_RULE
        fallback = None
        skipped = None
        for sym, rule in self.eligible(account, asset_class):
            if self.buy_blocked(sym) is not None:
                continue
            g = self.group(sym)
            if g not in self.avoid:
                if skipped is not None:
                    rule += (f" ({skipped} is not bought: {self.avoid[self.group(skipped)]}, "
                             "and buying it would wash that loss)")
                return sym, rule
            if skipped is None:
                skipped = sym
            if fallback is None or self.avoid_loss.get(g, 0.0) > self.avoid_loss.get(
                    self.group(fallback[0]), 0.0):
                fallback = (sym, rule)
        return fallback

    def refusal_notes(self, keys=None) -> list[str]:
        """Notes on funds refused where they ranked first (all, or for ``keys``)."""
        return [v for k, v in self.refusals.items() if keys is None or k in keys]
