"""The XES reader: log attributes, trace and event numbers, namespaces, damaged logs."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ingest.mapping import builtin_mappings
from ingest.readers.base import Stager
from ingest.readers.xes import XesReader, log_attributes
from ingest.sources import SourceFile, sniff
from sunlight import db
from sunlight.errors import IngestError

LOG = """<?xml version="1.0" encoding="UTF-8"?>
<log{ns}>
  <string key="source" value="统一协同办公平台"/>
  <global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>
  <!-- a comment -->
  <trace>
    <string key="concept:name" value="T1"/>
    <event><string key="concept:name" value="收件登记"/><date key="time:timestamp" value="2026-03-01T01:00:00Z"/>
      <list key="nested"><string key="org:resource" value="not read"/></list></event>
    <event><string key="concept:name" value="受理"/><date key="time:timestamp" value="2026-03-01T02:00:00Z"/></event>
  </trace>
  <trace><string key="concept:name" value="T2"/></trace>
  <trace>
    <event><string key="concept:name" value="受理"/></event>
    <string key="concept:name" value="T3"/>
  </trace>
</log>
"""


def staged(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    entry = next(m for m in builtin_mappings() if m.platform == "xtbg").files[0]
    con = db.memory()
    stager = Stager(con)
    source = SourceFile(path, 1)
    sniff(source)
    stages = XesReader().stage(source, entry, stager)
    traces = con.execute(f'SELECT _row, c1 FROM "{stages["traces"].table}" ORDER BY _row').fetchall()
    ev = stages["events"]
    actor = ev.columns["org:resource"]
    events = con.execute(f'SELECT _row, _trace_row, c1, c2, "{actor}" FROM "{ev.table}" ORDER BY _row').fetchall()
    stager.close()
    return traces, events


@pytest.mark.parametrize("ns", ["", ' xmlns="http://www.xes-standard.org/"'])
@pytest.mark.parametrize("compressed", [False, True])
def test_traces_and_events_are_numbered_in_document_order(tmp_path: Path, ns: str, compressed: bool) -> None:
    text = LOG.format(ns=ns).encode("utf-8")
    path = tmp_path / ("x.xes.gz" if compressed else "x.xes")
    path.write_bytes(gzip.compress(text) if compressed else text)
    source = SourceFile(path, 1)
    sniff(source)
    assert log_attributes(source) == {"source": "统一协同办公平台"}
    traces, events = staged(path)
    assert traces == [(1, "T1"), (2, "T2"), (3, "T3")]
    # trace attributes written after the events still reach them; nested attributes are not read
    assert events == [(1, 1, "T1", "收件登记", None), (2, 1, "T1", "受理", None), (3, 3, "T3", "受理", None)]


@pytest.mark.parametrize("cut", [200, 600, -20])
def test_a_log_that_ends_early_is_refused(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "x.xes"
    path.write_text(LOG.format(ns="")[:cut], encoding="utf-8")
    with pytest.raises(IngestError, match="XES 文件"):
        staged(path)
