"""``sunlight rules lint|test|explain`` and ``sunlight audit``: output and exit codes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from audit.rulecheck import given_tables, load_rows
from audit.rules import default_rules_dir
from audit.rules.base import Given, RuleTest
from sunlight import db
from sunlight.cli import main


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        returned = main(list(args))
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def copy_rules(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    for name in names:
        shutil.copy(default_rules_dir() / f"{name}.yaml", folder)
    return folder


def test_lint_the_default_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "rules", "lint")
    assert code == 0
    assert "26 条规则有效，0 处错误" in out


def test_lint_reports_file_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_rules(tmp_path, "t_legal", "p_accept_no_notice")
    path = folder / "t_legal.yaml"
    path.write_text(path.read_text("utf-8").replace("activity: ACCEPT", "activity: ACEPT"), "utf-8")
    code, out, err = invoke(capsys, "rules", "lint", str(folder))
    assert code == 6
    assert "t_legal.yaml:17, field 'start.activity', rule T_LEGAL: 未知的环节 'ACEPT'" in err
    assert "1 条规则有效，1 处错误" in out


def test_lint_says_sql_rules_are_batch_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_rules(tmp_path)
    readme = (Path(__file__).resolve().parents[1] / "rules" / "README.md").read_text("utf-8")
    block = readme.split("### sql")[1].split("```yaml\n")[1].split("```")[0]
    (folder / "x.yaml").write_text(block, "utf-8")
    code, out, _ = invoke(capsys, "rules", "lint", str(folder))
    assert code == 0
    assert "X_FEE_WITHOUT_RECEIPT 是 sql 规则，仅批量审计执行，实时引擎不覆盖" in out
    assert "没有内联测试" in out


def test_test_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "rules", "test", str(default_rules_dir()), "T_LEGAL")
    assert code == 0
    assert "共 3 个测试，3 个通过，0 个失败" in out


def test_a_failing_inline_test_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_rules(tmp_path, "c_fee_on_free_item")
    path = folder / "c_fee_on_free_item.yaml"
    path.write_text(path.read_text("utf-8").replace("subject: CHARGED", "subject: ZERO"), "utf-8")
    code, out, _ = invoke(capsys, "rules", "test", str(folder))
    assert code == 1
    assert "应发现 ZERO（red），实际没有" in out and "不应发现 CHARGED" in out


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "rules", "explain", "T_PROMISED")
    assert code == 0
    assert "自第一个“受理”起算" in out and "WITH candidate AS" in out and "), ev AS (" in out and "<审计时点>" in out


def test_explain_an_unknown_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(capsys, "rules", "explain", "NOPE")
    assert code == 6 and "规则包中没有规则 NOPE" in err


def make_db(path: Path) -> None:
    con = db.connect(path)
    load_rows(con, given_tables(RuleTest(name="cli", as_of=dt.datetime(2026, 3, 31), given=Given(
        items=[{"item_code": "X1", "promised_limit": 10}], cases=[{"case_id": "LATE"}],
        events=[{"activity": "ACCEPT", "ts": "2026-02-09 09:00"}, {"activity": "DECIDE", "ts": "2026-03-02 10:00"}]))))
    con.close()


def test_audit_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_db(tmp_path / "a.duckdb")
    code, out, _ = invoke(capsys, "audit", "--db", str(tmp_path / "a.duckdb"), "--as-of", "2026-03-31 18:00",
                          "--rules", str(copy_rules(tmp_path, "t_promised", "t_legal")))
    assert code == 0
    assert "第 1 次稽核，截至 2026-03-31 18:00" in out
    assert "时效" in out and "新入牌 1" in out


def test_audit_exits_10_when_a_rule_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_db(tmp_path / "a.duckdb")
    folder = copy_rules(tmp_path, "t_promised")
    (folder / "bad.yaml").write_text(
        "kind: sql\nid: Z_BAD\nversion: 1\neffective_from: 2025-01-01\ntitle: 坏\ndescription: 坏\ncategory: 内容\n"
        "legal_basis: [测试]\nrectification: 无\ndetects: [Z_BAD]\nquery: |\n"
        "  SELECT c.case_id AS case_id, c.item_code AS item_code, c.dept_code AS dept_code,\n"
        "    c.source_system AS source_system, 'red' AS level, 'x' AS message, '{}' AS evidence\n"
        "  FROM cases AS c WHERE CAST(c.case_id AS INTEGER) > 0\n", "utf-8")
    code, out, _ = invoke(capsys, "audit", "--db", str(tmp_path / "a.duckdb"), "--as-of", "2026-03-31 18:00",
                          "--rules", str(folder))
    assert code == 10
    assert "规则失败：Z_BAD（执行）" in out and "新入牌 1" in out
