"""Department scores per month (部门月度考核): deductions for flags and rates, and a grade.

The configuration is data (``rules/scoring.yaml``, validated by :class:`ScoringConfig`): the start
score, the deduction per red and per yellow flag, rate metrics with thresholds and extra deductions,
and the grade bands. The metrics themselves are fixed SQL in :data:`METRICS`; a configuration only
chooses which of them count and how much. Every deduction is itemised in Chinese, so a department
can check its score by hand.

A flag counts in the month it reached its level: a red in the month of ``red_at``; a yellow in the
month of ``yellow_at`` unless it also turned red that month (then only the red counts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from audit import history
from sunlight.errors import ConfigError, Location

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "rules" / "scoring.yaml"


@dataclass(frozen=True)
class Metric:
    name: str                 # Chinese name shown to users
    numerator: str            # Chinese description of the numerator and denominator
    denominator: str
    sql: str                  # SELECT dept_code, num, den; params $start, $end, $today, $excluded


METRICS: dict[str, Metric] = {
    "overdue_rate": Metric(
        "超期率", "当月办结且有时效红牌的办件", "当月办结办件",
        """SELECT c.dept_code, count(r.case_id) AS num, count(*) AS den
           FROM cases c LEFT JOIN (SELECT DISTINCT case_id FROM flags WHERE level = 'red' AND category = '时效'
                                   AND NOT list_contains($excluded, state)) r ON r.case_id = c.case_id
           WHERE c.closed_at >= $start AND c.closed_at < $end GROUP BY c.dept_code"""),
    "rectification_on_time": Metric(
        "整改按时率", "按期反馈的督办单", "反馈期限在当月的督办单",
        """SELECT dept_code,
                  count(*) FILTER (status IN ('answered', 'accepted') AND answered_at::DATE <= feedback_due) AS num,
                  count(*) AS den
           FROM supervision_orders
           WHERE feedback_due >= $start AND feedback_due < $end
             AND NOT (status = 'closed' AND answered_at IS NULL)
             AND (feedback_due < $today OR status IN ('answered', 'accepted'))
           GROUP BY dept_code"""),
    "disclosure_on_time": Metric(
        "公示及时率", "按时公示的办件", "当月办结且须公示的办件",
        """SELECT c.dept_code, count(*) - count(r.case_id) AS num, count(*) AS den
           FROM cases c JOIN items i ON i.item_code = c.item_code
           LEFT JOIN (SELECT DISTINCT case_id FROM flags WHERE level = 'red' AND category = '公示'
                      AND NOT list_contains($excluded, state)) r ON r.case_id = c.case_id
           WHERE i.disclosure_limit IS NOT NULL AND c.closed_at >= $start AND c.closed_at < $end
             AND coalesce(c.close_result, '') NOT IN ('撤回', '不予受理')
           GROUP BY c.dept_code"""),
    "red_flag_rate": Metric(
        "红牌发生率", "当月红牌", "当月受理办件",
        """WITH r AS (SELECT dept_code, count(*) AS num FROM flags
                      WHERE red_at >= $start AND red_at < $end AND NOT list_contains($excluded, state)
                      GROUP BY dept_code),
                a AS (SELECT dept_code, count(*) AS den FROM cases
                      WHERE accepted_at >= $start AND accepted_at < $end GROUP BY dept_code)
           SELECT a.dept_code, coalesce(r.num, 0) AS num, a.den FROM a LEFT JOIN r USING (dept_code)"""),
}


class FlagDeductions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    red: float = Field(2.0, ge=0, description="每张红牌扣分")
    yellow: float = Field(0.5, ge=0, description="每张黄牌扣分")
    max: float | None = Field(None, ge=0, description="牌面扣分上限")
    exclude_states: tuple[str, ...] = ("dismissed",)


class RateRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: Literal["overdue_rate", "rectification_on_time", "disclosure_on_time", "red_flag_rate"]
    threshold: float = Field(ge=0, le=1)
    worse: Literal["above", "below"]
    deduction: float = Field(ge=0)
    per_point: float = Field(0, ge=0, description="每越过一个百分点加扣")
    max: float | None = Field(None, ge=0)


class Grade(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    min: float


class ScoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    start: float = 100
    floor: float = 0
    flags: FlagDeductions = FlagDeductions()
    rates: tuple[RateRule, ...] = ()
    grades: tuple[Grade, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _grades_cover_the_floor(self) -> ScoringConfig:
        if min(g.min for g in self.grades) > self.floor:
            raise ValueError("grades must include one whose min is at most floor (every score needs a grade)")
        return self

    def grade(self, score: float) -> str:
        for band in sorted(self.grades, key=lambda g: -g.min):
            if score >= band.min:
                return band.name
        return self.grades[-1].name

    def digest(self) -> str:
        return hashlib.sha256(history.dumps(self.model_dump(mode="json")).encode()).hexdigest()[:16]


def load_config(path: Path | None = None) -> ScoringConfig:
    """Read and validate a scoring file (default: the bundled ``rules/scoring.yaml``)."""
    path = path or DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"无法读取评分配置：{exc}", location=Location(file=path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"评分配置不是有效的 YAML：{getattr(exc, 'problem', exc)}",
                          location=Location(file=path, line=mark.line + 1 if mark else None)) from exc
    if not isinstance(data, dict):
        raise ConfigError("评分配置须是一个 YAML 映射（键: 值）", location=Location(file=path, line=1))
    try:
        return ScoringConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise ConfigError(
            f"评分配置有误：{first['msg']}",
            location=Location(file=path, line=_line_of(node, loc), field=".".join(str(p) for p in loc) or None),
            hint="可用的指标：" + "、".join(f"{k}（{m.name}）" for k, m in METRICS.items()),
        ) from exc


def _line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """The 1-based line of the value at ``loc`` (or its nearest ancestor) in a composed YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if getattr(k, "value", None) == part]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


@dataclass(frozen=True)
class RateResult:
    metric: str
    name: str
    numerator: int
    denominator: int
    value: float | None       # None when the denominator is 0 (not assessed this month)
    threshold: float
    worse: str
    deduction: float

    def describe(self) -> str:
        if self.value is None:
            return f"{self.name}：本月无可考核数据，不扣分"
        side = "高于" if self.worse == "above" else "低于"
        verdict = f"{side}阈值 {self.threshold:.1%}，扣 {self.deduction:g} 分" if self.deduction else "达标"
        return f"{self.name} {self.value:.1%}（{self.numerator}/{self.denominator}），{verdict}"


@dataclass(frozen=True)
class DeptScore:
    month: dt.date
    dept_code: str
    dept_name: str
    score: float
    grade: str
    red: int
    yellow: int
    flag_deduction: float
    rates: tuple[RateResult, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        """The itemised deductions, in Chinese."""
        out = [f"红牌 {self.red} 张、黄牌 {self.yellow} 张，扣 {self.flag_deduction:g} 分"]
        out += [r.describe() for r in self.rates]
        return out


def month_start(day: dt.date | dt.datetime) -> dt.date:
    return dt.date(day.year, day.month, 1)


def _next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def score_month(
    con: duckdb.DuckDBPyConnection, month: dt.date, config: ScoringConfig, *,
    as_of: dt.datetime | None = None, depts: Sequence[str] | None = None,
) -> list[DeptScore]:
    """Score every department (or ``depts``) for the month containing ``month``, as of ``as_of``."""
    start = month_start(month)
    end = _next_month(start)
    today = (as_of or dt.datetime.combine(end, dt.time())).date()
    if as_of is not None and as_of < dt.datetime.combine(end, dt.time()):
        end_ts = as_of + dt.timedelta(microseconds=1)  # what happened at as_of counts
    else:
        end_ts = dt.datetime.combine(end, dt.time())
    params = {"start": dt.datetime.combine(start, dt.time()), "end": end_ts, "today": today,
              "excluded": list(config.flags.exclude_states)}
    names = departments(con, depts)
    counts = _flag_counts(con, params)
    rate_values = {rule.metric: _metric(con, rule.metric, params) for rule in config.rates}
    scores: list[DeptScore] = []
    for code, name in names:
        red, yellow = counts.get(code, (0, 0))
        flag_cut = red * config.flags.red + yellow * config.flags.yellow
        if config.flags.max is not None:
            flag_cut = min(flag_cut, config.flags.max)
        results = tuple(_rate(rule, *rate_values[rule.metric].get(code, (0, 0))) for rule in config.rates)
        total = config.start - flag_cut - sum(r.deduction for r in results)
        score = round(max(config.floor, total), 2)
        scores.append(DeptScore(start, code, name, score, config.grade(score), red, yellow, round(flag_cut, 2),
                                results))
    return scores


def departments(con: duckdb.DuckDBPyConnection, depts: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) of every department known from the catalogue or from flags (or of ``depts``)."""
    rows = con.execute(
        "SELECT code, coalesce(max(name), code) FROM (SELECT dept_code AS code, name FROM departments"
        " UNION ALL SELECT DISTINCT dept_code, NULL FROM flags) GROUP BY code ORDER BY code").fetchall()
    chosen = [(str(c), str(n)) for c, n in rows]
    if depts is not None:
        wanted = set(depts)
        chosen = [d for d in chosen if d[0] in wanted]
    return chosen


def _flag_counts(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> dict[str, tuple[int, int]]:
    rows = con.execute(
        """
        SELECT dept_code,
               count(*) FILTER (red_at >= $start AND red_at < $end) AS red,
               count(*) FILTER (yellow_at >= $start AND yellow_at < $end
                                AND NOT coalesce(red_at >= $start AND red_at < $end, false)) AS yellow
        FROM flags WHERE NOT list_contains($excluded, state)
        GROUP BY dept_code
        """,
        {k: params[k] for k in ("start", "end", "excluded")},
    ).fetchall()
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def _metric(con: duckdb.DuckDBPyConnection, metric: str, params: dict[str, Any]) -> dict[str, tuple[int, int]]:
    sql = METRICS[metric].sql
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return {str(r[0]): (int(r[1]), int(r[2])) for r in con.execute(sql, used).fetchall()}


def _rate(rule: RateRule, numerator: int, denominator: int) -> RateResult:
    metric = METRICS[rule.metric]
    if denominator == 0:
        return RateResult(rule.metric, metric.name, 0, 0, None, rule.threshold, rule.worse, 0.0)
    value = numerator / denominator
    beyond = value - rule.threshold if rule.worse == "above" else rule.threshold - value
    cut = 0.0
    if beyond > 1e-12:
        cut = rule.deduction + rule.per_point * beyond * 100
        if rule.max is not None:
            cut = min(cut, rule.max)
    return RateResult(rule.metric, metric.name, numerator, denominator, value, rule.threshold, rule.worse,
                      round(cut, 2))


def record_scores(con: duckdb.DuckDBPyConnection, scores: Sequence[DeptScore], *, run_id: int | None,
                  computed_at: dt.datetime, config: ScoringConfig) -> int:
    """Store (replace) the scores of record for their months in ``dept_scores``."""
    digest = config.digest()
    for s in scores:
        con.execute("DELETE FROM dept_scores WHERE month = ? AND dept_code = ?", [s.month, s.dept_code])
    rows = [
        (s.month, s.dept_code, run_id, computed_at, s.score, s.grade, s.red, s.yellow, s.flag_deduction,
         history.dumps([history.jsonable(r.__dict__) for r in s.rates]), "；".join(s.lines()), digest)
        for s in scores
    ]
    if rows:
        con.executemany("INSERT INTO dept_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?, ?)", rows)
    return len(rows)


def iter_months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    month = month_start(first)
    while month <= last:
        yield month
        month = _next_month(month)
