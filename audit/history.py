"""The flag history: an append-only, tamper-evident hash chain.

Every change of a flag (raised, escalated, cleared, acknowledged, ordered, answered, resolved ...)
appends one row to ``flag_history``. Entries are numbered 1, 2, 3 ... without gaps; each stores the
previous entry's hash (64 zeros for the first) and its own::

    hash = sha256(prev_hash + canonical_json([entry_no, flag_id, recorded_at, actor, action,
                                              from_state, to_state, level, detail]))

``recorded_at`` is rendered as ISO 8601 with microseconds, and canonical JSON sorts keys, keeps
Chinese as is and has no spaces, so anyone can recompute a hash by hand. :func:`verify` recomputes
the whole chain and says where and how it was damaged. After each audit run the chain's head is
written to ``history_anchors`` (:func:`anchor`), so deleting the newest entries is detected too.

Functions here never BEGIN or COMMIT: the command that calls them owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pyarrow as pa

GENESIS = "0" * 64
ACTIONS = (
    "raise", "escalate", "clear", "reraise",
    "acknowledge", "order", "answer", "accept", "return", "resolve", "dismiss",
)
DamageKind = Literal["edited", "deleted", "reordered", "flag_mismatch"]
DAMAGE_LABELS: dict[str, str] = {
    "edited": "记录被篡改",
    "deleted": "记录被删除",
    "reordered": "记录顺序被调换",
    "flag_mismatch": "牌面状态与历史不符",
}
_BATCH = 50_000


@dataclass(frozen=True)
class Entry:
    """One history entry to append; numbering and hashes are assigned by :func:`append`."""

    flag_id: str
    action: str
    from_state: str | None
    to_state: str
    level: str
    actor: str
    recorded_at: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)


def jsonable(value: Any) -> Any:
    """``value`` with dates and datetimes as ISO strings, ready for canonical JSON."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, non-ASCII kept."""
    return _ENCODER.encode(value)


def entry_hash(
    prev_hash: str, entry_no: int, flag_id: str, recorded_at: dt.datetime, actor: str, action: str,
    from_state: str | None, to_state: str, level: str, detail_json: str,
) -> str:
    """The hash of one entry; ``detail_json`` is the canonical JSON of the detail object.

    The hashed text is ``dumps([entry_no, flag_id, time, actor, action, from_state, to_state, level,
    detail])``, written out field by field with the encoder's own string quoting (the same C
    function ``dumps`` calls for every string) and the detail spliced in as already-canonical text:
    the first audit of a district hashes one entry per flag.
    """
    body = "".join((
        "[", str(int(entry_no)), ",", _quote(flag_id), ",", _quote(recorded_at.isoformat(timespec="microseconds")),
        ",", _quote(actor), ",", _quote(action), ",", "null" if from_state is None else _quote(from_state), ",",
        _quote(to_state), ",", _quote(level), ",", detail_json, "]"))
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


_quote = json.encoder.encode_basestring     # str -> JSON string literal, non-ASCII kept (as ``dumps``)


def head(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """(entry_no, hash) of the newest entry, or (0, GENESIS) for an empty chain."""
    row = first(con, "SELECT entry_no, hash FROM flag_history ORDER BY entry_no DESC LIMIT 1")
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def first(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query, fetched to the end (an unfinished result blocks ``register``)."""
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def append(con: duckdb.DuckDBPyConnection, entries: Iterable[Entry]) -> list[int]:
    """Append ``entries`` in order; return their entry numbers."""
    rows = [
        (e.flag_id, e.recorded_at, e.actor, e.action, e.from_state, e.to_state, e.level,
         dumps(jsonable(e.detail)))
        for e in entries
    ]
    return append_rows(con, rows)


def append_rows(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[str, dt.datetime, str, str, str | None, str, str, str]],
) -> list[int]:
    """Append pre-rendered rows ``(flag_id, recorded_at, actor, action, from_state, to_state, level,
    detail_json)``; ``detail_json`` must be canonical (see :func:`dumps`). Fast path for bulk use."""
    if not rows:
        return []
    last_no, prev = head(con)
    numbers: list[int] = []
    hashes: list[str] = []
    prevs: list[str] = []
    for offset, (flag_id, recorded_at, actor, action, from_state, to_state, level, detail) in enumerate(rows):
        if action not in ACTIONS:
            raise ValueError(f"unknown history action {action!r}")
        entry_no = last_no + offset + 1
        digest = entry_hash(prev, entry_no, flag_id, recorded_at, actor, action, from_state, to_state,
                            level, detail)
        numbers.append(entry_no)
        prevs.append(prev)
        hashes.append(digest)
        prev = digest
    columns = list(zip(*rows, strict=True))
    table = pa.table({
        "entry_no": pa.array(numbers, pa.int64()),
        "flag_id": pa.array(columns[0], pa.string()),
        "recorded_at": pa.array(columns[1], pa.timestamp("us")),
        "actor": pa.array(columns[2], pa.string()),
        "action": pa.array(columns[3], pa.string()),
        "from_state": pa.array(columns[4], pa.string()),
        "to_state": pa.array(columns[5], pa.string()),
        "level": pa.array(columns[6], pa.string()),
        "detail": pa.array(columns[7], pa.string()),
        "prev_hash": pa.array(prevs, pa.string()),
        "hash": pa.array(hashes, pa.string()),
    })
    con.execute("SELECT 1").fetchall()  # settle any result the caller left unfinished
    con.register("_sunlight_history_new", table)
    try:
        con.execute(
            "INSERT INTO flag_history (entry_no, flag_id, recorded_at, actor, action, from_state, to_state,"
            " level, detail, prev_hash, hash) SELECT entry_no, flag_id, recorded_at, actor, action,"
            " from_state, to_state, level, detail::JSON, prev_hash, hash FROM _sunlight_history_new"
        )
    finally:
        con.unregister("_sunlight_history_new")
    return numbers


def anchor(con: duckdb.DuckDBPyConnection, *, at: dt.datetime, run_id: int | None) -> tuple[int, str]:
    """Record the chain's current head in ``history_anchors``; return it."""
    entry_no, digest = head(con)
    con.execute("INSERT INTO history_anchors (anchored_at, run_id, entry_no, hash) VALUES (?, ?, ?, ?)",
                [at, run_id, entry_no, digest])
    return entry_no, digest


@dataclass(frozen=True)
class Damage:
    entry_no: int
    kind: DamageKind
    detail: str

    def describe(self) -> str:
        where = f"第 {self.entry_no} 条" if self.entry_no else "历史记录"
        return f"{where}：{DAMAGE_LABELS[self.kind]}。{self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    head_hash: str
    damages: tuple[Damage, ...]
    anchors_checked: int

    @property
    def ok(self) -> bool:
        return not self.damages

    @property
    def first(self) -> Damage | None:
        return self.damages[0] if self.damages else None

    def describe(self) -> str:
        if self.ok:
            return (f"历史记录完整：共 {self.entries} 条，哈希链逐条核对无误"
                    f"（核对锚点 {self.anchors_checked} 个）。\n链尾哈希：{self.head_hash}")
        first = self.damages[0]
        lines = [f"历史记录已损坏：共 {self.entries} 条，发现 {len(self.damages)} 处问题。",
                 f"首个问题：{first.describe()}"]
        lines += [f"  - {d.describe()}" for d in self.damages[1:20]]
        if len(self.damages) > 20:
            lines.append(f"  …… 另有 {len(self.damages) - 20} 处")
        return "\n".join(lines)


_VERIFY_COLUMNS = ("entry_no, flag_id, recorded_at, actor, action, from_state, to_state, level,"
                   " detail::VARCHAR, prev_hash, hash")


def verify(con: duckdb.DuckDBPyConnection, *, limit: int = 1000) -> VerifyReport:
    """Recompute the chain; report each damaged entry (at most ``limit``) in chain order.

    Reads in pages on ``con`` itself, so it also sees the caller's uncommitted entries.
    """
    damages: list[Damage] = []
    expected_no, prev, shift, count, last_seen = 1, GENESIS, 0, 0, -(2**62)
    while True:
        batch = con.execute(f"SELECT {_VERIFY_COLUMNS} FROM flag_history WHERE entry_no > ?"
                            " ORDER BY entry_no LIMIT ?", [last_seen, _BATCH]).fetchall()
        if not batch:
            break
        for row in batch:
            count += 1
            damage, shift = _check_entry(con, row, expected_no, prev, shift)
            if damage is not None and len(damages) < limit:
                damages.append(damage)
            expected_no, prev, last_seen = row[0] + 1, row[10], row[0]
    anchors = con.execute("SELECT entry_no, hash, anchored_at FROM history_anchors ORDER BY entry_no").fetchall()
    for entry_no, digest, anchored_at in anchors:
        if entry_no == 0:
            continue
        found = first(con, "SELECT hash FROM flag_history WHERE entry_no = ?", [entry_no])
        when = anchored_at.strftime("%Y-%m-%d %H:%M")
        if found is None:
            damages.append(Damage(entry_no, "deleted",
                                  f"{when} 的运行记录链尾为第 {entry_no} 条，现在该条已不存在（记录被删除）。"))
        elif found[0] != digest and not any(d.entry_no <= entry_no for d in damages):
            damages.append(Damage(entry_no, "edited", f"与 {when} 的运行记录锚定的哈希不一致（链被整体重算）。"))
    damages.extend(_flag_mismatches(con))
    damages.sort(key=lambda d: (d.kind == "flag_mismatch", d.entry_no))
    return VerifyReport(count, prev, tuple(damages), len(anchors))


def _rehash(row: tuple[Any, ...], prev_hash: str, entry_no: int) -> str:
    _, flag_id, recorded_at, actor, action, from_state, to_state, level, detail = row[:9]
    digest = entry_hash(prev_hash, entry_no, flag_id, recorded_at, actor, action, from_state, to_state, level,
                        str(detail))
    if digest != row[10]:  # the stored text may differ from canonical JSON only in form
        digest = entry_hash(prev_hash, entry_no, flag_id, recorded_at, actor, action, from_state, to_state,
                            level, _canonical_text(detail))
    return digest


def _canonical_text(detail: Any) -> str:
    try:
        return dumps(json.loads(detail))
    except (TypeError, ValueError):
        return str(detail)


def _check_entry(
    con: duckdb.DuckDBPyConnection, row: tuple[Any, ...], expected_no: int, prev: str, shift: int,
) -> tuple[Damage | None, int]:
    """The damage of one entry (None if intact), and the renumbering shift seen so far."""
    entry_no, stored_prev, stored = row[0], row[9], row[10]
    if entry_no != expected_no:
        missing = (f"第 {expected_no} 条" if entry_no == expected_no + 1
                   else f"第 {expected_no}–{entry_no - 1} 条")
        return Damage(entry_no, "deleted", f"编号不连续：{missing}缺失。"), shift
    intact = _rehash(row, stored_prev, entry_no) == stored
    if stored_prev == prev:
        if intact or (shift and _rehash(row, stored_prev, entry_no + shift) == stored):
            return None, shift  # intact, or part of a renumbering already reported
        return Damage(entry_no, "edited", "内容与哈希不符（有字段被修改）。"), shift
    elsewhere = first(con, "SELECT entry_no FROM flag_history WHERE hash = ? LIMIT 1", [stored_prev])
    if elsewhere is not None:
        return Damage(entry_no, "reordered",
                      f"它本应接在第 {elsewhere[0]} 条之后，现在却排在第 {entry_no - 1} 条之后。"), shift
    if not intact and _rehash(row, prev, entry_no) == stored:
        return Damage(entry_no, "edited", "前一哈希字段被改写。"), shift
    for gap in range(1, 1001):
        if _rehash(row, stored_prev, entry_no + gap) == stored:
            return Damage(entry_no, "deleted",
                          f"本条原为第 {entry_no + gap} 条：其前 {gap} 条记录被删除，其后的记录被重新编号。"), gap
    return Damage(entry_no, "deleted",
                  "链接断裂：前一哈希与上一条不符，上一条记录被删除，或被改写后重算了哈希。"), shift


def _flag_mismatches(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[Damage]:
    """Flags whose state or level disagrees with their newest history entry, or that have none."""
    rows = con.execute(
        """
        WITH last AS (
            SELECT flag_id, arg_max(to_state, entry_no) AS to_state, arg_max(level, entry_no) AS level,
                   max(entry_no) AS entry_no
            FROM flag_history GROUP BY flag_id
        )
        SELECT f.flag_id, f.state, f.level, l.to_state, l.level, coalesce(l.entry_no, 0)
        FROM flags f LEFT JOIN last l USING (flag_id)
        WHERE l.flag_id IS NULL OR f.state <> l.to_state OR f.level <> l.level
        ORDER BY f.flag_id LIMIT ?
        """,
        [limit],
    ).fetchall()
    found: list[Damage] = []
    for flag_id, state, level, h_state, h_level, entry_no in rows:
        if h_state is None:
            text = f"牌 {flag_id} 没有任何历史记录（牌面被直接写入，或其历史被删除）。"
        else:
            text = (f"牌 {flag_id} 现为 {state}/{level}，而其最后一条历史（第 {entry_no} 条）为 "
                    f"{h_state}/{h_level}（牌面被直接修改）。")
        found.append(Damage(int(entry_no), "flag_mismatch", text))
    return found
