"""The watch cycle: the clock alone raises and escalates flags, with the batch's lifecycle."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from pathlib import Path

import pytest

pytest.importorskip("durable.engine", reason="the live engine needs durable_rules (Python <= 3.12)")

from audit import history  # noqa: E402
from audit.live.feed import read_jsonl  # noqa: E402
from audit.live.runner import compile_rules  # noqa: E402
from audit.live.watch import Arrivals, Watcher, run  # noqa: E402
from audit.rules import default_rules_dir, load_pack  # noqa: E402
from sunlight import db  # noqa: E402
from sunlight.config import Settings  # noqa: E402

ROWS = [
    {"table": "items", "item_code": "X1", "name": "测试许可", "kind": "行政许可", "dept_code": "D01",
     "legal_limit": 20, "promised_limit": 5, "limit_unit": "workday", "fee_standard": 0,
     "required_materials": [], "disclosure_limit": 3, "published": True, "platforms": ["live"]},
    {"table": "cases", "case_id": "OPEN", "source_system": "live", "source_case_no": "OPEN", "item_code": "X1",
     "dept_code": "D01", "case_kind": "service"},
    {"case_id": "OPEN", "activity": "ACCEPT", "ts": "2026-04-27T10:00:00", "document_no": "受-1"},
]


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def flags(path: Path) -> list[tuple[str, str, str]]:
    con = db.connect(path, read_only=True)
    try:
        return con.execute("SELECT rule_id, level, state FROM flags WHERE rule_id = 'T_PROMISED'").fetchall()
    finally:
        con.close()


def test_the_clock_turns_an_open_case_yellow_then_red(tmp_path: Path) -> None:
    store = tmp_path / "live.duckdb"
    settings = Settings()
    clock = Clock(dt.datetime(2026, 4, 27, 12))
    pack = compile_rules(load_pack(default_rules_dir()))
    watcher = Watcher(store, pack, settings, clock=clock)
    rows = list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in ROWS], timezone=settings.tz))
    try:
        assert watcher.cycle(Arrivals(rows=rows))
        assert flags(store) == []
        clock.at = dt.datetime(2026, 4, 27, 12, 1)
        assert not watcher.cycle(Arrivals())  # nothing due: the database is not even opened
        clock.at = dt.datetime(2026, 5, 6, 9)  # 2 working days left after Labour Day
        assert watcher.cycle(Arrivals())
        assert flags(store) == [("T_PROMISED", "yellow", "open")]
        clock.at = dt.datetime(2026, 5, 8, 9)
        assert watcher.cycle(Arrivals())
        assert flags(store) == [("T_PROMISED", "red", "open")]
    finally:
        watcher.close()
    con = db.connect(store, read_only=True)
    try:
        actions = con.execute("SELECT action, actor FROM flag_history WHERE flag_id IN "
                              "(SELECT flag_id FROM flags WHERE rule_id = 'T_PROMISED') ORDER BY entry_no").fetchall()
        assert actions == [("raise", "system:live"), ("escalate", "system:live")]
        assert history.verify(con).ok
    finally:
        con.close()


def test_the_loop_reads_standard_input_until_it_ends(tmp_path: Path) -> None:
    store = tmp_path / "live.duckdb"
    settings = Settings()
    watcher = Watcher(store, compile_rules(load_pack(default_rules_dir())), settings,
                      clock=Clock(dt.datetime(2026, 5, 20, 9)))
    stream = io.StringIO("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS))
    written = run(watcher, inbox=None, stream=stream, tick=0.05, once=True, stop=threading.Event())
    assert written >= 1 and watcher.engine is None  # closed after use
    assert flags(store) == [("T_PROMISED", "red", "open")]


def test_live_writes_wait_while_the_nightly_batch_works_on_a_copy(tmp_path: Path) -> None:
    from audit import journal

    store = tmp_path / "live.duckdb"
    settings = Settings()
    clock = Clock(dt.datetime(2026, 5, 20, 9))
    watcher = Watcher(store, compile_rules(load_pack(default_rules_dir())), settings, clock=clock)
    rows = list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in ROWS], timezone=settings.tz))
    try:
        assert watcher.cycle(Arrivals(rows=rows[:2]))  # the item and the case
        work = tmp_path / "live.duckdb.nightly"
        journal.snapshot(store, work)
        assert not watcher.cycle(Arrivals(rows=rows[2:]))  # the event waits
        assert flags(store) == []
        journal.swap_in(work, store)  # no write behind the batch's back: the swap is accepted
        clock.at = dt.datetime(2026, 5, 20, 9, 5)
        assert watcher.cycle(Arrivals())
        assert flags(store) == [("T_PROMISED", "red", "open")]
    finally:
        watcher.close()
