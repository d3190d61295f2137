"""整改督办: a department's open flags and supervision orders; heads answer, inspectors review;
the rectification list as Excel and PDF (the same files the nightly batch writes)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import actions_ui, components, data, reports_ui, session
from dashboard.queries.flags import FlagFilter
from dashboard.queries.scope import Page

db, viewer = session.database(), session.viewer()
service = session.actions()
st.title("整改督办")
components.pending_notice(service)

departments = data.departments(db, viewer)
names = dict(departments)
if not departments:
    st.info("没有可查看的部门。")
    st.stop()
if viewer.is_inspector:
    summary = data.rectification_summary(db, viewer, dt.date.today())
    st.dataframe(summary.rename(columns={
        "dept_code": "部门编码", "dept_name": "部门", "red": "在牌红牌", "yellow": "在牌黄牌",
        "awaiting": "待反馈督办", "answered": "待验收督办", "overdue": "反馈逾期"}),
        hide_index=True, width="stretch", key="rect_summary")
    ranked = [c for c in summary["dept_code"] if c in names]  # most overdue feedback, then most red, first
    dept = st.selectbox("部门", ranked, format_func=lambda c: f"{names[c]}（{c}）", key="rect_dept")
else:
    dept = viewer.dept_code or ""
    st.markdown(f"**{names.get(dept, dept)}** 的整改清单")

reports_ui.downloads(db, viewer, dept, key="rect_downloads")

st.subheader("督办单")
orders = data.orders(db, viewer, dept)
if orders.empty:
    st.info("该部门目前没有督办单。")
else:
    actions_ui.orders_block(viewer, orders, service, key="rect_orders")

st.subheader("在牌预警")
flt = FlagFilter(depts=(dept,))
size = session.config().page_size
first = data.flags_page(db, viewer, flt, Page(1, size), "urgency")
page = components.pager("rect_flags_page", first.total, size, reset_on=dept)
result = first if page.number == 1 else data.flags_page(db, viewer, flt, page, "urgency")
components.show_flag_table(result, key="rect_flags")
if not result.rows.empty:
    st.page_link("app_pages/flags.py", label="在“预警信息”中查看并处理这些预警", icon=":material/flag:", query_params={"dept": dept})
