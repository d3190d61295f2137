"""Run rules' inline tests: given rows → findings → compare with the expected flags.

:func:`given_tables` fills the required columns the test left out (so tests stay minimal) and is
engine-neutral: any engine can be fed its output. :class:`Sandbox` is one in-memory DuckDB with the
schema and a calendar; each test runs inside a transaction that is rolled back, so the next test
starts clean. ``engine`` is a function (connection, rule, as_of) → finding rows as dicts; the
default compiles with :class:`~audit.compile.DuckDBTarget` and runs the SELECT.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from audit.compile import CompiledRule, DuckDBTarget
from audit.rules.base import GIVEN_TABLES, RuleBase, RuleTest
from audit.rules.loader import Pack, rule_digest
from sunlight import calendar as cal
from sunlight import db

Engine = Callable[[duckdb.DuckDBPyConnection, RuleBase, dt.datetime], list[dict[str, Any]]]

SOURCE_FILE = "inline-test"


_COMPILED: dict[str, CompiledRule] = {}


def compiled_for(rule: RuleBase) -> CompiledRule:
    """Compile once per distinct rule content (tests run many cases through one rule)."""
    key = rule_digest(rule)
    if key not in _COMPILED:
        if len(_COMPILED) > 512:
            _COMPILED.clear()
        _COMPILED[key] = DuckDBTarget().compile(rule)
    return _COMPILED[key]


def duckdb_engine(con: duckdb.DuckDBPyConnection, rule: RuleBase, as_of: dt.datetime) -> list[dict[str, Any]]:
    compiled = compiled_for(rule)
    cursor = con.execute(compiled.sql, compiled.bind(as_of))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _only(rows: list[dict[str, Any]], key: str) -> Any:
    return rows[0].get(key) if len(rows) == 1 else None


def given_tables(test: RuleTest) -> dict[str, list[dict[str, Any]]]:
    """The test's rows with defaults for every required column it did not name."""
    g = test.given
    items = [{"name": r["item_code"] if "item_code" in r else None, "kind": "行政许可", "dept_code": "D01",
              "limit_unit": "workday", "fee_standard": 0, "required_materials": [], "published": True,
              "platforms": [], **r} for r in g.items]
    kinds = {i.get("item_code"): i.get("kind") for i in items}
    depts = {i.get("item_code"): i.get("dept_code") for i in items}
    cases = []
    for r in g.cases:
        row = {"source_system": "test", "item_code": _only(items, "item_code"), **r}
        row.setdefault("source_case_no", row.get("case_id"))
        row.setdefault("dept_code", depts.get(row["item_code"], "D01"))
        row.setdefault("case_kind", "enforcement" if kinds.get(row["item_code"]) == "行政处罚" else "service")
        cases.append(row)
    systems = {c.get("case_id"): c.get("source_system") for c in cases}
    events: list[dict[str, Any]] = []
    seqs: Counter[str] = Counter()
    for r in g.events:
        row = {"case_id": _only(cases, "case_id"), **r}
        seqs[row["case_id"]] += 1
        row.setdefault("seq", seqs[row["case_id"]])
        row.setdefault("event_id", f"{row['case_id']}#{row['seq']}")
        row.setdefault("source_activity", row.get("activity"))
        row.setdefault("source_system", systems.get(row["case_id"], "test"))
        events.append(row)
    officers = [{"name": r.get("officer_id"), "dept_code": "D01", **r} for r in g.officers]
    discretion = [{"item_code": _only(items, "item_code") or "", **r} for r in g.discretion]
    decisions = {c.get("case_id"): c.get("decision_no") for c in cases}
    disclosures = []
    for n, r in enumerate(g.disclosures, start=1):
        row = {"disclosure_id": f"DS{n}", "content": "", "source_system": "test", **r}
        row.setdefault("decision_no", decisions.get(row.get("case_id")) or "无文号")
        disclosures.append(row)
    tables = {"items": items, "cases": cases, "events": events, "officers": officers,
              "discretion": discretion, "disclosures": disclosures}
    for rows in tables.values():
        for n, row in enumerate(rows, start=1):
            row.setdefault("source_file", SOURCE_FILE)
            row.setdefault("source_row", n)
            row.setdefault("load_id", 0)
    return tables


@dataclass
class Outcome:
    """The result of one inline test."""

    rule_id: str
    test: str
    problems: list[str] = field(default_factory=list)
    found: list[tuple[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                       "ORDER BY ordinal_position", [table]).fetchall()
    return [r[0] for r in rows]


def load_rows(con: duckdb.DuckDBPyConnection, tables: dict[str, list[dict[str, Any]]],
              columns: Callable[[str], list[str]] | None = None) -> None:
    """Insert ``given_tables`` output; a column the table lacks is a ValueError naming it."""
    for table in GIVEN_TABLES:
        known = columns(table) if columns else table_columns(con, table)
        for row in tables[table]:
            unknown = sorted(set(row) - set(known))
            if unknown:
                raise ValueError(f"表 {table} 没有列 {', '.join(unknown)}")
            names = list(row)
            insert = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in names])]),
                                table, columns=names)
            con.execute(insert.sql(dialect="duckdb"), [row[n] for n in names])


_CALENDARS: dict[tuple[int, int, Path | None], list[list[Any]]] = {}


def _load_calendar(con: duckdb.DuckDBPyConnection, years: range, override: Path | None) -> None:
    """Fill the calendar table; built once per process and year range, then copied in one
    statement (building it row by row takes a second or two)."""
    key = (years.start, years.stop, override)
    if key not in _CALENDARS:
        cal.ensure_calendar(con, dt.date(years.start, 1, 1), dt.date(years.stop - 1, 12, 31), override)
        rows = con.execute("SELECT day, is_workday, workday_no, holiday, source, version FROM calendar "
                           "ORDER BY day").fetchall()
        _CALENDARS[key] = [list(column) for column in zip(*rows)]
        return
    columns = _CALENDARS[key]
    con.execute("INSERT INTO calendar SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), "
                "unnest($6)", columns)


class Sandbox:
    """A migrated in-memory database with a working-day calendar, for inline tests."""

    def __init__(self, years: range = range(2024, 2027), calendar_override: Path | None = None):
        self.con = db.memory()
        _load_calendar(self.con, years, calendar_override)
        self._columns: dict[str, list[str]] = {}

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = table_columns(self.con, table)
        return self._columns[table]

    def load(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        load_rows(self.con, tables, self.columns)

    def run(self, rule: RuleBase, test: RuleTest, engine: Engine = duckdb_engine) -> Outcome:
        outcome = Outcome(rule.id, test.name)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.load(given_tables(test))
            rows = engine(self.con, rule, test.as_of)
        except (duckdb.Error, ValueError) as exc:
            outcome.problems.append(f"执行失败：{exc}")
            return outcome
        finally:
            self.con.execute("ROLLBACK")
        outcome.problems.extend(compare(rule, test, rows))
        outcome.found = sorted((_subject(r), r["level"]) for r in rows)
        return outcome


def _subject(row: dict[str, Any]) -> str:
    return str(row["case_id"] if row.get("case_id") is not None else row.get("item_code"))


def compare(rule: RuleBase, test: RuleTest, rows: list[dict[str, Any]]) -> list[str]:
    """Differences between the findings and the test's expectations, in Chinese."""
    problems: list[str] = []
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_subject.setdefault(_subject(row), []).append(row)
    for subject, found in by_subject.items():
        if len(found) > 1:
            problems.append(f"{subject} 有 {len(found)} 条发现（每个对象至多一条）")
    expected = {e.subject: e for e in test.expect}
    for subject, want in expected.items():
        got = by_subject.get(subject)
        if not got:
            problems.append(f"应发现 {subject}（{want.level}），实际没有")
            continue
        row = got[0]
        if row["level"] != want.level:
            problems.append(f"{subject} 应为 {want.level}，实际为 {row['level']}：{row['message']}")
        due = row.get("due_at")
        if want.due is not None and (due is None or due.date() != want.due):
            problems.append(f"{subject} 到期日应为 {want.due}，实际为 {due}：{row['message']}")
        for key in ("days_left", "days_overdue"):
            if getattr(want, key) is not None and row.get(key) != getattr(want, key):
                problems.append(f"{subject} {key} 应为 {getattr(want, key)}，实际为 {row.get(key)}：{row['message']}")
        for text in want.message_contains:
            if text not in (row.get("message") or ""):
                problems.append(f"{subject} 的说明应含“{text}”：{row['message']}")
        if row.get("violation_code") != rule.violation_code and rule.kind != "sql":
            problems.append(f"{subject} 的违规代码应为 {rule.violation_code}，实际为 {row.get('violation_code')}")
    for subject, got in by_subject.items():
        if subject not in expected:
            problems.append(f"不应发现 {subject}（{got[0]['level']}）：{got[0]['message']}")
    return problems


def run_tests(rules: Pack | Iterable[RuleBase], *, rule_id: str | None = None, engine: Engine = duckdb_engine,
              sandbox: Sandbox | None = None) -> list[Outcome]:
    """Run the inline tests of every rule (or of ``rule_id``)."""
    box = sandbox or Sandbox()
    outcomes: list[Outcome] = []
    for rule in rules:
        if rule_id is not None and rule.id != rule_id:
            continue
        for test in rule.tests:
            outcomes.append(box.run(rule, test, engine))
    return outcomes
