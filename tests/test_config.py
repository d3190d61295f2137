"""Settings files: defaults, relative paths, and errors that name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from sunlight.config import DEFAULT_TIMEZONE, load_settings
from sunlight.errors import ConfigError


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUNLIGHT_CONFIG", raising=False)
    settings = load_settings()
    assert settings.timezone == DEFAULT_TIMEZONE
    assert settings.calendar_override is None


def test_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "sunlight.toml"
    path.write_text('timezone = "Asia/Urumqi"\ncalendar_override = "cal.csv"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.timezone == "Asia/Urumqi"
    assert settings.calendar_override == tmp_path / "conf" / "cal.csv"


@pytest.mark.parametrize(
    ("text", "message", "field"),
    [
        ('timezone = "Mars/Olympus"\n', "unknown time zone", "timezone"),
        ('colour = "red"\n', "Extra inputs are not permitted", "colour"),
        ("timezone = \n", "not valid TOML", None),
    ],
    ids=["timezone", "unknown-key", "syntax"],
)
def test_bad_settings_name_file_and_field(tmp_path: Path, text: str, message: str, field: str | None) -> None:
    path = tmp_path / "sunlight.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(path)
    assert "sunlight.toml" in info.value.describe()
    if field:
        assert f"field {field!r}" in info.value.describe()


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "absent.toml")
