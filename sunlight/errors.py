"""One error root for the whole project.

Every error carries where it happened (a file and line, a row, a rule id, a case id) and a hint
that tells the user how to fix it. Errors become friendly text only at the edges (the CLI and the
dashboard), via :meth:`SunlightError.describe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where an error was found. Every part is optional; render only what is known."""

    file: str | Path | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None
    rule_id: str | None = None
    case_id: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            parts.append(where)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        if self.rule_id is not None:
            parts.append(f"rule {self.rule_id}")
        if self.case_id is not None:
            parts.append(f"case {self.case_id}")
        return ", ".join(parts)


class SunlightError(Exception):
    """Root of every error Sunlight raises on purpose.

    ``message`` says what is wrong, ``location`` where, ``hint`` what to do about it.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.hint = hint

    def describe(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.describe()


class ConfigError(SunlightError):
    """A settings file or command-line option is wrong."""

    exit_code = 2


class SchemaError(SunlightError):
    """The database schema is missing, too new, or cannot be upgraded."""

    exit_code = 3


class CalendarError(SunlightError):
    """A date falls in a year for which no working-day calendar is known."""

    exit_code = 4


class IngestError(SunlightError):
    """A whole file (not a single row) cannot be loaded."""

    exit_code = 5


class RuleError(SunlightError):
    """A rule file, rule or exception file is invalid."""

    exit_code = 6


class AuditError(SunlightError):
    """The audit could not run or record its results."""

    exit_code = 7


class LiveEngineUnavailable(SunlightError):
    """The live engine (durable_rules) is not installed for this Python."""

    exit_code = 8
