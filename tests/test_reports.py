"""Rectification lists: content, order and formatting of the Excel and PDF files, read back."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from audit import actions, flags, reports
from sunlight import db

AS_OF = dt.datetime(2024, 3, 20, 10, 0)


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a reportlab PDF, read with the standard library only.

    reportlab writes each page's content stream ASCII85 + Flate encoded, and CID-font text as
    literal strings of UTF-16BE code units with octal escapes.
    """
    data = path.read_bytes()
    pages: list[str] = []
    pattern = rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)endstream"
    for match in re.finditer(pattern, data, re.S):
        body = match.group(1).strip()
        content = zlib.decompress(base64.a85decode(body[:-2] if body.endswith(b"~>") else body))
        texts = [_unescape(m.group(1)) for m in re.finditer(rb"\(((?:\\.|[^\\)])*)\) Tj", content, re.S)]
        pages.append("".join(t.decode("utf-16-be", errors="replace") for t in texts))
    return pages


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C:  # backslash
            nxt = raw[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def add_flags(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO departments VALUES ('SCJG', '区市场监管局', '区直部门', 'x', 1, 1),"
                " ('MZ', '区民政局', '区直部门', 'x', 2, 1)")
    con.execute("INSERT INTO items (item_code, name, kind, dept_code, fee_standard, required_materials, published,"
                " platforms, source_file, source_row, load_id)"
                " VALUES ('I1', '食品经营许可', '行政许可', 'SCJG', 0, [], true, [], 'x', 1, 1)")
    specs: list[tuple[str, str, int | None, str]] = [
        # case, level, days overdue, category
        ("A1", "yellow", None, "时效"),
        ("A2", "red", 2, "时效"),
        ("A3", "red", 7, "公示"),
        ("A4", "red", None, "内容"),
        ("A5", "yellow", None, "流程"),
        ("A6", "red", 1, "时效"),
    ]
    rows: list[dict[str, Any]] = [
        {"rule_id": f"R-{cat}", "rule_version": 1, "violation_code": "V", "case_id": case, "item_code": "I1",
         "dept_code": "SCJG", "level": level, "category": cat, "title": f"{cat}规则", "evidence": {},
         "message": f"办件{case}的问题说明。", "days_overdue": days,
         "due_at": dt.datetime(2024, 3, 15, 17) if days else None}
        for case, level, days, cat in specs
    ]
    flags.findings_from_rows(con, "found", rows)
    flags.apply_findings(con, run_id=1, as_of=AS_OF, findings_table="found", rule_ids=[])
    at = AS_OF + dt.timedelta(minutes=5)
    actions.issue_order(con, flags.flag_id("R-公示", "A3"), "张三", None, dt.date(2024, 3, 27), "限期公示", at=at)
    actions.resolve(con, flags.flag_id("R-内容", "A4"), "张三", "已退费", at=at)      # resolved: not listed
    actions.dismiss(con, flags.flag_id("R-流程", "A5"), "张三", "误报", at=at)        # dismissed: not listed
    actions.acknowledge(con, flags.flag_id("R-时效", "A1"), "张三", at=at)


@pytest.fixture
def written(tmp_path: Path) -> dict[str, reports.WrittenList]:
    con = db.memory()
    add_flags(con)
    return {w.dept_code: w for w in reports.write_rectification_lists(con, tmp_path, as_of=AS_OF)}


def test_one_pair_of_files_per_department(written: dict[str, reports.WrittenList], tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "MZ_整改清单.pdf", "MZ_整改清单.xlsx", "SCJG_整改清单.pdf", "SCJG_整改清单.xlsx"]
    scjg = written["SCJG"]
    assert (scjg.red, scjg.yellow, scjg.dept_name) == (3, 1, "区市场监管局")


def test_build_lists_order_by_urgency() -> None:
    con = db.memory()
    add_flags(con)
    (lst,) = reports.build_lists(con, as_of=AS_OF, depts=["SCJG"])
    assert [r.case_id for r in lst.rows] == ["A3", "A2", "A6", "A1"]
    assert [r.state for r in lst.rows] == ["rectifying", "open", "open", "acknowledged"]
    assert lst.rows[0].cells(1)["order"] == "第 1 号（已下达）"


def _sheet(path: Path) -> Any:
    return openpyxl.load_workbook(path).active


def test_xlsx_content(written: dict[str, reports.WrittenList]) -> None:
    ws = _sheet(written["SCJG"].xlsx)
    assert ws["A1"].value == "区市场监管局整改清单"
    info = [ws.cell(row=r, column=1).value for r in range(2, 6)]
    assert info[0] == "部门：区市场监管局（SCJG）　　截至：2024-03-20 10:00"
    assert info[1].startswith("2024年3月考核得分：") and "等级：" in info[1]
    assert info[2].startswith("扣分明细：红牌 4 张、黄牌 1 张")          # the month: A4 resolved still counts
    assert info[3] == "待整改：红牌 3 张、黄牌 1 张，其中已超期 3 件。"
    header = 7
    assert [c.value for c in ws[header]] == [h for _, h, _, _ in reports.COLUMNS]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=header + 1)]
    assert [r[3] for r in body] == ["A3", "A2", "A6", "A1"]
    first = dict(zip([k for k, *_ in reports.COLUMNS], body[0], strict=True))
    assert first == {
        "no": 1, "level": "红牌", "category": "公示", "case_id": "A3", "item_name": "食品经营许可",
        "rule_title": "公示规则", "message": "办件A3的问题说明。", "due_at": "2024-03-15 17:00",
        "days_overdue": 7, "state": "督办中", "order": "第 1 号（已下达）", "feedback_due": "2024-03-27",
    }
    assert body[3][1:3] == ["黄牌", "时效"] and body[3][9] == "已确认"


def test_xlsx_formatting(written: dict[str, reports.WrittenList]) -> None:
    ws = _sheet(written["SCJG"].xlsx)
    assert ws.freeze_panes == "A8"
    assert ws.auto_filter.ref == "A7:L11"
    assert ws["B8"].fill.fgColor.rgb.endswith("FFC7CE")       # red
    assert ws["B11"].fill.fgColor.rgb.endswith("FFEB9C")      # yellow
    assert ws.column_dimensions["G"].width > ws.column_dimensions["A"].width
    assert ws["G8"].alignment.wrap_text
    assert ws.page_setup.orientation == "landscape"


def test_xlsx_of_a_department_with_nothing_to_rectify(written: dict[str, reports.WrittenList]) -> None:
    ws = _sheet(written["MZ"].xlsx)
    assert ws["A1"].value == "区民政局整改清单"
    assert ws["A8"].value == "本期无待整改事项。"
    assert "A8:L8" in {str(r) for r in ws.merged_cells.ranges}


def test_pdf_content(written: dict[str, reports.WrittenList]) -> None:
    pages = pdf_pages(written["SCJG"].pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in ("区市场监管局整改清单", "部门：区市场监管局（SCJG）", "截至：2024-03-20 10:00",
                     "考核得分", "序号", "问题说明", "反馈期限", "办件A3的问题说明。", "督办中", "第 1 号",
                     "2024-03-27", "红牌", "黄牌", "第 1 页"):
        assert expected in text, expected
    assert text.index("办件A3") < text.index("办件A2") < text.index("办件A6") < text.index("办件A1")
    assert "办件A4" not in text and "办件A5" not in text


def test_pdf_is_a4_landscape_and_numbers_pages(tmp_path: Path) -> None:
    con = db.memory()
    con.execute("INSERT INTO departments VALUES ('D', '某局', '区直部门', 'x', 1, 1)")
    rows = [{"rule_id": "R", "rule_version": 1, "violation_code": "V", "case_id": f"C{i:03d}", "dept_code": "D",
             "level": "red", "category": "时效", "title": "超期", "message": "说明" * 40, "evidence": {}}
            for i in range(80)]
    flags.findings_from_rows(con, "found", rows)
    flags.apply_findings(con, run_id=1, as_of=AS_OF, findings_table="found", rule_ids=["R"])
    (w,) = reports.write_rectification_lists(con, tmp_path, as_of=AS_OF)
    data = w.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in data
    assert b"/BaseFont /STSong-Light" in data
    pages = pdf_pages(w.pdf)
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页" in text
        assert "问题说明" in text                                  # the header row repeats
    assert sum(text.count("超期") for text in pages) >= 80


def test_one_department_only(tmp_path: Path) -> None:
    con = db.memory()
    add_flags(con)
    written = reports.write_rectification_lists(con, tmp_path, as_of=AS_OF, depts=["MZ"])
    assert [w.dept_code for w in written] == ["MZ"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MZ_整改清单.pdf", "MZ_整改清单.xlsx"]


def test_worker_processes_write_the_same_lists(tmp_path: Path) -> None:
    con = db.memory()
    add_flags(con)
    alone = reports.write_rectification_lists(con, tmp_path / "one", as_of=AS_OF, workers=1)
    shared = reports.write_rectification_lists(con, tmp_path / "two", as_of=AS_OF, workers=2)
    assert [(w.dept_code, w.red, w.yellow, w.score) for w in alone] == [
        (w.dept_code, w.red, w.yellow, w.score) for w in shared]
    for a, b in zip(alone, shared, strict=True):
        assert b.pdf.parent == tmp_path / "two" and b.pdf.name == a.pdf.name
        assert pdf_pages(a.pdf) == pdf_pages(b.pdf)
        rows = [[c.value for c in row] for row in _sheet(a.xlsx).iter_rows()]
        assert rows == [[c.value for c in row] for row in _sheet(b.xlsx).iter_rows()]


@pytest.mark.parametrize("width", [40.0, 90.0, 170.0])
def test_pdf_cells_break_into_lines_that_fit(width: float) -> None:
    from reportlab.pdfbase import pdfmetrics

    from audit.reports.pdf import _NO_START, _font, _lines

    font = _font()
    text = ("受理 2026-02-09 09:00 起算；时限 10个工作日（事项承诺时限）；日历 chinese_calendar 1.11.0；"
            "应于 2026-02-28 前完成；“决定”2026-03-02 10:00 已用 11个工作日，超期 1个工作日。")
    lines = _lines(text, width, font, 8).split("\n")
    assert len(lines) > 1
    for line in lines:
        assert pdfmetrics.stringWidth(line, font, 8) <= width + 0.01, line
    assert all(line and line[0] not in _NO_START for line in lines[1:])
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")      # nothing lost, only breaks added
    if width >= 90:  # a date, a time or a version that fits on a line is never cut
        for word in ("2026-02-09", "chinese_calendar", "1.11.0", "2026-02-28"):
            assert any(word in line for line in lines), word


def test_the_summary_counts_listed_flags_by_rule_most_red_first() -> None:
    con = db.memory()
    add_flags(con)
    (lst,) = reports.build_lists(con, as_of=AS_OF, depts=["SCJG"])
    assert [(s.rule_title, s.category, s.red, s.yellow, s.overdue, s.total) for s in lst.summary()] == [
        ("时效规则", "时效", 2, 1, 2, 3), ("公示规则", "公示", 1, 0, 1, 1)]     # resolved and dismissed not counted
    total = lst.summary_total()
    assert (total.red, total.yellow, total.overdue, total.total) == (3, 1, 3, 4)


def test_xlsx_summary_sheet(written: dict[str, reports.WrittenList]) -> None:
    book = openpyxl.load_workbook(written["SCJG"].xlsx)
    assert book.sheetnames == ["整改清单", "按规则汇总"]
    ws = book["按规则汇总"]
    assert ws["A1"].value == "区市场监管局整改清单：问题汇总（按规则）"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert rows == [["规则", "类别", "红牌", "黄牌", "其中已超期", "合计"], ["时效规则", "时效", 2, 1, 2, 3],
                    ["公示规则", "公示", 1, 0, 1, 1], ["合计", "", 3, 1, 3, 4]]
    assert openpyxl.load_workbook(written["MZ"].xlsx).sheetnames == ["整改清单"]     # nothing to sum up


def test_pdf_summary_comes_before_the_detail(written: dict[str, reports.WrittenList]) -> None:
    text = pdf_pages(written["SCJG"].pdf)[0]
    summary = text.index("一、问题汇总（按规则）")
    assert summary < text.index("其中已超期", summary) < text.index("二、整改明细")
    assert text.index("二、整改明细") < text.index("办件A3")
    assert "问题汇总" not in pdf_pages(written["MZ"].pdf)[0]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_told_each_department_written(tmp_path: Path, workers: int) -> None:
    con = db.memory()
    add_flags(con)
    seen: list[tuple[str, int, int]] = []
    reports.write_rectification_lists(con, tmp_path, as_of=AS_OF, workers=workers,
                                      progress=lambda *step: seen.append(step))
    assert sorted(dept for dept, _, _ in seen) == ["MZ", "SCJG"]
    assert [(done, total) for _, done, total in seen] == [(1, 2), (2, 2)]


def test_pdf_row_heights_given_are_what_the_table_measures_itself() -> None:
    """The detail table is given each row's height up front (a page split then measures nothing
    again); those heights must be the ones the table would measure from the cells' lines."""
    from reportlab.lib.pagesizes import A4, landscape

    from audit.reports.pdf import _detail_table, _styles

    con = db.memory()
    add_flags(con)
    con.execute("INSERT INTO departments VALUES ('D', '某局', '区直部门', 'x', 3, 1)")
    rows = [{"rule_id": "R", "rule_version": 1, "violation_code": "V", "case_id": f"C{i:03d}", "dept_code": "D",
             "level": "red" if i % 3 else "yellow", "category": "时效", "title": "超期" * (1 + i % 4),
             "message": "说明" * (5 * i), "evidence": {}, "days_overdue": i or None,
             "due_at": dt.datetime(2024, 3, 15, 17) if i % 2 else None}
            for i in range(25)]
    flags.findings_from_rows(con, "found2", rows)
    flags.apply_findings(con, run_id=2, as_of=AS_OF, findings_table="found2", rule_ids=["R"])
    lists = reports.build_lists(con, as_of=AS_OF)
    width = landscape(A4)[0] - 60
    tallest: dict[str, float] = {}
    for lst in lists:          # SCJG has a supervision order (a two-line cell); MZ has no rows at all
        given, measured = _detail_table(lst, _styles(), width), _detail_table(lst, _styles(), width, measured=False)
        for table in (given, measured):
            table.wrap(width, 1e9)                  # room for every row: nothing is left unmeasured
        assert given._rowHeights == measured._rowHeights, lst.dept_code
        assert len(given._rowHeights) == len(lst.rows) + 1 + (not lst.rows)
        tallest[lst.dept_code] = max(given._rowHeights[1:])
    assert set(tallest) == {"D", "MZ", "SCJG"}
    assert tallest["D"] > 10 * 10.5                 # long messages: rows of many lines were compared
