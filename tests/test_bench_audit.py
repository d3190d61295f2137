"""The audit benchmark's parts on a tiny district, so the script keeps working: ingest once, audit a
copy beside a plain pass, the PM4Py export, the Declare mapping against the reference semantics,
and PM4Py agreeing with Sunlight case by case (PM4Py is the optional ``bench`` extra)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from bench_scripts import load

from audit.rules import default_rules_dir, load_pack
from audit.rules.declare import TEMPLATES, Step, check
from audit.rules.kinds import DeclareRule
from samples.generator import generate

pytestmark = pytest.mark.slow


bench = load("bench_audit")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any], dt.datetime]:
    work = tmp_path_factory.mktemp("bench_audit")
    folder = work / "district"
    generate(folder, 1500, 11)
    facts = bench.manifest(folder)
    database = work / "district.duckdb"
    assert bench.ensure_ingested(folder, database, facts) is not None
    assert bench.ensure_ingested(folder, database, facts) is None   # the second run skips the ingest
    return folder, database, facts, dt.datetime.strptime(facts["as_of"], "%Y-%m-%d %H:%M")


def test_audit_beside_a_plain_pass(district: tuple[Path, Path, dict[str, Any], dt.datetime],
                                   tmp_path: Path) -> None:
    _, database, facts, as_of = district
    run = bench.audit_copy(database, tmp_path, as_of, "1GB")
    pack = load_pack(default_rules_dir())
    assert run.result.failures == [] and run.result.total > 0
    assert set(run.result.seconds) == {r.id for r in pack if r.effective_from <= as_of.date()}
    with duckdb.connect(str(database), read_only=True) as con:
        events, cases = con.execute("SELECT count(*), count(DISTINCT case_id) FROM events").fetchone()  # type: ignore[misc]
        assert con.execute("SELECT count(*) FROM flags").fetchone() == (0,)   # the copy was audited
    assert (run.events, run.cases) == (events, cases) and cases <= facts["cases"]
    assert run.audit > 0 and run.plain_warm > 0 and run.maxrss > 0
    assert run.memory_limit.endswith("MiB") or run.memory_limit.endswith("GiB")
    assert not (tmp_path / "audited.duckdb").exists()
    text = bench.report(facts, None, run, None, "0.00")
    assert "audit / warm plain pass" in text and "P_SUPPLEMENT_REPEATED" in text
    assert "T_PROMISED" in run.narrowing and "C_FEE_ABOVE_STANDARD" not in run.narrowing   # no narrowing there
    assert f"{len(run.narrowing)} of {len(run.result.seconds)} rules" in text
    assert set(run.shared) == set(bench.SHARED_PASSES) and all(s > 0 for s in run.shared.values())
    lines = text.splitlines()
    ratio = next(i for i, line in enumerate(lines) if "audit / warm plain pass" in line)
    assert "narrowing aggregates alone" in lines[ratio + 1] and "GROUP BY case_id, activity" in lines[ratio + 2]


def test_a_rules_narrowing_alone_keeps_every_case_it_raises_a_finding_for(
        district: tuple[Path, Path, dict[str, Any], dt.datetime]) -> None:
    _, database, _, as_of = district
    target, checked = bench.DuckDBTarget(), 0
    with duckdb.connect(str(database), read_only=True) as con:
        for rule in load_pack(default_rules_dir()):
            compiled = target.compile(rule)
            query = bench.narrowing_query(compiled)
            if query is None:
                assert "candidate" not in compiled.sql
                continue
            params = compiled.bind(as_of)
            kept = {r[0] for r in con.execute(query, bench.used_params(query, params)).fetchall()}
            found = {r[0] for r in con.execute(f"SELECT case_id FROM ({compiled.sql})", params).fetchall()}
            assert found <= kept, rule.id
            checked += bool(found)
    assert checked >= 10       # most rules with a narrowing raise findings on this district


def test_the_export_keeps_seq_order_with_strictly_increasing_times(
        district: tuple[Path, Path, dict[str, Any], dt.datetime]) -> None:
    _, database, _, as_of = district
    con = bench.closed_subset(database, as_of, 300, "1GB")
    try:
        frame = bench.export_frame(con, as_of)
        expected = con.execute("SELECT case_id, activity FROM events WHERE ts <= ? ORDER BY case_id, seq",
                               [as_of]).fetchall()
        ties = con.execute("SELECT count(*) FROM (SELECT case_id, ts FROM events GROUP BY ALL HAVING count(*) > 1)"
                           ).fetchone()
        closed = con.execute("SELECT count(DISTINCT case_id) FROM events WHERE activity IN "
                             "('CLOSE', 'DECIDE', 'REFUSE', 'PENALTY_DECISION')").fetchone()
    finally:
        con.close()
    assert closed == (300,) and frame[bench.CASE].nunique() == 300
    assert list(zip(frame[bench.CASE], frame[bench.ACT])) == expected
    assert ties is not None and ties[0] > 0          # the district has same-time events to break
    steps = frame.groupby(bench.CASE, sort=False)[bench.TS].diff().dropna()
    assert (steps > pd.Timedelta(0)).all()


def test_every_declare_rule_of_the_pack_maps_to_pm4py() -> None:
    rules = [r for r in load_pack(default_rules_dir()) if isinstance(r, DeclareRule)]
    assert {r.id for r in rules} >= {"P_SUPPLEMENT_REPEATED", "P_DECIDE_WITHOUT_ACCEPT", "P_DELIVER_BEFORE_DECIDE",
                                     "P_ENF_NO_NOTIFY"}
    for rule in rules:
        assert not isinstance(bench.to_pm4py(rule), str), rule.id
        assert not isinstance(bench.scope_sql(rule), str), rule.id
    deliver = next(r for r in rules if r.id == "P_DELIVER_BEFORE_DECIDE")
    assert bench.scope_sql(deliver)[1] == ["service"]


def _rule(template: str, n: int | None) -> DeclareRule:
    spec = TEMPLATES[template]
    return DeclareRule.model_validate({
        "kind": "declare", "id": f"X_{template.upper()}", "version": 1, "effective_from": "2025-01-01",
        "title": "测试", "description": "测试", "category": "流程", "legal_basis": ["测试"], "rectification": "测试",
        "detects": ["X_TEST"], "template": template, "a": "ACCEPT",
        **({"b": "DECIDE"} if spec.binary else {}), **({"n": n} if n is not None else {})})


def test_pm4py_verdicts_equal_the_reference_semantics_on_every_short_trace() -> None:
    import pm4py  # noqa: F401  (a test dependency: the comparison must run, never skip)
    constraints, skipped = [], set()
    for template, spec in TEMPLATES.items():
        for n in ([1, 2] if spec.counted else [None]):
            mapped = bench.to_pm4py(_rule(template, n))
            if isinstance(mapped, str):
                skipped.add((template, n))
            else:
                constraints.append(mapped)
    assert skipped == {("end", None), ("not_succession", None), ("existence", 2), ("exactly", 2), ("at_most", 2)}
    assert len(constraints) == len(TEMPLATES) - 2      # every template but end and not_succession, at n=1
    start = dt.datetime(2026, 3, 2, 9, 0)
    traces = [t for k in range(1, 5) for t in itertools.product(["ACCEPT", "DECIDE", "SUBMIT"], repeat=k)]
    rows = [(f"T{i:04d}", act, start + dt.timedelta(minutes=j)) for i, t in enumerate(traces) for j, act in enumerate(t)]
    frame = pd.DataFrame(rows, columns=[bench.CASE, bench.ACT, bench.TS])
    for constraint in constraints:
        found, _, _ = bench.run_pm4py(frame, [constraint])
        rule = constraint.rule
        for i, trace in enumerate(traces):
            steps = [Step(act, start) for act in trace]
            expected = check(rule.template, steps, rule.a, rule.b, n=rule.n) is not None
            assert (f"T{i:04d}" in found[rule.id]) == expected, (rule.template, rule.n, trace)


def test_pm4py_and_sunlight_agree_case_by_case(district: tuple[Path, Path, dict[str, Any], dt.datetime]) -> None:
    import pm4py  # noqa: F401  (a test dependency: the comparison must run, never skip)
    _, database, _, as_of = district
    result = bench.compare(database, as_of, 600, "1GB")
    assert result.cases == 600 and result.events > result.cases
    assert result.disagreements == 0, result.examples
    assert result.skipped == []
    compared = {rule for rule, _, _ in result.rules}
    assert compared == {"P_SUPPLEMENT_REPEATED", "P_DECIDE_WITHOUT_ACCEPT", "P_DELIVER_BEFORE_DECIDE",
                        "P_ENF_NO_NOTIFY"}
    by_rule = {rule: (int(scope.replace(",", "")), int(counts.split(" / ")[0].replace(",", "")))
               for rule, scope, counts in result.rules}
    assert by_rule["P_ENF_NO_NOTIFY"][0] == 600       # unscoped: every case
    assert 0 < by_rule["P_DELIVER_BEFORE_DECIDE"][0] < 600   # service cases only: the spread pick mixes platforms
    assert sum(violations for _, violations in by_rule.values()) > 0   # the comparison is not vacuous
    assert result.pm4py > 0 and result.sunlight > 0
