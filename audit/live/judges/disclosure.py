"""The ``disclosure`` judge, as ``audit.compile.disclosure`` builds it. A case's disclosures are
those naming it, or naming no case and carrying its decision number, published by the audit time
(the engine attaches them; :func:`audit.live.model.view_of` keeps the published ones)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from audit.live.judges import (
    AS_OF, Judgement, finding, fmt_date, fmt_time, in_scope, label, next_midnight, text,
)
from audit.live.judges.checks import Record, grouped
from audit.live.model import Row, View
from audit.rules.kinds import DisclosureRule
from audit.rules.vocab import ACTIVITIES


def disclosure(rule: DisclosureRule, view: View) -> Judgement:
    if not in_scope(rule, view) or not view.events:  # only cases that exist (have an event) by then
        return Judgement()
    limit_n: Any = None
    if rule.limit is not None:
        limit_n = (view.item or {}).get(rule.limit.column) if rule.limit.column else rule.limit.value
        if limit_n is None:
            return Judgement()
    number = view.case.get("decision_no")
    if number is None:
        number = next((e["document_no"] for e in view.events
                       if e["activity"] in rule.decision and e.get("document_no") is not None), None)
    published = view.disclosures_of(number)
    if rule.check in ("late", "missing"):
        return _timely(rule, view, published, int(limit_n))
    if rule.check == "not_withdrawn":
        return _withdrawn(rule, view, published, int(limit_n))
    return _content(rule, view, published, number)


def _first(view: View, activities: list[str]) -> Row | None:
    return next((e for e in view.events if e["activity"] in activities), None)


def _timely(rule: DisclosureRule, view: View, published: tuple[Row, ...], limit_n: int) -> Judgement:
    decided = _first(view, rule.decision)
    if decided is None:
        return Judgement()
    first = min(published, key=lambda d: (d["published_at"], d["disclosure_id"]), default=None)
    if (rule.check == "late") != (first is not None):
        return Judgement()
    cal = view.calendar
    end = first["published_at"] if first is not None else view.as_of
    start_no = cal.number(decided["ts"].date())
    used = cal.between(decided["ts"].date(), end.date())
    recheck = next_midnight(view.as_of) if first is None else None
    if used is None or used - limit_n <= 0:
        return Judgement(recheck=recheck)
    over = used - limit_n
    version = cal.version if cal.covers(decided["ts"].date()) else None
    due = None if start_no is None else cal.workday_numbered(start_no + limit_n)
    head = (f"{text(label(decided['activity'], rule.decision))} {fmt_time(decided['ts'])}；公示时限 {limit_n} 个工作日；"
            f"日历 {text(version)}；应于 {fmt_date(due) if due is not None else '（超出日历范围）'} 前公示；")
    if first is not None:
        tail = f"首次公示 {first['disclosure_id']} 于 {fmt_time(first['published_at'])}"
    else:
        tail = f"截至审计时点 {AS_OF.TEXT} 仍未公示"
    message = f"{head}{tail}，已过 {used} 个工作日，超期 {over} 个工作日。"
    evidence = {
        "decision": {"event_id": decided["event_id"], "activity": decided["activity"], "ts": decided["ts"]},
        "disclosure_id": None if first is None else first["disclosure_id"],
        "published_at": None if first is None else first["published_at"],
        "as_of": AS_OF, "limit": limit_n, "used": used, "due": due, "calendar": version,
    }
    return Judgement((finding(
        rule, view, level=rule.levels.breach, message=message, evidence=evidence,
        due_at=None if due is None else dt.datetime.combine(due, dt.time()) + dt.timedelta(seconds=86399),
        days_overdue=max(over, 0), days_left=0),), recheck)


def _withdrawn(rule: DisclosureRule, view: View, published: tuple[Row, ...], limit_n: int) -> Judgement:
    revoked = _first(view, [rule.revoke])
    if revoked is None:
        return Judgement()
    cal = view.calendar
    records: list[Record] = []
    pending = False
    for d in published:
        withdrawn_at = d.get("withdrawn_at")
        withdrawn = withdrawn_at is not None and withdrawn_at <= view.as_of
        end = withdrawn_at if (withdrawn and withdrawn_at is not None) else view.as_of
        used = cal.between(revoked["ts"].date(), end.date())
        pending = pending or not withdrawn
        if used is None or used <= limit_n:
            continue
        when = (f" 于 {fmt_time(withdrawn_at)} 才撤回" if withdrawn
                else f" 截至审计时点 {AS_OF.TEXT} 仍未撤回")
        clause = (f"{ACTIVITIES[rule.revoke]} {fmt_time(revoked['ts'])}后，公示 {d['disclosure_id']}{when}"
                  f"，已过 {used} 个工作日，超过 {limit_n} 个工作日")
        records.append(((d["published_at"], d["disclosure_id"]), clause, {
            "revoke": {"event_id": revoked["event_id"], "ts": revoked["ts"]}, "disclosure_id": d["disclosure_id"],
            "withdrawn_at": withdrawn_at, "used": used, "limit": limit_n}))
    return grouped(rule, view, records, recheck=next_midnight(view.as_of) if pending else None)


def _content(rule: DisclosureRule, view: View, published: tuple[Row, ...], number: str | None) -> Judgement:
    records: list[Record] = []
    pattern = re.compile(rule.pattern)
    for d in published:
        head = f"公示 {d['disclosure_id']}（{fmt_time(d['published_at'])}）"
        if rule.check == "personal_id":
            if d.get("content") is None or not pattern.search(d["content"]):
                continue
            clause = f"{head}正文含完整的身份证号码"
        else:
            texts = []
            pairs = {"decision_no": ("决定书文号", d.get("decision_no"), number),
                     "fine_amount": ("罚款金额", d.get("fine_amount"), view.case.get("fine_amount"))}
            for name in rule.fields:
                title, shown, own = pairs[name]
                if shown != own:
                    texts.append(f"{title}“{'空' if shown is None else text(shown)}”与办件“"
                                 f"{'空' if own is None else text(own)}”不一致")
            if not texts:
                continue
            clause = f"{head}：{'，'.join(texts)}"
        records.append(((d["published_at"], d["disclosure_id"]), clause, {
            "disclosure_id": d["disclosure_id"], "published_at": d["published_at"], "url": d.get("url"),
            "decision_no": d.get("decision_no"), "fine_amount": d.get("fine_amount")}))
    return grouped(rule, view, records)
