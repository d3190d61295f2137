"""What people do with flags: acknowledge, supervise (督办), answer, accept (摘牌), return, dismiss.

Each action checks that the flag (or supervision order) is in a state that allows it, changes the
flag and the order, and appends one history entry with who, when and why. The allowed steps::

    open ──acknowledge──▶ acknowledged
    open / acknowledged ──order──▶ rectifying      (a supervision order with a feedback due date)
    order issued / returned ──answer──▶ answered   (the department head's reply; flag stays rectifying)
    order answered ──accept──▶ flag resolved (摘牌)
    order answered ──return──▶ order returned, a new feedback due date; flag stays rectifying
    open / acknowledged / rectifying ──resolve──▶ resolved   (reason required)
    open / acknowledged / rectifying ──dismiss──▶ dismissed  (reason required)

Resolving or dismissing a flag under supervision closes its unfinished order.

Every action carries its own time (``at``) and an ``idempotency_key``, stored as ``key`` in the
history entry's detail. An action whose key the flag's history already holds is not applied again
(the earlier result is returned with ``applied=False``), so a journal of actions recorded elsewhere
(``audit.journal``: the dashboard records actions while the nightly batch holds the database) can
be replayed any number of times. Every argument can be given by keyword, as a journal does.

Library code: functions never BEGIN or COMMIT. They read and validate before they write, so a
refused action leaves the caller's transaction usable.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb

from audit import history
from audit.flags import STATES
from sunlight.config import DEFAULT_TIMEZONE
from sunlight.errors import SunlightError

ActionKind = Literal["acknowledge", "order", "answer", "accept", "return", "resolve", "dismiss"]
ACTION_LABELS: dict[str, str] = {
    "acknowledge": "确认", "order": "督办", "answer": "反馈", "accept": "验收摘牌",
    "return": "退回重办", "resolve": "摘牌", "dismiss": "驳回",
}
ORDER_STATUSES: dict[str, str] = {
    "issued": "已下达", "answered": "已反馈", "accepted": "已验收", "returned": "已退回", "closed": "已关闭",
}
_FROM: dict[str, tuple[str, ...]] = {
    "acknowledge": ("open",),
    "order": ("open", "acknowledged"),
    "resolve": ("open", "acknowledged", "rectifying"),
    "dismiss": ("open", "acknowledged", "rectifying"),
}
_UNFINISHED_ORDERS = ("issued", "answered", "returned")


class ActionError(SunlightError):
    """An action that the flag's or order's current state does not allow, or that lacks a field."""

    exit_code = 2


@dataclass(frozen=True)
class ActionResult:
    action: str
    flag_id: str
    applied: bool               # False: the key was applied before, nothing changed now
    entry_no: int
    from_state: str | None
    to_state: str
    order_id: int | None = None


def local_now(timezone: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """The local wall-clock time, naive (times are stored as local TIMESTAMPs)."""
    return dt.datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def new_key() -> str:
    return uuid.uuid4().hex


# -- the actions ------------------------------------------------------------------------------------

def acknowledge(con: duckdb.DuckDBPyConnection, flag_id: str, actor: str, *, note: str | None = None,
                at: dt.datetime | None = None, idempotency_key: str | None = None) -> ActionResult:
    """The inspector has seen the flag (已确认)."""
    return _flag_step(con, "acknowledge", flag_id, actor, "acknowledged", {"note": note}, at, idempotency_key)


def issue_order(
    con: duckdb.DuckDBPyConnection, flag_id: str, actor: str, dept_code: str | None, feedback_due: dt.date | str,
    instructions: str, *, at: dt.datetime | None = None, idempotency_key: str | None = None,
) -> ActionResult:
    """Issue a supervision order (督办单) to ``dept_code`` (default: the flag's department)."""
    at, key = at or local_now(), idempotency_key or new_key()
    done = _already(con, flag_id, key, actor)
    if done is not None:
        return done
    flag = _flag(con, flag_id)
    _require(flag, "order")
    _require_text(instructions, "督办要求")
    dept = (dept_code or flag["dept_code"]).strip()
    known = history.first(con, "SELECT count(*) FROM departments WHERE dept_code = ?", [dept])
    if dept != flag["dept_code"] and known is not None and known[0] == 0:
        raise ActionError(f"部门代码 {dept} 不存在", hint="用 `sunlight flags --dept` 查看部门代码")
    feedback_due = _due(feedback_due, at)
    row = history.first(con, "SELECT nextval('order_seq')")
    order_id = int(row[0]) if row else 0
    con.execute(
        "INSERT INTO supervision_orders (order_id, flag_id, dept_code, issued_by, issued_at, feedback_due,"
        " instructions, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'issued')",
        [order_id, flag_id, dept, actor, at, feedback_due, instructions.strip()],
    )
    detail = {"order_id": order_id, "dept_code": dept, "feedback_due": feedback_due,
              "instructions": instructions.strip()}
    return _transition(con, flag, "order", actor, "rectifying", detail, at, key, order_id)


def answer_order(con: duckdb.DuckDBPyConnection, order_id: int, actor: str, answer: str, *,
                 at: dt.datetime | None = None, idempotency_key: str | None = None) -> ActionResult:
    """The department's reply to a supervision order (整改反馈); the flag stays rectifying."""
    at, key = at or local_now(), idempotency_key or new_key()
    order = _order(con, order_id)
    done = _already(con, order["flag_id"], key, actor)
    if done is not None:
        return done
    _require_text(answer, "整改反馈")
    _require_order(order, ("issued", "returned"), "反馈")
    flag = _flag(con, order["flag_id"])
    con.execute("UPDATE supervision_orders SET status = 'answered', answer = ?, answered_by = ?, answered_at = ?"
                " WHERE order_id = ?", [answer.strip(), actor, at, order_id])
    detail = {"order_id": order_id, "answer": answer.strip()}
    return _transition(con, flag, "answer", actor, flag["state"], detail, at, key, order_id)


def accept_answer(con: duckdb.DuckDBPyConnection, order_id: int, actor: str, note: str | None = None, *,
                  at: dt.datetime | None = None, idempotency_key: str | None = None) -> ActionResult:
    """Accept the department's reply: the order is done and the flag resolved (摘牌)."""
    at, key = at or local_now(), idempotency_key or new_key()
    order = _order(con, order_id)
    done = _already(con, order["flag_id"], key, actor)
    if done is not None:
        return done
    _require_order(order, ("answered",), "验收")
    flag = _flag(con, order["flag_id"])
    _review(con, order_id, "accepted", actor, at, note)
    detail = {"order_id": order_id, "note": note}
    return _transition(con, flag, "accept", actor, "resolved", detail, at, key, order_id,
                       reason=note or "督办整改已验收")


def return_answer(
    con: duckdb.DuckDBPyConnection, order_id: int, actor: str, note: str, *, feedback_due: dt.date | str,
    at: dt.datetime | None = None, idempotency_key: str | None = None,
) -> ActionResult:
    """Send the reply back (退回重办) with a new feedback due date; the flag stays rectifying."""
    at, key = at or local_now(), idempotency_key or new_key()
    order = _order(con, order_id)
    done = _already(con, order["flag_id"], key, actor)
    if done is not None:
        return done
    _require_text(note, "退回理由")
    _require_order(order, ("answered",), "退回")
    feedback_due = _due(feedback_due, at)
    flag = _flag(con, order["flag_id"])
    _review(con, order_id, "returned", actor, at, note.strip())
    con.execute("UPDATE supervision_orders SET feedback_due = ? WHERE order_id = ?", [feedback_due, order_id])
    detail = {"order_id": order_id, "note": note.strip(), "feedback_due": feedback_due}
    return _transition(con, flag, "return", actor, flag["state"], detail, at, key, order_id)


def resolve(con: duckdb.DuckDBPyConnection, flag_id: str, actor: str, reason: str, *,
            at: dt.datetime | None = None, idempotency_key: str | None = None) -> ActionResult:
    """Resolve the flag (摘牌) with a reason; an unfinished supervision order is closed."""
    return _close(con, "resolve", flag_id, actor, "resolved", reason, "摘牌理由", at, idempotency_key)


def dismiss(con: duckdb.DuckDBPyConnection, flag_id: str, actor: str, reason: str, *,
            at: dt.datetime | None = None, idempotency_key: str | None = None) -> ActionResult:
    """Dismiss the flag (驳回: not a violation) with a required reason."""
    return _close(con, "dismiss", flag_id, actor, "dismissed", reason, "驳回理由", at, idempotency_key)


# -- internals --------------------------------------------------------------------------------------

def _flag(con: duckdb.DuckDBPyConnection, flag_id: str) -> dict[str, Any]:
    row = history.first(con, "SELECT flag_id, state, level, dept_code, title FROM flags WHERE flag_id = ?",
                        [flag_id])
    if row is None:
        raise ActionError(f"牌 {flag_id} 不存在", hint="用 `sunlight flags --db DB` 列出牌号")
    return dict(zip(("flag_id", "state", "level", "dept_code", "title"), row, strict=True))


def _order(con: duckdb.DuckDBPyConnection, order_id: int) -> dict[str, Any]:
    row = history.first(con, "SELECT order_id, flag_id, status FROM supervision_orders WHERE order_id = ?",
                        [order_id])
    if row is None:
        raise ActionError(f"督办单 {order_id} 不存在")
    return dict(zip(("order_id", "flag_id", "status"), row, strict=True))


def _already(con: duckdb.DuckDBPyConnection, flag_id: str, key: str, actor: str) -> ActionResult | None:
    """The result of an earlier application of ``key`` to this flag, if any; checks the actor."""
    if not actor or not actor.strip():
        raise ActionError("操作人不能为空", hint="用 --user 指明操作人")
    row = history.first(
        con,
        "SELECT entry_no, action, from_state, to_state, json_extract(detail, '$.order_id')::BIGINT"
        " FROM flag_history WHERE flag_id = ? AND json_extract_string(detail, '$.key') = ?"
        " ORDER BY entry_no LIMIT 1",
        [flag_id, key],
    )
    if row is None:
        return None
    return ActionResult(row[1], flag_id, False, int(row[0]), row[2], row[3],
                        None if row[4] is None else int(row[4]))


def _require(flag: dict[str, Any], action: str) -> None:
    allowed = _FROM[action]
    if flag["state"] not in allowed:
        names = "、".join(f"「{STATES[s]}」" for s in allowed)
        raise ActionError(
            f"牌 {flag['flag_id']} 当前为「{STATES.get(flag['state'], flag['state'])}」，不能{ACTION_LABELS[action]}"
            f"（只有{names}的牌可以{ACTION_LABELS[action]}）"
        )


def _require_order(order: dict[str, Any], allowed: tuple[str, ...], verb: str) -> None:
    if order["status"] not in allowed:
        names = "、".join(f"「{ORDER_STATUSES[s]}」" for s in allowed)
        raise ActionError(f"督办单 {order['order_id']} 当前为「{ORDER_STATUSES.get(order['status'], order['status'])}」，"
                          f"不能{verb}（只有{names}的督办单可以{verb}）")


def _require_text(text: str | None, label: str) -> None:
    if text is None or not text.strip():
        raise ActionError(f"{label}不能为空")


def _due(due: dt.date | str, at: dt.datetime) -> dt.date:
    if isinstance(due, str):
        try:
            due = dt.date.fromisoformat(due[:10])
        except ValueError:
            raise ActionError(f"反馈期限 {due!r} 不是日期", hint="写成 YYYY-MM-DD") from None
    if isinstance(due, dt.datetime):
        due = due.date()
    if due < at.date():
        raise ActionError(f"反馈期限 {due.isoformat()} 早于今天 {at.date().isoformat()}")
    return due


def _review(con: duckdb.DuckDBPyConnection, order_id: int, status: str, actor: str, at: dt.datetime,
            note: str | None) -> None:
    con.execute("UPDATE supervision_orders SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?"
                " WHERE order_id = ?", [status, actor, at, note, order_id])


def _flag_step(con: duckdb.DuckDBPyConnection, action: str, flag_id: str, actor: str, to_state: str,
               detail: dict[str, Any], at: dt.datetime | None, key: str | None) -> ActionResult:
    at, key = at or local_now(), key or new_key()
    done = _already(con, flag_id, key, actor)
    if done is not None:
        return done
    flag = _flag(con, flag_id)
    _require(flag, action)
    return _transition(con, flag, action, actor, to_state, detail, at, key)


def _close(con: duckdb.DuckDBPyConnection, action: str, flag_id: str, actor: str, to_state: str, reason: str,
           label: str, at: dt.datetime | None, key: str | None) -> ActionResult:
    at, key = at or local_now(), key or new_key()
    done = _already(con, flag_id, key, actor)
    if done is not None:
        return done
    _require_text(reason, label)
    flag = _flag(con, flag_id)
    _require(flag, action)
    orders = [int(r[0]) for r in con.execute(
        "SELECT order_id FROM supervision_orders WHERE flag_id = ? AND list_contains(?::VARCHAR[], status)"
        " ORDER BY order_id", [flag_id, list(_UNFINISHED_ORDERS)]).fetchall()]
    for order_id in orders:
        _review(con, order_id, "closed", actor, at, reason.strip())
    detail: dict[str, Any] = {"reason": reason.strip()}
    if orders:
        detail["closed_orders"] = orders
    return _transition(con, flag, action, actor, to_state, detail, at, key, reason=reason.strip())


def _transition(
    con: duckdb.DuckDBPyConnection, flag: dict[str, Any], action: str, actor: str, to_state: str,
    detail: dict[str, Any], at: dt.datetime, key: str, order_id: int | None = None, *, reason: str | None = None,
) -> ActionResult:
    if to_state != flag["state"]:
        con.execute("UPDATE flags SET state = ?, state_changed_at = ?, state_changed_by = ?, state_reason = ?"
                    " WHERE flag_id = ?", [to_state, at, actor, reason, flag["flag_id"]])
    body = {k: v for k, v in detail.items() if v is not None}
    body["key"] = key
    entry = history.Entry(flag["flag_id"], action, flag["state"], to_state, flag["level"], actor, at, body)
    (entry_no,) = history.append(con, [entry])
    return ActionResult(action, flag["flag_id"], True, entry_no, flag["state"], to_state, order_id)
