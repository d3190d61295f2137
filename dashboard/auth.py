"""Dashboard users: a TOML file of logins, roles and scrypt password hashes.

```toml
[users.inspector1]
name = "王监察"
role = "inspector"                      # inspector / department
password_hash = "scrypt$16384$8$1$<salt>$<hash>"

[users.d01_head]
name = "李科长"
role = "department"
dept_code = "D01"
password_hash = "scrypt$..."
```

The public needs no account. Hashes are ``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte salt,
32-byte key), base64 encoded; ``sunlight dashboard user add`` writes them, or
``python -c "from dashboard.auth import hash_password; print(hash_password('…'))"``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dashboard.viewer import Role, Viewer
from sunlight.errors import ConfigError, Location

SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_LEN = 2**14, 8, 1, 32
LOGIN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


@dataclass(frozen=True)
class User:
    login: str
    name: str
    role: Role
    password_hash: str
    dept_code: str | None = None

    def viewer(self) -> Viewer:
        return Viewer(self.role, self.dept_code, user=self.login, display_name=self.name)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_LEN)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(key).decode()])


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, key = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def load_users(path: Path) -> dict[str, User]:
    """Read and check the users file; every problem names the file and the user."""
    if not path.exists():
        raise ConfigError("dashboard users file not found", location=Location(file=path),
                          hint="copy dashboard/users.example.toml and add users with `sunlight dashboard user add`")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", location=Location(file=path)) from exc
    unknown = set(data) - {"users"}
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))}", location=Location(file=path))
    users: dict[str, User] = {}
    for login, body in (data.get("users") or {}).items():
        where = Location(file=path, field=f"users.{login}")
        if not LOGIN.match(login) or not isinstance(body, dict):
            raise ConfigError("a login is letters, digits, '.', '_' or '-'", location=where)
        extra = set(body) - {"name", "role", "dept_code", "password_hash"}
        if extra:
            raise ConfigError(f"unknown key(s): {', '.join(sorted(extra))}", location=where)
        try:
            role = Role(body.get("role", ""))
        except ValueError:
            raise ConfigError(f"role must be inspector or department, not {body.get('role')!r}",
                              location=where) from None
        if role is Role.PUBLIC:
            raise ConfigError("the public needs no account", location=where)
        dept = body.get("dept_code")
        if (role is Role.DEPARTMENT) != bool(dept):
            raise ConfigError("dept_code is required for a department head and only for one", location=where)
        if not str(body.get("password_hash", "")).startswith("scrypt$"):
            raise ConfigError("password_hash must be a scrypt hash", location=where,
                              hint="set it with `sunlight dashboard user add --users FILE LOGIN`")
        users[login] = User(login, str(body.get("name") or login), role, str(body["password_hash"]),
                            str(dept) if dept else None)
    return users


def authenticate(users: dict[str, User], login: str, password: str) -> User | None:
    """The user when ``password`` is right; None otherwise (same work either way)."""
    user = users.get(login.strip())
    ok = verify_password(password, user.password_hash if user else _DUMMY)
    return user if user is not None and ok else None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_users(users: dict[str, User]) -> str:
    lines = ["# Sunlight dashboard users. Add or change one with:",
             "#   sunlight dashboard user add --users THIS_FILE LOGIN --role inspector|department [--dept CODE]",
             ""]
    for user in users.values():
        lines.append(f"[users.{user.login}]")
        lines.append(f"name = {_quote(user.name)}")
        lines.append(f"role = {_quote(str(user.role))}")
        if user.dept_code:
            lines.append(f"dept_code = {_quote(user.dept_code)}")
        lines.append(f"password_hash = {_quote(user.password_hash)}")
        lines.append("")
    return "\n".join(lines)


def add_user(path: Path, login: str, *, role: Role, password: str, name: str | None = None,
             dept_code: str | None = None) -> User:
    """Add or replace one user in the file (created when missing)."""
    if not LOGIN.match(login):
        raise ConfigError(f"bad login {login!r}: use letters, digits, '.', '_' or '-'")
    users = load_users(path) if path.exists() else {}
    user = User(login, name or login, role, hash_password(password), dept_code)
    user.viewer()  # checks the role/department combination
    users[login] = user
    path.write_text(render_users(users), encoding="utf-8")
    return user
