"""Flags: the filtered, urgency-sorted list (paged in the database), one flag, its history and orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from dashboard import labels
from dashboard.queries import scope
from dashboard.queries.scope import Clause, Page, PageOf
from dashboard.viewer import Viewer

# Most urgent first: the most overdue, then red before yellow, then the fewest days left.
ORDERINGS: dict[str, str] = {
    "urgency": "f.days_overdue DESC NULLS LAST, (f.level = 'red') DESC, f.days_left ASC NULLS LAST,"
               " f.first_seen_at, f.flag_id",
    "newest": "f.first_seen_at DESC, f.flag_id",
    "oldest": "f.first_seen_at, f.flag_id",
    "department": "f.dept_code, f.days_overdue DESC NULLS LAST, f.flag_id",
    "rule": "f.rule_id, f.days_overdue DESC NULLS LAST, f.flag_id",
}
ORDERING_LABELS: dict[str, str] = {
    "urgency": "紧急程度（超期天数多、剩余天数少在前）",
    "newest": "入牌时间（新在前）",
    "oldest": "入牌时间（早在前）",
    "department": "部门",
    "rule": "规则",
}
_LIST_COLUMNS = """
    f.flag_id, f.level, f.state, f.category, f.rule_id, f.title, f.case_id, f.item_code,
    i.name AS item_name, f.dept_code, d.name AS dept_name, f.source_system, f.due_at, f.days_overdue,
    f.days_left, f.first_seen_at, f.last_seen_at, f.active, f.message
"""
_FROM = "flags f LEFT JOIN departments d ON d.dept_code = f.dept_code LEFT JOIN items i ON i.item_code = f.item_code"


@dataclass(frozen=True)
class FlagFilter:
    """What the user chose on the flags page; every field is optional."""

    levels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    depts: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    states: tuple[str, ...] = labels.ACTIVE_STATES
    seen_from: dt.date | None = None
    seen_to: dt.date | None = None
    active_only: bool = True
    case_id: str = ""

    def clause(self) -> Clause:
        parts = [
            scope.one_of("f.level", self.levels, labels.LEVELS),
            scope.one_of("f.category", self.categories, labels.CATEGORIES),
            scope.one_of("f.rule_id", self.rule_ids),
            scope.one_of("f.dept_code", self.depts),
            scope.one_of("f.source_system", self.platforms),
            scope.one_of("f.state", self.states, labels.STATES),
            scope.date_range("f.first_seen_at", self.seen_from, self.seen_to),
        ]
        if self.active_only:
            parts.append(Clause("f.active"))
        if self.case_id.strip():
            parts.append(Clause("contains(f.case_id, ?)", (self.case_id.strip(),)))
        return scope.all_of(parts)


def list_flags(con: duckdb.DuckDBPyConnection, viewer: Viewer, flt: FlagFilter, page: Page,
               order: str = "urgency") -> PageOf:
    """One page of the viewer's flags matching ``flt`` and the total count."""
    where = scope.flags(viewer) & flt.clause()
    total_row = con.execute(f"SELECT count(*) FROM flags f WHERE {where.sql}", list(where.params)).fetchone()
    total = int(total_row[0]) if total_row else 0
    rows = con.execute(
        f"SELECT {_LIST_COLUMNS} FROM {_FROM} WHERE {where.sql} "
        f"ORDER BY {scope.ordering(order, ORDERINGS, 'urgency')} LIMIT ? OFFSET ?",
        [*where.params, page.limit, page.offset],
    ).df()
    return PageOf(rows, total, page)


def get_flag(con: duckdb.DuckDBPyConnection, viewer: Viewer, flag_id: str) -> dict[str, Any] | None:
    """One flag with its evidence, or None when it does not exist or is outside the viewer's scope."""
    where = scope.flags(viewer) & Clause("f.flag_id = ?", (flag_id,))
    df = con.execute(
        f"SELECT {_LIST_COLUMNS}, f.evidence, f.yellow_at, f.red_at, f.rule_version, f.violation_code,"
        f" f.state_changed_at, f.state_changed_by, f.state_reason FROM {_FROM} WHERE {where.sql}",
        list(where.params),
    ).df()
    return None if df.empty else df.iloc[0].to_dict()


def flags_of_case(con: duckdb.DuckDBPyConnection, viewer: Viewer, case_id: str) -> pd.DataFrame:
    where = scope.flags(viewer) & Clause("f.case_id = ?", (case_id,))
    return con.execute(
        f"SELECT {_LIST_COLUMNS}, f.evidence, f.yellow_at, f.red_at FROM {_FROM} WHERE {where.sql} "
        f"ORDER BY {ORDERINGS['urgency']}",
        list(where.params),
    ).df()


def flag_history(con: duckdb.DuckDBPyConnection, viewer: Viewer, flag_id: str) -> pd.DataFrame:
    """The flag's history entries, oldest first (empty outside the viewer's scope)."""
    where = scope.flags(viewer) & Clause("f.flag_id = ?", (flag_id,))
    return con.execute(
        "SELECT h.entry_no, h.recorded_at, h.actor, h.action, h.from_state, h.to_state, h.level,"
        " h.detail::VARCHAR AS detail, h.hash FROM flag_history h JOIN flags f ON f.flag_id = h.flag_id"
        f" WHERE {where.sql} ORDER BY h.entry_no",
        list(where.params),
    ).df()


def orders_of_flag(con: duckdb.DuckDBPyConnection, viewer: Viewer, flag_id: str) -> pd.DataFrame:
    where = scope.flags(viewer) & scope.orders(viewer) & Clause("o.flag_id = ?", (flag_id,))
    return con.execute(
        "SELECT o.*, d.name AS dept_name FROM supervision_orders o JOIN flags f ON f.flag_id = o.flag_id"
        f" LEFT JOIN departments d ON d.dept_code = o.dept_code WHERE {where.sql} ORDER BY o.order_id",
        list(where.params),
    ).df()


@dataclass(frozen=True)
class FilterOptions:
    """The values each filter offers, limited to what the viewer may see."""

    rules: list[tuple[str, str]]
    depts: list[tuple[str, str]]
    platforms: list[str]
    first_seen: tuple[dt.date | None, dt.date | None]


def filter_options(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> FilterOptions:
    where = scope.flags(viewer)
    rules = con.execute(
        f"SELECT f.rule_id, any_value(f.title) FROM flags f WHERE {where.sql} GROUP BY f.rule_id ORDER BY 1",
        list(where.params),
    ).fetchall()
    dept_where = scope.departments(viewer, "d.dept_code")
    depts = con.execute(f"SELECT d.dept_code, d.name FROM departments d WHERE {dept_where.sql} ORDER BY 1",
                        list(dept_where.params)).fetchall()
    platforms = [r[0] for r in con.execute(
        f"SELECT DISTINCT f.source_system FROM flags f WHERE {where.sql} AND f.source_system IS NOT NULL ORDER BY 1",
        list(where.params)).fetchall()]
    span = con.execute(f"SELECT min(f.first_seen_at)::DATE, max(f.first_seen_at)::DATE FROM flags f WHERE {where.sql}",
                       list(where.params)).fetchone()
    return FilterOptions([(r[0], r[1]) for r in rules], [(r[0], r[1]) for r in depts], platforms,
                         (span[0], span[1]) if span else (None, None))
