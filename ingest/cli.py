"""``sunlight ingest`` and ``sunlight quarantine``.

``sunlight ingest PATH... --db DB`` loads files and folders in one transaction: killed half-way,
or stopped by an error, it leaves the database as it was. It prints the reconciliation of every
file and exits 0 when everything loaded, 10 when rows were quarantined or files refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.api import OUTCOME_LABELS, IngestReport, ingest_paths
from ingest.api import Progress as Step
from ingest.fields import TARGETS
from ingest.mapping import load_mappings
from ingest.quarantine import count_rows, list_rows
from sunlight import db
from sunlight.cli import EXIT_ATTENTION
from sunlight.config import Settings, load_settings
from sunlight.errors import IngestError, SunlightError

STEP_LABELS = {"recognise": "识别", "load": "载入", "finish": "收尾"}


def report_table(report: IngestReport) -> Table:
    table = Table(title=f"第 {report.load_id} 次载入：对账", show_lines=False)
    for heading, justify in (("文件", "left"), ("平台", "left"), ("类型", "left"), ("读取", "right"),
                             ("载入", "right"), ("隔离", "right"), ("结果", "left")):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for f in report.files:
        kinds = "+".join(TARGETS[r].label for r in f.records) or "—"
        platform = f"{f.title}（{f.platform}）" if f.platform else "—"
        outcome = OUTCOME_LABELS[f.outcome]
        style = "red" if f.outcome == "refused" else "yellow" if f.quarantined else None
        table.add_row(f.name, platform, kinds, f"{f.read:,}", f"{f.loaded:,}", f"{f.quarantined:,}", outcome, style=style)
    totals = report.totals
    table.add_section()
    table.add_row("合计", "", "", f"{totals.read:,}", f"{totals.loaded:,}", f"{totals.quarantined:,}", "")
    return table


def _run(con: duckdb.DuckDBPyConnection, paths: list[Path], settings: Settings, mapping_files: list[Path],
         console: Console) -> IngestReport:
    mappings = load_mappings(mapping_files)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("识别文件", total=None)

        def show(step: Step) -> None:
            bar.update(task, description=f"{STEP_LABELS[step.step]} {step.file}", completed=step.done,
                       total=step.total)

        con.execute("BEGIN TRANSACTION")
        try:
            report = ingest_paths(con, paths, settings, mappings, progress=show)
            con.execute("COMMIT")
        except BaseException as exc:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if isinstance(exc, duckdb.Error):
                raise IngestError(f"database error during ingest: {exc}",
                                  hint="nothing was loaded (the transaction was rolled back); "
                                       "report this error together with the files given") from exc
            raise
    return report


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The DuckDB database file (created when missing).")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A mapping file for exports the built-in mappings do not describe (repeatable).")
@click.option("--calendar-override", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Working-day override CSV (date,is_workday[,note]); default: the settings file's.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], db_path: Path, mapping_files: tuple[Path, ...],
           calendar_override: Path | None) -> None:
    """Load platform exports (files or folders, recursively) into the database.

    \b
    Reference data loads first, then cases, events and disclosures, whatever the order given.
    Each file is recognised by content; pass --mapping for other exports (docs/mappings.md).
    Exit status: 0 all loaded, 10 rows quarantined or files refused (see `sunlight quarantine`).
    """
    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    if calendar_override is not None:
        settings = settings.model_copy(update={"calendar_override": calendar_override})
    console = Console(stderr=True)
    con = db.connect(db_path)
    try:
        report = _run(con, list(paths), settings, list(mapping_files), console)
    finally:
        con.close()
    out = Console(width=None if sys.stdout.isatty() else 160)
    out.print(report_table(report))
    for f in report.files:
        if f.message:
            out.print(f"[bold]{f.name}[/bold]：{f.message}", highlight=False)
    if report.needs_attention:
        out.print(f"有 {sum(f.quarantined for f in report.files):,} 行被隔离、"
                  f"{sum(f.outcome == 'refused' for f in report.files)} 个文件被拒绝；"
                  f"用 `sunlight quarantine --db {db_path}` 查看原因。", highlight=False)
        ctx.exit(EXIT_ATTENTION)


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The DuckDB database file.")
@click.option("--file", "file_name", default=None, help="Only rows of this file (its base name).")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1), help="Rows to show.")
def quarantine(db_path: Path, file_name: str | None, limit: int) -> None:
    """List quarantined rows with the reason, the column and how to fix them."""
    try:
        con = db.connect(db_path, read_only=True)
    except duckdb.Error as exc:
        raise SunlightError(f"cannot open the database: {exc}") from exc
    try:
        total = count_rows(con, file_name)
        rows = list_rows(con, file_name, limit)
    finally:
        con.close()
    out = Console(width=None if sys.stdout.isatty() else 160)
    if not total:
        out.print("没有被隔离的行。" if file_name is None else f"文件 {file_name} 没有被隔离的行。")
        return
    table = Table(title="隔离区", show_lines=True)
    for heading in ("批次", "文件", "类型", "行号", "列", "原因", "提示", "原始内容"):
        table.add_column(heading, overflow="fold")
    for r in rows:
        raw = r.raw if len(r.raw) <= 160 else r.raw[:157] + "…"
        table.add_row(str(r.load_id), r.file_name, r.record_label, str(r.row_number), r.column or "", r.reason,
                      r.hint or "", raw)
    out.print(table)
    shown = f"（显示前 {len(rows):,} 行，用 --limit 显示更多）" if len(rows) < total else ""
    out.print(f"共 {total:,} 行被隔离{shown}。", highlight=False)
