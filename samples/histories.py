"""Service-case histories: from a :class:`ServicePlan` (what the case must look like) to a Case.

A plan fixes the shape of a case in working days: the net days counted on the clock up to the
decision (or up to as_of for an open case), the pauses (补正, 特别程序), extensions, the delivery
and publication gaps, and the content faults to plant. :func:`build_service` lays the steps out
on working-day indices relative to the submission, then places the whole history in time: at a
random date for a closed case, backwards from as_of for an open one, or on an anchor day chosen by
a scenario (a holiday window, a Monday for the UTC traps).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass

from samples import disclosures
from samples.district import District
from samples.model import LICENSING, WORKDAY, Case, Item, Party
from samples.timeline import Infeasible, Step, assign_times, doc_no, shift
from samples.workdays import WorkCalendar

APPROVE, DENY, REFUSE, OPEN = "approve", "deny", "refuse", "open"
MINUTE_PLATFORMS = ("sqzx", "zfba")
NOTES = {
    "SUBMIT": "材料已接收", "ACCEPT": "材料齐全，予以受理", "REFUSE": "不属于受理范围", "SUPPLEMENT_NOTICE": "一次性告知补正材料",
    "SUPPLEMENT_RECEIVED": "补正材料已接收", "REVIEW": "审查通过", "SUSPEND": "组织专家评审", "RESUME": "专家评审结束",
    "EXTEND": "经批准延长办理期限", "DECIDE": "同意", "DELIVER": "已送达", "CLOSE": "办结", "CHARGE": "已缴费",
}


@dataclass
class GenContext:
    """What every case builder needs: the district, the calendar, as_of and the date window."""

    district: District
    cal: WorkCalendar
    as_of: dt.datetime

    def __post_init__(self) -> None:
        self.first_idx = self.cal.index_on_or_after(dt.date(2025, 1, 1))
        self.asof_idx = self.cal.index(self.as_of.date())
        day = self.cal.day(self.asof_idx)
        late_enough = self.as_of.time() >= dt.time(17, 30)
        self.latest_idx = self.asof_idx if day != self.as_of.date() or late_enough else self.asof_idx - 1

    def staff(self, rng: random.Random, dept_code: str) -> str:
        return f"GZ{dept_code[-3:]}{rng.randint(1, 6):02d}"


@dataclass
class ServicePlan:
    outcome: str = APPROVE
    open_state: str = "review"  # review / decided / supplement / suspend / submitted
    used: int | None = None  # net working days on the clock to the decision, or to as_of when open
    last_age: int | None = None  # open: working days from the last event to as_of
    decided_age: int | None = None  # open_state "decided": working days from the decision to as_of
    pre_supplement: bool = False
    notice_gap: int | None = None
    repeat_supplement: bool = False
    post_supplement: bool = False
    suspend: bool = False
    extends: int = 0
    deliver_gap: int | None = 0  # working days from decision to delivery; None: not delivered
    disclose_gap: int | None = None  # working days from decision to publication; None: on time
    disclose: bool = True
    accept_notice: bool = True
    refuse_notice: bool = True
    without_accept: bool = False
    deliver_before_decide: bool = False
    fee: str = "standard"  # standard / above / on_free
    materials_missing: bool = False
    expose_id: bool = False
    instant: bool = False
    offhours_submit: bool = False
    anchor: tuple[str, int] | None = None  # ("start" | "decision", working-day index)
    accept_at: int | None = None  # seconds after midnight
    decide_at: int | None = None


def case_no(platform: str, index: int, day: dt.date, dept_code: str) -> str:
    serial = f"{index + 1:07d}"
    return {
        "qyzx": f"QY{day.year}{serial}",
        "mszx": f"MS{day.year}-{serial}",
        "sqzx": f"SQ{dept_code[-3:]}{day.year}{serial}",
        "wsdt": f"WS{day:%Y%m%d}{serial}",
        "xtbg": f"XT-{day.year}-{serial}",
    }[platform]


def _pick(rng: random.Random, low: int, high: int) -> int:
    if high < low:
        raise Infeasible(f"empty range {low}..{high}")
    return rng.randint(low, high)


def _layout_pending(rng: random.Random, item: Item, plan: ServicePlan, staff: str) -> list[Step]:
    """An open case waiting at as_of: just submitted, waiting for 补正 materials, or in a special procedure."""
    steps = [Step("SUBMIT", 0, actor=staff, note=NOTES["SUBMIT"])]
    first_after_submit = 1 if plan.offhours_submit else 0
    if plan.last_age is None:
        plan.last_age = rng.randint(1, 9) if plan.open_state == "submitted" else rng.randint(1, 30)
    if plan.open_state == "supplement":
        notice = max(rng.choice([0, 1, 2, 3, 5]), first_after_submit)
        steps.append(Step("SUPPLEMENT_NOTICE", notice, doc_type="补正材料通知书", doc_kind="补"))
    elif plan.open_state == "suspend":
        accept = max(rng.choice([0, 0, 1]), first_after_submit)
        review = accept + rng.randint(0, 3)
        suspend = review + rng.randint(0, max(0, (item.promised_limit or 4) - 4 - review + accept))
        steps += [Step("ACCEPT", accept, doc_type="受理通知书", doc_kind="受", note=NOTES["ACCEPT"]),
                  Step("REVIEW", review, note=NOTES["REVIEW"]),
                  Step("SUSPEND", suspend, doc_type="特别程序告知书", doc_kind="特", note=NOTES["SUSPEND"])]
    return steps


def _layout(ctx: GenContext, rng: random.Random, item: Item, plan: ServicePlan, staff: str,
            ) -> tuple[list[Step], int, int]:
    """Steps on relative working-day indices (submission = 0); returns (steps, decision, start)."""
    if plan.outcome == OPEN and plan.open_state in ("submitted", "supplement", "suspend"):
        steps = _layout_pending(rng, item, plan, staff)
        return steps, steps[-1].idx, 0
    promised = item.promised_limit or 1
    steps = [Step("SUBMIT", 0, actor=staff, note=NOTES["SUBMIT"])]
    cur, late, paused_pre = 0, False, 0
    first_after_submit = 1 if plan.offhours_submit else 0
    if plan.pre_supplement:
        gap = plan.notice_gap if plan.notice_gap is not None else rng.choice([0, 1, 1, 2, 2, 3, 4, 5])
        notice = max(gap, first_after_submit)
        received = notice + rng.randint(1, 6)
        steps += [Step("SUPPLEMENT_NOTICE", notice, doc_type="补正材料通知书", doc_kind="补"),
                  Step("SUPPLEMENT_RECEIVED", received)]
        late = notice > 5
        paused_pre = received - notice if late else 0
        cur = received
        if plan.repeat_supplement:
            second = received + rng.randint(0, 2)
            cur = second + rng.randint(1, 4)
            steps += [Step("SUPPLEMENT_NOTICE", second, doc_type="补正材料通知书", doc_kind="补", note="再次补正"),
                      Step("SUPPLEMENT_RECEIVED", cur)]
    if plan.outcome == REFUSE:
        refuse = max(cur + rng.choice([0, 0, 1, 2]), first_after_submit)
        doc = ("不予受理通知书", "不受") if plan.refuse_notice else ("", "")
        steps += [Step("REFUSE", refuse, doc_type=doc[0], doc_kind=doc[1], note=NOTES["REFUSE"]),
                  Step("CLOSE", refuse, note=NOTES["CLOSE"])]
        return steps, refuse, -1
    accept = max(cur + (0 if plan.instant else rng.choice([0, 0, 0, 1, 1, 2])), first_after_submit)
    if plan.accept_at is not None:
        accept = max(accept, 1)
    if not plan.without_accept:
        doc = ("受理通知书", "受") if plan.accept_notice else ("", "")
        steps.append(Step("ACCEPT", accept, at=plan.accept_at, tie=True if plan.instant else None,
                          doc_type=doc[0], doc_kind=doc[1], note=NOTES["ACCEPT"]))
    start = 0 if late else accept
    net_accept = accept - start - paused_pre
    is_open = plan.outcome == OPEN and plan.open_state == "review"
    if is_open and plan.last_age is None:
        plan.last_age = rng.randint(0, 9)
    if plan.used is None:
        if is_open:
            plan.used = _pick(rng, max(net_accept, plan.last_age or 0), promised - 3)
        elif item.limit_unit == WORKDAY:
            plan.used = _pick(rng, net_accept, max(net_accept, promised))
        else:
            plan.used = _pick(rng, net_accept, max(net_accept, promised // 3))
    used = plan.used
    if used < net_accept:
        raise Infeasible("decision before acceptance")
    upper = used - (plan.last_age or 0) if is_open else used
    if plan.decide_at is not None:
        upper = used - 1
    inner: list[tuple[int, int, str, int]] = []
    for _ in range(0 if plan.instant else rng.choice([1, 1, 2])):
        inner.append((_pick(rng, net_accept, max(net_accept, upper)), 0, "review", 0))
    if plan.post_supplement:
        limit = min(upper - 1, 5 - start - paused_pre)
        inner.append((_pick(rng, net_accept, limit), 1, "supplement", rng.randint(1, 5)))
    if plan.suspend:
        inner.append((_pick(rng, net_accept, upper - 1), 2, "suspend", rng.randint(2, 8)))
    for k in range(plan.extends):
        inner.append((_pick(rng, net_accept, max(net_accept, min(upper, promised - 1))), 3 + k, "extend", 0))
    if plan.deliver_before_decide:
        inner.append((_pick(rng, net_accept, upper), 9, "deliver", 0))
    paused = paused_pre
    for offset, _order, kind, length in sorted(inner):
        idx = start + offset + paused
        if kind == "review":
            steps.append(Step("REVIEW", idx, note=NOTES["REVIEW"]))
        elif kind == "supplement":
            steps += [Step("SUPPLEMENT_NOTICE", idx, doc_type="补正材料通知书", doc_kind="补"),
                      Step("SUPPLEMENT_RECEIVED", idx + length)]
            paused += length
        elif kind == "suspend":
            steps += [Step("SUSPEND", idx, doc_type="特别程序告知书", doc_kind="特", note=NOTES["SUSPEND"]),
                      Step("RESUME", idx + length, note=NOTES["RESUME"])]
            paused += length
        elif kind == "extend":
            steps.append(Step("EXTEND", idx, doc_type="延期办理通知书", doc_kind="延", note=NOTES["EXTEND"]))
        else:
            steps.append(Step("DELIVER", idx, doc_type="送达回证", doc_kind="送"))
    decision = start + used + paused
    if is_open:
        steps.append(Step("REVIEW", decision - (plan.last_age or 0), note="正在审查"))
    return steps, decision, start


def _finish(item: Item, plan: ServicePlan, steps: list[Step], decision: int, fee: int | None) -> None:
    """Decision, charge, delivery and closing steps of a decided case."""
    if plan.outcome in (REFUSE,) or (plan.outcome == OPEN and plan.open_state != "decided"):
        return
    if item.kind == LICENSING:
        doc = ("准予行政许可决定书", "许准") if plan.outcome != DENY else ("不予行政许可决定书", "许不")
    else:
        doc = ("办理结果通知书", "办")
    tie = True if plan.instant else None
    steps.append(Step("DECIDE", decision, at=plan.decide_at, tie=tie, doc_type=doc[0], doc_kind=doc[1],
                      note=NOTES["DECIDE"] if plan.outcome != DENY else "不符合法定条件，不予许可"))
    if fee:
        steps.append(Step("CHARGE", decision, tie=tie, doc_type="收费票据", amount=fee, note=NOTES["CHARGE"]))
    if plan.outcome == OPEN or plan.deliver_before_decide:
        if plan.deliver_before_decide:
            steps.append(Step("CLOSE", decision, tie=tie, note=NOTES["CLOSE"]))
        return
    if plan.deliver_gap is None:
        return
    deliver = decision + plan.deliver_gap
    steps.append(Step("DELIVER", deliver, tie=tie, doc_type="送达回证", doc_kind="送", note=NOTES["DELIVER"]))
    steps.append(Step("CLOSE", deliver, tie=tie, note=NOTES["CLOSE"]))


def _fee(rng: random.Random, item: Item, plan: ServicePlan) -> int | None:
    if plan.outcome == REFUSE or (plan.outcome == OPEN and plan.open_state != "decided"):
        return None
    if plan.fee == "above":
        return item.fee_standard + rng.choice([10, 20, 50, 100])
    if plan.fee == "on_free":
        return rng.choice([10, 20, 50])
    if plan.outcome == DENY:
        return 0
    if item.fee_standard and rng.random() < 0.05:
        return item.fee_standard // 2  # a reduction (减半收取)
    return item.fee_standard


def _offset(ctx: GenContext, rng: random.Random, plan: ServicePlan, steps: list[Step], decision: int,
            start: int) -> int:
    if plan.anchor is not None:
        kind, target = plan.anchor
        return target - (start if kind == "start" else decision)
    if plan.outcome == OPEN:
        if plan.open_state == "review":
            return ctx.asof_idx - decision
        if plan.open_state == "decided":
            return ctx.asof_idx - (plan.decided_age or 0) - decision
        return ctx.asof_idx - (plan.last_age or 0) - steps[-1].idx
    span = max(step.idx for step in steps)
    return _pick(rng, ctx.first_idx, ctx.latest_idx - span)


def build_service(ctx: GenContext, rng: random.Random, index: int, platform: str, item: Item, party: Party,
                  plan: ServicePlan) -> Case:
    if item.limit_unit != WORKDAY and (plan.outcome == OPEN and plan.open_state == "review"):
        raise Infeasible("open cases only for items counted in working days")
    plan = dataclasses.replace(plan)
    staff = "" if platform == "wsdt" else ctx.staff(rng, item.dept_code)
    steps, decision, start = _layout(ctx, rng, item, plan, staff)
    fee = _fee(rng, item, plan)
    _finish(item, plan, steps, decision, fee)
    offset = _offset(ctx, rng, plan, steps, decision, start)
    shift(steps, offset)
    decision += offset
    if min(s.idx for s in steps) < ctx.first_idx or max(s.idx for s in steps) > ctx.latest_idx:
        raise Infeasible("history outside the window")
    dept = ctx.district.dept_by_code[item.dept_code]
    submit_day = ctx.cal.day(steps[0].idx)
    if plan.offhours_submit:
        _offhours(ctx, rng, steps[0])
        submit_day = steps[0].day or submit_day
    for step in steps:
        step.actor = step.actor or ctx.staff(rng, item.dept_code)
        if step.doc_kind:
            year = ctx.cal.day(step.idx).year
            suffix = "-2" if step.note == "再次补正" else ""
            step.doc_no = doc_no(dept.abbr, step.doc_kind, year, index + 1, suffix)
        step.note = step.note or NOTES.get(step.activity, "")
    if platform == "wsdt":
        steps[0].actor = ""
    events = assign_times(steps, ctx.cal, rng, whole_minutes=platform in MINUTE_PLATFORMS)
    if events[-1].ts > ctx.as_of:
        raise Infeasible("an event after as_of")
    materials = list(item.required_materials)
    if plan.materials_missing:
        materials.remove(rng.choice(materials))
    elif rng.random() < 0.2:
        materials.append(rng.choice(["其他补充材料", "情况说明"]))
    result = {APPROVE: "准予", DENY: "不予", REFUSE: "不予受理"}.get(plan.outcome, "")
    if plan.outcome == OPEN and plan.open_state == "decided":
        result = "准予"
    case = Case(index=index, platform=platform, case_no=case_no(platform, index, submit_day, item.dept_code),
                item=item, party=party, events=events, submitted_at=events[0].ts, close_result=result,
                fee_charged=fee, materials=tuple(materials))
    if fee:
        case.receipt_no = f"PJ{submit_day.year}{index + 1:08d}"
        for event in events:
            if event.activity == "CHARGE":
                event.doc_no = case.receipt_no
    if platform == "qyzx":
        case.window_no = rng.choice(ctx.district.windows[item.dept_code])
    if result == "准予" and item.kind == LICENSING and item.disclosure_limit is not None and plan.disclose:
        _publish(ctx, rng, case, plan, decision)
    return case


def _offhours(ctx: GenContext, rng: random.Random, submit: Step) -> None:
    """An online application outside office hours: on a day off before the next working day, or at night."""
    day = ctx.cal.day(submit.idx)
    following = ctx.cal.day(submit.idx + 1)
    gap = (following - day).days
    if gap > 1:
        submit.day = day + dt.timedelta(days=rng.randint(1, gap - 1))
        submit.at = rng.randint(8 * 3600, 22 * 3600)
    else:
        submit.at = rng.randint(18 * 3600, 23 * 3600)


def _publish(ctx: GenContext, rng: random.Random, case: Case, plan: ServicePlan, decision: int) -> None:
    limit = case.item.disclosure_limit or 3
    gap = plan.disclose_gap if plan.disclose_gap is not None else rng.randint(0, limit)
    decide = case.first("DECIDE")
    assert decide is not None
    if gap == 0:
        published = decide.ts + dt.timedelta(minutes=rng.randint(20, 240))
    else:
        day = ctx.cal.day(decision + gap)
        published = dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59), rng.randint(0, 59)))
    if published > ctx.as_of:
        if plan.disclose_gap is not None and plan.disclose_gap > limit:
            raise Infeasible("a late publication after as_of")
        return
    case.disclosures.append(disclosures.for_licence(case, decide, published, expose_id=plan.expose_id))

