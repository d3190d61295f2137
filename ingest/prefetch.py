"""Work on a file that needs no database, done ahead in a worker process.

Parsing an XES log (lxml, then Arrow batches) and transcoding a GBK or GB18030 CSV to UTF-8 are
plain Python, one core each, while most of a load is DuckDB's work on other files. When the files
that need such work are large enough to pay for starting a worker, :class:`Prefetcher` hands them
to one spawned worker process, in the order the load will need them; the load then takes each
result when it gets to that file (waiting if it is not ready) instead of doing the work itself.

What crosses between the processes: the source file's description and its mapping entries go in;
out come Arrow IPC files in the load's temporary folder (read back memory-mapped, without a copy),
the transcoded file's path and count of undecodable sequences, or the file's refusal (message and
hint), plus the worker's CPU seconds for the file. The results are exactly what the readers would
have produced in the main process: they run the same reader code.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ingest.mapping import FileEntry, LogEntry, XesEntry, _TableEntry
from ingest.readers.base import Stage, Stager
from ingest.readers.csv import TRANSCODED, transcode
from ingest.readers.xes import XesReader
from ingest.sources import SourceFile
from sunlight.errors import IngestError
from sunlight.workers import spawn_pool

# Start a worker only when the files it would take hold at least this many bytes: spawning one and
# importing the readers costs about a second.
MIN_BYTES = 64 << 20


@dataclass
class Prepared:
    """What the worker made of one file."""

    stages: dict[str, tuple[str, Stage]] = field(default_factory=dict)   # key -> (Arrow IPC file, stage)
    transcoded: dict[str, tuple[str, int]] = field(default_factory=dict)  # encoding -> (UTF-8 copy, bad)
    refusal: tuple[str, str | None] | None = None                         # (message, hint)
    cpu: float = 0.0


def wanted(source: SourceFile, entries: Sequence[FileEntry]) -> bool:
    """Whether ``source`` has work a worker can do: an XES log, or a CSV in GBK or GB18030."""
    if source.format == "xes":
        return True
    return source.format == "csv" and any(
        isinstance(e, _TableEntry | LogEntry) and e.encoding in TRANSCODED for e in entries)


class _Collector(Stager):
    """A stager that keeps the Arrow tables a reader makes instead of registering them."""

    def __init__(self) -> None:   # no connection and no folder: readers here only make Arrow tables
        self.tables: dict[str, pa.Table] = {}
        self._numbers = itertools.count(1)

    def from_batches(self, schema: pa.Schema, batches: list[pa.RecordBatch]) -> str:
        name = f"prepared_{next(self._numbers)}"
        self.tables[name] = pa.Table.from_batches(batches, schema=schema)
        return name


def _prepare(source: SourceFile, entries: list[FileEntry], folder: str) -> Prepared:
    """Run in the worker: the file's XES stages or its transcoded copies."""
    started = time.process_time()
    prepared = Prepared()
    try:
        if source.format == "xes":
            collector = _Collector()
            for entry in entries:
                assert isinstance(entry, XesEntry)
                for key, stage in XesReader().stage(source, entry, collector).items():
                    table = collector.tables.pop(stage.table)
                    path = Path(folder) / f"{source.order:05d}-{stage.table}.arrow"
                    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
                        out.write_table(table)
                    prepared.stages[key] = (str(path), stage)
        else:
            for entry in entries:
                encoding = getattr(entry, "encoding", "")
                if encoding in TRANSCODED and encoding not in prepared.transcoded:
                    copy, bad = transcode(source, encoding, Path(folder))
                    prepared.transcoded[encoding] = (str(copy), bad)
    except IngestError as exc:
        prepared = Prepared(refusal=(exc.message, exc.hint))
    prepared.cpu = time.process_time() - started
    return prepared


class Prefetcher:
    """One worker process preparing files in the order given; :meth:`take` waits for a file's result."""

    def __init__(self, work: Sequence[tuple[SourceFile, list[FileEntry]]], folder: Path, *,
                 force: bool | None = None) -> None:
        """``work``: the files that have prefetchable work, in the order the load needs them.
        ``force``: True always starts a worker, False never does, None when the files are large."""
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[int, Future[Prepared]] = {}
        total = sum(source.size for source, _ in work)
        start = force if force is not None else total >= MIN_BYTES
        if not start or not work:
            return
        folder.mkdir(parents=True, exist_ok=True)
        self._pool = spawn_pool(1)
        for source, entries in work:
            bare = dataclasses.replace(source, cache={})
            self._futures[source.order] = self._pool.submit(_prepare, bare, list(entries), str(folder))

    def take(self, source: SourceFile) -> Prepared | None:
        """The worker's result for ``source``; None when it was not given to the worker, or when the
        worker failed (the load then does the work itself, as without a worker)."""
        future = self._futures.pop(source.order, None)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:      # a worker that died (killed, out of memory) or could not start
            return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def read_arrow(path: str) -> pa.Table:
    """An Arrow IPC file written by the worker, memory-mapped (the table's buffers keep the map)."""
    table: pa.Table = pa.ipc.open_file(pa.memory_map(path)).read_all()
    return table


def apply(prepared: Prepared, source: SourceFile, stager: Stager) -> dict[str, Stage] | None:
    """Use a worker's result for ``source``: raise its refusal, put its transcoded copies where the
    CSV reader finds them, or return its stages registered on the main connection."""
    if prepared.refusal is not None:
        message, hint = prepared.refusal
        raise source.refuse(message, hint)
    for encoding, (copy, bad) in prepared.transcoded.items():
        source.cache[f"transcoded:{encoding}"] = (Path(copy), bad)
    if not prepared.stages:
        return None
    stages: dict[str, Stage] = {}
    for key, (path, stage) in prepared.stages.items():
        stages[key] = dataclasses.replace(stage, table=stager.register(read_arrow(path)))
    return stages
