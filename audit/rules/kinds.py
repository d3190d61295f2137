"""The rule kinds, one class each, and their union on ``kind``.

Every class documents its exact semantics; compilers (SQL, Rete) implement these and nothing
else. Shared conventions (also in ``samples/violations.yaml``):

* Only events with ``ts <= as_of`` exist for a rule, and a case with no such event is not judged.
  Event order is ``events.seq``; "first"/"last"/"before"/"after" always mean seq order.
* Dates are the local dates of the timestamps. Working days between X and Y are the days d with
  date(X) < d <= date(Y) that are working days: ``workday_no(date(Y)) - workday_no(date(X))``.
* A rule raises at most one finding per subject (occurrence ``''``); its evidence lists every
  event involved.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from audit.rules import declare, sqlcheck
from audit.rules.base import (
    Activity, AnyActivity, Expr, FieldProblem, RuleBase, StrictModel, check_tables,
)

LimitColumn = Literal["promised_limit", "legal_limit", "disclosure_limit"]


class Limit(StrictModel):
    """A limit from an item column (NULL there: the case is not judged) or a constant."""

    column: LimitColumn | None = None
    value: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Limit:
        if (self.column is None) == (self.value is None):
            raise ValueError("时限须给出 column（事项的时限列）或 value（常数）之一")
        return self


# --- deadline ------------------------------------------------------------------------------------


class StartFallback(StrictModel):
    """Start at ``activity`` instead when the first ``late`` event came more than ``after_more_than``
    working days after the first ``activity`` (e.g. SUBMIT when the 补正 notice was late)."""

    activity: Activity
    late: Activity
    after_more_than: int = Field(ge=0)



class Start(StrictModel):
    """The clock starts at the first (or last) event of ``activity`` (``"*"``: any activity)."""

    activity: AnyActivity
    occurrence: Literal["first", "last"] = "first"
    fallback: StartFallback | None = None



class Stop(StrictModel):
    """The clock stops at the first event after the start whose activity is one of these."""

    activities: list[Activity] = Field(min_length=1)



class Pause(StrictModel):
    """Not counted: from a ``begin`` event to the next ``end`` event."""

    begin: Activity
    end: Activity



class Extension(StrictModel):
    """The first ``activity`` event after the start (and before the stop) adds ``amount`` units."""

    activity: Activity = "EXTEND"
    amount: int = Field(gt=0)



class DeadlineRule(RuleBase):
    """A time limit between a start and a stop, with pauses and an extension.

    For each case in scope with a start event (see :class:`Start`, :class:`StartFallback`):

    * ``skip_cases_with``: a case with any event of these activities is not judged at all.
    * stop = the first ``stop`` event after the start; none (or no ``stop`` given): the case is
      *open* and the stop time is ``as_of``. ``judge`` restricts to cases that have a stop
      (``stopped``) or have none (``open``); ``all`` judges both.
    * pauses = for each pair, every ``begin`` event at or after the start (seq >= start's) and
      before the stop, unless the previous event of that pair was also a ``begin`` (nested notices
      count once); it ends at the next ``end`` event, or at the stop if that comes first. A pause
      still without an end in an open case makes the case pending: no finding.
    * extension = the first ``extension.activity`` event after the start and before the stop adds
      ``extension.amount`` to the limit.
    * limit = ``limit`` (+ extension); unit = ``unit``, or the item's ``limit_unit`` when ``item``.
    * workday: used = wd(stop) - wd(start) - Σ (wd(pause end) - wd(pause begin)); the due date is the
      working day numbered wd(start) + limit + paused. day: the same in natural days. month: due =
      date(start) + limit months + paused natural days; used/left/overdue counted in natural days.
    * level ``levels.breach`` (red) when used > limit; otherwise, only for open cases, yellow when
      ``levels.yellow`` holds: limit - used <= days_left, or used >= share_used × limit.
    """

    YELLOW_ALLOWED: ClassVar[bool] = True

    kind: Literal["deadline"]
    start: Start
    stop: Stop | None = None
    skip_cases_with: list[Activity] = []
    judge: Literal["all", "stopped", "open"] = "all"
    pauses: list[Pause] = []
    extension: Extension | None = None
    limit: Limit
    unit: Literal["workday", "day", "month", "item"] = "workday"

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRule:
        if self.levels.yellow is not None and self.judge == "stopped":
            raise FieldProblem("judge: stopped 的规则只判已结束的办件，不能设黄牌", "levels", "yellow")
        if self.stop is None and self.judge == "stopped":
            raise FieldProblem("judge: stopped 需要 stop", "judge")
        pause_codes = [a for p in self.pauses for a in (p.begin, p.end)]
        if len(set(pause_codes)) != len(pause_codes):
            raise FieldProblem("各暂停的开始、结束环节不能重复", "pauses")
        if self.start.activity == "*" and self.start.fallback is not None:
            raise FieldProblem("start.activity 为 \"*\" 时不能设 fallback", "start", "fallback")
        return self


# --- declare -------------------------------------------------------------------------------------

DeclareTemplate = Literal[
    "existence", "absence", "exactly", "at_most", "init", "end", "responded_existence", "coexistence",
    "response", "precedence", "succession", "alternate_response", "alternate_precedence",
    "alternate_succession", "chain_response", "chain_precedence", "chain_succession",
    "not_coexistence", "not_succession",
]


class DeclareRule(RuleBase):
    """A Declare constraint over each case's trace; see :mod:`audit.rules.declare` for the exact
    meaning of each template, ``n`` and ``within`` (working days). Fires when the constraint is
    violated; the evidence lists the events that show it."""

    kind: Literal["declare"]
    template: DeclareTemplate
    a: Activity
    b: Activity | None = None
    n: int | None = Field(None, ge=0)
    within: int | None = Field(None, ge=0)


    @property
    def spec(self) -> declare.Template:
        return declare.TEMPLATES[self.template]

    @model_validator(mode="after")
    def _arity(self) -> DeclareRule:
        spec = self.spec
        if spec.binary and self.b is None:
            raise FieldProblem(f"模板 {self.template} 需要两个环节 a 和 b", "b")
        if not spec.binary and self.b is not None:
            raise FieldProblem(f"模板 {self.template} 只用一个环节 a", "b")
        if self.n is not None and not spec.counted:
            raise FieldProblem(f"模板 {self.template} 不用次数 n", "n")
        if spec.counted and self.template != "existence" and self.n is None:
            raise FieldProblem(f"模板 {self.template} 需要次数 n", "n")
        if self.within is not None and not spec.ordered:
            raise FieldProblem(f"模板 {self.template} 无先后关系，不能设 within", "within")
        return self


# --- field ---------------------------------------------------------------------------------------

FIELD_TABLES: dict[str, frozenset[str]] = {
    "case": frozenset({"case", "item", "discretion"}),
    "item": frozenset({"item"}),
    "event": frozenset({"event", "case", "item"}),
    "disclosure": frozenset({"disclosure", "case", "item"}),
}


class FieldRule(RuleBase):
    """A condition over columns: fires for each subject where ``violation`` is TRUE.

    Cases exist as of the audit time when they have an event by then (see the module docstring).
    ``over`` is the row it is checked on: ``case`` (with its ``item`` and its ``discretion`` row:
    same violation_code and level, possibly absent), ``item`` (catalogue: the subject is the
    item), ``event`` (events as of the audit time, with case and item), ``disclosure``
    (disclosures published by the audit time, with case and item; subject: the case).
    """

    kind: Literal["field"]
    over: Literal["case", "item", "event", "disclosure"] = "case"
    violation: Expr

    @property
    def subject(self) -> str:
        return "item" if self.over == "item" else "case"

    @field_validator("violation")
    @classmethod
    def _tables(cls, value: Expr, info: ValidationInfo) -> Expr:
        over = info.data.get("over", "case")
        check_tables(value, FIELD_TABLES[over], "violation")
        return value


# --- officer, document ---------------------------------------------------------------------------


class OfficerRule(RuleBase):
    """Enforcement officers on events of ``activities`` (the ``officer_ids`` list).

    ``min_officers``: fires when an event lists fewer distinct officers (an empty list: none).
    ``certificate``: fires when an officer on such an event is unknown, has no ``cert_no``, or
    ``cert_valid_from <= date(ts) <= cert_valid_to`` does not hold (a NULL bound is open-ended).
    """

    kind: Literal["officer"]
    activities: list[Activity] = Field(min_length=1)
    min_officers: int | None = Field(None, ge=1)
    certificate: bool = False


    @model_validator(mode="after")
    def _something(self) -> OfficerRule:
        if self.min_officers is None and not self.certificate:
            raise FieldProblem("officer 规则须设 min_officers 或 certificate: true", "min_officers")
        return self


class DocumentRule(RuleBase):
    """Paperwork. ``document_no``: every ``activity`` event must carry a non-blank document_no (and,
    when ``document_type`` is set, that type). ``materials``: a case with an ``activity`` event
    must have handed in every one of its item's ``required_materials``."""

    kind: Literal["document"]
    require: Literal["document_no", "materials"]
    activity: Activity
    document_type: str | None = None


    @model_validator(mode="after")
    def _type_only_for_numbers(self) -> DocumentRule:
        if self.document_type is not None and self.require != "document_no":
            raise FieldProblem("document_type 只用于 require: document_no", "document_type")
        return self


# --- disclosure ----------------------------------------------------------------------------------

ID_NUMBER_PATTERN = r"(^|[^0-9])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)"


class DisclosureRule(RuleBase):
    """The public disclosure of decisions. Disclosures of a case: ``disclosures.case_id`` = the
    case, or no case_id and the same ``decision_no``; only those published by ``as_of`` count.

    * ``late``: decision = the first event of ``decision`` activities; the first disclosure came
      more than ``limit`` working days after it.
    * ``missing``: as ``late``, no disclosure yet and ``as_of`` more than ``limit`` working days
      after the decision.
    * ``mismatch``: a disclosure whose ``fields`` (decision_no, fine_amount) differ from the case's
      (IS DISTINCT FROM). The case's decision number is ``cases.decision_no``, or else (service
      cases) the ``document_no`` of its first ``decision`` event; disclosures named by decision
      number match on that number too.
    * ``personal_id``: a disclosure whose content matches ``pattern`` (a whole 18-character ID).
    * ``not_withdrawn``: after the first ``revoke`` event, a disclosure not withdrawn
      (``withdrawn_at``) within ``limit`` working days, or not withdrawn at all and ``as_of`` past it.
    """

    kind: Literal["disclosure"]
    check: Literal["late", "missing", "mismatch", "personal_id", "not_withdrawn"]
    decision: list[Activity] = ["PENALTY_DECISION", "DECIDE"]
    limit: Limit | None = None
    fields: list[Literal["decision_no", "fine_amount"]] = ["decision_no", "fine_amount"]
    revoke: Activity = "REVOKE"
    pattern: str = ID_NUMBER_PATTERN

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"正则表达式无效：{exc}") from None
        return value

    @model_validator(mode="after")
    def _limit_needed(self) -> DisclosureRule:
        timed = self.check in ("late", "missing", "not_withdrawn")
        if timed and self.limit is None:
            raise FieldProblem(f"check: {self.check} 需要 limit", "limit")
        if not timed and self.limit is not None:
            raise FieldProblem(f"check: {self.check} 不用 limit", "limit")
        if self.check == "not_withdrawn" and self.limit is not None and self.limit.column is not None:
            raise FieldProblem("撤回时限须是常数 limit.value", "limit")
        return self


# --- sql -----------------------------------------------------------------------------------------


class SqlRule(RuleBase):
    """An advanced, read-only rule: one SELECT over the canonical tables (checked by
    :func:`audit.rules.sqlcheck.check_query`), returning findings columns; ``$as_of`` is the audit
    time. The header columns (rule_id, rule_version, title, category) come from the rule; the
    query must return case_id, item_code, dept_code, source_system, level, message, evidence and
    may return violation_code, occurrence, due_at, days_overdue, days_left. Batch engine only."""

    ENGINES: ClassVar[frozenset[str]] = frozenset({"batch"})

    kind: Literal["sql"]
    query: str

    @field_validator("query")
    @classmethod
    def _safe(cls, value: str) -> str:
        sqlcheck.check_query(value)
        return value


RULE_CLASSES: tuple[type[RuleBase], ...] = (
    DeadlineRule, DeclareRule, FieldRule, OfficerRule, DocumentRule, DisclosureRule, SqlRule,
)
KINDS: dict[str, type[RuleBase]] = {
    "deadline": DeadlineRule, "declare": DeclareRule, "field": FieldRule, "officer": OfficerRule,
    "document": DocumentRule, "disclosure": DisclosureRule, "sql": SqlRule,
}

Rule = Annotated[
    Union[DeadlineRule, DeclareRule, FieldRule, OfficerRule, DocumentRule, DisclosureRule, SqlRule],
    Field(discriminator="kind"),
]

