"""Versioned migrations: create, reopen, refuse newer and foreign databases."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sunlight import db
from sunlight.errors import SchemaError


def test_new_database_is_at_latest_version(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "a.duckdb")
    assert db.schema_version(con) == db.latest_version()
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"items", "cases", "events", "officers", "discretion", "disclosures", "calendar",
            "loads", "load_files", "quarantine", "flags", "flag_history"} <= tables


def test_reopening_applies_nothing(tmp_path: Path) -> None:
    db.connect(tmp_path / "a.duckdb").close()
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    assert db.migrate(con) == []


def test_older_database_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp())")
    first = db.migrations()[0]
    con.execute(first.sql)
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [first.version, first.name])
    con.close()
    upgraded = db.connect(path)
    assert db.schema_version(upgraded) == db.latest_version()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    db.connect(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')")
    con.close()
    with pytest.raises(SchemaError, match="newer than this Sunlight knows"):
        db.connect(path)


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(SchemaError, match="not a Sunlight database"):
        db.connect(path)
