"""The working-day calendar in memory, read from the same DuckDB ``calendar`` table the batch joins.

The live engine counts working days exactly as the compiled SQL does: ``workday_no`` is the running
count of working days up to and including a day, so the working days d with date(X) < d <= date(Y)
number ``workday_no(date(Y)) - workday_no(date(X))``, and the N-th working day after X is the
working day whose number is ``workday_no(date(X)) + N``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

import duckdb

from sunlight import calendar as core_calendar
from sunlight.errors import CalendarError


@dataclass(frozen=True)
class WorkCalendar:
    """Days ``first``..``last`` (contiguous), their running working-day numbers and the version."""

    first: dt.date
    numbers: tuple[int, ...]
    workdays: tuple[dt.date, ...]
    version: str

    @classmethod
    def from_duckdb(cls, con: duckdb.DuckDBPyConnection) -> WorkCalendar:
        rows = con.execute("SELECT day, is_workday, workday_no, version FROM calendar ORDER BY day").fetchall()
        if not rows:
            raise CalendarError("the database has no working-day calendar",
                                hint="load data with `sunlight ingest` (it builds the calendar) first")
        first: dt.date = rows[0][0]
        numbers = tuple(int(r[2]) for r in rows)
        workdays = tuple(r[0] for r in rows if r[1])
        return cls(first, numbers, workdays, str(rows[-1][3]))

    @classmethod
    def covering(cls, first: dt.date, last: dt.date) -> WorkCalendar:
        """A calendar built from chinese_calendar for whole years ``first``..``last`` (no database)."""
        from sunlight import db

        con = db.memory()
        try:
            core_calendar.ensure_calendar(con, first, last)
            return cls.from_duckdb(con)
        finally:
            con.close()

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=len(self.numbers) - 1)

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def number(self, day: dt.date) -> int | None:
        """``workday_no`` of ``day``; None outside the calendar (where the SQL join finds no row)."""
        index = (day - self.first).days
        if 0 <= index < len(self.numbers):
            return self.numbers[index]
        return None

    def between(self, start: dt.date, end: dt.date) -> int | None:
        """Working days d with start < d <= end (negative when end is before start)."""
        a, b = self.number(start), self.number(end)
        return None if a is None or b is None else b - a

    def workday_numbered(self, number: int) -> dt.date | None:
        """The working day whose ``workday_no`` is ``number`` (None outside the calendar)."""
        if not self.workdays:
            return None
        index = number - self.numbers[(self.workdays[0] - self.first).days]
        if 0 <= index < len(self.workdays):
            return self.workdays[index]
        return None

    def next_workday_start(self, moment: dt.datetime) -> dt.datetime | None:
        """The first midnight after ``moment`` on which ``workday_no`` grows (None past the end)."""
        day = moment.date()
        index = bisect.bisect_right(self.workdays, day)
        if index >= len(self.workdays):
            return None
        return dt.datetime.combine(self.workdays[index], dt.time())
