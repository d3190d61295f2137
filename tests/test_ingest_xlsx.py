"""The workbook reader: typed cells as text, header detection, row numbers, damaged workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from ingest.readers.xlsx import cell_text, column_text, sheet_rows, workbook
from ingest.sources import SourceFile
from sunlight.errors import IngestError


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None), ("", None), ("受理", "受理"), (12.0, "12"), (12.5, "12.5"), (3, "3"), (True, "true"),
        (dt.datetime(2026, 3, 1, 9, 5), "2026-03-01 09:05:00"),
        (dt.datetime(2026, 3, 1, 9, 5, 0, 250000), "2026-03-01 09:05:00.250000"),
        (dt.date(2026, 3, 1), "2026-03-01"), (dt.time(9, 5), "09:05:00"),
        (230108199001011234.0, "2.3010819900101123e+17"),
    ],
    ids=lambda v: repr(v),
)
def test_cells_become_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_header_is_the_first_non_empty_row_and_blank_rows_keep_numbers(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("办件")
    sheet.write_row(1, 0, ["受理编号", "事项编码"])
    sheet.write_row(2, 0, ["M1", "I1"])
    sheet.write_row(4, 0, ["M2", "I2"])
    book.close()
    header, rows = sheet_rows(SourceFile(path, 1), "办件")
    assert header == ["受理编号", "事项编码"]
    assert [(n, r[:2]) for n, r in rows] == [(1, ["M1", "I1"]), (3, ["M2", "I2"])]


def test_a_damaged_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(IngestError, match="Excel 文件已损坏或不完整"):
        workbook(SourceFile(path, 1))


COLUMNS = [
    ["M1", "", None, " M2"],
    [dt.datetime(2026, 3, 1, 9, 5), "", "2026-03-01 09:05", None, dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)],
    [dt.datetime(2026, 3, 1, 9, 5), dt.datetime(2026, 3, 1, 9, 5, 0, 250000), ""],
    [dt.datetime(2026, 3, 1, 9, 5, 0, 1), dt.datetime(2026, 3, 1, 9, 5, 0, 1000)],
    [12.0, "", -0.0, 1e14, 1e15, None],
    [12.0, 12.5, float("nan"), float("inf"), "免费"],
    [230108199001011234.0, 3, True, dt.date(2026, 3, 1), dt.time(9, 5), "x", ""],
    [None, None],
]


@pytest.mark.parametrize("values", COLUMNS, ids=range(len(COLUMNS)))
def test_a_column_becomes_the_text_of_its_cells(values: list[object]) -> None:
    assert column_text(values).to_pylist() == [cell_text(v) for v in values]
