"""Rows numbered by their position: a clean CSV or JSON lines file is normalised in parallel and its
rows numbered afterwards; a file with a rejected record or a blank line takes the numbered path.
Both must give every row the same number, the same ``seq`` and the same content."""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import pytest

from ingest.api import ingest_paths
from ingest.mapping import load_mapping
from ingest.readers.base import BUFFER_BYTES, Stager
from ingest.readers.csv import CsvReader
from ingest.readers.jsonl import JsonLinesReader
from ingest.sources import SourceFile
from sunlight import db
from sunlight.config import Settings
from test_ingest_normalise import LOG, MAPPING     # a flat event log: cases from the rows, times in UTC

ACTS = ("register", "accept", "decide")
COLUMNS = ("case", "act", "time", "by", "who", "note")


def log_rows(count: int, seed: int = 5) -> list[dict[str, str]]:
    """Events of count // 6 cases in shuffled order, many sharing a time; ``note`` names the row."""
    rnd = random.Random(seed)
    rows = []
    for number in range(1, count + 1):
        case = rnd.randrange(max(count // 6, 1))
        rows.append({"case": f"C{case:07d}", "act": rnd.choice(ACTS), "time": f"2026-03-0{rnd.randrange(1, 4)} 09:00:00",
                     "by": f"u{rnd.randrange(50)}", "who": "张三", "note": f"r{number}"})
    return rows


def write(path: Path, fmt: str, rows: list[dict[str, str]], tail: str = "") -> Path:
    if fmt == "csv":
        body = ",".join(COLUMNS) + "\n" + "".join(",".join(r[c] for c in COLUMNS) + "\n" for r in rows)
    else:
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_text(body + tail, encoding="utf-8")
    return path


def mapping(tmp_path: Path, fmt: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(MAPPING + LOG.replace("format: csv", f"format: {fmt}"), encoding="utf-8")
    return path


def positional(path: Path, fmt: str, mapping_path: Path) -> str | None:
    """The positional view the reader gives for ``path`` (None when it takes the numbered path)."""
    entry = load_mapping(mapping_path).files[0]
    con = db.memory()
    stager = Stager(con)
    try:
        reader = CsvReader() if fmt == "csv" else JsonLinesReader()
        return reader.stage(SourceFile(path, 1), entry, stager)[""].positional  # type: ignore[arg-type]
    finally:
        stager.close()


def events(path: Path, mapping_path: Path) -> tuple[duckdb.DuckDBPyConnection, list[tuple[object, ...]]]:
    con = db.memory()
    ingest_paths(con, [path], Settings(), [mapping_path])
    found = con.execute("SELECT source_row, case_id, seq, activity, ts, actor_id, attrs->>'note', event_id FROM events"
                        " ORDER BY source_row").fetchall()
    return con, found


@pytest.mark.parametrize(("fmt", "tail", "why"), [
    ("csv", "C9,register,2026-03-01 09:00:00\n", "a record with too few columns"),
    ("jsonl", "\n", "a blank line"),
    ("jsonl", "\ufeff{}\n", "a byte-order mark after the first line"),
])
def test_a_file_that_is_not_one_row_per_record_takes_the_numbered_path(tmp_path: Path, fmt: str, tail: str,
                                                                          why: str) -> None:
    rows = log_rows(60)
    table = mapping(tmp_path, fmt)
    clean = write(tmp_path / f"t_a.{fmt}", fmt, rows)
    odd = write(tmp_path / f"t_b.{fmt}", fmt, rows, tail)
    assert positional(clean, fmt, table) is not None
    assert positional(odd, fmt, table) is None, why
    _, plain = events(clean, table)
    _, numbered = events(odd, table)
    assert len(plain) == 60
    # the same rows, numbers, seq and content (the event id covers case, activity, time and attributes)
    assert plain == numbered


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_read_by_several_threads_keep_their_numbers_and_seq(tmp_path: Path, fmt: str) -> None:
    table = mapping(tmp_path, fmt)
    per_row = write(tmp_path / f"t_probe.{fmt}", fmt, log_rows(1000)).stat().st_size / 1000
    count = int(2.2 * BUFFER_BYTES / per_row)     # more than two read buffers: DuckDB splits the read
    rows = log_rows(count)
    path = write(tmp_path / f"t_big.{fmt}", fmt, rows)
    assert path.stat().st_size > 2 * BUFFER_BYTES
    assert positional(path, fmt, table) is not None
    con, found = events(path, table)
    assert len(found) == count
    assert all(note == f"r{row}" for row, *_, note, _ in found)
    # seq orders each case's events by time, ties by row, with no gap
    wrong = con.execute("""
        SELECT count(*) FROM (
            SELECT seq, row_number() OVER (PARTITION BY case_id ORDER BY ts, source_row) AS expected FROM events)
        WHERE seq <> expected""").fetchall()
    assert wrong == [(0,)]
    expected = {(f"t:{r['case']}", f"r{n}") for n, r in enumerate(rows, 1)}
    assert {(case, note) for _, case, *_, note, _ in found} == expected
