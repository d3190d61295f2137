"""民生服务中心 workbooks: sheets 办件 and 办理过程, split so that no sheet passes the row limit.

Written with xlsxwriter in ``constant_memory`` mode (rows go straight to disk) and with fixed
document properties, so the same cases give the same bytes. A case and all its events always go
into the same workbook. Times are real Excel datetimes, except for some cases whose times were
keyed in as text ("YYYY-MM-DD HH:MM:SS"), as happens in real exports. The first workbook also has
a sheet 说明 with a short note for people who open it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from samples.formats import ACTIVITY_LABELS, APPLICANT_TYPES, LIST_SEPARATORS, iso_seconds, scramble
from samples.model import Case

MSZX_CASES = ["受理编号", "事项编码", "部门编码", "申请人类型", "申请人", "身份证号", "申请日期时间", "受理日期时间", "办结日期时间",
              "结果", "收费", "收据号", "材料清单"]
MSZX_EVENTS = ["受理编号", "步骤", "时间", "经办人", "部门编码", "文书", "文号", "金额"]
MAX_SHEET_ROWS = 500_000  # including the header row
NOTE_LINES = [
    "平房区民生服务中心办件导出",
    "本文件包含“办件”和“办理过程”两个工作表；同一办件的全部办理过程在同一文件中。",
    "时间为北京时间；部分早期录入的时间为文本格式。",
]


class Sheet:
    def __init__(self, book: Any, name: str, columns: list[str], fmt: Any) -> None:
        self.ws = book.add_worksheet(name)
        self.fmt = fmt
        self.rows = 0
        for col, title in enumerate(columns):
            self.ws.write_string(0, col, title)

    def write(self, values: list[Any]) -> int:
        self.rows += 1
        ws, row = self.ws, self.rows
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(row, col, value, self.fmt)
            elif isinstance(value, str):
                ws.write_string(row, col, value)
            else:
                ws.write_number(row, col, value)
        return self.rows


class CitizenCentreWriter:
    platform = "mszx"

    def __init__(self, out: Path, created: dt.datetime, max_rows: int = MAX_SHEET_ROWS) -> None:
        self.out = out
        self.created = created
        self.max_rows = max_rows
        self.books: list[tuple[Path, dict[str, Sheet]]] = []
        self._book: Any = None
        self._sheets: dict[str, Sheet] = {}
        self.sample_event: list[Any] | None = None
        self._open()

    def _open(self) -> None:
        if self._book is not None:
            self._book.close()
        path = self.out / f"mszx_{len(self.books) + 1:03d}.xlsx"
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        book.set_properties({"title": "民生服务中心办件导出", "author": "民生服务中心", "company": "平房区",
                             "created": self.created})
        fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheets: dict[str, Sheet] = {}
        if not self.books:
            note = book.add_worksheet("说明")
            for row, line in enumerate(NOTE_LINES):
                note.write_string(row, 0, line)
            sheets["说明"] = _NoteCount(len(NOTE_LINES))
        sheets["办件"] = Sheet(book, "办件", MSZX_CASES, fmt)
        sheets["办理过程"] = Sheet(book, "办理过程", MSZX_EVENTS, fmt)
        self._book, self._sheets = book, sheets
        self.books.append((path, sheets))

    @staticmethod
    def _time(case: Case, ts: dt.datetime | None) -> Any:
        if ts is None:
            return None
        return iso_seconds(ts) if scramble(case.index, 5) % 10 == 0 else ts

    def case_row(self, case: Case) -> list[Any]:
        return [case.case_no, case.item.code, case.dept_code, APPLICANT_TYPES["mszx"][case.party.kind],
                case.party.name, case.party.id_no, self._time(case, case.submitted_at),
                self._time(case, case.accepted_at), self._time(case, case.closed_at), case.close_result,
                case.fee_charged, case.receipt_no, LIST_SEPARATORS["mszx"].join(case.materials)]

    def event_rows(self, case: Case) -> list[tuple[dt.datetime, list[Any]]]:
        return [(e.ts, [case.case_no, ACTIVITY_LABELS["mszx"][e.activity], self._time(case, e.ts), e.actor,
                        case.dept_code, e.doc_type, e.doc_no, e.amount]) for e in case.events]

    def write_chunk(self, cases: list[Case]) -> None:
        pending: list[tuple[dt.datetime, int, list[Any]]] = []
        for case in cases:
            if case.platform != self.platform:
                continue
            events = self.event_rows(case)
            used = self._sheets["办理过程"].rows + len(pending)
            if used and used + len(events) + 1 > self.max_rows:
                self._flush(pending)
                pending = []
                self._open()
            self._sheets["办件"].write(self.case_row(case))
            pending += [(ts, len(pending) + k, row) for k, (ts, row) in enumerate(events)]
            if self.sample_event is None and case.scenario == "clean" and case.closed_at is not None and len(events) > 2:
                self.sample_event = events[1][1]
        self._flush(pending)

    def _flush(self, pending: list[tuple[dt.datetime, int, list[Any]]]) -> None:
        pending.sort(key=lambda r: (r[0], r[1]))
        sheet = self._sheets["办理过程"]
        for _, _, row in pending:
            sheet.write(row)

    def append(self, sheet: str, values: list[Any]) -> tuple[Path, int]:
        """Append a row to a sheet of the last workbook; returns (workbook, data row number)."""
        return self.books[-1][0], self._sheets[sheet].write(values)

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None

    def counts(self) -> list[tuple[Path, dict[str, int]]]:
        return [(path, {name: sheet.rows for name, sheet in sheets.items()}) for path, sheets in self.books]


class _NoteCount(Sheet):
    """Row count of the 说明 sheet (it has no header: every line is text)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
