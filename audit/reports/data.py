"""The content of a rectification list (整改清单): what a department must still put right.

One list per department: its open, acknowledged and rectifying flags, most urgent first (red before
yellow, then the most days overdue, the earliest due date, the earliest feedback due date), each
with its supervision order, plus the department's score and grade for the month. The Excel and PDF
writers render exactly these rows, so both files always say the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from audit import scoring
from audit.actions import ORDER_STATUSES
from audit.flags import ACTIVE_STATES, LEVELS, STATES

# (key, Chinese heading, Excel width, PDF width in points)
COLUMNS: tuple[tuple[str, str, float, float], ...] = (
    ("no", "序号", 6, 24),
    ("level", "等级", 7, 30),
    ("category", "类别", 7, 30),
    ("case_id", "办件编号", 22, 84),
    ("item_name", "事项名称", 22, 80),
    ("rule_title", "规则", 26, 94),
    ("message", "问题说明", 50, 172),
    ("due_at", "办理时限", 17, 58),
    ("days_overdue", "超期天数", 9, 40),
    ("state", "状态", 9, 38),
    ("order", "督办单", 14, 52),
    ("feedback_due", "反馈期限", 12, 50),
)


# The summary by rule above the detail: (key, Chinese heading, Excel width, PDF width in points)
SUMMARY_COLUMNS: tuple[tuple[str, str, float, float], ...] = (
    ("rule_title", "规则", 34, 230),
    ("category", "类别", 9, 50),
    ("red", "红牌", 9, 50),
    ("yellow", "黄牌", 9, 50),
    ("overdue", "其中已超期", 12, 64),
    ("total", "合计", 9, 50),
)


@dataclass(frozen=True)
class RuleSummary:
    """How many of a department's listed flags one rule raised."""

    rule_title: str
    category: str
    red: int
    yellow: int
    overdue: int

    @property
    def total(self) -> int:
        return self.red + self.yellow

    def cells(self) -> dict[str, str]:
        return {"rule_title": self.rule_title, "category": self.category, "red": str(self.red),
                "yellow": str(self.yellow), "overdue": str(self.overdue), "total": str(self.total)}


@dataclass(frozen=True)
class ListRow:
    flag_id: str
    level: str                 # red / yellow
    category: str
    case_id: str
    item_name: str
    rule_title: str
    message: str
    due_at: dt.datetime | None
    days_overdue: int | None
    state: str
    order_id: int | None
    order_status: str | None
    feedback_due: dt.date | None

    def cells(self, number: int) -> dict[str, str]:
        """The row as displayed text, by column key."""
        order = "" if self.order_id is None else f"第 {self.order_id} 号（{ORDER_STATUSES.get(self.order_status or '', '')}）"
        return {
            "no": str(number),
            "level": LEVELS.get(self.level, self.level),
            "category": self.category,
            "case_id": self.case_id,
            "item_name": self.item_name,
            "rule_title": self.rule_title,
            "message": self.message,
            "due_at": "" if self.due_at is None else self.due_at.strftime("%Y-%m-%d %H:%M"),
            "days_overdue": "" if not self.days_overdue else str(self.days_overdue),
            "state": STATES.get(self.state, self.state),
            "order": order,
            "feedback_due": "" if self.feedback_due is None else self.feedback_due.isoformat(),
        }


@dataclass(frozen=True)
class RectificationList:
    dept_code: str
    dept_name: str
    as_of: dt.datetime
    score: scoring.DeptScore | None
    rows: tuple[ListRow, ...]

    @property
    def red(self) -> int:
        return sum(1 for r in self.rows if r.level == "red")

    @property
    def yellow(self) -> int:
        return sum(1 for r in self.rows if r.level == "yellow")

    @property
    def title(self) -> str:
        return f"{self.dept_name}整改清单"

    def summary(self) -> tuple[RuleSummary, ...]:
        """The listed flags counted by rule, most red first (a long list is read from here: which
        rules the department breaks most often)."""
        counts: dict[tuple[str, str], list[int]] = {}
        for row in self.rows:
            red, yellow, overdue = counts.setdefault((row.rule_title, row.category), [0, 0, 0])
            counts[(row.rule_title, row.category)] = [red + (row.level == "red"), yellow + (row.level != "red"),
                                                      overdue + bool(row.days_overdue)]
        found = [RuleSummary(title, category, *n) for (title, category), n in counts.items()]
        return tuple(sorted(found, key=lambda s: (-s.red, -s.total, s.category, s.rule_title)))

    def summary_total(self) -> RuleSummary:
        overdue = sum(1 for r in self.rows if r.days_overdue)
        return RuleSummary("合计", "", self.red, self.yellow, overdue)

    def header_lines(self) -> list[str]:
        """The lines above the table: department, time, score and grade, counts."""
        lines = [f"部门：{self.dept_name}（{self.dept_code}）　　截至：{self.as_of:%Y-%m-%d %H:%M}"]
        if self.score is not None:
            month = f"{self.score.month.year}年{self.score.month.month}月"
            lines.append(f"{month}考核得分：{self.score.score:g} 分　等级：{self.score.grade}")
            lines.append(f"扣分明细：{'；'.join(self.score.lines())}。")
        overdue = sum(1 for r in self.rows if r.days_overdue)
        lines.append(f"待整改：红牌 {self.red} 张、黄牌 {self.yellow} 张，其中已超期 {overdue} 件。")
        return lines


def build_lists(
    con: duckdb.DuckDBPyConnection, *, as_of: dt.datetime, config: scoring.ScoringConfig | None = None,
    depts: Sequence[str] | None = None,
) -> list[RectificationList]:
    """One list per department (every known department, even with nothing to rectify)."""
    config = config or scoring.load_config()
    scores = {s.dept_code: s for s in scoring.score_month(con, as_of.date(), config, as_of=as_of, depts=depts)}
    rows = con.execute(
        """
        WITH o AS (
            SELECT flag_id, arg_max(order_id, order_id) AS order_id, arg_max(status, order_id) AS status,
                   arg_max(feedback_due, order_id) AS feedback_due
            FROM supervision_orders WHERE status <> 'closed' GROUP BY flag_id
        )
        SELECT f.dept_code, f.flag_id, f.level, f.category, coalesce(f.case_id, ''),
               coalesce(i.name, f.item_code, ''), f.title, f.message, f.due_at, f.days_overdue, f.state,
               o.order_id, o.status, o.feedback_due
        FROM flags f LEFT JOIN items i ON i.item_code = f.item_code LEFT JOIN o ON o.flag_id = f.flag_id
        WHERE list_contains(?::VARCHAR[], f.state)
        ORDER BY f.dept_code, f.level = 'red' DESC, coalesce(f.days_overdue, 0) DESC, f.due_at NULLS LAST,
                 o.feedback_due NULLS LAST, f.category, f.case_id, f.flag_id
        """,
        [list(ACTIVE_STATES)],
    ).fetchall()
    by_dept: dict[str, list[ListRow]] = {}
    for dept_code, *fields in rows:
        by_dept.setdefault(str(dept_code), []).append(ListRow(*fields))
    names = dict(scoring.departments(con, depts))
    wanted = list(names) if depts is None else [d for d in depts if d in names or d in by_dept]
    return [
        RectificationList(code, names.get(code, code), as_of, scores.get(code), tuple(by_dept.get(code, ())))
        for code in wanted
    ]
