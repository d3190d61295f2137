"""办件详情: one case's timeline chart, flags with evidence, documents, fee, officers, disclosure.

Reached from a flag (``?case=ID``) or by searching. A case outside the viewer's scope is "not found".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import case_view, charts, components, data, session

db, viewer = session.database(), session.viewer()
service = session.actions()
st.title("办件详情")

case_id = st.query_params.get("case", "")
with st.expander("查找办件", expanded=not case_id):
    text = st.text_input("办件编号", key="case_search", placeholder="输入办件编号或其中一段")
    if text.strip():
        found = data.case_search(db, viewer, text.strip())
        if found.empty:
            st.info("没有找到符合条件的办件。")
        else:
            ids = list(found["case_id"])
            pick = st.selectbox("选择办件", ids, key="case_pick")
            if st.button("打开", key="case_open"):
                st.query_params["case"] = pick
                st.rerun()

if not case_id:
    st.stop()
view = data.case_view(db, viewer, case_id)
if view is None:
    st.error("未找到该办件，或您无权查看。")
    st.stop()

case_view.header(view, viewer)
st.altair_chart(charts.case_timeline(view), width="stretch", key="case_timeline")
case_view.legend(view)

st.subheader(f"预警（{len(view.flags)}）")
if view.flags.empty:
    st.info("该办件没有预警。")
for _, flag in view.flags.iterrows():
    with st.expander(components.flag_option_label(flag), expanded=len(view.flags) == 1):
        components.flag_panel(db, viewer, str(flag["flag_id"]), service, key=f"case_flag_{flag['flag_id']}",
                              link_case=False)

left, right = st.columns(2)
with left:
    st.subheader("文书")
    case_view.documents(view)
    st.subheader("收费")
    case_view.fee(view)
with right:
    st.subheader("执法人员及证件")
    case_view.officers(view)
    st.subheader("结果公示")
    case_view.disclosures(view)

st.subheader("全部环节")
st.dataframe(case_view.events_table(view), hide_index=True, width="stretch", key="case_events")
if pd.notna(view.case.get("source_file")):
    st.caption(f"来源：{view.case['source_system']} / {view.case['source_file']} 第 {view.case['source_row']} 行")
