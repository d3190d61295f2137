"""Per-platform export writers for the CSV and JSON-lines platforms, the reference data and the truth.

Each platform writer takes cases chunk by chunk: case rows in case order, event rows sorted by
time within the chunk (a stable sort, so tied events stay in process order, as the ingest engine
expects). Every writer counts its data rows for the manifest and can append deliberately bad rows
for ``--dirty`` (see :mod:`samples.dirty`), returning the row number each one got.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from samples import disclosures as pub
from samples.district import District
from samples.formats import (
    ACTIVITY_LABELS, APPLICANT_TYPES, LIST_SEPARATORS, chinese, iso_seconds, money, offset_iso, scramble,
    slash_minutes, sqzx_style,
)
from samples.model import Case, Event

QYZX_CASES = ["办件编号", "事项编码", "承办单位编码", "窗口号", "申请人类型", "申请人名称", "证件号码", "申请时间", "受理时间",
              "办结时间", "办理结果", "收费金额", "票据号", "提交材料"]
QYZX_EVENTS = ["办件编号", "环节名称", "办理时间", "办理人编号", "办理单位编码", "文书类型", "文书编号", "金额", "办理意见"]
SQZX_CASES = ["业务编号", "事项编码", "所属单位编码", "申请人类别", "申请人姓名", "证件号", "申请时间", "受理时间", "办结时间",
              "办理结果", "收费金额", "票据编号", "所交材料"]
SQZX_EVENTS = ["业务编号", "办理环节", "时间", "工作人员", "所属单位编码", "文书名称", "文书号", "金额"]
ZFBA_CASES = ["案件编号", "处罚事项编码", "执法单位编码", "当事人类型", "当事人", "证件号码", "案源登记时间", "结案时间", "处理结果",
              "违法行为代码", "裁量档次", "罚款金额", "案由", "决定书文号"]
ZFBA_EVENTS = ["案件编号", "办案环节", "环节时间", "执法人员", "执法单位编码", "文书名称", "文书编号", "金额"]
WSDT_CASES = ["apply_no", "item_code", "dept_code", "applicant_type", "applicant_name", "id_card", "apply_time",
              "accept_time", "finish_time", "result", "fee", "receipt_no", "materials"]
WSDT_EVENTS = ["apply_no", "node", "time", "handler", "dept_code", "doc_type", "doc_no", "amount", "channel", "comment"]
GSWZ = ["id", "system", "case_no", "decision_no", "publish_time", "withdraw_time", "url", "title", "party", "fine",
        "cause", "content"]
REF_DEPARTMENTS = ["单位编码", "单位名称", "单位类型"]
REF_ITEMS = ["事项编码", "事项名称", "事项类型", "实施单位编码", "法定时限", "承诺时限", "时限单位", "收费标准", "收费依据", "申请材料",
             "公示时限", "是否公开", "办理平台"]
REF_OFFICERS = ["人员编号", "姓名", "单位编码", "执法证号", "证件有效期起", "证件有效期止"]
REF_DISCRETION = ["违法行为代码", "裁量档次", "处罚事项编码", "违法情形", "罚款下限", "罚款上限"]


class Table:
    """One output file of rows (CSV with a header, or JSON lines); counts its data rows."""

    def __init__(self, path: Path, columns: Sequence[str], encoding: str = "utf-8", jsonl: bool = False) -> None:
        self.path = path
        self.columns = list(columns)
        self.jsonl = jsonl
        self.rows = 0
        self._handle: TextIO = path.open("w", encoding=encoding, newline="")
        self._csv = None if jsonl else csv.writer(self._handle, lineterminator="\r\n")
        if self._csv is not None:
            self._csv.writerow(self.columns)

    def write(self, row: Sequence[Any]) -> int:
        """Write one row (values in column order); returns its 1-based data row number."""
        if self._csv is not None:
            self._csv.writerow(row)
        else:
            record = dict(zip(self.columns, row))
            self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.rows += 1
        return self.rows

    def write_many(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.write(row)

    def close(self) -> None:
        self._handle.close()


class PlatformWriter:
    """Cases and events of one platform; subclasses map a case onto their columns."""

    platform = ""
    CASES: list[str] = []
    EVENTS: list[str] = []
    encoding = "utf-8"
    jsonl = False
    suffix = "csv"

    def __init__(self, out: Path) -> None:
        self.cases = Table(out / f"{self.platform}_cases.{self.suffix}", self.CASES, self.encoding, self.jsonl)
        self.events = Table(out / f"{self.platform}_events.{self.suffix}", self.EVENTS, self.encoding, self.jsonl)
        self.sample_event: list[Any] | None = None

    def case_row(self, case: Case) -> list[Any]:
        raise NotImplementedError

    def event_row(self, case: Case, event: Event, number: int) -> list[Any]:
        raise NotImplementedError

    def write_chunk(self, cases: list[Case]) -> None:
        rows: list[tuple[Any, int, list[Any]]] = []
        for case in cases:
            if case.platform != self.platform:
                continue
            self.cases.write(self.case_row(case))
            for number, event in enumerate(case.events):
                rows.append((event.ts, len(rows), self.event_row(case, event, number)))
            if self.sample_event is None and case.scenario == "clean" and case.closed_at is not None:
                review = [i for i, e in enumerate(case.events) if e.activity in ("REVIEW", "INVESTIGATE")]
                if review:
                    self.sample_event = self.event_row(case, case.events[review[0]], review[0])
        rows.sort(key=lambda r: (r[0], r[1]))
        self.events.write_many(row for _, _, row in rows)

    def tables(self) -> list[Table]:
        return [self.cases, self.events]

    def close(self) -> None:
        for table in self.tables():
            table.close()


class EnterpriseWriter(PlatformWriter):
    platform, CASES, EVENTS, encoding = "qyzx", QYZX_CASES, QYZX_EVENTS, "gbk"

    def case_row(self, case: Case) -> list[Any]:
        return [case.case_no, case.item.code, case.dept_code, case.window_no, APPLICANT_TYPES["qyzx"][case.party.kind],
                case.party.name, case.party.id_no, iso_seconds(case.submitted_at), iso_seconds(case.accepted_at),
                iso_seconds(case.closed_at), case.close_result, money(case.fee_charged), case.receipt_no,
                LIST_SEPARATORS["qyzx"].join(case.materials)]

    def event_row(self, case: Case, event: Event, number: int) -> list[Any]:
        return [case.case_no, ACTIVITY_LABELS["qyzx"][event.activity], iso_seconds(event.ts), event.actor,
                case.dept_code, event.doc_type, event.doc_no, money(event.amount), event.note]


class CommunityWriter(PlatformWriter):
    platform, CASES, EVENTS, encoding = "sqzx", SQZX_CASES, SQZX_EVENTS, "utf-8-sig"

    def case_row(self, case: Case) -> list[Any]:
        style, wide = sqzx_style(case)
        return [case.case_no, case.item.code, case.dept_code, APPLICANT_TYPES["sqzx"][case.party.kind],
                case.party.name, case.party.id_no, chinese(case.submitted_at, style, wide),
                chinese(case.accepted_at, style, wide), chinese(case.closed_at, style, wide), case.close_result,
                money(case.fee_charged), case.receipt_no, LIST_SEPARATORS["sqzx"].join(case.materials)]

    def event_row(self, case: Case, event: Event, number: int) -> list[Any]:
        style, wide = sqzx_style(case)
        return [case.case_no, ACTIVITY_LABELS["sqzx"][event.activity], chinese(event.ts, style, wide), event.actor,
                case.dept_code, event.doc_type, event.doc_no, money(event.amount)]


class EnforcementWriter(PlatformWriter):
    platform, CASES, EVENTS, encoding = "zfba", ZFBA_CASES, ZFBA_EVENTS, "gb18030"

    def case_row(self, case: Case) -> list[Any]:
        return [case.case_no, case.item.code, case.dept_code, APPLICANT_TYPES["zfba"][case.party.kind],
                case.party.name, case.party.id_no, slash_minutes(case.submitted_at), slash_minutes(case.closed_at),
                case.close_result, case.violation_code, case.discretion_level, money(case.fine_amount), case.cause,
                case.decision_no]

    def event_row(self, case: Case, event: Event, number: int) -> list[Any]:
        return [case.case_no, ACTIVITY_LABELS["zfba"][event.activity], slash_minutes(event.ts),
                LIST_SEPARATORS["zfba"].join(event.officers), case.dept_code, event.doc_type, event.doc_no,
                money(event.amount)]


class OnlineHallWriter(PlatformWriter):
    platform, CASES, EVENTS, jsonl, suffix = "wsdt", WSDT_CASES, WSDT_EVENTS, True, "jsonl"

    @staticmethod
    def _utc(case: Case, number: int) -> bool:
        return scramble(case.index, number) % 5 == 0  # about a fifth of the rows come from the cloud front end

    def case_row(self, case: Case) -> list[Any]:
        utc = self._utc(case, 99)
        return [case.case_no, case.item.code, case.dept_code, APPLICANT_TYPES["wsdt"][case.party.kind],
                case.party.name, case.party.id_no, offset_iso(case.submitted_at, utc),
                offset_iso(case.accepted_at, utc), offset_iso(case.closed_at, utc), case.close_result or None,
                case.fee_charged, case.receipt_no or None, list(case.materials)]

    def event_row(self, case: Case, event: Event, number: int) -> list[Any]:
        channel = ("移动端" if case.index % 3 == 0 else "网站") if event.activity == "SUBMIT" else "后台"
        return [case.case_no, ACTIVITY_LABELS["wsdt"][event.activity], offset_iso(event.ts, self._utc(case, number)),
                event.actor or None, case.dept_code, event.doc_type or None, event.doc_no or None, event.amount,
                channel, event.note or None]


class DisclosureWriter:
    """政府网站公示栏: one JSON line per published result."""

    def __init__(self, out: Path) -> None:
        self.table = Table(out / "gswz_disclosures.jsonl", GSWZ, jsonl=True)

    def write_chunk(self, cases: list[Case]) -> None:
        rows: list[tuple[Any, int, list[Any]]] = []
        for case in cases:
            for d in case.disclosures:
                rows.append((d.published_at, len(rows), [
                    d.disclosure_id, case.platform, case.case_no, d.decision_no, iso_seconds(d.published_at),
                    iso_seconds(d.withdrawn_at) or None, pub.url(d), d.title, d.party_name, d.fine, d.cause,
                    d.content]))
        rows.sort(key=lambda r: (r[0], r[1]))
        self.table.write_many(row for _, _, row in rows)

    def tables(self) -> list[Table]:
        return [self.table]

    def close(self) -> None:
        self.table.close()


def write_reference(out: Path, district: District) -> list[Table]:
    """departments.csv, items.csv, officers.csv and discretion.csv (UTF-8, Chinese headers)."""
    out.mkdir(parents=True, exist_ok=True)
    sep = LIST_SEPARATORS["reference"]
    tables = [Table(out / name, cols) for name, cols in (
        ("departments.csv", REF_DEPARTMENTS), ("items.csv", REF_ITEMS), ("officers.csv", REF_OFFICERS),
        ("discretion.csv", REF_DISCRETION))]
    departments, items, officers, discretion = tables
    departments.write_many([d.code, d.name, d.unit_kind] for d in district.departments)
    for i in district.items:
        items.write([i.code, i.name, i.kind, i.dept_code, _opt(i.legal_limit), _opt(i.promised_limit),
                     i.limit_unit or "", f"{i.fee_standard}.00", i.fee_basis, sep.join(i.required_materials),
                     _opt(i.disclosure_limit), "是" if i.published else "否", sep.join(i.platforms)])
    for o in district.officers:
        officers.write([o.officer_id, o.name, o.dept_code, o.cert_no, _date(o.valid_from), _date(o.valid_to)])
    for r in district.discretion:
        discretion.write([r.violation_code, r.level, r.item_code, r.description, f"{r.min_fine}.00",
                          f"{r.max_fine}.00"])
    for table in tables:
        table.close()
    return tables


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def _date(value: object) -> str:
    return "" if value is None else str(value)
