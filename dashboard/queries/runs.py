"""运行与数据质量: nightly run history, reconciliation per file, quarantined rows (paged)."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.queries import scope
from dashboard.queries.scope import Clause, Page, PageOf
from dashboard.viewer import Viewer


def runs(con: duckdb.DuckDBPyConnection, viewer: Viewer, *, limit: int = 100) -> pd.DataFrame:
    where = scope.internal(viewer)
    return con.execute(
        "SELECT run_id, kind, started_at, finished_at, date_diff('second', started_at, finished_at) AS seconds,"
        " as_of, rule_pack_version, status, counts::VARCHAR AS counts, errors::VARCHAR AS errors"
        f" FROM runs WHERE {where.sql} ORDER BY run_id DESC LIMIT ?",
        [*where.params, limit],
    ).df()


def load_files(con: duckdb.DuckDBPyConnection, viewer: Viewer, page: Page) -> PageOf:
    """Reconciliation per file: rows read = loaded + quarantined, newest loads first."""
    where = scope.internal(viewer)
    total = con.execute(f"SELECT count(*) FROM load_files WHERE {where.sql}", list(where.params)).fetchone()
    df = con.execute(
        "SELECT lf.load_id, l.started_at, lf.file_name, lf.platform, lf.record, lf.rows_read, lf.rows_loaded,"
        " lf.rows_quarantined, lf.rows_read = lf.rows_loaded + lf.rows_quarantined AS reconciled, lf.outcome,"
        " lf.message FROM load_files lf LEFT JOIN loads l ON l.load_id = lf.load_id"
        f" WHERE {where.sql} ORDER BY lf.load_id DESC, lf.file_name LIMIT ? OFFSET ?",
        [*where.params, page.limit, page.offset],
    ).df()
    return PageOf(df, int(total[0]) if total else 0, page)


def quarantine(con: duckdb.DuckDBPyConnection, viewer: Viewer, page: Page, file_name: str | None = None) -> PageOf:
    where = scope.internal(viewer)
    if file_name:
        where = where & Clause("q.file_name = ?", (file_name,))
    total = con.execute(f"SELECT count(*) FROM quarantine q WHERE {where.sql}", list(where.params)).fetchone()
    df = con.execute(
        "SELECT q.load_id, q.file_name, q.row_number, q.reason, q.column_name, q.hint, q.raw"
        f" FROM quarantine q WHERE {where.sql} ORDER BY q.load_id DESC, q.file_name, q.row_number LIMIT ? OFFSET ?",
        [*where.params, page.limit, page.offset],
    ).df()
    return PageOf(df, int(total[0]) if total else 0, page)


def quarantine_files(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> list[str]:
    where = scope.internal(viewer)
    return [r[0] for r in con.execute(
        f"SELECT DISTINCT file_name FROM quarantine WHERE {where.sql} ORDER BY 1", list(where.params)).fetchall()]
