"""Normalisation in SQL, one conversion at a time: times in each time-zone mode, full-width text,
amounts, lists, value maps, identity numbers; and flat event logs whose cases come from their rows."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.api import IngestReport, ingest_paths
from ingest.normalise import ASCII, FULLWIDTH, PIPELINES
from sunlight import db
from sunlight.config import Settings

MAPPING = """platform: t
title: 测试平台
reference:
  departments: [{dept_code: D1, name: 测试部门, unit_kind: 区直部门}]
  items: [{item_code: I1, name: 测试事项, kind: 行政许可, dept_code: D1, fee_standard: 0, published: true, platforms: [t]}]
files:
"""
CASES = """  - record: cases
    format: csv
    fields: {source_case_no: number, item_code: item, dept_code: dept, submitted_at: submitted, fee_charged: fee,
             materials: materials, applicant_id: id, applicant_type: type}
    constants: {case_kind: service}
    values: {applicant_type: {个人: person, 单位: org}}
"""
HEADER = "number,item,dept,submitted,fee,materials,id,type\n"


def load(tmp_path: Path, entry: str, body: str, settings: Settings | None = None) -> tuple[duckdb.DuckDBPyConnection,
                                                                                          IngestReport]:
    mapping = tmp_path / "t.yaml"
    mapping.write_text(MAPPING + entry, encoding="utf-8")
    data = tmp_path / "t_cases.csv"
    data.write_text(body, encoding="utf-8")
    con = db.memory()
    return con, ingest_paths(con, [data], settings or Settings(), [mapping])


def one_case(tmp_path: Path, extra: str, row: str, settings: Settings | None = None) -> tuple[tuple[object, ...] | None,
                                                                                            str | None]:
    con, _ = load(tmp_path, CASES + extra, HEADER + row + "\n", settings)
    found = con.execute("SELECT submitted_at, fee_charged, materials, applicant_type, applicant_id_masked,"
                        " applicant_id_hash FROM cases").fetchall()
    reason = con.execute("SELECT reason FROM quarantine WHERE file_name = 't_cases.csv'").fetchall()
    return (found[0] if found else None), (reason[0][0] if reason else None)


TIMES = [
    ("iso, local", '["iso8601"]', "local", "2026-03-01 10:00:00", dt.datetime(2026, 3, 1, 10)),
    ("iso with Z under local", '["iso8601"]', "local", "2026-03-01T02:00:00Z", dt.datetime(2026, 3, 1, 10)),
    ("naive under utc", '["%Y-%m-%d %H:%M"]', "utc", "2026-03-01 02:00", dt.datetime(2026, 3, 1, 10)),
    ("utc evening is the next local day", '["%Y-%m-%d %H:%M"]', "utc", "2026-03-01 22:30", dt.datetime(2026, 3, 2, 6, 30)),
    ("offset +08:00", '["iso8601"]', "offset", "2026-03-01T10:00:00+08:00", dt.datetime(2026, 3, 1, 10)),
    ("offset -05:00", '["iso8601"]', "offset", "2026-03-01T10:00:00-05:00", dt.datetime(2026, 3, 1, 23)),
    ("milliseconds", '["iso8601"]', "offset", "2011-10-11T13:45:40.276+02:00", dt.datetime(2011, 10, 11, 19, 45, 40, 276000)),
    ("strftime with %z", '["%Y/%m/%d %H:%M %z"]', "offset", "2026/03/01 10:00 +0100", dt.datetime(2026, 3, 1, 17)),
    ("Chinese, full-width digits and colon", '["%Y年%m月%d日 %H:%M"]', "local", "２０２６年３月１日 １０：００",
     dt.datetime(2026, 3, 1, 10)),
    ("second of two formats", '["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"]', "local", "2026/03/01 10:00", dt.datetime(2026, 3, 1, 10)),
    ("no offset under offset", '["iso8601"]', "offset", "2026-03-01T10:00:00", "时间缺少时区偏移：「2026-03-01T10:00:00」"),
    ("not a time", '["iso8601"]', "local", "yesterday", "时间无法解析：「yesterday」"),
    ("February 30th", '["%Y-%m-%d %H:%M"]', "local", "2026-02-30 09:00", "时间无法解析：「2026-02-30 09:00」"),
]


@pytest.mark.parametrize(("name", "formats", "zone", "value", "expected"), TIMES, ids=[t[0] for t in TIMES])
def test_times(tmp_path: Path, name: str, formats: str, zone: str, value: str, expected: object) -> None:
    row, reason = one_case(tmp_path, f"    timestamp_formats: {formats}\n    timezone: {zone}\n",
                           f"C1,I1,D1,{value},,,,")
    if isinstance(expected, dt.datetime):
        assert reason is None and row is not None and row[0] == expected
    else:
        assert row is None and reason is not None and reason.startswith(str(expected))


VALUES = [
    ("amount with separators", "fee", "\"1,200.50\"", ("fee", Decimal("1200.50"))),
    ("full-width amount", "fee", "１２", ("fee", Decimal("12.00"))),
    ("amount with a currency sign", "fee", "¥30元", ("fee", Decimal("30.00"))),
    ("not an amount", "fee", "十元", "不是有效的金额：「十元」"),
    ("list", "materials", "a；b；；c ", ("materials", ["a", "b", "c"])),
    ("JSON list", "materials", '"[""x"", ""y""]"', ("materials", ["x", "y"])),
    ("empty list", "materials", "", ("materials", None)),
    ("mapped value", "type", "个人", ("type", "person")),
    ("already canonical value", "type", "org", ("type", "org")),
    ("value outside the map", "type", "外星", "取值「外星」不在映射的 values 中"),
]
COLUMN = {"fee": 1, "materials": 2, "type": 3}
ORDER = ["fee", "materials", "id", "type"]


@pytest.mark.parametrize(("name", "column", "cell", "expected"), VALUES, ids=[v[0] for v in VALUES])
def test_values(tmp_path: Path, name: str, column: str, cell: str, expected: object) -> None:
    cells = {c: "" for c in ORDER}
    cells[column] = cell
    row, reason = one_case(tmp_path, "", "C1,I1,D1,2026-03-01 10:00:00," + ",".join(cells[c] for c in ORDER))
    if isinstance(expected, tuple):
        assert reason is None and row is not None and row[COLUMN[expected[0]]] == expected[1]
    else:
        assert row is None and reason is not None and reason.startswith(str(expected))


def test_identity_number_is_folded_masked_and_hashed(tmp_path: Path) -> None:
    row, _ = one_case(tmp_path, "", "C1,I1,D1,2026-03-01 10:00:00,,,２３０１０８１９９００１０１１２３ｘ,")
    assert row is not None
    assert row[4] == "2301**********123X"
    assert row[5] == hashlib.sha256(b"23010819900101123X").hexdigest()


def test_short_identity_numbers_are_all_asterisks(tmp_path: Path) -> None:
    row, _ = one_case(tmp_path, "", "C1,I1,D1,2026-03-01 10:00:00,,,A1234567,")
    assert row is not None and row[4] == "********"


def test_fullwidth_table_maps_every_printable_character() -> None:
    assert len(FULLWIDTH) == len(ASCII) == 95
    assert "Ｑ０１：".translate(str.maketrans(FULLWIDTH, ASCII)) == "Q01:"


def test_every_record_has_a_pipeline() -> None:
    assert set(PIPELINES) == {"departments", "items", "officers", "discretion", "cases", "events", "disclosures"}


LOG = """  - record: log
    format: csv
    case_fields: {applicant_name: who}
    event_fields: {source_case_no: case, activity: act, ts: time, actor_id: by}
    constants: {item_code: I1, dept_code: D1, case_kind: service}
    timestamp_formats: ["%Y-%m-%d %H:%M:%S"]
    timezone: utc
    attrs: [note]
    activities: {register: SUBMIT, accept: ACCEPT, decide: DECIDE}
"""


def test_flat_event_log_takes_cases_from_first_rows(tmp_path: Path) -> None:
    body = ("case,act,time,by,who,note\n"
            "A,register,2026-03-01 01:00:00,u1,张三,\n"
            "A,accept,2026-03-01 01:00:00,u2,李四,tie\n"
            "B,register,2026-03-02 01:00:00,u1,王五,\n"
            "A,decide,2026-03-03 23:00:00,u3,,\n"
            "B,reject,2026-03-02 02:00:00,u1,,\n")
    con, report = load(tmp_path, LOG, body)
    counts = {f.name: {k: vars(c) for k, c in f.counts.items()} for f in report.files}
    assert counts["t_cases.csv"] == {"events": {"read": 5, "loaded": 4, "quarantined": 1}}
    assert con.execute("SELECT case_id, applicant_name, source_row FROM cases ORDER BY case_id").fetchall() == [
        ("t:A", "张三", 1), ("t:B", "王五", 3)]
    assert con.execute("SELECT seq, activity, ts, attrs::VARCHAR FROM events WHERE case_id = 't:A' ORDER BY seq").fetchall() == [
        (1, "SUBMIT", dt.datetime(2026, 3, 1, 9), None), (2, "ACCEPT", dt.datetime(2026, 3, 1, 9), '{"note":"tie"}'),
        (3, "DECIDE", dt.datetime(2026, 3, 4, 7), None)]
    assert con.execute("SELECT row_number, reason FROM quarantine").fetchall() == [(5, "未知的环节名称「reject」")]


def test_flat_log_events_of_a_failed_case_say_why(tmp_path: Path) -> None:
    entry = LOG.replace("constants: {item_code: I1,", "case_fields: {applicant_name: who, item_code: item}\n"
                        "    constants: {").replace("    case_fields: {applicant_name: who}\n", "")
    body = "case,act,time,by,who,note,item\nA,register,2026-03-01 01:00:00,u1,张三,,I9\nA,accept,2026-03-01 02:00:00,u1,,,I1\n"
    con, report = load(tmp_path, entry, body)
    log = next(f for f in report.files if f.name == "t_cases.csv")
    assert (log.read, log.loaded, log.quarantined) == (2, 0, 2)
    reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY row_number").fetchall()]
    assert reasons == ["所属办件「t:A」未载入：事项编码「I9」不在事项目录中（t_cases.csv 第 1 行）"] * 2
