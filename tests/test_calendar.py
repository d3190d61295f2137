"""The working-day calendar on known days, overrides, and unknown years."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sunlight import calendar as cal
from sunlight import db
from sunlight.errors import CalendarError


@pytest.mark.parametrize(
    ("day", "is_workday"),
    [
        ("2026-02-14", True),   # Saturday, make-up working day before Spring Festival
        ("2026-09-20", True),   # Sunday, make-up working day before National Day
        ("2026-10-01", False),
        ("2026-10-04", False),
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-02-16", False),  # Spring Festival
        ("2026-11-27", True),   # an ordinary Friday
        ("2026-11-28", False),  # an ordinary Saturday
    ],
    ids=lambda v: str(v),
)
def test_known_days(day: str, is_workday: bool) -> None:
    days = {d.day: d for d in cal.days_for_year(2026, None)}
    assert days[dt.date.fromisoformat(day)].is_workday is is_workday


def test_unknown_year_names_the_year_and_the_fix() -> None:
    with pytest.raises(CalendarError, match="no working-day calendar for 2027") as info:
        cal.days_for_year(2027, None)
    assert "sunlight calendar template 2027" in (info.value.hint or "")


def test_partial_override_does_not_cover_a_year(tmp_path: Path) -> None:
    path = tmp_path / "cal.csv"
    path.write_text("date,is_workday\n2027-01-01,0\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="lists 1 of its 365 days"):
        cal.days_for_year(2027, cal.load_override(path))


def test_full_override_covers_a_new_year(tmp_path: Path) -> None:
    path = tmp_path / "cal.csv"
    text = cal.template(2027).replace("2027-01-01,1,待核对", "2027-01-01,0,元旦")
    path.write_text(text, encoding="utf-8")
    days = {d.day: d for d in cal.days_for_year(2027, cal.load_override(path))}
    assert len(days) == 365
    assert days[dt.date(2027, 1, 1)].is_workday is False
    assert days[dt.date(2027, 1, 4)].is_workday is True
    assert days[dt.date(2027, 1, 1)].source == "override cal.csv"


def test_override_changes_a_known_day(tmp_path: Path) -> None:
    path = tmp_path / "cal.csv"
    path.write_text("date,is_workday,note\n2026-11-27,0,本地停工\n", encoding="utf-8")
    days = {d.day: d for d in cal.days_for_year(2026, cal.load_override(path))}
    assert days[dt.date(2026, 11, 27)].is_workday is False
    assert days[dt.date(2026, 11, 27)].holiday == "本地停工"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,workday\n2026-01-01,1\n", "missing column"),
        ("date,is_workday\n2026-13-01,1\n", "not a date"),
        ("date,is_workday\n2026-01-01,maybe\n", "not a yes/no value"),
        ("date,is_workday\n2026-01-01,1\n2026-01-01,0\n", "listed twice"),
    ],
    ids=["header", "date", "flag", "duplicate"],
)
def test_bad_override_names_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message) as info:
        cal.load_override(path)
    assert "bad.csv:" in info.value.describe()


def test_table_counts_working_days_by_difference() -> None:
    con = db.memory()
    cal.ensure_calendar(con, dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    # 2026-09-30 (Wed) to 2026-10-09 (Fri): 10-01..07 holidays, 10-08 and 10-09 working days.
    used = con.execute(
        "SELECT b.workday_no - a.workday_no FROM calendar a, calendar b"
        " WHERE a.day = DATE '2026-09-30' AND b.day = DATE '2026-10-09'"
    ).fetchone()
    assert used == (2,)
    assert con.execute("SELECT count(*) FROM calendar").fetchone() == (365,)
