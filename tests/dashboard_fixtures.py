"""A small, fully known district database for the dashboard tests, built by direct INSERTs.

Three departments, four items, sixty-odd cases with their events, officers, disclosures (some late,
some missing, one exposing a whole ID number and a phone number), flags in every state, a
supervision order, two runs, load reconciliation and quarantined rows. The real chain (generate →
ingest → audit) is exercised elsewhere; this fixture is for tests that need to know exactly which
flag belongs to which department.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from audit import history
from sunlight import calendar as cal
from sunlight import db

AS_OF = dt.datetime(2026, 3, 16, 18, 0)
DEPARTMENTS = [
    ("D01", "区市场监督管理局", "区直部门"),
    ("D02", "区住房和城乡建设局", "区直部门"),
    ("D03", "区教育局", "区直部门"),
]
# item_code, name, kind, dept, legal, promised, unit, fee, disclosure_limit, platform
ITEMS = [
    ("I01", "食品经营许可", "行政许可", "D01", 20, 10, "workday", 0, 3, "qyzx"),
    ("I02", "建筑工程施工许可", "行政许可", "D02", 20, 12, "workday", 100, 3, "qyzx"),
    ("I03", "食品安全违法行为处罚", "行政处罚", "D01", None, None, None, 0, 3, "zfba"),
    ("I04", "教师资格认定", "公共服务", "D03", 30, 20, "workday", 0, None, "mszx"),
]
SURNAMES = "张王李赵刘陈杨黄周吴"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇"]
ORGS = ["哈尔滨平房食品有限公司", "平房区顺达建筑工程有限公司", "新城餐饮店", "东方超市有限公司"]
EXPOSED_ID = "230108198512034517"
EXPOSED_PHONE = "13904512345"


@dataclass
class Fixture:
    """What the tests need to know about the built database."""

    path: Path
    as_of: dt.datetime = AS_OF
    red_flag: dict[str, str] = field(default_factory=dict)      # D01 red flag: flag_id, case_id
    other_flag: dict[str, str] = field(default_factory=dict)    # D02 flag: flag_id, case_id
    ordered_flag: dict[str, str] = field(default_factory=dict)  # D01 flag with an issued order
    order_id: int = 0
    exposed_case: str = ""
    flag_count: dict[str, int] = field(default_factory=dict)    # active flags per department


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def flag_id_for(rule_id: str, subject: str, occurrence: str = "") -> str:
    return _sha(f"{rule_id}|{subject}|{occurrence}")[:16]


class _Builder:
    def __init__(self, con: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
        self.con = con
        self.rng = rng
        self.events: list[tuple[object, ...]] = []
        self.cases: list[tuple[object, ...]] = []
        self.flags: list[dict[str, object]] = []
        self.history: list[history.Entry] = []
        self.disclosures: list[tuple[object, ...]] = []
        self.workday = {r[0]: r[1] for r in con.execute("SELECT day, workday_no FROM calendar").fetchall()}
        self.days_by_no = {
            r[1]: r[0] for r in con.execute("SELECT day, workday_no FROM calendar WHERE is_workday").fetchall()
        }

    def workdays_between(self, a: dt.datetime, b: dt.datetime) -> int:
        return int(self.workday[b.date()] - self.workday[a.date()])

    def add_workdays(self, a: dt.datetime, n: int) -> dt.date:
        return self.days_by_no[self.workday[a.date()] + n]

    def event(self, case_id: str, seq: int, activity: str, ts: dt.datetime, dept: str, system: str,
              **extra: object) -> None:
        event_id = _sha(f"{case_id}|{seq}|{activity}")[:20]
        self.events.append((
            event_id, case_id, seq, activity, activity.lower(), ts, extra.get("actor", "U01"),
            extra.get("officers"), dept, extra.get("doc_type"), extra.get("doc_no"), extra.get("amount"),
            json.dumps(extra.get("attrs", {}), ensure_ascii=False), system, f"{system}_export.csv", seq, 1,
        ))

    def flag(self, rule_id: str, case_id: str, dept: str, item: str, system: str, category: str,
             level: str, title: str, message: str, *, state: str = "open", due: dt.datetime | None = None,
             overdue: int | None = None, left: int | None = None, seen: dt.datetime = AS_OF,
             active: bool = True, evidence: dict[str, object] | None = None) -> str:
        fid = flag_id_for(rule_id, case_id)
        yellow_at = seen if level == "yellow" else None
        red_at = seen if level == "red" else None
        self.flags.append(dict(
            flag_id=fid, rule_id=rule_id, rule_version=1, case_id=case_id, occurrence="",
            violation_code=rule_id.split(".")[-1], dept_code=dept, item_code=item, source_system=system,
            category=category, level=level, state=state, title=title, message=message,
            evidence=json.dumps(evidence or {"events": []}, ensure_ascii=False), due_at=due,
            days_overdue=overdue, days_left=left, first_seen_at=seen, last_seen_at=AS_OF,
            yellow_at=yellow_at, red_at=red_at, first_run_id=1 if seen < AS_OF - dt.timedelta(days=1) else 2,
            last_run_id=2, active=active,
        ))
        run_id = 1 if seen < AS_OF - dt.timedelta(days=1) else 2
        self.log(fid, seen, "system:audit", "raise", None, "open", level, {"run_id": run_id, "rule_version": 1})
        return fid

    def log(self, flag_id: str, at: dt.datetime, actor: str, action: str, from_state: str | None,
            to_state: str, level: str, detail: dict[str, object]) -> None:
        self.history.append(history.Entry(flag_id, action, from_state, to_state, level, actor, at, detail))


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows into the table's first len(row) columns (later migrations only append columns)."""
    if not rows:
        return
    width = len(rows[0])
    names = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()][:width]
    con.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * width)})",
                    [list(r) for r in rows])


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
    digits = "2301" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    return name, digits


def _masked(id_no: str) -> str:
    return id_no[:4] + "*" * 10 + id_no[-4:]


def build(path: Path, *, seed: int = 7) -> Fixture:
    """Create the fixture database at ``path`` and return what is known about it."""
    con = db.connect(path)
    cal.ensure_calendar(con, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    rng = random.Random(seed)
    fx = Fixture(path=path)
    b = _Builder(con, rng)
    for code, name, kind in DEPARTMENTS:
        _insert(con, "departments", [(code, name, kind, "departments.csv", 1, 1)])
    for row, (code, name, kind, dept, legal, promised, unit, fee, disc, system) in enumerate(ITEMS, 1):
        _insert(con, "items", [(code, name, kind, dept, legal, promised, unit, fee, "按省物价局核定标准" if fee else None,
                                ["申请书", "身份证明"], disc, True, [system], "items.csv", row, 1)])
    officers = [
        ("O01", "孙立", "D01", "ZF2301001", dt.date(2023, 1, 1), dt.date(2027, 12, 31)),
        ("O02", "钱明", "D01", "ZF2301002", dt.date(2023, 1, 1), dt.date(2026, 1, 31)),
        ("O03", "郑华", "D01", None, None, None),
        ("O04", "冯刚", "D02", "ZF2301004", dt.date(2024, 1, 1), dt.date(2028, 1, 1)),
    ]
    for row, officer in enumerate(officers, 1):
        _insert(con, "officers", [(*officer, "officers.csv", row, 1)])
    _insert(con, "discretion", [("V01", "一般", "I03", "无证经营", 1000, 5000, "d.csv", 1, 1)])

    _service_cases(b, fx)
    _enforcement_cases(b, fx)
    _write(con, b, fx)
    con.close()
    return fx


def _service_cases(b: _Builder, fx: Fixture) -> None:
    rng = b.rng
    start = dt.datetime(2026, 1, 5, 9, 0)
    plan = [("I01", "D01", "qyzx")] * 22 + [("I02", "D02", "qyzx")] * 16 + [("I04", "D03", "mszx")] * 10
    for n, (item, dept, system) in enumerate(plan, 1):
        case_id = f"{system}:S{n:04d}"
        name, id_no = _person(rng)
        submitted = start + dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 6))
        if submitted > AS_OF - dt.timedelta(days=1):
            submitted = AS_OF - dt.timedelta(days=5)
        promised = {"I01": 10, "I02": 12, "I04": 20}[item]
        near_due = n % 6 == 0
        if near_due:  # open, one or two working days left
            day = b.days_by_no[b.workday[AS_OF.date()] - promised + 1 + n % 12 // 6]
            submitted = dt.datetime.combine(day, dt.time(9, 30))
        accepted = submitted + dt.timedelta(hours=2)
        seq = 1
        b.event(case_id, seq, "SUBMIT", submitted, dept, system)
        seq += 1
        b.event(case_id, seq, "ACCEPT", accepted, dept, system, doc_type="受理通知书", doc_no=f"受{n:04d}")
        paused = n % 5 == 0 and not near_due
        if paused:
            seq += 1
            b.event(case_id, seq, "SUPPLEMENT_NOTICE", accepted + dt.timedelta(days=1), dept, system,
                    doc_type="补正告知书", doc_no=f"补{n:04d}")
            seq += 1
            b.event(case_id, seq, "SUPPLEMENT_RECEIVED", accepted + dt.timedelta(days=4), dept, system)
        if n % 7 == 0 and not near_due:
            seq += 1
            b.event(case_id, seq, "EXTEND", accepted + dt.timedelta(days=6), dept, system,
                    doc_type="延期决定书", doc_no=f"延{n:04d}")
        duration = rng.choice([5, 8, 12, 16, 22, 30]) if not near_due else 60
        decided = accepted + dt.timedelta(days=duration, hours=3)
        closed = decided <= AS_OF
        fee = 0 if item != "I02" else (100 if n % 4 else 150)
        if closed:
            seq += 1
            b.event(case_id, seq, "REVIEW", accepted + dt.timedelta(days=5 if paused else 2), dept, system)
            seq += 1
            b.event(case_id, seq, "DECIDE", decided, dept, system, doc_type="准予许可决定书", doc_no=f"准{n:04d}")
            if fee:
                seq += 1
                b.event(case_id, seq, "CHARGE", decided, dept, system, amount=fee)
            seq += 1
            b.event(case_id, seq, "DELIVER", decided + dt.timedelta(days=1), dept, system)
            seq += 1
            b.event(case_id, seq, "CLOSE", decided + dt.timedelta(days=1), dept, system)
        b.cases.append((
            case_id, system, f"S{n:04d}", item, dept, "service", "person", name, _masked(id_no), _sha(id_no),
            submitted, accepted, decided + dt.timedelta(days=1) if closed else None, "准予" if closed else None,
            fee, f"R{n:05d}" if fee else None, ["申请书", "身份证明"], None, None, None, None,
            f"许准字〔2026〕{n}号" if closed else None, "W01", f"{system}_cases.csv", n, 1,
        ))
        if closed and item != "I04" and n % 3:
            published = dt.datetime.combine(b.add_workdays(decided, 1 + n % 5), dt.time(9, 30))
            if published <= AS_OF:
                b.disclosures.append((
                    f"GX{n:04d}", case_id if n % 2 else None, f"许准字〔2026〕{n}号", published, None,
                    f"https://gov.example/gs/x{n}", "行政许可决定", name, None, None,
                    f"许准字〔2026〕{n}号：准予{name}的申请。", "gswz", "gswz.jsonl", 100 + n, 1))
        stop = decided if closed else AS_OF
        used = b.workdays_between(accepted, stop) - (2 if paused else 0)
        limit = promised + (10 if n % 7 == 0 and not near_due else 0)
        due = dt.datetime.combine(b.add_workdays(accepted, limit + (2 if paused else 0)), dt.time(17, 30))
        evidence = {"start": accepted.isoformat(), "limit": limit, "used": used, "due": due.isoformat(),
                    "pauses": [[(accepted + dt.timedelta(days=1)).isoformat(),
                                (accepted + dt.timedelta(days=4)).isoformat()]] if paused else []}
        title = "受理至决定超过承诺时限"
        if used > limit:
            msg = (f"办件{case_id}于{accepted:%Y-%m-%d}受理，承诺时限{limit}个工作日，截止{due:%Y-%m-%d}，"
                   f"至{stop:%Y-%m-%d}已用{used}个工作日，超期{used - limit}个工作日。")
            fid = b.flag("T_PROMISED", case_id, dept, item, system, "时效", "red", title, msg, due=due,
                         overdue=used - limit, seen=min(AS_OF, due + dt.timedelta(days=1)), evidence=evidence)
            if dept == "D01" and not fx.red_flag:
                fx.red_flag = {"flag_id": fid, "case_id": case_id}
            if dept == "D02" and not fx.other_flag:
                fx.other_flag = {"flag_id": fid, "case_id": case_id}
        elif not closed and limit - used <= 2:
            msg = (f"办件{case_id}于{accepted:%Y-%m-%d}受理，承诺时限{limit}个工作日，截止{due:%Y-%m-%d}，"
                   f"剩余{limit - used}个工作日。")
            b.flag("T_PROMISED", case_id, dept, item, system, "时效", "yellow", title, msg, due=due,
                   left=limit - used, evidence=evidence)
        if fee > 100 and closed:
            b.flag("C_FEE_ABOVE_STANDARD", case_id, dept, item, system, "内容", "red", "收费高于公示收费标准",
                   f"办件{case_id}收费{fee}元，高于公示收费标准100元。", seen=decided)


def _enforcement_cases(b: _Builder, fx: Fixture) -> None:
    rng = b.rng
    for n in range(1, 15):
        case_id = f"zfba:E{n:04d}"
        filed = dt.datetime(2025, 12, 1, 10) + dt.timedelta(days=4 * n)
        person = n % 3 != 0
        party, id_no = _person(rng) if person else (rng.choice(ORGS), "")
        officers = ["O01", "O02"] if n % 4 else ["O01", "O03"]
        decided = filed + dt.timedelta(days=20 + n)
        fine = 3000 if n % 6 else 8000
        decision_no = f"平市监罚〔2026〕{n}号"
        steps = [("FILE_CASE", filed, {}), ("INVESTIGATE", filed + dt.timedelta(days=3), {"officers": officers}),
                 ("NOTIFY", decided - dt.timedelta(days=5), {"doc_type": "行政处罚告知书", "doc_no": f"告{n}"}),
                 ("PENALTY_DECISION", decided, {"officers": officers, "amount": fine,
                                                "doc_type": "行政处罚决定书", "doc_no": decision_no}),
                 ("DELIVER", decided + dt.timedelta(days=2), {"doc_type": "送达回证", "doc_no": f"送{n}"})]
        for seq, (activity, ts, extra) in enumerate(steps, 1):
            b.event(case_id, seq, activity, ts, "D01", "zfba", **extra)
        b.cases.append((
            case_id, "zfba", f"E{n:04d}", "I03", "D01", "enforcement", "person" if person else "org", party,
            _masked(id_no) if id_no else None, _sha(id_no) if id_no else None, filed, filed, decided, "处罚",
            None, None, None, "V01", "一般", fine, "无证经营", decision_no, None, "zfba_cases.csv", n, 1,
        ))
        lag = [1, 2, 3, 5, None][n % 5]
        if lag is not None:
            published = dt.datetime.combine(b.add_workdays(decided, lag), dt.time(10))
            content = f"{decision_no}：当事人{party}因无证经营被处以罚款{fine}元。"
            if n == 2:
                content = f"{decision_no}：当事人{party}（身份证号{EXPOSED_ID}，电话{EXPOSED_PHONE}）因无证经营被处以罚款{fine}元。"
                fx.exposed_case = case_id
                b.flag("D_ID_EXPOSED", case_id, "D01", "I03", "zfba", "公示", "red", "公示内容含完整身份证号码",
                       f"公示{decision_no}的内容含完整身份证号码。", seen=published)
            b.disclosures.append((f"GS{n:04d}", case_id, decision_no, published, None, f"https://gov.example/gs/{n}",
                                  f"行政处罚决定书{decision_no}", party, fine, "无证经营", content, "gswz",
                                  "gswz.jsonl", n, 1))
            if lag > 3:
                b.flag("D_LATE", case_id, "D01", "I03", "zfba", "公示", "red", "执法结果未在规定期限内公示",
                       f"处罚决定{decision_no}于{decided:%Y-%m-%d}作出，{published:%Y-%m-%d}公示，"
                       f"用时{lag}个工作日，超过3个工作日。", seen=published)
        elif b.workdays_between(decided, AS_OF) > 3:
            b.flag("D_MISSING", case_id, "D01", "I03", "zfba", "公示", "red", "执法结果应公示未公示",
                   f"处罚决定{decision_no}于{decided:%Y-%m-%d}作出，至{AS_OF:%Y-%m-%d}未公示。")
        if "O03" in officers:
            fid = b.flag("C_UNCERTIFIED_OFFICER", case_id, "D01", "I03", "zfba", "内容", "red",
                         "执法人员无有效执法证件", f"办件{case_id}的执法人员郑华无执法证件。",
                         seen=decided)
            if not fx.ordered_flag:
                fx.ordered_flag = {"flag_id": fid, "case_id": case_id}


def _write(con: duckdb.DuckDBPyConnection, b: _Builder, fx: Fixture) -> None:
    _insert(con, "cases", b.cases)
    _insert(con, "events", b.events)
    _insert(con, "disclosures", b.disclosures)
    # people's steps on a few flags
    by_id = {f["flag_id"]: f for f in b.flags}
    ordered = by_id[fx.ordered_flag["flag_id"]]
    at = AS_OF - dt.timedelta(days=3)
    b.log(ordered["flag_id"], at, "inspector1", "acknowledge", "open", "acknowledged", "red", {})
    b.log(ordered["flag_id"], at + dt.timedelta(hours=1), "inspector1", "order", "acknowledged", "rectifying",
          "red", {"order_id": 1, "feedback_due": "2026-03-20"})
    ordered["state"] = "rectifying"
    con.execute(
        "INSERT INTO supervision_orders VALUES (1, ?, 'D01', 'inspector1', ?, DATE '2026-03-20', ?, 'issued',"
        " NULL, NULL, NULL, NULL, NULL, NULL)",
        [ordered["flag_id"], at + dt.timedelta(hours=1), "请核查执法人员资格并于期限内反馈整改情况。"],
    )
    con.execute("SELECT nextval('order_seq')")
    fx.order_id = 1
    states = ["acknowledged", "resolved", "dismissed"]
    for i, f in enumerate(x for x in b.flags if x["level"] == "yellow"):
        if i < len(states):
            f["state"] = states[i]
            b.log(str(f["flag_id"]), AS_OF + dt.timedelta(minutes=10), "inspector1", states[i][:-1]
                  if states[i] != "dismissed" else "dismiss", "open", states[i], "yellow",
                  {"reason": "已核实"})
    columns = list(b.flags[0])
    con.executemany(f"INSERT INTO flags ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [[f[c] for c in columns] for f in b.flags])
    other = by_id[fx.other_flag["flag_id"]]
    other["yellow_at"] = other["first_seen_at"]
    b.log(str(other["flag_id"]), AS_OF - dt.timedelta(hours=16), "system:audit", "escalate", "open", "open", "red",
          {"run_id": 2, "from_level": "yellow", "rule_version": 1})
    history.append(con, sorted(b.history, key=lambda e: e.recorded_at))
    for run_id in (1, 2):
        con.execute(
            "INSERT INTO history_anchors SELECT ?, ?, entry_no, hash FROM flag_history WHERE entry_no = (SELECT"
            " max(entry_no) FROM flag_history WHERE json_extract_string(detail, '$.run_id') = ?)",
            [AS_OF - dt.timedelta(days=2 - run_id, hours=15), run_id, str(run_id)])
    runs = [(1, "nightly", AS_OF - dt.timedelta(days=1, hours=16), AS_OF - dt.timedelta(days=1, hours=15),
             AS_OF - dt.timedelta(days=1, hours=16), "default-1", "ok", {"raised": 40}, []),
            (2, "nightly", AS_OF - dt.timedelta(hours=16), AS_OF - dt.timedelta(hours=15, minutes=50),
             AS_OF - dt.timedelta(hours=16), "default-1", "partial", {"raised": 5}, [{"rule": "D_MISMATCH",
                                                                                      "error": "示例错误"}])]
    for run in runs:
        _insert(con, "runs", [[*run[:7], json.dumps(run[7]), json.dumps(run[8], ensure_ascii=False)]])
        con.execute("SELECT nextval('run_seq')")
    _insert(con, "loads", [(1, AS_OF - dt.timedelta(days=2), AS_OF - dt.timedelta(days=2), "committed",
                             "Asia/Shanghai", "0.1.0")])
    con.execute("SELECT nextval('load_seq')")
    files = [("qyzx_cases.csv", "qyzx", "cases", 38, 38, 0), ("zfba_cases.csv", "zfba", "cases", 14, 14, 0),
             ("qyzx_events.csv", "qyzx", "events", 240, 205, 35), ("gswz.jsonl", "gswz", "disclosures", 12, 12, 0)]
    for name, platform, record, read, loaded, quarantined in files:
        con.execute("INSERT INTO load_files (load_id, file_name, sha256, platform, record, rows_read, rows_loaded,"
                    " rows_quarantined, outcome) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 'loaded')",
                    [name, _sha(name), platform, record, read, loaded, quarantined])
    for row in range(1, 36):
        con.execute("INSERT INTO quarantine (load_id, file_name, row_number, raw, reason, column_name, hint)"
                    " VALUES (1, 'qyzx_events.csv', ?, ?, ?, ?, ?)",
                    [row + 1, json.dumps({"办件编号": f"X{row}", "时间": "2026-02-30"}, ensure_ascii=False),
                     "日期不存在：2026-02-30", "时间", "核对导出文件中的日期"])
    for code, category, title in [("T_PROMISED", "时效", "受理至决定超过承诺时限"),
                                  ("C_FEE_ABOVE_STANDARD", "内容", "收费高于公示收费标准"),
                                  ("D_LATE", "公示", "执法结果未在规定期限内公示")]:
        _insert(con, "rule_versions", [(code, 1, dt.date(2026, 1, 1), "deadline", category, title, "{}", _sha(code))])
    fx.flag_count = {
        r[0]: int(r[1]) for r in con.execute(
            "SELECT dept_code, count(*) FROM flags WHERE active GROUP BY dept_code").fetchall()
    }


# --- pytest fixtures and AppTest helpers (import them into a test module by name) ------------------

import dataclasses  # noqa: E402
import shutil  # noqa: E402

import pytest  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard import auth  # noqa: E402
from dashboard.viewer import Role, Viewer  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
# login: (role, department, password, display name)
USERS: dict[str, tuple[str, str | None, str, str]] = {
    "inspector1": ("inspector", None, "inspector-pass", "王监察"),
    "d01_head": ("department", "D01", "d01-head-pass", "李科长"),
    "d02_head": ("department", "D02", "d02-head-pass", "赵科长"),
}
INSPECTOR = Viewer(Role.INSPECTOR, user="inspector1", display_name="王监察")
D01_HEAD = Viewer(Role.DEPARTMENT, "D01", user="d01_head", display_name="李科长")
D02_HEAD = Viewer(Role.DEPARTMENT, "D02", user="d02_head", display_name="赵科长")


def write_users(path: Path) -> Path:
    for login, (role, dept, password, name) in USERS.items():
        auth.add_user(path, login, role=Role(role), password=password, name=name, dept_code=dept)
    return path


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    folder = tmp_path_factory.mktemp("dashboard_fixture")
    fx = build(folder / "district.duckdb")
    write_users(folder / "users.toml")
    return fx


@pytest.fixture
def fixture_db(built_fixture: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fixture:
    """A private copy of the fixture database (actions change it), served to AppTest via the environment."""
    path = tmp_path / "district.duckdb"
    shutil.copy2(built_fixture.path, path)
    shutil.copy2(built_fixture.path.parent / "users.toml", tmp_path / "users.toml")
    monkeypatch.setenv("SUNLIGHT_DB", str(path))
    monkeypatch.setenv("SUNLIGHT_USERS", str(tmp_path / "users.toml"))
    return dataclasses.replace(built_fixture, path=path)


def app(viewer: Viewer | None = None, *, page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    """Run the dashboard as ``viewer`` (None: the public) and switch to ``page`` (e.g. "app_pages/case.py")."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    at.run()
    if query:
        for key, value in query.items():
            at.query_params[key] = value
    if page is not None:
        at.switch_page(page).run()
    return at


def frame(at: AppTest, *columns: str) -> Any:
    """The first table (as a DataFrame) that has all of ``columns``."""
    for element in [*at.dataframe, *at.table]:
        if set(columns) <= set(element.value.columns):
            return element.value
    raise KeyError(f"no table with columns {columns}")


def texts(at: AppTest) -> str:
    """Every piece of text the run produced (markdown, captions, tables, metrics, alerts, json)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "text", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.value.to_csv() if hasattr(e.value, "to_csv") else str(e.value) for e in [*at.dataframe, *at.table]]
    parts += [str(e.value) for e in at.json]
    parts += [str(e.label) for e in at.expander]
    for widget in ("selectbox", "multiselect", "radio"):
        for w in getattr(at, widget):
            parts += [str(o) for o in w.options]
    return "\n".join(parts)


def scalar(fx: Fixture, sql: str, params: list[object] | None = None) -> object:
    """One value straight from the fixture database (expected values come from here, not the app)."""
    con = duckdb.connect(str(fx.path), read_only=True)
    try:
        row = con.execute(sql, params or []).fetchone()
    finally:
        con.close()
    return None if row is None else row[0]


# --- the real chain: generate a small district, ingest it, audit it ---------------------------------

@dataclass(frozen=True)
class Chain:
    path: Path
    as_of: str
    out_dir: Path


def build_chain(folder: Path, *, cases: int = 300, seed: int = 7) -> Chain:
    """``sunlight generate`` → ``sunlight ingest`` → ``sunlight audit`` into ``folder/district.duckdb``."""
    import subprocess
    import sys

    out, path = folder / "sample", folder / "district.duckdb"

    def run(*args: str, ok: tuple[int, ...] = (0,)) -> None:
        done = subprocess.run([sys.executable, "-m", "sunlight", *args], capture_output=True, text=True,
                              timeout=900, cwd=Path(__file__).resolve().parents[1])
        assert done.returncode in ok, f"sunlight {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"

    run("generate", str(out), "--cases", str(cases), "--seed", str(seed))
    as_of = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))["as_of"]
    run("ingest", str(out / "exports"), "--db", str(path), ok=(0, 10))
    run("audit", "--db", str(path), "--as-of", as_of, ok=(0, 10))
    return Chain(path, as_of, out)
