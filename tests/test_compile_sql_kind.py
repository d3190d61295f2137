"""``sql`` rules: exactly one read-only SELECT over the canonical tables, wrapped into findings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from audit.compile import FINDINGS_COLUMNS, DuckDBTarget
from audit.rulecheck import Sandbox, duckdb_engine, given_tables
from audit.rules import sqlcheck
from audit.rules.base import Given, RuleTest
from audit.rules.kinds import SqlRule

GOOD = """
SELECT c.case_id AS case_id, c.item_code AS item_code, c.dept_code AS dept_code,
       c.source_system AS source_system, 'red' AS level,
       '收费 ' || CAST(c.fee_charged AS VARCHAR) || ' 元' AS message,
       json_object('fee', c.fee_charged) AS evidence
FROM cases AS c JOIN items AS i ON i.item_code = c.item_code
WHERE c.fee_charged > i.fee_standard AND (c.submitted_at IS NULL OR c.submitted_at <= $as_of)
"""


def make(query: str) -> SqlRule:
    return SqlRule.model_validate({
        "kind": "sql", "id": "S1", "version": 1, "effective_from": "2025-01-01", "title": "自定义",
        "description": "测试", "category": "内容", "legal_basis": ["测试"], "rectification": "测试",
        "detects": ["C_FEE_ABOVE_STANDARD"], "query": query})


COLUMNS = ("c.case_id AS case_id, c.item_code AS item_code, c.dept_code AS dept_code, "
           "c.source_system AS source_system, 'red' AS level, 'x' AS message, '{}' AS evidence")

REFUSED = [
    ("DROP TABLE cases", "只能是 SELECT"),
    ("DELETE FROM cases", "只能是 SELECT"),
    ("UPDATE cases SET fee_charged = 0", "只能是 SELECT"),
    ("INSERT INTO cases SELECT * FROM cases", "只能是 SELECT"),
    ("CREATE TABLE x AS SELECT 1", "只能是 SELECT"),
    ("COPY cases TO 'out.csv'", "只能是 SELECT"),
    ("ATTACH 'other.duckdb'", "只能是 SELECT"),
    ("PRAGMA version", "只能是 SELECT"),
    ("INSTALL httpfs", "只能是 SELECT"),
    ("LOAD httpfs", "只能是 SELECT"),
    (f"SELECT {COLUMNS} FROM cases c; DROP TABLE cases", "只能有一条语句"),
    (f"SELECT {COLUMNS} FROM read_csv('/etc/passwd') c", "不允许调用函数 READ_CSV|不允许表函数"),
    (f"SELECT {COLUMNS} FROM read_parquet('x.parquet') c", "不允许调用函数|不允许表函数"),
    (f"SELECT {COLUMNS} FROM glob('*') c", "不允许调用函数 glob|不允许表函数"),
    (f"SELECT {COLUMNS} FROM sqlite_scan('x.db', 't') c", "不允许调用函数|不允许表函数"),
    (f"SELECT {COLUMNS} FROM 'secrets.csv' c", "不允许读取文件"),
    (f"SELECT {COLUMNS} FROM other.main.cases c", "其他库"),
    (f"SELECT {COLUMNS} FROM flags c", "只能读取这些表"),
    (f"SELECT {COLUMNS}, read_text('x') AS due_at FROM cases c", "不允许调用函数 read_text"),
    (f"SELECT {COLUMNS}, getenv('HOME') AS occurrence FROM cases c", "不允许调用函数 getenv"),
    (f"SELECT {COLUMNS} FROM cases c WHERE c.case_id IN (SELECT case_id FROM read_json('x'))", "不允许"),
    (f"SELECT {COLUMNS} INTO t FROM cases c", "Into"),
    (f"SELECT {COLUMNS} FROM cases c WHERE c.fee_charged > $1", "只能用 \\$as_of"),
    (f"SELECT {COLUMNS} FROM cases c WHERE c.fee_charged > $limit", "只能用 \\$as_of"),
    ("SELECT * FROM cases", "不能用 SELECT \\*"),
    (f"SELECT {COLUMNS}, 'R9' AS rule_id FROM cases c", "由规则本身提供"),
    (f"SELECT {COLUMNS}, 1 AS colour FROM cases c", "不认识的输出列"),
    ("SELECT c.case_id AS case_id FROM cases c", "缺少输出列"),
    (f"SELECT {COLUMNS}, c.dept_code AS dept_code FROM cases c", "输出列重复"),
    (f"SELECT {COLUMNS}, c.fee_charged + 1 FROM cases c", "须用 AS 命名"),
    ("SELEC 1", "语法错误|只能是 SELECT"),
]


@pytest.mark.parametrize(("query", "message"), REFUSED, ids=[f"{i:02d}-{q[:24]}" for i, (q, _) in enumerate(REFUSED)])
def test_refused(query: str, message: str) -> None:
    with pytest.raises(sqlcheck.SqlCheckError, match=message):
        sqlcheck.check_query(query)
    with pytest.raises(ValidationError):
        make(query)


def test_ctes_and_unions_are_allowed() -> None:
    query = f"WITH paid AS (SELECT * FROM cases WHERE fee_charged > 0) SELECT {COLUMNS} FROM paid c " \
            f"UNION ALL SELECT {COLUMNS} FROM cases c"
    assert sqlcheck.check_columns(sqlcheck.check_query(query))[0] == "case_id"


def test_a_sql_rule_is_batch_only() -> None:
    rule = make(GOOD)
    assert rule.batch_only and rule.ENGINES == frozenset({"batch"})


def test_it_runs_and_returns_the_findings_contract() -> None:
    rule = make(GOOD)
    compiled = DuckDBTarget().compile(rule)
    assert "$as_of" not in compiled.sql.replace("CAST($as_of AS TIMESTAMP)", "")
    box = Sandbox(years=range(2026, 2027))
    test = RuleTest(name="t", as_of=dt.datetime(2026, 3, 31), given=Given(
        items=[{"item_code": "F1", "fee_standard": 100}],
        cases=[{"case_id": "OVER", "fee_charged": 150, "submitted_at": "2026-03-02 09:00"},
               {"case_id": "LATER", "fee_charged": 150, "submitted_at": "2026-04-02 09:00"},
               {"case_id": "OK", "fee_charged": 100}]))
    box.con.execute("BEGIN TRANSACTION")
    try:
        box.load(given_tables(test))
        rows: list[dict[str, Any]] = duckdb_engine(box.con, rule, test.as_of)
        names = [d[0] for d in box.con.execute(compiled.sql, compiled.bind(test.as_of)).description]
    finally:
        box.con.execute("ROLLBACK")
    assert names == list(FINDINGS_COLUMNS)
    assert [(r["case_id"], r["rule_id"], r["rule_version"], r["violation_code"], r["occurrence"], r["category"])
            for r in rows] == [("OVER", "S1", 1, "C_FEE_ABOVE_STANDARD", "", "内容")]
    assert rows[0]["message"] == "收费 150.00 元"
