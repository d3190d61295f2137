"""Shared pieces of the pages: pager, flag table, flag detail, pending actions."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions_ui, data, labels, session, tables
from dashboard.queries.scope import Page, PageOf
from dashboard.store import ActionService, Database
from dashboard.viewer import Viewer

FLAG_COLUMNS: dict[str, str] = {
    "level": "级别", "state": "状态", "title": "预警事项", "case_id": "办件编号", "dept_name": "部门",
    "item_name": "事项", "category": "类别", "days_overdue": "超期(天)", "days_left": "剩余(天)",
    "due_at": "截止时间", "first_seen_at": "入牌时间", "source_system": "平台", "rule_id": "规则",
}


def pager(key: str, total: int, size: int, *, reset_on: Any = None) -> Page:
    """A page-number input; it returns to page 1 whenever ``reset_on`` changes (new filters)."""
    pages = max(1, -(-total // size))
    marker = f"{key}__filters"
    if reset_on is not None and st.session_state.get(marker) != repr(reset_on):
        st.session_state[marker] = repr(reset_on)
        st.session_state[key] = 1
    if int(st.session_state.get(key, 1)) > pages:
        st.session_state[key] = pages
    left, right = st.columns([1, 3])
    number = left.number_input("页码", min_value=1, max_value=pages, step=1, key=key)
    right.caption(f"共 {total} 条，每页 {size} 条，共 {pages} 页")
    return Page(int(number), size)


def flag_table(df: pd.DataFrame) -> pd.DataFrame:
    """The flags of one page with Chinese headers and labels."""
    out = df.copy()
    out["level"] = [labels.label(labels.LEVELS, v) for v in out["level"]]
    out["state"] = [labels.label(labels.STATES, v) for v in out["state"]]
    out["source_system"] = [labels.label(labels.PLATFORMS, v) for v in out["source_system"]]
    return tables.blank_missing(out[[c for c in FLAG_COLUMNS if c in out.columns]]).rename(columns=FLAG_COLUMNS)


def show_flag_table(page: PageOf, *, key: str) -> None:
    if page.rows.empty:
        st.info("没有符合条件的预警。")
        return
    st.dataframe(flag_table(page.rows), hide_index=True, width="stretch", key=key)


def flag_option_label(row: pd.Series) -> str:
    level = labels.label(labels.LEVELS, row["level"])
    where = row["case_id"] if isinstance(row["case_id"], str) else row.get("item_code", "")
    return f"{level}｜{row['title']}｜{where}｜{row['flag_id']}"


def pending_notice(service: ActionService, *, flag_id: str | None = None) -> None:
    """Actions recorded but not yet in the database, shown as pending."""
    pending = service.pending(flag_id=flag_id)
    if not pending:
        return
    lines = [f"- {e.recorded_at:%m-%d %H:%M} {e.actor}：{labels.label(labels.HISTORY_ACTIONS, e.action)}"
             + (f"（牌 {e.flag_id}）" if e.flag_id and flag_id is None else "") for e in pending]
    st.warning(f"有 {len(pending)} 项操作已记录、待写入数据库（数据库正在更新，完成后自动生效）：\n"
               + "\n".join(lines), icon=":material/hourglass_top:")


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "序号": history["entry_no"],
        "时间": history["recorded_at"],
        "操作人": history["actor"],
        "操作": [labels.label(labels.HISTORY_ACTIONS, a) for a in history["action"]],
        "原状态": [labels.label(labels.STATES, s) for s in history["from_state"]],
        "新状态": [labels.label(labels.STATES, s) for s in history["to_state"]],
        "级别": [labels.label(labels.LEVELS, v) for v in history["level"]],
        "说明": [_detail_text(d) for d in history["detail"]],
        "哈希": [str(h)[:12] + "…" for h in history["hash"]],
    })
    return out


def _detail_text(raw: Any) -> str:
    try:
        detail = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    except (TypeError, ValueError):
        return str(raw)
    parts = []
    for key, name in (("reason", "理由"), ("note", "说明"), ("instructions", "督办要求"), ("answer", "反馈"),
                      ("feedback_due", "反馈期限"), ("dept_code", "责任部门"), ("order_id", "督办单"),
                      ("run_id", "运行")):
        if detail.get(key) not in (None, ""):
            parts.append(f"{name}：{detail[key]}")
    return "；".join(parts)


def flag_panel(db: Database, viewer: Viewer, flag_id: str, service: ActionService, *, key: str,
               link_case: bool = True) -> None:
    """One flag: its evidence sentence, facts, history, orders, pending actions and the actions."""
    detail = data.flag_detail(db, viewer, flag_id)
    if detail is None:
        st.error("未找到该预警，或您无权查看。")
        return
    flag = detail["flag"]
    level = labels.label(labels.LEVELS, flag["level"])
    st.markdown(f"**{level}｜{flag['title']}**　状态：{labels.label(labels.STATES, flag['state'])}")
    st.markdown(f"> {flag['message']}")
    cols = st.columns(4)
    cols[0].metric("超期（天）", _num(flag.get("days_overdue")))
    cols[1].metric("剩余（天）", _num(flag.get("days_left")))
    cols[2].metric("截止时间", _when(flag.get("due_at")))
    cols[3].metric("入牌时间", _when(flag.get("first_seen_at")))
    if link_case and isinstance(flag.get("case_id"), str):
        st.page_link("app_pages/case.py", label=f"查看办件 {flag['case_id']} 的完整时间轴", icon=":material/folder_open:",
                     query_params={"case": flag["case_id"]})
    with st.expander("证据（计算过程）"):
        st.json(_evidence(flag.get("evidence")))
    pending_notice(service, flag_id=flag_id)
    if not detail["orders"].empty:
        st.markdown("**督办单**")
        actions_ui.orders_block(viewer, detail["orders"], service, key=f"{key}_orders")
    st.markdown("**处理记录（哈希链）**")
    st.dataframe(history_table(detail["history"]), hide_index=True, width="stretch", key=f"{key}_history")
    if viewer.is_inspector:
        actions_ui.inspector_flag_actions(viewer, flag, service, departments=data.departments(db, viewer),
                                          key=f"{key}_act")


def _evidence(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return {"证据": raw}
    return raw or {}


def _num(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else str(int(value))


def _when(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def recent_actions(service: ActionService, viewer: Viewer) -> None:
    """The viewer's own recent actions and what became of them (sidebar)."""
    if viewer.is_public:
        return
    entries = service.recent(viewer.user, limit=5)
    if not entries:
        return
    with st.sidebar.expander("我的最近操作"):
        for e in entries:
            status = labels.label(labels.JOURNAL_STATUS, e.status)
            text = f"{e.recorded_at:%m-%d %H:%M} {labels.label(labels.HISTORY_ACTIONS, e.action)}：{status}"
            if e.error:
                text += f"（{e.error}）"
            st.markdown(f"- {text}")


def flash_area() -> None:
    session.show_flash()
