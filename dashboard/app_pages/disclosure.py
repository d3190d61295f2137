"""执法结果公示: every decision, its publication and working-day lag; late and missing highlighted.

The public sees the same list with personal data masked; inspectors can preview that version.
"""

from __future__ import annotations

import streamlit as st

from dashboard import data, disclosure_view, labels, session
from dashboard.queries.disclosure import STATUSES, DisclosureFilter
from dashboard.viewer import PUBLIC

db, viewer = session.database(), session.viewer()
st.title("执法结果公示")

depts = data.disclosing_departments(db, viewer)
if viewer.is_public:
    st.caption("依照规定，行政执法结果应在决定作出后 3 个工作日内公示。当事人为自然人的，姓名、身份证号码和联系电话已作脱敏处理。")
a, b, c = st.columns(3)
statuses = a.multiselect("公示情况", list(STATUSES), key="dis_status",
                          format_func=lambda v: labels.label(labels.DISCLOSURE_STATUS, v),
                          placeholder="全部")
names = dict(depts)
chosen_depts = b.multiselect("部门", list(names), format_func=lambda c_: names.get(c_, c_), key="dis_dept",
                              placeholder="全部")
span = c.date_input("决定日期", value=[], key="dis_dates")
dates = tuple(span) if isinstance(span, (tuple, list)) else (span,)
flt = DisclosureFilter(statuses=tuple(statuses), depts=tuple(chosen_depts),
                       decided_from=dates[0] if dates else None, decided_to=dates[1] if len(dates) > 1 else None)

if viewer.is_public:
    disclosure_view.public_list(db, viewer, flt)
else:
    internal, public = st.tabs(["内部视图", "公众版预览"])
    with internal:
        disclosure_view.internal_list(db, viewer, flt)
    with public:
        st.caption("公众看到的版本：自然人姓名、身份证号码、电话号码已脱敏，单位名称照常显示。")
        disclosure_view.public_list(db, PUBLIC if viewer.is_inspector else viewer, flt, key="preview")
