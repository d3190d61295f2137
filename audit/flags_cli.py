"""Commands for flags: list them, act on them, verify their history, write lists, run the night.

``sunlight flags``   list flags (table, CSV or JSON) with filters
``sunlight flag``    the human steps: ack, order, answer, accept, return, resolve, dismiss
``sunlight verify``  recompute the history hash chain (exit 7 when it is damaged)
``sunlight report``  write each department's rectification list (整改清单) as Excel and PDF
``sunlight nightly`` the nightly batch: ingest, audit, record the run, write the lists
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from audit import actions
from audit.flags import ACTIVE_STATES, LEVELS, STATES
from sunlight import db
from sunlight.config import Settings

DB_OPTION = click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                         help="The DuckDB database file.")

# (column, Chinese heading) of `sunlight flags`
LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("flag_id", "牌号"), ("level", "等级"), ("state", "状态"), ("category", "类别"), ("dept_code", "部门"),
    ("case_id", "办件编号"), ("item_name", "事项"), ("title", "规则"), ("message", "问题说明"),
    ("due_at", "办理时限"), ("days_overdue", "超期天数"), ("first_seen_at", "首次发现"),
    ("last_seen_at", "最近发现"), ("active", "仍存在"), ("rule_id", "规则编号"),
)
_LEVEL_INPUT = {"red": "red", "红": "red", "红牌": "red", "yellow": "yellow", "黄": "yellow", "黄牌": "yellow"}


def _value(column: str, value: Any, chinese: bool) -> Any:
    if value is None:
        return ""
    if chinese and column == "level":
        return LEVELS.get(value, value)
    if chinese and column == "state":
        return STATES.get(value, value)
    if chinese and column == "active":
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


@click.command()
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--level", help="red/yellow (红/黄).")
@click.option("--state", "states", multiple=True,
              help="open/acknowledged/rectifying/resolved/dismissed, repeatable, or 'all'. "
                   "Default: the unfinished ones (open, acknowledged, rectifying).")
@click.option("--dept", help="Department code.")
@click.option("--category", help="时效 / 流程 / 内容 / 公示.")
@click.option("--rule", "rule_id", help="Rule id.")
@click.option("--limit", type=int, default=None, help="At most this many rows (most urgent first).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (CSV: UTF-8 with BOM).")
def flags(db_path: Path, fmt: str, level: str | None, states: tuple[str, ...], dept: str | None,
          category: str | None, rule_id: str | None, limit: int | None, out: Path | None) -> None:
    """List flags, most urgent first."""
    where: list[str] = ["true"]
    params: list[Any] = []
    if level:
        if level not in _LEVEL_INPUT:
            raise click.BadParameter(f"未知等级 {level!r}（red/yellow）", param_hint="--level")
        where.append("f.level = ?")
        params.append(_LEVEL_INPUT[level])
    chosen = ACTIVE_STATES if not states else (tuple(STATES) if "all" in states else states)
    unknown = [s for s in chosen if s not in STATES]
    if unknown:
        raise click.BadParameter(f"未知状态 {', '.join(unknown)}（{', '.join(STATES)}）", param_hint="--state")
    where.append("list_contains(?::VARCHAR[], f.state)")
    params.append(list(chosen))
    for column, value in (("dept_code", dept), ("category", category), ("rule_id", rule_id)):
        if value:
            where.append(f"f.{column} = ?")
            params.append(value)
    sql = (
        "SELECT f.flag_id, f.level, f.state, f.category, f.dept_code, f.case_id, i.name AS item_name, f.title,"
        " f.message, f.due_at, f.days_overdue, f.first_seen_at, f.last_seen_at, f.active, f.rule_id"
        " FROM flags f LEFT JOIN items i ON i.item_code = f.item_code"
        f" WHERE {' AND '.join(where)}"
        " ORDER BY f.level = 'red' DESC, f.days_overdue DESC NULLS LAST, f.due_at NULLS LAST, f.flag_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    con = db.connect(db_path, read_only=True)
    try:
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    text = _render(fmt, rows)
    if out is not None:
        out.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        click.echo(f"已写出 {len(rows)} 条到 {out}", err=True)
    elif fmt == "table":
        _print_table(rows)
    else:
        click.echo(text, nl=False)


def _render(fmt: str, rows: list[tuple[Any, ...]]) -> str:
    names = [c for c, _ in LIST_COLUMNS]
    if fmt == "json":
        records = [{c: (v.isoformat() if isinstance(v, dt.datetime) else v) for c, v in zip(names, r, strict=True)}
                   for r in rows]
        return json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([h for _, h in LIST_COLUMNS])
    writer.writerows([[_value(c, v, True) for c, v in zip(names, r, strict=True)] for r in rows])
    return buffer.getvalue()


def _print_table(rows: list[tuple[Any, ...]]) -> None:
    from rich.table import Table

    shown = ("flag_id", "level", "state", "category", "dept_code", "case_id", "title", "days_overdue", "due_at")
    index = [c for c, _ in LIST_COLUMNS]
    table = Table(title=f"牌（共 {len(rows)} 条）", show_lines=False)
    for column in shown:
        table.add_column(dict(LIST_COLUMNS)[column], overflow="fold")
    for row in rows:
        cells = [str(_value(c, row[index.index(c)], True)) for c in shown]
        style = "red" if row[1] == "red" else "yellow"
        table.add_row(*cells, style=style)
    width = None if sys.stdout.isatty() else 200
    Console(file=sys.stdout, width=width).print(table)


@click.command()
@DB_OPTION
def verify(db_path: Path) -> None:
    """Recompute the flag history's hash chain; exit 7 when it is damaged."""
    from audit import history

    con = db.connect(db_path, read_only=True)
    try:
        report = history.verify(con)
    finally:
        con.close()
    click.echo(report.describe())
    if not report.ok:
        raise click.exceptions.Exit(7)


# -- sunlight flag <step> ---------------------------------------------------------------------------

@click.group()
def flag() -> None:
    """Act on one flag or supervision order (every step is recorded in the history)."""


_REQUIRED_TEXT: dict[str, tuple[tuple[str, str], ...]] = {
    "order": (("instructions", "督办要求"),), "answer": (("answer", "整改反馈"),), "return": (("note", "退回理由"),),
    "resolve": (("reason", "摘牌理由"),), "dismiss": (("reason", "驳回理由"),),
}


def _step(action: str, **kwargs: Any) -> None:
    """Record the step in the action journal, then apply it if the database is free.

    Going through the journal (as the dashboard does) keeps a nightly batch that works on a copy
    of the database from losing the step, and makes a repeated ``--key`` a no-op.
    """
    from audit import journal

    ctx = click.get_current_context()
    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    db_path: Path = kwargs.pop("db_path")
    actor: str = kwargs.pop("actor")
    key: str | None = kwargs.pop("idempotency_key")
    if not actor.strip():
        raise actions.ActionError("操作人不能为空", hint="用 --user 指明操作人")
    for name, label in _REQUIRED_TEXT.get(action, ()):
        if not str(kwargs.get(name) or "").strip():  # refuse before the journal records it
            raise actions.ActionError(f"{label}不能为空")
    params = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in kwargs.items()}
    book = journal.Journal(db_path)
    entry = book.record(action, actor, params, flag_id=params.get("flag_id"), key=key,
                        at=actions.local_now(settings.timezone))
    label = actions.ACTION_LABELS[action]
    if entry.status == journal.Status.APPLIED:
        click.echo(f"该操作（{entry.key}）已于 {entry.applied_at:%Y-%m-%d %H:%M} 执行过，未重复执行。")
        return
    if entry.status == journal.Status.PENDING:
        journal.try_apply(db_path, timeout=10)
        entry = book.get(entry.key) or entry
    if entry.status == journal.Status.FAILED:
        raise actions.ActionError(entry.error or f"{label}未能执行")
    if entry.status == journal.Status.PENDING:
        click.echo(f"已记录{label}（{entry.key}）：数据库正忙（夜间批处理进行中），将在其结束后自动执行。")
        return
    click.echo(f"已{label}{_outcome(db_path, entry.key)}。")


def _outcome(db_path: Path, key: str) -> str:
    """'：牌 X（a → b），督办单 N，历史第 M 条' read back from the history, or '' if busy."""
    try:
        con = db.connect(db_path, read_only=True)
    except Exception:  # noqa: BLE001 - the step is done; the details are a courtesy
        return ""
    try:
        rows = con.execute("SELECT flag_id, from_state, to_state, detail->>'order_id', entry_no FROM flag_history"
                           " WHERE detail->>'key' = ? ORDER BY entry_no LIMIT 1", [key]).fetchall()
    finally:
        con.close()
    if not rows:
        return ""
    flag_id, before, after, order_id, entry_no = rows[0]
    change = f"{STATES.get(before, before)} → {STATES[after]}" if before != after else STATES[after]
    order = f"，督办单 {order_id}" if order_id is not None else ""
    return f"：牌 {flag_id}（{change}）{order}，历史第 {entry_no} 条"


USER = click.option("--user", "actor", required=True, help="Who does this (recorded in the history).")
KEY = click.option("--key", "idempotency_key", default=None,
                   help="Idempotency key: a second call with the same key changes nothing.")
DUE = click.option("--due", "feedback_due", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
                   help="Feedback due date (YYYY-MM-DD).")


@flag.command("ack")
@click.argument("flag_id")
@DB_OPTION
@USER
@KEY
@click.option("--note")
def ack_command(**kwargs: Any) -> None:
    """Acknowledge a flag (已确认)."""
    _step("acknowledge", **kwargs)


@flag.command("order")
@click.argument("flag_id")
@DB_OPTION
@USER
@KEY
@DUE
@click.option("--instructions", required=True, help="What the department must do (督办要求).")
@click.option("--dept", "dept_code", default=None, help="Department to supervise (default: the flag's).")
def order_command(**kwargs: Any) -> None:
    """Issue a supervision order (督办) with a feedback due date."""
    kwargs["feedback_due"] = kwargs["feedback_due"].date()
    _step("order", **kwargs)


@flag.command("answer")
@click.argument("order_id", type=int)
@DB_OPTION
@USER
@KEY
@click.option("--answer", required=True, help="The department's reply (整改反馈).")
def answer_command(**kwargs: Any) -> None:
    """Answer a supervision order (department head)."""
    _step("answer", **kwargs)


@flag.command("accept")
@click.argument("order_id", type=int)
@DB_OPTION
@USER
@KEY
@click.option("--note", default=None)
def accept_command(**kwargs: Any) -> None:
    """Accept an order's answer: the flag is resolved (摘牌)."""
    _step("accept", **kwargs)


@flag.command("return")
@click.argument("order_id", type=int)
@DB_OPTION
@USER
@KEY
@DUE
@click.option("--note", required=True, help="Why the answer is returned (退回理由).")
def return_command(**kwargs: Any) -> None:
    """Return an order's answer with a new feedback due date (退回重办)."""
    kwargs["feedback_due"] = kwargs["feedback_due"].date()
    _step("return", **kwargs)


@flag.command("resolve")
@click.argument("flag_id")
@DB_OPTION
@USER
@KEY
@click.option("--reason", required=True, help="Why the flag is resolved (摘牌理由).")
def resolve_command(**kwargs: Any) -> None:
    """Resolve a flag (摘牌)."""
    _step("resolve", **kwargs)


@flag.command("dismiss")
@click.argument("flag_id")
@DB_OPTION
@USER
@KEY
@click.option("--reason", required=True, help="Why this is not a violation (驳回理由).")
def dismiss_command(**kwargs: Any) -> None:
    """Dismiss a flag (驳回) with a reason."""
    _step("dismiss", **kwargs)


# -- lists and the nightly batch --------------------------------------------------------------------

@click.command()
@DB_OPTION
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the lists (created if needed).")
@click.option("--dept", "depts", multiple=True, help="Only this department (repeatable).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              default=None, help="Time printed on the lists and month of the score (default: now).")
@click.option("--scoring", "scoring_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scoring file (default: the bundled rules/scoring.yaml).")
def report(db_path: Path, out_dir: Path, depts: tuple[str, ...], as_of: dt.datetime | None,
           scoring_path: Path | None) -> None:
    """Write each department's rectification list (整改清单) as .xlsx and .pdf."""
    from audit import reports, scoring

    settings: Settings = click.get_current_context().obj or Settings()
    config = scoring.load_config(scoring_path)
    when = as_of or actions.local_now(settings.timezone)
    con = db.connect(db_path, read_only=True)
    try:
        known = {r[0] for r in con.execute("SELECT dept_code FROM departments UNION SELECT dept_code FROM flags"
                                           ).fetchall()}
        unknown = [d for d in depts if d not in known]
        if unknown:
            raise click.BadParameter(f"部门代码 {', '.join(unknown)} 不存在", param_hint="--dept")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("汇总整改清单", total=None)

            def show(dept: str, done: int, total: int) -> None:
                bar.update(task, description=f"已写出 {dept}", completed=done, total=total)

            written = reports.write_rectification_lists(con, out_dir, as_of=when, config=config,
                                                        depts=list(depts) or None, progress=show)
    finally:
        con.close()
    for w in written:
        grade = f"，{w.score:g} 分（{w.grade}）" if w.score is not None else ""
        click.echo(f"{w.dept_code} {w.dept_name}：红牌 {w.red}、黄牌 {w.yellow}{grade} → {w.xlsx.name}, {w.pdf.name}")
    click.echo(f"共 {len(written)} 个部门，已写入 {out_dir}")


@click.command()
@click.option("--inbox", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of the day's platform exports.")
@DB_OPTION
@click.option("--outbox", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the lists: each run writes OUTBOX/<date>/.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              default=None, help="Audit as of this local time (default: now).")
@click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Rule pack folder (default: settings rules_dir, then the bundled pack).")
@click.option("--scoring", "scoring_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scoring file (default: the bundled rules/scoring.yaml).")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def nightly(inbox: Path, db_path: Path, outbox: Path, as_of: dt.datetime | None, rules_dir: Path | None,
            scoring_path: Path | None, quiet: bool) -> None:
    """The nightly batch: ingest the inbox, audit as of now, record the run, write the lists.

    Exits 0 when the run completed, even when rows were quarantined or a rule failed (both are in
    the summary and in OUTBOX/<date>/summary.json); non-zero only when the run failed and changed
    nothing but its own failure record.
    """
    from audit import nightly as batch

    settings: Settings = click.get_current_context().obj or Settings()
    progress = None if quiet else (lambda message: click.echo(f"… {message}", err=True))
    result = batch.run_nightly(db_path, inbox, outbox, settings=settings, as_of=as_of,
                               rules_dir=rules_dir or settings.rules_dir, scoring_path=scoring_path,
                               progress=progress)
    click.echo(result.describe())
    code = batch.exit_code(result)
    if code:
        raise click.exceptions.Exit(code)
