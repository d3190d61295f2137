"""Rules narrow the cases before the full computation (``Query.restrict``): a case left out must
be one that could not have raised a finding. On the bundled district, at several audit times,
each rule compiled with narrowing gives exactly the findings — every column — of the same rule
compiled without it (``DuckDBTarget(narrow=False)``), for the default pack, the rules of the
equivalence test (every Declare template, months, yellow by share and by department, last start,
judged when stopped) and deadlines that start at the last event, count natural days or judge open cases
only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from audit.compile import DuckDBTarget
from audit.rules.base import RuleBase
from audit.rules.kinds import Rule
from sunlight import calendar as cal
from sunlight import db
from test_equivalence import GROUPS, HEADER, RULES, demo_db  # noqa: F401 - a pytest fixture

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo"
AS_OF = dt.datetime.fromisoformat(json.loads((DEMO / "truth" / "manifest.json").read_text(encoding="utf-8"))["as_of"])
TIMES = [AS_OF, AS_OF - dt.timedelta(days=45, hours=5), AS_OF - dt.timedelta(days=200)]

MORE: list[dict[str, Any]] = [
    {"kind": "deadline", "id": "N_IDLE", "title": "末环节起算", "category": "时效",
     "start": {"activity": "*", "occurrence": "last"}, "stop": {"activities": ["CLOSE"]},
     "skip_cases_with": ["REFUSE"], "limit": {"value": 3}, "unit": "workday",
     "levels": {"breach": "red", "yellow": {"days_left": 1}}},
    {"kind": "deadline", "id": "N_OPEN_ONLY", "title": "在办", "category": "时效", "start": {"activity": "SUBMIT"},
     "stop": {"activities": ["DECIDE", "REFUSE"]}, "judge": "open", "limit": {"column": "promised_limit"},
     "unit": "item", "pauses": [{"begin": "SUPPLEMENT_NOTICE", "end": "SUPPLEMENT_RECEIVED"}],
     "levels": {"breach": "red", "yellow": {"days_left": 3, "by_department": {"D01": {"share_used": 0.3}}}}},
    {"kind": "deadline", "id": "N_DAYS", "title": "自然日", "category": "时效", "start": {"activity": "ACCEPT"},
     "stop": {"activities": ["DELIVER"]}, "extension": {"activity": "EXTEND", "amount": 2}, "limit": {"value": 6},
     "unit": "day", "levels": {"breach": "red", "yellow": {"share_used": 0.5}}},
]
EXTRA: list[RuleBase] = [TypeAdapter(Rule).validate_python({**HEADER, **spec}) for spec in MORE]


@pytest.fixture(scope="module")
def con(demo_db: Path) -> Any:
    connection = db.connect(demo_db)
    first = connection.execute("SELECT min(CAST(ts AS DATE)) FROM events").fetchone()[0]
    cal.ensure_calendar(connection, first, AS_OF.date(), None)
    yield connection
    connection.close()


def findings(con: Any, rule: RuleBase, as_of: dt.datetime, narrow: bool) -> list[tuple[Any, ...]]:
    compiled = DuckDBTarget(narrow=narrow).compile(rule)
    return sorted(con.execute(compiled.sql, compiled.bind(as_of)).fetchall(), key=repr)


@pytest.mark.parametrize("rule", [*RULES, *EXTRA], ids=lambda r: r.id)
def test_narrowing_keeps_every_finding(con: Any, rule: RuleBase) -> None:
    narrowed = DuckDBTarget().compile(rule).sql
    whole = DuckDBTarget(narrow=False).compile(rule).sql
    assert "candidate" not in whole
    seen = 0
    for as_of in TIMES:
        expected = findings(con, rule, as_of, narrow=False)
        assert findings(con, rule, as_of, narrow=True) == expected, (rule.id, as_of)
        seen += len(expected)
    # the default pack and the deadlines above all fire somewhere here, so their equality is not vacuous
    if "candidate" in narrowed and rule.id not in {r.id for r in GROUPS["extra"]}:
        assert seen > 0, f"{rule.id} should flag something on the bundled district at one of the times"
