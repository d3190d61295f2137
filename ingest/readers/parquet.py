"""Parquet: read by DuckDB's ``read_parquet``; every column cast to text (nested values as JSON).

Row numbers are the file's own row numbers (``file_row_number`` + 1). Typed timestamp and date
columns arrive as ISO text, which the normaliser accepts besides the mapping's formats.
"""

from __future__ import annotations

from typing import ClassVar

import duckdb

from ingest.mapping import FileEntry
from ingest.readers.base import Stage, Stager
from ingest.sources import SourceFile
from ingest.sql import first, ident

FIX_HINT = "从平台重新导出该 Parquet 文件后再载入"
NESTED = ("[]", "STRUCT", "MAP", "UNION")


def read_schema(source: SourceFile, stager: Stager) -> list[tuple[str, str]]:
    if "parquet-schema" not in source.cache:
        try:
            rows = stager.side().execute(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($path))",
                {"path": str(source.path)},
            ).fetchall()
        except duckdb.Error as exc:
            raise source.refuse(f"Parquet 文件已损坏或不完整：{str(exc).splitlines()[0]}", FIX_HINT) from None
        source.cache["parquet-schema"] = [(str(n), str(t)) for n, t in rows]
    schema: list[tuple[str, str]] = source.cache["parquet-schema"]
    return schema


class ParquetReader:
    FORMAT: ClassVar[str] = "parquet"

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]:
        return {"": [name for name, _ in read_schema(source, stager)]}

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]:
        schema = read_schema(source, stager)
        names = [f"c{i}" for i in range(1, len(schema) + 1)]
        casts = ", ".join(
            (f"to_json({ident(col)})::VARCHAR" if any(m in kind for m in NESTED) else f"CAST({ident(col)} AS VARCHAR)")
            + f" AS {ident(name)}"
            for (col, kind), name in zip(schema, names, strict=True)
        )
        side = stager.side()
        staged = stager.name("parquet")
        try:
            side.execute(
                f"CREATE TABLE {ident(staged)} AS SELECT file_row_number + 1 AS _row, NULL::VARCHAR AS _err,"
                f" NULL::VARCHAR AS _hint, NULL::VARCHAR AS _raw{', ' + casts if casts else ''}"
                f" FROM read_parquet($path, file_row_number = true)",
                {"path": str(source.path)},
            )
        except duckdb.Error as exc:
            raise source.refuse(f"Parquet 文件无法读取：{str(exc).splitlines()[0]}", FIX_HINT) from None
        table = stager.transfer(f"SELECT * FROM {ident(staged)}")
        count = first(side, f"SELECT count(*) FROM {ident(staged)}")
        stager.reset_side()
        columns: dict[str, str] = {}
        for (col, _), name in zip(schema, names, strict=True):
            columns.setdefault(col, name)
        return {"": Stage(table, columns, int(count[0] if count else 0), typed_cells=True)}
