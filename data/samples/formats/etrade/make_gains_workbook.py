"""Write ``G&L_Expanded.xlsx``: a sample E*TRADE Gains & Losses "Download Expanded" workbook.

Run ``python data/samples/formats/etrade/make_gains_workbook.py`` from the project root after
changing the rows below, then regenerate its golden output with
``python -m tests.golden --write "data/samples/formats/etrade/G&L_Expanded.xlsx"``.

The layout follows FORMATS.md 5b: sheet ``G&L_Expanded``, the 47-column header on row 1, a
sparse ``Summary`` row on row 2, then one ``Sell`` row per closed lot. Dates are
``MM/DD/YYYY`` text, ``--`` marks empty values, money cells are numbers. The content is
invented for the toolkit (an employee's ACME restricted stock, ESPP and option sales, and a
plain VTI sale). The workbook is written byte-for-byte reproducibly (fixed timestamps).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]

HEADER = [
    "Record Type", "Symbol", "Plan Type", "Quantity", "Date Acquired",
    "Date Acquired (Wash Sale Toggle = On)", "Acquisition Cost", "Acquisition Cost Per Share",
    "Ordinary Income Recognized", "Ordinary Income Recognized Per Share", "Adjusted Cost Basis",
    "Adjusted Cost Basis Per Share", "Date Sold", "Total Proceeds", "Proceeds Per Share",
    "Deferred Loss", "Gain/Loss", "Gain/Loss (Wash Sale Toggle = On)", "Adjusted Gain/Loss",
    "Adjusted Gain (Loss) Per Share", "Capital Gains Status",
    "Wash Sale Adjusted Capital Gains Status", "Total Wash Sale Adjustment Amount",
    "Wash Sale Adjustment Amount Per Share", "Total Wash Sale Adjusted Cost Basis",
    "Wash Sale Adjusted Cost Basis Per Share", "Total Wash Sale Adjusted Gain/Loss",
    "Wash Sale Adjusted Gain/Loss Per Share", "Order Type", "Covered Status", "Qualified Plan?",
    "Disposition Type", "Type", "Grant Date", "Grant Date FMV", "Discount Amount",
    "Purchase Date", "Purchase Date Fair Mkt. Value", "Purchase Price", "Grant Number",
    "83(b) Election", "Vest Date", "Vest Date FMV", "Exercise Date", "Exercise Date FMV",
    "Grant Price", "Order Number",
]
assert len(HEADER) == 47

# One closed lot per entry: symbol, plan type, shares, acquired, acquisition cost per share,
# ordinary income per share, sold, proceeds per share, term, wash-sale disallowed, extras.
LOTS = [
    dict(symbol="ACME", plan="RS", qty=40, acquired="03/15/2024", cost=0.0, income=150.0,
         sold="02/10/2026", price=180.0, term="Long", wash=None, order="Sell Restricted Stock",
         grant="02/15/2023", vest="03/15/2024", vest_fmv=150.0, number="RSU-2023-11"),
    dict(symbol="ACME", plan="RS", qty=25, acquired="09/15/2025", cost=0.0, income=172.0,
         sold="02/10/2026", price=180.0, term="Short", wash=None, order="Sell Restricted Stock",
         grant="02/15/2023", vest="09/15/2025", vest_fmv=172.0, number="RSU-2023-11"),
    dict(symbol="ACME", plan="ESPP", qty=30, acquired="06/30/2024", cost=119.0, income=21.0,
         sold="03/05/2026", price=135.0, term="Long", wash=None, order="Sell ESPP",
         grant="01/02/2024", purchase="06/30/2024", purchase_fmv=140.0, purchase_price=119.0),
    dict(symbol="ACME", plan="ESPP", qty=12.5, acquired="12/31/2025", cost=127.5, income=22.5,
         sold="03/05/2026", price=135.0, term="Short", wash=187.5, order="Sell ESPP",
         grant="07/01/2025", purchase="12/31/2025", purchase_fmv=150.0, purchase_price=127.5),
    dict(symbol="ACME", plan="SO", qty=100, acquired="05/01/2026", cost=50.0, income=130.0,
         sold="05/01/2026", price=179.5, term="Short", wash=None, order="Same-Day Sale",
         grant="05/01/2021", exercise="05/01/2026", exercise_fmv=180.0, grant_price=50.0,
         number="NQ-2021-03"),
    dict(symbol="VTI", plan=None, qty=10, acquired="01/05/2021", cost=200.0, income=0.0,
         sold="04/01/2026", price=310.0, term="Long", wash=None, order="Sell"),
]

NULL = "--"


def _sell_row(lot: dict, order_number: int) -> list:
    q = lot["qty"]
    cost = q * lot["cost"]
    income = q * lot["income"]
    basis = cost + income
    proceeds = q * lot["price"]
    gain = proceeds - cost
    adjusted = proceeds - basis
    wash = lot["wash"]
    washed_basis = basis - (wash or 0.0)  # with the toggle on, the disallowed loss is removed
    row = {
        "Record Type": "Sell", "Symbol": lot["symbol"], "Plan Type": lot["plan"],
        "Quantity": q, "Date Acquired": lot["acquired"],
        "Date Acquired (Wash Sale Toggle = On)": lot["acquired"],
        "Acquisition Cost": cost, "Acquisition Cost Per Share": lot["cost"],
        "Ordinary Income Recognized": income,
        "Ordinary Income Recognized Per Share": lot["income"],
        "Adjusted Cost Basis": basis, "Adjusted Cost Basis Per Share": basis / q,
        "Date Sold": lot["sold"], "Total Proceeds": proceeds, "Proceeds Per Share": lot["price"],
        "Deferred Loss": wash if wash else NULL, "Gain/Loss": gain,
        "Gain/Loss (Wash Sale Toggle = On)": gain + (wash or 0.0),
        "Adjusted Gain/Loss": adjusted, "Adjusted Gain (Loss) Per Share": adjusted / q,
        "Capital Gains Status": lot["term"],
        "Wash Sale Adjusted Capital Gains Status": lot["term"],
        "Total Wash Sale Adjustment Amount": wash if wash else NULL,
        "Wash Sale Adjustment Amount Per Share": wash / q if wash else NULL,
        "Total Wash Sale Adjusted Cost Basis": washed_basis,
        "Wash Sale Adjusted Cost Basis Per Share": washed_basis / q,
        "Total Wash Sale Adjusted Gain/Loss": adjusted + (wash or 0.0),
        "Wash Sale Adjusted Gain/Loss Per Share": (adjusted + (wash or 0.0)) / q,
        "Order Type": lot["order"], "Covered Status": "Covered",
        "Qualified Plan?": ("Qualified" if lot["plan"] == "ESPP" else NULL),
        "Disposition Type": ("Disqualifying Disposition" if lot["plan"] == "ESPP" else NULL),
        "Type": NULL,
        "Grant Date": lot.get("grant", NULL), "Grant Date FMV": NULL,
        "Discount Amount": (lot["income"] if lot["plan"] == "ESPP" else NULL),
        "Purchase Date": lot.get("purchase", NULL),
        "Purchase Date Fair Mkt. Value": lot.get("purchase_fmv", NULL),
        "Purchase Price": lot.get("purchase_price", NULL),
        "Grant Number": lot.get("number", NULL), "83(b) Election": NULL,
        "Vest Date": lot.get("vest", NULL), "Vest Date FMV": lot.get("vest_fmv", NULL),
        "Exercise Date": lot.get("exercise", NULL),
        "Exercise Date FMV": lot.get("exercise_fmv", NULL),
        "Grant Price": lot.get("grant_price", NULL), "Order Number": order_number,
    }
    return [row[h] for h in HEADER]


def rows() -> list[list]:
    """The sheet's rows: header, the sparse Summary row, then the Sell rows."""
    sells = [_sell_row(lot, 80011200 + i) for i, lot in enumerate(LOTS)]
    col = {h: i for i, h in enumerate(HEADER)}
    summary = [None] * len(HEADER)
    summary[col["Record Type"]] = "Summary"
    for h in ("Quantity", "Acquisition Cost", "Ordinary Income Recognized",
              "Adjusted Cost Basis", "Total Proceeds", "Gain/Loss", "Adjusted Gain/Loss"):
        summary[col[h]] = round(sum(r[col[h]] for r in sells), 2)
    return [HEADER, summary, *sells]


def write(path: Path) -> Path:
    """Write the workbook to ``path`` (reproducibly) and return it."""
    import io

    from openpyxl import Workbook

    sys.path.insert(0, str(ROOT))
    from toolkit.templates.make_templates import FIXED_TIME, _reproducible_zip

    wb = Workbook()
    ws = wb.active
    ws.title = "G&L_Expanded"
    for r in rows():
        ws.append(r)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    _reproducible_zip(buf.getvalue(), path)
    return path


if __name__ == "__main__":
    print(f"wrote {write(HERE / 'G&L_Expanded.xlsx')}")
