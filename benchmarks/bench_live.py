"""The live engine replaying a generated district: sustained throughput and event-to-flag delay.

    python benchmarks/bench_live.py                         # generate 5,000 cases into a temporary folder
    python benchmarks/bench_live.py --cases 20000 --seed 7
    python benchmarks/bench_live.py --db district.duckdb    # a database `sunlight ingest` filled

Generates a district (``samples.generator.generate``) and ingests it into a temporary database,
unless ``--db`` names one. Then replays every case row, disclosure and event through a
:class:`audit.live.engine.LiveEngine` running the whole default pack, in time order, the clock
ticking to each event's time, exactly as ``sunlight replay`` does, and measures:

* sustained events per second: events fed / wall time of the whole replay (ticks, case rows and
  disclosures included);
* the delay from an event to its flag: for every event after which the engine's findings changed,
  the time from handing the event to the engine to the finding being there (the engine judges
  synchronously, so this is the time ``add_event`` takes); the same for ticks that raised or
  escalated a flag on their own (a deadline passing);
* the time to write the findings into the store (``audit.live.store.apply_live``, one ``live``
  run) and so the end-to-end delay of ``sunlight watch`` for one event: engine + store;
* at the end, that the live findings equal the batch's (compiled SQL) as of the same time.

Prints one table. The goal: at least 2,000 events per second and under one second from event to flag.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit.live.calendar import WorkCalendar  # noqa: E402
from audit.live.compare import BatchEngine, differences  # noqa: E402
from audit.live.engine import LiveEngine, partitions_for  # noqa: E402
from audit.live.feed import read_duckdb, timeline  # noqa: E402
from audit.live.model import Reference  # noqa: E402
from audit.live.runner import compile_rules  # noqa: E402
from audit.live.store import apply_live  # noqa: E402
from audit.rules import default_rules_dir, load_pack  # noqa: E402
from sunlight import db  # noqa: E402
from sunlight.config import Settings  # noqa: E402

TARGET_RATE, TARGET_DELAY = 2000.0, 1.0


def build_district(cases: int, seed: int, folder: Path) -> tuple[Path, dt.datetime]:
    from ingest.api import ingest_paths
    from samples.generator import generate

    manifest = generate(folder / "district", cases, seed)
    path = folder / "district.duckdb"
    con = db.connect(path)
    con.execute("BEGIN TRANSACTION")
    ingest_paths(con, [folder / "district" / "exports"], Settings())
    con.execute("COMMIT")
    con.close()
    return path, dt.datetime.strptime(manifest.as_of, "%Y-%m-%d %H:%M")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def replay_measured(path: Path, until: dt.datetime) -> dict[str, Any]:
    con = db.connect(path, read_only=True)
    snapshot = read_duckdb(con)
    calendar = WorkCalendar.from_duckdb(con)
    con.close()
    rules = list(load_pack(default_rules_dir()))
    pack = compile_rules(rules)
    steps = timeline(snapshot, until)
    event_delays: list[float] = []
    tick_delays: list[float] = []
    cpu, wall = time.process_time(), time.perf_counter()
    with LiveEngine(pack, Reference(calendar), partitions=partitions_for(len(snapshot.cases))) as engine:
        engine.set_reference(items=snapshot.items, officers=snapshot.officers, discretion=snapshot.discretion)
        for at, table, row in steps:
            if at > engine.clock and at != dt.datetime.min:
                started = time.perf_counter()
                engine.tick(at)
                if engine.drain_changed():
                    tick_delays.append(time.perf_counter() - started)
            started = time.perf_counter()
            if table == "events":
                engine.add_event(row)
                if engine.drain_changed():
                    event_delays.append(time.perf_counter() - started)
            elif table == "cases":
                engine.add_case(row)
            else:
                engine.add_disclosure(row)
        engine.tick(until)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        live = engine.findings()
        judgements = engine.judgements
    return {"snapshot": snapshot, "pack": pack, "rules": rules, "live": live, "wall": wall, "cpu": cpu,
            "event_delays": event_delays, "tick_delays": tick_delays, "judgements": judgements}


def store_delays(path: Path, pack: Any, live: list[dict[str, Any]], until: dt.datetime, folder: Path,
                 rounds: int = 5) -> list[float]:
    """Write the findings as a live run, then again (the steady state: only what changed is new)."""
    copy = folder / "store.duckdb"
    copy.write_bytes(path.read_bytes())
    con = db.connect(copy)
    delays: list[float] = []
    try:
        for n in range(rounds):
            started = time.perf_counter()
            con.execute("BEGIN TRANSACTION")
            apply_live(con, pack, live, as_of=until + dt.timedelta(minutes=n))
            con.execute("COMMIT")
            delays.append(time.perf_counter() - started)
    finally:
        con.close()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--db", type=Path, default=None, help="a database already holding a district")
    parser.add_argument("--until", type=str, default=None, help="replay up to this time (default: the district's as-of)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        folder = Path(tmp)
        if args.db is None:
            started = time.perf_counter()
            path, as_of = build_district(args.cases, args.seed, folder)
            print(f"generated and ingested {args.cases} cases in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        else:
            path, as_of = args.db, dt.datetime(2026, 11, 20, 18)
        until = dt.datetime.fromisoformat(args.until) if args.until else as_of
        run = replay_measured(path, until)
        stores = store_delays(path, run["pack"], run["live"], until, folder)
        con = db.connect(path, read_only=True)
        batch = BatchEngine(run["rules"]).findings(con, until)
        con.close()

    snapshot = run["snapshot"]
    events = len(snapshot.events)
    rate = events / run["wall"]
    p50, p95 = percentile(run["event_delays"], 0.5), percentile(run["event_delays"], 0.95)
    t50, t95 = percentile(run["tick_delays"], 0.5), percentile(run["tick_delays"], 0.95)
    store50, store95 = statistics.median(stores[1:] or stores), percentile(stores[1:] or stores, 0.95)
    problems = differences(batch, run["live"])
    rows = [
        ("district", f"{len(snapshot.cases):,} cases, {events:,} events, {len(snapshot.disclosures):,} disclosures"),
        ("rules", f"{len(run['pack'].rules)} live (default pack), {len(run['pack'].not_covered)} not covered"),
        ("replay wall / CPU time", f"{run['wall']:.1f} s / {run['cpu']:.1f} s ({run['judgements']:,} judgements)"),
        ("sustained events per second", f"{rate:,.0f} (CPU: {events / run['cpu']:,.0f})"),
        ("event → flag, engine (p50 / p95)", f"{p50 * 1000:.2f} ms / {p95 * 1000:.2f} ms  ({len(run['event_delays']):,} events changed a flag)"),
        ("tick → flag, engine (p50 / p95)", f"{t50 * 1000:.2f} ms / {t95 * 1000:.2f} ms  ({len(run['tick_delays']):,} ticks changed a flag)"),
        ("write to flag store (p50 / p95)", f"{store50 * 1000:.0f} ms / {store95 * 1000:.0f} ms  ({len(run['live']):,} findings per live run)"),
        ("event → flag in store (p95)", f"{(p95 + store95) * 1000:.0f} ms"),
        ("peak memory (ru_maxrss)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"),
        ("live = batch as of the end", "yes" if not problems else f"NO: {len(problems)} differences"),
        ("goal", f"≥ {TARGET_RATE:,.0f} events/s: {'met' if rate >= TARGET_RATE else 'NOT met'}; "
                 f"< {TARGET_DELAY:.0f} s event → flag: {'met' if p95 + store95 < TARGET_DELAY else 'NOT met'}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value} |")
    for line in problems[:10]:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
