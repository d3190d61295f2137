"""JSON lines: one object per line, read by DuckDB.

Lines are read as text by ``read_csv`` (a JSON line cannot contain a raw control character, so the
unit separator never splits one), then each object's keys are extracted with
``json_extract_string`` in one pass. Nested values (arrays, objects) arrive as JSON text. The row
number is the line number; blank lines are not rows. A line that is not a JSON object is staged
with a reason. The lines are read in full on the side connection first (a file DuckDB cannot read
as lines - invalid UTF-8, a line over 8 MB - is refused there); the stage is a view on the main
connection that reads and extracts them with the same options.
"""

from __future__ import annotations

import codecs
import json
from typing import ClassVar

import duckdb

from ingest.mapping import FileEntry, LogEntry, _TableEntry
from ingest.readers.base import LINE_OPTIONS, Stage, Stager
from ingest.sources import HEAD_BYTES, SourceFile
from ingest.sql import first, ident, literal

SAMPLE_LINES = 200
# A line that is a row: not blank (a byte-order mark opening the file does not count).
OBJECT_START = r"^[ \t\r\n]*\{"     # a valid JSON text that is an object
NOT_BLANK = ("line IS NOT NULL AND (starts_with(line, '{') OR"
             " trim(CASE WHEN _k = 1 THEN ltrim(line, chr(65279)) ELSE line END) <> '')")
BOM = codecs.BOM_UTF8
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


def _opens_with_mark(source: SourceFile) -> bool:
    with source.path.open("rb") as handle:
        return handle.read(len(BOM)) == BOM


class JsonLinesReader:
    FORMAT: ClassVar[str] = "jsonl"

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]:
        return {"": read_keys(source)}

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]:
        assert isinstance(entry, _TableEntry | LogEntry)
        wanted = entry.source_columns()
        options = (f"{literal(str(source.path))}, header = false, delim = {literal(chr(0x1F))}, quote = '', escape = '',"
                   f" columns = {{'line': 'VARCHAR'}}, auto_detect = false, strict_mode = true,"
                   f" {LINE_OPTIONS}, encoding = 'utf-8'")
        try:
            # Read in parallel first, every line taken as if it were the first (a byte-order mark
            # stripped before the blank test); exact unless a later line opens with a mark.
            count = first(stager.side(), f"SELECT count_if({NOT_BLANK.replace('_k = 1', 'true')}), count(*),"
                                         f" count_if(starts_with(line, chr(65279))) FROM read_csv({options})")
            if count is not None and count[2] > int(_opens_with_mark(source)):
                count = first(stager.side(), f"SELECT count_if({NOT_BLANK}), count(*),"
                                             f" count_if(_k > 1 AND starts_with(line, chr(65279)))"
                                             f" FROM (SELECT row_number() OVER () AS _k, line FROM read_csv({options}))")
            elif count is not None:
                count = (count[0], count[1], 0)
        except duckdb.Error as exc:
            detail = str(exc).splitlines()[0]
            raise source.refuse(f"无法按行读取 JSON lines 文件：{detail}", FIX_HINT) from None
        finally:
            stager.reset_side()
        # json_extract_string of a list of paths is a (non-NULL) list for every valid line
        parsed = (f"try(json_extract_string(l, {literal([json_path(k) for k in wanted])}))" if wanted
                  else "CASE WHEN json_valid(l) THEN []::VARCHAR[] END")
        not_json, not_object = literal("不是有效的 JSON（该行可能被截断）"), literal("不是 JSON 对象")
        columns = ", ".join(f"CASE WHEN obj THEN j[{i}] END AS {ident(f'c{i}')}" for i in range(1, len(wanted) + 1))

        def rows(lines: str, row: str) -> str:
            # One parse per line: try() makes the extraction NULL exactly where the line is not valid
            # JSON (where json_valid is false), and a valid line is an object when it opens with "{".
            return f"""
                SELECT {row}
                       CASE WHEN j IS NULL THEN {not_json} WHEN NOT obj THEN {not_object} END AS _err,
                       CASE WHEN j IS NULL OR NOT obj THEN {literal(FIX_HINT)} END AS _hint,
                       CASE WHEN j IS NULL OR NOT obj THEN json_object({literal("原始行")}, l)::VARCHAR END AS _raw
                       {', ' + columns if wanted else ''}
                FROM (
                    SELECT {row} l, j, j IS NOT NULL AND (starts_with(l, '{{') OR regexp_matches(l, {literal(OBJECT_START)})) AS obj
                    FROM (SELECT {row} l, {parsed} AS j FROM ({lines}))
                )"""

        numbered = (f"SELECT _k AS _row, CASE WHEN _k = 1 THEN ltrim(line, chr(65279)) ELSE line END AS l"
                    f" FROM (SELECT row_number() OVER () AS _k, line FROM read_csv({options})) WHERE {NOT_BLANK}")
        names = [f"c{i}" for i in range(1, len(wanted) + 1)]
        table = stager.view(rows(numbered, "_row,"))
        rows_found, lines, late_marks = (int(x) for x in count) if count else (0, 0, 0)
        positional = None
        if rows_found == lines and not late_marks:
            # every line is a row and only the first may open with a byte-order mark: the k-th line
            # read is row k, and stripping a mark from every line strips only the first line's
            positional = stager.view(rows(f"SELECT ltrim(line, chr(65279)) AS l FROM read_csv({options})", ""))
        return {"": Stage(table, dict(zip(wanted, names, strict=True)), rows_found, positional=positional)}
