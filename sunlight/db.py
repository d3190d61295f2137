"""The DuckDB database: opening, versioned migrations, and small helpers.

Migrations are the numbered ``NNNN_name.sql`` files in ``sunlight/migrations``. Opening a database
applies every one it lacks (by number, in order), each in its own transaction, and records them in
``schema_migrations``.
A database written by a newer Sunlight (a migration number this code does not know) is refused
with a message naming both versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from sunlight.errors import Location, SchemaError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with this code, in order."""
    found: list[Migration] = []
    for entry in resources.files("sunlight.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def latest_version() -> int:
    return migrations()[-1].version


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The database's schema version, or None for an empty database."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "schema_migrations" not in tables:
        if tables:
            raise SchemaError(
                "this DuckDB file holds tables but is not a Sunlight database",
                hint="give --db a new file name, or the database that `sunlight ingest` created",
            )
        return None
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def migrate(con: duckdb.DuckDBPyConnection, *, path: str | Path | None = None) -> list[Migration]:
    """Apply every missing migration; return the ones applied."""
    current = schema_version(con)
    known = migrations()
    newest = known[-1].version
    if current is not None and current > newest:
        raise SchemaError(
            f"the database is at schema version {current}, newer than this Sunlight knows ({newest})",
            location=Location(file=path) if path else None,
            hint="install the Sunlight version that wrote this database, or a newer one",
        )
    if current is None:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp())"
        )
    done = {int(r[0]) for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied: list[Migration] = []
    for migration in known:
        if migration.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [migration.version, migration.name]
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise SchemaError(
                f"upgrading to schema version {migration.version} ({migration.name}) failed: {exc}",
                location=Location(file=path) if path else None,
                hint="the database is unchanged; keep a copy and report this error",
            ) from exc
        applied.append(migration)
    return applied


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a Sunlight database at ``path`` and bring its schema up to date.

    ``read_only`` opens without migrating and refuses a database that is not at the current version.
    """
    path = Path(path)
    if read_only:
        if not path.exists():
            raise SchemaError("database file not found", location=Location(file=path),
                              hint="run `sunlight ingest ... --db FILE` first")
        con = duckdb.connect(str(path), read_only=True)
        version = schema_version(con)
        if version != latest_version():
            con.close()
            raise SchemaError(
                f"the database is at schema version {version}, this Sunlight needs {latest_version()}",
                location=Location(file=path),
                hint=f"run `sunlight migrate --db {path}` to upgrade it",
            )
        return con
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise SchemaError(f"cannot open the database: {exc}", location=Location(file=path),
                          hint="another Sunlight process may be writing it; wait for it to finish") from exc
    migrate(con, path=path)
    return con


def memory() -> duckdb.DuckDBPyConnection:
    """A migrated in-memory database, for tests and rule dry runs."""
    con = duckdb.connect(":memory:")
    migrate(con)
    return con
