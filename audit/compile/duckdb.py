"""The batch target: every rule → one DuckDB SELECT built with sqlglot (see ``base.Target``).

Kind builders live in their own modules (``deadline``, ``declare``, ``checks``, ``disclosure``,
``rawsql``); this class holds the target's facts as constants and dispatches. The SQL is kept
dialect-neutral where sqlglot can transpile it (``DIALECT`` is the only switch), so a subclass
for another engine mostly changes constants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp

from audit.compile import checks, deadline, declare, disclosure, rawsql
from audit.compile.base import CompiledRule, Target
from audit.compile.common import Query
from audit.rules.base import RuleBase
from audit.rules.kinds import (
    DeadlineRule, DeclareRule, DisclosureRule, DocumentRule, FieldRule, OfficerRule, SqlRule,
)
from audit.rules.vocab import TABLES


class DuckDBTarget(Target):
    """Compiles rules to DuckDB SQL with bound parameters (``$p0``…, ``$as_of``).

    ``narrow=False`` leaves out every rule's candidate narrowing (``Query.restrict``): the same
    findings from the whole computation over every case in scope, slower — what the narrowing is
    checked against.
    """

    def __init__(self, *, narrow: bool = True):
        self.narrow = narrow

    NAME: ClassVar[str] = "duckdb"
    DIALECT: ClassVar[str] = "duckdb"
    # expression-language table name -> SQL table
    TABLES: ClassVar[dict[str, str]] = {name: sql for name, (sql, _) in TABLES.items()}
    CALENDAR: ClassVar[str] = "calendar"
    TIME_FORMAT: ClassVar[str] = "%Y-%m-%d %H:%M"
    DATE_FORMAT: ClassVar[str] = "%Y-%m-%d"

    def _build(self, rule: RuleBase, builder: Callable[[Query, Any], exp.Select]) -> CompiledRule:
        query = Query(self, rule)
        tree = builder(query, rule)
        # copy=False: the tree is not used again, and copying it takes a third of the time of rendering it
        return CompiledRule(rule, tree, tree.sql(dialect=self.DIALECT, pretty=True, copy=False), dict(query.binder.values))

    def compile_deadline(self, rule: DeadlineRule) -> CompiledRule:
        return self._build(rule, deadline.build)

    def compile_declare(self, rule: DeclareRule) -> CompiledRule:
        return self._build(rule, declare.build)

    def compile_field(self, rule: FieldRule) -> CompiledRule:
        return self._build(rule, checks.build_field)

    def compile_officer(self, rule: OfficerRule) -> CompiledRule:
        return self._build(rule, checks.build_officer)

    def compile_document(self, rule: DocumentRule) -> CompiledRule:
        return self._build(rule, checks.build_document)

    def compile_disclosure(self, rule: DisclosureRule) -> CompiledRule:
        return self._build(rule, disclosure.build)

    def compile_sql(self, rule: SqlRule) -> CompiledRule:
        return self._build(rule, rawsql.build)

    def compile(self, rule: RuleBase) -> CompiledRule:
        result: CompiledRule = super().compile(rule)
        return result
