"""Files prepared by a worker process load exactly as files prepared by the load itself: the same
rows, row numbers, quarantine and reconciliation; a log the worker cannot parse is refused with the
same reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.api import IngestReport, ingest_paths
from sunlight import db
from sunlight.config import Settings

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo" / "exports"
TABLES = {
    "events": "case_id, seq, event_id, activity, source_activity, ts, actor_id, officer_ids, document_no, amount, attrs,"
              " source_system, source_file, source_row",
    "cases": "case_id, item_code, dept_code, submitted_at, applicant_id_masked, source_file, source_row",
    "disclosures": "disclosure_id, case_id, decision_no, published_at, content, source_file, source_row",
    "quarantine": "file_name, record, row_number, column_name, reason, hint, raw",
    "load_files": "file_name, sha256, platform, record, rows_read, rows_loaded, rows_quarantined, outcome, message, detail",
}


def load(folder: Path, prefetch: bool) -> tuple[duckdb.DuckDBPyConnection, IngestReport]:
    con = db.memory()
    return con, ingest_paths(con, [folder], Settings(), prefetch_files=prefetch)


def contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {table: con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
            for table, columns in TABLES.items()}


def test_the_bundled_district_loads_the_same_with_a_worker() -> None:
    plain_con, plain = load(DEMO, False)
    worker_con, worker = load(DEMO, True)
    prepared = {f.name for f in worker.files if f.prepared_cpu > 0}
    # the XES log and the four GBK files went to the worker; nothing did without one
    assert prepared == {"xtbg.xes", "qyzx_cases.csv", "qyzx_events.csv", "zfba_cases.csv", "zfba_events.csv"}
    assert not any(f.prepared_cpu for f in plain.files)
    assert worker.totals == plain.totals and plain.totals.quarantined > 0
    assert contents(worker_con) == contents(plain_con)


def test_a_log_the_worker_cannot_parse_is_refused_as_without_it(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(DEMO / "reference", folder / "reference")
    data = (DEMO / "xtbg.xes").read_bytes()
    (folder / "xtbg.xes").write_bytes(data[: len(data) // 2])       # cut in the middle of a trace
    reports = []
    for prefetch in (False, True):
        con, report = load(folder, prefetch)
        (log,) = [f for f in report.files if f.name == "xtbg.xes"]
        reports.append((log.outcome, log.message, log.read))
        assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert reports[0] == reports[1]
    assert reports[0][0] == "refused" and "XES 文件不完整或格式错误" in str(reports[0][1])


@pytest.mark.parametrize("prefetch", [None, False])
def test_small_files_get_no_worker(prefetch: bool | None) -> None:
    _, report = load(DEMO, prefetch)    # the bundled district is far below the size that pays for one
    assert not any(f.prepared_cpu for f in report.files)



def test_a_worker_that_dies_leaves_the_work_to_the_load(tmp_path: Path) -> None:
    import os
    import signal

    from ingest.mapping import builtin_mappings
    from ingest.prefetch import Prefetcher
    from ingest.sources import SourceFile, sniff

    source = SourceFile(DEMO / "xtbg.xes", 1)
    sniff(source)
    entries = list(next(m for m in builtin_mappings() if m.platform == "xtbg").files)
    prefetcher = Prefetcher([(source, entries)], tmp_path, force=True)
    try:
        workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                   and _parent(p) == os.getpid() and b"spawn_main" in _cmdline(p)]
        assert workers
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        assert prefetcher.take(source) is None          # no result, no exception: the load reads the log itself
    finally:
        prefetcher.close()


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
