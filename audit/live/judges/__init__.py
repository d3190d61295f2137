"""Judges: each rule kind's semantics computed for one case, as the batch's compiled SQL does.

A judge takes the rule and a :class:`audit.live.model.View` (the case as of the tick time) and
returns a :class:`Judgement`: the findings (the contract columns, with the same Chinese message
and evidence the SQL builds) and the earliest later time at which they may change without new
input. Parts that name the audit time itself (``截至审计时点 …``, ``"as_of"`` in evidence) are
left as :data:`AS_OF` markers and filled in by :func:`render` when findings are read, so that a
finding stays unchanged between ticks unless its substance changes.

Formatting follows the SQL exactly: times as ``%Y-%m-%d %H:%M``, dates as ``%Y-%m-%d``, activity
codes by their Chinese label (only the codes the query lists), NULL parts of a text as empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from audit.live.model import Finding, Row, View
from audit.rules.base import RuleBase
from audit.rules.vocab import ACTIVITIES

TIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


class _AsOf:
    """Marks where the audit time goes in a finding (see :func:`render`)."""

    TEXT = "\x00as_of\x00"

    def __repr__(self) -> str:
        return "AS_OF"


AS_OF = _AsOf()


@dataclass(frozen=True)
class Judgement:
    findings: tuple[Finding, ...] = ()
    recheck: dt.datetime | None = None


Judge = Callable[[Any, View], Judgement]
"""A judge: (a rule of its kind, the case as of the tick time) → judgement."""


# --- the finding header and rendering ---------------------------------------------------------------


def finding(rule: RuleBase, view: View, *, level: str, message: str, evidence: Any,
            due_at: dt.datetime | None = None, days_overdue: int | None = None,
            days_left: int | None = None) -> Finding:
    """A finding about the view's case with the rule's header columns."""
    case = view.case
    return {
        "rule_id": rule.id, "rule_version": rule.version, "violation_code": rule.violation_code,
        "case_id": case.get("case_id"), "item_code": case.get("item_code"), "dept_code": case.get("dept_code"),
        "source_system": case.get("source_system"), "occurrence": "", "level": level,
        "category": rule.category, "title": rule.title, "message": message, "evidence": evidence,
        "due_at": due_at, "days_overdue": days_overdue, "days_left": days_left,
    }


def render(found: Finding, as_of: dt.datetime) -> Finding:
    """The finding as of ``as_of``: :data:`AS_OF` markers replaced by the audit time."""
    out = dict(found)
    if AS_OF.TEXT in out["message"]:
        out["message"] = out["message"].replace(AS_OF.TEXT, fmt_time(as_of))
    out["evidence"] = _fill(out["evidence"], as_of)
    return out


def _fill(value: Any, as_of: dt.datetime) -> Any:
    if value is AS_OF:
        return as_of
    if isinstance(value, dict):
        return {k: _fill(v, as_of) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, as_of) for v in value]
    return value


# --- formatting as the SQL does ---------------------------------------------------------------------


def fmt_time(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime(TIME_FORMAT)


def fmt_date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime(DATE_FORMAT)


def text(value: Any) -> str:
    """``CAST(value AS VARCHAR)`` with NULL as empty (the SQL ``concat`` helper)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return duck_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -2 else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(text(v) for v in value) + "]"
    return str(value)


def label(code: str | None, codes: Iterable[str] | None = None) -> str | None:
    """The Chinese label of an activity code, if it is among ``codes`` (all when None), else the code."""
    if code is None:
        return None
    if codes is not None and code not in set(codes):
        return code
    return ACTIVITIES.get(code, code)


def ordered_codes(codes: Iterable[str]) -> list[str]:
    order = list(ACTIVITIES)
    return sorted(set(codes), key=lambda c: order.index(c) if c in order else len(order))


def duck_timestamp(value: dt.datetime) -> str:
    """A TIMESTAMP as DuckDB prints it (fractions of a second without trailing zeros)."""
    base = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        base += f".{value.microsecond:06d}".rstrip("0")
    return base


def event_ref(event: Row | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"event_id": event["event_id"], "activity": event["activity"], "ts": event["ts"]}


def next_midnight(moment: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time())


def in_scope(rule: RuleBase, view: View) -> bool:
    """The rule's scope, as ``Query.scope_conditions`` tests it (case rules: the case's department)."""
    scope, case, item = rule.scope, view.case, view.item
    if item is None:
        return False
    subject_is_case = rule.subject == "case"
    owner = case if subject_is_case else item
    if scope.case_kind and subject_is_case and case.get("case_kind") != scope.case_kind:
        return False
    if scope.item_kinds and item.get("kind") not in scope.item_kinds:
        return False
    if scope.item_codes and item.get("item_code") not in scope.item_codes:
        return False
    if scope.departments and owner.get("dept_code") not in scope.departments:
        return False
    if scope.platforms and subject_is_case and case.get("source_system") not in scope.platforms:
        return False
    if scope.when is not None:
        env = {"case": case if subject_is_case else None, "item": item}
        return scope.when.holds(env, as_of=view.as_of, workdays=view.calendar.between)
    return True


# Imported last: the kind modules use the helpers above.
from audit.live.judges.checks import document, field, officer  # noqa: E402
from audit.live.judges.deadline import deadline  # noqa: E402
from audit.live.judges.declare import declare  # noqa: E402
from audit.live.judges.disclosure import disclosure  # noqa: E402

__all__ = ["AS_OF", "Judge", "Judgement", "declare", "deadline", "disclosure", "document", "field",
           "finding", "in_scope", "officer", "render"]
