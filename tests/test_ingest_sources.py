"""Finding files, fingerprinting them and telling their format from their content."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from ingest.sources import SourceFile, expand, fingerprint, sniff
from sunlight.errors import IngestError

XES = b'<?xml version="1.0"?>\n<log><trace/></log>\n'


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


SNIFFED = [
    ("csv", "a.csv", "编号,名称\n1,x\n".encode("gbk"), ("csv", False)),
    ("csv with BOM", "a.csv", "\ufeff编号\n".encode("utf-8"), ("csv", False)),
    ("jsonl", "a.jsonl", b'{"a": 1}\n', ("jsonl", False)),
    ("jsonl by extension", "a.jsonl", b'  \n{"a": 1}\n', ("jsonl", False)),
    ("xes", "a.xes", XES, ("xes", False)),
    ("xes without declaration", "a.xes", b"<log xes.version='1.0'>", ("xes", False)),
    ("xes.gz", "a.xes.gz", gzip.compress(XES), ("xes", True)),
    ("parquet", "a.parquet", b"PAR1" + b"\x00" * 20, ("parquet", False)),
    ("xlsx", "a.xlsx", _zip(["xl/workbook.xml", "xl/worksheets/sheet1.xml"]), ("xlsx", False)),
]


@pytest.mark.parametrize(("name", "file_name", "content", "expected"), SNIFFED, ids=[s[0] for s in SNIFFED])
def test_format_comes_from_content(tmp_path: Path, name: str, file_name: str, content: bytes,
                                   expected: tuple[str, bool]) -> None:
    path = tmp_path / file_name
    path.write_bytes(content)
    source = SourceFile(path, 1)
    sniff(source)
    assert (source.format, source.compressed) == expected


REFUSED = [
    ("empty", "a.csv", b"", "空文件（0 字节）"),
    ("binary", "a.dat", bytes(range(256)) * 4, "二进制文件"),
    ("UTF-16", "a.csv", "编号\n".encode("utf-16"), "UTF-16"),
    ("truncated workbook", "a.xlsx", _zip(["xl/workbook.xml"])[:40], "Excel 文件已损坏或不完整"),
    ("other zip", "a.zip", _zip(["word/document.xml"]), "压缩包不是 Excel 工作簿"),
    ("other gzip", "a.csv.gz", gzip.compress(b"a,b\n1,2\n"), "不支持的压缩文件"),
    ("XML that is not XES", "a.xml", b'<?xml version="1.0"?><html/>', "XML 文件不是 XES 日志"),
]


@pytest.mark.parametrize(("name", "file_name", "content", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_unreadable_files_are_refused(tmp_path: Path, name: str, file_name: str, content: bytes, message: str) -> None:
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message) as caught:
        sniff(SourceFile(path, 1))
    assert caught.value.location.file == file_name and caught.value.hint


def test_folders_expand_recursively_in_path_order_skipping_hidden(tmp_path: Path) -> None:
    for name in ["b.csv", "a/z.csv", "a/c.csv", ".hidden/x.csv", "a/.y.csv"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    single = tmp_path / "b.csv"
    assert [p.relative_to(tmp_path).as_posix() for p in expand([single, tmp_path / "a", tmp_path])] == [
        "b.csv", "a/c.csv", "a/z.csv", "a/c.csv", "a/z.csv", "b.csv"]


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="file or folder not found"):
        expand([tmp_path / "nothing"])


def test_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"abc")
    assert fingerprint(path) == (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
