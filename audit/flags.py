"""The flag store: turns one audit run's findings into flags, set-based, inside DuckDB.

A finding is a row with the contract columns of ``docs/architecture.md`` ("Findings"). Its flag's
id is stable: the first 16 hex digits of sha256(``rule_id|case_id or item_code|occurrence``), so a
re-run finds the same flag and never duplicates it. :func:`apply_findings` does, for one run:

* a finding with no flag yet → a new flag, state ``open`` (入牌), history ``raise``;
* a finding whose flag exists → last seen, message, evidence, due date and days are refreshed;
  yellow → red appends ``escalate`` (``red_at`` set, the yellow history kept). A red flag never
  goes back to yellow. An escalation reopens a flag a person had resolved (the red is a new, graver
  finding nobody has judged) but leaves a dismissed one dismissed (its dismissal already says
  the rule does not apply);
* an active flag of an evaluated rule that this run no longer finds → inactive, history ``clear``;
  if it was open or acknowledged it is also resolved by ``system:audit`` (条件已消除);
* an inactive flag found again → active, history ``reraise``; it is opened again unless it is
  under supervision (rectifying: the order stays in force) or was dismissed.

Flags of rules outside ``rule_ids`` (for example a rule that failed this run) are left alone.
Only the history hash chain is computed in Python, over the new entries in order.

Library code: it never BEGINs or COMMITs; the calling command owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot

from audit import history
from sunlight.errors import AuditError, Location

SYSTEM_ACTOR = "system:audit"
CLEAR_REASON = "条件已消除（复核时未再出现）"
WAIVED_REASON = "已按例外规定豁免"

STATES: dict[str, str] = {
    "open": "待处理",
    "acknowledged": "已确认",
    "rectifying": "督办中",
    "resolved": "已摘牌",
    "dismissed": "已驳回",
}
ACTIVE_STATES = ("open", "acknowledged", "rectifying")
LEVELS: dict[str, str] = {"red": "红牌", "yellow": "黄牌"}
CATEGORIES = ("时效", "流程", "内容", "公示")

FINDING_COLUMNS = (
    "rule_id", "rule_version", "violation_code", "case_id", "item_code", "dept_code", "source_system",
    "occurrence", "level", "category", "title", "message", "evidence", "due_at", "days_overdue",
    "days_left",
)

_FOUND = "_sunlight_found"
_CHANGES = "_sunlight_changes"
_RULES = "_sunlight_rules"
_WAIVED = "_sunlight_waived"
_FLAG_ID_SQL = ("substr(sha256(rule_id || '|' || coalesce(case_id, item_code) || '|' || coalesce(occurrence, '')),"
                " 1, 16)")


def flag_id(rule_id: str, subject: str, occurrence: str = "") -> str:
    """The stable id of a flag; ``subject`` is the case id, or the item code for catalogue flags."""
    return hashlib.sha256(f"{rule_id}|{subject}|{occurrence}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ApplyStats:
    """What one :func:`apply_findings` call changed."""

    findings: int
    duplicates: int
    raised: int
    escalated: int
    reraised: int
    updated: int
    cleared: int
    auto_resolved: int
    history_entries: int
    seconds: float

    def as_dict(self) -> dict[str, int | float]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def apply_findings(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: int,
    as_of: dt.datetime,
    findings_table: str,
    rule_ids: Sequence[str],
    actor: str = SYSTEM_ACTOR,
    recorded_at: dt.datetime | None = None,
    waived_table: str | None = None,
) -> ApplyStats:
    """Raise, refresh, escalate, clear and re-raise flags from ``findings_table``.

    ``rule_ids`` are the rules this run evaluated successfully: only their flags can be cleared.
    ``as_of`` is the audit time (flags' seen/yellow/red times); ``recorded_at`` stamps the history
    entries (default: ``as_of``). ``waived_table`` optionally holds the findings that exceptions
    moved aside (the findings columns, plus ``exception`` naming the exception): a flag cleared
    because its finding was waived says so in its reason instead of "condition no longer holds".
    """
    started = time.perf_counter()
    stamp = recorded_at or as_of
    source = _table_sql(findings_table)
    _check_columns(con, source, findings_table)
    try:
        total = _stage_findings(con, source)
        _check_findings(con)
        _stage_waived(con, waived_table)
        _classify(con, rule_ids)
        counts = dict(con.execute(f"SELECT action, count(*) FROM {_CHANGES} GROUP BY action").fetchall())
        auto_resolved = history.first(
            con, f"SELECT count(*) FROM {_CHANGES} WHERE action = 'clear' AND to_state <> from_state")
        pending = _history_rows(con, run_id=run_id, as_of=as_of, actor=actor, stamp=stamp)
        _write_flags(con, run_id=run_id, as_of=as_of, actor=actor, stamp=stamp)
        history.append_rows(con, pending)
        history.anchor(con, at=stamp, run_id=run_id)
        kept = history.first(con, f"SELECT count(*) FROM {_FOUND}")
    finally:
        for name in (_FOUND, _CHANGES, _RULES, _WAIVED):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    kept_n = int(kept[0]) if kept else 0
    return ApplyStats(
        findings=total,
        duplicates=total - kept_n,
        raised=int(counts.get("raise", 0)),
        escalated=int(counts.get("escalate", 0)),
        reraised=int(counts.get("reraise", 0)),
        updated=int(counts.get("update", 0)) + int(counts.get("escalate", 0)) + int(counts.get("reraise", 0)),
        cleared=int(counts.get("clear", 0)),
        auto_resolved=int(auto_resolved[0]) if auto_resolved else 0,
        history_entries=len(pending),
        seconds=round(time.perf_counter() - started, 3),
    )


_FINDING_TYPES = (
    "VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
    "VARCHAR", "VARCHAR", "VARCHAR", "JSON", "TIMESTAMP", "INTEGER", "INTEGER",
)
_ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "JSON": pa.string(), "TIMESTAMP": pa.timestamp("us")}


def findings_from_rows(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Create temp table ``name`` with the findings columns from Python mappings (for engines that
    find in Python, and for tests). Absent keys are NULL (``occurrence``: ''); ``evidence`` may be a
    dict. Returns the number of rows."""
    table = _table_sql(name)
    columns: dict[str, list[Any]] = {c: [] for c in FINDING_COLUMNS}
    allowed = set(FINDING_COLUMNS)
    for row in rows:
        unknown = set(row) - allowed
        if unknown:
            raise AuditError(f"unknown findings column(s): {', '.join(sorted(unknown))}")
        for column in FINDING_COLUMNS:
            columns[column].append(row.get(column))
    columns["occurrence"] = [o or "" for o in columns["occurrence"]]
    columns["evidence"] = [e if e is None or isinstance(e, str) else history.dumps(history.jsonable(e))
                           for e in columns["evidence"]]
    data = pa.table({c: pa.array(columns[c], _ARROW_TYPES[t]) for c, t in zip(FINDING_COLUMNS, _FINDING_TYPES,
                                                                                strict=True)})
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in zip(FINDING_COLUMNS, _FINDING_TYPES, strict=True))
    con.execute("SELECT 1").fetchall()  # settle any result the caller left unfinished
    con.register("_sunlight_findings_rows", data)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {casts} FROM _sunlight_findings_rows")
    finally:
        con.unregister("_sunlight_findings_rows")
    return int(data.num_rows)


def _table_sql(name: str) -> str:
    try:
        return sqlglot.exp.to_table(name, dialect="duckdb").sql(dialect="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise AuditError(f"findings table name {name!r} is not a table name") from exc


def _check_columns(con: duckdb.DuckDBPyConnection, source: str, name: str) -> None:
    try:
        present = {d[0] for d in con.execute(f"SELECT * FROM {source} LIMIT 0").description}
    except duckdb.CatalogException as exc:
        raise AuditError(f"findings table {name!r} does not exist") from exc
    missing = [c for c in FINDING_COLUMNS if c not in present]
    if missing:
        raise AuditError(
            f"findings table {name!r} lacks column(s): {', '.join(missing)}",
            hint="every compiled rule must return the columns listed in docs/architecture.md (Findings)",
        )


def _stage_findings(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Copy the findings with their flag ids, one row per flag (the gravest wins)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_FOUND} AS
        SELECT {_FLAG_ID_SQL} AS flag_id,
               rule_id, CAST(rule_version AS INTEGER) AS rule_version, violation_code, case_id, item_code,
               dept_code, source_system, coalesce(occurrence, '') AS occurrence, level, category, title,
               message, TRY_CAST(evidence AS JSON) AS evidence, CAST(due_at AS TIMESTAMP) AS due_at,
               CAST(days_overdue AS INTEGER) AS days_overdue, CAST(days_left AS INTEGER) AS days_left,
               count(*) OVER () AS total_rows
        FROM {source}
        QUALIFY row_number() OVER (
            PARTITION BY flag_id
            ORDER BY level = 'red' DESC, days_overdue DESC NULLS LAST, message
        ) = 1
        """
    )
    row = history.first(con, f"SELECT max(total_rows) FROM {_FOUND}")
    return int(row[0]) if row and row[0] is not None else 0


def _check_findings(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse findings that would break the flag table's constraints, naming the rule."""
    checks = (
        ("level NOT IN ('yellow', 'red') OR level IS NULL", "level must be yellow or red"),
        ("case_id IS NULL AND item_code IS NULL", "a finding needs a case_id or an item_code"),
        ("dept_code IS NULL", "dept_code is empty"),
        ("violation_code IS NULL", "violation_code is empty"),
        ("category IS NULL OR title IS NULL OR message IS NULL", "category, title or message is empty"),
        ("rule_version IS NULL", "rule_version is empty"),
        ("evidence IS NULL", "evidence is empty or not valid JSON"),
    )
    for condition, problem in checks:
        bad = history.first(
            con, f"SELECT rule_id, case_id, count(*) OVER () FROM {_FOUND} WHERE {condition} LIMIT 1")
        if bad is not None:
            raise AuditError(
                f"{bad[2]} finding(s) rejected: {problem}",
                location=Location(rule_id=bad[0], case_id=bad[1]),
                hint="the rule's compiled query returns rows that break the findings contract",
            )


def _stage_waived(con: duckdb.DuckDBPyConnection, waived_table: str | None) -> None:
    """Flag ids of waived findings, with the reason their flags will be cleared for."""
    if waived_table is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_WAIVED} (flag_id VARCHAR, reason VARCHAR)")
        return
    source = _table_sql(waived_table)
    _check_columns(con, source, waived_table)
    has_exception = "exception" in {d[0] for d in con.execute(f"SELECT * FROM {source} LIMIT 0").description}
    where = "'（' || any_value(exception) || '）'" if has_exception else "''"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_WAIVED} AS SELECT {_FLAG_ID_SQL} AS flag_id,"
                f" ? || coalesce({where}, '') AS reason FROM {source} GROUP BY ALL", [WAIVED_REASON])


def _classify(con: duckdb.DuckDBPyConnection, rule_ids: Sequence[str]) -> None:
    """One row per flag that changes: its action and its state and level before and after."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_RULES} AS SELECT DISTINCT unnest(?::VARCHAR[]) AS rule_id",
                [list(rule_ids)])
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_CHANGES} AS
        SELECT f.flag_id,
               CASE WHEN g.flag_id IS NULL THEN 'raise'
                    WHEN NOT g.active THEN 'reraise'
                    WHEN g.level = 'yellow' AND f.level = 'red' THEN 'escalate'
                    ELSE 'update' END AS action,
               g.state AS from_state,
               CASE WHEN g.flag_id IS NULL THEN 'open'
                    WHEN NOT g.active AND g.state IN ('rectifying', 'dismissed') THEN g.state
                    WHEN NOT g.active THEN 'open'
                    WHEN g.level = 'yellow' AND f.level = 'red' AND g.state = 'resolved' THEN 'open'
                    ELSE g.state END AS to_state,
               g.level AS from_level,
               CASE WHEN f.level = 'red' OR g.level = 'red' THEN 'red' ELSE 'yellow' END AS level,
               NULL::VARCHAR AS reason
        FROM {_FOUND} f LEFT JOIN flags g USING (flag_id)
        UNION ALL
        SELECT g.flag_id, 'clear', g.state,
               CASE WHEN g.state IN ('open', 'acknowledged') THEN 'resolved' ELSE g.state END,
               g.level, g.level, coalesce(w.reason, ?)
        FROM flags g SEMI JOIN {_RULES} r USING (rule_id)
        LEFT JOIN (SELECT flag_id, min(reason) AS reason FROM {_WAIVED} GROUP BY flag_id) w USING (flag_id)
        WHERE g.active AND g.flag_id NOT IN (SELECT flag_id FROM {_FOUND})
        """,
        [CLEAR_REASON],
    )


def _history_rows(
    con: duckdb.DuckDBPyConnection, *, run_id: int, as_of: dt.datetime, actor: str, stamp: dt.datetime,
) -> list[tuple[str, dt.datetime, str, str, str | None, str, str, str]]:
    """The history entries of this run, in a stable order, with their canonical detail JSON."""
    rows = con.execute(
        f"""
        SELECT c.flag_id, c.action, c.from_state, c.to_state, c.level, c.from_level, f.rule_version, c.reason
        FROM {_CHANGES} c LEFT JOIN {_FOUND} f USING (flag_id)
        WHERE c.action <> 'update'
        ORDER BY CASE c.action WHEN 'raise' THEN 1 WHEN 'escalate' THEN 2 WHEN 'reraise' THEN 3 ELSE 4 END,
                 c.flag_id
        """
    ).fetchall()
    base = {"as_of": as_of.isoformat(timespec="microseconds"), "run_id": run_id}
    clear_detail = history.dumps({**base, "reason": CLEAR_REASON})
    out: list[tuple[str, dt.datetime, str, str, str | None, str, str, str]] = []
    details: dict[tuple[str, object, object], str] = {}     # few distinct details: each encoded once
    for flag_id_, action, from_state, to_state, level, from_level, rule_version, reason in rows:
        if action == "clear":
            detail = clear_detail if reason == CLEAR_REASON else history.dumps({**base, "reason": reason})
        else:
            key = (action, from_level, rule_version)
            detail = details.get(key) or details.setdefault(key, history.dumps(
                {**base, "rule_version": rule_version} if action == "raise"
                else {**base, "from_level": from_level, "rule_version": rule_version}))
        out.append((flag_id_, stamp, actor, action, from_state, to_state, level, detail))
    return out


def _write_flags(
    con: duckdb.DuckDBPyConnection, *, run_id: int, as_of: dt.datetime, actor: str, stamp: dt.datetime,
) -> None:
    con.execute(
        f"""
        INSERT INTO flags (flag_id, rule_id, rule_version, case_id, occurrence, violation_code, dept_code,
            item_code, source_system, category, level, state, title, message, evidence, due_at,
            days_overdue, days_left, first_seen_at, last_seen_at, yellow_at, red_at, first_run_id,
            last_run_id, active, state_changed_at, state_changed_by, state_reason)
        SELECT f.flag_id, f.rule_id, f.rule_version, f.case_id, f.occurrence, f.violation_code, f.dept_code,
            f.item_code, f.source_system, f.category, f.level, 'open', f.title, f.message, f.evidence,
            f.due_at, f.days_overdue, f.days_left, $as_of, $as_of,
            CASE WHEN f.level = 'yellow' THEN $as_of END, CASE WHEN f.level = 'red' THEN $as_of END,
            $run_id, $run_id, true, $stamp, $actor, NULL
        FROM {_FOUND} f JOIN {_CHANGES} c USING (flag_id)
        WHERE c.action = 'raise'
        """,
        {"as_of": as_of, "run_id": run_id, "stamp": stamp, "actor": actor},
    )
    con.execute(
        f"""
        UPDATE flags SET
            message = f.message, evidence = f.evidence, due_at = f.due_at, days_overdue = f.days_overdue,
            days_left = f.days_left, last_seen_at = greatest(flags.last_seen_at, $as_of),
            last_run_id = $run_id, active = true, level = c.level,
            red_at = CASE WHEN c.level = 'red' AND flags.red_at IS NULL THEN $as_of ELSE flags.red_at END,
            yellow_at = CASE WHEN c.level = 'yellow' AND flags.yellow_at IS NULL THEN $as_of
                             ELSE flags.yellow_at END,
            state = c.to_state,
            state_changed_at = CASE WHEN c.to_state <> flags.state THEN $stamp ELSE flags.state_changed_at END,
            state_changed_by = CASE WHEN c.to_state <> flags.state THEN $actor ELSE flags.state_changed_by END,
            state_reason = CASE WHEN c.to_state <> flags.state THEN NULL ELSE flags.state_reason END
        FROM {_FOUND} f, {_CHANGES} c
        WHERE flags.flag_id = f.flag_id AND c.flag_id = f.flag_id AND c.action <> 'raise'
        """,
        {"as_of": as_of, "run_id": run_id, "stamp": stamp, "actor": actor},
    )
    con.execute(
        f"""
        UPDATE flags SET active = false, state = c.to_state,
            state_changed_at = CASE WHEN c.to_state <> flags.state THEN $stamp ELSE flags.state_changed_at END,
            state_changed_by = CASE WHEN c.to_state <> flags.state THEN $actor ELSE flags.state_changed_by END,
            state_reason = CASE WHEN c.to_state <> flags.state THEN c.reason ELSE flags.state_reason END
        FROM {_CHANGES} c
        WHERE flags.flag_id = c.flag_id AND c.action = 'clear'
        """,
        {"stamp": stamp, "actor": actor},
    )
