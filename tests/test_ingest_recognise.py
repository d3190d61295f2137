"""Which mapping describes a file: header coverage, sheets, XES signatures, user mappings first."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.mapping import Mapping, builtin_mappings, load_mapping
from ingest.readers.base import Stager
from ingest.recognise import Match, recognise
from ingest.sources import SourceFile, sniff
from sunlight import db
from sunlight.errors import IngestError

DISTRICT = Path(__file__).parent / "data" / "ingest" / "district"
CONTRIB = Path(__file__).resolve().parents[1] / "ingest" / "mappings" / "contrib"
REAL_LOGS = Path(__file__).resolve().parent / "data" / "real"


def match(path: Path, mappings: list[Mapping] | None = None) -> Match:
    stager = Stager(db.memory())
    try:
        source = SourceFile(path, 1)
        sniff(source)
        return recognise(source, [*(mappings or []), *builtin_mappings()], stager)
    finally:
        stager.close()


@pytest.mark.parametrize(
    ("file_name", "platform", "records"),
    [
        ("reference/departments.csv", "reference", ["departments"]),
        ("reference/items.csv", "reference", ["items"]),
        ("reference/officers.csv", "reference", ["officers"]),
        ("reference/discretion.csv", "reference", ["discretion"]),
        ("qyzx_cases.csv", "qyzx", ["cases"]),
        ("qyzx_events.csv", "qyzx", ["events"]),
        ("mszx_001.xlsx", "mszx", ["cases", "events"]),
        ("sqzx_cases.csv", "sqzx", ["cases"]),
        ("sqzx_events.csv", "sqzx", ["events"]),
        ("wsdt_cases.jsonl", "wsdt", ["cases"]),
        ("wsdt_events.jsonl", "wsdt", ["events"]),
        ("xtbg.xes", "xtbg", ["cases", "events"]),
        ("zfba_cases.csv", "zfba", ["cases"]),
        ("zfba_events.csv", "zfba", ["events"]),
        ("gswz_disclosures.jsonl", "gswz", ["disclosures"]),
    ],
)
def test_every_platform_export_is_recognised(file_name: str, platform: str, records: list[str]) -> None:
    found = match(DISTRICT / file_name)
    assert (found.mapping.platform, found.records) == (platform, records)


def test_missing_optional_column_is_noted(tmp_path: Path) -> None:
    text = (DISTRICT / "qyzx_cases.csv").read_text(encoding="gbk").replace("窗口号", "窗口")
    path = tmp_path / "qyzx_cases.csv"
    path.write_text(text, encoding="gbk")
    assert match(path).notes == ["文件缺少可选列 「窗口号」，相应字段留空"]


def test_missing_required_column_refuses_the_file(tmp_path: Path) -> None:
    text = (DISTRICT / "qyzx_events.csv").read_text(encoding="gbk").replace("环节名称", "环节")
    path = tmp_path / "qyzx_events.csv"
    path.write_text(text, encoding="gbk")
    with pytest.raises(IngestError, match="文件缺少必需的列：「环节名称」"):
        match(path)


def test_a_header_sharing_less_than_half_is_not_recognised(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("办件编号,事项编码,颜色,尺寸,重量,价格,产地,品牌\n1,2,3,4,5,6,7,8\n", encoding="gbk")
    with pytest.raises(IngestError, match="无法识别的 CSV 文件：没有映射与它的表头匹配"):
        match(path)


def test_a_wrong_encoding_is_not_recognised(tmp_path: Path) -> None:
    path = tmp_path / "qyzx_cases.csv"
    path.write_text((DISTRICT / "qyzx_cases.csv").read_text(encoding="gbk"), encoding="utf-8")
    with pytest.raises(IngestError, match="无法识别"):
        match(path)


USER = """platform: mine
title: 我的
files:
  - record: cases
    format: csv
    encoding: gbk
    fields: {source_case_no: 办件编号, item_code: 事项编码, dept_code: 承办单位编码}
    constants: {case_kind: service}
"""


def test_user_mapping_wins_a_tie_with_a_builtin_one(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(USER, encoding="utf-8")
    assert match(DISTRICT / "qyzx_cases.csv", [load_mapping(path)]).mapping.platform == "mine"


def test_two_user_mappings_that_tie_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(USER, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(USER.replace("mine", "yours"), encoding="utf-8")
    with pytest.raises(IngestError, match="无法确定映射：a.yaml、b.yaml 都与该文件匹配"):
        match(DISTRICT / "qyzx_cases.csv", [load_mapping(tmp_path / "a.yaml"), load_mapping(tmp_path / "b.yaml")])


def test_xes_signatures_pick_the_mapping() -> None:
    wabo = REAL_LOGS / "wabo-receipt.xes.gz"
    if not wabo.exists():
        pytest.fail(f"{wabo} not found (tests/data/real/README.md lists the two logs)")
    both = [load_mapping(CONTRIB / "road_traffic_fines.yaml"), load_mapping(CONTRIB / "wabo_receipt.yaml")]
    assert match(wabo, both).mapping.platform == "wabo"
    assert match(DISTRICT / "xtbg.xes", both).mapping.platform == "xtbg"
    with pytest.raises(IngestError, match="无法识别的 XES 日志"):
        match(wabo)
