"""The nightly batch: ingest the day's exports, audit as of now, record the run, write the lists.

One run, in order:

1. **Copy.** :func:`audit.journal.snapshot` copies the database to ``DB.nightly`` under the writer
   lock, so the dashboard keeps reading (and recording inspectors' actions into) the original.
2. **One transaction on the copy.** Ingest every file of the inbox (a file already loaded unchanged
   adds nothing), audit every rule as of ``as_of``, score the departments for the month, and record
   the run in ``runs`` (kind ``nightly``: start, end, rule pack version, counts, errors). Any error
   rolls the whole transaction back; the failed run is then recorded on its own.
3. **Swap.** :func:`audit.journal.swap_in` replays the actions recorded meanwhile into the copy and
   renames it over the original in one step.
4. **Lists.** Each department's rectification list (.xlsx and .pdf) and ``summary.json`` are
   written to a hidden folder in the outbox, which is then renamed to ``outbox/<as-of date>/``.

A run killed before step 3 leaves the database and the outbox exactly as they were; one killed in
step 4 leaves only a hidden ``.partial-*`` folder, removed by the next run. Running twice adds no
flag and no history entry (the second run only records itself and refreshes the lists).

The batch fails (non-zero exit) only when the run could not be completed: quarantined rows and
rules that failed to run are reported in the summary and the ``runs`` row (status ``partial``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from audit import history, journal, reports, scoring
from audit.actions import local_now
from sunlight import db
from sunlight.config import Settings
from sunlight.errors import AuditError, SunlightError

# Test hook: "STAGE" or "STAGE:SECONDS" pauses after that stage (see STAGES), announcing it on
# stderr, so a test can kill the process at a known point. Unset in normal use.
PAUSE_ENV = "SUNLIGHT_NIGHTLY_PAUSE"
STAGES = ("snapshot", "ingest", "audit", "scores", "record", "commit", "swap", "reports")
WORK_SUFFIX = ".nightly"
PARTIAL_PREFIX = ".partial-"

Progress = Callable[[str], None]


@dataclass
class NightlyResult:
    """What one nightly run did; ``status`` is ok, partial (done, with problems) or failed."""

    run_id: int | None
    status: str
    as_of: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    rule_pack_version: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    lists: list[reports.WrittenList] = field(default_factory=list)
    outbox_dir: Path | None = None
    replay: dict[str, int] = field(default_factory=dict)
    head: tuple[int, str] | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = history.jsonable({
            "run_id": self.run_id, "kind": "nightly", "status": self.status, "as_of": self.as_of,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "rule_pack_version": self.rule_pack_version, "counts": self.counts, "errors": self.errors,
            "journal_replay": self.replay,
            "history_head": None if self.head is None else {"entry_no": self.head[0], "hash": self.head[1]},
            "departments": [
                {"dept_code": w.dept_code, "dept_name": w.dept_name, "red": w.red, "yellow": w.yellow,
                 "score": w.score, "grade": w.grade, "xlsx": w.xlsx.name, "pdf": w.pdf.name}
                for w in self.lists
            ],
        })
        return data

    def describe(self) -> str:
        label = {"ok": "完成", "partial": "完成（有问题，见下）", "failed": "失败"}[self.status]
        lines = [f"夜间批处理{label}：运行 {self.run_id}，截至 {self.as_of:%Y-%m-%d %H:%M}。"]
        c = self.counts
        if "ingest" in c:
            i = c["ingest"]
            lines.append(f"导入：文件 {i.get('files', 0)} 个（新载入 {i.get('loaded', 0)}，未变化 "
                         f"{i.get('unchanged', 0)}，被拒 {i.get('refused', 0)}），载入 {i.get('rows_loaded', 0)} 行，"
                         f"隔离 {i.get('rows_quarantined', 0)} 行。")
        if "flags" in c:
            f = c["flags"]
            lines.append(f"稽核：新入牌 {f.get('raised', 0)}，升级为红牌 {f.get('escalated', 0)}，"
                         f"条件消除 {f.get('cleared', 0)}，重新出现 {f.get('reraised', 0)}。")
        if self.lists:
            lines.append(f"整改清单：{len(self.lists)} 个部门，已写入 {self.outbox_dir}。")
        if self.replay:
            lines.append(f"批处理期间记录的操作：补记 {self.replay.get('applied', 0)} 项，"
                         f"被拒绝 {self.replay.get('failed', 0)} 项。")
        lines += [f"问题：{e.get('message', '')}" for e in self.errors[:20]]
        return "\n".join(lines)


def pause_point(stage: str) -> None:
    """Pause after ``stage`` when the test hook asks for it (never in normal use)."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    name, _, seconds = wanted.partition(":")
    if name == stage:
        print(f"nightly: paused after {stage}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 3600))


def run_nightly(
    db_path: Path, inbox: Path, outbox: Path, *, settings: Settings, as_of: dt.datetime | None = None,
    rules_dir: Path | None = None, scoring_path: Path | None = None, progress: Progress | None = None,
    lock_timeout: float | None = 600,
) -> NightlyResult:
    """Run the whole batch (see the module docstring) and return what it did."""
    say = progress or (lambda _message: None)
    started = local_now(settings.timezone)
    as_of = as_of or started
    config = scoring.load_config(scoring_path)
    _clean_partials(outbox)
    work = db_path.with_name(db_path.name + WORK_SUFFIX)
    if not db_path.exists():
        db.connect(db_path).close()  # a first night: start from an empty database
    say("复制数据库")
    journal.snapshot(db_path, work, timeout=lock_timeout)
    pause_point("snapshot")
    con = db.connect(work)
    try:
        result = _run_in_transaction(con, inbox, as_of, started, settings, rules_dir, config, say)
    finally:
        con.close()
    say("替换数据库并补记期间的操作")
    replayed = journal.swap_in(work, db_path, timeout=lock_timeout)
    result.replay = {"applied": len(replayed.applied), "failed": len(replayed.failed)}
    pause_point("swap")
    if not result.failed:
        say("写出整改清单")
        _write_outbox(db_path, outbox, result, config, lock_timeout)
    return result


def _run_in_transaction(
    con: duckdb.DuckDBPyConnection, inbox: Path, as_of: dt.datetime, started: dt.datetime, settings: Settings,
    rules_dir: Path | None, config: scoring.ScoringConfig, say: Progress,
) -> NightlyResult:
    """Ingest, audit, score and record the run in one transaction on ``con`` (the work copy)."""
    from audit.rules import default_rules_dir, load_pack
    from audit.rules.loader import ErrorPolicy
    from audit.runner import run_audit
    from ingest.api import IngestReport, ingest_paths

    result = NightlyResult(None, "ok", as_of, started)
    loaded: list[IngestReport] = []

    def ingest_first(c: duckdb.DuckDBPyConnection) -> None:
        # The runner calls this inside its transaction, again if it retries without a failed rule.
        say("导入收件箱")
        loaded[:] = [ingest_paths(c, [inbox], settings)]
        pause_point("ingest")
        say("稽核")

    try:
        pack = load_pack(rules_dir or default_rules_dir(), policy=ErrorPolicy.COLLECT)
        result.rule_pack_version = pack.version
        audit = run_audit(con, pack, as_of, settings, kind="nightly", prelude=ingest_first, commit=False)
    except SunlightError as exc:  # the runner has rolled back
        return _failed(con, result, exc, settings)
    try:
        result.run_id = audit.run_id
        pause_point("audit")
        say("计算部门得分")
        scores = scoring.score_month(con, as_of.date(), config, as_of=as_of)
        scoring.record_scores(con, scores, run_id=audit.run_id, computed_at=as_of, config=config)
        pause_point("scores")
        row = history.first(con, "SELECT counts, errors FROM runs WHERE run_id = ?", [audit.run_id])
        result.counts = json.loads(row[0]) if row and row[0] else {}
        result.errors = json.loads(row[1]) if row and row[1] else []
        result.counts["ingest"], problems = _ingest_summary(loaded[0])
        result.counts["scores"] = len(scores)
        result.errors += [{"kind": "rule_file", "message": e.describe()} for e in pack.errors] + problems
        result.status = "partial" if result.errors else "ok"
        result.head = history.head(con)
        result.finished_at = local_now(settings.timezone)
        _record_run(con, result)
        pause_point("record")
        con.execute("COMMIT")
    except (SunlightError, duckdb.Error) as exc:
        con.execute("ROLLBACK")
        return _failed(con, result, exc, settings)
    pause_point("commit")
    return result


def _ingest_summary(report: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Counts of an ``ingest.api.IngestReport``, and its refused files and quarantined rows."""
    outcomes = [f.outcome for f in report.files]
    totals = report.totals
    counts = {
        "load_id": report.load_id, "files": len(report.files),
        "loaded": sum(o in ("loaded", "replaced") for o in outcomes), "unchanged": outcomes.count("unchanged"),
        "refused": outcomes.count("refused"), "rows_read": totals.read, "rows_loaded": totals.loaded,
        "rows_quarantined": totals.quarantined,
    }
    problems: list[dict[str, Any]] = []
    for f in report.files:
        if f.outcome == "refused":
            problems.append({"kind": "refused_file", "file": f.name, "message": f"文件 {f.name} 被拒绝：{f.message}"})
        elif f.quarantined:
            problems.append({"kind": "quarantine", "file": f.name, "rows": f.quarantined,
                             "message": f"文件 {f.name} 有 {f.quarantined} 行被隔离（见 quarantine 表）"})
    return counts, problems


def _failed(con: duckdb.DuckDBPyConnection, result: NightlyResult, exc: BaseException,
            settings: Settings) -> NightlyResult:
    """Record a failed run on its own (the run's transaction was rolled back)."""
    result.status = "failed"
    result.run_id = None
    result.counts = {}
    result.errors.append(_error(exc))
    result.finished_at = local_now(settings.timezone)
    con.execute("BEGIN TRANSACTION")
    _record_run(con, result)
    con.execute("COMMIT")
    return result


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, SunlightError):
        where = str(exc.location)
        return {"kind": type(exc).__name__, "message": exc.message, "where": where or None, "hint": exc.hint,
                "exit_code": exc.exit_code}
    return {"kind": type(exc).__name__, "message": str(exc).splitlines()[0], "exit_code": AuditError.exit_code}


def _record_run(con: duckdb.DuckDBPyConnection, result: NightlyResult) -> None:
    if result.run_id is None:
        row = history.first(con, "SELECT nextval('run_seq')")
        result.run_id = int(row[0]) if row else 0
    con.execute("DELETE FROM runs WHERE run_id = ?", [result.run_id])
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, finished_at, as_of, rule_pack_version, status, counts, errors)"
        " VALUES (?, 'nightly', ?, ?, ?, ?, ?, ?::JSON, ?::JSON)",
        [result.run_id, result.started_at, result.finished_at, result.as_of, result.rule_pack_version or "-",
         result.status, history.dumps(history.jsonable(result.counts)),
         history.dumps(history.jsonable(result.errors))],
    )


def _clean_partials(outbox: Path) -> None:
    if outbox.is_dir():
        for leftover in outbox.glob(PARTIAL_PREFIX + "*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _write_outbox(db_path: Path, outbox: Path, result: NightlyResult, config: scoring.ScoringConfig,
                  lock_timeout: float | None) -> None:
    """Write the lists and the summary into a hidden folder, then rename it into place."""
    outbox.mkdir(parents=True, exist_ok=True)
    final = outbox / result.as_of.date().isoformat()
    partial = outbox / f"{PARTIAL_PREFIX}{result.run_id}"
    with journal.writer_lock(db_path, timeout=lock_timeout):
        con = db.connect(db_path, read_only=True)
        try:
            result.lists = reports.write_rectification_lists(con, partial, as_of=result.as_of, config=config)
            result.head = history.head(con)  # after the journal's replay: the head a witness should keep
        finally:
            con.close()
    result.outbox_dir = final
    (partial / "summary.json").write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    pause_point("reports")
    if final.exists():
        old = outbox / f"{PARTIAL_PREFIX}{result.run_id}-old"
        os.replace(final, old)
        os.replace(partial, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(partial, final)


def exit_code(result: NightlyResult) -> int:
    """0 unless the run failed; then the failing error's exit code (7, the audit's, when unknown)."""
    if not result.failed:
        return 0
    codes = [int(e["exit_code"]) for e in result.errors if e.get("exit_code")]
    return codes[-1] if codes else AuditError.exit_code
