"""Database access for the dashboard: short read-only connections, and actions through the journal.

Reads open a read-only DuckDB connection per script run (:meth:`Database.session`) and close it at
the end, so the nightly batch can replace the file between two runs and another process can take
the database for a moment. Inside this process, reads share and the rare write (applying journal
entries) is exclusive: DuckDB refuses a read-write and a read-only connection to one file in the
same process at once.

Actions never write DuckDB directly: :class:`ActionService` records them in the journal
(:mod:`audit.journal`) first and then tries to apply them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from audit import journal
from sunlight import db as sdb
from sunlight.errors import Location, SchemaError

BUSY_WAIT = 3.0


class _SharedLock:
    """Many readers or one writer, within this process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_LOCKS: dict[str, _SharedLock] = {}
_LOCKS_GUARD = threading.Lock()
_SESSION = threading.local()
_CHECKED: set[str] = set()


def _lock_for(path: Path) -> _SharedLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(path), _SharedLock())


@dataclass(frozen=True)
class Database:
    """The database file the dashboard shows."""

    path: Path

    @classmethod
    def at(cls, path: str | Path) -> Database:
        return cls(Path(path).resolve())

    def token(self) -> str:
        """Changes whenever the file changes: part of every cache key."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return f"{self.path}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"

    @contextlib.contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-only connection for a whole script run; nested reads reuse it."""
        current = getattr(_SESSION, "con", None)
        if current is not None and getattr(_SESSION, "path", None) == self.path:
            yield current
            return
        with _lock_for(self.path).shared():
            con = self._connect_read_only()
            _SESSION.con, _SESSION.path = con, self.path
            try:
                yield con
            finally:
                _SESSION.con = _SESSION.path = None
                con.close()

    read = session

    def _connect_read_only(self) -> duckdb.DuckDBPyConnection:
        if not self.path.exists():
            raise SchemaError("database file not found", location=Location(file=self.path),
                              hint="run `sunlight ingest ... --db FILE` and `sunlight audit --db FILE` first")
        deadline = time.monotonic() + BUSY_WAIT
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=True)
                break
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if time.monotonic() >= deadline:
                    raise journal.DatabaseBusy(
                        f"the database is being written by another process: {exc}",
                        location=Location(file=self.path),
                        hint="the nightly update or an ingest is running; try again when it has finished",
                    ) from exc
                time.sleep(0.1)
        token = self.token()
        if token not in _CHECKED:
            version = sdb.schema_version(con)
            if version != sdb.latest_version():
                con.close()
                raise SchemaError(
                    f"the database is at schema version {version}, this Sunlight needs {sdb.latest_version()}",
                    location=Location(file=self.path), hint=f"run `sunlight migrate --db {self.path.name}`")
            if len(_CHECKED) > 1000:
                _CHECKED.clear()
            _CHECKED.add(token)
        return con

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Keep this process's readers out while a read-write connection is open."""
        with _lock_for(self.path).exclusive():
            yield


@dataclass(frozen=True)
class ActionResult:
    """What became of an action: applied now, pending (database busy) or refused."""

    entry: journal.Entry

    @property
    def status(self) -> journal.Status:
        return self.entry.status

    @property
    def message(self) -> str:
        if self.entry.status is journal.Status.APPLIED:
            return "操作已生效。"
        if self.entry.status is journal.Status.FAILED:
            return f"操作未能生效：{self.entry.error}"
        return "操作已记录。数据库正在更新，更新完成后将自动生效（页面中标记为“待写入”）。"


class ActionService:
    """Record an action in the journal, then apply what is pending if the database is free."""

    def __init__(self, database: Database, *, apply_timeout: float = 2.0) -> None:
        self.database = database
        self.journal = journal.Journal(database.path)
        self.apply_timeout = apply_timeout

    def submit(self, action: str, actor: str, params: dict[str, Any], *, flag_id: str | None,
               key: str) -> ActionResult:
        entry = self.journal.record(action, actor, params, flag_id=flag_id, key=key)
        if entry.status is journal.Status.PENDING:
            self.apply_now()
            entry = self.journal.get(key) or entry
        return ActionResult(entry)

    def apply_now(self) -> journal.ApplyReport:
        if not self.journal.pending():
            return journal.ApplyReport()
        with self.database.exclusive():
            return journal.try_apply(self.database.path, timeout=self.apply_timeout)

    def apply_now_if_free(self) -> journal.ApplyReport:
        """At the start of a page: apply waiting entries if the database is free right now."""
        if not self.journal.pending():
            return journal.ApplyReport()
        with self.database.exclusive():
            return journal.try_apply(self.database.path, timeout=0.2)

    def pending(self, *, flag_id: str | None = None) -> list[journal.Entry]:
        return self.journal.pending(flag_id=flag_id)

    def recent(self, actor: str, limit: int = 10) -> list[journal.Entry]:
        return self.journal.recent(actor=actor, limit=limit)
