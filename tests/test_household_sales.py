"""Every sale seen: realised sales from histories whether or not a position remains, deduped
against the brokers' realised rows; transactions-only households; IRS Pub 550's wash-sale
examples read from a history in Schwab's transactions layout (written here, not copied).

Pub 550 "Wash Sales" (figures as in tests/test_wash.py, whose docstring gives the sources):
Example 1: "You buy 100 shares of X stock for $1,000. You sell these shares for $750 and
within 30 days from the sale you buy 100 shares of the same stock for $800. Because you
bought substantially identical stock, you can't deduct your loss of $250 on the sale.
However, you add the disallowed loss of $250 to the cost of the new stock, $800, to obtain
your basis in the new stock, which is $1,050."
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest

from toolkit.history import replay_household
from toolkit.household_file import load_household
from toolkit.tax import realized_this_year, wash_sale_result

CENT = 0.005
HEADER = '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"'


def schwab_history(rows: list[tuple[str, str, str, float, float]]) -> str:
    """A Schwab transactions CSV (late-2023 layout: header on line 1, newest first).

    rows: (MM/DD/YYYY, Buy|Sell, symbol, shares, price); amounts are shares x price.
    """
    out = [HEADER]
    for day, action, sym, q, price in sorted(rows, key=lambda r: pd.Timestamp(r[0]),
                                             reverse=True):
        amount = q * price * (-1 if action == "Buy" else 1)
        money = f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
        out.append(f'"{day}","{action}","{sym}","{sym} COMMON STOCK","{q:g}","${price:,.2f}",'
                   f'"","{money}"')
    return "\n".join(out) + "\n"


def write_household(tmp_path: Path, year: int, history: str, *, extra: str = "") -> Path:
    (tmp_path / "Individual_XXX321_Transactions_20261120-101500.csv").write_text(history)
    toml = textwrap.dedent(f"""\
        [household]
        name = "Pub 550"
        tax_year = {year}
        filing_status = "single"
        ordinary_income = 80000
        as_of = {year}-11-20

        [targets]
        us_equity = 1.0

        [[accounts]]
        id = "...321"
        type = "taxable"
        custodian = "schwab"

        [[files]]
        path = "Individual_XXX321_Transactions_20261120-101500.csv"
        """) + extra
    path = tmp_path / "household.toml"
    path.write_text(toml)
    return path


def loaded(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = load_household(path)
        return h, wash_sale_result(h)


def test_pub_550_example_1_from_a_transactions_only_history(tmp_path):
    # Pub 550 gives no dates; any inside the window do: bought 2026-01-05 (100 x $10 =
    # $1,000), sold 2026-03-02 (100 x $7.50 = $750), bought 2026-03-20 (100 x $8 = $800).
    # The account has no positions file: its only file is its history.
    # By hand: loss 1,000 - 750 = $250, all 100 shares replaced 18 days later: $250
    # disallowed, $0 allowed; the new shares' basis 800 + 250 = $1,050; the year's gains
    # (0, 0). Before this change the household had no realised row at all (the sale's
    # position is gone) and so no wash sale.
    path = write_household(tmp_path, 2026, schwab_history([
        ("01/05/2026", "Buy", "X", 100, 10.0), ("03/02/2026", "Sell", "X", 100, 7.5),
        ("03/20/2026", "Buy", "X", 100, 8.0)]))
    h, res = loaded(path)
    rz = h.realized
    assert rz[["account", "symbol", "quantity", "acquired", "sold", "proceeds", "cost_basis",
               "gain"]].values.tolist() == [
        ["...321", "X", 100.0, pd.Timestamp("2026-01-05"), pd.Timestamp("2026-03-02"), 750.0,
         1000.0, -250.0]]
    prov = h.provenance[h.provenance["frame"] == "realized"]
    assert prov[["key", "rows", "used", "reason"]].values.tolist() == [
        ["...321 X", 1, True, "sales rebuilt from history; no broker realised row covers them"]]
    row = res.rows.iloc[0]
    assert (row["loss"], row["disallowed"], row["allowed"], row["code"]) == pytest.approx(
        (250.0, 250.0, 0.0, "W"))
    adj = res.adjustments.iloc[0]
    assert (adj["date"], adj["adjusted_cost"]) == (pd.Timestamp("2026-03-20"),
                                                   pytest.approx(1050.0, abs=CENT))
    assert res.unplaced == 0.0  # the history's open lot took it: nothing reported unplaced
    assert realized_this_year(h) == (0.0, 0.0, [])
    assert h.warnings[-1] == (
        "account ...321 X: the history (Individual_XXX321_Transactions_20261120-101500.csv) "
        "leaves 100 shares that no positions file lists: they are not valued or planned (add "
        "the account's positions file); their sales and purchases still count for this year's "
        "gains and wash sales")


def test_pub_550_more_or_less_stock_example_1_from_history(tmp_path):
    # Pub 550 (2025) "More or less stock bought than sold", Example 1: 100 M bought
    # 2024-09-20 for $5,000; 50 on 2024-12-13 for $2,750; 25 on 2024-12-20 for $1,125; the
    # September 100 sold 2025-01-03 for $4,000 (FIFO relieves them: the earliest).
    # By hand: loss $1,000 ($10 a share); 75 replaced -> $750 disallowed, $250 allowed,
    # short-term (held 2024-09-20 -> 2025-01-03); bases 2,750 + 500 = 3,250 and 1,125 + 250
    # = 1,375. The year 2025: (-250, 0).
    path = write_household(tmp_path, 2025, schwab_history([
        ("09/20/2024", "Buy", "M", 100, 50.0), ("12/13/2024", "Buy", "M", 50, 55.0),
        ("12/20/2024", "Buy", "M", 25, 45.0), ("01/03/2025", "Sell", "M", 100, 40.0)]))
    h, res = loaded(path)
    assert res.disallowed == pytest.approx(750.0, abs=CENT)
    assert res.allowed == pytest.approx(250.0, abs=CENT)
    cost = res.adjustments.set_index("date")["adjusted_cost"]
    assert cost.to_dict() == pytest.approx({pd.Timestamp("2024-12-13"): 3250.0,
                                            pd.Timestamp("2024-12-20"): 1375.0}, abs=CENT)
    assert realized_this_year(h) == (-250.0, 0.0, [])


def test_pub_550_more_or_less_stock_example_2_from_history(tmp_path):
    # Example 2: 100 M bought 2024-09-16 for $2,000, sold 2025-01-29 for $1,000; 50 bought on
    # each of 2025-02-03, 02-04, 02-05, 02-06 (at $10 a share here). The first 100 bought are
    # matched: $1,000 disallowed, $500 added to each of the Feb 3 and Feb 4 purchases (500 +
    # 500 = $1,000 each). The year 2025: (0, 0).
    path = write_household(tmp_path, 2025, schwab_history([
        ("09/16/2024", "Buy", "M", 100, 20.0), ("01/29/2025", "Sell", "M", 100, 10.0),
        *((f"02/0{d}/2025", "Buy", "M", 50, 10.0) for d in (3, 4, 5, 6))]))
    h, res = loaded(path)
    assert res.disallowed == pytest.approx(1000.0, abs=CENT)
    assert res.adjustments["date"].tolist() == [pd.Timestamp("2025-02-03"),
                                                pd.Timestamp("2025-02-04")]
    assert res.adjustments["adjusted_cost"].tolist() == pytest.approx([1000.0, 1000.0],
                                                                      abs=CENT)
    assert realized_this_year(h) == (0.0, 0.0, [])


def test_a_position_sold_in_full_keeps_its_sale(tmp_path):
    # The history bought and sold all 20 VXUS (2026-01-12 at $60, sold 2026-06-01 at $55:
    # -$100 short-term): no position remains. Before, only sales of symbols whose position
    # was rebuilt from the history were kept, so this one was lost.
    history = schwab_history([("01/12/2026", "Buy", "VXUS", 20, 60.0),
                              ("06/01/2026", "Sell", "VXUS", 20, 55.0)])
    path = write_household(tmp_path, 2026, history)
    h, _ = loaded(path)
    assert h.realized[["symbol", "quantity", "gain"]].values.tolist() == [["VXUS", 20.0,
                                                                          -100.0]]
    assert realized_this_year(h) == (-100.0, 0.0, [])
    assert not any("no positions file lists" in w for w in h.warnings)


def test_a_sale_older_than_the_history_is_kept_with_an_unknown_basis(tmp_path):
    # The history starts after the shares were bought: the sale of 10 X on 2026-04-01 for
    # $500 is a sale all the same, with an unknown basis (and a warning saying so).
    path = write_household(tmp_path, 2026, schwab_history([("04/01/2026", "Sell", "X", 10,
                                                            50.0)]))
    h, _ = loaded(path)
    r = h.realized.iloc[0]
    assert (r["quantity"], r["proceeds"]) == (10.0, 500.0)
    assert pd.isna(r["cost_basis"]) and pd.isna(r["acquired"])
    assert ("account ...321 X: 10 share(s) sold on 2026-04-01 "
            "(Individual_XXX321_Transactions_20261120-101500.csv line 2) have no purchase in "
            "the history: the sale is counted with proceeds $500.00 and an unknown cost basis "
            "(add the broker's realised gain/loss file or the lots)") in h.warnings
    with pytest.warns(UserWarning) as caught:
        got = realized_this_year(h)
    assert got == (0.0, 0.0, ["1 realised row(s) of 2026 have no gain, proceeds or basis: "
                              "left out of this year's baseline"])
    assert [str(w.message) for w in caught] == [
        "wash sales: 1 realised row(s) have no proceeds or cost basis, so whether they are "
        "losses is unknown; they are not checked"]


def test_broker_realised_rows_win_over_the_replay_and_short_ones_are_reported():
    # Replayed directly on frames (replay_household): the history sells 10 X on 2026-05-01;
    # the broker's realised file reports only 6 of them. The broker's rows are used and the
    # shortfall (4 shares) is a warning, not silence.
    from tests.factories import household

    h = household(
        accounts={"T": "taxable"},
        transactions=[
            {"date": "2026-01-02", "account": "T", "action": "buy", "symbol": "X",
             "quantity": 10, "amount": -1000.0, "source_file": "h.csv", "source_line": 3},
            {"date": "2026-05-01", "account": "T", "action": "sell", "symbol": "X",
             "quantity": -10, "amount": 1200.0, "source_file": "h.csv", "source_line": 2}],
        realized=[{"account": "T", "symbol": "X", "quantity": 6, "acquired": "2026-01-02",
                   "sold": "2026-05-01", "proceeds": 720.0, "cost_basis": 600.0,
                   "source_file": "rz.csv", "source_line": 2}])
    h = replay_household(h.replace(history=None))
    assert h.realized[["quantity", "source_file"]].values.tolist() == [[6.0, "rz.csv"]]
    assert ("account T X: the history sold 10 shares on 2026-05-01 but the broker's realised "
            "rows hold 6; the broker's rows are used, so 4 share(s) of that sale are not in "
            "this year's gains") in h.warnings
    prov = h.provenance[h.provenance["frame"] == "realized"]
    assert prov[["file", "key", "used"]].values.tolist() == [["h.csv", "T X", False]]
