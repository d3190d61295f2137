"""The disclosure page's decision facts, computed once per database version and shared.

:func:`get` returns the Arrow table of :func:`dashboard.queries.disclosure.facts` for the
database as it is now (keyed by the file's fingerprint), computing it at most once at a time
(other requests wait for that computation instead of starting their own). :func:`warm` starts the
computation in the background, so that after the nightly swap the first visitor of the disclosure
page finds it ready. Two versions are kept: the current one and the one before it.
"""

from __future__ import annotations

import datetime as dt
import threading

import pyarrow as pa

from dashboard.queries import disclosure, overview
from dashboard.store import Database

_LOCK = threading.Lock()
_TABLES: dict[str, tuple[dt.datetime, pa.Table]] = {}
_RUNNING: dict[str, threading.Event] = {}
_KEEP = 2


def _compute(db: Database, token: str) -> None:
    try:
        with db.read() as con:
            as_of = overview.as_of(con) or dt.datetime.now().replace(microsecond=0)
            table = disclosure.facts(con, as_of)
        with _LOCK:
            _TABLES[token] = (as_of, table)
            while len(_TABLES) > _KEEP:
                _TABLES.pop(next(iter(_TABLES)))
    finally:
        with _LOCK:
            done = _RUNNING.pop(token, None)
        if done is not None:
            done.set()


def get(db: Database) -> tuple[dt.datetime, pa.Table]:
    """(as_of, facts) for the database as it is now."""
    token = db.token()
    with _LOCK:
        found = _TABLES.get(token)
        if found is not None:
            return found
        running = _RUNNING.get(token)
        if running is None:
            _RUNNING[token] = threading.Event()
    if running is not None:
        running.wait()
        with _LOCK:
            found = _TABLES.get(token)
        if found is not None:
            return found
        return get(db)  # the other computation failed: try it here, and raise its error if it fails again
    _compute(db, token)
    with _LOCK:
        return _TABLES[token]


def warm(db: Database) -> None:
    """Compute the facts in the background if this database version has none yet."""
    token = db.token()
    with _LOCK:
        if token in _TABLES or token in _RUNNING or token == "missing":
            return
        _RUNNING[token] = threading.Event()
    threading.Thread(target=_warm, args=(db, token), name="sunlight-decision-facts", daemon=True).start()


def _warm(db: Database, token: str) -> None:
    try:
        _compute(db, token)
    except Exception:  # noqa: BLE001 - a busy or changing database: the next request computes it
        pass


def clear() -> None:
    """Forget every computed table (benchmarks measure the cold path with it)."""
    with _LOCK:
        _TABLES.clear()
