"""The sample district generator, checked on the files it writes.

The exports are read back independently of the generator: column names, activity labels and time
formats come from ingest/mappings/*.yaml, working days from sunlight.calendar. Planted violations
and traps are then recomputed by hand for a few codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook

from samples.generator import generate
from sunlight.calendar import days_for_year
from sunlight.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "ingest" / "mappings"
AS_OF = dt.datetime(2026, 11, 20, 18, 0)
LOCAL = dt.timezone(dt.timedelta(hours=8))
MAPPING_FILES = {
    "qyzx": "enterprise_centre.yaml", "mszx": "citizen_centre.yaml", "sqzx": "community_centre.yaml",
    "wsdt": "online_hall.yaml", "xtbg": "unified_office.yaml", "zfba": "enforcement.yaml",
    "gswz": "disclosure_feed.yaml", "reference": "reference.yaml",
}
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def mapping(platform: str) -> dict[str, Any]:
    return yaml.safe_load((MAPPINGS / MAPPING_FILES[platform]).read_text(encoding="utf-8"))


def spec(platform: str, record: str) -> dict[str, Any]:
    return next(f for f in mapping(platform)["files"] if f["record"] == record)


def columns(platform: str, record: str) -> list[str]:
    s = spec(platform, record)
    return list(s["fields"].values()) + list(s.get("attrs", []))


WORKDAY_NO: dict[dt.date, int] = {}
_running = 0
for _year in (2025, 2026):
    for _day in days_for_year(_year, None):
        _running += _day.is_workday
        WORKDAY_NO[_day.day] = _running


def workdays(start: dt.date, end: dt.date) -> int:
    return WORKDAY_NO[end] - WORKDAY_NO[start]


# -- reading the exports back ------------------------------------------------------------------
@dataclass
class Event:
    activity: str
    ts: dt.datetime
    document_no: str
    officers: list[str]
    utc_day: dt.date | None = None


@dataclass
class District:
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    items: dict[str, dict[str, str]] = field(default_factory=dict)
    officers: dict[str, dict[str, str]] = field(default_factory=dict)
    disclosures: list[dict[str, Any]] = field(default_factory=list)


def parse_local(text: Any, formats: list[str]) -> dt.datetime:
    if isinstance(text, dt.datetime):  # Excel stores days as floats: round to the second
        return (text + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    value = unicodedata.normalize("NFKC", str(text))
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError(f"unparseable time {text!r}")


def parse_offset(text: str) -> tuple[dt.datetime, dt.date]:
    moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(LOCAL).replace(tzinfo=None), moment.astimezone(dt.timezone.utc).date()


def read_csv(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_sheets(exports: Path, sheet: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(exports.glob("mszx_*.xlsx")):
        ws = load_workbook(path, read_only=True)[sheet]
        values = list(ws.iter_rows(values_only=True))
        rows += [dict(zip(values[0], row)) for row in values[1:]]
    return rows


def read_district(out: Path) -> District:
    exports, d = out / "exports", District()
    ref = exports / "reference"
    d.items = {r["事项编码"]: r for r in read_csv(ref / "items.csv", "utf-8")}
    d.officers = {r["人员编号"]: r for r in read_csv(ref / "officers.csv", "utf-8")}
    tabular = {"qyzx": ("csv", "gbk"), "sqzx": ("csv", "utf-8-sig"), "zfba": ("csv", "gb18030"),
               "wsdt": ("jsonl", ""), "mszx": ("xlsx", "")}
    for platform, (kind, encoding) in tabular.items():
        case_spec, event_spec = spec(platform, "cases"), spec(platform, "events")
        if kind == "csv":
            case_rows = read_csv(exports / f"{platform}_cases.csv", encoding)
            event_rows = read_csv(exports / f"{platform}_events.csv", encoding)
        elif kind == "jsonl":
            case_rows = read_jsonl(exports / f"{platform}_cases.jsonl")
            event_rows = read_jsonl(exports / f"{platform}_events.jsonl")
        else:
            case_rows, event_rows = read_sheets(exports, case_spec["sheet"]), read_sheets(exports, event_spec["sheet"])
        cf, ef = case_spec["fields"], event_spec["fields"]
        for row in case_rows:
            record = {name: row[col] for name, col in cf.items()}
            d.cases[f"{platform}:{row[cf['source_case_no']]}"] = record
        for row in event_rows:
            if platform == "wsdt":
                ts, utc_day = parse_offset(row[ef["ts"]])
            else:
                ts, utc_day = parse_local(row[ef["ts"]], event_spec["timestamp_formats"]), None
            officers = (row.get(ef.get("officer_ids", ""), "") or "").split("；") if "officer_ids" in ef else []
            d.events[f"{platform}:{row[ef['source_case_no']]}"].append(Event(
                event_spec["activities"][row[ef["activity"]]], ts, row[ef["document_no"]] or "",
                [o for o in officers if o], utc_day))
    xtbg = mapping("xtbg")["files"][0]
    for _, trace in etree.iterparse(str(exports / "xtbg.xes"), tag="trace"):
        attrs = {a.get("key"): a.get("value") for a in trace if a.tag != "event"}
        case_id = f"xtbg:{attrs['concept:name']}"
        d.cases[case_id] = {name: attrs.get(key) for name, key in xtbg["case_fields"].items()}
        for event in trace.iter("event"):
            e = {a.get("key"): a.get("value") for a in event}
            ts, utc_day = parse_offset(e["time:timestamp"])
            d.events[case_id].append(Event(xtbg["activities"][e["concept:name"]], ts, e.get("document_no", ""), [],
                                           utc_day))
        trace.clear()
    d.disclosures = read_jsonl(exports / "gswz_disclosures.jsonl")
    for case_id, events in d.events.items():  # the ingest order: time, ties in source order
        events.sort(key=lambda e: e.ts)
    return d


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    generate(out, 3000, 2012)
    return out


@pytest.fixture(scope="module")
def district(sample: Path) -> District:
    return read_district(sample)


@pytest.fixture(scope="module")
def truth(sample: Path) -> list[dict[str, str]]:
    return read_csv(sample / "truth" / "ground_truth.csv", "utf-8")


@pytest.fixture(scope="module")
def trap_rows(sample: Path) -> list[dict[str, str]]:
    return read_csv(sample / "truth" / "traps.csv", "utf-8")


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- determinism, manifest, coverage -------------------------------------------------------------
def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", 400, 99, dirty=True)
    generate(tmp_path / "b", 400, 99, dirty=True)
    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert first == second
    assert len(first) >= 18


def test_another_seed_other_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", 200, 1)
    generate(tmp_path / "b", 200, 2)
    assert digests(tmp_path / "a")["exports/qyzx_cases.csv"] != digests(tmp_path / "b")["exports/qyzx_cases.csv"]


def _count_rows(path: Path) -> dict[str, int]:
    if path.suffix == ".csv":
        encoding = {"qyzx": "gbk", "zfba": "gb18030", "sqzx": "utf-8-sig"}.get(path.name[:4], "utf-8")
        return {"rows": len(read_csv(path, encoding))}
    if path.suffix == ".jsonl":
        return {"rows": len(read_jsonl(path))}
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        counts = {}
        for ws in book.worksheets:
            rows = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
            counts[ws.title] = len(rows) - (ws.title != "说明")
        return {"sheets": counts}
    tree = etree.parse(str(path))
    return {"traces": len(tree.findall("trace")), "events": len(tree.findall("trace/event"))}


def test_manifest_counts_are_the_rows_in_the_files(sample: Path) -> None:
    manifest = json.loads((sample / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 2012 and manifest["cases"] == 3000 and manifest["as_of"] == "2026-11-20 18:00"
    on_disk = {p.relative_to(sample).as_posix() for p in sample.rglob("*") if p.is_file()}
    assert on_disk - set(manifest["files"]) == {"truth/manifest.json"}
    for name, entry in manifest["files"].items():
        path = sample / name
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name
        counted = _count_rows(path)
        assert {k: entry[k] for k in counted} == counted, name
    assert sum(manifest["cases_by_platform"].values()) == 3000


def test_every_code_is_planted_at_least_twice(truth: list[dict[str, str]]) -> None:
    contract = yaml.safe_load((ROOT / "samples" / "violations.yaml").read_text(encoding="utf-8"))["codes"]
    counts = Counter(row["code"] for row in truth)
    assert {code: counts[code] for code in contract if counts[code] < 2} == {}
    assert set(counts) <= set(contract)
    levels = {(row["code"], row["level"]) for row in truth}
    assert ("T_PROMISED", "yellow") in levels and ("T_PROMISED", "red") in levels
    for row in truth:
        assert row["level"] in contract[row["code"]]["levels"]


def test_ground_truth_rows_are_unique_per_code_subject_level(truth: list[dict[str, str]]) -> None:
    keys = [(r["code"], r["subject"], r["level"]) for r in truth]
    assert len(keys) == len(set(keys))
    for row in truth:
        if row["code"] == "K_PROMISE_ABOVE_LEGAL":
            assert row["subject"] == row["item_code"] and row["case_id"] == ""
        else:
            assert row["subject"] == row["case_id"] and re.fullmatch(r"(qyzx|mszx|sqzx|wsdt|xtbg|zfba):.+", row["case_id"])


def test_planted_cases_mostly_carry_one_code(truth: list[dict[str, str]]) -> None:
    per_case = Counter(r["case_id"] for r in truth if r["case_id"])
    multi = {c for c, n in per_case.items() if n > 1}
    implied = {r["case_id"] for r in truth if r["code"] == "T_LEGAL"}
    assert multi <= implied


# -- formats against the mappings --------------------------------------------------------------
def _headers(sample: Path, platform: str, record: str) -> list[str]:
    exports = sample / "exports"
    if platform == "mszx":
        ws = load_workbook(exports / "mszx_001.xlsx", read_only=True)[spec(platform, record)["sheet"]]
        return [v for v in next(ws.iter_rows(values_only=True))]
    if platform == "wsdt":
        return list(json.loads((exports / f"wsdt_{record}.jsonl").open(encoding="utf-8").readline()))
    if platform == "gswz":
        return list(json.loads((exports / "gswz_disclosures.jsonl").open(encoding="utf-8").readline()))
    if platform == "reference":
        with (exports / "reference" / f"{record}.csv").open(encoding="utf-8") as handle:
            return next(csv.reader(handle))
    encoding = spec(platform, record)["encoding"]
    with (exports / f"{platform}_{record}.csv").open(encoding=encoding) as handle:
        return next(csv.reader(handle))


@pytest.mark.parametrize(("platform", "record"), [
    ("qyzx", "cases"), ("qyzx", "events"), ("mszx", "cases"), ("mszx", "events"), ("sqzx", "cases"),
    ("sqzx", "events"), ("wsdt", "cases"), ("wsdt", "events"), ("zfba", "cases"), ("zfba", "events"),
    ("gswz", "disclosures"), ("reference", "departments"), ("reference", "items"), ("reference", "officers"),
    ("reference", "discretion"),
], ids=lambda v: str(v))
def test_columns_match_the_mapping(sample: Path, platform: str, record: str) -> None:
    assert _headers(sample, platform, record) == columns(platform, record)


def test_activities_belong_to_each_mapping(district: District) -> None:
    # read_district maps every label through the mapping's vocabulary (a KeyError otherwise)
    assert {e.activity for events in district.events.values() for e in events} >= {
        "SUBMIT", "ACCEPT", "REFUSE", "SUPPLEMENT_NOTICE", "SUPPLEMENT_RECEIVED", "REVIEW", "SUSPEND", "RESUME",
        "EXTEND", "DECIDE", "DELIVER", "CLOSE", "CHARGE", "FILE_CASE", "INVESTIGATE", "NOTIFY", "HEARING",
        "PENALTY_DECISION", "EXECUTE", "REVOKE"}


def test_encodings(sample: Path) -> None:
    exports = sample / "exports"
    for name in ("qyzx_cases.csv", "qyzx_events.csv"):
        (exports / name).read_bytes().decode("gbk")
    for name in ("sqzx_cases.csv", "sqzx_events.csv"):
        assert (exports / name).read_bytes().startswith(b"\xef\xbb\xbf")
    text = (exports / "zfba_cases.csv").read_bytes().decode("gb18030")
    beyond_gbk = [ch for ch in set(text) if not _encodes(ch, "gbk")]
    assert beyond_gbk, "some party names need GB18030"
    for name in ("wsdt_cases.jsonl", "gswz_disclosures.jsonl", "reference/items.csv"):
        assert not (exports / name).read_bytes().startswith(b"\xef\xbb\xbf")


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_xes_is_well_formed_with_utc_times(sample: Path) -> None:
    tree = etree.parse(str(sample / "exports" / "xtbg.xes"))
    log = tree.getroot()
    assert log.tag == "log" and log.get("xes.version") == "1849-2016"
    assert log.find("string[@key='source']").get("value") == "统一协同办公平台"
    stamps = [d.get("value") for d in log.iter("date")]
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", s) for s in stamps)
    names = set(mapping("xtbg")["files"][0]["case_fields"].values())
    for trace in log.iter("trace"):
        assert {a.get("key") for a in trace if a.tag != "event"} <= names


def test_time_notations(sample: Path, district: District) -> None:
    exports = sample / "exports"
    times = [r["time"] for r in read_jsonl(exports / "wsdt_events.jsonl")]
    utc = sum(t.endswith("Z") for t in times) / len(times)
    assert 0.12 < utc < 0.3 and all(t.endswith(("Z", "+08:00")) for t in times)
    sqzx = [r["时间"] for r in read_csv(exports / "sqzx_events.csv", "utf-8-sig")]
    wide = sum(bool(re.search("[０-９]", t)) for t in sqzx) / len(sqzx)
    assert 0.005 < wide < 0.06
    assert all(re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d", r["环节时间"])
               for r in read_csv(exports / "zfba_events.csv", "gb18030"))
    kinds = {type(r["时间"]) for r in read_sheets(exports, "办理过程")}
    assert kinds == {dt.datetime, str}


def test_dates_stay_inside_the_window_and_ties_are_common(district: District) -> None:
    events = [e for evs in district.events.values() for e in evs]
    assert min(e.ts for e in events) >= dt.datetime(2025, 1, 1)
    assert max(e.ts for e in events) <= AS_OF
    tied = 0
    for evs in district.events.values():
        counts = Counter(e.ts for e in evs)
        tied += sum(n for n in counts.values() if n > 1)
    assert 0.2 < tied / len(events) < 0.45


# -- planted violations and traps, recomputed from the files -----------------------------------
def service_clock(events: list[Event], utc: bool = False) -> tuple[int, bool, bool, int] | None:
    """(net working days used, open, waiting in a pause, extension) of a service case, or None."""
    def day(e: Event) -> dt.date:
        return e.utc_day if utc and e.utc_day else e.ts.date()

    acts = [e.activity for e in events]
    notices = [i for i, a in enumerate(acts) if a == "SUPPLEMENT_NOTICE"]
    late = bool(notices) and "SUBMIT" in acts and workdays(day(events[acts.index("SUBMIT")]),
                                                            day(events[notices[0]])) > 5
    if late:
        start = acts.index("SUBMIT")
    elif "ACCEPT" in acts:
        start = acts.index("ACCEPT")
    else:
        return None
    stop = next((i for i in range(start + 1, len(acts)) if acts[i] in ("DECIDE", "REFUSE")), None)
    paused, waiting = 0, False
    for i in range(start, stop if stop is not None else len(acts)):
        closer = {"SUPPLEMENT_NOTICE": "SUPPLEMENT_RECEIVED", "SUSPEND": "RESUME"}.get(acts[i])
        if closer is None:
            continue
        end = next((j for j in range(i + 1, len(acts)) if acts[j] == closer), None)
        if end is None:
            waiting = True
        else:
            paused += workdays(day(events[i]), day(events[end]))
    end_day = day(events[stop]) if stop is not None else AS_OF.date()
    extension = 10 if "EXTEND" in acts else 0
    return workdays(day(events[start]), end_day) - paused, stop is None, waiting, extension


def promised_finding(district: District, case_id: str, utc: bool = False) -> str | None:
    item = district.items[district.cases[case_id]["item_code"]]
    if item["时限单位"] != "工作日" or case_id.startswith("zfba:"):
        return None
    clock = service_clock(district.events[case_id], utc)
    if clock is None:
        return None
    used, is_open, waiting, extension = clock
    if is_open and waiting:
        return None
    limit = int(item["承诺时限"]) + extension
    if used > limit:
        return "red"
    if is_open and 0 <= limit - used <= 2:
        return "yellow"
    return None


def test_t_promised_recomputed_for_every_case(district: District, truth: list[dict[str, str]]) -> None:
    expected = {(r["case_id"], r["level"]) for r in truth if r["code"] == "T_PROMISED"}
    found = set()
    for case_id in district.cases:
        if case_id in district.events and (level := promised_finding(district, case_id)):
            found.add((case_id, level))
    assert found == expected


def test_t_legal_cases_exceed_the_legal_limit(district: District, truth: list[dict[str, str]]) -> None:
    rows = [r for r in truth if r["code"] == "T_LEGAL"]
    assert rows
    for row in rows:
        used, _, _, extension = service_clock(district.events[row["case_id"]])
        assert used > int(district.items[row["item_code"]]["法定时限"]) + extension


def _traps(trap_rows: list[dict[str, str]], name: str) -> list[str]:
    found = [r["case_id"] for r in trap_rows if r["trap"] == name]
    assert found, name
    return found


def test_holiday_traps(district: District, trap_rows: list[dict[str, str]], truth: list[dict[str, str]]) -> None:
    planted = {r["case_id"] for r in truth}
    for case_id in _traps(trap_rows, "holiday_just_in_time"):
        used, is_open, _, _ = service_clock(district.events[case_id])
        promised = int(district.items[district.cases[case_id]["item_code"]]["承诺时限"])
        assert used == promised and not is_open and case_id not in planted
        accept = next(e for e in district.events[case_id] if e.activity == "ACCEPT").ts.date()
        decide = next(e for e in district.events[case_id] if e.activity == "DECIDE").ts.date()
        weekdays = sum((accept + dt.timedelta(days=k)).weekday() < 5 for k in range(1, (decide - accept).days + 1))
        assert weekdays > promised
    for case_id in _traps(trap_rows, "holiday_overdue_violation"):
        assert promised_finding(district, case_id) == "red" and case_id in planted


def test_utc_traps(district: District, trap_rows: list[dict[str, str]], truth: list[dict[str, str]]) -> None:
    planted = {r["case_id"] for r in truth}
    for case_id in _traps(trap_rows, "utc_local_date"):
        assert promised_finding(district, case_id) is None and case_id not in planted
        assert promised_finding(district, case_id, utc=True) == "red"
    for case_id in _traps(trap_rows, "utc_local_date_violation"):
        assert promised_finding(district, case_id) == "red" and case_id in planted
        assert promised_finding(district, case_id, utc=True) is None


def test_other_clean_traps_are_clean(trap_rows: list[dict[str, str]], truth: list[dict[str, str]]) -> None:
    planted = {r["case_id"] for r in truth}
    clean = [r for r in trap_rows if not r["trap"].endswith("_violation")]
    assert {r["trap"] for r in clean} >= {"time_tie", "fullwidth_digits", "extension_within_limit",
                                          "pause_within_limit", "open_paused", "enforcement_90_days"}
    assert not [r for r in clean if r["case_id"] in planted]
    assert all(r["case_id"] in planted for r in trap_rows if r["trap"].endswith("_violation"))


def test_instant_cases_keep_process_order(district: District, trap_rows: list[dict[str, str]]) -> None:
    for case_id in _traps(trap_rows, "time_tie"):
        events = district.events[case_id]
        assert len({e.ts for e in events}) == 1
        acts = [e.activity for e in events]
        assert acts.index("SUBMIT") < acts.index("ACCEPT") < acts.index("DECIDE") < acts.index("DELIVER")


def test_disclosure_id_exposure(district: District, truth: list[dict[str, str]]) -> None:
    expected = {r["case_id"] for r in truth if r["code"] == "D_ID_EXPOSED"}
    exposed = {f"{d['system']}:{d['case_no']}" for d in district.disclosures if ID_NUMBER.search(d["content"])}
    assert exposed == expected
    masked = [d for d in district.disclosures if re.search(r"\d{4}\*{10}[\dX]{4}", d["content"])]
    assert len(masked) > 100


def test_officers_recomputed(district: District, truth: list[dict[str, str]]) -> None:
    single, uncertified = set(), set()
    for case_id, events in district.events.items():
        for e in events:
            if e.activity not in ("INVESTIGATE", "PENALTY_DECISION"):
                continue
            if len(set(e.officers)) < 2:
                single.add(case_id)
            for officer_id in e.officers:
                o = district.officers.get(officer_id)
                if o is None or not o["执法证号"] or not (
                        o["证件有效期起"] <= e.ts.date().isoformat() <= o["证件有效期止"]):
                    uncertified.add(case_id)
    assert single == {r["case_id"] for r in truth if r["code"] == "C_SINGLE_OFFICER"}
    assert uncertified == {r["case_id"] for r in truth if r["code"] == "C_UNCERTIFIED_OFFICER"}


def _amount(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def test_fees_and_catalogue_recomputed(district: District, truth: list[dict[str, str]]) -> None:
    above, free, unpublished = set(), set(), set()
    for case_id, case in district.cases.items():
        item = district.items[case["item_code"]]
        fee, standard = _amount(case.get("fee_charged")), float(item["收费标准"])
        if fee is not None and standard > 0 and fee > standard:
            above.add(case_id)
        if fee is not None and standard == 0 and fee > 0:
            free.add(case_id)
        if item["是否公开"] == "否":
            unpublished.add(case_id)
    codes = defaultdict(set)
    for r in truth:
        codes[r["code"]].add(r["subject"])
    assert above == codes["C_FEE_ABOVE_STANDARD"]
    assert free == codes["C_FEE_ON_FREE_ITEM"]
    assert unpublished == codes["K_ITEM_UNPUBLISHED"]
    above_legal = {c for c, i in district.items.items()
                   if i["承诺时限"] and i["法定时限"] and int(i["承诺时限"]) > int(i["法定时限"])}
    assert above_legal == codes["K_PROMISE_ABOVE_LEGAL"]


# -- dirty rows, workbooks, command line -------------------------------------------------------
def test_dirty_rows_leave_the_truth_alone(tmp_path: Path) -> None:
    generate(tmp_path / "clean", 300, 5)
    generate(tmp_path / "dirty", 300, 5, dirty=True)
    for name in ("ground_truth.csv", "traps.csv"):
        assert (tmp_path / "clean" / "truth" / name).read_bytes() == (tmp_path / "dirty" / "truth" / name).read_bytes()
    rows = read_csv(tmp_path / "dirty" / "truth" / "expected_quarantine.csv", "utf-8")
    assert {r["reason"] for r in rows} == {"unknown_activity", "unparseable_time", "missing_required",
                                           "duplicate_event", "unknown_case", "unknown_item"}
    exports = tmp_path / "dirty" / "exports"
    items = {r["事项编码"] for r in read_csv(exports / "reference" / "items.csv", "utf-8")}
    for row in rows:
        path = exports / row["file"]
        if path.suffix == ".csv":
            platform = row["file"][:4]
            data = read_csv(path, spec(platform, row["record"])["encoding"])
        elif path.suffix == ".jsonl":
            data = read_jsonl(path)
        elif path.suffix == ".xlsx":
            ws = load_workbook(path, read_only=True)[row["sheet"]]
            values = list(ws.iter_rows(values_only=True))
            data = [dict(zip(values[0], v)) for v in values[1:]]
        else:
            traces = etree.parse(str(path)).findall("trace")
            trace = traces[int(row["row_number"]) - 1]
            assert trace.find("string[@key='concept:name']").get("value") == row["case_no"]
            continue
        record = data[int(row["row_number"]) - 1]
        values = list(record.values())
        if row["reason"] == "duplicate_event":
            assert data.count(record) == 2
        elif row["reason"] == "unknown_item":
            assert values[1] not in items
        elif row["reason"] != "missing_required" or row["record"] == "disclosures":
            assert row["case_no"] in [str(v) for v in values]


def test_workbooks_split_below_the_row_limit(tmp_path: Path) -> None:
    manifest = generate(tmp_path, 1500, 3, xlsx_max_rows=400)
    books = sorted(name for name in manifest.files if name.endswith(".xlsx"))
    assert len(books) > 2
    for name in books:
        sheets = manifest.files[name]["sheets"]
        assert ("说明" in sheets) == name.endswith("_001.xlsx")
        assert sheets["办理过程"] + 1 <= 400
    owner: dict[str, str] = {}
    for name in books:
        ws = load_workbook(tmp_path / name, read_only=True)
        cases = {r[0] for r in list(ws["办件"].iter_rows(values_only=True))[1:]}
        for row in list(ws["办理过程"].iter_rows(values_only=True))[1:]:
            assert row[0] in cases
            assert owner.setdefault(row[0], name) == name


def test_command_line(tmp_path: Path) -> None:
    from samples.cli import generate as command

    runner = CliRunner()
    help_text = runner.invoke(command, ["--help"]).output
    assert "--cases" in help_text and "--as-of" in help_text and "--dirty" in help_text
    result = runner.invoke(command, [str(tmp_path), "--cases", "50", "--seed", "4", "--as-of", "2026-06-30 17:00"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2026-06-30 17:00" and manifest["cases"] == 50
    # the summary, in Chinese, counts what the truth files hold
    planted = len(read_csv(tmp_path / "truth" / "ground_truth.csv", "utf-8"))
    assert f"50 件办件（种子 4，稽核时点 2026-06-30 17:00）" in result.output
    assert f"预埋违规 {planted:,} 项" in result.output and f"{len(manifest['files'])} 个文件" in result.output


def test_as_of_outside_the_calendar_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="outside"):
        generate(tmp_path, 10, 1, dt.datetime(2026, 12, 20, 12, 0))


def test_ties_never_repeat_an_activity_at_one_time() -> None:
    """a, b, a all tied at one time would make the second a an exact copy of the first (same actor),
    which ingest quarantines as a duplicate export row: the generator moves it a minute on."""
    import datetime as dt
    import random

    from samples.timeline import Step, assign_times
    from samples.workdays import WorkCalendar

    cal = WorkCalendar()
    idx = cal.index_on_or_after(dt.date(2026, 11, 16))
    steps = [Step("ACCEPT", idx), Step("REVIEW", idx, tie=True, actor="A1"), Step("EXTEND", idx, tie=True),
             Step("REVIEW", idx, tie=True, actor="A1"), Step("EXTEND", idx, tie=True)]
    events = assign_times(steps, cal, random.Random(1), whole_minutes=False)
    assert [e.activity for e in events] == [s.activity for s in steps]
    assert len({(e.ts, e.activity) for e in events}) == len(events)
    assert events[0].ts == events[1].ts == events[2].ts  # the ties that are not copies stay tied
    assert all(a.ts <= b.ts for a, b in zip(events, events[1:]))
