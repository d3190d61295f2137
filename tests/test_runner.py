"""The audit runner on a real DuckDB: one transaction, flags, runs, rule versions, exceptions, and
a broken rule isolated (left out at bind time, or rolled back and dropped at run time)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audit.exceptions import load_exceptions
from audit.rulecheck import Sandbox, given_tables
from audit.rules import ErrorPolicy, Pack, RuleBase, default_rules_dir, load_pack
from audit.rules.base import Given, RuleTest
from audit.rules.kinds import SqlRule
from audit.rules.loader import rule_digest
from audit.runner import run_audit
from sunlight.config import Settings
from sunlight.errors import AuditError, RuleError

AS_OF = dt.datetime(2026, 3, 31, 18, 0)
DEFAULT = load_pack(default_rules_dir())
CHOSEN = ("T_PROMISED", "P_SUPPLEMENT_REPEATED", "K_PROMISE_ABOVE_LEGAL", "C_FEE_ON_FREE_ITEM")

DATA = Given(
    items=[{"item_code": "X1", "promised_limit": 10, "legal_limit": 20},
           {"item_code": "X2", "promised_limit": 25, "legal_limit": 20}],
    cases=[{"case_id": "LATE", "item_code": "X1"}, {"case_id": "TWICE", "item_code": "X1"},
           {"case_id": "FEE", "item_code": "X1", "fee_charged": 30}, {"case_id": "abc", "item_code": "X1"}],
    events=[
        {"case_id": "LATE", "activity": "ACCEPT", "ts": "2026-02-09 09:00"},
        {"case_id": "LATE", "activity": "DECIDE", "ts": "2026-03-02 10:00"},
        {"case_id": "TWICE", "activity": "SUPPLEMENT_NOTICE", "ts": "2026-03-03 09:00"},
        {"case_id": "TWICE", "activity": "SUPPLEMENT_NOTICE", "ts": "2026-03-06 09:00"},
        {"case_id": "FEE", "activity": "ACCEPT", "ts": "2026-03-20 09:00"},
        {"case_id": "abc", "activity": "SUBMIT", "ts": "2026-03-20 09:00"},
    ],
)
EXPECTED = {("T_PROMISED", "LATE", "red"), ("P_SUPPLEMENT_REPEATED", "TWICE", "red"),
            ("K_PROMISE_ABOVE_LEGAL", "X2", "red"), ("C_FEE_ON_FREE_ITEM", "FEE", "red")}


def database(years: range = range(2025, 2027)) -> duckdb.DuckDBPyConnection:
    box = Sandbox(years=years)
    box.load(given_tables(RuleTest(name="data", as_of=AS_OF, given=DATA)))
    return box.con


def pack(*extra: RuleBase) -> Pack:
    chosen = DEFAULT.select(list(CHOSEN))
    return Pack(chosen.directory, chosen.rules + extra, chosen.sources)


def sql_rule(rule_id: str, where: str) -> SqlRule:
    return SqlRule.model_validate({
        "kind": "sql", "id": rule_id, "version": 1, "effective_from": "2025-01-01", "title": "坏规则",
        "description": "测试", "category": "内容", "legal_basis": ["测试"], "rectification": "测试",
        "detects": ["X_TEST"],
        "query": "SELECT c.case_id AS case_id, c.item_code AS item_code, c.dept_code AS dept_code, "
                 "c.source_system AS source_system, 'red' AS level, 'x' AS message, '{}' AS evidence "
                 f"FROM cases AS c WHERE {where}"})


def flags(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    rows = con.execute("SELECT rule_id, coalesce(case_id, item_code), level FROM flags WHERE active").fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def test_a_run_raises_flags_and_records_itself() -> None:
    con = database()
    result = run_audit(con, pack(), AS_OF, Settings(), exceptions=[])
    assert result.status == "ok" and not result.failures
    assert flags(con) == EXPECTED
    run = con.execute("SELECT kind, as_of, rule_pack_version, status, counts, errors FROM runs").fetchall()
    assert len(run) == 1
    kind, as_of, version, status, counts, errors = run[0]
    assert (kind, as_of, status, json.loads(errors)) == ("audit", AS_OF, "ok", [])
    assert version == pack().version
    assert json.loads(counts)["findings"] == 4 and json.loads(counts)["flags"]["raised"] == 4
    stored = con.execute("SELECT rule_id, version, kind, digest FROM rule_versions ORDER BY rule_id").fetchall()
    assert [r[0] for r in stored] == sorted(CHOSEN)
    assert result.by_category == {"时效": {"red": 1}, "流程": {"red": 1}, "内容": {"red": 2}}


def test_a_rerun_changes_nothing() -> None:
    con = database()
    run_audit(con, pack(), AS_OF, Settings(), exceptions=[])
    again = run_audit(con, pack(), AS_OF, Settings(), exceptions=[])
    assert again.flag_stats["raised"] == 0 and again.flag_stats["cleared"] == 0
    assert con.execute("SELECT count(*) FROM flags").fetchone() == (4,)
    assert con.execute("SELECT count(*) FROM runs").fetchone() == (2,)


def test_a_broken_rule_is_isolated() -> None:
    con = database()
    bad_bind = sql_rule("Z_BIND", "c.no_such_column = 1")
    bad_run = sql_rule("Z_RUN", "CAST(c.case_id AS INTEGER) > 0")
    result = run_audit(con, pack(bad_bind, bad_run), AS_OF, Settings(), exceptions=[])
    assert {(f.rule_id, f.stage) for f in result.failures} == {("Z_BIND", "bind"), ("Z_RUN", "run")}
    assert flags(con) == EXPECTED
    status, errors = con.execute("SELECT status, errors FROM runs").fetchone()  # type: ignore[misc]
    assert status == "partial"
    assert {e["rule_id"] for e in json.loads(errors)} == {"Z_BIND", "Z_RUN"}
    assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    assert "Z_RUN" not in {r[0] for r in con.execute("SELECT rule_id FROM rule_versions").fetchall()}


def test_a_recorded_rule_that_no_longer_binds_is_caught_while_running() -> None:
    con = database()
    bad_bind = sql_rule("Z_BIND", "c.no_such_column = 1")
    # as if this version had run before: it is not bind-checked again, so it fails inside the run
    con.execute("INSERT INTO rule_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        bad_bind.id, bad_bind.version, bad_bind.effective_from, bad_bind.kind, bad_bind.category, bad_bind.title,
        "{}", rule_digest(bad_bind)])
    result = run_audit(con, pack(bad_bind), AS_OF, Settings(), exceptions=[])
    assert [(f.rule_id, f.stage) for f in result.failures] == [("Z_BIND", "bind")]
    assert "no_such_column" in result.failures[0].message
    assert flags(con) == EXPECTED
    assert con.execute("SELECT status FROM runs").fetchall() == [("partial",)]


def test_raise_policy_stops_and_writes_nothing() -> None:
    con = database()
    with pytest.raises(AuditError, match="Z_RUN"):
        run_audit(con, pack(sql_rule("Z_RUN", "CAST(c.case_id AS INTEGER) > 0")), AS_OF, Settings(),
                  exceptions=[], policy=ErrorPolicy.RAISE)
    assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM flags").fetchone() == (0,)


def write_exceptions(tmp_path: Path, expires: str, rule: str = "T_PROMISED") -> Path:
    folder = tmp_path / f"exceptions-{expires}"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "exceptions:\n"
        f"  - rule: {rule}\n    case_id: LATE\n    reason: 联合审查\n    approver: 政务办\n    expires: {expires}\n"
        "  - rule: C_FEE_ON_FREE_ITEM\n    scope: {item_codes: [X1]}\n    reason: 试点收费\n    approver: 物价局\n"
        f"    expires: {expires}\n", encoding="utf-8")
    return folder


def test_exceptions_suppress_until_they_expire(tmp_path: Path) -> None:
    folder = write_exceptions(tmp_path, "2026-03-31")
    exceptions = load_exceptions(folder, {r.id for r in pack()})
    con = database()
    result = run_audit(con, pack(), AS_OF, Settings(), exceptions=exceptions)
    assert result.suppressed == {"T_PROMISED": 1, "C_FEE_ON_FREE_ITEM": 1}
    assert flags(con) == EXPECTED - {("T_PROMISED", "LATE", "red"), ("C_FEE_ON_FREE_ITEM", "FEE", "red")}
    expired = load_exceptions(write_exceptions(tmp_path, "2026-03-30"), {r.id for r in pack()})
    later = run_audit(con, pack(), AS_OF, Settings(), exceptions=expired)
    assert later.suppressed == {}
    assert flags(con) == EXPECTED


def test_an_exception_for_an_unknown_rule_is_an_error(tmp_path: Path) -> None:
    folder = write_exceptions(tmp_path, "2026-12-31", rule="T_PROMISSED")
    with pytest.raises(RuleError, match="T_PROMISSED") as info:
        load_exceptions(folder, {r.id for r in pack()})
    assert info.value.location.line == 2


def test_a_changed_rule_needs_a_new_version() -> None:
    con = database()
    run_audit(con, pack(), AS_OF, Settings(), exceptions=[])
    changed = DEFAULT.get("T_PROMISED").model_copy(update={"title": "改过的标题"})
    altered = Pack(None, tuple(changed if r.id == "T_PROMISED" else r for r in pack()), {})
    result = run_audit(con, altered, AS_OF, Settings(), exceptions=[])
    assert [(f.rule_id, f.stage) for f in result.failures] == [("T_PROMISED", "version")]
    bumped = changed.model_copy(update={"version": 2})
    final = run_audit(con, Pack(None, (bumped,), {}), AS_OF, Settings(), exceptions=[])
    assert not final.failures
    assert con.execute("SELECT count(*) FROM rule_versions WHERE rule_id = 'T_PROMISED'").fetchone() == (2,)


def test_rules_not_yet_in_force_do_not_run() -> None:
    con = database()
    future = DEFAULT.get("T_PROMISED").model_copy(update={"effective_from": dt.date(2026, 6, 1)})
    result = run_audit(con, Pack(None, (future,), {}), AS_OF, Settings(), exceptions=[])
    assert result.not_in_force == ["T_PROMISED"] and result.rules_run == []


def test_the_calendar_is_extended_to_cover_the_data() -> None:
    con = database(years=range(2026, 2027))
    con.execute("INSERT INTO events (event_id, case_id, seq, activity, source_activity, ts, source_system, "
                "source_file, source_row, load_id) VALUES ('old', 'LATE', 0, 'SUBMIT', 'SUBMIT', "
                "TIMESTAMP '2025-12-30 09:00', 'test', 'x', 1, 0)")
    run_audit(con, pack(), AS_OF, Settings(), exceptions=[])
    assert con.execute("SELECT min(day) FROM calendar").fetchone() == (dt.date(2025, 1, 1),)


def test_prelude_and_caller_commit() -> None:
    con = database()
    seen: list[Any] = []

    def prelude(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("UPDATE cases SET fee_charged = 0 WHERE case_id = 'FEE'")
        seen.append(True)

    result = run_audit(con, pack(), AS_OF, Settings(), exceptions=[], prelude=prelude, commit=False)
    assert seen and ("C_FEE_ON_FREE_ITEM", "FEE", "red") not in flags(con)
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    assert result.run_id >= 1


def test_progress_is_told_each_rule_then_the_flag_store() -> None:
    con = database()
    seen: list[tuple[str, int, int]] = []
    run_audit(con, pack(), AS_OF, Settings(), exceptions=[], progress=lambda *step: seen.append(step))
    rules = sorted(CHOSEN)
    assert sorted(step for step, _, _ in seen[:-1]) == rules
    assert [(done, total) for _, done, total in seen] == [(i, len(rules)) for i in range(len(rules) + 1)]
    assert seen[-1][0] == "flags"
