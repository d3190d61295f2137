"""The query context every kind builder uses: scope, events as of the audit time, calendar joins
and the findings projection (the contract columns, in order, typed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from sqlglot import exp

from audit.compile.expr_sql import ExpressionCompiler
from audit.compile.sqlkit import Binder, cast, col, date_of, lit
from audit.rules.base import RuleBase

if TYPE_CHECKING:
    from audit.compile.duckdb import DuckDBTarget


class Query:
    """Builds one rule's SELECT: holds the target (its constants), the rule and the binder."""

    def __init__(self, target: DuckDBTarget, rule: RuleBase):
        self.target = target
        self.rule = rule
        self.binder = Binder()
        self.ctes: list[tuple[str, exp.Select]] = []
        self.candidates: str | None = None

    # --- values --------------------------------------------------------------------------------

    def text(self, value: str) -> exp.Expr:
        return self.binder.text(value)

    def integer(self, value: int) -> exp.Expr:
        return self.binder.integer(value)

    def as_of(self) -> exp.Expr:
        return self.binder.as_of()

    def activities(self, codes: list[str]) -> list[exp.Expr]:
        return [self.text(c) for c in codes]

    def expressions(self, aliases: Mapping[str, str]) -> ExpressionCompiler:
        return ExpressionCompiler(self.binder, aliases, self.target.CALENDAR)

    # --- building blocks -----------------------------------------------------------------------

    def cte(self, name: str, select: exp.Select) -> str:
        self.ctes.append((name, select))
        return name

    def restrict(self, build: Callable[[], exp.Query | None], name: str = "candidate") -> str | None:
        """Narrow every later ``events`` and ``scoped_cases`` CTE to the case ids ``build()`` selects.

        ``build`` returns a cheap necessary condition for a finding (one narrow aggregate, no text),
        or None when the rule has none: a case it leaves out could not have raised one, so the full
        computation — partners, working days, the message and the evidence — runs on the few cases
        that might. Call it before the CTEs it narrows. A target built with ``narrow=False`` skips
        it (and binds none of its values).
        """
        if not getattr(self.target, "narrow", True):
            return None
        select = build()
        if select is None:
            return None
        self.ctes.append((name, select))  # type: ignore[arg-type]
        self.candidates = name
        return name

    def candidate(self, alias: str) -> exp.Expr | None:
        """``alias.case_id IN (candidates)`` when the rule has a candidate set, else None."""
        if self.candidates is None:
            return None
        return col(alias, "case_id").isin(query=exp.select("case_id").from_(self.candidates))

    def events(self, name: str = "ev", activities: list[str] | None = None,
               columns: tuple[str, ...] = (), within: str | None = None) -> str:
        """A CTE of the events that exist as of the audit time (optionally of some activities).

        ``within`` names a CTE of case ids (the rule's subject) that every use of these events is
        joined to: when the rule has no candidate set, the events are narrowed to those cases, so
        aggregates over them skip the cases out of scope (a target built with ``narrow=False``
        does not).
        """
        t = self.target
        base = ("event_id", "case_id", "seq", "activity", "ts") + columns
        where: exp.Expr = col("e", "ts") <= self.as_of()
        if activities is not None:
            where = exp.and_(where, col("e", "activity").isin(*self.activities(sorted(set(activities)))))
        narrowed = self.candidate("e")
        if narrowed is None and within is not None and getattr(t, "narrow", True):
            narrowed = col("e", "case_id").isin(query=exp.select("case_id").from_(within))
        if narrowed is not None:
            where = exp.and_(where, narrowed)
        select = exp.select(*(col("e", c) for c in base)).from_(exp.to_table(t.TABLES["event"]).as_("e")).where(where)
        return self.cte(name, select)

    def scope_conditions(self, case: str = "c", item: str = "i") -> list[exp.Expr]:
        """Conditions for the rule's scope over a case alias and an item alias."""
        scope = self.rule.scope
        found: list[exp.Expr] = []
        subject_is_case = self.rule.subject == "case"
        dept_owner = case if subject_is_case else item
        if scope.case_kind and subject_is_case:
            found.append(col(case, "case_kind").eq(self.text(scope.case_kind)))
        if scope.item_kinds:
            found.append(col(item, "kind").isin(*(self.text(k) for k in scope.item_kinds)))
        if scope.item_codes:
            found.append(col(item, "item_code").isin(*(self.text(k) for k in scope.item_codes)))
        if scope.departments:
            found.append(col(dept_owner, "dept_code").isin(*(self.text(k) for k in scope.departments)))
        if scope.platforms and subject_is_case:
            found.append(col(case, "source_system").isin(*(self.text(k) for k in scope.platforms)))
        if scope.when is not None:
            found.append(exp.Paren(this=self.expressions({"case": case, "item": item})(scope.when)))
        return found

    def case_known(self, case: str = "c") -> exp.Expr:
        """A case exists as of the audit time when it has an event by then."""
        events = self.target.TABLES["event"]
        seen = (exp.select(lit(1)).from_(exp.to_table(events).as_("known"))
                .where(exp.and_(col("known", "case_id").eq(col(case, "case_id")), col("known", "ts") <= self.as_of())))
        return exp.Exists(this=seen)

    def scoped_cases(self, name: str = "subject", columns: Mapping[str, exp.Expr] | None = None,
                     where: list[exp.Expr] | None = None) -> str:
        """A CTE of the cases in scope (joined to their items) with their subject columns."""
        t = self.target
        projection: dict[str, exp.Expr] = {
            "case_id": col("c", "case_id"), "item_code": col("c", "item_code"),
            "dept_code": col("c", "dept_code"), "source_system": col("c", "source_system"),
            **(columns or {}),
        }
        select = (exp.select(*(v.as_(k) for k, v in projection.items()))
                  .from_(exp.to_table(t.TABLES["case"]).as_("c"))
                  .join(exp.to_table(t.TABLES["item"]).as_("i"), on=col("i", "item_code").eq(col("c", "item_code"))))
        narrowed = self.candidate("c")
        conditions = self.scope_conditions() + (where or []) + ([narrowed] if narrowed is not None else [])
        if conditions:
            select = select.where(exp.and_(*conditions))
        return self.cte(name, select)

    def join_calendar(self, select: exp.Select, alias: str, day: exp.Expr) -> exp.Select:
        """LEFT JOIN the calendar row of ``day`` (a timestamp or date) as ``alias``."""
        return select.join(exp.to_table(self.target.CALENDAR).as_(alias),
                           on=col(alias, "day").eq(date_of(day)), join_type="LEFT")

    # --- the findings ----------------------------------------------------------------------------

    def findings(self, values: Mapping[str, exp.Expr]) -> list[exp.Expr]:
        """The findings projection: ``values`` for the subject/level/message… columns, the rule's
        header bound, everything cast to the contract type, in contract order."""
        rule = self.rule
        header: dict[str, exp.Expr] = {
            "rule_id": self.text(rule.id),
            "rule_version": self.integer(rule.version),
            "violation_code": self.text(rule.violation_code),
            "occurrence": lit(""),
            "category": self.text(rule.category),
            "title": self.text(rule.title),
        }
        out: list[exp.Expr] = []
        for name, sql_type in self.target.FINDINGS_COLUMNS.items():
            value = values.get(name, header.get(name, exp.null()))
            out.append(cast(value, sql_type).as_(name))
        return out

    def level(self, condition: exp.Expr | None = None) -> exp.Expr:
        return self.text(self.rule.levels.breach)

    def finish(self, final: exp.Select) -> exp.Select:
        for name, select in self.ctes:
            final = final.with_(name, as_=select, copy=False)
        return final
