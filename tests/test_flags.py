"""The flag store: raise, refresh, escalate, clear and re-raise flags from findings tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from audit import actions, flags, history
from sunlight import db
from sunlight.errors import AuditError

T0 = dt.datetime(2024, 3, 4, 2, 0)


def finding(level: str = "yellow", *, rule_id: str = "R1", case_id: str | None = "P:1", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "rule_id": rule_id, "rule_version": 1, "violation_code": "T01", "case_id": case_id,
        "item_code": "I1", "dept_code": "D1", "source_system": "P", "occurrence": "", "level": level,
        "category": "时效", "title": "受理至决定超过承诺时限", "message": "已用 18 个工作日，承诺 20 个工作日。",
        "evidence": {"events": ["e1", "e2"]}, "due_at": dt.datetime(2024, 3, 8, 17, 0),
        "days_overdue": 0 if level == "yellow" else 2, "days_left": 2 if level == "yellow" else None,
    }
    row.update(extra)
    return row


def run(con: duckdb.DuckDBPyConnection, run_id: int, rows: list[dict[str, Any]],
        rule_ids: tuple[str, ...] = ("R1",)) -> flags.ApplyStats:
    flags.findings_from_rows(con, "found", rows)
    con.execute("BEGIN")
    stats = flags.apply_findings(con, run_id=run_id, as_of=T0 + dt.timedelta(days=run_id),
                                 findings_table="found", rule_ids=list(rule_ids))
    con.execute("COMMIT")
    return stats


def the_flag(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cur = con.execute("SELECT * FROM flags")
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def actions_of(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT action FROM flag_history ORDER BY entry_no").fetchall()]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return db.memory()


def test_flag_id_is_the_documented_digest(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding(case_id="P:9", occurrence="e7")])
    assert the_flag(con)["flag_id"] == flags.flag_id("R1", "P:9", "e7")
    assert len(flags.flag_id("R", "x")) == 16


# Each scenario: steps applied in order, then the flag's state, level, active and history actions.
# Runs: "Y" a yellow finding, "R" a red one, "-" the rule evaluated and nothing found.
# People: "ack", "order", "resolve", "dismiss".
LIFECYCLE = [
    ("raise", "Y", "open", "yellow", True, ["raise"]),
    ("raise red", "R", "open", "red", True, ["raise"]),
    ("re-run adds nothing", "Y Y Y", "open", "yellow", True, ["raise"]),
    ("escalate", "Y R", "open", "red", True, ["raise", "escalate"]),
    ("escalate once", "Y R R", "open", "red", True, ["raise", "escalate"]),
    ("red never back to yellow", "R Y", "open", "red", True, ["raise"]),
    ("clear open", "Y -", "resolved", "yellow", False, ["raise", "clear"]),
    ("clear once", "Y - -", "resolved", "yellow", False, ["raise", "clear"]),
    ("clear acknowledged", "Y ack -", "resolved", "yellow", False, ["raise", "acknowledge", "clear"]),
    ("clear keeps rectifying", "R order -", "rectifying", "red", False, ["raise", "order", "clear"]),
    ("clear keeps dismissed", "Y dismiss -", "dismissed", "yellow", False, ["raise", "dismiss", "clear"]),
    ("reraise", "Y - Y", "open", "yellow", True, ["raise", "clear", "reraise"]),
    ("reraise as red", "Y - R", "open", "red", True, ["raise", "clear", "reraise"]),
    ("reraise keeps rectifying", "R order - R", "rectifying", "red", True,
     ["raise", "order", "clear", "reraise"]),
    ("reraise keeps dismissed", "Y dismiss - Y", "dismissed", "yellow", True,
     ["raise", "dismiss", "clear", "reraise"]),
    ("still found after dismissal", "Y dismiss Y", "dismissed", "yellow", True, ["raise", "dismiss"]),
    ("still found after resolve", "R resolve R", "resolved", "red", True, ["raise", "resolve"]),
    ("escalation reopens a resolved yellow", "Y resolve R", "open", "red", True,
     ["raise", "resolve", "escalate"]),
    ("escalation leaves a dismissal", "Y dismiss R", "dismissed", "red", True, ["raise", "dismiss", "escalate"]),
    ("escalate acknowledged", "Y ack R", "acknowledged", "red", True, ["raise", "acknowledge", "escalate"]),
]


@pytest.mark.parametrize(("steps", "state", "level", "active", "trail"),
                         [case[1:] for case in LIFECYCLE], ids=[case[0] for case in LIFECYCLE])
def test_lifecycle(con: duckdb.DuckDBPyConnection, steps: str, state: str, level: str, active: bool,
                   trail: list[str]) -> None:
    fid = flags.flag_id("R1", "P:1")
    at = T0 + dt.timedelta(hours=1)
    for number, step in enumerate(steps.split(), start=1):
        at += dt.timedelta(days=1)
        if step in ("Y", "R", "-"):
            rows = [] if step == "-" else [finding("yellow" if step == "Y" else "red")]
            run(con, number, rows)
        elif step == "ack":
            actions.acknowledge(con, fid, "张三", at=at)
        elif step == "order":
            actions.issue_order(con, fid, "张三", None, at.date() + dt.timedelta(days=5), "限期整改", at=at)
        elif step == "resolve":
            actions.resolve(con, fid, "张三", "已核实整改", at=at)
        elif step == "dismiss":
            actions.dismiss(con, fid, "张三", "系统数据错误，非违规", at=at)
    flag = the_flag(con)
    assert (flag["state"], flag["level"], flag["active"]) == (state, level, active)
    assert actions_of(con) == trail
    assert history.verify(con).ok


def test_escalation_keeps_yellow_time_and_sets_red_time(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding("yellow")])
    run(con, 2, [finding("red", message="已超期 2 个工作日。")])
    flag = the_flag(con)
    assert flag["yellow_at"] == T0 + dt.timedelta(days=1)
    assert flag["red_at"] == T0 + dt.timedelta(days=2)
    assert (flag["first_run_id"], flag["last_run_id"]) == (1, 2)
    assert flag["message"] == "已超期 2 个工作日。"
    levels = con.execute("SELECT level FROM flag_history ORDER BY entry_no").fetchall()
    assert levels == [("yellow",), ("red",)]


def test_refresh_updates_evidence_and_days(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding("red", days_overdue=1)])
    stats = run(con, 2, [finding("red", days_overdue=4, evidence={"events": ["e9"]})])
    flag = the_flag(con)
    assert (flag["days_overdue"], flag["last_run_id"], flag["last_seen_at"]) == (4, 2, T0 + dt.timedelta(days=2))
    assert '"e9"' in str(flag["evidence"])
    assert (stats.raised, stats.updated, stats.history_entries) == (0, 1, 0)


def test_clear_records_who_and_why(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding()])
    stats = run(con, 2, [])
    flag = the_flag(con)
    assert (flag["state_changed_by"], flag["state_reason"]) == ("system:audit", flags.CLEAR_REASON)
    assert (stats.cleared, stats.auto_resolved) == (1, 1)
    detail = con.execute("SELECT detail->>'reason', actor FROM flag_history WHERE action = 'clear'").fetchall()
    assert detail == [(flags.CLEAR_REASON, "system:audit")]


def test_a_waived_finding_clears_its_flag_naming_the_exception(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding(case_id="P:1"), finding(case_id="P:2")])
    flags.findings_from_rows(con, "found", [])
    con.execute("CREATE TEMP TABLE waived AS SELECT *, 'rules/exceptions/major.yaml:3' AS exception FROM found")
    flags.findings_from_rows(con, "moved", [finding(case_id="P:2")])
    con.execute("INSERT INTO waived SELECT *, 'rules/exceptions/major.yaml:3' FROM moved")
    flags.apply_findings(con, run_id=2, as_of=T0, findings_table="found", rule_ids=["R1"], waived_table="waived")
    rows = con.execute("SELECT case_id, state, active, state_reason FROM flags ORDER BY case_id").fetchall()
    assert rows == [("P:1", "resolved", False, flags.CLEAR_REASON),
                    ("P:2", "resolved", False, "已按例外规定豁免（rules/exceptions/major.yaml:3）")]
    reasons = con.execute("SELECT detail->>'reason' FROM flag_history WHERE action = 'clear' ORDER BY entry_no")
    assert sorted(r[0] for r in reasons.fetchall()) == sorted(r[3] for r in rows)
    assert history.verify(con).ok


def test_rules_not_evaluated_are_untouched(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding(rule_id="R1"), finding(rule_id="R2")], rule_ids=("R1", "R2"))
    stats = run(con, 2, [], rule_ids=("R1",))          # R2 failed this run
    rows = con.execute("SELECT rule_id, state, active FROM flags ORDER BY rule_id").fetchall()
    assert rows == [("R1", "resolved", False), ("R2", "open", True)]
    assert stats.cleared == 1


def test_duplicate_findings_make_one_flag_the_gravest(con: duckdb.DuckDBPyConnection) -> None:
    stats = run(con, 1, [finding("yellow"), finding("red"), finding("yellow")])
    assert (stats.findings, stats.duplicates, stats.raised) == (3, 2, 1)
    assert the_flag(con)["level"] == "red"


def test_catalogue_flag_uses_the_item_code(con: duckdb.DuckDBPyConnection) -> None:
    run(con, 1, [finding("red", case_id=None, item_code="I7")])
    flag = the_flag(con)
    assert flag["flag_id"] == flags.flag_id("R1", "I7")
    assert flag["case_id"] is None


def test_many_cases_counts(con: duckdb.DuckDBPyConnection) -> None:
    first = [finding(case_id=f"P:{i}") for i in range(50)]
    stats = run(con, 1, first)
    assert (stats.raised, stats.history_entries) == (50, 50)
    second = [finding("red", case_id=f"P:{i}") for i in range(25, 75)]
    stats = run(con, 2, second)
    assert (stats.raised, stats.escalated, stats.cleared, stats.history_entries) == (25, 25, 25, 75)
    entry_nos = [r[0] for r in con.execute("SELECT entry_no FROM flag_history ORDER BY entry_no").fetchall()]
    assert entry_nos == list(range(1, 126))
    assert history.verify(con).ok


BAD = [
    ("bad level", {"level": "orange"}, "level must be yellow or red"),
    ("no subject", {"case_id": None, "item_code": None}, "needs a case_id or an item_code"),
    ("no department", {"dept_code": None}, "dept_code is empty"),
    ("no violation code", {"violation_code": None}, "violation_code is empty"),
]


@pytest.mark.parametrize(("change", "match"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_findings_are_refused_naming_the_rule(con: duckdb.DuckDBPyConnection, change: dict[str, Any],
                                                  match: str) -> None:
    flags.findings_from_rows(con, "found", [finding(**change)])
    with pytest.raises(AuditError, match=match) as info:
        flags.apply_findings(con, run_id=1, as_of=T0, findings_table="found", rule_ids=["R1"])
    assert info.value.location.rule_id == "R1"
    assert con.execute("SELECT count(*) FROM flags").fetchall() == [(0,)]


def test_evidence_that_is_not_json_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    flags.findings_from_rows(con, "found", [finding()])
    con.execute("CREATE TEMP TABLE loose AS SELECT * REPLACE ('{oops'::VARCHAR AS evidence) FROM found")
    con.execute("BEGIN")
    with pytest.raises(AuditError, match="not valid JSON"):
        flags.apply_findings(con, run_id=1, as_of=T0, findings_table="loose", rule_ids=["R1"])
    con.execute("COMMIT")  # refused before any write: the transaction is still usable


def test_missing_columns_are_named(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TEMP TABLE thin AS SELECT 'R1' AS rule_id")
    with pytest.raises(AuditError, match="lacks column.*rule_version"):
        flags.apply_findings(con, run_id=1, as_of=T0, findings_table="thin", rule_ids=["R1"])
    with pytest.raises(AuditError, match="does not exist"):
        flags.apply_findings(con, run_id=1, as_of=T0, findings_table="nowhere", rule_ids=["R1"])


def test_rollback_leaves_nothing(con: duckdb.DuckDBPyConnection) -> None:
    flags.findings_from_rows(con, "found", [finding()])
    con.execute("BEGIN")
    flags.apply_findings(con, run_id=1, as_of=T0, findings_table="found", rule_ids=["R1"])
    con.execute("ROLLBACK")
    counts = con.execute("SELECT (SELECT count(*) FROM flags), (SELECT count(*) FROM flag_history),"
                         " (SELECT count(*) FROM history_anchors)").fetchall()
    assert counts == [(0, 0, 0)]


def test_findings_query_result_can_be_a_plain_table(con: duckdb.DuckDBPyConnection) -> None:
    """A compiled rule's SELECT, materialised as an ordinary table, is a valid findings table."""
    con.execute(
        """CREATE TABLE rule_out AS SELECT 'R1' rule_id, 2 rule_version, 'T01' violation_code,
           'P:' || i case_id, 'I1' item_code, 'D1' dept_code, 'P' source_system, NULL occurrence,
           'red' level, '时效' category, 't' title, 'm' message, json_object('i', i) evidence,
           NULL due_at, 3 days_overdue, NULL days_left FROM range(3) r(i)"""
    )
    stats = flags.apply_findings(con, run_id=1, as_of=T0, findings_table="rule_out", rule_ids=["R1"])
    assert stats.raised == 3
    assert con.execute("SELECT DISTINCT rule_version, occurrence FROM flags").fetchall() == [(2, "")]


@pytest.mark.slow
def test_100k_findings_are_applied_set_based(con: duckdb.DuckDBPyConnection) -> None:
    """A guard against per-row work: 100k new flags and their history take seconds, not minutes
    (about 2 s on one core; per-row inserts would take many minutes)."""
    con.execute(
        """CREATE TEMP TABLE many AS SELECT 'R1' rule_id, 1 rule_version, 'T01' violation_code,
           'P:' || i case_id, 'I1' item_code, 'D' || (i % 40) dept_code, 'P' source_system, '' occurrence,
           CASE WHEN i % 3 = 0 THEN 'red' ELSE 'yellow' END level, '时效' category, '超期' title,
           '已超期。' message, '{}'::JSON evidence, NULL::TIMESTAMP due_at, 1 days_overdue,
           NULL::INTEGER days_left FROM range(100000) r(i)"""
    )
    con.execute("BEGIN")
    stats = flags.apply_findings(con, run_id=1, as_of=T0, findings_table="many", rule_ids=["R1"])
    con.execute("COMMIT")
    assert (stats.raised, stats.history_entries) == (100_000, 100_000)
    assert stats.seconds < 60
    assert con.execute("SELECT max(entry_no), count(DISTINCT hash) FROM flag_history").fetchall() == [
        (100_000, 100_000)]
