"""The ``declare`` judge: :class:`audit.rules.kinds.DeclareRule` for one case, as
``audit.compile.declare`` computes it (counting templates over the case's events of a and b;
ordered templates activation by activation, with the SQL's three-valued logic where the calendar
has no row), and as :func:`audit.rules.declare.check` defines it."""

from __future__ import annotations

from typing import Any

from audit.live.judges import Judgement, finding, fmt_time, in_scope, label, next_midnight, text
from audit.live.model import Row, View
from audit.rules.kinds import DeclareRule
from audit.rules.vocab import activity_label

Tri = bool | None  # SQL's TRUE / FALSE / NULL


def declare(rule: DeclareRule, view: View) -> Judgement:
    if not in_scope(rule, view) or not view.events:
        return Judgement()
    spec = rule.spec
    positional = spec.form == "chain" or rule.template in ("init", "end")
    codes = None if positional else {rule.a, *([rule.b] if rule.b else [])}
    events = [e for e in view.events if codes is None or e["activity"] in codes]
    if spec.ordered:
        return _ordered(rule, view, events)
    return _counted(rule, view, events)


# --- counting and unordered templates -----------------------------------------------------------------


def _counted(rule: DeclareRule, view: View, events: list[Row]) -> Judgement:
    a_events = [e for e in events if e["activity"] == rule.a]
    b_events = [e for e in events if rule.b is not None and e["activity"] == rule.b]
    n_a, n_b = len(a_events), len(b_events)
    n = rule.n if rule.n is not None else 1
    a_text, b_text = activity_label(rule.a), activity_label(rule.b or "")

    def times(found: list[Row]) -> str:
        return f"（{'、'.join(fmt_time(e['ts']) for e in found)}）" if found else ""

    a_seen = f"“{a_text}”出现 {n_a} 次{times(a_events)}"
    both = f"{a_seen}，“{b_text}”出现 {n_b} 次{times(b_events)}"
    first, last = (events[0], events[-1]) if events else (None, None)
    template = rule.template
    if template == "existence":
        violated, message = n_a < n, f"{a_seen}，应至少 {n} 次"
    elif template == "absence":
        violated, message = n_a >= 1, f"{a_seen}，不应出现"
    elif template == "at_most":
        violated, message = n_a > n, f"{a_seen}，超过 {n} 次"
    elif template == "exactly":
        violated, message = n_a != n, f"{a_seen}，应恰好 {n} 次"
    elif template in ("init", "end"):
        edge = first if template == "init" else last
        assert edge is not None
        word = "第一个" if template == "init" else "最后一个"
        violated = edge["activity"] != rule.a
        message = f"{word}环节是“{text(label(edge['activity']))}”（{fmt_time(edge['ts'])}），应为“{a_text}”"
    elif template == "responded_existence":
        violated, message = n_a > 0 and n_b == 0, f"{a_seen}，但没有“{b_text}”"
    elif template == "coexistence":
        violated, message = (n_a > 0) != (n_b > 0), f"{both}，二者应同时出现或同时不出现"
    else:
        violated, message = n_a > 0 and n_b > 0, f"{both}，二者不应同时出现"
    if not violated:
        return Judgement()
    if template in ("init", "end"):
        evidence: dict[str, Any] = {"events": [_event(first if template == "init" else last)]}
    else:
        involved = [e for e in events if e["activity"] == rule.a or (rule.b is not None and e["activity"] == rule.b)]
        evidence = {"events": [_event(e) for e in involved], "count_a": n_a, "count_b": n_b}
    return Judgement((finding(rule, view, level=rule.levels.breach, message=message + "。", evidence=evidence),))


def _event(event: Row | None) -> dict[str, Any]:
    assert event is not None
    return {"event_id": event["event_id"], "activity": event["activity"], "ts": event["ts"]}


# --- ordered templates ----------------------------------------------------------------------------------


def _ordered(rule: DeclareRule, view: View, events: list[Row]) -> Judgement:  # noqa: C901 - one side per form
    spec = rule.spec
    a, b = rule.a, rule.b
    assert b is not None
    cal = view.calendar
    sides: list[tuple[str, int, int | None, bool]] = []  # (side, index of activation, partner index, structural)
    for i, e in enumerate(events):
        nxt = events[i + 1] if i + 1 < len(events) else None
        prv = events[i - 1] if i > 0 else None
        nb = next((j for j in range(i + 1, len(events)) if events[j]["activity"] == b), None)
        na = next((j for j in range(i + 1, len(events)) if events[j]["activity"] == a), None)
        pa = next((j for j in range(i - 1, -1, -1) if events[j]["activity"] == a), None)
        pb = next((j for j in range(i - 1, -1, -1) if events[j]["activity"] == b), None)
        if rule.template == "not_succession" and e["activity"] == a:
            sides.append(("forbid", i, nb, False))
        if spec.response and e["activity"] == a:
            if spec.form == "chain":
                following = i + 1 if (nxt is not None and nxt["activity"] == b) else None
                sides.append(("response", i, following, nxt is not None and nxt["activity"] != b))
            elif spec.form == "alternate":
                sides.append(("response", i, nb, nb is not None and na is not None and nb > na))
            else:
                sides.append(("response", i, nb, False))
        if spec.precedence and e["activity"] == b:
            if spec.form == "chain":
                preceding = i - 1 if (prv is not None and prv["activity"] == a) else None
                sides.append(("precedence", i, preceding, False))
            elif spec.form == "alternate":
                sides.append(("precedence", i, pa, pa is not None and pb is not None and pa < pb))
            else:
                sides.append(("precedence", i, pa, False))

    within = rule.within
    now_no = cal.number(view.as_of.date())
    violations: list[tuple[tuple[int, str], str, dict[str, Any]]] = []
    pending = False
    for side, i, j, structural in sides:
        act = events[i]
        partner = events[j] if j is not None else None
        act_no = cal.number(act["ts"].date())
        partner_no = None if partner is None else cal.number(partner["ts"].date())
        gap = _sub(partner_no, act_no)
        missing = partner is None
        if within is None:
            bad: Tri = (structural or missing) if side != "forbid" else not missing
        elif side == "response":
            waited = _sub(now_no, act_no)
            bad = _or(structural, _and(missing, _gt(waited, within)), _and(not missing, _gt(gap, within)))
            pending = pending or (missing and not structural and bad is not True)
        elif side == "precedence":
            bad = _or(structural, missing, _gt(_sub(act_no, partner_no), within))
        else:
            bad = _and(not missing, _le(gap, within))
        if bad is True:
            violations.append(((act["seq"], side), _sentence(rule, side, structural, act, partner, events, i, gap),
                               _evidence(act, partner)))
    recheck = next_midnight(view.as_of) if pending else None
    if not violations:
        return Judgement(recheck=recheck)
    violations.sort(key=lambda v: v[0])
    message = "；".join(v[1] for v in violations) + "。"
    evidence = {"events": [v[2] for v in violations]}
    return Judgement((finding(rule, view, level=rule.levels.breach, message=message, evidence=evidence),), recheck)


def _sentence(rule: DeclareRule, side: str, structural: bool, act: Row, partner: Row | None,
              events: list[Row], i: int, gap: int | None) -> str:
    spec = rule.spec
    a_text, b_text = activity_label(rule.a), activity_label(rule.b or "")
    codes = [rule.a, rule.b or ""]
    act_text = f"“{text(label(act['activity'], codes))}” {fmt_time(act['ts'])}"
    partner_text = "" if partner is None else f"“{text(label(partner['activity'], codes))}” {fmt_time(partner['ts'])}"
    if partner is None:
        partner_text = "“” "
    if side == "forbid":
        return f"{act_text} 之后出现了{partner_text}"
    if side == "response" and structural:
        if spec.form == "chain":
            nxt = events[i + 1] if i + 1 < len(events) else None
            next_label = text(label(None if nxt is None else nxt["activity"]))
            return f"{act_text}的下一个环节是“{next_label}”而不是“{b_text}”"
        return f"{act_text} 之后、下一次“{a_text}”之前没有“{b_text}”"
    if side == "precedence" and structural:
        return f"{act_text} 之前、上一次“{b_text}”之后没有“{a_text}”"
    if side == "response" and partner is None:
        within = f" {rule.within} 个工作日内" if rule.within is not None else ""
        verb = "的下一个环节不是" if spec.form == "chain" else "没有"
        return f"{act_text} 之后{within}{verb}“{b_text}”"
    if side == "precedence" and partner is None:
        verb = "的上一个环节不是" if spec.form == "chain" else " 之前没有"
        return f"{act_text}{verb}“{a_text}”"
    gap_text = (f" 相隔 {text(None if gap is None else abs(gap))} 个工作日，超过 {rule.within} 个工作日"
                if rule.within is not None else "")
    return f"{act_text} 与 {partner_text}{gap_text}"


def _evidence(act: Row, partner: Row | None) -> dict[str, Any]:
    return {"event_id": act["event_id"], "activity": act["activity"], "ts": act["ts"],
            "partner_id": None if partner is None else partner["event_id"],
            "partner_activity": None if partner is None else partner["activity"],
            "partner_ts": None if partner is None else partner["ts"]}


def _sub(x: int | None, y: int | None) -> int | None:
    return None if x is None or y is None else x - y


def _gt(x: int | None, y: int) -> Tri:
    return None if x is None else x > y


def _le(x: int | None, y: int) -> Tri:
    return None if x is None else x <= y


def _and(*values: Tri) -> Tri:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: Tri) -> Tri:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False
