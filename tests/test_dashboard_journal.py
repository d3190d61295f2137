"""The action journal (audit.journal): record, apply, refuse, snapshot and swap."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import Fixture, built_fixture  # noqa: F401 - pytest fixture

from audit import history, journal


@pytest.fixture
def db_path(built_fixture: Fixture, tmp_path: Path) -> Path:
    path = tmp_path / "district.duckdb"
    shutil.copy2(built_fixture.path, path)
    return path


def one(path: Path, sql: str, params: list[object] | None = None) -> object:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(sql, params or []).fetchone()
        return None if row is None else row[0]
    finally:
        con.close()


def flag_state(path: Path, flag_id: str) -> object:
    return one(path, "SELECT state FROM flags WHERE flag_id = ?", [flag_id])


def test_record_is_idempotent_by_key(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    flag_id = built_fixture.red_flag["flag_id"]
    first = book.record("acknowledge", "inspector1", {"flag_id": flag_id}, flag_id=flag_id, key="k-1")
    again = book.record("acknowledge", "inspector1", {"flag_id": flag_id, "note": "x"}, flag_id=flag_id, key="k-1")
    assert first == again and first.status is journal.Status.PENDING
    assert [e.key for e in book.pending()] == ["k-1"]
    assert journal.journal_path(db_path).exists()


def test_try_apply_applies_in_order_with_the_entrys_own_time(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    flag_id = built_fixture.red_flag["flag_id"]
    at = dt.datetime(2026, 3, 17, 9, 30)
    book.record("acknowledge", "inspector1", {"flag_id": flag_id}, flag_id=flag_id, key="a", at=at)
    book.record("resolve", "inspector1", {"flag_id": flag_id, "reason": "已整改"}, flag_id=flag_id, key="b",
                at=at + dt.timedelta(minutes=5))
    report = journal.try_apply(db_path)
    assert [e.key for e in report.applied] == ["a", "b"] and not report.busy
    assert flag_state(db_path, flag_id) == "resolved"
    assert one(db_path, "SELECT recorded_at FROM flag_history WHERE detail->>'key' = 'a'") == at
    assert book.pending() == [] and book.get("a").status is journal.Status.APPLIED  # type: ignore[union-attr]
    assert journal.try_apply(db_path).applied == []  # nothing left


def test_a_refused_entry_is_marked_failed_and_the_rest_still_apply(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    red, other = built_fixture.red_flag["flag_id"], built_fixture.other_flag["flag_id"]
    book.record("resolve", "inspector1", {"flag_id": red, "reason": ""}, flag_id=red, key="bad")
    book.record("acknowledge", "inspector1", {"flag_id": other}, flag_id=other, key="good")
    report = journal.try_apply(db_path)
    assert [e.key for e in report.failed] == ["bad"] and [e.key for e in report.applied] == ["good"]
    assert "摘牌理由不能为空" in (book.get("bad").error or "")  # type: ignore[union-attr]
    assert flag_state(db_path, red) == "open" and flag_state(db_path, other) == "acknowledged"


def test_scope_dept_is_checked_when_applied(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    book.record("answer", "d02_head", {"order_id": built_fixture.order_id, "answer": "越权", "scope_dept": "D02"},
                key="scoped")
    report = journal.try_apply(db_path)
    assert [e.key for e in report.failed] == ["scoped"]
    status = one(db_path, "SELECT status FROM supervision_orders WHERE order_id = ?", [built_fixture.order_id])
    assert status == "issued"


def test_busy_lock_leaves_entries_pending(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    flag_id = built_fixture.red_flag["flag_id"]
    book.record("acknowledge", "inspector1", {"flag_id": flag_id}, flag_id=flag_id, key="wait")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with journal.writer_lock(db_path):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        assert journal.try_apply(db_path, timeout=0.2).busy
        assert [e.key for e in book.pending()] == ["wait"]
    finally:
        release.set()
        thread.join()
    assert [e.key for e in journal.try_apply(db_path).applied] == ["wait"]


def test_busy_database_leaves_entries_pending(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    flag_id = built_fixture.red_flag["flag_id"]
    book.record("acknowledge", "inspector1", {"flag_id": flag_id}, flag_id=flag_id, key="wait")
    reader = duckdb.connect(str(db_path), read_only=True)  # this process already holds it read-only
    try:
        assert journal.try_apply(db_path, timeout=0.3).busy
    finally:
        reader.close()
    assert journal.try_apply(db_path).applied


def test_snapshot_work_swap_keeps_actions_taken_meanwhile(db_path: Path, built_fixture: Fixture) -> None:
    book = journal.Journal(db_path)
    red, other = built_fixture.red_flag["flag_id"], built_fixture.other_flag["flag_id"]
    # recorded before the batch, never applied (the database was busy then)
    book.record("acknowledge", "inspector1", {"flag_id": other}, flag_id=other, key="early")
    work = db_path.with_name(db_path.name + ".nightly")
    snap = journal.snapshot(db_path, work)
    assert snap.high_water == 1 and work.exists()
    # the batch works on the copy ...
    con = duckdb.connect(str(work))
    con.execute("BEGIN")
    con.execute("INSERT INTO runs (run_id, kind, started_at, as_of, rule_pack_version, status)"
                " VALUES (99, 'nightly', now()::TIMESTAMP, now()::TIMESTAMP, 'x', 'ok')")
    # ... while the dashboard applies an action to the original
    book.record("dismiss", "inspector1", {"flag_id": red, "reason": "重复"}, flag_id=red, key="during")
    applied = journal.try_apply(db_path)
    assert {e.key for e in applied.applied} == {"early", "during"}
    assert flag_state(db_path, red) == "dismissed"
    con.execute("COMMIT")
    con.close()
    report = journal.swap_in(work, db_path)
    assert {e.key for e in report.applied} == {"early", "during"}
    assert not work.exists()
    assert one(db_path, "SELECT count(*) FROM runs WHERE run_id = 99") == 1
    assert flag_state(db_path, red) == "dismissed" and flag_state(db_path, other) == "acknowledged"
    assert one(db_path, "SELECT count(*) FROM flag_history WHERE detail->>'key' = 'during'") == 1
    con = duckdb.connect(str(db_path), read_only=True)
    assert history.verify(con).ok
    con.close()


def test_swap_refuses_when_the_original_was_written_outside_the_journal(db_path: Path) -> None:
    work = db_path.with_name(db_path.name + ".nightly")
    journal.snapshot(db_path, work)
    con = duckdb.connect(str(db_path))  # e.g. `sunlight ingest` run by hand meanwhile
    con.execute("UPDATE runs SET status = 'ok'")
    con.close()
    with pytest.raises(journal.JournalError, match="changed since the batch copied it"):
        journal.swap_in(work, db_path)
    assert work.exists() and one(db_path, "SELECT count(*) FROM runs WHERE status = 'ok'") == 2


def test_swap_without_snapshot_is_refused(db_path: Path, tmp_path: Path) -> None:
    stray = tmp_path / "stray.duckdb"
    shutil.copy2(db_path, stray)
    with pytest.raises(journal.JournalError, match="no snapshot"):
        journal.swap_in(stray, db_path)


def test_snapshot_refuses_while_another_process_writes(db_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1]);"
                               " print('ok', flush=True); sys.stdin.readline()", str(db_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(journal.DatabaseBusy):
            journal.snapshot(db_path, db_path.with_name("w.duckdb"))
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(30)
