"""Golden files: each ``tests/golden/<name>.yaml`` rule compiles to exactly ``<name>.sql``.

The ``.sql`` file starts with meta comment lines (``-- rule:``, ``-- params:`` with the bound
parameters as JSON); the rest is the query. Regenerate after an intended compiler change with
``SUNLIGHT_UPDATE_GOLDEN=1 pytest tests/test_compile_golden.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import sqlglot
from pydantic import TypeAdapter

from audit.compile import CompiledRule, DuckDBTarget
from audit.rules import Rule, RuleBase
from audit.rules.yamlsrc import read_documents
from sunlight import db

GOLDEN = Path(__file__).parent / "golden"
NAMES = sorted(p.stem for p in GOLDEN.glob("*.yaml"))
UPDATE = os.environ.get("SUNLIGHT_UPDATE_GOLDEN") == "1"


def load(name: str) -> tuple[RuleBase, str, dict[str, object]]:
    """The rule, the expected SQL and the expected parameters of one golden pair."""
    rule = TypeAdapter(Rule).validate_python(read_documents(GOLDEN / f"{name}.yaml")[0].data)
    path = GOLDEN / f"{name}.sql"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    meta = [line for line in text.splitlines() if line.startswith("-- ")]
    params = next((json.loads(line[len("-- params: "):]) for line in meta if line.startswith("-- params: ")), {})
    sql = "\n".join(line for line in text.splitlines() if not line.startswith("-- ")).strip()
    return rule, sql, params


def render(compiled: CompiledRule) -> str:
    params = json.dumps(compiled.params, ensure_ascii=False, default=str, sort_keys=True)
    return f"-- rule: {compiled.rule_id} ({compiled.rule.kind})\n-- params: {params}\n{compiled.sql}\n"


@pytest.mark.parametrize("name", NAMES)
def test_golden(name: str) -> None:
    rule, expected_sql, expected_params = load(name)
    compiled = DuckDBTarget().compile(rule)
    if UPDATE:
        (GOLDEN / f"{name}.sql").write_text(render(compiled), encoding="utf-8")
        return
    assert compiled.sql == expected_sql
    assert json.loads(json.dumps(compiled.params, ensure_ascii=False, default=str)) == expected_params


@pytest.mark.parametrize("name", NAMES)
def test_golden_sql_binds_on_duckdb(name: str) -> None:
    rule, _, _ = load(name)
    compiled = DuckDBTarget().compile(rule)
    con = db.memory()
    con.execute(f"EXPLAIN {compiled.sql}", compiled.bind(dt.datetime(2026, 1, 1)))


@pytest.mark.parametrize("name", NAMES)
def test_golden_sql_transpiles_to_spark(name: str) -> None:
    rule, _, _ = load(name)
    compiled = DuckDBTarget().compile(rule)
    assert compiled.tree.sql(dialect="spark")
    assert sqlglot.parse_one(compiled.sql, read="duckdb") is not None


def test_every_kind_has_a_golden_file() -> None:
    kinds = {load(name)[0].kind for name in NAMES}
    assert kinds == {"deadline", "declare", "field", "officer", "document", "disclosure", "sql"}
