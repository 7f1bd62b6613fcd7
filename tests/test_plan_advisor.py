"""What an advisor checks in a plan, worked by hand: the seed's Example B through ``plan()``,
funds (never a single stock unless named, never an unpriced fund), reasons true for the
account, the proceed/delay test on both sides of its price, cash floors per account, pending
activity, whole shares, and the household file's trading rules.

Households use the factory profile unless said: married filing jointly 2026, $185,000 of
taxable ordinary income, 5% state: short-term gains 22% + 5% = 27%, long-term 15% + 5% = 20%.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from tests.factories import household
from toolkit.errors import HouseholdError
from toolkit.examples import example_b
from toolkit.planner import plan
from toolkit.trading_rules import take_trading_rules

MODES = ("waterfall", "optimal")


def with_rules(h, data: dict):
    """``h`` with the trading rules a household file's ``data`` (parsed TOML) gives."""
    _, rules = take_trading_rules(data, "test.toml")
    return h.replace(rules=rules.resolved(list(h.accounts["account"])))


def buys(p) -> list:
    t = p.trades[p.trades["side"] == "buy"]
    return t[["account", "symbol", "shares", "amount"]].values.tolist()


# --- Example B --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("short", "tax"), [(True, 432.0), (False, 320.0)])
def test_example_b_through_plan_sells_the_newer_lot(mode, short, tax):
    # $20,000 from TAX: VTI at $250 = 80 shares. Lot A (2018, $60/sh): $15,200 long-term,
    # $3,040 of tax. Lot B ($230/sh): $1,600 of gain: short-term 27% = $432, or long-term
    # 20% = $320. No fund for bonds has a price (BND is not held): nothing else is traded.
    p = plan(example_b(short), contributions={"TAX": -20_000}, mode=mode)
    assert p.trades[["symbol", "side", "shares", "amount"]].values.tolist() == [
        ["VTI", "sell", 80.0, 20_000.0]]
    assert p.lots[["lot_id", "quantity", "gain", "est_tax"]].values.tolist() == [
        ["B", 80.0, 1_600.0, tax]]
    assert p.summary.tax == tax
    assert ("BND not bought for bonds in Taxable brokerage (TAX): no price (no export holds "
            "it; add [securities.BND] price = ... to the household file)") in p.notes
    if short:  # lot B turns long-term on 2026-08-16, 62 days on: $432 - $320 = $112 saved
        assert dict(p.summary.waiting) == {
            "lots": [{"account": "TAX", "symbol": "VTI", "lot_id": "B", "gain": 1_600.0,
                      "long_from": "2026-08-16"}],
            "until": "2026-08-16", "tax_then": 320.0, "saving": 112.0}
    else:
        assert p.summary.waiting is None


def test_example_b_no_short_term_gains_is_an_option():
    p = plan(example_b(True), contributions={"TAX": -20_000}, allow_short_term_gains=False)
    # the old rule: lot A's $15,200 long-term gain at 20% = $3,040
    assert p.lots[["lot_id", "quantity"]].values.tolist() == [["A", 80.0]]
    assert p.summary.tax == 3_040.0


# --- the proceed/delay test -------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "under", "over"), [("waterfall", 0.15, 0.16),
                                                     ("optimal", 0.13, 0.16)])
def test_proceed_or_delay_on_both_sides_of_the_drift_price(mode, under, over):
    # Example B (lot B short-term), $20,000 withdrawn, BND priced at $75. After the
    # withdrawal the household is $55,000 of VTI (A 200 sh + B 20 sh): the band's top for
    # 60% stocks is 65% = $35,750.
    # Lot B's other 20 sh: $400 short-term gain x 27% = $108 for $5,000: 2.16 cents a dollar,
    # under the default price of 10 cents: sold, with the withdrawal's 80 sh: $540 of tax.
    # Then $55,000 - $5,000 sold... VTI $50,000 is still $14,250 above the band's top:
    # 57 sh of lot A, $190/sh long-term = $10,830 x 20% = $2,166: 15.2 cents a dollar.
    # The waterfall sells a lot when its tax per dollar is at most the price: not at 15
    # cents, yes at 16. The optimiser weighs the same tax against the price plus
    # lambda_drift (0.01) for each of the two classes the dollar brings nearer target:
    # 0.13 + 0.02 = 0.15 < 0.152: wait; 0.16 + 0.02: sell.
    h = example_b(True)
    kw = {"contributions": {"TAX": -20_000}, "mode": mode, "prices": {"BND": 75.0}}
    delay = plan(h, drift_price=under, **kw)
    assert delay.lots[["lot_id", "quantity"]].groupby("lot_id")["quantity"].sum().to_dict() == {
        "B": 100.0}
    assert delay.summary.tax == 540.0
    [d] = delay.summary.deferred
    assert (d["asset_class"], d["dollars"], d["sellable"], d["tax_now"],
            d["tax_per_dollar"], d["drift_price"], d["within_price"]) == (
        "us_equity", 14_250.0, 14_250.0, 2_166.0, 0.152, under, False)
    assert d["reason"] == ("US stocks: $14,250 still above its band; selling $14,250 of it now "
                           "would cost $2,166 of tax (15.2 cents per dollar, above the drift "
                           f"price of {100 * under:.0f} cents)")
    assert delay.summary.drift_price == under
    # BND bought with the $5,000: 66 whole shares ($4,950)
    assert buys(delay) == [["TAX", "BND", 66.0, 4_950.0]]
    proceed = plan(h, drift_price=over, **kw)
    assert proceed.lots.groupby("lot_id")["quantity"].sum().to_dict() == {"A": 57.0,
                                                                         "B": 100.0}
    assert proceed.summary.tax == 540.0 + 2_166.0
    assert proceed.summary.deferred == ()
    # $19,250 of proceeds buy 256 sh of BND ($19,200)
    assert buys(proceed) == [["TAX", "BND", 256.0, 19_200.0]]


# --- funds ------------------------------------------------------------------------------------


def nvda_household():
    """Taxable T: NVDA 100 sh at $100, VTI 50 sh at $200, BND 320 sh at $75 ($24,000, basis
    $20,000), $10,000 cash. $54,000: stocks $20,000 (37%) against 60%, bonds 44.4% (inside
    35-45%)."""
    return household(
        accounts={"T": "taxable"},
        positions=[{"account": "T", "symbol": "NVDA", "quantity": 100, "price": 100.0,
                    "cost_basis": 5_000.0, "asset_class": "us_equity"},
                   {"account": "T", "symbol": "VTI", "quantity": 50, "price": 200.0,
                    "cost_basis": 9_000.0},
                   {"account": "T", "symbol": "BND", "quantity": 320, "price": 75.0,
                    "cost_basis": 20_000.0},
                   {"account": "T", "symbol": "CASH", "quantity": 10_000, "price": 1.0}],
        lots=[{"account": "T", "symbol": "NVDA", "quantity": 100, "cost_basis": 5_000.0,
               "acquired": "2020-01-06", "lot_id": "N"},
              {"account": "T", "symbol": "VTI", "quantity": 50, "cost_basis": 9_000.0,
               "acquired": "2020-01-06", "lot_id": "V"},
              {"account": "T", "symbol": "BND", "quantity": 320, "cost_basis": 20_000.0,
               "acquired": "2020-01-06", "lot_id": "B"}],
        targets={"us_equity": 0.6, "bonds": 0.4})


@pytest.mark.parametrize("mode", MODES)
def test_a_household_holding_nvda_and_a_total_market_fund_buys_the_fund(mode):
    # the $10,000 of cash goes to US stocks (underweight by $12,400): VTI, 50 whole shares;
    # stocks end at 55.6%, inside the band; selling BND ($12.50 of gain a share, 20%: 3.3
    # cents a dollar) to go further is not worth it
    p = plan(nvda_household(), mode=mode)
    assert buys(p) == [["T", "VTI", 50.0, 10_000.0]]
    assert "NVDA" not in set(p.trades["symbol"])


@pytest.mark.parametrize("mode", MODES)
def test_a_single_stock_is_bought_when_the_household_file_names_it(mode):
    h = with_rules(nvda_household(), {"funds": {"us_equity": "NVDA"}})
    assert buys(plan(h, mode=mode)) == [["T", "NVDA", 100.0, 10_000.0]]


def roth_household():
    """Roth R: BND 200 sh at $75 ($15,000) and $10,000 cash; target 60/40 of $25,000."""
    return household(
        accounts={"R": "roth_ira"},
        positions=[{"account": "R", "symbol": "BND", "quantity": 200, "price": 75.0},
                   {"account": "R", "symbol": "CASH", "quantity": 10_000, "price": 1.0}],
        targets={"us_equity": 0.6, "bonds": 0.4})


@pytest.mark.parametrize("mode", MODES)
def test_an_unpriced_fund_is_not_bought_and_the_plan_says_why(mode):
    p = plan(roth_household(), mode=mode)
    assert p.trades.empty
    assert ("VTI not bought for us_equity in R (R): no price (no export holds it; add "
            "[securities.VTI] price = ... to the household file)") in p.notes
    # [securities.VTI] price in the household file: stocks to 60% of $25,000 = $15,000: the
    # cash and 67 whole shares of BND ($5,025: 66.67 rounded up; no tax in a Roth) buy 60 sh
    # at $250
    h = with_rules(roth_household(), {"securities": {"VTI": {"price": 250.0}}})
    p = plan(h, mode=mode)
    assert p.trades.groupby(["symbol", "side"])["shares"].sum().to_dict() == {
        ("VTI", "buy"): 60.0, ("BND", "sell"): 67.0}


def bond_roth_household():
    """Traditional IRA I: VTI 100 sh at $300 ($30,000), no cash. Roth R: $10,000 cash and VTI
    10 sh ($3,000). Taxable T: VTI 50 sh ($15,000). $58,000 at 60/40: bonds $23,200 short.
    BND at $75 (held by nobody: priced in the household file)."""
    h = household(
        accounts={"I": "traditional_ira", "R": "roth_ira", "T": "taxable"},
        positions=[{"account": "I", "symbol": "VTI", "quantity": 100, "price": 300.0},
                   {"account": "R", "symbol": "VTI", "quantity": 10, "price": 300.0},
                   {"account": "R", "symbol": "CASH", "quantity": 10_000, "price": 1.0},
                   {"account": "T", "symbol": "VTI", "quantity": 50, "price": 300.0,
                    "cost_basis": 15_000.0}],
        lots=[{"account": "T", "symbol": "VTI", "quantity": 50, "cost_basis": 15_000.0,
               "acquired": "2020-01-06", "lot_id": "T1"}],
        targets={"us_equity": 0.6, "bonds": 0.4})
    return with_rules(h, {"securities": {"BND": {"price": 75.0}}})


def test_a_roth_bond_buy_names_the_rule_that_chose_it():
    p = plan(bond_roth_household())
    r = p.trades[(p.trades["account"] == "R") & (p.trades["side"] == "buy")]
    # step 1 buys bonds with the Roth's cash (133 sh = $9,975): bonds are underweight by
    # $23,200; the IRA (their best home) has no cash, so the Roth (second-best) takes them
    assert r[["symbol", "shares", "amount", "step"]].values.tolist() == [
        ["BND", 133.0, 9_975.0, 1]]
    assert r["reason"].item() == (
        "step 1 (idle cash): invest $9,975 of R (R)'s cash above its floor in bonds, "
        "underweight by $23,200; BND is the security master's default for this class; "
        "tax-free is its second-best home for bonds and its better homes had no cash left for "
        "them (or no fund): bond interest, ordinary income, is never taxed here")
    o = plan(bond_roth_household(), mode="optimal")
    for reason in o.trades.loc[o.trades["account"] == "R", "reason"]:
        assert "tax-deferred first" not in reason and "foreign tax credit" not in reason


# --- cash ---------------------------------------------------------------------------------


def cash_household():
    """T taxable $10,000 cash + BND $10,000; I IRA $5,000 cash + BND $15,000; K 401(k)
    $2,000 cash + VTI $18,000 (menu: what it holds). VTI at $200, BND at $100. $60,000 at
    60/40: stocks $18,000 against $36,000."""
    return household(
        accounts={"T": "taxable", "I": "traditional_ira", "K": "401k"},
        positions=[{"account": "T", "symbol": "CASH", "quantity": 10_000, "price": 1.0},
                   {"account": "T", "symbol": "BND", "quantity": 100, "price": 100.0,
                    "cost_basis": 10_000.0},
                   {"account": "I", "symbol": "CASH", "quantity": 5_000, "price": 1.0},
                   {"account": "I", "symbol": "BND", "quantity": 150, "price": 100.0},
                   {"account": "I", "symbol": "VTI", "quantity": 0.5, "price": 200.0},
                   {"account": "K", "symbol": "CASH", "quantity": 2_000, "price": 1.0},
                   {"account": "K", "symbol": "VTI", "quantity": 90, "price": 200.0}],
        lots=[{"account": "T", "symbol": "BND", "quantity": 100, "cost_basis": 10_000.0,
               "acquired": "2020-01-06", "lot_id": "B"}],
        targets={"us_equity": 0.6, "bonds": 0.4}, settings={"cash_floor": 2_500.0})


@pytest.mark.parametrize("mode", MODES)
def test_cash_floors_per_account(mode):
    # [settings] cash_floor = 2,500 applies to T and I but not to the 401(k); I's own
    # [[accounts]] cash_floor = 1,000 wins over it; K's own floor 500
    h = with_rules(cash_household(), {"accounts": [{"id": "I", "cash_floor": 1_000.0},
                                                  {"id": "K", "cash_floor": 500.0}]})
    p = plan(h, mode=mode)
    assert dict(p.summary.cash_floors) == {"T": 2_500.0, "I": 1_000.0, "K": 500.0}
    for a, floor in p.summary.cash_floors.items():
        assert p.summary.cash_after[a] >= floor - 0.005
    # the waterfall: VTI at $200 in whole shares: T invests 7,500 -> 37 sh ($7,400, $100
    # over its floor); I 4,000 -> 20 sh; the 401(k) in dollars: $1,500 (7.5 sh). Step 2: the
    # IRA sells 8 BND ($800) for 4 VTI (bonds $960 over target: only what whole shares of
    # VTI can use is sold). Step 4: bonds still $160 over, T sells 1 BND ($100) and with its
    # $100 over the floor buys 1 VTI: T keeps exactly its 2,500. The optimiser also moves
    # bonds from T to the IRA (location)
    after = {"waterfall": {"T": 2_500.0, "I": 1_000.0, "K": 500.0},
             "optimal": {"T": 2_500.0, "I": 1_000.0, "K": 500.0}}[mode]
    assert dict(p.summary.cash_after) == pytest.approx(after, abs=0.005)
    k = [b for b in buys(p) if b[0] == "K"]
    assert k == [["K", "VTI", 7.5, 1_500.0]]
    assert plan(cash_household(), mode=mode).summary.cash_floors == {
        "T": 2_500.0, "I": 2_500.0, "K": 0.0}


def with_pending(h, pending: dict[str, float]):
    """``h`` with the given ``pending_cash`` (``Household.pending_cash``: + a credit on its
    way, - a debit), as the household file's pending activity gives it."""
    cls = type("WithPending", (type(h),), {
        "pending_cash": property(lambda self: pd.Series(pending, dtype="float64"))})
    return cls(**{f.name: getattr(h, f.name) for f in dataclasses.fields(h)})


@pytest.mark.parametrize("mode", MODES)
def test_pending_activity_counts_in_the_cash(mode):
    # T's $10,000 of cash has a $6,000 debit pending (a purchase not yet settled): with its
    # 2,500 floor only $1,500 may be invested: 7 sh of VTI ($1,400)
    from toolkit.planner._book import pending_cash  # the seam the planner reads

    h = with_pending(cash_household(), {"T": -6_000.0, "I": 0.0, "K": 0.0})
    assert pending_cash(h) == {"T": -6_000.0}
    p = plan(h, mode=mode, do_not_buy={"BND"}, do_not_sell={"BND"})
    t = [b for b in buys(p) if b[0] == "T"]
    assert t == [["T", "VTI", 7.0, 1_400.0]]
    assert p.summary.pending == {"T": -6_000.0}
    assert p.summary.cash_after["T"] == pytest.approx(2_600.0)  # 10,000 - 6,000 - 1,400


@pytest.mark.parametrize("mode", MODES)
def test_whole_shares_for_etfs_dollars_for_mutual_funds(mode):
    # T: $10,000 cash, target 60% US stocks / 40% bonds; VTI (ETF) at $300, FXNAX (a mutual
    # fund) at $10.43: $6,000 of VTI is 20 sh; $4,000 of FXNAX stays in dollars (383.509 sh)
    h = household(
        accounts={"T": "taxable"},
        positions=[{"account": "T", "symbol": "CASH", "quantity": 10_000, "price": 1.0}],
        targets={"us_equity": 0.6, "bonds": 0.4})
    kw = {"mode": mode, "prices": {"VTI": 300.0, "FXNAX": 10.43},
          "preferred": {"us_equity": "VTI", "bonds": "FXNAX"}}
    p = plan(h, **kw)
    got = {s: (sh, amt) for _, s, sh, amt in buys(p)}
    assert got["VTI"] == (20.0, 6_000.0)
    assert got["FXNAX"][1] == pytest.approx(4_000.0, abs=0.01)
    assert got["FXNAX"][0] == pytest.approx(4_000.0 / 10.43, abs=1e-6)
    frac = plan(h, whole_shares=False, min_trade=0.0, **kw)
    assert {s: amt for _, s, _, amt in buys(frac)} == pytest.approx(
        {"VTI": 6_000.0, "FXNAX": 4_000.0}, abs=0.01)


# --- the household file's keys ----------------------------------------------------------------


def test_trading_rules_from_the_household_file():
    _, r = take_trading_rules({
        "funds": {"us_equity": "vti", "intl_equity": ["VXUS", "IXUS"],
                  "roth_ira": {"bonds": "BND"}, "87654": {"us_equity": "FXAIX"}},
        "accounts": [{"id": "87654", "name": "401k", "cash_floor": 0,
                      "menu": ["FXAIX", "FXNAX"], "do_not_sell": ["ACME"]}],
        "securities": {"SCHH": {"price": 21.5, "asset_class": "reits"},
                       "NVDA": {"do_not_buy": True}}}, "h.toml")
    assert r.funds_for("87654", "401k", "us_equity") == ("FXAIX", "VTI")
    assert r.funds_for("R", "roth_ira", "bonds") == ("BND",)
    assert r.funds_for("T", "taxable", "intl_equity") == ("VXUS", "IXUS")
    assert dict(r.prices) == {"SCHH": 21.5}
    assert r.do_not_buy == {"NVDA"}
    a = r.account("87654")
    assert (a.cash_floor, a.menu, a.do_not_sell) == (0.0, {"FXAIX", "FXNAX"}, {"ACME"})
    with pytest.raises(HouseholdError) as exc:
        take_trading_rules({"funds": {"us_equity": 3}}, "h.toml")
    assert str(exc.value) == "h.toml: [funds] us_equity = 3 is not a symbol or a list of symbols"
    with pytest.raises(HouseholdError) as exc:
        take_trading_rules({"accounts": [{"id": "1", "cash_floor": -5}]}, "h.toml")
    assert str(exc.value) == ("h.toml: [[accounts]] #1 cash_floor = -5 is not a non-negative "
                              "number of dollars")


# --- the order list ---------------------------------------------------------------------------


def test_order_list_names_the_lots_of_taxable_sales(tmp_path):
    # Example B, $20,000 withdrawn, BND at $75, drift price 16 cents: one sell order of 157
    # VTI relieving lot B (100 sh: 80 for the withdrawal, 20 to rebalance; basis $230/sh)
    # and lot A (57 sh at $60), then one buy of 256 BND
    p = plan(example_b(True), contributions={"TAX": -20_000}, prices={"BND": 75.0},
             drift_price=0.16)
    o = p.orders
    assert o[["order_id", "side", "symbol", "quantity", "unit", "order_type", "lot_id",
              "lot_shares", "lot_cost_basis"]].fillna(0.0).values.tolist() == [
        [1, "sell", "VTI", 100.0, "shares", "market", "B", 100.0, 23_000.0],
        [1, "sell", "VTI", 57.0, "shares", "market", "A", 57.0, 3_420.0],
        [2, "buy", "BND", 256.0, "shares", "market", "", 0.0, 0.0]]
    assert o["lot_acquired"].dt.date.astype("str").tolist()[:2] == ["2025-08-15", "2018-06-11"]
    assert o["est_amount"].tolist() == [25_000.0, 14_250.0, 19_200.0]
    out = tmp_path / "orders.csv"
    p.orders_to_csv(out)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["lot_acquired"].tolist() == ["2025-08-15", "2018-06-11", ""]
    assert back["account"].tolist() == ["TAX"] * 3


def test_order_list_in_dollars_for_mutual_funds_and_employer_plans(tmp_path):
    from tests.conftest import SAMPLES
    from toolkit import load_household

    h = load_household(SAMPLES / "household" / "household.toml")
    p = plan(h)
    o = p.orders
    # the 401(k) (87654) and the Fidelity mutual funds in dollars, ETFs in whole shares
    k = o[o["account"] == "87654"]
    assert set(k["unit"]) == {"dollars"}
    etf = o[o["symbol"].isin(["SCHF", "BNDX", "VNQ", "SCHA"])]
    assert set(etf["unit"]) == {"shares"}
    assert (etf["quantity"] == etf["quantity"].round()).all()
    # one order per account, fund and side: FXNAX in the 401(k) bought in steps 1 and 2
    # (step 1 invests its $1,000 of new money, step 2 the proceeds of its US stock fund)
    fx = o[(o["account"] == "87654") & (o["symbol"] == "FXNAX")]
    assert fx["quantity"].tolist() == [pytest.approx(1_000.0 + 100_161.31)]
    assert p.trades.loc[p.trades["account"].eq("87654") & p.trades["symbol"].eq("FXNAX"),
                        "step"].tolist() == [1, 2]
    # sells first; every taxable sale's rows carry its lots, summing to the trade's shares
    assert o["side"].tolist() == sorted(o["side"], key=lambda s: s != "sell")
    sold = o[(o["side"] == "sell") & o["account"].eq("...456")]
    assert sold["lot_shares"].sum() == p.trades.loc[
        (p.trades["side"] == "sell") & p.trades["account"].eq("...456"), "shares"].sum()
    masked = tmp_path / "orders.xlsx"
    p.orders_to_xlsx(masked, mask_accounts=True)
    import openpyxl

    cells = [str(c.value) for row in openpyxl.load_workbook(masked)["Orders"].iter_rows()
             for c in row if c.value is not None]
    assert not any("234567891" in c or "87654" in c for c in cells)
