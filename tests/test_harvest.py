"""Tax-loss harvesting (toolkit.tax.harvest): thresholds at their exact edges, the forward
wash check's threats, replacements under both policies, tax values worked by hand from the
Form 1040 lines, the $3,000 limit, the sample household, and the harvest log's round trips.

Hand computations use the 2026 MFJ figures (Rev. Proc. 2025-32, ``brackets_ordinary.csv``):
the 22% bracket runs from $100,800 to $211,400 with $11,600 of tax below it, the standard
deduction is $32,200, the NIIT threshold $250,000 and the capital loss limit $3,000
(IRC §1211(b)). Tax on $185,000 of ordinary income: 11,600 + 22% x (185,000 - 100,800) =
11,600 + 18,524 = $30,124.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from tests.factories import household, profile
from toolkit import load_household
from toolkit.errors import FormatError, PlanningError
from toolkit.schema import REALIZED
from toolkit.tax.gains import gains_tax
from toolkit.tax.harvest import (
    BY_SYMBOL_COLUMNS,
    CANDIDATE_COLUMNS,
    LOG_COLUMNS,
    HarvestLog,
    harvest,
    read_log,
    replacement_candidates,
)

CENT = 0.005
AS_OF = "2026-11-20"
SAFE = pd.Timestamp("2026-12-21")  # 2026-11-20 + 31 days


def lot(account, symbol, quantity, basis, acquired, lot_id=None):
    return {"account": account, "symbol": symbol, "quantity": quantity, "cost_basis": basis,
            "acquired": acquired, "lot_id": lot_id or f"{account}-{symbol}-{acquired}"}


def pos(account, symbol, quantity, price):
    return {"account": account, "symbol": symbol, "quantity": quantity, "price": price}


def buy(date, account, symbol, quantity, price, action="buy"):
    return {"date": date, "account": account, "action": action, "symbol": symbol,
            "quantity": quantity, "price": price, "amount": -quantity * price}


def one_lot(basis, price, quantity=100.0, acquired="2026-03-02", symbol="VTI", **kw):
    """TAX holds one lot of ``symbol`` bought ``acquired``, priced ``price``."""
    return household(accounts={"TAX": "taxable", **kw.pop("accounts", {})},
                     positions=[pos("TAX", symbol, quantity, price), *kw.pop("positions", [])],
                     lots=[lot("TAX", symbol, quantity, basis, acquired, "L1"),
                           *kw.pop("lots", [])],
                     as_of=kw.pop("as_of", AS_OF), **kw)


# --- thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(("price", "kw", "listed"), [
    # 100 x 95.00 = 9,500.00 against 10,000.00: loss $500.00, exactly 5.00% -> both edges met
    (95.0, {}, True),
    # 100 x 95.0001 = 9,500.01: loss $499.99 (4.9999%): below both
    (95.0001, {}, False),
    (95.0001, {"min_loss_pct": 0.0}, False),  # the dollar edge alone keeps it out
    (95.0001, {"min_loss": 499.99, "min_loss_pct": 0.0}, True),
    (95.0001, {"min_loss": 0.0}, False),  # the percentage edge alone keeps it out
    (95.0001, {"min_loss": 0.0, "min_loss_pct": 0.049999}, True),
])
def test_threshold_edges_are_inclusive(price, kw, listed):
    h = one_lot(basis=10_000.0, price=price)
    c = harvest(h, **kw).candidates
    assert (len(c) == 1) is listed
    if listed:
        assert c["loss"].iloc[0] == pytest.approx(10_000.0 - round(100 * price, 2), abs=CENT)


def test_dollar_threshold_is_per_account_and_symbol():
    # Two VTI lots losing $300 each (10% of $3,000): together $600 >= $500 in one account.
    lots = [lot("TAX", "VTI", 10, 3000.0, "2024-01-10", "A"),
            lot("TAX", "VTI", 10, 3000.0, "2024-02-10", "B")]
    h = household(accounts={"TAX": "taxable", "TAX2": "taxable"},
                  positions=[pos("TAX", "VTI", 20, 270.0), pos("TAX2", "VTI", 10, 270.0)],
                  lots=lots, as_of=AS_OF)
    c = harvest(h).candidates
    assert c["lot_id"].tolist() == ["A", "B"]
    assert c["loss"].tolist() == [300.0, 300.0]
    # The same two lots in two accounts: $300 each, neither order reaches $500.
    lots[1] = lot("TAX2", "VTI", 10, 3000.0, "2024-02-10", "B")
    h = household(accounts={"TAX": "taxable", "TAX2": "taxable"},
                  positions=[pos("TAX", "VTI", 10, 270.0), pos("TAX2", "VTI", 10, 270.0)],
                  lots=lots, as_of=AS_OF)
    assert harvest(h).candidates.empty


def test_lots_below_the_percentage_do_not_count_toward_the_dollars():
    # A: 10 x 270 = 2,700 vs 3,000: $300, 10%. B: 100 x 270 = 27,000 vs 27,400: $400, 1.46%.
    # Only A meets 5%; its $300 alone is under $500, so nothing is listed (not $700).
    h = household(accounts={"TAX": "taxable"}, positions=[pos("TAX", "VTI", 110, 270.0)],
                  lots=[lot("TAX", "VTI", 10, 3000.0, "2024-01-10", "A"),
                        lot("TAX", "VTI", 100, 27_400.0, "2024-02-10", "B")], as_of=AS_OF)
    assert harvest(h).candidates.empty
    assert harvest(h, min_loss=300.0).candidates["lot_id"].tolist() == ["A"]


def test_include_terms():
    # long: bought 2024-01-10 ($600 loss); short: bought 2026-06-01 ($600 loss).
    h = household(accounts={"TAX": "taxable"}, positions=[pos("TAX", "VTI", 20, 240.0)],
                  lots=[lot("TAX", "VTI", 10, 3000.0, "2024-01-10", "LONG"),
                        lot("TAX", "VTI", 10, 3000.0, "2026-06-01", "SHORT")], as_of=AS_OF)
    assert harvest(h).candidates["term"].tolist() == ["long", "short"]
    assert harvest(h, include=("long",)).candidates["lot_id"].tolist() == ["LONG"]
    assert harvest(h, include="short").candidates["lot_id"].tolist() == ["SHORT"]


def test_only_taxable_lots_with_basis_and_price():
    h = household(accounts={"TAX": "taxable", "IRA": "traditional_ira"},
                  positions=[pos("TAX", "VTI", 10, 200.0), pos("IRA", "VTI", 10, 200.0),
                             pos("TAX", "ZZZZ", 10, 5.0)],
                  lots=[lot("TAX", "VTI", 10, 3000.0, "2024-01-10", "T"),
                        lot("IRA", "VTI", 10, 3000.0, "2024-01-10", "I"),
                        {"account": "TAX", "symbol": "VXUS", "quantity": 5, "cost_basis": None,
                         "acquired": "2024-01-10", "lot_id": "NOBASIS"},
                        lot("TAX", "QQQ", 5, 3000.0, "2024-01-10", "NOPRICE")], as_of=AS_OF)
    r = harvest(h)
    assert r.candidates["lot_id"].tolist() == ["T"]
    assert any("no cost basis" in w for w in r.warnings)
    assert any("no price" in w and "QQQ" in w for w in r.warnings)


@pytest.mark.parametrize("kw", [{"min_loss": -1.0}, {"min_loss_pct": 5.0},
                                {"min_loss_pct": float("nan")}, {"include": ("medium",)},
                                {"include": ()}])
def test_bad_arguments(kw):
    with pytest.raises(PlanningError):
        harvest(one_lot(3000.0, 20.0), **kw)


# --- wash risk -------------------------------------------------------------------------------


def test_purchase_in_another_account_ten_days_ago_is_wash_risk():
    # The spouse's taxable account bought 3 VTI on 2026-11-10: selling now washes 3 shares
    # (deferred into that purchase's basis, not permanent).
    h = one_lot(30_000.0, 250.0, accounts={"SPOUSE": "taxable"},
                positions=[pos("SPOUSE", "VTI", 3, 250.0)],
                lots=[lot("SPOUSE", "VTI", 3, 780.0, "2026-11-10", "S1")],
                transactions=[buy("2026-11-10", "SPOUSE", "VTI", 3, 260.0)])
    c = harvest(h).candidates.iloc[0]
    assert c["status"] == "wash_risk"
    assert (c["threat_account"], c["threat_date"], c["permanent"]) == (
        "SPOUSE", pd.Timestamp("2026-11-10"), False)
    # 3 of the 100 shares: 3 x (30,000 - 25,000) / 100 = $150 of the loss.
    assert (c["wash_shares"], c["wash_loss"]) == (3.0, 150.0)
    assert c["threats"] == "bought 3 VTI in SPOUSE (taxable) on 2026-11-10: deferred into its basis"
    assert c["first_safe_buyback"] == SAFE


def test_roth_purchase_is_permanent_and_the_window_edge():
    def h_with(day):
        return one_lot(30_000.0, 250.0, accounts={"ROTH": "roth_ira"},
                       positions=[pos("ROTH", "VTI", 2, 250.0)],
                       transactions=[buy(day, "ROTH", "VTI", 2, 255.0)])

    # 2026-10-21 is 30 days before 2026-11-20: inside the 61-day window.
    c = harvest(h_with("2026-10-21")).candidates.iloc[0]
    assert (c["status"], c["permanent"], c["threat_account"]) == ("wash_risk", True, "ROTH")
    # 2026-10-20 is 31 days before: out of reach.
    c = harvest(h_with("2026-10-20")).candidates.iloc[0]
    assert (c["status"], c["permanent"], c["threats"]) == ("harvest", False, "")
    assert pd.isna(c["threat_account"]) and pd.isna(c["threat_date"])


def test_scheduled_ira_contribution_is_permanent_wash_risk():
    # The IRA holds VTI (all its non-cash value) and gets a planned $6,000: a purchase of about
    # 6,000 / 250 = 24 VTI on an unknown date -> the loss of 24 shares would be lost for good.
    h = one_lot(30_000.0, 250.0, accounts={"IRA": "traditional_ira"},
                positions=[pos("IRA", "VTI", 40, 250.0)], contributions={"IRA": 6000.0})
    c = harvest(h).candidates.iloc[0]
    assert (c["status"], c["permanent"], c["threat_account"]) == ("wash_risk", True, "IRA")
    assert pd.isna(c["threat_date"])
    assert c["wash_shares"] == pytest.approx(24.0)
    assert c["wash_loss"] == pytest.approx(24 * 50.0, abs=CENT)
    assert c["threats"] == ("planned contribution to IRA (traditional_ira) buys about 24 VTI "
                            "($6,000.00), date not given: permanent")
    r = harvest(h)
    assert r.total_tax_value == 0.0 and r.tax is None  # nothing left to harvest safely


def test_expected_reinvestment_only_within_thirty_days():
    # Quarterly reinvestments 03-27, 06-26, 09-25 (91-day gaps): next expected 2026-12-25.
    tx = [buy(d, "TAX", "VTI", 0.2, 290.0, action="reinvest")
          for d in ("2026-03-27", "2026-06-26", "2026-09-25")]
    h = one_lot(30_000.0, 250.0, transactions=tx)
    # Sold 2026-11-20: the window ends 2026-12-20, before 12-25 -> no threat.
    assert harvest(h).candidates["status"].tolist() == ["harvest"]
    # Sold 2026-11-25: the window ends 2026-12-25 -> the reinvestment would wash 0.2 shares.
    c = harvest(h, as_of="2026-11-25").candidates.iloc[0]
    assert (c["status"], c["threat_date"], c["wash_shares"]) == (
        "wash_risk", pd.Timestamp("2026-12-25"), 0.2)
    assert c["first_safe_buyback"] == pd.Timestamp("2026-12-26")


def test_threat_reaches_the_whole_holding_earliest_lots_first():
    # Two loss lots; the Roth bought 5 VTI ten days ago. Selling both lots washes 5 shares of
    # the earliest one (Reg. 1.1091-1(b): same-day losses in order of acquisition); but the
    # threat is to any sale of the holding, so both lots are at risk.
    h = household(accounts={"TAX": "taxable", "ROTH": "roth_ira"},
                  positions=[pos("TAX", "VTI", 60, 250.0), pos("ROTH", "VTI", 5, 250.0)],
                  lots=[lot("TAX", "VTI", 20, 6000.0, "2025-06-02", "NEWER"),
                        lot("TAX", "VTI", 40, 12_000.0, "2024-01-10", "OLDER")],
                  transactions=[buy("2026-11-10", "ROTH", "VTI", 5, 252.0)], as_of=AS_OF)
    r = harvest(h)
    c = r.candidates
    assert c["lot_id"].tolist() == ["OLDER", "NEWER"]
    assert c["status"].tolist() == ["wash_risk", "wash_risk"]
    assert c["wash_shares"].tolist() == [5.0, 0.0]
    assert c["wash_loss"].tolist() == [250.0, 0.0]  # 5 x (300 - 250)
    b = r.by_symbol.iloc[0]
    assert (b["status"], b["wash_shares"], b["wash_loss"], b["permanent"]) == (
        "wash_risk", 5.0, 250.0, True)


def test_replacement_share_already_used_is_not_a_threat():
    # A realised VTI loss of 2026-11-12 (sold 8 shares) already absorbed the Roth's 5 shares of
    # 2026-11-10 (Reg. 1.1091-1(e)): they cannot wash a second loss.
    h = one_lot(30_000.0, 250.0, accounts={"ROTH": "roth_ira"},
                positions=[pos("ROTH", "VTI", 5, 250.0)],
                transactions=[buy("2026-11-10", "ROTH", "VTI", 5, 252.0)],
                realized=[{"account": "TAX", "symbol": "VTI", "quantity": 8.0,
                           "acquired": "2025-01-10", "sold": "2026-11-12",
                           "proceeds": 2000.0, "cost_basis": 2400.0, "term": "long"}])
    r = harvest(h)
    assert r.candidates["status"].tolist() == ["harvest"]
    # Baseline: 5 of the 8 shares washed (permanent), 3 allowed: 400 x 3/8 = $150 LT loss.
    assert (r.realized_short_term, r.realized_long_term) == (0.0, -150.0)


def test_same_index_policy_widens_the_threats():
    # The 401(k) bought VTSAX (same CRSP index as VTI) 5 days ago.
    h = one_lot(30_000.0, 250.0, accounts={"K": "401k"},
                positions=[pos("K", "VTSAX", 10, 150.0)],
                transactions=[buy("2026-11-15", "K", "VTSAX", 10, 150.0)])
    assert harvest(h).candidates["status"].tolist() == ["harvest"]
    c = harvest(h, policy="same_index").candidates.iloc[0]
    assert (c["status"], c["threat_account"], c["permanent"]) == ("wash_risk", "K", True)
    # Declared groups do the same under same_security.
    c = harvest(h, groups=[["VTI", "VTSAX"]]).candidates.iloc[0]
    assert c["status"] == "wash_risk"


# --- replacements ----------------------------------------------------------------------------


def test_replacements_vti_and_voo_under_both_policies():
    sec = replacement_candidates("VTI")
    # The master's listed partners first, in its order; ITOT tracks the S&P Total Market
    # index, not CRSP US Total Market, so it is a replacement under both policies.
    assert sec[:3] == ["ITOT", "SCHB", "SPTM"]
    idx = replacement_candidates("VTI", policy="same_index")
    assert idx[:3] == ["ITOT", "SCHB", "SPTM"]
    assert "VTSAX" in sec and "VTSAX" not in idx  # same CRSP index as VTI
    assert sec.index("VTSAX") > sec.index("IWV")  # same-index funds come last
    # VOO: IVV (S&P 500 too) is a different security, excluded only under same_index.
    voo_sec = replacement_candidates("VOO", policy="same_security")
    voo_idx = replacement_candidates("VOO", policy="same_index")
    assert voo_sec[:3] == voo_idx[:3] == ["SCHX", "VV", "SCHK"]
    assert "IVV" in voo_sec
    assert not {"IVV", "SPY", "SPYM", "VFIAX", "FXAIX", "SWPPX"} & set(voo_idx)
    assert "59515R401" not in voo_sec  # a 401(k) collective trust cannot be bought
    assert "VOO" not in voo_sec


def test_replacements_groups_sectors_and_unknown():
    assert "ITOT" not in replacement_candidates("VTI", groups=[["VTI", "ITOT"]])
    assert replacement_candidates("XLK") == ["FTEC", "VGT"]  # sectors: listed partners only
    assert replacement_candidates("PTY") == []
    # A CUSIP resolves to its symbol: VTI's CUSIP gives VTI's list.
    assert replacement_candidates("922908769") == replacement_candidates("VTI")


def test_chosen_replacement_is_not_identical_to_another_harvest():
    # Harvesting VTI in TAX and ITOT in TAX2: VTI's first partner ITOT would wash the ITOT
    # loss, and ITOT's partners are SCHB;SPTM;VTI -> both get SCHB.
    h = household(accounts={"TAX": "taxable", "TAX2": "taxable"},
                  positions=[pos("TAX", "VTI", 10, 250.0), pos("TAX2", "ITOT", 100, 120.0)],
                  lots=[lot("TAX", "VTI", 10, 3000.0, "2024-01-10", "V"),
                        lot("TAX2", "ITOT", 100, 14_000.0, "2024-01-10", "I")], as_of=AS_OF)
    b = harvest(h).by_symbol.set_index("symbol")["replacement"]
    assert b.to_dict() == {"VTI": "SCHB", "ITOT": "SCHB"}


# --- tax values (by hand) --------------------------------------------------------------------


def test_short_term_loss_saves_ordinary_and_state_rate():
    # MFJ, $185,000 ordinary income, 5% state, no other gains. A $2,000 short-term loss:
    # Schedule D line 7 = line 16 = -2,000; line 21 deducts 2,000 (under $3,000); Form 1040
    # line 15: 185,000 -> 183,000, all in the 22% band: federal 30,124 -> 29,684 (-440);
    # state 5% x 2,000 = 100; MAGI 217,200 -> 215,200 < 250,000: no NIIT. Saves $540.
    h = one_lot(basis=12_000.0, price=100.0)  # 100 x 100 = 10,000: loss 2,000, short-term
    r = harvest(h)
    c = r.candidates.iloc[0]
    assert (c["loss"], c["term"], c["tax_value"]) == (2000.0, "short", 540.0)
    assert r.total_tax_value == 540.0 and r.by_symbol["tax_value"].tolist() == [540.0]
    g = gains_tax(h.profile, short_term=-2000.0)
    assert (g.federal, g.state, g.niit) == (-440.0, -100.0, 0.0)
    bd = r.tax.breakdown.set_index(["section", "line"])
    assert bd.loc[("Schedule D", "21"), "after"] == 2000.0
    assert bd.loc[("Form 1040", "15"), "after"] == 183_000.0
    assert r.carryforward == {"short_term": 0.0, "long_term": 0.0}


def test_long_term_loss_against_realised_long_term_gains():
    # $10,000 of long-term gains already realised this year (a realised row of 2026-05-01).
    # A $2,000 long-term loss nets them to $8,000 (Schedule D line 15): the gain taxed at 15%
    # (taxable income 195,000 -> 193,000, under the $613,700 15% ceiling) drops by 2,000:
    # federal 15% x 2,000 = 300, state 5% x 2,000 = 100 -> $400.
    realized = [{"account": "TAX", "symbol": "SCHD", "quantity": 100.0,
                 "acquired": "2020-01-02", "sold": "2026-05-01", "proceeds": 20_000.0,
                 "cost_basis": 10_000.0, "term": "long"},
                # ignored: sold in 2025, and a sale inside an IRA
                {"account": "TAX", "symbol": "SCHD", "quantity": 1.0, "acquired": "2020-01-02",
                 "sold": "2025-05-01", "proceeds": 9000.0, "cost_basis": 1.0, "term": "long"},
                {"account": "IRA", "symbol": "SCHD", "quantity": 1.0, "acquired": "2020-01-02",
                 "sold": "2026-05-01", "proceeds": 9000.0, "cost_basis": 1.0, "term": "long"}]
    h = one_lot(basis=12_000.0, price=100.0, acquired="2023-01-03", realized=realized,
                accounts={"IRA": "traditional_ira"})
    r = harvest(h)
    assert (r.realized_short_term, r.realized_long_term) == (0.0, 10_000.0)
    c = r.candidates.iloc[0]
    assert (c["term"], c["tax_value"]) == ("long", 400.0)
    g = gains_tax(profile(realized_long_term=10_000.0), long_term=-2000.0)
    assert (g.federal, g.state, g.total) == (-300.0, -100.0, -400.0)


def test_total_is_not_the_sum_beyond_the_loss_limit():
    # Two long-term losses of $2,000 (VTI and BND), no gains. Each alone is deducted against
    # ordinary income: 2,000 x (22% + 5%) = $540. Together $4,000 of net loss: only $3,000 is
    # deductible (line 21): 3,000 x 27% = $810, and $1,000 carries forward as long-term.
    h = household(accounts={"TAX": "taxable"},
                  positions=[pos("TAX", "VTI", 100, 100.0), pos("TAX", "BND", 100, 70.0)],
                  lots=[lot("TAX", "VTI", 100, 12_000.0, "2023-01-03", "V"),
                        lot("TAX", "BND", 100, 9000.0, "2023-01-03", "B")], as_of=AS_OF)
    r = harvest(h)
    assert r.candidates["tax_value"].tolist() == [540.0, 540.0]
    assert r.by_symbol["tax_value"].tolist() == [540.0, 540.0]
    assert r.total_tax_value == 810.0
    assert r.carryforward == {"short_term": 0.0, "long_term": 1000.0}
    assert r.loss == 4000.0


def test_realised_loss_washed_into_an_ira_is_not_in_the_baseline():
    # A $1,000 short-term loss realised 2026-06-01, the IRA bought the same fund 2026-06-10:
    # disallowed for good (Rev. Rul. 2008-5), so the baseline has no loss and the new $2,000
    # loss saves the full 2,000 x 27% = $540 (with the old loss counted it would be the same
    # here, so check the baseline itself).
    h = one_lot(basis=12_000.0, price=100.0, accounts={"IRA": "traditional_ira"},
                positions=[pos("IRA", "VTI", 4, 100.0)],
                transactions=[buy("2026-06-10", "IRA", "VTI", 10, 110.0)],
                realized=[{"account": "TAX", "symbol": "VTI", "quantity": 10.0,
                           "acquired": "2026-01-05", "sold": "2026-06-01", "proceeds": 1100.0,
                           "cost_basis": 2100.0}])
    r = harvest(h)
    assert (r.realized_short_term, r.realized_long_term) == (0.0, 0.0)
    assert r.total_tax_value == 540.0


# --- the sample household --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return load_household(SAMPLES / "household" / "household.toml")


def _rows(c: pd.DataFrame) -> list[tuple]:
    return [(r.symbol, str(r.acquired.date()), r.loss, r.term, r.status)
            for r in c.itertuples()]


def test_sample_candidates_at_the_default_thresholds(sample):
    # Prices (positions, 2026-11-20): BND 73.50, VNQ 92.00, PTY 14.10.
    # BND 60 x 73.5 = 4,410 vs 4,854 -> 444 (9.1%); 40 -> 2,940 vs 3,564 -> 624 (17.5%);
    #     50 -> 3,675 vs 4,260 -> 585 (13.7%); 30 -> 2,205 vs 2,592 -> 387 (14.9%);
    #     the 2026-10-05 lot loses 10.50 (0.9%): below 5%.
    # VNQ 20 x 92 = 1,840 vs 2,276 -> 436 (19.2%); 15 -> 1,380 vs 1,623 -> 243 (15.0%);
    #     the 2026-08-10 lot loses 34.50 (2.4%). Together 679 >= 500.
    # PTY 200 x 14.1 = 2,820 vs 3,440 -> 620 (18.0%); the 2026 lot loses 75 (3.4%).
    # VTI and VXUS short-term losses (64, 195, 11; 65, 66.50) stay under $500 per holding.
    r = harvest(sample)
    assert list(r.candidates.columns) == list(CANDIDATE_COLUMNS)
    assert list(r.by_symbol.columns) == list(BY_SYMBOL_COLUMNS)
    assert _rows(r.candidates) == [
        ("BND", "2019-05-13", 444.0, "long", "wash_risk"),
        ("BND", "2020-08-03", 624.0, "long", "wash_risk"),
        ("BND", "2021-03-08", 585.0, "long", "wash_risk"),
        ("BND", "2021-12-06", 387.0, "long", "wash_risk"),
        ("PTY", "2019-09-16", 620.0, "long", "harvest"),
        ("VNQ", "2021-12-27", 436.0, "long", "harvest"),
        ("VNQ", "2022-04-18", 243.0, "long", "harvest"),
    ]
    # BND: Alex's Vanguard IRA reinvested BND dividends on 2026-10-01 (3.3333 shares; one in
    # the past year, so the next date is unknown): a permanent threat to 3.3333 shares of
    # the earliest lot, 3.3333 x 444 / 60 = $24.67.
    bnd = r.candidates[r.candidates["symbol"] == "BND"]
    assert set(bnd["threat_account"]) == {"12345678"} and bnd["permanent"].all()
    assert bnd["wash_shares"].tolist() == [3.3333, 0.0, 0.0, 0.0]
    assert bnd["wash_loss"].tolist() == [24.67, 0.0, 0.0, 0.0]
    assert bnd["threats"].iloc[0] == ("reinvestment of BND in 12345678 (traditional_ira) date "
                                      "unknown, about 3.3333 shares: permanent")
    assert (r.candidates["first_safe_buyback"] == SAFE).all()


def test_sample_values_by_hand(sample):
    # Baseline: $185,000 ordinary + $4,800 qualified dividends; $1,200 long-term carryforward
    # in; realised this year: VTI -140 fully washed into the 2026-09-15 VTI (net 0), VXUS
    # sold 2026-10-28 (40 sh, -228): the Roth bought 30 VXUS 2026-11-05 -> 30/40 washed for
    # good, 10/40 allowed: -57 short-term. Net capital loss 57 + 1,200 = 1,257 < 3,000, so
    # each new loss is deducted against ordinary income (taxable income about 188,543: 22%
    # band) plus 5% state: 27%, no NIIT (MAGI about 220,743).
    r = harvest(sample)
    assert (r.realized_short_term, r.realized_long_term) == (-57.0, 0.0)
    assert r.candidates["tax_value"].tolist() == pytest.approx(
        [119.88, 168.48, 157.95, 104.49, 167.40, 117.72, 65.61], abs=CENT)  # loss x 0.27
    by = r.by_symbol.set_index("symbol")
    # BND together: 2,040 but only 3,000 - 1,257 = 1,743 more is deductible: 1,743 x 0.27
    assert by.loc["BND", "tax_value"] == pytest.approx(470.61, abs=CENT)
    assert by.loc["VNQ", "tax_value"] == pytest.approx(183.33, abs=CENT)  # 679 x 0.27
    # Harvest PTY + VNQ: 1,299 -> net loss 2,556 <= 3,000: 1,299 x 0.27 = 350.73.
    assert r.total_tax_value == pytest.approx(350.73, abs=CENT)
    assert r.carryforward == {"short_term": 0.0, "long_term": 0.0}
    assert by["replacement"].to_dict() == {"BND": "AGG", "PTY": None, "VNQ": "SCHH"}
    assert any("PTY" in w and "security master" in w for w in r.warnings)


def test_sample_short_term_losses_and_the_vxus_wash_risk(sample):
    # No thresholds: the short-term losses appear too.
    sec = harvest(sample, min_loss=0.0, min_loss_pct=0.0)
    c = sec.candidates
    st_rows = c[c["term"] == "short"]
    assert [(s, str(a.date()), v) for s, a, v in zip(st_rows["symbol"], st_rows["acquired"],
                                                     st_rows["loss"], strict=True)] == [
        ("BND", "2026-10-05", 10.5), ("PTY", "2026-02-09", 75.0), ("VNQ", "2026-08-10", 34.5),
        ("VTI", "2025-12-01", 64.0), ("VTI", "2026-09-15", 195.0), ("VTI", "2026-09-15", 11.0),
        ("VXUS", "2025-12-05", 65.0), ("VXUS", "2026-06-08", 66.5)]
    # same_security: the Roth's 30 VXUS of 2026-11-05 were all used by the 2026-10-28 loss
    # (40 shares sold), and a replacement share washes one loss only (Reg. 1.1091-1(e)):
    # nothing threatens VXUS; VTI has no purchase since 2026-09-15 either.
    vx = c[c["symbol"].isin(["VXUS", "VTI"])]
    assert set(vx["status"]) == {"harvest"}
    # same_index: the 401(k) buys VTIAX (FTSE Global All Cap ex US, as VXUS) every two weeks.
    # The 10-28 loss used 4.587 (10-16) + 4.539 (10-30) + 30 Roth + 0.874 of the 4.491 bought
    # 11-13; 3.617 of those are left. The planned $1,000 401(k) contribution buys VTIAX in
    # proportion to its 40,080 of the plan's 335,703.25 non-cash value: $119.39, about 3.5746
    # shares at 33.40. 3.617 + 3.5746 = 7.1916 shares of the 2025-12-05 lot (25 sh, $65).
    idx = harvest(sample, min_loss=0.0, min_loss_pct=0.0, policy="same_index").candidates
    v = idx[idx["symbol"] == "VXUS"]
    assert v["status"].tolist() == ["wash_risk", "wash_risk"]
    assert v["permanent"].all() and set(v["threat_account"]) == {"87654"}
    assert v["threat_date"].iloc[0] == pd.Timestamp("2026-11-13")
    assert v["wash_shares"].iloc[0] == pytest.approx(3.617 + 1000 * 40_080 / 335_703.25 / 33.4)
    assert v["wash_shares"].iloc[1] == 0.0
    assert "VTIAX" not in v["replacements"].iloc[0].split(";")  # same index as VXUS
    assert "VTIAX" in c.loc[c["symbol"] == "VXUS", "replacements"].iloc[0].split(";")
    assert set(idx.loc[idx["symbol"] == "VTI", "status"]) == {"harvest"}


def test_sample_roth_purchase_without_the_october_sale(sample):
    # Had VXUS not been sold at a loss on 2026-10-28, the Roth's purchase of 30 VXUS on
    # 2026-11-05 (15 days ago) would wash a sale today, for good.
    h = load_household(SAMPLES / "household" / "household.toml").replace(
        realized=REALIZED.empty())
    c = harvest(h, min_loss=0.0, min_loss_pct=0.0).candidates
    v = c[c["symbol"] == "VXUS"]
    assert v["status"].tolist() == ["wash_risk", "wash_risk"]
    assert set(v["threat_account"]) == {"23456789"} and v["permanent"].all()
    assert v["threat_date"].iloc[0] == pd.Timestamp("2026-11-05")
    assert v["wash_shares"].tolist() == [25.0, 5.0]  # 30 shares: the 2025 lot, then 5 more


def test_inputs_not_modified(sample):
    before = {k: getattr(sample, k).copy() for k in ("lots", "positions", "transactions",
                                                     "realized", "accounts")}
    harvest(sample, policy="same_index")
    for k, f in before.items():
        pd.testing.assert_frame_equal(getattr(sample, k), f)


# --- the harvest log -------------------------------------------------------------------------


def test_log_record_and_from_result(sample):
    r = harvest(sample)
    log = HarvestLog.from_result(r, date="2026-11-20")
    f = log.frame
    assert list(f.columns) == list(LOG_COLUMNS)
    # PTY 200 sh: 2,820 vs 3,440; VNQ 35 sh: 1,840 + 1,380 = 3,220 vs 2,276 + 1,623 = 3,899.
    f = f.fillna({"replacement_symbol": "-", "replacement_account": "-"})
    assert f[["symbol", "quantity", "proceeds", "cost_basis", "loss", "term",
              "replacement_symbol", "replacement_account"]].values.tolist() == [
        ["PTY", 200.0, 2820.0, 3440.0, 620.0, "long", "-", "-"],
        ["VNQ", 35.0, 3220.0, 3899.0, 679.0, "long", "SCHH", "...456"]]
    assert (f["first_safe_buyback"] == SAFE).all()
    log.record("2026-11-21", "...456", "BND", 180.0, 13_230.0, 15_270.0, lot_ids=["a", "b"],
               term="long", replacement_symbol="AGG", note="after turning off DRIP")
    g = log.frame.iloc[-1]
    assert (g["loss"], g["lot_ids"], g["replacement_account"], g["replacement_date"],
            g["first_safe_buyback"]) == (2040.0, "a;b", "...456", pd.Timestamp("2026-11-21"),
                                         pd.Timestamp("2026-12-22"))
    assert len(log) == 3
    copy = log.frame
    copy.loc[0, "symbol"] = "X"  # a copy: the log is append-only
    assert log.frame.loc[0, "symbol"] == "PTY"
    with pytest.raises(PlanningError):
        log.record("2026-11-21", "A", "BND", 0.0, 1.0, 2.0)
    with pytest.raises(PlanningError):
        log.record("2026-11-21", "A", "BND", 1.0, 1.0, 2.0, term="medium")


def _log_with_formulas() -> HarvestLog:
    log = HarvestLog()
    log.record("2026-11-20", "87654", "VTI", 10.0, 2500.0, 3000.0, lot_ids="L1", term="short",
               replacement_symbol="ITOT", note='=HYPERLINK("http://x.example","click")')
    log.record("2026-11-21", "...456", "BND", 1.5, 100.25, 120.5, note="+1 call broker")
    log.record("2026-11-22", "...456", "VNQ", 2.0, 150.0, 170.0, note="'quoted already")
    log.record("2026-11-23", "-7", "@SUM", 3.0, 10.0, 20.0)
    return log


def test_log_csv_round_trip_neutralises_formulas(tmp_path):
    log = _log_with_formulas()
    p = log.to_csv(tmp_path / "log.csv")
    text = p.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'+1 call" in text and "''quoted" in text
    assert ",'-7,'@SUM," in text
    assert "\n=" not in text and ",=" not in text
    back = read_log(p)
    pd.testing.assert_frame_equal(back.frame, log.frame)
    assert back.frame["account"].tolist()[0] == "87654"  # an id stays text


def test_log_xlsx_round_trip_formatted_and_without_formulas(tmp_path):
    log = _log_with_formulas()
    p = log.to_xlsx(tmp_path / "log.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "Date sold" and ws["A1"].font.bold
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    note = ws.cell(row=2, column=LOG_COLUMNS.index("note") + 1)
    assert note.value == "'=HYPERLINK(\"http://x.example\",\"click\")"
    assert ws.cell(row=2, column=LOG_COLUMNS.index("proceeds") + 1).number_format == "#,##0.00"
    assert ws.cell(row=2, column=1).number_format == "yyyy-mm-dd"
    assert ws.cell(row=2, column=LOG_COLUMNS.index("account") + 1).value == "87654"
    assert ws.column_dimensions["N"].width > len("Note") + 2  # sized to the long note
    back = read_log(p)
    pd.testing.assert_frame_equal(back.frame, log.frame)


def test_empty_log_round_trip_and_read_errors(tmp_path):
    for name in ("e.csv", "e.xlsx"):
        p = tmp_path / name
        (HarvestLog().to_csv if name.endswith("csv") else HarvestLog().to_xlsx)(p)
        back = read_log(p)
        assert len(back) == 0 and list(back.frame.columns) == list(LOG_COLUMNS)
    bad = tmp_path / "bad.csv"
    bad.write_text("date_sold,account\n2026-11-20,A\n")
    with pytest.raises(FormatError, match="symbol"):
        read_log(bad)
    with pytest.raises(FormatError, match=r"\.csv or \.xlsx"):
        read_log(tmp_path / "log.txt")


# --- properties ------------------------------------------------------------------------------


lot_rows = st.lists(st.tuples(
    st.sampled_from(["TAX", "TAX2"]), st.sampled_from(["VTI", "BND", "VNQ"]),
    st.integers(1, 200),                       # shares
    st.integers(1_000, 40_000),                # basis, cents per share
    st.sampled_from(["2023-02-01", "2025-12-01", "2026-08-03"])), min_size=1, max_size=8)
prices = st.fixed_dictionaries({s: st.integers(500, 40_000) for s in ("VTI", "BND", "VNQ")})


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=lot_rows, px=prices, min_loss=st.sampled_from([0.0, 100.0, 500.0]),
       pct=st.sampled_from([0.0, 0.02, 0.05]))
def test_candidates_are_exactly_the_lots_meeting_both_thresholds(rows, px, min_loss, pct):
    lots = [lot(a, s, float(q), round(q * c / 100, 2), d, f"L{i}")
            for i, (a, s, q, c, d) in enumerate(rows)]
    positions = [pos(a, s, 1.0, px[s] / 100) for a in ("TAX", "TAX2") for s in px]
    h = household(accounts={"TAX": "taxable", "TAX2": "taxable"}, positions=positions,
                  lots=lots, as_of=AS_OF)
    r = harvest(h, min_loss=min_loss, min_loss_pct=pct)
    # brute force
    f = pd.DataFrame(lots)
    mv = (f["quantity"] * f["symbol"].map(px) / 100).round(2)
    loss = (f["cost_basis"] - mv).round(2)
    ok = (loss > 0) & (loss / f["cost_basis"] >= pct - 1e-9)
    tot = loss.where(ok, 0.0).groupby([f["account"], f["symbol"]]).transform("sum")
    ok &= tot.round(2) >= min_loss - 1e-9
    assert sorted(r.candidates["lot_id"]) == sorted(f.loc[ok, "lot_id"])
    c = r.candidates
    assert (c["loss"] > 0).all() and (c["status"] == "harvest").all()
    assert c["loss"].sum() == pytest.approx(r.by_symbol["loss"].sum(), abs=0.01)
    # Each dollar of loss saves at most 22% + 5% here (no gains: ordinary 22% band + state).
    assert 0.0 <= r.total_tax_value <= 0.27 * min(c["loss"].sum(), 3000.0) + 0.02  # cents rounded per tax
    # Raising a threshold never adds a lot.
    stricter = harvest(h, min_loss=min_loss + 100.0, min_loss_pct=pct + 0.01)
    assert set(stricter.candidates["lot_id"]) <= set(c["lot_id"])


# --- the vectorised threats agree with the forward check's ----------------------------------


def _both_threats(h, plan, policy):
    from tests import reference_wash
    from toolkit.tax import wash_threats as _threats
    from toolkit.tax.wash import SubstantiallyIdentical, wash_sale_result, wash_window

    pol = SubstantiallyIdentical.coerce(policy, ())
    done = wash_sale_result(h, policy=pol, groups=())
    rows = done.rows
    used = rows[rows["replacement_id"].notna()].groupby("replacement_id")[
        "replacement_quantity"].sum()

    def key_of(s):
        return pol.keys(pd.concat([s, h.transactions["symbol"], h.positions["symbol"]]),
                        h.securities).reindex(s).set_axis(s.index)

    before, after = wash_window()
    day0 = pd.Timestamp(h.as_of)
    slow, _ = reference_wash.threats(h, plan, key_of, used, day0, before, after)
    fast, _ = _threats.threats(h, plan, key_of, used, day0, before, after)
    order = ["sale_account", "sale_symbol", "kind", "account", "symbol", "date", "note"]
    return (slow.sort_values(order).reset_index(drop=True),
            fast.sort_values(order).reset_index(drop=True))


@pytest.mark.parametrize("policy", ["same_security", "same_index"])
def test_vectorised_threats_match_the_forward_check(sample, policy):
    # One planned sale per taxable holding of the sample (all its lots), as harvest plans.
    lots = sample.lots.sort_values(["account", "symbol", "acquired"])
    plan = pd.DataFrame({"sale": lots.groupby(["account", "symbol"]).ngroup(),
                         "account": lots["account"], "symbol": lots["symbol"],
                         "quantity": lots["quantity"], "acquired": lots["acquired"]})
    slow, fast = _both_threats(sample, plan, policy)
    assert len(slow) > 0
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)


def test_vectorised_threats_match_with_own_shares_and_every_kind():
    # TAX sells its new lot (bought 11-10, the same day as a 10-share purchase): own shares
    # are not threats; the Roth's purchase, the quarterly reinvestment (same_index: also the
    # 401(k)'s VTSAX contribution) are.
    h = household(
        accounts={"TAX": "taxable", "ROTH": "roth_ira", "K": "401k"},
        positions=[pos("TAX", "VTI", 60.6, 300.0), pos("ROTH", "VTI", 5, 300.0),
                   pos("K", "VTSAX", 100, 150.0), pos("K", "VBTLX", 500, 10.0),
                   pos("K", "CASH", 1000, 1.0)],
        lots=[lot("TAX", "VTI", 50, 16_000.0, "2025-01-10", "OLD"),
              lot("TAX", "VTI", 6, 1770.0, "2026-11-10", "NEW")],
        transactions=[*(buy(d, "TAX", "VTI", 0.2, 290.0, action="reinvest")
                        for d in ("2026-03-27", "2026-06-26", "2026-09-25")),
                      buy("2026-11-10", "TAX", "VTI", 10, 295.0),
                      buy("2026-11-01", "ROTH", "VTI", 5, 298.0)],
        contributions={"K": 1000.0}, as_of=AS_OF)
    plan = pd.DataFrame({"sale": [0, 1, 1], "account": ["TAX"] * 3, "symbol": ["VTI"] * 3,
                         "quantity": [6.0, 50.0, 6.0],
                         "acquired": pd.to_datetime(["2026-11-10", "2025-01-10",
                                                     "2026-11-10"])})
    for policy in ("same_security", "same_index"):
        slow, fast = _both_threats(h, plan, policy)
        pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
    # 10 bought 11-10 less the 6 being sold: 4 remain as replacements.
    recent = fast[(fast["kind"] == "recent_purchase") & (fast["account"] == "TAX")]
    assert recent["quantity"].tolist() == [4.0, 4.0]
