"""The human steps on flags: valid and invalid transitions, history, idempotency, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from audit import actions, flags, history
from audit.flags_cli import flag as flag_command
from audit.flags_cli import flags as flags_command
from sunlight import db
from sunlight.config import Settings

T0 = dt.datetime(2024, 3, 4, 9, 0)
FID = flags.flag_id("R1", "P:1")


def raise_flag(con: duckdb.DuckDBPyConnection, level: str = "red") -> None:
    flags.findings_from_rows(con, "found", [{
        "rule_id": "R1", "rule_version": 1, "violation_code": "T01", "case_id": "P:1", "item_code": "I1",
        "dept_code": "D1", "level": level, "category": "时效", "title": "受理至决定超期",
        "message": "已超期 2 个工作日。", "evidence": {}, "days_overdue": 2,
    }])
    flags.apply_findings(con, run_id=1, as_of=T0, findings_table="found", rule_ids=["R1"])


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = db.memory()
    raise_flag(con)
    return con


def step(con: duckdb.DuckDBPyConnection, name: str, n: int) -> actions.ActionResult:
    """Apply a named step at T0 + n hours; 'name:arg' passes an argument (reason, due)."""
    name, _, arg = name.partition(":")
    at = T0 + dt.timedelta(hours=n)
    order = history.first(con, "SELECT max(order_id) FROM supervision_orders")
    order_id = int(order[0]) if order and order[0] is not None else 999
    due = at.date() - dt.timedelta(days=1) if arg == "past" else at.date() + dt.timedelta(days=7)
    calls: dict[str, Any] = {
        "ack": lambda: actions.acknowledge(con, FID, "张三", at=at),
        "order": lambda: actions.issue_order(con, FID, "张三", None, due, "请于 7 日内完成整改并反馈", at=at),
        "answer": lambda: actions.answer_order(con, order_id, "王科长", "已补发决定书", at=at),
        "accept": lambda: actions.accept_answer(con, order_id, "张三", "整改到位", at=at),
        "return": lambda: actions.return_answer(con, order_id, "张三", "未附送达回证", feedback_due=due, at=at),
        "resolve": lambda: actions.resolve(con, FID, "张三", "已核实办结" if arg != "blank" else "  ", at=at),
        "dismiss": lambda: actions.dismiss(con, FID, "张三", "" if arg == "blank" else "系统时间错误", at=at),
        "anon": lambda: actions.acknowledge(con, FID, " ", at=at),
        "ghost": lambda: actions.acknowledge(con, "0000000000000000", "张三", at=at),
    }
    result: actions.ActionResult = calls[name]()
    return result


def state(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT state FROM flags WHERE flag_id = ?", [FID]).fetchall()[0][0])


def order_status(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("SELECT status FROM supervision_orders ORDER BY order_id DESC LIMIT 1").fetchall()
    return rows[0][0] if rows else None


VALID = [
    ("acknowledge", "ack", "acknowledged", None),
    ("order from open", "order", "rectifying", "issued"),
    ("order after acknowledge", "ack order", "rectifying", "issued"),
    ("answer", "order answer", "rectifying", "answered"),
    ("accept resolves", "order answer accept", "resolved", "accepted"),
    ("return then answer again", "order answer return answer", "rectifying", "answered"),
    ("return, answer, accept", "order answer return answer accept", "resolved", "accepted"),
    ("resolve open", "resolve", "resolved", None),
    ("resolve acknowledged", "ack resolve", "resolved", None),
    ("dismiss", "dismiss", "dismissed", None),
    ("dismiss closes the order", "order answer dismiss", "dismissed", "closed"),
    ("resolve closes the order", "order resolve", "resolved", "closed"),
]


@pytest.mark.parametrize(("steps", "final", "status"), [v[1:] for v in VALID], ids=[v[0] for v in VALID])
def test_valid_transitions(con: duckdb.DuckDBPyConnection, steps: str, final: str, status: str | None) -> None:
    names = steps.split()
    for n, name in enumerate(names, start=1):
        result = step(con, name, n)
        assert result.applied
    assert (state(con), order_status(con)) == (final, status)
    trail = con.execute("SELECT action, actor, recorded_at FROM flag_history ORDER BY entry_no").fetchall()
    expected = ["raise"] + [{"ack": "acknowledge", "order": "order"}.get(n, n) for n in names]
    assert [t[0] for t in trail] == expected
    assert [t[2] for t in trail[1:]] == [T0 + dt.timedelta(hours=n) for n in range(1, len(names) + 1)]
    assert history.verify(con).ok


INVALID = [
    ("acknowledge twice", "ack ack", "当前为「已确认」，不能确认"),
    ("acknowledge a resolved flag", "resolve ack", "当前为「已摘牌」，不能确认"),
    ("order twice", "order order", "当前为「督办中」，不能督办"),
    ("order a dismissed flag", "dismiss order", "当前为「已驳回」，不能督办"),
    ("answer an accepted order", "order answer accept answer", "督办单 1 当前为「已验收」，不能反馈"),
    ("accept before the answer", "order accept", "当前为「已下达」，不能验收"),
    ("return before the answer", "order return", "不能退回"),
    ("accept twice", "order answer accept accept", "当前为「已验收」，不能验收"),
    ("dismiss without reason", "dismiss:blank", "驳回理由不能为空"),
    ("resolve without reason", "resolve:blank", "摘牌理由不能为空"),
    ("resolve a dismissed flag", "dismiss resolve", "当前为「已驳回」，不能摘牌"),
    ("feedback due in the past", "order:past", "早于今天"),
    ("no actor", "anon", "操作人不能为空"),
    ("unknown flag", "ghost", "牌 0000000000000000 不存在"),
    ("unknown order", "answer", "督办单 999 不存在"),
]


@pytest.mark.parametrize(("steps", "message"), [v[1:] for v in INVALID], ids=[v[0] for v in INVALID])
def test_invalid_transitions_change_nothing(con: duckdb.DuckDBPyConnection, steps: str, message: str) -> None:
    *before, last = steps.split()
    con.execute("BEGIN")
    for n, name in enumerate(before, start=1):
        step(con, name, n)
    snapshot = con.execute("SELECT (SELECT count(*) FROM flag_history), (SELECT list(state) FROM flags),"
                           " (SELECT list(status ORDER BY order_id) FROM supervision_orders)").fetchall()
    with pytest.raises(actions.ActionError, match=message):
        step(con, last, len(before) + 1)
    # Refused before any write: the transaction is still usable and unchanged.
    assert con.execute("SELECT (SELECT count(*) FROM flag_history), (SELECT list(state) FROM flags),"
                       " (SELECT list(status ORDER BY order_id) FROM supervision_orders)").fetchall() == snapshot
    con.execute("COMMIT")


def test_order_records_the_supervision_order(con: duckdb.DuckDBPyConnection) -> None:
    result = actions.issue_order(con, FID, "张三", None, dt.date(2024, 3, 11), "限期整改", at=T0)
    row = con.execute("SELECT order_id, dept_code, issued_by, issued_at, feedback_due, instructions, status"
                      " FROM supervision_orders").fetchall()
    assert row == [(result.order_id, "D1", "张三", T0, dt.date(2024, 3, 11), "限期整改", "issued")]
    detail = json.loads(con.execute("SELECT detail FROM flag_history WHERE action = 'order'").fetchall()[0][0])
    assert detail["order_id"] == result.order_id and detail["feedback_due"] == "2024-03-11"


def test_return_sets_a_new_feedback_due(con: duckdb.DuckDBPyConnection) -> None:
    order = actions.issue_order(con, FID, "张三", None, dt.date(2024, 3, 11), "限期整改", at=T0).order_id
    assert order is not None
    actions.answer_order(con, order, "王科长", "已整改", at=T0 + dt.timedelta(days=1))
    actions.return_answer(con, order, "张三", "材料不全", feedback_due="2024-03-20", at=T0 + dt.timedelta(days=2))
    rows = con.execute("SELECT status, feedback_due, review_note, reviewed_by FROM supervision_orders").fetchall()
    assert rows == [("returned", dt.date(2024, 3, 20), "材料不全", "张三")]


def test_resolution_records_who_when_why(con: duckdb.DuckDBPyConnection) -> None:
    actions.resolve(con, FID, "张三", "已补正公示", at=T0)
    row = con.execute("SELECT state, state_changed_at, state_changed_by, state_reason FROM flags").fetchall()
    assert row == [("resolved", T0, "张三", "已补正公示")]


def test_a_key_applies_once(con: duckdb.DuckDBPyConnection) -> None:
    first = actions.issue_order(con, FID, "张三", None, dt.date(2024, 3, 11), "限期整改", at=T0,
                                idempotency_key="k-1")
    again = actions.issue_order(con, FID, "张三", None, dt.date(2024, 3, 11), "限期整改", at=T0,
                                idempotency_key="k-1")
    assert first.applied and not again.applied
    assert (again.entry_no, again.order_id, again.to_state) == (first.entry_no, first.order_id, "rectifying")
    assert con.execute("SELECT count(*) FROM supervision_orders").fetchall() == [(1,)]
    key = con.execute("SELECT detail->>'key' FROM flag_history WHERE action = 'order'").fetchall()
    assert key == [("k-1",)]


def test_replaying_a_journal_twice_applies_it_once(con: duckdb.DuckDBPyConnection) -> None:
    """A journal calls the actions by keyword with each entry's own time and key."""
    journal: list[tuple[str, dict[str, Any]]] = [
        ("acknowledge", {"flag_id": FID, "note": "已阅"}),
        ("issue_order", {"flag_id": FID, "dept_code": None, "feedback_due": "2024-03-12", "instructions": "整改"}),
        ("answer_order", {"order_id": 1, "answer": "已整改"}),
        ("accept_answer", {"order_id": 1, "note": "同意摘牌"}),
    ]
    for _ in range(2):
        for n, (name, params) in enumerate(journal):
            getattr(actions, name)(con, actor="张三", at=T0 + dt.timedelta(minutes=n), idempotency_key=f"j{n}",
                                   **params)
    assert [r[0] for r in con.execute("SELECT action FROM flag_history ORDER BY entry_no").fetchall()] == \
        ["raise", "acknowledge", "order", "answer", "accept"]
    assert state(con) == "resolved"


def test_a_replayed_key_is_not_refused_after_the_state_moved_on(con: duckdb.DuckDBPyConnection) -> None:
    actions.acknowledge(con, FID, "张三", at=T0, idempotency_key="a")
    actions.resolve(con, FID, "李四", "已办结", at=T0, idempotency_key="b")
    assert not actions.acknowledge(con, FID, "张三", at=T0, idempotency_key="a").applied


# -- the command line -------------------------------------------------------------------------------

@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    con = db.connect(path)
    raise_flag(con)
    con.close()
    return path


def invoke(command: Any, args: list[str]) -> Any:
    return CliRunner().invoke(command, args, obj=Settings(), catch_exceptions=False)


def test_cli_steps(db_file: Path) -> None:
    d = ["--db", str(db_file), "--user", "张三"]
    future = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    result = invoke(flag_command, ["ack", FID, *d])
    assert result.exit_code == 0 and "已确认：牌" in result.output and "待处理 → 已确认" in result.output
    result = invoke(flag_command, ["order", FID, *d, "--due", future, "--instructions", "限期整改"])
    assert "督办单 1" in result.output
    assert invoke(flag_command, ["answer", "1", *d, "--answer", "已整改"]).exit_code == 0
    assert invoke(flag_command, ["return", "1", *d, "--due", future, "--note", "不完整"]).exit_code == 0
    assert invoke(flag_command, ["answer", "1", *d, "--answer", "已补齐"]).exit_code == 0
    result = invoke(flag_command, ["accept", "1", *d, "--key", "acc-1"])
    assert "督办中 → 已摘牌" in result.output
    result = invoke(flag_command, ["accept", "1", *d, "--key", "acc-1"])
    assert "执行过，未重复执行" in result.output
    assert (db_file.parent / "s.duckdb.journal").exists()          # every step went through the journal


def test_cli_refusal_exits_2_with_a_chinese_message(db_file: Path) -> None:
    result = CliRunner().invoke(flag_command, ["accept", "5", "--db", str(db_file), "--user", "张三"], obj=Settings())
    assert isinstance(result.exception, actions.ActionError)
    assert result.exception.exit_code == 2 and "督办单 5 不存在" in result.exception.message


def test_cli_lists_flags_with_chinese_headings(db_file: Path) -> None:
    result = invoke(flags_command, ["--db", str(db_file), "--format", "csv"])
    lines = result.output.splitlines()
    assert lines[0].startswith("牌号,等级,状态,类别,部门,办件编号")
    assert f"{FID},红牌,待处理,时效,D1,P:1" in lines[1]
    result = invoke(flags_command, ["--db", str(db_file), "--format", "json", "--level", "黄"])
    assert json.loads(result.output) == []
    result = invoke(flags_command, ["--db", str(db_file), "--format", "json", "--dept", "D1", "--rule", "R1"])
    assert [r["flag_id"] for r in json.loads(result.output)] == [FID]
    result = invoke(flags_command, ["--db", str(db_file)])
    assert "受理至决定超期" in result.output and "红牌" in result.output
