"""``sunlight audit`` and ``sunlight rules`` (lint, test, explain).

``sunlight audit --db DB [--as-of TIME] [--rules DIR]`` runs the pack in one transaction and prints
the findings by category and level; it exits 10 when a rule failed (the others still ran).
``sunlight rules lint`` validates a pack (every error with file, line and field), compiles and
bind-checks every rule, and says which rules only the batch engine runs. ``sunlight rules test``
runs the inline tests on DuckDB; ``sunlight rules explain RULE_ID`` prints the rule's sentence and
its SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from audit.compile import DuckDBTarget
from audit.exceptions import load_exceptions
from audit.rulecheck import run_tests
from audit.rules import ErrorPolicy, Pack, default_rules_dir, explain, load_pack
from audit.rules.loader import default_exceptions_dir
from audit.runner import FLAG_STEP, AuditResult, prepare, run_audit
from sunlight import db
from sunlight.cli import EXIT_ATTENTION
from sunlight.config import Settings
from sunlight.errors import RuleError

LEVELS = (("red", "红牌"), ("yellow", "黄牌"))
CATEGORIES = ("时效", "流程", "内容", "公示")
TIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def _settings() -> Settings:
    obj = click.get_current_context().obj
    return obj if isinstance(obj, Settings) else Settings.model_validate({})


def _rules_dir(given: Path | None, settings: Settings) -> Path:
    return given or settings.rules_dir or default_rules_dir()


def summary_table(result: AuditResult) -> Table:
    table = Table(title="本次发现（条）")
    table.add_column("类别")
    for _, label in LEVELS:
        table.add_column(label, justify="right")
    table.add_column("合计", justify="right")
    categories = [c for c in CATEGORIES if c in result.by_category] + sorted(set(result.by_category) - set(CATEGORIES))
    for category in categories or list(CATEGORIES):
        counts = result.by_category.get(category, {})
        cells = [f"{counts.get(level, 0):,}" for level, _ in LEVELS]
        table.add_row(category, *cells, f"{sum(counts.values()):,}")
    table.add_section()
    totals = [sum(c.get(level, 0) for c in result.by_category.values()) for level, _ in LEVELS]
    table.add_row("合计", *(f"{n:,}" for n in totals), f"{sum(totals):,}")
    return table


def describe(result: AuditResult) -> list[str]:
    lines = [f"规则包版本 {result.pack_version}；执行规则 {len(result.rules_run)} 条。"]
    stats = result.flag_stats
    if stats:
        lines.append(f"牌面变化：新入牌 {stats.get('raised', 0)}，黄转红 {stats.get('escalated', 0)}，"
                     f"重新出现 {stats.get('reraised', 0)}，条件消除 {stats.get('cleared', 0)}。")
    if result.suppressed:
        waived = "，".join(f"{rule} {n} 条" for rule, n in sorted(result.suppressed.items()))
        lines.append(f"按例外豁免：{waived}。")
    if result.not_in_force:
        lines.append(f"尚未生效的规则：{'、'.join(result.not_in_force)}。")
    for failure in result.failures:
        lines.append(f"规则失败：{failure.describe()}")
    return lines


@click.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The DuckDB database file.")
@click.option("--as-of", "as_of", type=click.DateTime(TIME_FORMATS), default=None,
              help="Audit time, local (default: now).")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Rule pack folder (default: settings rules_dir, else the bundled rules/default).")
@click.option("--exceptions", "exceptions_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Rule exception folder (default: settings exceptions_dir, else rules/exceptions).")
def audit(db_path: Path, as_of: dt.datetime | None, rules_dir: Path | None, exceptions_dir: Path | None) -> None:
    """Audit the database against a rule pack, as of a time, in one transaction.

    Exits 0 when every rule ran, 10 when some rule failed (reported; the others ran).
    """
    settings = _settings()
    pack = load_pack(_rules_dir(rules_dir, settings))
    exceptions = load_exceptions(exceptions_dir or settings.exceptions_dir or default_exceptions_dir(),
                                 {r.id for r in pack})
    con = db.connect(db_path)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("编译规则", total=None)

            def show(step: str, done: int, total: int) -> None:
                label = "更新预警牌与历史" if step == FLAG_STEP else f"执行规则 {step}"
                bar.update(task, description=label, completed=done, total=total)

            result = run_audit(con, pack, as_of, settings, exceptions=exceptions, progress=show)
    finally:
        con.close()
    console = Console()
    console.print(f"第 {result.run_id} 次稽核，截至 {result.as_of:%Y-%m-%d %H:%M}")
    console.print(summary_table(result))
    for line in describe(result):
        console.print(line, style="red" if line.startswith("规则失败") else None)
    if result.failures:
        raise click.exceptions.Exit(EXIT_ATTENTION)


@click.group()
def rules() -> None:
    """Rule packs: validate, run inline tests, explain a rule."""


def _lint_compile(pack: Pack) -> list[str]:
    """Compile and bind-check every rule against an empty database; return problems."""
    con = db.memory()
    try:
        _, failures = prepare(con, list(pack), dt.datetime(2026, 1, 1), DuckDBTarget())
    finally:
        con.close()
    return [f.describe() for f in failures]


@rules.command("lint")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def lint(directory: Path | None) -> None:
    """Validate the rule files in DIRECTORY (default: the configured pack) and compile every rule."""
    settings = _settings()
    folder = _rules_dir(directory, settings)
    pack = load_pack(folder, policy=ErrorPolicy.COLLECT)
    for error in pack.errors:
        click.echo(f"错误 {error.describe()}", err=True)
    problems = _lint_compile(pack)
    for problem in problems:
        click.echo(f"错误 {problem}", err=True)
    for rule in pack:
        where = pack.sources.get(rule.id)
        if rule.batch_only:
            click.echo(f"注意 {where}：{rule.id} 是 {rule.kind} 规则，仅批量审计执行，实时引擎不覆盖。")
        if not rule.tests:
            click.echo(f"提示 {where}：{rule.id} 没有内联测试。")
    try:
        load_exceptions(settings.exceptions_dir or default_exceptions_dir(), {r.id for r in pack})
    except RuleError as exc:
        click.echo(f"错误 {exc.describe()}", err=True)
        problems.append(exc.message)
    click.echo(f"{folder}：{len(pack)} 条规则有效，{len(pack.errors) + len(problems)} 处错误。")
    if pack.errors or problems:
        raise click.exceptions.Exit(RuleError.exit_code)


@rules.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.argument("rule_id", required=False)
def test(directory: Path | None, rule_id: str | None) -> None:
    """Run the inline tests of every rule in DIRECTORY (or of RULE_ID) on DuckDB.

    Exits 1 when a test fails.
    """
    settings = _settings()
    pack = load_pack(_rules_dir(directory, settings))
    if rule_id is not None:
        pack.get(rule_id)
    outcomes = run_tests(pack, rule_id=rule_id)
    failed = 0
    for outcome in outcomes:
        mark = "通过" if outcome.passed else "失败"
        click.echo(f"{mark} {outcome.rule_id}：{outcome.test}")
        for problem in outcome.problems:
            click.echo(f"    {problem}")
        failed += not outcome.passed
    click.echo(f"共 {len(outcomes)} 个测试，{len(outcomes) - failed} 个通过，{failed} 个失败。")
    if failed:
        raise click.exceptions.Exit(1)


@rules.command("explain")
@click.argument("rule_id")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Rule pack folder (default: the configured pack).")
def explain_rule(rule_id: str, rules_dir: Path | None) -> None:
    """Print RULE_ID as a Chinese sentence, then its SQL and parameters."""
    pack = load_pack(_rules_dir(rules_dir, _settings()))
    rule = pack.get(rule_id)
    click.echo(f"{rule.id} 第 {rule.version} 版（{rule.effective_from} 起）{rule.title}")
    click.echo(explain(rule))
    if rule.batch_only:
        click.echo("（仅批量审计执行，实时引擎不覆盖）")
    compiled = DuckDBTarget().compile(rule)
    click.echo("")
    click.echo(compiled.sql + ";")
    params = {k: ("<审计时点>" if k == "as_of" else v) for k, v in compiled.params.items()}
    click.echo("-- 参数：" + json.dumps(params, ensure_ascii=False, default=str))

