"""XES (IEEE 1849) event logs, plain or gzip-compressed, parsed with lxml into Arrow batches.

Traces are cases and their attributes feed the mapping's ``case_fields``; events feed
``event_fields`` and see their trace's attributes under ``trace:``. Only attributes that are
direct children of a trace or an event are read (nested attributes are ignored). A trace's row
number is its trace number and an event's is its event number, both counted from 1 in document
order (the quarantine's ``record`` column tells the two apart). A log that cannot be parsed to its end (truncated, not well-formed) is refused
as a whole: nothing of it is loaded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
from lxml import etree

from ingest.mapping import FileEntry, XesEntry
from ingest.parts import TRACE_PREFIX
from ingest.readers.base import BatchBuilder, Stage, Stager, paused_gc, stage_schema
from ingest.sources import SourceFile, open_xes

ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
PARSE_ERRORS = (etree.XMLSyntaxError, EOFError, OSError, zlib.error, ValueError)
FIX_HINT = "XES 文件不完整或格式错误，从源系统重新导出后再载入"


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _parser(stream: Any, events: tuple[str, ...], tag: str | None = None) -> Any:
    return etree.iterparse(stream, events=events, tag=tag, resolve_entities=False, huge_tree=True,
                           no_network=True, remove_comments=True)


def log_attributes(source: SourceFile) -> dict[str, str]:
    """The log-level attributes (direct children of <log> before the first trace)."""
    if "xes-log" not in source.cache:
        found: dict[str, str] = {}
        depth = 0
        try:
            with open_xes(source) as stream:
                for event, element in _parser(stream, ("start", "end")):
                    tag = _local(element.tag)
                    if event == "start":
                        depth += 1
                        if tag == "trace":
                            break
                        continue
                    if depth == 2 and tag in ATTRIBUTE_TAGS and element.get("key") is not None:
                        found[element.get("key")] = element.get("value") or ""
                    depth -= 1
        except PARSE_ERRORS as exc:
            raise source.refuse(f"XES 文件无法解析：{exc}", FIX_HINT) from None
        source.cache["xes-log"] = found
    attributes: dict[str, str] = source.cache["xes-log"]
    return attributes


class _Tags:
    """What an element's tag is (an attribute, an event, neither), looked up once per distinct tag."""

    def __init__(self) -> None:
        self.kinds: dict[Any, str] = {}

    def kind(self, tag: Any) -> str:
        found = self.kinds.get(tag)
        if found is None:
            local = _local(tag)
            found = self.kinds[tag] = "attribute" if local in ATTRIBUTE_TAGS else local
        return found

    def attributes(self, element: Any) -> dict[str | None, str | None]:
        """The direct attribute children of ``element``: key -> value (a repeated key: the last)."""
        kinds, kind = self.kinds, self.kind
        found: dict[str | None, str | None] = {}
        for child in element:
            tag = child.tag
            if (kinds.get(tag) or kind(tag)) == "attribute":
                found[child.get("key")] = child.get("value")
        return found


def _traces(source: SourceFile) -> Iterator[tuple[dict[str | None, str | None], list[dict[str | None, str | None]]]]:
    tags = _Tags()
    with open_xes(source) as stream:
        for _, trace in _parser(stream, ("end",), "{*}trace"):
            events = [tags.attributes(child) for child in trace if (tags.kinds.get(child.tag) or tags.kind(child.tag)) == "event"]
            yield tags.attributes(trace), events
            trace.clear()
            parent = trace.getparent()
            while trace.getprevious() is not None and parent is not None:
                del parent[0]


class XesReader:
    FORMAT: ClassVar[str] = "xes"

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]:
        return {}

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]:
        assert isinstance(entry, XesEntry)
        trace_keys = list(dict.fromkeys(entry.case_fields.values()))
        case_no_key = entry.case_fields["source_case_no"]
        event_keys = list(dict.fromkeys([*entry.event_fields.values(), *entry.attrs]))
        trace_schema = stage_schema(len(trace_keys))
        event_schema = stage_schema(1 + len(event_keys)).insert(4, pa.field("_trace_row", pa.int64()))
        traces, events = BatchBuilder(trace_schema), BatchBuilder(event_schema)
        trace_batches: list[pa.RecordBatch] = []
        event_batches: list[pa.RecordBatch] = []
        trace_row = row = 0
        try:
            with paused_gc():
                for trace_values, trace_events in _traces(source):
                    trace_row += 1
                    batch = traces.add([trace_row, None, None, None, *map(trace_values.get, trace_keys)])
                    if batch is not None:
                        trace_batches.append(batch)
                    case_no = trace_values.get(case_no_key)
                    for values in trace_events:
                        row += 1
                        batch = events.add([row, None, None, None, trace_row, case_no, *map(values.get, event_keys)])
                        if batch is not None:
                            event_batches.append(batch)
        except PARSE_ERRORS as exc:
            raise source.refuse(f"XES 文件不完整或格式错误（读到第 {trace_row} 条轨迹、第 {row} 个事件时）：{exc}",
                                FIX_HINT) from None
        for builder, batches in ((traces, trace_batches), (events, event_batches)):
            last = builder.flush()
            if last is not None:
                batches.append(last)
        trace_table = stager.from_batches(trace_schema, trace_batches)
        event_table = stager.from_batches(event_schema, event_batches)
        trace_columns: dict[str, str] = {k: f"c{i}" for i, k in enumerate(trace_keys, 1)}
        event_columns = {TRACE_PREFIX + case_no_key: "c1"}
        event_columns.update({k: f"c{i}" for i, k in enumerate(event_keys, 2)})
        return {
            "traces": Stage(trace_table, trace_columns, traces.count),
            "events": Stage(event_table, event_columns, events.count),
        }
