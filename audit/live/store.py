"""Write the live engine's findings into the flag store, exactly as the batch does.

The live engine always holds the complete set of current findings of the rules it runs (it has
seen every event of the database), so it hands that whole set to :func:`audit.flags.apply_findings`
as one run of kind ``live`` with actor ``system:live``: new findings raise flags, yellow → red
escalates, findings that went away are cleared, and every change appends to the same hash-chained
history. Rules the live engine does not run (``sql``) are not passed as evaluated, so their flags
are left alone.

Library code: it never BEGINs or COMMITs; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import duckdb

from audit import flags, history
from audit.live.compile import CompiledPack
from audit.live.model import Finding
from audit.live.runner import as_rows
from audit.rules.loader import pack_digest

ACTOR = "system:live"
FINDINGS_TABLE = "_sunlight_live_findings"


def record_rule_versions(con: duckdb.DuckDBPyConnection, pack: CompiledPack) -> None:
    """Store each live rule's version body if the database does not have it yet."""
    from audit.rules.loader import rule_digest

    for live in pack.rules:
        rule = live.rule
        con.execute(
            "INSERT INTO rule_versions (rule_id, version, effective_from, kind, category, title, body, digest) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM rule_versions WHERE rule_id = ? AND version = ?)",
            [rule.id, rule.version, rule.effective_from, rule.kind, rule.category, rule.title,
             json.dumps(rule.body(), ensure_ascii=False), rule_digest(rule), rule.id, rule.version],
        )


def apply_live(
    con: duckdb.DuckDBPyConnection, pack: CompiledPack, found: Iterable[Finding], *, as_of: dt.datetime,
    started_at: dt.datetime | None = None,
) -> tuple[int, flags.ApplyStats]:
    """Record a ``live`` run and apply ``found`` (all current findings) to the flags; (run id, stats)."""
    row = history.first(con, "SELECT nextval('run_seq')")
    run_id = int(row[0]) if row else 0
    version = pack_digest([live.rule for live in pack.rules])
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, finished_at, as_of, rule_pack_version, status, counts, errors) "
        "VALUES (?, 'live', ?, NULL, ?, ?, 'ok', NULL, ?)",
        [run_id, started_at or as_of, as_of, version,
         json.dumps({"not_covered": [{"rule_id": r, "reason": why} for r, why in pack.not_covered]},
                    ensure_ascii=False)],
    )
    record_rule_versions(con, pack)
    flags.findings_from_rows(con, FINDINGS_TABLE, as_rows(found))
    try:
        stats = flags.apply_findings(con, run_id=run_id, as_of=as_of, findings_table=FINDINGS_TABLE,
                                     rule_ids=[live.rule_id for live in pack.rules], actor=ACTOR)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {FINDINGS_TABLE}")
    con.execute("UPDATE runs SET finished_at = ?, counts = ? WHERE run_id = ?",
                [as_of, json.dumps(stats.as_dict(), ensure_ascii=False), run_id])
    return run_id, stats
