"""Deadline arithmetic on DuckDB around holidays and make-up working days, pauses and extensions,
checked by hand-worked cases and against chinese_calendar directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.rulecheck import Sandbox, duckdb_engine, given_tables
from audit.rules.base import Given, RuleTest
from audit.rules.kinds import DeadlineRule

PAUSES = [{"begin": "SUPPLEMENT_NOTICE", "end": "SUPPLEMENT_RECEIVED"}, {"begin": "SUSPEND", "end": "RESUME"}]


def rule(limit: int | None, unit: str = "workday", **extra: Any) -> DeadlineRule:
    body: dict[str, Any] = {
        "kind": "deadline", "id": "DL", "version": 1, "effective_from": "2025-01-01", "title": "测试",
        "description": "测试", "category": "时效", "legal_basis": ["测试"], "rectification": "测试",
        "detects": ["TEST"], "start": {"activity": "ACCEPT"}, "stop": {"activities": ["DECIDE"]},
        "pauses": PAUSES, "extension": {"activity": "EXTEND", "amount": 10},
        "limit": {"value": limit} if limit is not None else {"column": "promised_limit"}, "unit": unit, **extra,
    }
    return DeadlineRule.model_validate(body)


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox()


def run(box: Sandbox, deadline: DeadlineRule, events: list[tuple[str, str]], as_of: str,
        dept: str = "D01", promised: int | None = None) -> list[dict[str, Any]]:
    test = RuleTest(name="t", as_of=dt.datetime.fromisoformat(as_of), given=Given(
        items=[{"item_code": "X1", "dept_code": dept, "promised_limit": promised}], cases=[{"case_id": "C1"}],
        events=[{"activity": a, "ts": t} for a, t in events]))
    box.con.execute("BEGIN TRANSACTION")
    try:
        box.load(given_tables(test))
        return duckdb_engine(box.con, deadline, test.as_of)
    finally:
        box.con.execute("ROLLBACK")


A, D = "ACCEPT", "DECIDE"

# (id, limit, unit, events, as_of, expected: None or (level, due, days_overdue, days_left))
HAND: list[tuple[str, int, str, list[tuple[str, str]], str, tuple[str, str | None, int, int] | None]] = [
    ("spring-festival-due-on-make-up-saturday", 10, "workday",
     [(A, "2026-02-09 09:00"), (D, "2026-02-28 16:00")], "2026-03-31 12:00", None),
    ("spring-festival-one-day-late", 10, "workday",
     [(A, "2026-02-09 09:00"), (D, "2026-03-02 09:00")], "2026-03-31 12:00", ("red", "2026-02-28", 1, 0)),
    ("start-on-make-up-saturday", 5, "workday",
     [(A, "2026-02-14 09:00"), (D, "2026-03-02 09:00")], "2026-03-31 12:00", ("red", "2026-02-28", 1, 0)),
    ("start-on-a-holiday-counts-from-next-working-day", 3, "workday",
     [(A, "2026-02-16 09:00"), (D, "2026-02-27 09:00")], "2026-03-31 12:00", ("red", "2026-02-26", 1, 0)),
    ("national-day-2025-open-case", 3, "workday",
     [(A, "2025-09-30 09:00")], "2025-10-13 09:00", ("red", "2025-10-11", 1, 0)),
    ("national-day-2025-open-case-yellow-not-configured", 5, "workday",
     [(A, "2025-09-30 09:00")], "2025-10-13 09:00", None),
    ("natural-days-count-holidays", 7, "day",
     [(A, "2025-09-30 10:00"), (D, "2025-10-08 10:00")], "2025-10-31 12:00", ("red", "2025-10-07", 1, 0)),
    ("month-end-clamps", 1, "month",
     [(A, "2026-01-31 10:00"), (D, "2026-02-28 10:00")], "2026-03-31 12:00", None),
    ("month-one-day-late", 1, "month",
     [(A, "2026-01-31 10:00"), (D, "2026-03-01 10:00")], "2026-03-31 12:00", ("red", "2026-02-28", 1, 0)),
    ("two-pauses-and-an-extension-over-national-day-2026", 10, "workday",
     [(A, "2026-09-14 09:00"), ("SUPPLEMENT_NOTICE", "2026-09-15 09:00"), ("EXTEND", "2026-09-16 09:00"),
      ("SUPPLEMENT_RECEIVED", "2026-09-17 09:00"), ("SUSPEND", "2026-09-21 09:00"), ("RESUME", "2026-10-09 09:00"),
      (D, "2026-10-30 09:00")], "2026-11-30 12:00", None),
    ("two-pauses-and-an-extension-one-day-late", 10, "workday",
     [(A, "2026-09-14 09:00"), ("SUPPLEMENT_NOTICE", "2026-09-15 09:00"), ("EXTEND", "2026-09-16 09:00"),
      ("SUPPLEMENT_RECEIVED", "2026-09-17 09:00"), ("SUSPEND", "2026-09-21 09:00"), ("RESUME", "2026-10-09 09:00"),
      (D, "2026-11-02 09:00")], "2026-11-30 12:00", ("red", "2026-10-30", 1, 0)),
    ("a-repeated-notice-pauses-once", 5, "workday",
     [(A, "2026-03-02 09:00"), ("SUPPLEMENT_NOTICE", "2026-03-03 09:00"), ("SUPPLEMENT_NOTICE", "2026-03-04 09:00"),
      ("SUPPLEMENT_RECEIVED", "2026-03-06 09:00"), (D, "2026-03-13 09:00")], "2026-03-31 12:00",
     ("red", "2026-03-12", 1, 0)),
    ("a-pause-unanswered-at-the-decision-ends-there", 5, "workday",
     [(A, "2026-03-02 09:00"), ("SUPPLEMENT_NOTICE", "2026-03-03 09:00"), (D, "2026-03-13 09:00")],
     "2026-03-31 12:00", None),
    ("a-pause-before-the-start-does-not-count", 5, "workday",
     [("SUPPLEMENT_NOTICE", "2026-03-02 08:00"), ("SUPPLEMENT_RECEIVED", "2026-03-06 08:00"),
      (A, "2026-03-02 09:00"), (D, "2026-03-10 09:00")], "2026-03-31 12:00", ("red", "2026-03-09", 1, 0)),
    ("only-the-first-extension-counts", 2, "workday",
     [(A, "2026-03-02 09:00"), ("EXTEND", "2026-03-03 09:00"), ("EXTEND", "2026-03-04 09:00"),
      (D, "2026-03-19 09:00")], "2026-03-31 12:00", ("red", "2026-03-18", 1, 0)),
    ("an-extension-after-the-decision-does-not-count", 2, "workday",
     [(A, "2026-03-02 09:00"), (D, "2026-03-05 09:00"), ("EXTEND", "2026-03-06 09:00")], "2026-03-31 12:00",
     ("red", "2026-03-04", 1, 0)),
    ("events-after-as-of-do-not-exist", 2, "workday",
     [(A, "2026-03-02 09:00"), (D, "2026-03-03 09:00")], "2026-03-02 18:00", None),
]


@pytest.mark.parametrize(("limit", "unit", "events", "as_of", "expected"), [h[1:] for h in HAND],
                         ids=[h[0] for h in HAND])
def test_by_hand(box: Sandbox, limit: int, unit: str, events: list[tuple[str, str]], as_of: str,
                 expected: tuple[str, str | None, int, int] | None) -> None:
    rows = run(box, rule(limit, unit), events, as_of)
    if expected is None:
        assert rows == [], rows[0]["message"] if rows else ""
        return
    assert len(rows) == 1
    row = rows[0]
    level, due, overdue, left = expected
    assert (row["level"], row["days_overdue"], row["days_left"]) == (level, overdue, left), row["message"]
    assert due is None or row["due_at"] == dt.datetime.fromisoformat(due + " 23:59:59")
    assert f"应于 {due} 前完成" in row["message"]


@pytest.mark.parametrize(
    ("yellow", "dept", "accepted", "as_of", "level"),
    [
        ({"days_left": 2}, "D01", "2026-03-02 09:00", "2026-03-12 10:00", "yellow"),
        ({"days_left": 2}, "D01", "2026-03-02 09:00", "2026-03-11 10:00", None),
        ({"share_used": 0.7}, "D01", "2026-03-02 09:00", "2026-03-11 10:00", "yellow"),
        ({"share_used": 0.8}, "D01", "2026-03-02 09:00", "2026-03-11 10:00", None),
        ({"days_left": 2, "by_department": {"D02": {"days_left": 4}}}, "D02", "2026-03-02 09:00",
         "2026-03-10 10:00", "yellow"),
        ({"days_left": 2, "by_department": {"D02": {"days_left": 4}}}, "D01", "2026-03-02 09:00",
         "2026-03-10 10:00", None),
        ({"days_left": 2}, "D01", "2026-03-02 09:00", "2026-03-17 10:00", "red"),
    ],
    ids=["two-left", "three-left", "share-reached", "share-not-reached", "department-threshold",
         "other-department", "overdue-is-red"],
)
def test_yellow_thresholds(box: Sandbox, yellow: dict[str, Any], dept: str, accepted: str, as_of: str,
                           level: str | None) -> None:
    deadline = rule(10, levels={"breach": "red", "yellow": yellow})
    rows = run(box, deadline, [(A, accepted)], as_of, dept=dept)
    assert [r["level"] for r in rows] == ([level] if level else [])


def test_closed_cases_are_never_yellow(box: Sandbox) -> None:
    deadline = rule(10, levels={"breach": "red", "yellow": {"days_left": 5}})
    assert run(box, deadline, [(A, "2026-03-02 09:00"), (D, "2026-03-13 09:00")], "2026-03-31 12:00") == []


def test_the_message_shows_the_whole_computation(box: Sandbox) -> None:
    rows = run(box, rule(10), HAND[10][3], HAND[10][4])
    message = rows[0]["message"]
    for part in ("受理 2026-09-14 09:00 起算", "补正告知 2026-09-15 09:00 至 补正接收 2026-09-17 09:00 暂停 2个工作日",
                 "特别程序开始 2026-09-21 09:00 至 特别程序结束 2026-10-09 09:00 暂停 8个工作日",
                 "延期 2026-09-16 09:00 加 10个工作日", "时限 10+10=20个工作日", "日历 chinese_calendar",
                 "应于 2026-10-30 前完成", "截至决定 2026-11-02 09:00 已用 21个工作日", "超期 1个工作日"):
        assert part in message, message


def reference(start: dt.date, stop: dt.date, limit: int) -> tuple[int, dt.date]:
    """Working days used and the due date, straight from chinese_calendar."""
    used = sum(1 for n in range(1, (stop - start).days + 1) if chinese_calendar.is_workday(start + dt.timedelta(n)))
    day, counted = start, 0
    while counted < limit:
        day += dt.timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return used, day


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(dt.date(2025, 1, 1), dt.date(2026, 10, 31)), gap=st.integers(0, 45),
       limit=st.integers(1, 20))
def test_against_chinese_calendar(box: Sandbox, start: dt.date, gap: int, limit: int) -> None:
    stop = start + dt.timedelta(days=gap)
    rows = run(box, rule(None), [(A, f"{start} 10:00"), (D, f"{stop} 15:00")], "2026-12-31 12:00",
               promised=limit)
    used, due = reference(start, stop, limit)
    if used > limit:
        assert len(rows) == 1 and rows[0]["days_overdue"] == used - limit
        assert rows[0]["due_at"].date() == due
    else:
        assert rows == []
