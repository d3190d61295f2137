"""The JSON lines reader: line numbers, blank lines, a byte-order mark, lines that are not objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.mapping import builtin_mappings
from ingest.readers.base import Stager
from ingest.readers.jsonl import JsonLinesReader, json_path, read_keys
from ingest.sources import SourceFile
from sunlight import db
from sunlight.errors import IngestError


def wsdt_events() -> Any:
    """The online service hall's events entry of the built-in mappings."""
    return next(e for e in next(m for m in builtin_mappings() if m.platform == "wsdt").files if e.record == "events")


def test_json_paths_quote_keys() -> None:
    assert json_path("apply_no") == '$."apply_no"'
    assert json_path('a"b\\c') == '$."a\\"b\\\\c"'


def test_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "wsdt_events.jsonl"
    path.write_text('\ufeff{"apply_no": "A", "node": "submit", "time": "t1", "amount": 12.50}\n'
                    "\n"
                    '{"apply_no": "B", "node": ["x", "y"], "time": null}\n'
                    "[1, 2]\n"
                    '{"apply_no": "C", "node": "acc\n', encoding="utf-8")
    source = SourceFile(path, 1)
    assert read_keys(source) == ["apply_no", "node", "time", "amount"]
    entry = wsdt_events()
    con = db.memory()
    con.execute("BEGIN TRANSACTION")
    stager = Stager(con)
    staged = JsonLinesReader().stage(source, entry, stager)[""]
    node, amount = staged.columns["node"], staged.columns["amount"]
    rows = con.execute(f'SELECT _row, _err, c1, "{node}", "{amount}", _raw FROM "{staged.table}" ORDER BY _row').fetchall()
    stager.close()
    assert staged.rows == 4
    assert rows == [
        (1, None, "A", "submit", "12.5", None),
        (3, None, "B", '["x","y"]', None, None),
        (4, "不是 JSON 对象", None, None, None, '{"原始行":"[1, 2]"}'),
        (5, "不是有效的 JSON（该行可能被截断）", None, None, None, '{"原始行":"{\\"apply_no\\": \\"C\\", \\"node\\": \\"acc"}'),
    ]


def test_objects_invalid_lines_and_other_json_values(tmp_path: Path) -> None:
    path = tmp_path / "wsdt_events.jsonl"
    path.write_text('  {"apply_no": "A", "node": "submit"}\n'
                    '"just a string"\n'
                    "42\n"
                    '{"apply_no": "B", "node": "accept",}\n'
                    "{not json}\n"
                    "   \n"
                    '{"apply_no": "C"} trailing\n', encoding="utf-8")
    entry = wsdt_events()
    con = db.memory()
    stager = Stager(con)
    staged = JsonLinesReader().stage(SourceFile(path, 1), entry, stager)[""]
    node = staged.columns["node"]
    rows = con.execute(f'SELECT _row, _err, c1, "{node}" FROM "{staged.table}" ORDER BY _row').fetchall()
    stager.close()
    assert staged.rows == 6
    assert rows == [
        (1, None, "A", "submit"),
        (2, "不是 JSON 对象", None, None),
        (3, "不是 JSON 对象", None, None),
        (4, None, "B", "accept"),
        (5, "不是有效的 JSON（该行可能被截断）", None, None),
        (7, "不是有效的 JSON（该行可能被截断）", None, None),
    ]


def test_the_stage_is_read_outside_the_callers_transaction_first(tmp_path: Path) -> None:
    path = tmp_path / "wsdt_events.jsonl"
    path.write_bytes(b'{"apply_no": "A"}\n{"apply_no": "\xff\xfe"}\n')   # not UTF-8: DuckDB refuses the file
    entry = wsdt_events()
    con = db.memory()
    con.execute("BEGIN TRANSACTION")
    stager = Stager(con)
    try:
        JsonLinesReader().stage(SourceFile(path, 1), entry, stager)
    except IngestError as exc:
        assert "JSON lines" in exc.message
    else:
        raise AssertionError("the file was not refused")
    assert con.execute("SELECT 1").fetchall() == [(1,)]
    con.execute("COMMIT")
    stager.close()
