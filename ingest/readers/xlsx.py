"""Excel workbooks (.xlsx), parsed with python-calamine into Arrow batches.

Each sheet a mapping names is one stage; sheets it does not name are reported in the file's
message and skipped. The header is the first non-empty row; a data row's number is its distance
below the header (blank rows are not rows, but keep their numbers). Cells that hold typed values
become text: numbers without a trailing ``.0`` when whole, dates and times as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import NoneType
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from ingest.mapping import FileEntry
from ingest.readers.base import Stage, Stager, paused_gc, stage_schema
from ingest.sources import SourceFile

FIX_HINT = "从平台重新导出该工作簿后再载入"
NONE: Any = None     # an empty cell, as calamine may give it


def cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def workbook(source: SourceFile) -> python_calamine.CalamineWorkbook:
    if "workbook" not in source.cache:
        try:
            source.cache["workbook"] = python_calamine.CalamineWorkbook.from_path(str(source.path))
        except Exception as exc:  # calamine raises its own error types for damaged archives
            raise source.refuse(f"Excel 文件已损坏或不完整：{exc}", FIX_HINT) from None
    book: python_calamine.CalamineWorkbook = source.cache["workbook"]
    return book


def sheet_rows(source: SourceFile, sheet: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """(header, [(data row number, cells)]) of one sheet, cached."""
    key = f"sheet:{sheet}"
    if key not in source.cache:
        try:
            with paused_gc():
                cells = workbook(source).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as exc:
            raise source.refuse(f"工作表「{sheet}」无法读取：{exc}", FIX_HINT) from None
        header_at = next((i for i, row in enumerate(cells) if any(c not in (None, "") for c in row)), None)
        if header_at is None:
            source.cache[key] = ([], [])
        else:
            header = [(cell_text(c) or "").strip() for c in cells[header_at]]
            # blank rows are not rows (most rows show it by their first cell)
            with paused_gc():
                rows = [(i - header_at, row) for i, row in enumerate(cells[header_at + 1:], header_at + 1)
                        if (row and row[0].__class__ is str and row[0]) or row.count("") + row.count(NONE) < len(row)]
            source.cache[key] = (header, rows)
    found: tuple[list[str], list[tuple[int, list[Any]]]] = source.cache[key]
    return found


class XlsxReader:
    FORMAT: ClassVar[str] = "xlsx"

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]:
        names = workbook(source).sheet_names
        sheet = getattr(entry, "sheet", None)
        if sheet in names:
            return {sheet: sheet_rows(source, sheet)[0]}
        return {}

    def sheet_names(self, source: SourceFile) -> list[str]:
        return list(workbook(source).sheet_names)

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]:
        sheet = getattr(entry, "sheet", None)
        assert sheet is not None
        header, rows = sheet_rows(source, sheet)
        width = len(header)
        schema = stage_schema(width)
        count = len(rows)
        with paused_gc():
            cells = list(zip(*(row for _, row in rows)))      # column by column
            arrays = [pa.array([number for number, _ in rows], pa.int64())]
            arrays += [pa.nulls(count, pa.string())] * 3      # _err, _hint, _raw
            arrays += [column_text(cells[i] if i < len(cells) else (None,) * count) for i in range(width)]
            del cells
        batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
        table = stager.from_batches(schema, [batch])
        columns: dict[str, str] = {}
        for i, title in enumerate(header, 1):
            if title:
                columns.setdefault(title, f"c{i}")
        source.cache.pop(f"sheet:{sheet}", None)
        return {sheet: Stage(table, columns, count, typed_cells=True)}


def column_text(values: Sequence[Any]) -> pa.Array:
    """One column's cells as text, as :func:`cell_text` makes them, without a Python call per cell
    for the common cells: strings, whole-second times and whole numbers (an empty cell is '')."""
    kinds = set(map(type, values))
    if kinds <= {str, NoneType}:
        array = pa.array(values, pa.string())
        if "" in values:
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
        return array
    if kinds <= {str, NoneType, dt.datetime, float}:
        parts = []       # one array per kind of cell, null where the cell is of another kind
        if str in kinds:
            parts.append(pa.array([v if v.__class__ is str and v else None for v in values], pa.string()))
        if dt.datetime in kinds:
            stamps = pa.array([v if v.__class__ is dt.datetime else None for v in values], pa.timestamp("us"))
            if pc.any(pc.not_equal(pc.subsecond(stamps), 0)).as_py():       # isoformat shows fractions
                return _cell_by_cell(values)
            parts.append(pc.strftime(stamps.cast(pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S"))
        if float in kinds:
            numbers = pa.array([v if v.__class__ is float else None for v in values], pa.float64())
            whole = pc.and_(pc.equal(numbers, pc.floor(numbers)), pc.less(pc.abs(numbers), 1e15))
            if pc.all(whole).as_py() is False:                             # repr shows them
                return _cell_by_cell(values)
            parts.append(numbers.cast(pa.int64()).cast(pa.string()))
        return pc.coalesce(*parts) if len(parts) > 1 else parts[0]
    return _cell_by_cell(values)


def _cell_by_cell(values: Sequence[Any]) -> pa.Array:
    return pa.array([cell_text(v) for v in values], pa.string())
