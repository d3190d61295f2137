"""Ingest throughput per format, beside DuckDB's own readers of the same files in the same run.

A script, not a test:

    python benchmarks/bench_ingest.py --cases 1000000            # generate a district, then measure
    python benchmarks/bench_ingest.py --folder OUT/exports        # measure an existing export folder

It loads the folder with ``ingest_paths`` into a new database file in one transaction, timing each
file's parts (read, stage, normalise, check, insert) from the progress callback, then commits. In the
same run it reads every CSV with DuckDB's plain ``read_csv`` (GBK and GB18030 files transcoded to
UTF-8 first, untimed) and every JSON lines file with ``read_json`` into in-memory tables, reads every
workbook with python-calamine and walks every XES log with lxml, and prints rows per second for both
and their ratio. Wall-clock and process CPU time are both shown: on a shared machine the CPU rates
are the steadier comparison.

The baselines only parse. Per row, Sunlight also reads every CSV and JSON lines file once more
outside the load's transaction (so a damaged file cannot abort it), transcodes GBK/GB18030 (the
baseline's copy is made untimed), cleans and converts every field, computes the event digest (md5
of a JSON list), checks duplicates and references, numbers the events of each case, and writes the
rows into the compressed tables of a database file. A second table measures that last step on its
own: DuckDB's same read copied as is into a table of a database file (``CREATE TABLE AS``, then
``CHECKPOINT``), the least any loader that keeps the rows on disk does, beside the in-memory read and
beside Sunlight. A file's time covers all of its parts; the renumbering of cases that already had
events, the calendar and the commit are in the whole-load row only.

XES logs and GBK/GB18030 CSV files of a large load are parsed or transcoded ahead by a worker
process (``ingest.prefetch``). A file's wall time is the load's own time on it (including any wait
for the worker); its CPU time adds the worker's CPU time on it, so the CPU rates still count every
second spent.
"""

from __future__ import annotations

import argparse
import codecs
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import python_calamine
from lxml import etree
from rich.console import Console
from rich.table import Table

from ingest.api import IngestReport, Progress, ingest_paths
from ingest.mapping import builtin_mappings
from ingest.sources import SourceFile, sniff
from sunlight import db
from sunlight.config import Settings


@dataclass
class Clock:
    wall: float = 0.0
    cpu: float = 0.0
    rows: int = 0
    files: int = 0

    def rate(self, cpu: bool = False) -> float:
        spent = self.cpu if cpu else self.wall
        return self.rows / spent if spent > 0 else 0.0


def timed() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def generate(out: Path, cases: int, seed: int) -> Path:
    from samples.generator import generate as run

    start = time.perf_counter()
    print(f"generating {cases:,} cases into {out} ...", file=sys.stderr)
    run(out, cases, seed)
    print(f"generated in {time.perf_counter() - start:,.0f} s", file=sys.stderr)
    return out / "exports"


def encodings() -> dict[str, str]:
    """Encoding of each CSV file name prefix, from the built-in mappings."""
    found: dict[str, str] = {}
    for mapping in builtin_mappings():
        for entry in mapping.files:
            if getattr(entry, "format", "") == "csv":
                found[mapping.platform] = str(getattr(entry, "encoding", "utf-8"))
    return found


def measure_ingest(folder: Path, database: Path) -> tuple[dict[str, Clock], Clock, IngestReport]:
    con = db.connect(database)
    formats: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        source = SourceFile(path, 0)
        sniff(source)
        formats[path.name] = source.format
    per_file: dict[str, Clock] = defaultdict(Clock)
    current: list[object] = [None, *timed()]

    def progress(step: Progress) -> None:
        wall, cpu = timed()
        if current[0] is not None:
            clock = per_file[str(current[0])]
            clock.wall += wall - float(current[1])  # type: ignore[arg-type]
            clock.cpu += cpu - float(current[2])  # type: ignore[arg-type]
        # recognising a file (reading its header: a whole sheet for a workbook) is its time too
        current[:] = [step.file if step.step in ("recognise", "load") else None, wall, cpu]

    start = timed()
    con.execute("BEGIN TRANSACTION")
    report = ingest_paths(con, [folder], Settings(), progress=progress)
    fixed_start = timed()
    con.execute("COMMIT")
    end = timed()
    con.close()
    by_format: dict[str, Clock] = defaultdict(Clock)
    for f in report.files:
        clock = by_format[formats.get(f.name, "?")]
        clock.wall += per_file[f.name].wall
        clock.cpu += per_file[f.name].cpu + f.prepared_cpu      # the worker's CPU counts too
        clock.rows += f.read
        clock.files += 1
    worker = sum(f.prepared_cpu for f in report.files)
    total = Clock(end[0] - start[0], end[1] - start[1] + worker, report.totals.read, len(report.files))
    fixed = Clock(end[0] - fixed_start[0], end[1] - fixed_start[1])
    by_format["(提交)"] = fixed
    return by_format, total, report


def transcode(path: Path, encoding: str, folder: Path) -> Path:
    target = folder / (path.name + ".utf8.csv")
    decoder = codecs.getincrementaldecoder("gb18030")(errors="replace")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(8 << 20):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target


def measure_plain(folder: Path, scratch: Path) -> tuple[dict[str, Clock], dict[str, Clock]]:
    """DuckDB's, calamine's and lxml's own reading of every file; and, for CSV and JSON lines, the
    same DuckDB read copied as is into a table of a database file (``CREATE TABLE AS``, then
    ``CHECKPOINT``): the least any loader that keeps the rows on disk does."""
    con = duckdb.connect(":memory:")
    copy_path = scratch / "copy.duckdb"
    copy_path.unlink(missing_ok=True)
    disk = duckdb.connect(str(copy_path))
    prefixes = encodings()
    result: dict[str, Clock] = defaultdict(Clock)
    copied: dict[str, Clock] = defaultdict(Clock)
    for number, path in enumerate(sorted(p for p in folder.rglob("*") if p.is_file())):
        source = SourceFile(path, 0)
        sniff(source)
        clock = result[source.format]
        if source.format == "csv":
            encoding = prefixes.get(path.name.split("_")[0], "utf-8")
            readable = transcode(path, encoding, scratch) if encoding in ("gbk", "gb18030") else path
            reader, parameters = "read_csv($p)", {"p": str(readable)}
            start = timed()
            con.execute(f"CREATE TABLE t{number} AS SELECT * FROM {reader}", parameters)
        elif source.format == "jsonl":
            reader, parameters = "read_json($p, format = 'newline_delimited')", {"p": str(path)}
            start = timed()
            con.execute(f"CREATE TABLE t{number} AS SELECT * FROM {reader}", parameters)
        elif source.format == "xlsx":
            start = timed()
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            rows = sum(max(len(book.get_sheet_by_name(s).to_python()) - 1, 0) for s in book.sheet_names)
        elif source.format == "xes":
            start = timed()
            rows = 0
            for _, element in etree.iterparse(str(path), events=("end",), tag=("{*}trace", "{*}event")):
                rows += 1
                if element.tag.endswith("trace"):
                    element.clear()
        else:
            continue
        end = timed()
        if source.format in ("csv", "jsonl"):
            rows = int(con.execute(f"SELECT count(*) FROM t{number}").fetchall()[0][0])
            con.execute(f"DROP TABLE t{number}")
            copy_start = timed()
            disk.execute(f"CREATE TABLE t{number} AS SELECT * FROM {reader}", parameters)
            disk.execute("CHECKPOINT")
            copy_end = timed()
            copy = copied[source.format]
            copy.wall += copy_end[0] - copy_start[0]
            copy.cpu += copy_end[1] - copy_start[1]
            copy.rows += rows
            copy.files += 1
        clock.wall += end[0] - start[0]
        clock.cpu += end[1] - start[1]
        clock.rows += rows
        clock.files += 1
    disk.close()
    copy_path.unlink(missing_ok=True)
    return result, copied


BASELINES = {"csv": "DuckDB read_csv", "jsonl": "DuckDB read_json", "xlsx": "python-calamine", "xes": "lxml iterparse"}


def render(ours: dict[str, Clock], plain: dict[str, Clock], total: Clock) -> Table:
    table = Table(title="Sunlight ingest 与直接读取的吞吐量（行/秒）")
    for heading in ("格式", "文件", "行", "Sunlight 墙钟", "基准 墙钟", "比值", "Sunlight CPU", "基准 CPU", "比值 CPU", "基准"):
        table.add_column(heading, justify="left" if heading in ("格式", "基准") else "right")
    for fmt in ("csv", "jsonl", "xlsx", "xes"):
        mine, base = ours.get(fmt), plain.get(fmt)
        if mine is None or not mine.rows:
            continue
        ratio = mine.rate() / base.rate() if base and base.rate() else 0.0
        ratio_cpu = mine.rate(True) / base.rate(True) if base and base.rate(True) else 0.0
        table.add_row(fmt, str(mine.files), f"{mine.rows:,}", f"{mine.rate():,.0f}", f"{base.rate() if base else 0:,.0f}",
                      f"{ratio:.2f}", f"{mine.rate(True):,.0f}", f"{base.rate(True) if base else 0:,.0f}",
                      f"{ratio_cpu:.2f}", BASELINES[fmt])
    fixed = ours["(提交)"]
    table.add_section()
    table.add_row("整次载入", str(total.files), f"{total.rows:,}", f"{total.rate():,.0f}", "", "", f"{total.rate(True):,.0f}",
                  "", "", f"含排序号、日历、提交（提交 {fixed.wall:,.1f} 秒）")
    return table


def render_copy(ours: dict[str, Clock], plain: dict[str, Clock], copied: dict[str, Clock]) -> Table:
    """The bare copy into a database file beside the in-memory read and beside Sunlight."""
    table = Table(title="原样写入数据库文件（CREATE TABLE AS + CHECKPOINT）的吞吐量（行/秒）")
    for heading in ("格式", "行", "原样写入 墙钟", "对直接读取", "Sunlight 对原样写入", "原样写入 CPU",
                    "对直接读取 CPU", "Sunlight 对原样写入 CPU"):
        table.add_column(heading, justify="left" if heading == "格式" else "right")
    for fmt in ("csv", "jsonl"):
        mine, base, copy = ours.get(fmt), plain.get(fmt), copied.get(fmt)
        if mine is None or base is None or copy is None or not copy.rows:
            continue

        def ratio(a: Clock, b: Clock, cpu: bool) -> str:
            return f"{a.rate(cpu) / b.rate(cpu):.2f}" if b.rate(cpu) else ""

        table.add_row(fmt, f"{copy.rows:,}", f"{copy.rate():,.0f}", ratio(copy, base, False), ratio(mine, copy, False),
                      f"{copy.rate(True):,.0f}", ratio(copy, base, True), ratio(mine, copy, True))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folder", type=Path, help="an export folder (OUT/exports) to measure")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to generate when no --folder is given")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where to put the sample, database and transcoded copies")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sunlight-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        folder = args.folder or generate(work / "sample", args.cases, args.seed)
        database = work / "bench.duckdb"
        for leftover in (database, database.with_name(database.name + ".wal")):
            leftover.unlink(missing_ok=True)
        print("ingesting ...", file=sys.stderr)
        ours, total, report = measure_ingest(folder, database)
        print("reading the same files with DuckDB, calamine and lxml ...", file=sys.stderr)
        scratch = work / "plain"
        scratch.mkdir(exist_ok=True)
        plain, copied = measure_plain(folder, scratch)
        console = Console(width=160)
        console.print(render(ours, plain, total))
        console.print(render_copy(ours, plain, copied))
        console.print(f"读取 {report.totals.read:,} 行，载入 {report.totals.loaded:,} 行，隔离 {report.totals.quarantined:,} 行；"
                      f"整次载入 {total.wall:,.1f} 秒（CPU {total.cpu:,.1f} 秒）", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
