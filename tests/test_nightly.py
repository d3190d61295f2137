"""The nightly batch on a generated sample district: twice, killed half-way, failing, and with
inspectors' actions recorded while it runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audit import flags, history, journal, nightly
from samples.generator import generate
from sunlight.config import Settings

pytestmark = pytest.mark.slow

EARLY = dt.datetime(2026, 11, 10, 18, 0)
AS_OF = dt.datetime(2026, 11, 20, 18, 0)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exports of a sample district with planted bad rows (they are quarantined, not a failure)."""
    out = tmp_path_factory.mktemp("sample")
    generate(out, 300, 7, as_of=AS_OF, dirty=True)
    return out / "exports"


def planted_bad_rows(sample: Path) -> int:
    lines = (sample.parent / "truth" / "expected_quarantine.csv").read_text(encoding="utf-8").splitlines()
    return len(lines) - 1


@pytest.fixture
def site(tmp_path: Path, sample: Path) -> dict[str, Path]:
    inbox = tmp_path / "inbox"
    shutil.copytree(sample, inbox)
    return {"inbox": inbox, "db": tmp_path / "sunlight.duckdb", "outbox": tmp_path / "outbox"}


def run(site: dict[str, Path], as_of: dt.datetime = AS_OF) -> nightly.NightlyResult:
    return nightly.run_nightly(site["db"], site["inbox"], site["outbox"], settings=Settings(), as_of=as_of)


def query(db_path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def counts(db_path: Path) -> dict[str, int]:
    tables = ("flags", "flag_history", "runs", "cases", "events", "supervision_orders")
    row = query(db_path, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))[0]
    return dict(zip(tables, (int(v) for v in row), strict=True))


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its digest."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_twice_adds_nothing_the_second_time(site: dict[str, Path], sample: Path) -> None:
    first = run(site)
    assert first.status == "partial"                     # quarantined rows: reported, not a failure
    assert nightly.exit_code(first) == 0
    assert first.counts["ingest"]["rows_quarantined"] == planted_bad_rows(sample) > 0
    assert any(e["kind"] == "quarantine" for e in first.errors)
    after_first = counts(site["db"])
    assert after_first["flags"] == first.counts["flags"]["raised"] > 100
    assert after_first["flag_history"] == after_first["flags"]

    second = run(site)
    assert (second.status, second.counts["ingest"]["unchanged"], second.counts["ingest"]["loaded"]) == ("ok", 15, 0)
    assert second.counts["flags"]["raised"] == 0 and second.counts["flags"]["history_entries"] == 0
    after_second = counts(site["db"])
    assert after_second == {**after_first, "runs": 2}
    assert query(site["db"], "SELECT run_id, kind, status FROM runs ORDER BY run_id") == [
        (first.run_id, "nightly", "partial"), (second.run_id, "nightly", "ok")]
    con = duckdb.connect(str(site["db"]), read_only=True)
    assert history.verify(con).ok
    con.close()
    assert sorted(p.name for p in site["outbox"].iterdir()) == ["2026-11-20"]


def test_outbox_holds_every_department_and_a_summary(site: dict[str, Path], sample: Path) -> None:
    result = run(site)
    folder = site["outbox"] / "2026-11-20"
    departments = query(site["db"], "SELECT dept_code FROM departments ORDER BY dept_code")
    names = {p.name for p in folder.iterdir()}
    assert names == {"summary.json"} | {f"{d}_整改清单.{ext}" for (d,) in departments for ext in ("xlsx", "pdf")}
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["run_id"], summary["kind"], summary["status"]) == (result.run_id, "nightly", "partial")
    assert summary["as_of"].startswith("2026-11-20T18:00")
    assert summary["counts"]["ingest"]["rows_quarantined"] == planted_bad_rows(sample)
    assert summary["history_head"]["entry_no"] == counts(site["db"])["flag_history"]
    assert len(summary["departments"]) == len(departments)
    assert {d["grade"] for d in summary["departments"]} <= {"优秀", "良好", "合格", "不合格"}
    scores = query(site["db"], "SELECT count(*), min(month) FROM dept_scores WHERE run_id = ?", [result.run_id])
    assert scores == [(len(departments), dt.date(2026, 11, 1))]


def _start(site: dict[str, Path], pause: str, as_of: dt.datetime = AS_OF) -> subprocess.Popen[str]:
    env = {**os.environ, nightly.PAUSE_ENV: pause}
    return subprocess.Popen(
        [sys.executable, "-m", "sunlight", "nightly", "--inbox", str(site["inbox"]), "--db", str(site["db"]),
         "--outbox", str(site["outbox"]), "--as-of", as_of.strftime("%Y-%m-%d %H:%M")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_pause(process: subprocess.Popen[str], stage: str, timeout: float = 180) -> None:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"the batch ended before pausing after {stage}: {''.join(seen)}")
        seen.append(line)
        if f"paused after {stage}" in line:
            return
    raise AssertionError(f"no pause after {stage} within {timeout} s")


@pytest.fixture(scope="module")
def earlier_night(tmp_path_factory: pytest.TempPathFactory, sample: Path) -> dict[str, Path]:
    """A database and outbox from an earlier night that lacked some files, so 'unchanged' means something."""
    root = tmp_path_factory.mktemp("earlier")
    site = {"inbox": root / "inbox", "db": root / "sunlight.duckdb", "outbox": root / "outbox"}
    shutil.copytree(sample, site["inbox"])
    for name in ("zfba_cases.csv", "zfba_events.csv", "gswz_disclosures.jsonl"):
        (site["inbox"] / name).unlink()
    assert run(site, EARLY).status in ("ok", "partial")
    return site


def _after_earlier_night(site: dict[str, Path], earlier: dict[str, Path]) -> None:
    shutil.copy2(earlier["db"], site["db"])
    shutil.copytree(earlier["outbox"], site["outbox"])


@pytest.mark.parametrize("stage", ["ingest", "record"])
def test_a_run_killed_half_way_changes_nothing(site: dict[str, Path], earlier_night: dict[str, Path],
                                               stage: str) -> None:
    _after_earlier_night(site, earlier_night)
    before_db = hashlib.sha256(site["db"].read_bytes()).hexdigest()
    before_counts = counts(site["db"])
    before_outbox = fingerprint(site["outbox"])
    process = _start(site, stage)
    try:
        _wait_for_pause(process, stage)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert hashlib.sha256(site["db"].read_bytes()).hexdigest() == before_db
    assert counts(site["db"]) == before_counts
    assert fingerprint(site["outbox"]) == before_outbox
    if stage != "record":
        return
    # The next night runs normally over the leftovers and does the work.
    result = run(site)
    assert not result.failed
    assert counts(site["db"])["cases"] > before_counts["cases"]
    assert (site["outbox"] / "2026-11-20" / "summary.json").exists()


def test_a_run_killed_while_writing_the_lists_leaves_no_half_folder(site: dict[str, Path]) -> None:
    process = _start(site, "reports")
    try:
        _wait_for_pause(process, "reports")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert [p.name for p in site["outbox"].iterdir() if not p.name.startswith(".")] == []
    assert counts(site["db"])["runs"] == 1                # the run itself was committed
    result = run(site)
    assert result.status == "ok"
    assert sorted(p.name for p in site["outbox"].iterdir()) == ["2026-11-20"]


def test_actions_recorded_during_the_run_are_kept(site: dict[str, Path], earlier_night: dict[str, Path]) -> None:
    _after_earlier_night(site, earlier_night)
    # A fee above the published standard: still found the next night (not one the new files clear).
    (flag_id,) = query(site["db"], "SELECT flag_id FROM flags WHERE rule_id = 'C_FEE_ABOVE_STANDARD'"
                                   " ORDER BY flag_id LIMIT 1")[0]
    process = _start(site, "audit:4")
    try:
        _wait_for_pause(process, "audit")
        # The dashboard's way: record in the journal, apply to the original (free: the batch works on a copy).
        book = journal.Journal(site["db"])
        book.record("acknowledge", "张三", {"flag_id": flag_id, "note": "夜间批处理期间确认"}, flag_id=flag_id,
                    key="during-the-night")
        assert journal.try_apply(site["db"], timeout=10).applied
        assert query(site["db"], "SELECT state FROM flags WHERE flag_id = ?", [flag_id]) == [("acknowledged",)]
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "补记 1 项" in out
    assert query(site["db"], "SELECT state FROM flags WHERE flag_id = ?", [flag_id]) == [("acknowledged",)]
    actions = query(site["db"], "SELECT action FROM flag_history WHERE flag_id = ? ORDER BY entry_no", [flag_id])
    assert actions == [("raise",), ("acknowledge",)]
    assert counts(site["db"])["runs"] == 2


def test_a_failed_run_changes_nothing_but_records_itself(site: dict[str, Path],
                                                         earlier_night: dict[str, Path]) -> None:
    _after_earlier_night(site, earlier_night)
    before = counts(site["db"])
    before_outbox = fingerprint(site["outbox"])
    (site["inbox"] / "again").mkdir()
    (site["inbox"] / "again" / "zfba_cases.csv").write_text("not the same file\n", encoding="utf-8")
    result = run(site)
    assert result.failed and nightly.exit_code(result) == 5
    assert "zfba_cases.csv" in result.errors[0]["message"]
    assert counts(site["db"]) == {**before, "runs": before["runs"] + 1}
    assert query(site["db"], "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1") == [("failed",)]
    assert fingerprint(site["outbox"]) == before_outbox


def test_cli_exit_status(site: dict[str, Path], sample: Path) -> None:
    process = _start(site, "none")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "夜间批处理完成（有问题，见下）" in out and f"隔离 {planted_bad_rows(sample)} 行" in out
    assert flags.SYSTEM_ACTOR == query(site["db"], "SELECT DISTINCT actor FROM flag_history")[0][0]
