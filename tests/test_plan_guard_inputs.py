"""The planner's wash guard reads expected dividend reinvestments (any account) as purchases,
and the planner neither buys nor sells a holding whose export rows could not be read."""

from __future__ import annotations

import pandas as pd

from tests.factories import household
from toolkit.planner import PlanOptions, plan
from toolkit.planner._book import Book
from toolkit.planner._guard import Guard


def guard(h, **options) -> Guard:
    # the guard as plan() builds it (entry.plan), with no contributions
    opts = PlanOptions.from_kwargs(**options)
    return Guard(Book.from_household(h, opts, {}, set()), {})


def rv(acct, sym, day, q, amt):
    return {"date": day, "account": acct, "action": "reinvest", "symbol": sym,
            "quantity": q, "amount": amt}


def reinvesting(as_of, days=("2026-03-25", "2026-06-24", "2026-09-23")):
    # T (taxable) holds 10 VTI bought at $400 (now $300: a $1,000 loss a plan could take);
    # R (Roth IRA) holds 50 VTI and reinvests its dividends: with three reinvestments 91 days
    # apart (03-25, 06-24, 09-23) the next is expected 09-23 + 91 days = 2026-12-23.
    return household(
        accounts={"T": "taxable", "R": "roth_ira"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 10, "price": 300.0,
                    "cost_basis": 4000.0},
                   {"account": "R", "symbol": "VTI", "quantity": 50, "price": 300.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 4000.0,
               "acquired": "2024-01-10"}],
        transactions=[rv("R", "VTI", d, 0.5, -150.0) for d in days],
        as_of=as_of)


def test_a_reinvestment_due_within_30_days_blocks_a_loss_sale():
    # as of 2026-12-01 the next reinvestment (2026-12-23) is 22 days away: within the window
    g = guard(reinvesting("2026-12-01"))
    assert g.loss_sale_blocked("VTI") == (
        "VTI reinvests its dividends in R (last 2026-09-23, next expected 2026-12-23)")


def test_a_reinvestment_due_after_the_window_does_not():
    # as of 2026-11-20 the next one is 33 days away: a loss sale today is not washed by it
    # (and the last, 2026-09-23, is 58 days back: outside the window too)
    assert guard(reinvesting("2026-11-20")).loss_sale_blocked("VTI") is None


def test_a_reinvestment_that_cannot_be_dated_does_not_block():
    # a single reinvestment in the past year: no gap to project a date from; the guard does
    # not block on it (the harvest tool lists it as a threat instead)
    g = guard(reinvesting("2026-11-20", days=("2026-09-23",)))
    assert g.loss_sale_blocked("VTI") is None


def test_without_the_guard_nothing_is_blocked():
    assert guard(reinvesting("2026-12-01"), wash_guard=False).loss_sale_blocked("VTI") is None


def unreadable():
    # T holds 10 VTI and 20 BND; one VTI lot row of T's file could not be read (line 7), so
    # VTI in T is unreliable; BND loaded whole.
    skipped = pd.DataFrame([{"file": "t.csv", "line": 7, "reason": "quantity: not a number",
                             "text": "", "account": "T", "symbol": "VTI"}])
    return household(
        accounts={"T": "taxable", "R": "roth_ira"},
        positions=[{"account": "T", "symbol": "VTI", "quantity": 10, "price": 300.0,
                    "cost_basis": 2000.0},
                   {"account": "T", "symbol": "BND", "quantity": 20, "price": 72.0,
                    "cost_basis": 1500.0},
                   {"account": "R", "symbol": "VXUS", "quantity": 5, "price": 60.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 10, "cost_basis": 2000.0,
               "acquired": "2020-01-10"},
              {"account": "T", "symbol": "BND", "quantity": 20, "cost_basis": 1500.0,
               "acquired": "2020-01-10"}],
        skipped=skipped)


def test_an_unreliable_holding_is_neither_bought_nor_sold_unless_allowed():
    h = unreadable()
    assert h.unreliable[["account", "symbol"]].values.tolist() == [["T", "VTI"]]
    g = guard(h)
    assert g.may_sell("T", "VTI") is False
    assert g.can_buy("T", "VTI") is False
    assert g.may_sell("T", "BND") is True
    allowed = guard(h, allow_untrusted=True)
    assert allowed.may_sell("T", "VTI") is True
    assert allowed.can_buy("T", "VTI") is True


def test_plans_leave_an_unreliable_holding_alone():
    # T's VTI is 10 x $300 = $3,000 of $4,740 (BND 20 x $72 = $1,440, VXUS 5 x $60 = $300):
    # 63% US stock against a 30% target, so VTI is the holding to sell; but its rows could
    # not all be read: no plan trades it unless allowed, and then both modes sell it
    h = unreadable()
    for mode in ("waterfall", "optimal"):
        p = plan(h, mode=mode, targets={"us_equity": 0.3, "intl_equity": 0.0, "bonds": 0.7})
        assert not ((p.trades["account"] == "T") & (p.trades["symbol"] == "VTI")).any(), mode
        q = plan(h, mode=mode, targets={"us_equity": 0.3, "intl_equity": 0.0, "bonds": 0.7},
                 allow_untrusted=True)
        sold = q.trades[(q.trades["account"] == "T") & (q.trades["symbol"] == "VTI")]
        assert sold["side"].tolist() == ["sell"], mode
