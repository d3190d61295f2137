"""Two real processes: a nightly-like writer and the dashboard's actions at the same time.

Neither fails and nothing is lost, whether the writer works on a copy (the nightly batch: snapshot,
one long transaction, swap) or holds the original itself (``sunlight audit --db`` run by hand).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import Fixture, built_fixture  # noqa: F401 - pytest fixture

from audit import history, journal

ROOT = Path(__file__).resolve().parents[1]

# A nightly batch in miniature: copy, one long transaction on the copy, swap in (audit.journal).
NIGHTLY_ON_COPY = textwrap.dedent("""
    import sys, json, duckdb
    from pathlib import Path
    from audit import journal
    db = Path(sys.argv[1]); work = db.with_name(db.name + ".nightly")
    journal.snapshot(db, work)
    con = duckdb.connect(str(work))
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO runs (run_id, kind, started_at, as_of, rule_pack_version, status)"
                " VALUES (100, 'nightly', now()::TIMESTAMP, now()::TIMESTAMP, 'test', 'ok')")
    con.execute("UPDATE flags SET last_seen_at = last_seen_at + INTERVAL 1 DAY, last_run_id = 100")
    print("in-transaction", flush=True)
    sys.stdin.readline()
    con.execute("COMMIT")
    con.close()
    report = journal.swap_in(work, db)
    print(json.dumps({"replayed": len(report.applied), "failed": len(report.failed)}), flush=True)
""")

# A writer that holds the original read-write in one long transaction (an audit run by hand).
WRITER_IN_PLACE = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO runs (run_id, kind, started_at, as_of, rule_pack_version, status)"
                " VALUES (200, 'audit', now()::TIMESTAMP, now()::TIMESTAMP, 'test', 'ok')")
    print("in-transaction", flush=True)
    sys.stdin.readline()
    con.execute("COMMIT")
    con.close()
    print("committed", flush=True)
""")

# The dashboard: read the flag (scope check), then act through the journal, one flag after another.
DASHBOARD = textwrap.dedent("""
    import sys, json, time
    from dashboard import commands
    from dashboard.store import ActionService, Database, BUSY_WAIT
    import dashboard.store as store
    from dashboard.viewer import Role, Viewer
    store.BUSY_WAIT = 0.5
    service = ActionService(Database.at(sys.argv[1]), apply_timeout=1.0)
    viewer = Viewer(Role.INSPECTOR, user=sys.argv[2])
    out = []
    for flag_id in sys.argv[3].split(","):
        result = commands.flag_action(service, viewer, "acknowledge", flag_id, key=f"{sys.argv[2]}-{flag_id}",
                                      note="并发测试")
        out.append([flag_id, str(result.status)])
        time.sleep(0.15)
    print(json.dumps(out), flush=True)
""")


def start(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], *, stdin: str | None = None) -> str:
    out, err = proc.communicate(stdin, timeout=120)
    assert proc.returncode == 0, err
    return out


def open_flags(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT flag_id FROM flags WHERE state = 'open' ORDER BY flag_id").fetchall()]
    finally:
        con.close()


@pytest.fixture
def db_path(built_fixture: Fixture, tmp_path: Path) -> Path:
    path = tmp_path / "district.duckdb"
    shutil.copy2(built_fixture.path, path)
    return path


def check_final(path: Path, flags: list[str], run_id: int) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        states = dict(con.execute("SELECT flag_id, state FROM flags WHERE list_contains(?, flag_id)",
                                  [flags]).fetchall())
        assert set(states.values()) == {"acknowledged"}, states
        acks = con.execute("SELECT count(*) FROM flag_history WHERE action = 'acknowledge' AND"
                           " list_contains(?, flag_id)", [flags]).fetchone()
        assert acks == (len(flags),)
        assert con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone() == (1,)
        assert history.verify(con).ok
    finally:
        con.close()


def test_nightly_on_a_copy_and_two_dashboards_acting(db_path: Path) -> None:
    flags = open_flags(db_path)[:12]
    nightly = start(NIGHTLY_ON_COPY, str(db_path))
    assert nightly.stdout is not None and nightly.stdout.readline().strip() == "in-transaction"
    first = start(DASHBOARD, str(db_path), "inspector1", ",".join(flags[0::2]))
    second = start(DASHBOARD, str(db_path), "inspector2", ",".join(flags[1::2]))
    # The dashboards act while the batch holds its transaction; half-way the batch commits and
    # swaps the copy in, while they are still acting.
    time.sleep(1.5)
    assert nightly.stdin is not None
    nightly.stdin.write("\n")
    nightly.stdin.flush()
    results = json.loads(finish(first)) + json.loads(finish(second))
    nightly_report = json.loads(finish(nightly).strip().splitlines()[-1])
    assert nightly_report["failed"] == 0
    assert {status for _, status in results} <= {"applied", "pending"}
    assert "applied" in {status for _, status in results}  # the original stayed writable meanwhile
    journal.try_apply(db_path)  # what a page load does: anything left waiting is applied
    assert journal.Journal(db_path).pending() == []
    check_final(db_path, flags, run_id=100)


def test_writer_holding_the_original_and_a_dashboard_action(db_path: Path) -> None:
    flags = open_flags(db_path)[:3]
    writer = start(WRITER_IN_PLACE, str(db_path))
    assert writer.stdout is not None and writer.stdout.readline().strip() == "in-transaction"
    dashboard = start(DASHBOARD, str(db_path), "inspector1", ",".join(flags))
    results = json.loads(finish(dashboard))
    # The database could not even be read: every action is recorded and waits.
    assert [status for _, status in results] == ["pending"] * len(flags)
    assert "committed" in finish(writer, stdin="\n")
    applied = journal.try_apply(db_path)
    assert len(applied.applied) == len(flags)
    check_final(db_path, flags, run_id=200)


@pytest.mark.slow
def test_real_nightly_batch_and_a_dashboard_acting_meanwhile(tmp_path: Path) -> None:
    """`sunlight nightly` paused inside its transaction on the copy while the dashboard acts."""
    from dashboard_fixtures import build_chain

    chain = build_chain(tmp_path, cases=200, seed=3)
    flags = open_flags(chain.path)[:4]
    env = {**os.environ, "SUNLIGHT_NIGHTLY_PAUSE": "audit:6"}
    nightly = subprocess.Popen(
        [sys.executable, "-m", "sunlight", "nightly", "--inbox", str(chain.out_dir / "exports"), "--db",
         str(chain.path), "--outbox", str(tmp_path / "outbox"), "--as-of", chain.as_of, "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert nightly.stderr is not None
    for line in nightly.stderr:
        if "paused after audit" in line:
            break
    else:
        raise AssertionError(f"the batch did not reach its pause: {nightly.wait()}")
    results = json.loads(finish(start(DASHBOARD, str(chain.path), "inspector1", ",".join(flags))))
    assert [status for _, status in results] == ["applied"] * len(flags)  # the original stayed writable
    out, err = nightly.communicate(timeout=600)
    assert nightly.returncode == 0, err
    con = duckdb.connect(str(chain.path), read_only=True)
    try:
        run = con.execute("SELECT kind, status FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        states = {r[0] for r in con.execute("SELECT state FROM flags WHERE list_contains(?, flag_id)",
                                            [flags]).fetchall()}
        assert history.verify(con).ok
    finally:
        con.close()
    assert run is not None and run[0] == "nightly" and run[1] in ("ok", "partial")
    assert states == {"acknowledged"}  # acted on the original during the batch, replayed into its copy
    assert journal.Journal(chain.path).pending() == []
