"""Parquet exports: typed columns arrive as text and load through a user mapping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from ingest.api import ingest_paths
from sunlight import db
from sunlight.config import Settings

MAPPING = """platform: pq
title: Parquet 日志
reference:
  departments: [{dept_code: D1, name: 测试部门, unit_kind: 区直部门}]
  items: [{item_code: I1, name: 测试事项, kind: 行政许可, dept_code: D1, fee_standard: 0, published: true, platforms: [pq]}]
files:
  - record: log
    format: parquet
    case_fields: {submitted_at: opened}
    event_fields: {source_case_no: case_id, activity: activity, ts: ts, amount: fee}
    constants: {item_code: I1, dept_code: D1, case_kind: service}
    timezone: utc
    attrs: [tags]
    activities: {open: SUBMIT, pay: CHARGE}
"""


def test_parquet_event_log(tmp_path: Path) -> None:
    data = tmp_path / "log.parquet"
    duckdb.execute(
        "COPY (SELECT * FROM (VALUES (1, 'open', TIMESTAMP '2026-03-01 23:30:00', NULL::DECIMAL(10,2), ['a', 'b'],"
        " DATE '2026-03-01'), (1, 'pay', TIMESTAMP '2026-03-02 01:00:00', 12.5, NULL, NULL),"
        " (2, 'open', TIMESTAMP '2026-03-02 02:00:00', NULL, [], DATE '2026-03-02'))"
        " t(case_id, activity, ts, fee, tags, opened)) TO '" + str(data).replace("'", "''") + "' (FORMAT parquet)")
    mapping = tmp_path / "pq.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    con = db.memory()
    report = ingest_paths(con, [data], Settings(), [mapping])
    log = next(f for f in report.files if f.name == "log.parquet")
    assert (log.outcome, log.read, log.loaded, log.quarantined) == ("loaded", 3, 3, 0)
    assert con.execute("SELECT case_id, submitted_at FROM cases ORDER BY 1").fetchall() == [
        ("pq:1", dt.datetime(2026, 3, 1, 8)), ("pq:2", dt.datetime(2026, 3, 2, 8))]
    assert con.execute("SELECT seq, activity, ts, amount, attrs::VARCHAR, source_row FROM events WHERE case_id = 'pq:1'"
                       " ORDER BY seq").fetchall() == [
        (1, "SUBMIT", dt.datetime(2026, 3, 2, 7, 30), None, '{"tags":"[\\"a\\",\\"b\\"]"}', 1),
        (2, "CHARGE", dt.datetime(2026, 3, 2, 9), 12.5, None, 2)]


def test_a_damaged_parquet_file_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "log.parquet"
    data.write_bytes(b"PAR1" + b"\x00" * 64)
    mapping = tmp_path / "pq.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    report = ingest_paths(db.memory(), [data], Settings(), [mapping])
    assert [f.outcome for f in report.files] == ["refused"]
    assert report.files[0].message.startswith("Parquet 文件已损坏或不完整：")
