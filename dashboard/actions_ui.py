"""The forms through which inspectors and department heads act on flags and supervision orders.

Every form submits through :mod:`dashboard.commands` (scope and role checked on the server) into
the journal, with an idempotency key that stays the same until the submission went through, so a
double click or a resubmitted form never acts twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import commands, labels, session
from dashboard.store import ActionResult, ActionService
from dashboard.viewer import Viewer
from audit.journal import Status

FLAG_ACTIONS_FROM: dict[str, tuple[str, ...]] = {
    "acknowledge": ("open",),
    "order": ("open", "acknowledged"),
    "resolve": ("open", "acknowledged", "rectifying"),
    "dismiss": ("open", "acknowledged", "rectifying"),
}


def _done(result: ActionResult, form_id: str) -> None:
    session.rotate_key(form_id)
    kind = {Status.APPLIED: "success", Status.PENDING: "warning", Status.FAILED: "error"}[result.status]
    session.flash(result.message, kind)  # type: ignore[arg-type]
    st.rerun()


def _refuse(message: str) -> None:
    st.error(message)


def inspector_flag_actions(viewer: Viewer, flag: dict[str, Any], service: ActionService, *,
                           departments: list[tuple[str, str]], key: str) -> None:
    state = str(flag["state"])
    flag_id = str(flag["flag_id"])
    possible = [a for a, states in FLAG_ACTIONS_FROM.items() if state in states]
    if not possible:
        st.caption(f"该预警已{labels.label(labels.STATES, state)}，无需处理。")
        return
    st.markdown("**处理**")
    tabs = st.tabs([{"acknowledge": "确认", "order": "下发督办", "resolve": "摘牌", "dismiss": "驳回"}[a]
                    for a in possible])
    for tab, action in zip(tabs, possible, strict=True):
        with tab:
            form_id = f"{key}_{action}_{flag_id}"
            if action == "acknowledge":
                _acknowledge_form(viewer, service, flag_id, form_id)
            elif action == "order":
                _order_form(viewer, service, flag, departments, form_id)
            else:
                _close_form(viewer, service, flag_id, action, form_id)


def _acknowledge_form(viewer: Viewer, service: ActionService, flag_id: str, form_id: str) -> None:
    session.form_key(form_id)
    with st.form(form_id):
        note = st.text_input("说明（可不填）", key=f"{form_id}_note")
        if st.form_submit_button("确认预警", key=f"{form_id}_submit"):
            result = commands.flag_action(service, viewer, "acknowledge", flag_id, key=session.form_key(form_id),
                                          note=note.strip() or None)
            _done(result, form_id)


def _order_form(viewer: Viewer, service: ActionService, flag: dict[str, Any],
                departments: list[tuple[str, str]], form_id: str) -> None:
    codes = [code for code, _ in departments]
    names = dict(departments)
    default = codes.index(flag["dept_code"]) if flag["dept_code"] in codes else 0
    session.form_key(form_id)
    with st.form(form_id):
        dept = st.selectbox("责任部门", codes, index=default, format_func=lambda c: f"{names.get(c, c)}（{c}）",
                            key=f"{form_id}_dept")
        due = st.date_input("反馈期限", value=dt.date.today() + dt.timedelta(days=7), min_value=dt.date.today(),
                            key=f"{form_id}_due")
        instructions = st.text_area("督办要求", key=f"{form_id}_text",
                                    placeholder="例如：请于期限内核查原因、完成整改并书面反馈。")
        if st.form_submit_button("下发督办单", key=f"{form_id}_submit"):
            if not instructions.strip():
                _refuse("请填写督办要求。")
                return
            result = commands.flag_action(service, viewer, "order", str(flag["flag_id"]), key=session.form_key(form_id),
                                          dept_code=dept, feedback_due=due, instructions=instructions.strip())
            _done(result, form_id)


def _close_form(viewer: Viewer, service: ActionService, flag_id: str, action: str, form_id: str) -> None:
    verb = "摘牌" if action == "resolve" else "驳回"
    session.form_key(form_id)
    with st.form(form_id):
        reason = st.text_area(f"{verb}理由（必填）", key=f"{form_id}_reason")
        if st.form_submit_button(f"确认{verb}", key=f"{form_id}_submit"):
            if not reason.strip():
                _refuse(f"请填写{verb}理由。")
                return
            result = commands.flag_action(service, viewer, action, flag_id, key=session.form_key(form_id),
                                          reason=reason.strip())
            _done(result, form_id)


def orders_block(viewer: Viewer, orders: pd.DataFrame, service: ActionService, *, key: str) -> None:
    """Each order with its status; heads answer open ones, inspectors accept or return answers."""
    today = dt.date.today()
    for _, order in orders.iterrows():
        order_id = int(order["order_id"])
        due = pd.Timestamp(order["feedback_due"]).date()
        status = str(order["status"])
        late = status in ("issued", "returned") and due < today
        title = (f"督办单 {order_id}｜{order.get('dept_name') or order['dept_code']}｜"
                 f"{labels.label(labels.ORDER_STATUS, status)}｜反馈期限 {due:%Y-%m-%d}" + ("｜已逾期" if late else ""))
        with st.expander(title, expanded=status in ("issued", "returned", "answered")):
            st.markdown(f"**督办要求：** {order['instructions']}")
            st.caption(f"{order['issued_by']} 于 {pd.Timestamp(order['issued_at']):%Y-%m-%d %H:%M} 下发")
            if isinstance(order.get("answer"), str) and order["answer"]:
                st.markdown(f"**部门反馈：** {order['answer']}")
            if isinstance(order.get("review_note"), str) and order["review_note"]:
                st.markdown(f"**审核意见：** {order['review_note']}")
            form_id = f"{key}_{order_id}"
            if viewer.is_department and status in ("issued", "returned"):
                _answer_form(viewer, service, order_id, form_id)
            elif viewer.is_inspector and status == "answered":
                _review_forms(viewer, service, order_id, form_id)


def _answer_form(viewer: Viewer, service: ActionService, order_id: int, form_id: str) -> None:
    session.form_key(f"{form_id}_answer")
    with st.form(f"{form_id}_answer"):
        answer = st.text_area("整改反馈", key=f"{form_id}_answer_text",
                              placeholder="写明原因、已采取的整改措施和完成时间。")
        if st.form_submit_button("提交反馈", key=f"{form_id}_answer_submit"):
            if not answer.strip():
                _refuse("请填写整改反馈。")
                return
            result = commands.order_action(service, viewer, "answer", order_id,
                                           key=session.form_key(f"{form_id}_answer"), answer=answer.strip())
            _done(result, f"{form_id}_answer")


def _review_forms(viewer: Viewer, service: ActionService, order_id: int, form_id: str) -> None:
    session.form_key(f"{form_id}_accept")
    session.form_key(f"{form_id}_return")
    accept, back = st.columns(2)
    with accept, st.form(f"{form_id}_accept"):
        note = st.text_input("验收意见（可不填）", key=f"{form_id}_accept_note")
        if st.form_submit_button("验收通过并摘牌", key=f"{form_id}_accept_submit"):
            result = commands.order_action(service, viewer, "accept", order_id,
                                           key=session.form_key(f"{form_id}_accept"), note=note.strip() or None)
            _done(result, f"{form_id}_accept")
    with back, st.form(f"{form_id}_return"):
        note = st.text_input("退回理由（必填）", key=f"{form_id}_return_note")
        due = st.date_input("新的反馈期限", value=dt.date.today() + dt.timedelta(days=5), min_value=dt.date.today(),
                            key=f"{form_id}_return_due")
        if st.form_submit_button("退回重办", key=f"{form_id}_return_submit"):
            if not note.strip():
                _refuse("请填写退回理由。")
                return
            result = commands.order_action(service, viewer, "return", order_id,
                                           key=session.form_key(f"{form_id}_return"), note=note.strip(),
                                           feedback_due=due)
            _done(result, f"{form_id}_return")
