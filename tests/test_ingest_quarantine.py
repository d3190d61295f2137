"""Reading the quarantine back: rows, counts, and counts per kind of reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.api import ingest_paths
from ingest.quarantine import count_rows, list_rows, reasons
from sunlight import db
from sunlight.config import Settings

DISTRICT = Path(__file__).parent / "data" / "ingest" / "district"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    exports = tmp_path / "exports"
    shutil.copytree(DISTRICT, exports)
    events = exports / "sqzx_events.csv"
    events.write_text(events.read_text(encoding="utf-8-sig") + "SQ001,撤件,2026年3月7日 10:00,U31,S01,,,\n"
                      "SQ001,撤回,2026年3月7日 10:00,U31,S01,,,\nSQ999,受理,2026年3月7日 10:00,U31,S01,,,\n",
                      encoding="utf-8-sig")
    cases = exports / "qyzx_cases.csv"
    cases.write_text(cases.read_text(encoding="gbk") + "Q0009,I99,D01,W01,自然人,某,,2026-03-03 09:00:00,,,,,,\n",
                     encoding="gbk")
    connection = db.memory()
    ingest_paths(connection, [exports], Settings())
    return connection


def test_rows_in_file_and_row_order(con: duckdb.DuckDBPyConnection) -> None:
    rows = list_rows(con)
    assert [(r.file_name, r.record_label, r.row_number, r.column) for r in rows] == [
        ("qyzx_cases.csv", "办件", 4, "事项编码"), ("sqzx_events.csv", "办理过程", 6, "办理环节"),
        ("sqzx_events.csv", "办理过程", 7, "办理环节"), ("sqzx_events.csv", "办理过程", 8, "业务编号")]
    assert rows[0].hint and rows[0].raw.startswith('{"办件编号":"Q0009"')


def test_one_file_and_a_limit(con: duckdb.DuckDBPyConnection) -> None:
    assert count_rows(con) == 4 and count_rows(con, "sqzx_events.csv") == 3
    assert [r.row_number for r in list_rows(con, "sqzx_events.csv", limit=2)] == [6, 7]


def test_counts_per_kind_of_reason(con: duckdb.DuckDBPyConnection) -> None:
    assert reasons(con) == [("未知的环节名称", 2), ("事项编码", 1), ("所属办件", 1)]
