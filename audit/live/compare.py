"""Compare the two engines: the batch's compiled SQL and the live engine, on one database, as of
one time. Used by the equivalence tests and the benchmark; ``sunlight replay`` prints the live side.

Findings are matched on (rule, subject, occurrence) and compared column by column, evidence as
parsed JSON. :func:`differences` returns one line per difference (empty: the engines agree).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from audit.live.calendar import WorkCalendar
from audit.live.feed import read_duckdb
from audit.live.model import Finding
from audit.live.runner import compile_rules, evidence_json, run_snapshot
from audit.rules.base import RuleBase

COMPARED = ("rule_version", "violation_code", "item_code", "dept_code", "source_system", "level", "category",
            "title", "message", "evidence", "due_at", "days_overdue", "days_left")
Key = tuple[str, str, str]


class BatchEngine:
    """The batch engine for a set of rules: each compiled once to DuckDB SQL, run as of any time."""

    def __init__(self, rules: Iterable[RuleBase]) -> None:
        from audit.compile import DuckDBTarget

        target = DuckDBTarget()
        self.compiled = [target.compile(rule) for rule in rules if not rule.batch_only]

    def findings(self, con: duckdb.DuckDBPyConnection, as_of: dt.datetime) -> list[Finding]:
        found: list[Finding] = []
        for compiled in self.compiled:
            cursor = con.execute(compiled.sql, compiled.bind(as_of))
            names = [d[0] for d in cursor.description]
            found += [dict(zip(names, row)) for row in cursor.fetchall()]
        return found


def batch_findings(con: duckdb.DuckDBPyConnection, rules: Iterable[RuleBase], as_of: dt.datetime) -> list[Finding]:
    """Every rule's compiled SQL executed as of ``as_of`` (the batch engine)."""
    return BatchEngine(rules).findings(con, as_of)


def live_findings(con: duckdb.DuckDBPyConnection, rules: Iterable[RuleBase], as_of: dt.datetime,
                  *, partitions: int | None = None) -> list[Finding]:
    """The same rules on the live engine: the database's rows replayed in time order to ``as_of``."""
    pack = compile_rules(rules)
    return run_snapshot(pack, read_duckdb(con), WorkCalendar.from_duckdb(con), as_of, partitions=partitions)


def key(found: Finding) -> Key:
    subject = found.get("case_id") if found.get("case_id") is not None else found.get("item_code")
    return (str(found["rule_id"]), str(subject), str(found.get("occurrence") or ""))


def comparable(found: Finding) -> dict[str, Any]:
    """The compared columns, evidence parsed from JSON (batch) or rendered as DuckDB would (live)."""
    evidence = found.get("evidence")
    text = evidence if isinstance(evidence, str) else evidence_json(evidence)
    out = {c: found.get(c) for c in COMPARED}
    out["evidence"] = json.loads(text) if text is not None else None
    return out


def differences(batch: Sequence[Finding], live: Sequence[Finding], *, limit: int = 50) -> list[str]:
    """Human-readable differences between two sets of findings (empty when they agree)."""
    lines: list[str] = []
    left = {key(f): comparable(f) for f in batch}
    right = {key(f): comparable(f) for f in live}
    if len(left) != len(batch) or len(right) != len(live):
        lines.append(f"duplicate keys: batch {len(batch) - len(left)}, live {len(live) - len(right)}")
    for k in sorted(left.keys() - right.keys()):
        lines.append(f"only batch: {k} {left[k]['level']} {left[k]['message']}")
    for k in sorted(right.keys() - left.keys()):
        lines.append(f"only live:  {k} {right[k]['level']} {right[k]['message']}")
    for k in sorted(left.keys() & right.keys()):
        for column in COMPARED:
            if left[k][column] != right[k][column]:
                lines.append(f"{k} {column}: batch {left[k][column]!r} != live {right[k][column]!r}")
    return lines[:limit]
