"""`sunlight ingest` and `sunlight quarantine`: the reconciliation table, exit codes, errors, and a
run killed half-way that leaves the database as it was."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sunlight.cli import EXIT_ATTENTION, main

DISTRICT = Path(__file__).parent / "data" / "ingest" / "district"
TABLES = ("departments", "items", "officers", "discretion", "cases", "events", "disclosures", "calendar", "loads",
          "load_files", "quarantine")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = int(main(args) or 0)   # the console script exits with main()'s return value
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def snapshot(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in TABLES}
    finally:
        con.close()


def test_clean_ingest_prints_the_reconciliation_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ingest", str(DISTRICT), "--db", str(tmp_path / "s.duckdb")], capsys)
    assert code == 0
    for heading in ("文件", "平台", "类型", "读取", "载入", "隔离", "结果"):
        assert heading in out
    assert "qyzx_events.csv" in out and "已载入" in out and "合计" in out
    assert "工作表「说明」不在映射中，已跳过" in out


def test_quarantined_rows_exit_10_and_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exports = tmp_path / "exports"
    shutil.copytree(DISTRICT, exports)
    events = exports / "sqzx_events.csv"
    events.write_text(events.read_text(encoding="utf-8-sig") + "SQ001,撤件,2026年3月7日 10:00,U31,S01,,,\n",
                      encoding="utf-8-sig")
    (exports / "empty.csv").write_bytes(b"")
    database = tmp_path / "s.duckdb"
    code, out, _ = run(["ingest", str(exports), "--db", str(database)], capsys)
    assert code == EXIT_ATTENTION
    assert "已拒绝" in out and "sunlight quarantine" in out
    code, out, _ = run(["quarantine", "--db", str(database)], capsys)
    assert code == 0
    assert "未知的环节名称「撤件」" in out and "community_centre.yaml" in out and "共 1 行被隔离" in out
    code, out, _ = run(["quarantine", "--db", str(database), "--file", "qyzx_events.csv"], capsys)
    assert "文件 qyzx_events.csv 没有被隔离的行" in out


def test_second_run_reports_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "s.duckdb"
    run(["ingest", str(DISTRICT / "reference"), "--db", str(database)], capsys)
    code, out, _ = run(["ingest", str(DISTRICT / "reference"), "--db", str(database)], capsys)
    assert code == 0 and out.count("未变化") == 4


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--mapping", "{missing}"], 2, "file not found"),
        (["--mapping", "{bad}"], 2, "bad.yaml:4, field 'files[0].format'"),
        (["{nowhere}"], 5, "file or folder not found"),
    ],
    ids=["missing mapping", "invalid mapping", "missing input"],
)
def test_fatal_errors_name_the_place(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int,
                                     message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("platform: mine\ntitle: 我的\nfiles:\n  - {record: cases, format: docx, fields: {a: b}}\n",
                   encoding="utf-8")
    values = {"missing": str(tmp_path / "none.yaml"), "bad": str(bad), "nowhere": str(tmp_path / "nowhere")}
    argv = ["ingest", str(DISTRICT / "reference"), "--db", str(tmp_path / "s.duckdb")]
    argv += [a.format(**values) for a in args]
    exit_code, _, err = run(argv, capsys)
    assert exit_code == code
    assert message in err


def test_calendar_error_rolls_back_and_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exports = tmp_path / "exports"
    shutil.copytree(DISTRICT, exports)
    events = exports / "qyzx_events.csv"
    events.write_text(events.read_text(encoding="gbk") + "Q0002,办结,2027-01-05 10:00:00,U04,D01,,,,\n",
                      encoding="gbk")
    database = tmp_path / "s.duckdb"
    run(["ingest", str(DISTRICT / "reference"), "--db", str(database)], capsys)
    before = snapshot(database)
    code, _, err = run(["ingest", str(exports), "--db", str(database)], capsys)
    assert code == 4 and "no working-day calendar for 2027" in err
    assert snapshot(database) == before


def _big_exports(folder: Path, cases: int) -> None:
    """A large GBK export of the enterprise centre (cases and three events each)."""
    folder.mkdir()
    head = "办件编号,事项编码,承办单位编码,窗口号,申请人类型,申请人名称,证件号码,申请时间,受理时间,办结时间,办理结果,收费金额,票据号,提交材料\n"
    rows = (f"B{i:07d},I01,D01,W01,自然人,张三,2301081990010{i % 10}1234,2026-03-03 09:00:00,2026-03-03 09:30:00,"
            ",,,,申请表\n" for i in range(cases))
    (folder / "qyzx_cases_big.csv").write_bytes((head + "".join(rows)).encode("gbk"))
    head = "办件编号,环节名称,办理时间,办理人编号,办理单位编码,文书类型,文书编号,金额,办理意见\n"
    events = (f"B{i:07d},收件,2026-03-03 09:00:00,U04,D01,,,,\nB{i:07d},受理,2026-03-03 09:30:00,U04,D01,受理通知书,"
              f"发受〔2026〕{i}号,,\nB{i:07d},审查,2026-03-04 09:30:00,U05,D01,,,,同意\n" for i in range(cases))
    (folder / "qyzx_events_big.csv").write_bytes((head + "".join(events)).encode("gbk"))


@pytest.mark.slow
def test_a_run_killed_half_way_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    database = tmp_path / "s.duckdb"
    code = [sys.executable, "-c", "import sys; from sunlight.cli import main; main(sys.argv[1:])"]
    first = subprocess.run([*code, "ingest", str(DISTRICT), "--db", str(database)], capture_output=True, timeout=300)
    assert first.returncode == 0, first.stderr.decode()
    before = snapshot(database)
    big = tmp_path / "big"
    _big_exports(big, 150_000)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    process = subprocess.Popen([*code, "ingest", str(big), "--db", str(database)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The events file is transcoded after the cases file was loaded inside the transaction.
    deadline = time.monotonic() + 300
    while not list(scratch.glob("sunlight-ingest-*/00002-qyzx_events_big.csv.utf8")):
        assert process.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "the ingest did not reach the events file in time"
        time.sleep(0.05)
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert snapshot(database) == before
    con = duckdb.connect(str(database))
    assert con.execute("SELECT count(*) FROM cases WHERE source_file = 'qyzx_cases_big.csv'").fetchall() == [(0,)]
    con.close()
    again = subprocess.run([*code, "ingest", str(DISTRICT / "reference"), "--db", str(database)],
                           capture_output=True, timeout=300)
    assert again.returncode == 0, again.stderr.decode()
    assert "未变化" in again.stdout.decode()
