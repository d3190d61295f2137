"""Small helpers for the SQL that ingest generates.

Values always travel as named parameters (``$p1`` ...), collected by :class:`Params`, except in a
view's definition, which cannot take parameters: there they are quoted by :func:`literal`. The only
names that appear in SQL text are identifiers, and those are quoted by sqlglot (:func:`ident`) -
column names of source files included, so a header such as ``a"; DROP`` stays a harmless name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import duckdb
from sqlglot import exp


def ident(name: str) -> str:
    """A safely quoted DuckDB identifier."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


class Params:
    """Bound values of one statement; :meth:`add` returns the placeholder to write in the SQL."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"

    def merge(self, other: Params) -> None:
        clash = set(self.values) & set(other.values)
        if clash:
            raise ValueError(f"parameter names used twice: {sorted(clash)}")
        self.values.update(other.values)


def literal(value: Any) -> str:
    """A SQL literal, for statements that cannot take parameters (a view's definition)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(x) for x in value) + "]"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def join(parts: Iterable[str], sep: str = ",\n    ") -> str:
    return sep.join(parts)


_PLACEHOLDER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute ``sql`` with the parameters it uses (DuckDB refuses unused named parameters)."""
    used = set(_PLACEHOLDER.findall(sql))
    return con.execute(sql, {k: x for k, x in (values or {}).items() if k in used})


def first(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any] | list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (the result is read to its end, so the connection is free again)."""
    cursor = run(con, sql, values) if isinstance(values, dict) or values is None else con.execute(sql, values)
    rows = cursor.fetchall()
    return rows[0] if rows else None
