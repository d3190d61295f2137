"""``ingest_paths``: load platform exports into the canonical tables.

The call never begins or commits a transaction (the caller owns it; ``sunlight ingest`` runs the
whole call as one). It reads every file it is given - folders recursively - recognises each with a
mapping, then loads by phase whatever the argument order: reference data (departments, items,
officers, discretion), cases, events, disclosures. Every row read is either loaded or quarantined;
a file that cannot be read at all is refused with a reason. Then it renumbers the events of every
case it touched, records the reconciliation in ``loads``/``load_files``, and extends the calendar
over the dates it loaded (a :class:`~sunlight.errors.CalendarError` propagates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest import prefetch, store
from ingest.mapping import FileEntry, Mapping, builtin_mappings, load_mappings
from ingest.fields import Kind
from ingest.normalise import clean_sql, create_helpers, drop_helpers, load_part
from ingest.parts import PartSpec
from ingest.prefetch import Prefetcher
from ingest.readers import reader_for
from ingest.readers.base import Stage, Stager
from ingest.readers.inline import reference_digest, reference_name, reference_parts, stage_reference
from ingest.recognise import Match, check_columns, recognise
from ingest.sources import SourceFile, expand, fingerprint, sniff
from ingest.steps import Context
from ingest.sql import Params, first, ident
from sunlight.config import Settings
from sunlight.errors import IngestError, Location

OUTCOME_LABELS = {"loaded": "已载入", "replaced": "已替换", "unchanged": "未变化", "refused": "已拒绝"}


@dataclass(frozen=True)
class Progress:
    """One step of an ingest call, for progress bars: ``done`` of ``total`` parts."""

    file: str
    step: str           # recognise / load / finish
    done: int
    total: int


ProgressCallback = Callable[[Progress], None]


@dataclass
class Counts:
    read: int = 0
    loaded: int = 0
    quarantined: int = 0


@dataclass
class FileReport:
    """The reconciliation of one file: read = loaded + quarantined, per record and in total."""

    name: str
    sha256: str
    order: int
    path: Path | None = None
    platform: str = ""
    title: str = ""
    records: list[str] = field(default_factory=list)
    outcome: str = "loaded"
    notes: list[str] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    prepared_cpu: float = 0.0      # CPU seconds a worker process spent on the file ahead of its load

    @property
    def read(self) -> int:
        return sum(c.read for c in self.counts.values())

    @property
    def loaded(self) -> int:
        return sum(c.loaded for c in self.counts.values())

    @property
    def quarantined(self) -> int:
        return sum(c.quarantined for c in self.counts.values())

    @property
    def message(self) -> str:
        return "；".join(self.notes)


@dataclass
class IngestReport:
    load_id: int
    files: list[FileReport]

    @property
    def needs_attention(self) -> bool:
        """True when any row was quarantined or any file refused."""
        return any(f.quarantined or f.outcome == "refused" for f in self.files)

    @property
    def totals(self) -> Counts:
        return Counts(sum(f.read for f in self.files), sum(f.loaded for f in self.files),
                      sum(f.quarantined for f in self.files))


@dataclass
class _Plan:
    """A file on its way in: its report, its mapping match, its staged tables."""

    report: FileReport
    source: SourceFile | None = None
    match: Match | None = None
    mapping: Mapping | None = None           # for mapping reference rows
    replaces: store.Previous | None = None
    stages: dict[str, Stage] | None = None
    parts_left: int = 0

    @property
    def active(self) -> bool:
        return self.report.outcome in ("loaded", "replaced")


def _sources(paths: Sequence[Path]) -> list[SourceFile]:
    sources: list[SourceFile] = []
    by_name: dict[str, SourceFile] = {}
    for path in expand([Path(p) for p in paths]):
        size, digest = fingerprint(path)
        other = by_name.get(path.name)
        if other is not None:
            if other.sha256 == digest:
                continue
            raise IngestError(
                f"two different files are both named {path.name!r}: {other.path} and {path}",
                location=Location(file=path),
                hint="a file's base name is its identity (a re-export replaces the file of the same name); "
                     "rename one of them and run again - nothing was loaded",
            )
        source = SourceFile(path, len(sources) + 1, size, digest)
        by_name[path.name] = source
        sources.append(source)
    return sources


def _recognise(plan: _Plan, mappings: Sequence[Mapping], stager: Stager) -> None:
    source = plan.source
    assert source is not None
    try:
        sniff(source)
        plan.match = recognise(source, mappings, stager)
    except IngestError as exc:
        _refuse(plan, exc)
        return
    finally:
        stager.reset_side()
    plan.report.platform = plan.match.mapping.platform
    plan.report.title = plan.match.mapping.title
    plan.report.records = plan.match.records
    plan.report.notes.extend(plan.match.notes)


def _refuse(plan: _Plan, exc: IngestError) -> None:
    plan.report.outcome = "refused"
    plan.report.notes.append(exc.message + (f"。{exc.hint}" if exc.hint else ""))


def _check_previous(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    before = store.previous(con, plan.report.name)
    if before is None:
        return
    if before.sha256 == plan.report.sha256:
        plan.report.outcome = "unchanged"
        plan.report.notes.append(f"内容与第 {before.load_id} 次载入的同名文件相同，未重复载入")
    else:
        plan.report.outcome = "replaced"
        plan.replaces = before


def _first_rows(con: duckdb.DuckDBPyConnection, stage: Stage, part: PartSpec, stager: Stager) -> Stage:
    """The first row of each case of a flat event log: the rows its cases are taken from."""
    params = Params()
    column = stage.columns.get(part.fields["source_case_no"])
    key = clean_sql(Kind.CODE, ident(column) if column else None, params)
    table = stager.name("first")
    con.execute(
        f"CREATE TEMP TABLE {ident(table)} AS SELECT * FROM {ident(stage.table)} WHERE _row IN ("
        f"SELECT min(_row) FROM {ident(stage.table)} WHERE _err IS NULL AND {key} IS NOT NULL GROUP BY {key})",
        params.values,
    )
    row = first(con, f"SELECT count(*) FROM {ident(table)}")
    return Stage(table, stage.columns, int(row[0]) if row else 0, stage.typed_cells)


def _stage(con: duckdb.DuckDBPyConnection, plan: _Plan, stager: Stager, prefetcher: Prefetcher) -> None:
    """Stage every table of the file (so a damaged file is refused before any of it loads)."""
    stages: dict[str, Stage] = {}
    try:
        if plan.mapping is not None:
            stages = stage_reference(plan.mapping, stager)
        else:
            assert plan.source is not None and plan.match is not None
            prepared = prefetcher.take(plan.source)
            if prepared is not None:
                plan.report.prepared_cpu = prepared.cpu
                stages = prefetch.apply(prepared, plan.source, stager) or {}
            for _, entry in plan.match.entries if not stages else ():
                stages.update(reader_for(plan.source.format).stage(plan.source, entry, stager))
            if plan.source.format == "xlsx":
                headers = {i: list(stages[getattr(e, "sheet")].columns) for i, e in plan.match.entries}
                check_columns(plan.source, plan.match, headers)
            for part in plan.match.parts():
                if part.stage == "first-rows":
                    stages["first-rows"] = _first_rows(con, stages[""], part, stager)
            for stage in stages.values():
                plan.report.notes.extend(stage.notes)
    except IngestError as exc:
        for stage in stages.values():
            stager.drop_stage(stage)
        _refuse(plan, exc)
        return
    finally:
        stager.reset_side()
        if plan.source is not None:
            plan.source.cache.clear()
    plan.stages = stages
    if plan.replaces is not None:
        deleted = store.delete_file_rows(con, plan.report.name)
        plan.report.notes.append(f"替换第 {plan.replaces.load_id} 次载入的同名文件（删除其 {deleted} 行）")


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    settings: Settings,
    mappings: Sequence[Mapping | Path | str] | None = None,
    progress: ProgressCallback | None = None,
    prefetch_files: bool | None = None,
) -> IngestReport:
    """Load ``paths`` (files or folders) into the database behind ``con``; see the module docstring.

    ``prefetch_files``: parse XES logs and transcode GBK/GB18030 CSV files in a worker process
    ahead of the load (:mod:`ingest.prefetch`): True always, False never, None (the default) when
    those files are large enough to pay for the worker.
    """
    given = list(mappings or [])
    user = [m for m in given if isinstance(m, Mapping)]
    user += load_mappings([Path(m) for m in given if not isinstance(m, Mapping)])
    candidates = [*user, *builtin_mappings()]
    sources = _sources([Path(p) for p in paths])
    load_id = store.start_load(con, settings)
    create_helpers(con)
    stager = Stager(con)
    prefetcher = Prefetcher([], stager.tmpdir)
    notify = progress or (lambda _: None)
    try:
        plans = _plan_files(con, sources, candidates, stager, notify)
        plans = _reference_plans(con, plans) + plans
        work = [(part, plan) for plan in plans if plan.active
                for part in (reference_parts(plan.mapping) if plan.mapping else plan.match.parts() if plan.match else [])]
        work.sort(key=lambda w: (w[0].phase, w[1].report.order))
        for _, plan in work:
            plan.parts_left += 1
        prefetcher = Prefetcher(_prefetchable(work), stager.tmpdir / "prefetch", force=prefetch_files)
        for done, (part, plan) in enumerate(work, 1):
            notify(Progress(plan.report.name, "load", done, len(work)))
            _load(con, plan, part, stager, settings, load_id, prefetcher)
        for file_no, plan in enumerate(plans, 1):
            store.record_file(con, load_id, file_no, _file_row(plan.report))
        notify(Progress("", "finish", len(work), len(work)))
        store.renumber(con)
        store.cover_calendar(con, load_id, settings)
        store.finish_load(con, load_id, settings)
        drop_helpers(con)
    finally:
        prefetcher.close()
        stager.close()
    return IngestReport(load_id, [p.report for p in plans])


def _prefetchable(work: list[tuple[PartSpec, _Plan]]) -> list[tuple[SourceFile, list[FileEntry]]]:
    """The files a worker can prepare, in the order the load stages them (at their first part)."""
    found: dict[int, tuple[SourceFile, list[FileEntry]]] = {}
    for _, plan in work:
        if plan.source is None or plan.match is None or plan.source.order in found:
            continue
        entries = [entry for _, entry in plan.match.entries]
        if prefetch.wanted(plan.source, entries):
            found[plan.source.order] = (plan.source, entries)
    return list(found.values())


def _plan_files(con: duckdb.DuckDBPyConnection, sources: list[SourceFile], candidates: list[Mapping], stager: Stager,
                notify: ProgressCallback) -> list[_Plan]:
    """Recognise every file and decide whether it loads, replaces an earlier load or is unchanged."""
    plans: list[_Plan] = []
    for i, source in enumerate(sources, 1):
        notify(Progress(source.name, "recognise", i, len(sources)))
        plan = _Plan(FileReport(source.name, source.sha256, source.order, path=source.path), source=source)
        _recognise(plan, candidates, stager)
        if plan.active:
            _check_previous(con, plan)
        plans.append(plan)
    return plans


def _reference_plans(con: duckdb.DuckDBPyConnection, plans: list[_Plan]) -> list[_Plan]:
    """The reference rows of every mapping (with ``reference:``) that recognised a file."""
    used = {id(p.match.mapping): p.match.mapping for p in plans if p.match and p.match.mapping.reference}
    references: list[_Plan] = []
    for mapping in used.values():
        report = FileReport(reference_name(mapping), reference_digest(mapping), 0, path=mapping.path,
                            platform=mapping.platform, title=mapping.title,
                            records=[p.record for p in reference_parts(mapping)])
        plan = _Plan(report, mapping=mapping)
        _check_previous(con, plan)
        references.append(plan)
    return references


def _load(con: duckdb.DuckDBPyConnection, plan: _Plan, part: PartSpec, stager: Stager, settings: Settings,
          load_id: int, prefetcher: Prefetcher) -> None:
    """Load one part of a plan (staging the file first if this is its first part)."""
    if plan.active and plan.stages is None:
        _stage(con, plan, stager, prefetcher)
    plan.parts_left -= 1
    if not plan.active or plan.stages is None:
        return
    stage = plan.stages.get(part.stage)
    if stage is not None:
        result = load_part(con, Context(part, stage, Params(), settings.timezone, load_id, plan.report.name))
        if part.counted:
            counts = plan.report.counts.setdefault(part.record, Counts())
            counts.read += result.read
            counts.loaded += result.loaded
            counts.quarantined += result.quarantined
    if plan.parts_left == 0:
        if plan.report.counts and not plan.report.read:
            plan.report.notes.append("文件没有数据行")
        for staged in plan.stages.values():
            stager.drop_stage(staged)


def _file_row(report: FileReport) -> dict[str, object]:
    return {
        "file_name": report.name, "sha256": report.sha256, "platform": report.platform,
        "record": "+".join(report.records), "read": report.read, "loaded": report.loaded,
        "quarantined": report.quarantined, "outcome": report.outcome, "message": report.message or None,
        "detail": {k: vars(c) for k, c in report.counts.items()},
    }
