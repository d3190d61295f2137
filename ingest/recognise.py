"""Which mapping describes a file.

The file's format comes from its content (:func:`ingest.sources.sniff`). Then every mapping entry
of that format is scored: for CSV, JSON lines and Parquet, the share of the entry's source columns
found in the file's header (at least half must be there); for workbooks, the share of the
mapping's sheets the workbook has; for XES, the mapping's signature (a log attribute), or - for a
user mapping without one - any XES log. The best score wins; a user mapping wins a tie with a
built-in one, and any other tie is refused as ambiguous. A winning entry that lacks a column of a
required field refuses the whole file, naming the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.mapping import FileEntry, Mapping, XesEntry
from ingest.parts import PartSpec, parts_for
from ingest.readers import reader_for
from ingest.readers.base import Stager
from ingest.readers.xes import log_attributes
from ingest.readers.xlsx import XlsxReader
from ingest.sources import SourceFile

MIN_COVERAGE = 0.5
MAPPING_HINT = "用 --mapping 指定描述该文件的映射文件（格式见 docs/mappings.md）"


@dataclass
class Match:
    """The mapping a file was recognised with, and the entries of it the file holds."""

    mapping: Mapping
    entries: list[tuple[int, FileEntry]]
    notes: list[str] = field(default_factory=list)

    def parts(self) -> list[PartSpec]:
        return [part for index, entry in self.entries for part in parts_for(self.mapping, index, entry)]

    @property
    def records(self) -> list[str]:
        return list(dict.fromkeys(p.record for p in self.parts() if p.counted))


def _coverage(wanted: Sequence[str], header: Sequence[str]) -> float:
    wanted = list(dict.fromkeys(wanted))
    return sum(1 for c in wanted if c in set(header)) / len(wanted) if wanted else 0.0


def _entry_columns(entry: FileEntry) -> list[str]:
    return entry.source_columns() if hasattr(entry, "source_columns") else []


def _score(source: SourceFile, mapping: Mapping, stager: Stager) -> tuple[float, list[tuple[int, FileEntry]]]:
    entries = [(i, e) for i, e in enumerate(mapping.files) if e.format == source.format]
    if not entries:
        return 0.0, []
    if source.format == "xes":
        best: list[tuple[int, FileEntry]] = []
        score = 0.0
        for index, entry in entries:
            assert isinstance(entry, XesEntry)
            if entry.signature is None:
                if not mapping.builtin and score < 1.0:
                    score, best = 1.0, [(index, entry)]
            elif entry.signature.log_attribute.matches(log_attributes(source)):
                return 2.0, [(index, entry)]
        return score, best
    if source.format == "xlsx":
        sheets = set(XlsxReader().sheet_names(source))
        present = [(i, e) for i, e in entries if getattr(e, "sheet", None) in sheets]
        return len(present) / len(entries), present
    reader = reader_for(source.format)
    scored = [(_coverage(_entry_columns(e), reader.headers(source, e, stager).get("", [])), (i, e)) for i, e in entries]
    top = max(scored, key=lambda s: s[0])
    return top[0], [top[1]]


def recognise(source: SourceFile, mappings: Sequence[Mapping], stager: Stager) -> Match:
    """The mapping for ``source`` among ``mappings`` (user mappings first, then built-in ones)."""
    candidates: list[tuple[float, int, Mapping, list[tuple[int, FileEntry]]]] = []
    for mapping in mappings:
        score, entries = _score(source, mapping, stager)
        if entries and score >= MIN_COVERAGE:
            candidates.append((score, 0 if not mapping.builtin else 1, mapping, entries))
    if not candidates:
        raise source.refuse(_unrecognised(source, mappings, stager), MAPPING_HINT)
    candidates.sort(key=lambda c: (-c[0], c[1]))
    best = candidates[0]
    if len(candidates) > 1 and candidates[1][0] == best[0] and candidates[1][1] == best[1]:
        names = "、".join(c[2].path.name for c in candidates if c[0] == best[0] and c[1] == best[1])
        raise source.refuse(f"无法确定映射：{names} 都与该文件匹配", "用 --mapping 明确指定其中一个映射")
    match = Match(best[2], best[3])
    if source.format == "xlsx":
        sheet_names = XlsxReader().sheet_names(source)
        wanted = {getattr(e, "sheet", None) for e in match.mapping.files if e.format == "xlsx"}
        match.notes += [f"工作表「{s}」不在映射中，已跳过" for s in sheet_names if s not in wanted]
        match.notes += [f"未包含工作表「{s}」" for s in sorted(w for w in wanted if w and w not in sheet_names)]
    elif source.format != "xes":
        check_columns(source, match, {index: reader_for(source.format).headers(source, entry, stager).get("", [])
                                      for index, entry in match.entries})
    return match


def check_columns(source: SourceFile, match: Match, headers: dict[int, list[str]]) -> None:
    """Refuse the file when a column of a required field is missing; note missing optional ones."""
    for index, entry in match.entries:
        header = set(headers.get(index, []))
        parts = parts_for(match.mapping, index, entry)
        required = {p.fields[n] for p in parts for n in p.effective_required() if n in p.fields}
        wanted = [c for p in parts for c in p.source_columns()]
        missing = [c for c in dict.fromkeys(wanted) if c not in header]
        fatal = [c for c in missing if c in required]
        sheet = getattr(entry, "sheet", None)
        where = f"工作表「{sheet}」" if sheet else "文件"
        if fatal:
            raise source.refuse(
                f"{where}缺少必需的列：{'、'.join(f'「{c}」' for c in fatal)}",
                f"映射 {match.mapping.path.name} 的 {entry.record} 需要这些列；核对导出是否完整，或修改映射",
            )
        if missing:
            match.notes.append(f"{where}缺少可选列 {'、'.join(f'「{c}」' for c in missing)}，相应字段留空")


def _unrecognised(source: SourceFile, mappings: Sequence[Mapping], stager: Stager) -> str:
    if source.format == "xes":
        return "无法识别的 XES 日志：没有映射的 signature 与它的日志属性匹配"
    if source.format == "xlsx":
        return f"无法识别的工作簿：工作表 {'、'.join(XlsxReader().sheet_names(source))} 不属于任何映射"
    headers: list[str] = []
    for mapping in mappings:
        for entry in mapping.files:
            if entry.format == source.format:
                headers = reader_for(source.format).headers(source, entry, stager).get("", [])
                break
        if headers:
            break
    shown = "、".join(headers[:8]) + ("…" if len(headers) > 8 else "")
    return f"无法识别的 {source.format.upper()} 文件：没有映射与它的表头匹配（表头：{shown or '无'}）"
