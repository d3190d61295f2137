"""Every rule as one Chinese sentence ("what does this rule check?"), for the dashboard and
``sunlight rules explain``. The SQL and the sentence come from the same model."""

from __future__ import annotations

from audit.rules import declare
from audit.rules.base import RuleBase, Scope
from audit.rules.kinds import (
    DeadlineRule, DeclareRule, DisclosureRule, DocumentRule, FieldRule, Limit, OfficerRule, SqlRule,
)
from audit.rules.vocab import CASE_KIND_LABELS, LEVEL_LABELS, UNIT_LABELS, activity_label

LIMIT_COLUMN_LABELS = {
    "promised_limit": "事项承诺时限",
    "legal_limit": "事项法定时限",
    "disclosure_limit": "事项公示时限",
}


def scope_phrase(scope: Scope, subject: str = "case") -> str:
    parts: list[str] = []
    if scope.item_kinds:
        parts.append(f"事项类型为{'、'.join(scope.item_kinds)}")
    if scope.item_codes:
        parts.append(f"事项编码为{'、'.join(scope.item_codes)}")
    if scope.departments:
        parts.append(f"部门为{'、'.join(scope.departments)}")
    if scope.platforms:
        parts.append(f"来自{'、'.join(scope.platforms)}")
    if scope.when is not None:
        parts.append(f"满足“{scope.when.source}”")
    noun = "事项" if subject == "item" else CASE_KIND_LABELS.get(scope.case_kind or "", "办件")
    return f"对{'、'.join(parts)}的{noun}" if parts else f"对所有{noun}"


UNIT_WORDS = {"workday": "工作日", "day": "自然日", "month": "月", "item": "事项的时限单位"}


def limit_phrase(limit: Limit, unit: str) -> str:
    if limit.column is not None:
        return f"{LIMIT_COLUMN_LABELS[limit.column]}（按{UNIT_WORDS[unit]}计）"
    return f"{limit.value}{UNIT_LABELS.get(unit, '（' + UNIT_WORDS[unit] + '）')}"


def _deadline(rule: DeadlineRule) -> str:
    start = rule.start
    which = "最后一个" if start.occurrence == "last" else "第一个"
    text = f"自{which}“{activity_label(start.activity)}”起算"
    if start.fallback:
        fb = start.fallback
        text += (f"（“{activity_label(fb.late)}”晚于“{activity_label(fb.activity)}”{fb.after_more_than}个工作日以上的，"
                 f"自“{activity_label(fb.activity)}”起算）")
    if rule.skip_cases_with:
        skipped = "、".join(f"“{activity_label(a)}”" for a in rule.skip_cases_with)
        text += f"（已有{skipped}的办件不判）"
    if rule.stop is None:
        text += "，至审计时点止"
    else:
        stops = "或".join(f"“{activity_label(a)}”" for a in rule.stop.activities)
        text += f"，至其后第一个{stops}止"
    if rule.stop is None:
        pass
    elif rule.judge == "open":
        text += "（只看尚未出现该环节的在办件，以审计时点为止）"
    elif rule.judge == "stopped":
        text += "（只看已出现该环节的办件）"
    else:
        text += "（未出现的以审计时点为止）"
    if rule.pauses:
        pauses = "、".join(f"“{activity_label(p.begin)}”至“{activity_label(p.end)}”" for p in rule.pauses)
        text += f"，扣除{pauses}期间"
    text += f"，用时不得超过{limit_phrase(rule.limit, rule.unit)}"
    if rule.extension:
        unit = "" if rule.unit == "item" else UNIT_LABELS[rule.unit]
        text += f"，有“{activity_label(rule.extension.activity)}”的加{rule.extension.amount}{unit}"
    text += f"；超期记{LEVEL_LABELS[rule.levels.breach]}"
    yellow = rule.levels.yellow
    if yellow is not None:
        cond = []
        if yellow.days_left is not None:
            cond.append(f"剩余不超过{yellow.days_left}")
        if yellow.share_used is not None:
            cond.append(f"已用达时限的{yellow.share_used:.0%}")
        text += f"，尚未办结且{'或'.join(cond)}的记黄牌"
        if yellow.by_department:
            text += f"（{'、'.join(yellow.by_department)}部门另有阈值）"
    return text


def _declare(rule: DeclareRule) -> str:
    spec = declare.TEMPLATES[rule.template]
    text = spec.sentence.format(a=activity_label(rule.a), b=activity_label(rule.b or ""),
                                n=rule.n if rule.n is not None else 1)
    if rule.within is not None:
        text += f"，且两者相隔不超过{rule.within}个工作日"
    return text + f"；违反的记{LEVEL_LABELS[rule.levels.breach]}"


def _field(rule: FieldRule) -> str:
    over = {"case": "每个办件", "item": "每个事项", "event": "每个环节", "disclosure": "每条公示"}[rule.over]
    return f"{over}若满足“{rule.violation.source}”即记{LEVEL_LABELS[rule.levels.breach]}"


def _officer(rule: OfficerRule) -> str:
    acts = "、".join(f"“{activity_label(a)}”" for a in rule.activities)
    needs = []
    if rule.min_officers is not None:
        needs.append(f"至少{rule.min_officers}名不同的执法人员")
    if rule.certificate:
        needs.append("每名执法人员在当日持有有效执法证件")
    return f"{acts}环节须有{'，且'.join(needs)}；否则记{LEVEL_LABELS[rule.levels.breach]}"


def _document(rule: DocumentRule) -> str:
    act = activity_label(rule.activity)
    if rule.require == "materials":
        return f"有“{act}”的办件须已交齐事项要求的全部申请材料；否则记{LEVEL_LABELS[rule.levels.breach]}"
    kind = f"“{rule.document_type}”" if rule.document_type else ""
    return f"每个“{act}”环节须出具{kind}文书并登记文书编号；否则记{LEVEL_LABELS[rule.levels.breach]}"


def _disclosure(rule: DisclosureRule) -> str:
    level = LEVEL_LABELS[rule.levels.breach]
    decision = "或".join(f"“{activity_label(a)}”" for a in rule.decision)
    limit = limit_phrase(rule.limit, "workday") if rule.limit else ""
    return {
        "late": f"自第一个{decision}起，首次公示晚于{limit}的记{level}",
        "missing": f"自第一个{decision}起超过{limit}仍未公示的记{level}",
        "mismatch": f"公示的{'、'.join({'decision_no': '决定书文号', 'fine_amount': '罚款金额'}[f] for f in rule.fields)}"
                    f"与办件不一致的记{level}",
        "personal_id": f"公示正文含完整的18位身份证号码的记{level}",
        "not_withdrawn": f"“{activity_label(rule.revoke)}”后{limit}内未撤回公示的记{level}",
    }[rule.check]


def _sql(rule: SqlRule) -> str:
    return "按自定义只读查询检查（仅批量审计执行，实时引擎不覆盖）；查出的记录即为发现"


def explain(rule: RuleBase) -> str:
    """One Chinese sentence: scope, condition and level."""
    body = {
        DeadlineRule: _deadline, DeclareRule: _declare, FieldRule: _field, OfficerRule: _officer,
        DocumentRule: _document, DisclosureRule: _disclosure, SqlRule: _sql,
    }[type(rule)](rule)  # type: ignore[operator]
    return f"{scope_phrase(rule.scope, rule.subject)}，{body}。"
