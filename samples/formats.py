"""How each platform writes names, times and amounts (the export side of ingest/mappings/*.yaml).

The activity labels, column headers and value vocabularies here must match the platform mapping
files exactly; ``tests/test_generator.py`` compares them with the YAML.
"""

from __future__ import annotations

import datetime as dt

from samples.model import ORG, PERSON, SOLE_TRADER, Case

UTC_OFFSET = dt.timedelta(hours=8)  # Asia/Shanghai has kept UTC+8 all year since 1991

ACTIVITY_LABELS: dict[str, dict[str, str]] = {
    "qyzx": {
        "SUBMIT": "收件", "ACCEPT": "受理", "REFUSE": "不予受理", "SUPPLEMENT_NOTICE": "补正告知",
        "SUPPLEMENT_RECEIVED": "补正材料接收", "REVIEW": "审查", "SUSPEND": "特别程序开始", "RESUME": "特别程序结束",
        "EXTEND": "延期", "DECIDE": "审批决定", "DELIVER": "送达", "CLOSE": "办结", "CHARGE": "收费",
    },
    "mszx": {
        "SUBMIT": "申请", "ACCEPT": "受理", "REFUSE": "不予受理", "SUPPLEMENT_NOTICE": "一次性告知补正",
        "SUPPLEMENT_RECEIVED": "补齐材料", "REVIEW": "审核", "SUSPEND": "中止", "RESUME": "恢复", "EXTEND": "延长期限",
        "DECIDE": "决定", "DELIVER": "发证", "CLOSE": "办结", "CHARGE": "缴费",
    },
    "sqzx": {
        "SUBMIT": "收件", "ACCEPT": "受理", "REFUSE": "不予受理", "SUPPLEMENT_NOTICE": "补正通知",
        "SUPPLEMENT_RECEIVED": "补正收件", "REVIEW": "初审", "SUSPEND": "中止办理", "RESUME": "恢复办理", "EXTEND": "延期",
        "DECIDE": "审批", "DELIVER": "送达", "CLOSE": "办结", "CHARGE": "收费",
    },
    "wsdt": {
        "SUBMIT": "submit", "ACCEPT": "accept", "REFUSE": "reject", "SUPPLEMENT_NOTICE": "supplement_notice",
        "SUPPLEMENT_RECEIVED": "supplement_received", "REVIEW": "review", "SUSPEND": "suspend", "RESUME": "resume",
        "EXTEND": "extend", "DECIDE": "decide", "DELIVER": "deliver", "CLOSE": "close", "CHARGE": "pay",
    },
    "xtbg": {
        "SUBMIT": "收件登记", "ACCEPT": "受理", "REFUSE": "不予受理", "SUPPLEMENT_NOTICE": "补正告知",
        "SUPPLEMENT_RECEIVED": "补正接收", "REVIEW": "承办审查", "SUSPEND": "特别程序开始", "RESUME": "特别程序结束",
        "EXTEND": "延期", "DECIDE": "领导审批决定", "DELIVER": "发文送达", "CLOSE": "归档办结", "CHARGE": "收费",
    },
    "zfba": {
        "FILE_CASE": "立案", "INVESTIGATE": "调查取证", "NOTIFY": "告知", "HEARING": "听证",
        "PENALTY_DECISION": "处罚决定", "DELIVER": "送达", "EXECUTE": "执行", "CLOSE": "结案", "REVOKE": "撤销处罚决定",
    },
}

APPLICANT_TYPES: dict[str, dict[str, str]] = {
    "qyzx": {PERSON: "自然人", ORG: "法人", SOLE_TRADER: "其他组织"},
    "mszx": {PERSON: "个人", ORG: "单位", SOLE_TRADER: "单位"},
    "sqzx": {PERSON: "居民", ORG: "单位", SOLE_TRADER: "单位"},
    "wsdt": {PERSON: "personal", ORG: "legal", SOLE_TRADER: "legal"},
    "xtbg": {PERSON: "person", ORG: "org", SOLE_TRADER: "org"},
    "zfba": {PERSON: "自然人", ORG: "法人", SOLE_TRADER: "个体工商户"},
}

LIST_SEPARATORS = {"qyzx": "；", "mszx": "、", "sqzx": "，", "xtbg": "；", "zfba": "；", "reference": "；"}

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def scramble(*numbers: int) -> int:
    """A cheap deterministic hash for per-row formatting choices (no random state involved)."""
    value = 0x811C9DC5
    for number in numbers:
        value = ((value ^ (number & 0xFFFFFFFF)) * 0x01000193) & 0xFFFFFFFF
    return value


def iso_seconds(ts: dt.datetime | None) -> str:
    return "" if ts is None else ts.strftime("%Y-%m-%d %H:%M:%S")


def slash_minutes(ts: dt.datetime | None) -> str:
    return "" if ts is None else ts.strftime("%Y/%m/%d %H:%M")


def chinese(ts: dt.datetime | None, style: int = 0, fullwidth: bool = False) -> str:
    """2026年3月1日 14:05 (style 0), 2026年3月1日14:05 (1) or 2026年3月1日 14时05分 (2)."""
    if ts is None:
        return ""
    day = f"{ts.year}年{ts.month}月{ts.day}日"
    if style == 1:
        text = f"{day}{ts.hour:02d}:{ts.minute:02d}"
    elif style == 2:
        text = f"{day} {ts.hour:02d}时{ts.minute:02d}分"
    else:
        text = f"{day} {ts.hour:02d}:{ts.minute:02d}"
    return text.translate(_FULLWIDTH) if fullwidth else text


def offset_iso(ts: dt.datetime | None, utc: bool) -> str | None:
    if ts is None:
        return None
    if utc:
        return (ts - UTC_OFFSET).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ts.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def xes_time(ts: dt.datetime) -> str:
    return (ts - UTC_OFFSET).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def money(value: int | None) -> str:
    return "" if value is None else f"{value}.00"


def sqzx_style(case: Case) -> tuple[int, bool]:
    """The community centre's date style for a case, and whether it writes full-width digits."""
    h = scramble(case.index, 17)
    style = 0 if h % 20 < 17 else (1 if h % 20 < 19 else 2)
    return style, case.fullwidth or h % 50 == 7
