"""From planned steps (activity + working-day index) to timestamped events.

A case history is first planned as a list of :class:`Step` in process order, each on a working-day
index (see :mod:`samples.workdays`), so that deadlines can be planted by plain arithmetic. This
module then gives every step a time of day: office hours (08:30-17:30) unless the step fixes its
own time, never earlier than the step before it, and often *the same* time as the step before it
(ties are common in real logs; the process order is kept by writing the rows in this order).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from samples.model import Event
from samples.workdays import WorkCalendar

OPEN_SECONDS = 8 * 3600 + 30 * 60
CLOSE_SECONDS = 17 * 3600 + 30 * 60
LAST_SECONDS = 23 * 3600 + 59 * 60
DEFAULT_TIE_RATE = 0.4


class Infeasible(ValueError):
    """The planned history does not fit (dates outside the window, a step after as_of ...)."""


@dataclass(slots=True)
class Step:
    activity: str
    idx: int
    day: dt.date | None = None  # an explicit calendar day (e.g. an online submission on a Sunday)
    at: int | None = None  # an explicit time of day, in seconds after midnight
    tie: bool | None = None  # force (True) or forbid (False) a tie with the previous step
    doc_type: str = ""
    doc_kind: str = ""  # the short kind in a document number (受, 补 ...); "" = no document number
    doc_no: str = ""
    amount: int | None = None
    officers: tuple[str, ...] = ()
    actor: str = ""
    note: str = ""


def shift(steps: list[Step], offset: int) -> None:
    for step in steps:
        step.idx += offset


def assign_times(
    steps: list[Step], cal: WorkCalendar, rng: random.Random, *, whole_minutes: bool,
    tie_rate: float = DEFAULT_TIE_RATE,
) -> list[Event]:
    """Events for ``steps``, in the same order, with non-decreasing local times."""
    events: list[Event] = []
    prev_day: dt.date | None = None
    prev_t = 0
    prev_activity = ""
    group_times: list[int] = []
    taken: set[tuple[dt.date, int, str]] = set()  # (day, time, activity) already used
    for step in steps:
        day = step.day if step.day is not None else cal.day(step.idx)
        first_of_day = day != prev_day
        if prev_day is not None and day < prev_day:
            raise Infeasible(f"{step.activity} on {day} comes before {prev_day}")
        if first_of_day:
            count = 1
            for later in steps[len(events) + 1:]:
                if (later.day if later.day is not None else cal.day(later.idx)) != day:
                    break
                count += 1
            group_times = sorted(rng.randint(OPEN_SECONDS, CLOSE_SECONDS) for _ in range(count))
            group_times.reverse()
        free = group_times.pop() if group_times else prev_t
        if step.at is not None:
            t = step.at
            if not first_of_day and t < prev_t:
                raise Infeasible(f"fixed time of {step.activity} is before the step before it")
        elif first_of_day:
            t = free
        else:
            tie = step.tie if step.tie is not None else rng.random() < tie_rate
            if step.activity == prev_activity:
                tie = False  # two identical rows at one time would read as a duplicate export row
            if tie:
                t = prev_t
            else:
                t = free if free > prev_t else prev_t + rng.randint(60, 1200)
        if not first_of_day:
            t = max(t, prev_t)
            if (step.tie is False or step.activity == prev_activity) and t - t % 60 <= prev_t:
                t = prev_t + 60
        t = min(t, LAST_SECONDS)
        if whole_minutes:
            t -= t % 60
        # ties are not next to each other only: a, b, a at one time would make the second a an
        # exact copy of the first (the same actor does both), which ingest rightly quarantines
        if step.at is None and (day, t, step.activity) in taken and not any(
                later.at is not None and (later.day if later.day is not None else cal.day(later.idx)) == day
                for later in steps[len(events) + 1:]):
            while (day, t, step.activity) in taken and t + 60 <= LAST_SECONDS:
                t += 60
        taken.add((day, t, step.activity))
        ts = dt.datetime(day.year, day.month, day.day, t // 3600, t % 3600 // 60, t % 60)
        events.append(Event(step.activity, ts, step.actor, step.officers, step.doc_type, step.doc_no,
                            step.amount, step.note))
        prev_day, prev_t, prev_activity = day, t, step.activity
    return events


def doc_no(abbr: str, kind: str, year: int, serial: int, suffix: str = "") -> str:
    """A document number such as 平市监受字〔2026〕第001234号."""
    return f"平{abbr}{kind}字〔{year}〕第{serial:06d}{suffix}号"
