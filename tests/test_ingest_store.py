"""Bookkeeping: the previous load of a file, deleting what it loaded, sequence numbers by time and
source order, and the dates a load brought."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest import store
from ingest.api import ingest_paths
from sunlight import db
from sunlight.config import Settings

DISTRICT = Path(__file__).parent / "data" / "ingest" / "district"
EVENTS_HEADER = "办件编号,环节名称,办理时间,办理人编号,办理单位编码,文书类型,文书编号,金额,办理意见\n"


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    exports = tmp_path / "exports"
    shutil.copytree(DISTRICT, exports)
    con = db.memory()
    ingest_paths(con, [exports], Settings())
    return con, exports


def events_file(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text(EVENTS_HEADER + "".join(r + "\n" for r in rows), encoding="gbk")
    return path


def sequence(con: duckdb.DuckDBPyConnection, case_id: str) -> list[tuple[object, ...]]:
    return con.execute("SELECT seq, activity, source_file FROM events WHERE case_id = ? ORDER BY seq", [case_id]).fetchall()


def test_previous_load_of_a_file(loaded: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, _ = loaded
    found = store.previous(con, "qyzx_cases.csv")
    assert found is not None and found.load_id == 1 and len(found.sha256) == 64
    assert store.previous(con, "nothing.csv") is None


def test_delete_file_rows_removes_rows_and_quarantine(loaded: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, _ = loaded
    con.execute("INSERT INTO quarantine VALUES (1, 'qyzx_events.csv', 99, '{}', '测试', NULL, NULL, 'events')")
    assert store.delete_file_rows(con, "qyzx_events.csv") == 9
    assert con.execute("SELECT count(*) FROM events WHERE source_file = 'qyzx_events.csv'").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_ties_across_files_of_one_load_follow_file_order(tmp_path: Path) -> None:
    con = db.memory()
    folder = tmp_path / "x"
    shutil.copytree(DISTRICT, folder)
    events_file(folder, "qyzx_events_a.csv", ["Q0003,收费,2026-03-04 15:00:00,U04,D01,,,5,"])
    events_file(folder, "qyzx_events_b.csv", ["Q0003,办结,2026-03-04 15:00:00,U04,D01,,,,"])
    ingest_paths(con, [folder], Settings())
    # same time as the REFUSE in qyzx_events.csv: the files' load order, which is path order
    # ("qyzx_events.csv" < "qyzx_events_a.csv" < "qyzx_events_b.csv")
    assert sequence(con, "qyzx:Q0003") == [(1, "REFUSE", "qyzx_events.csv"), (2, "CHARGE", "qyzx_events_a.csv"),
                                           (3, "CLOSE", "qyzx_events_b.csv")]


def test_ties_follow_argument_order_too(tmp_path: Path) -> None:
    con = db.memory()
    folder = tmp_path / "x"
    shutil.copytree(DISTRICT, folder)
    late = events_file(tmp_path, "qyzx_events_a.csv", ["Q0003,收费,2026-03-04 15:00:00,U04,D01,,,5,"])
    ingest_paths(con, [late, folder], Settings())
    assert sequence(con, "qyzx:Q0003") == [(1, "CHARGE", "qyzx_events_a.csv"), (2, "REFUSE", "qyzx_events.csv")]


def test_ties_across_loads_follow_load_order(loaded: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, folder = loaded
    ingest_paths(con, [events_file(folder, "qyzx_events_late.csv", ["Q0003,收费,2026-03-04 15:00:00,U04,D01,,,5,"])],
                 Settings())
    assert sequence(con, "qyzx:Q0003") == [(1, "REFUSE", "qyzx_events.csv"), (2, "CHARGE", "qyzx_events_late.csv")]


def test_removing_events_renumbers_the_case(loaded: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, folder = loaded
    path = folder / "qyzx_events.csv"
    text = path.read_text(encoding="gbk").replace("Q0001,审查,2026-03-05 10:00:00,U02,D02,,,,\n", "")
    path.write_text(text, encoding="gbk")
    ingest_paths(con, [path], Settings())
    assert [r[:2] for r in sequence(con, "qyzx:Q0001")] == [(1, "SUBMIT"), (2, "ACCEPT"), (3, "DECIDE"), (4, "CLOSE")]


def test_date_range_of_a_load(loaded: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, _ = loaded
    assert store.date_range(con, 1) == (dt.date(2026, 3, 2), dt.date(2026, 3, 12))
    assert store.date_range(con, 99) is None
