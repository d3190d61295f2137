"""The action journal: inspectors' and departments' actions survive a busy database.

DuckDB lets one process write a database file, and a process that holds it read-write keeps every
other process from even reading it. The nightly batch must not stop the dashboard, and no action
may be lost, so:

1. **Record first.** Every action (acknowledge, order, answer, accept, return, resolve, dismiss)
   is appended to a SQLite journal next to the database (``DB.journal``, WAL mode, safe for several
   processes) with its own timestamp and idempotency key, before DuckDB is touched.
2. **Apply when free.** :func:`try_apply` takes the writer lock (``DB.lock``, an advisory file
   lock), opens the database read-write for a moment, applies every pending entry through
   :mod:`audit.actions`, and marks them applied. If the lock or the database is busy the entries
   stay pending; the dashboard shows them as such and the next :func:`try_apply` (or the nightly
   swap) applies them.
3. **The nightly batch works on a copy.** :func:`snapshot` copies the database under the lock and
   notes the first journal entry the copy may lack (the oldest still pending, else the next one to
   be recorded); the batch runs on the copy in one transaction while the dashboard keeps reading
   (and applying actions to) the original; :func:`swap_in` then takes the lock, replays into the
   copy every entry from that point on that was not refused, checkpoints it and renames it over
   the original in one atomic step.

Replaying is safe because every action carries its idempotency key: applying an entry that the
database already holds changes nothing. An entry the database refuses (the flag moved on: it was
resolved by someone else, an order was already answered) is marked ``failed`` with the reason and
is never retried; it is shown to the person who made it.

A process that writes the original without these functions (``sunlight audit --db`` run by hand)
is detected: :func:`swap_in` refuses to replace a file that changed since the snapshot other than
through the journal, rather than silently discard that write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from sunlight.errors import AuditError, Location

JOURNAL_SUFFIX = ".journal"
LOCK_SUFFIX = ".lock"
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    recorded_at     TEXT NOT NULL,          -- local wall-clock time of the action, ISO 8601
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    flag_id         TEXT,
    params          TEXT NOT NULL,          -- JSON object
    status          TEXT NOT NULL,          -- pending / applied / failed
    applied_at      TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS actions_status ON actions (status, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Status(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"


class JournalError(AuditError):
    """The journal or the database swap could not proceed."""


class DatabaseBusy(JournalError):
    """Another process holds the database or the writer lock."""


@dataclass(frozen=True)
class Entry:
    """One recorded action."""

    seq: int
    key: str
    recorded_at: dt.datetime
    actor: str
    action: str
    flag_id: str | None
    params: dict[str, Any]
    status: Status
    applied_at: dt.datetime | None = None
    error: str | None = None


@dataclass
class ApplyReport:
    """What one apply pass did; ``busy`` when it could not reach the database at all."""

    applied: list[Entry] = field(default_factory=list)
    failed: list[Entry] = field(default_factory=list)
    busy: bool = False

    def merge(self, other: ApplyReport) -> None:
        self.applied += other.applied
        self.failed += other.failed
        self.busy = self.busy or other.busy


def journal_path(db_path: str | Path) -> Path:
    path = Path(db_path)
    return path.with_name(path.name + JOURNAL_SUFFIX)


def lock_path(db_path: str | Path) -> Path:
    path = Path(db_path)
    return path.with_name(path.name + LOCK_SUFFIX)


def now_local(tz: ZoneInfo = DEFAULT_TZ) -> dt.datetime:
    """The local wall-clock time, naive, as every timestamp in the database."""
    return dt.datetime.now(tz).replace(tzinfo=None)


class Journal:
    """The SQLite journal of one database. Each call opens its own short SQLite connection."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self.path = journal_path(db_path)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA busy_timeout=30000")
            yield con
        finally:
            con.close()

    def record(self, action: str, actor: str, params: dict[str, Any], *, flag_id: str | None = None,
               key: str | None = None, at: dt.datetime | None = None) -> Entry:
        """Append an action; a second call with the same ``key`` returns the first entry unchanged."""
        key = key or uuid.uuid4().hex
        stamp = (at or now_local()).isoformat(timespec="microseconds")
        body = json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)
        with self._connect() as con:
            con.execute(
                "INSERT OR IGNORE INTO actions (idempotency_key, recorded_at, actor, action, flag_id, params,"
                " status) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                (key, stamp, actor, action, flag_id, body),
            )
        entry = self.get(key)
        assert entry is not None
        return entry

    def get(self, key: str) -> Entry | None:
        rows = self._select("WHERE idempotency_key = ?", (key,))
        return rows[0] if rows else None

    def pending(self, *, flag_id: str | None = None) -> list[Entry]:
        if flag_id is None:
            return self._select("WHERE status = 'pending' ORDER BY seq", ())
        return self._select("WHERE status = 'pending' AND flag_id = ? ORDER BY seq", (flag_id,))

    def recent(self, *, actor: str | None = None, limit: int = 20) -> list[Entry]:
        """The newest entries, optionally of one actor (for "your recent actions")."""
        if actor is None:
            return self._select("ORDER BY seq DESC LIMIT ?", (limit,))
        return self._select("WHERE actor = ? ORDER BY seq DESC LIMIT ?", (actor, limit))

    def replay_set(self, from_seq: int) -> list[Entry]:
        """Entries from ``from_seq`` on that were not refused: what a copy may lack. Entries the copy
        already holds are no-ops when replayed (their key is in the history)."""
        return self._select("WHERE (seq >= ? OR status = 'pending') AND status <> 'failed' ORDER BY seq",
                            (from_seq,))

    def replay_start(self) -> int:
        """The first entry a copy taken now may lack: the oldest pending one, else the next one."""
        with self._connect() as con:
            row = con.execute("SELECT min(seq) FROM actions WHERE status = 'pending'").fetchone()
            if row and row[0] is not None:
                return int(row[0])
            row = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM actions").fetchone()
        return int(row[0])

    def high_water(self) -> int:
        with self._connect() as con:
            row = con.execute("SELECT coalesce(max(seq), 0) FROM actions").fetchone()
        return int(row[0])

    def mark(self, entry: Entry, status: Status, *, error: str | None = None) -> Entry:
        stamp = now_local().isoformat(timespec="microseconds")
        with self._connect() as con:
            con.execute(
                "UPDATE actions SET status = ?, applied_at = ?, error = ?, attempts = attempts + 1 WHERE seq = ?",
                (str(status), stamp if status is Status.APPLIED else None, error, entry.seq),
            )
        updated = self.get(entry.key)
        assert updated is not None
        return updated

    def get_meta(self, key: str) -> str | None:
        with self._connect() as con:
            row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._connect() as con:
            con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _select(self, where: str, args: tuple[Any, ...]) -> list[Entry]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT seq, idempotency_key, recorded_at, actor, action, flag_id, params, status, applied_at,"
                f" error FROM actions {where}", args,
            ).fetchall()
        return [
            Entry(int(r[0]), r[1], dt.datetime.fromisoformat(r[2]), r[3], r[4], r[5], json.loads(r[6]),
                  Status(r[7]), dt.datetime.fromisoformat(r[8]) if r[8] else None, r[9])
            for r in rows
        ]


# --- the writer lock ------------------------------------------------------------------------------


@contextlib.contextmanager
def writer_lock(db_path: str | Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold the advisory lock that every cooperating writer of ``db_path`` takes.

    ``timeout=None`` waits for as long as it takes; otherwise :class:`DatabaseBusy` after ``timeout``.
    """
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115 - closed in finally
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise DatabaseBusy("the database is being updated by another process",
                                       location=Location(file=db_path)) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def _stat(path: Path) -> str:
    """A fingerprint of the database file: changes whenever anything writes it."""
    parts = []
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            st = candidate.stat()
            parts.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
        else:
            parts.append("-")
    return "|".join(parts)


def _open_rw(db_path: Path, *, timeout: float) -> duckdb.DuckDBPyConnection:
    from sunlight import db

    deadline = time.monotonic() + timeout
    while True:
        try:
            return db.connect(db_path)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"the database is in use: {exc}", location=Location(file=db_path)) from exc
        except AuditError:
            raise
        except Exception as exc:  # SchemaError wraps the lock error from db.connect
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise DatabaseBusy(f"the database is in use: {exc}", location=Location(file=db_path)) from exc
        time.sleep(0.1)


# --- applying entries -------------------------------------------------------------------------------


def apply_entries(con: duckdb.DuckDBPyConnection, journal: Journal, entries: list[Entry]) -> ApplyReport:
    """Apply ``entries`` in order, each in its own transaction, and mark them in the journal."""
    report = ApplyReport()
    for entry in entries:
        con.execute("BEGIN TRANSACTION")
        try:
            dispatch(con, entry)
            con.execute("COMMIT")
        except (duckdb.IOException, duckdb.TransactionException):
            con.execute("ROLLBACK")
            report.busy = True
            break
        except Exception as exc:  # the database refused this action: record why, keep going
            con.execute("ROLLBACK")
            message = exc.message if hasattr(exc, "message") else str(exc)
            report.failed.append(journal.mark(entry, Status.FAILED, error=message))
            continue
        report.applied.append(journal.mark(entry, Status.APPLIED))
    return report


# journal action -> function of audit.actions
ACTIONS: dict[str, str] = {
    "acknowledge": "acknowledge",
    "order": "issue_order",
    "answer": "answer_order",
    "accept": "accept_answer",
    "return": "return_answer",
    "resolve": "resolve",
    "dismiss": "dismiss",
}


def dispatch(con: duckdb.DuckDBPyConnection, entry: Entry) -> None:
    """Apply one entry through :mod:`audit.actions`, with the entry's own time, actor and key."""
    from audit import actions

    name = ACTIONS.get(entry.action)
    if name is None:
        raise JournalError(f"unknown action {entry.action!r} in the journal")
    params = dict(entry.params)
    scope_dept = params.pop("scope_dept", None)
    if scope_dept is not None:
        _check_scope(con, entry, params, str(scope_dept))
    function = getattr(actions, name)
    function(con, actor=entry.actor, at=entry.recorded_at, idempotency_key=entry.key, **params)


def _check_scope(con: duckdb.DuckDBPyConnection, entry: Entry, params: dict[str, Any], dept: str) -> None:
    """An actor limited to one department may act only on its own flags and orders."""
    if "order_id" in params:
        row = con.execute("SELECT dept_code FROM supervision_orders WHERE order_id = ?",
                          [params["order_id"]]).fetchone()
    else:
        row = con.execute("SELECT dept_code FROM flags WHERE flag_id = ?", [params.get("flag_id")]).fetchone()
    if row is None or row[0] != dept:
        raise JournalError(f"{entry.actor} 只能处理本部门（{dept}）的督办事项")


def apply_pending(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> ApplyReport:
    """Apply the journal's pending entries to an open read-write connection of ``db_path``."""
    journal = Journal(db_path)
    return apply_entries(con, journal, journal.pending())


def try_apply(db_path: str | Path, *, timeout: float = 2.0) -> ApplyReport:
    """Apply pending entries to the database now if it is free within ``timeout`` seconds.

    Never raises because the database is busy: the report says ``busy`` and the entries stay pending.
    """
    db_path = Path(db_path)
    journal = Journal(db_path)
    if not journal.pending():
        return ApplyReport()
    try:
        with writer_lock(db_path, timeout=timeout):
            _note_foreign_write(journal, db_path)
            con = _open_rw(db_path, timeout=timeout)
            try:
                report = apply_entries(con, journal, journal.pending())
            finally:
                con.close()
            journal.set_meta("original_stat", _stat(db_path))
            return report
    except DatabaseBusy:
        return ApplyReport(busy=True)


def _note_foreign_write(journal: Journal, db_path: Path) -> None:
    """While a batch works on a copy, remember if something outside the journal wrote the original."""
    if journal.get_meta("snapshot_open") and journal.get_meta("original_stat") != _stat(db_path):
        journal.set_meta("foreign_write", _stat(db_path))


# --- the nightly batch: copy, work, replay, swap ------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    db_path: Path
    work_path: Path
    high_water: int
    taken_at: dt.datetime


def snapshot(db_path: str | Path, work_path: str | Path, *, timeout: float | None = 600) -> Snapshot:
    """Copy ``db_path`` to ``work_path`` under the writer lock and note the journal's high-water mark.

    Holding a read-only connection during the copy makes sure no uncooperative writer changes the
    file meanwhile (DuckDB refuses read-write opens while it is held).
    """
    db_path, work_path = Path(db_path), Path(work_path)
    journal = Journal(db_path)
    with writer_lock(db_path, timeout=timeout):
        try:
            guard = duckdb.connect(str(db_path), read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            raise DatabaseBusy(f"another process is writing the database: {exc}",
                               location=Location(file=db_path),
                               hint="wait for it to finish, then run the batch again") from exc
        try:
            for suffix in ("", ".wal"):
                target = Path(str(work_path) + suffix)
                if target.exists():
                    target.unlink()
                source = Path(str(db_path) + suffix)
                if source.exists():
                    shutil.copy2(source, target)
        finally:
            guard.close()
        mark = journal.high_water()
        start = journal.replay_start()
        taken = now_local()
        journal.set_meta("original_stat", _stat(db_path))
        journal.set_meta("snapshot_open", str(work_path.resolve()))
        with journal._connect() as sq:
            sq.execute("DELETE FROM meta WHERE key = 'foreign_write'")
        journal.set_meta(f"snapshot:{work_path.resolve()}", json.dumps(
            {"high_water": mark, "replay_from": start, "taken_at": taken.isoformat()}))
    return Snapshot(db_path, work_path, mark, taken)


def swap_in(work_path: str | Path, db_path: str | Path, *, timeout: float | None = 600) -> ApplyReport:
    """Replay the journal into ``work_path`` and atomically rename it over ``db_path``.

    ``work_path`` must come from :func:`snapshot` and must be closed by the batch. Raises
    :class:`JournalError` (leaving both files as they are) when the original was written since the
    snapshot by a process that did not go through the journal.
    """
    db_path, work_path = Path(db_path), Path(work_path)
    journal = Journal(db_path)
    raw = journal.get_meta(f"snapshot:{work_path.resolve()}")
    if raw is None:
        raise JournalError("no snapshot was taken for this work copy", location=Location(file=work_path),
                           hint="call audit.journal.snapshot(db, work) before running the batch on the copy")
    start = int(json.loads(raw)["replay_from"])
    with writer_lock(db_path, timeout=timeout):
        if journal.get_meta("foreign_write") or journal.get_meta("original_stat") != _stat(db_path):
            raise JournalError(
                "the database was changed since the batch copied it, by a process that did not use the journal",
                location=Location(file=db_path),
                hint="the work copy was kept; run the batch again once the other process has finished",
            )
        con = _open_rw(work_path, timeout=30)
        try:
            report = apply_entries(con, journal, journal.replay_set(start))
            if report.busy:
                raise JournalError("the work copy could not be written", location=Location(file=work_path))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        # Every cooperating write of the original is in the journal and now in the copy, so the
        # original's write-ahead log (left only by a crash) must not outlive it.
        stale_wal = Path(str(db_path) + ".wal")
        if stale_wal.exists():
            stale_wal.unlink()
        os.replace(work_path, db_path)
        _fsync_dir(db_path.parent)
        journal.set_meta("original_stat", _stat(db_path))
        with journal._connect() as sq:
            sq.execute("DELETE FROM meta WHERE key IN (?, 'snapshot_open', 'foreign_write')",
                       (f"snapshot:{work_path.resolve()}",))
    return report


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
