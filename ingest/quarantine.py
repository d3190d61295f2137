"""Reading the quarantine: rows that were not loaded, with the reason, the column and a hint.

Rows are written by :mod:`ingest.normalise` as part of a load; a corrected re-export of a file
replaces its quarantined rows together with its loaded ones, so the table always describes the
current state of every file.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ingest.fields import TARGETS
from ingest.sql import first


@dataclass(frozen=True)
class QuarantinedRow:
    load_id: int
    file_name: str
    record: str | None
    row_number: int
    column: str | None
    reason: str
    hint: str | None
    raw: str

    @property
    def record_label(self) -> str:
        return TARGETS[self.record].label if self.record and self.record in TARGETS else (self.record or "")


def count_rows(con: duckdb.DuckDBPyConnection, file_name: str | None = None) -> int:
    row = first(con, "SELECT count(*) FROM quarantine WHERE $f IS NULL OR file_name = $f", {"f": file_name})
    return int(row[0]) if row else 0


def list_rows(con: duckdb.DuckDBPyConnection, file_name: str | None = None, limit: int | None = None) -> list[QuarantinedRow]:
    """Quarantined rows (of one file, or all), oldest load first, in file and row order."""
    rows = con.execute(
        "SELECT load_id, file_name, record, row_number, column_name, reason, hint, raw FROM quarantine"
        " WHERE $f IS NULL OR file_name = $f ORDER BY load_id, file_name, record, row_number LIMIT $n",
        {"f": file_name, "n": limit if limit is not None else 2**62},
    ).fetchall()
    return [QuarantinedRow(int(r[0]), str(r[1]), r[2], int(r[3]), r[4], str(r[5]), r[6], str(r[7])) for r in rows]


def reasons(con: duckdb.DuckDBPyConnection, file_name: str | None = None) -> list[tuple[str, int]]:
    """How many rows were quarantined for each kind of reason (the reason up to its first quote)."""
    rows = con.execute(
        "SELECT split_part(split_part(reason, '「', 1), '：', 1) AS kind, count(*) FROM quarantine"
        " WHERE $f IS NULL OR file_name = $f GROUP BY kind ORDER BY count(*) DESC, kind",
        {"f": file_name},
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]
