"""SQL helpers: quoted identifiers, bound parameters, results read to their end."""

from __future__ import annotations

import duckdb
import pytest

from ingest.sql import Params, first, ident, run


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("c1", '"c1"'), ("办件编号", '"办件编号"'), ('a"; DROP TABLE cases; --', '"a""; DROP TABLE cases; --"')],
)
def test_identifiers_are_quoted(name: str, quoted: str) -> None:
    assert ident(name) == quoted
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({ident(name)} INTEGER)")
    assert con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 't'").fetchall() == [(name,)]


def test_params_and_run_bind_only_what_a_statement_uses() -> None:
    params = Params()
    a, b = params.add("x'); DROP TABLE t; --"), params.add(2)
    assert (a, b) == ("$p1", "$p2")
    con = duckdb.connect()
    assert run(con, f"SELECT {a}", params.values).fetchall() == [("x'); DROP TABLE t; --",)]
    assert first(con, f"SELECT {b} + 1", params.values) == (3,)
    assert first(con, "SELECT 1 WHERE false") is None
