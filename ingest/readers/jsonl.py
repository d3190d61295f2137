"""JSON lines: one object per line, read by DuckDB.

Lines are read as text by ``read_csv`` (a JSON line cannot contain a raw control character, so the
unit separator never splits one), then each object's keys are extracted with
``json_extract_string`` in one pass. Nested values (arrays, objects) arrive as JSON text. The row
number is the line number; blank lines are not rows. A line that is not a JSON object is staged
with a reason.
"""

from __future__ import annotations

import codecs
import json
from typing import ClassVar

import duckdb

from ingest.mapping import FileEntry, LogEntry, _TableEntry
from ingest.readers.base import Stage, Stager
from ingest.sources import HEAD_BYTES, SourceFile
from ingest.sql import Params, first, ident

SAMPLE_LINES = 200
FIX_HINT = "修正或重新导出该文件后再次载入（同名文件会替换上次载入的内容）"


def json_path(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'$."{escaped}"'


def read_keys(source: SourceFile) -> list[str]:
    """Keys of the first objects of the file, in order of first appearance."""
    if "jsonl-keys" not in source.cache:
        with source.path.open("rb") as handle:
            head = handle.read(HEAD_BYTES * 4)
        text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(head)
        keys: dict[str, None] = {}
        for line in text.splitlines()[:SAMPLE_LINES]:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                keys.update(dict.fromkeys(value))
        source.cache["jsonl-keys"] = list(keys)
    found: list[str] = source.cache["jsonl-keys"]
    return found


class JsonLinesReader:
    FORMAT: ClassVar[str] = "jsonl"

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]:
        return {"": read_keys(source)}

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]:
        assert isinstance(entry, _TableEntry | LogEntry)
        wanted = entry.source_columns()
        side = stager.side()
        lines, extracted = stager.name("lines"), stager.name("json")
        try:
            side.execute(
                f"CREATE TABLE {ident(lines)} AS SELECT * FROM read_csv($path, header = false, delim = $delim,"
                f" quote = '', escape = '', columns = {{'line': 'VARCHAR'}}, auto_detect = false,"
                f" strict_mode = true, max_line_size = 16777216, encoding = 'utf-8')",
                {"path": str(source.path), "delim": "\x1f"},
            )
        except duckdb.Error as exc:
            detail = str(exc).splitlines()[0]
            raise source.refuse(f"无法按行读取 JSON lines 文件：{detail}", FIX_HINT) from None
        params = Params()
        paths = params.add([json_path(k) for k in wanted])
        not_json, not_object = params.add("不是有效的 JSON（该行可能被截断）"), params.add("不是 JSON 对象")
        raw_key = params.add("原始行")
        cols = ", ".join(f"j[{i}] AS {ident(f'c{i}')}" for i in range(1, len(wanted) + 1))
        side.execute(
            f"""CREATE TABLE {ident(extracted)} AS
            SELECT _row,
                   CASE WHEN NOT ok THEN {not_json} WHEN NOT obj THEN {not_object} END AS _err,
                   CASE WHEN NOT (ok AND obj) THEN {params.add(FIX_HINT)} END AS _hint,
                   CASE WHEN NOT (ok AND obj) THEN json_object({raw_key}, l)::VARCHAR END AS _raw
                   {', ' + cols if cols else ''}
            FROM (
                SELECT _row, l, ok, obj, CASE WHEN ok AND obj THEN json_extract_string(l, {paths}) END AS j
                FROM (
                    SELECT _row, l, json_valid(l) AS ok,
                           CASE WHEN json_valid(l) THEN json_type(l) = 'OBJECT' ELSE false END AS obj
                    FROM (SELECT rowid + 1 AS _row,
                                 CASE WHEN rowid = 0 THEN ltrim(line, chr(65279)) ELSE line END AS l
                          FROM {ident(lines)})
                    WHERE l IS NOT NULL AND trim(l) <> ''
                )
            )""",
            params.values,
        )
        names = [f"c{i}" for i in range(1, len(wanted) + 1)]
        table = stager.transfer(f"SELECT * FROM {ident(extracted)}")
        count = first(side, f"SELECT count(*) FROM {ident(extracted)}")
        stager.reset_side()
        return {"": Stage(table, dict(zip(wanted, names, strict=True)), int(count[0] if count else 0))}
