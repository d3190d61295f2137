"""The pure-Python evaluator of the expression language (``audit.rules.expr``).

It gives what the compiled SQL gives on the same row: NULL (None) propagates through comparisons,
arithmetic and functions; ``and``/``or``/``not`` follow three-valued logic; text compared with a
date is read as a date; numbers are compared as decimals. Engines without SQL (the live engine)
use it to judge ``field`` rules and scope conditions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from audit.rules import vocab
from audit.rules.expr import (
    And, Arith, AsOf, Call, Col, Compare, Const, Exists, ExpressionError, InList, IsNull, Neg, Node, Not, Or,
)

def _num(value: Any) -> Any:
    return Decimal(repr(value)) if isinstance(value, float) else value


def _align(left: Any, right: Any) -> tuple[Any, Any]:
    """Coerce two non-NULL values the way SQL would before comparing them."""
    left, right = _num(left), _num(right)
    for a, b, swap in ((left, right, False), (right, left, True)):
        if isinstance(a, (dt.date, dt.datetime)) and isinstance(b, str):
            b = dt.datetime.fromisoformat(b) if isinstance(a, dt.datetime) else dt.date.fromisoformat(b)
            return (b, a) if swap else (a, b)
    if isinstance(left, dt.datetime) != isinstance(right, dt.datetime):
        def promote(v: dt.date) -> dt.datetime:
            return v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())

        if isinstance(left, dt.date) and isinstance(right, dt.date):
            return promote(left), promote(right)
    return left, right


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class Evaluator:
    """Evaluates a tree against rows, as SQL would: NULL propagates, AND/OR are three-valued."""

    def __init__(self, env: Mapping[str, Mapping[str, Any] | None], as_of: dt.datetime | None,
                 workdays: Callable[[dt.date, dt.date], int | None] | None):
        self.env, self.as_of, self.workdays = env, as_of, workdays

    def eval(self, node: Node) -> Any:  # noqa: C901 - one branch per node type
        if isinstance(node, Col):
            row = self.env.get(node.table)
            return None if row is None else _num(row.get(node.column))
        if isinstance(node, Const):
            return node.value
        if isinstance(node, AsOf):
            return self.as_of
        if isinstance(node, Exists):
            row = self.env.get(node.table)
            return row is not None and row.get(vocab.KEY_COLUMNS[node.table]) is not None
        if isinstance(node, Not):
            value = self.eval(node.operand)
            return None if value is None else not value
        if isinstance(node, And):
            values = [self.eval(i) for i in node.items]
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if isinstance(node, Or):
            values = [self.eval(i) for i in node.items]
            if any(v is True for v in values):
                return True
            return None if any(v is None for v in values) else False
        if isinstance(node, IsNull):
            return (self.eval(node.operand) is None) != node.negated
        if isinstance(node, Compare):
            left, right = self.eval(node.left), self.eval(node.right)
            if left is None or right is None:
                return None
            left, right = _align(left, right)
            return {"==": left == right, "!=": left != right}.get(node.op) if node.op in ("==", "!=") else {
                "<": lambda: left < right, "<=": lambda: left <= right,
                ">": lambda: left > right, ">=": lambda: left >= right}[node.op]()
        if isinstance(node, InList):
            value = self.eval(node.operand)
            if value is None:
                return None
            found = any(_align(value, v.value)[0] == _align(value, v.value)[1] for v in node.values)
            return found != node.negated
        if isinstance(node, Arith):
            left, right = _num(self.eval(node.left)), _num(self.eval(node.right))
            if left is None or right is None:
                return None
            return left + right if node.op == "+" else left - right if node.op == "-" else left * right
        if isinstance(node, Neg):
            value = _num(self.eval(node.operand))
            return None if value is None else -value
        assert isinstance(node, Call)
        return self._call(node)

    def _call(self, node: Call) -> Any:
        args = [self.eval(a) for a in node.args]
        name = node.name
        if name == "coalesce":
            return next((a for a in args if a is not None), None)
        if name == "is_blank":
            return args[0] is None or str(args[0]).strip() == ""
        if any(a is None for a in args):
            return None
        first = args[0]
        if name == "len":
            return len(first)
        if name == "contains":
            if isinstance(first, (list, tuple)):
                return args[1] in first
            return str(args[1]) in str(first)
        if name == "matches":
            return re.search(str(args[1]), str(first)) is not None
        if name in ("lower", "upper", "trim"):
            text = str(first)
            return text.lower() if name == "lower" else text.upper() if name == "upper" else text.strip()
        if name == "abs":
            return abs(_num(first))
        if name == "date":
            return _as_date(first)
        a, b = _as_date(first), _as_date(args[1])
        assert a is not None and b is not None
        if name == "days":
            return (b - a).days
        if self.workdays is None:
            raise ExpressionError("workdays() 需要工作日历")
        return self.workdays(a, b)
