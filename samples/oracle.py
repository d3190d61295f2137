"""A plain-Python reading of ``samples/violations.yaml``, used to check every generated case.

The generator plans each case to carry exactly the findings of its scenario; :func:`audit_case`
recomputes the findings from the case as it will be written, following the shared definitions and
each code's ``semantics`` literally, and the generator refuses a case when the two disagree. The
ground truth is therefore what this module says, and this module is the generator's reading of the
contract (see samples/README.md, "Interpretation").

It also checks that every working-day deadline a case touches lies inside the calendar: the due
dates are computed with :meth:`WorkCalendar.after`, which raises :class:`OutOfCalendar`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from samples.district import District
from samples.model import ENFORCEMENT, LICENSING, MONTH, NATURAL_DAY, WORKDAY, Case, Event
from samples.workdays import OutOfCalendar, WorkCalendar

EXTENSION_DAYS = 10
NOTICE_LIMIT = 5
DELIVERY_LIMIT = 10
STALL_LIMIT = 10
YELLOW_DAYS_LEFT = 2
ENF_DECISION_DAYS = 90
ENF_DELIVERY_DAYS = 7
WITHDRAW_LIMIT = 3
RESIDENT_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
CHECKED_OFFICER_STEPS = ("INVESTIGATE", "PENALTY_DECISION")


class UnsupportedShape(ValueError):
    """A case whose reading the contract leaves open; the generator must not produce it."""


@dataclass(frozen=True)
class AuditContext:
    district: District
    calendar: WorkCalendar
    as_of: dt.datetime

    @property
    def as_of_day(self) -> dt.date:
        return self.as_of.date()


def audit_case(case: Case, ctx: AuditContext) -> dict[str, str]:
    """The findings of one case as ``{code: level}``."""
    found: dict[str, str] = {}
    if case.case_kind == ENFORCEMENT:
        _enforcement(case, ctx, found)
    else:
        _service(case, ctx, found)
    _disclosure(case, ctx, found)
    if not case.item.published:
        found["K_ITEM_UNPUBLISHED"] = "red"
    return found


def _positions(events: list[Event], activity: str) -> list[int]:
    return [i for i, e in enumerate(events) if e.activity == activity]


def _first_after(events: list[Event], start: int, activities: tuple[str, ...]) -> int | None:
    for i in range(start + 1, len(events)):
        if events[i].activity in activities:
            return i
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last))


# -- service cases -----------------------------------------------------------------------------
def _service(case: Case, ctx: AuditContext, found: dict[str, str]) -> None:
    events, cal, item = case.events, ctx.calendar, case.item
    submits = _positions(events, "SUBMIT")
    notices = _positions(events, "SUPPLEMENT_NOTICE")
    submit = submits[0] if submits else None
    late_notice = False
    if notices and submit is not None:
        cal.after(events[submit].day, NOTICE_LIMIT)
        late_notice = cal.between(events[submit].day, events[notices[0]].day) > NOTICE_LIMIT
    if late_notice:
        found["T_SUPPLEMENT_NOTICE_LATE"] = "red"
    if len(notices) > 1:
        found["P_SUPPLEMENT_REPEATED"] = "red"
    seen_accept = seen_decide = False
    for event in events:
        if event.activity == "ACCEPT":
            seen_accept = True
            if not event.doc_no:
                found["P_ACCEPT_NO_NOTICE"] = "red"
        elif event.activity == "REFUSE" and not event.doc_no:
            found["P_REFUSE_NO_NOTICE"] = "red"
        elif event.activity == "DECIDE":
            if not seen_accept:
                found["P_DECIDE_WITHOUT_ACCEPT"] = "red"
            seen_decide = True
        elif event.activity == "DELIVER" and not seen_decide:
            found["P_DELIVER_BEFORE_DECIDE"] = "red"
    accepts = _positions(events, "ACCEPT")
    start = submit if late_notice else (accepts[0] if accepts else None)
    if start is not None and item.promised_limit is not None:
        _service_deadline(case, ctx, start, found)
    _delivery(case, ctx, found)
    _stalled(case, ctx, found)
    fee = case.fee_charged
    if fee is not None and item.fee_standard > 0 and fee > item.fee_standard:
        found["C_FEE_ABOVE_STANDARD"] = "red"
    if fee is not None and item.fee_standard == 0 and fee > 0:
        found["C_FEE_ON_FREE_ITEM"] = "red"
    if accepts and set(item.required_materials) - set(case.materials):
        found["C_MATERIALS_MISSING"] = "red"


def _pauses(events: list[Event], start: int, stop: int | None) -> tuple[list[tuple[Event, Event]], bool]:
    """Closed pauses that begin after the clock start (and before the stop), and whether one is open."""
    pairs: list[tuple[Event, Event]] = []
    pending = False
    end = stop if stop is not None else len(events)
    for i in range(start, end):
        opener = events[i].activity
        if opener not in ("SUPPLEMENT_NOTICE", "SUSPEND"):
            continue
        closer = "SUPPLEMENT_RECEIVED" if opener == "SUPPLEMENT_NOTICE" else "RESUME"
        j = _first_after(events, i, (closer,))
        if j is None:
            if stop is not None:
                raise UnsupportedShape("a pause without an end in a decided case")
            pending = True
            continue
        if stop is not None and j > stop:
            raise UnsupportedShape("a pause that ends after the decision")
        pairs.append((events[i], events[j]))
    return pairs, pending


def _service_deadline(case: Case, ctx: AuditContext, start: int, found: dict[str, str]) -> None:
    events, cal, item = case.events, ctx.calendar, case.item
    stop = _first_after(events, start, ("DECIDE", "REFUSE"))
    pauses, pending = _pauses(events, start, stop)
    is_open = stop is None
    if is_open and pending:
        return  # the clock is stopped while a pause is open
    begin = events[start].day
    end = events[stop].day if stop is not None else ctx.as_of_day
    extension = EXTENSION_DAYS if _positions(events, "EXTEND") else 0
    promised = (item.promised_limit or 0) + extension
    legal = (item.legal_limit or 0) + extension
    unit = item.limit_unit
    if unit == WORKDAY:
        paused = sum(cal.between(a.day, b.day) for a, b in pauses)
        used = cal.between(begin, end) - paused
        cal.after(begin, max(promised, legal) + paused)  # the due dates must be in the calendar
        left = promised - used
    elif unit in (NATURAL_DAY, MONTH):
        if pauses or extension:
            raise UnsupportedShape("pauses or extensions on an item not counted in working days")
        if unit == NATURAL_DAY:
            used = (end - begin).days
            if begin + dt.timedelta(days=max(promised, legal)) > cal.last:
                raise OutOfCalendar("natural-day due date beyond the calendar")
            left = promised - used
        else:
            due_promised, due_legal = _add_months(begin, promised), _add_months(begin, legal)
            if max(due_promised, due_legal) > cal.last:
                raise OutOfCalendar("month due date beyond the calendar")
            used = 0 if end <= due_promised else promised + 1
            legal_used = 0 if end <= due_legal else legal + 1
            left = (due_promised - end).days
            if is_open and left <= 7:
                raise UnsupportedShape("an open month-limit case near its due date")
            if used > promised:
                found["T_PROMISED"] = "red"
            if legal_used > legal:
                found["T_LEGAL"] = "red"
            return
        if is_open and 0 <= left <= 7:
            raise UnsupportedShape("an open natural-day case near its due date")
    else:
        return
    if used > promised:
        found["T_PROMISED"] = "red"
    elif is_open and 0 <= left <= YELLOW_DAYS_LEFT:
        found["T_PROMISED"] = "yellow"
    if used > legal:
        found["T_LEGAL"] = "red"


def _delivery(case: Case, ctx: AuditContext, found: dict[str, str]) -> None:
    if case.item.kind != LICENSING or case.close_result == "不予":
        return
    events, cal = case.events, ctx.calendar
    decides = _positions(events, "DECIDE")
    if not decides:
        return
    decide = events[decides[0]]
    cal.after(decide.day, DELIVERY_LIMIT)
    deliver = _first_after(events, decides[0], ("DELIVER",))
    end = events[deliver].day if deliver is not None else ctx.as_of_day
    if cal.between(decide.day, end) > DELIVERY_LIMIT:
        found["T_DELIVERY_LATE"] = "red"


def _stalled(case: Case, ctx: AuditContext, found: dict[str, str]) -> None:
    events = case.events
    if not events or any(e.activity in ("DECIDE", "REFUSE", "CLOSE") for e in events):
        return
    last = events[-1]
    if last.activity in ("SUPPLEMENT_NOTICE", "SUSPEND"):
        return
    ctx.calendar.after(last.day, STALL_LIMIT)
    if ctx.calendar.between(last.day, ctx.as_of_day) > STALL_LIMIT:
        found["T_STALLED"] = "yellow"


# -- enforcement cases -------------------------------------------------------------------------
def _enforcement(case: Case, ctx: AuditContext, found: dict[str, str]) -> None:
    events, district = case.events, ctx.district
    files = _positions(events, "FILE_CASE")
    decisions = _positions(events, "PENALTY_DECISION")
    if files:
        filed = events[files[0]].day
        end = events[decisions[0]].day if decisions else ctx.as_of_day
        if (end - filed).days > ENF_DECISION_DAYS:
            found["T_ENF_DECISION_LATE"] = "red"
    if decisions:
        decided = events[decisions[0]].day
        deliver = _first_after(events, decisions[0], ("DELIVER",))
        end = events[deliver].day if deliver is not None else ctx.as_of_day
        if (end - decided).days > ENF_DELIVERY_DAYS:
            found["T_ENF_DELIVERY_LATE"] = "red"
        notified = any(e.activity == "NOTIFY" for e in events[: decisions[0]])
        if not notified:
            found["P_ENF_NO_NOTIFY"] = "red"
    if case.fine_amount is not None:
        row = district.discretion_by_key.get((case.violation_code, case.discretion_level))
        if row is None or not row.min_fine <= case.fine_amount <= row.max_fine:
            found["C_PENALTY_OUT_OF_RANGE"] = "red"
    for event in events:
        if event.activity not in CHECKED_OFFICER_STEPS:
            continue
        if len(set(event.officers)) < 2:
            found["C_SINGLE_OFFICER"] = "red"
        for officer_id in event.officers:
            officer = district.officer_by_id.get(officer_id)
            if officer is None or not officer.certified_on(event.day):
                found["C_UNCERTIFIED_OFFICER"] = "red"


# -- disclosure --------------------------------------------------------------------------------
def decision_event(case: Case) -> Event | None:
    """The decision whose result must be published, if any."""
    if case.case_kind == ENFORCEMENT:
        return case.first("PENALTY_DECISION")
    if case.item.kind == LICENSING and case.close_result == "准予":
        return case.first("DECIDE")
    return None


def case_decision_no(case: Case) -> str:
    """Enforcement: the case's 决定书文号; service: the document number of the DECIDE event."""
    if case.case_kind == ENFORCEMENT:
        return case.decision_no
    decide = case.first("DECIDE")
    return decide.doc_no if decide else ""


def _disclosure(case: Case, ctx: AuditContext, found: dict[str, str]) -> None:
    cal, limit = ctx.calendar, case.item.disclosure_limit
    decision = decision_event(case)
    if limit is not None and decision is not None:
        cal.after(decision.day, limit)
        if case.disclosures:
            first = min(case.disclosures, key=lambda d: d.published_at)
            if cal.between(decision.day, first.published_at.date()) > limit:
                found["D_LATE"] = "red"
        elif cal.between(decision.day, ctx.as_of_day) > limit:
            found["D_MISSING"] = "red"
    expected_no = case_decision_no(case)
    for disclosure in case.disclosures:
        if disclosure.decision_no != expected_no or disclosure.fine != case.fine_amount:
            found["D_MISMATCH"] = "red"
        if RESIDENT_ID.search(disclosure.content):
            found["D_ID_EXPOSED"] = "red"
    revoke = case.first("REVOKE")
    if revoke is not None:
        if not case.disclosures:
            raise UnsupportedShape("a revoked decision that was never published")
        cal.after(revoke.day, WITHDRAW_LIMIT)
        withdrawn = case.disclosures[0].withdrawn_at
        if withdrawn is None:
            if cal.between(revoke.day, ctx.as_of_day) <= WITHDRAW_LIMIT:
                raise UnsupportedShape("a revocation still inside its withdrawal period at as_of")
            found["D_NOT_WITHDRAWN"] = "red"
        elif cal.between(revoke.day, withdrawn.date()) > WITHDRAW_LIMIT:
            found["D_NOT_WITHDRAWN"] = "red"
