"""Small builders shared by the SQL compilers: bound parameters, columns, text, JSON, calendar.

Everything returns sqlglot expressions; nothing here formats SQL text. What a rule author
chooses (ids, titles, numbers, codes, constants of expressions, patterns) is always bound through
:class:`Binder`; text the compiler owns (Chinese sentence fragments, JSON keys, time formats,
labels of canonical activities) is written as literals, quoted by sqlglot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlglot import exp

from audit.rules.vocab import ACTIVITIES

AS_OF = "as_of"


class Binder:
    """Collects parameter values; equal values of one type share one name (``$p0``, ``$p1``…)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[str, str, Any], str] = {}

    def bind(self, value: Any, sql_type: str) -> exp.Expr:
        key = (sql_type, type(value).__name__, value)
        name = self._names.get(key)
        if name is None:
            name = f"p{len(self._names)}"
            self._names[key] = name
            self.values[name] = value
        return exp.cast(exp.Placeholder(this=name), exp.DataType.build(sql_type, dialect="duckdb"))

    def text(self, value: str) -> exp.Expr:
        return self.bind(value, "VARCHAR")

    def integer(self, value: int) -> exp.Expr:
        return self.bind(int(value), "INTEGER")

    def value(self, value: Any) -> exp.Expr:
        """Bind a constant of the expression language, typed from its Python type."""
        if isinstance(value, bool):
            return self.bind(value, "BOOLEAN")
        if isinstance(value, int):
            return self.bind(value, "BIGINT")
        if isinstance(value, Decimal):
            return self.bind(value, "DECIMAL(38, 10)")
        if isinstance(value, str):
            return self.bind(value, "VARCHAR")
        raise TypeError(f"cannot bind {value!r}")

    def as_of(self) -> exp.Expr:
        self.values.setdefault(AS_OF, None)
        return exp.cast(exp.Placeholder(this=AS_OF), exp.DataType.build("TIMESTAMP"))

    def params(self, as_of: dt.datetime) -> dict[str, Any]:
        """The values to execute with (``as_of`` filled in)."""
        return {k: (as_of if k == AS_OF else v) for k, v in self.values.items()}


def col(table: str | None, name: str) -> exp.Column:
    return exp.column(name, table=table)


def alias(table: str) -> Callable[[str], exp.Column]:
    """Columns of one table alias: ``c = alias("c"); c("case_id")``."""
    return lambda name: exp.column(name, table=table)


def lit(value: str | int) -> exp.Expr:
    """A literal the compiler owns (never a value from a rule)."""
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def cast(expression: exp.Expr, sql_type: str) -> exp.Cast:
    return exp.cast(expression, exp.DataType.build(sql_type, dialect="duckdb"))


def date_of(expression: exp.Expr) -> exp.Expr:
    return cast(expression, "DATE")


def fmt(expression: exp.Expr, pattern: str) -> exp.Expr:
    return exp.TimeToStr(this=expression, format=lit(pattern))


def concat(*parts: exp.Expr | str) -> exp.Expr:
    """Concatenate; NULL parts count as empty text."""
    items = [lit(p) if isinstance(p, str) else p for p in parts]
    return exp.Concat(expressions=[exp.Coalesce(this=cast(i, "VARCHAR"), expressions=[lit("")])
                                   if not isinstance(i, exp.Literal) else i for i in items],
                      safe=True, coalesce=True)


def case(whens: Iterable[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Case:
    node = exp.Case()
    for condition, value in whens:
        node = node.when(condition, value)
    return node.else_(default) if default is not None else node


def in_list(expression: exp.Expr, values: list[exp.Expr]) -> exp.Expr:
    return expression.isin(*values)


def json_object(pairs: Mapping[str, exp.Expr]) -> exp.Expr:
    return exp.JSONObject(expressions=[exp.JSONKeyValue(this=lit(k), expression=v) for k, v in pairs.items()])


def _ordered(order: exp.Expr | Sequence[exp.Expr]) -> list[exp.Expr]:
    keys = [order] if isinstance(order, exp.Expr) else list(order)
    return [exp.Ordered(this=key, nulls_first=False) for key in keys]


def json_list(value: exp.Expr, order: exp.Expr | Sequence[exp.Expr], where: exp.Expr | None = None) -> exp.Expr:
    """A JSON array of ``value`` over the group (or the rows matching ``where``), ordered by
    ``order`` (one key or several; the keys must make the order total)."""
    agg: exp.Expr = exp.ArrayAgg(this=exp.Order(this=value, expressions=_ordered(order)))
    if where is not None:
        agg = exp.Filter(this=agg, expression=exp.Where(this=where))
    return cast(agg, "JSON")


def string_agg(value: exp.Expr, separator: str, order: exp.Expr | Sequence[exp.Expr]) -> exp.Expr:
    return exp.GroupConcat(this=exp.Order(this=value, expressions=_ordered(order)), separator=lit(separator))


def arg_min(value: exp.Expr, key: exp.Expr, where: exp.Expr | None = None) -> exp.Expr:
    agg: exp.Expr = exp.ArgMin(this=value, expression=key)
    return exp.Filter(this=agg, expression=exp.Where(this=where)) if where is not None else agg


def arg_max(value: exp.Expr, key: exp.Expr, where: exp.Expr | None = None) -> exp.Expr:
    agg: exp.Expr = exp.ArgMax(this=value, expression=key)
    return exp.Filter(this=agg, expression=exp.Where(this=where)) if where is not None else agg


def agg_filter(agg: exp.Expr, where: exp.Expr) -> exp.Expr:
    return exp.Filter(this=agg, expression=exp.Where(this=where))


def window(function: exp.Expr, partition: Sequence[exp.Expr], order: exp.Expr,
           frame: tuple[str, str] | None = None) -> exp.Window:
    """``function OVER (PARTITION BY … ORDER BY order [ROWS BETWEEN …])``; frame is one of
    ("following", …) meaning 1 FOLLOWING .. UNBOUNDED FOLLOWING, or ("preceding", …)."""
    spec = None
    if frame == ("following", "rest"):
        spec = exp.WindowSpec(kind="ROWS", start="1", start_side="FOLLOWING", end="UNBOUNDED", end_side="FOLLOWING")
    elif frame == ("preceding", "rest"):
        spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="1", end_side="PRECEDING")
    return exp.Window(this=function, partition_by=list(partition),
                      order=exp.Order(expressions=[exp.Ordered(this=order, nulls_first=False)]), spec=spec)


def activity_label(activity: exp.Expr, codes: Iterable[str] | None = None) -> exp.Expr:
    """The Chinese label of an activity code column (CASE over the canonical codes)."""
    chosen = list(codes) if codes is not None else list(ACTIVITIES)
    if not chosen:
        return activity
    return case(((activity.eq(lit(code)), lit(ACTIVITIES.get(code, code))) for code in chosen), activity)


def coalesce(*items: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=items[0], expressions=list(items[1:]))


def greatest(*items: exp.Expr) -> exp.Expr:
    return exp.Greatest(this=items[0], expressions=list(items[1:]))


def date_diff(start: exp.Expr, end: exp.Expr) -> exp.Expr:
    """Natural days from ``start`` to ``end`` (dates)."""
    return exp.DateDiff(this=end, expression=start, unit=exp.var("DAY"))


def date_add(start: exp.Expr, amount: exp.Expr, unit: str) -> exp.Expr:
    return date_of(exp.DateAdd(this=start, expression=amount, unit=exp.var(unit)))
