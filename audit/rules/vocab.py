"""The vocabulary rules may use: canonical activities, units, and the columns the expression
language may read, each with its type and Chinese label.

Only what is listed here can appear in a rule. Bookkeeping columns (``source_file``, ``load_id``)
and personal data (applicant names and ID numbers) are deliberately absent.
"""

from __future__ import annotations

from typing import Literal

from sunlight.vocabulary import ACTIVITIES as CANONICAL_ACTIVITIES

Level = Literal["yellow", "red"]
Category = Literal["时效", "流程", "内容", "公示"]
CaseKind = Literal["service", "enforcement"]
Unit = Literal["workday", "day", "month"]

LEVEL_LABELS: dict[str, str] = {"red": "红牌", "yellow": "黄牌"}
UNIT_LABELS: dict[str, str] = {"workday": "个工作日", "day": "日", "month": "个月"}
CASE_KIND_LABELS: dict[str, str] = {"service": "服务办件", "enforcement": "执法案件"}

# Canonical activity codes (platform names are mapped onto these at ingest) and their UI labels.
ACTIVITIES = CANONICAL_ACTIVITIES
ANY_ACTIVITY = "*"


def activity_label(code: str) -> str:
    return "任一环节" if code == ANY_ACTIVITY else ACTIVITIES.get(code, code)


# Column types of the expression language.
ColumnType = Literal["text", "number", "bool", "date", "timestamp", "list"]

# Expression table name -> (SQL table, {column: (type, Chinese label)}).
TABLES: dict[str, tuple[str, dict[str, tuple[ColumnType, str]]]] = {
    "case": ("cases", {
        "case_id": ("text", "办件编号"),
        "source_system": ("text", "来源系统"),
        "source_case_no": ("text", "原始编号"),
        "item_code": ("text", "事项编码"),
        "dept_code": ("text", "部门编码"),
        "case_kind": ("text", "办件类型"),
        "applicant_type": ("text", "申请人类型"),
        "submitted_at": ("timestamp", "申请时间"),
        "accepted_at": ("timestamp", "受理时间"),
        "closed_at": ("timestamp", "办结时间"),
        "close_result": ("text", "办理结果"),
        "fee_charged": ("number", "收费金额"),
        "receipt_no": ("text", "票据号"),
        "materials": ("list", "已交材料"),
        "violation_code": ("text", "违法行为代码"),
        "discretion_level": ("text", "裁量档次"),
        "fine_amount": ("number", "罚款金额"),
        "cause": ("text", "案由"),
        "decision_no": ("text", "决定书文号"),
        "window_no": ("text", "窗口号"),
    }),
    "item": ("items", {
        "item_code": ("text", "事项编码"),
        "name": ("text", "事项名称"),
        "kind": ("text", "事项类型"),
        "dept_code": ("text", "部门编码"),
        "legal_limit": ("number", "法定时限"),
        "promised_limit": ("number", "承诺时限"),
        "limit_unit": ("text", "时限单位"),
        "fee_standard": ("number", "收费标准"),
        "fee_basis": ("text", "收费依据"),
        "required_materials": ("list", "应交材料"),
        "disclosure_limit": ("number", "公示时限"),
        "published": ("bool", "已列入公开目录"),
        "platforms": ("list", "办理平台"),
    }),
    "event": ("events", {
        "event_id": ("text", "环节编号"),
        "case_id": ("text", "办件编号"),
        "seq": ("number", "环节序号"),
        "activity": ("text", "环节"),
        "ts": ("timestamp", "环节时间"),
        "actor_id": ("text", "经办人"),
        "officer_ids": ("list", "执法人员"),
        "dept_code": ("text", "部门编码"),
        "document_type": ("text", "文书类型"),
        "document_no": ("text", "文书编号"),
        "amount": ("number", "金额"),
        "source_system": ("text", "来源系统"),
    }),
    "officer": ("officers", {
        "officer_id": ("text", "执法人员编号"),
        "name": ("text", "姓名"),
        "dept_code": ("text", "部门编码"),
        "cert_no": ("text", "执法证号"),
        "cert_valid_from": ("date", "证件有效期起"),
        "cert_valid_to": ("date", "证件有效期止"),
    }),
    "discretion": ("discretion", {
        "violation_code": ("text", "违法行为代码"),
        "level": ("text", "裁量档次"),
        "item_code": ("text", "事项编码"),
        "min_fine": ("number", "罚款下限"),
        "max_fine": ("number", "罚款上限"),
    }),
    "disclosure": ("disclosures", {
        "disclosure_id": ("text", "公示编号"),
        "case_id": ("text", "办件编号"),
        "decision_no": ("text", "公示文号"),
        "published_at": ("timestamp", "公示时间"),
        "withdrawn_at": ("timestamp", "撤回时间"),
        "url": ("text", "公示网址"),
        "title": ("text", "公示标题"),
        "fine_amount": ("number", "公示罚款金额"),
        "cause": ("text", "公示案由"),
        "content": ("text", "公示正文"),
    }),
}

# The key column of each table: NULL in it means "no such row" (used by exists()).
KEY_COLUMNS: dict[str, str] = {
    "case": "case_id",
    "item": "item_code",
    "event": "event_id",
    "officer": "officer_id",
    "discretion": "violation_code",
    "disclosure": "disclosure_id",
}


def column_type(table: str, column: str) -> ColumnType:
    return TABLES[table][1][column][0]


def column_label(table: str, column: str) -> str:
    return TABLES[table][1][column][1]
