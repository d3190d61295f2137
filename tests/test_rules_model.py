"""Rule files: validation errors name the file, line and field; unknown kinds list the known ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.rules import ErrorPolicy, KINDS, PackErrors, load_pack
from audit.rules.kinds import DeadlineRule, DeclareRule
from sunlight.errors import RuleError

BASE = """\
kind: deadline
id: R1
version: 1
effective_from: 2025-01-01
title: 测试规则
description: 测试
category: 时效
scope: {case_kind: service}
levels:
  breach: red
  yellow: {days_left: 2}
legal_basis: [《中华人民共和国行政许可法》第四十二条]
rectification: 尽快办结
detects: [T_PROMISED]
start: {activity: ACCEPT}
stop: {activities: [DECIDE]}
limit: {column: promised_limit}
unit: item
"""


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_base_rule_is_valid(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, BASE))
    rule = pack.get("R1")
    assert isinstance(rule, DeadlineRule)
    assert pack.sources["R1"].line == 1
    assert len(pack.version) == 16


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("start: {activity: ACCEPT}", "start: {activity: ACEPT}", 15, "start.activity", "未知的环节 'ACEPT'"),
        ("  breach: red", "  breach: orange", 10, "levels.breach", "取值须是"),
        ("unit: item", "unit: item\ncolour: blue", 19, "colour", "不认识的字段"),
        ("title: 测试规则\n", "", 1, "title", "缺少必填字段"),
        ("version: 1", "version: one", 3, "version", "integer"),
        ("effective_from: 2025-01-01", "effective_from: soon", 4, "effective_from", "date"),
        ("category: 时效", "category: 效率", 7, "category", "取值须是"),
        ("detects: [T_PROMISED]", "detects: [t_promised]", 14, "detects[0]", "pattern"),
        ("scope: {case_kind: service}", "scope: {case_kind: service, when: \"case.__class__ is None\"}", 8,
         "scope.when", "下划线开头"),
        ("scope: {case_kind: service}", "scope: {case_kind: service, when: \"officer.name == 'x'\"}", 8,
         "scope.when", "不能引用表 officer"),
        ("limit: {column: promised_limit}", "limit: {column: promised_limit, value: 3}", 17, "limit",
         "column（事项的时限列）或 value"),
        ("stop: {activities: [DECIDE]}", "stop: {activities: [DECIDE]}\njudge: stopped", 11, "levels.yellow",
         "不能设黄牌"),
    ],
    ids=["unknown-activity", "bad-level", "extra-field", "missing-title", "bad-version", "bad-date",
         "bad-category", "bad-code", "dunder-in-when", "table-not-allowed", "limit-both", "yellow-on-stopped"],
)
def test_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, line: int, field: str,
                                         message: str) -> None:
    assert old in BASE
    write(tmp_path, BASE.replace(old, new))
    with pytest.raises(RuleError, match=message) as info:
        load_pack(tmp_path)
    location = info.value.location
    assert (Path(str(location.file)).name, location.line, location.field) == ("r.yaml", line, field)
    assert location.rule_id == "R1"
    assert f"r.yaml:{line}" in info.value.describe()


def test_unknown_kind_is_named_with_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, BASE.replace("kind: deadline", "kind: deadlin"))
    with pytest.raises(RuleError) as info:
        load_pack(tmp_path)
    text = info.value.describe()
    assert "未知的规则类型 kind: 'deadlin'" in text
    for kind in KINDS:
        assert kind in text
    assert info.value.location.field == "kind" and info.value.location.line == 1


def test_collect_gathers_every_error_and_keeps_valid_rules(tmp_path: Path) -> None:
    write(tmp_path, BASE, "a.yaml")
    write(tmp_path, BASE.replace("id: R1", "id: R2").replace("unit: item", "unit: fortnight"), "b.yaml")
    write(tmp_path, "kind: [unclosed\n", "c.yaml")
    pack = load_pack(tmp_path, policy=ErrorPolicy.COLLECT)
    assert [r.id for r in pack] == ["R1"]
    where = sorted((Path(str(e.location.file)).name, e.location.line) for e in pack.errors)
    assert where == [("b.yaml", 18), ("c.yaml", 2)]


def test_duplicate_ids_name_both_places(tmp_path: Path) -> None:
    write(tmp_path, BASE + "---\n" + BASE)
    with pytest.raises(RuleError, match="规则编号 R1 重复") as info:
        load_pack(tmp_path)
    assert info.value.location.line == 20
    assert "r.yaml:1" in info.value.message


def test_several_errors_in_one_rule_are_all_reported(tmp_path: Path) -> None:
    write(tmp_path, BASE.replace("unit: item", "unit: fortnight").replace("version: 1", "version: 0"))
    with pytest.raises(PackErrors) as info:
        load_pack(tmp_path)
    assert sorted(e.location.field or "" for e in info.value.errors) == ["unit", "version"]


DECLARE = BASE.split("start:")[0].replace("kind: deadline", "kind: declare").replace(
    "levels:\n  breach: red\n  yellow: {days_left: 2}\n", "")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("template: response\na: ACCEPT\n", "b", "需要两个环节"),
        ("template: absence\na: ACCEPT\nb: DECIDE\n", "b", "只用一个环节"),
        ("template: at_most\na: ACCEPT\n", "n", "需要次数 n"),
        ("template: coexistence\na: ACCEPT\nb: DECIDE\nwithin: 3\n", "within", "不能设 within"),
        ("template: eventually\na: ACCEPT\n", "template", "取值须是"),
    ],
    ids=["binary-needs-b", "unary-refuses-b", "at-most-needs-n", "within-needs-order", "unknown-template"],
)
def test_declare_arity(tmp_path: Path, body: str, field: str, message: str) -> None:
    write(tmp_path, DECLARE + body)
    with pytest.raises(RuleError, match=message) as info:
        load_pack(tmp_path)
    assert info.value.location.field == field


def test_declare_rule_loads(tmp_path: Path) -> None:
    write(tmp_path, DECLARE + "template: precedence\na: ACCEPT\nb: DECIDE\nwithin: 5\n")
    rule = load_pack(tmp_path).get("R1")
    assert isinstance(rule, DeclareRule) and rule.spec.precedence and rule.within == 5


def test_yellow_only_on_deadlines(tmp_path: Path) -> None:
    write(tmp_path, DECLARE.replace("scope: {case_kind: service}", "scope: {case_kind: service}\n"
                                    "levels: {yellow: {days_left: 1}}") + "template: absence\na: ACCEPT\n")
    with pytest.raises(RuleError, match="只有 deadline 规则可以设黄牌阈值") as info:
        load_pack(tmp_path)
    assert info.value.location.field == "levels.yellow"


def test_body_round_trips(tmp_path: Path) -> None:
    rule = load_pack(write(tmp_path, BASE)).get("R1")
    again = DeadlineRule.model_validate(rule.body())
    assert again == rule


def test_missing_folder_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="规则目录不存在") as info:
        load_pack(tmp_path / "nowhere")
    assert info.value.hint and "--rules" in info.value.hint
