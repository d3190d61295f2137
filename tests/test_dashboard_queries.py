"""Query functions: urgency order, whitelists, paging in the database, disclosure lag, pauses, marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest
from dashboard_fixtures import INSPECTOR, Fixture, built_fixture  # noqa: F401 - pytest fixture

from dashboard import charts
from dashboard.queries import cases, disclosure, flags, scope
from dashboard.queries.scope import Page


@pytest.fixture
def con(built_fixture: Fixture) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(built_fixture.path), read_only=True)
    yield connection
    connection.close()


def test_urgency_order(con: duckdb.DuckDBPyConnection) -> None:
    rows = flags.list_flags(con, INSPECTOR, flags.FlagFilter(), Page(1, 500)).rows
    overdue = rows["days_overdue"]
    with_overdue = overdue.notna().sum()
    assert list(overdue[:with_overdue]) == sorted(overdue[:with_overdue], reverse=True)
    rest = rows.iloc[with_overdue:]
    assert list(rest["level"]) == sorted(rest["level"], key=lambda v: v != "red")
    yellow = rest[rest["level"] == "yellow"]["days_left"].dropna()
    assert list(yellow) == sorted(yellow)


def test_unknown_sort_and_filter_values_go_through_whitelists(con: duckdb.DuckDBPyConnection) -> None:
    default = flags.list_flags(con, INSPECTOR, flags.FlagFilter(), Page(1, 500))
    hostile = flags.list_flags(con, INSPECTOR, flags.FlagFilter(), Page(1, 500), order="1; DROP TABLE flags")
    assert list(default.rows["flag_id"]) == list(hostile.rows["flag_id"])
    none = flags.list_flags(con, INSPECTOR, flags.FlagFilter(levels=("red' OR 1=1 --",)), Page())
    assert none.total == 0
    text = flags.list_flags(con, INSPECTOR, flags.FlagFilter(case_id="' OR '1'='1"), Page())
    assert text.total == 0
    assert scope.one_of("f.level", ["purple"], ["red", "yellow"]).sql == scope.NOTHING


def test_pages_partition_the_result(con: duckdb.DuckDBPyConnection) -> None:
    flt = flags.FlagFilter(states=(), active_only=False)
    everything = flags.list_flags(con, INSPECTOR, flt, Page(1, 500))
    seen: list[str] = []
    for number in range(1, -(-everything.total // 7) + 1):
        page = flags.list_flags(con, INSPECTOR, flt, Page(number, 7))
        assert page.total == everything.total and len(page.rows) <= 7
        seen += list(page.rows["flag_id"])
    assert seen == list(everything.rows["flag_id"])


@pytest.mark.parametrize(("number", "size", "limit", "offset"), [(1, 50, 50, 0), (3, 10, 10, 20), (0, 10, 10, 0),
                                                                 (2, 100000, 500, 500), (1, -5, 1, 0)])
def test_page_bounds(number: int, size: int, limit: int, offset: int) -> None:
    assert (Page(number, size).limit, Page(number, size).offset) == (limit, offset)


def test_disclosure_lag_in_working_days(con: duckdb.DuckDBPyConnection, built_fixture: Fixture) -> None:
    rows = disclosure.decisions(con, INSPECTOR, disclosure.DisclosureFilter(), Page(1, 500), built_fixture.as_of).rows
    by_case = rows.set_index("case_id")
    # zfba:E0001 published 2 working days after the decision, E0003 5 (late), E0004 never (missing)
    assert by_case.loc["zfba:E0001", "lag_days"] == 2 and by_case.loc["zfba:E0001", "status"] == "on_time"
    assert by_case.loc["zfba:E0003", "lag_days"] == 5 and by_case.loc["zfba:E0003", "status"] == "late"
    assert by_case.loc["zfba:E0004", "status"] == "missing" and pd.isna(by_case.loc["zfba:E0004", "published_at"])
    decided = con.execute("SELECT ts FROM events WHERE case_id = 'zfba:E0003' AND activity = 'PENALTY_DECISION'"
                          ).fetchone()[0]
    assert by_case.loc["zfba:E0003", "decided_at"] == decided
    expected = con.execute(
        "SELECT p.workday_no - d.workday_no FROM calendar d, calendar p WHERE d.day = ?::DATE AND p.day = ?::DATE",
        [decided, by_case.loc["zfba:E0003", "published_at"]]).fetchone()[0]
    assert expected == 5
    # service decisions published under their decision number only (no case id) still match
    assert (rows["case_id"].str.startswith("qyzx:") & rows["published_at"].notna()).any()


def test_disclosure_statuses_filter_and_sum(con: duckdb.DuckDBPyConnection, built_fixture: Fixture) -> None:
    total = disclosure.summary(con, INSPECTOR, disclosure.DisclosureFilter(), built_fixture.as_of)
    late = disclosure.decisions(con, INSPECTOR, disclosure.DisclosureFilter(statuses=("late",)), Page(1, 500),
                                built_fixture.as_of)
    assert late.total == total["late"] and set(late.rows["status"]) == {"late"}
    assert total["total"] == sum(total[s] for s in disclosure.STATUSES)


def test_pauses_follow_seq() -> None:
    events = pd.DataFrame({
        "activity": ["ACCEPT", "SUPPLEMENT_NOTICE", "SUPPLEMENT_RECEIVED", "SUSPEND", "RESUME", "SUSPEND"],
        "ts": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10"]),
    })
    pauses = cases.find_pauses(events)
    assert [(p.kind, p.start.day, None if p.end is None else p.end.day) for p in pauses] == [
        ("SUPPLEMENT_NOTICE", 3, 5), ("SUSPEND", 6, 9), ("SUSPEND", 10, None)]


def test_timeline_marks_and_window(con: duckdb.DuckDBPyConnection, built_fixture: Fixture) -> None:
    view = cases.load_case(con, INSPECTOR, built_fixture.red_flag["case_id"])
    assert view is not None
    marks = charts.timeline_marks(view)
    assert {"截止日期", "转红"} <= set(marks["标记"])
    start, end = charts.timeline_window(view)
    assert start < view.events["ts"].min() and end > view.flags["due_at"].max()
    paused = cases.load_case(con, INSPECTOR, "qyzx:S0005")
    assert paused is not None and [p.kind for p in paused.pauses] == ["SUPPLEMENT_NOTICE"]
    assert charts.case_timeline(paused).to_dict()["layer"][0]["mark"]["type"] == "rect"


def test_officers_and_certificates(con: duckdb.DuckDBPyConnection, built_fixture: Fixture) -> None:
    view = cases.load_case(con, INSPECTOR, built_fixture.ordered_flag["case_id"])
    assert view is not None
    by_officer = view.officers.groupby("officer_id")["cert_valid"].all().to_dict()
    assert not by_officer["O03"]  # holds no certificate
    assert by_officer["O01"]
    assert "applicant_id_hash" not in view.case


def test_fee_status(con: duckdb.DuckDBPyConnection) -> None:
    over = con.execute("SELECT case_id FROM cases WHERE fee_charged > 100 LIMIT 1").fetchone()
    assert over is not None
    view = cases.load_case(con, INSPECTOR, over[0])
    assert view is not None and view.fee_status == "收费高于公示标准"


def test_search_binds_its_text(con: duckdb.DuckDBPyConnection) -> None:
    assert list(cases.search_cases(con, INSPECTOR, "E0003")["case_id"]) == ["zfba:E0003"]
    assert cases.search_cases(con, INSPECTOR, "x' OR 1=1 --").empty
    assert cases.search_cases(con, INSPECTOR, "  ").empty


def test_date_range_is_inclusive(con: duckdb.DuckDBPyConnection, built_fixture: Fixture) -> None:
    day = built_fixture.as_of.date()
    on_day = flags.list_flags(con, INSPECTOR, flags.FlagFilter(seen_from=day, seen_to=day, states=(),
                                                               active_only=False), Page(1, 500))
    assert on_day.total > 0
    assert all(pd.Timestamp(t).date() == day for t in on_day.rows["first_seen_at"])
    assert dt.date(2000, 1, 1) < day
