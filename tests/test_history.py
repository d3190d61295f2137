"""The history hash chain: appending, recomputing by hand, and detecting tampering."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from audit import flags, history
from audit.flags_cli import verify as verify_command
from sunlight import db
from sunlight.config import Settings

T0 = dt.datetime(2024, 3, 4, 2, 0)


def build_chain(con: duckdb.DuckDBPyConnection, flags_count: int = 3, runs: int = 2) -> None:
    """A few flags raised, escalated and cleared over several runs: 2 * flags_count + 1 entries."""
    for run_id in range(1, runs + 1):
        level = "yellow" if run_id == 1 else "red"
        rows = [
            {"rule_id": "R1", "rule_version": 1, "violation_code": "T01", "case_id": f"P:{i}", "item_code": "I1",
             "dept_code": "D1", "level": level, "category": "时效", "title": "超期", "message": "已超期。",
             "evidence": {"i": i}}
            for i in range(flags_count if run_id < runs else flags_count - 1)
        ]
        flags.findings_from_rows(con, "found", rows)
        flags.apply_findings(con, run_id=run_id, as_of=T0 + dt.timedelta(days=run_id), findings_table="found",
                             rule_ids=["R1"])


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = db.memory()
    build_chain(con)
    return con


def test_intact_chain_passes(con: duckdb.DuckDBPyConnection) -> None:
    report = history.verify(con)
    assert report.ok and report.first is None
    assert report.entries == 6
    assert report.anchors_checked == 2
    assert "历史记录完整" in report.describe()


def test_first_entry_links_to_zeros_and_hash_is_reproducible_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT entry_no, flag_id, recorded_at, actor, action, from_state, to_state, level,"
                       " detail::VARCHAR, prev_hash, hash FROM flag_history ORDER BY entry_no").fetchall()
    assert rows[0][9] == "0" * 64
    for previous, row in zip(rows, rows[1:], strict=False):
        assert row[9] == previous[10]
    no, fid, at, actor, action, from_state, to_state, level, detail, prev, digest = rows[0]
    body = json.dumps([no, fid, at.isoformat(timespec="microseconds"), actor, action, from_state, to_state, level,
                       json.loads(detail)], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256((prev + body).encode()).hexdigest() == digest


def test_entry_numbers_continue_across_appends(con: duckdb.DuckDBPyConnection) -> None:
    numbers = history.append(con, [history.Entry(flags.flag_id("R1", "P:0"), "acknowledge", "open",
                                                 "acknowledged", "red", "张三", T0, {"note": "收到"})])
    assert numbers == [7]
    con.execute("UPDATE flags SET state = 'acknowledged' WHERE flag_id = ?", [flags.flag_id("R1", "P:0")])
    assert history.verify(con).ok


def _swap_positions(con: duckdb.DuckDBPyConnection, a: int, b: int) -> None:
    con.execute("UPDATE flag_history SET entry_no = -1 WHERE entry_no = ?", [a])
    con.execute("UPDATE flag_history SET entry_no = ? WHERE entry_no = ?", [a, b])
    con.execute("UPDATE flag_history SET entry_no = ? WHERE entry_no = -1", [b])


def _delete_and_renumber(con: duckdb.DuckDBPyConnection, entry_no: int) -> None:
    con.execute("CREATE TEMP TABLE keep AS SELECT * FROM flag_history WHERE entry_no <> ?", [entry_no])
    con.execute("DELETE FROM flag_history")
    con.execute("INSERT INTO flag_history SELECT * REPLACE (CASE WHEN entry_no > $n THEN entry_no - 1"
                " ELSE entry_no END AS entry_no) FROM keep", {"n": entry_no})
    con.execute("DELETE FROM history_anchors")


def _rewrite_chain(con: duckdb.DuckDBPyConnection) -> None:
    """Edit entry 2 and recompute every hash after it, as a careful forger would."""
    con.execute("UPDATE flag_history SET actor = '李四' WHERE entry_no = 2")
    rows = con.execute("SELECT entry_no, flag_id, recorded_at, actor, action, from_state, to_state, level,"
                       " detail::VARCHAR FROM flag_history ORDER BY entry_no").fetchall()
    prev = history.GENESIS
    for no, fid, at, actor, action, from_state, to_state, level, detail in rows:
        digest = history.entry_hash(prev, no, fid, at, actor, action, from_state, to_state, level,
                                    history.dumps(json.loads(detail)))
        con.execute("UPDATE flag_history SET prev_hash = ?, hash = ? WHERE entry_no = ?", [prev, digest, no])
        prev = digest


Tamper = Callable[[duckdb.DuckDBPyConnection], object]
TAMPERING: list[tuple[str, Tamper, int, str]] = [
    ("edit actor", lambda c: c.execute("UPDATE flag_history SET actor = '李四' WHERE entry_no = 3"), 3, "edited"),
    ("edit detail", lambda c: c.execute("UPDATE flag_history SET detail = '{\"run_id\":9}' WHERE entry_no = 2"),
     2, "edited"),
    ("edit time", lambda c: c.execute("UPDATE flag_history SET recorded_at = recorded_at + INTERVAL 1 MINUTE"
                                      " WHERE entry_no = 5"), 5, "edited"),
    ("edit prev_hash", lambda c: c.execute("UPDATE flag_history SET prev_hash = repeat('1', 64)"
                                           " WHERE entry_no = 4"), 4, "edited"),
    ("delete middle", lambda c: c.execute("DELETE FROM flag_history WHERE entry_no = 2"), 3, "deleted"),
    ("delete an anchored entry", lambda c: c.execute("DELETE FROM flag_history WHERE entry_no = 3"), 3, "deleted"),
    ("delete first", lambda c: c.execute("DELETE FROM flag_history WHERE entry_no = 1"), 2, "deleted"),
    ("delete and renumber", lambda c: _delete_and_renumber(c, 3), 3, "deleted"),
    ("delete newest", lambda c: c.execute("DELETE FROM flag_history WHERE entry_no = 6"), 6, "deleted"),
    ("rewrite the whole chain", _rewrite_chain, 3, "edited"),
    ("swap two", lambda c: _swap_positions(c, 2, 3), 2, "reordered"),
    ("flag edited directly", lambda c: c.execute("UPDATE flags SET state = 'dismissed'"
                                                 " WHERE case_id = 'P:1'"), 0, "flag_mismatch"),
]


@pytest.mark.parametrize(("tamper", "entry_no", "kind"), [t[1:] for t in TAMPERING], ids=[t[0] for t in TAMPERING])
def test_tampering_is_detected(con: duckdb.DuckDBPyConnection, tamper: Tamper, entry_no: int, kind: str) -> None:
    tamper(con)
    report = history.verify(con)
    assert not report.ok
    first = report.first
    assert first is not None
    if kind != "flag_mismatch":
        assert (first.entry_no, first.kind) == (entry_no, kind)
    else:
        assert first.kind == kind and first.entry_no > 0
    assert history.DAMAGE_LABELS[kind] in report.describe()


def test_only_the_damaged_entry_is_reported_after_an_edit(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE flag_history SET level = 'yellow' WHERE entry_no = 4")
    kinds = [(d.entry_no, d.kind) for d in history.verify(con).damages]
    assert (4, "edited") in kinds
    assert all(no == 4 or kind == "flag_mismatch" for no, kind in kinds)


def _cli_db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    con = db.connect(path)
    build_chain(con)
    con.close()
    return path


def test_verify_command_intact(tmp_path: Path) -> None:
    path = _cli_db(tmp_path)
    result = CliRunner().invoke(verify_command, ["--db", str(path)], obj=Settings())
    assert result.exit_code == 0, result.output
    assert "历史记录完整：共 6 条" in result.output


def test_verify_command_damaged_exits_7(tmp_path: Path) -> None:
    path = _cli_db(tmp_path)
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM flag_history WHERE entry_no = 2")
    con.close()
    result = CliRunner().invoke(verify_command, ["--db", str(path)], obj=Settings())
    assert result.exit_code == 7
    assert "第 3 条：记录被删除" in result.output


@pytest.mark.parametrize("text", ["张三", 'quote " and \\ backslash', "tab\tnew\nline\x01\x1f", "emoji 😀 \u2028 \ud7ff",
                                  "", "/slash/"])
def test_entry_hash_hashes_the_canonical_json_of_the_entry(text: str) -> None:
    at = dt.datetime(2026, 11, 20, 18, 0, 0, 123)
    for from_state in (None, text):
        detail = history.dumps({"note": text, "n": 1})
        body = history.dumps([7, f"F-{text}", at.isoformat(timespec="microseconds"), text, "raised", from_state,
                              "open", "red", {"note": text, "n": 1}])
        expected = hashlib.sha256(("a" * 64 + body).encode("utf-8")).hexdigest()
        assert history.entry_hash("a" * 64, 7, f"F-{text}", at, text, "raised", from_state, "open", "red",
                                  detail) == expected
