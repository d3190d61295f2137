"""Working-day arithmetic on the calendar the audit uses.

The generator plans every case in *working-day indices*: index ``k`` is the ``k``-th working day of
the calendar (0-based), so "``n`` working days after day ``X``" is a plain addition and the count of
working days ``d`` with ``X < d <= Y`` is ``no(Y) - no(X)``, exactly the ``workday_no`` difference
the rule pack uses (see the shared definitions in ``samples/violations.yaml``).

The calendar covers 2025-2026 only: ``chinese_calendar`` knows no later year, so every date a
generated case or its deadlines touch must fall inside it (:class:`OutOfCalendar` otherwise).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from sunlight.calendar import Day, days_for_year

FIRST_YEAR = 2025
LAST_YEAR = 2026


class OutOfCalendar(ValueError):
    """A working-day computation left the years the calendar knows."""


@dataclass(frozen=True)
class HolidayWindow:
    """A long holiday with a make-up working day (调休) on either side of it."""

    name: str
    first_makeup: dt.date
    last_makeup: dt.date


class WorkCalendar:
    """Working days of 2025-2026 from :func:`sunlight.calendar.days_for_year`."""

    def __init__(self) -> None:
        days = [d for year in range(FIRST_YEAR, LAST_YEAR + 1) for d in days_for_year(year, None)]
        self.first = days[0].day
        self.last = days[-1].day
        self.workdays: list[dt.date] = [d.day for d in days if d.is_workday]
        self._no: list[int] = []
        running = 0
        for d in days:
            running += int(d.is_workday)
            self._no.append(running)
        self._workday_set = frozenset(self.workdays)
        self.holiday_windows = self._find_windows(days)

    # -- lookups ------------------------------------------------------------------------------
    def no(self, day: dt.date) -> int:
        """Running count of working days up to and including ``day`` (the ``workday_no``)."""
        offset = (day - self.first).days
        if offset < 0 or day > self.last:
            raise OutOfCalendar(f"{day} is outside {self.first}..{self.last}")
        return self._no[offset]

    def is_workday(self, day: dt.date) -> bool:
        return day in self._workday_set

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days ``d`` with ``start < d <= end`` (negative when ``end`` is earlier)."""
        return self.no(end) - self.no(start)

    def index(self, day: dt.date) -> int:
        """Index of the last working day on or before ``day``."""
        position = self.no(day) - 1
        if position < 0:
            raise OutOfCalendar(f"no working day on or before {day}")
        return position

    def index_on_or_after(self, day: dt.date) -> int:
        """Index of the first working day on or after ``day``."""
        position = bisect.bisect_left(self.workdays, day)
        if position >= len(self.workdays):
            raise OutOfCalendar(f"no working day on or after {day}")
        return position

    def day(self, index: int) -> dt.date:
        if index < 0 or index >= len(self.workdays):
            raise OutOfCalendar(f"working-day index {index} is outside the calendar")
        return self.workdays[index]

    def after(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (the due date of a ``count``-day limit)."""
        if count <= 0:
            return day
        return self.day(self.no(day) + count - 1)

    # -- holidays -----------------------------------------------------------------------------
    @staticmethod
    def _find_windows(days: list[Day]) -> list[HolidayWindow]:
        """Spring Festival and National Day, each between its first and last make-up day."""
        windows: list[HolidayWindow] = []
        for label in ("春节", "国庆节"):
            for year in range(FIRST_YEAR, LAST_YEAR + 1):
                makeups = [
                    d.day for d in days
                    if d.day.year == year and d.is_workday and d.day.weekday() >= 5
                    and d.holiday and d.holiday.startswith(label)
                ]
                if len(makeups) >= 2:
                    windows.append(HolidayWindow(f"{label}{year}", makeups[0], makeups[-1]))
        return windows
