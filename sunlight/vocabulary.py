"""The canonical activity vocabulary, shared by ingest, the rules and the dashboard.

Platform activity names are mapped onto these codes at ingest (``ingest/mappings/*.yaml``); the
Chinese label is what users see.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ACTIVITIES: Mapping[str, str] = MappingProxyType({
    "SUBMIT": "申请/收件",
    "ACCEPT": "受理",
    "REFUSE": "不予受理",
    "SUPPLEMENT_NOTICE": "补正告知",
    "SUPPLEMENT_RECEIVED": "补正接收",
    "REVIEW": "审查",
    "SUSPEND": "特别程序开始",
    "RESUME": "特别程序结束",
    "EXTEND": "延期",
    "DECIDE": "决定",
    "DELIVER": "送达/发证",
    "CLOSE": "办结",
    "CHARGE": "收费",
    "FILE_CASE": "立案",
    "INVESTIGATE": "调查取证",
    "NOTIFY": "告知",
    "HEARING": "听证",
    "PENALTY_DECISION": "处罚决定",
    "EXECUTE": "执行",
    "PUBLISH": "公示",
    "WITHDRAW": "撤回公示",
    "REVOKE": "撤销决定",
})
