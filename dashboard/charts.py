"""Altair charts: trends, departments, categories, and one case's timeline."""

from __future__ import annotations

import datetime as dt
from typing import cast

import altair as alt
import pandas as pd

from dashboard import labels
from dashboard.queries.cases import PAUSES, CaseView

LEVEL_SCALE = alt.Scale(domain=["红牌", "黄牌"], range=[labels.LEVEL_COLORS["red"], labels.LEVEL_COLORS["yellow"]])
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
AnyChart = alt.Chart | alt.LayerChart


def _config(chart: AnyChart) -> AnyChart:
    configured = chart.configure(font=FONT).configure_axis(labelFont=FONT, titleFont=FONT).configure_legend(
        labelFont=FONT, titleFont=FONT)
    return cast(AnyChart, configured)


def _with_level_label(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["级别"] = [labels.label(labels.LEVELS, v) for v in out["level"]]
    return out


def weekly_trend(df: pd.DataFrame) -> AnyChart:
    """Flags raised per week, red and yellow stacked."""
    data = _with_level_label(df).rename(columns={"week": "周", "flags": "新增预警"})
    data["周"] = [pd.Timestamp(w).strftime("%Y-%m-%d") for w in data["周"]]
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("周:O", title="周（自该日起的一周，按入牌时间）", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("新增预警:Q", title="新增预警数", stack=True),
        color=alt.Color("级别:N", scale=LEVEL_SCALE, title="级别"),
        tooltip=["周:O", "级别:N", "新增预警:Q"],
    ).properties(height=260)
    return _config(chart)


def by_department(df: pd.DataFrame, *, top: int = 15) -> AnyChart:
    """Open red and yellow flags per department: the ``top`` departments with the most."""
    df = df[(df["red"] + df["yellow"]) > 0].sort_values(["red", "yellow"], ascending=False).head(top)
    long = df.melt(id_vars=["dept_code", "dept_name"], value_vars=["red", "yellow"], var_name="level",
                   value_name="flags")
    data = _with_level_label(long).rename(columns={"dept_name": "部门", "flags": "在牌数"})
    order = list(df.sort_values(["red", "yellow"], ascending=False)["dept_name"])
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("部门:N", sort=order, title=None, axis=alt.Axis(labelLimit=240)),
        x=alt.X("在牌数:Q", title="在牌预警数", stack=True),
        color=alt.Color("级别:N", scale=LEVEL_SCALE, title="级别"),
        tooltip=["部门:N", "级别:N", "在牌数:Q"],
    ).properties(height=max(120, 26 * len(order)))
    return _config(chart)


def by_category(df: pd.DataFrame) -> AnyChart:
    data = _with_level_label(df).rename(columns={"category": "类别", "flags": "在牌数"})
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("类别:N", sort=list(labels.CATEGORIES), title="类别", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("在牌数:Q", title="在牌预警数", stack=True),
        color=alt.Color("级别:N", scale=LEVEL_SCALE, title="级别"),
        tooltip=["类别:N", "级别:N", "在牌数:Q"],
    ).properties(height=260)
    return _config(chart)


def rule_hits(df: pd.DataFrame, titles: dict[str, str]) -> AnyChart:
    """Flags raised per rule and week, one row per rule (a heat map: darker is more)."""
    data = df.groupby(["rule_id", "week"], as_index=False)["flags"].sum()
    data["规则"] = [f"{r} {titles.get(r, '')}".strip() for r in data["rule_id"]]
    data = data.rename(columns={"week": "周", "flags": "命中数"})
    chart = alt.Chart(data).mark_rect().encode(
        x=alt.X("周:T", title="周（入牌时间）", timeUnit="yearweek", axis=alt.Axis(format="%m-%d")),
        y=alt.Y("规则:N", title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("命中数:Q", scale=alt.Scale(scheme="reds"), title="命中数"),
        tooltip=["规则:N", alt.Tooltip("周:T", format="%Y-%m-%d"), "命中数:Q"],
    ).properties(height=max(160, 22 * data["规则"].nunique()))
    return _config(chart)


def case_timeline(view: CaseView) -> AnyChart:
    """Steps by seq (y) over time (x); pauses shaded; extension, due dates and the yellow/red moments
    drawn as vertical lines. Marks far after the case (a flag first raised by a later audit) are
    left out of the picture and listed by :func:`offscale_marks`."""
    events = view.events.copy()
    events["步骤"] = [f"{seq:02d} {labels.label(labels.ACTIVITIES, a)}"
                    for seq, a in zip(events["seq"], events["activity"], strict=True)]
    events["时间"] = events["ts"]
    events["活动"] = [labels.label(labels.ACTIVITIES, a) for a in events["activity"]]
    events["文书"] = [f"{t or ''} {n or ''}".strip() for t, n in zip(events["document_type"].fillna(""),
                                                                  events["document_no"].fillna(""), strict=True)]
    events["类型"] = ["延期" if a == "EXTEND" else "暂停/恢复" if a in _PAUSE_CODES else "办理环节"
                    for a in events["activity"]]
    order = list(events["步骤"])
    start, end = timeline_window(view)
    y = alt.Y("步骤:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False))
    x_scale = alt.Scale(domain=[start.isoformat(), end.isoformat()])
    x = alt.X("时间:T", title="时间", scale=x_scale, axis=alt.Axis(format="%Y-%m-%d", labelAngle=0))
    layers: list[alt.Chart] = []

    pauses = pd.DataFrame([
        {"开始": p.start, "结束": min(pd.Timestamp(p.end or end), pd.Timestamp(end)),
         "期间": PAUSES[p.kind][1] + ("（未结束）" if p.end is None else "")}
        for p in view.pauses
    ])
    if not pauses.empty:
        layers.append(alt.Chart(pauses).mark_rect(opacity=0.18, color="#7f7f7f").encode(
            x=alt.X("开始:T", scale=x_scale), x2="结束:T", tooltip=["期间:N", "开始:T", "结束:T"]))

    line = alt.Chart(events).mark_line(color="#9ecae1", strokeWidth=1.5).encode(x=x, y=y, order="seq:Q")
    kinds = ["办理环节", "暂停/恢复", "延期"]
    points = alt.Chart(events).mark_point(filled=True, size=110).encode(
        x=x, y=y,
        color=alt.Color("类型:N", scale=alt.Scale(domain=kinds, range=["#1f77b4", "#7f7f7f", "#9467bd"]),
                        title="环节", legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("类型:N", scale=alt.Scale(domain=kinds, range=["circle", "square", "diamond"]), legend=None),
        tooltip=["seq:Q", "活动:N", "时间:T", "文书:N"],
    )
    layers += [line, points]

    marks = timeline_marks(view)
    marks = marks[(marks["时间"] >= pd.Timestamp(start)) & (marks["时间"] <= pd.Timestamp(end))]
    if not marks.empty:
        color = alt.Color("标记:N", scale=alt.Scale(domain=list(_MARK_COLORS), range=list(_MARK_COLORS.values())),
                          title="标记", legend=alt.Legend(orient="bottom"))
        rules = alt.Chart(marks).mark_rule(strokeWidth=2, strokeDash=[6, 3]).encode(
            x=alt.X("时间:T", scale=x_scale), color=color, tooltip=["标记:N", "时间:T", "说明:N"])
        texts = alt.Chart(marks).mark_text(align="left", dx=4, dy=-4, fontSize=12, baseline="bottom").encode(
            x=alt.X("时间:T", scale=x_scale), y=alt.value(0), text="标记:N",
            color=alt.Color("标记:N", scale=alt.Scale(domain=list(_MARK_COLORS), range=list(_MARK_COLORS.values())),
                            legend=None))
        layers += [rules, texts]
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(
        height=150 + 34 * len(order), title=alt.TitleParams("办件时间轴（按环节序号）", anchor="start", offset=18))
    return _config(chart)


_PAUSE_CODES = {*PAUSES, *(end for end, _ in PAUSES.values())}
_MARK_COLORS = {"截止日期": "#333333", "转黄": labels.LEVEL_COLORS["yellow"], "转红": labels.LEVEL_COLORS["red"],
                "审计时点": "#17becf"}


def timeline_marks(view: CaseView) -> pd.DataFrame:
    """Vertical marks: each deadline flag's due date, when flags went yellow and red, the audit time."""
    rows: list[dict[str, object]] = []
    for _, flag in view.flags.iterrows():
        title = str(flag["title"])
        if pd.notna(flag.get("due_at")):
            rows.append({"标记": "截止日期", "时间": flag["due_at"], "说明": f"{title}：截止 {flag['due_at']:%Y-%m-%d}"})
        if pd.notna(flag.get("yellow_at")):
            rows.append({"标记": "转黄", "时间": flag["yellow_at"], "说明": f"{title}：转为黄牌"})
        if pd.notna(flag.get("red_at")):
            rows.append({"标记": "转红", "时间": flag["red_at"], "说明": f"{title}：转为红牌"})
    closed = view.case.get("closed_at")
    if view.as_of is not None and (closed is None or pd.isna(closed)):
        rows.append({"标记": "审计时点", "时间": view.as_of, "说明": "最近一次审计的时点（在办件按此计算）"})
    df = pd.DataFrame(rows, columns=["标记", "时间", "说明"])
    return df.drop_duplicates(subset=["标记", "时间"])


def timeline_window(view: CaseView) -> tuple[dt.datetime, dt.datetime]:
    """The time span the chart shows: the case's steps, pauses and due dates (and the audit time
    while the case is open), with a little room either side."""
    stamps = [pd.Timestamp(t) for t in view.events["ts"]] if not view.events.empty else [pd.Timestamp.now()]
    for pause in view.pauses:
        stamps.append(pd.Timestamp(pause.start))
        if pause.end is not None:
            stamps.append(pd.Timestamp(pause.end))
    for due in view.flags.get("due_at", pd.Series(dtype="datetime64[ns]")).dropna():
        stamps.append(pd.Timestamp(due))
    closed = view.case.get("closed_at")
    if view.as_of is not None and (closed is None or pd.isna(closed)):
        stamps.append(pd.Timestamp(view.as_of))
    first, last = min(stamps), max(stamps)
    pad = max(pd.Timedelta(days=1), (last - first) * 0.05)
    return (first - pad).to_pydatetime(), (last + pad).to_pydatetime()


def offscale_marks(view: CaseView) -> pd.DataFrame:
    """Marks outside the chart's window, e.g. a flag raised by an audit long after the case closed."""
    start, end = timeline_window(view)
    marks = timeline_marks(view)
    return marks[(marks["时间"] < pd.Timestamp(start)) | (marks["时间"] > pd.Timestamp(end))]
