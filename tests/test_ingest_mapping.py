"""The mapping model: the built-in and contrib mappings validate; every kind of mistake is refused
with the file, the line and the field; the docs describe every key, field and code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.fields import TARGETS
from ingest.mapping import (
    EventsEntry,
    InlineReference,
    LogEntry,
    MappingError,
    Signature,
    XesEntry,
    _Conversion,
    _Source,
    _TableEntry,
    _Vocabulary,
    builtin_mappings,
    load_mapping,
    load_mappings,
)
from sunlight.vocabulary import ACTIVITIES

REPO = Path(__file__).resolve().parents[1]
CONTRIB = REPO / "ingest" / "mappings" / "contrib"
DOCS = (REPO / "docs" / "mappings.md").read_text(encoding="utf-8")


def test_builtin_mappings() -> None:
    found = {m.platform: [e.record for e in m.files] for m in builtin_mappings()}
    assert found == {
        "mszx": ["cases", "events"], "sqzx": ["cases", "events"], "gswz": ["disclosures"], "zfba": ["cases", "events"],
        "qyzx": ["cases", "events"], "wsdt": ["cases", "events"], "reference": ["departments", "items", "officers", "discretion"],
        "xtbg": ["xes"],
    }
    assert all(m.builtin for m in builtin_mappings())


@pytest.mark.parametrize("name", ["wabo_receipt.yaml", "road_traffic_fines.yaml"])
def test_contrib_mappings_validate(name: str) -> None:
    mapping = load_mapping(CONTRIB / name)
    assert not mapping.builtin and mapping.reference is not None
    entry = mapping.files[0]
    assert isinstance(entry, XesEntry) and entry.signature is not None


HEAD = "platform: mine\ntitle: 我的平台\nfiles:\n"
CASES = "  - record: cases\n    format: csv\n    fields: {source_case_no: 编号, item_code: 事项, dept_code: 部门}\n"

INVALID = [
    ("not YAML", "platform: [mine\n", 2, None, "not valid YAML"),
    ("duplicate key", "platform: a\nplatform: b\n", 2, "platform", "key 'platform' appears twice (first on line 1)"),
    ("not a mapping", "- a\n- b\n", 1, None, "a mapping file must be a YAML mapping"),
    ("unknown top-level key", HEAD + CASES + "    constants: {case_kind: service}\nowner: me\n", 8, "owner",
     "unknown key 'owner'"),
    ("bad platform code", "platform: My Platform\ntitle: x\nfiles:\n" + CASES, 1, "platform", "should match pattern"),
    ("unknown record", HEAD + "  - record: invoices\n    format: csv\n", 4, "files[0]", "'invoices'"),
    ("unknown format", HEAD + "  - record: cases\n    format: docx\n    fields: {a: b}\n", 5, "files[0].format",
     "Input should be 'csv', 'xlsx', 'jsonl' or 'parquet'"),
    ("unknown field", HEAD + CASES + "    constants: {case_kind: service, colour: red}\n", 4, "files[0]",
     "cases has no field 'colour'"),
    ("NOT NULL field unmapped", HEAD + CASES, 4, "files[0]", "cases needs 'case_kind'"),
    ("unknown key in an entry", HEAD + CASES + "    constants: {case_kind: service}\n    colour: red\n", 8,
     "files[0].colour", "unknown key 'colour'"),
    ("xlsx without a sheet", HEAD + CASES.replace("format: csv", "format: xlsx") + "    constants: {case_kind: service}\n",
     4, "files[0]", "needs `sheet:`"),
    ("unknown encoding", HEAD + CASES + "    constants: {case_kind: service}\n    encoding: big5\n", 8,
     "files[0].encoding", "Input should be"),
    ("unknown activity code", HEAD + "  - record: events\n    format: csv\n    fields: {source_case_no: a, activity: b, ts: c}\n"
     "    activities: {收件: RECEIVE}\n", 7, "files[0].activities.收件", "'RECEIVE' is not a canonical activity code"),
    ("events without a vocabulary", HEAD + "  - record: events\n    format: csv\n    fields: {source_case_no: a, activity: b, ts: c}\n",
     4, "files[0]", "either inline"),
    ("bad time format", HEAD + CASES + "    constants: {case_kind: service}\n    timestamp_formats: [YYYY-MM-DD]\n", 8,
     "files[0].timestamp_formats[0]", "neither 'iso8601' nor a strftime format"),
    ("unknown time zone mode", HEAD + CASES + "    constants: {case_kind: service}\n    timezone: cst\n", 8,
     "files[0].timezone", "Input should be 'local', 'utc' or 'offset'"),
    ("values of an unmapped field", HEAD + CASES + "    constants: {case_kind: service}\n    values: {cause: {a: b}}\n",
     4, "files[0]", "values given for 'cause', which is not mapped"),
    ("XES without a case number", HEAD + "  - record: xes\n    case_fields: {item_code: i, dept_code: d}\n"
     "    constants: {case_kind: service}\n    event_fields: {activity: concept:name, ts: time:timestamp}\n"
     "    activities: {a: SUBMIT}\n", 4, "files[0]",
     "case_fields needs source_case_no"),
    ("signature with two tests", HEAD + "  - record: xes\n    signature: {log_attribute: {key: k, value: v, contains: c}}\n"
     "    case_fields: {source_case_no: concept:name, item_code: i, dept_code: d}\n    constants: {case_kind: service}\n"
     "    event_fields: {activity: concept:name, ts: time:timestamp}\n    activities: {a: SUBMIT}\n",
     5, "files[0].signature.log_attribute", "exactly one of"),
    ("reference row missing a NOT NULL field", HEAD + CASES + "    constants: {case_kind: service}\n"
     "reference:\n  items:\n    - {item_code: X, name: 某事项}\n", 9, "reference.items", "row 1: each items row needs 'kind'"),
]


@pytest.mark.parametrize(("name", "text", "line", "field", "message"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_mappings_name_file_line_and_field(tmp_path: Path, name: str, text: str, line: int,
                                                   field: str | None, message: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    error = caught.value
    assert message in error.message
    assert error.location.file == path and error.location.line == line
    assert error.location.field == field
    assert str(path) in error.describe()


def test_activities_file(tmp_path: Path) -> None:
    (tmp_path / "vocab.yaml").write_text("收件: SUBMIT\n受理: ACCEPT\n", encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + "  - record: events\n    format: csv\n    fields: {source_case_no: a, activity: b, ts: c}\n"
                    "    activities_file: vocab.yaml\n", encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.vocabulary(0) == ((tmp_path / "vocab.yaml").resolve(), {"收件": "SUBMIT", "受理": "ACCEPT"})


def test_bad_vocabulary_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "vocab.yaml").write_text("收件: SUBMIT\n受理: ACCEPTED\n", encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + "  - record: events\n    format: csv\n    fields: {source_case_no: a, activity: b, ts: c}\n"
                    "    activities_file: vocab.yaml\n", encoding="utf-8")
    with pytest.raises(MappingError, match="'ACCEPTED' is not a canonical activity code") as caught:
        load_mapping(path)
    assert caught.value.location.line == 2


def test_user_mapping_may_not_take_a_builtin_platform_code(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD.replace("mine", "qyzx") + CASES + "    constants: {case_kind: service}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="already used by the built-in mapping enterprise_centre.yaml"):
        load_mappings([path])


def _model_keys() -> set[str]:
    keys: set[str] = set()
    for model in (_Source, _Conversion, _Vocabulary, _TableEntry, EventsEntry, XesEntry, LogEntry, Signature,
                  InlineReference):
        keys |= set(model.model_fields)
    return keys - {"record"} | {"platform", "title", "files", "reference", "log_attribute", "value", "contains", "key"}


@pytest.mark.parametrize("key", sorted(_model_keys()))
def test_docs_describe_every_mapping_key(key: str) -> None:
    assert f"`{key}`" in DOCS or f"`{key}:`" in DOCS, f"docs/mappings.md does not mention `{key}`"


@pytest.mark.parametrize("record", sorted(TARGETS))
def test_docs_list_every_canonical_field(record: str) -> None:
    row = re.search(rf"^\| {record} \| (.+) \|$", DOCS, re.MULTILINE)
    assert row is not None, f"no fields row for {record}"
    documented = set(re.findall(r"[a-z_]+", row.group(1)))
    assert set(TARGETS[record].fields) <= documented


@pytest.mark.parametrize("code", sorted(ACTIVITIES))
def test_docs_list_every_activity_code(code: str) -> None:
    assert re.search(rf"\| {code} \| {re.escape(ACTIVITIES[code])} \|", DOCS)
