"""Run a rule pack as of a time: the batch audit.

``run_audit`` owns one transaction (the architecture's policy, see ``docs/architecture.md``):

1. before it: pick the rules in force at ``as_of`` (``effective_from``), compile them, check that a
   stored ``rule_versions`` row with the same id and version has the same content, and bind each
   query (``EXPLAIN``) — a rule that fails here is reported and left out;
2. ``BEGIN``; run ``prelude`` if given (a caller's own steps that belong in the same transaction);
   make sure the calendar covers the events and ``as_of``; insert the ``runs`` row; run every
   rule into a temporary findings table; move findings waived by exceptions aside; hand the rest
   to ``audit.flags.apply_findings``; record rule versions and the run's counts and errors;
   ``COMMIT`` (unless ``commit=False``: the caller then commits or rolls back).
3. a rule that still fails at run time aborts the transaction: it is rolled back, the rule is
   dropped and reported, and step 2 runs again without it.

``ErrorPolicy.RAISE`` stops at the first failing rule instead (``AuditError``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp

from audit import flags
from audit.compile import FINDINGS_COLUMNS, CompiledRule, DuckDBTarget
from audit.exceptions import LoadedException, apply_exceptions, load_exceptions
from audit.rules.base import RuleBase
from audit.rules.loader import ErrorPolicy, Pack, default_exceptions_dir, rule_digest
from sunlight import calendar as cal
from sunlight.config import Settings
from sunlight.errors import AuditError, Location, SunlightError

FINDINGS_TABLE = "audit_findings"
SUPPRESSED_TABLE = "audit_suppressed"
STAGES = {"compile": "编译", "version": "版本", "bind": "绑定检查", "run": "执行"}


@dataclass(frozen=True)
class RuleFailure:
    rule_id: str
    stage: str
    message: str

    def describe(self) -> str:
        return f"{self.rule_id}（{STAGES.get(self.stage, self.stage)}）：{self.message}"


@dataclass
class AuditResult:
    """What one run did: its id, findings by rule and level, waived findings, failures."""

    run_id: int
    kind: str
    as_of: dt.datetime
    pack_version: str
    rules_run: list[str]
    findings: dict[str, dict[str, int]] = field(default_factory=dict)        # rule -> level -> n
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)     # category -> level -> n
    suppressed: dict[str, int] = field(default_factory=dict)
    failures: list[RuleFailure] = field(default_factory=list)
    not_in_force: list[str] = field(default_factory=list)
    flag_stats: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)                  # rule -> run time

    @property
    def status(self) -> str:
        return "partial" if self.failures else "ok"

    @property
    def total(self) -> int:
        return sum(sum(levels.values()) for levels in self.findings.values())


RuleProgress = Callable[[str, int, int], None]   # (rule id or FLAG_STEP, rules done, rules in all)
FLAG_STEP = "flags"


def local_now(settings: Settings) -> dt.datetime:
    return dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)


def to_local(moment: dt.datetime, settings: Settings) -> dt.datetime:
    """Local wall-clock time: aware times are converted to the authority's zone."""
    return moment.astimezone(settings.tz).replace(tzinfo=None) if moment.tzinfo else moment


class RuleRunFailed(AuditError):
    """A rule failed while running; DuckDB has aborted the transaction (roll back, then re-run
    without ``rule_id``)."""

    def __init__(self, rule_id: str, message: str, stage: str = "run"):
        super().__init__(message, location=Location(rule_id=rule_id),
                         hint="回滚事务后去掉该规则重新运行；用 `sunlight rules explain` 查看其查询")
        self.rule_id = rule_id
        self.stage = stage


def _stored_digests(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], str]:
    rows = con.execute("SELECT rule_id, version, digest FROM rule_versions").fetchall()
    return {(r[0], int(r[1])): r[2] for r in rows}


def prepare(con: duckdb.DuckDBPyConnection, rules: list[RuleBase], as_of: dt.datetime,
            target: DuckDBTarget) -> tuple[list[CompiledRule], list[RuleFailure]]:
    """Compile, version-check and bind-check rules outside any transaction.

    A rule version this database has already run (recorded in ``rule_versions``) is not bind-checked
    again: it bound before, and if it no longer does, the run reports it all the same (at the cost of
    running the rules before it twice).
    """
    stored = _stored_digests(con)
    ready: list[CompiledRule] = []
    failures: list[RuleFailure] = []
    for rule in rules:
        digest = stored.get((rule.id, rule.version))
        if digest is not None and digest != rule_digest(rule):
            failures.append(RuleFailure(rule.id, "version", f"第 {rule.version} 版的内容与已记录的不同；修改规则须提高 version"))
            continue
        try:
            compiled = target.compile(rule)
        except SunlightError as exc:
            failures.append(RuleFailure(rule.id, "compile", exc.message))
            continue
        if digest is not None:
            ready.append(compiled)
            continue
        try:
            con.execute(f"EXPLAIN {compiled.sql}", compiled.bind(as_of))
        except duckdb.Error as exc:
            failures.append(RuleFailure(rule.id, "bind", str(exc).splitlines()[0]))
            continue
        ready.append(compiled)
    return ready, failures


def _ensure_calendar(con: duckdb.DuckDBPyConnection, as_of: dt.datetime, settings: Settings) -> None:
    have = con.execute("SELECT min(day), max(day) FROM calendar").fetchone()
    need = con.execute("SELECT min(CAST(ts AS DATE)), max(CAST(ts AS DATE)) FROM events").fetchone()
    first = min(d for d in (need[0] if need else None, as_of.date()) if d is not None)
    last = max(d for d in (need[1] if need else None, as_of.date()) if d is not None)
    if have is None or have[0] is None or have[0] > first or have[1] < last:
        cal.ensure_calendar(con, first, last, settings.calendar_override)


def _create_findings(con: duckdb.DuckDBPyConnection) -> None:
    columns = [exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(sql_type, dialect="duckdb"))
               for name, sql_type in FINDINGS_COLUMNS.items()]
    con.execute(exp.Create(this=exp.Schema(this=exp.to_table(FINDINGS_TABLE), expressions=columns), kind="TABLE",
                           replace=True, properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
                .sql(dialect="duckdb"))


def _record_versions(con: duckdb.DuckDBPyConnection, rules: list[RuleBase]) -> None:
    stored = _stored_digests(con)
    for rule in rules:
        if (rule.id, rule.version) in stored:
            continue
        con.execute("INSERT INTO rule_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            rule.id, rule.version, rule.effective_from, rule.kind, rule.category, rule.title,
            json.dumps(rule.body(), ensure_ascii=False, sort_keys=True), rule_digest(rule)])


def _summaries(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    by_rule: dict[str, dict[str, int]] = {}
    by_category: dict[str, dict[str, int]] = {}
    rows = con.execute(f"SELECT rule_id, category, level, count(*) FROM {FINDINGS_TABLE} GROUP BY ALL").fetchall()
    for rule_id, category, level, count in rows:
        by_rule.setdefault(rule_id, {})[level] = by_rule.get(rule_id, {}).get(level, 0) + int(count)
        by_category.setdefault(category, {})[level] = by_category.get(category, {}).get(level, 0) + int(count)
    return by_rule, by_category


def execute(con: duckdb.DuckDBPyConnection, compiled: list[CompiledRule], *, run_id: int, as_of: dt.datetime,
            settings: Settings, exceptions: list[LoadedException], pack_version: str, kind: str = "audit",
            actor: str = flags.SYSTEM_ACTOR, failures: list[RuleFailure] | None = None,
            not_in_force: list[str] | None = None, progress: RuleProgress | None = None) -> AuditResult:
    """Run prepared rules inside the caller's open transaction, under the caller's ``run_id``.

    Fills the findings table, sets aside waived findings, applies the rest to the flag store and
    records rule versions. Raises :class:`RuleRunFailed` when a rule fails (the transaction is then
    aborted). Does not touch the ``runs`` table.
    """
    _ensure_calendar(con, as_of, settings)
    _create_findings(con)
    seconds: dict[str, float] = {}
    into = exp.to_table(FINDINGS_TABLE).sql(dialect="duckdb")
    tell = progress or (lambda _step, _done, _total: None)
    for done, rule in enumerate(compiled):
        tell(rule.rule_id, done, len(compiled))
        # the compiled text, not the tree rendered again (sqlglot takes tens of milliseconds a rule)
        insert = f"INSERT INTO {into} SELECT * FROM (\n{rule.sql}\n) AS found"
        started = time.perf_counter()
        try:
            con.execute(insert, rule.bind(as_of))
        except duckdb.Error as exc:
            stage = "bind" if isinstance(exc, duckdb.BinderException | duckdb.CatalogException) else "run"
            raise RuleRunFailed(rule.rule_id, str(exc).splitlines()[0], stage) from exc
        seconds[rule.rule_id] = round(time.perf_counter() - started, 3)
    tell(FLAG_STEP, len(compiled), len(compiled))
    suppressed = apply_exceptions(con, FINDINGS_TABLE, SUPPRESSED_TABLE, exceptions, as_of)
    by_rule, by_category = _summaries(con)
    rule_ids = [c.rule_id for c in compiled]
    stats = flags.apply_findings(con, run_id=run_id, as_of=as_of, findings_table=FINDINGS_TABLE,
                                 rule_ids=rule_ids, actor=actor, recorded_at=local_now(settings),
                                 waived_table=SUPPRESSED_TABLE)
    _record_versions(con, [c.rule for c in compiled])
    return AuditResult(run_id, kind, as_of, pack_version, rule_ids, by_rule, by_category, suppressed,
                       list(failures or []), list(not_in_force or []), stats.as_dict(), seconds)


def _attempt(con: duckdb.DuckDBPyConnection, compiled: list[CompiledRule], *, pack: Pack, kind: str,
             as_of: dt.datetime, settings: Settings, exceptions: list[LoadedException], actor: str,
             prelude: Callable[[duckdb.DuckDBPyConnection], None] | None, failures: list[RuleFailure],
             not_in_force: list[str], progress: RuleProgress | None = None) -> AuditResult:
    if prelude is not None:
        prelude(con)
    row = con.execute("SELECT nextval('run_seq')").fetchone()
    assert row is not None
    run_id = int(row[0])
    con.execute("INSERT INTO runs (run_id, kind, started_at, as_of, rule_pack_version, status) VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, kind, local_now(settings), as_of, pack.version, "running"])
    result = execute(con, compiled, run_id=run_id, as_of=as_of, settings=settings, exceptions=exceptions,
                     pack_version=pack.version, kind=kind, actor=actor, failures=failures, not_in_force=not_in_force,
                     progress=progress)
    counts = {"rules": len(result.rules_run), "findings": result.total, "by_rule": result.findings,
              "by_category": result.by_category, "suppressed": result.suppressed, "not_in_force": not_in_force,
              "flags": result.flag_stats, "seconds": result.seconds}
    errors = [{"rule_id": f.rule_id, "stage": f.stage, "message": f.message} for f in failures]
    con.execute("UPDATE runs SET finished_at = ?, status = ?, counts = ?, errors = ? WHERE run_id = ?",
                [local_now(settings), result.status, json.dumps(counts, ensure_ascii=False),
                 json.dumps(errors, ensure_ascii=False), run_id])
    return result


def run_audit(con: duckdb.DuckDBPyConnection, pack: Pack, as_of: dt.datetime | None, settings: Settings, *,
              kind: str = "audit", policy: ErrorPolicy = ErrorPolicy.COLLECT,
              exceptions: list[LoadedException] | None = None, actor: str = flags.SYSTEM_ACTOR,
              prelude: Callable[[duckdb.DuckDBPyConnection], None] | None = None, commit: bool = True,
              target: DuckDBTarget | None = None, progress: RuleProgress | None = None) -> AuditResult:
    """Audit every rule of ``pack`` in force at ``as_of`` (default: now, local) in one transaction.

    ``progress(step, done, total)`` is told each rule's id before it runs (``done`` rules of
    ``total`` finished), then :data:`FLAG_STEP` when the findings go to the flag store.
    """
    as_of = to_local(as_of, settings) if as_of is not None else local_now(settings)
    target = target or DuckDBTarget()
    if exceptions is None:
        exceptions = load_exceptions(settings.exceptions_dir or default_exceptions_dir(), {r.id for r in pack})
    in_force = [r for r in pack if r.effective_from <= as_of.date()]
    not_in_force = [r.id for r in pack if r.effective_from > as_of.date()]
    compiled, failures = prepare(con, in_force, as_of, target)
    if failures and policy is ErrorPolicy.RAISE:
        first = failures[0]
        raise AuditError(first.describe(), location=Location(rule_id=first.rule_id))
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            result = _attempt(con, compiled, pack=pack, kind=kind, as_of=as_of, settings=settings,
                              exceptions=exceptions, actor=actor, prelude=prelude, failures=failures,
                              not_in_force=not_in_force, progress=progress)
        except RuleRunFailed as failed:
            con.execute("ROLLBACK")
            failure = RuleFailure(failed.rule_id, failed.stage, failed.message)
            if policy is ErrorPolicy.RAISE:
                raise AuditError(failure.describe(), location=Location(rule_id=failed.rule_id)) from failed
            failures.append(failure)
            compiled = [c for c in compiled if c.rule_id != failed.rule_id]
            continue
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if commit:
            con.execute("COMMIT")
        return result
