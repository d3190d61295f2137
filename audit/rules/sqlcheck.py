"""Safety checks for ``sql`` rules: exactly one read-only SELECT over the canonical tables.

Checked on the sqlglot tree (DuckDB dialect), never by searching the text:

* one statement, and it is a query (SELECT, or a UNION/INTERSECT/EXCEPT of SELECTs);
* no DDL, DML, COPY, ATTACH, PRAGMA, INSTALL/LOAD, SET, SELECT … INTO, or unparsed commands;
* every table in FROM/JOIN is a canonical table (:data:`READABLE_TABLES`) or a CTE of the query,
  without a catalog; table functions (``read_csv``, ``glob``, ``sqlite_scan`` …) and quoted file
  names are refused, and so are functions that read files or settings anywhere in the query;
* the only parameter is ``$as_of``;
* the output columns are named findings columns (see :data:`REQUIRED_COLUMNS`).
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

READABLE_TABLES = frozenset({
    "items", "cases", "events", "officers", "discretion", "disclosures", "calendar", "departments",
})
HEADER_COLUMNS = ("rule_id", "rule_version", "title", "category")
REQUIRED_COLUMNS = ("case_id", "item_code", "dept_code", "source_system", "level", "message", "evidence")
OPTIONAL_COLUMNS = ("violation_code", "occurrence", "due_at", "days_overdue", "days_left")
PARAMETERS = frozenset({"as_of"})

_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.DDL, exp.DML, exp.Command, exp.Copy, exp.Attach, exp.Detach, exp.Pragma, exp.Set, exp.Use,
    exp.Transaction, exp.Commit, exp.Rollback, exp.Into, exp.Install, exp.Describe, exp.Summarize,
)
_FORBIDDEN_FUNCTION = re.compile(
    r"^(read_.*|.*_scan|glob|sniff_csv|parquet_.*|query|query_table|getenv|current_setting|"
    r"duckdb_.*|pragma_.*|sqlite_.*|postgres_.*|mysql_.*|which_secret|load_.*|json_execute_serialized_sql|"
    r"system|shell|export_.*|import_.*|checkpoint|force_checkpoint|set_.*)$",
    re.IGNORECASE,
)


class SqlCheckError(ValueError):
    """A ``sql`` rule's query is refused; the message says why, in Chinese."""


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    return node.sql_name()


def parse_query(text: str) -> exp.Query:
    """Parse ``text`` as one query, or raise :class:`SqlCheckError`."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as exc:
        raise SqlCheckError(f"SQL 语法错误：{exc.errors[0].get('description') if exc.errors else exc}") from None
    finally:
        logger.setLevel(level)
    if len(statements) != 1:
        raise SqlCheckError(f"只能有一条语句，这里有 {len(statements)} 条")
    statement = statements[0]
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        raise SqlCheckError(f"只能是 SELECT 查询，这里是 {type(statement).__name__}")
    return statement


def check_query(text: str) -> exp.Query:
    """Check a ``sql`` rule's query; return its parsed tree."""
    query = parse_query(text)
    for node in query.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise SqlCheckError(f"不允许 {type(node).__name__} 语句或子句（只读查询）")
        if isinstance(node, exp.Func) and _FORBIDDEN_FUNCTION.match(_function_name(node)):
            raise SqlCheckError(f"不允许调用函数 {_function_name(node)}（读取文件、设置或元数据）")
        if isinstance(node, (exp.Placeholder, exp.Parameter)) and node.name not in PARAMETERS:
            raise SqlCheckError(f"不允许的参数 {node.sql(dialect='duckdb')}（只能用 $as_of）")
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise SqlCheckError(f"不允许表函数 {table.this.sql(dialect='duckdb')}")
        if table.catalog or (table.db and table.db != "main"):
            raise SqlCheckError(f"不允许读取其他库的表 {table.sql(dialect='duckdb')}")
        if table.this.quoted and table.name not in READABLE_TABLES | ctes:
            raise SqlCheckError(f"不允许读取文件 {table.name!r}")
        if table.name not in READABLE_TABLES | ctes:
            raise SqlCheckError(f"只能读取这些表：{', '.join(sorted(READABLE_TABLES))}（不认识 {table.name!r}）")
    check_columns(query)
    return query


def output_columns(query: exp.Query) -> list[str]:
    select = query
    while isinstance(select, exp.SetOperation):
        select = select.this
    assert isinstance(select, exp.Select)
    names: list[str] = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            raise SqlCheckError("不能用 SELECT *：须逐列列出发现的各列")
        name = projection.alias_or_name
        if not name:
            raise SqlCheckError(f"输出列 {projection.sql(dialect='duckdb')} 须用 AS 命名")
        names.append(name)
    return names


def check_columns(query: exp.Query) -> list[str]:
    names = output_columns(query)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SqlCheckError(f"输出列重复：{', '.join(duplicated)}")
    header = [n for n in names if n in HEADER_COLUMNS]
    if header:
        raise SqlCheckError(f"{', '.join(header)} 由规则本身提供，查询不要返回")
    unknown = [n for n in names if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise SqlCheckError(f"不认识的输出列：{', '.join(unknown)}")
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise SqlCheckError(f"缺少输出列：{', '.join(missing)}")
    return names
