"""The compiler contract: a :class:`Target` turns one rule model into something a engine runs.

A target is a class; target facts are UPPER_CASE class constants that subclasses extend with
``{**Base.X, ...}``. :meth:`Target.compile` dispatches on the rule's ``kind`` to a method named
``compile_<kind>``; a target that lacks one does not cover that kind (:meth:`Target.covers`).

The batch target (``DuckDBTarget``) must, for every rule:

* produce ONE SELECT, built as a sqlglot tree, whose rows are findings with exactly the columns
  of :data:`FINDINGS_COLUMNS` (``docs/architecture.md``, "Findings"), in that order and type;
* bind every value from the rule as a parameter (``$p0``…; the audit time is ``$as_of``);
* implement the kind's semantics exactly as its model class documents them, including: only
  events with ``ts <= as_of``; order by ``events.seq``; working days counted against the
  ``calendar`` table (``workday_no`` differences), never row by row in Python;
* write a Chinese ``message`` an inspector can check by hand and ``evidence`` JSON with the
  event ids and times (deadlines: the whole computation).

A live target (Rete) reads the same models and must raise the same findings for the same events
as of the same time; kinds it cannot run (``sql``) it reports as not covered.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlglot import exp

from audit.rules.base import RuleBase
from sunlight.errors import Location, RuleError

FINDINGS_COLUMNS: dict[str, str] = {
    "rule_id": "VARCHAR",
    "rule_version": "INTEGER",
    "violation_code": "VARCHAR",
    "case_id": "VARCHAR",
    "item_code": "VARCHAR",
    "dept_code": "VARCHAR",
    "source_system": "VARCHAR",
    "occurrence": "VARCHAR",
    "level": "VARCHAR",
    "category": "VARCHAR",
    "title": "VARCHAR",
    "message": "VARCHAR",
    "evidence": "JSON",
    "due_at": "TIMESTAMP",
    "days_overdue": "INTEGER",
    "days_left": "INTEGER",
}


@dataclass(frozen=True)
class CompiledRule:
    """One rule compiled for a SQL target: the query tree, its text and its parameters."""

    rule: RuleBase
    tree: exp.Select
    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        return self.rule.id

    def bind(self, as_of: dt.datetime) -> dict[str, Any]:
        """The parameter values to execute with, ``as_of`` filled in."""
        return {k: (as_of if k == "as_of" else v) for k, v in self.params.items()}


class Target(ABC):
    """Base of every compiler target. Subclasses define ``NAME`` and ``compile_<kind>`` methods."""

    NAME: ClassVar[str] = "abstract"
    FINDINGS_COLUMNS: ClassVar[dict[str, str]] = FINDINGS_COLUMNS

    def covers(self, rule: RuleBase) -> bool:
        return callable(getattr(self, f"compile_{rule.kind}", None))

    def compile(self, rule: RuleBase) -> Any:
        method: Callable[[RuleBase], Any] | None = getattr(self, f"compile_{rule.kind}", None)
        if method is None:
            raise RuleError(f"{self.NAME} 不支持 {rule.kind} 类规则",
                            location=Location(rule_id=rule.id),
                            hint="该规则只能由批量审计（DuckDB）执行")
        return method(rule)
