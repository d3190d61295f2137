"""What every reader produces, and the staging connection they use.

A reader turns one source file into *stages*: relations on the main connection (temporary
tables, views or registered Arrow tables) with

- ``_row``  BIGINT  - the 1-based source row number (CSV: data row, header excluded; JSON lines:
  line number; xlsx: sheet row below the header; XES: trace number for cases, event number for
  events);
- ``_err``, ``_hint`` VARCHAR - set when the row could not even be split into columns (a CSV row
  cut short, a line that is not JSON, bytes that do not decode): the Chinese reason and hint;
- ``_raw``  VARCHAR - the row as read, for such rows (JSON); other rows' raw content is rebuilt
  from their columns when they are quarantined;
- ``c1`` ... ``cN`` VARCHAR - the source columns, as text.

Nothing that can fail on a damaged file ever runs on the main connection: DuckDB aborts a
transaction on the first error, and the main connection runs the whole ingest call in one
transaction. CSV and JSON lines files are therefore first read in full on a private in-memory
DuckDB connection (:meth:`Stager.side`) with exactly the options the main connection will use;
once that read succeeded, the stage is a temporary *view* on the main connection that reads the
file itself (the rows are numbered in file order by ``row_number() OVER ()``, which DuckDB computes
in one ordered stream), so the rows are not copied before they are normalised. When the side read
proved that every record of the file is a row (no rejected CSV record, no blank JSON line), the
reader also gives a *positional* view without row numbers, which DuckDB can read with several
threads; ``ingest.normalise.materialise_rows`` numbers those rows by their position afterwards.
Python-built rows (xlsx, XES, inline reference rows) are complete Arrow tables before they are
registered on the main connection, and Parquet arrives as Arrow from a table on the side
connection; neither can fail half-way. (A table made inside the caller's transaction keeps its memory until the
transaction ends, even once dropped: stages avoid copies for that reason too.)
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ingest.sql import ident

STAGE_META = ("_row", "_err", "_hint", "_raw")
# Longest line DuckDB reads in a CSV or JSON lines file, and its read buffer: a file larger than one
# buffer is read by several threads. DuckDB's buffer must exceed the line limit; with a 16 MB limit
# its default buffer is so large that files of 60 MB were still read in one thread.
MAX_LINE_BYTES = 8 << 20
BUFFER_BYTES = 16 << 20
LINE_OPTIONS = f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {BUFFER_BYTES}"


@dataclass
class Stage:
    """One staged table: a sheet, the traces or events of a log, or a whole CSV/JSONL/Parquet file."""

    table: str                              # temp table, view or registered Arrow table (main connection)
    columns: dict[str, str]                 # source column name -> stage column (c1, c2, ...)
    rows: int                               # rows staged (including rows with _err)
    typed_cells: bool = False               # cells held typed values, rendered as ISO text
    notes: list[str] = field(default_factory=list)
    # A view of the same rows without ``_row``, in file order, whose k-th row is row k (set only when
    # the reader proved that: no rejected CSV record, no blank JSON line). Unlike ``table``, which
    # numbers the rows with ``row_number() OVER ()`` and so reads them in one thread, it can be
    # read in parallel; see ``ingest.normalise.materialise_rows``.
    positional: str | None = None


class Stager:
    """Names, the side connection and the temporary folder of one ingest call."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._side: duckdb.DuckDBPyConnection | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="sunlight-ingest-")
        self._names = itertools.count(1)
        self._views: dict[str, list[str]] = {}     # view -> helper tables it reads
        self._registered: set[str] = set()          # Arrow tables registered on the main connection

    @property
    def tmpdir(self) -> Path:
        return Path(self._tmp.name)

    def side(self) -> duckdb.DuckDBPyConnection:
        if self._side is None:
            self._side = duckdb.connect(":memory:")
            self._side.execute("SET temp_directory = $dir", {"dir": str(self.tmpdir / "spill")})
            self._side.execute("SET preserve_insertion_order = true")
        return self._side

    def name(self, kind: str) -> str:
        return f"_ingest_{kind}_{next(self._names)}"

    def reset_side(self) -> None:
        """Drop every table of the side connection (after a file is staged or refused)."""
        if self._side is None:
            return
        try:
            tables = self._side.execute("SELECT database_name, schema_name, table_name FROM duckdb_tables()").fetchall()
            for database, schema, name in tables:
                self._side.execute(f"DROP TABLE IF EXISTS {ident(database)}.{ident(schema)}.{ident(name)}")
        except duckdb.Error:
            self._side.close()
            self._side = None

    def close(self) -> None:
        for view in [*self._registered, *self._views]:
            try:
                self.drop(view)
            except duckdb.Error:     # the caller's transaction has failed; it is rolled back anyway
                break
        if self._side is not None:
            self._side.close()
            self._side = None
        self._tmp.cleanup()

    def transfer(self, query: str, params: dict[str, Any] | None = None) -> str:
        """Run ``query`` on the side connection and store its result as a main-connection temp table."""
        table = self.name("stage")
        used = {k: x for k, x in (params or {}).items() if f"${k}" in query}
        reader = self.side().sql(query, params=used or None).to_arrow_reader(65536)
        self._from_reader(table, reader)
        return table

    def from_batches(self, schema: pa.Schema, batches: list[pa.RecordBatch]) -> str:
        """Arrow batches (built in Python: xlsx, XES, inline rows) as a stage the main connection reads.

        The batches are complete before this is called, so scanning them cannot fail (a parse error
        raised while DuckDB scanned them would abort the main transaction). They are registered,
        not copied: a table made inside the caller's transaction would keep its memory until the
        transaction ends, even once dropped.
        """
        return self.register(pa.Table.from_batches(batches, schema=schema))

    def register(self, table: pa.Table) -> str:
        """A complete Arrow table (made by a worker process) as a stage the main connection reads."""
        name = self.name("stage")
        self.con.register(name, table)
        self._registered.add(name)
        return name

    def _from_reader(self, table: str, reader: pa.RecordBatchReader) -> None:
        view = self.name("arrow")
        self.con.register(view, reader)
        try:
            self.con.execute(f"CREATE TEMP TABLE {ident(table)} AS SELECT * FROM {ident(view)}")
        finally:
            self.con.unregister(view)

    def view(self, query: str, helpers: Iterable[str] = ()) -> str:
        """A main-connection temp view of ``query`` (which holds no parameters: see ``literal``).

        ``helpers`` are main-connection temp tables the view reads; they are dropped with it.
        """
        name = self.name("stage")
        self.con.execute(f"CREATE TEMP VIEW {ident(name)} AS {query}")
        self._views[name] = list(helpers)
        return name

    def drop_stage(self, stage: Stage) -> None:
        for table in (stage.table, stage.positional):
            if table is not None:
                self.drop(table)

    def drop(self, table: str) -> None:
        if table in self._registered:
            self._registered.discard(table)
            self.con.unregister(table)
            return
        if table in self._views:
            self.con.execute(f"DROP VIEW IF EXISTS {ident(table)}")
            for helper in self._views.pop(table):
                self.con.execute(f"DROP TABLE IF EXISTS {ident(helper)}")
            return
        self.con.execute(f"DROP TABLE IF EXISTS {ident(table)}")



@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a reader makes millions of small acyclic
    objects (cells, attribute dictionaries): every collection on the way would walk all of them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def stage_schema(count: int, extra: Iterable[str] = ()) -> pa.Schema:
    """Schema of a Python-built stage: _row, the meta columns, ``extra`` text columns, c1..cN."""
    fields = [pa.field("_row", pa.int64())]
    fields += [pa.field(name, pa.string()) for name in (*STAGE_META[1:], *extra)]
    fields += [pa.field(f"c{i}", pa.string()) for i in range(1, count + 1)]
    return pa.schema(fields)


class BatchBuilder:
    """Collects rows and yields Arrow record batches of ``size`` rows (columns built at flush)."""

    def __init__(self, schema: pa.Schema, size: int = 50_000) -> None:
        self.schema = schema
        self.size = size
        self.rows: list[list[Any]] = []
        self.count = 0

    def add(self, values: list[Any]) -> pa.RecordBatch | None:
        self.rows.append(values)
        self.count += 1
        return self.flush() if len(self.rows) >= self.size else None

    def flush(self) -> pa.RecordBatch | None:
        if not self.rows:
            return None
        columns = list(zip(*self.rows, strict=True))     # every row has as many values as the schema
        batch = pa.RecordBatch.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, self.schema, strict=True)],
            schema=self.schema,
        )
        self.rows = []
        return batch


def drain(builder: BatchBuilder, rows: Iterator[list[Any]]) -> Iterator[pa.RecordBatch]:
    """Batches of ``rows`` through ``builder``, the last partial batch included."""
    for values in rows:
        batch = builder.add(values)
        if batch is not None:
            yield batch
    last = builder.flush()
    if last is not None:
        yield last
