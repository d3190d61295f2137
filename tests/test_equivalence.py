"""Both engines raise the same flags for the same events as of the same time.

A property-based test generates small random districts — service and enforcement cases whose
histories have supplement notices (repeated, nested, never answered), special procedures,
extensions, several events at the same minute, decisions on either side of holidays and make-up
working days, disclosures late or missing or wrong — and checks, at the middle of its timeline
and as of a random audit time, that the batch (each rule compiled to DuckDB SQL and executed)
and the live engine (durable_rules, one engine fed the rows in time order with extra clock ticks,
read at both times) give identical findings: same rule, subject, occurrence, level, violation
code, message, evidence, due date and day counts.

The rules are the default pack plus rules that use what the default pack does not: every Declare
template (with and without ``within``), ``field`` rules over events, disclosures and ``as_of``,
deadlines in months with yellow thresholds by share and by department.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from audit import rulecheck
from audit.exceptions import load_exceptions
from audit.live.calendar import WorkCalendar
from audit.live.compare import BatchEngine, differences, live_findings
from audit.live.engine import LiveEngine
from audit.live.feed import feed, read_duckdb, replay, timeline
from audit.live.model import Reference
from audit.live.runner import compile_rules
from audit.live.store import apply_live
from audit.rules import default_rules_dir, load_pack
from audit.rules.loader import default_exceptions_dir
from audit.runner import run_audit
from sunlight import db
from sunlight.config import Settings
from audit.rules.base import RuleBase
from audit.rules.kinds import Rule

EXAMPLES = 40  # per rule group; each a district of 1-8 cases, compared at two times (``districts``)

HEADER = {"version": 1, "effective_from": "2025-01-01", "description": "等价性测试用规则", "category": "流程",
          "legal_basis": ["测试"], "rectification": "测试", "detects": ["X_TEST"]}
TEMPLATES = ["existence", "absence", "exactly", "at_most", "init", "end", "responded_existence", "coexistence",
             "response", "precedence", "succession", "alternate_response", "alternate_precedence",
             "alternate_succession", "chain_response", "chain_precedence", "chain_succession",
             "not_coexistence", "not_succession"]


def _extra_rules() -> list[RuleBase]:
    adapter: TypeAdapter[RuleBase] = TypeAdapter(Rule)
    specs: list[dict[str, Any]] = []
    for template in TEMPLATES:
        spec: dict[str, Any] = {"kind": "declare", "id": f"X_{template.upper()}", "title": template,
                                "template": template, "a": "SUPPLEMENT_NOTICE"}
        if template in ("existence", "exactly", "at_most"):
            spec["n"] = 2 if template != "existence" else 1
        if template not in ("existence", "absence", "exactly", "at_most", "init", "end"):
            spec["b"] = "SUPPLEMENT_RECEIVED"
        if template in ("init", "end"):
            spec["a"] = "SUBMIT" if template == "init" else "DECIDE"
        specs.append(spec)
        if template in ("response", "precedence", "alternate_response", "chain_response", "not_succession"):
            specs.append({**spec, "id": f"X_{template.upper()}_WITHIN", "within": 3})
    specs += [
        {"kind": "declare", "id": "X_RESPONSE_DELIVER", "title": "决定后送达", "template": "response", "a": "DECIDE",
         "b": "DELIVER", "within": 5, "scope": {"case_kind": "service", "item_kinds": ["行政许可"]}},
        {"kind": "field", "id": "X_EVENT_AMOUNT", "title": "收费环节金额", "over": "event",
         "violation": "event.activity == 'CHARGE' and (event.amount is None or event.amount > item.fee_standard)"},
        {"kind": "field", "id": "X_EVENT_BLANK", "title": "环节无经办人", "over": "event",
         "violation": "event.activity in ['ACCEPT', 'DECIDE'] and is_blank(event.actor_id)"},
        {"kind": "field", "id": "X_DISCLOSURE_FINE", "title": "公示罚款", "over": "disclosure",
         "violation": "disclosure.fine_amount is not None and disclosure.fine_amount > 1000"},
        {"kind": "field", "id": "X_OLD_OPEN", "title": "久未办结", "over": "case",
         "violation": "case.closed_at is None and case.submitted_at is not None and "
                      "workdays(case.submitted_at, as_of) > 15"},
        {"kind": "field", "id": "X_ITEM_FREE_MATERIALS", "title": "事项材料", "over": "item",
         "violation": "len(item.required_materials) > 2"},
        {"kind": "deadline", "id": "X_MONTHS", "title": "按月计", "category": "时效", "start": {"activity": "FILE_CASE"},
         "stop": {"activities": ["PENALTY_DECISION"]}, "pauses": [{"begin": "SUSPEND", "end": "RESUME"}],
         "limit": {"value": 1}, "unit": "month",
         "levels": {"breach": "red", "yellow": {"share_used": 0.8, "by_department": {"D02": {"days_left": 5}}}}},
        {"kind": "deadline", "id": "X_LAST_ACCEPT", "title": "末次受理", "category": "时效",
         "start": {"activity": "ACCEPT", "occurrence": "last"}, "stop": {"activities": ["DECIDE", "DELIVER"]},
         "judge": "stopped", "extension": {"activity": "EXTEND", "amount": 3}, "limit": {"value": 4}, "unit": "day"},
        {"kind": "officer", "id": "X_OFFICERS_3", "title": "三人", "activities": ["HEARING"], "min_officers": 3,
         "certificate": True},
        {"kind": "document", "id": "X_DOC_TYPE", "title": "文书类型", "require": "document_no",
         "activity": "DECIDE", "document_type": "决定书"},
        {"kind": "declare", "id": "X_SCOPE_TIMED", "title": "受理一周后", "template": "absence", "a": "REFUSE",
         "scope": {"when": "case.submitted_at is not None and workdays(case.submitted_at, as_of) > 5"}},
    ]
    return [adapter.validate_python({**HEADER, **spec}) for spec in specs]


GROUPS: dict[str, list[RuleBase]] = {"default": list(load_pack(default_rules_dir())), "extra": _extra_rules()}
RULES: list[RuleBase] = [*GROUPS["default"], *GROUPS["extra"]]
PACK = compile_rules(RULES)


@pytest.fixture(scope="module")
def sandbox() -> rulecheck.Sandbox:
    return rulecheck.Sandbox(years=range(2025, 2027))


@pytest.fixture(scope="module")
def calendar(sandbox: rulecheck.Sandbox) -> WorkCalendar:
    return WorkCalendar.from_duckdb(sandbox.con)


# --- random districts ------------------------------------------------------------------------------

ANCHORS = [dt.datetime(2025, 9, 26, 9), dt.datetime(2025, 12, 29, 9), dt.datetime(2026, 2, 11, 9),
           dt.datetime(2025, 5, 28, 9)]
GAPS = [dt.timedelta(0), dt.timedelta(0), dt.timedelta(minutes=30), dt.timedelta(hours=20), dt.timedelta(days=1),
        dt.timedelta(days=3), dt.timedelta(days=6), dt.timedelta(days=11), dt.timedelta(days=24)]
SERVICE = ["SUBMIT", "ACCEPT", "SUPPLEMENT_NOTICE", "SUPPLEMENT_RECEIVED", "REVIEW", "SUSPEND", "RESUME", "EXTEND",
           "DECIDE", "REFUSE", "DELIVER", "CLOSE", "CHARGE"]
ENFORCEMENT = ["FILE_CASE", "INVESTIGATE", "NOTIFY", "HEARING", "SUSPEND", "RESUME", "PENALTY_DECISION", "DELIVER",
               "EXECUTE", "REVOKE", "PUBLISH", "WITHDRAW"]
ITEMS: list[dict[str, Any]] = [
    {"item_code": "L1", "kind": "行政许可", "dept_code": "D01", "legal_limit": 20, "promised_limit": 8,
     "limit_unit": "workday", "fee_standard": Decimal("0.00"), "required_materials": ["申请书", "身份证明"],
     "disclosure_limit": 3, "published": True},
    {"item_code": "L2", "kind": "行政许可", "dept_code": "D02", "legal_limit": 10, "promised_limit": 12,
     "limit_unit": "day", "fee_standard": Decimal("50.00"), "required_materials": ["申请书", "场地证明", "图纸"],
     "disclosure_limit": 2, "published": False},
    {"item_code": "N1", "kind": "非行政许可", "dept_code": "D01", "legal_limit": None, "promised_limit": 5,
     "limit_unit": "workday", "fee_standard": Decimal("0.00"), "required_materials": [], "disclosure_limit": None,
     "published": True},
    {"item_code": "P1", "kind": "行政处罚", "dept_code": "D02", "legal_limit": 90, "promised_limit": 60,
     "limit_unit": "day", "fee_standard": Decimal("0.00"), "required_materials": [], "disclosure_limit": 3,
     "published": True},
]
OFFICERS: list[dict[str, Any]] = [
    {"officer_id": "O1", "cert_no": "ZF1", "cert_valid_from": dt.date(2020, 1, 1), "cert_valid_to": dt.date(2030, 1, 1)},
    {"officer_id": "O2", "cert_no": "ZF2", "cert_valid_from": dt.date(2020, 1, 1), "cert_valid_to": dt.date(2025, 12, 31)},
    {"officer_id": "O3", "cert_no": None, "cert_valid_from": None, "cert_valid_to": None},
    {"officer_id": "O4", "cert_no": " ", "cert_valid_from": dt.date(2026, 1, 1), "cert_valid_to": None},
]
DISCRETION: list[dict[str, Any]] = [{"violation_code": "V1", "level": "一般", "min_fine": Decimal("100.00"), "max_fine": Decimal("1000.00")},
              {"violation_code": "V1", "level": "严重", "min_fine": Decimal("1000.00"), "max_fine": Decimal("5000.00")}]


@st.composite
def districts(draw: st.DrawFn) -> dict[str, Any]:
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    disclosures: list[dict[str, Any]] = []
    anchor = draw(st.sampled_from(ANCHORS))
    for n in range(draw(st.integers(1, 8))):
        item = draw(st.sampled_from(ITEMS))
        enforcement = item["kind"] == "行政处罚"
        case_id = f"C{n}"
        ts = anchor + draw(st.sampled_from(GAPS)) + dt.timedelta(days=draw(st.integers(0, 4)))
        activities: list[str] = draw(st.lists(st.sampled_from(ENFORCEMENT if enforcement else SERVICE),
                                              min_size=0, max_size=9))
        opened: bool = draw(st.booleans())
        if activities and opened:
            activities.insert(0, "FILE_CASE" if enforcement else "ACCEPT")
        first_ts = ts
        for seq, activity in enumerate(activities, start=1):
            ts = ts + draw(st.sampled_from(GAPS))
            events.append({
                "event_id": f"{case_id}#{seq}", "case_id": case_id, "seq": seq, "activity": activity,
                "source_activity": activity, "ts": ts, "actor_id": draw(st.sampled_from(["A1", " ", None])),
                "officer_ids": draw(st.sampled_from([["O1", "O2"], ["O1"], ["O1", "O3", "O4"], ["O9", "O1", "O1"], None])),
                "dept_code": item["dept_code"], "document_type": draw(st.sampled_from(["决定书", "通知书", None])),
                "document_no": draw(st.sampled_from(["W-1", "", "  ", None])),
                "amount": draw(st.sampled_from([None, Decimal("0.00"), Decimal("80.00")])),
                "source_system": "S1" if n % 2 else "S2"})
        decision_no = draw(st.sampled_from([f"D-{n}", "D-shared", None]))
        fine = draw(st.sampled_from([None, Decimal("500.00"), Decimal("1200.00")])) if enforcement else None
        cases.append({
            "case_id": case_id, "source_system": "S1" if n % 2 else "S2", "source_case_no": case_id,
            "item_code": item["item_code"], "dept_code": item["dept_code"],
            "case_kind": "enforcement" if enforcement else "service",
            "submitted_at": draw(st.sampled_from([first_ts, None, first_ts + dt.timedelta(days=2)])),
            "closed_at": draw(st.sampled_from([None, ts])), "close_result": draw(st.sampled_from(["准予", "不予", None])),
            "fee_charged": draw(st.sampled_from([None, Decimal("0.00"), Decimal("60.00")])),
            "materials": draw(st.sampled_from([["申请书"], ["申请书", "身份证明", "场地证明"], None])),
            "violation_code": "V1" if enforcement else None,
            "discretion_level": draw(st.sampled_from(["一般", "严重", "轻微"])) if enforcement else None,
            "fine_amount": fine, "decision_no": decision_no})
        for k in range(draw(st.integers(0, 2))):
            published = ts + draw(st.sampled_from(GAPS))
            disclosures.append({
                "disclosure_id": f"DS{n}{k}", "case_id": draw(st.sampled_from([case_id, None])),
                "decision_no": decision_no or "无文号", "published_at": published,
                "withdrawn_at": draw(st.sampled_from([None, published + dt.timedelta(days=5)])), "url": "u",
                "fine_amount": draw(st.sampled_from([fine, Decimal("1200.00"), None])),
                "content": draw(st.sampled_from(["处罚决定", "当事人 11010519491231002X 罚款", "证号110105194912310021X"])),
                "source_system": "S3"})
    last = max([e["ts"] for e in events], default=anchor)
    as_of = draw(st.sampled_from([last + dt.timedelta(days=d, hours=3) for d in (0, 1, 5, 16, 40)]
                                 + [anchor + dt.timedelta(days=d, hours=9) for d in (2, 9)]))
    ticks = draw(st.lists(st.integers(0, 60), max_size=3))
    return {"items": ITEMS, "officers": OFFICERS, "discretion": DISCRETION, "cases": cases, "events": events,
            "disclosures": disclosures, "as_of": as_of,
            "ticks": sorted(anchor + dt.timedelta(days=d) for d in ticks)}


def _tables(district: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in ("items", "officers", "discretion", "cases", "events", "disclosures"):
        rows = []
        for n, row in enumerate(district[name], start=1):
            full = dict(row)
            if name == "items":
                full.update(name=row["item_code"], platforms=["S1"], fee_basis=None)
            if name == "officers":
                full.update(name=row["officer_id"], dept_code="D02")
            if name == "discretion":
                full.update(item_code="P1")
            full.update(source_file="generated", source_row=n, load_id=0)
            rows.append(full)
        tables[name] = rows
    return tables


def _live(sandbox: rulecheck.Sandbox, calendar: WorkCalendar, as_of: dt.datetime, ticks: list[dt.datetime],
          pack: Any = PACK) -> list[dict[str, Any]]:
    with LiveEngine(pack, Reference(calendar), partitions=3) as engine:
        replay(engine, read_duckdb(sandbox.con), as_of, ticks=ticks)
        return engine.findings()


def _live_at(sandbox: rulecheck.Sandbox, calendar: WorkCalendar, times: list[dt.datetime],
             ticks: list[dt.datetime], pack: Any) -> list[list[dict[str, Any]]]:
    """One engine fed in time order; its findings as of each of ``times`` (ascending)."""
    snapshot = read_duckdb(sandbox.con)
    steps = timeline(snapshot, times[-1], ticks)
    found: list[list[dict[str, Any]]] = []
    with LiveEngine(pack, Reference(calendar), partitions=3) as engine:
        engine.set_reference(items=snapshot.items, officers=snapshot.officers, discretion=snapshot.discretion)
        done = 0
        for moment in times:
            upto = done
            while upto < len(steps) and steps[upto][0] <= moment:
                upto += 1
            feed(engine, steps[done:upto])
            done = upto
            engine.tick(moment)
            found.append(engine.findings())
    return found


class Engines:
    """Both engines for one group of rules, compiled once."""

    def __init__(self, rules: list[RuleBase]) -> None:
        self.batch = BatchEngine(rules)
        self.live = compile_rules(rules)


@pytest.fixture(scope="module", params=sorted(GROUPS))
def engines(request: pytest.FixtureRequest) -> Engines:
    return Engines(GROUPS[request.param])


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(district=districts())
def test_batch_and_live_agree_on_random_histories(district: dict[str, Any], sandbox: rulecheck.Sandbox,
                                                  calendar: WorkCalendar, engines: Engines) -> None:
    as_of = district["as_of"]
    sandbox.con.execute("BEGIN TRANSACTION")
    try:
        sandbox.load(_tables(district))
        steps = timeline(read_duckdb(sandbox.con), as_of)
        middle = steps[len(steps) // 2][0] if steps else as_of
        times = sorted({t for t in (middle, as_of) if t != dt.datetime.min})
        batch = [engines.batch.findings(sandbox.con, t) for t in times]
        live = _live_at(sandbox, calendar, times, district["ticks"], engines.live)
    finally:
        sandbox.con.execute("ROLLBACK")
    for moment, b, lv in zip(times, batch, live, strict=True):
        problems = differences(b, lv)
        assert not problems, f"as of {moment}:\n" + "\n".join(problems)


def test_the_extra_rules_are_all_live() -> None:
    assert not [r for r, _ in PACK.not_covered]
    assert {r.kind for r in RULES} >= {"deadline", "declare", "field", "officer", "document", "disclosure"}
    assert {r.template for r in GROUPS["extra"] if r.kind == "declare"} == set(TEMPLATES)  # type: ignore[attr-defined]


# --- the sample district -----------------------------------------------------------------------------

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.api import ingest_paths

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    con.execute("BEGIN TRANSACTION")
    ingest_paths(con, [DEMO / "exports"], Settings())
    con.execute("COMMIT")
    con.close()
    return path


FLAG_COLUMNS = ("flag_id", "rule_id", "rule_version", "case_id", "occurrence", "violation_code", "dept_code",
                "item_code", "source_system", "category", "level", "state", "title", "message", "evidence",
                "due_at", "days_overdue", "days_left", "yellow_at", "red_at", "active")


def _flags(path: Path) -> list[tuple[Any, ...]]:
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute(f"SELECT {', '.join(FLAG_COLUMNS)} FROM flags ORDER BY flag_id").fetchall()
        return [(*r[:14], json.loads(r[14]), *r[15:]) for r in rows]
    finally:
        con.close()


@pytest.mark.slow
def test_sample_district_gives_identical_flags(demo_db: Path, tmp_path: Path) -> None:
    """The bundled sample district (3,000 cases): the batch runner and the live engine, each into its
    own copy of the database as of the generator's as-of time, leave identical flags."""
    as_of = dt.datetime.strptime(json.loads((DEMO / "truth" / "manifest.json").read_text())["as_of"], "%Y-%m-%d %H:%M")
    pack = load_pack(default_rules_dir())
    batch_path, live_path = tmp_path / "batch.duckdb", tmp_path / "live.duckdb"
    shutil.copy(demo_db, batch_path)
    shutil.copy(demo_db, live_path)

    con = db.connect(batch_path)
    result = run_audit(con, pack, as_of, Settings())
    con.close()

    con = db.connect(live_path)
    found = live_findings(con, list(pack), as_of)
    con.execute("BEGIN TRANSACTION")
    apply_live(con, compile_rules(pack), found, as_of=as_of,
               exceptions=load_exceptions(default_exceptions_dir(), {r.id for r in pack}))
    con.execute("COMMIT")
    con.close()

    batch, live = _flags(batch_path), _flags(live_path)
    assert result.total > 100 and len(batch) == result.total
    assert [f[0] for f in batch] == [f[0] for f in live]
    mismatched = [(b, l) for b, l in zip(batch, live) if b != l]
    assert not mismatched, mismatched[:3]
