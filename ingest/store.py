"""Ingest bookkeeping in the database: loads, per-file reconciliation, replacing a re-export,
event sequence numbers and the working-day calendar.

A file's identity is its base name. Loading a file whose last successful load had the same sha256
changes nothing (outcome ``unchanged``); a new sha256 first deletes every row that file loaded
before, and its quarantined rows (outcome ``replaced``).

Sequence numbers: within a case, events are numbered 1.. by local time; events at the same time
keep source order - the load that brought them, then the file's position in that load, then the
row in the file. Events get their ``seq`` when they are inserted (numbered within the part that
brings them); a case that already had events, gains events from more than one part or loses events
is noted as touched and renumbered as a whole after the load.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from ingest.normalise import TOUCHED
from ingest.sql import first
from sunlight import __version__
from sunlight.calendar import ensure_calendar
from sunlight.config import Settings

CANONICAL_TABLES = ("departments", "items", "officers", "discretion", "cases", "events", "disclosures")


@dataclass(frozen=True)
class Previous:
    load_id: int
    sha256: str


def local_now(settings: Settings) -> dt.datetime:
    return dt.datetime.now(settings.tz).replace(tzinfo=None)


def start_load(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    row = first(con, "SELECT nextval('load_seq')")
    assert row is not None
    load_id = int(row[0])
    con.execute("INSERT INTO loads (load_id, started_at, status, timezone, version) VALUES (?, ?, 'committed', ?, ?)",
                [load_id, local_now(settings), settings.timezone, __version__])
    return load_id


def finish_load(con: duckdb.DuckDBPyConnection, load_id: int, settings: Settings) -> None:
    con.execute("UPDATE loads SET finished_at = ? WHERE load_id = ?", [local_now(settings), load_id])


def previous(con: duckdb.DuckDBPyConnection, file_name: str) -> Previous | None:
    """The last load that loaded (or replaced) ``file_name``."""
    row = first(
        con, "SELECT load_id, sha256 FROM load_files WHERE file_name = ? AND outcome IN ('loaded', 'replaced')"
        " ORDER BY load_id DESC LIMIT 1", [file_name])
    return Previous(int(row[0]), str(row[1])) if row else None


def delete_file_rows(con: duckdb.DuckDBPyConnection, file_name: str) -> int:
    """Delete everything ``file_name`` loaded before (and its quarantined rows); return the count.

    The cases that lose events are noted for :func:`renumber`.
    """
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} (case_id VARCHAR)")
    con.execute(f"INSERT INTO {TOUCHED} SELECT DISTINCT case_id FROM events WHERE source_file = ?", [file_name])
    deleted = 0
    for table in CANONICAL_TABLES:
        row = first(con, f"DELETE FROM {table} WHERE source_file = ?", [file_name])
        deleted += int(row[0]) if row else 0
    con.execute("DELETE FROM quarantine WHERE file_name = ?", [file_name])
    return deleted


def record_file(con: duckdb.DuckDBPyConnection, load_id: int, file_no: int, row: dict[str, Any]) -> None:
    con.execute(
        "INSERT INTO load_files (load_id, file_name, sha256, platform, record, rows_read, rows_loaded,"
        " rows_quarantined, outcome, message, file_no, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, row["file_name"], row["sha256"], row["platform"], row["record"], row["read"], row["loaded"],
         row["quarantined"], row["outcome"], row["message"], file_no, json.dumps(row["detail"], ensure_ascii=False)],
    )


def renumber(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``seq`` for every case touched by this load; return how many cases.

    A case is touched when it lost events or gained events while it already had some (from an
    earlier load or an earlier part of this one); the events of every other case this load brought
    were numbered when they were inserted.
    """
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} (case_id VARCHAR)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_touched_cases AS SELECT DISTINCT case_id FROM {TOUCHED}")
    row = first(con, "SELECT count(*) FROM _ingest_touched_cases")
    touched = int(row[0]) if row else 0
    if not touched:
        con.execute("DROP TABLE _ingest_touched_cases")
        return 0
    con.execute(
        """UPDATE events SET seq = r.seq
           FROM (SELECT e.event_id,
                        row_number() OVER (PARTITION BY e.case_id
                                           ORDER BY e.ts, e.load_id, coalesce(f.file_no, 0), e.source_row) AS seq
                 FROM events e
                 JOIN _ingest_touched_cases t ON t.case_id = e.case_id
                 LEFT JOIN load_files f ON f.load_id = e.load_id AND f.file_name = e.source_file) AS r
           WHERE events.event_id = r.event_id AND events.seq <> r.seq"""
    )
    con.execute("DROP TABLE _ingest_touched_cases")
    return touched


def date_range(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[dt.date, dt.date] | None:
    """First and last local date of the times loaded by ``load_id``."""
    row = first(
        con, """SELECT min(x)::DATE, max(x)::DATE FROM (
             SELECT unnest([submitted_at, accepted_at, closed_at]) AS x FROM cases WHERE load_id = $l
             UNION ALL SELECT ts FROM events WHERE load_id = $l
             UNION ALL SELECT unnest([published_at, withdrawn_at]) FROM disclosures WHERE load_id = $l)""",
        {"l": load_id},
    )
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def cover_calendar(con: duckdb.DuckDBPyConnection, load_id: int, settings: Settings) -> range | None:
    """Extend the calendar over every date this load brought (a CalendarError stops the run)."""
    span = date_range(con, load_id)
    if span is None:
        return None
    return ensure_calendar(con, span[0], span[1], settings.calendar_override)
