"""A rectification list as a Chinese PDF (reportlab, built-in CID font STSong-Light, A4 landscape)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from audit.reports.data import COLUMNS, SUMMARY_COLUMNS, RectificationList

FONT = "STSong-Light"
RED_FILL, RED_FONT = colors.HexColor("#FFC7CE"), colors.HexColor("#9C0006")
YELLOW_FILL, YELLOW_FONT = colors.HexColor("#FFEB9C"), colors.HexColor("#9C5700")
HEADER_FILL = colors.HexColor("#DDEBF7")
GRID = colors.HexColor("#8EA9C1")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=4),
        "info": ParagraphStyle("info", fontName=font, fontSize=9, leading=13, wordWrap="CJK"),
        "section": ParagraphStyle("section", fontName=font, fontSize=10.5, leading=15, spaceBefore=2, spaceAfter=3),
        "head": ParagraphStyle("head", fontName=font, fontSize=8.5, leading=11, alignment=1, wordWrap="CJK"),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10.5, wordWrap="CJK"),
        "center": ParagraphStyle("center", fontName=font, fontSize=8, leading=10.5, alignment=1, wordWrap="CJK"),
        "red": ParagraphStyle("red", fontName=font, fontSize=8, leading=10.5, alignment=1, textColor=RED_FONT),
        "yellow": ParagraphStyle("yellow", fontName=font, fontSize=8, leading=10.5, alignment=1,
                                 textColor=YELLOW_FONT),
        "empty": ParagraphStyle("empty", fontName=font, fontSize=9, leading=12, alignment=1),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


TOP_PADDING, BOTTOM_PADDING = 2.5, 3
_CENTERED = {"no", "category", "days_overdue", "state", "due_at", "feedback_due", "order"}
# never at the start of a line: closing punctuation stays with the character before it
_NO_START = set("，。、；：！？）》」』】〕”’,.;:!?)]%")


class _Widths(dict[str, float]):
    """Each character's width in one font and size, measured once."""

    def __init__(self, font: str, size: float) -> None:
        super().__init__()
        self.font, self.size = font, size

    def __missing__(self, char: str) -> float:
        width = self[char] = float(pdfmetrics.stringWidth(char, self.font, self.size))
        return width


@functools.lru_cache(maxsize=16)
def _widths(font: str, size: float) -> _Widths:
    return _Widths(font, size)


_TOKENS = re.compile(r"[A-Za-z0-9_.:/%+\-]+|\s|.")   # a Latin word or number stays whole; else one character


def _lines(text: str, width: float, font: str, size: float) -> str:
    """``text`` broken into lines no wider than ``width``, joined by newlines: a break may come
    between any two Chinese characters, not inside a Latin word or number that fits on a line, and
    not before closing punctuation (the character before it moves down with it)."""
    widths = _widths(font, size)

    def measure(token: str) -> float:
        return sum(map(widths.__getitem__, token))

    out: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        tokens = _TOKENS.findall(paragraph)
        while tokens:
            token = tokens.pop(0)
            w = measure(token)
            if w > width and len(token) > 1:          # longer than a line: split it by characters
                tokens[:0] = list(token)
                continue
            if line and used + w > width:
                carry: list[str] = []
                while line and len(line) > 1 and (token if not carry else carry[0])[0] in _NO_START:
                    carry.insert(0, line.pop())
                out.append("".join(line).rstrip())
                line = [t for t in carry]
                used = sum(measure(t) for t in line)
                if not line and token.isspace():
                    continue
            line.append(token)
            used += w
        out.append("".join(line).rstrip())
    return "\n".join(out)


def _summary_table(lst: RectificationList, styles: dict[str, ParagraphStyle]) -> Table:
    """The listed flags counted by rule, with a total row; red and yellow counts in their colours."""
    cell = styles["cell"]
    keys = [key for key, *_ in SUMMARY_COLUMNS]
    rows = [*lst.summary(), lst.summary_total()]
    data: list[list[Any]] = [[Paragraph(heading, styles["head"]) for _, heading, _, _ in SUMMARY_COLUMNS]]
    data += [[_lines(r.cells()[key], SUMMARY_COLUMNS[0][3] - 6, cell.fontName, cell.fontSize) if key == "rule_title"
              else r.cells()[key] for key in keys] for r in rows]
    red, yellow = keys.index("red"), keys.index("yellow")
    # counts in their level's colour, zeros plain
    coloured = [("TEXTCOLOR", (column, number), (column, number), ink)
                for number, r in enumerate(rows, start=1)
                for column, ink, count in ((red, RED_FONT, r.red), (yellow, YELLOW_FONT, r.yellow)) if count]
    table = Table(data, colWidths=[c[3] for c in SUMMARY_COLUMNS], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(coloured + [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("BACKGROUND", (0, -1), (-1, -1), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 1), (-1, -1), cell.fontName),
        ("FONTSIZE", (0, 1), (-1, -1), cell.fontSize),
        ("LEADING", (0, 1), (-1, -1), cell.leading),
        ("ALIGN", (1, 1), (-1, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _detail_table(lst: RectificationList, styles: dict[str, ParagraphStyle], available: float,
                  measured: bool = True) -> LongTable:
    """The listed flags, one row each, most urgent first, across ``available`` points of width.

    ``measured``: give the table each body row's height (as it would measure it from the row's
    lines); False leaves the measuring to the table (what the heights are checked against).
    """
    declared = sum(c[3] for c in COLUMNS)
    widths = [c[3] * available / declared for c in COLUMNS]
    data: list[list[Any]] = [[Paragraph(heading, styles["head"]) for _, heading, _, _ in COLUMNS]]
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), TOP_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), BOTTOM_PADDING),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    keys = [key for key, *_ in COLUMNS]
    cell = styles["cell"]
    # Body cells are plain strings broken into lines here (a Paragraph per cell measured every
    # character again on every page split: most of the time of a long list).
    commands += [("FONTNAME", (0, 1), (-1, -1), cell.fontName), ("FONTSIZE", (0, 1), (-1, -1), cell.fontSize),
                 ("LEADING", (0, 1), (-1, -1), cell.leading)]
    commands += [("ALIGN", (keys.index(k), 1), (keys.index(k), -1), "CENTER") for k in keys
                 if k in _CENTERED or k == "level"]
    inner = [w - 6 for w in widths]  # minus the left and right padding
    level_column = keys.index("level")
    # Each body row's height, as the table would measure it from its lines: given up front, a page
    # split no longer measures every row left below it again.
    heights: list[float | None] = [None]
    for number, row in enumerate(lst.rows, start=1):
        cells = row.cells(number)
        if row.order_id is not None:  # number above status
            cells["order"] = cells["order"].replace("（", "\n").replace("）", "")
        cells["due_at"] = cells["due_at"].replace(" ", "\n", 1)  # date above time
        texts = [_lines(cells[key], inner[i], cell.fontName, cell.fontSize) for i, key in enumerate(keys)]
        data.append(texts)
        heights.append(cell.leading * max(t.count("\n") + 1 for t in texts) + TOP_PADDING + BOTTOM_PADDING)
        # one command per run of rows of the same level: per-row commands make splitting a long
        # table across pages quadratic
        fill, ink = (RED_FILL, RED_FONT) if row.level == "red" else (YELLOW_FILL, YELLOW_FONT)
        last = commands[-1]
        if last[0] == "TEXTCOLOR" and last[3] is ink and last[2] == (level_column, number - 1) and number > 1:
            commands[-2] = ("BACKGROUND", last[1], (level_column, number), fill)
            commands[-1] = ("TEXTCOLOR", last[1], (level_column, number), ink)
        else:
            commands += [("BACKGROUND", (level_column, number), (level_column, number), fill),
                         ("TEXTCOLOR", (level_column, number), (level_column, number), ink)]
    if not lst.rows:
        data.append([Paragraph("本期无待整改事项。", styles["empty"])] + [""] * (len(COLUMNS) - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
        heights.append(None)
    table = LongTable(data, colWidths=widths, rowHeights=heights if measured else None, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def write_pdf(lst: RectificationList, path: Path) -> Path:
    """Write ``lst`` to ``path`` as an A4 landscape PDF with "第 N 页" page numbers."""
    styles = _styles()
    page = landscape(A4)
    margin = 12 * mm
    doc = SimpleDocTemplate(str(path), pagesize=page, leftMargin=margin, rightMargin=margin,
                            topMargin=12 * mm, bottomMargin=14 * mm, title=lst.title, author="阳光监察",
                            subject="整改清单")
    story: list[Flowable] = [Paragraph(_escape(lst.title), styles["title"])]
    story += [Paragraph(_escape(line), styles["info"]) for line in lst.header_lines()]
    story.append(Spacer(1, 4 * mm))
    if lst.rows:
        story += [Paragraph("一、问题汇总（按规则）", styles["section"]), _summary_table(lst, styles),
                  Spacer(1, 4 * mm), Paragraph("二、整改明细（按紧急程度排列）", styles["section"])]
    story.append(_detail_table(lst, styles, page[0] - 2 * margin))
    title = lst.title

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawCentredString(page[0] / 2, 7 * mm, f"第 {document.page} 页")
        canvas.drawString(margin, 7 * mm, title)
        canvas.drawRightString(page[0] - margin, 7 * mm, f"截至 {lst.as_of:%Y-%m-%d %H:%M}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return path
