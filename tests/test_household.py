"""The household file: accounts matched across masked ids, tax types declared or inferred,
targets checked, one file winning where several describe one account."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from toolkit.errors import FormatError, HouseholdError
from toolkit.household import validate_targets
from toolkit.household_file import load_household
from toolkit.securities import SecurityMaster, _normalise

HEADER = ("Account Number,Account Name,Symbol,Description,Quantity,Last Price,Current Value,"
          "Cost Basis Total,Type")


def positions_csv(rows, date="Nov-20-2026"):
    return "\n".join([HEADER, *rows, "", f'"Date downloaded {date} at 1:02 p.m ET"']) + "\n"


MASTER = SecurityMaster(_normalise(pd.DataFrame([
    {"symbol": "VTI", "asset_class": "us_equity", "index": "CRSP US Total Market"},
    {"symbol": "BND", "asset_class": "bonds", "index": "Bloomberg US Aggregate Float Adjusted"},
    {"symbol": "VBIAX", "asset_class": "multi_asset", "weights": "us_equity:0.6;bonds:0.4"},
    {"symbol": "SPAXX", "asset_class": "cash"},
])))

BASE = """
[household]
name = "Test household"
tax_year = 2026
filing_status = "married_filing_jointly"
ordinary_income = 185000
state_rate = 0.05

[targets]
us_equity = 0.6
bonds = 0.4
"""


@pytest.fixture
def household_dir(tmp_path):
    (tmp_path / "Portfolio_Positions_Nov-20-2026.csv").write_text(positions_csv([
        "X71234567,Joint WROS,VTI,TOTAL STOCK,100,$300.00,\"$30,000.00\",\"$20,000.00\",Cash",
        "X71234567,Joint WROS,SPAXX**,HELD IN MONEY MARKET,,,$500.00,,Cash",
        "222333444,ROTH IRA,BND,TOTAL BOND,100,$70.00,\"$7,000.00\",\"$7,500.00\",Cash",
        "222333444,ROTH IRA,VBIAX,BALANCED,10,$50.00,$500.00,$400.00,Cash",
        "555666777,HEALTH SAVINGS ACCOUNT,ZZZZ,MYSTERY FUND,1,$10.00,$10.00,$9.00,Cash",
    ]))
    return tmp_path


def write_toml(d, body):
    p = d / "household.toml"
    p.write_text(textwrap.dedent(BASE) + textwrap.dedent(body))
    return p


def test_masked_ids_declared_and_inferred_types(household_dir):
    p = write_toml(household_dir, """
        [[accounts]]
        id = "...567"
        type = "taxable"
        owner = "Maya"

        [[accounts]]
        id = "XXXX-3444"
        owner = "Alex"

        [[files]]
        path = "Portfolio_Positions_Nov-20-2026.csv"

        [contributions]
        "...444" = 6500
    """)
    h = load_household(p, securities=MASTER)
    acc = h.accounts.set_index("account")
    assert list(acc.index) == ["...567", "XXXX-3444", "555666777"]
    assert acc.loc["...567", "tax_type"] == "taxable"
    assert not acc.loc["...567", "tax_type_inferred"]
    assert acc.loc["XXXX-3444", "tax_type"] == "roth_ira"
    assert acc.loc["XXXX-3444", "tax_type_inferred"]
    assert acc.loc["555666777", "tax_type"] == "hsa"
    assert acc.loc["...567", "owner"] == "Maya"
    assert acc.loc["...567", "custodian"] == "fidelity"
    # positions carry the household's ids, not the broker's
    assert sorted(h.positions["account"].unique()) == ["...567", "555666777", "XXXX-3444"]
    assert list(h.warnings) == [
        "account XXXX-3444: tax type 'roth_ira' inferred from the broker's account name "
        "'ROTH IRA' in Portfolio_Positions_Nov-20-2026.csv; declare `type` in [[accounts]] "
        "to confirm",
        "account 555666777: tax type 'hsa' inferred from the broker's account name "
        "'HEALTH SAVINGS ACCOUNT' in Portfolio_Positions_Nov-20-2026.csv; declare `type` in "
        "[[accounts]] to confirm",
    ]
    assert h.contributions == {"XXXX-3444": 6500.0}
    assert h.as_of == pd.Timestamp("2026-11-20")


def test_classification_cash_multi_and_unclassified(household_dir):
    h = load_household(write_toml(household_dir, """
        [[files]]
        path = "Portfolio_Positions_Nov-20-2026.csv"
    """), securities=MASTER)
    got = dict(zip(h.positions["symbol"], h.positions["asset_class"], strict=True))
    assert got == {"VTI": "us_equity", "SPAXX": "cash", "BND": "bonds",
                   "VBIAX": "multi_asset", "ZZZZ": "unclassified"}
    assert h.unclassified["symbol"].tolist() == ["ZZZZ"]


def test_household_overrides_security_master(household_dir):
    h = load_household(write_toml(household_dir, """
        [[files]]
        path = "Portfolio_Positions_Nov-20-2026.csv"

        [securities.ZZZZ]
        asset_class = "other"
        name = "Mystery fund"
    """), securities=MASTER)
    assert h.positions.set_index("symbol").loc["ZZZZ", "asset_class"] == "other"
    assert h.unclassified.empty


def test_account_totals(household_dir):
    h = load_household(write_toml(household_dir, """
        [[files]]
        path = "Portfolio_Positions_Nov-20-2026.csv"
    """), securities=MASTER)
    t = h.account_totals().set_index("account")
    assert t.loc["X71234567", "market_value"] == 30500.0
    assert t.loc["X71234567", "cash"] == 500.0
    assert t.loc["X71234567", "cost_basis"] == 20500.0  # VTI 20,000 + cash basis 500
    assert t.loc["222333444", "market_value"] == 7500.0
    assert t.loc["222333444", "cost_basis"] == 7900.0
    assert h.total_value == 30500.0 + 7500.0 + 10.0


def test_untypeable_account_is_an_error_naming_it(tmp_path):
    (tmp_path / "p.csv").write_text(positions_csv(
        ["Z99887766,My Account,VTI,TOTAL STOCK,1,$300.00,$300.00,$200.00,Cash"]))
    p = write_toml(tmp_path, """
        [[files]]
        path = "p.csv"
    """)
    with pytest.raises(HouseholdError) as exc:
        load_household(p, securities=MASTER)
    assert str(exc.value) == (
        f"{p}: account 'Z99887766' has no tax type and none can be inferred from its broker "
        "account name ('My Account' in p.csv). Add it to [[accounts]] with type = one of "
        "taxable, traditional_ira, roth_ira, 401k, roth_401k, 403b, hsa, sep_ira, simple_ira, "
        "457b, roth_403b")


def test_newest_file_wins_for_an_account(tmp_path):
    (tmp_path / "old.csv").write_text(positions_csv(
        ["X71234567,Joint WROS,VTI,TOTAL STOCK,90,$290.00,\"$26,100.00\",\"$18,000.00\",Cash"],
        date="Oct-20-2026"))
    (tmp_path / "new.csv").write_text(positions_csv(
        ["X71234567,Joint WROS,VTI,TOTAL STOCK,100,$300.00,\"$30,000.00\",\"$20,000.00\",Cash"]))
    p = write_toml(tmp_path, """
        [[files]]
        path = "new.csv"
        [[files]]
        path = "old.csv"
    """)
    h = load_household(p, securities=MASTER)
    assert h.positions["quantity"].tolist() == [100.0]
    assert h.positions["source_file"].tolist() == ["new.csv"]
    sk = h.skipped
    assert sk["file"].tolist() == ["old.csv"]
    assert sk["line"].tolist() == [2]
    assert sk["reason"].tolist() == [
        "positions for X71234567 superseded by new.csv (newest as-of date (2026-11-20) of 2 "
        "files)"]
    prov = h.provenance.set_index("file")
    assert bool(prov.loc["new.csv", "used"]) and not bool(prov.loc["old.csv", "used"])


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"us_equity": 0.6, "bonds": 0.3}, "targets: weights sum to 0.9 (90.0000%), not 1 (100%)"),
        ({"us_equity": 0.6, "crypto": 0.4},
         "targets: unknown asset class 'crypto'; expected one of us_equity, intl_equity, bonds, "
         "muni_bonds, reits, cash, other"),
        ({"us_equity": 1.2, "bonds": -0.2}, "targets: weight of 'bonds' is negative (-0.2)"),
        ({"us_equity": "60%", "bonds": 0.4}, "targets: weight of 'us_equity' is '60%', not a number"),
        ({}, "targets: no target weights given"),
    ],
)
def test_bad_targets(targets, message):
    with pytest.raises(HouseholdError) as exc:
        validate_targets(targets)
    assert str(exc.value) == message


def test_targets_keep_order_and_sum():
    t = validate_targets({"us_equity": 0.45, "intl_equity": 0.15, "bonds": 0.35, "reits": 0.05})
    assert t.to_dict() == {"us_equity": 0.45, "intl_equity": 0.15, "bonds": 0.35, "reits": 0.05}


@pytest.mark.parametrize(
    ("body", "message_end"),
    [
        ('[[files]]\npath = "missing.csv"\n', "[[files]] #1: file 'missing.csv' not found (looked at TMP/missing.csv)"),
        ('[[accounts]]\nid = "1"\ntype = "brokerage"\n',
         "[[accounts]] #1 (id '1'): type 'brokerage' is not one of taxable, traditional_ira, "
         "roth_ira, 401k, roth_401k, 403b, hsa, sep_ira, simple_ira, 457b, roth_403b"),
        ('[extras]\nx = 1\n', "unknown section(s) ['extras']; allowed: accounts, contributions, "
         "files, household, people, securities, settings, subtargets, targets"),
        ('[[accounts]]\nid = "...567"\n[[accounts]]\nid = "X71234567"\n',
         "[[accounts]] #2: id 'X71234567' can be confused with '...567'; give each its "
         "custodian (custodian = \"schwab\", ...) or ids that tell them apart"),
    ],
)
def test_household_file_errors(tmp_path, body, message_end):
    p = write_toml(tmp_path, body)
    with pytest.raises(HouseholdError) as exc:
        load_household(p, securities=MASTER)
    assert str(exc.value) == f"{p}: {message_end}".replace("TMP", str(tmp_path))


def test_invalid_toml(tmp_path):
    p = tmp_path / "h.toml"
    p.write_text("[household\nname = 1\n")
    with pytest.raises(HouseholdError) as exc:
        load_household(p)
    assert str(exc.value) == (
        f"{p}: not valid TOML (Expected ']' at the end of a table declaration "
        "(at line 1, column 11))"
    )


def test_export_errors_propagate_with_location(tmp_path):
    # every row unreadable: the file is refused (one bad row would only be skipped)
    (tmp_path / "p.csv").write_text(positions_csv(
        ["X71234567,Joint WROS,VTI,TOTAL STOCK,lots,$300.00,$300.00,$200.00,Cash",
         "X71234567,Joint WROS,BND,TOTAL BOND,some,$70.00,$70.00,$60.00,Cash"]))
    p = write_toml(tmp_path, '[[files]]\npath = "p.csv"\n')
    with pytest.raises(FormatError) as exc:
        load_household(p, securities=MASTER)
    assert (exc.value.path, exc.value.line, exc.value.column) == ("p.csv", 2, "Quantity")


def test_file_listed_twice(household_dir):
    p = write_toml(household_dir, """
        [[files]]
        path = "Portfolio_Positions_Nov-20-2026.csv"
        [[files]]
        path = "./Portfolio_Positions_Nov-20-2026.csv"
    """)
    with pytest.raises(HouseholdError) as exc:
        load_household(p, securities=MASTER)
    assert str(exc.value) == (f"{p}: [[files]] #2: file './Portfolio_Positions_Nov-20-2026.csv' "
                              "is already listed as [[files]] #1")


def test_transactions_repeated_across_files_are_dropped_once(tmp_path):
    head = ("Run Date,Account,Account Number,Action,Symbol,Description,Type,Price ($),Quantity,"
            "Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date")
    rows = ['11/02/2026,"Joint WROS","X71234567","YOU BOUGHT VTI (Cash)",VTI,"TOTAL STOCK",'
            'Cash,300.00,10,,,,-3000.00,11/03/2026',
            '11/02/2026,"Joint WROS","X71234567","YOU BOUGHT VTI (Cash)",VTI,"TOTAL STOCK",'
            'Cash,300.00,10,,,,-3000.00,11/03/2026']
    footer = ["", '"Date downloaded 11/20/2026 10:05 am"']
    # file a: two identical buys (both real); file b: the same two plus a third
    (tmp_path / "a.csv").write_text("\n".join([head, *rows, *footer]) + "\n")
    (tmp_path / "b.csv").write_text("\n".join([head, *rows, rows[0], *footer]) + "\n")
    (tmp_path / "p.csv").write_text(positions_csv(
        ["X71234567,Joint WROS,VTI,TOTAL STOCK,30,$300.00,\"$9,000.00\",\"$9,000.00\",Cash"]))
    p = write_toml(tmp_path, """
        [[files]]
        path = "p.csv"
        [[files]]
        path = "a.csv"
        [[files]]
        path = "b.csv"
    """)
    h = load_household(p, securities=MASTER)
    # a's two rows kept; b's first two are repeats of a's; b's third is new
    assert h.transactions["source_file"].tolist() == ["a.csv", "a.csv", "b.csv"]
    assert h.transactions["source_line"].tolist() == [2, 3, 4]
    dup = h.skipped[h.skipped["file"] == "b.csv"]
    assert dup["line"].tolist() == [2, 3]
    assert dup["reason"].tolist() == [
        "duplicate of a.csv line 2 (same account, date, action, symbol, quantity and amount)",
        "duplicate of a.csv line 3 (same account, date, action, symbol, quantity and amount)"]
