"""``sunlight watch``: the live engine on a database, fed as events arrive.

On start the watcher replays everything the database holds up to now (so the engine knows every
case), writes the findings as a ``live`` run, and then loops. Each cycle:

1. collects what arrived: files platforms dropped into the inbox (loaded by the ingest engine,
   exactly as ``sunlight ingest`` would) and JSON lines of canonical events on standard input
   (stored in the database too, so the nightly batch audits the same events);
2. feeds the new rows to the engine, ticks the clock to the wall-clock time, and
3. if any finding changed, applies the whole current set through :mod:`audit.flags` (same
   lifecycle, same hash-chained history; actor ``system:live``).

The database is opened only for a cycle's transaction, under the cooperating writers' lock
(:func:`audit.journal.writer_lock`), so the dashboard and inspectors' actions keep working between
cycles. While the nightly batch works on a copy (its journal says a snapshot is open) the watcher
writes nothing and holds what arrives; once the copy is swapped in it rebuilds its engine from
the database. A cycle whose transaction fails is rolled back and the engine is rebuilt from the
database on the next one; nothing half-applied remains. Findings are written whenever one
changed, and at least once a day (rule exceptions expire, the audit time moves on).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb
from sqlglot import exp

from audit import journal
from audit.exceptions import load_exceptions
from audit.live.calendar import WorkCalendar
from audit.live.compile import CompiledPack
from audit.live.engine import LiveEngine, partitions_for
from audit.live.feed import KEYS, TABLES, Snapshot, event_digest, read_duckdb, read_jsonl, replay
from audit.live.model import Reference, Row
from audit.live.store import apply_live
from audit.rules.loader import default_exceptions_dir
from sunlight import __version__, db
from sunlight import calendar as core_calendar
from sunlight.config import Settings
from sunlight.errors import IngestError, Location

Clock = Callable[[], dt.datetime]
Say = Callable[[str], None]
STDIN_FILE = "stdin"
REFERENCE = ("items", "officers", "discretion")


@dataclass
class Arrivals:
    """What one cycle brings: inbox files and canonical rows from standard input."""

    files: list[Path] = field(default_factory=list)
    rows: list[tuple[str, Row]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files or self.rows)


class StdinReader(threading.Thread):
    """Reads JSON lines from a stream into a queue (the engine stays on the main thread)."""

    def __init__(self, stream: IO[str], lines: queue.Queue[str | None]) -> None:
        super().__init__(name="sunlight-watch-stdin", daemon=True)
        self.stream, self.lines = stream, lines

    def run(self) -> None:
        for line in self.stream:
            self.lines.put(line)
        self.lines.put(None)


class Inbox:
    """New or changed files in a folder, once their size has stopped changing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: dict[Path, tuple[int, int]] = {}
        self.pending: dict[Path, tuple[int, int]] = {}

    def scan(self, *, final: bool = False) -> list[Path]:
        """Files that are new or changed and have stopped growing (``final``: all of them now)."""
        ready: list[Path] = []
        if not self.folder.is_dir():
            return ready
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or any(part.startswith(".") for part in path.relative_to(self.folder).parts):
                continue
            stat = path.stat()
            mark = (stat.st_size, stat.st_mtime_ns)
            if self.seen.get(path) == mark:
                continue
            if final or self.pending.get(path) == mark:
                ready.append(path)
                self.seen[path] = mark
                self.pending.pop(path, None)
            else:
                self.pending[path] = mark
        return ready


class Watcher:
    """One watch session: the engine, its database, and the cycle."""

    def __init__(self, db_path: Path, pack: CompiledPack, settings: Settings, *, clock: Clock,
                 say: Say = lambda text: None) -> None:
        self.db_path, self.pack, self.settings = db_path, pack, settings
        self.clock, self.say = clock, say
        self.engine: LiveEngine | None = None
        self.last_load = 0
        self.calendar_span: tuple[dt.date, dt.date] | None = None
        self.cycles = 0
        self.applied_on: dt.date | None = None
        self.held = Arrivals()
        self.waiting = False
        self.exceptions = load_exceptions(settings.exceptions_dir or default_exceptions_dir(),
                                          {live.rule_id for live in pack.rules} | {r for r, _ in pack.not_covered})

    def close(self) -> None:
        """Drop the engine (the next cycle rebuilds it from the database)."""
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    # --- one cycle -----------------------------------------------------------------------------

    def cycle(self, arrivals: Arrivals) -> bool:
        """Take in ``arrivals``, tick to now and write the findings if they changed; True if written.

        While the nightly batch works on a copy of the database (its journal says a snapshot is
        open), nothing is written: a write would make the batch refuse to swap its copy in.
        Arrivals wait, and once the copy has replaced the database the engine is rebuilt from it.
        """
        now = self.clock()
        self.held.files += arrivals.files
        self.held.rows += arrivals.rows
        if journal.Journal(self.db_path).get_meta("snapshot_open"):
            if not self.waiting:
                self.say("夜间批量审计正在进行，实时写入暂停 / the nightly batch is running: live writes wait")
            self.waiting = True
            return False
        if self.waiting:
            self.waiting = False
            self.close()  # the database was replaced by the nightly copy: start again from it
        arrivals, self.held = self.held, Arrivals()
        if self.engine is not None and not arrivals and not self._due(now):
            return False
        with journal.writer_lock(self.db_path):
            con = db.connect(self.db_path)
            try:
                con.execute("BEGIN TRANSACTION")
                written = self._cycle(con, arrivals, now)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                self.close()
                self.held = arrivals  # keep what arrived for the next cycle
                raise
            finally:
                con.close()
        self.cycles += 1
        return written

    def _cycle(self, con: duckdb.DuckDBPyConnection, arrivals: Arrivals, now: dt.datetime) -> bool:
        if arrivals.files:
            self._ingest(con, arrivals.files)
        if arrivals.rows:
            self._store_rows(con, arrivals.rows, now)
        fresh = self.engine is None
        if fresh:
            self._start(con, now)
        else:
            self._feed_new(con)
        engine = self.engine
        assert engine is not None
        engine.tick(now)
        changed = engine.drain_changed()
        if not (fresh or changed or now.date() != self.applied_on):
            return False  # written at least daily: exceptions expire, the audit time moves on
        run_id, stats = apply_live(con, self.pack, engine.findings(), as_of=now, recorded_at=now,
                                   exceptions=self.exceptions)
        self.applied_on = now.date()
        self.say(f"{now:%Y-%m-%d %H:%M:%S} 实时审计 run {run_id}：{len(changed)} 个对象有变化，"
                 f"入牌 {stats.raised}、升级 {stats.escalated}、复现 {stats.reraised}、消除 {stats.cleared}")
        return True

    def _due(self, now: dt.datetime) -> bool:
        engine = self.engine
        if engine is None or now.date() != self.applied_on:
            return True
        return any((s.next_recheck() or dt.datetime.max) <= now for s in engine.cases.values())

    # --- the engine and the database -----------------------------------------------------------------

    def _start(self, con: duckdb.DuckDBPyConnection, now: dt.datetime) -> None:
        snapshot = read_duckdb(con)
        self._cover(con, snapshot, now)
        reference = Reference(WorkCalendar.from_duckdb(con))
        self.engine = LiveEngine(self.pack, reference, partitions=partitions_for(2 * len(snapshot.cases)))
        replay(self.engine, snapshot, now)
        self.last_load = _max_load(con)
        self.say(f"已载入 {len(snapshot.cases)} 个办件、{len(snapshot.events)} 个环节（截至 {now:%Y-%m-%d %H:%M}）")

    def _feed_new(self, con: duckdb.DuckDBPyConnection) -> None:
        engine = self.engine
        assert engine is not None
        newest = _max_load(con)
        if newest <= self.last_load:
            return
        fresh = Snapshot()
        for table in TABLES:
            query = exp.select("*").from_(table).where(exp.column("load_id") > exp.Placeholder())
            cursor = con.execute(query.sql(dialect="duckdb"), [self.last_load])
            names = [d[0] for d in cursor.description]
            for values in cursor.fetchall():
                fresh.add(table, dict(zip(names, values)))
        calendar_changed = self._cover(con, fresh, engine.clock)
        if calendar_changed:
            engine.reference.calendar = WorkCalendar.from_duckdb(con)
        if any(getattr(fresh, t) for t in REFERENCE) or calendar_changed:
            everything = read_duckdb(con, tables=REFERENCE)
            engine.set_reference(items=everything.items, officers=everything.officers,
                                 discretion=everything.discretion)
        for row in fresh.cases:
            engine.add_case(row)
        for row in fresh.disclosures:
            engine.add_disclosure(row)
        # A load renumbers the events of every case it touched: feed those cases' events again.
        touched = sorted({e["case_id"] for e in fresh.events})
        if touched:
            cursor = con.execute("SELECT * FROM events WHERE list_contains(?, case_id) ORDER BY case_id, seq",
                                 [touched])
            names = [d[0] for d in cursor.description]
            for values in cursor.fetchall():
                engine.add_event(dict(zip(names, values)))
        self.last_load = newest

    def _cover(self, con: duckdb.DuckDBPyConnection, snapshot: Snapshot, now: dt.datetime) -> bool:
        """Make the calendar cover the snapshot's dates and today; True when it had to grow."""
        span = snapshot.span()
        first, last = (min(span[0], now.date()), max(span[1], now.date())) if span else (now.date(), now.date())
        row = con.execute("SELECT min(day), max(day) FROM calendar").fetchone()
        if row and row[0] is not None and row[0] <= first and row[1] >= last:
            return False
        core_calendar.ensure_calendar(con, first, last, self.settings.calendar_override)
        return True

    def _ingest(self, con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
        from ingest.api import ingest_paths

        report = ingest_paths(con, files, self.settings)
        totals = report.totals
        self.say(f"已导入收件箱文件 {len(files)} 个：读 {totals.read} 行，载入 {totals.loaded} 行，"
                 f"隔离 {totals.quarantined} 行" + ("（有需要处理的问题，见 sunlight quarantine）"
                                                   if report.needs_attention else ""))

    def _store_rows(self, con: duckdb.DuckDBPyConnection, rows: list[tuple[str, Row]], now: dt.datetime) -> None:
        """Store canonical rows from standard input as one load; an event without ``seq`` gets the
        next number of its case (events of one case arrive in order)."""
        load_row = con.execute("SELECT nextval('load_seq')").fetchone()
        load_id = int(load_row[0]) if load_row else 0
        con.execute("INSERT INTO loads (load_id, started_at, finished_at, status, timezone, version) "
                    "VALUES (?, ?, ?, 'committed', ?, ?)", [load_id, now, now, self.settings.timezone, __version__])
        last: dict[str, int] = {}
        for number, (table, row) in enumerate(rows, start=1):
            if table == "events":
                case_id = row["case_id"]
                if case_id not in last:
                    found = con.execute("SELECT coalesce(max(seq), 0) FROM events WHERE case_id = ?",
                                        [case_id]).fetchone()
                    last[case_id] = int(found[0]) if found else 0
                if row.get("seq") is None:
                    row["seq"] = last[case_id] + 1
                last[case_id] = max(last[case_id], int(row["seq"]))
                row.setdefault("source_activity", row["activity"])
                if row.get("event_id") is None:
                    row["event_id"] = event_digest(row)
            record = {**row, "source_file": STDIN_FILE, "source_row": number, "load_id": load_id}
            if table in ("cases", "events", "disclosures"):
                record.setdefault("source_system", "live")
            _upsert(con, table, record)


def _max_load(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchone()
    return int(row[0]) if row else 0


def _upsert(con: duckdb.DuckDBPyConnection, table: str, record: Row) -> None:
    """Replace the row with ``record``'s key in ``table`` by ``record`` (columns checked first)."""
    known = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()]
    unknown = sorted(set(record) - set(known))
    if unknown:
        raise IngestError(f"表 {table} 没有列 {', '.join(unknown)}", location=Location(file=STDIN_FILE),
                          hint="标准输入的每行须是规范化记录：列名见 sunlight/migrations 中的表定义")
    keys = KEYS[table]
    where = exp.and_(*(exp.column(k).eq(exp.Placeholder()) for k in keys))
    con.execute(exp.delete(table, where=where).sql(dialect="duckdb"), [record.get(k) for k in keys])
    names = list(record)
    values = exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in names])])
    con.execute(exp.insert(values, table, columns=names).sql(dialect="duckdb"), [record[n] for n in names])


def run(watcher: Watcher, *, inbox: Path | None, stream: IO[str] | None, tick: float, once: bool = False,
        stop: threading.Event | None = None) -> int:
    """The watch loop; returns the number of cycles that wrote findings."""
    lines: queue.Queue[str | None] = queue.Queue()
    if stream is not None:
        StdinReader(stream, lines).start()
    folder = Inbox(inbox) if inbox is not None else None
    stop = stop or threading.Event()
    written = 0
    stream_open = stream is not None
    next_tick = 0.0
    try:
        while not stop.is_set():
            arrivals = Arrivals()
            timeout = max(0.0, next_tick - time.monotonic())
            if stream_open:
                try:
                    line = lines.get(timeout=timeout)
                    while True:
                        if line is None:
                            stream_open = False
                            break
                        arrivals.rows.extend(read_jsonl([line], timezone=watcher.settings.tz, source="stdin"))
                        line = lines.get_nowait()
                except queue.Empty:
                    pass
            else:
                stop.wait(timeout)
            if folder is not None:
                arrivals.files = folder.scan(final=once)
            if arrivals or time.monotonic() >= next_tick:
                written += int(watcher.cycle(arrivals))
                next_tick = time.monotonic() + tick
            if once and not stream_open:
                break
    finally:
        watcher.close()
    return written

