"""整改督办: per department, its open flags and supervision orders with feedback due dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from dashboard.queries import scope
from dashboard.queries.scope import Clause
from dashboard.viewer import Viewer

ORDER_STATUSES = ("issued", "answered", "accepted", "returned", "closed")
OPEN_ORDER_STATUSES = ("issued", "answered", "returned")


def departments(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> list[tuple[str, str]]:
    where = scope.departments(viewer, "d.dept_code")
    return [(r[0], r[1]) for r in con.execute(
        f"SELECT d.dept_code, d.name FROM departments d WHERE {where.sql} ORDER BY d.dept_code",
        list(where.params)).fetchall()]


def summary(con: duckdb.DuckDBPyConnection, viewer: Viewer, today: dt.date) -> pd.DataFrame:
    """Per visible department: open red and yellow flags, orders awaiting feedback, overdue feedback."""
    dept_where = scope.departments(viewer, "d.dept_code")
    return con.execute(
        f"""
        WITH f AS (
            SELECT dept_code, count(*) FILTER (level = 'red') AS red, count(*) FILTER (level = 'yellow') AS yellow
            FROM flags WHERE active AND state IN ('open', 'acknowledged', 'rectifying') GROUP BY dept_code
        ), o AS (
            SELECT dept_code, count(*) FILTER (status IN ('issued', 'returned')) AS awaiting,
                   count(*) FILTER (status = 'answered') AS answered,
                   count(*) FILTER (status IN ('issued', 'returned') AND feedback_due < ?) AS overdue
            FROM supervision_orders GROUP BY dept_code
        )
        SELECT d.dept_code, d.name AS dept_name, coalesce(f.red, 0) AS red, coalesce(f.yellow, 0) AS yellow,
               coalesce(o.awaiting, 0) AS awaiting, coalesce(o.answered, 0) AS answered,
               coalesce(o.overdue, 0) AS overdue
        FROM departments d LEFT JOIN f ON f.dept_code = d.dept_code LEFT JOIN o ON o.dept_code = d.dept_code
        WHERE {dept_where.sql} ORDER BY overdue DESC, red DESC, d.dept_code
        """,
        [today, *dept_where.params],
    ).df()


def orders(con: duckdb.DuckDBPyConnection, viewer: Viewer, dept_code: str | None,
           statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    """Supervision orders addressed to ``dept_code`` (all visible ones when None), newest first."""
    where = scope.orders(viewer) & scope.one_of("o.status", statuses, ORDER_STATUSES)
    if dept_code:
        where = where & Clause("o.dept_code = ?", (dept_code,))
    return con.execute(
        "SELECT o.order_id, o.flag_id, o.dept_code, d.name AS dept_name, o.issued_by, o.issued_at, o.feedback_due,"
        " o.instructions, o.status, o.answer, o.answered_by, o.answered_at, o.reviewed_by, o.reviewed_at,"
        " o.review_note, f.title, f.level, f.case_id, f.state AS flag_state, f.message"
        " FROM supervision_orders o JOIN flags f ON f.flag_id = o.flag_id"
        f" LEFT JOIN departments d ON d.dept_code = o.dept_code WHERE {where.sql}"
        " ORDER BY CASE o.status WHEN 'issued' THEN 1 WHEN 'returned' THEN 2 WHEN 'answered' THEN 3 ELSE 4 END,"
        " o.feedback_due, o.order_id",
        list(where.params),
    ).df()


def get_order(con: duckdb.DuckDBPyConnection, viewer: Viewer, order_id: int) -> dict[str, Any] | None:
    where = scope.orders(viewer) & Clause("o.order_id = ?", (int(order_id),))
    df = con.execute(f"SELECT o.* FROM supervision_orders o WHERE {where.sql}", list(where.params)).df()
    return None if df.empty else df.iloc[0].to_dict()
