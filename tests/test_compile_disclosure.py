"""Disclosure content checks on disclosures that name no case: such a disclosure belongs to the case
with its decision number (``cases.decision_no``, or the first decision event's document number),
so the narrowing of cases by their disclosures must not leave those cases out."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.rulecheck import Sandbox, duckdb_engine, given_tables
from audit.rules.base import Given, RuleTest
from audit.rules.loader import default_rules_dir, load_pack

AS_OF = dt.datetime(2026, 3, 31, 12, 0)
ID = "230102198805051234"


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox()


def run(box: Sandbox, rule_id: str, given: Given) -> dict[str, str]:
    rule = load_pack(default_rules_dir()).get(rule_id)
    box.con.execute("BEGIN TRANSACTION")
    try:
        box.load(given_tables(RuleTest(name=rule_id, as_of=AS_OF, given=given)))
        return {row["case_id"]: row["message"] for row in duckdb_engine(box.con, rule, AS_OF)}
    finally:
        box.con.execute("ROLLBACK")


def decided(*case_ids: str) -> list[dict[str, str]]:
    return [{"case_id": c, "activity": "PENALTY_DECISION", "ts": "2026-03-02 10:00", "document_no": f"罚〔2026〕{c}号"}
            for c in case_ids]


def test_an_exposed_id_in_a_disclosure_found_by_decision_number(box: Sandbox) -> None:
    found = run(box, "D_ID_EXPOSED", Given(
        items=[{"item_code": "P1", "kind": "行政处罚"}],
        cases=[{"case_id": "BY_CASE_NO", "decision_no": "罚〔2026〕7号"}, {"case_id": "BY_EVENT_NO"},
               {"case_id": "CLEAN"}, {"case_id": "NAMED"}],
        events=decided("BY_CASE_NO", "BY_EVENT_NO", "CLEAN", "NAMED"),
        disclosures=[
            {"case_id": None, "decision_no": "罚〔2026〕7号", "published_at": "2026-03-03 10:00", "content": f"身份证{ID}"},
            {"case_id": None, "decision_no": "罚〔2026〕BY_EVENT_NO号", "published_at": "2026-03-03 10:00",
             "content": f"当事人（{ID}）"},
            {"case_id": None, "decision_no": "罚〔2026〕CLEAN号", "published_at": "2026-03-03 10:00", "content": "当事人张某"},
            {"case_id": "NAMED", "published_at": "2026-03-03 10:00", "content": f"号码{ID}"},
        ]))
    assert set(found) == {"BY_CASE_NO", "BY_EVENT_NO", "NAMED"}
    assert "正文含完整的身份证号码" in found["BY_EVENT_NO"]


def test_a_wrong_fine_in_a_disclosure_found_by_decision_number(box: Sandbox) -> None:
    found = run(box, "D_MISMATCH", Given(
        items=[{"item_code": "P1", "kind": "行政处罚"}],
        cases=[{"case_id": "WRONG", "decision_no": "罚〔2026〕1号", "fine_amount": 2000},
               {"case_id": "RIGHT", "decision_no": "罚〔2026〕2号", "fine_amount": 800},
               {"case_id": "UNPUBLISHED", "decision_no": "罚〔2026〕3号", "fine_amount": 100}],
        events=decided("WRONG", "RIGHT", "UNPUBLISHED"),
        disclosures=[
            {"case_id": None, "decision_no": "罚〔2026〕1号", "published_at": "2026-03-03 10:00", "fine_amount": 200},
            {"case_id": None, "decision_no": "罚〔2026〕2号", "published_at": "2026-03-03 10:00", "fine_amount": 800},
        ]))
    assert set(found) == {"WRONG"}
    assert "罚款金额“200" in found["WRONG"] and "与办件“2000" in found["WRONG"]


def test_no_disclosure_flags_nothing_even_with_a_revocation(box: Sandbox) -> None:
    events = decided("R1") + [{"case_id": "R1", "activity": "REVOKE", "ts": "2026-03-05 10:00"}]
    given = Given(items=[{"item_code": "P1", "kind": "行政处罚"}], cases=[{"case_id": "R1"}], events=events)
    assert run(box, "D_NOT_WITHDRAWN", given) == {}
    assert run(box, "D_ID_EXPOSED", given) == {}
