"""Which funds an account may buy, and the wash-sale guard across the household.

The guard follows the household's rule: no trade in the plan may wash a loss taken in the plan
or in the last 30 days. So a fund may not be bought when a substantially identical fund was
sold at a loss in the last 30 days or in this plan, and a lot may not be sold at a loss when a
substantially identical fund was bought in the last 30 days, is expected to be bought in the
next 30 (planned contributions into an account holding it), or is bought in this plan.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from toolkit.planner._book import Book
from toolkit.planner.options import DEFAULT_FUNDS
from toolkit.schema import TaxType
from toolkit.tax.wash import identity_groups
from toolkit.tax.wash_household import household_acquisitions, household_sales

WINDOW_DAYS = 30


class Guard:
    """Fund eligibility and the wash-sale guard for one plan."""

    def __init__(self, book: Book, contributions: dict[str, float]) -> None:
        self.book = book
        h = book.household
        opts = book.options
        self.enabled = opts.wash_guard
        self._groups = h.settings.get("substantially_identical") or ()
        self._cache: dict[str, str] = {}
        self.recent_loss_groups: dict[str, str] = {}  # group -> why
        self.recent_buy_groups: dict[str, str] = {}
        self.notes: list[str] = []
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

    # --- fund choice ------------------------------------------------------------------------

    def menu(self, account: str) -> frozenset[str] | None:
        """Symbols ``account`` may buy, or None for any."""
        opts = self.book.options
        if account in opts.menus:
            return opts.menus[account]
        if TaxType(self.book.tax_type[account]).is_employer_plan:
            return frozenset(s for (a, s) in self.book.holdings if a == account)
        return None

    def can_buy(self, account: str, symbol: str) -> bool:
        """Whether ``account`` may buy ``symbol`` now (menu, do-not-buy list, wash guard)."""
        if symbol in self.book.options.do_not_buy:
            return False
        menu = self.menu(account)
        if menu is not None and symbol not in menu:
            return False
        return self.buy_blocked(symbol) is None

    def fund_for(self, account: str, asset_class: str) -> str | None:
        """The fund ``account`` should buy for ``asset_class``, or None if it has none."""
        for sym in self.candidates(account, asset_class):
            if self.can_buy(account, sym):
                return sym
        return None

    def candidates(self, account: str, asset_class: str) -> Iterable[str]:
        """Funds ``account`` could buy for ``asset_class``, best first (eligibility unchecked).

        The preferred fund (per account, then per class), the account's holdings of the
        class, the plan menu's single-class funds (employer plans), an ETF of the class the
        household holds elsewhere, then :data:`DEFAULT_FUNDS` and their replacements.
        """
        book = self.book
        pref = book.options.preferred
        per_acct = pref.get(account)
        if isinstance(per_acct, dict) and asset_class in per_acct:
            yield str(per_acct[asset_class]).upper()
        if isinstance(pref.get(asset_class), str):
            yield str(pref[asset_class]).upper()
        for hd in book.held(account, asset_class):
            yield hd.symbol
        master = book.household.securities
        menu = self.menu(account)
        if menu is not None:
            for sym in sorted(menu):
                if master.weights(sym) == {asset_class: 1.0}:
                    yield sym
            return
        elsewhere = sorted((hd for hd in book.holdings.values()
                            if hd.classes == {asset_class: 1.0} and hd.price == hd.price),
                           key=lambda hd: -hd.value)
        for hd in elsewhere:  # an ETF the household already uses elsewhere (not a plan's trust,
            row = master.get(hd.symbol)  # a stock or another custodian's mutual fund)
            if row is not None and row["vehicle"] == "etf":
                yield hd.symbol
        for sym in DEFAULT_FUNDS.get(asset_class, ()):
            yield sym
            yield from master.replacements(sym)
