"""Source files: finding them, fingerprinting them, and telling their format from their content.

The format comes from the first bytes (a zip with ``xl/workbook.xml`` is .xlsx, ``PAR1`` is
Parquet, gzip holding ``<log`` is .xes.gz, XML with ``<log`` is XES, a line starting with ``{`` is
JSON lines, other text is CSV); the extension only breaks ties. A file that is empty, binary, an
unknown archive or a damaged workbook is refused here with a Chinese message.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sunlight.errors import IngestError, Location

HEAD_BYTES = 64 * 1024
SUFFIXES = (".csv", ".txt", ".tsv", ".jsonl", ".json", ".ndjson", ".xlsx", ".xes", ".xes.gz", ".parquet")


@dataclass
class SourceFile:
    """One file given to ingest. ``name`` (the base name) is the identity of an export."""

    path: Path
    order: int                     # position in this ingest call (ties in time keep this order)
    size: int = 0
    sha256: str = ""
    format: str = ""               # csv / jsonl / xlsx / xes / parquet
    compressed: bool = False       # .xes.gz
    cache: dict[str, Any] = field(default_factory=dict)   # readers keep parsed headers/workbooks here

    @property
    def name(self) -> str:
        return self.path.name

    def refuse(self, message: str, hint: str | None = None) -> IngestError:
        return IngestError(message, location=Location(file=self.name), hint=hint)


def expand(paths: list[Path]) -> list[Path]:
    """Files in argument order; a directory expands recursively, sorted by relative path.

    Hidden files and folders (``.name``) inside a directory are skipped; a file named explicitly
    is always taken.
    """
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            inside = sorted(
                (p for p in path.rglob("*") if p.is_file()
                 and not any(part.startswith(".") for part in p.relative_to(path).parts)),
                key=lambda p: p.relative_to(path).as_posix(),
            )
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise IngestError("file or folder not found", location=Location(file=path),
                              hint="check the path; nothing was loaded")
    return found


def fingerprint(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def _gunzip_head(head: bytes) -> bytes:
    try:
        return zlib.decompressobj(wbits=47).decompress(head, HEAD_BYTES)
    except zlib.error:
        return b""


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.05


def sniff(source: SourceFile) -> None:
    """Set ``source.format`` (and ``compressed``) from content; refuse what cannot be read."""
    with source.path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    suffix = source.name.lower()
    if not head:
        raise source.refuse("空文件（0 字节）", "重新导出该文件；空文件不会被载入")
    if head.startswith(b"PK\x03\x04") or suffix.endswith(".xlsx"):
        try:
            with zipfile.ZipFile(source.path) as archive:
                if "xl/workbook.xml" not in archive.namelist():
                    raise source.refuse("压缩包不是 Excel 工作簿（缺少 xl/workbook.xml）", "只支持 .xlsx 工作簿")
        except (zipfile.BadZipFile, OSError):
            raise source.refuse("Excel 文件已损坏或不完整（无法作为 .xlsx 打开，可能在传输中被截断）",
                                "从平台重新导出该工作簿后再载入") from None
        source.format = "xlsx"
        return
    if head.startswith(b"PAR1"):
        source.format = "parquet"
        return
    if head.startswith(b"\x1f\x8b"):
        inner = _gunzip_head(head)
        if b"<log" in inner or (inner.lstrip().startswith(b"<?xml") and suffix.endswith(".xes.gz")):
            source.format, source.compressed = "xes", True
            return
        raise source.refuse("不支持的压缩文件（只支持 .xes.gz）", "解压后再载入")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise source.refuse("文件是 UTF-16 编码，不受支持", "请以 UTF-8、GBK 或 GB18030 编码导出")
    if _looks_binary(head):
        raise source.refuse("二进制文件，不是可识别的 CSV、JSON lines、XES、xlsx 或 Parquet",
                            "检查是否选错了文件；支持的格式见 docs/mappings.md")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<log"):
        if b"<log" not in text:
            raise source.refuse("XML 文件不是 XES 日志（没有 <log> 元素）", "只支持 XES 格式的 XML")
        source.format = "xes"
        return
    if text.startswith(b"{") or suffix.endswith((".jsonl", ".ndjson", ".json")):
        source.format = "jsonl"
        return
    source.format = "csv"


def open_xes(source: SourceFile) -> Any:
    """A binary stream of the XES document (decompressed when needed)."""
    return gzip.open(source.path, "rb") if source.compressed else source.path.open("rb")
