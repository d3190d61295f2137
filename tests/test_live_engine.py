"""LiveEngine: deadlines checked against clock ticks, reproducible replays, order of arrival."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("durable.engine", reason="the live engine needs durable_rules (Python <= 3.12)")

from audit import rulecheck  # noqa: E402
from audit.live.calendar import WorkCalendar  # noqa: E402
from audit.live.compare import BatchEngine, differences  # noqa: E402
from audit.live.engine import LiveEngine  # noqa: E402
from audit.live.feed import Snapshot, read_duckdb, replay  # noqa: E402
from audit.live.model import Reference  # noqa: E402
from audit.live.runner import compile_rules  # noqa: E402
from audit.rules import default_rules_dir, load_pack  # noqa: E402
from audit.rules.base import Given, RuleTest  # noqa: E402

PACK = load_pack(default_rules_dir())
PROMISED = [PACK.get("T_PROMISED")]
GIVEN = Given(
    items=[{"item_code": "X1", "promised_limit": 5, "legal_limit": 20}],
    cases=[{"case_id": "OPEN"}, {"case_id": "DONE"}],
    events=[
        {"case_id": "OPEN", "activity": "SUBMIT", "ts": "2026-04-27 09:00"},
        {"case_id": "OPEN", "activity": "ACCEPT", "ts": "2026-04-27 10:00"},
        {"case_id": "DONE", "activity": "ACCEPT", "ts": "2026-04-27 10:00"},
        {"case_id": "DONE", "activity": "DECIDE", "ts": "2026-04-28 10:00"},
    ],
)


@pytest.fixture(scope="module")
def box() -> Iterator[tuple[rulecheck.Sandbox, Snapshot, WorkCalendar]]:
    sandbox = rulecheck.Sandbox()
    sandbox.con.execute("BEGIN TRANSACTION")
    sandbox.load(rulecheck.given_tables(RuleTest(name="engine", as_of=dt.datetime(2026, 5, 1), given=GIVEN)))
    yield sandbox, read_duckdb(sandbox.con), WorkCalendar.from_duckdb(sandbox.con)
    sandbox.con.execute("ROLLBACK")


def engine(calendar: WorkCalendar, rules: list[Any] = PROMISED) -> LiveEngine:
    return LiveEngine(compile_rules(rules), Reference(calendar))


def levels(live: LiveEngine) -> dict[str, str]:
    return {f["case_id"]: f["level"] for f in live.findings()}


def test_a_deadline_turns_yellow_then_red_on_ticks_alone(box: Any) -> None:
    """No event arrives after acceptance; only the clock moves. Across the Labour Day holiday
    (2026-05-01..05, with 05-09 a make-up working day) the flag appears, escalates and its day
    counts grow exactly as the batch computes them at each tick."""
    sandbox, snapshot, calendar = box
    batch = BatchEngine(PROMISED)
    seen: list[tuple[dt.date, str | None, int | None]] = []
    with engine(calendar) as live:
        replay(live, snapshot, dt.datetime(2026, 4, 28, 12))
        for day in range(28, 28 + 20):
            at = dt.datetime(2026, 4, 1, 12) + dt.timedelta(days=day - 1)
            live.tick(at)
            assert not differences(batch.findings(sandbox.con, at), live.findings()), at
            found = {f["case_id"]: f for f in live.findings()}.get("OPEN")
            seen.append((at.date(), None if found is None else found["level"],
                         None if found is None else found["days_overdue"]))
    levels_seen = [level for _, level, _ in seen]
    assert levels_seen.index("yellow") < levels_seen.index("red")
    assert levels_seen[-1] == "red" and seen[-1][2] and seen[-1][2] > 3
    assert all(level != "yellow" for level in levels_seen[levels_seen.index("red"):])


def test_replays_are_reproducible_whatever_the_ticks(box: Any) -> None:
    _, snapshot, calendar = box
    until = dt.datetime(2026, 5, 20, 9)
    results = []
    for ticks in ([], [dt.datetime(2026, 4, 27) + dt.timedelta(hours=h) for h in range(0, 23 * 24, 5)]):
        with engine(calendar, list(PACK)) as live:
            replay(live, snapshot, until, ticks=ticks)
            results.append(live.findings())
    assert results[0] == results[1] and results[0]


def test_the_audit_time_is_filled_in_when_read(box: Any) -> None:
    _, snapshot, calendar = box
    with engine(calendar) as live:
        replay(live, snapshot, dt.datetime(2026, 5, 20, 9, 30))
        (open_case,) = [f for f in live.findings() if f["case_id"] == "OPEN"]
        assert "截至审计时点 2026-05-20 09:30（尚未决定或不予受理）" in open_case["message"]
        assert open_case["evidence"]["as_of"] == dt.datetime(2026, 5, 20, 9, 30)
        live.tick(dt.datetime(2026, 5, 20, 9, 45))
        assert "2026-05-20 09:45" in live.findings()[0]["message"]


def test_events_out_of_order_and_events_no_rule_reads(box: Any) -> None:
    sandbox, snapshot, calendar = box
    until = dt.datetime(2026, 5, 20, 9)
    with engine(calendar, list(PACK)) as in_order:
        replay(in_order, snapshot, until)
        expected = in_order.findings()
    with engine(calendar, list(PACK)) as shuffled:
        shuffled.set_reference(items=snapshot.items)
        for row in snapshot.cases:
            shuffled.add_case(row)
        shuffled.tick(until)
        for event in sorted(snapshot.events, key=lambda e: -e["seq"]):
            shuffled.add_event(event)
        assert shuffled.findings() == expected
    with engine(calendar) as live:  # T_PROMISED reads no EXECUTE: nothing to do, nothing wrong
        replay(live, snapshot, until)
        before = live.judgements
        live.add_event({"event_id": "extra", "case_id": "OPEN", "seq": 99, "activity": "EXECUTE",
                        "ts": dt.datetime(2026, 5, 19, 9)})
        assert live.judgements == before
        assert live.cases["OPEN"].events[-1]["activity"] == "EXECUTE"


def test_an_event_the_clock_has_not_reached_counts_from_its_time(box: Any) -> None:
    _, snapshot, calendar = box
    with engine(calendar) as live:
        replay(live, snapshot, dt.datetime(2026, 4, 28, 9))
        live.add_event({"event_id": "late-decision", "case_id": "OPEN", "seq": 3, "activity": "DECIDE",
                        "ts": dt.datetime(2026, 5, 12, 9)})
        live.tick(dt.datetime(2026, 5, 11, 18))
        assert levels(live)["OPEN"] == "red"
        assert "审计时点 2026-05-11 18:00" in live.findings()[-1]["message"]
        live.tick(dt.datetime(2026, 5, 12, 9))
        assert "截至决定 2026-05-12 09:00" in [f for f in live.findings() if f["case_id"] == "OPEN"][0]["message"]
