"""CSV: read by DuckDB's own ``read_csv``, every column as VARCHAR.

GBK and GB18030 files are first transcoded to UTF-8 in a streaming pass (Python's gb18030 codec,
which also reads every GBK byte sequence); bytes that do not decode become U+FFFD and their rows
are quarantined. The file is read in full on the side connection first, which refuses a file
DuckDB cannot read and collects the rows it cannot split (too few or too many columns, an
unterminated quote at the end of a truncated file, invalid UTF-8) from its rejects table; those
are staged with a reason. The stage itself is a view on the main connection that reads the file
with the same options, skipping the rejected rows. Row numbers count data records after the
header; a rejected record's number is its line number minus one, exact unless a quoted value
spanning lines comes before it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import ClassVar

import duckdb

from ingest.mapping import FileEntry, LogEntry, _TableEntry
from ingest.readers.base import LINE_OPTIONS, MAX_LINE_BYTES, Stage, Stager
from ingest.sources import HEAD_BYTES, SourceFile
from ingest.sql import first, ident, literal

TRANSCODED = {"gbk": "gb18030", "gb18030": "gb18030"}
FIX_HINT = "修正或重新导出该文件后再次载入（同名文件会替换上次载入的内容）"
REJECT_REASONS = {
    "MISSING COLUMNS": "列数不足：应有 {expected} 列，只有 {found} 列（该行可能被截断）",
    "TOO MANY COLUMNS": "列数过多：应有 {expected} 列，实有 {found} 列",
    "UNQUOTED VALUE": "引号未闭合（文件可能在此行被截断）",
    "INVALID ENCODING": "编码错误：该行不是有效的 UTF-8",
    "LINE SIZE OVER MAXIMUM": f"该行过长，超过 {MAX_LINE_BYTES >> 20} MB",
}


def _codec(encoding: str) -> str:
    return TRANSCODED.get(encoding, "utf-8-sig")


def read_header(source: SourceFile, encoding: str, delimiter: str) -> list[str]:
    """The header row decoded with ``encoding`` (cached per encoding and delimiter)."""
    key = f"csv-header:{encoding}:{delimiter}"
    if key not in source.cache:
        with source.path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        text = codecs.getincrementaldecoder(_codec(encoding))(errors="replace").decode(head)
        first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        source.cache[key] = [name.strip().lstrip("\ufeff") for name in first]
    header: list[str] = source.cache[key]
    return header


def transcode(source: SourceFile, encoding: str, folder: Path) -> tuple[Path, int]:
    """Write a UTF-8 copy of ``source``; return it and the number of undecodable sequences.

    A copy a worker process already made (``ingest.prefetch``) is taken from the source's cache.
    """
    made: tuple[Path, int] | None = source.cache.get(f"transcoded:{encoding}")
    if made is not None:
        return made
    target = folder / f"{source.order:05d}-{source.name}.utf8"
    decoder = codecs.getincrementaldecoder(_codec(encoding))(errors="replace")
    bad = 0
    with source.path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(8 << 20):
            text = decoder.decode(chunk)
            bad += text.count("\ufffd")
            dst.write(text.encode("utf-8"))
        tail = decoder.decode(b"", final=True)
        bad += tail.count("\ufffd")
        dst.write(tail.encode("utf-8"))
    return target, bad


def _reject_raw(header: list[str], line: str, delimiter: str) -> str:
    try:
        values = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    except csv.Error:
        return json.dumps({"原始行": line}, ensure_ascii=False)
    raw: dict[str, object] = dict(zip(header, values, strict=False))
    if len(values) > len(header):
        raw["多余的列"] = values[len(header):]
    return json.dumps(raw, ensure_ascii=False)


def _gap_table(con: duckdb.DuckDBPyConnection, name: str, rejected_rows: list[int]) -> None:
    """Table of d_j - j for the rejected data rows d_1 < d_2 < ...: the k-th good row is number
    k + count(gaps < k) (rows not rejected keep their place between the rejected ones)."""
    con.execute(f"CREATE TEMP TABLE {ident(name)} (gap BIGINT)")
    con.executemany(f"INSERT INTO {ident(name)} VALUES (?)", [[d - j] for j, d in enumerate(rejected_rows, 1)])


def read_options(path: Path, delimiter: str, names: list[str]) -> str:
    """The arguments of ``read_csv`` for a staged file (literals: they end up in a view)."""
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    return (f"{literal(str(path))}, header = true, delim = {literal(delimiter)}, quote = '\"', escape = '\"',"
            f" columns = {columns}, auto_detect = false, strict_mode = true, {LINE_OPTIONS},"
            f" encoding = 'utf-8'")


class CsvReader:
    FORMAT: ClassVar[str] = "csv"

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]:
        assert isinstance(entry, _TableEntry | LogEntry)
        return {"": read_header(source, entry.encoding, entry.delimiter)}

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]:
        assert isinstance(entry, _TableEntry | LogEntry)
        header = read_header(source, entry.encoding, entry.delimiter)
        path, bad_bytes = source.path, 0
        if entry.encoding in TRANSCODED:
            path, bad_bytes = transcode(source, entry.encoding, stager.tmpdir)
        side = stager.side()
        rejects, scan, gaps, bad_rows = (stager.name(k) for k in ("rejects", "scan", "gaps", "bad"))
        names = [f"c{i}" for i in range(1, len(header) + 1)]
        options = read_options(path, entry.delimiter, names)
        counted = ", ".join(f"count({ident(n)})" for n in names)   # every column is parsed and checked
        try:
            count = first(side, f"SELECT count(*), {counted} FROM read_csv({options}, store_rejects = true,"
                                f" rejects_table = '{rejects}', rejects_scan = '{scan}')")
        except duckdb.Error as exc:
            detail = str(exc).splitlines()[0]
            raise source.refuse(f"无法读取 CSV 文件：{detail}", FIX_HINT) from None
        found = side.execute(
            f"SELECT line, any_value(error_type ORDER BY column_idx), any_value(csv_line ORDER BY column_idx)"
            f" FROM {ident(rejects)} GROUP BY line ORDER BY line"
        ).fetchall()
        stager.reset_side()
        reject_rows: list[tuple[int, str, str, str]] = []
        for line, error_type, csv_line in found:
            found_count = len(next(csv.reader(io.StringIO(csv_line or ""), delimiter=entry.delimiter), []))
            reason = REJECT_REASONS.get(str(error_type), f"行格式错误（{error_type}）").format(
                expected=len(header), found=found_count)
            reject_rows.append((int(line) - 1, reason, FIX_HINT, _reject_raw(header, csv_line or "", entry.delimiter)))
        main = stager.con
        row_expr = "_k"
        helpers: list[str] = []
        if reject_rows:
            _gap_table(main, gaps, [r[0] for r in reject_rows])
            helpers.append(gaps)
            row_expr = f"_k + (SELECT count(*) FROM {ident(gaps)} g WHERE g.gap < r._k)"
        err = "NULL::VARCHAR"
        if bad_bytes:
            test = " OR ".join(f"contains(coalesce({ident(n)}, ''), {literal(chr(0xFFFD))})" for n in names) or "false"
            err = f"CASE WHEN {test} THEN {literal('编码错误：含有无法按 ' + entry.encoding.upper() + ' 解码的字节')} END"
        hint = f"CASE WHEN _err IS NOT NULL THEN {literal('核对导出文件的编码与映射中的 encoding 是否一致')} END"
        cols = ", ".join(ident(n) for n in names)
        # ignore_errors skips exactly the rows the side read put into its rejects table
        body = (f"SELECT {row_expr} AS _row, {err} AS _err, NULL::VARCHAR AS _raw, {cols}"
                f" FROM (SELECT row_number() OVER () AS _k, * FROM read_csv({options}, ignore_errors = true)) r")
        query = f"SELECT _row, _err, {hint} AS _hint, _raw, {cols} FROM ({body})"
        if reject_rows:
            main.execute(f"CREATE TEMP TABLE {ident(bad_rows)} (_row BIGINT, _err VARCHAR, _hint VARCHAR, _raw VARCHAR)")
            main.executemany(f"INSERT INTO {ident(bad_rows)} VALUES (?, ?, ?, ?)", reject_rows)
            helpers.append(bad_rows)
            nulls = ", ".join(f"NULL::VARCHAR AS {ident(n)}" for n in names)
            query += f" UNION ALL SELECT _row, _err, _hint, _raw, {nulls} FROM {ident(bad_rows)}"
        table = stager.view(query, helpers)
        positional = None
        if not reject_rows:     # every record of the file is a row, in order: the k-th is row k
            positional = stager.view(f"SELECT _err, {hint} AS _hint, NULL::VARCHAR AS _raw, {cols} FROM"
                                     f" (SELECT {err} AS _err, {cols} FROM read_csv({options}))")
        rows = int(count[0] if count else 0) + len(reject_rows)
        notes = [f"{len(reject_rows)} 行无法按列拆分"] if reject_rows else []
        if bad_bytes:
            notes.append(f"{bad_bytes} 处字节无法按 {entry.encoding.upper()} 解码")
        return {"": Stage(table, _first_columns(header, names), rows, notes=notes, positional=positional)}


def _first_columns(header: list[str], names: list[str]) -> dict[str, str]:
    """Header name -> stage column; a name that appears twice refers to its first column."""
    result: dict[str, str] = {}
    for title, name in zip(header, names, strict=True):
        result.setdefault(title, name)
    return result
