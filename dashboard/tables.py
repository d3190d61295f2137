"""Tables as shown: Chinese headers, labels for codes, blanks instead of missing values."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from dashboard import labels


def blank_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Missing values shown as empty cells (not "None"); whole numbers without decimals."""
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = ["" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M") for v in series]
        elif pd.api.types.is_bool_dtype(series):
            continue
        elif series.isna().any() or series.dtype == object:
            out[column] = [_cell(v) for v in series]
    return out


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return str(value)


def _json(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return text


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The run history with the run's counts spelled out (the full JSON stays in the database)."""
    counts = [_json(c) or {} for c in runs["counts"]]
    errors = [_json(e) or [] for e in runs["errors"]]
    flags = [c.get("flags", {}) if isinstance(c, dict) else {} for c in counts]
    ingest = [c.get("ingest", {}) if isinstance(c, dict) else {} for c in counts]
    return blank_missing(pd.DataFrame({
        "运行号": runs["run_id"],
        "类型": [labels.label(labels.RUN_KINDS, k) for k in runs["kind"]],
        "开始": runs["started_at"], "结束": runs["finished_at"], "用时(秒)": runs["seconds"],
        "审计时点": runs["as_of"],
        "结果": [labels.label(labels.RUN_STATUS, s) for s in runs["status"]],
        "规则数": [c.get("rules") if isinstance(c, dict) else None for c in counts],
        "发现": [c.get("findings") if isinstance(c, dict) else None for c in counts],
        "新入牌": [f.get("raised") for f in flags], "升级为红牌": [f.get("escalated") for f in flags],
        "条件消除": [f.get("cleared") for f in flags],
        "载入行数": [i.get("rows_loaded") for i in ingest], "隔离行数": [i.get("rows_quarantined") for i in ingest],
        "问题": [len(e) if isinstance(e, list) else "" for e in errors],
        "规则包版本": runs["rule_pack_version"],
    }))


def run_problems(runs: pd.DataFrame) -> list[str]:
    """The newest run's problems as sentences."""
    if runs.empty:
        return []
    errors = _json(runs.iloc[0]["errors"]) or []
    out = []
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            where = error.get("rule") or error.get("rule_id") or error.get("file") or ""
            out.append(f"{where}：{error.get('message') or error.get('error') or json.dumps(error, ensure_ascii=False)}")
        else:
            out.append(str(error))
    return out
