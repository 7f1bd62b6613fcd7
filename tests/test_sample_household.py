"""The sample household loads whole and holds what the foundation issue asks of it."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import SAMPLES
from toolkit import load_household
from toolkit.tax.holding import lot_status

HOUSEHOLD = SAMPLES / "household" / "household.toml"


@pytest.fixture(scope="module")
def h():
    return load_household(HOUSEHOLD)


def test_accounts_custodians_and_types(h):
    acc = h.accounts.set_index("account")
    assert acc["tax_type"].to_dict() == {
        "...456": "taxable", "...789": "roth_ira", "234567891": "traditional_ira",
        "87654": "401k", "456789123": "hsa", "X71234567": "taxable",
        "12345678": "traditional_ira", "23456789": "roth_ira"}
    assert sorted(acc["custodian"].unique()) == ["fidelity", "schwab", "vanguard"]
    assert acc["tax_type_inferred"].to_dict()["456789123"]  # HSA typed from its broker name
    assert set(acc["owner"]) == {"joint", "Alex", "Maya"}


def test_values_by_account(h):
    # by hand from make_household.py: joint = lots at prices + cash 8,420.55
    # VTI 270x330 + VXUS 350x72 + BND 300x73.5 + VNQ 120x92 + SCHD 900x28.5 + PTY 500x14.1
    # = 89,100 + 25,200 + 22,050 + 11,040 + 25,650 + 7,050 = 180,090 + 8,420.55 = 188,510.55
    t = h.account_totals().set_index("account")
    assert t.loc["...456", "market_value"] == pytest.approx(188510.55, abs=0.005)
    assert t.loc["...456", "cash"] == pytest.approx(8420.55, abs=0.005)
    # Vanguard trad IRA: BND 1,200x73.50 + BNDX 800x49.50 + VMFXX 1,500 = 129,300
    assert t.loc["12345678", "market_value"] == pytest.approx(129300.0, abs=0.005)
    # Maya's individual account: SPAXX 28,519.01 + FXAIX 337.829 x 232.10 (78,410.11)
    # + NVDA 135 x 182.50 (24,637.50) + AAPL 60 x 228.40 (13,704.00) = 145,270.62
    assert t.loc["X71234567", "market_value"] == pytest.approx(145270.62, abs=0.005)
    # the seven other accounts held 998,448.35: 998,448.35 + 145,270.62 = 1,143,718.97
    assert h.total_value == pytest.approx(1143718.97, abs=0.005)


def test_lots_mix_terms_and_signs(h):
    # 42 Schwab lots in the joint account; 12 rebuilt from Maya's individual history
    # (8 FXAIX, 3 NVDA, 1 AAPL: see tests/test_history.py)
    assert h.lots["account"].value_counts().to_dict() == {"...456": 42, "X71234567": 12}
    joint = h.lots[h.lots["account"] == "...456"]
    assert not joint["lot_id"].str.startswith("history:").any()
    prices = h.positions[["account", "symbol", "price"]]
    s = lot_status(joint, prices, h.as_of)
    both = s.groupby(["term", s["unrealized_gain"] > 0]).size()
    # every combination of short/long and gain/loss is present
    assert set(both.index) == {("long", True), ("long", False), ("short", True),
                               ("short", False)}
    # lots per symbol equal the positions (by construction of the sample)
    lots_q = joint.groupby("symbol")["quantity"].sum()
    pos = h.positions[h.positions["account"] == "...456"].set_index("symbol")["quantity"]
    assert lots_q.to_dict() == {k: pos[k] for k in lots_q.index}
    # Schwab reported one wash-sale adjustment: $140 on 10 VTI shares bought 2026-09-15
    w = h.lots[h.lots["wash_sale_disallowed"] > 0]
    assert w[["symbol", "quantity", "cost_basis", "wash_sale_disallowed"]].values.tolist() == [
        ["VTI", 10.0, 3495.0, 140.0]]


def test_cash_multi_asset_and_unknown(h):
    cls = h.positions.set_index(["account", "symbol"])["asset_class"]
    assert cls[("...456", "CASH")] == "cash"
    assert cls[("12345678", "VMFXX")] == "cash"
    assert cls[("234567891", "SPAXX")] == "cash"
    assert cls[("23456789", "VBIAX")] == "multi_asset"
    assert h.securities.weights("VBIAX") == {"us_equity": 0.6, "bonds": 0.4}
    assert cls[("87654", "ACME")] == "us_equity"  # from the household's [securities.ACME]
    assert cls[("87654", "59515R401")] == "us_equity"  # a collective trust by CUSIP
    assert h.unclassified["symbol"].tolist() == ["PTY"]


def test_purchase_within_30_days_of_a_loss_sale_in_another_account(h):
    loss = h.realized[(h.realized["symbol"] == "VXUS") & (h.realized["gain"] < 0)]
    assert loss[["account", "sold", "gain"]].values.tolist() == [
        ["...456", pd.Timestamp("2026-10-28"), -228.0]]
    buys = h.transactions[(h.transactions["symbol"] == "VXUS")
                          & (h.transactions["action"] == "buy")
                          & (h.transactions["account"] != "...456")]
    assert buys[["account", "date", "quantity"]].values.tolist() == [
        ["23456789", pd.Timestamp("2026-11-05"), 30.0]]
    assert (buys["date"].iloc[0] - loss["sold"].iloc[0]).days == 8


def test_every_row_accounted_for(h):
    assert h.skipped["reason"].value_counts().to_dict() == {
        "total row: the sum of the lots above": 6,
        "account total row: a sum of the rows above, not a holding": 2,
        "pending activity: a cash adjustment in transit, not a holding (value 150.00)": 1}
    assert h.as_of == pd.Timestamp("2026-11-20")
