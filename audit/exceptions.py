"""Rule exceptions (例外): approved, expiring waivers kept apart from the rules they waive.

An exception file (``rules/exceptions/*.yaml``) lists entries under ``exceptions:``::

    exceptions:
      - rule: T_PROMISED
        case_id: "wsbs:2026-000123"          # one case …
        reason: 经批准的重大项目联合审查，时限另行约定
        approver: 区政务服务管理办公室 王某
        approved_at: 2026-03-01
        expires: 2026-06-30
      - rule: C_FEE_ON_FREE_ITEM
        scope: {departments: [D07], item_codes: [X0101]}   # … or a scope
        reason: …
        approver: …
        expires: 2026-12-31

While ``as_of`` is on or before ``expires``, findings of ``rule`` that match are suppressed: moved
from the run's findings to a side table, counted, never raised. A rule id the pack does not know
is an error (a typo must not silently waive nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
from pydantic import Field, TypeAdapter, ValidationError, model_validator
from sqlglot import exp

from audit.rules.base import RULE_ID_PATTERN, StrictModel
from audit.rules.yamlsrc import read_documents, to_rule_errors
from sunlight.errors import Location, RuleError


class ExceptionScope(StrictModel):
    """Matched against the finding's own columns; empty lists mean "any"."""

    departments: list[str] = []
    item_codes: list[str] = []
    platforms: list[str] = []

    @model_validator(mode="after")
    def _not_everything(self) -> ExceptionScope:
        if not (self.departments or self.item_codes or self.platforms):
            raise ValueError("例外的 scope 不能为空（否则等于停用整条规则）")
        return self


class RuleException(StrictModel):
    rule: str = Field(pattern=RULE_ID_PATTERN)
    case_id: str | None = None
    scope: ExceptionScope | None = None
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    approved_at: dt.date | None = None
    expires: dt.date

    @model_validator(mode="after")
    def _one_target(self) -> RuleException:
        if (self.case_id is None) == (self.scope is None):
            raise ValueError("例外须给出 case_id 或 scope 之一")
        return self

    def active(self, as_of: dt.datetime) -> bool:
        return as_of.date() <= self.expires


class ExceptionFile(StrictModel):
    exceptions: list[RuleException] = []


@dataclass(frozen=True)
class LoadedException:
    exception: RuleException
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file.name}:{self.line}"


_ADAPTER = TypeAdapter(ExceptionFile)


def load_exceptions(directory: Path | None, known_rules: set[str] | None = None) -> list[LoadedException]:
    """Every exception under ``directory`` (none when it does not exist)."""
    if directory is None or not directory.is_dir():
        return []
    found: list[LoadedException] = []
    for path in sorted(directory.glob("*.yaml")):
        for document in read_documents(path):
            try:
                parsed = _ADAPTER.validate_python(document.data or {})
            except ValidationError as exc:
                raise to_rule_errors(exc, document)[0] from exc
            for index, item in enumerate(parsed.exceptions):
                line = document.line_of(("exceptions", index))
                if known_rules is not None and item.rule not in known_rules:
                    raise RuleError(f"例外引用了规则包中没有的规则 {item.rule}",
                                    location=Location(file=path, line=line, field=f"exceptions[{index}].rule"))
                found.append(LoadedException(item, path, line))
    return found


def _condition(item: RuleException, values: list[object]) -> exp.Expr:
    def param(value: object) -> exp.Expr:
        values.append(value)
        return exp.Placeholder()

    parts: list[exp.Expr] = [exp.column("rule_id").eq(param(item.rule))]
    if item.case_id is not None:
        parts.append(exp.column("case_id").eq(param(item.case_id)))
    if item.scope is not None:
        for column, wanted in (("dept_code", item.scope.departments), ("item_code", item.scope.item_codes),
                               ("source_system", item.scope.platforms)):
            if wanted:
                parts.append(exp.column(column).isin(*(param(v) for v in wanted)))
    return exp.and_(*parts)


def apply_exceptions(con: duckdb.DuckDBPyConnection, findings_table: str, suppressed_table: str,
                     exceptions: list[LoadedException], as_of: dt.datetime) -> dict[str, int]:
    """Move matching findings of unexpired exceptions to ``suppressed_table``; counts by rule id."""
    con.execute(exp.Create(this=exp.to_table(suppressed_table), kind="TABLE", replace=True,
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                           expression=exp.select("*", exp.cast(exp.null(), "VARCHAR").as_("exception"))
                           .from_(findings_table).where(exp.false())).sql(dialect="duckdb"))
    counts: dict[str, int] = {}
    for loaded in exceptions:
        item = loaded.exception
        if not item.active(as_of):
            continue
        values: list[object] = []
        condition = _condition(item, values)
        moved = exp.insert(exp.select("*", exp.Placeholder().as_("exception")).from_(findings_table).where(condition),
                           suppressed_table)
        con.execute(moved.sql(dialect="duckdb"), [loaded.where, *values])
        values_again: list[object] = []
        deleted = con.execute(exp.delete(findings_table, where=_condition(item, values_again)).sql(dialect="duckdb"),
                              values_again).fetchone()
        count = int(deleted[0]) if deleted else 0
        if count:
            counts[item.rule] = counts.get(item.rule, 0) + count
    return counts
