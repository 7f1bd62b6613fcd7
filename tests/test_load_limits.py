"""One error boundary, bounded reading, and workbooks checked before they are opened.

Every failure inside a loader is a ToolkitError naming the file; detection reads a bounded
prefix; an .xlsx is refused before openpyxl inflates it when its members are too large or too
compressed, its rows are bounded, and it is opened once per load (issue 12).
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

import toolkit.io as tio
from toolkit.errors import FormatError, ToolkitError
from toolkit.io import _build, _xlsx, detect, load_export, sniff
from toolkit.io import ibkr_flex as flex_module

HEADER = ("Account Number,Account Name,Symbol,Description,Quantity,Last Price,Last Price Change,"
          "Current Value,Today's Gain/Loss Dollar,Today's Gain/Loss Percent,Total Gain/Loss "
          "Dollar,Total Gain/Loss Percent,Percent Of Account,Cost Basis Total,Average Cost "
          "Basis,Type")
ROW = ('X71234567,Joint WROS,VTI,VANGUARD INDEX FDS TOTAL STK MKT,100,$300.50,+$1.10,'
       '"$30,050.00",+$110.00,+0.37%,"+$5,050.00",+20.20%,50.1%,"$25,000.00",$250.00,Cash,')


def positions(rows: int = 1) -> str:
    return HEADER + "\n" + "\n".join([ROW] * rows) + "\n"


def test_any_other_exception_in_a_loader_is_a_format_error_naming_the_file(write,
                                                                           monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(_build, "convert", broken)
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", positions()))
    assert isinstance(exc.value, ToolkitError)
    assert (exc.value.path, exc.value.message) == (
        "p.csv", "could not read the file (KeyError: 'boom'); it is damaged or in a layout "
                 "the loader does not handle")
    assert isinstance(exc.value.__cause__, KeyError)


def test_detection_reads_a_bounded_prefix(write):
    p = write("big.csv", positions(rows=40_000))  # about 5 MB
    s = sniff(p)
    assert len(s.head) == tio.HEAD_BYTES
    assert len(s.first_lines_norm) == 60
    assert detect(s).name == "fidelity_positions"
    assert "text" not in s.__dict__  # the whole file is decoded only when it is loaded
    assert len(load_export(p).positions) == 1  # forty thousand repeats of one holding


def test_a_file_too_large_is_refused_before_reading(write, monkeypatch):
    monkeypatch.setattr(tio, "MAX_FILE_BYTES", 1000)
    with pytest.raises(FormatError) as exc:
        load_export(write("p.csv", positions(rows=20)))
    assert exc.value.message.startswith("the file is ")
    assert exc.value.message.endswith("bytes; exports are far smaller (limit 1,000)")


def test_flex_xml_is_parsed_once_per_load(samples, monkeypatch):
    calls = []
    real = flex_module._parse

    def counting(path, data):
        calls.append(path.name)
        return real(path, data)

    monkeypatch.setattr(flex_module, "_parse", counting)
    load_export(samples / "formats" / "ibkr" / "Flex_U2468013_2025.xml")
    assert calls == ["Flex_U2468013_2025.xml"]


# --- workbooks ---------------------------------------------------------------------------------

def lots_workbook(path, rows=2, far_row=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "lots"
    ws.append(["account", "symbol", "quantity", "cost_basis", "acquired"])
    for i in range(rows):
        ws.append(["A1", "VTI", 1 + i, 100, "2024-01-02"])
    if far_row is not None:
        ws.cell(row=far_row, column=1, value="A1")
    wb.save(path)
    return path


def test_workbook_is_opened_once_per_load(tmp_path, monkeypatch):
    opened = []
    real = openpyxl.load_workbook

    def counting(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    e = load_export(lots_workbook(tmp_path / "lots.xlsx"))
    assert e.format == "generic_lots_xlsx"
    assert len(e.lots) == 2
    # three workbook formats tried to detect it and one loaded it: one open
    assert len(opened) == 1


def bomb(path, member_bytes: int):
    """A zip whose one worksheet inflates from a few KB to ``member_bytes`` of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b"\0" * 2**20
            for _ in range(member_bytes // 2**20):
                f.write(chunk)
    path.write_bytes(buf.getvalue())
    return path


def test_zip_bomb_is_refused_before_openpyxl_opens_it(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not open a refused archive")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    p = bomb(tmp_path / "bomb.xlsx", 8 * 2**20)
    assert p.stat().st_size < 100_000
    with pytest.raises(FormatError) as exc:
        load_export(p)  # refused before any detector opens it, not "unknown format"
    assert type(exc.value) is FormatError
    m = exc.value.message
    assert m.startswith("member 'xl/worksheets/sheet1.xml' inflates from ")
    assert m.endswith(f"to {8 * 2**20:,} bytes (ratio {8 * 2**20 / _compressed(p):,.0f}); "
                      f"refused before reading (limits {_xlsx.MAX_MEMBER_BYTES:,} bytes, "
                      f"ratio {_xlsx.MAX_RATIO})")


def _compressed(path) -> int:
    with zipfile.ZipFile(path) as zf:
        return zf.getinfo("xl/worksheets/sheet1.xml").compress_size


def test_member_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_xlsx, "MAX_MEMBER_BYTES", 1000)
    p = lots_workbook(tmp_path / "lots.xlsx", rows=100)
    with pytest.raises(FormatError) as exc:
        load_export(p, format="generic_lots_xlsx")
    assert exc.value.message.startswith("member '")
    assert exc.value.path == "lots.xlsx"


def test_sheet_padded_with_empty_rows_is_refused_not_read_for_minutes(tmp_path, monkeypatch):
    monkeypatch.setattr(_xlsx, "MAX_BLANK_RUN", 500)
    p = lots_workbook(tmp_path / "lots.xlsx", far_row=5_000)
    with pytest.raises(FormatError) as exc:
        load_export(p)
    assert (exc.value.line, exc.value.message) == (
        504, "sheet 'lots' has more than 500 empty rows in a row; the workbook looks damaged "
             "(re-save it, or delete the empty rows)")


def test_rows_past_excels_limit_refuse_the_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(_xlsx, "MAX_ROWS", 3)
    with pytest.raises(FormatError) as exc:
        load_export(lots_workbook(tmp_path / "lots.xlsx", rows=5))
    assert (exc.value.line, exc.value.message) == (
        4, "sheet 'lots' has rows past row 3 (Excel's limit); the workbook looks damaged")
    # a sheet that ends at the limit loads
    assert len(load_export(lots_workbook(tmp_path / "ok.xlsx", rows=2)).lots) == 2
