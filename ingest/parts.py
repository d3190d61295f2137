"""Parts: what the normaliser loads. A file entry of a mapping yields one part per record it holds.

A CSV of cases is one part. An XES log is two (its traces are cases, its events are events); a
flat event log is two as well, but its cases are taken from the first row of each case and are not
rows of their own (``counted=False``). Parts are loaded in phase order: reference data first, then
cases, events and disclosures, whatever the order of the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.fields import TARGETS
from ingest.mapping import (
    EventsEntry,
    FileEntry,
    LogEntry,
    Mapping,
    Scalar,
    XesEntry,
)

TRACE_PREFIX = "trace:"   # XES events see their trace's attributes under this prefix


@dataclass(frozen=True)
class PartSpec:
    record: str                              # departments / items / ... / cases / events / disclosures
    platform: str
    mapping: Mapping
    entry_index: int
    stage: str                               # which staged table of the file feeds it
    fields: dict[str, str]                   # canonical field -> source column
    constants: dict[str, Scalar] = field(default_factory=dict)
    values: dict[str, dict[str, Scalar]] = field(default_factory=dict)
    list_separator: str = "；"
    timestamp_formats: tuple[str, ...] = ("iso8601",)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    timezone: str = "local"
    required: tuple[str, ...] = ()
    attrs: tuple[str, ...] = ()
    counted: bool = True                     # its rows count in the file's reconciliation

    @property
    def phase(self) -> int:
        return TARGETS[self.record].phase

    @property
    def label(self) -> str:
        return TARGETS[self.record].label

    def vocabulary(self) -> tuple[Path, dict[str, str]]:
        return self.mapping.vocabulary(self.entry_index)

    def effective_required(self) -> tuple[str, ...]:
        """Declared required fields plus every mapped field whose canonical column is NOT NULL."""
        target = TARGETS[self.record]
        implied = [name for name in self.fields if target.fields[name].not_null]
        return tuple(dict.fromkeys([*self.required, *implied]))

    def source_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.fields.values(), *self.attrs]))


def parts_for(mapping: Mapping, index: int, entry: FileEntry) -> list[PartSpec]:
    """The parts one file entry yields."""
    base = PartSpec(
        record=entry.record, platform=mapping.platform, mapping=mapping, entry_index=index, stage="", fields={},
        values=dict(entry.values), list_separator=entry.list_separator,
        timestamp_formats=tuple(entry.timestamp_formats), date_formats=tuple(entry.date_formats),
        timezone=entry.timezone,
    )
    if isinstance(entry, XesEntry):
        case_no = entry.case_fields["source_case_no"]
        return [
            replace(base, record="cases", stage="traces", fields=dict(entry.case_fields),
                    constants=dict(entry.constants), required=tuple(entry.required_case)),
            replace(base, record="events", stage="events",
                    fields={"source_case_no": TRACE_PREFIX + case_no, **entry.event_fields},
                    required=tuple(entry.required_event), attrs=tuple(entry.attrs)),
        ]
    if isinstance(entry, LogEntry):
        case_no = entry.event_fields["source_case_no"]
        return [
            replace(base, record="cases", stage="first-rows", fields={"source_case_no": case_no, **entry.case_fields},
                    constants=dict(entry.constants), required=tuple(entry.required_case), counted=False),
            replace(base, record="events", stage="", fields=dict(entry.event_fields),
                    required=tuple(entry.required_event), attrs=tuple(entry.attrs)),
        ]
    stage = entry.sheet or ""
    attrs = tuple(entry.attrs) if isinstance(entry, EventsEntry) else ()
    return [replace(base, stage=stage, fields=dict(entry.fields), constants=dict(entry.constants),
                    required=tuple(entry.required), attrs=attrs)]
