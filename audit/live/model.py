"""What the live engine holds: reference data, each case's rows so far, and a case as a rule sees it.

Rows are plain dicts with the canonical column names (``sunlight/migrations``): timestamps are
naive local ``datetime`` values, amounts ``Decimal``, lists Python lists. A judge sees a case
through a :class:`View`: only events with ``ts <= as_of`` and disclosures published by then, in
``seq`` order, exactly the rows the batch query would read.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.live.calendar import WorkCalendar

Row = dict[str, Any]
Finding = dict[str, Any]
"""A finding: the columns of ``audit.compile.base.FINDINGS_COLUMNS`` (evidence as a Python value)."""


@dataclass
class Reference:
    """Reference data: the item catalogue, officers, the discretion table, the calendar."""

    calendar: WorkCalendar
    items: dict[str, Row] = field(default_factory=dict)
    officers: dict[str, Row] = field(default_factory=dict)
    discretion: dict[tuple[str, str], Row] = field(default_factory=dict)

    def set_items(self, rows: Iterable[Row]) -> None:
        self.items = {r["item_code"]: r for r in rows}

    def set_officers(self, rows: Iterable[Row]) -> None:
        self.officers = {r["officer_id"]: r for r in rows}

    def set_discretion(self, rows: Iterable[Row]) -> None:
        self.discretion = {(r["violation_code"], r["level"]): r for r in rows}


@dataclass
class CaseState:
    """Everything the engine knows about one case, and what the rules currently find in it."""

    case_id: str
    row: Row | None = None
    events: list[Row] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    disclosures: dict[str, Row] = field(default_factory=dict)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    recheck: dict[str, dt.datetime] = field(default_factory=dict)

    def add_event(self, event: Row) -> bool:
        """Insert in ``seq`` order (a repeated event id replaces the old row); True when it was
        appended after every known event (the common case), False when history changed."""
        for index, known in enumerate(self.events):
            if known["event_id"] == event["event_id"]:
                del self.events[index]
                del self.seqs[index]
                break
        position = bisect.bisect_right(self.seqs, int(event["seq"]))
        self.events.insert(position, event)
        self.seqs.insert(position, int(event["seq"]))
        return position == len(self.events) - 1

    def next_recheck(self) -> dt.datetime | None:
        return min(self.recheck.values(), default=None)

    def current_findings(self) -> Iterable[Finding]:
        for found in self.findings.values():
            yield from found


@dataclass(frozen=True)
class View:
    """One case as a rule sees it as of ``as_of``."""

    case: Row
    item: Row | None
    events: tuple[Row, ...]
    disclosures: tuple[Row, ...]
    reference: Reference
    as_of: dt.datetime

    @property
    def calendar(self) -> WorkCalendar:
        return self.reference.calendar

    def discretion(self) -> Row | None:
        key = (self.case.get("violation_code"), self.case.get("discretion_level"))
        return self.reference.discretion.get(key)  # type: ignore[arg-type]

    def disclosures_of(self, number: str | None) -> tuple[Row, ...]:
        """The disclosures naming this case, or naming no case and carrying ``number``."""
        case_id = self.case.get("case_id")
        return tuple(d for d in self.disclosures if d.get("case_id") == case_id
                     or (d.get("case_id") is None and number is not None and d.get("decision_no") == number))

    def env(self, **extra: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any] | None]:
        """Rows by expression-language table name, for :meth:`Expression.evaluate`."""
        return {"case": self.case, "item": self.item, "discretion": self.discretion(), **extra}


def view_of(state: CaseState, reference: Reference, as_of: dt.datetime) -> View | None:
    """The case as of ``as_of``; None when its row is unknown (the batch joins events to cases)."""
    if state.row is None:
        return None
    events = tuple(e for e in state.events if e["ts"] <= as_of)
    disclosures = tuple(sorted((d for d in state.disclosures.values() if d["published_at"] <= as_of),
                               key=lambda d: (d["published_at"], d["disclosure_id"])))
    item = reference.items.get(state.row.get("item_code"))  # type: ignore[arg-type]
    return View(state.row, item, events, disclosures, reference, as_of)


def next_arrival(state: CaseState, as_of: dt.datetime) -> dt.datetime | None:
    """The earliest time after ``as_of`` at which a row the engine already holds starts to count: an
    event's ``ts``, a disclosure's ``published_at`` or ``withdrawn_at``, the case's ``submitted_at``."""
    times = [e["ts"] for e in state.events]
    for d in state.disclosures.values():
        times += [d.get("published_at"), d.get("withdrawn_at")]
    if state.row is not None:
        times.append(state.row.get("submitted_at"))
    return min((t for t in times if t is not None and t > as_of), default=None)
