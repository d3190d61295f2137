"""``ReteTarget``: compile rule objects to durable_rules JSON rulesets, parallel to ``DuckDBTarget``.

A compiled rule has two halves:

* **the network** (JSON ruleset dicts): durable_rules patterns that decide *which* rule must look
  at *which* case and *when*. An event fact reaches a rule when it passes the rule's scope (case
  kind, item kind and code, department, platform, and the translatable part of ``scope.when``)
  and is an activity the rule reads (or the case's first event, which brings the case into
  being; templates that depend on positions read every activity). A case row, a disclosure or an
  item reaches the rules in whose scope it lies. Clock ticks join the per-case ``due`` facts whose
  time has come: deadlines and every other time-dependent judgement are re-checked against the
  tick, never against a wall-clock timer;
* **the judge** (``audit.live.judges``): the rule's documented semantics computed for one case
  as of the tick time, producing findings with the same columns, levels and Chinese messages as
  the compiled SQL. The network is only ever a necessary condition: a judge re-checks the scope.

Patterns are written in the subset of durable_rules' JSON language that its C engine evaluates
safely: single-fact patterns are alpha tests only (``$and``/``$or`` of comparisons with
constants), and the one join (tick × due) ends its ``$and`` with an equality on the other fact
(durable_rules 2.0.28 reads past the end of a join expression whose last term is an inequality).
The ``sql`` kind is batch-only: :meth:`ReteTarget.compile_pack` lists it under ``not_covered``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from audit.compile.base import Target
from audit.live import judges
from audit.live.judges import Judge
from audit.rules import expr as E
from audit.rules.base import RuleBase, Scope
from audit.rules.kinds import (
    DeadlineRule, DeclareRule, DisclosureRule, DocumentRule, FieldRule, OfficerRule,
)

Condition = dict[str, Any]


@dataclass(frozen=True)
class LiveRule:
    """One rule compiled for the live engine: its trigger patterns (durable_rules rules by name, each
    running the action named ``rule.id``) and its judge."""

    rule: RuleBase
    triggers: dict[str, dict[str, Any]]
    judge: Judge
    time_dependent: bool = True
    scope_timed: bool = False  # scope.when reads as_of: the case may enter or leave scope at any tick

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def subject(self) -> str:
        return self.rule.subject


@dataclass(frozen=True)
class CompiledPack:
    """A pack compiled for the live engine; ``not_covered`` lists (rule id, reason) it cannot run."""

    rules: tuple[LiveRule, ...]
    not_covered: tuple[tuple[str, str], ...] = ()
    ruleset: str = "sunlight"
    clock: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rulesets(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The JSON ruleset dicts for :class:`audit.live.session.ReteSession`."""
        body: dict[str, dict[str, Any]] = {}
        for live in self.rules:
            body.update(live.triggers)
        body.update(self.clock)
        return {self.ruleset: body}

    def get(self, rule_id: str) -> LiveRule:
        return next(r for r in self.rules if r.rule_id == rule_id)


class ReteTarget(Target):
    """Compiles rule models to durable_rules patterns plus judges (see the module docstring)."""

    NAME: ClassVar[str] = "rete"
    # Fact types (the ``t`` attribute of every fact the engine asserts).
    FACTS: ClassVar[dict[str, str]] = {
        "event": "event", "case": "case", "disclosure": "disclosure", "item": "item",
        "tick": "tick", "due": "due",
    }
    # Scope part -> the attribute of event, case and disclosure facts that carries it.
    # (the department is the case's, or the item's for item rules: the subject's).
    SCOPE_ATTRIBUTES: ClassVar[dict[str, str]] = {
        "case_kind": "case_kind", "item_kinds": "item_kind", "item_codes": "item_code",
        "departments": "dept", "platforms": "platform",
    }
    # Case and item columns copied onto facts so that ``scope.when`` can be tested in the network.
    WHEN_COLUMNS: ClassVar[dict[str, str]] = {"case.case_kind": "case_kind", "case.item_code": "item_code",
                                              "case.dept_code": "dept", "case.source_system": "platform",
                                              "item.kind": "item_kind", "item.item_code": "item_code"}
    RULESET: ClassVar[str] = "sunlight"
    CLOCK_ACTION: ClassVar[str] = "clock"

    # --- the pack --------------------------------------------------------------------------------

    def compile_pack(self, rules: Iterable[RuleBase]) -> CompiledPack:
        compiled: list[LiveRule] = []
        skipped: list[tuple[str, str]] = []
        for rule in rules:
            if not self.covers(rule) or rule.batch_only:
                skipped.append((rule.id, f"{rule.kind} 类规则只能由批量审计执行（实时引擎不支持）"))
                continue
            compiled.append(self.compile(rule))
        return CompiledPack(tuple(compiled), tuple(skipped), self.RULESET, self.clock_rules())

    def clock_rules(self) -> dict[str, dict[str, Any]]:
        """The one join of the network: a tick at or after a case's ``due`` time."""
        due = {"t": self.FACTS["due"]}
        tick = {"$and": [{"t": self.FACTS["tick"]}, {"$gte": {"at": {"d": "at"}}}, {"pad": {"d": "pad"}}]}
        return {"clock": {"all": [{"d": due}, {"k": tick}], "run": self.CLOCK_ACTION}}

    # --- kinds -----------------------------------------------------------------------------------

    def compile_deadline(self, rule: DeadlineRule) -> LiveRule:
        reads = [rule.start.activity, *(rule.stop.activities if rule.stop else []), *rule.skip_cases_with]
        if rule.start.fallback is not None:
            reads += [rule.start.fallback.activity, rule.start.fallback.late]
        for pause in rule.pauses:
            reads += [pause.begin, pause.end]
        if rule.extension is not None:
            reads.append(rule.extension.activity)
        return self._case_rule(rule, judges.deadline, reads)

    def compile_declare(self, rule: DeclareRule) -> LiveRule:
        spec = rule.spec
        positional = rule.template in ("init", "end") or spec.form == "chain"
        reads = ["*"] if positional else [a for a in (rule.a, rule.b) if a is not None]
        timed = rule.within is not None
        return self._case_rule(rule, judges.declare, reads, time_dependent=timed)

    def compile_field(self, rule: FieldRule) -> LiveRule:
        timed = _uses_time(rule.violation) or (rule.scope.when is not None and _uses_time(rule.scope.when))
        if rule.over == "item":
            triggers = {f"{rule.id}|item": self._trigger(rule, "item", self._scope(rule.scope, subject="item"))}
            return LiveRule(rule, triggers, judges.field, time_dependent=timed)
        # Over events every event may be a record; over a case or its disclosures only the first
        # event matters (it makes the case exist), besides the case row and disclosures themselves.
        over_events = rule.over == "event"
        extra = _filter(rule.violation, "event") if over_events else []
        return self._case_rule(rule, judges.field, ["*"] if over_events else [], time_dependent=timed,
                               event_filter=extra, disclosures=rule.over == "disclosure")

    def compile_officer(self, rule: OfficerRule) -> LiveRule:
        return self._case_rule(rule, judges.officer, list(rule.activities), time_dependent=False)

    def compile_document(self, rule: DocumentRule) -> LiveRule:
        return self._case_rule(rule, judges.document, [rule.activity], time_dependent=False)

    def compile_disclosure(self, rule: DisclosureRule) -> LiveRule:
        reads = [rule.revoke] if rule.check == "not_withdrawn" else list(rule.decision)
        timed = rule.check in ("late", "missing", "not_withdrawn")
        return self._case_rule(rule, judges.disclosure, reads, time_dependent=timed, disclosures=True)

    # --- building blocks -------------------------------------------------------------------------

    def _case_rule(self, rule: RuleBase, judge: Judge, reads: list[str], *, time_dependent: bool = True,
                   event_filter: list[Condition] | None = None, disclosures: bool = False) -> LiveRule:
        scope = self._scope(rule.scope, subject="case")
        activity = self._activities(reads)
        event = [*scope, *([activity] if activity else []), *(event_filter or [])]
        triggers = {
            f"{rule.id}|event": self._trigger(rule, "event", event),
            f"{rule.id}|case": self._trigger(rule, "case", scope),
        }
        if disclosures:
            triggers[f"{rule.id}|disclosure"] = self._trigger(rule, "disclosure", scope)
        timed_scope = rule.scope.when is not None and _uses_time(rule.scope.when)
        return LiveRule(rule, triggers, judge, time_dependent=time_dependent or timed_scope, scope_timed=timed_scope)

    def _trigger(self, rule: RuleBase, fact: str, conditions: list[Condition]) -> dict[str, Any]:
        pattern = _all_of([{"t": self.FACTS[fact]}, *conditions])
        return {"all": [{"m": pattern}], "run": rule.id}

    def _activities(self, reads: list[str]) -> Condition | None:
        if "*" in reads:
            return None
        codes = sorted(set(reads))
        return _any_of([{"first": 1}, *({"activity": c} for c in codes)])

    def _scope(self, scope: Scope, *, subject: str) -> list[Condition]:
        attrs = self.SCOPE_ATTRIBUTES
        found: list[Condition] = []
        if scope.case_kind and subject == "case":
            found.append({attrs["case_kind"]: scope.case_kind})
        for part in ("item_kinds", "item_codes", "departments", "platforms"):
            values: list[str] = getattr(scope, part)
            if values and not (part == "platforms" and subject != "case"):
                found.append(_any_of([{attrs[part]: v} for v in values]))
        if scope.when is not None:
            found += _filter(scope.when, "scope", self.WHEN_COLUMNS)
        return found


# --- expressions as network filters ----------------------------------------------------------------

_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _filter(expression: E.Expression, where: str, columns: dict[str, str] | None = None) -> list[Condition]:
    """The part of ``expression`` that durable_rules can test on one fact: a necessary condition.

    Equalities (and ``in`` lists) of a column with a text or integer constant translate; ``and`` keeps what
    translates, ``or`` translates only when every branch does; anything else (NULL logic,
    functions, arithmetic, decimals) is left to the judge.
    """
    if where == "event":
        columns = {f"event.{c}": c for c in ("activity", "document_type", "document_no", "actor_id",
                                              "dept_code", "source_system")}
    translated = _translate(expression.tree, columns or {})
    return [] if translated is None else [translated]


def _translate(node: E.Node, columns: dict[str, str]) -> Condition | None:
    if isinstance(node, E.And):
        parts = [p for p in (_translate(i, columns) for i in node.items) if p is not None]
        return _all_of(parts) if parts else None
    if isinstance(node, E.Or):
        branches = [_translate(i, columns) for i in node.items]
        kept = [p for p in branches if p is not None]
        return _any_of(kept) if len(kept) == len(branches) else None
    if isinstance(node, E.InList) and not node.negated and isinstance(node.operand, E.Col):
        attribute = columns.get(f"{node.operand.table}.{node.operand.column}")
        if attribute is None or not all(_plain(v.value) for v in node.values):
            return None
        return _any_of([{attribute: v.value} for v in node.values])
    if isinstance(node, E.Compare):
        left, right, op = node.left, node.right, node.op
        if isinstance(left, E.Const) and isinstance(right, E.Col):
            left, right, op = right, left, _SWAPPED[op]
        if not (isinstance(left, E.Col) and isinstance(right, E.Const) and _plain(right.value)):
            return None
        attribute = columns.get(f"{left.table}.{left.column}")
        if attribute is None:
            return None
        if op == "==":
            return {attribute: right.value}
        return None  # SQL and durable_rules order text and mixed types differently: the judge decides
    return None


def _plain(value: object) -> bool:
    """Text, or an integer that is not a bool: compared the same way by SQL and durable_rules."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, (bool, Decimal)))


def _uses_time(expression: E.Expression) -> bool:
    return any(isinstance(n, E.AsOf) for n in E.walk(expression.tree))


def _all_of(parts: list[Condition]) -> Condition:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _any_of(parts: list[Condition]) -> Condition:
    return parts[0] if len(parts) == 1 else {"$or": parts}

