"""The blocks of the disclosure page: summary metrics, the internal list and the masked public list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import components, data, labels, session
from dashboard.queries.disclosure import DisclosureFilter
from dashboard.store import Database
from dashboard.viewer import Viewer
from dashboard.queries.scope import Page

HIGHLIGHT = {"late": "background-color: #fdecc8", "missing": "background-color: #f8d0d0"}


def summary(db: Database, viewer: Viewer, flt: DisclosureFilter) -> None:
    counts = data.disclosure_summary(db, viewer, flt)
    cols = st.columns(5)
    cols[0].metric("应公示决定", counts["total"])
    cols[1].metric("按时公示", counts["on_time"])
    cols[2].metric("超期公示", counts["late"])
    cols[3].metric("超期未公示", counts["missing"])
    cols[4].metric("待公示（未超期）", counts["waiting"])


def _day(values: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]


def _minute(values: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M") for v in values]


def _money(values: pd.Series) -> list[str]:
    return ["" if v is None or pd.isna(v) else f"{float(v):,.2f}" for v in values]


def _count(values: pd.Series) -> list[str]:
    return ["" if v is None or pd.isna(v) else str(int(v)) for v in values]


def _text(values: pd.Series) -> list[str]:
    return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values]


def _status_style(frame: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for index, code in codes.items():
        styles.loc[index, :] = HIGHLIGHT.get(str(code), "")
    return styles


def internal_list(db: Database, viewer: Viewer, flt: DisclosureFilter) -> None:
    summary(db, viewer, flt)
    size = session.config().page_size
    first = data.disclosure_page(db, viewer, flt, Page(1, size))
    page = components.pager("dis_page", first.total, size, reset_on=flt)
    result = first if page.number == 1 else data.disclosure_page(db, viewer, flt, page)
    rows = result.rows
    if rows.empty:
        st.info("没有符合条件的决定。")
        return
    table = pd.DataFrame({
        "办件编号": rows["case_id"], "决定文号": _text(rows["decision_no"]), "部门": _text(rows["dept_name"]),
        "事项": _text(rows["item_name"]), "当事人": _text(rows["applicant_name"]), "决定时间": _minute(rows["decided_at"]),
        "公示时间": _minute(rows["published_at"]), "用时(工作日)": _count(rows["lag_days"]),
        "时限(工作日)": _count(rows["limit_days"]),
        "公示情况": [labels.label(labels.DISCLOSURE_STATUS, s) for s in rows["status"]],
    })
    styled = table.style.apply(lambda frame: _status_style(frame, rows["status"]), axis=None)
    st.dataframe(styled, hide_index=True, width="stretch", key="dis_internal")
    st.caption("黄色：超期公示；红色：超期未公示。用时按工作日历计算：公示日的工作日序号减去决定日的工作日序号。")


def public_list(db: Database, viewer: Viewer, flt: DisclosureFilter, *, key: str = "public") -> None:
    if viewer.is_public:
        summary(db, viewer, flt)
    size = session.config().page_size
    first = data.disclosure_page(db, viewer, flt, Page(1, size))
    page = components.pager(f"dis_{key}_page", first.total, size, reset_on=flt)
    result = first if page.number == 1 else data.disclosure_page(db, viewer, flt, page)
    rows = result.rows
    if rows.empty:
        st.info("没有符合条件的公示。")
        return
    if "party" not in rows.columns:  # a department head previews its own list masked
        from dashboard.queries.disclosure import to_public
        rows = to_public(rows)
    table = pd.DataFrame({
        "决定文号": _text(rows["decision_no"]), "部门": _text(rows["dept_name"]), "事项": _text(rows["item_name"]),
        "当事人": _text(rows["party"]), "罚款(元)": _money(rows["fine_amount"]), "决定日期": _day(rows["decided_at"]),
        "公示日期": _day(rows["published_at"]), "用时": _count(rows["lag_days"]),
        "情况": [labels.label(labels.DISCLOSURE_STATUS_SHORT, s) for s in rows["status"]],
        "公示内容": _text(rows["content"]),
    })
    styled = (table.style.apply(lambda frame: _status_style(frame, rows["status"]), axis=None)
              .set_properties(subset=["决定日期", "公示日期"], **{"min-width": "6.5em", "white-space": "nowrap"})
              .set_properties(subset=["罚款(元)"], **{"min-width": "5.5em", "white-space": "nowrap"})
              .set_properties(subset=["用时"], **{"min-width": "3.5em", "white-space": "nowrap"})
              .set_properties(subset=["决定文号"], **{"min-width": "8.5em"})
              .set_properties(subset=["情况"], **{"min-width": "4.5em", "white-space": "nowrap"})
              .set_properties(subset=["部门", "当事人"], **{"min-width": "6.5em"})
              .set_properties(subset=["事项"], **{"min-width": "7em"})
              .set_properties(subset=["公示内容"], **{"min-width": "18em", "font-size": "0.85em"})
              .hide(axis="index"))
    # A static table: every cell is text on the page (readable by screen readers, find and print).
    st.table(styled)
    st.caption("用时按工作日计（法定节假日不计，调休上班日计入）。黄色：超期公示；红色：超期未公示。")
