"""Department scores: flag deductions, rates, grades, and the scoring file's validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audit import actions, flags, scoring
from sunlight import db
from sunlight.errors import ConfigError

MARCH = dt.date(2024, 3, 1)


def add_reference(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO departments VALUES ('D1', '区市场监管局', '区直部门', 'x', 1, 1),"
                " ('D2', '区民政局', '区直部门', 'x', 2, 1)")
    con.execute("INSERT INTO items (item_code, name, kind, dept_code, fee_standard, required_materials, published,"
                " platforms, disclosure_limit, source_file, source_row, load_id) VALUES"
                " ('I1', '食品经营许可', '行政许可', 'D1', 0, [], true, [], 3, 'x', 1, 1)")
    for i in range(10):
        con.execute("INSERT INTO cases (case_id, source_system, source_case_no, item_code, dept_code, case_kind,"
                    " accepted_at, closed_at, close_result, source_file, source_row, load_id)"
                    " VALUES (?, 'P', ?, 'I1', 'D1', 'service', ?, ?, '准予', 'x', ?, 1)",
                    [f"P:{i}", str(i), dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 20, 9), i])


def raise_flags(con: duckdb.DuckDBPyConnection, run_id: int, at: dt.datetime,
                specs: list[tuple[str, str, str]]) -> None:
    """specs: (case_id, level, category)."""
    rows: list[dict[str, Any]] = [
        {"rule_id": f"R-{category}", "rule_version": 1, "violation_code": "V", "case_id": case_id, "item_code": "I1",
         "dept_code": "D1", "level": level, "category": category, "title": "t", "message": "m", "evidence": {}}
        for case_id, level, category in specs
    ]
    flags.findings_from_rows(con, "found", rows)
    flags.apply_findings(con, run_id=run_id, as_of=at, findings_table="found", rule_ids=[])


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = db.memory()
    add_reference(con)
    raise_flags(con, 1, dt.datetime(2024, 2, 27), [("P:0", "yellow", "时效")])          # yellow in February
    raise_flags(con, 2, dt.datetime(2024, 3, 5), [("P:0", "red", "时效"), ("P:1", "yellow", "时效"),
                                                  ("P:2", "red", "时效"), ("P:3", "yellow", "流程"),
                                                  ("P:4", "red", "公示"), ("P:5", "red", "流程")])
    raise_flags(con, 3, dt.datetime(2024, 3, 6), [("P:1", "red", "时效")])              # yellow → red in March
    actions.dismiss(con, flags.flag_id("R-流程", "P:5"), "张三", "误报", at=dt.datetime(2024, 3, 7))
    return con


def by_dept(con: duckdb.DuckDBPyConnection, config: scoring.ScoringConfig, month: dt.date = MARCH,
            **kw: Any) -> dict[str, scoring.DeptScore]:
    return {s.dept_code: s for s in scoring.score_month(con, month, config, **kw)}


def test_flags_count_in_the_month_they_reached_their_level(con: duckdb.DuckDBPyConnection) -> None:
    config = scoring.ScoringConfig(grades=[scoring.Grade(name="合格", min=0)])
    march, feb = by_dept(con, config)["D1"], by_dept(con, config, dt.date(2024, 2, 1))["D1"]
    # March: red P:0 (escalated), P:1 (yellow and red in March: red only), P:2, P:4; yellow P:3; P:5 dismissed.
    assert (march.red, march.yellow, march.flag_deduction) == (4, 1, 8.5)
    assert (feb.red, feb.yellow, feb.flag_deduction) == (0, 1, 0.5)
    assert march.score == 91.5


def test_default_config_rates_and_grade(con: duckdb.DuckDBPyConnection) -> None:
    config = scoring.load_config()
    d1, d2 = by_dept(con, config)["D1"], by_dept(con, config)["D2"]
    overdue, rectification, disclosure = d1.rates
    assert (overdue.name, overdue.numerator, overdue.denominator) == ("超期率", 3, 10)
    assert overdue.deduction == 20            # 5 + 1 per point over 2 % (28 points) → capped at 20
    assert rectification.value is None and rectification.deduction == 0
    assert (disclosure.numerator, disclosure.denominator, disclosure.deduction) == (9, 10, 5.5)
    assert d1.score == 100 - 8.5 - 20 - 5.5
    assert d1.grade == "不合格"
    assert (d2.score, d2.grade, d2.dept_name) == (100, "优秀", "区民政局")
    assert "超期率 30.0%（3/10），高于阈值 2.0%，扣 20 分" in d1.lines()


def test_rectification_on_time(con: duckdb.DuckDBPyConnection) -> None:
    f0, f2 = flags.flag_id("R-时效", "P:0"), flags.flag_id("R-时效", "P:2")
    at = dt.datetime(2024, 3, 1, 9)
    on_time = actions.issue_order(con, f0, "张三", None, dt.date(2024, 3, 10), "整改", at=at).order_id
    late = actions.issue_order(con, f2, "张三", None, dt.date(2024, 3, 12), "整改", at=at).order_id
    assert on_time and late
    actions.answer_order(con, on_time, "王科长", "已整改", at=dt.datetime(2024, 3, 9, 18))
    actions.answer_order(con, late, "王科长", "已整改", at=dt.datetime(2024, 3, 15, 9))
    config = scoring.load_config()
    rate = by_dept(con, config)["D1"].rates[1]
    assert (rate.numerator, rate.denominator, rate.value) == (1, 2, 0.5)
    assert rate.deduction == 10                # 5 + 0.5 × 40 points → capped at 10
    # As of 11 March only the order due on the 10th is assessed.
    early = by_dept(con, config, as_of=dt.datetime(2024, 3, 11))["D1"].rates[1]
    assert (early.numerator, early.denominator) == (1, 1)


RATES = [
    ("below threshold, higher is worse", "above", 0.02, 1, 100, 0.0),
    ("at threshold", "above", 0.02, 2, 100, 0.0),
    ("over by 3 points", "above", 0.02, 5, 100, 5 + 3 * 1),
    ("capped", "above", 0.02, 90, 100, 20),
    ("lower is worse, met", "below", 0.9, 95, 100, 0.0),
    ("lower is worse, missed by 10 points", "below", 0.9, 80, 100, 5 + 10 * 1),
    ("nothing to assess", "above", 0.02, 0, 0, 0.0),
]


@pytest.mark.parametrize(("worse", "threshold", "num", "den", "cut"), [r[1:] for r in RATES],
                         ids=[r[0] for r in RATES])
def test_rate_deductions(worse: str, threshold: float, num: int, den: int, cut: float) -> None:
    rule = scoring.RateRule(metric="overdue_rate", threshold=threshold, worse=worse,
                            deduction=5, per_point=1, max=20)
    assert scoring._rate(rule, num, den).deduction == pytest.approx(cut)


GRADES = [(100, "优秀"), (95, "优秀"), (94.99, "良好"), (85, "良好"), (70, "合格"), (69.5, "不合格"), (0, "不合格")]


@pytest.mark.parametrize(("score", "grade"), GRADES, ids=[str(g[0]) for g in GRADES])
def test_grades(score: float, grade: str) -> None:
    assert scoring.load_config().grade(score) == grade


def test_scores_are_recorded_and_replaced(con: duckdb.DuckDBPyConnection) -> None:
    config = scoring.load_config()
    scores = scoring.score_month(con, MARCH, config)
    at = dt.datetime(2024, 3, 31)
    for _ in range(2):
        scoring.record_scores(con, scores, run_id=7, computed_at=at, config=config)
    rows = con.execute("SELECT dept_code, score, grade, explanation FROM dept_scores ORDER BY dept_code").fetchall()
    assert [r[:3] for r in rows] == [("D1", 66.0, "不合格"), ("D2", 100.0, "优秀")]
    assert rows[0][3].startswith("红牌 4 张、黄牌 1 张，扣 8.5 分")


BAD_FILES = [
    ("unknown metric", "rates:\n  - metric: speed\n    threshold: 0.1\n    worse: above\n    deduction: 1\n",
     3, "rates.0.metric"),
    ("unknown key", "start: 100\nflags:\n  red: 2\n  purple: 1\n", 5, "flags.purple"),
    ("negative deduction", "flags:\n  red: -1\n", 3, "flags.red"),
    ("no grade for the floor", "grades:\n  - name: 优秀\n    min: 90\n", 1, None),
]


@pytest.mark.parametrize(("body", "line", "field"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_scoring_files_name_file_line_field(tmp_path: Path, body: str, line: int, field: str | None) -> None:
    grades = "" if "grades" in body else "grades:\n  - name: 合格\n    min: 0\n"
    path = tmp_path / "scoring.yaml"
    path.write_text("version: 1\n" + body + grades, encoding="utf-8")
    with pytest.raises(ConfigError, match="评分配置有误") as info:
        scoring.load_config(path)
    assert info.value.location.file == path
    assert info.value.location.line == line
    assert info.value.location.field == field


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "scoring.yaml"
    path.write_text("version: 1\nflags: [red: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 YAML") as info:
        scoring.load_config(path)
    assert info.value.location.line is not None


def test_bundled_file_lists_every_metric_it_uses() -> None:
    text = scoring.DEFAULT_CONFIG.read_text(encoding="utf-8")
    for name in scoring.METRICS:
        assert name in text
