"""The contract with the sample generator: its exports load as its manifest counts them, and the
bad rows of a --dirty sample are quarantined for the reasons its expected_quarantine.csv lists."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from ingest.api import IngestReport, ingest_paths
from samples.generator import generate
from sunlight import db
from sunlight.config import Settings

REASON_KINDS = [
    ("不在事项目录中", "unknown_item"), ("缺少必填值", "missing_required"), ("时间无法解析", "unparseable_time"),
    ("未知的环节名称", "unknown_activity"), ("不存在（本次载入和数据库中都没有）", "unknown_case"),
    ("重复的过程记录", "duplicate_event"),
]


def kind(reason: str) -> str:
    return next((k for text, k in REASON_KINDS if text in reason), reason)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection, IngestReport]:
    out = tmp_path_factory.mktemp("sample")
    generate(out, 600, 5, dirty=True, xlsx_max_rows=300)
    con = db.memory()
    report = ingest_paths(con, [out / "exports"], Settings())
    return out, con, report


def test_read_counts_match_the_manifest(sample: tuple[Path, duckdb.DuckDBPyConnection, IngestReport]) -> None:
    out, _, report = sample
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    files = {f.name: f for f in report.files}
    assert {f.outcome for f in report.files} == {"loaded"}
    assert len([n for n in files if n.startswith("mszx_")]) > 1
    for path, facts in manifest["files"].items():
        name = Path(path).name
        if not path.startswith("exports/"):
            continue
        counts = {record: c.read for record, c in files[name].counts.items()}
        if "sheets" in facts:
            assert counts == {"cases": facts["sheets"]["办件"], "events": facts["sheets"]["办理过程"]}, name
            assert ("工作表「说明」不在映射中，已跳过" in files[name].message) == ("说明" in facts["sheets"])
        elif "traces" in facts:
            assert counts == {"cases": facts["traces"], "events": facts["events"]}, name
        else:
            assert sum(counts.values()) == facts["rows"], name


def test_every_planted_bad_row_is_quarantined_for_its_reason(
        sample: tuple[Path, duckdb.DuckDBPyConnection, IngestReport]) -> None:
    out, con, _ = sample
    found = {(r[0], r[1], int(r[2])): str(r[3]) for r in con.execute(
        "SELECT file_name, record, row_number, reason FROM quarantine").fetchall()}
    with (out / "truth" / "expected_quarantine.csv").open(encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    assert expected
    for row in expected:
        key = (row["file"], row["record"], int(row["row_number"]))
        assert key in found, f"not quarantined: {row}"
        assert kind(found.pop(key)) == row["reason"], row
    # The generator also writes a few identical steps at the same second (a tie with the step
    # before, same activity and content): they are duplicates by definition and are quarantined.
    assert {kind(reason) for reason in found.values()} <= {"duplicate_event"}


def test_every_sample_case_loads(sample: tuple[Path, duckdb.DuckDBPyConnection, IngestReport]) -> None:
    out, con, _ = sample
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    loaded = dict(con.execute("SELECT source_system, count(*) FROM cases GROUP BY 1").fetchall())
    assert loaded == manifest["cases_by_platform"]
