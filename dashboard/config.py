"""How the running dashboard finds its database and users: environment, set by ``sunlight dashboard``.

``SUNLIGHT_DB`` (required) is the DuckDB file, ``SUNLIGHT_USERS`` the users TOML (optional: without
it only the public page is served), ``SUNLIGHT_TIMEZONE`` the local time zone, ``SUNLIGHT_PAGE_SIZE``
the rows per page of the paged lists (default 50), ``SUNLIGHT_WARM=1`` precomputes the disclosure
page's data in the background whenever the database changes (the server does this; tests do not),
``SUNLIGHT_SESSION_HOURS`` how long a login survives reloads (default 8). The same values may
be given after ``--`` on the ``streamlit run`` command line (``--db``, ``--users``).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sunlight.errors import ConfigError

ENV_DB = "SUNLIGHT_DB"
ENV_USERS = "SUNLIGHT_USERS"
ENV_TIMEZONE = "SUNLIGHT_TIMEZONE"
ENV_PAGE_SIZE = "SUNLIGHT_PAGE_SIZE"
ENV_WARM = "SUNLIGHT_WARM"
ENV_SESSION_HOURS = "SUNLIGHT_SESSION_HOURS"
PAGE_SIZE = 50


@dataclass(frozen=True)
class AppConfig:
    db_path: Path | None
    users_path: Path | None
    timezone: str = "Asia/Shanghai"
    page_size: int = PAGE_SIZE
    warm: bool = False  # precompute slow page data in the background (set by `sunlight dashboard`)
    session_hours: float = 8.0  # a login survives reloads this long


def from_environment(argv: list[str] | None = None) -> AppConfig:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    parser.add_argument("--users")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    db = os.environ.get(ENV_DB) or known.db
    users = os.environ.get(ENV_USERS) or known.users
    return AppConfig(
        db_path=Path(db).resolve() if db else None,
        users_path=Path(users).resolve() if users else None,
        timezone=os.environ.get(ENV_TIMEZONE, "Asia/Shanghai"),
        page_size=int(_number(ENV_PAGE_SIZE, PAGE_SIZE, 5, 500, whole=True)),
        warm=os.environ.get(ENV_WARM) == "1",
        session_hours=_number(ENV_SESSION_HOURS, 8.0, 0.1, 24 * 30.0),
    )


def _number(name: str, default: float, low: float, high: float, *, whole: bool = False) -> float:
    """A number from environment variable ``name`` (``default`` when unset), kept within [low, high];
    anything that is not a number stops with a message naming the variable."""
    text = (os.environ.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(int(text)) if whole else float(text)
    except ValueError:
        kind = "整数" if whole else "数字"
        raise ConfigError(f"环境变量 {name} 应为{kind}，现为“{text}”",
                          hint=f"改为 {low:g} 到 {high:g} 之间的{kind}，或删去该变量以用默认值 {default:g}") from None
    return min(high, max(low, value))
