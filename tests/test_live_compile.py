"""ReteTarget: rule objects → durable_rules JSON patterns (the network) plus judges."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from audit.compile import DuckDBTarget
from audit.live import judges
from audit.live.compile import ReteTarget
from audit.rules import default_rules_dir, load_pack
from audit.rules.base import RuleBase
from audit.rules.kinds import Rule

HEADER = {"version": 1, "effective_from": "2025-01-01", "title": "测试", "description": "测试", "category": "流程",
          "legal_basis": ["测试"], "rectification": "测试", "detects": ["X_TEST"]}


def rule(**spec: Any) -> RuleBase:
    adapter: TypeAdapter[RuleBase] = TypeAdapter(Rule)
    return adapter.validate_python({**HEADER, "id": "X", **spec})


def event_pattern(compiled: Any) -> Any:
    return compiled.triggers["X|event"]["all"][0]["m"]


CASES = [
    ("precedence reads its two activities",
     rule(kind="declare", template="precedence", a="ACCEPT", b="DECIDE"),
     {"$and": [{"t": "event"}, {"$or": [{"first": 1}, {"activity": "ACCEPT"}, {"activity": "DECIDE"}]}]}),
    ("chain templates depend on positions: every activity",
     rule(kind="declare", template="chain_response", a="ACCEPT", b="DECIDE"), {"t": "event"}),
    ("counting templates count among all events",
     rule(kind="declare", template="existence", a="ACCEPT"),
     {"$and": [{"t": "event"}, {"$or": [{"first": 1}, {"activity": "ACCEPT"}]}]}),
    ("scope parts become alpha tests on the fact",
     rule(kind="declare", template="absence", a="REFUSE",
          scope={"case_kind": "service", "item_kinds": ["行政许可", "公共服务"], "departments": ["D01"],
                 "platforms": ["qyzx"]}),
     {"$and": [{"t": "event"}, {"case_kind": "service"},
               {"$or": [{"item_kind": "行政许可"}, {"item_kind": "公共服务"}]}, {"dept": "D01"},
               {"platform": "qyzx"}, {"$or": [{"first": 1}, {"activity": "REFUSE"}]}]}),
    ("scope.when: equalities translate, the rest is left to the judge",
     rule(kind="declare", template="absence", a="REFUSE",
          scope={"when": "item.kind in ['行政许可'] and case.fee_charged > 0"}),
     {"$and": [{"t": "event"}, {"item_kind": "行政许可"}, {"$or": [{"first": 1}, {"activity": "REFUSE"}]}]}),
    ("an or with an untranslatable branch is not a filter",
     rule(kind="declare", template="absence", a="REFUSE",
          scope={"when": "case.case_kind == 'service' or len(case.materials) > 2"}),
     {"$and": [{"t": "event"}, {"$or": [{"first": 1}, {"activity": "REFUSE"}]}]}),
    ("a deadline reads start, stop, pauses, extension and fallback",
     rule(kind="deadline", start={"activity": "ACCEPT", "fallback": {"activity": "SUBMIT", "late": "SUPPLEMENT_NOTICE",
                                                                      "after_more_than": 5}},
          stop={"activities": ["DECIDE"]}, pauses=[{"begin": "SUSPEND", "end": "RESUME"}],
          extension={"activity": "EXTEND", "amount": 10}, limit={"value": 5}),
     {"$and": [{"t": "event"}, {"$or": [{"first": 1}, *({"activity": a} for a in sorted(
         ["ACCEPT", "DECIDE", "SUBMIT", "SUPPLEMENT_NOTICE", "SUSPEND", "RESUME", "EXTEND"]))]}]}),
    ("a field rule over a case needs only the case's first event",
     rule(kind="field", over="case", violation="case.fee_charged > 0"),
     {"$and": [{"t": "event"}, {"first": 1}]}),
    ("a field rule over events filters events on what it can",
     rule(kind="field", over="event", violation="event.activity == 'CHARGE' and event.amount > 0"),
     {"$and": [{"t": "event"}, {"activity": "CHARGE"}]}),
    ("officer rules read their activities",
     rule(kind="officer", activities=["INVESTIGATE"], min_officers=2),
     {"$and": [{"t": "event"}, {"$or": [{"first": 1}, {"activity": "INVESTIGATE"}]}]}),
]


@pytest.mark.parametrize(("name", "subject", "expected"), CASES, ids=[c[0] for c in CASES])
def test_event_patterns(name: str, subject: RuleBase, expected: Any) -> None:
    compiled = ReteTarget().compile(subject)
    assert event_pattern(compiled) == expected
    assert compiled.triggers["X|event"]["run"] == "X"


def test_case_rows_and_disclosures_trigger_the_rules_in_scope() -> None:
    compiled = ReteTarget().compile(rule(kind="disclosure", check="late", limit={"value": 3},
                                         scope={"case_kind": "enforcement"}))
    assert compiled.triggers["X|case"]["all"][0]["m"] == {"$and": [{"t": "case"}, {"case_kind": "enforcement"}]}
    assert compiled.triggers["X|disclosure"]["all"][0]["m"] == {
        "$and": [{"t": "disclosure"}, {"case_kind": "enforcement"}]}
    assert compiled.judge is judges.disclosure and compiled.time_dependent


def test_item_rules_listen_to_items() -> None:
    compiled = ReteTarget().compile(rule(kind="field", over="item", violation="item.promised_limit > item.legal_limit",
                                         scope={"departments": ["D03"]}))
    assert compiled.triggers == {"X|item": {"all": [{"m": {"$and": [{"t": "item"}, {"dept": "D03"}]}}], "run": "X"}}
    assert not compiled.time_dependent


def test_the_clock_is_the_one_join_and_ends_with_an_equality() -> None:
    clock = ReteTarget().clock_rules()["clock"]
    tick = clock["all"][1]["k"]["$and"]
    assert clock["all"][0] == {"d": {"t": "due"}}
    assert tick[1] == {"$gte": {"at": {"d": "at"}}} and tick[-1] == {"pad": {"d": "pad"}}


def test_sql_rules_are_listed_as_not_covered() -> None:
    raw = rule(kind="sql", id="X_SQL", query="SELECT case_id, item_code, dept_code, source_system, 'red' AS level, "
                                             "'说明' AS message, '{}' AS evidence FROM cases")
    target = ReteTarget()
    assert not target.covers(raw) and DuckDBTarget().covers(raw)
    pack = target.compile_pack([raw, rule(kind="declare", template="absence", a="REFUSE")])
    assert [r.rule_id for r in pack.rules] == ["X"]
    assert pack.not_covered == (("X_SQL", "sql 类规则只能由批量审计执行（实时引擎不支持）"),)


def test_the_default_pack_compiles_to_json_rulesets() -> None:
    rules = load_pack(default_rules_dir())
    pack = ReteTarget().compile_pack(rules)
    assert not pack.not_covered
    body = pack.rulesets()["sunlight"]
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body
    assert {r["run"] for r in body.values()} == {r.id for r in rules} | {"clock"}
    for pattern in (r["all"] for r in body.values() if r["run"] != "clock"):
        assert len(pattern) == 1, "rule triggers are single-fact (alpha-only) patterns"
