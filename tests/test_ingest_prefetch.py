"""Files prepared by a worker process load exactly as files prepared by the load itself: the same
rows, row numbers, quarantine and reconciliation; a log the worker cannot parse is refused with the
same reason."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
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


WAIT_FOR_WORKER = """
import sys, time
from pathlib import Path
from ingest.mapping import builtin_mappings
from ingest.prefetch import Prefetcher
from ingest.sources import SourceFile, sniff
source = SourceFile(Path(sys.argv[1]), 1)
sniff(source)
entries = list(next(m for m in builtin_mappings() if m.platform == "xtbg").files)
prefetcher = Prefetcher([(source, entries)], Path(sys.argv[2]), force=True)
assert prefetcher.take(source) is not None       # the worker is up and has done its work
print("ready", flush=True)
time.sleep(120)
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_worker_does_not_outlive_a_killed_load(tmp_path: Path) -> None:
    load = subprocess.Popen([sys.executable, "-c", WAIT_FOR_WORKER, str(DEMO / "xtbg.xes"), str(tmp_path)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert load.stdout is not None and load.stdout.readline().strip() == "ready"
        workers = _children(load.pid)
        assert workers                                    # the pool's worker (and its resource tracker)
        load.kill()
        load.wait()
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers)
    finally:
        load.kill()
