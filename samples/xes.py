"""统一协同办公平台: an IEEE 1849-2016 XES event log, written as a stream.

Traces are cases: ``concept:name`` is the case number and the case fields follow as typed
attributes named as in ``ingest/mappings/unified_office.yaml`` (strings, ``date`` values in UTC,
``float`` for the fee). Events carry ``concept:name`` (the platform's Chinese activity label),
``time:timestamp`` in UTC with ``Z``, ``org:resource`` (the handler), ``org:group`` (the unit) and
the document fields. Empty values are left out, as XES does. The log carries the attribute
``source`` = 统一协同办公平台, which the ingest engine uses to recognise the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from samples.formats import ACTIVITY_LABELS, APPLICANT_TYPES, LIST_SEPARATORS, xes_time
from samples.model import Case

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000Z"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="source" value="统一协同办公平台"/>
  <string key="concept:name" value="平房区统一协同办公平台办件日志"/>
"""
FOOTER = "</log>\n"
_ATTR = {'"': "&quot;"}


def _attr(kind: str, key: str, value: str) -> str:
    return f'<{kind} key="{key}" value="{escape(value, _ATTR)}"/>'


class UnifiedOfficeWriter:
    platform = "xtbg"

    def __init__(self, out: Path) -> None:
        self.path = out / "xtbg.xes"
        self._handle: TextIO = self.path.open("w", encoding="utf-8", newline="\n")
        self._handle.write(HEADER)
        self.traces = 0
        self.events = 0

    def trace_lines(self, case: Case) -> list[str]:
        lines = ["  <trace>", "    " + _attr("string", "concept:name", case.case_no)]
        strings = [("item_code", case.item.code), ("dept_code", case.dept_code),
                   ("applicant_type", APPLICANT_TYPES["xtbg"][case.party.kind]), ("applicant_name", case.party.name),
                   ("applicant_id", case.party.id_no)]
        dates = [("submitted_at", case.submitted_at), ("accepted_at", case.accepted_at), ("closed_at", case.closed_at)]
        tail = [("close_result", case.close_result), ("receipt_no", case.receipt_no),
                ("materials", LIST_SEPARATORS["xtbg"].join(case.materials))]
        lines += ["    " + _attr("string", k, v) for k, v in strings if v]
        lines += ["    " + _attr("date", k, xes_time(v)) for k, v in dates if v is not None]
        lines += ["    " + _attr("string", k, v) for k, v in tail if v]
        if case.fee_charged is not None:
            lines.append("    " + _attr("float", "fee_charged", f"{case.fee_charged:.1f}"))
        return lines

    def event_lines(self, case: Case) -> list[str]:
        lines: list[str] = []
        labels = ACTIVITY_LABELS["xtbg"]
        for e in case.events:
            lines.append("    <event>")
            lines.append("      " + _attr("string", "concept:name", labels[e.activity]))
            lines.append("      " + _attr("date", "time:timestamp", xes_time(e.ts)))
            if e.actor:
                lines.append("      " + _attr("string", "org:resource", e.actor))
            lines.append("      " + _attr("string", "org:group", case.dept_code))
            if e.doc_type:
                lines.append("      " + _attr("string", "document_type", e.doc_type))
            if e.doc_no:
                lines.append("      " + _attr("string", "document_no", e.doc_no))
            if e.amount is not None:
                lines.append("      " + _attr("float", "amount", f"{e.amount:.1f}"))
            lines.append("    </event>")
        return lines

    def write_trace(self, lines: list[str], events: int) -> int:
        """Write one trace (its lines without the closing tag); returns its 1-based trace number."""
        self._handle.write("\n".join(lines) + "\n  </trace>\n")
        self.traces += 1
        self.events += events
        return self.traces

    def write_chunk(self, cases: list[Case]) -> None:
        for case in cases:
            if case.platform == self.platform:
                self.write_trace(self.trace_lines(case) + self.event_lines(case), len(case.events))

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.write(FOOTER)
            self._handle.close()
