"""The CSV reader: encodings, rows DuckDB cannot split, and row numbers around them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.mapping import builtin_mappings
from ingest.readers.base import MAX_LINE_BYTES, Stager
from ingest.readers.csv import CsvReader, read_header, transcode
from ingest.sources import SourceFile
from sunlight import db

HEADER = "单位编码,单位名称,单位类型\n"


def entry(platform: str, record: str) -> object:
    mapping = next(m for m in builtin_mappings() if m.platform == platform)
    return next(e for e in mapping.files if e.record == record)


def stage(path: Path, platform: str = "reference", record: str = "departments") -> tuple[list[tuple[object, ...]], list[str]]:
    con = db.memory()
    stager = Stager(con)
    try:
        staged = CsvReader().stage(SourceFile(path, 1), entry(platform, record), stager)[""]  # type: ignore[arg-type]
        rows = con.execute(f'SELECT _row, _err, c1, c2, c3 FROM "{staged.table}" ORDER BY _row').fetchall()
        return rows, staged.notes
    finally:
        stager.close()


@pytest.mark.parametrize(
    ("encoding", "platform", "record", "name"),
    [("utf-8", "reference", "departments", "departments.csv"), ("utf-8-sig", "sqzx", "cases", "sqzx.csv"),
     ("gbk", "qyzx", "cases", "qyzx.csv"), ("gb18030", "zfba", "cases", "zfba.csv")],
)
def test_headers_decode_in_each_encoding(tmp_path: Path, encoding: str, platform: str, record: str, name: str) -> None:
    columns = list(entry(platform, record).fields.values())  # type: ignore[attr-defined]
    path = tmp_path / name
    path.write_bytes((",".join(columns) + "\n").encode(encoding))
    assert read_header(SourceFile(path, 1), encoding, ",") == columns


def test_gb18030_characters_outside_gbk_survive(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes((HEADER + "D1,𠮷祥街道,街道\n").encode("gb18030"))
    target, bad = transcode(SourceFile(path, 1), "gb18030", tmp_path)
    assert bad == 0 and "𠮷祥街道" in target.read_text(encoding="utf-8")


def test_rows_keep_their_numbers_around_rows_that_cannot_be_split(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(HEADER + "D1,一,区直部门\nD2,二\nD3,三,街道\nD4,四,街道,多余\nD5,五,乡镇\n", encoding="utf-8")
    rows, notes = stage(path)
    assert [(r[0], r[1] is None, r[2]) for r in rows] == [
        (1, True, "D1"), (2, False, None), (3, True, "D3"), (4, False, None), (5, True, "D5")]
    assert rows[1][1] == "列数不足：应有 3 列，只有 2 列（该行可能被截断）"
    assert rows[3][1] == "列数过多：应有 3 列，实有 4 列"
    assert notes == ["2 行无法按列拆分"]


def test_quoted_values_with_separators_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(HEADER + 'D1,"一,二",区直部门\nD2,"多\n行",街道\n', encoding="utf-8")
    rows, _ = stage(path)
    assert [r[2:4] for r in rows] == [("D1", "一,二"), ("D2", "多\n行")]


def test_a_cut_inside_quotes_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(HEADER + 'D1,一,区直部门\nD2,"二', encoding="utf-8")
    rows, _ = stage(path)
    assert [(r[0], r[1]) for r in rows] == [(1, None), (2, "引号未闭合（文件可能在此行被截断）")]


def test_invalid_utf8_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(HEADER.encode() + "D1,一,区直部门\n".encode() + b"D2,\xff\xfe,x\n")
    rows, _ = stage(path)
    assert rows[1][0] == 2 and rows[1][1] == "编码错误：该行不是有效的 UTF-8"


def test_undecodable_gbk_bytes_mark_the_row(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    header = ",".join(entry("qyzx", "cases").fields.values())  # type: ignore[attr-defined]
    path.write_bytes((header + "\nQ1,I1,D1" + "," * 11 + "\n").encode("gbk") + b"Q2,\x81\x20,D1" + b"," * 11 + b"\n")
    con = db.memory()
    stager = Stager(con)
    staged = CsvReader().stage(SourceFile(path, 1), entry("qyzx", "cases"), stager)[""]  # type: ignore[arg-type]
    rows = con.execute(f'SELECT _row, _err FROM "{staged.table}" ORDER BY _row').fetchall()
    stager.close()
    assert rows == [(1, None), (2, "编码错误：含有无法按 GBK 解码的字节")]


def test_reading_happens_outside_the_callers_transaction(tmp_path: Path) -> None:
    con = db.memory()
    con.execute("BEGIN TRANSACTION")
    stager = Stager(con)
    path = tmp_path / "d.csv"
    path.write_bytes(b"\x00\x01" * 10)   # DuckDB refuses it; the main transaction must survive
    try:
        CsvReader().stage(SourceFile(path, 1), entry("reference", "departments"), stager)  # type: ignore[arg-type]
    except Exception:
        pass
    assert con.execute("SELECT 1").fetchall() == [(1,)]
    con.execute("COMMIT")
    stager.close()
    assert isinstance(con, duckdb.DuckDBPyConnection)


def test_row_numbers_follow_the_file_across_many_read_buffers_inside_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    count = 150_000
    path.write_text(HEADER + "".join(f"D{i},单位{i},区直部门\n" for i in range(1, count + 1)), encoding="utf-8")
    con = db.memory()
    con.execute("BEGIN TRANSACTION")   # as in an ingest call: tables made in it number their rows apart
    stager = Stager(con)
    try:
        staged = CsvReader().stage(SourceFile(path, 1), entry("reference", "departments"), stager)[""]  # type: ignore[arg-type]
        found = con.execute(f"SELECT count(*), count(*) FILTER (WHERE c1 = 'D' || _row) FROM \"{staged.table}\"").fetchall()
    finally:
        stager.close()
    assert found == [(count, count)]


def test_a_line_over_the_limit_is_a_row_error_and_the_rows_around_it_load(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    long_name = "长" * ((MAX_LINE_BYTES // 3) + 10)      # three bytes each in UTF-8: just over the limit
    path.write_text(HEADER + f"D1,一,区直部门\nD2,{long_name},街道\nD3,三,街道\n", encoding="utf-8")
    rows, notes = stage(path)
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, None, "D1"), (2, "该行过长，超过 8 MB", None), (3, None, "D3")]
    assert notes == ["1 行无法按列拆分"]
