"""总览: open red and yellow flags by department, category and week; worst departments; the last
run's changes."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, labels, session, tables

db, viewer = session.database(), session.viewer()
st.title("总览")
info = data.overview_data(db, viewer)
as_of = info["as_of"]
st.caption(f"数据截至最近一次审计：{as_of:%Y-%m-%d %H:%M}" if as_of is not None else "尚无审计运行记录。")

totals = info["totals"]
c1, c2, c3 = st.columns(3)
c1.metric("在牌红牌", totals["red"])
c2.metric("在牌黄牌", totals["yellow"])
c3.metric("督办中", totals["rectifying"])

left, right = st.columns(2)
with left:
    st.subheader("各部门在牌预警")
    with_flags = info["by_department"][(info["by_department"]["red"] + info["by_department"]["yellow"]) > 0]
    if with_flags.empty:
        st.info("各部门均无在牌预警。")
    else:
        st.altair_chart(charts.by_department(with_flags), width="stretch", key="chart_dept")
        if len(with_flags) > 15:
            st.caption(f"共 {len(with_flags)} 个部门有在牌预警，图中为最多的 15 个。")
with right:
    st.subheader("按类别")
    if info["by_category"].empty:
        st.info("暂无在牌预警。")
    else:
        st.altair_chart(charts.by_category(info["by_category"]), width="stretch", key="chart_category")

st.subheader("每周新增预警")
if info["by_week"].empty:
    st.info("暂无预警。")
else:
    st.altair_chart(charts.weekly_trend(info["by_week"]), width="stretch", key="chart_week")

st.subheader("得分最低的部门")
scores = info["scores"]
if not scores.empty:
    month = scores["month"].iloc[0]
    st.dataframe(scores.drop(columns=["month"]).rename(columns={
        "dept_code": "部门编码", "dept_name": "部门", "score": "得分", "grade": "等级", "red": "红牌", "yellow": "黄牌",
        "explanation": "扣分明细"}), hide_index=True, width="stretch", key="worst_departments")
    st.caption(f"{month:%Y年%m月}考核得分（夜间批处理计算的考核结果）。")
else:
    worst = info["by_department"].head(5).rename(columns={
        "dept_name": "部门", "dept_code": "部门编码", "red": "在牌红牌", "yellow": "在牌黄牌", "score": "得分"})
    st.dataframe(worst, hide_index=True, width="stretch", key="worst_departments")
    st.caption("尚无月度考核结果；暂按 100 − 2 × 在牌红牌 − 0.5 × 在牌黄牌（最低 0 分）排序。")

st.subheader("最近一次运行的变化")
changes = info["changes"]
if changes.run is None:
    st.info("尚无运行记录。")
else:
    run = changes.run
    st.caption(f"运行 {run['run_id']}（{labels.label(labels.RUN_KINDS, run['kind'])}，"
               f"{labels.label(labels.RUN_STATUS, run['status'])}），审计时点 {run['as_of']:%Y-%m-%d %H:%M}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("新入牌", changes.counts.get("raise", 0))
    m2.metric("升级为红牌", changes.counts.get("escalate", 0))
    m3.metric("再次入牌", changes.counts.get("reraise", 0))
    m4.metric("条件消除", changes.counts.get("clear", 0))
    if not changes.rows.empty:
        table = changes.rows.assign(
            action=[labels.label(labels.HISTORY_ACTIONS, a) for a in changes.rows["action"]],
            level=[labels.label(labels.LEVELS, v) for v in changes.rows["level"]],
        ).rename(columns={"action": "变化", "level": "级别", "title": "预警事项", "case_id": "办件编号",
                          "dept_name": "部门", "flag_id": "牌号"})
        table = tables.blank_missing(table)
        st.dataframe(table, hide_index=True, width="stretch", key="run_changes")
