"""Readers: stage a file's rows as VARCHAR columns plus a 1-based source row number.

One reader per format, all with the same two methods: ``headers(source, entry, stager)`` returns
the column names a file offers for a mapping entry (used to recognise the file and to refuse it
when a required column is missing), and ``stage(source, entry, stager)`` stages its rows (see
:mod:`ingest.readers.base` for the staged table's columns).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from ingest.mapping import FileEntry
from ingest.readers.base import Stage, Stager
from ingest.readers.csv import CsvReader
from ingest.readers.jsonl import JsonLinesReader
from ingest.readers.parquet import ParquetReader
from ingest.readers.xes import XesReader
from ingest.readers.xlsx import XlsxReader
from ingest.sources import SourceFile


class Reader(Protocol):
    FORMAT: ClassVar[str]

    def headers(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, list[str]]: ...

    def stage(self, source: SourceFile, entry: FileEntry, stager: Stager) -> dict[str, Stage]: ...


READERS: dict[str, Reader] = {
    reader.FORMAT: reader
    for reader in (CsvReader(), JsonLinesReader(), ParquetReader(), XlsxReader(), XesReader())
}


def reader_for(format_name: str) -> Reader:
    return READERS[format_name]
