"""YAML with line numbers: each key path's line, and errors located from pydantic locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import yamlfile
from sunlight.errors import ConfigError

TEXT = "platform: a\nfiles:\n  - record: cases\n    fields:\n      x: 列\n  - record: events\n"


def test_lines_of_key_paths(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(TEXT, encoding="utf-8")
    doc = yamlfile.load(path, ConfigError)
    assert doc.lines[("platform",)] == 1
    assert doc.lines[("files", 0, "fields", "x")] == 5
    assert doc.lines[("files", 1)] == 6


@pytest.mark.parametrize(
    ("loc", "line", "field"),
    [
        (("files", 0, "cases", "fields", "x"), 5, "files[0].fields.x"),   # a union tag is skipped
        (("files", 1, "events", "activities"), 6, "files[1]"),          # a missing key: its parent
        (("nothing",), 1, ""),
    ],
)
def test_locate(tmp_path: Path, loc: tuple[str | int, ...], line: int, field: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(TEXT, encoding="utf-8")
    assert yamlfile.load(path, ConfigError).locate(loc) == (line, field)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe", "not UTF-8 text"), (b"a: [1\n", "not valid YAML")],
)
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        yamlfile.load(path, ConfigError)
