"""AppTest: every page renders for every role that may open it, and shows what it should."""

from __future__ import annotations

import json

import pytest
from dashboard_fixtures import (  # noqa: F401 - pytest fixtures
    D01_HEAD, INSPECTOR, Fixture, app, built_fixture, fixture_db, frame, scalar, texts,
)

from dashboard.navigation import PAGES, ROLE_PAGES
from dashboard.viewer import Viewer

VIEWERS: dict[str, Viewer | None] = {"inspector": INSPECTOR, "department": D01_HEAD, "public": None}
OPEN = "active AND state IN ('open', 'acknowledged', 'rectifying')"
SMOKE = [(role, key) for role, keys in ROLE_PAGES.items() for key in keys]


@pytest.mark.parametrize(("role", "page"), SMOKE, ids=[f"{r}-{p}" for r, p in SMOKE])
def test_every_page_renders_for_every_role(fixture_db: Fixture, role: str, page: str) -> None:
    at = app(VIEWERS[role], page=PAGES[page][0])
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [PAGES[page][1]]


def test_public_gets_only_disclosure_and_login(fixture_db: Fixture) -> None:
    at = app(None)
    assert [t.value for t in at.title] == ["执法结果公示"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/flags.py")


def test_overview_counts_and_changes(fixture_db: Fixture) -> None:
    at = app(INSPECTOR, page="app_pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    open_ = "active AND state IN ('open', 'acknowledged', 'rectifying')"
    assert metrics["在牌红牌"] == str(scalar(fixture_db, f"SELECT count(*) FROM flags WHERE {open_} AND level = 'red'"))
    assert metrics["在牌黄牌"] == str(scalar(fixture_db, f"SELECT count(*) FROM flags WHERE {open_} AND level = 'yellow'"))
    raised = scalar(fixture_db, "SELECT count(*) FROM flag_history WHERE action = 'raise' AND detail->>'run_id' = '2'")
    assert metrics["新入牌"] == str(raised) and metrics["升级为红牌"] == "1"
    assert len(at.get("vega_lite_chart")) == 3
    worst = frame(at, "得分")
    assert list(worst["部门"])[0] == "区市场监督管理局"


def test_flags_page_is_sorted_by_urgency_and_paged(fixture_db: Fixture) -> None:
    at = app(INSPECTOR, page="app_pages/flags.py")
    table = frame(at, "超期(天)")
    overdue = [int(v) for v in table["超期(天)"] if v != ""]
    assert overdue == sorted(overdue, reverse=True)
    assert overdue[0] == scalar(fixture_db, "SELECT max(days_overdue) FROM flags")
    total = scalar(fixture_db, f"SELECT count(*) FROM flags WHERE {OPEN}")
    assert f"共 {total} 条" in texts(at)
    at.multiselect(key="flt_level").set_value(["yellow"]).run()
    table = frame(at, "超期(天)")
    assert set(table["级别"]) == {"黄牌"}
    left = [int(v) for v in table["剩余(天)"] if v != ""]
    assert left == sorted(left)


def test_flags_page_second_page(fixture_db: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNLIGHT_PAGE_SIZE", "10")
    total = int(scalar(fixture_db, f"SELECT count(*) FROM flags WHERE {OPEN}"))
    at = app(INSPECTOR, page="app_pages/flags.py")
    assert len(frame(at, "超期(天)")) == 10
    first_ids = set(at.selectbox(key="flag_pick").options)
    at.number_input(key="flags_page").set_value(3).run()
    third = frame(at, "超期(天)")
    assert len(third) == total - 20
    assert not first_ids & set(at.selectbox(key="flag_pick").options)


def test_flags_page_filters_from_url(fixture_db: Fixture) -> None:
    at = app(INSPECTOR, page="app_pages/flags.py", query={"dept": "D02", "level": "red"})
    table = frame(at, "超期(天)")
    assert set(table["部门"]) == {"区住房和城乡建设局"} and set(table["级别"]) == {"红牌"}


def test_flag_detail_shows_evidence_and_history(fixture_db: Fixture) -> None:
    flag_id = fixture_db.ordered_flag["flag_id"]
    at = app(INSPECTOR, page="app_pages/flags.py", query={"flag": flag_id})
    body = texts(at)
    assert "执法人员郑华无执法证件" in body
    assert "下发督办" in body and "请核查执法人员资格" in body


def test_case_page_draws_the_timeline(fixture_db: Fixture) -> None:
    case_id = fixture_db.red_flag["case_id"]
    at = app(INSPECTOR, page="app_pages/case.py", query={"case": case_id})
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    marks = {layer["mark"]["type"] for layer in spec["layer"]}
    assert {"point", "line", "rule", "text"} <= marks
    body = texts(at)
    assert "超期6个工作日" in body and "受理通知书" in body


def test_case_page_shows_pauses_officers_and_fee(fixture_db: Fixture) -> None:
    at = app(INSPECTOR, page="app_pages/case.py", query={"case": "qyzx:S0005"})
    assert "补正期间" in texts(at)
    at = app(INSPECTOR, page="app_pages/case.py", query={"case": fixture_db.ordered_flag["case_id"]})
    body = texts(at)
    assert "郑华" in body and "ZF2301001" in body
    at = app(INSPECTOR, page="app_pages/case.py", query={"case": "qyzx:S0024"})
    assert any("收费高于公示标准" in e.value for e in at.error) or "收费" in texts(at)


def test_case_search(fixture_db: Fixture) -> None:
    at = app(INSPECTOR, page="app_pages/case.py")
    at.text_input(key="case_search").set_value("E0003").run()
    assert at.selectbox(key="case_pick").options == ["zfba:E0003"]
    at.button(key="case_open").click().run()
    assert at.query_params.get("case") == "zfba:E0003"
    assert any("zfba:E0003" in m.value for m in at.markdown)


def test_disclosure_internal_highlights_late_and_missing(fixture_db: Fixture) -> None:
    at = app(INSPECTOR, page="app_pages/disclosure.py")
    metrics = {m.label: m.value for m in at.metric}
    missing = int(metrics["超期未公示"])
    assert missing > 0 and int(metrics["超期公示"]) > 0
    table = frame(at, "办件编号", "公示情况")
    assert list(table["公示情况"])[:missing] == ["超期未公示"] * missing
    assert {"用时(工作日)", "决定时间", "公示时间"} <= set(table.columns)


def test_disclosure_public_is_masked(fixture_db: Fixture) -> None:
    at = app(None)
    table = frame(at, "当事人", "公示内容")
    assert "当事人" in table.columns
    assert all("*" in p or "公司" in p for p in table["当事人"])
    assert "230108********4517" in texts(at) or "230108" not in texts(at)


def test_rectification_page_lists_orders_and_downloads(fixture_db: Fixture) -> None:
    at = app(D01_HEAD, page="app_pages/rectification.py")
    assert not at.exception
    body = texts(at)
    assert "请核查执法人员资格" in body
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["下载整改清单（Excel）", "下载整改清单（PDF）"]
    # The buttons build the same files as the nightly batch when pressed.
    from dashboard import reports_ui
    from dashboard.store import Database

    xlsx = reports_ui.rectification_file(Database.at(fixture_db.path), "D01", fixture_db.as_of, "xlsx")
    pdf = reports_ui.rectification_file(Database.at(fixture_db.path), "D01", fixture_db.as_of, "pdf")
    assert xlsx[:2] == b"PK" and pdf[:5] == b"%PDF-"
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "请核查执法人员资格" in cells or "执法人员" in cells


def test_runs_page_paginates_quarantine(fixture_db: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNLIGHT_PAGE_SIZE", "10")
    at = app(INSPECTOR, page="app_pages/runs.py")
    assert len(frame(at, "原始内容")) == 10
    at.number_input(key="q_page").set_value(4).run()
    assert len(frame(at, "原始内容")) == 5
    assert "日期不存在" in texts(at)
    assert "部分成功" in texts(at)


def test_rules_page_lists_rules_with_hits(fixture_db: Fixture) -> None:
    from audit.rules import default_rules_dir, load_pack

    pack = load_pack(default_rules_dir())
    at = app(INSPECTOR, page="app_pages/rules.py")
    assert not at.warning, [w.value for w in at.warning]
    labels = [e.label for e in at.expander]
    assert len(labels) == len(pack)
    promised = next(label for label in labels if label.startswith("T_PROMISED｜"))
    hits = scalar(fixture_db, "SELECT count(*) FROM flags WHERE rule_id = 'T_PROMISED'")
    assert promised.endswith(f"命中 {hits}")
    body = texts(at)
    assert "检查内容" in body and "法律依据" in body
    if any(rule.tests for rule in pack):
        assert "内嵌测试" in body


def test_login_as_inspector_and_log_out(fixture_db: Fixture) -> None:
    at = app(None)
    at.switch_page("app_pages/login.py").run()
    at.text_input(key="login_user").set_value("inspector1")
    at.text_input(key="login_password").set_value("inspector-pass")
    at.button(key="login_submit").click().run()
    assert [t.value for t in at.title] == ["总览"]
    assert at.session_state["viewer"].user == "inspector1"
    assert any("王监察" in m.value for m in at.sidebar.markdown)
    at.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["执法结果公示"]


def test_wrong_password_is_refused(fixture_db: Fixture) -> None:
    at = app(None)
    at.switch_page("app_pages/login.py").run()
    at.text_input(key="login_user").set_value("inspector1")
    at.text_input(key="login_password").set_value("wrong")
    at.button(key="login_submit").click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    assert "viewer" not in at.session_state


def test_overview_uses_the_scores_of_record(fixture_db: Fixture) -> None:
    import duckdb

    from audit import scoring

    con = duckdb.connect(str(fixture_db.path))
    config = scoring.load_config()
    scores = scoring.score_month(con, fixture_db.as_of.date(), config, as_of=fixture_db.as_of)
    scoring.record_scores(con, scores, run_id=2, computed_at=fixture_db.as_of, config=config)
    con.close()
    at = app(INSPECTOR, page="app_pages/overview.py")
    worst = frame(at, "等级", "扣分明细")
    lowest = min(scores, key=lambda s: (s.score, s.dept_code))
    assert list(worst["部门编码"])[0] == lowest.dept_code
    assert float(worst["得分"].iloc[0]) == lowest.score
    head = app(D01_HEAD, page="app_pages/overview.py")
    assert set(frame(head, "等级", "扣分明细")["部门编码"]) == {"D01"}
