"""The batch audit on a large district, and its Declare rules beside PM4Py's Declare checker.

    python benchmarks/bench_audit.py --district OUT --db OUT.duckdb   # a district made by `sunlight generate`
    python benchmarks/bench_audit.py --cases 100000 --seed 7          # generate one into a temporary folder

Ingests the exports once (``sunlight ingest`` in a child process; ``DB.source.json`` names the
district the database holds, so a later run skips it). Audits a copy of the database with the
default pack (``run_audit``, commit included, DuckDB ``memory_limit`` 4GB) beside a plain pass over
the same events (``PLAIN_PASS``, cold, then the best of 3 warm passes for the ratio), with peak
memory (``ru_maxrss``, and ``duckdb_memory()`` sampled every 0.2 s), and each rule's narrowing
aggregate alone (its query cut after the ``candidate`` CTE), a floor under the rules, and two passes
one shared evaluation of the whole pack would need at least (``SHARED_PASSES``). Then checks the
pack's declare rules on N closed cases (the first by md5(case_id), mixing platforms; ``--pm4py-pick
first``: the first by case_id) with ``pm4py.conformance_declare`` (one run per scope) and with their
compiled SQL on an in-memory database of those cases, and compares verdicts case by case. Events of
a case often share a time: the DataFrame is ordered by case and ``seq`` and ``time:timestamp`` gets
k microseconds for the k-th event at the same time, so any sort by (case, time) keeps the seq order.
``at_most(a, 1)`` (absence2) has no PM4Py template: it fails when ``existence(a)`` holds and
``exactly_one(a)`` fails. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit.compile import DuckDBTarget  # noqa: E402
from audit.compile.base import CompiledRule  # noqa: E402
from audit.rules import default_rules_dir, load_pack  # noqa: E402
from audit.rules.declare import TEMPLATES  # noqa: E402
from audit.rules.kinds import DeclareRule  # noqa: E402
from audit.runner import AuditResult, run_audit  # noqa: E402
from sunlight import db  # noqa: E402
from samples.generator import generate  # noqa: E402
from sunlight.config import Settings  # noqa: E402

CLOSING = ("CLOSE", "DECIDE", "REFUSE", "PENALTY_DECISION")
TARGET_RATIO, TARGET_MEMORY = 5.0, 4 << 30
PLAIN_PASS = "SELECT case_id, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n FROM events GROUP BY case_id"
# One pass a whole pack could share instead of a query per rule: every order-aware check (precedence,
# response, a deadline's start and stop) needs at least each activity's positions per case, or the
# events of each case in order.
SHARED_PASSES = {
    "one shared pass: GROUP BY case_id, activity (count, first/last seq and time)":
        "SELECT case_id, activity, count(*) AS n, min(seq) AS first_seq, max(seq) AS last_seq, min(ts) AS first_ts,"
        " max(ts) AS last_ts FROM events GROUP BY case_id, activity",
    "one shared pass: the events ORDER BY case_id, seq":
        "SELECT case_id, seq, activity, ts FROM events ORDER BY case_id, seq",
}
CASE, ACT, TS = "case:concept:name", "concept:name", "time:timestamp"
Row = tuple[str, str, str]


def manifest(folder: Path) -> dict[str, Any]:
    path = folder / "truth" / "manifest.json"
    if not path.exists():
        raise SystemExit(f"{path} not found: the district is missing or still being generated")
    text = path.read_text(encoding="utf-8")
    return {**json.loads(text), "digest": hashlib.sha256(text.encode()).hexdigest()}


def ensure_ingested(folder: Path, database: Path, facts: dict[str, Any]) -> float | None:
    """Ingest the district into ``database`` unless it already holds it; the seconds taken, or None."""
    note = database.with_name(database.name + ".source.json")
    if database.exists() and note.exists() and json.loads(note.read_text())["digest"] == facts["digest"]:
        return None
    database.unlink(missing_ok=True)
    database.with_name(database.name + ".wal").unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sunlight", "ingest", str(folder / "exports"), "--db", str(database)],
                          cwd=ROOT, stdout=subprocess.DEVNULL)
    if done.returncode not in (0, 10):
        raise SystemExit(f"sunlight ingest failed ({done.returncode})")
    note.write_text(json.dumps({"digest": facts["digest"], "cases": facts["cases"], "seed": facts["seed"]}))
    return time.perf_counter() - started


@dataclass
class AuditRun:
    result: AuditResult
    audit: float
    audit_cpu: float
    plain_cold: float
    plain_warm: float
    plain_cpu: float
    events: int
    cases: int
    maxrss: int
    duckdb_peak: int | None
    memory_limit: str
    threads: int
    narrowing: dict[str, float] = field(default_factory=dict)
    shared: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def duckdb_memory(con: duckdb.DuckDBPyConnection) -> Iterator[list[int]]:
    """Sample the total of ``duckdb_memory()`` every 0.2 s on a second connection; yields [peak]."""
    peak = [0]
    stop, probe = threading.Event(), con.cursor()

    def sample() -> None:
        while not stop.wait(0.2):
            with contextlib.suppress(duckdb.Error):
                row = probe.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
                peak[0] = max(peak[0], int(row[0] or 0) if row else 0)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()
        probe.close()


def timed_pass(con: duckdb.DuckDBPyConnection, query: str = PLAIN_PASS) -> tuple[float, float]:
    """Wall and process CPU seconds of one pass (the plain one by default), materialised into a
    temporary table."""
    wall, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE OR REPLACE TEMP TABLE plain_pass AS {query}")
    return time.perf_counter() - wall, time.process_time() - cpu


def narrowing_query(compiled: CompiledRule) -> str | None:
    """The rule's query cut after its ``candidate`` CTE (``Query.restrict``): the one aggregate that
    decides which cases could raise a finding, with no evidence. None when the rule has none."""
    ctes = [cte.copy() for cte in compiled.tree.find_all(exp.CTE) if cte.parent is compiled.tree.args.get("with_")]
    names = [cte.alias for cte in ctes]
    if "candidate" not in names:
        return None
    query = exp.select("case_id").from_("candidate")
    query.set("with_", exp.With(expressions=ctes[: names.index("candidate") + 1]))
    return query.sql(dialect="duckdb")


def used_params(query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``query`` refers to (DuckDB refuses values it has no place for)."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", query)}


def time_narrowing(con: duckdb.DuckDBPyConnection, as_of: dt.datetime) -> dict[str, float]:
    """Wall seconds of each rule's narrowing aggregate alone, materialised like the plain pass."""
    target, seconds = DuckDBTarget(), {}
    for rule in load_pack(default_rules_dir()):
        if rule.effective_from > as_of.date():
            continue
        compiled = target.compile(rule)
        query = narrowing_query(compiled)
        if query is None:
            continue
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE narrowed AS {query}", used_params(query, compiled.bind(as_of)))
        seconds[rule.id] = time.perf_counter() - started
    return seconds


def audit_copy(database: Path, work: Path, as_of: dt.datetime, memory_limit: str) -> AuditRun:
    copy = work / "audited.duckdb"
    shutil.copyfile(database, copy)
    con = db.connect(copy)
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        cold, _ = timed_pass(con)
        warm, warm_cpu = min(timed_pass(con) for _ in range(3))    # the best of three warm passes
        events, cases = con.execute("SELECT count(*), count(DISTINCT case_id) FROM events").fetchone() or (0, 0)
        pack = load_pack(default_rules_dir())
        with duckdb_memory(con) as peak:
            started, cpu = time.perf_counter(), time.process_time()
            result: AuditResult = run_audit(con, pack, as_of, Settings())
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024     # before the floors below
        limit, threads = con.execute("SELECT current_setting('memory_limit'), current_setting('threads')"
                                     ).fetchone() or ("?", 0)
        narrowing = time_narrowing(con, as_of)
        shared = {label: min(timed_pass(con, query) for _ in range(3))[0] for label, query in SHARED_PASSES.items()}
    finally:
        con.close()
    copy.unlink(missing_ok=True)
    return AuditRun(result, seconds, cpu, cold, warm, warm_cpu, int(events), int(cases),
                    maxrss, peak[0] or None, str(limit), int(threads),
                    narrowing, shared)


PM4PY_BINARY = {
    "responded_existence": "responded_existence", "coexistence": "coexistence", "not_coexistence": "noncoexistence",
    "response": "response", "precedence": "precedence", "succession": "succession",
    "alternate_response": "altresponse", "alternate_precedence": "altprecedence",
    "alternate_succession": "altsuccession", "chain_response": "chainresponse",
    "chain_precedence": "chainprecedence", "chain_succession": "chainsuccession",
}


@dataclass
class Constraint:
    rule: DeclareRule
    model: dict[str, list[Any]]      # PM4Py template -> keys (an activity, or an (a, b) pair)
    violated: Callable[[set[tuple[str, Any]]], bool]   # from one trace's deviations {(template, key)}


def to_pm4py(rule: DeclareRule) -> Constraint | str:
    """The rule as PM4Py Declare constraints, or why it has no PM4Py equivalent."""
    t, a, b, n = rule.template, rule.a, rule.b, rule.n if rule.n is not None else 1
    if rule.within is not None:
        return "within: PM4Py has no time windows"
    if t in PM4PY_BINARY:
        name, key = PM4PY_BINARY[t], (a, b)
        return Constraint(rule, {name: [key]}, lambda devs: (name, key) in devs)
    unary = {("existence", 1): "existence", ("exactly", 1): "exactly_one", ("absence", 1): "absence",
             ("at_most", 0): "absence", ("init", 1): "init"}.get((t, n if TEMPLATES[t].counted else 1))
    if unary is not None:
        return Constraint(rule, {unary: [a]}, lambda devs: (unary, a) in devs)
    if (t, n) == ("at_most", 1):  # absence2: a occurs, and not exactly once
        return Constraint(rule, {"existence": [a], "exactly_one": [a]},
                          lambda devs: ("exactly_one", a) in devs and ("existence", a) not in devs)
    return f"{t}(n={n}): no PM4Py template"


def scope_sql(rule: DeclareRule) -> tuple[str, list[Any]] | str:
    """The cases a rule judges (its scope over cases joined to their items), as SQL."""
    s = rule.scope
    if s.when is not None:
        return "scope.when is not compared"
    where, params = ["TRUE"], []
    for column, values in (("c.case_kind", [s.case_kind] if s.case_kind else []), ("i.kind", s.item_kinds),
                           ("i.item_code", s.item_codes), ("c.dept_code", s.departments),
                           ("c.source_system", s.platforms)):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params += list(values)
    return (f"SELECT c.case_id FROM cases c JOIN items i ON i.item_code = c.item_code WHERE {' AND '.join(where)}",
            params)


@dataclass
class Comparison:
    pick: str = ""
    cases: int = 0
    events: int = 0
    export: float = 0.0
    pm4py: float = 0.0
    pm4py_cpu: float = 0.0
    sunlight: float = 0.0
    sunlight_cpu: float = 0.0
    rules: list[Row] = field(default_factory=list)        # rule, scope cases, "pm4py/sunlight/disagreements"
    skipped: list[Row] = field(default_factory=list)
    disagreements: int = 0
    examples: list[str] = field(default_factory=list)


def closed_subset(source: Path, as_of: dt.datetime, limit: int, memory_limit: str,
                  spread: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the tables declare rules read, holding ``limit`` closed cases: the first
    by md5(case_id) (``spread``: ids start with the platform code), or else the first by case_id."""
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    closing = ", ".join(f"'{c}'" for c in CLOSING)
    con.execute("CREATE TABLE chosen AS SELECT case_id FROM src.events WHERE activity IN "
                f"({closing}) AND ts <= ? GROUP BY case_id ORDER BY {'md5(case_id), ' if spread else ''}case_id "
                f"LIMIT {int(limit)}", [as_of])
    chosen = "case_id IN (SELECT case_id FROM chosen)"
    for table, where in (("cases", chosen), ("events", chosen), ("items", "TRUE"), ("calendar", "TRUE")):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table} WHERE {where}")
    con.execute("DETACH src")
    return con


def export_frame(con: duckdb.DuckDBPyConnection, as_of: dt.datetime) -> pd.DataFrame:
    """The events by the audit time in PM4Py's columns, ordered by case and seq, times made strictly
    increasing within a case (ties broken by seq, one microsecond apart)."""
    con.execute("""CREATE OR REPLACE TEMP TABLE pm_events AS
        SELECT case_id, seq, activity,
               ts + to_microseconds(row_number() OVER (PARTITION BY case_id, ts ORDER BY seq) - 1) AS t
        FROM events WHERE ts <= ?""", [as_of])
    bad = con.execute("SELECT count(*) FROM (SELECT t <= lag(t) OVER (PARTITION BY case_id ORDER BY seq) AS back "
                      "FROM pm_events) WHERE back").fetchone()
    if bad and bad[0]:
        raise SystemExit(f"{bad[0]} events are not strictly after their predecessor in seq order")
    return con.execute(f'SELECT case_id AS "{CASE}", activity AS "{ACT}", t AS "{TS}" '
                       "FROM pm_events ORDER BY case_id, seq").df()


def run_pm4py(frame: pd.DataFrame, constraints: list[Constraint]) -> tuple[dict[str, set[str]], float, float]:
    """Violating case ids per rule, and PM4Py's wall and CPU seconds for the check itself."""
    import numpy as np
    with contextlib.redirect_stderr(io.StringIO()):  # PM4Py prints a banner on import
        import pm4py
        import pm4py.algo.conformance.declare.algorithm  # noqa: F401  (imported before the clock starts)
    model: dict[str, dict[Any, dict[str, float]]] = {}
    for template, key in ((t, k) for c in constraints for t, keys in c.model.items() for k in keys):
        model.setdefault(template, {})[key] = {"support": 1.0, "confidence": 1.0}
    wall, cpu = time.perf_counter(), time.process_time()
    result = pm4py.conformance_declare(frame, model, activity_key=ACT, timestamp_key=TS, case_id_key=CASE,
                                       return_diagnostics_dataframe=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    case_ids = np.unique(frame[CASE].to_numpy())  # PM4Py's trace order for a DataFrame
    if len(case_ids) != len(result):
        raise SystemExit(f"PM4Py returned {len(result)} traces for {len(case_ids)} cases")
    violating: dict[str, set[str]] = {c.rule.id: set() for c in constraints}
    for case_id, trace in zip(case_ids, result):
        devs = {(d[0], d[1]) for d in trace["deviations"]}
        for c in constraints:
            if devs and c.violated(devs):
                violating[c.rule.id].add(str(case_id))
    return violating, wall, cpu


def compare(source: Path, as_of: dt.datetime, limit: int, memory_limit: str, spread: bool = True) -> Comparison:
    rules = [r for r in load_pack(default_rules_dir()) if isinstance(r, DeclareRule)
             and r.effective_from <= as_of.date()]
    out = Comparison(pick="first by md5(case_id)" if spread else "first by case_id")
    con = closed_subset(source, as_of, limit, memory_limit, spread)
    try:
        out.cases = int(con.execute("SELECT count(*) FROM chosen").fetchone()[0])  # type: ignore[index]
        started = time.perf_counter()
        frame = export_frame(con, as_of)
        out.export, out.events = time.perf_counter() - started, len(frame)
        groups: dict[tuple[str, tuple[Any, ...]], list[Constraint]] = {}
        for rule in rules:
            mapped, scope = to_pm4py(rule), scope_sql(rule)
            if isinstance(mapped, str) or isinstance(scope, str):
                out.skipped.append((rule.id, rule.template, mapped if isinstance(mapped, str) else str(scope)))
                continue
            groups.setdefault((scope[0], tuple(scope[1])), []).append(mapped)
        judged: dict[str, tuple[set[str], set[str]]] = {}      # rule -> (cases in scope, PM4Py's violations)
        for (sql, params), constraints in groups.items():
            in_scope = {str(r[0]) for r in con.execute(sql, list(params)).fetchall()}
            found, wall, cpu = run_pm4py(frame[frame[CASE].isin(in_scope)], constraints)
            out.pm4py, out.pm4py_cpu = out.pm4py + wall, out.pm4py_cpu + cpu
            for c in constraints:
                judged[c.rule.id] = in_scope, found[c.rule.id]
        ours: dict[str, set[str]] = {}
        for rule_id in judged:
            compiled = DuckDBTarget().compile(next(r for r in rules if r.id == rule_id))
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute(f"CREATE OR REPLACE TEMP TABLE found AS {compiled.sql}", compiled.bind(as_of))
            out.sunlight, out.sunlight_cpu = out.sunlight + time.perf_counter() - wall, out.sunlight_cpu + time.process_time() - cpu
            ours[rule_id] = {str(r[0]) for r in con.execute("SELECT case_id FROM found").fetchall()}
    finally:
        con.close()
    for rule_id, (in_scope, theirs) in judged.items():
        mine = ours[rule_id]
        differ = theirs ^ mine
        out.disagreements += len(differ)
        out.examples += [f"{rule_id} {case}: pm4py={'违规' if case in theirs else '合规'}, "
                         f"sunlight={'违规' if case in mine else '合规'}" for case in sorted(differ)[:5]]
        out.rules.append((rule_id, f"{len(in_scope):,}", f"{len(theirs):,} / {len(mine):,} / {len(differ)}"))
    return out


def gib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / (1 << 30):.2f} GiB"


def report(facts: dict[str, Any], ingest: float | None, run: AuditRun, cmp: Comparison | None, load: str) -> str:
    ratio = run.audit / run.plain_warm if run.plain_warm else float("inf")
    cpu_ratio = run.audit_cpu / run.plain_cpu if run.plain_cpu else float("inf")
    rules, children = sum(run.result.seconds.values()), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows: list[Row] = [
        ("district", f"{facts['cases']:,} cases (seed {facts['seed']}), as of {facts['as_of']}",
         f"{run.cases:,} cases with events, {run.events:,} events"),
        ("machine", f"{run.threads} DuckDB threads, memory_limit {run.memory_limit}", f"load average {load}"),
        ("ingest (sunlight ingest, child process)", "skipped: the database holds it" if ingest is None
         else f"{ingest:,.1f} s", "" if ingest is None else f"child peak RSS {gib(children * 1024)}"),
        ("audit (run_audit, default pack, commit)", f"{run.audit:,.1f} s (cpu {run.audit_cpu:,.1f} s)",
         f"{run.result.total:,} findings; {len(run.result.failures)} rule failures"),
        ("  rules / flag store and commit", f"{rules:,.1f} s / {run.audit - rules:,.1f} s", "wall"),
        ("plain pass over events (cold / best warm of 3)", f"{run.plain_cold:,.3f} s / {run.plain_warm:,.3f} s",
         f"warm cpu {run.plain_cpu:,.3f} s"),
        ("audit / warm plain pass", f"{ratio:,.1f}x (cpu {cpu_ratio:,.1f}x)", f"target <= {TARGET_RATIO:.0f}x: "
         + ("met" if ratio <= TARGET_RATIO else "NOT met")),
        ("peak memory (ru_maxrss, after the audit)", gib(run.maxrss),
         f"target < 4 GiB: {'met' if run.maxrss < TARGET_MEMORY else 'NOT met'}"),
        ("peak DuckDB memory (duckdb_memory(), sampled)", gib(run.duckdb_peak), ""),
    ]
    floors: list[Row] = []        # beside the ratio: what no way of running the rules can go below
    if run.plain_warm:
        if run.narrowing:
            floor = sum(run.narrowing.values())
            floors.append(("  the rules' narrowing aggregates alone", f"{floor:,.2f} s ({floor / run.plain_warm:,.1f}x "
                           "the plain pass)", f"{len(run.narrowing)} of {len(run.result.seconds)} rules: the one "
                           "aggregate that decides which cases could raise a finding, no evidence"))
        floors += [(f"  {label}", f"{seconds:,.3f} s ({seconds / run.plain_warm:,.1f}x the plain pass)", "best warm of 3")
                   for label, seconds in run.shared.items()]
    at = next(i for i, row in enumerate(rows) if row[0] == "audit / warm plain pass") + 1
    rows[at:at] = floors
    for rule_id, seconds in sorted(run.result.seconds.items(), key=lambda kv: -kv[1]):
        rows.append((f"  rule {rule_id}", f"{seconds:,.2f} s", ""))
    if cmp is not None:
        speed = cmp.pm4py / cmp.sunlight if cmp.sunlight else float("inf")
        rows += [
            (f"PM4Py comparison: closed cases ({cmp.pick})", f"{cmp.cases:,} cases, {cmp.events:,} events",
             f"DataFrame export {cmp.export:,.1f} s (not in the times below)"),
            ("  PM4Py conformance_declare", f"{cmp.pm4py:,.2f} s (cpu {cmp.pm4py_cpu:,.2f} s)", ""),
            ("  Sunlight compiled SQL, same rules", f"{cmp.sunlight:,.2f} s (cpu {cmp.sunlight_cpu:,.2f} s)",
             f"Sunlight {speed:,.1f}x faster" if speed >= 1 else f"PM4Py {1 / speed:,.1f}x faster"),
            ("  verdict disagreements", f"{cmp.disagreements}", "must be 0"),
        ]
        rows += [(f"  {rule}", f"{scope} cases in scope", f"violations pm4py / sunlight / differ: {counts}")
                 for rule, scope, counts in cmp.rules]
        rows += [(f"  {rule} not compared", template, why) for rule, template, why in cmp.skipped]
    rows.insert(0, ("measure", "value", "note"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    text = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    text.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    if cmp is not None:
        text += cmp.examples
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--district", help="a district folder made by `sunlight generate` (exports/, truth/)")
    parser.add_argument("--cases", type=int, default=100_000, help="without --district: generate this many cases")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="the database file (default: DISTRICT.duckdb beside the district)")
    parser.add_argument("--pm4py-cases", type=int, default=100_000, help="closed cases for PM4Py (0: skip)")
    parser.add_argument("--pm4py-pick", choices=("spread", "first"), default="spread",
                        help="closed cases for PM4Py: first by md5(case_id) (all platforms), or first by case_id")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory_limit")
    args = parser.parse_args(argv)
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench_audit_") as scratch_name:
        scratch = Path(scratch_name)
        folder = Path(args.district) if args.district else scratch / "district"
        if not args.district:
            generate(folder, args.cases, args.seed)
        facts = manifest(folder)
        database = Path(args.db) if args.db else folder.with_name(folder.name + ".duckdb")
        ingest = ensure_ingested(folder, database, facts)
        as_of = dt.datetime.strptime(facts["as_of"], "%Y-%m-%d %H:%M")
        run = audit_copy(database, scratch, as_of, args.memory_limit)
        cmp = (compare(database, as_of, args.pm4py_cases, args.memory_limit, args.pm4py_pick == "spread")
               if args.pm4py_cases else None)
    print(report(facts, ingest, run, cmp, "{} before, {:.2f} {:.2f} {:.2f} after".format(load, *os.getloadavg())))
    return 1 if cmp is not None and cmp.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
