"""Trap cases: histories a naive audit gets wrong.

Most traps are clean cases that a shortcut would flag (counting weekdays instead of the working-day
calendar, taking dates in UTC, ordering tied events by name, adding every extension ...). A few are
violations that a shortcut would miss; those are in the ground truth as well, and their trap name
ends in ``_violation``. Every trap is written to ``truth/traps.csv`` with a note saying what the
shortcut would conclude.
"""

from __future__ import annotations

import datetime as dt
import random

from samples.enforcement import EnforcementPlan
from samples.histories import DENY, OPEN, REFUSE, ServicePlan, build_service
from samples.model import ORG, Case
from samples.plants import Kit, c_single_officer, enforcement_case, expect, service_case
from samples.pools import SERVICE, party_for
from samples.timeline import Infeasible
from samples.workdays import WorkCalendar

EARLY_MORNING = (7 * 3600, 7 * 3600 + 55 * 60)  # 07:00-07:55 local = 23:00-23:55 UTC the day before


def _weekday_count(start: dt.date, end: dt.date) -> int:
    """What a weekdays-only shortcut counts for (start, end]."""
    count, day = 0, start + dt.timedelta(days=1)
    while day <= end:
        count += day.weekday() < 5
        day += dt.timedelta(days=1)
    return count


def _makeups(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    """Make-up working days (调休) on weekends in (start, end]."""
    return sum(1 for d in cal.workdays if start < d <= end and d.weekday() >= 5)


def _trap(case: Case, name: str, note: str) -> Case:
    case.traps.append((name, note))
    return case


def _counts(kit: Kit, case: Case) -> tuple[dt.date, dt.date, int, int, int]:
    accept, decide = case.first("ACCEPT"), case.first("DECIDE")
    if accept is None or decide is None:
        raise Infeasible("not decided")
    cal = kit.ctx.cal
    a, d = accept.day, decide.day
    return a, d, cal.between(a, d), _weekday_count(a, d), cal.between(a, d) - _makeups(cal, a, d)


def holiday_case(kit: Kit, rng: random.Random, index: int, overdue: bool) -> Case:
    cal = kit.ctx.cal
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "gap" if overdue else "promise10")
    promised = item.promised_limit or 0
    used = promised + 1 if overdue else promised
    window = rng.choice(cal.holiday_windows)
    first, last = cal.index(window.first_makeup), cal.index(window.last_makeup)
    start = rng.randint(last - used, first - 1) if last - used <= first - 1 else None
    if start is None:
        raise Infeasible("limit shorter than the holiday window")
    plan = ServicePlan(used=used, anchor=("start", start))
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    a, d, true, weekdays, no_makeup = _counts(kit, case)
    if overdue:
        note = (f"{window.name}: {true} > {promised} working days from {a} to {d}; a calendar without make-up "
                f"days counts {no_makeup} and misses it")
        return _trap(expect(case, ("T_PROMISED", "red", f"{true} > {promised} across {window.name}")),
                     "holiday_overdue_violation", note)
    note = (f"{window.name}: decided on day {true} of {promised} ({a} to {d}); counting weekdays gives {weekdays}")
    return _trap(case, "holiday_just_in_time", note)


def makeup_day_overdue(kit: Kit, rng: random.Random, index: int) -> Case:
    cal = kit.ctx.cal
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "gap")
    used = (item.promised_limit or 0) + 1
    makeups = [cal.index(d) for d in cal.workdays if d.weekday() >= 5]
    m = rng.choice(makeups)
    start = rng.randint(m - used, m - 1)
    if _weekday_count(cal.day(start), cal.day(start + used)) != used - 1:
        raise Infeasible("the window also holds a holiday")
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item),
                         ServicePlan(used=used, anchor=("start", start)))
    a, d, true, weekdays, _ = _counts(kit, case)
    case = expect(case, ("T_PROMISED", "red", f"{true} > {item.promised_limit} working days incl. a make-up day"))
    return _trap(case, "makeup_day_overdue_violation",
                 f"{a} to {d} holds make-up day {cal.day(m)}: {true} working days, weekdays-only count {weekdays}")


def _after_day_off(kit: Kit, rng: random.Random) -> int:
    """A working day whose previous calendar day is a day off (so 07:xx local is the day off in UTC)."""
    cal, ctx = kit.ctx.cal, kit.ctx
    for _ in range(50):
        idx = rng.randint(ctx.first_idx + 30, ctx.latest_idx - 15)
        if not cal.is_workday(cal.day(idx) - dt.timedelta(days=1)):
            return idx
    raise Infeasible("no working day after a day off")


def utc_clean(kit: Kit, rng: random.Random, index: int) -> Case:
    item = kit.pools.item(rng, "xtbg", "workday")
    promised = item.promised_limit or 0
    plan = ServicePlan(used=promised, anchor=("start", _after_day_off(kit, rng)), accept_at=rng.randint(*EARLY_MORNING))
    case = build_service(kit.ctx, rng, index, "xtbg", item, party_for(rng, item), plan)
    a, d, true, _, _ = _counts(kit, case)
    return _trap(case, "utc_local_date", f"accepted {a} 07:xx local = the day before in UTC; local count {true} of "
                 f"{promised}, UTC-date count {true + 1}")


def utc_violation(kit: Kit, rng: random.Random, index: int) -> Case:
    item = kit.pools.item(rng, "xtbg", "gap")
    promised = item.promised_limit or 0
    plan = ServicePlan(used=promised + 1, anchor=("decision", _after_day_off(kit, rng)),
                       decide_at=rng.randint(*EARLY_MORNING))
    case = build_service(kit.ctx, rng, index, "xtbg", item, party_for(rng, item), plan)
    a, d, true, _, _ = _counts(kit, case)
    case = expect(case, ("T_PROMISED", "red", f"{true} > {promised} working days (local dates)"))
    return _trap(case, "utc_local_date_violation", f"decided {d} 07:xx local = the day before in UTC; local count "
                 f"{true} > {promised}, UTC-date count {true - 1} misses it")


def instant_ties(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(instant=True, used=0, deliver_gap=0))
    return _trap(case, "time_tie", "当场办结: every event shares one timestamp; only the source order is right")


def fullwidth(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(pre_supplement=rng.random() < 0.5), platforms=("sqzx",))
    case.fullwidth = True
    return _trap(case, "fullwidth_digits", "every date cell written with full-width digits")


def extension_within(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "promise4")
    used = rng.randint((item.promised_limit or 0) + 1, (item.promised_limit or 0) + 10)
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item),
                         ServicePlan(used=used, extends=1))
    return _trap(case, "extension_within_limit", f"{used} > promised {item.promised_limit} but within +10 after EXTEND")


def second_extension(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "gap")
    promised, legal = item.promised_limit or 0, item.legal_limit or 0
    used = rng.randint(promised + 11, min(legal + 10, promised + 20))
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item),
                         ServicePlan(used=used, extends=2))
    case = expect(case, ("T_PROMISED", "red", f"{used} > {promised}+10; the second EXTEND does not count"))
    return _trap(case, "second_extension_violation", "two EXTEND events; adding both would hide the overrun")


def pause_within(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "promise4")
    promised = item.promised_limit or 0
    suspend = rng.random() < 0.6
    plan = ServicePlan(used=rng.randint(promised - 2, promised), suspend=suspend, post_supplement=not suspend)
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item), plan)
    a, d, gross, _, _ = _counts(kit, case)
    if gross <= promised:
        raise Infeasible("pause too short to matter")
    kind = "特别程序" if suspend else "补正"
    return _trap(case, "pause_within_limit", f"{gross} working days gross, {plan.used} net of the {kind} pause")


def open_paused(kit: Kit, rng: random.Random, index: int) -> Case:
    platform = kit.pools.platform(rng, SERVICE)
    item = kit.pools.item(rng, platform, "promise10")
    age = (item.promised_limit or 0) + rng.randint(3, 15)
    case = build_service(kit.ctx, rng, index, platform, item, party_for(rng, item),
                         ServicePlan(outcome=OPEN, open_state="suspend", last_age=age))
    return _trap(case, "open_paused", f"in a special procedure for {age} working days at as_of: the clock is stopped")


def refused_incomplete(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(outcome=REFUSE, materials_missing=True))
    return _trap(case, "refused_incomplete_materials", "materials incomplete, but the case was refused, not accepted")


def denied_without_delivery(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(outcome=DENY, deliver_gap=None), filter="licensing",
                        platforms=("qyzx", "mszx", "xtbg"))
    return _trap(case, "denied_without_delivery", "不予 decision: no delivery deadline applies")


def weekend_submission(kit: Kit, rng: random.Random, index: int) -> Case:
    plan = ServicePlan(offhours_submit=True, pre_supplement=True, notice_gap=5)
    case = service_case(kit, rng, index, plan, platforms=("wsdt",))
    if kit.ctx.cal.is_workday(case.events[0].day):
        raise Infeasible("submitted on a working day")
    return _trap(case, "weekend_submission", f"submitted on {case.events[0].day} (day off); 补正 notice on working "
                 "day 5 counted from the day off, not late")


def enforcement_90_days(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(decide_days=90))
    return _trap(case, "enforcement_90_days", "decided exactly 90 natural days after 立案: in time")


def org_credit_code(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(party_kind=ORG))
    if not case.disclosures:
        raise Infeasible("no publication")
    return _trap(case, "org_credit_code_published", "a company's credit code is published whole; it is not a resident ID")


def assistant_on_delivery(kit: Kit, rng: random.Random, index: int) -> Case:
    case = enforcement_case(kit, rng, index, EnforcementPlan(officers="assistant_on_delivery"))
    return _trap(case, "assistant_on_delivery", "an uncertified assistant on 送达 only (not a checked step)")


def same_officer_twice(kit: Kit, rng: random.Random, index: int) -> Case:
    case = c_single_officer(kit, rng, index, mode="same_twice")
    return _trap(case, "same_officer_twice_violation", "one officer listed twice: two ids, one distinct officer")


def open_recent(kit: Kit, rng: random.Random, index: int) -> Case:
    case = service_case(kit, rng, index, ServicePlan(outcome=OPEN, open_state="supplement"))
    return _trap(case, "open_waiting_supplement", "waiting for 补正 materials at as_of: not stalled, not overdue")
