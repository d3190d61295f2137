"""Every rule's inline tests run on the live engine too, with the same fixtures as on DuckDB
(``audit.rulecheck``: the same given rows, the same expectations), and on each fixture both engines
produce identical findings, column by column."""

from __future__ import annotations

import pytest

pytest.importorskip("durable.engine", reason="the live engine needs durable_rules (Python <= 3.12)")

from audit import rulecheck  # noqa: E402
from audit.live.compare import batch_findings, differences, live_findings  # noqa: E402
from audit.live.runner import live_engine  # noqa: E402
from audit.rules import default_rules_dir, load_pack  # noqa: E402
from audit.rules.base import RuleBase, RuleTest  # noqa: E402

PACK = load_pack(default_rules_dir())
CASES = [(rule, test) for rule in PACK if not rule.batch_only for test in rule.tests]


@pytest.fixture(scope="module")
def sandbox() -> rulecheck.Sandbox:
    return rulecheck.Sandbox()


def test_every_default_rule_has_inline_tests() -> None:
    assert {rule.id for rule, _ in CASES} == {rule.id for rule in PACK if not rule.batch_only}


@pytest.mark.parametrize(("rule", "test"), CASES, ids=[f"{r.id}:{t.name}" for r, t in CASES])
def test_inline_test_passes_on_the_live_engine(sandbox: rulecheck.Sandbox, rule: RuleBase, test: RuleTest) -> None:
    outcome = sandbox.run(rule, test, live_engine)
    assert outcome.passed, "\n".join(outcome.problems)


@pytest.mark.parametrize(("rule", "test"), CASES, ids=[f"{r.id}:{t.name}" for r, t in CASES])
def test_inline_fixture_gives_identical_findings(sandbox: rulecheck.Sandbox, rule: RuleBase, test: RuleTest) -> None:
    sandbox.con.execute("BEGIN TRANSACTION")
    try:
        sandbox.load(rulecheck.given_tables(test))
        batch = batch_findings(sandbox.con, [rule], test.as_of)
        live = live_findings(sandbox.con, [rule], test.as_of)
    finally:
        sandbox.con.execute("ROLLBACK")
    problems = differences(batch, live)
    assert not problems, "\n".join(problems)
