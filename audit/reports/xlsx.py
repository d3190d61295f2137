"""A rectification list as an Excel workbook (xlsxwriter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from audit.reports.data import COLUMNS, SUMMARY_COLUMNS, RectificationList

RED_FILL, RED_FONT = "#FFC7CE", "#9C0006"
YELLOW_FILL, YELLOW_FONT = "#FFEB9C", "#9C5700"
HEADER_FILL = "#DDEBF7"
FONT = "宋体"


def write_xlsx(lst: RectificationList, path: Path) -> Path:
    """Write ``lst`` to ``path``: title, department, time, score, then the table (frozen header,
    autofilter, red/yellow level cells), set to print landscape on A4 with page numbers."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": lst.title, "subject": "整改清单", "company": lst.dept_name})
    base = {"font_name": FONT, "font_size": 10, "valign": "top"}
    fmt = {
        "title": workbook.add_format({**base, "bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "info": workbook.add_format({**base, "text_wrap": True}),
        "header": workbook.add_format({**base, "bold": True, "bg_color": HEADER_FILL, "border": 1,
                                       "align": "center", "valign": "vcenter", "text_wrap": True}),
        "cell": workbook.add_format({**base, "border": 1, "text_wrap": True}),
        "center": workbook.add_format({**base, "border": 1, "align": "center"}),
        "red": workbook.add_format({**base, "border": 1, "align": "center", "bold": True,
                                    "bg_color": RED_FILL, "font_color": RED_FONT}),
        "yellow": workbook.add_format({**base, "border": 1, "align": "center", "bold": True,
                                       "bg_color": YELLOW_FILL, "font_color": YELLOW_FONT}),
        "empty": workbook.add_format({**base, "border": 1, "align": "center", "italic": True}),
    }
    sheet = workbook.add_worksheet("整改清单")
    last_col = len(COLUMNS) - 1
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last_col, lst.title, fmt["title"])
    lines = lst.header_lines()
    for offset, line in enumerate(lines, start=1):
        sheet.merge_range(offset, 0, offset, last_col, line, fmt["info"])
        sheet.set_row(offset, 30 if len(line) > 120 else 18)
    header_row = len(lines) + 2
    for col, (_, heading, width, _) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
        sheet.write(header_row, col, heading, fmt["header"])
    sheet.set_row(header_row, 22)
    centered = {"no", "category", "days_overdue", "state", "due_at", "feedback_due"}
    for number, row in enumerate(lst.rows, start=1):
        r = header_row + number
        cells = row.cells(number)
        for col, (key, *_) in enumerate(COLUMNS):
            if key == "level":
                style = fmt[row.level] if row.level in ("red", "yellow") else fmt["center"]
            else:
                style = fmt["center"] if key in centered else fmt["cell"]
            if key in ("no", "days_overdue") and cells[key]:
                sheet.write_number(r, col, int(cells[key]), style)
            else:
                sheet.write_string(r, col, cells[key], style)
    last_row = header_row + max(len(lst.rows), 1)
    if not lst.rows:
        sheet.merge_range(last_row, 0, last_row, last_col, "本期无待整改事项。", fmt["empty"])
    else:
        sheet.autofilter(header_row, 0, last_row, last_col)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    if lst.rows:
        _write_summary(workbook, lst, fmt)
    workbook.close()
    return path


def _write_summary(workbook: xlsxwriter.Workbook, lst: RectificationList, fmt: dict[str, Any]) -> None:
    """A second sheet: the listed flags counted by rule, most red first, with a total row."""
    sheet = workbook.add_worksheet("按规则汇总")
    last_col = len(SUMMARY_COLUMNS) - 1
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last_col, f"{lst.title}：问题汇总（按规则）", fmt["title"])
    sheet.merge_range(1, 0, 1, last_col, lst.header_lines()[0], fmt["info"])
    header_row = 3
    for col, (_, heading, width, _) in enumerate(SUMMARY_COLUMNS):
        sheet.set_column(col, col, width)
        sheet.write(header_row, col, heading, fmt["header"])
    rows = [*lst.summary(), lst.summary_total()]
    for offset, summary in enumerate(rows, start=1):
        total = offset == len(rows)
        cells = summary.cells()
        for col, (key, *_) in enumerate(SUMMARY_COLUMNS):
            if key == "rule_title" or key == "category":
                sheet.write_string(header_row + offset, col, cells[key], fmt["header" if total else "cell"])
            else:
                sheet.write_number(header_row + offset, col, int(cells[key]), fmt["header" if total else "center"])
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
