"""Law-enforcement cases (行政执法办案系统): 立案 → 调查取证 → 告知 → [听证] → 处罚决定 → 送达 → 执行 → 结案.

Periods here are natural days (90 days to decide, 7 to deliver), so the history is planned on
dates; every step still falls on a working day. Each step lists the officers present: a team of two
certified officers unless an :class:`EnforcementPlan` plants a single or uncertified officer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from dataclasses import dataclass

from samples import disclosures
from samples.district import EXPIRED_ON, NEW_CERT_FROM
from samples.histories import GenContext
from samples.model import ENFORCEMENT, ORG, PERSON, SOLE_TRADER, Case, Item
from samples.names import make_party
from samples.timeline import Infeasible, Step, assign_times, doc_no

CHECKED = ("INVESTIGATE", "PENALTY_DECISION")


@dataclass
class EnforcementPlan:
    open_state: str | None = None  # None (closed) / investigating / decided
    decide_days: int | None = None  # natural days from 立案 to the decision
    deliver_days: int | None = 0  # natural days from the decision to delivery; None: not delivered
    file_age: int | None = None  # investigating: natural days from 立案 to as_of
    decided_age: int | None = None  # decided: working days from the decision to as_of
    notify: bool = True
    fine: str = "in"  # in / above / below / unknown_level
    officers: str = "ok"  # ok / single / same_twice / expired / not_yet_valid / no_certificate / unknown / assistant_on_delivery
    disclosure: str = "ok"  # ok / late / missing / mismatch_fine / mismatch_no / id
    revoke: str | None = None  # ok / late / never
    party_kind: str | None = None


def _fwd(ctx: GenContext, day: dt.date) -> dt.date:
    return ctx.cal.day(ctx.cal.index_on_or_after(day))


def _back(ctx: GenContext, day: dt.date) -> dt.date:
    return ctx.cal.day(ctx.cal.index(day))


def _days(ctx: GenContext, rng: random.Random, plan: EnforcementPlan, hearing: bool) -> dict[str, dt.date | None]:
    """The day of each step; raises Infeasible when the history does not fit the window."""
    cal, as_of_day = ctx.cal, ctx.as_of.date()
    latest = cal.day(ctx.latest_idx)
    window_first = cal.day(ctx.first_idx)
    k = plan.decide_days if plan.decide_days is not None else rng.randint(8, 80)
    if plan.open_state == "investigating":
        age = plan.file_age if plan.file_age is not None else rng.randint(3, 80)
        filed = _back(ctx, as_of_day - dt.timedelta(days=age))
        decided = None
    elif plan.open_state == "decided":
        decided = cal.day(ctx.asof_idx - (plan.decided_age or 0))
        filed = _back(ctx, decided - dt.timedelta(days=k))
    else:
        span = k + 40
        last_start = (latest - window_first).days - span
        if last_start < 0:
            raise Infeasible("window too short")
        filed = _fwd(ctx, window_first + dt.timedelta(days=rng.randint(0, last_start)))
        decided = filed + dt.timedelta(days=k)
        if plan.decide_days is not None and not cal.is_workday(decided):
            raise Infeasible("the exact decision day is not a working day")
        decided = _back(ctx, decided)
    if filed < window_first:
        raise Infeasible("filed before the window")
    days: dict[str, dt.date | None] = {"FILE_CASE": filed}
    end = decided if decided is not None else latest
    investigate = _fwd(ctx, filed + dt.timedelta(days=rng.randint(0, 6)))
    if investigate > end:
        investigate = filed
    days["INVESTIGATE"] = investigate
    days["NOTIFY"] = None
    if decided is not None or rng.random() < 0.5:
        notify = _back(ctx, (decided or latest) - dt.timedelta(days=rng.randint(3, 6)))
        days["NOTIFY"] = notify if notify >= investigate and plan.notify else (investigate if plan.notify else None)
    days["HEARING"] = None
    notified = days["NOTIFY"]
    if hearing and decided is not None and notified is not None:
        heard = _fwd(ctx, notified + dt.timedelta(days=rng.randint(1, 3)))
        days["HEARING"] = heard if heard <= decided else None
    days["PENALTY_DECISION"] = decided
    days["DELIVER"] = days["EXECUTE"] = days["CLOSE"] = days["REVOKE"] = None
    if decided is not None and plan.deliver_days is not None:
        deliver = _fwd(ctx, decided + dt.timedelta(days=plan.deliver_days))
        if deliver <= latest:
            days["DELIVER"] = deliver
            if plan.open_state is None:
                execute = _fwd(ctx, deliver + dt.timedelta(days=rng.randint(1, 15)))
                days["EXECUTE"] = execute
                days["CLOSE"] = _fwd(ctx, execute + dt.timedelta(days=rng.randint(0, 3)))
        elif plan.open_state is None:
            raise Infeasible("delivery after as_of")
    if plan.revoke is not None and decided is not None:
        days["REVOKE"] = _fwd(ctx, max(d for d in days.values() if d) + dt.timedelta(days=rng.randint(5, 30)))
    if max(d for d in days.values() if d) > latest:
        raise Infeasible("a step after as_of")
    return days


def _team(ctx: GenContext, rng: random.Random, dept: str, plan: EnforcementPlan,
          days: dict[str, dt.date | None]) -> dict[str, tuple[str, ...]]:
    regular = ctx.district.regular_officers[dept]
    pair = tuple(rng.sample(regular, 2))
    team: dict[str, tuple[str, ...]] = {activity: (pair[0].officer_id, pair[1].officer_id) for activity in days}
    if plan.officers == "ok":
        return team
    if plan.officers == "assistant_on_delivery":
        if days["DELIVER"] is None:
            raise Infeasible("no delivery")
        team["DELIVER"] = (pair[0].officer_id, ctx.district.special_officers[dept]["no_certificate"].officer_id)
        return team
    step = rng.choice([a for a in CHECKED if days[a] is not None])
    day = days[step]
    assert day is not None
    if plan.officers == "single":
        team[step] = (pair[0].officer_id,)
    elif plan.officers == "same_twice":
        team[step] = (pair[0].officer_id, pair[0].officer_id)
    elif plan.officers == "unknown":
        team[step] = (pair[0].officer_id, f"ZF{dept[-3:]}099")
    else:
        special = ctx.district.special_officers[dept][plan.officers]
        if plan.officers == "expired" and day <= EXPIRED_ON:
            raise Infeasible("certificate still valid")
        if plan.officers == "not_yet_valid" and day >= NEW_CERT_FROM:
            raise Infeasible("certificate already valid")
        team[step] = (pair[0].officer_id, special.officer_id)
    return team


def _fine(ctx: GenContext, rng: random.Random, item: Item, plan: EnforcementPlan) -> tuple[str, str, int]:
    rows = ctx.district.discretion_by_item[item.code]
    row = rng.choices(rows, weights=[6, 3, 1])[0]
    if plan.fine == "above":
        return row.violation_code, row.level, row.max_fine + rng.choice([100, 500, 1000, row.min_fine])
    if plan.fine == "below":
        return row.violation_code, row.level, row.min_fine - rng.choice([100, 200, 300, 400])
    if plan.fine == "unknown_level":
        return row.violation_code, "特别严重", rows[-1].max_fine * 2
    return row.violation_code, row.level, rng.randint(row.min_fine // 100, row.max_fine // 100) * 100


def build_enforcement(ctx: GenContext, rng: random.Random, index: int, item: Item, plan: EnforcementPlan) -> Case:
    plan = dataclasses.replace(plan)
    dept = item.dept_code
    abbr = ctx.district.dept_by_code[dept].abbr
    violation, level, fine = _fine(ctx, rng, item, plan)
    days = _days(ctx, rng, plan, hearing=level == "严重")
    team = _team(ctx, rng, dept, plan, days)
    kind = plan.party_kind or rng.choices([PERSON, ORG, SOLE_TRADER], weights=[4, 4, 2])[0]
    party = make_party(rng, kind, rare_names=True)
    filed = days["FILE_CASE"]
    assert filed is not None
    serial, year = index + 1, filed.year
    decided = days["PENALTY_DECISION"]
    decision_no = doc_no(abbr, "罚决", decided.year, serial) if decided else ""
    labels = {
        "FILE_CASE": ("立案审批表", "立"), "INVESTIGATE": ("现场检查笔录", ""), "NOTIFY": ("行政处罚告知书", "告"), "HEARING": ("听证笔录", ""),
        "PENALTY_DECISION": ("行政处罚决定书", ""), "DELIVER": ("送达回证", "送"), "EXECUTE": ("罚没款缴纳凭证", ""),
        "CLOSE": ("结案审批表", "结"), "REVOKE": ("撤销行政处罚决定书", "撤"),
    }
    steps: list[Step] = []
    for activity in ("FILE_CASE", "INVESTIGATE", "NOTIFY", "HEARING", "PENALTY_DECISION", "DELIVER", "EXECUTE",
                     "CLOSE", "REVOKE"):
        day = days[activity]
        if day is None:
            continue
        doc_type, short = labels[activity]
        number = decision_no if activity == "PENALTY_DECISION" else (doc_no(abbr, short, day.year, serial) if short else "")
        amount = fine if activity in ("PENALTY_DECISION", "EXECUTE") else None
        steps.append(Step(activity, ctx.cal.index(day), doc_type=doc_type, doc_no=number, amount=amount,
                          officers=team[activity]))
    events = assign_times(steps, ctx.cal, rng, whole_minutes=True)
    if events[-1].ts > ctx.as_of:
        raise Infeasible("an event after as_of")
    registered = events[0].ts - dt.timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 5))
    registered = registered.replace(second=0)
    if registered.date() < ctx.cal.day(ctx.first_idx):
        registered = events[0].ts
    cause = item.name.removeprefix("对").removesuffix("的行政处罚")
    case = Case(
        index=index, platform="zfba", case_no=f"ZF{dept[-3:]}{year}{serial:07d}", item=item, party=party,
        case_kind=ENFORCEMENT, events=events, submitted_at=registered, cause=cause,
        close_result="处罚" if decided else "", violation_code=violation if decided else "",
        discretion_level=level if decided else "", fine_amount=fine if decided else None, decision_no=decision_no,
    )
    if decided is not None:
        _publish(ctx, rng, case, plan)
    return case


def _publish(ctx: GenContext, rng: random.Random, case: Case, plan: EnforcementPlan) -> None:
    decision = case.first("PENALTY_DECISION")
    assert decision is not None
    limit = case.item.disclosure_limit or 3
    if plan.disclosure == "missing":
        return
    gap = rng.randint(limit + 1, limit + 6) if plan.disclosure == "late" else rng.randint(0, limit)
    if gap == 0:
        published = decision.ts + dt.timedelta(minutes=rng.randint(30, 240))
    else:
        day = ctx.cal.day(ctx.cal.index(decision.day) + gap)
        published = dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59), rng.randint(0, 59)))
    if published > ctx.as_of:
        if plan.disclosure != "ok" or plan.revoke:
            raise Infeasible("the planted publication would come after as_of")
        return
    number = fine = None
    if plan.disclosure == "mismatch_no":
        typo = rng.randint(1, 9)
        number = re.sub(r"第(\d+)号", lambda m: f"第{int(m.group(1)) + typo:06d}号", case.decision_no)
    elif plan.disclosure == "mismatch_fine":
        fine = (case.fine_amount or 0) + rng.choice([-100, 100, 1000, 9000])
    if plan.disclosure == "id" and case.party.kind != PERSON:
        raise Infeasible("only a person has a resident ID to expose")
    disclosure = disclosures.for_penalty(case, decision, published, decision_no=number, fine=fine,
                                         expose_id=plan.disclosure == "id")
    case.disclosures.append(disclosure)
    revoke = case.first("REVOKE")
    if revoke is not None:
        if revoke.ts <= published:
            raise Infeasible("revoked before publication")
        if plan.revoke == "never":
            return
        gap = rng.randint(0, 3) if plan.revoke == "ok" else rng.randint(4, 9)
        day = ctx.cal.day(ctx.cal.index(revoke.day) + gap)
        withdrawn = dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59)))
        if gap == 0:
            withdrawn = revoke.ts + dt.timedelta(minutes=rng.randint(10, 120))
        if withdrawn > ctx.as_of:
            raise Infeasible("withdrawal after as_of")
        disclosure.withdrawn_at = withdrawn
