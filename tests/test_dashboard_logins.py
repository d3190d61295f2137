"""The server's record of signed-in browsers: tokens are random, stored hashed, expire, and are
revoked by logging out; the cookie script only ever writes a URL-safe token."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import ENV_SESSION_HOURS, from_environment
from dashboard.logins import COOKIE, Logins, cookie_script
from sunlight import db
from sunlight.errors import ConfigError

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_names_its_login_until_it_expires() -> None:
    clock = Clock()
    logins = Logins(hours=8, clock=clock)
    token = logins.issue("inspector1")
    assert logins.resolve(token) == "inspector1"
    clock.now += 8 * 3600 - 1
    assert logins.resolve(token) == "inspector1"
    clock.now += 1
    assert logins.resolve(token) is None
    assert logins.resolve(token) is None


def test_tokens_are_random_hashed_and_revocable() -> None:
    logins = Logins()
    first, second = logins.issue("head_own"), logins.issue("head_own")
    assert first != second and len(first) >= 40
    assert first not in repr(logins._entries)  # only the sha256 of a token is kept
    logins.revoke(first)
    assert logins.resolve(first) is None and logins.resolve(second) == "head_own"
    assert logins.resolve("A" * len(second)) is None
    assert logins.revoke_login("head_own") == 1 and logins.resolve(second) is None


def test_the_cookie_script_sets_or_deletes_a_strict_cookie() -> None:
    token = Logins().issue("inspector1")
    assert cookie_script(token, 8) == (f'<script>document.cookie = "{COOKIE}={token}; Path=/; Max-Age=28800;'
                                       f' SameSite=Strict";</script>')
    assert "Max-Age=0" in cookie_script(None)
    with pytest.raises(ValueError):
        cookie_script('x"; alert(1); "')


def test_session_hours_come_from_the_environment_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SESSION_HOURS, raising=False)
    assert from_environment([]).session_hours == 8.0
    monkeypatch.setenv(ENV_SESSION_HOURS, "2.5")
    assert from_environment([]).session_hours == 2.5
    monkeypatch.setenv(ENV_SESSION_HOURS, "100000")
    assert from_environment([]).session_hours == 24 * 30.0


@pytest.mark.parametrize(("name", "value"), [("SUNLIGHT_SESSION_HOURS", "eight"), ("SUNLIGHT_PAGE_SIZE", "12.5")])
def test_a_bad_number_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        from_environment([])
    assert name in caught.value.message and value in caught.value.message


def test_the_dashboard_shows_a_bad_setting_instead_of_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    db.connect(path).close()
    monkeypatch.setenv("SUNLIGHT_DB", str(path))
    monkeypatch.setenv("SUNLIGHT_SESSION_HOURS", "eight")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("SUNLIGHT_SESSION_HOURS" in e.value and "eight" in e.value for e in at.error)
