"""Every Declare template on a table of traces: the compiled SQL (on DuckDB) and the reference
checker in ``audit.rules.declare`` must both fire exactly when the table says."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from audit.rulecheck import Sandbox, duckdb_engine, given_tables
from audit.rules import declare
from audit.rules.base import Given, RuleTest
from audit.rules.kinds import DeclareRule

AS_OF = dt.datetime(2026, 3, 31, 18, 0)
CODES = {"A": "ACCEPT", "B": "DECIDE", "X": "REVIEW"}
FIRST_DAY = dt.date(2026, 3, 2)

# (template, n, within, trace, fires); a = A (ACCEPT), b = B (DECIDE), X (REVIEW) is anything else.
# A trace is space-separated events, each on the next calendar day unless given as "A:YYYY-MM-DD".
TABLE: list[tuple[str, int | None, int | None, str, bool]] = [
    ("existence", None, None, "X", True),
    ("existence", None, None, "X A", False),
    ("existence", 2, None, "A X", True),
    ("existence", 2, None, "A A", False),
    ("absence", None, None, "X A", True),
    ("absence", None, None, "X", False),
    ("at_most", 1, None, "A X A", True),
    ("at_most", 1, None, "A X", False),
    ("exactly", 2, None, "A", True),
    ("exactly", 2, None, "A A", False),
    ("exactly", 2, None, "A A A", True),
    ("init", None, None, "X A", True),
    ("init", None, None, "A X", False),
    ("end", None, None, "A X", True),
    ("end", None, None, "X A", False),
    ("responded_existence", None, None, "A X", True),
    ("responded_existence", None, None, "B A", False),
    ("responded_existence", None, None, "X B", False),
    ("coexistence", None, None, "A", True),
    ("coexistence", None, None, "X B", True),
    ("coexistence", None, None, "B A", False),
    ("coexistence", None, None, "X", False),
    ("not_coexistence", None, None, "A X B", True),
    ("not_coexistence", None, None, "A X", False),
    ("response", None, None, "A", True),
    ("response", None, None, "A B", False),
    ("response", None, None, "B A", True),
    ("response", None, None, "A A B", False),
    ("precedence", None, None, "B", True),
    ("precedence", None, None, "A X B", False),
    ("precedence", None, None, "B A", True),
    ("precedence", None, None, "X", False),
    ("succession", None, None, "A", True),
    ("succession", None, None, "B", True),
    ("succession", None, None, "A B", False),
    ("succession", None, None, "B A", True),
    ("alternate_response", None, None, "A A B", True),
    ("alternate_response", None, None, "A B A B", False),
    ("alternate_response", None, None, "A B A", True),
    ("alternate_precedence", None, None, "A B B", True),
    ("alternate_precedence", None, None, "A B A B", False),
    ("alternate_precedence", None, None, "A A B", False),
    ("alternate_succession", None, None, "A B A B", False),
    ("alternate_succession", None, None, "A A B B", True),
    ("chain_response", None, None, "A X B", True),
    ("chain_response", None, None, "A B X", False),
    ("chain_response", None, None, "A B A", True),
    ("chain_precedence", None, None, "A X B", True),
    ("chain_precedence", None, None, "X A B", False),
    ("chain_succession", None, None, "A B", False),
    ("chain_succession", None, None, "A X B", True),
    ("chain_succession", None, None, "X B", True),
    ("not_succession", None, None, "A X B", True),
    ("not_succession", None, None, "B A", False),
    ("not_succession", None, None, "A X", False),
    # within N working days
    ("response", None, 3, "A:2026-03-02 B:2026-03-05", False),
    ("response", None, 3, "A:2026-03-02 B:2026-03-06", True),
    ("response", None, 3, "A:2026-03-25", True),           # 4 working days to as_of, no B
    ("response", None, 3, "A:2026-03-27", False),          # 2 working days: still pending
    ("precedence", None, 2, "A:2026-02-13 B:2026-02-24", False),  # 14th is a make-up working day
    ("precedence", None, 2, "A:2026-02-12 B:2026-02-24", True),
    ("not_succession", None, 2, "A:2026-03-02 B:2026-03-04", True),
    ("not_succession", None, 2, "A:2026-03-02 B:2026-03-05", False),
    ("chain_response", None, 1, "A:2026-03-02 B:2026-03-03", False),
    ("chain_response", None, 1, "A:2026-03-02 B:2026-03-04", True),
    ("alternate_response", None, 5, "A:2026-03-02 B:2026-03-03 A:2026-03-04 B:2026-03-20", True),
    ("succession", None, 5, "A:2026-03-02 B:2026-03-06", False),
]


def trace(text: str) -> list[tuple[str, dt.datetime]]:
    events = []
    for index, token in enumerate(text.split()):
        code, _, day = token.partition(":")
        when = dt.date.fromisoformat(day) if day else FIRST_DAY + dt.timedelta(days=index)
        events.append((CODES[code], dt.datetime.combine(when, dt.time(9, 0))))
    return events


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox()


@pytest.fixture(scope="module")
def workdays(box: Sandbox) -> Any:
    numbers = dict(box.con.execute("SELECT day, workday_no FROM calendar").fetchall())
    return lambda a, b: numbers[b] - numbers[a]


def make_rule(template: str, n: int | None, within: int | None) -> DeclareRule:
    binary = declare.TEMPLATES[template].binary
    return DeclareRule(kind="declare", id="D1", version=1, effective_from=dt.date(2025, 1, 1), title="测试",
                       description="测试", category="流程", legal_basis=["测试"], rectification="测试",
                       detects=["TEST"], template=template, a="ACCEPT", b="DECIDE" if binary else None, n=n,
                       within=within)  # type: ignore[arg-type]


@pytest.mark.parametrize(("template", "n", "within", "text", "fires"), TABLE,
                         ids=[f"{t}-{n or ''}{'w' + str(w) if w is not None else ''}-{x.replace(' ', '_')}"
                              for t, n, w, x, _ in TABLE])
def test_template(box: Sandbox, workdays: Any, template: str, n: int | None, within: int | None, text: str,
                  fires: bool) -> None:
    rule = make_rule(template, n, within)
    events = trace(text)
    test = RuleTest(name=text, as_of=AS_OF, given=Given(
        items=[{"item_code": "X1"}], cases=[{"case_id": "C1"}],
        events=[{"activity": a, "ts": t} for a, t in events]))
    box.con.execute("BEGIN TRANSACTION")
    try:
        box.load(given_tables(test))
        rows = duckdb_engine(box.con, rule, AS_OF)
    finally:
        box.con.execute("ROLLBACK")
    assert (len(rows) == 1) is fires, rows
    steps = [declare.Step(a, t) for a, t in events]
    found = declare.check(template, steps, "ACCEPT", "DECIDE" if rule.b else None, n=n, within=within,
                          as_of=AS_OF, workdays=workdays)
    assert (found is not None) is fires
    if rows:
        assert rows[0]["message"].endswith("。") and rows[0]["level"] == "red"


def test_every_template_is_in_the_table() -> None:
    assert {row[0] for row in TABLE} == set(declare.TEMPLATES)


def test_events_after_as_of_do_not_exist(box: Sandbox) -> None:
    rule = make_rule("precedence", None, None)
    test = RuleTest(name="late accept", as_of=dt.datetime(2026, 3, 3, 12), given=Given(
        items=[{"item_code": "X1"}], cases=[{"case_id": "C1"}],
        events=[{"activity": "DECIDE", "ts": "2026-03-03 09:00"}, {"activity": "ACCEPT", "ts": "2026-03-04 09:00"}]))
    box.con.execute("BEGIN TRANSACTION")
    try:
        box.load(given_tables(test))
        assert len(duckdb_engine(box.con, rule, test.as_of)) == 1
        assert len(duckdb_engine(box.con, make_rule("absence", None, None), test.as_of)) == 0
    finally:
        box.con.execute("ROLLBACK")


# Every trace of up to four events over a, b and anything else, each case on its own: the compiled
# query (which first narrows the cases to those that can break the rule) and the reference checker
# must pick out exactly the same cases.
SHORT_TRACES = [" ".join(t) for k in range(1, 5) for t in itertools.product("ABX", repeat=k)]
EVERY_CASE = [(t, n, w) for t in sorted(declare.TEMPLATES)
              for n in {"existence": (None, 2), "at_most": (0, 1), "exactly": (0, 2)}.get(t, (None,))
              for w in ((None, 2) if declare.TEMPLATES[t].ordered else (None,))]


@pytest.mark.parametrize(("template", "n", "within"), EVERY_CASE,
                         ids=[f"{t}-{n if n is not None else ''}{'w' + str(w) if w is not None else ''}"
                              for t, n, w in EVERY_CASE])
def test_every_short_trace_as_the_reference(box: Sandbox, workdays: Any, template: str, n: int | None,
                                            within: int | None) -> None:
    rule = make_rule(template, n, within)
    as_of = dt.datetime(2026, 3, 12, 18, 0)   # after every event; a within-window still open at the end
    traces = {f"T{i:03d}": trace(text) for i, text in enumerate(SHORT_TRACES)}
    test = RuleTest(name="short traces", as_of=as_of, given=Given(
        items=[{"item_code": "X1"}], cases=[{"case_id": case_id} for case_id in traces],
        events=[{"case_id": case_id, "activity": a, "ts": t} for case_id, events in traces.items() for a, t in events]))
    box.con.execute("BEGIN TRANSACTION")
    try:
        box.load(given_tables(test))
        fired = {row["case_id"] for row in duckdb_engine(box.con, rule, as_of)}
    finally:
        box.con.execute("ROLLBACK")
    expected = {case_id for case_id, events in traces.items()
                if declare.check(template, [declare.Step(a, t) for a, t in events], "ACCEPT",
                                 "DECIDE" if rule.b else None, n=n, within=within, as_of=as_of,
                                 workdays=workdays) is not None}
    assert fired == expected
    assert expected, "the table of traces should break every template at least once"
