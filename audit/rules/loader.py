"""Load a rule pack: every ``*.yaml`` file of a folder, one rule per YAML document.

Errors name the file, line and field. With ``ErrorPolicy.RAISE`` the first bad file stops the
load; with ``ErrorPolicy.COLLECT`` every error is gathered in :attr:`Pack.errors` and the valid
rules are kept (what ``sunlight rules lint`` shows).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from audit.rules.base import RuleBase
from audit.rules.kinds import KINDS, Rule
from audit.rules.yamlsrc import Document, read_documents, to_rule_errors
from sunlight.errors import Location, RuleError

_ADAPTER: TypeAdapter[RuleBase] = TypeAdapter(Rule)


class ErrorPolicy(enum.Enum):
    """What to do with a bad rule: stop at once, or collect the error and go on with the rest."""

    RAISE = "raise"
    COLLECT = "collect"


@dataclass(frozen=True)
class Source:
    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Pack:
    """The valid rules of a folder, where each came from, and (COLLECT) the errors found."""

    directory: Path | None
    rules: tuple[RuleBase, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    errors: tuple[RuleError, ...] = ()

    def __iter__(self) -> Iterator[RuleBase]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> RuleBase:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise RuleError(f"规则包中没有规则 {rule_id}",
                        location=Location(file=self.directory, rule_id=rule_id),
                        hint="`sunlight rules lint` 列出规则包中的全部规则")

    @property
    def version(self) -> str:
        """A digest of every rule's content: equal packs have equal versions."""
        return pack_digest(self.rules)

    def select(self, rule_ids: list[str] | tuple[str, ...]) -> Pack:
        chosen = tuple(self.get(r) for r in rule_ids)
        return Pack(self.directory, chosen, {r.id: self.sources[r.id] for r in chosen if r.id in self.sources},
                    self.errors)


def rule_digest(rule: RuleBase) -> str:
    text = json.dumps(rule.body(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack_digest(rules: tuple[RuleBase, ...] | list[RuleBase]) -> str:
    joined = "\n".join(f"{r.id}:{r.version}:{rule_digest(r)}" for r in sorted(rules, key=lambda r: r.id))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def parse_rule(document: Document) -> RuleBase:
    """Validate one document as a rule; raise the first error (all are in ``.errors``)."""
    errors = _validate(document)
    if isinstance(errors, list):
        raise PackErrors(errors)
    return errors


class PackErrors(RuleError):
    """Several rule errors at once; the message is the first, ``errors`` holds all."""

    def __init__(self, errors: list[RuleError]):
        first = errors[0]
        super().__init__(first.message, location=first.location, hint=first.hint)
        self.errors = errors

    def describe(self) -> str:
        return "\n".join(e.describe() for e in self.errors)


def _validate(document: Document) -> RuleBase | list[RuleError]:
    data = document.data
    if not isinstance(data, dict):
        return [RuleError("规则须是一个 YAML 映射（键: 值）", location=Location(file=document.file,
                                                                            line=document.line))]
    rule_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        return to_rule_errors(exc, document, rule_id=rule_id, known_kinds=tuple(KINDS))


def rule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise RuleError("规则目录不存在", location=Location(file=directory),
                        hint="用 --rules 指定规则目录，或在 sunlight.toml 中设置 rules_dir")
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_pack(directory: str | Path, *, policy: ErrorPolicy = ErrorPolicy.RAISE) -> Pack:
    """Load every rule under ``directory`` (``*.yaml``, sorted by name)."""
    directory = Path(directory)
    rules: list[RuleBase] = []
    sources: dict[str, Source] = {}
    errors: list[RuleError] = []
    for path in rule_files(directory):
        try:
            documents = read_documents(path)
        except RuleError as exc:
            if policy is ErrorPolicy.RAISE:
                raise
            errors.append(exc)
            continue
        for document in documents:
            result = _validate(document)
            if isinstance(result, list):
                if policy is ErrorPolicy.RAISE:
                    raise PackErrors(result)
                errors.extend(result)
                continue
            if result.id in sources:
                error = RuleError(f"规则编号 {result.id} 重复（另见 {sources[result.id]}）",
                                  location=Location(file=path, line=document.line, field="id", rule_id=result.id))
                if policy is ErrorPolicy.RAISE:
                    raise error
                errors.append(error)
                continue
            rules.append(result)
            sources[result.id] = Source(path, document.line)
    return Pack(directory, tuple(rules), sources, tuple(errors))


def default_rules_dir() -> Path:
    """The bundled default pack (``rules/default`` next to the ``audit`` package)."""
    return Path(__file__).resolve().parents[2] / "rules" / "default"


def default_exceptions_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "rules" / "exceptions"
