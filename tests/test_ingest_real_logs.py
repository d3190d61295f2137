"""XES import on two real public logs (tests/data/real, with their origin and citation), with the user
mappings in ingest/mappings/contrib: every trace and event reconciles, offsets become local
Asia/Shanghai times, and ties in time keep source order in seq."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingest.api import IngestReport, ingest_paths
from ingest.mapping import load_mapping
from sunlight import db
from sunlight.calendar import template
from sunlight.config import Settings
from sunlight.errors import CalendarError

REPO = Path(__file__).resolve().parents[1]
REAL_LOGS = Path(__file__).resolve().parent / "data" / "real"
CONTRIB = REPO / "ingest" / "mappings" / "contrib"


def real_log(name: str) -> Path:
    path = REAL_LOGS / name
    if not path.exists():
        pytest.fail(f"real log {name} not found in {REAL_LOGS} (tests/data/real/README.md lists the two logs)")
    return path


@pytest.fixture(scope="module")
def override(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Weekends off for 2000-2003, which chinese_calendar does not cover (test data only)."""
    path = tmp_path_factory.mktemp("calendar") / "2000-2003.csv"
    body = "".join(template(year).split("\n", 1)[1] for year in range(2000, 2004))
    path.write_text("date,is_workday,note\n" + body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(override: Path) -> tuple[duckdb.DuckDBPyConnection, IngestReport]:
    con = db.memory()
    mappings = [load_mapping(CONTRIB / "wabo_receipt.yaml"), load_mapping(CONTRIB / "road_traffic_fines.yaml")]
    report = ingest_paths(con, [real_log("wabo-receipt.xes.gz"), real_log("road-traffic-fines-100.xes")],
                          Settings(calendar_override=override), mappings)
    return con, report


def counts(report: IngestReport, name: str) -> dict[str, dict[str, int]]:
    found = next(f for f in report.files if f.name == name)
    return {record: vars(c) for record, c in found.counts.items()}


@pytest.mark.parametrize(
    ("name", "cases", "events"),
    [("wabo-receipt.xes.gz", 1434, 8577), ("road-traffic-fines-100.xes", 100, 390)],
)
def test_every_trace_and_event_reconciles(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport], name: str,
                                          cases: int, events: int) -> None:
    con, report = loaded
    assert counts(report, name) == {
        "cases": {"read": cases, "loaded": cases, "quarantined": 0},
        "events": {"read": events, "loaded": events, "quarantined": 0},
    }
    row = con.execute("SELECT rows_read, rows_loaded, rows_quarantined, outcome FROM load_files WHERE file_name = ?",
                      [name]).fetchall()
    assert row == [(cases + events, cases + events, 0, "loaded")]
    assert con.execute("SELECT count(*), count(DISTINCT case_id) FROM events WHERE source_file = ?",
                       [name]).fetchall() == [(events, cases)]


def test_mapping_reference_rows_load_first(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport]) -> None:
    con, report = loaded
    assert [f.name for f in report.files[:2]] == ["wabo_receipt.yaml:reference", "road_traffic_fines.yaml:reference"]
    assert con.execute("SELECT item_code, kind FROM items ORDER BY item_code").fetchall() == [
        ("ROAD-FINE", "行政处罚"), ("WABO-RECEIPT", "行政许可")]


def test_every_activity_name_is_translated(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport]) -> None:
    con, _ = loaded
    rows = con.execute("SELECT source_system, count(DISTINCT source_activity) FROM events GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("roadfines", 10), ("wabo", 27)]
    assert con.execute("SELECT activity, count(*) FROM events WHERE source_system = 'roadfines' GROUP BY 1 ORDER BY 1"
                       ).fetchall() == [("CHARGE", 58), ("DELIVER", 79), ("EXECUTE", 93), ("HEARING", 3),
                                        ("NOTIFY", 57), ("PENALTY_DECISION", 100)]


@pytest.mark.parametrize(
    ("case_id", "seq", "written", "local"),
    [
        # day-resolution times written as local midnight with an offset: 23:00Z / 22:00Z the day
        # before, so the UTC date is one day earlier than the local one
        ("roadfines:N77802", 1, "2005-03-23T00:00:00.000+01:00", dt.datetime(2005, 3, 23, 7, 0)),
        ("roadfines:N77802", 2, "2005-07-22T00:00:00.000+02:00", dt.datetime(2005, 7, 22, 6, 0)),
        ("wabo:case-10011", 1, "2011-10-11T13:45:40.276+02:00", dt.datetime(2011, 10, 11, 19, 45, 40, 276000)),
        ("wabo:case-10011", 3, "2011-11-24T15:36:51.302+01:00", dt.datetime(2011, 11, 24, 22, 36, 51, 302000)),
    ],
    ids=lambda v: str(v),
)
def test_offsets_become_local_wall_clock(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport], case_id: str,
                                         seq: int, written: str, local: dt.datetime) -> None:
    con, _ = loaded
    assert con.execute("SELECT ts FROM events WHERE case_id = ? AND seq = ?", [case_id, seq]).fetchall() == [(local,)]
    moment = dt.datetime.fromisoformat(written)
    assert moment.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None) == local


def test_road_fine_dates_are_the_local_not_the_utc_dates(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport]) -> None:
    con, _ = loaded
    hours = con.execute("SELECT DISTINCT hour(ts) FROM events WHERE source_system = 'roadfines' ORDER BY 1").fetchall()
    assert hours == [(6,), (7,)]   # local midnight in Italy = 06:00/07:00 in Shanghai, on the same date
    utc_dates_differ = con.execute(
        "SELECT count(*) FROM events WHERE source_system = 'roadfines'"
        " AND CAST(ts - INTERVAL 8 HOUR AS DATE) <> CAST(ts AS DATE)").fetchall()
    assert utc_dates_differ == [(390,)]


def test_ties_in_time_keep_source_order(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport]) -> None:
    con, _ = loaded
    tied = con.execute(
        "SELECT count(*), sum(n - 1) FROM (SELECT case_id, ts, count(*) AS n FROM events"
        " WHERE source_system = 'roadfines' GROUP BY ALL HAVING count(*) > 1)").fetchall()
    assert tied == [(8, 12)]   # 8 moments shared by 20 events
    out_of_order = con.execute(
        "SELECT count(*) FROM (SELECT seq, row_number() OVER (PARTITION BY case_id ORDER BY ts, source_row) AS expected"
        " FROM events) WHERE seq <> expected").fetchall()
    assert out_of_order == [(0,)]
    assert con.execute("SELECT activity FROM events WHERE case_id = 'roadfines:C13687' ORDER BY seq LIMIT 3").fetchall() \
        == [("PENALTY_DECISION",), ("DELIVER",), ("NOTIFY",)]


def test_loading_again_changes_nothing(loaded: tuple[duckdb.DuckDBPyConnection, IngestReport], override: Path) -> None:
    con, _ = loaded
    before = con.execute("SELECT count(*) FROM events").fetchall()
    again = ingest_paths(con, [real_log("road-traffic-fines-100.xes")], Settings(calendar_override=override),
                         [load_mapping(CONTRIB / "road_traffic_fines.yaml")])
    assert [(f.name, f.outcome) for f in again.files] == [
        ("road_traffic_fines.yaml:reference", "unchanged"), ("road-traffic-fines-100.xes", "unchanged")]
    assert con.execute("SELECT count(*) FROM events").fetchall() == before


def test_road_fines_need_a_calendar_for_2000_to_2003() -> None:
    con = db.memory()
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(CalendarError, match="no working-day calendar for 2000"):
        ingest_paths(con, [real_log("road-traffic-fines-100.xes")], Settings(),
                     [load_mapping(CONTRIB / "road_traffic_fines.yaml")])
    con.execute("ROLLBACK")
    assert con.execute("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM loads)").fetchall() == [(0,)]


def test_contrib_mappings_are_not_recognised_automatically(tmp_path: Path) -> None:
    con = db.memory()
    report = ingest_paths(con, [real_log("road-traffic-fines-100.xes")], Settings())
    assert [(f.outcome, f.message[:12]) for f in report.files] == [("refused", "无法识别的 XES 日志")]
