"""Write the generic lots and positions templates shipped in this folder.

Run ``python toolkit/templates/make_templates.py`` after changing the columns or the example
rows below, and commit the files it writes: ``lots_template.csv``,
``positions_template.csv``, ``lots_template.xlsx`` and ``positions_template.xlsx``. The
column rules are documented in ``README.md`` here and in :mod:`toolkit.io.generic`.
The workbooks are written byte-for-byte reproducibly (fixed timestamps), so a regeneration
without changes leaves git clean.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
VERSION = 1
FIXED_TIME = dt.datetime(2026, 1, 1)

LOTS_COMMENT = (f"# toolkit generic lots template v{VERSION}: one row per open tax lot; "
                "delete the EXAMPLE rows; see README.md")
LOTS_COLUMNS = ["account", "symbol", "quantity", "cost_basis", "cost_per_share", "acquired",
                "term", "wash_sale_disallowed", "lot_id", "description"]
LOTS_ROWS = [
    ["EXAMPLE-1234", "VTI", 10, 2000.00, None, dt.date(2021, 3, 15), None, None, None,
     "Vanguard Total Stock Market ETF"],
    ["EXAMPLE-1234", "VTI", 5.5, None, 250.10, dt.date(2024, 11, 2), "short", None, "T-778",
     "bought with cost per share"],
    ["EXAMPLE-1234", "VXUS", 20, 1150.40, None, dt.date(2025, 1, 10), None, 35.20, None,
     "basis includes a disallowed wash-sale loss"],
]

POSITIONS_COMMENT = (f"# toolkit generic positions template v{VERSION}: one row per holding; "
                     "delete the EXAMPLE rows; see README.md")
POSITIONS_COLUMNS = ["account", "symbol", "quantity", "price", "market_value", "cost_basis",
                     "description", "asset_class"]
POSITIONS_ROWS = [
    ["EXAMPLE-401K", "VFIAX", 120.5, 431.20, 51959.60, 40100.00,
     "Vanguard 500 Index Admiral", None],
    ["EXAMPLE-401K", "ACME TARGET 2045 TRUST", 210.3, 31.40, None, None,
     "plan fund without a ticker: its name is the symbol", "multi_asset"],
    ["EXAMPLE-401K", None, None, None, 1500.00, None, "uninvested cash", "cash"],
]


MONEY = frozenset({"cost_basis", "cost_per_share", "wash_sale_disallowed", "price",
                   "market_value"})


def _csv_cell(column: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if column in MONEY:
        return f"{value:.2f}"
    return str(value)


def write_csv(path: Path, comment: str, columns: list[str], rows: list[list]) -> None:
    """Write a template CSV: the comment line, the header and the example rows.

    Parameters
    ----------
    path : Path
        Destination file (UTF-8, LF line endings).
    comment : str
        The ``#`` version line.
    columns : list of str
        Header cells.
    rows : list of list
        Example rows (dates as ``datetime.date``, numbers as int or float, None for empty).
    """
    buf = io.StringIO()
    buf.write(comment + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_csv_cell(c, v) for c, v in zip(columns, row, strict=True)])
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_xlsx(path: Path, sheet: str, comment: str, columns: list[str],
               rows: list[list]) -> None:
    """Write a template workbook with a ``sheet`` sheet and a ``README`` sheet.

    Dates are real Excel dates (format ``yyyy-mm-dd``), money has two decimals.

    Parameters
    ----------
    path : Path
        Destination ``.xlsx``.
    sheet : str
        ``"lots"`` or ``"positions"``: the sheet the loader reads.
    comment : str
        The ``#`` version line, written in cell A1.
    columns : list of str
        Header cells (row 2).
    rows : list of list
        Example rows from row 3.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([comment])
    ws.append(columns)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for name, cell in zip(columns, ws[ws.max_row], strict=True):
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif name in MONEY and cell.value is not None:
                cell.number_format = "#,##0.00"
    for letter, name in zip("ABCDEFGHIJ", columns, strict=False):
        ws.column_dimensions[letter].width = max(12, len(name) + 4)
    notes = wb.create_sheet("README")
    notes.append(["This workbook is a toolkit template. Fill the "
                  f"'{sheet}' sheet: one row per "
                  f"{'open tax lot' if sheet == 'lots' else 'holding'}; keep the header row."])
    notes.append(["Columns, units and accepted date forms: toolkit/templates/README.md."])
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    _reproducible_zip(buf.getvalue(), path)


def _reproducible_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed timestamps so identical content gives identical bytes.

    Both the entries' times and the document's ``modified`` time (which openpyxl stamps on
    save) are fixed.
    """
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, body)
    path.write_bytes(out.getvalue())


def main(folder: Path = HERE) -> list[Path]:
    """Write all four templates into ``folder``.

    Parameters
    ----------
    folder : Path, optional
        Destination folder (default: this one).

    Returns
    -------
    list of Path
        The files written.
    """
    files = [folder / "lots_template.csv", folder / "positions_template.csv",
             folder / "lots_template.xlsx", folder / "positions_template.xlsx"]
    write_csv(files[0], LOTS_COMMENT, LOTS_COLUMNS, LOTS_ROWS)
    write_csv(files[1], POSITIONS_COMMENT, POSITIONS_COLUMNS, POSITIONS_ROWS)
    write_xlsx(files[2], "lots", LOTS_COMMENT, LOTS_COLUMNS, LOTS_ROWS)
    write_xlsx(files[3], "positions", POSITIONS_COMMENT, POSITIONS_COLUMNS, POSITIONS_ROWS)
    return files


if __name__ == "__main__":
    for f in main():
        print(f"wrote {f}")
