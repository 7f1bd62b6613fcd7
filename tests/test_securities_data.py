"""Integrity of the bundled security master ``toolkit/data/securities.csv``.

The file is data, not code: these tests pin its shape (columns, allowed values, units), its
internal consistency (weights, same-index groups, harvest partners) and a few facts about
well-known funds. ``toolkit/data/securities.md`` documents the schema they check.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

import pytest

from toolkit.io._clean import is_cusip
from toolkit.schema import ASSET_CLASSES, MULTI_ASSET

DATA = Path(__file__).resolve().parents[1] / "toolkit" / "data"
CSV_PATH = DATA / "securities.csv"
DOC_PATH = DATA / "securities.md"

COLUMNS = [
    "symbol", "cusip", "name", "issuer", "vehicle", "asset_class", "sub_class", "weights",
    "tax_character", "qualified_fraction", "yield", "foreign_tax", "index", "replacements",
    "expense_ratio",
]
VEHICLES = {"etf", "mutual_fund", "money_market", "cit", "stock"}
TAX_CHARACTERS = {"qualified", "ordinary", "tax_exempt", "mixed"}
ALL_CLASSES = (*ASSET_CLASSES, MULTI_ASSET)
#: Every documented sub_class and the one asset_class it belongs to.
SUB_CLASSES = {
    **dict.fromkeys(
        ["us_total_market", "us_large_cap", "us_mid_cap", "us_small_cap", "us_value",
         "us_growth", "us_dividend", "us_sector"], "us_equity"),
    **dict.fromkeys(["intl_developed", "intl_emerging", "intl_total", "intl_small_cap"],
                    "intl_equity"),
    **dict.fromkeys(
        ["us_aggregate_bond", "intl_bond", "treasury_short", "treasury_intermediate",
         "treasury_long", "tips", "corporate_short", "corporate_intermediate", "high_yield"],
        "bonds"),
    **dict.fromkeys(["muni_national", "muni_short", "muni_high_yield"], "muni_bonds"),
    **dict.fromkeys(["reit_us", "reit_intl"], "reits"),
    "money_market": "cash",
    **dict.fromkeys(["commodity", "gold", "crypto"], "other"),
    **dict.fromkeys(["global_equity", "balanced", "target_date"], MULTI_ASSET),
}
NUMERIC = ["qualified_fraction", "yield", "foreign_tax", "expense_ratio"]


def _read() -> list[dict[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ROWS = _read()
BY_SYMBOL = {r["symbol"]: r for r in ROWS}


def _weights(cell: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in cell.split(";"):
        cls, _, value = part.partition(":")
        assert cls not in out, f"class {cls!r} named twice in {cell!r}"
        out[cls] = float(value)
    return out


def _replacements(row: dict[str, str]) -> list[str]:
    return row["replacements"].split(";") if row["replacements"] else []


# --- shape ------------------------------------------------------------------------------------

def test_header_is_exactly_the_documented_columns():
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == COLUMNS


def test_file_is_plain_utf8_without_bom_and_every_row_is_complete():
    raw = CSV_PATH.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        lengths = {len(rec) for rec in csv.reader(f)}
    assert lengths == {len(COLUMNS)}


def test_is_shipped_as_package_data():
    assert resources.files("toolkit").joinpath("data/securities.csv").is_file()
    assert resources.files("toolkit").joinpath("data/securities.md").is_file()


def test_at_least_160_securities():
    assert len(ROWS) >= 160


def test_sorted_by_asset_class_then_symbol():
    keys = [(r["asset_class"], r["symbol"]) for r in ROWS]
    assert keys == sorted(keys)


def test_symbols_unique_and_uppercase():
    counts = Counter(r["symbol"] for r in ROWS)
    assert [s for s, n in counts.items() if n > 1] == []
    bad = [r["symbol"] for r in ROWS if not re.fullmatch(r"[A-Z0-9][A-Z0-9.]*", r["symbol"])]
    assert bad == []


def test_no_cell_has_stray_whitespace():
    bad = [(r["symbol"], k) for r in ROWS for k, v in r.items() if v != v.strip()]
    assert bad == []


def test_names_issuers_and_indexes_are_filled():
    for col in ("name", "issuer", "index"):
        assert [r["symbol"] for r in ROWS if not r[col]] == [], col


# --- CUSIPs -----------------------------------------------------------------------------------

def test_cusips_unique_and_pass_the_check_digit():
    cusips = [r["cusip"] for r in ROWS if r["cusip"]]
    assert len(cusips) == len(set(cusips))
    assert [c for c in cusips if not is_cusip(c)] == []


def test_check_digit_test_rejects_a_corrupted_cusip():
    # The check above is only as good as is_cusip: a wrong last digit must fail.
    assert is_cusip("922908769")
    assert not is_cusip("922908768")


def test_cits_without_ticker_use_their_cusip_as_symbol():
    cits = [r for r in ROWS if r["vehicle"] == "cit"]
    assert cits, "the file should carry the CITs whose CUSIPs were confirmed"
    for r in cits:
        if re.fullmatch(r"[0-9A-Z]{9}", r["symbol"]) and r["symbol"][0].isdigit():
            assert r["cusip"] == r["symbol"]


def test_known_cusips():
    assert BY_SYMBOL["VTI"]["cusip"] == "922908769"
    assert BY_SYMBOL["VOO"]["cusip"] == "922908363"
    assert BY_SYMBOL["SPY"]["cusip"] == "78462F103"
    assert BY_SYMBOL["59515R401"]["name"].startswith("Vanguard Institutional 500 Index Trust")


# --- allowed values ---------------------------------------------------------------------------

def test_vehicle_allowed():
    assert {r["vehicle"] for r in ROWS} <= VEHICLES


def test_asset_class_allowed():
    assert {r["asset_class"] for r in ROWS} <= set(ALL_CLASSES)


@pytest.mark.parametrize("asset_class", ALL_CLASSES)
def test_every_asset_class_has_at_least_three_securities(asset_class):
    assert sum(r["asset_class"] == asset_class for r in ROWS) >= 3


def test_sub_class_documented_and_under_its_asset_class():
    bad = [(r["symbol"], r["asset_class"], r["sub_class"]) for r in ROWS
           if SUB_CLASSES.get(r["sub_class"]) != r["asset_class"]]
    assert bad == []


def test_tax_character_allowed():
    assert {r["tax_character"] for r in ROWS} <= TAX_CHARACTERS


def test_numeric_columns_parse_and_are_finite():
    for r in ROWS:
        for col in NUMERIC:
            v = float(r[col])
            assert math.isfinite(v), (r["symbol"], col)


def test_qualified_fraction_between_0_and_1():
    assert [r["symbol"] for r in ROWS if not 0 <= float(r["qualified_fraction"]) <= 1] == []


def test_yields_between_0_and_15_percent():
    assert [r["symbol"] for r in ROWS if not 0 <= float(r["yield"]) <= 0.15] == []


def test_foreign_tax_and_expense_ratio_are_small_fractions():
    assert [r["symbol"] for r in ROWS if not 0 <= float(r["foreign_tax"]) <= 0.01] == []
    assert [r["symbol"] for r in ROWS if not 0 <= float(r["expense_ratio"]) <= 0.01] == []


# --- weights ----------------------------------------------------------------------------------

def test_multi_asset_weights_parse_sum_to_one_and_name_top_level_classes():
    multi = [r for r in ROWS if r["asset_class"] == MULTI_ASSET]
    assert multi
    for r in multi:
        w = _weights(r["weights"])
        assert set(w) <= set(ASSET_CLASSES), r["symbol"]
        assert all(0 < v <= 1 for v in w.values()), r["symbol"]
        assert abs(sum(w.values()) - 1.0) <= 1e-9, (r["symbol"], sum(w.values()))


def test_single_class_rows_have_empty_weights():
    assert [r["symbol"] for r in ROWS if r["asset_class"] != MULTI_ASSET and r["weights"]] == []


def test_multi_asset_rows_span_at_least_two_classes():
    assert [r["symbol"] for r in ROWS
            if r["asset_class"] == MULTI_ASSET and len(_weights(r["weights"])) < 2] == []


# --- tax character consistency ----------------------------------------------------------------

def test_tax_character_matches_asset_class():
    for r in ROWS:
        ac, tc = r["asset_class"], r["tax_character"]
        if ac in ("us_equity", "intl_equity"):
            assert tc == "qualified", r["symbol"]
        elif ac in ("bonds", "reits", "other"):
            assert tc == "ordinary", r["symbol"]
        elif ac == "muni_bonds":
            assert tc == "tax_exempt", r["symbol"]
        elif ac == "cash":
            assert tc in ("ordinary", "tax_exempt"), r["symbol"]
        elif ac == MULTI_ASSET:
            has_bonds = "bonds" in _weights(r["weights"])
            assert tc == ("mixed" if has_bonds else "qualified"), r["symbol"]


def test_bond_muni_and_cash_distributions_are_not_qualified():
    bad = [r["symbol"] for r in ROWS
           if r["asset_class"] in ("bonds", "muni_bonds", "cash")
           and float(r["qualified_fraction"]) != 0]
    assert bad == []


def test_foreign_tax_only_where_foreign_holdings_are():
    for r in ROWS:
        ft = float(r["foreign_tax"])
        if r["asset_class"] == "intl_equity" or r["sub_class"] == "reit_intl":
            assert ft > 0, r["symbol"]
        elif r["asset_class"] == MULTI_ASSET:
            assert (ft > 0) == ("intl_equity" in _weights(r["weights"])), r["symbol"]
        else:
            assert ft == 0, r["symbol"]


# --- indexes and harvest partners -------------------------------------------------------------

def test_funds_sharing_an_index_share_their_classification():
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in ROWS:
        groups[r["index"]].append(r)
    for index, rows in groups.items():
        kinds = {(r["asset_class"], r["sub_class"], r["tax_character"]) for r in rows}
        assert len(kinds) == 1, (index, [r["symbol"] for r in rows])
        if rows[0]["asset_class"] == MULTI_ASSET:
            assert len({r["weights"] for r in rows}) == 1, index


@pytest.mark.parametrize(
    ("index", "symbols"),
    [
        ("CRSP US Total Market", {"VTI", "VTSAX"}),
        ("S&P 500", {"VOO", "VFIAX", "IVV", "SPY", "SPYM", "FXAIX", "SWPPX", "59515R401"}),
        ("FTSE Global All Cap ex US", {"VXUS", "VTIAX"}),
        ("Bloomberg US Aggregate Float Adjusted", {"BND", "VBTLX"}),
        ("MSCI US IMI Real Estate 25/50", {"VNQ", "VGSLX"}),
        ("MSCI EAFE", {"EFA", "SWISX", "FSPSX"}),
    ],
)
def test_same_index_groups(index, symbols):
    assert {r["symbol"] for r in ROWS if r["index"] == index} == symbols


def test_active_and_money_market_indexes_name_one_fund_each():
    active = Counter(r["index"] for r in ROWS if r["index"].startswith("active:"))
    assert [i for i, n in active.items() if n > 1] == []
    assert [r["symbol"] for r in ROWS
            if r["vehicle"] == "money_market" and not r["index"].startswith("active:")] == []


def test_replacements_exist_differ_and_share_class_but_not_index():
    for r in ROWS:
        reps = _replacements(r)
        assert len(reps) <= 4, r["symbol"]
        assert len(reps) == len(set(reps)), r["symbol"]
        for s in reps:
            assert s in BY_SYMBOL, (r["symbol"], s)
            p = BY_SYMBOL[s]
            assert s != r["symbol"]
            assert (p["asset_class"], p["sub_class"]) == (r["asset_class"], r["sub_class"]), (
                r["symbol"], s)
            assert p["index"] != r["index"], (r["symbol"], s)


def test_replacements_track_different_indexes_from_each_other():
    for r in ROWS:
        indexes = [BY_SYMBOL[s]["index"] for s in _replacements(r)]
        assert len(indexes) == len(set(indexes)), r["symbol"]


def test_replacements_given_wherever_a_partner_exists():
    """2-4 partners unless the sub_class holds fewer other indexes (e.g. physical gold)."""
    indexes_by_sub: dict[str, set[str]] = defaultdict(set)
    for r in ROWS:
        indexes_by_sub[r["sub_class"]].add(r["index"])
    for r in ROWS:
        if r["vehicle"] == "money_market" or r["sub_class"] == "us_sector":
            continue  # sectors are checked within their sector below
        others = len(indexes_by_sub[r["sub_class"]] - {r["index"]})
        assert len(_replacements(r)) >= min(2, others), r["symbol"]


def test_sector_funds_are_replaced_within_their_sector():
    sector_of = {"XLK": "tech", "VGT": "tech", "FTEC": "tech", "XLV": "health", "VHT": "health",
                 "FHLC": "health", "XLF": "fin", "VFH": "fin", "FNCL": "fin", "XLE": "energy",
                 "VDE": "energy", "FENY": "energy"}
    sectors = [r["symbol"] for r in ROWS if r["sub_class"] == "us_sector"]
    assert set(sectors) == set(sector_of)
    for s in sectors:
        reps = _replacements(BY_SYMBOL[s])
        assert len(reps) == 2
        assert {sector_of[p] for p in reps} == {sector_of[s]}


def test_money_market_funds_have_no_replacements():
    assert [r["symbol"] for r in ROWS if r["vehicle"] == "money_market" and r["replacements"]] == []


def test_at_least_ten_money_market_funds_in_cash():
    mmf = [r for r in ROWS if r["vehicle"] == "money_market"]
    assert len(mmf) >= 10
    assert {r["asset_class"] for r in mmf} == {"cash"}
    assert {r["sub_class"] for r in mmf} == {"money_market"}


# --- spot checks ------------------------------------------------------------------------------

def test_vti_is_qualified_us_equity():
    r = BY_SYMBOL["VTI"]
    assert (r["asset_class"], r["sub_class"], r["tax_character"]) == (
        "us_equity", "us_total_market", "qualified")
    assert _replacements(r) == ["ITOT", "SCHB", "SPTM"]


def test_voo_is_never_replaced_by_another_sp500_fund():
    sp500 = {r["symbol"] for r in ROWS if r["index"] == "S&P 500"}
    for s in sp500:
        assert not set(_replacements(BY_SYMBOL[s])) & sp500, s


def test_bnd_is_ordinary_bonds():
    r = BY_SYMBOL["BND"]
    assert (r["asset_class"], r["tax_character"], float(r["qualified_fraction"])) == (
        "bonds", "ordinary", 0.0)


def test_vteb_is_tax_exempt_muni():
    r = BY_SYMBOL["VTEB"]
    assert (r["asset_class"], r["tax_character"]) == ("muni_bonds", "tax_exempt")


def test_vnq_is_ordinary_reit():
    r = BY_SYMBOL["VNQ"]
    assert (r["asset_class"], r["sub_class"], r["tax_character"]) == (
        "reits", "reit_us", "ordinary")


def test_vxus_is_intl_equity_with_foreign_tax():
    r = BY_SYMBOL["VXUS"]
    assert r["asset_class"] == "intl_equity"
    assert float(r["foreign_tax"]) > 0


def test_vbiax_is_60_40():
    r = BY_SYMBOL["VBIAX"]
    assert r["asset_class"] == MULTI_ASSET
    assert _weights(r["weights"]) == {"us_equity": 0.6, "bonds": 0.4}


def test_vt_is_multi_asset_us_and_international_equity():
    r = BY_SYMBOL["VT"]
    assert (r["asset_class"], r["sub_class"]) == (MULTI_ASSET, "global_equity")
    assert _weights(r["weights"]) == {"us_equity": 0.62, "intl_equity": 0.38}


def test_target_date_funds_grow_more_conservative_toward_the_target_year():
    for family in ("Vanguard Target Retirement", "Fidelity Freedom Index"):
        funds = sorted((int(re.search(r"(20\d\d)", r["name"]).group(1)), r) for r in ROWS
                       if r["sub_class"] == "target_date" and r["name"].startswith(family))
        assert len(funds) >= 6, family
        bonds = [_weights(r["weights"]).get("bonds", 0.0) for _, r in funds]
        assert bonds == sorted(bonds, reverse=True), family


def test_vanguard_target_retirement_2030_to_2065_present():
    names = {r["name"] for r in ROWS if r["sub_class"] == "target_date"}
    for year in range(2030, 2070, 5):
        assert f"Vanguard Target Retirement {year} Fund" in names


# --- documentation ----------------------------------------------------------------------------

def test_documentation_names_every_column_and_value_used():
    doc = DOC_PATH.read_text(encoding="utf-8")
    used = set(COLUMNS)
    for col in ("vehicle", "asset_class", "sub_class", "tax_character"):
        used |= {r[col] for r in ROWS}
    missing = sorted(v for v in used if f"`{v}`" not in doc)
    assert missing == []


def test_one_field_of_a_row_by_symbol_or_cusip():
    from toolkit.securities import load_securities

    m = load_securities()
    # AGG's row: iShares Core U.S. Aggregate Bond ETF, CUSIP 464287226
    assert m.field("AGG", "vehicle") == "etf"
    assert m.field("agg ", "sub_class") == "us_aggregate_bond"
    assert m.field("464287226", "issuer") == "iShares"
    assert m.field("NOT-A-FUND", "vehicle") is None
    assert m.field("AGG", "vehicle") == m.get("AGG")["vehicle"]
