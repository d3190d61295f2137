"""The overview: counts by department, category and week; worst departments; the last run's changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from dashboard.queries import scope
from dashboard.viewer import Viewer

# Deductions per open flag for the ranking on the overview (100 points, floor 0). The monthly grade
# of record comes from the audit's scoring when the database holds one.
RED_DEDUCTION = 2.0
YELLOW_DEDUCTION = 0.5
_OPEN = "f.active AND f.state IN ('open', 'acknowledged', 'rectifying')"


def totals(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> dict[str, int]:
    where = scope.flags(viewer)
    row = con.execute(
        f"SELECT count(*) FILTER (level = 'red'), count(*) FILTER (level = 'yellow'),"
        f" count(*) FILTER (state = 'rectifying') FROM flags f WHERE {_OPEN} AND {where.sql}",
        list(where.params),
    ).fetchone()
    red, yellow, rectifying = (int(v or 0) for v in (row or (0, 0, 0)))
    return {"red": red, "yellow": yellow, "rectifying": rectifying}


def by_department(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> pd.DataFrame:
    """Open red and yellow flags per department, with every visible department listed."""
    where = scope.flags(viewer)
    dept_where = scope.departments(viewer, "d.dept_code")
    return con.execute(
        f"""
        WITH counts AS (
            SELECT f.dept_code, count(*) FILTER (f.level = 'red') AS red,
                   count(*) FILTER (f.level = 'yellow') AS yellow
            FROM flags f WHERE {_OPEN} AND {where.sql} GROUP BY f.dept_code
        )
        SELECT d.dept_code, d.name AS dept_name, coalesce(c.red, 0) AS red, coalesce(c.yellow, 0) AS yellow,
               greatest(0, 100 - {RED_DEDUCTION} * coalesce(c.red, 0) - {YELLOW_DEDUCTION} * coalesce(c.yellow, 0))
                   AS score
        FROM departments d LEFT JOIN counts c ON c.dept_code = d.dept_code
        WHERE {dept_where.sql}
        ORDER BY score, d.dept_code
        """,
        [*where.params, *dept_where.params],
    ).df()


def by_category(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> pd.DataFrame:
    where = scope.flags(viewer)
    return con.execute(
        f"SELECT f.category, f.level, count(*) AS flags FROM flags f WHERE {_OPEN} AND {where.sql}"
        " GROUP BY ALL ORDER BY ALL",
        list(where.params),
    ).df()


def by_week(con: duckdb.DuckDBPyConnection, viewer: Viewer, *, weeks: int = 26) -> pd.DataFrame:
    """Flags raised per week by level (the newest ``weeks`` weeks that have any)."""
    where = scope.flags(viewer)
    return con.execute(
        f"""
        WITH w AS (
            SELECT date_trunc('week', f.first_seen_at)::DATE AS week, f.level, count(*) AS flags
            FROM flags f WHERE {where.sql} GROUP BY ALL
        )
        SELECT * FROM w WHERE week >= (SELECT max(week) FROM w) - INTERVAL (?) WEEK ORDER BY week, level
        """,
        [*where.params, weeks],
    ).df()


def worst_departments(con: duckdb.DuckDBPyConnection, viewer: Viewer, *, limit: int = 5) -> pd.DataFrame:
    """The lowest monthly scores of record (``dept_scores``, written by the nightly batch) for the
    newest month scored; empty when nothing has been scored yet."""
    where = scope.departments(viewer, "s.dept_code")
    return con.execute(
        "SELECT s.month, s.dept_code, d.name AS dept_name, s.score, s.grade, s.red, s.yellow, s.explanation"
        " FROM dept_scores s LEFT JOIN departments d ON d.dept_code = s.dept_code"
        f" WHERE s.month = (SELECT max(month) FROM dept_scores) AND {where.sql}"
        " ORDER BY s.score, s.dept_code LIMIT ?",
        [*where.params, limit],
    ).df()


@dataclass(frozen=True)
class RunChanges:
    run: dict[str, Any] | None
    counts: dict[str, int]
    rows: pd.DataFrame


def last_run_changes(con: duckdb.DuckDBPyConnection, viewer: Viewer, *, limit: int = 50) -> RunChanges:
    """Flags the last finished run raised, escalated, re-raised or cleared."""
    run_df = con.execute(
        "SELECT run_id, kind, started_at, finished_at, as_of, status FROM runs"
        " WHERE status <> 'failed' ORDER BY run_id DESC LIMIT 1").df()
    if run_df.empty:
        return RunChanges(None, {}, pd.DataFrame())
    run = run_df.iloc[0].to_dict()
    where = scope.flags(viewer)
    since = con.execute("SELECT coalesce(max(entry_no), 0) FROM history_anchors WHERE run_id < ?",
                        [int(run["run_id"])]).fetchone()
    base = (f"FROM flag_history h JOIN flags f ON f.flag_id = h.flag_id LEFT JOIN departments d"
            f" ON d.dept_code = f.dept_code WHERE h.entry_no > ? AND h.action IN ('raise', 'escalate', 'reraise',"
            f" 'clear') AND h.actor LIKE 'system:%'"
            f" AND TRY_CAST(json_extract_string(h.detail, '$.run_id') AS BIGINT) = ?"
            f" AND {where.sql}")
    params = [int(since[0]) if since else 0, int(run["run_id"]), *where.params]
    counts = dict(con.execute(f"SELECT h.action, count(*) {base} GROUP BY h.action", params).fetchall())
    rows = con.execute(
        f"SELECT h.action, f.level, f.title, f.case_id, d.name AS dept_name, f.flag_id {base}"
        " ORDER BY CASE h.action WHEN 'escalate' THEN 1 WHEN 'raise' THEN 2 WHEN 'reraise' THEN 3 ELSE 4 END,"
        " h.entry_no LIMIT ?",
        [*params, limit],
    ).df()
    return RunChanges(run, {str(k): int(v) for k, v in counts.items()}, rows)


def as_of(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The audit time of the newest successful run."""
    rows = con.execute("SELECT max(as_of) FROM runs WHERE status <> 'failed'").fetchall()
    return rows[0][0] if rows else None
