"""Normalisation: one staged part in, canonical rows and quarantine rows out, all in SQL.

For each record type :data:`PIPELINES` lists the steps in order. The runner builds one query:
the cleaned text of every mapped column (trimmed; full-width digits, letters and punctuation folded
to ASCII for codes, numbers and times), then one layer per step, then the number of the first
failing row-level check (``_fail0``). Only what the insert and the relational checks need (typed
values, derived columns, ``_row``, ``_fail0``) is materialised. Each relational step then finds
just the rows that fail it (a key repeated in the file, a key already loaded, an unknown item or
case), and those rows and the rows that failed a row-level check become the failures, with the
number of their first failing check (``_fail``; 0 = the row could not be split into columns).
Every other row is inserted into the canonical table - events with their ``seq`` within the part;
the failures go into ``quarantine`` with the reason, column and hint of their check and their raw
content as JSON (their text columns are computed again, for those rows only).

Every expression here is total (``try_cast``, ``try_strptime``, guarded JSON functions): a bad
value makes a NULL and a failed check, never an error, because one error would abort the whole
ingest transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from ingest.derived import Activity, Applicant, Attrs, CaseKey, DisclosureCase, EventDigest, Joining
from ingest.fields import FOLDED, TARGETS, Kind
from ingest.parts import PartSpec
from ingest.readers.base import Stage
from ingest.relations import AlreadyLoaded, DuplicateInFile, KnownCase, KnownItem, key_columns
from ingest.sql import Params, first, ident, join, run
from ingest.steps import Check, Context, Convert, Relational, Required, Step, ValueMap, d, f, v

# Full-width forms of the printable ASCII characters (U+FF01..U+FF5E) and the ideographic space.
FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
ASCII = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
# A value needs the slow path (translate, trim of more than spaces) only when it holds a full-width
# character or starts or ends with other white space; most values are ASCII and take plain trim().
NEEDS_FOLDING = "[\uff01-\uff5e\u3000\u00a0\ufeff]|^[\t\r\n]|[\t\r\n]$"
NEEDS_TRIMMING = "^[\t\r\n\u3000\u00a0\ufeff]|[\t\r\n\u3000\u00a0\ufeff]$"
WHITESPACE = " \t\r\n\u3000\u00a0\ufeff"
# A value that matches neither guard nor this (a leading or trailing space, or empty) comes out of
# cleaning unchanged.
NEEDS_ANY = "|^ | $|^$"
SOURCE = "__ingest_part_source__"       # stands for the staged rows in a query template
CASE_FAILURES = "_ingest_case_failures"
TOUCHED = "_ingest_touched"

_REFERENCE = (Required(), ValueMap(), Convert(), DuplicateInFile(), AlreadyLoaded())
PIPELINES: dict[str, tuple[Step, ...]] = {
    "departments": _REFERENCE,
    "items": _REFERENCE,
    "officers": _REFERENCE,
    "discretion": _REFERENCE,
    "cases": (Required(), ValueMap(), Convert(), CaseKey(), Applicant(), DuplicateInFile(), AlreadyLoaded(),
              KnownItem()),
    "events": (Required(), ValueMap(), Activity(), Convert(), CaseKey(), Attrs(), EventDigest(), DuplicateInFile(),
               AlreadyLoaded(), KnownCase()),
    "disclosures": (Required(), ValueMap(), Convert(), DisclosureCase(), DuplicateInFile(), AlreadyLoaded()),
}

# Canonical columns that are not a field's typed value.
DERIVED: dict[str, dict[str, str]] = {
    "cases": {"case_id": d("case_id"), "applicant_id_masked": d("applicant_id_masked"),
              "applicant_id_hash": d("applicant_id_hash")},
    "events": {"event_id": d("event_id"), "case_id": d("case_id"), "seq": "_seq", "activity": d("activity"),
               "source_activity": f("activity"), "attrs": d("attrs")},
    "disclosures": {"case_id": d("case_id")},
}
PLATFORM_COLUMN = {"cases", "events", "disclosures"}


@dataclass
class PartResult:
    read: int
    loaded: int
    quarantined: int


def create_helpers(con: duckdb.DuckDBPyConnection) -> None:
    """Per-call helper tables: cases that failed (for event reasons) and cases touched (for seq)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CASE_FAILURES} (case_id VARCHAR, file_name VARCHAR,"
                " row_number BIGINT, reason VARCHAR)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} (case_id VARCHAR)")


def drop_helpers(con: duckdb.DuckDBPyConnection) -> None:
    for table in (CASE_FAILURES, TOUCHED):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def fold_sql(column: str, params: Params) -> str:
    """``column`` with full-width forms and the ideographic space folded to ASCII.

    The same mapping as ``translate(column, FULLWIDTH, ASCII)``, character by character; DuckDB's
    ``translate`` with a 95-character table costs several microseconds per value.
    """
    low, high, space = params.add("\uff01"), params.add("\uff5e"), params.add("\u3000")
    return (f"array_to_string(list_transform(string_split({column}, ''), lambda ch: CASE WHEN ch >= {low}"
            f" AND ch <= {high} THEN chr(unicode(ch) - 65248) WHEN ch = {space} THEN ' ' ELSE ch END), '')")


def clean_sql(kind: Kind, column: str | None, params: Params) -> str:
    """Trimmed text (NULL when empty); codes, numbers and times folded from full-width to ASCII.

    One regular expression tells the values that need any work (most need none: they are returned
    as they are); only those take the full path.
    """
    if column is None:
        return "NULL::VARCHAR"
    space = params.add(WHITESPACE)
    if kind in FOLDED:   # folding and trim(x, chars) are slow: only where they change something
        slow = f"trim({fold_sql(column, params)}, {space})"
        guard = NEEDS_FOLDING
    else:
        slow, guard = f"trim({column}, {space})", NEEDS_TRIMMING
    full = f"nullif(CASE WHEN regexp_matches({column}, {params.add(guard)}) THEN {slow} ELSE trim({column}) END, '')"
    return f"CASE WHEN regexp_matches({column}, {params.add(guard + NEEDS_ANY)}) THEN {full} ELSE {column} END"


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = $t"
                       " AND table_schema = 'main' ORDER BY ordinal_position", {"t": table}).fetchall()
    return [str(r[0]) for r in rows]


class PartQuery:
    """The SQL of one part: the normalised rows, the insert, the quarantine."""

    def __init__(self, con: duckdb.DuckDBPyConnection, ctx: Context) -> None:
        self.con = con
        self.ctx = ctx
        self.steps = PIPELINES[ctx.spec.record]
        self.checks: list[Check] = []
        self.relational_columns: list[str] = []
        self.template = ""                   # the row-level query, its source left as SOURCE
        self.joined = False                  # the row-level query joins another table

    def _layer(self, sql: str, step: Step) -> str:
        columns = step.columns(self.ctx)
        joins = step.joins(self.ctx) if isinstance(step, Joining) else []
        if not columns:
            return sql
        self.joined = self.joined or bool(joins)
        exprs = join((f"{expr} AS {ident(name)}" for name, expr in columns), ", ")
        return f"SELECT _l.*, {exprs} FROM ({sql}) AS _l {' '.join(joins)}"

    def _first_failing(self, checks: list[Check], offset: int) -> str:
        whens = " ".join(f"WHEN {c.condition} THEN {offset + i}" for i, c in enumerate(checks))
        return f"CASE {whens} END" if whens else "NULL::INTEGER"

    def row_level(self) -> str:
        """The cleaned, converted rows with ``_fail0``, the first failing row-level check."""
        spec, params = self.ctx.spec, self.ctx.params
        target = TARGETS[spec.record]
        cols = [f"{clean_sql(target.fields[n].kind, self._stage_col(c), params)} AS {f(n)}" for n, c in spec.fields.items()]
        cols += [f"{clean_sql(Kind.TEXT, self._stage_col(a), params)} AS {ident(f'a_{i}')}"
                 for i, a in enumerate(spec.attrs)]
        sql = f"SELECT _row, _err, _hint, {join(cols, ', ')} FROM {SOURCE}"
        row_steps = [s for s in self.steps if not s.RELATIONAL]
        for step in row_steps:
            sql = self._layer(sql, step)
        self.checks = [c for s in row_steps for c in s.checks(self.ctx)]
        self.template = (f"SELECT *, CASE WHEN _err IS NOT NULL THEN 0 ELSE {self._first_failing(self.checks, 1)} END"
                         f" AS _fail0 FROM ({sql})")
        return self.template.replace(SOURCE, ident(self.ctx.stage.table))

    def positional(self) -> str | None:
        """The row-level query over the stage's positional view (``_row`` left NULL), or None when
        there is none or the query joins another table (a join does not keep the rows' order)."""
        view = self.ctx.stage.positional
        if view is None or self.joined:
            return None
        return self.template.replace(SOURCE, f"(SELECT NULL::BIGINT AS _row, * FROM {ident(view)})")

    def relational(self, rows_table: str) -> str:
        """The failures: rows that failed a row-level check or fail a relational one, with ``_fail``.

        Every relational step yields only its failing rows (usually none); rows not among them
        take the step's defaults.
        """
        relational = [s for s in self.steps if isinstance(s, Relational)]
        selected, joins, found = [], [], ["r._fail0 IS NOT NULL"]
        for i, step in enumerate(relational):
            alias = f"_c{i}"
            joins.append(f"LEFT JOIN ({step.failing(self.ctx, rows_table)}) AS {alias} ON {alias}._row = r._row")
            for name, default in step.outputs(self.ctx):
                value = f"{alias}.{ident(name)}"
                selected.append(f"{value if default is None else f'coalesce({value}, {default})'} AS {ident(name)}")
            found.append(f"{alias}._row IS NOT NULL")
        later = [c for s in relational for c in s.checks(self.ctx)]
        offset = len(self.checks) + 1
        self.checks = self.checks + later
        self.relational_columns = [name for step in relational for name, _ in step.outputs(self.ctx)]
        inner = (f"SELECT r._row, r._fail0{''.join(', ' + c for c in selected)} FROM {ident(rows_table)} AS r"
                 f" {' '.join(joins)} WHERE {' OR '.join(found)}")
        return f"SELECT *, coalesce(_fail0, {self._first_failing(later, offset)}) AS _fail FROM ({inner})"

    def failing(self, fails_table: str) -> str:
        """The failed rows with every column of the row-level query and of the relational steps.

        The row-level query runs again, over the failed rows of the stage only.
        """
        extra = "".join(f", n.{ident(name)}" for name in self.relational_columns)
        failed = (f"(SELECT * FROM {ident(self.ctx.stage.table)} WHERE _row IN"
                  f" (SELECT _row FROM {ident(fails_table)}))")
        return (f"SELECT x.*{extra}, n._fail FROM ({self.template.replace(SOURCE, failed)}) AS x"
                f" JOIN {ident(fails_table)} AS n ON n._row = x._row")

    def _stage_col(self, source_column: str) -> str | None:
        name = self.ctx.stage.columns.get(source_column)
        return ident(name) if name else None

    def insert(self, table: str) -> tuple[str, list[str]]:
        spec, ctx = self.ctx.spec, self.ctx
        available = set(table_columns(self.con, table))
        derived = dict(DERIVED.get(spec.record, {}))
        if spec.record in PLATFORM_COLUMN:
            derived["source_system"] = ctx.p(spec.platform)
        if spec.record == "items":
            has = "required_materials" in spec.fields or "required_materials" in spec.constants
            derived["required_materials"] = f"coalesce({v('required_materials')}, [])::VARCHAR[]" if has else "[]::VARCHAR[]"
        derived.update(source_file=ctx.p(ctx.file_name), source_row="_row", load_id=ctx.p(ctx.load_id))
        columns: dict[str, str] = {}
        for name in [*spec.fields, *spec.constants]:
            if name in available and name not in derived and TARGETS[spec.record].fields[name].kind is not Kind.ACTIVITY:
                columns[name] = v(name)
        columns.update({k: x for k, x in derived.items() if k in available})
        return ", ".join(ident(c) for c in columns), list(columns.values())

    def reason_sql(self) -> tuple[str, str, str]:
        """SQL for the reason, column and hint of a failed row (over ``n``, the normalised rows)."""
        p = self.ctx.p
        reasons = " ".join(f"WHEN {i} THEN {c.reason}" for i, c in enumerate(self.checks, 1))
        columns = " ".join(f"WHEN {i} THEN {p(c.column)}" for i, c in enumerate(self.checks, 1) if c.column)
        hints = " ".join(f"WHEN {i} THEN {p(c.hint)}" for i, c in enumerate(self.checks, 1))
        return (f"CASE n._fail WHEN 0 THEN n._err {reasons} END",
                f"CASE n._fail {columns} END" if columns else "NULL::VARCHAR",
                f"CASE n._fail WHEN 0 THEN n._hint {hints} END")

    def raw_sql(self) -> str:
        pairs = [f"{self.ctx.p(name)}, s.{ident(col)}" for name, col in self.ctx.stage.columns.items()
                 if name in set(self.ctx.spec.source_columns())]
        obj = f"json_object({', '.join(pairs)})::VARCHAR" if pairs else "'{}'"
        return f"coalesce(s._raw, {obj})"


def kept_columns(record: str, values: list[str]) -> list[str]:
    """What the materialised rows keep besides ``_row``: the first failing check, and the typed and
    derived columns that the insert (``values``) and the relational checks read."""
    names = set(re.findall(r'"([vdf]_[^"]*)"', " ".join(values)))
    names.update(c.strip('"') for c in key_columns(record))
    names.update({"events": ["d_case_id", "v_ts"], "cases": ["d_case_id", "v_item_code"]}.get(record, []))
    return ["_fail0", *(ident(n) for n in sorted(names))]


def materialise_rows(con: duckdb.DuckDBPyConnection, query: PartQuery, rows: str,
                     kept: list[str]) -> list[tuple[str, str]]:
    """Create ``rows`` (a table, or a view over one) holding ``_row`` and ``kept`` of every staged
    row; return what to drop afterwards, in order, as (VIEW or TABLE, name).

    The stage's own table numbers its rows with ``row_number() OVER ()``, which reads the file in one
    thread, and so would every step of the row-level query above it. When the reader gave a
    positional view, the query runs over it in parallel instead, and the rows are numbered after:
    a table made from one source through projections alone keeps the source's order (DuckDB's
    order-preservation guarantee), so a row's rank by ``rowid`` is its position in the file, and
    the reader guarantees that position k is row k. The ranks are ``rowid - min(rowid) + 1`` when the
    row ids are contiguous, which is checked; otherwise the rows are made again the plain way.
    """
    params = query.ctx.params.values
    positional = query.positional()
    if positional is not None:
        raw = f"{rows}_raw"
        run(con, f"CREATE OR REPLACE TEMP TABLE {ident(raw)} AS SELECT {', '.join(kept)} FROM ({positional})", params)
        span = first(con, f"SELECT count(*), coalesce(max(rowid) - min(rowid) + 1, 0), min(rowid) FROM {ident(raw)}")
        if span is not None and span[0] == span[1] == query.ctx.stage.rows:
            low = int(span[2]) if span[2] is not None else 0
            con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(rows)} AS SELECT rowid - {low} + 1 AS _row, *"
                        f" FROM {ident(raw)}")
            return [("VIEW", rows), ("TABLE", raw)]
        con.execute(f"DROP TABLE {ident(raw)}")
    run(con, f"CREATE OR REPLACE TEMP TABLE {ident(rows)} AS SELECT _row, {', '.join(kept)}"
             f" FROM ({query.template.replace(SOURCE, ident(query.ctx.stage.table))})", params)
    return [("TABLE", rows)]


def load_part(con: duckdb.DuckDBPyConnection, ctx: Context) -> PartResult:
    """Normalise one staged part and write its rows; return the counts."""
    spec = ctx.spec
    query = PartQuery(con, ctx)
    rows, fails = f"_ingest_rows_{ctx.stage.table}", f"_ingest_fails_{ctx.stage.table}"
    query.row_level()
    table = TARGETS[spec.record].table
    columns, values = query.insert(table)
    helpers = [*materialise_rows(con, query, rows, kept_columns(spec.record, values)), ("TABLE", fails)]
    if spec.record == "events":
        # Events already in the database whose case this part adds to: the only candidates for
        # "already loaded", and the cases whose seq must be renumbered after the load.
        prior = f"_ingest_prior_{ctx.stage.table}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(prior)} AS SELECT case_id, event_id, source_file, source_row"
                    f" FROM events WHERE case_id IN (SELECT {d('case_id')} FROM {ident(rows)} WHERE _fail0 IS NULL)")
        con.execute(f"INSERT INTO {TOUCHED} SELECT DISTINCT case_id FROM {ident(prior)}")
        ctx.prior_table = prior
        helpers.append(("TABLE", prior))
    run(con, f"CREATE OR REPLACE TEMP TABLE {ident(fails)} AS {query.relational(rows)}", ctx.params.values)
    counts = first(con, f"SELECT (SELECT count(*) FROM {ident(rows)}), (SELECT count(*) FROM {ident(fails)})")
    read, failed_rows = (int(counts[0]), int(counts[1])) if counts else (0, 0)
    passing = "_fail0 IS NULL" + (f" AND _row NOT IN (SELECT _row FROM {ident(fails)})" if failed_rows else "")
    source = ident(rows)
    if spec.record == "events":
        # seq within the part (time order, ties in row order), computed over the few columns it
        # needs and joined to the rows by row number: a window over the whole rows would carry
        # every column through its sort.
        seqs = f"_ingest_seq_{ctx.stage.table}"
        helpers.append(("TABLE", seqs))
        case = d("case_id")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(seqs)} AS SELECT _row AS _seq_row, row_number() OVER"
                    f" (PARTITION BY hash({case}), {case} ORDER BY {v('ts')}, _row) AS _seq"
                    f" FROM {ident(rows)} WHERE {passing}")
        source = f"{ident(rows)} JOIN {ident(seqs)} ON _seq_row = _row"
    run(con, f"INSERT INTO {ident(table)} ({columns}) SELECT {', '.join(values)} FROM {source} WHERE {passing}",
        ctx.params.values)
    if failed_rows:
        reason, column, hint = query.reason_sql()
        failed = f"FROM ({query.failing(fails)}) n JOIN {ident(ctx.stage.table)} s ON s._row = n._row"
        if spec.counted:
            run(
                con, f"INSERT INTO quarantine (load_id, file_name, row_number, raw, reason, column_name, hint, record)"
                f" SELECT {ctx.p(ctx.load_id)}, {ctx.p(ctx.file_name)}, n._row, {query.raw_sql()}, {reason}, {column},"
                f" {hint}, {ctx.p(spec.record)} {failed}", ctx.params.values)
        if spec.record == "cases":
            run(con, f"INSERT INTO {CASE_FAILURES} SELECT n.{d('case_id')}, {ctx.p(ctx.file_name)}, n._row, {reason}"
                     f" {failed} WHERE n.{d('case_id')} IS NOT NULL", ctx.params.values)
    for kind, name in helpers:
        con.execute(f"DROP {kind} IF EXISTS {ident(name)}")
    loaded = read - failed_rows
    return PartResult(read, loaded, read - loaded)
