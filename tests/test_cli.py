"""python -m toolkit inspect: text and JSON for an export and for a household; errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT, SAMPLES
from toolkit import load_household
from toolkit.accounts import AccountMasker
from toolkit.cli import main
from toolkit.planner import plan

HOUSEHOLD = SAMPLES / "household" / "household.toml"
FIDELITY = SAMPLES / "household" / "fidelity" / "Portfolio_Positions_Nov-20-2026.csv"
FULL_IDS = ["234567891", "87654", "456789123", "X71234567", "12345678", "23456789"]


def test_inspect_household_json(capsys):
    assert main(["inspect", str(HOUSEHOLD), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["kind"] == "household"
    assert r["name"] == "Rivera household (sample)"
    assert r["as_of"] == "2026-11-20"
    assert len(r["files"]) == 12
    assert [a["account"] for a in r["accounts"]] == [
        "...456", "...789", "234567891", "87654", "456789123", "X71234567", "12345678",
        "23456789"]
    joint = r["accounts"][0]
    assert joint == {
        "account": "...456", "name": "Joint brokerage", "owner": "joint", "custodian": "schwab",
        "tax_type": "taxable", "tax_type_inferred": False, "market_value": 188510.55,
        "cost_basis": 131774.05, "basis_missing": 0, "cash": 8420.55, "positions": 7,
        "lots": 42, "transactions": 18}
    # Maya's individual account: value 28,519.01 + 78,410.11 + 24,637.50 + 13,704.00
    # = 145,270.62; known bases SPAXX 28,519.01 + FXAIX 40,426.36 + NVDA 6,666.20
    # = 75,611.57 (AAPL has none); 26 history rows; 12 lots rebuilt from them
    maya = r["accounts"][5]
    assert maya == {
        "account": "X71234567", "name": "Maya individual", "owner": "Maya",
        "custodian": "fidelity", "tax_type": "taxable", "tax_type_inferred": False,
        "market_value": 145270.62, "cost_basis": 75611.57, "basis_missing": 1,
        "cash": 28519.01, "positions": 4, "lots": 12, "transactions": 26}
    # 998,448.35 for the seven other accounts + 145,270.62
    assert r["totals"]["market_value"] == 1143718.97
    assert r["totals"]["lots"] == 54
    assert r["unclassified"] == [{"account": "...456", "symbol": "PTY",
                                  "description": "PIMCO CORPORATE & INCOME OPPORTUNITY FUND",
                                  "market_value": 7050.0}]
    assert len(r["skipped"]) == 9
    assert r["skipped"][-1] == {
        "file": "Portfolio_Positions_Nov-20-2026.csv", "line": 6,
        "reason": "pending activity: a cash adjustment in transit, not a holding (value 150.00)"}
    # 6 joint Schwab symbols + FXAIX and NVDA rebuilt from history match; AAPL was
    # transferred in without basis; the 14 non-cash holdings of tax-advantaged accounts
    # need no lots
    assert r["reconciliation"] == {
        "counts": {"rows_skipped": 0, "position_without_lots": 0, "lots_without_position": 0,
                   "quantity_mismatch": 0, "basis_missing": 1, "basis_mismatch": 0,
                   "matched": 8, "not_needed": 14},
        "unreconciled": [{
            "account": "X71234567", "symbol": "AAPL", "tax_type": "taxable",
            "position_quantity": 60.0, "lots_quantity": 60.0, "history_quantity": 60.0,
            "position_basis": None, "lots_basis": None, "status": "basis_missing",
            "detail": "1 lot rebuilt from history holds 60 shares, as the position does, but "
                      "1 lot (60 shares) has no cost basis.",
            "lots_source": "history", "trusted": False}]}


def test_inspect_export_json_types_accounts_from_broker_names(capsys):
    assert main(["inspect", str(FIDELITY), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["kind"] == "export"
    assert r["format"] == "fidelity_positions"
    types = {a["account"]: (a["tax_type"], a["tax_type_inferred"]) for a in r["accounts"]}
    assert types == {"234567891": ("traditional_ira", True), "87654": ("401k", True),
                     "456789123": ("hsa", True), "X71234567": ("taxable", True)}
    assert "reconciliation" not in r  # households only
    # 401(k): 780.5 x 230.50 + 800 x 50.10 + 2,900 x 10.42 + 1,250 x 68.40
    #       = 179,905.25 + 40,080 + 30,218 + 85,500 = 335,703.25
    k = next(a for a in r["accounts"] if a["account"] == "87654")
    assert k["market_value"] == 335703.25
    assert k["basis_missing"] == 1  # the collective trust has no basis in the file
    # ACME, NVDA and AAPL are only classified by the household file; alone, the export
    # lists them (in file order)
    assert [u["symbol"] for u in r["unclassified"]] == ["ACME", "NVDA", "AAPL"]


def test_inspect_text(capsys):
    assert main(["inspect", str(HOUSEHOLD)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Household: Rivera household (sample)  (as of 2026-11-20)"
    row = next(line for line in out if line.strip().startswith("Maya HSA"))
    # the name, then the id; the inferred tax type marked "?"; money with cents
    assert row == ("  Maya HSA (456789123)         HSA?                $8,066.82      $6,820.00 "
                   "   $1,020.00       2/0/2")
    assert "  ...456: PTY PIMCO CORPORATE & INCOME OPPORTUNITY FUND $7,050.00" in out
    i = out.index("Reconciliation of lots and positions: 1 basis missing, 8 matched, "
                  "14 not needed")
    # the detail wrapped at 100 columns, the rest of it indented under the first line
    assert out[i + 1:i + 4] == [
        "Unreconciled holdings (their lots are not trusted for tax-aware selling):",
        "  X71234567 AAPL: basis missing - 1 lot rebuilt from history holds 60 shares, as the "
        "position does,",
        "      but 1 lot (60 shares) has no cost basis."]
    assert max(len(line) for line in out) <= 100


def test_inspect_text_masked_fits_and_hides_every_id(capsys):
    assert main(["inspect", str(HOUSEHOLD), "--mask-accounts"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    for ident in FULL_IDS:
        assert ident not in text, ident
    # two Roth IRAs end in 789: their names tell them apart
    assert [line.split("  ")[1] for line in lines if "Roth IRA (" in line] == [
        "Alex Roth IRA (...789)", "Maya Roth IRA (...789)"]
    assert ("  account ...123: tax type 'hsa' inferred from the broker's account name 'HEALTH "
            "SAVINGS ACCOUNT' in") in lines
    assert main(["inspect", str(HOUSEHOLD), "--json", "--mask-accounts"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [a["account"] for a in r["accounts"]] == [
        "...456", "...789 (Alex Roth IRA)", "...891", "...654", "...123", "...567", "...678",
        "...789 (Maya Roth IRA)"]


def test_plan_text_fits_100_columns_with_whole_reasons(capsys):
    h = load_household(HOUSEHOLD)
    p = plan(h)
    for flag in ([], ["--mask-accounts"]):
        assert main(["plan", str(HOUSEHOLD), *flag]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert max(len(line) for line in lines) <= 100
        # each trade's reason follows its line, wrapped, indented 7: joined, it is the
        # whole reason (masked with --mask-accounts)
        masker = AccountMasker.of(h.accounts, enabled=bool(flag))
        starts = [i for i, line in enumerate(lines) if re.match(r"  \d +", line)]
        assert len(starts) == len(p.trades)
        for i, reason in zip(starts, p.trades["reason"], strict=True):
            j = i + 1
            while j < len(lines) and lines[j].startswith("       "):
                j += 1
            assert " ".join(x.strip() for x in lines[i + 1:j]) == masker.text(reason)
        text = "\n".join(lines)
        assert all((ident in text) != bool(flag) for ident in FULL_IDS)
    assert main(["plan", str(HOUSEHOLD), "--json", "--mask-accounts"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["trades"][0]["reason"] == masker.text(p.trades["reason"].iloc[0])
    assert not any(i in json.dumps(r) for i in FULL_IDS)


def test_error_exit_status_and_message(tmp_path, capsys):
    p = tmp_path / "notes.txt"
    p.write_text("hello\n")
    assert main(["inspect", str(p)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {p}, line 1: not a recognised brokerage export; first non-empty line is "
        "'hello'. Known formats: fidelity_positions, fidelity_history, fidelity_realized, "
        "fidelity_sps_open_lots, fidelity_statement, robinhood_activity_csv, schwab_lot_details, schwab_positions, "
        "schwab_realized, schwab_transactions, schwab_transactions_json, vanguard_ofxdownload, "
        "etrade_gains_xlsx, etrade_portfolio_csv, ibkr_activity_csv, ibkr_flex_xml, "
        "ibkr_transaction_history_csv, merrill_activity_csv, merrill_holdings_csv, "
        "ofx_investment, generic_lots, generic_lots_xlsx, generic_positions, "
        "generic_positions_xlsx. For other brokers, use the generic "
        "lots/positions template (see README).\n")


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "toolkit", "inspect", str(FIDELITY), "--json"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert json.loads(out)["format"] == "fidelity_positions"
