"""The server's record of signed-in browsers: tokens are random, stored hashed, expire, and are
revoked by logging out; the cookie script only ever writes a URL-safe token."""

from __future__ import annotations

import pytest

from dashboard.logins import COOKIE, Logins, cookie_script


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
