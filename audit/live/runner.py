"""Run rules on the live engine over a database's rows, and present findings as the batch does.

:func:`live_engine` has the signature of ``audit.rulecheck.Engine``, so every rule's inline tests
run on the live engine with the same fixtures as on DuckDB. :func:`evidence_json` renders evidence
exactly as DuckDB's ``json_object`` does, so a live finding can be stored, shown and compared like
a batch one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import duckdb

from audit.live.calendar import WorkCalendar
from audit.live.compile import CompiledPack, ReteTarget
from audit.live.engine import LiveEngine, partitions_for
from audit.live.feed import Snapshot, read_duckdb, replay
from audit.live.judges import duck_timestamp
from audit.live.model import Finding, Reference
from audit.rules.base import RuleBase


def compile_rules(rules: Iterable[RuleBase]) -> CompiledPack:
    return ReteTarget().compile_pack(rules)


def run_snapshot(pack: CompiledPack, snapshot: Snapshot, calendar: WorkCalendar, until: dt.datetime,
                 *, partitions: int | None = None) -> list[Finding]:
    """Replay ``snapshot`` up to ``until`` and return the findings as of then."""
    count = partitions or partitions_for(len(snapshot.cases))
    with LiveEngine(pack, Reference(calendar), partitions=count) as engine:
        replay(engine, snapshot, until)
        return engine.findings()


def live_engine(con: duckdb.DuckDBPyConnection, rule: RuleBase, as_of: dt.datetime) -> list[dict[str, Any]]:
    """``audit.rulecheck`` engine: the rule on the live engine over the database's rows."""
    pack = compile_rules([rule])
    if not pack.rules:
        raise ValueError(f"实时引擎不支持 {rule.kind} 类规则")
    return run_snapshot(pack, read_duckdb(con), WorkCalendar.from_duckdb(con), as_of)


def evidence_json(value: Any) -> str:
    """``value`` as DuckDB's JSON functions write it (no spaces, timestamps as DuckDB prints them)."""
    return json.dumps(_duck(value), ensure_ascii=False, separators=(",", ":"))


def _duck(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return duck_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dict):
        return {k: _duck(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_duck(v) for v in value]
    return value


def as_rows(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Findings with evidence as JSON text (what ``audit.flags.findings_from_rows`` stores)."""
    return [{**f, "evidence": evidence_json(f["evidence"])} for f in findings]
