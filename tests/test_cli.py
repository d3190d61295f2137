"""The `sunlight` command: help text, exit codes, friendly errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sunlight", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_help_lists_every_registered_command() -> None:
    from sunlight.cli import COMMANDS

    result = run("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", sorted(__import__("sunlight.cli", fromlist=["COMMANDS"]).COMMANDS))
def test_every_command_has_help(name: str) -> None:
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_calendar_error_exit_code_and_hint(tmp_path: Path) -> None:
    result = run("calendar", "show", "2027-01-01", "2027-01-05", cwd=tmp_path)
    assert result.returncode == 4
    assert "no working-day calendar for 2027" in result.stderr
    assert "Hint:" in result.stderr


def test_calendar_template_lists_every_day() -> None:
    result = run("calendar", "template", "2028")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "date,is_workday,note"
    assert len(lines) == 1 + 366  # 2028 is a leap year


def test_migrate_creates_a_database(tmp_path: Path) -> None:
    result = run("migrate", "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout
