"""The ``field``, ``officer`` and ``document`` judges, as ``audit.compile.checks`` builds them: one
row per offending record (a Chinese clause, a JSON detail, an order key), folded into one finding
per case (:func:`grouped`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from audit.live.judges import Judgement, finding, fmt_time, in_scope, label, text
from audit.live.model import Row, View
from audit.rules import expr as E
from audit.rules import vocab
from audit.rules.kinds import DocumentRule, FieldRule, OfficerRule

Record = tuple[Any, str, dict[str, Any]]  # (order key, clause, detail)


def grouped(rule: Any, view: View, records: list[Record], prefix: str = "",
            recheck: dt.datetime | None = None) -> Judgement:
    """One finding for the case from its offending records, in order (as ``checks.grouped``)."""
    if not records:
        return Judgement(recheck=recheck)
    ordered = sorted(records, key=lambda r: r[0])
    message = prefix + "；".join(r[1] for r in ordered) + "。"
    evidence = {"records": [r[2] for r in ordered]}
    return Judgement((finding(rule, view, level=rule.levels.breach, message=message, evidence=evidence),), recheck)


# --- field ----------------------------------------------------------------------------------------------


def _shown(expression: E.Expression) -> list[E.Col]:
    shown = expression.columns()
    for node in E.walk(expression.tree):
        if isinstance(node, E.Exists):
            key = E.Col(node.table, vocab.KEY_COLUMNS[node.table])
            if key not in shown:
                shown.append(key)
    return shown


def _values(expression: E.Expression, env: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    detail: dict[str, Any] = {}
    for c in _shown(expression):
        row = env.get(c.table)
        value = None if row is None else row.get(c.column)
        parts.append(f"{vocab.column_label(c.table, c.column)}（{c.table}.{c.column}）="
                     + ("空" if value is None else text(value)))
        detail[f"{c.table}.{c.column}"] = value
    return "，".join(parts), detail


def field(rule: FieldRule, view: View) -> Judgement:
    if not in_scope(rule, view):
        return Judgement()
    kwargs = {"as_of": view.as_of, "workdays": view.calendar.between}
    condition = f"满足条件“{rule.violation.source}”："
    timed = any(isinstance(n, E.AsOf) for n in E.walk(rule.violation.tree))
    if rule.over == "item":
        env: dict[str, Any] = {"item": view.item}
        if not rule.violation.holds(env, **kwargs):
            return Judgement()
        values, detail = _values(rule.violation, env)
        item = view.item or {}
        found = finding(rule, view, level=rule.levels.breach,
                        message=f"事项 {item.get('item_code')}（{item.get('name')}）{condition}{values}。",
                        evidence={"values": detail})
        found.update(case_id=None, item_code=item.get("item_code"), dept_code=item.get("dept_code"),
                     source_system=None)
        return Judgement((found,))
    if not view.events:  # a case exists as of the audit time when it has an event by then
        return Judgement()
    recheck = _later(view.as_of) if timed else None
    if rule.over == "case":
        env = view.env()
        if not rule.violation.holds(env, **kwargs):
            return Judgement(recheck=recheck)
        values, detail = _values(rule.violation, env)
        return Judgement((finding(rule, view, level=rule.levels.breach, message=f"{condition}{values}。",
                                  evidence={"values": detail}),), recheck)
    records: list[Record] = []
    if rule.over == "event":
        for e in view.events:
            env = {"case": view.case, "item": view.item, "event": e}
            if rule.violation.holds(env, **kwargs):
                values, detail = _values(rule.violation, env)
                clause = f"“{text(label(e['activity']))}” {fmt_time(e['ts'])}：{values}"
                records.append(((e["seq"], e["event_id"]), clause,
                                {"event_id": e["event_id"], "ts": e["ts"], "values": detail}))
    else:
        for d in view.disclosures_of(view.case.get("decision_no")):
            env = {"case": view.case, "item": view.item, "disclosure": d}
            if rule.violation.holds(env, **kwargs):
                values, detail = _values(rule.violation, env)
                clause = f"公示 {d['disclosure_id']}（{fmt_time(d['published_at'])}）：{values}"
                records.append(((d["published_at"], d["disclosure_id"]), clause, {
                    "disclosure_id": d["disclosure_id"], "published_at": d["published_at"], "values": detail}))
    return grouped(rule, view, records, prefix=condition, recheck=recheck)


def _later(moment: dt.datetime) -> dt.datetime:
    """A rule that reads ``as_of`` may change at any later tick."""
    return moment + dt.timedelta(microseconds=1)


# --- officer --------------------------------------------------------------------------------------------


def officer(rule: OfficerRule, view: View) -> Judgement:
    if not in_scope(rule, view):
        return Judgement()
    officers = view.reference.officers
    records: list[Record] = []
    for e in view.events:
        if e["activity"] not in rule.activities:
            continue
        when = f"“{text(label(e['activity'], rule.activities))}” {fmt_time(e['ts'])}"
        listed = e.get("officer_ids")
        distinct = sorted({o for o in (listed or []) if o is not None})
        if rule.min_officers is not None:
            count = len(distinct) if listed is not None else 0
            if count < rule.min_officers:
                records.append(((e["seq"], 0, ""), f"{when} 登记执法人员 {count} 名，少于 {rule.min_officers} 名",
                                {"event_id": e["event_id"], "ts": e["ts"], "officer_ids": listed, "officers": count}))
        if rule.certificate:
            day = e["ts"].date()
            for officer_id in distinct:
                row = officers.get(officer_id)
                reason = _certificate_problem(row, day)
                if reason is None:
                    continue
                records.append(((e["seq"], 1, officer_id), f"{when} 执法人员 {officer_id}：{reason}", {
                    "event_id": e["event_id"], "ts": e["ts"], "officer_id": officer_id,
                    "cert_no": None if row is None else row.get("cert_no"),
                    "cert_valid_from": None if row is None else row.get("cert_valid_from"),
                    "cert_valid_to": None if row is None else row.get("cert_valid_to")}))
    return grouped(rule, view, records)


def _certificate_problem(row: Row | None, day: dt.date) -> str | None:
    if row is None:
        return "不在执法人员名录中"
    cert = row.get("cert_no")
    if cert is None or cert.strip(" ") == "":
        return "无执法证件"
    valid_from, valid_to = row.get("cert_valid_from"), row.get("cert_valid_to")
    if (valid_from is not None and valid_from > day) or (valid_to is not None and valid_to < day):
        shown_from = "不限" if valid_from is None else text(valid_from)
        shown_to = "不限" if valid_to is None else text(valid_to)
        return f"执法证 {cert} 有效期 {shown_from} 至 {shown_to}，当日无效"
    return None


# --- document -------------------------------------------------------------------------------------------


def document(rule: DocumentRule, view: View) -> Judgement:
    if not in_scope(rule, view):
        return Judgement()
    events = [e for e in view.events if e["activity"] == rule.activity]
    if rule.require == "document_no":
        records: list[Record] = []
        for e in events:
            number = e.get("document_no")
            blank = number is None or number.strip(" ") == ""
            wrong = rule.document_type is not None and e.get("document_type") != rule.document_type
            if not (blank or wrong):
                continue
            if blank:
                reason = "未登记文书编号"
            else:
                shown = e.get("document_type")
                reason = f"文书类型为“{'空' if shown is None else shown}”，应为“{rule.document_type}”"
            clause = f"“{text(label(e['activity'], [rule.activity]))}” {fmt_time(e['ts'])} {reason}"
            records.append(((e["seq"], e["event_id"]), clause, {"event_id": e["event_id"], "ts": e["ts"],
                                               "document_type": e.get("document_type"), "document_no": number}))
        return grouped(rule, view, records)
    if not events:
        return Judgement()
    first = events[0]
    materials = view.case.get("materials")
    required = (view.item or {}).get("required_materials") or []
    missing = sorted(m for m in required if not (materials is not None and m in materials))
    if not missing:
        return Judgement()
    handed_in = "无" if materials is None else "、".join(m for m in materials if m is not None)
    message = (f"{text(label(rule.activity, [rule.activity]))} {fmt_time(first['ts'])} 时缺少应交材料："
               f"{'、'.join(missing)}（已交：{handed_in}）。")
    evidence = {"event_id": first["event_id"], "ts": first["ts"], "missing": missing}
    return Judgement((finding(rule, view, level=rule.levels.breach, message=message, evidence=evidence),))
