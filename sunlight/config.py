"""Settings: read once from an optional TOML file, overridable from the command line.

Looked up in this order: an explicit ``--config FILE``, ``$SUNLIGHT_CONFIG``, ``./sunlight.toml``.
Nothing is guessed: a setting that is absent takes the documented default below.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sunlight.errors import ConfigError, Location

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Settings(BaseModel):
    """Project-wide settings. See README "Settings" for each field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field(DEFAULT_TIMEZONE, description="Local time zone of the authority.")
    calendar_override: Path | None = Field(
        None, description="CSV of (date, is_workday[, note]) that overrides or extends chinese_calendar."
    )
    rules_dir: Path | None = Field(None, description="Rule pack folder; default: the bundled rules/default.")
    exceptions_dir: Path | None = Field(None, description="Rule exception files; default: rules/exceptions.")
    users_file: Path | None = Field(None, description="Dashboard users and password hashes (TOML).")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(path: Path | None = None) -> Settings:
    """Load settings from ``path`` or the default places; relative paths resolve against the file."""
    candidates = [path] if path else []
    if not path and os.environ.get("SUNLIGHT_CONFIG"):
        candidates.append(Path(os.environ["SUNLIGHT_CONFIG"]))
    if not path:
        candidates.append(Path("sunlight.toml"))
    for candidate in candidates:
        if candidate is None:
            continue
        if not candidate.exists():
            if candidate is path:
                raise ConfigError("settings file not found", location=Location(file=candidate))
            continue
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", location=Location(file=candidate)) from exc
        base = candidate.parent
        for key in ("calendar_override", "rules_dir", "exceptions_dir", "users_file"):
            if key in data and not Path(data[key]).is_absolute():
                data[key] = str(base / data[key])
        try:
            return Settings(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(first["msg"], location=Location(file=candidate, field=field)) from exc
    return Settings()
