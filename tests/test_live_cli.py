"""``sunlight replay`` and ``sunlight watch`` end to end: files in, flags out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("durable.engine", reason="the live engine needs durable_rules (Python <= 3.12)")

from click.testing import CliRunner  # noqa: E402

from audit import history  # noqa: E402
from sunlight import db  # noqa: E402
from sunlight.cli import cli  # noqa: E402

ITEM = {"table": "items", "item_code": "X1", "name": "测试许可", "kind": "行政许可", "dept_code": "D01",
        "legal_limit": 20, "promised_limit": 5, "limit_unit": "workday", "fee_standard": 0,
        "required_materials": [], "disclosure_limit": 3, "published": True, "platforms": ["live"]}
CASES = [{"table": "cases", "case_id": c, "source_system": "live", "source_case_no": c, "item_code": "X1",
          "dept_code": "D01", "case_kind": "service"} for c in ("LATE", "FINE")]
EVENTS = [
    {"case_id": "LATE", "activity": "ACCEPT", "ts": "2026-03-02T09:00:00+08:00", "document_no": "受-1"},
    {"case_id": "LATE", "activity": "DECIDE", "ts": "2026-03-20T01:00:00Z"},
    {"case_id": "FINE", "activity": "ACCEPT", "ts": "2026-03-02T09:00:00", "document_no": "受-2"},
    {"case_id": "FINE", "activity": "DECIDE", "ts": "2026-03-03T09:00:00"},
]


def lines(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def run(args: list[str], input: str | None = None) -> Any:
    result = CliRunner().invoke(cli, args, input=input, catch_exceptions=False)
    return result


def test_replay_prints_the_flags_as_a_table_and_as_json(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(lines([ITEM, *CASES, *EVENTS]), encoding="utf-8")
    table = run(["replay", str(source), "--until", "2026-03-31 12:00"])
    assert table.exit_code == 0, table.output
    assert "T_PROMISED\tLATE\tred\tT_PROMISED\t受理 2026-03-02 09:00 起算" in table.output
    assert "T_PROMISED\tFINE" not in table.output and "T_DELIVERY_LATE\tFINE\tred" in table.output
    as_json = run(["replay", str(source), "--until", "2026-03-31 12:00", "--format", "json"])
    found = {(f["rule_id"], f["case_id"]): f for f in json.loads(as_json.output[as_json.output.index("["):])}
    late = found[("T_PROMISED", "LATE")]
    assert late["evidence"]["stop"]["ts"] == "2026-03-20 09:00:00"  # 01:00 UTC is 09:00 local
    assert late["days_overdue"] == 9 and late["due_at"] == "2026-03-09 23:59:59"


def test_replay_reads_a_database_and_reference_data_from_another(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(lines([ITEM, *CASES]), encoding="utf-8")
    reference = tmp_path / "reference.duckdb"
    assert run(["watch", "--db", str(reference), "--once", "--stdin"], input=lines([ITEM, *CASES])).exit_code == 0
    events_only = tmp_path / "only-events.jsonl"
    events_only.write_text(lines(EVENTS), encoding="utf-8")
    with_reference = run(["replay", str(events_only), "--until", "2026-03-31 12:00", "--db", str(reference)])
    assert "T_PROMISED\tLATE\tred" in with_reference.output
    store = tmp_path / "store.duckdb"
    assert run(["watch", "--db", str(store), "--once", "--stdin"], input=lines([ITEM, *CASES, *EVENTS])).exit_code == 0
    from_db = run(["replay", str(store), "--until", "2026-03-31 12:00"])
    assert "T_PROMISED\tLATE\tred" in from_db.output


def test_watch_flags_events_from_standard_input_into_the_store(tmp_path: Path) -> None:
    store = tmp_path / "live.duckdb"
    first = run(["watch", "--db", str(store), "--once", "--stdin"], input=lines([ITEM, *CASES, *EVENTS]))
    assert first.exit_code == 0, first.output
    con = db.connect(store, read_only=True)
    try:
        flagged = con.execute("SELECT rule_id, case_id, level, state FROM flags WHERE active ORDER BY 1, 2").fetchall()
        assert ("T_PROMISED", "LATE", "red", "open") in flagged
        assert ("T_PROMISED", "FINE", "red", "open") not in flagged
        assert con.execute("SELECT DISTINCT kind FROM runs").fetchall() == [("live",)]
        actors = {r[0] for r in con.execute("SELECT DISTINCT actor FROM flag_history").fetchall()}
        assert actors == {"system:live"}
        assert history.verify(con).ok
        stored = con.execute("SELECT count(*), max(seq) FROM events WHERE case_id = 'LATE'").fetchone()
        assert stored == (2, 2)
        entries = con.execute("SELECT count(*) FROM flag_history").fetchone()
    finally:
        con.close()
    again = run(["watch", "--db", str(store), "--once", "--stdin"], input="")
    assert again.exit_code == 0
    con = db.connect(store, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM flag_history").fetchone() == entries  # nothing new, no duplicates
    finally:
        con.close()


def test_watch_ingests_files_dropped_into_the_inbox(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "samples" / "demo" / "exports"
    inbox = tmp_path / "inbox"
    shutil.copytree(demo / "reference", inbox / "reference")
    for name in ("zfba_cases.csv", "zfba_events.csv"):
        shutil.copy(demo / name, inbox / name)
    store = tmp_path / "live.duckdb"
    result = run(["watch", "--db", str(store), "--inbox", str(inbox), "--once", "--no-stdin"])
    assert result.exit_code == 0, result.output
    con = db.connect(store, read_only=True)
    try:
        cases = con.execute("SELECT count(*) FROM cases").fetchone()
        rules = {r[0] for r in con.execute("SELECT DISTINCT rule_id FROM flags").fetchall()}
    finally:
        con.close()
    assert cases is not None and cases[0] > 100
    assert {"C_SINGLE_OFFICER", "T_ENF_DECISION_LATE"} <= rules
