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
        page_size=max(5, min(500, int(os.environ.get(ENV_PAGE_SIZE) or PAGE_SIZE))),
        warm=os.environ.get(ENV_WARM) == "1",
        session_hours=min(24 * 30.0, max(0.1, float(os.environ.get(ENV_SESSION_HOURS) or 8.0))),
    )
