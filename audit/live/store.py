"""Write the live engine's findings into the flag store, exactly as the batch does.

The live engine always holds the complete set of current findings of the rules it runs (it has
seen every event of the database), so it hands that whole set to :func:`audit.flags.apply_findings`
as one run of kind ``live`` with actor ``system:live``: new findings raise flags, yellow → red
escalates, findings that went away are cleared, and every change appends to the same hash-chained
history. Findings waived by rule exceptions are set aside as the batch runner sets them aside.
Rules the live engine does not run (``sql``), and rules not yet in force, are not passed as
evaluated, so their flags are left alone.

Library code: it never BEGINs or COMMITs; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import duckdb

from audit import flags, history
from audit.exceptions import LoadedException, apply_exceptions
from audit.live.compile import CompiledPack
from audit.live.model import Finding
from audit.live.runner import as_rows
from audit.rules.loader import pack_digest, rule_digest

ACTOR = "system:live"
FINDINGS_TABLE = "_sunlight_live_findings"
WAIVED_TABLE = "_sunlight_live_waived"


def record_rule_versions(con: duckdb.DuckDBPyConnection, pack: CompiledPack) -> None:
    """Store each live rule's version body if the database does not have it yet (as the runner does)."""
    stored = {(r[0], int(r[1])) for r in con.execute("SELECT rule_id, version FROM rule_versions").fetchall()}
    for live in pack.rules:
        rule = live.rule
        if (rule.id, rule.version) in stored:
            continue
        con.execute("INSERT INTO rule_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            rule.id, rule.version, rule.effective_from, rule.kind, rule.category, rule.title,
            json.dumps(rule.body(), ensure_ascii=False, sort_keys=True), rule_digest(rule)])


def apply_live(
    con: duckdb.DuckDBPyConnection, pack: CompiledPack, found: Iterable[Finding], *, as_of: dt.datetime,
    recorded_at: dt.datetime | None = None, exceptions: list[LoadedException] | None = None,
) -> tuple[int, flags.ApplyStats]:
    """Record a ``live`` run and apply ``found`` (all current findings) to the flags, waiving what
    the rule exceptions waive, exactly as the batch runner does; returns (run id, stats)."""
    stamp = recorded_at or as_of
    row = history.first(con, "SELECT nextval('run_seq')")
    run_id = int(row[0]) if row else 0
    in_force = [live for live in pack.rules if live.rule.effective_from <= as_of.date()]
    version = pack_digest([live.rule for live in pack.rules])
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, as_of, rule_pack_version, status) VALUES (?, 'live', ?, ?, ?, 'running')",
        [run_id, stamp, as_of, version],
    )
    flags.findings_from_rows(con, FINDINGS_TABLE, as_rows(found))
    try:
        waived = apply_exceptions(con, FINDINGS_TABLE, WAIVED_TABLE, exceptions or [], as_of)
        stats = flags.apply_findings(con, run_id=run_id, as_of=as_of, findings_table=FINDINGS_TABLE,
                                     rule_ids=[live.rule_id for live in in_force], actor=ACTOR,
                                     recorded_at=stamp, waived_table=WAIVED_TABLE)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {FINDINGS_TABLE}")
        con.execute(f"DROP TABLE IF EXISTS {WAIVED_TABLE}")
    record_rule_versions(con, pack)
    counts = {"rules": len(in_force), "flags": stats.as_dict(), "suppressed": waived,
              "not_covered": [{"rule_id": r, "reason": why} for r, why in pack.not_covered]}
    con.execute("UPDATE runs SET finished_at = ?, status = 'ok', counts = ?, errors = '[]' WHERE run_id = ?",
                [stamp, json.dumps(counts, ensure_ascii=False), run_id])
    return run_id, stats
