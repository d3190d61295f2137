"""ingest_paths end to end on the hand-made district: every platform, reconciliation, order,
re-loading, replacement, time zones, ties, the calendar, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ingest.api import IngestReport, Progress, ingest_paths
from sunlight import db
from sunlight.config import Settings
from sunlight.errors import CalendarError, IngestError

DISTRICT = Path(__file__).parent / "data" / "ingest" / "district"
SETTINGS = Settings()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return db.memory()


@pytest.fixture
def district(tmp_path: Path) -> Path:
    target = tmp_path / "exports"
    shutil.copytree(DISTRICT, target)
    return target


def by_name(report: IngestReport) -> dict[str, tuple[str, int, int, int]]:
    return {f.name: (f.outcome, f.read, f.loaded, f.quarantined) for f in report.files}


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


def quarantine(con: duckdb.DuckDBPyConnection, file_name: str) -> list[tuple[int, str, str | None]]:
    return [(int(r[0]), str(r[1]), r[2]) for r in con.execute(
        "SELECT row_number, reason, column_name FROM quarantine WHERE file_name = ? ORDER BY record, row_number",
        [file_name]).fetchall()]


# --- every platform ---------------------------------------------------------------------------

EXPECTED_FILES = {
    "departments.csv": ("loaded", 4, 4, 0),
    "items.csv": ("loaded", 4, 4, 0),
    "officers.csv": ("loaded", 3, 3, 0),
    "discretion.csv": ("loaded", 2, 2, 0),
    "qyzx_cases.csv": ("loaded", 3, 3, 0),
    "qyzx_events.csv": ("loaded", 9, 9, 0),
    "mszx_001.xlsx": ("loaded", 8, 8, 0),
    "sqzx_cases.csv": ("loaded", 2, 2, 0),
    "sqzx_events.csv": ("loaded", 5, 5, 0),
    "wsdt_cases.jsonl": ("loaded", 2, 2, 0),
    "wsdt_events.jsonl": ("loaded", 4, 4, 0),
    "xtbg.xes": ("loaded", 6, 6, 0),
    "zfba_cases.csv": ("loaded", 1, 1, 0),
    "zfba_events.csv": ("loaded", 4, 4, 0),
    "gswz_disclosures.jsonl": ("loaded", 1, 1, 0),
}


def test_whole_district_loads_clean(con: duckdb.DuckDBPyConnection) -> None:
    report = ingest_paths(con, [DISTRICT], SETTINGS)
    assert by_name(report) == EXPECTED_FILES
    assert not report.needs_attention
    assert scalar(con, "SELECT count(*) FROM cases") == 12
    assert scalar(con, "SELECT count(*) FROM events") == 32
    assert scalar(con, "SELECT count(*) FROM quarantine") == 0
    rows = con.execute("SELECT file_name, rows_read, rows_loaded, rows_quarantined, outcome FROM load_files"
                       " WHERE load_id = ?", [report.load_id]).fetchall()
    assert {r[0]: (r[4], r[1], r[2], r[3]) for r in rows} == EXPECTED_FILES


@pytest.mark.parametrize(
    ("case_id", "expected"),
    [
        ("qyzx:Q0001", ("I02", "D02", "org", "9123**********3D4X", dt.datetime(2026, 3, 2, 9, 15),
                        ["申请表", "营业执照", "场所证明"])),
        ("mszx:M0001", ("I03", "D03", "person", "2301**********1236", dt.datetime(2026, 3, 9, 8, 40),
                        ["申请表", "收入证明"])),
        ("sqzx:SQ001", ("I03", "S01", "person", "2301**********123X", dt.datetime(2026, 3, 4, 14, 5),
                        ["申请表", "收入证明"])),
        ("sqzx:SQ002", ("I02", "S01", "org", "9223**********003C", dt.datetime(2026, 3, 5, 9, 10), ["申请表"])),
        ("wsdt:WS0001", ("I01", "D01", "org", "9123**********004D", dt.datetime(2026, 3, 6, 4, 30),
                         ["申请表", "项目说明"])),
        ("xtbg:XT0001", ("I02", "D02", "org", "9123**********005E", dt.datetime(2026, 3, 2, 7, 30),
                         ["申请表", "营业执照"])),
        ("zfba:ZF0001", ("P01", "D02", "org", "9223**********006F", dt.datetime(2026, 3, 2, 9, 0), None)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_case_fields_per_platform(con: duckdb.DuckDBPyConnection, case_id: str, expected: tuple[object, ...]) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    row = con.execute("SELECT item_code, dept_code, applicant_type, applicant_id_masked, submitted_at, materials"
                      " FROM cases WHERE case_id = ?", [case_id]).fetchone()
    assert row == expected


def test_identity_numbers_are_hashed_never_stored(con: duckdb.DuckDBPyConnection) -> None:
    import hashlib

    ingest_paths(con, [DISTRICT], SETTINGS)
    assert scalar(con, "SELECT applicant_id_hash FROM cases WHERE case_id = 'sqzx:SQ001'") == \
        hashlib.sha256(b"23010819700202123X").hexdigest()
    dump = str(con.execute("SELECT * FROM cases").fetchall())
    assert "230108199001011234" not in dump and "23010819700202123X" not in dump


def test_enforcement_and_disclosure_fields(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    assert con.execute("SELECT applicant_name, fine_amount, violation_code, decision_no FROM cases"
                       " WHERE case_id = 'zfba:ZF0001'").fetchone() == ("𠮷祥小吃店", 1000, "V01", "哈市监罚〔2026〕1号")
    assert con.execute("SELECT officer_ids, amount FROM events WHERE case_id = 'zfba:ZF0001' AND seq = 4").fetchone() \
        == (["O01", "O02"], 1000)
    assert con.execute("SELECT case_id, published_at, source_system FROM disclosures").fetchone() == \
        ("zfba:ZF0001", dt.datetime(2026, 3, 11, 9), "gswz")


def test_event_attributes_and_activity_codes(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    rows = con.execute("SELECT activity, source_activity, attrs::VARCHAR FROM events WHERE case_id = 'qyzx:Q0001'"
                       " ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ["SUBMIT", "ACCEPT", "REVIEW", "DECIDE", "CLOSE"]
    assert rows[1][2] == '{"办理意见":"材料齐全，予以受理"}'
    assert scalar(con, "SELECT amount FROM events WHERE case_id = 'wsdt:WS0002' AND activity = 'CHARGE'") == 12.5


# --- time zones, ties, order ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("case_id", "activity", "local"),
    [
        ("wsdt:WS0001", "SUBMIT", dt.datetime(2026, 3, 6, 4, 30)),    # 2026-03-05T20:30Z: the next local day
        ("wsdt:WS0001", "ACCEPT", dt.datetime(2026, 3, 6, 9, 0)),     # +08:00 kept as written
        ("wsdt:WS0002", "CHARGE", dt.datetime(2026, 3, 6, 10, 5)),    # 02:05Z
        ("xtbg:XT0001", "SUBMIT", dt.datetime(2026, 3, 2, 7, 30)),    # 2026-03-01T23:30Z
        ("sqzx:SQ002", "SUBMIT", dt.datetime(2026, 3, 5, 9, 10)),     # full-width digits
        ("sqzx:SQ001", "SUPPLEMENT_NOTICE", dt.datetime(2026, 3, 6, 10, 0)),  # 10时00分
    ],
    ids=lambda v: str(v),
)
def test_times_become_local_wall_clock(con: duckdb.DuckDBPyConnection, case_id: str, activity: str,
                                       local: dt.datetime) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    assert scalar(con, "SELECT ts FROM events WHERE case_id = ? AND activity = ?", [case_id, activity]) == local


def test_other_authority_time_zone(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [DISTRICT], Settings(timezone="Europe/Amsterdam"))
    # 2026-03-05T20:30Z is 21:30 in Amsterdam; a +08:00 time moves back 7 hours; local times stay.
    assert scalar(con, "SELECT ts FROM events WHERE case_id = 'wsdt:WS0001' AND seq = 1") == dt.datetime(2026, 3, 5, 21, 30)
    assert scalar(con, "SELECT ts FROM events WHERE case_id = 'wsdt:WS0001' AND seq = 2") == dt.datetime(2026, 3, 6, 2, 0)
    assert scalar(con, "SELECT ts FROM events WHERE case_id = 'qyzx:Q0001' AND seq = 1") == dt.datetime(2026, 3, 2, 9, 15)


@pytest.mark.parametrize("case_id", ["qyzx:Q0002", "xtbg:XT0001"])
def test_ties_in_time_keep_source_order(con: duckdb.DuckDBPyConnection, case_id: str) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    rows = con.execute("SELECT seq, activity, ts FROM events WHERE case_id = ? ORDER BY seq", [case_id]).fetchall()
    assert [r[1] for r in rows] == ["SUBMIT", "ACCEPT", "REVIEW"]
    assert rows[1][2] == rows[2][2]


def test_argument_order_does_not_matter(con: duckdb.DuckDBPyConnection, district: Path) -> None:
    events_first = [district / "qyzx_events.csv", district / "qyzx_cases.csv", district / "reference" / "items.csv"]
    report = ingest_paths(con, events_first, SETTINGS)
    assert not report.needs_attention
    assert scalar(con, "SELECT count(*) FROM events WHERE case_id LIKE 'qyzx:%'") == 9


def test_progress_is_reported(con: duckdb.DuckDBPyConnection) -> None:
    seen: list[Progress] = []
    ingest_paths(con, [DISTRICT / "qyzx_cases.csv", DISTRICT / "reference" / "items.csv"], SETTINGS,
                 progress=seen.append)
    assert [(p.step, p.done, p.total) for p in seen] == [
        ("recognise", 1, 2), ("recognise", 2, 2), ("load", 1, 2), ("load", 2, 2), ("finish", 2, 2)]


# --- re-loading -------------------------------------------------------------------------------

def test_same_file_again_is_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    before = scalar(con, "SELECT count(*) FROM events")
    again = ingest_paths(con, [DISTRICT], SETTINGS)
    assert {f.outcome for f in again.files} == {"unchanged"}
    assert again.totals.read == 0 and not again.needs_attention
    assert scalar(con, "SELECT count(*) FROM events") == before
    assert scalar(con, "SELECT count(*) FROM load_files WHERE load_id = ? AND outcome = 'unchanged'",
                  [again.load_id]) == len(EXPECTED_FILES)


def test_corrected_re_export_replaces_what_the_file_loaded(con: duckdb.DuckDBPyConnection, district: Path) -> None:
    ingest_paths(con, [district], SETTINGS)
    events = district / "qyzx_events.csv"
    text = events.read_text(encoding="gbk")
    text = text.replace("Q0001,审查,2026-03-05 10:00:00", "Q0001,审查,2026-03-04 10:00:00")   # a corrected time
    text = text.replace("Q0003,不予受理,2026-03-04 15:00:00,U04,D01,不予受理通知书,发不受〔2026〕1号,,不属于本部门职责\n", "")
    events.write_text(text + "Q0003,办结,2026-03-04 16:00:00,U04,D01,,,,\nQ0001,未知环节,2026-03-04 16:00:00,U04,D01,,,,\n",
                      encoding="gbk")
    report = ingest_paths(con, [district], SETTINGS)
    outcomes = by_name(report)
    assert outcomes["qyzx_events.csv"] == ("replaced", 10, 9, 1)
    assert outcomes["qyzx_cases.csv"][0] == "unchanged"
    assert scalar(con, "SELECT count(*) FROM events WHERE source_file = 'qyzx_events.csv'") == 9
    assert con.execute("SELECT activity FROM events WHERE case_id = 'qyzx:Q0003' ORDER BY seq").fetchall() == [("CLOSE",)]
    assert scalar(con, "SELECT ts FROM events WHERE case_id = 'qyzx:Q0001' AND activity = 'REVIEW'") == \
        dt.datetime(2026, 3, 4, 10)
    assert [r[1][:7] for r in quarantine(con, "qyzx_events.csv")] == ["未知的环节名称"]


def test_refused_re_export_keeps_the_previous_load(con: duckdb.DuckDBPyConnection, district: Path) -> None:
    ingest_paths(con, [district], SETTINGS)
    (district / "qyzx_events.csv").write_bytes(b"")
    report = ingest_paths(con, [district / "qyzx_events.csv"], SETTINGS)
    assert by_name(report)["qyzx_events.csv"][0] == "refused"
    assert scalar(con, "SELECT count(*) FROM events WHERE source_file = 'qyzx_events.csv'") == 9


def test_two_different_files_with_one_name_stop_the_call(con: duckdb.DuckDBPyConnection, district: Path,
                                                         tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "items.csv").write_text("事项编码\nX\n", encoding="utf-8")
    with pytest.raises(IngestError, match="both named 'items.csv'"):
        ingest_paths(con, [district, other], SETTINGS)


def test_reseq_after_a_later_file_adds_earlier_events(con: duckdb.DuckDBPyConnection, district: Path) -> None:
    ingest_paths(con, [district], SETTINGS)
    extra = district / "qyzx_events_extra.csv"
    header = (district / "qyzx_events.csv").read_text(encoding="gbk").splitlines()[0]
    extra.write_text(header + "\nQ0001,收费,2026-03-02 09:15:00,U01,D02,,,20,\n", encoding="gbk")
    ingest_paths(con, [extra], SETTINGS)
    rows = con.execute("SELECT seq, activity FROM events WHERE case_id = 'qyzx:Q0001' ORDER BY seq").fetchall()
    # same time as SUBMIT, loaded later: after it
    assert rows[:3] == [(1, "SUBMIT"), (2, "CHARGE"), (3, "ACCEPT")]
    assert [r[0] for r in rows] == list(range(1, 7))


# --- bad input --------------------------------------------------------------------------------

def _append(path: Path, text: str, encoding: str) -> None:
    path.write_text(path.read_text(encoding=encoding) + text, encoding=encoding)


def _truncate(path: Path, keep: int) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep > 0 else data[:keep])


BAD_ROWS: list[tuple[str, str, Callable[[Path], None], list[tuple[int, str, str | None]]]] = [
    ("unknown activity", "sqzx_events.csv",
     lambda d: _append(d / "sqzx_events.csv", "SQ001,撤件,2026年3月7日 10:00,U31,S01,,,\n", "utf-8-sig"),
     [(6, "未知的环节名称「撤件」", "办理环节")]),
    ("unparseable time", "sqzx_events.csv",
     lambda d: _append(d / "sqzx_events.csv", "SQ001,受理,2026年13月7日 10:00,U31,S01,,,\n", "utf-8-sig"),
     [(6, "时间无法解析：「2026年13月7日 10:00」，ts（列「时间」）", "时间")]),
    ("missing required value", "sqzx_events.csv",
     lambda d: _append(d / "sqzx_events.csv", ",受理,2026年3月7日 10:00,U31,S01,,,\n", "utf-8-sig"),
     [(6, "缺少必填值：source_case_no（列「业务编号」）", "业务编号")]),
    ("duplicate event in the file", "sqzx_events.csv",
     lambda d: _append(d / "sqzx_events.csv", "SQ001,受理,2026年3月4日14:30,U31,S01,受理通知书,新受〔2026〕2号,\n", "utf-8-sig"),
     [(6, "重复的过程记录：与本文件第 2 行相同（同一办件、环节、时间和内容）", None)]),
    ("event of an unknown case", "sqzx_events.csv",
     lambda d: _append(d / "sqzx_events.csv", "SQ999,受理,2026年3月7日 10:00,U31,S01,,,\n", "utf-8-sig"),
     [(6, "所属办件「sqzx:SQ999」不存在（本次载入和数据库中都没有）", "业务编号")]),
    ("case of an unknown item", "sqzx_cases.csv",
     lambda d: _append(d / "sqzx_cases.csv", "SQ003,I99,S01,居民,陈静,,2026年3月4日 14:05,,,,,,\n", "utf-8-sig"),
     [(3, "事项编码「I99」不在事项目录中", "事项编码")]),
    ("duplicate case number", "sqzx_cases.csv",
     lambda d: _append(d / "sqzx_cases.csv", "SQ001,I03,S01,居民,陈静,,2026年3月4日 14:05,,,,,,\n", "utf-8-sig"),
     [(3, "办件编号重复：与本文件第 1 行的办件「sqzx:SQ001」相同", None)]),
    ("value outside the mapping's values", "sqzx_cases.csv",
     lambda d: _append(d / "sqzx_cases.csv", "SQ004,I03,S01,外星人,陈静,,2026年3月4日 14:05,,,,,,\n", "utf-8-sig"),
     [(3, "取值「外星人」不在映射的 values 中：applicant_type（列「申请人类别」）", "申请人类别")]),
    ("bad amount", "sqzx_cases.csv",
     lambda d: _append(d / "sqzx_cases.csv", "SQ004,I03,S01,居民,陈静,,2026年3月4日 14:05,,,,十元,,\n", "utf-8-sig"),
     [(3, "不是有效的金额：「十元」，fee_charged（列「收费金额」）", "收费金额")]),
    ("time without an offset under timezone: offset", "wsdt_events.jsonl",
     lambda d: _append(d / "wsdt_events.jsonl", '{"apply_no": "WS0001", "node": "review", "time": "2026-03-07T10:00:00"}\n',
                       "utf-8"),
     [(5, "时间缺少时区偏移：「2026-03-07T10:00:00」，ts（列「time」）", "time")]),
    ("a line that is not JSON", "wsdt_events.jsonl",
     lambda d: _append(d / "wsdt_events.jsonl", "\nnot json\n", "utf-8"),
     [(6, "不是有效的 JSON（该行可能被截断）", None)]),
    ("a CSV cut mid-row", "qyzx_events.csv",
     lambda d: _truncate(d / "qyzx_events.csv", -25),
     [(9, "列数不足：应有 9 列，只有 7 列（该行可能被截断）", None)]),
    ("a CSV cut inside a quoted value", "sqzx_events.csv",
     lambda d: _append(d / "sqzx_events.csv", 'SQ002,受理,2026年3月5日 09时30分,U32,S01,"受理通', "utf-8-sig"),
     [(6, "引号未闭合（文件可能在此行被截断）", None)]),
    ("bytes that are not GBK", "qyzx_events.csv",
     lambda d: (d / "qyzx_events.csv").write_bytes((d / "qyzx_events.csv").read_bytes()
                                                   + "Q0002,办结,2026-03-05 10:00:00,U04,D01,,,,".encode("gbk") + b"\xff\xff\n"),
     [(10, "编码错误：含有无法按 GBK 解码的字节", None)]),
    ("an event of a quarantined case", "sqzx_events.csv",
     lambda d: (_append(d / "sqzx_cases.csv", "SQ005,I99,S01,居民,陈静,,2026年3月4日 14:05,,,,,,\n", "utf-8-sig"),
                _append(d / "sqzx_events.csv", "SQ005,收件,2026年3月4日 14:05,U31,S01,,,\n", "utf-8-sig")),
     [(6, "所属办件「sqzx:SQ005」未载入：事项编码「I99」不在事项目录中（sqzx_cases.csv 第 3 行）", "业务编号")]),
]


@pytest.mark.parametrize(("name", "file_name", "damage", "expected"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_bad_rows_are_quarantined_with_a_reason(con: duckdb.DuckDBPyConnection, district: Path, name: str,
                                                file_name: str, damage: Callable[[Path], None],
                                                expected: list[tuple[int, str, str | None]]) -> None:
    damage(district)
    report = ingest_paths(con, [district], SETTINGS)
    assert report.needs_attention
    assert quarantine(con, file_name) == expected
    for f in report.files:
        assert f.read == f.loaded + f.quarantined, f.name
    hint = scalar(con, "SELECT hint FROM quarantine WHERE file_name = ?", [file_name])
    assert isinstance(hint, str) and hint
    raw = scalar(con, "SELECT raw FROM quarantine WHERE file_name = ?", [file_name])
    assert isinstance(raw, str) and raw.startswith("{")


def test_unknown_activity_hint_names_the_vocabulary_file(con: duckdb.DuckDBPyConnection, district: Path) -> None:
    _append(district / "sqzx_events.csv", "SQ001,撤件,2026年3月7日 10:00,U31,S01,,,\n", "utf-8-sig")
    ingest_paths(con, [district], SETTINGS)
    assert "community_centre.yaml" in str(scalar(con, "SELECT hint FROM quarantine"))


def _gzip_cut(path: Path) -> None:
    data = gzip.compress(path.read_bytes())
    path.with_name("xtbg.xes.gz").write_bytes(data[: len(data) // 2])
    path.unlink()


BAD_FILES: list[tuple[str, str, Callable[[Path], None], str]] = [
    ("empty file", "qyzx_cases.csv", lambda d: (d / "qyzx_cases.csv").write_bytes(b""), "空文件（0 字节）"),
    ("binary file", "qyzx_cases.csv", lambda d: (d / "qyzx_cases.csv").write_bytes(bytes(range(256)) * 8), "二进制文件"),
    ("UTF-16 text", "qyzx_cases.csv",
     lambda d: (d / "qyzx_cases.csv").write_bytes("办件编号\nQ1\n".encode("utf-16")), "UTF-16"),
    ("truncated workbook", "mszx_001.xlsx", lambda d: _truncate(d / "mszx_001.xlsx", 3000), "Excel 文件已损坏或不完整"),
    ("truncated .xes.gz", "xtbg.xes.gz", lambda d: _gzip_cut(d / "xtbg.xes"), "XES 文件不完整或格式错误"),
    ("XES cut mid-element", "xtbg.xes", lambda d: _truncate(d / "xtbg.xes", 900), "XES 文件不完整或格式错误"),
    ("missing required column", "zfba_cases.csv",
     lambda d: (d / "zfba_cases.csv").write_text(
         (d / "zfba_cases.csv").read_text(encoding="gb18030").replace("处罚事项编码", "事项"), encoding="gb18030"),
     "文件缺少必需的列：「处罚事项编码」"),
    ("unrecognised header", "notes.csv", lambda d: (d / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8"),
     "无法识别的 CSV 文件"),
    ("a zip that is not a workbook", "bundle.zip",
     lambda d: shutil.make_archive(str(d / "bundle"), "zip", d / "reference"), "压缩包不是 Excel 工作簿"),
]


@pytest.mark.parametrize(("name", "file_name", "damage", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_with_a_message(con: duckdb.DuckDBPyConnection, district: Path, name: str,
                                              file_name: str, damage: Callable[[Path], None], message: str) -> None:
    damage(district)
    report = ingest_paths(con, [district], SETTINGS)
    refused = {f.name: f for f in report.files if f.outcome == "refused"}
    assert list(refused) == [file_name]
    assert message in refused[file_name].message
    assert report.needs_attention
    assert scalar(con, "SELECT outcome FROM load_files WHERE file_name = ?", [file_name]) == "refused"
    assert scalar(con, "SELECT count(*) FROM cases WHERE source_file = ?", [file_name]) == 0


def test_extra_sheet_is_reported_and_skipped(con: duckdb.DuckDBPyConnection) -> None:
    report = ingest_paths(con, [DISTRICT / "reference", DISTRICT / "mszx_001.xlsx"], SETTINGS)
    workbook = next(f for f in report.files if f.name == "mszx_001.xlsx")
    assert workbook.outcome == "loaded" and workbook.quarantined == 0
    assert "工作表「说明」不在映射中，已跳过" in workbook.message
    assert {k: vars(c) for k, c in workbook.counts.items()} == {
        "cases": {"read": 2, "loaded": 2, "quarantined": 0}, "events": {"read": 6, "loaded": 6, "quarantined": 0}}


def test_header_only_file_loads_nothing_and_says_so(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "departments.csv"
    path.write_text("单位编码,单位名称,单位类型\n", encoding="utf-8")
    report = ingest_paths(con, [path], SETTINGS)
    assert by_name(report) == {"departments.csv": ("loaded", 0, 0, 0)}
    assert "没有数据行" in report.files[0].message


# --- the calendar -----------------------------------------------------------------------------

def test_a_year_without_calendar_stops_the_load(con: duckdb.DuckDBPyConnection, district: Path) -> None:
    _append(district / "qyzx_events.csv", "Q0002,办结,2027-01-05 10:00:00,U04,D01,,,,\n", "gbk")
    with pytest.raises(CalendarError, match="no working-day calendar for 2027"):
        ingest_paths(con, [district], SETTINGS)


def test_an_override_lets_the_year_in(con: duckdb.DuckDBPyConnection, district: Path, tmp_path: Path) -> None:
    from sunlight.calendar import template

    override = tmp_path / "2027.csv"
    override.write_text(template(2027), encoding="utf-8")
    _append(district / "qyzx_events.csv", "Q0002,办结,2027-01-05 10:00:00,U04,D01,,,,\n", "gbk")
    ingest_paths(con, [district], Settings(calendar_override=override))
    assert con.execute("SELECT min(day), max(day) FROM calendar").fetchone() == (dt.date(2026, 1, 1), dt.date(2027, 12, 31))


def test_calendar_covers_the_loaded_dates(con: duckdb.DuckDBPyConnection) -> None:
    ingest_paths(con, [DISTRICT], SETTINGS)
    assert con.execute("SELECT min(day), max(day) FROM calendar").fetchone() == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
