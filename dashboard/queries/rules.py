"""规则: the rule versions the database has seen and each rule's hits over time (scoped)."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.queries import scope
from dashboard.viewer import Viewer


def versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every recorded rule version (the rules are public: no scope)."""
    return con.execute(
        "SELECT rule_id, version, effective_from, kind, category, title, body::VARCHAR AS body, digest"
        " FROM rule_versions ORDER BY rule_id, version"
    ).df()


def hits_by_week(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> pd.DataFrame:
    """Flags raised per rule, week and level, within the viewer's scope."""
    where = scope.flags(viewer)
    return con.execute(
        "SELECT f.rule_id, date_trunc('week', f.first_seen_at)::DATE AS week, f.level, count(*) AS flags"
        f" FROM flags f WHERE {where.sql} GROUP BY ALL ORDER BY ALL",
        list(where.params),
    ).df()
