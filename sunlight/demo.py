"""``sunlight demo``: the main job on a sample district, start to finish.

Sample data → ingest → audit (the nightly batch, as of the sample's audit time) → rectification
lists → a check of the flags against the sample's planted violations → the dashboard.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.table import Table

from sunlight.config import Settings

BUNDLED = Path(__file__).resolve().parents[1] / "samples" / "demo"
DEMO_PASSWORD = "sunlight-demo"


@dataclass(frozen=True)
class TruthCheck:
    """Flags compared with a generated district's ground truth, as (code, subject, level) triples."""

    expected: frozenset[tuple[str, str, str]]
    found: frozenset[tuple[str, str, str]]

    @property
    def missed(self) -> list[tuple[str, str, str]]:
        return sorted(self.expected - self.found)

    @property
    def extra(self) -> list[tuple[str, str, str]]:
        return sorted(self.found - self.expected)

    @property
    def exact(self) -> bool:
        return self.expected == self.found


def read_truth(path: Path) -> frozenset[tuple[str, str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset((r["code"], r["subject"], r["level"]) for r in csv.DictReader(handle))


def active_flags(con: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, str, str]]:
    rows = con.execute(
        "SELECT violation_code, coalesce(case_id, item_code), level FROM flags WHERE active"
    ).fetchall()
    return frozenset((str(a), str(b), str(c)) for a, b, c in rows)


def check_truth(con: duckdb.DuckDBPyConnection, truth_csv: Path) -> TruthCheck:
    return TruthCheck(read_truth(truth_csv), active_flags(con))


def check_quarantine(con: duckdb.DuckDBPyConnection, expected_csv: Path) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """(expected but not quarantined, quarantined but not expected) as (file, row) pairs."""
    with expected_csv.open(encoding="utf-8", newline="") as handle:
        expected = {(r["file"], int(r["row_number"])) for r in csv.DictReader(handle)}
    found = {(str(f), int(r)) for f, r in con.execute("SELECT file_name, row_number FROM quarantine").fetchall()}
    return expected - found, found - expected


def _sample(out: Path, cases: int | None, seed: int) -> Path:
    """The sample folder to use: the bundled one, or a freshly generated district."""
    if cases is None:
        if not (BUNDLED / "exports").is_dir():
            raise click.ClickException(f"the bundled sample is missing: {BUNDLED}")
        return BUNDLED
    from samples.generator import generate

    target = out / f"sample-{cases}-{seed}"
    if not (target / "truth" / "manifest.json").exists():
        shutil.rmtree(target, ignore_errors=True)
        generate(target, cases=cases, seed=seed)
    return target


def _demo_users(path: Path, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """Create demo logins: one inspector and the head of the department with the most red flags."""
    from dashboard import auth
    from dashboard.viewer import Role

    row = con.execute(
        "SELECT f.dept_code, d.name FROM flags f JOIN departments d USING (dept_code)"
        " WHERE f.active AND f.level = 'red' GROUP BY ALL ORDER BY count(*) DESC, f.dept_code LIMIT 1"
    ).fetchone()
    logins = [("inspector", "纪检监察员", "")]
    auth.add_user(path, "inspector", role=Role("inspector"), password=DEMO_PASSWORD, name="王监察")
    if row is not None:
        auth.add_user(path, "head", role=Role("department"), password=DEMO_PASSWORD, name="部门负责人",
                      dept_code=str(row[0]))
        logins.append(("head", f"部门负责人（{row[1]}）", str(row[0])))
    return logins


def _flag_table(con: duckdb.DuckDBPyConnection) -> Table:
    table = Table(title="牌面：按类别和等级（有效）")
    for heading in ("类别", "红牌", "黄牌", "合计"):
        table.add_column(heading, justify="right" if heading != "类别" else "left")
    rows = con.execute(
        "SELECT category, count(*) FILTER (level = 'red'), count(*) FILTER (level = 'yellow'), count(*)"
        " FROM flags WHERE active GROUP BY category ORDER BY category"
    ).fetchall()
    for category, red, yellow, total in rows:
        table.add_row(str(category), f"{red:,}", f"{yellow:,}", f"{total:,}")
    return table


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Folder for the database, the rectification lists and the users file.")
@click.option("--cases", type=int, default=None,
              help="Generate a fresh district of this many cases instead of using the bundled sample.")
@click.option("--seed", type=int, default=2012, show_default=True, help="Seed for --cases.")
@click.option("--dashboard/--no-dashboard", "serve", default=True, show_default=True,
              help="Open the dashboard at the end.")
@click.option("--port", type=int, default=8501, show_default=True, help="Dashboard port.")
@click.pass_obj
def demo(settings: Settings, out: Path, cases: int | None, seed: int, serve: bool, port: int) -> None:
    """Run the main job on a sample district: ingest, audit, lists, truth check, dashboard.

    Uses the bundled sample (samples/demo) unless --cases is given. Safe to run again: files already
    loaded add nothing and the audit of the same moment changes no flag.
    """
    from audit.nightly import exit_code, run_nightly

    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    sample = _sample(out, cases, seed)
    manifest = json.loads((sample / "truth" / "manifest.json").read_text(encoding="utf-8"))
    as_of = dt.datetime.fromisoformat(str(manifest["as_of"]))
    db_path = out / "sunlight.duckdb"
    console.print(f"样本区：{sample}（{manifest['cases']:,} 件，种子 {manifest['seed']}），稽核时点 {as_of:%Y-%m-%d %H:%M}")
    with console.status("夜间批处理：导入、稽核、评分、整改清单……"):
        result = run_nightly(db_path, sample / "exports", out / "outbox", settings=settings, as_of=as_of)
    console.print(result.describe())
    if result.failed:
        raise SystemExit(exit_code(result))

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        files = con.execute(
            "SELECT count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM load_files"
            " WHERE outcome IN ('loaded', 'replaced')"
        ).fetchone()
        if files and files[0]:
            console.print(f"对账：{files[0]} 个文件，读取 {files[1]:,} 行 = 载入 {files[2]:,} + 隔离 {files[3]:,}")
        console.print(_flag_table(con))
        check = check_truth(con, sample / "truth" / "ground_truth.csv")
        console.print(
            f"与样本真值比对：应发现 {len(check.expected)}，已发现 {len(check.expected) - len(check.missed)}，"
            f"漏报 {len(check.missed)}，误报 {len(check.extra)}" + ("（完全一致）" if check.exact else "")
        )
        expected_bad = sample / "truth" / "expected_quarantine.csv"
        if expected_bad.exists():
            not_caught, unexpected = check_quarantine(con, expected_bad)
            console.print(f"隔离行与样本预埋的坏行比对：未隔离 {len(not_caught)}，多隔离 {len(unexpected)}")
        for code, subject, level in (check.missed + check.extra)[:20]:
            console.print(f"  {'漏报' if (code, subject, level) in check.expected else '误报'} {code} {subject} {level}")
        users_path = out / "users.toml"
        logins = _demo_users(users_path, con)
    finally:
        con.close()
    if not serve:
        return
    from dashboard.cli import dashboard

    console.print(f"仪表盘登录（密码均为 {DEMO_PASSWORD}）：" + "，".join(f"{login} = {role}" for login, role, _ in logins)
                  + "；公众可直接查看执法结果公示。按 Ctrl+C 退出。")
    ctx = click.get_current_context()
    ctx.invoke(dashboard, db_path=db_path, port=port, address="127.0.0.1", users_path=users_path)
