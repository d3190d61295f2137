"""Scope is enforced where data is queried: a department head never reaches another department's
flags, cases or orders by any page, filter, URL parameter or direct call; the public sees no whole
ID number anywhere."""

from __future__ import annotations

import re

import duckdb
import pytest
from dashboard_fixtures import (  # noqa: F401 - pytest fixtures
    D01_HEAD, D02_HEAD, INSPECTOR, Fixture, app, built_fixture, fixture_db, frame, scalar, texts,
)

from dashboard import commands
from dashboard.navigation import PAGES, ROLE_PAGES
from dashboard.queries import cases, disclosure, flags, overview, rectification, rules, runs
from dashboard.queries.scope import Page
from dashboard.store import ActionService, Database
from dashboard.viewer import PUBLIC

WHOLE_ID = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def con(fixture_db: Fixture) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(fixture_db.path), read_only=True)
    yield connection
    connection.close()


def test_queries_return_only_the_heads_department(fixture_db: Fixture, con: duckdb.DuckDBPyConnection) -> None:
    listed = flags.list_flags(con, D02_HEAD, flags.FlagFilter(states=(), active_only=False), Page(1, 500))
    assert listed.total == scalar(fixture_db, "SELECT count(*) FROM flags WHERE dept_code = 'D02'")
    assert set(listed.rows["dept_code"]) == {"D02"}
    assert set(overview.by_department(con, D02_HEAD)["dept_code"]) == {"D02"}
    assert set(rules.hits_by_week(con, D02_HEAD)["rule_id"]) <= {"T_PROMISED", "C_FEE_ABOVE_STANDARD"}
    assert set(rectification.summary(con, D02_HEAD, fixture_db.as_of.date())["dept_code"]) == {"D02"}


@pytest.mark.parametrize("flt", [
    flags.FlagFilter(depts=("D01",)),
    flags.FlagFilter(depts=("D01", "D02"), states=(), active_only=False),
    flags.FlagFilter(rule_ids=("D_LATE", "C_UNCERTIFIED_OFFICER")),
    flags.FlagFilter(case_id="zfba:"),
    flags.FlagFilter(platforms=("zfba",)),
], ids=["dept", "dept-list", "rules", "case-text", "platform"])
def test_filters_never_widen_scope(con: duckdb.DuckDBPyConnection, flt: flags.FlagFilter) -> None:
    listed = flags.list_flags(con, D02_HEAD, flt, Page(1, 500))
    assert set(listed.rows["dept_code"]) <= {"D02"}


def test_direct_requests_for_another_departments_records_get_nothing(
        fixture_db: Fixture, con: duckdb.DuckDBPyConnection) -> None:
    other_flag, other_case = fixture_db.red_flag["flag_id"], fixture_db.red_flag["case_id"]  # both D01
    assert flags.get_flag(con, D02_HEAD, other_flag) is None
    assert flags.flag_history(con, D02_HEAD, other_flag).empty
    assert flags.orders_of_flag(con, D02_HEAD, fixture_db.ordered_flag["flag_id"]).empty
    assert cases.load_case(con, D02_HEAD, other_case) is None
    assert cases.search_cases(con, D02_HEAD, "S0001").empty
    assert rectification.get_order(con, D02_HEAD, fixture_db.order_id) is None
    assert rectification.orders(con, D02_HEAD, "D01").empty
    page = disclosure.decisions(con, D02_HEAD, disclosure.DisclosureFilter(depts=("D01",)), Page(), fixture_db.as_of)
    assert page.rows.empty
    assert runs.runs(con, D02_HEAD).empty and runs.quarantine(con, D02_HEAD, Page()).total == 0


def test_public_gets_nothing_internal(fixture_db: Fixture, con: duckdb.DuckDBPyConnection) -> None:
    assert flags.list_flags(con, PUBLIC, flags.FlagFilter(), Page()).total == 0
    assert cases.load_case(con, PUBLIC, fixture_db.red_flag["case_id"]) is None
    assert overview.totals(con, PUBLIC) == {"red": 0, "yellow": 0, "rectifying": 0}
    public = disclosure.decisions(con, PUBLIC, disclosure.DisclosureFilter(), Page(1, 500), fixture_db.as_of)
    assert list(public.rows.columns) == disclosure.PUBLIC_COLUMNS
    assert "applicant_name" not in public.rows.columns


def test_actions_outside_scope_are_refused(fixture_db: Fixture) -> None:
    service = ActionService(Database.at(fixture_db.path))
    with pytest.raises(commands.NotAllowed):
        commands.order_action(service, D02_HEAD, "answer", fixture_db.order_id, key="k1", answer="越权反馈")
    with pytest.raises(commands.NotAllowed):
        commands.flag_action(service, D01_HEAD, "dismiss", fixture_db.red_flag["flag_id"], key="k2", reason="x")
    with pytest.raises(commands.NotAllowed):
        commands.order_action(service, INSPECTOR, "answer", fixture_db.order_id, key="k3", answer="x")
    assert service.journal.recent() == []


@pytest.mark.parametrize("page", ROLE_PAGES["department"])
def test_department_pages_show_no_other_department(fixture_db: Fixture, page: str) -> None:
    at = app(D02_HEAD, page=PAGES[page][0])
    body = texts(at)
    assert "区市场监督管理局" not in body  # D01's name
    assert fixture_db.red_flag["case_id"] not in body


@pytest.mark.parametrize("query", [
    {"case": "qyzx:S0001"},
    {"flag": "7a1aca3ac24811db"},
    {"dept": "D01"},
    {"dept": "D01", "level": "red", "rule": "C_UNCERTIFIED_OFFICER"},
    {"case": "zfba:E0004", "flag": "a51dbfb0cc10b5bb", "dept": "D01"},
], ids=["case", "flag", "dept", "dept-level-rule", "all"])
@pytest.mark.parametrize("page", ["flags", "case", "rectification", "overview", "disclosure"])
def test_url_parameters_cannot_widen_scope(fixture_db: Fixture, page: str, query: dict[str, str]) -> None:
    at = app(D02_HEAD, page=PAGES[page][0], query=query)
    assert not at.exception
    body = texts(at)
    assert "区市场监督管理局" not in body
    for value in ("qyzx:S0001", "zfba:E0004", "执法人员郑华"):
        assert value not in body


def test_a_heads_url_to_an_inspector_page_falls_back(fixture_db: Fixture) -> None:
    at = app(D02_HEAD)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES["runs"][0])


@pytest.mark.parametrize("query", [{}, {"status": "missing"}, {"case": "zfba:E0002"}, {"flag": "x"}])
def test_public_sees_no_whole_id_number(fixture_db: Fixture, query: dict[str, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    exposed = scalar(fixture_db, "SELECT count(*) FROM disclosures WHERE regexp_matches(content, '\\d{17}[0-9Xx]')")
    assert exposed, "the fixture must publish a whole ID number for this test to mean anything"
    monkeypatch.setenv("SUNLIGHT_PAGE_SIZE", "500")
    at = app(None, query=query)
    body = texts(at)
    assert "公示内容" in body
    assert not WHOLE_ID.search(body)
    assert "13904512345" not in body
    at.switch_page(PAGES["login"][0]).run()
    assert not WHOLE_ID.search(texts(at))
