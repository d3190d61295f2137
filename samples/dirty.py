"""``--dirty``: deliberately bad rows appended to the exports, and the quarantine they should cause.

Every bad row belongs to an extra case that is bad through and through (its case row is bad, or it
has no case row at all), or is an exact copy of a row already written. So the ground truth does not
change whether the ingest engine quarantines them or not. Where a row has two faults (an event with
an unknown activity whose case does not exist), the reason listed is the row's own fault, which a
row-by-row validation finds first; the ``detail`` column says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from samples.writers import DisclosureWriter, PlatformWriter
from samples.xes import UnifiedOfficeWriter, _attr
from samples.xlsx import CitizenCentreWriter

UNKNOWN_ACTIVITY = "unknown_activity"
UNPARSEABLE_TIME = "unparseable_time"
MISSING_REQUIRED = "missing_required"
DUPLICATE_EVENT = "duplicate_event"
UNKNOWN_CASE = "unknown_case"
UNKNOWN_ITEM = "unknown_item"


@dataclass(frozen=True)
class BadRow:
    file: str
    sheet: str
    row_number: int
    record: str
    reason: str
    case_no: str
    detail: str

    def as_row(self) -> list[Any]:
        return [self.file, self.sheet, self.row_number, self.record, self.reason, self.case_no, self.detail]


COLUMNS = ["file", "sheet", "row_number", "record", "reason", "case_no", "detail"]

# Per platform: (bad case-number prefix, an unknown item, an unknown activity, a valid submit label,
# a valid time, an impossible time, a known item, a known unit).
PROFILES: dict[str, dict[str, str]] = {
    "qyzx": {"prefix": "QY2026X9", "item": "230108-XK-999-001", "activity": "电话回访", "submit": "收件",
             "time": "2026-03-02 09:15:00", "bad_time": "2026-02-30 09:15:00", "known_item": "230108-XK-122-001",
             "dept": "230108122"},
    "sqzx": {"prefix": "SQ2012026X9", "item": "230108-FW-201-999", "activity": "上门走访", "submit": "收件",
             "time": "2026年3月2日 09:15", "bad_time": "2026年2月30日 09:15", "known_item": "230108-FW-201-001",
             "dept": "230108201"},
    "wsdt": {"prefix": "WS20260302X9", "item": "230108-FW-999-001", "activity": "call_back", "submit": "submit",
             "time": "2026-03-02T09:15:00+08:00", "bad_time": "2026-02-30T09:15:00+08:00",
             "known_item": "230108-FW-101-001", "dept": "230108101"},
    "zfba": {"prefix": "ZF1222026X9", "item": "230108-CF-999-001", "activity": "约谈", "submit": "立案",
             "time": "2026/03/02 09:15", "bad_time": "2026/02/30 09:15", "known_item": "230108-CF-122-001",
             "dept": "230108122"},
    "mszx": {"prefix": "MS2026-X9", "item": "230108-FW-106-999", "activity": "电话回访", "submit": "申请",
             "time": "2026-03-02 09:15:00", "bad_time": "2026-02-30 09:15:00", "known_item": "230108-FW-106-001",
             "dept": "230108106"},
}


def _case_values(platform: str, columns: list[str], no: str, item: str, submitted: str | None) -> list[Any]:
    """A case row: case number, item, unit and submission time filled in, the rest blank."""
    p = PROFILES[platform]
    row: list[Any] = [None if platform == "wsdt" else ""] * len(columns)
    row[0], row[1], row[2] = no, item, p["dept"]
    time_col = {"qyzx": 7, "sqzx": 6, "wsdt": 6, "zfba": 6, "mszx": 6}[platform]
    row[time_col] = submitted if submitted is not None else (None if platform == "wsdt" else "")
    return row


def _event_values(platform: str, columns: list[str], no: str, activity: str, ts: str | None) -> list[Any]:
    row: list[Any] = [None if platform == "wsdt" else ""] * len(columns)
    row[0], row[1], row[2] = no, activity, ts if ts is not None else (None if platform == "wsdt" else "")
    return row


Planned = list[tuple[str, str, str | None, str, str]]


def _plan(platform: str) -> tuple[Planned, Planned]:
    """(case rows, event rows) as (case no, item or activity, time, reason, detail)."""
    p = PROFILES[platform]
    n = p["prefix"]
    cases: Planned = [
        (f"{n}00001", p["item"], p["time"], UNKNOWN_ITEM, "item code not in the catalogue; the case has no events"),
        (f"{n}00002", p["known_item"], None, MISSING_REQUIRED, "submission time is empty"),
        (f"{n}00003", p["known_item"], p["bad_time"], UNPARSEABLE_TIME, "February 30th"),
    ]
    events: Planned = [
        (f"{n}00004", p["activity"], p["time"], UNKNOWN_ACTIVITY, "activity not in the mapping; its case does not exist either"),
        (f"{n}00005", p["submit"], p["bad_time"], UNPARSEABLE_TIME, "February 30th; its case does not exist either"),
        (f"{n}00006", "", p["time"], MISSING_REQUIRED, "activity is empty; its case does not exist either"),
        (f"{n}00007", p["submit"], p["time"], UNKNOWN_CASE, "no case row with this number in any file"),
    ]
    return cases, events


def append_tabular(writer: PlatformWriter) -> list[BadRow]:
    platform = writer.platform
    cases, events = _plan(platform)
    bad: list[BadRow] = []
    for no, item, ts, reason, detail in cases:
        row = writer.cases.write(_case_values(platform, writer.CASES, no, item, ts))
        bad.append(BadRow(writer.cases.path.name, "", row, "cases", reason, no, detail))
    for no, activity, ts, reason, detail in events:
        row = writer.events.write(_event_values(platform, writer.EVENTS, no, activity, ts))
        bad.append(BadRow(writer.events.path.name, "", row, "events", reason, no, detail))
    if writer.sample_event is not None:
        row = writer.events.write(writer.sample_event)
        bad.append(BadRow(writer.events.path.name, "", row, "events", DUPLICATE_EVENT, str(writer.sample_event[0]),
                          "exact copy of an earlier row"))
    return bad


def append_workbook(writer: CitizenCentreWriter) -> list[BadRow]:
    from samples.xlsx import MSZX_CASES, MSZX_EVENTS

    cases, events = _plan("mszx")
    bad: list[BadRow] = []
    for no, item, ts, reason, detail in cases:
        path, row = writer.append("办件", _case_values("mszx", MSZX_CASES, no, item, ts))
        bad.append(BadRow(path.name, "办件", row, "cases", reason, no, detail))
    for no, activity, ts, reason, detail in events:
        path, row = writer.append("办理过程", _event_values("mszx", MSZX_EVENTS, no, activity, ts))
        bad.append(BadRow(path.name, "办理过程", row, "events", reason, no, detail))
    if writer.sample_event is not None:
        path, row = writer.append("办理过程", list(writer.sample_event))
        bad.append(BadRow(path.name, "办理过程", row, "events", DUPLICATE_EVENT, str(writer.sample_event[0]),
                          "exact copy of an earlier row"))
    return bad


def append_xes(writer: UnifiedOfficeWriter) -> list[BadRow]:
    """Whole bad traces (row_number = trace number); they have no events."""
    bad: list[BadRow] = []
    specs = [
        ("XT-2026-X900001", "230108-XK-999-001", "2026-03-02T01:15:00.000Z", UNKNOWN_ITEM, "item code not in the catalogue"),
        ("XT-2026-X900002", "230108-XK-114-001", None, MISSING_REQUIRED, "no submitted_at attribute"),
        ("XT-2026-X900003", "230108-XK-114-001", "2026-02-30T01:15:00.000Z", UNPARSEABLE_TIME, "February 30th"),
    ]
    for no, item, submitted, reason, detail in specs:
        lines = ["  <trace>", "    " + _attr("string", "concept:name", no), "    " + _attr("string", "item_code", item),
                 "    " + _attr("string", "dept_code", "230108114")]
        if submitted is not None:
            lines.append("    " + _attr("date", "submitted_at", submitted))
        number = writer.write_trace(lines, 0)
        bad.append(BadRow(writer.path.name, "", number, "cases", reason, no, detail + "; the trace has no events"))
    return bad


def append_disclosures(writer: DisclosureWriter) -> list[BadRow]:
    table = writer.table
    bad: list[BadRow] = []
    specs = [
        ("GSX000000001", "2026-03-02 10:00:00", None, MISSING_REQUIRED, "content is empty"),
        ("GSX000000002", "2026-02-30 10:00:00", "行政处罚决定公示。", UNPARSEABLE_TIME, "February 30th"),
    ]
    for ident, published, content, reason, detail in specs:
        row = table.write([ident, "zfba", "ZF1222026X900008", "平市监罚决字〔2026〕第999999号", published, None, None,
                           "行政处罚决定公示", None, None, None, content])
        bad.append(BadRow(table.path.name, "", row, "disclosures", reason, "ZF1222026X900008", detail))
    return bad
