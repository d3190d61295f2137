"""Small core commands: database migration and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from sunlight import calendar as cal
from sunlight import db
from sunlight.config import Settings


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The DuckDB database file.")
def migrate(db_path: Path) -> None:
    """Create the database or upgrade it to this version's schema."""
    con = db.connect(db_path)
    version = db.schema_version(con)
    con.close()
    click.echo(f"{db_path}: schema version {version} (current)")


@click.group()
def calendar() -> None:
    """Working-day calendar: show days, write an override template for a new year."""


@calendar.command("template")
@click.argument("year", type=int)
def calendar_template(year: int) -> None:
    """Print a starting override CSV for YEAR (every day listed; weekends marked off).

    Correct it from the State Council holiday notice for YEAR before use: mark holidays 0 and
    make-up working days (调休) 1, then point calendar_override at the file.
    """
    click.echo(cal.template(year), nl=False)


@calendar.command("show")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("end", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.pass_obj
def calendar_show(settings: Settings, start: dt.datetime, end: dt.datetime) -> None:
    """List the days from START to END with whether each is a working day."""
    override = cal.load_override(settings.calendar_override) if settings.calendar_override else None
    for day in cal.build_days(range(start.year, end.year + 1), override):
        if start.date() <= day.day <= end.date():
            mark = "工作日" if day.is_workday else "休息日"
            click.echo(f"{day.day.isoformat()}  {mark}  {day.holiday or ''}  ({day.source})")
