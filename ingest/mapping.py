"""The mapping files: one declarative description per platform of how its exports map onto the
canonical tables.

A mapping names its platform code and lists its files; each file entry says which record it holds
(``cases``, ``events``, reference records, ``disclosures``; or ``xes`` / ``log`` for event logs
that carry cases and events together), its format, and which source column feeds each canonical
field. The whole format is documented in ``docs/mappings.md``. Built-in mappings
(``ingest/mappings/*.yaml``) are recognised automatically; others are given with ``--mapping``.

Validation is strict (unknown keys are errors) and every error names the file, the line and the
field.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ingest import yamlfile
from ingest.fields import REFERENCE_RECORDS, TARGETS, Kind
from sunlight.errors import ConfigError, Location
from sunlight.vocabulary import ACTIVITIES


class MappingError(ConfigError):
    """A mapping file (or its vocabulary file) is invalid."""


def _activity_code(value: str) -> str:
    if value not in ACTIVITIES:
        raise ValueError(f"{value!r} is not a canonical activity code (known: {', '.join(ACTIVITIES)})")
    return value


def _strftime_format(value: str) -> str:
    if value != "iso8601" and "%" not in value:
        raise ValueError(f"{value!r} is neither 'iso8601' nor a strftime format such as '%Y-%m-%d %H:%M:%S'")
    return value


ActivityCode = Annotated[str, AfterValidator(_activity_code)]
TimeFormat = Annotated[str, AfterValidator(_strftime_format)]
Scalar = str | int | float | bool
Encoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030"]
TimezoneMode = Literal["local", "utc", "offset"]
TableFormat = Literal["csv", "xlsx", "jsonl", "parquet"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Conversion(_Strict):
    """How values are converted; shared by every kind of file entry."""

    values: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    list_separator: str = Field("；", min_length=1)
    timestamp_formats: list[TimeFormat] = Field(default_factory=lambda: ["iso8601"], min_length=1)
    date_formats: list[TimeFormat] = Field(default_factory=lambda: ["%Y-%m-%d"], min_length=1)
    timezone: TimezoneMode = "local"


class _Source(_Strict):
    """Where the rows come from (table-shaped files)."""

    format: TableFormat
    encoding: Encoding = "utf-8"
    delimiter: str = Field(",", min_length=1, max_length=1)
    sheet: str | None = None

    @model_validator(mode="after")
    def _check_source(self) -> _Source:
        if self.format == "xlsx" and not self.sheet:
            raise ValueError("an xlsx entry needs `sheet:` (the worksheet name)")
        if self.format != "xlsx" and self.sheet:
            raise ValueError("`sheet:` applies to xlsx files only")
        return self


class _Vocabulary(_Strict):
    activities: dict[str, ActivityCode] | None = None
    activities_file: str | None = None
    attrs: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_vocabulary(self) -> _Vocabulary:
        if (self.activities is None) == (self.activities_file is None):
            raise ValueError("give the activity vocabulary either inline (`activities:`) or as `activities_file:`")
        return self


def _check_fields(record: str, fields: dict[str, str], constants: dict[str, Scalar],
                  values: dict[str, dict[str, Scalar]], required: list[str], where: str = "fields") -> None:
    target = TARGETS[record]
    for name in [*fields, *constants]:
        if name not in target.fields:
            raise ValueError(f"{record} has no field {name!r} (fields: {', '.join(target.fields)})")
    both = set(fields) & set(constants)
    if both:
        raise ValueError(f"{', '.join(sorted(both))} given both in {where} and in constants")
    for name in values:
        if name not in fields and name not in constants:
            raise ValueError(f"values given for {name!r}, which is not mapped")
    for name in required:
        if name not in fields and name not in constants:
            raise ValueError(f"required field {name!r} is not mapped")
    for name, spec in target.fields.items():
        if spec.not_null and name not in fields and name not in constants:
            raise ValueError(f"{record} needs {name!r}: map it in {where} or give it in constants")
        if name in constants and spec.kind in (Kind.LIST, Kind.ACTIVITY, Kind.ID_NUMBER):
            raise ValueError(f"{name!r} cannot be a constant")


class _TableEntry(_Source, _Conversion):
    fields: dict[str, str] = Field(min_length=1)
    constants: dict[str, Scalar] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list)

    RECORD: ClassVar[str]

    @model_validator(mode="after")
    def _check_entry(self) -> _TableEntry:
        _check_fields(self.RECORD, self.fields, self.constants, self.values, self.required)
        return self

    def source_columns(self) -> list[str]:
        return list(dict.fromkeys(self.fields.values()))


class DepartmentsEntry(_TableEntry):
    RECORD: ClassVar[str] = "departments"
    record: Literal["departments"]


class ItemsEntry(_TableEntry):
    RECORD: ClassVar[str] = "items"
    record: Literal["items"]


class OfficersEntry(_TableEntry):
    RECORD: ClassVar[str] = "officers"
    record: Literal["officers"]


class DiscretionEntry(_TableEntry):
    RECORD: ClassVar[str] = "discretion"
    record: Literal["discretion"]


class CasesEntry(_TableEntry):
    RECORD: ClassVar[str] = "cases"
    record: Literal["cases"]


class DisclosuresEntry(_TableEntry):
    RECORD: ClassVar[str] = "disclosures"
    record: Literal["disclosures"]


class EventsEntry(_TableEntry, _Vocabulary):
    RECORD: ClassVar[str] = "events"
    record: Literal["events"]

    def source_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.fields.values(), *self.attrs]))


class LogAttribute(_Strict):
    key: str
    value: str | None = None
    contains: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> LogAttribute:
        if (self.value is None) == (self.contains is None):
            raise ValueError("give exactly one of `value:` (equals) or `contains:`")
        return self

    def matches(self, attributes: dict[str, str]) -> bool:
        found = attributes.get(self.key)
        if found is None:
            return False
        return found == self.value if self.value is not None else (self.contains or "") in found


class Signature(_Strict):
    log_attribute: LogAttribute


class _EventLog(_Conversion, _Vocabulary):
    """Cases and their events in one file: case fields and event fields."""

    case_fields: dict[str, str] = Field(min_length=1)
    event_fields: dict[str, str] = Field(min_length=1)
    constants: dict[str, Scalar] = Field(default_factory=dict)
    required_case: list[str] = Field(default_factory=list)
    required_event: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_log(self) -> _EventLog:
        case_no = self.case_fields.get("source_case_no") or self.event_fields.get("source_case_no") or ""
        _check_fields("cases", {"source_case_no": case_no, **self.case_fields}, self.constants,
                      self._case_values(), self.required_case, "case_fields")
        _check_fields("events", {"source_case_no": case_no, **self.event_fields}, {}, self._event_values(),
                      self.required_event, "event_fields")
        for name in self.values:
            if name not in self.case_fields and name not in self.event_fields and name not in self.constants:
                raise ValueError(f"values given for {name!r}, which is not mapped")
        return self

    def _case_values(self) -> dict[str, dict[str, Scalar]]:
        return {k: v for k, v in self.values.items() if k in self.case_fields or k in self.constants}

    def _event_values(self) -> dict[str, dict[str, Scalar]]:
        return {k: v for k, v in self.values.items() if k in self.event_fields}


class XesEntry(_EventLog):
    """An XES log: traces are cases (trace attributes feed case_fields), events are events."""

    record: Literal["xes"]
    format: Literal["xes"] = "xes"
    signature: Signature | None = None

    @model_validator(mode="after")
    def _check_xes(self) -> XesEntry:
        if "source_case_no" not in self.case_fields:
            raise ValueError("case_fields needs source_case_no (usually concept:name)")
        if "source_case_no" in self.event_fields:
            raise ValueError("an XES event belongs to its trace: map source_case_no in case_fields only")
        return self


class LogEntry(_EventLog, _Source):
    """A flat event log (one row per event); each case is taken from its first event row."""

    record: Literal["log"]

    @model_validator(mode="after")
    def _check_flat(self) -> LogEntry:
        if "source_case_no" not in self.event_fields:
            raise ValueError("event_fields needs source_case_no (the case number column)")
        return self

    def source_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.event_fields.values(), *self.case_fields.values(), *self.attrs]))


FileEntry = Annotated[
    DepartmentsEntry | ItemsEntry | OfficersEntry | DiscretionEntry | CasesEntry | EventsEntry
    | DisclosuresEntry | XesEntry | LogEntry,
    Field(discriminator="record"),
]
ReferenceRow = dict[str, Scalar | list[str] | None]


class InlineReference(_Strict):
    """Reference rows written in the mapping itself (e.g. the catalogue item of a user log)."""

    departments: list[ReferenceRow] = Field(default_factory=list)
    items: list[ReferenceRow] = Field(default_factory=list)
    officers: list[ReferenceRow] = Field(default_factory=list)
    discretion: list[ReferenceRow] = Field(default_factory=list)

    @field_validator("departments", "items", "officers", "discretion")
    @classmethod
    def _check_rows(cls, rows: list[ReferenceRow], info: ValidationInfo) -> list[ReferenceRow]:
        record = str(info.field_name)
        target = TARGETS[record]
        for number, row in enumerate(rows, 1):
            unknown = set(row) - set(target.fields)
            if unknown:
                raise ValueError(f"row {number}: {record} has no field {sorted(unknown)[0]!r}")
            for name, spec in target.fields.items():
                if spec.not_null and row.get(name) is None:
                    raise ValueError(f"row {number}: each {record} row needs {name!r}")
        return rows

    def rows(self, record: str) -> list[ReferenceRow]:
        rows: list[ReferenceRow] = getattr(self, record)
        return rows


class Mapping(_Strict):
    platform: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    title: str = Field(min_length=1)
    files: list[FileEntry] = Field(min_length=1)
    reference: InlineReference | None = None

    _path: Path = PrivateAttr(default=Path("<memory>"))
    _builtin: bool = PrivateAttr(default=False)
    _vocabularies: dict[int, tuple[Path, dict[str, str]]] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def builtin(self) -> bool:
        return self._builtin

    def vocabulary(self, index: int) -> tuple[Path, dict[str, str]]:
        """The activity vocabulary of file entry ``index`` and the file it is written in."""
        return self._vocabularies[index]


VOCABULARY_HINT = "a YAML mapping of activity names to canonical codes, e.g. `收件: SUBMIT`"


def _load_vocabulary(path: Path) -> dict[str, str]:
    document = yamlfile.load(path, MappingError)
    if not isinstance(document.data, dict):
        raise MappingError("a vocabulary file must be a mapping of names to codes",
                           location=Location(file=path, line=1), hint=VOCABULARY_HINT)
    result: dict[str, str] = {}
    for name, code in document.data.items():
        line = document.lines.get((name,))
        if not isinstance(name, str) or not isinstance(code, str) or code not in ACTIVITIES:
            raise MappingError(f"{code!r} is not a canonical activity code",
                               location=Location(file=path, line=line, field=str(name)), hint=VOCABULARY_HINT)
        result[name] = code
    return result


def load_mapping(path: Path, *, builtin: bool = False) -> Mapping:
    """Read and validate one mapping file (and its vocabulary files)."""
    path = Path(path)
    document = yamlfile.load(path, MappingError)
    if not isinstance(document.data, dict):
        raise MappingError("a mapping file must be a YAML mapping with platform, title and files",
                           location=Location(file=path, line=1))
    try:
        mapping = Mapping.model_validate(document.data)
    except ValidationError as exc:
        raise document.error(exc, MappingError, hint="see docs/mappings.md for the mapping format") from None
    mapping._path = path
    mapping._builtin = builtin
    for index, entry in enumerate(mapping.files):
        if isinstance(entry, EventsEntry | XesEntry | LogEntry):
            if entry.activities_file is not None:
                vocab_path = (path.parent / entry.activities_file).resolve()
                mapping._vocabularies[index] = (vocab_path, _load_vocabulary(vocab_path))
            else:
                mapping._vocabularies[index] = (path, dict(entry.activities or {}))
    return mapping


@functools.cache
def builtin_mappings() -> tuple[Mapping, ...]:
    """The mappings shipped in ``ingest/mappings`` (not its sub-folders), sorted by file name."""
    folder = Path(__file__).resolve().parent / "mappings"
    return tuple(load_mapping(p, builtin=True) for p in sorted(folder.glob("*.yaml")))


def load_mappings(paths: list[Path]) -> list[Mapping]:
    mappings = [load_mapping(p) for p in paths]
    seen: dict[str, Path] = {m.platform: m.path for m in builtin_mappings()}
    for mapping in mappings:
        other = seen.get(mapping.platform)
        if other is not None and other != mapping.path and any(m.path == other for m in builtin_mappings()):
            raise MappingError(
                f"platform code {mapping.platform!r} is already used by the built-in mapping {other.name}",
                location=Location(file=mapping.path, field="platform"),
                hint="choose another platform code: case ids are platform code + ':' + case number",
            )
        seen[mapping.platform] = mapping.path
    return mappings
