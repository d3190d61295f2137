"""YAML documents that remember where each value came from, and pydantic errors mapped back.

PyYAML composes the node tree (which carries line marks) and constructs plain Python data from it
with the safe constructor; :func:`read_documents` keeps both, as a map from each value's path
(keys and list indexes) to its 1-based line. :func:`to_rule_errors` turns a pydantic
``ValidationError`` into :class:`RuleError` s that name the file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sunlight.errors import Location, RuleError

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """One YAML document of a file: its data and the line of every value in it."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(repr=False)

    @property
    def line(self) -> int:
        return self.lines.get((), 1)

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that exists."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, self.line)


def _walk(node: yaml.Node, path: Path_) -> Iterator[tuple[Path_, int]]:
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            yield path + (name,), key.start_mark.line + 1
            yield from _walk(value, path + (name,))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            yield from _walk(value, path + (index,))


def read_documents(path: Path) -> list[Document]:
    """Every document of a YAML file; a syntax error raises RuleError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"无法读取规则文件：{exc}", location=Location(file=path)) from exc
    loader = yaml.SafeLoader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[Path_, int] = {}
            for sub_path, line in _walk(node, ()):
                lines.setdefault(sub_path, line)
            documents.append(Document(path, loader.construct_document(node), lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RuleError(
            f"YAML 语法错误：{exc.problem or exc.context}",
            location=Location(file=path, line=mark.line + 1 if mark else None),
            hint="检查缩进和冒号；含冒号或 # 的文字请加引号",
        ) from exc
    finally:
        loader.dispose()
    return documents


def locate(loc: tuple[Any, ...], data: Any) -> Path_:
    """The part of a pydantic ``loc`` that exists in ``data`` (union tags and validator names
    are skipped)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
            path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
    return tuple(path)


def dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any, known_kinds: tuple[str, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"未知的规则类型 kind: {ctx.get('tag')!r}；可用的类型：{', '.join(known_kinds)}"
    if kind == "union_tag_not_found":
        return f"缺少 kind；可用的类型：{', '.join(known_kinds)}"
    if kind == "missing":
        return "缺少必填字段"
    if kind == "extra_forbidden":
        return "不认识的字段（拼写错误，或放错了位置？）"
    if kind == "literal_error":
        return f"取值须是 {ctx.get('expected')}"
    if kind in ("value_error", "assertion_error"):
        inner = ctx.get("error")
        return str(inner) if inner is not None else str(error["msg"])
    return str(error["msg"])


def to_rule_errors(exc: ValidationError, document: Document, *, base: Path_ = (),
                   rule_id: str | None = None, known_kinds: tuple[str, ...] = ()) -> list[RuleError]:
    """One RuleError per pydantic error, each with the file, line and field it concerns."""
    data = document.data
    for part in base:
        data = data[part]
    found: list[RuleError] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        inner = (error.get("ctx") or {}).get("error")
        extra = tuple(getattr(inner, "path", ()))
        path = locate(loc, data)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = path + ("kind",)
        path = path + extra
        full = base + path
        field_name: str | None
        if error["type"] == "missing" and loc:
            field_name = dotted(path + (loc[-1],))
        else:
            field_name = dotted(path) or None
        if any(f.location.field == field_name for f in found):
            continue  # one error per field (a union reports each of its members)
        found.append(RuleError(
            _message(error, known_kinds),
            location=Location(file=document.file, line=document.line_of(full), field=field_name or None,
                              rule_id=rule_id),
        ))
    return found


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data
