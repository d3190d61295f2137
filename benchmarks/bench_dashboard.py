"""How long each dashboard page takes to show on a large district.

For every page (and role) it prints:

* **data**: the page's query functions on a fresh read-only connection (what a first visit waits
  for, before rendering);
* **first render, cold**: a whole AppTest run of the page with every cache empty (queries and
  rendering);
* **first render, warmed**: the same with only what the server precomputes in the background after
  each database change (the disclosure page's decision facts, ``SUNLIGHT_WARM=1``);
* **cached**: the same run again (the page as a second visitor or a rerun sees it).

Usage::

    python benchmarks/bench_dashboard.py --db big.duckdb
    python benchmarks/bench_dashboard.py --cases 1000000 --work benchmarks/out   # generate, ingest, audit first

The target is under 2 s per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.queries import cases, disclosure, flags, overview, rectification, rules, runs  # noqa: E402
from dashboard.queries.scope import Page  # noqa: E402
from dashboard.viewer import PUBLIC, Role, Viewer  # noqa: E402

APP = ROOT / "dashboard" / "app.py"
TARGET = 2.0


def build(cases_count: int, work: Path) -> Path:
    """Generate a district of ``cases_count`` cases, ingest and audit it (skipped when done before)."""
    work.mkdir(parents=True, exist_ok=True)
    out, db = work / f"district_{cases_count}", work / f"district_{cases_count}.duckdb"
    sunlight = [sys.executable, "-m", "sunlight"]
    if not (out / "truth" / "manifest.json").exists():
        subprocess.run([*sunlight, "generate", str(out), "--cases", str(cases_count), "--seed", "1"], check=True)
    as_of = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))["as_of"]
    if not db.exists():
        for step in (["ingest", str(out / "exports"), "--db", str(db)], ["audit", "--db", str(db), "--as-of", as_of]):
            done = subprocess.run([*sunlight, *step])
            if done.returncode not in (0, 10):
                raise SystemExit(f"sunlight {step[0]} failed ({done.returncode})")
    return db


def facts(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        dept = con.execute("SELECT dept_code FROM flags GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        case = con.execute("SELECT case_id FROM flags WHERE case_id IS NOT NULL AND due_at IS NOT NULL"
                           " ORDER BY days_overdue DESC NULLS LAST LIMIT 1").fetchone()[0]
        flag = con.execute("SELECT flag_id FROM flags ORDER BY days_overdue DESC NULLS LAST LIMIT 1").fetchone()[0]
        sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("cases", "events", "flags", "flag_history", "disclosures", "quarantine")}
        as_of = overview.as_of(con) or dt.datetime.now()
    finally:
        con.close()
    return {"dept": dept, "case": case, "flag": flag, "sizes": sizes, "as_of": as_of}


def page_queries(f: dict[str, Any]) -> dict[str, Callable[[duckdb.DuckDBPyConnection, Viewer], object]]:
    """What each page asks the database on a first visit (see dashboard/data.py)."""
    as_of = f["as_of"]

    def overview_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        return (overview.totals(con, v), overview.by_department(con, v), overview.by_category(con, v),
                overview.by_week(con, v), overview.last_run_changes(con, v))

    def flags_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        first = flags.list_flags(con, v, flags.FlagFilter(), Page(1, 50))
        flag_id = first.rows["flag_id"].iloc[0] if not first.rows.empty else f["flag"]
        return (flags.filter_options(con, v), first, flags.get_flag(con, v, flag_id),
                flags.flag_history(con, v, flag_id), flags.orders_of_flag(con, v, flag_id))

    def case_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        return cases.load_case(con, v, f["case"])

    def disclosure_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        flt = disclosure.DisclosureFilter()
        table = disclosure.facts(con, as_of)  # once per database version (cached by the dashboard)
        return (disclosure.departments(con, v), disclosure.summary(con, v, flt, as_of, table),
                disclosure.decisions(con, v, flt, Page(1, 50), as_of, table))

    def rectification_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        dept = v.dept_code or f["dept"]
        return (rectification.summary(con, v, as_of.date()), rectification.orders(con, v, dept),
                flags.list_flags(con, v, flags.FlagFilter(depts=(dept,)), Page(1, 50)))

    def rules_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        return rules.hits_by_week(con, v), rules.versions(con)

    def runs_page(con: duckdb.DuckDBPyConnection, v: Viewer) -> object:
        return runs.runs(con, v), runs.load_files(con, v, Page()), runs.quarantine(con, v, Page())

    return {"overview": overview_page, "flags": flags_page, "case": case_page, "disclosure": disclosure_page,
            "rectification": rectification_page, "rules": rules_page, "runs": runs_page}


def time_data(db: Path, query: Callable[[duckdb.DuckDBPyConnection, Viewer], object], viewer: Viewer,
              repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        con = duckdb.connect(str(db), read_only=True)
        try:
            query(con, viewer)
        finally:
            con.close()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def time_render(db: Path, page: str, viewer: Viewer | None,
                query: dict[str, str] | None) -> tuple[float, float, float]:
    """(first render with every cache empty, first render after the server's background warm-up,
    cached re-render) of one page, in seconds."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import decision_facts
    from dashboard.navigation import PAGES

    os.environ["SUNLIGHT_DB"] = str(db)
    at = AppTest.from_file(str(APP), default_timeout=600)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    at.run()
    if query:
        for key, value in query.items():
            at.query_params[key] = value
    at.switch_page(PAGES[page][0])
    st.cache_data.clear()
    decision_facts.clear()
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].value}")
    st.cache_data.clear()  # keep only what the server precomputes in the background
    started = time.perf_counter()
    at.run()
    warm = time.perf_counter() - started
    started = time.perf_counter()
    at.run()
    return first, warm, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="an audited database")
    parser.add_argument("--cases", type=int, default=100_000, help="build a district of this size (without --db)")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out"), help="where to build it")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    db = (args.db or build(args.cases, args.work)).resolve()
    f = facts(db)
    print(f"database: {db.name}, {db.stat().st_size / 2**20:,.0f} MiB; "
          + ", ".join(f"{k} {v:,}" for k, v in f["sizes"].items()))
    head = Viewer(Role.DEPARTMENT, f["dept"], user="head")
    inspector = Viewer(Role.INSPECTOR, user="inspector")
    plan: list[tuple[str, str, Viewer | None, dict[str, str] | None]] = [
        (page, "inspector", inspector, {"case": f["case"]} if page == "case" else None)
        for page in ("overview", "flags", "case", "disclosure", "rectification", "rules", "runs")
    ] + [(page, "department", head, None) for page in ("overview", "flags", "rectification", "disclosure")]
    plan.append(("disclosure", "public", None, None))
    queries = page_queries(f)
    print(f"\n| page | role | data (s) | first render, cold (s) | first render, warmed (s) | cached (s) "
          f"| under {TARGET:g} s |")
    print("|---|---|---:|---:|---:|---:|---|")
    for page, role, viewer, query in plan:
        data_s = time_data(db, queries[page], viewer or PUBLIC, args.repeat)
        cold, warmed, cached = time_render(db, page, viewer, query)
        verdict = "yes" if cold < TARGET else "warmed only" if warmed < TARGET else "NO"
        print(f"| {page} | {role} | {data_s:.2f} | {cold:.2f} | {warmed:.2f} | {cached:.2f} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
