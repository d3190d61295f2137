"""``sunlight watch`` and ``sunlight replay``: the live engine from the command line.

Both need durable_rules (Python 3.12 or older); on a Python without it they stop at once with
:class:`sunlight.errors.LiveEngineUnavailable` (exit code 8), and every other command still works.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from audit.live import require_durable
from sunlight.config import Settings

TIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
DUCKDB_MAGIC = b"DUCK"


def _pack(settings: Settings, rules_dir: Path | None) -> Any:
    from audit.live.compile import ReteTarget
    from audit.rules import default_rules_dir, load_pack

    directory = rules_dir or settings.rules_dir or default_rules_dir()
    compiled = ReteTarget().compile_pack(load_pack(directory))
    for rule_id, reason in compiled.not_covered:
        click.echo(f"实时引擎未覆盖 / not covered live: {rule_id}：{reason}", err=True)
    return compiled


def _is_duckdb(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(12)[8:12] == DUCKDB_MAGIC


@click.command()
@click.argument("events", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--until", required=True, type=click.DateTime(formats=TIME_FORMATS),
              help="Replay up to this local time and print the flags as of it.")
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A Sunlight database for reference data (items, officers, discretion, cases, disclosures).")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Rule pack folder (default: settings rules_dir, else the bundled pack).")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def replay(settings: Settings, events: Path, until: dt.datetime, db_path: Path | None, rules_dir: Path | None,
           output: str) -> None:
    """Feed EVENTS (JSON lines of canonical events, or a Sunlight database) through the live engine
    up to --until and print the flags it raises, for comparison with `sunlight audit`."""
    require_durable()
    from audit.live.feed import TABLES, Snapshot, read_jsonl_file
    from audit.live.runner import run_snapshot

    pack = _pack(settings, rules_dir)
    snapshot = Snapshot()
    calendars = []
    events_in_db = _is_duckdb(events)
    for source in (db_path, events if events_in_db else None):
        if source is not None:
            found, calendar = _read_database(source)
            for table in TABLES:
                if source == events or table != "events":
                    _merge(snapshot, table, getattr(found, table))
            calendars.append(calendar)
    if not events_in_db:
        loaded = read_jsonl_file(events, timezone=settings.tz)
        for table in TABLES:
            _merge(snapshot, table, getattr(loaded, table))
    span = snapshot.span()
    first, last = (min(span[0], until.date()), max(span[1], until.date())) if span else (until.date(), until.date())
    covering = [c for c in calendars if c is not None and c.covers(first) and c.covers(last)]
    calendar = covering[0] if covering else _calendar(settings, first, last)
    _print(run_snapshot(pack, snapshot, calendar, until), output)


def _read_database(path: Path) -> tuple[Any, Any]:
    """A database's canonical rows and its working-day calendar (None when it has none)."""
    from audit.live.calendar import WorkCalendar
    from audit.live.feed import read_duckdb
    from sunlight import db

    con = db.connect(path, read_only=True)
    try:
        days = con.execute("SELECT count(*) FROM calendar").fetchone()
        return read_duckdb(con), (WorkCalendar.from_duckdb(con) if days and days[0] else None)
    finally:
        con.close()


def _calendar(settings: Settings, first: dt.date, last: dt.date) -> Any:
    from audit.live.calendar import WorkCalendar
    from sunlight import calendar as core_calendar
    from sunlight import db

    con = db.memory()
    try:
        core_calendar.ensure_calendar(con, first, last, settings.calendar_override)
        return WorkCalendar.from_duckdb(con)
    finally:
        con.close()


def _merge(snapshot: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Add rows, a later row replacing an earlier one with the same key."""
    from audit.live.feed import KEYS

    current = {tuple(r.get(k) for k in KEYS[table]): r for r in getattr(snapshot, table)}
    for row in rows:
        current[tuple(row.get(k) for k in KEYS[table])] = row
    setattr(snapshot, table, list(current.values()))


def _print(findings: list[dict[str, Any]], output: str) -> None:
    from audit.live.runner import as_rows
    from audit.live.judges import duck_timestamp

    rows = as_rows(findings)
    if output == "json":
        plain = [{**r, "evidence": json.loads(r["evidence"]),
                  "due_at": None if r["due_at"] is None else duck_timestamp(r["due_at"])} for r in rows]
        click.echo(json.dumps(plain, ensure_ascii=False, indent=2))
        return
    click.echo("rule_id\tsubject\tlevel\tviolation_code\tmessage")
    for r in rows:
        subject = r["case_id"] if r["case_id"] is not None else r["item_code"]
        click.echo(f"{r['rule_id']}\t{subject}\t{r['level']}\t{r['violation_code']}\t{r['message']}")
    reds = sum(1 for r in rows if r["level"] == "red")
    click.echo(f"共 {len(rows)} 条（红牌 {reds}，黄牌 {len(rows) - reds}）", err=True)
    by_rule: dict[str, dict[str, int]] = {}
    for r in rows:
        counts = by_rule.setdefault(r["rule_id"], {"red": 0, "yellow": 0})
        counts[r["level"]] += 1
    for rule_id, counts in sorted(by_rule.items()):
        click.echo(f"  {rule_id}: 红牌 {counts['red']}，黄牌 {counts['yellow']}", err=True)


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The Sunlight database to watch and flag into.")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A folder platforms drop export files into; each new file is ingested.")
@click.option("--tick", type=click.FloatRange(min=0.05), default=60.0, show_default=True,
              help="Seconds between clock ticks (deadlines are checked on each tick).")
@click.option("--stdin/--no-stdin", "use_stdin", default=None,
              help="Read JSON lines of canonical events from standard input (default: when it is not a terminal).")
@click.option("--once", is_flag=True, help="Process what is there (and standard input to its end), then stop.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Rule pack folder (default: settings rules_dir, else the bundled pack).")
@click.pass_obj
def watch(settings: Settings, db_path: Path, inbox: Path | None, tick: float, use_stdin: bool | None, once: bool,
          rules_dir: Path | None) -> None:
    """Run the rules live on DB: ingest files dropped into --inbox and events on standard input as
    they arrive, tick the clock every --tick seconds, and raise, escalate and clear flags in DB."""
    require_durable()
    from audit.actions import local_now
    from audit.live.watch import Watcher, run

    pack = _pack(settings, rules_dir)
    if use_stdin is None:
        use_stdin = not sys.stdin.isatty()
    watcher = Watcher(db_path, pack, settings, clock=lambda: local_now(settings.timezone),
                      say=lambda text: click.echo(text, err=True))
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    written = run(watcher, inbox=inbox, stream=sys.stdin if use_stdin else None, tick=tick, once=once, stop=stop)
    click.echo(f"实时审计结束：共 {watcher.cycles} 个周期，{written} 次写入牌面", err=True)
