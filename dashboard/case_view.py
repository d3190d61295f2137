"""The blocks of the case page (kept out of the page file so it stays a thin list of sections)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, labels
from dashboard.queries.cases import PAUSES, CaseView
from dashboard.viewer import Viewer


def header(view: CaseView, viewer: Viewer) -> None:
    case = view.case
    st.markdown(f"### {case['case_id']}　{case.get('item_name') or case['item_code']}")
    applicant = case.get("applicant_name") or ""
    masked_id = case.get("applicant_id_masked") or ""
    st.markdown(
        f"部门：**{case.get('dept_name') or case['dept_code']}**　事项类型：{case.get('item_kind') or ''}　"
        f"平台：{labels.label(labels.PLATFORMS, case['source_system'])}　申请人/当事人：{applicant} {masked_id}"
    )
    cols = st.columns(5)
    cols[0].metric("申请时间", _day(case.get("submitted_at")))
    cols[1].metric("受理时间", _day(case.get("accepted_at")))
    cols[2].metric("办结时间", _day(case.get("closed_at")))
    limit = case.get("promised_limit")
    unit = {"workday": "个工作日", "day": "天", "month": "个月"}.get(str(case.get("limit_unit")), "")
    cols[3].metric("承诺时限", f"{int(limit)}{unit}" if limit is not None and pd.notna(limit) else "—")
    cols[4].metric("办理结果", case.get("close_result") or "在办")


def legend(view: CaseView) -> None:
    parts = ["纵轴为环节序号（同一时间的环节按来源顺序排列）", "灰色阴影为不计时的补正或特别程序期间"]
    if not view.extensions.empty:
        parts.append(f"◆ 为延期（{len(view.extensions)} 次，首次延期计入）")
    parts.append("虚线：截止日期（黑）、转为黄牌（黄）、转为红牌（红）、审计时点（青）")
    st.caption("；".join(parts) + "。")
    for _, mark in charts.offscale_marks(view).iterrows():
        st.caption(f"图外：{mark['说明']}（{pd.Timestamp(mark['时间']):%Y-%m-%d %H:%M}）")
    for pause in view.pauses:
        end = f"{pause.end:%Y-%m-%d %H:%M}" if pause.end is not None else "尚未结束"
        st.caption(f"{PAUSES[pause.kind][1]}：{pause.start:%Y-%m-%d %H:%M} 至 {end}")


def documents(view: CaseView) -> None:
    docs = view.documents
    if docs.empty:
        st.info("没有登记文书。")
        return
    st.dataframe(pd.DataFrame({
        "序号": docs["seq"], "环节": [labels.label(labels.ACTIVITIES, a) for a in docs["activity"]],
        "时间": docs["ts"], "文书": docs["document_type"], "文号": docs["document_no"],
    }), hide_index=True, width="stretch", key="case_documents")


def fee(view: CaseView) -> None:
    case = view.case
    charged = case.get("fee_charged")
    standard = case.get("fee_standard")
    text = (f"实收 {_money(charged)}；公示收费标准 {_money(standard)}"
            + (f"（依据：{case['fee_basis']}）" if isinstance(case.get("fee_basis"), str) else ""))
    status = view.fee_status
    if status in ("免费事项收取费用", "收费高于公示标准"):
        st.error(f"{status}：{text}")
    else:
        st.markdown(f"{status}：{text}")
    if isinstance(case.get("receipt_no"), str):
        st.caption(f"票据号：{case['receipt_no']}")
    if pd.notna(case.get("fine_amount")) and case.get("fine_amount") is not None:
        st.markdown(f"罚款 {_money(case['fine_amount'])}；违法行为 {case.get('violation_code') or ''}，"
                    f"裁量档次 {case.get('discretion_level') or ''}；案由：{case.get('cause') or ''}")


def officers(view: CaseView) -> None:
    if view.officers.empty:
        st.info("该办件没有登记执法人员。")
        return
    o = view.officers
    table = pd.DataFrame({
        "环节": [f"{s} {labels.label(labels.ACTIVITIES, a)}" for s, a in zip(o["seq"], o["activity"], strict=True)],
        "人员编号": o["officer_id"], "姓名": o["name"].fillna("（未登记）"), "执法证号": o["cert_no"].fillna("无"),
        "有效期": [f"{_day(a)} 至 {_day(b)}" for a, b in zip(o["cert_valid_from"], o["cert_valid_to"], strict=True)],
        "当日证件有效": ["是" if bool(v) else "否" for v in o["cert_valid"].fillna(False)],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="case_officers")


def disclosures(view: CaseView) -> None:
    if view.disclosures.empty:
        st.info("没有找到该办件的公示。")
        return
    d = view.disclosures
    st.dataframe(pd.DataFrame({"决定文号": d["decision_no"], "公示时间": d["published_at"], "撤回时间": d["withdrawn_at"],
                               "公示内容": d["content"]}), hide_index=True, width="stretch", key="case_disclosures")


def events_table(view: CaseView) -> pd.DataFrame:
    e = view.events
    return pd.DataFrame({
        "序号": e["seq"], "环节": [labels.label(labels.ACTIVITIES, a) for a in e["activity"]],
        "平台原名": e["source_activity"], "时间": e["ts"], "经办人": e["actor_id"],
        "文书": e["document_type"], "文号": e["document_no"], "金额": e["amount"],
    })


def _day(value: object) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _money(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):,.2f} 元"
