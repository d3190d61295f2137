"""The rule catalogue for the rules page: the loaded rule pack, explained in Chinese.

Rules come from the pack the audit uses (``rules_dir`` in sunlight.toml, else the bundled
``rules/default``), loaded and explained by :mod:`audit.rules`. Rules the database has seen but the
pack no longer holds (older versions) are listed from ``rule_versions``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.store import Database


def _rules_dir() -> Path:
    from audit.rules import default_rules_dir
    from sunlight.config import load_settings

    try:
        settings = load_settings()
    except Exception:  # a broken settings file must not take the page down
        return default_rules_dir()
    return settings.rules_dir or default_rules_dir()


def _pack_stamp(directory: Path) -> str:
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    return "|".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in files)


@st.cache_data(ttl=600, show_spinner=False)
def _pack_rows(directory: str, stamp: str) -> list[dict[str, Any]]:
    from audit.rules import ErrorPolicy, explain, load_pack

    pack = load_pack(Path(directory), policy=ErrorPolicy.COLLECT)
    rows = []
    for rule in pack.rules:
        source = pack.sources.get(rule.id)
        rows.append({
            "rule_id": rule.id, "version": rule.version, "title": rule.title, "category": rule.category,
            "kind": rule.kind, "sentence": explain(rule), "description": rule.description,
            "legal_basis": list(rule.legal_basis), "rectification": rule.rectification,
            "detects": list(rule.detects), "batch_only": rule.batch_only,
            "effective_from": rule.effective_from.isoformat(),
            "source": f"{Path(source.file).name}:{source.line}" if source else "",
            "tests": [{"name": t.name, "as_of": t.as_of.isoformat(sep=" "),
                       "expect": [f"{e.subject} {e.level}" for e in t.expect]} for t in rule.tests],
        })
    return rows


def catalogue(db: Database) -> pd.DataFrame:
    """One row per rule: from the pack, plus rule versions known only to the database."""
    directory = _rules_dir()
    try:
        rows = _pack_rows(str(directory), _pack_stamp(directory))
    except Exception as exc:  # shown, not raised: the page still lists what the database knows
        st.warning(f"规则包读取失败：{exc}")
        rows = []
    known = {r["rule_id"] for r in rows}
    versions = data.rule_versions(db)
    for _, v in versions.drop_duplicates("rule_id", keep="last").iterrows():
        if v["rule_id"] in known:
            continue
        body = json.loads(v["body"]) if isinstance(v["body"], str) else {}
        rows.append({
            "rule_id": v["rule_id"], "version": int(v["version"]), "title": v["title"], "category": v["category"],
            "kind": v["kind"], "sentence": body.get("description") or v["title"], "description": "",
            "legal_basis": body.get("legal_basis") or [], "rectification": body.get("rectification") or "",
            "detects": body.get("detects") or [], "batch_only": False,
            "effective_from": str(v["effective_from"]), "source": "数据库中的历史版本", "tests": [],
        })
    return pd.DataFrame(rows)


def describe(rule: pd.Series) -> None:
    st.markdown(f"**检查内容：** {rule['sentence']}")
    if rule["description"]:
        st.caption(rule["description"])
    basis = rule["legal_basis"] or []
    st.markdown("**法律依据：** " + ("；".join(basis) if basis else "（未列明）"))
    if rule["rectification"]:
        st.markdown(f"**整改建议：** {rule['rectification']}")
    facts = [f"版本 {rule['version']}，{rule['effective_from']} 起施行", f"类型 {rule['kind']}"]
    if rule["detects"]:
        facts.append("违规代码 " + "、".join(rule["detects"]))
    if rule["batch_only"]:
        facts.append("仅批量审计执行")
    if rule["source"]:
        facts.append(f"来源 {rule['source']}")
    st.caption("；".join(facts))


def hits(rule_hits: pd.DataFrame) -> None:
    """The rule's hits in the viewer's scope: total, red and yellow, the busiest week."""
    if rule_hits.empty:
        st.caption("在您可查看的范围内尚无命中。")
        return
    red = int(rule_hits.loc[rule_hits["level"] == "red", "flags"].sum())
    yellow = int(rule_hits.loc[rule_hits["level"] == "yellow", "flags"].sum())
    weekly = rule_hits.groupby("week")["flags"].sum()
    st.markdown(f"**命中：** 红牌 {red}、黄牌 {yellow}；最多的一周为 {pd.Timestamp(weekly.idxmax()):%Y-%m-%d} 起的一周"
                f"（{int(weekly.max())} 次），共 {len(weekly)} 周有命中。")


def tests(rule: pd.Series) -> None:
    cases = rule["tests"] or []
    if not cases:
        st.caption("该规则没有内嵌测试。")
        return
    st.markdown(f"**内嵌测试（{len(cases)}）**")
    st.dataframe(pd.DataFrame({
        "测试": [t["name"] for t in cases], "审计时点": [t["as_of"] for t in cases],
        "预期预警": ["、".join(t["expect"]) or "无" for t in cases],
    }), hide_index=True, width="stretch", key=f"rule_tests_{rule['rule_id']}")
