"""The generator of books: deterministic, realistic shapes, real layouts that load cleanly."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

import toolkit
from toolkit.batch import generate_book, load_book, load_entry
from toolkit.batch.tasks import household_results


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_book(tmp_path):
    a = generate_book(tmp_path / "a", 4, seed=11, broken={"malformed": 1})
    b = generate_book(tmp_path / "b", 4, seed=11, broken={"malformed": 1})
    c = generate_book(tmp_path / "c", 4, seed=12, broken={"malformed": 1})
    da, db, dc = _digest(a.path), _digest(b.path), _digest(c.path)
    assert da == db
    assert len(da) > 4 * 3  # household files, exports, models, manifest
    assert da != dc
    assert a.households == ("hh0000/household", "hh0001/household", "hh0002/household",
                            "hh0003/household")
    assert a.broken == {"hh0003/household": "malformed"}


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    g = generate_book(tmp_path_factory.mktemp("book") / "book", 12, seed=5)
    return g, {e.household: load_entry(e) for e in load_book(g.path).entries}


def test_realistic_households_have_the_shapes_asked_for(realistic):
    g, households = realistic
    tax_types, custodians, formats = Counter(), Counter(), Counter()
    for key, h in households.items():
        holdings = h.positions[h.positions["asset_class"] != "cash"]
        assert 2 <= len(h.accounts) <= 9, key
        assert 5 <= len(holdings) <= 60, key
        assert 20 <= len(h.lots) <= 2000, key
        assert len(h.lots) == g.lots[key]
        assert h.unclassified.empty  # every fund is in the security master
        tax_types.update(h.accounts["tax_type"])
        custodians.update(h.accounts["custodian"])
        formats.update(e.format for e in h.exports)
    assert set(tax_types) == {"taxable", "traditional_ira", "roth_ira", "401k", "hsa"}
    assert set(custodians) == {"schwab", "fidelity", "vanguard", "etrade"}
    assert set(formats) == {"schwab_positions", "schwab_lot_details", "fidelity_positions",
                            "vanguard_ofxdownload", "etrade_portfolio_csv", "generic_lots"}
    # most households spread over several custodians
    assert sum(h.accounts["custodian"].nunique() > 1 for h in households.values()) >= 8


def test_every_row_is_loaded_or_skipped_as_a_total(realistic):
    _, households = realistic
    for h in households.values():
        reasons = set(h.skipped["reason"].str.split(":").str[0])
        assert reasons <= {"account total row", "total row"}, reasons


def test_lots_explain_the_positions(realistic):
    # Every taxable holding's lots add up to its position, E*TRADE's too: its
    # PortfolioDownload gives "Price Paid $" per share to 4 decimals, but the loader reads a
    # basis as Value $ less Total Gain $ (to the cent or finer), so a position's average price
    # and its lots' prices no longer round apart
    _, households = realistic
    statuses = Counter()
    for h in households.values():
        rec = toolkit.reconcile(h)
        statuses.update(rec["status"])
        bad = rec[~rec["status"].isin(["matched", "not_needed"])]
        assert bad.empty, bad.to_dict("records")
    assert statuses["matched"] > 200


def test_broken_households_fail_as_asked(tmp_path):
    g = generate_book(tmp_path / "book", 4, seed=2, size="small",
                      broken={"malformed": 1, "targets": 1, "infeasible": 1})
    assert g.broken == {"hh0001/household": "malformed", "hh0002/household": "targets",
                        "hh0003/household": "infeasible"}
    entries = {e.household: e for e in load_book(g.path).entries}
    ok = household_results(entries["hh0000/household"], plan_options={"mode": "optimal"})
    assert ok["failures"].empty
    bad = household_results(entries["hh0001/household"])
    assert bad["failures"][["task", "error_type"]].values.tolist() == [["load", "FormatError"]]
    assert bad["failures"]["message"].iloc[0].startswith(
        "All-Accounts-Positions-2026-11-20-101500.csv: ")
    tg = household_results(entries["hh0002/household"])
    assert tg["failures"][["task", "error_type"]].values.tolist() == [["load", "HouseholdError"]]
    assert tg["failures"]["message"].iloc[0] == (
        f"{g.path / 'hh0002' / 'household.toml'}: [targets]: weights sum to 0.95 (95.0000%), "
        "not 1 (100%)")
    inf = household_results(entries["hh0003/household"], plan_options={"mode": "optimal"})
    assert inf["failures"][["task", "error_type"]].values.tolist() == [["plan", "PlanningError"]]
    assert "must raise" in inf["failures"]["message"].iloc[0]
    # the tasks before the plan kept their results
    assert {"drift", "checkup", "harvest", "rmd"} <= set(inf)
    assert "plan" not in inf
    assert inf["households"]["status"].tolist() == ["incomplete"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"^size='huge': expected one of small, realistic$"):
        generate_book(tmp_path, 1, size="huge")
    with pytest.raises(ValueError, match=r"^broken: unknown kind\(s\) \['typo'\]"):
        generate_book(tmp_path, 1, broken={"typo": 1})
    with pytest.raises(ValueError, match=r"^2 broken households asked for in a book of 1$"):
        generate_book(tmp_path, 1, broken={"malformed": 1, "targets": 1})
