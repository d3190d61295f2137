"""YAML that remembers where each value was written.

:func:`load` returns the data together with a map from each key path (``("files", 0, "fields")``)
to its 1-based line, so a validation error can name the file, the line and the field. Duplicate
keys, which PyYAML would silently let the last one win, are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sunlight.errors import Location, SunlightError

LinePath = tuple[str | int, ...]


class YamlDocument:
    """Parsed YAML data plus the line of every key path."""

    def __init__(self, path: Path, data: Any, lines: dict[LinePath, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def locate(self, loc: Sequence[str | int]) -> tuple[int | None, str]:
        """Line and dotted field name for a pydantic error location.

        Parts of ``loc`` that are not keys of the document (a discriminated union's tag, a
        validator's name) are skipped.
        """
        path: LinePath = ()
        for part in loc:
            if path + (part,) in self.lines:
                path = path + (part,)
        field = ""
        for part in path:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        return self.lines.get(path, self.lines.get((), None)), field

    def error(
        self, exc: ValidationError, error_type: Callable[..., SunlightError], hint: str | None = None
    ) -> SunlightError:
        """Turn the first validation error into ``error_type`` with file, line and field."""
        first = exc.errors()[0]
        line, field = self.locate(first["loc"])
        message = first["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if first["type"] == "extra_forbidden":
            message = f"unknown key {first['loc'][-1]!r}"
        return error_type(message, location=Location(file=self.path, line=line, field=field or None), hint=hint)


def load(path: Path, error_type: Callable[..., SunlightError]) -> YamlDocument:
    """Read ``path``; syntax errors and duplicate keys raise ``error_type`` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_type("file not found", location=Location(file=path)) from None
    except UnicodeDecodeError as exc:
        raise error_type(f"not UTF-8 text ({exc.reason})", location=Location(file=path)) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[LinePath, int] = {}
        if node is not None:
            _walk(node, (), lines, path, error_type)
            data = loader.construct_document(node)
        else:
            data = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error_type(
            f"not valid YAML: {exc.problem or exc.context}",
            location=Location(file=path, line=mark.line + 1 if mark else None),
        ) from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, lines)


def _walk(
    node: yaml.Node, path: LinePath, lines: dict[LinePath, int], file: Path, error_type: Callable[..., SunlightError]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise error_type(
                    f"key {key!r} appears twice (first on line {seen[key]})",
                    location=Location(file=file, line=line, field=key),
                )
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, file, error_type)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, file, error_type)
