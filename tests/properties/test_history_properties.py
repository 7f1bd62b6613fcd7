"""Invariants of lots rebuilt from random histories (hypothesis): shares and basis conserved."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.history import rebuild_lots

pytestmark = pytest.mark.slow  # hundreds of generated histories replayed

DAY0 = pd.Timestamp("2020-01-02")
event = st.tuples(st.sampled_from(["buy", "buy", "reinvest", "sell", "sell", "split",
                                   "transfer_in"]),
                  st.floats(min_value=0.001, max_value=500),     # shares (buy) / fraction
                  st.floats(min_value=1, max_value=400),          # price
                  st.integers(min_value=1, max_value=60),         # days since the last row
                  st.booleans())                                  # sells: a reported wash


@st.composite
def histories(draw, *, allow_unmatched: bool):
    """Rows of 1-3 (account, symbol) pairs on distinct days, and broker realised rows."""
    pairs = draw(st.lists(st.sampled_from([("A", "X"), ("A", "Y"), ("B", "X")]),
                          min_size=1, max_size=3, unique=True))
    rows, realized, net = [], [], {}
    for acct, sym in pairs:
        day, held, first = DAY0, 0.0, None
        for kind, x, price, gap, washed in draw(st.lists(event, min_size=1, max_size=25)):
            day = day + pd.Timedelta(days=gap)
            row = {"date": day, "account": acct, "symbol": sym, "action": kind,
                   "source_file": f"{acct}{sym}.csv", "source_line": len(rows) + 1}
            if kind in ("buy", "reinvest", "transfer_in"):
                q = x
                row.update(quantity=q, amount=-q * price if kind != "transfer_in" else q * price)
                held += q
                first = first or day
            elif kind == "sell":
                frac = x / 500 * (1.3 if allow_unmatched else 1.0)
                q = held * frac if held > 0 else (x if allow_unmatched else 0.0)
                if q <= 1e-6:
                    continue
                row.update(quantity=-q, amount=q * price)
                if washed and first is not None:
                    realized.append({"account": acct, "symbol": sym, "quantity": q,
                                     "acquired": first, "sold": day, "proceeds": q * price,
                                     "cost_basis": q * price + 50.0, "gain": -50.0,
                                     "wash_sale_disallowed": 50.0})
                held = max(held - q, 0.0)
            else:  # split: new shares for a ratio of 2, 3 or 1/2 of what is held
                if held <= 1e-6:
                    continue
                ratio = draw(st.sampled_from([2.0, 3.0, 0.5]))
                q = held * (ratio - 1)
                row.update(quantity=q)
                held += q
            rows.append(row)
            net[(acct, sym)] = net.get((acct, sym), 0.0) + row["quantity"]
    tx = pd.DataFrame(rows, columns=["date", "account", "symbol", "action", "quantity",
                                     "amount", "source_file", "source_line"])
    rz = pd.DataFrame(realized, columns=["account", "symbol", "quantity", "acquired", "sold",
                                         "proceeds", "cost_basis", "gain",
                                         "wash_sale_disallowed"])
    return tx, rz, net


METHOD = st.sampled_from(["fifo", "lifo", "hifo", "average"])


@settings(max_examples=100, deadline=None)
@given(histories(allow_unmatched=True), METHOD)
def test_lots_hold_the_net_shares_when_no_sale_is_unmatched(case, method):
    tx, rz, net = case
    r = rebuild_lots(tx, methods={"A": method, "B": method}, realized=rz)
    lots = r.lots.groupby(["account", "symbol"])["quantity"].sum()
    imp = r.implied.set_index(["account", "symbol"])
    for k, n in net.items():
        assert imp.loc[k, "quantity"] == pytest.approx(n, rel=1e-9, abs=1e-6)
        # always: lots = net shares + shares sold that found no lot
        assert lots.get(k, 0.0) == pytest.approx(n + imp.loc[k, "unmatched_quantity"],
                                                 rel=1e-9, abs=1e-6)
    if r.unmatched.empty:
        for k, n in net.items():
            assert lots.get(k, 0.0) == pytest.approx(n, rel=1e-9, abs=1e-6)
    assert (r.lots["quantity"] > 0).all()
    assert r.unmatched["quantity"].sum() == pytest.approx(
        r.implied["unmatched_quantity"].sum(), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(histories(allow_unmatched=True), METHOD)
def test_basis_is_conserved(case, method):
    tx, rz, _ = case
    r = rebuild_lots(tx, methods={"A": method, "B": method}, realized=rz)
    # every acquisition's cost (buys, reinvestments, priced transfers in) ends up in an
    # open lot or in the basis of a sale; broker-reported wash sales add to it
    acquired = (-tx["amount"]).where(tx["action"] != "transfer_in", tx["amount"])
    acquired = acquired[tx["action"].isin(["buy", "reinvest", "transfer_in"])].sum()
    wash = r.wash_adjustments["basis_added"].sum()
    assert r.lots["cost_basis"].sum() + r.realized["cost_basis"].sum() == pytest.approx(
        acquired + wash, rel=1e-9, abs=1e-6)
    assert wash <= 50.0 * len(rz) + 1e-6
    assert (r.realized["gain"] - (r.realized["proceeds"] - r.realized["cost_basis"])
            ).abs().max() < 1e-6 if len(r.realized) else True


@settings(max_examples=50, deadline=None)
@given(histories(allow_unmatched=False))
def test_the_method_changes_which_lots_not_how_many_shares(case):
    tx, rz, _ = case
    totals = []
    for m in ("fifo", "lifo", "hifo", "average"):
        r = rebuild_lots(tx, methods={"A": m, "B": m})
        assert r.unmatched.empty
        totals.append((r.lots["quantity"].sum(), r.realized["quantity"].sum(),
                       r.lots["cost_basis"].sum() + r.realized["cost_basis"].sum()))
    for t in totals[1:]:
        assert t == pytest.approx(totals[0], rel=1e-9, abs=1e-6)
