"""Signed-in browsers: a reload or a new tab keeps the login until it expires or the user logs out.

On login the server issues a random token, keeps only its sha256 with the login and an expiry, and
the browser stores the token in a cookie (``SameSite=Strict``). A new browser session (a reload, a
new tab) sends the cookie; :func:`dashboard.session.restore` looks it up and reloads the user from
the users file, so a removed user or a changed role takes effect at once. Logging out revokes the
token and deletes the cookie; a restart of the server forgets every token (everyone logs in again).
Query parameters never log anyone in.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "sunlight_session"
HOURS = 8.0


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class _Entry:
    login: str
    expires: float


class Logins:
    """The server's record of signed-in browsers: token → login until ``hours`` after the login."""

    def __init__(self, hours: float = HOURS, clock: Callable[[], float] = time.time):
        self.seconds = hours * 3600
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def issue(self, login: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if e.expires > now}
            self._entries[_key(token)] = _Entry(login, now + self.seconds)
        return token

    def resolve(self, token: str) -> str | None:
        """The login a live token belongs to; None when unknown, revoked or expired."""
        with self._lock:
            entry = self._entries.get(_key(token))
            if entry is None:
                return None
            if entry.expires <= self._clock():
                del self._entries[_key(token)]
                return None
            return entry.login

    def revoke(self, token: str) -> None:
        with self._lock:
            self._entries.pop(_key(token), None)

    def revoke_login(self, login: str) -> int:
        """Forget every browser signed in as ``login``; return how many."""
        with self._lock:
            gone = [k for k, e in self._entries.items() if e.login == login]
            for k in gone:
                del self._entries[k]
        return len(gone)


def cookie_script(token: str | None, hours: float = HOURS) -> str:
    """The script that stores ``token`` in the browser's cookie, or deletes the cookie (None)."""
    if token is None:
        value = f"{COOKIE}=; Path=/; Max-Age=0; SameSite=Strict"
    else:
        if not all(c.isalnum() or c in "-_" for c in token):
            raise ValueError("a login token is URL-safe base64")
        value = f"{COOKIE}={token}; Path=/; Max-Age={int(hours * 3600)}; SameSite=Strict"
    return f'<script>document.cookie = "{value}";</script>'
