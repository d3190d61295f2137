"""运行与数据质量: nightly run history, reconciliation per file, quarantined rows with reasons."""

from __future__ import annotations

import streamlit as st

from dashboard import components, data, labels, session, tables
from dashboard.queries.scope import Page

db, viewer = session.database(), session.viewer()
st.title("运行与数据质量")

st.subheader("运行记录")
runs = data.run_history(db, viewer)
if runs.empty:
    st.info("尚无运行记录。")
else:
    st.dataframe(tables.runs_table(runs), hide_index=True, width="stretch", key="runs_table")
    for problem in tables.run_problems(runs):
        st.warning(f"最近一次运行的问题：{problem}")

st.subheader("文件对账")
size = session.config().page_size
files_first = data.load_files(db, viewer, Page(1, size))
files_page = components.pager("files_page", files_first.total, size)
files = files_first if files_page.number == 1 else data.load_files(db, viewer, files_page)
if files.rows.empty:
    st.info("尚无加载记录。")
else:
    f = files.rows
    st.dataframe(tables.blank_missing(f.assign(
        platform=[labels.label(labels.PLATFORMS, p) for p in f["platform"]],
        outcome=[labels.label(labels.LOAD_OUTCOMES, o) for o in f["outcome"]],
        reconciled=["是" if v else "否" for v in f["reconciled"]],
    ).rename(columns={"load_id": "批次", "started_at": "加载时间", "file_name": "文件", "platform": "平台", "record": "记录类型",
                      "rows_read": "读取行数", "rows_loaded": "入库行数", "rows_quarantined": "隔离行数",
                      "reconciled": "对账一致", "outcome": "结果", "message": "说明"})),
        hide_index=True, width="stretch", key="files_table")

st.subheader("隔离数据")
choices = ["（全部文件）", *data.quarantine_files(db, viewer)]
chosen = st.selectbox("文件", choices, key="q_file")
file_name = None if chosen == choices[0] else chosen
q_first = data.quarantine(db, viewer, Page(1, size), file_name)
q_page = components.pager("q_page", q_first.total, size, reset_on=file_name)
quarantined = q_first if q_page.number == 1 else data.quarantine(db, viewer, q_page, file_name)
if quarantined.rows.empty:
    st.info("没有被隔离的数据行。")
else:
    st.dataframe(tables.blank_missing(quarantined.rows).rename(columns={
        "load_id": "批次", "file_name": "文件", "row_number": "行号", "reason": "原因", "column_name": "字段",
        "hint": "处理建议", "raw": "原始内容"}), hide_index=True, width="stretch", key="q_table")
