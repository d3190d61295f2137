"""The ingest benchmark's parts on a tiny district, so the script keeps working: every file is timed
and counted once, the baselines read the same rows, and the bare copy into a database file holds
exactly what DuckDB read."""

from __future__ import annotations

import pytest
from bench_scripts import load
from rich.console import Console

from samples.generator import generate

pytestmark = pytest.mark.slow


bench = load("bench_ingest")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("bench_ingest")
    generate(work / "district", 800, 5)
    folder = work / "district" / "exports"
    ours, total, report = bench.measure_ingest(folder, work / "bench.duckdb")
    scratch = work / "plain"
    scratch.mkdir()
    plain, copied = bench.measure_plain(folder, scratch)
    return folder, scratch, ours, total, report, plain, copied


def test_every_file_is_timed_and_counted_once(measured) -> None:  # type: ignore[no-untyped-def]
    _, _, ours, total, report, _, _ = measured
    formats = {fmt for fmt in ours if not fmt.startswith("(")}
    assert formats == {"csv", "jsonl", "xlsx", "xes"}
    assert sum(ours[fmt].rows for fmt in formats) == report.totals.read == total.rows
    assert sum(ours[fmt].files for fmt in formats) == len(report.files) == total.files
    assert all(ours[fmt].wall > 0 and ours[fmt].cpu > 0 for fmt in formats)
    assert total.wall >= sum(ours[fmt].wall for fmt in formats)


def test_baselines_read_the_rows_sunlight_read(measured) -> None:  # type: ignore[no-untyped-def]
    _, scratch, ours, _, report, plain, copied = measured
    for fmt in ("csv", "jsonl", "xlsx", "xes"):
        assert plain[fmt].files == ours[fmt].files, fmt
    for fmt in ("csv", "jsonl", "xes"):
        # the bundled mappings read every row of every file; a baseline that skipped one would differ
        assert plain[fmt].rows == ours[fmt].rows, fmt
    # calamine parses every sheet, the workbook's notes sheet (说明, two lines under its heading) too
    assert plain["xlsx"].rows == ours["xlsx"].rows + 2 * plain["xlsx"].files
    assert set(copied) == {"csv", "jsonl"}
    for fmt in ("csv", "jsonl"):
        assert copied[fmt].rows == plain[fmt].rows and copied[fmt].files == plain[fmt].files
        assert copied[fmt].wall > 0
    assert not (scratch / "copy.duckdb").exists()        # the copy is measured, then removed
    assert report.totals.read == report.totals.loaded + report.totals.quarantined


def test_tables_print_every_format(measured) -> None:  # type: ignore[no-untyped-def]
    _, _, ours, total, _, plain, copied = measured
    console = Console(width=200, record=True)
    console.print(bench.render(ours, plain, total))
    console.print(bench.render_copy(ours, plain, copied))
    text = console.export_text()
    for fmt, baseline in bench.BASELINES.items():
        assert any(line.strip().startswith(f"│ {fmt}") and baseline in line for line in text.splitlines()), fmt
    assert "原样写入数据库文件" in text
    copy_rows = [line for line in text.splitlines() if "│" in line and line.split("│")[1].strip() in ("csv", "jsonl")]
    assert len(copy_rows) == 4      # csv and jsonl in both tables; xlsx and xes in the first only
