"""The default pack: every inline test passes, every violation code is covered with its category
and levels, every rule has a firing and a non-firing example; the pack README stays honest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from audit.rulecheck import Sandbox
from audit.rules import KINDS, Rule, RuleBase, RuleTest, default_rules_dir, explain, load_pack
from audit.rules.kinds import DeadlineRule

ROOT = Path(__file__).resolve().parents[1]
PACK = load_pack(default_rules_dir())
CODES: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "samples" / "violations.yaml").read_text("utf-8"))["codes"]
TESTS = [(rule, test) for rule in PACK for test in rule.tests]


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox()


@pytest.mark.parametrize(("rule", "test"), TESTS, ids=[f"{r.id}-{i}" for i, (r, _) in enumerate(TESTS)])
def test_inline_test_passes(box: Sandbox, rule: RuleBase, test: RuleTest) -> None:
    outcome = box.run(rule, test)
    assert outcome.passed, "\n".join(outcome.problems)


def test_every_code_has_a_rule() -> None:
    covered = {code for rule in PACK for code in rule.detects}
    assert covered == set(CODES)


@pytest.mark.parametrize("rule", list(PACK), ids=[r.id for r in PACK])
def test_rule_matches_its_code(rule: RuleBase) -> None:
    code = CODES[rule.violation_code]
    assert rule.category == code["category"]
    levels = {rule.levels.breach}
    if isinstance(rule, DeadlineRule) and rule.levels.yellow is not None:
        levels.add("yellow")
    assert levels == set(code["levels"])


@pytest.mark.parametrize("rule", list(PACK), ids=[r.id for r in PACK])
def test_rule_has_firing_and_quiet_examples(rule: RuleBase) -> None:
    fired = {e.subject for t in rule.tests for e in t.expect}
    subjects = set()
    for test in rule.tests:
        rows = test.given.items if rule.subject == "item" else test.given.cases
        key = "item_code" if rule.subject == "item" else "case_id"
        subjects |= {row[key] for row in rows}
    assert fired, "no test raises a flag"
    assert subjects - fired, "no test shows a subject that must not be flagged"


@pytest.mark.parametrize("rule", list(PACK), ids=[r.id for r in PACK])
def test_rule_reads_well(rule: RuleBase) -> None:
    assert all("《" in basis or "规则" in basis or "制度" in basis for basis in rule.legal_basis)
    assert re.search(r"[\u4e00-\u9fff]", rule.rectification)
    sentence = explain(rule)
    assert sentence.endswith("。") and rule.id not in sentence


def test_tests_use_real_holidays() -> None:
    dates = {str(e.get("ts", ""))[:10] for _, t in TESTS for e in t.given.events}
    assert any(d.startswith("2026-02-") for d in dates), "Spring Festival 2026"
    assert any(d.startswith("2025-01-") or d.startswith("2025-02-") for d in dates), "Spring Festival 2025"
    assert any(d.startswith("2025-10-") or d.startswith("2026-10-") for d in dates), "National Day"


def _readme_blocks() -> list[Any]:
    text = (ROOT / "rules" / "README.md").read_text("utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]


def test_readme_examples_are_valid_rules() -> None:
    adapter = TypeAdapter(Rule)
    kinds = set()
    for block in _readme_blocks():
        if isinstance(block, dict) and "kind" in block:
            kinds.add(adapter.validate_python(block).kind)
        elif isinstance(block, dict) and "tests" in block:
            assert [RuleTest.model_validate(t) for t in block["tests"]]
    assert kinds == set(KINDS)


def test_readme_exception_example_is_valid() -> None:
    from audit.exceptions import ExceptionFile

    files = [b for b in _readme_blocks() if isinstance(b, dict) and "exceptions" in b]
    assert files and ExceptionFile.model_validate(files[0]).exceptions[0].rule == "T_PROMISED"
