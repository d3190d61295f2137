"""``sunlight generate``: write a sample district's platform exports and their ground truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from samples.generator import DEFAULT_AS_OF

PROGRESS_FROM = 20_000  # show a progress bar for runs of at least this many cases


def _parse_as_of(ctx: click.Context, param: click.Parameter, value: str) -> dt.datetime:
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    raise click.BadParameter(f"{value!r} is not a local time like '2026-11-20 18:00'")


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--cases", type=click.IntRange(min=1), default=3000, show_default=True,
              help="How many cases to generate, service and enforcement together.")
@click.option("--seed", type=int, default=2012, show_default=True,
              help="Random seed. The same seed, case count, as-of time and --dirty give byte-identical files.")
@click.option("--as-of", "as_of", default=f"{DEFAULT_AS_OF:%Y-%m-%d %H:%M}", show_default=True,
              callback=_parse_as_of,
              help="Audit time (local, 'YYYY-MM-DD HH:MM'): open cases are judged as of it and no event is later. "
                   "Must lie between 2025-07-01 and 2026-11-30.")
@click.option("--dirty", is_flag=True,
              help="Also append deliberately bad rows to the exports and list them in truth/expected_quarantine.csv.")
def generate(out_dir: Path, cases: int, seed: int, as_of: dt.datetime, dirty: bool) -> None:
    """Generate the sample district (平房区) into OUT_DIR.

    \b
    Writes every platform's export under OUT_DIR/exports, in the shape its mapping in
    ingest/mappings describes, and the truth under OUT_DIR/truth: ground_truth.csv (one row per
    planted violation), traps.csv (cases a naive audit gets wrong) and manifest.json (row counts
    and sha256 of every file).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from samples.generator import generate as run

    with Progress(TextColumn("生成办件"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True, disable=cases < PROGRESS_FROM) as bar:
        task = bar.add_task("cases", total=cases)
        manifest = run(out_dir, cases, seed, as_of, dirty=dirty, progress=lambda n: bar.advance(task, n))
    planted = sum(count for key, count in manifest.findings.items())
    click.echo(f"{out_dir}：{cases:,} 件办件（种子 {seed}，稽核时点 {manifest.as_of}）；"
               f"预埋违规 {planted:,} 项，易错情形 {sum(manifest.traps.values()):,} 个；"
               f"{len(manifest.files)} 个文件，清单见 {out_dir / 'truth' / 'manifest.json'}")
