"""ReteSession: an explicit, closable durable_rules host with no timer threads and no globals."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import pytest

pytest.importorskip("durable.engine", reason="the live engine needs durable_rules (Python <= 3.12)")

from audit.live.session import ReteError, ReteSession  # noqa: E402

RULESETS: dict[str, dict[str, Any]] = {
    "demo": {
        "accept": {"all": [{"m": {"$and": [{"t": "event"}, {"activity": "ACCEPT"}]}}], "run": "seen"},
        "any": {"all": [{"m": {"t": "event"}}], "run": "seen_any"},
        "clock": {"all": [{"d": {"t": "due"}},
                          {"k": {"$and": [{"t": "tick"}, {"$gte": {"at": {"d": "at"}}}, {"pad": {"d": "pad"}}]}}],
                  "run": "due"},
    }
}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def actions(self) -> dict[str, Any]:
        return {name: (lambda facts, name=name: self.calls.append((name, facts))) for name in ("seen", "seen_any", "due")}


def test_the_rulesets_are_plain_json() -> None:
    assert json.loads(json.dumps(RULESETS)) == RULESETS


def test_a_fact_fires_every_rule_it_matches_and_touch_keeps_nothing() -> None:
    recorder = Recorder()
    with ReteSession(RULESETS, recorder.actions()) as session:
        assert session.touch("demo", {"id": "e1", "t": "event", "activity": "ACCEPT"})
        assert sorted(name for name, _ in recorder.calls) == ["seen", "seen_any"]
        assert recorder.calls[0][1]["m"]["id"] == "e1"
        assert session.facts("demo") == []


def test_a_fact_no_rule_wants_is_not_an_error() -> None:
    with ReteSession(RULESETS, Recorder().actions()) as session:
        assert session.assert_fact("demo", {"id": "x", "t": "nothing"}) is False
        assert session.touch("demo", {"id": "y", "t": "nothing"}) is False


def test_a_tick_joins_every_due_fact_whose_time_has_come() -> None:
    recorder = Recorder()
    with ReteSession(RULESETS, recorder.actions()) as session:
        for n, at in enumerate((10, 20, 30)):
            session.assert_fact("demo", {"id": f"d{n}", "sid": "1", "t": "due", "at": at, "pad": 0})
        session.touch("demo", {"id": "k1", "sid": "1", "t": "tick", "at": 25, "pad": 0})
        assert sorted(f["d"]["id"] for name, f in recorder.calls if name == "due") == ["d0", "d1"]
        assert len(session.facts("demo", "1")) == 3  # due facts stay, the tick is gone
        assert session.facts("demo") == []           # partitions are separate stores


def test_an_action_error_is_raised_with_the_rule_not_swallowed() -> None:
    def boom(facts: Any) -> None:
        raise ValueError("判定失败")

    with ReteSession(RULESETS, {"seen": boom, "seen_any": lambda f: None, "due": lambda f: None}) as session:
        with pytest.raises(ReteError, match="live action seen failed: ValueError: 判定失败") as caught:
            session.touch("demo", {"id": "e1", "t": "event", "activity": "ACCEPT"})
        assert caught.value.location.rule_id == "seen"


def test_a_second_fact_with_the_same_id_is_refused_loudly() -> None:
    with ReteSession(RULESETS, Recorder().actions()) as session:
        session.assert_fact("demo", {"id": "d1", "t": "due", "at": 1, "pad": 0})
        with pytest.raises(ReteError, match="already holds a fact with id 'd1'"):
            session.assert_fact("demo", {"id": "d1", "t": "due", "at": 2, "pad": 0})


def test_missing_actions_are_named_before_anything_runs() -> None:
    with pytest.raises(ReteError, match="not given: due, seen_any"):
        ReteSession(RULESETS, {"seen": lambda f: None})


def test_no_timer_threads_no_dsl_and_closed_after_use() -> None:
    assert "durable.lang" not in sys.modules  # the module-level DSL (and its globals) is never loaded
    before = {t.ident for t in threading.enumerate()}
    session = ReteSession(RULESETS, Recorder().actions())
    session.touch("demo", {"id": "e1", "t": "event", "activity": "ACCEPT"})
    assert {t.ident for t in threading.enumerate()} == before
    session.close()
    session.close()
    assert session.closed
    with pytest.raises(ReteError, match="closed"):
        session.touch("demo", {"id": "e2", "t": "event", "activity": "ACCEPT"})


def test_sessions_are_independent() -> None:
    first, second = Recorder(), Recorder()
    with ReteSession(RULESETS, first.actions()) as a, ReteSession(RULESETS, second.actions()) as b:
        a.assert_fact("demo", {"id": "d1", "t": "due", "at": 1, "pad": 0})
        b.touch("demo", {"id": "k1", "t": "tick", "at": 5, "pad": 0})
        assert second.calls == [] and b.facts("demo") == []


def test_a_session_belongs_to_the_thread_that_built_it() -> None:
    errors: list[BaseException] = []
    with ReteSession(RULESETS, Recorder().actions()) as session:
        worker = threading.Thread(target=lambda: _try(session, errors))
        worker.start()
        worker.join()
    assert errors and "thread that built it" in str(errors[0])


def _try(session: ReteSession, errors: list[BaseException]) -> None:
    try:
        session.touch("demo", {"id": "e1", "t": "event", "activity": "ACCEPT"})
    except ReteError as exc:
        errors.append(exc)
