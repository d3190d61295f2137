"""预警信息: filter the viewer's flags, sorted by urgency, paged in the database; open one to act."""

from __future__ import annotations

import streamlit as st

from dashboard import components, data, labels, session
from dashboard.queries.flags import ORDERING_LABELS, FlagFilter
from dashboard.queries.scope import Page

db, viewer = session.database(), session.viewer()
service = session.actions()
st.title("预警信息")
options = data.flag_options(db, viewer)
rule_titles = dict(options.rules)
dept_names = dict(options.depts)
PARAMS = {"level": ("flt_level", list(labels.LEVELS)), "category": ("flt_category", list(labels.CATEGORIES)),
          "rule": ("flt_rule", list(rule_titles)), "dept": ("flt_dept", list(dept_names)),
          "platform": ("flt_platform", options.platforms), "state": ("flt_state", list(labels.STATES))}

if "flt_initialised" not in st.session_state:  # URL parameters pre-fill the filters once, within scope
    st.session_state["flt_initialised"] = True
    for param, (key, allowed) in PARAMS.items():
        chosen = [v for v in st.query_params.get_all(param) if v in allowed]
        if chosen:
            st.session_state[key] = chosen
    if st.query_params.get("case"):
        st.session_state["flt_case"] = st.query_params.get("case", "")

components.pending_notice(service)
with st.expander("筛选条件", expanded=True):
    a, b, c = st.columns(3)
    levels = a.multiselect("级别", list(labels.LEVELS), format_func=lambda v: labels.label(labels.LEVELS, v),
                           key="flt_level",
                           placeholder="全部")
    categories = b.multiselect("类别", list(labels.CATEGORIES), key="flt_category", placeholder="全部")
    states = c.multiselect("状态", list(labels.STATES), default=list(labels.ACTIVE_STATES),
                           format_func=lambda v: labels.label(labels.STATES, v), key="flt_state",
                           placeholder="全部")
    d, e, f = st.columns(3)
    rule_ids = d.multiselect("规则", list(rule_titles), format_func=lambda r: f"{rule_titles.get(r, r)}（{r}）",
                             key="flt_rule", placeholder="全部")
    depts = e.multiselect("部门", list(dept_names), format_func=lambda c_: dept_names.get(c_, c_), key="flt_dept",
                          placeholder="全部")
    platforms = f.multiselect("平台", options.platforms, format_func=lambda p: labels.label(labels.PLATFORMS, p),
                              key="flt_platform", placeholder="全部")
    g, h, i = st.columns(3)
    span = g.date_input("入牌日期", value=[], key="flt_dates")
    case_text = h.text_input("办件编号包含", key="flt_case")
    order = i.selectbox("排序", list(ORDERING_LABELS), format_func=lambda v: ORDERING_LABELS.get(v, v), key="flt_sort")
    active_only = st.checkbox("只看条件仍成立的预警", value=True, key="flt_active")

dates = tuple(span) if isinstance(span, (tuple, list)) else (span,)
flt = FlagFilter(
    levels=tuple(levels), categories=tuple(categories), rule_ids=tuple(rule_ids), depts=tuple(depts),
    platforms=tuple(platforms), states=tuple(states), seen_from=dates[0] if len(dates) > 0 else None,
    seen_to=dates[1] if len(dates) > 1 else None, active_only=active_only, case_id=case_text,
)
size = session.config().page_size
first = data.flags_page(db, viewer, flt, Page(1, size), order)
page = components.pager("flags_page", first.total, size, reset_on=(flt, order))
result = first if page.number == 1 else data.flags_page(db, viewer, flt, page, order)
components.show_flag_table(result, key="flags_table")

linked = st.query_params.get("flag")
ids = list(result.rows["flag_id"]) if not result.rows.empty else []
rows = {r["flag_id"]: r for _, r in result.rows.iterrows()}
if linked and linked not in ids and data.flag_detail(db, viewer, linked) is not None:
    ids.insert(0, linked)
if linked in ids and "flag_pick" not in st.session_state:
    st.session_state["flag_pick"] = linked
if ids:
    pick = st.selectbox(
        "查看预警", ids, key="flag_pick",
        format_func=lambda fid: components.flag_option_label(rows[fid]) if fid in rows else f"链接中的预警 {fid}",
    )
    st.divider()
    components.flag_panel(db, viewer, str(pick), service, key="flag_panel")
