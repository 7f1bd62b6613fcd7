"""Lots rebuilt from transaction history: methods, splits, transfers, wash sales, specific-ID,
what the history cannot explain, and the sample household's history-only account."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLES
from toolkit import load_household
from toolkit.errors import HouseholdError
from toolkit.history import lots_from_history, rebuild_lots
from toolkit.schema import LOTS, REALIZED, CostBasisMethod, validate_accounts, validate_positions

T = pd.Timestamp


def tx(*rows, account="A", symbol="X", file="hist.csv"):
    """Rows (date, action, quantity, amount[, price]) as a transactions frame, lines 1.."""
    out = []
    for i, r in enumerate(rows, start=1):
        date, action, q, amount, *rest = r
        out.append({"date": date, "account": account, "action": action, "symbol": symbol,
                    "quantity": q, "amount": amount, "price": rest[0] if rest else None,
                    "source_file": file, "source_line": i})
    return pd.DataFrame(out)


def lots_of(res, cols=("lot_id", "acquired", "quantity", "cost_basis")):
    return res.lots[list(cols)].values.tolist()


def sold_of(res):
    return res.realized[["quantity", "acquired", "proceeds", "cost_basis", "gain",
                         "term"]].values.tolist()


# Three buys and a sale: 10 @ $100 (2020-01-02), 10 @ $300 (2021-01-04), 10 @ $200
# (2022-01-03); sell 15 @ $220 on 2022-06-01 for $3,300 (proceeds $220 a share).
METHOD_HISTORY = tx(("2020-01-02", "buy", 10.0, -1000.0), ("2021-01-04", "buy", 10.0, -3000.0),
                    ("2022-01-03", "buy", 10.0, -2000.0), ("2022-06-01", "sell", -15.0, 3300.0))


def test_fifo_sells_the_earliest_lots():
    r = rebuild_lots(METHOD_HISTORY, methods={"A": "fifo"})
    # 10 of lot 1 ($1,000), then 5 of lot 2 (5/10 x $3,000 = $1,500); 5 + 10 shares stay
    assert lots_of(r) == [["history:hist.csv:2", T("2021-01-04"), 5.0, 1500.0],
                          ["history:hist.csv:3", T("2022-01-03"), 10.0, 2000.0]]
    # proceeds 10 x 220 = 2,200 and 5 x 220 = 1,100; both held more than a year
    assert sold_of(r) == [[10.0, T("2020-01-02"), 2200.0, 1000.0, 1200.0, "long"],
                          [5.0, T("2021-01-04"), 1100.0, 1500.0, -400.0, "long"]]
    assert r.realized["source_line"].tolist() == [4, 4]
    assert r.realized["lot_id"].tolist() == ["history:hist.csv:1", "history:hist.csv:2"]
    assert r.warnings == ()


def test_lifo_sells_the_latest_lots():
    r = rebuild_lots(METHOD_HISTORY, methods={"A": "lifo"})
    # lot 3 whole (10 sh, $2,000, held 2022-01-03..2022-06-01: short), then 5 of lot 2
    assert lots_of(r) == [["history:hist.csv:1", T("2020-01-02"), 10.0, 1000.0],
                          ["history:hist.csv:2", T("2021-01-04"), 5.0, 1500.0]]
    assert sold_of(r) == [[10.0, T("2022-01-03"), 2200.0, 2000.0, 200.0, "short"],
                          [5.0, T("2021-01-04"), 1100.0, 1500.0, -400.0, "long"]]


def test_hifo_sells_the_highest_cost_lots():
    r = rebuild_lots(METHOD_HISTORY, methods={"A": "hifo"})
    # lot 2 ($300/sh) whole: basis 3,000, loss 800; then 5 of lot 3 ($200/sh): basis 1,000
    assert lots_of(r) == [["history:hist.csv:1", T("2020-01-02"), 10.0, 1000.0],
                          ["history:hist.csv:3", T("2022-01-03"), 5.0, 1000.0]]
    assert sold_of(r) == [[10.0, T("2021-01-04"), 2200.0, 3000.0, -800.0, "long"],
                          [5.0, T("2022-01-03"), 1100.0, 1000.0, 100.0, "short"]]


def test_average_pools_the_basis():
    r = rebuild_lots(METHOD_HISTORY, methods={"A": "average"})
    # pool: $6,000 / 30 shares = $200 a share. Sold shares are the earliest (lot 1, then 5 of
    # lot 2) at $200: 2,000 and 1,000. The 15 shares left carry $200 each: 5 -> 1,000,
    # 10 -> 2,000.
    assert lots_of(r) == [["history:hist.csv:2", T("2021-01-04"), 5.0, 1000.0],
                          ["history:hist.csv:3", T("2022-01-03"), 10.0, 2000.0]]
    assert sold_of(r) == [[10.0, T("2020-01-02"), 2200.0, 2000.0, 200.0, "long"],
                          [5.0, T("2021-01-04"), 1100.0, 1000.0, 100.0, "long"]]


@pytest.mark.parametrize("method", [m.value for m in CostBasisMethod if m != CostBasisMethod.SPECIFIC])
def test_every_method_conserves_shares_and_basis(method):
    r = rebuild_lots(METHOD_HISTORY, methods={"A": method})
    assert r.lots["quantity"].sum() == 15.0
    # lots + sold basis = 1,000 + 3,000 + 2,000
    assert r.lots["cost_basis"].sum() + r.realized["cost_basis"].sum() == pytest.approx(6000.0)
    imp = r.implied.iloc[0]
    assert (imp["quantity"], imp["lots_quantity"], imp["lots_basis"], imp["method"]) == (
        15.0, 15.0, pytest.approx(6000.0 - r.realized["cost_basis"].sum()), method)


def test_unknown_method_is_refused():
    with pytest.raises(HouseholdError) as e:
        rebuild_lots(METHOD_HISTORY, methods={"A": "lofo"})
    assert str(e.value) == ("account 'A': cost-basis method 'lofo' cannot be replayed; use one "
                            "of fifo, lifo, hifo, average, specific")


def test_split_scales_quantities_not_bases():
    # 8 @ $500 and 2 @ $600, then a 10-for-1 split written as the 90 new shares received,
    # then 30 sold for $4,200. Lot 1 becomes 80 shares at $4,000 ($50/sh): 30 sold carry
    # $1,500; 50 shares / $2,500 stay. Lot 2 becomes 20 shares, still $1,200.
    r = rebuild_lots(tx(("2021-06-01", "buy", 8.0, -4000.0), ("2022-01-03", "buy", 2.0, -1200.0),
                        ("2024-06-10", "split", 90.0, None),
                        ("2025-01-06", "sell", -30.0, 4200.0)))
    assert lots_of(r) == [["history:hist.csv:1", T("2021-06-01"), 50.0, 2500.0],
                          ["history:hist.csv:2", T("2022-01-03"), 20.0, 1200.0]]
    assert sold_of(r) == [[30.0, T("2021-06-01"), 4200.0, 1500.0, 2700.0, "long"]]
    # net shares: 8 + 2 + 90 - 30 = 70
    assert r.implied["quantity"].tolist() == [70.0]


def test_reverse_split_and_split_with_nothing_held():
    r = rebuild_lots(tx(("2023-05-01", "split", 5.0, None), ("2024-01-02", "buy", 100.0, -500.0),
                        ("2024-09-03", "split", -90.0, None)))
    # 1-for-10: 100 shares -> 10, basis $500 unchanged; the earlier split had nothing to scale
    assert lots_of(r) == [["history:hist.csv:2", T("2024-01-02"), 10.0, 500.0]]
    assert r.warnings == ("A X: split of 5 shares on 2023-05-01 (hist.csv line 1) with no "
                          "shares held in the history; ignored",)
    imp = r.implied.iloc[0]
    assert (imp["quantity"], imp["ignored_rows"], imp["rows"]) == (10.0, 1, 2)


def test_transfer_in_without_basis_is_basis_missing():
    r = rebuild_lots(tx(("2021-04-19", "transfer_in", 60.0, None),
                        ("2026-08-14", "dividend", None, 15.6)))
    assert r.lots[["acquired", "quantity"]].values.tolist() == [[T("2021-04-19"), 60.0]]
    assert np.isnan(r.lots["cost_basis"].iloc[0])
    imp = r.implied.iloc[0]
    assert bool(imp["basis_missing"]) and np.isnan(imp["lots_basis"])
    assert r.warnings == ("A X: 60 shares transferred in on 2021-04-19 (hist.csv line 1) carry "
                          "no cost basis in the history: basis missing",)


def test_transfer_in_with_an_amount_or_price_takes_it_as_basis():
    r = rebuild_lots(tx(("2021-04-19", "transfer_in", 10.0, 1234.5),
                        ("2021-05-03", "transfer_in", 4.0, None, 50.0)))
    assert lots_of(r) == [["history:hist.csv:1", T("2021-04-19"), 10.0, 1234.5],
                          ["history:hist.csv:2", T("2021-05-03"), 4.0, 200.0]]
    assert r.warnings[1] == ("A X: the basis of the 4 shares transferred in on 2021-05-03 "
                             "(hist.csv line 2) is taken from the row's amount or price "
                             "($200.00), which may be their value on that day rather than "
                             "their original cost")


def test_buy_without_amount_uses_price_and_fees():
    # 10 x $12.50 + $4.95 commission = $129.95
    t = tx(("2024-02-01", "buy", 10.0, None, 12.5))
    t["fees"] = 4.95
    assert rebuild_lots(t).lots["cost_basis"].tolist() == [pytest.approx(129.95)]


def test_transfer_out_relieves_without_realising():
    r = rebuild_lots(tx(("2021-01-04", "buy", 10.0, -1000.0),
                        ("2022-01-03", "transfer_out", -4.0, None)))
    assert lots_of(r) == [["history:hist.csv:1", T("2021-01-04"), 6.0, 600.0]]
    assert r.realized.empty


def test_a_sell_with_no_lots_is_unmatched():
    r = rebuild_lots(tx(("2024-03-01", "buy", 3.0, -300.0), ("2024-06-03", "sell", -5.0, 600.0)))
    assert r.lots.empty
    # the 3 held are sold (proceeds 3/5 of $600); 2 shares have no lot
    assert sold_of(r) == [[3.0, T("2024-03-01"), 360.0, 300.0, 60.0, "short"]]
    u = r.unmatched
    assert u[["account", "symbol", "date", "action", "quantity", "requested", "held",
              "source_line"]].values.tolist() == [
        ["A", "X", T("2024-06-03"), "sell", 2.0, 5.0, 3.0, 2]]
    assert u["proceeds"].iloc[0] == 240.0  # 2/5 of $600
    assert u["reason"].iloc[0] == ("sold 5 shares but the history held 3: 2 shares were "
                                   "acquired before the history starts or in rows it could not "
                                   "replay")
    imp = r.implied.iloc[0]
    assert (imp["quantity"], imp["lots_quantity"], imp["unmatched_quantity"]) == (-2.0, 0.0, 2.0)


def test_same_day_buy_is_available_to_the_sale():
    rows = (("2024-01-02", "buy", 10.0, -1000.0), ("2024-05-01", "sell", -10.0, 1300.0),
            ("2024-05-01", "buy", 10.0, -1200.0))
    r = rebuild_lots(tx(*rows), methods={"A": "lifo"})
    # acquisitions first: LIFO sells the shares bought that morning
    assert lots_of(r) == [["history:hist.csv:1", T("2024-01-02"), 10.0, 1000.0]]


def test_realised_rows_can_put_a_sale_before_the_days_purchase():
    rows = (("2024-01-02", "buy", 10.0, -1000.0), ("2024-05-01", "sell", -10.0, 1300.0),
            ("2024-05-01", "buy", 10.0, -1200.0))
    rz = pd.DataFrame({"account": ["A"], "symbol": ["X"], "quantity": [10.0],
                       "acquired": ["2024-01-02"], "sold": ["2024-05-01"]})
    r = rebuild_lots(tx(*rows), methods={"A": "lifo"}, realized=rz)
    assert lots_of(r) == [["history:hist.csv:3", T("2024-05-01"), 10.0, 1200.0]]
    assert r.warnings == ()


def test_newest_first_files_are_read_bottom_up():
    # Fidelity and Schwab list the newest row first: of two buys on one day the lower line
    # came first. FIFO sells 5: the 2024-01-02 share, then 4 of line 3 ($10/sh), leaving
    # 1 share ($10) of line 3 and line 2 whole (5 shares, $100)
    t = tx(("2024-06-03", "sell", -5.0, 100.0), ("2024-03-01", "buy", 5.0, -100.0),
           ("2024-03-01", "buy", 5.0, -50.0), ("2024-01-02", "buy", 1.0, -9.0))
    r = rebuild_lots(t)
    assert lots_of(r) == [["history:hist.csv:3", T("2024-03-01"), 1.0, 10.0],
                          ["history:hist.csv:2", T("2024-03-01"), 5.0, 100.0]]


def test_specific_identification_from_broker_realised_rows():
    t = tx(("2020-01-02", "buy", 10.0, -1000.0), ("2021-01-04", "buy", 10.0, -3000.0),
           ("2022-06-01", "sell", -4.0, 800.0), ("2022-07-01", "sell", -3.0, 600.0))
    rz = pd.DataFrame({"account": ["A"], "symbol": ["X"], "quantity": [4.0],
                       "acquired": ["2021-01-04"], "sold": ["2022-06-01"]})
    r = rebuild_lots(t, methods={"A": "specific"}, realized=rz)
    # 4 from the 2021 lot as the broker reports (4/10 x 3,000 = 1,200); the July sale has
    # no realised row: FIFO, 3 from the 2020 lot ($300)
    assert sold_of(r) == [[4.0, T("2021-01-04"), 800.0, 1200.0, -400.0, "long"],
                          [3.0, T("2020-01-02"), 600.0, 300.0, 300.0, "long"]]
    assert lots_of(r) == [["history:hist.csv:1", T("2020-01-02"), 7.0, 700.0],
                          ["history:hist.csv:2", T("2021-01-04"), 6.0, 1800.0]]
    assert r.warnings == ("A X: sale of 3 shares on 2022-07-01 (hist.csv line 4) uses specific "
                          "identification but no realised rows from the broker identify its "
                          "lots; 3 shares relieved FIFO",)


def test_method_disagreeing_with_broker_realised_rows_is_warned():
    t = tx(("2020-01-02", "buy", 10.0, -1000.0), ("2021-01-04", "buy", 10.0, -3000.0),
           ("2022-06-01", "sell", -4.0, 800.0))
    rz = pd.DataFrame({"account": ["A"], "symbol": ["X"], "quantity": [4.0],
                       "acquired": ["2021-01-04"], "sold": ["2022-06-01"]})
    r = rebuild_lots(t, realized=rz)
    assert r.warnings == ("1 sale(s) where the broker's realised rows name other lots than the "
                          "account's method relieves (check cost_basis_method): A X sale on "
                          "2022-06-01 (hist.csv line 3): the broker reports lots acquired "
                          "2021-01-04; the fifo replay sold lots acquired 2020-01-02",)


# Schwab's sample wash sale: 10 VTI bought 2026-03-02 for $3,450, sold 2026-09-01 for $3,310
# (loss $140, reported disallowed), 12 bought 2026-09-15 for $4,026 ($335.50/sh).
WASH_TX = tx(("2026-09-15", "buy", 12.0, -4026.0), ("2026-09-01", "sell", -10.0, 3310.0),
             ("2026-03-02", "buy", 10.0, -3450.0), symbol="VTI")


def wash_realized(disallowed: float) -> pd.DataFrame:
    return pd.DataFrame({"account": ["A"], "symbol": ["VTI"], "quantity": [10.0],
                         "acquired": ["2026-03-02"], "sold": ["2026-09-01"],
                         "proceeds": [3310.0], "cost_basis": [3450.0], "gain": [-140.0],
                         "wash_sale_disallowed": [disallowed], "source_file": ["rz.csv"],
                         "source_line": [4]})


def test_broker_reported_wash_sale_is_carried_to_the_replacement():
    r = rebuild_lots(WASH_TX, realized=wash_realized(140.0))
    # 10 of the 12 replace the 10 sold: 10 x 335.50 + 140 = 3,495, as Schwab's lot detail;
    # held 2026-03-02..2026-09-01 = 183 days, so their holding starts 2026-09-15 - 183 days
    # = 2026-03-16. The other 2 shares: 2 x 335.50 = 671.
    got = r.lots[["lot_id", "acquired", "holding_start", "quantity", "cost_basis",
                  "wash_sale_disallowed"]].values.tolist()
    assert got[0] == ["history:hist.csv:1.1", T("2026-09-15"), T("2026-03-16"), 10.0, 3495.0,
                      140.0]
    assert got[1][:5] == ["history:hist.csv:1.2", T("2026-09-15"), T("2026-09-15"), 2.0, 671.0]
    assert np.isnan(got[1][5])
    assert r.wash_adjustments[["sale_date", "date", "quantity", "basis_added",
                               "holding_start", "source_line"]].values.tolist() == [
        [T("2026-09-01"), T("2026-09-15"), 10.0, 140.0, T("2026-03-16"), 1]]
    assert r.warnings == ()


def test_partial_wash_places_only_the_washed_shares():
    # $70 of the $140 disallowed: 10 x 70/140 = 5 shares washed at $14 each
    r = rebuild_lots(WASH_TX, realized=wash_realized(70.0))
    assert r.lots[["quantity", "cost_basis"]].values.tolist() == [[5.0, 1677.5 + 70.0],
                                                                  [7.0, 2348.5]]


def test_wash_sale_without_a_replacement_in_the_history_is_warned():
    t = tx(("2026-09-01", "sell", -10.0, 3310.0), ("2026-03-02", "buy", 10.0, -3450.0),
           symbol="VTI")
    r = rebuild_lots(t, realized=wash_realized(140.0))
    assert r.lots.empty
    assert r.warnings == ("A VTI: $140.00 of the wash-sale loss the broker reported on the sale "
                          "of 2026-09-01 (rz.csv line 4) has no replacement purchase in the "
                          "history within 30 days; it is not placed",)


def test_rows_without_symbol_resolve_by_position_description():
    t = pd.DataFrame({"date": ["2026-10-16", "2026-10-30"], "account": "K", "action": "buy",
                      "symbol": [None, None], "description": "VANG INST 500 INDEX TR",
                      "quantity": [1.767, 1.748], "amount": [-400.0, -400.0],
                      "source_file": "h.csv", "source_line": [2, 1]})
    pos = validate_positions(pd.DataFrame({"account": ["K"], "symbol": ["59515R401"],
                                           "description": ["VANG INST 500 INDEX TR"],
                                           "quantity": [3.515], "market_value": [800.0]}))
    r = rebuild_lots(t, positions=pos)
    assert r.lots[["symbol", "quantity"]].values.tolist() == [["59515R401", 1.767],
                                                              ["59515R401", 1.748]]
    r2 = rebuild_lots(t)
    assert r2.lots.empty
    assert r2.warnings == ("2 share-moving row(s) have no symbol and match no position by "
                           "description, so they are not replayed: K 'VANG INST 500 INDEX TR' "
                           "(h.csv line 2); K 'VANG INST 500 INDEX TR' (h.csv line 1)",)


def test_rows_that_cannot_be_replayed_are_counted():
    r = rebuild_lots(tx(("2024-01-02", "buy", 10.0, -100.0), ("2024-03-04", "other", 5.0, None)))
    assert r.implied[["quantity", "ignored_rows"]].values.tolist() == [[10.0, 1]]
    assert r.warnings == ("A X: 1 share-moving row(s) cannot be replayed and are ignored: other "
                          "5 on 2024-03-04 (hist.csv line 2)",)


def test_as_of_stops_the_replay():
    r = rebuild_lots(METHOD_HISTORY, as_of="2022-05-31")
    assert r.lots["quantity"].sum() == 30.0 and r.realized.empty


def test_empty_history():
    r = rebuild_lots(tx(("2024-01-02", "dividend", None, 12.0)))
    assert r.lots.empty and r.realized.empty and r.implied.empty and r.unmatched.empty
    assert list(r.lots.columns) == LOTS.names
    assert list(r.realized.columns)[:len(REALIZED.names)] == REALIZED.names


def test_inputs_are_not_modified():
    t = METHOD_HISTORY.copy()
    rebuild_lots(t, methods={"A": "hifo"})
    pd.testing.assert_frame_equal(t, METHOD_HISTORY)


# --- the household step -------------------------------------------------------------------


def _accounts(**types):
    return validate_accounts(pd.DataFrame([{"account": a, "account_key": a, "tax_type": t}
                                           for a, t in types.items()]))


def _positions(*rows):
    return validate_positions(pd.DataFrame([
        {"account": a, "symbol": s, "quantity": q, "market_value": q * 10.0,
         "asset_class": "cash" if s == "CASH" else "us_equity"} for a, s, q in rows]))


def test_lots_from_history_only_where_the_history_explains_the_position():
    t = pd.concat([tx(("2020-01-02", "buy", 10.0, -1000.0), ("2022-06-01", "sell", -4.0, 800.0),
                      account="T", symbol="X"),
                   tx(("2021-01-04", "buy", 5.0, -500.0), account="T", symbol="Y"),
                   tx(("2021-01-04", "buy", 5.0, -500.0), account="R", symbol="X")],
                  ignore_index=True)
    pos = _positions(("T", "X", 6.0), ("T", "Y", 8.0), ("R", "X", 5.0), ("T", "CASH", 100.0))
    out = lots_from_history(_accounts(T="taxable", R="roth_ira"), pos, LOTS.empty(), t,
                            REALIZED.empty(), as_of="2026-11-20")
    # T X explained (10 - 4 = 6); T Y not (5 in history, 8 held); R is tax-advantaged
    assert out.lots[["account", "symbol", "quantity", "cost_basis"]].values.tolist() == [
        ["T", "X", 6.0, 600.0]]
    assert out.realized[["account", "symbol", "quantity", "sold", "gain"]].values.tolist() == [
        ["T", "X", 4.0, T("2022-06-01"), 400.0]]
    assert [(p["key"], p["frame"], p["used"], p["reason"]) for p in out.provenance] == [
        ("T X", "lots", True, "lots rebuilt from history of hist.csv"),
        ("T Y", "lots", False, "history of hist.csv leaves 5 shares in lots but the position "
                               "holds 8: no lots rebuilt"),
        ("T X", "realized", True, "sales rebuilt from history; no broker realised row covers "
                                  "them")]
    assert out.warnings == ["account T Y: the history (hist.csv) does not explain the position "
                            "(8 shares held, 5 in rebuilt lots); no lots are used (see "
                            "toolkit.reconcile)"]


def test_lots_from_history_keeps_broker_realised_rows():
    t = tx(("2020-01-02", "buy", 10.0, -1000.0), ("2022-06-01", "sell", -4.0, 800.0),
           account="T")
    broker = pd.DataFrame({"account": ["T"], "symbol": ["X"], "quantity": [4.0],
                           "acquired": ["2020-01-02"], "sold": ["2022-06-01"],
                           "proceeds": [800.0], "cost_basis": [400.0], "gain": [400.0],
                           "source_file": ["rz.csv"], "source_line": [3]})
    from toolkit.schema import validate_realized

    broker = validate_realized(broker)
    out = lots_from_history(_accounts(T="taxable"), _positions(("T", "X", 6.0)), LOTS.empty(),
                            t, broker)
    assert len(out.lots) == 1
    pd.testing.assert_frame_equal(out.realized, broker)


def test_lots_from_history_leaves_symbols_with_broker_lots_alone():
    t = tx(("2020-01-02", "buy", 10.0, -1000.0), account="T")
    lots = pd.DataFrame({"account": ["T"], "symbol": ["X"], "quantity": [10.0],
                         "cost_basis": [990.0], "acquired": ["2020-01-02"]})
    from toolkit.schema import validate_lots

    lots = validate_lots(lots)
    out = lots_from_history(_accounts(T="taxable"), _positions(("T", "X", 10.0)), lots, t,
                            REALIZED.empty())
    pd.testing.assert_frame_equal(out.lots, lots)
    assert out.provenance == [] and out.result is None


# --- the sample household's history-only account -------------------------------------------

HOUSEHOLD = SAMPLES / "household" / "household.toml"


@pytest.fixture(scope="module")
def h():
    return load_household(HOUSEHOLD)


def test_sample_individual_account_lots_by_hand(h):
    """Maya's X71234567 has no lot file: its lots come from Accounts_History.csv (FIFO).

    FXAIX: bought 150 @ 92.40 = 13,860.00 (2019-03-06, line 42), 80 @ 124.50 = 9,960.00
    (2020-11-16, line 40), 60 @ 128.20 = 7,692.00 (2022-06-21, line 36), 40 @ 180.05 =
    7,202.00 (2024-03-12, line 32); dividends reinvested 2.150 sh for 447.20 (2025-12-19,
    line 29), 1.984 for 426.56 (2026-04-01, line 25), 1.875 for 420.00 (2026-07-01, line 23),
    1.820 for 418.60 (2026-10-01, line 18). Nothing sold: 337.829 shares, 40,426.36.
    NVDA: 12 @ 169.40 = 2,032.80 (2022-05-16, line 37), 8 @ 217.25 = 1,738.00 (2023-02-13,
    line 34); 10-for-1 split 2024-06-10 (180 new shares): 120 and 80 shares, bases unchanged;
    90 sold 2025-08-11 FIFO from the first lot at 2,032.80 / 120 = 16.94 a share: 1,524.60
    relieved, 30 shares and 508.20 left; 25 @ 176.80 = 4,420.00 bought 2026-03-09 (line 26).
    AAPL: 60 transferred in 2021-04-19 (line 39) with no amount: basis missing.
    """
    lots = h.lots[h.lots["account"] == "X71234567"]
    got = lots[["symbol", "acquired", "quantity", "cost_basis", "lot_id"]].values.tolist()
    lid = "history:Accounts_History.csv:"
    assert got[1:] == [
        ["FXAIX", T("2019-03-06"), 150.0, 13860.00, f"{lid}42"],
        ["FXAIX", T("2020-11-16"), 80.0, 9960.00, f"{lid}40"],
        ["FXAIX", T("2022-06-21"), 60.0, 7692.00, f"{lid}36"],
        ["FXAIX", T("2024-03-12"), 40.0, 7202.00, f"{lid}32"],
        ["FXAIX", T("2025-12-19"), 2.150, 447.20, f"{lid}29"],
        ["FXAIX", T("2026-04-01"), 1.984, 426.56, f"{lid}25"],
        ["FXAIX", T("2026-07-01"), 1.875, 420.00, f"{lid}23"],
        ["FXAIX", T("2026-10-01"), 1.820, 418.60, f"{lid}18"],
        ["NVDA", T("2022-05-16"), 30.0, pytest.approx(508.20, abs=1e-9), f"{lid}37"],
        ["NVDA", T("2023-02-13"), 80.0, 1738.00, f"{lid}34"],
        ["NVDA", T("2026-03-09"), 25.0, 4420.00, f"{lid}26"],
    ]
    assert got[0][:3] == ["AAPL", T("2021-04-19"), 60.0] and np.isnan(got[0][3])
    assert (lots["holding_start"] == lots["acquired"]).all()
    assert lots["source_file"].eq("Accounts_History.csv").all()
    assert lots["source_line"].tolist() == [39, 42, 40, 36, 32, 29, 25, 23, 18, 37, 34, 26]
    # position quantities are explained: 337.829 FXAIX, 135 NVDA (30 + 80 + 25), 60 AAPL
    held = lots.groupby("symbol")["quantity"].sum()
    assert held.to_dict() == pytest.approx({"AAPL": 60.0, "FXAIX": 337.829, "NVDA": 135.0})


def test_sample_individual_account_sale_and_provenance(h):
    # NVDA: 90 sold for 16,406.86 net of the 0.14 fee; basis 1,524.60 (above); gain
    # 16,406.86 - 1,524.60 = 14,882.26; held 2022-05-16 .. 2025-08-11: long-term
    rz = h.realized[h.realized["account"] == "X71234567"]
    assert rz[["symbol", "quantity", "acquired", "sold", "proceeds", "cost_basis", "gain",
               "term", "source_line"]].values.tolist() == [
        ["NVDA", 90.0, T("2022-05-16"), T("2025-08-11"), 16406.86,
         pytest.approx(1524.60), pytest.approx(14882.26), "long", 30]]
    p = h.provenance[h.provenance["format"] == "history"]
    assert p[["frame", "key", "rows", "used", "reason"]].values.tolist() == [
        ["lots", "X71234567 AAPL", 1, True, "lots rebuilt from history of Accounts_History.csv"],
        ["lots", "X71234567 FXAIX", 8, True,
         "lots rebuilt from history of Accounts_History.csv"],
        ["lots", "X71234567 NVDA", 3, True, "lots rebuilt from history of Accounts_History.csv"],
        ["realized", "X71234567 NVDA", 1, True,
         "sales rebuilt from history; no broker realised row covers them"],
        # The joint account's history sells VTI and VXUS on the days Schwab's realised file
        # reports: Schwab's rows are used, the replayed ones recorded as not used.
        *(["realized", f"...456 {s}", 1, False,
           "the same sales are in the broker's realised rows "
           "(All_Accounts_GainLoss_Realized_Details_20261120-101500.csv), which are used: they "
           "carry the broker's lot identification, basis and wash-sale figures"]
          for s in ("VTI", "VXUS"))]
    assert ("history: X71234567 AAPL: 60 shares transferred in on 2021-04-19 "
            "(Accounts_History.csv line 39) carry no cost basis in the history: basis missing"
            ) in h.warnings


def test_sample_lifo_would_leave_other_nvda_lots(h):
    tx = h.transactions[(h.transactions["account"] == "X71234567")
                        & (h.transactions["symbol"] == "NVDA")]
    r = rebuild_lots(tx, methods={"X71234567": "lifo"})
    # LIFO sells the 80 split shares of 2023-02-13 (all 1,738.00) and 10 of the 120 of
    # 2022-05-16 (10 x 16.94 = 169.40): 110 shares / 1,863.40 of that lot stay
    assert r.lots[["acquired", "quantity", "cost_basis"]].values.tolist() == [
        [T("2022-05-16"), 110.0, pytest.approx(1863.40)], [T("2026-03-09"), 25.0, 4420.0]]


def test_reverse_split_written_as_two_rows():
    # Schwab: "Reverse Split" +2 TNXP (new shares) and -64 under the old CUSIP: 1-for-32
    t = pd.concat([tx(("2024-01-02", "buy", 64.0, -320.0), ("2024-06-10", "split", 2.0, None),
                      symbol="TNXP"),
                   tx(("2024-06-10", "split", -64.0, None), symbol="890260854", file="b.csv")],
                  ignore_index=True)
    r = rebuild_lots(t)
    assert r.lots[["symbol", "quantity", "cost_basis"]].values.tolist() == [
        ["TNXP", 2.0, 320.0]]
    # net shares 64 - 62; the old-CUSIP row is consumed, not ignored
    assert r.implied[["symbol", "quantity", "ignored_rows"]].values.tolist() == [
        ["TNXP", 2.0, 0]]
    assert r.warnings == ()


def test_reverse_split_pair_moves_the_old_cusip_history():
    t = pd.concat([tx(("2024-06-10", "split", 2.0, None), symbol="TNXP"),
                   tx(("2024-01-02", "buy", 64.0, -320.0), ("2024-06-10", "split", -64.0, None),
                      symbol="890260854", file="b.csv")], ignore_index=True)
    r = rebuild_lots(t)
    assert r.lots[["symbol", "quantity", "cost_basis", "lot_id"]].values.tolist() == [
        ["TNXP", 2.0, 320.0, "history:b.csv:1"]]
    assert r.warnings == ("A TNXP: 1 row(s) of 890260854 before its reverse split on "
                          "2024-06-10 are replayed as TNXP",)


def test_real_schwab_history_splits(shared_samples):
    from toolkit import load_export

    e = load_export(shared_samples / "schwab__Export-To-Ghostfolio__schwab-export.csv",
                    account="XXX123")
    r = rebuild_lots(e.transactions)
    # AVGO: bought 1 @ $1,680.00 on 06/13/2024 (line 107); "Stock Split" +9 as of 07/12/2024
    # (line 108), Broadcom's 10-for-1: one lot of 10 shares, basis still $1,680.00
    avgo = r.lots[r.lots["symbol"] == "AVGO"]
    assert avgo[["acquired", "quantity", "cost_basis", "source_line"]].values.tolist() == [
        [T("2024-06-13"), 10.0, 1680.0, 107]]
    # TNXP: "Reverse Split" +1 TNXP (line 111) and -1 under CUSIP 890260854 (line 112), one
    # pair; the history holds no TNXP before it, so it is ignored with a note
    assert ("XXX123 TNXP: reverse split on 2024-06-10 (schwab__Export-To-Ghostfolio__schwab-"
            "export.csv line 111, 1 new shares for 1) with no shares held in the history; "
            "ignored") in r.warnings
    assert r.lots["symbol"].isin(["890260854"]).sum() == 0


def test_unrelated_splits_on_one_day_are_not_paired():
    # found by hypothesis: X splits 2-for-1 (+5 on 5 held) and Y 1-for-2 (-2.5 on 5 held) on
    # the same day in one account. They are two splits, not the two lines of one reverse
    # split (that pair is written under the old CUSIP): X ends with 10 shares, Y with 2.5.
    rows = []
    for sym, split in (("X", 5.0), ("Y", -2.5)):
        for d in range(5):
            rows.append({"date": f"2020-01-0{3 + d}", "account": "A", "action": "buy",
                         "symbol": sym, "quantity": 1.0, "amount": -1.0,
                         "source_file": f"A{sym}.csv", "source_line": len(rows) + 1})
        rows.append({"date": "2020-01-08", "account": "A", "action": "split", "symbol": sym,
                     "quantity": split, "source_file": f"A{sym}.csv",
                     "source_line": len(rows) + 1})
    from toolkit.schema import validate_transactions

    r = rebuild_lots(validate_transactions(pd.DataFrame(rows)))
    held = r.lots.groupby("symbol")["quantity"].sum().to_dict()
    assert held == {"X": 10.0, "Y": 2.5}
    assert r.implied.set_index("symbol")["quantity"].to_dict() == {"X": 10.0, "Y": 2.5}
