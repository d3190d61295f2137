"""Where the live engine's rows come from, and replaying them in time order.

* :func:`read_duckdb` reads a Sunlight database's canonical tables (what the batch audits);
* :func:`read_jsonl` reads JSON lines: canonical events by default, or any canonical row when the
  line says which table with ``"table": "cases"`` (``items``, ``officers``, ``discretion``,
  ``disclosures``); times in ISO 8601, converted to local wall-clock time when they carry an offset;
* :func:`replay` feeds a :class:`Snapshot` through a :class:`LiveEngine` as a live system would
  have seen it: reference data first, then every case row, disclosure and event at its own time,
  the clock ticking to each event's time, and finally to ``until``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import duckdb
from sqlglot import exp

from audit.live.model import Row
from sunlight.errors import IngestError, Location

TABLES = ("items", "officers", "discretion", "cases", "events", "disclosures")
KEYS = {"items": ("item_code",), "officers": ("officer_id",), "discretion": ("violation_code", "level"),
        "cases": ("case_id",), "events": ("event_id",), "disclosures": ("disclosure_id",)}
TIMESTAMPS = {"submitted_at", "accepted_at", "closed_at", "ts", "published_at", "withdrawn_at"}
DATES = {"cert_valid_from", "cert_valid_to"}
AMOUNTS = {"fee_standard", "fee_charged", "fine_amount", "amount", "min_fine", "max_fine"}
LISTS = {"required_materials", "platforms", "materials", "officer_ids"}
REQUIRED_EVENT = ("case_id", "activity", "ts")
CENT = Decimal("0.01")


@dataclass
class Snapshot:
    """Canonical rows by table."""

    items: list[Row] = field(default_factory=list)
    officers: list[Row] = field(default_factory=list)
    discretion: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    disclosures: list[Row] = field(default_factory=list)

    def add(self, table: str, row: Row) -> None:
        getattr(self, table).append(row)

    def span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last dates any time in the snapshot falls on."""
        days = [v.date() for rows in (self.cases, self.events, self.disclosures) for r in rows
                for k, v in r.items() if k in TIMESTAMPS and isinstance(v, dt.datetime)]
        return (min(days), max(days)) if days else None


def read_duckdb(con: duckdb.DuckDBPyConnection, *, tables: Iterable[str] = TABLES) -> Snapshot:
    snapshot = Snapshot()
    for table in tables:
        cursor = con.execute(exp.select("*").from_(table).sql(dialect="duckdb"))
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            snapshot.add(table, dict(zip(names, values)))
    snapshot.events.sort(key=lambda e: (e["case_id"], e["seq"]))
    return snapshot


def read_jsonl(lines: Iterable[str], *, timezone: ZoneInfo, source: str = "-") -> Iterator[tuple[str, Row]]:
    """(table, row) for each non-empty line; a line that is not a canonical row raises IngestError."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("每行须是一个 JSON 对象")
            table = str(raw.pop("table", "events"))
            if table not in TABLES:
                raise ValueError(f"未知的表 {table!r}（可用：{', '.join(TABLES)}）")
            yield table, normalize(table, raw, timezone)
        except (ValueError, TypeError, KeyError) as exc:
            raise IngestError(f"不是有效的规范化记录：{exc}", location=Location(file=source, line=number),
                              hint="每行一个 JSON 对象，如 {\"case_id\": \"…\", \"seq\": 1, \"activity\": \"ACCEPT\", "
                                   "\"ts\": \"2025-03-02T09:00:00\"}") from exc


def read_jsonl_file(path: Path, *, timezone: ZoneInfo) -> Snapshot:
    """A file of JSON lines; events without ``seq`` are numbered per case in time order, ties in
    the order of the lines (as the ingest engine numbers them)."""
    snapshot = Snapshot()
    with path.open(encoding="utf-8") as handle:
        for table, row in read_jsonl(handle, timezone=timezone, source=str(path)):
            snapshot.add(table, row)
    unnumbered = [(e["ts"], n, e) for n, e in enumerate(snapshot.events) if e.get("seq") is None]
    last: dict[str, int] = {}
    for e in snapshot.events:
        if e.get("seq") is not None:
            last[e["case_id"]] = max(last.get(e["case_id"], 0), int(e["seq"]))
    for _, _, event in sorted(unnumbered, key=lambda x: (x[0], x[1])):
        last[event["case_id"]] = last.get(event["case_id"], 0) + 1
        event["seq"] = last[event["case_id"]]
        event["event_id"] = event.get("event_id") or event_digest(event)
    return snapshot


def normalize(table: str, raw: dict[str, Any], timezone: ZoneInfo) -> Row:
    """Types as DuckDB would return them: local naive datetimes, dates, cents, lists."""
    row: Row = {}
    for key, value in raw.items():
        if value is None:
            row[key] = None
        elif key in TIMESTAMPS:
            row[key] = _local(value, timezone)
        elif key in DATES:
            row[key] = dt.date.fromisoformat(str(value)[:10])
        elif key in AMOUNTS:
            row[key] = Decimal(str(value)).quantize(CENT)
        elif key in LISTS:
            if not isinstance(value, list):
                raise ValueError(f"{key} 须是列表")
            row[key] = [None if v is None else str(v) for v in value]
        elif key == "seq":
            row[key] = int(value)
        elif key == "attrs":
            row[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        else:
            row[key] = value
    if table == "events":
        missing = [k for k in REQUIRED_EVENT if row.get(k) in (None, "")]
        if missing:
            raise ValueError(f"事件缺少 {', '.join(missing)}")
        row.setdefault("source_system", "live")
        if row.get("event_id") is None and row.get("seq") is not None:
            row["event_id"] = event_digest(row)
    return row


def event_digest(row: Row) -> str:
    """An id for an event that came without one: a digest of what identifies it."""
    text = "|".join(str(row.get(k)) for k in ("case_id", "seq", "activity", "ts", "source_system"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _local(value: Any, timezone: ZoneInfo) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone).replace(tzinfo=None)
    return moment


# --- replay ------------------------------------------------------------------------------------------


def timeline(snapshot: Snapshot, until: dt.datetime | None = None,
             ticks: Iterable[dt.datetime] = ()) -> list[tuple[dt.datetime, str, Row]]:
    """Case rows, disclosures, events (and extra clock ``ticks``) in the order they became known,
    up to ``until``. A case row is known from its submission or its first event, whichever is
    earlier (from the start when it has no submission time); ties: ticks, cases, disclosures, then events in case and seq order."""
    first_event: dict[str, dt.datetime] = {}
    for row in snapshot.events:
        if row["case_id"] not in first_event or row["ts"] < first_event[row["case_id"]]:
            first_event[row["case_id"]] = row["ts"]
    entries: list[tuple[dt.datetime, int, str, Any, Row]] = []
    for moment in ticks:
        entries.append((moment, -1, "ticks", "", {}))
    for row in snapshot.cases:
        submitted = row.get("submitted_at") or dt.datetime.min  # no submission time: known from the start
        known = min(submitted, first_event.get(row["case_id"], submitted))
        entries.append((known, 0, "cases", row["case_id"], row))
    for row in snapshot.disclosures:
        entries.append((row["published_at"], 1, "disclosures", row["disclosure_id"], row))
    for row in snapshot.events:
        entries.append((row["ts"], 2, "events", (row["case_id"], row["seq"]), row))
    entries.sort(key=lambda e: (e[0], e[1], e[3]))
    return [(at, table, row) for at, _, table, _, row in entries if until is None or at <= until]


def replay(engine: Any, snapshot: Snapshot, until: dt.datetime, *, ticks: Iterable[dt.datetime] = (),
           on_step: Callable[[str, Row], None] | None = None) -> None:
    """Feed ``snapshot`` through ``engine`` (a :class:`LiveEngine`) as it happened, up to ``until``,
    the clock ticking to each row's time (and to each of ``ticks``)."""
    engine.set_reference(items=snapshot.items, officers=snapshot.officers, discretion=snapshot.discretion)
    feed(engine, timeline(snapshot, until, ticks), on_step=on_step)
    engine.tick(until)


def feed(engine: Any, steps: Iterable[tuple[dt.datetime, str, Row]], *,
         on_step: Callable[[str, Row], None] | None = None) -> None:
    """Feed timeline entries (see :func:`timeline`) to ``engine``, ticking to each one's time."""
    for at, table, row in steps:
        if at > engine.clock and at != dt.datetime.min:
            engine.tick(at)
        if table == "ticks":
            continue
        if table == "cases":
            engine.add_case(row)
        elif table == "disclosures":
            engine.add_disclosure(row)
        else:
            engine.add_event(row)
        if on_step is not None:
            on_step(table, row)


def write_jsonl(snapshot: Snapshot, handle: IO[str], *, tables: Iterable[str] = TABLES) -> int:
    """Write ``snapshot`` as JSON lines (with ``"table"`` on rows that are not events)."""
    count = 0
    for table in tables:
        for row in getattr(snapshot, table):
            record = {k: _plain(v) for k, v in row.items() if k not in ("source_file", "source_row", "load_id")}
            if table != "events":
                record = {"table": table, **record}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
