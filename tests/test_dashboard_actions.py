"""AppTest: every action an inspector or a department head takes, end to end into the database.

Each action goes through the journal into the flag's hash-chained history; the chain still
verifies afterwards. A busy database leaves the action pending, shown as such, and applied later.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from typing import Any

import duckdb
import pytest
from dashboard_fixtures import (  # noqa: F401 - pytest fixtures
    D01_HEAD, INSPECTOR, Fixture, app, built_fixture, fixture_db, scalar,
)
from streamlit.testing.v1 import AppTest

from audit import history, journal

FLAGS = "app_pages/flags.py"


def on_flag(flag_id: str) -> AppTest:
    return app(INSPECTOR, page=FLAGS, query={"flag": flag_id})


def submit(at: AppTest, form_id: str, values: dict[str, Any], button: str = "submit") -> AppTest:
    for suffix, value in values.items():
        at.get_by_key(f"{form_id}_{suffix}").set_value(value)
    at.button(key=f"{form_id}_{button}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def flag_row(fx: Fixture, flag_id: str) -> tuple[Any, ...]:
    con = duckdb.connect(str(fx.path), read_only=True)
    try:
        row = con.execute("SELECT state, state_changed_by FROM flags WHERE flag_id = ?", [flag_id]).fetchone()
        assert row is not None
        return tuple(row)
    finally:
        con.close()


def last_history(fx: Fixture, flag_id: str) -> tuple[Any, ...]:
    con = duckdb.connect(str(fx.path), read_only=True)
    try:
        row = con.execute("SELECT action, actor, to_state, detail->>'key' FROM flag_history WHERE flag_id = ?"
                          " ORDER BY entry_no DESC LIMIT 1", [flag_id]).fetchone()
        assert row is not None
        assert history.verify(con).ok
        return tuple(row)
    finally:
        con.close()


def test_acknowledge(fixture_db: Fixture) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    at = submit(on_flag(flag_id), f"flag_panel_act_acknowledge_{flag_id}", {"note": "已阅"})
    assert [s.value for s in at.success] == ["操作已生效。"]
    assert flag_row(fixture_db, flag_id) == ("acknowledged", "inspector1")
    action, actor, state, key = last_history(fixture_db, flag_id)
    assert (action, actor, state) == ("acknowledge", "inspector1", "acknowledged") and key


def test_issue_order_then_department_answers_then_inspector_accepts(fixture_db: Fixture) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    due = dt.date.today() + dt.timedelta(days=5)
    form = f"flag_panel_act_order_{flag_id}"
    submit(on_flag(flag_id), form, {"dept": "D01", "due": due, "text": "请说明超期原因并整改。"})
    assert flag_row(fixture_db, flag_id)[0] == "rectifying"
    order_id = scalar(fixture_db, "SELECT order_id FROM supervision_orders WHERE flag_id = ?", [flag_id])
    assert scalar(fixture_db, "SELECT feedback_due FROM supervision_orders WHERE order_id = ?", [order_id]) == due

    head = app(D01_HEAD, page="app_pages/rectification.py")
    submit(head, f"rect_orders_{order_id}_answer", {"text": "已补办手续，相关人员已批评教育。"})
    assert scalar(fixture_db, "SELECT status FROM supervision_orders WHERE order_id = ?", [order_id]) == "answered"
    assert last_history(fixture_db, flag_id)[:2] == ("answer", "d01_head")

    inspector = app(INSPECTOR, page="app_pages/rectification.py")
    submit(inspector, f"rect_orders_{order_id}_accept", {"note": "整改到位"})
    assert flag_row(fixture_db, flag_id)[0] == "resolved"
    assert last_history(fixture_db, flag_id)[:3] == ("accept", "inspector1", "resolved")


def test_inspector_returns_an_answer(fixture_db: Fixture) -> None:
    order_id = fixture_db.order_id
    head = app(D01_HEAD, page="app_pages/rectification.py")
    submit(head, f"rect_orders_{order_id}_answer", {"text": "已整改。"})
    new_due = dt.date.today() + dt.timedelta(days=3)
    inspector = app(INSPECTOR, page="app_pages/rectification.py")
    submit(inspector, f"rect_orders_{order_id}_return", {"note": "反馈过于简单，请补充证明材料。", "due": new_due})
    assert scalar(fixture_db, "SELECT status FROM supervision_orders WHERE order_id = ?", [order_id]) == "returned"
    assert scalar(fixture_db, "SELECT feedback_due FROM supervision_orders WHERE order_id = ?", [order_id]) == new_due
    again = app(D01_HEAD, page="app_pages/rectification.py")
    again.get_by_key(f"rect_orders_{order_id}_answer_text")  # the head can answer again


@pytest.mark.parametrize(("action", "state"), [("resolve", "resolved"), ("dismiss", "dismissed")])
def test_resolve_and_dismiss_with_reason(fixture_db: Fixture, action: str, state: str) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    submit(on_flag(flag_id), f"flag_panel_act_{action}_{flag_id}", {"reason": "经核查属实，已处理。"})
    assert flag_row(fixture_db, flag_id) == (state, "inspector1")
    assert last_history(fixture_db, flag_id)[:3] == (action, "inspector1", state)


def test_dismiss_without_reason_is_refused_and_nothing_recorded(fixture_db: Fixture) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    at = on_flag(flag_id)
    at = submit(at, f"flag_panel_act_dismiss_{flag_id}", {"reason": "   "})
    assert "请填写驳回理由。" in [e.value for e in at.error]
    assert flag_row(fixture_db, flag_id)[0] == "open"
    assert journal.Journal(fixture_db.path).recent() == []


def test_a_resubmitted_form_acts_once(fixture_db: Fixture) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    at = on_flag(flag_id)
    form = f"flag_panel_act_acknowledge_{flag_id}"
    key = at.session_state[f"idem:{form}"]
    # The same submission arriving twice (a double click, a retried request): one history entry.
    from dashboard import commands
    from dashboard.store import ActionService, Database

    service = ActionService(Database.at(fixture_db.path))
    first = commands.flag_action(service, INSPECTOR, "acknowledge", flag_id, key=key)
    second = commands.flag_action(service, INSPECTOR, "acknowledge", flag_id, key=key)
    assert first.entry.seq == second.entry.seq
    count = scalar(fixture_db, "SELECT count(*) FROM flag_history WHERE flag_id = ? AND action = 'acknowledge'",
                   [flag_id])
    assert count == 1


HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    con.execute("UPDATE runs SET status = status")
    print("holding", flush=True)
    sys.stdin.readline()
    con.execute("COMMIT")
    con.close()
""")


def test_busy_database_keeps_the_action_pending(fixture_db: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    at = on_flag(flag_id)
    monkeypatch.setattr("dashboard.store.BUSY_WAIT", 0.5)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(fixture_db.path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        at = submit(at, f"flag_panel_act_acknowledge_{flag_id}", {"note": "夜间更新期间确认"})
        assert any("操作已记录" in w.value for w in at.warning)
        pending = journal.Journal(fixture_db.path).pending()
        assert [e.action for e in pending] == ["acknowledge"]
        # A page whose data is not cached cannot read the database now: it says so, and fails nothing.
        busy = app(INSPECTOR, page="app_pages/runs.py")
        assert not busy.exception
        assert any("数据库正在更新" in w.value for w in busy.warning)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    # The next page load finds the database free and applies the waiting action.
    app(INSPECTOR, page=FLAGS)
    assert journal.Journal(fixture_db.path).pending() == []
    assert flag_row(fixture_db, flag_id) == ("acknowledged", "inspector1")


def test_pending_action_refused_later_is_reported(fixture_db: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    flag_id = fixture_db.red_flag["flag_id"]
    at = on_flag(flag_id)
    monkeypatch.setattr("dashboard.store.BUSY_WAIT", 0.5)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(fixture_db.path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        submit(at, f"flag_panel_act_acknowledge_{flag_id}", {})
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    # Before the waiting action is applied, another inspector dismisses the flag (say, from the CLI).
    con = duckdb.connect(str(fixture_db.path))
    from audit import actions

    actions.dismiss(con, flag_id, "inspector2", "重复预警")
    con.close()
    at = app(INSPECTOR, page=FLAGS)
    entry = journal.Journal(fixture_db.path).recent()[0]
    assert entry.status is journal.Status.FAILED and "已驳回" in (entry.error or "")
    recent = " ".join(m.value for m in at.sidebar.markdown)
    assert "未能生效" in recent and "已驳回" in recent
