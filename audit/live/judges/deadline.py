"""The ``deadline`` judge: :class:`audit.rules.kinds.DeadlineRule` for one case, step by step as
``audit.compile.deadline`` computes it (marks → clock → stop → pauses → extension → measure →
level), including its NULL behaviour where a date lies outside the calendar."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from audit.live.judges import (
    AS_OF, Judgement, event_ref, finding, fmt_date, fmt_time, in_scope, label, next_midnight, ordered_codes,
    text,
)
from audit.live.model import Row, View
from audit.rules.explain import LIMIT_COLUMN_LABELS
from audit.rules.kinds import DeadlineRule
from audit.rules.vocab import ACTIVITIES, UNIT_LABELS

UNITS = ("workday", "day", "month")
COUNT_LABELS = {"workday": "个工作日", "day": "日", "month": "日"}


@dataclass
class Pause:
    begin: Row
    end: Row | None
    units: int | None
    workdays: int | None
    days: int | None


def stop_codes(rule: DeadlineRule) -> list[str]:
    return list(rule.stop.activities) if rule.stop else []


def activities_used(rule: DeadlineRule) -> list[str] | None:
    if rule.start.activity == "*":
        return None
    codes = [rule.start.activity, *stop_codes(rule), *rule.skip_cases_with]
    if rule.start.fallback:
        codes += [rule.start.fallback.activity, rule.start.fallback.late]
    codes += [a for p in rule.pauses for a in (p.begin, p.end)]
    if rule.extension:
        codes.append(rule.extension.activity)
    return codes


def deadline(rule: DeadlineRule, view: View) -> Judgement:  # noqa: C901 - the steps of the SQL, in order
    if not in_scope(rule, view):
        return Judgement()
    item = view.item or {}
    limit_n = item.get(rule.limit.column) if rule.limit.column else rule.limit.value
    unit = item.get("limit_unit") if rule.unit == "item" else rule.unit
    if limit_n is None or unit not in UNITS:
        return Judgement()
    used_codes = activities_used(rule)
    events = [e for e in view.events if used_codes is None or e["activity"] in used_codes]
    if not events:
        return Judgement()
    cal = view.calendar
    if rule.skip_cases_with and any(e["activity"] in rule.skip_cases_with for e in events):
        return Judgement()

    # marks and clock: the start actually used
    start = _start(rule, events)
    fallback_used: bool | None = False
    fallback = rule.start.fallback
    if fallback:
        first_fb = next((e for e in events if e["activity"] == fallback.activity), None)
        first_late = next((e for e in events if e["activity"] == fallback.late), None)
        if first_fb is None or first_late is None:
            fallback_used = False
        else:
            gap = cal.between(first_fb["ts"].date(), first_late["ts"].date())
            fallback_used = None if gap is None else gap > fallback.after_more_than
        if fallback_used:
            start = first_fb
    if start is None:
        return Judgement()
    start_act = fallback.activity if (fallback and fallback_used) else (
        start["activity"] if rule.start.activity == "*" else rule.start.activity)

    stop = next((e for e in events if e["seq"] > start["seq"] and e["activity"] in stop_codes(rule)), None)
    is_open = stop is None
    if (rule.judge == "stopped" and is_open) or (rule.judge == "open" and not is_open):
        return Judgement()
    extension = None
    if rule.extension:
        extension = next((e for e in events if e["seq"] > start["seq"] and e["activity"] == rule.extension.activity
                          and (stop is None or e["seq"] < stop["seq"])), None)
    ext_n = rule.extension.amount if (rule.extension and extension is not None) else 0
    pauses = _pauses(rule, events, start, stop, unit, view)

    # judged and measured
    end_ts = view.as_of if stop is None else stop["ts"]
    start_day, end_day = start["ts"].date(), end_ts.date()
    start_no, end_no = cal.number(start_day), cal.number(end_day)
    version = cal.version if cal.covers(start_day) else None
    paused_wd = sum(p.workdays for p in pauses if p.workdays is not None)
    paused_days = sum(p.days for p in pauses if p.days is not None)
    pause_open = any(p.end is None for p in pauses)
    limit_total = int(limit_n) + ext_n
    paused = paused_wd if unit == "workday" else paused_days
    due: dt.date | None
    if unit == "workday":
        used = None if start_no is None or end_no is None else end_no - start_no - paused_wd
        allowed = limit_total
        due = None if start_no is None else cal.workday_numbered(start_no + limit_total + paused_wd)
    elif unit == "day":
        used = (end_day - start_day).days - paused_days
        allowed = limit_total
        due = start_day + dt.timedelta(days=limit_total + paused_days)
    else:
        due = add_months(start_day, limit_total) + dt.timedelta(days=paused_days)
        used = (end_day - start_day).days - paused_days
        allowed = (due - start_day).days - paused_days
    recheck = None
    if is_open and not pause_open:
        recheck = _next_change(rule, view, used, allowed, start_no, paused_wd, paused_days, start_day, unit)

    # leveled
    over_by = None if used is None else used - allowed
    level: str | None = None
    if is_open and pause_open:
        level = None
    elif used is not None and used > allowed:
        level = rule.levels.breach
    elif is_open and used is not None and _yellow(rule, view.case.get("dept_code"), used, allowed):
        level = "yellow"
    if level is None:
        return Judgement(recheck=recheck)
    assert over_by is not None

    context = {
        "start": start, "start_act": start_act, "fallback_used": fallback_used, "stop": stop, "is_open": is_open,
        "extension": extension, "ext_n": ext_n, "pauses": pauses, "limit_n": limit_n, "limit_total": limit_total,
        "unit": unit, "paused": paused, "used": used, "allowed": allowed, "due": due, "start_no": start_no,
        "end_no": end_no, "version": version, "over_by": over_by,
    }
    return Judgement((finding(
        rule, view, level=level, message=_message(rule, context), evidence=_evidence(context),
        due_at=None if due is None else dt.datetime.combine(due, dt.time()) + dt.timedelta(seconds=86399),
        days_overdue=max(over_by, 0), days_left=max(-over_by, 0),
    ),), recheck)


def _level(rule: DeadlineRule, dept: Any, used: int, allowed: int) -> str | None:
    """The level of an open case that has used ``used`` units (no pause open)."""
    if used > allowed:
        return rule.levels.breach
    return "yellow" if _yellow(rule, dept, used, allowed) else None


def _next_change(rule: DeadlineRule, view: View, used: int | None, allowed: int, start_no: int | None,
                 paused_wd: int, paused_days: int, start_day: dt.date, unit: str) -> dt.datetime:
    """When an open, running case's finding may next change without new events: the next day its
    used count grows while it has a finding (the message counts days), else the day it turns
    yellow or red. Midnight of that day; the next midnight when the calendar cannot say."""
    cal = view.calendar
    fallback = next_midnight(view.as_of)
    if used is None:
        return fallback
    dept = view.case.get("dept_code")
    now = _level(rule, dept, used, allowed)
    target = used + 1
    if now is None:
        while target <= allowed and _level(rule, dept, target, allowed) is None:
            target += 1
    if unit == "workday":
        if start_no is None:
            return fallback
        day = cal.workday_numbered(start_no + paused_wd + target)
        if day is None:
            return fallback
    else:
        day = start_day + dt.timedelta(days=paused_days + target)
    moment = dt.datetime.combine(day, dt.time())
    return moment if moment > view.as_of else fallback


def _start(rule: DeadlineRule, events: list[Row]) -> Row | None:
    if rule.start.activity == "*":
        return events[-1]
    found = [e for e in events if e["activity"] == rule.start.activity]
    if not found:
        return None
    return found[0] if rule.start.occurrence == "first" else found[-1]


def _pauses(rule: DeadlineRule, events: list[Row], start: Row, stop: Row | None, unit: str, view: View) -> list[Pause]:
    if not rule.pauses:
        return []
    begins = {p.begin for p in rule.pauses}
    everything = {a for p in rule.pauses for a in (p.begin, p.end)}
    bounds: list[tuple[Row, int, str]] = []
    for e in events:
        if e["seq"] >= start["seq"] and e["activity"] in everything:
            pair = next(i for i, p in enumerate(rule.pauses) if e["activity"] in (p.begin, p.end))
            bounds.append((e, pair, "begin" if e["activity"] in begins else "end"))
    found: list[Pause] = []
    previous: dict[int, str] = {}
    for e, pair, role in bounds:
        prev_role = previous.get(pair)
        previous[pair] = role
        if role != "begin" or prev_role == "begin" or (stop is not None and e["seq"] >= stop["seq"]):
            continue
        end = next((x for x, p, r in bounds if p == pair and r == "end" and x["seq"] > e["seq"]), None)
        if end is not None and stop is not None and end["seq"] >= stop["seq"]:
            end = None
        if end is None and stop is not None:
            end = stop
        workdays = days = None
        if end is not None:
            workdays = view.calendar.between(e["ts"].date(), end["ts"].date())
            days = (end["ts"].date() - e["ts"].date()).days
        found.append(Pause(e, end, workdays if unit == "workday" else days, workdays, days))
    return found


def _yellow(rule: DeadlineRule, dept: Any, used: int, allowed: int) -> bool:
    yellow = rule.levels.yellow
    if yellow is None:
        return False

    def threshold(attr: str) -> tuple[bool, Any]:
        default = getattr(yellow, attr)
        overrides = {d: getattr(v, attr) for d, v in yellow.by_department.items()}
        present = default is not None or any(v is not None for v in overrides.values())
        return present, overrides.get(dept, default) if dept in overrides else default

    present, days_left = threshold("days_left")
    if present and days_left is not None and allowed - used <= days_left:
        return True
    present, share = threshold("share_used")
    return bool(present and share is not None and used >= float(share) * allowed)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day + INTERVAL months MONTH`` as DuckDB does it (clamped to the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def _message(rule: DeadlineRule, c: dict[str, Any]) -> str:
    unit = c["unit"]
    count_label, limit_label = COUNT_LABELS[unit], UNIT_LABELS[unit]
    codes = None if rule.start.activity == "*" else ordered_codes(activities_used(rule) or [])
    source = LIMIT_COLUMN_LABELS[rule.limit.column] if rule.limit.column else "规则规定"
    parts = [text(label(c["start_act"], codes)), " ", fmt_time(c["start"]["ts"]), " 起算"]
    fallback = rule.start.fallback
    if fallback and c["fallback_used"]:
        parts.append(f"（{ACTIVITIES[fallback.late]}晚于{ACTIVITIES[fallback.activity]}超过"
                     f"{fallback.after_more_than}个工作日，改自{ACTIVITIES[fallback.activity]}起算）")
    if rule.pauses and c["pauses"]:
        parts.append("；" + "；".join(_pause_text(rule, p, unit) for p in c["pauses"]))
    if rule.extension and c["extension"] is not None:
        parts.append(f"；{ACTIVITIES[rule.extension.activity]} {fmt_time(c['extension']['ts'])} "
                     f"加 {c['ext_n']}{limit_label}")
    parts += ["；时限 ", text(c["limit_n"])]
    if rule.extension and c["ext_n"] > 0:
        parts.append(f"+{c['ext_n']}={c['limit_total']}")
    due = fmt_date(c["due"]) if c["due"] is not None else "（超出日历范围）"
    parts += [limit_label, f"（{source}）；日历 ", text(c["version"]), "；应于 ", due, " 前完成；截至"]
    if c["is_open"]:
        waiting = ("（尚未" + "或".join(ACTIVITIES[a] for a in stop_codes(rule)) + "）") if rule.stop else ""
        parts.append(f"审计时点 {AS_OF.TEXT}{waiting}")
    else:
        parts.append(f"{text(label(c['stop']['activity'], stop_codes(rule)))} {fmt_time(c['stop']['ts'])}")
    parts += [" 已用 ", text(c["used"]), count_label]
    if rule.pauses and c["paused"] > 0:
        parts.append(f"（已扣除暂停 {c['paused']}{count_label}）")
    over = c["over_by"]
    parts.append(f"，超期 {over}{count_label}" if over > 0 else f"，剩余 {-over}{count_label}")
    parts.append("。")
    return "".join(parts)


def _pause_text(rule: DeadlineRule, pause: Pause, unit: str) -> str:
    everything = [a for p in rule.pauses for a in (p.begin, p.end)]
    codes = ordered_codes(everything + stop_codes(rule))
    end = pause.end
    tail = "" if end is None else f"{text(label(end['activity'], codes))} {fmt_time(end['ts'])}"
    paused = f" 暂停 {text(pause.units)}{COUNT_LABELS[unit]}" if end is not None else ""
    return f"{text(label(pause.begin['activity'], codes))} {fmt_time(pause.begin['ts'])} 至 {tail or ' '}{paused}"


def _evidence(c: dict[str, Any]) -> dict[str, Any]:
    extension = c["extension"]
    return {
        "start": {"event_id": c["start"]["event_id"], "activity": c["start_act"], "ts": c["start"]["ts"]},
        "fallback_used": c["fallback_used"],
        "stop": None if c["is_open"] else event_ref(c["stop"]),
        "as_of": AS_OF,
        "open": c["is_open"],
        "pauses": [{
            "begin_id": p.begin["event_id"], "begin_activity": p.begin["activity"], "begin_ts": p.begin["ts"],
            "end_id": None if p.end is None else p.end["event_id"],
            "end_activity": None if p.end is None else p.end["activity"],
            "end_ts": None if p.end is None else p.end["ts"], "paused": p.units,
        } for p in c["pauses"]],
        "extension": None if extension is None else {
            "event_id": extension["event_id"], "ts": extension["ts"], "amount": c["ext_n"]},
        "limit": c["limit_n"], "limit_total": c["limit_total"], "unit": c["unit"], "paused": c["paused"],
        "used": c["used"], "allowed": c["allowed"], "due": c["due"], "start_workday_no": c["start_no"],
        "end_workday_no": c["end_no"], "calendar": c["version"],
    }
