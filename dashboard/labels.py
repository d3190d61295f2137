"""Chinese labels for codes shown in the dashboard."""

from __future__ import annotations

from sunlight.vocabulary import ACTIVITIES as CANONICAL_ACTIVITIES

STATES: dict[str, str] = {
    "open": "待处理",
    "acknowledged": "已确认",
    "rectifying": "督办中",
    "resolved": "已摘牌",
    "dismissed": "已驳回",
}
ACTIVE_STATES = ("open", "acknowledged", "rectifying")
LEVELS: dict[str, str] = {"red": "红牌", "yellow": "黄牌"}
LEVEL_COLORS: dict[str, str] = {"red": "#d62728", "yellow": "#e6b800"}
CATEGORIES = ("时效", "流程", "内容", "公示")
ORDER_STATUS: dict[str, str] = {
    "issued": "已下达（待反馈）",
    "answered": "已反馈（待验收）",
    "accepted": "已验收",
    "returned": "已退回（待重新反馈）",
    "closed": "已关闭",
}
HISTORY_ACTIONS: dict[str, str] = {
    "raise": "入牌",
    "escalate": "升级为红牌",
    "clear": "条件消除",
    "reraise": "再次入牌",
    "acknowledge": "确认",
    "order": "下发督办",
    "answer": "部门反馈",
    "accept": "验收摘牌",
    "return": "退回重办",
    "resolve": "摘牌",
    "dismiss": "驳回",
}
JOURNAL_STATUS: dict[str, str] = {"pending": "待写入", "applied": "已生效", "failed": "未能生效"}
ACTIVITIES = CANONICAL_ACTIVITIES
PLATFORMS: dict[str, str] = {
    "qyzx": "企业服务中心",
    "mszx": "民生服务中心",
    "sqzx": "社区服务中心",
    "wsdt": "网上办事大厅",
    "xtbg": "统一协同办公平台",
    "zfba": "行政执法办案系统",
    "gswz": "政府网站公示栏",
    "reference": "基础数据",
}
RUN_STATUS: dict[str, str] = {"ok": "成功", "partial": "部分成功", "failed": "失败"}
RUN_KINDS: dict[str, str] = {"audit": "审计", "nightly": "夜间批处理", "live": "实时"}
LOAD_OUTCOMES: dict[str, str] = {"loaded": "已加载", "replaced": "已替换", "unchanged": "未变化", "refused": "已拒绝"}
DISCLOSURE_STATUS: dict[str, str] = {
    "on_time": "按时公示",
    "late": "超期公示",
    "missing": "超期未公示",
    "waiting": "待公示（未超期）",
}

DISCLOSURE_STATUS_SHORT: dict[str, str] = {"on_time": "按时", "late": "超期", "missing": "未公示", "waiting": "待公示"}


def label(mapping: dict[str, str], code: object) -> str:
    """The Chinese label of ``code``, or the code itself when unknown."""
    if code is None:
        return ""
    return mapping.get(str(code), str(code))
