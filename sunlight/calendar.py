"""The working-day calendar.

Working days come from ``chinese_calendar`` (State Council holiday notices, 2004 to the last year
the installed release knows) plus an optional local override CSV with columns ``date,is_workday``
and an optional ``note``. A year that ``chinese_calendar`` does not know is usable only when the
override lists every one of its days; otherwise the run stops with a :class:`CalendarError` that
names the year and how to supply it (``sunlight calendar template YEAR`` writes a starting file).
Nothing is ever inferred from weekends alone.

The ``calendar`` table holds whole years, contiguous, with a running ``workday_no`` so that SQL can
count working days between two dates as a difference and find a due date by an equality join.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import chinese_calendar
import duckdb
import pyarrow as pa

from sunlight.errors import CalendarError, Location

_TRUE = {"1", "true", "yes", "y", "是", "工作日", "上班", "workday"}
_FALSE = {"0", "false", "no", "n", "否", "休息日", "节假日", "放假", "holiday"}

# Chinese names of the holidays chinese_calendar reports in English.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True)
class Day:
    day: dt.date
    is_workday: bool
    holiday: str | None
    source: str


@dataclass(frozen=True)
class Override:
    """A parsed override file: one entry per listed date."""

    path: Path
    days: dict[dt.date, tuple[bool, str | None]]

    def covers_year(self, year: int) -> bool:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return sum(1 for d in self.days if first <= d <= last) == (last - first).days + 1


def chinese_calendar_version() -> str:
    return metadata.version("chinesecalendar")


def chinese_calendar_years() -> range:
    """The years the installed chinese_calendar release has holiday data for."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def _parse_bool(text: str) -> bool | None:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def load_override(path: Path) -> Override:
    """Read an override CSV; every bad line raises with the file, line and field."""
    if not path.exists():
        raise CalendarError("calendar override file not found", location=Location(file=path))
    days: dict[dt.date, tuple[bool, str | None]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"date", "is_workday"} - set(reader.fieldnames or [])
        if missing:
            raise CalendarError(
                f"missing column(s) {', '.join(sorted(missing))}",
                location=Location(file=path, line=1),
                hint="the header must be: date,is_workday,note (note is optional)",
            )
        for record in reader:
            line = reader.line_num
            try:
                day = dt.date.fromisoformat((record["date"] or "").strip())
            except ValueError:
                raise CalendarError(
                    f"not a date: {record['date']!r}", location=Location(file=path, line=line, field="date"),
                    hint="write dates as YYYY-MM-DD",
                ) from None
            flag = _parse_bool(record["is_workday"] or "")
            if flag is None:
                raise CalendarError(
                    f"not a yes/no value: {record['is_workday']!r}",
                    location=Location(file=path, line=line, field="is_workday"),
                    hint="use 1 for a working day and 0 for a day off",
                )
            if day in days:
                raise CalendarError(f"{day} is listed twice", location=Location(file=path, line=line, field="date"))
            note = (record.get("note") or "").strip() or None
            days[day] = (flag, note)
    return Override(path, days)


def days_for_year(year: int, override: Override | None) -> list[Day]:
    """Every day of ``year``; raises CalendarError when no source covers the year."""
    first = dt.date(year, 1, 1)
    count = (dt.date(year, 12, 31) - first).days + 1
    known = chinese_calendar_years()
    if year not in known and not (override and override.covers_year(year)):
        listed = 0 if override is None else sum(1 for d in override.days if d.year == year)
        raise CalendarError(
            f"no working-day calendar for {year}: chinese_calendar {chinese_calendar_version()} covers "
            f"{known.start}-{known.stop - 1}"
            + ("" if override is None else f", and the override file lists {listed} of its {count} days"),
            location=Location(file=override.path) if override else None,
            hint=(
                f"run `sunlight calendar template {year} > {year}.csv`, correct the holidays and make-up "
                f"working days from the State Council notice for {year}, and set calendar_override in "
                "sunlight.toml (or pass --calendar-override) to that file"
            ),
        )
    version = f"chinese_calendar {chinese_calendar_version()}"
    result: list[Day] = []
    for offset in range(count):
        day = first + dt.timedelta(days=offset)
        if override and day in override.days:
            flag, note = override.days[day]
            result.append(Day(day, flag, note, f"override {override.path.name}"))
            continue
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
        label = HOLIDAY_NAMES_ZH.get(name, name) if name else None
        if label and workday:
            label = f"{label}调休上班"
        result.append(Day(day, workday, label, version))
    return result


def build_days(years: range, override: Override | None) -> list[Day]:
    days: list[Day] = []
    for year in years:
        days.extend(days_for_year(year, override))
    return days


def ensure_calendar(
    con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, override_path: Path | None = None
) -> range:
    """Make the ``calendar`` table cover whole years from ``first`` to ``last`` (and what it had).

    Rebuilt as one contiguous range so ``workday_no`` is a single running count. Returns the years.
    """
    row = con.execute("SELECT min(day), max(day) FROM calendar").fetchone()
    lo, hi = first.year, last.year
    if row and row[0] is not None:
        lo, hi = min(lo, row[0].year), max(hi, row[1].year)
    years = range(lo, hi + 1)
    override = load_override(override_path) if override_path else None
    days = build_days(years, override)
    version = f"chinese_calendar {chinese_calendar_version()}" + (
        f" + {override.path.name}" if override else ""
    )
    running = 0
    numbers = []
    for d in days:
        running += int(d.is_workday)
        numbers.append(running)
    table = pa.table({
        "day": pa.array([d.day for d in days], pa.date32()),
        "is_workday": pa.array([d.is_workday for d in days], pa.bool_()),
        "workday_no": pa.array(numbers, pa.int32()),
        "holiday": pa.array([d.holiday for d in days], pa.string()),
        "source": pa.array([d.source for d in days], pa.string()),
        "version": pa.array([version] * len(days), pa.string()),
    })
    con.execute("DELETE FROM calendar")
    con.register("_calendar_rows", table)
    try:
        con.execute("INSERT INTO calendar SELECT * FROM _calendar_rows")
    finally:
        con.unregister("_calendar_rows")
    return years


def template(year: int) -> str:
    """A starting override CSV for ``year``: weekends off, every other day a working day.

    The user must correct it from the State Council notice; the note column says so on every line.
    """
    lines = ["date,is_workday,note"]
    day = dt.date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        lines.append(f"{day.isoformat()},{0 if weekend else 1},待核对")
        day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"
