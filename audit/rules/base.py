"""What every rule has, whatever its kind: identity, scope, levels, legal basis, inline tests.

Models are strict (``extra="forbid"``) and frozen: a rule is data. The kinds themselves live in
``audit.rules.kinds``; their union on ``kind`` is ``audit.rules.kinds.Rule``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, field_validator, model_validator

from audit.rules import expr, vocab
from audit.rules.vocab import CaseKind, Category, Level

RULE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}$"

# The tables a rule's scope condition (``scope.when``) may read, by subject.
WHEN_TABLES: dict[str, frozenset[str]] = {
    "case": frozenset({"case", "item"}),
    "item": frozenset({"item"}),
}


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _parse_expression(value: Any) -> expr.Expression:
    if isinstance(value, expr.Expression):
        return value
    if not isinstance(value, str):
        raise ValueError("表达式须是字符串")
    return expr.parse(value)


Expr = Annotated[
    expr.Expression,
    PlainValidator(_parse_expression),
    PlainSerializer(lambda e: e.source, return_type=str),
]


class FieldProblem(ValueError):
    """A model-level check that concerns one field: ``path`` (below the model) locates it, so the
    loader can point at that field's line in the rule file."""

    def __init__(self, message: str, *path: str | int):
        super().__init__(message)
        self.path = path


def check_tables(expression: expr.Expression | None, allowed: frozenset[str], *path: str) -> None:
    if expression is None:
        return
    extra = expression.tables() - allowed
    if extra:
        raise FieldProblem(f"{'.'.join(path)} 不能引用表 {', '.join(sorted(extra))}"
                           f"（可用：{', '.join(sorted(allowed))}）", *path)


def check_activity(code: str, *, allow_any: bool = False) -> str:
    if code == vocab.ANY_ACTIVITY and allow_any:
        return code
    if code not in vocab.ACTIVITIES:
        raise ValueError(f"未知的环节 {code!r}（可用：{', '.join(vocab.ACTIVITIES)}）")
    return code


Activity = Annotated[str, AfterValidator(check_activity)]
AnyActivity = Annotated[str, AfterValidator(lambda v: check_activity(v, allow_any=True))]


class Scope(StrictModel):
    """Which subjects a rule looks at. Empty lists mean "all"; every non-empty part must hold.

    ``when`` is an expression over ``case`` and ``item`` (over ``item`` only for item rules).
    """

    case_kind: CaseKind | None = None
    item_kinds: list[str] = []
    item_codes: list[str] = []
    departments: list[str] = []
    platforms: list[str] = []
    when: Expr | None = None

    def is_everything(self) -> bool:
        return not (self.case_kind or self.item_kinds or self.item_codes or self.departments
                    or self.platforms or self.when)


class YellowThreshold(StrictModel):
    """Yellow while open and not overdue when either part holds (both optional, one required)."""

    days_left: int | None = Field(None, ge=0, description="at most this many units of the limit left")
    share_used: float | None = Field(None, gt=0, le=1, description="at least this share of the limit used")

    @model_validator(mode="after")
    def _one_part(self) -> YellowThreshold:
        if self.days_left is None and self.share_used is None:
            raise ValueError("黄牌阈值须给出 days_left 或 share_used")
        return self


class Yellow(YellowThreshold):
    """The yellow threshold, with optional per-department thresholds that replace it."""

    by_department: dict[str, YellowThreshold] = {}


class Levels(StrictModel):
    """``breach``: the level of a finding (for deadlines: when overdue). ``yellow``: deadlines only."""

    breach: Level = "red"
    yellow: Yellow | None = None


# --- inline tests --------------------------------------------------------------------------------

GIVEN_TABLES = ("items", "cases", "events", "officers", "discretion", "disclosures")


class Given(StrictModel):
    """Rows for the canonical tables, as plain YAML mappings; unnamed required columns get defaults."""

    items: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    officers: list[dict[str, Any]] = []
    discretion: list[dict[str, Any]] = []
    disclosures: list[dict[str, Any]] = []


class Expected(StrictModel):
    """One expected finding; the optional parts are checked only when given."""

    subject: str = Field(description="case_id, or item_code for item rules")
    level: Level
    due: dt.date | None = None
    days_left: int | None = None
    days_overdue: int | None = None
    message_contains: list[str] = []


class RuleTest(StrictModel):
    name: str
    as_of: dt.datetime
    given: Given
    expect: list[Expected] = []


# --- the common header ---------------------------------------------------------------------------


class RuleBase(StrictModel):
    """Fields every rule has. Subclasses add ``kind`` (a Literal) and their own fields.

    ``ENGINES`` lists the engines that can run the kind ("batch" = compiled SQL, "live" = Rete).
    ``SUBJECT`` is what a finding is about: a case (``case_id`` set) or an item (catalogue).
    """

    ENGINES: ClassVar[frozenset[str]] = frozenset({"batch", "live"})
    YELLOW_ALLOWED: ClassVar[bool] = False

    kind: str
    id: str = Field(pattern=RULE_ID_PATTERN)
    version: int = Field(ge=1)
    effective_from: dt.date
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    category: Category
    scope: Scope = Scope()
    levels: Levels = Levels()
    legal_basis: list[str] = Field(min_length=1)
    rectification: str = Field(min_length=1)
    detects: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(min_length=1)
    tests: list[RuleTest] = []

    @property
    def subject(self) -> str:
        return "case"

    @property
    def violation_code(self) -> str:
        """The code findings carry: the first of ``detects``."""
        return self.detects[0]

    @property
    def batch_only(self) -> bool:
        return "live" not in self.ENGINES

    @field_validator("levels")
    @classmethod
    def _no_yellow_threshold(cls, levels: Levels) -> Levels:
        if levels.yellow is not None and not cls.YELLOW_ALLOWED:
            raise FieldProblem("只有 deadline 规则可以设黄牌阈值 levels.yellow", "yellow")
        return levels

    @model_validator(mode="after")
    def _scope_fits_subject(self) -> RuleBase:
        scope = self.scope
        if self.subject == "item" and (scope.case_kind or scope.platforms):
            raise FieldProblem("以事项为对象的规则，scope 不能限定 case_kind 或 platforms", "scope")
        check_tables(scope.when, WHEN_TABLES[self.subject], "scope", "when")
        return self

    def body(self) -> dict[str, Any]:
        """The rule as plain JSON-able data (what ``rule_versions.body`` stores)."""
        return self.model_dump(mode="json", exclude_defaults=False)
