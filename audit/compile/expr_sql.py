"""Compile an expression tree (``audit.rules.expr``) to a sqlglot expression.

Columns become ``alias.column`` for the aliases the caller gives; every constant is bound through
the :class:`~audit.compile.sqlkit.Binder`; ``as_of`` is the ``$as_of`` parameter. Compound operands
are parenthesised explicitly, so the tree's grouping survives rendering in any dialect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlglot import exp

from audit.compile.sqlkit import Binder, cast, col, date_diff, date_of, lit
from audit.rules import expr as E
from audit.rules import vocab

_COMPARE: dict[str, type[exp.Binary]] = {
    "==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
}
_ARITH: dict[str, type[exp.Binary]] = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}


def infer_type(node: E.Node) -> str | None:
    """The expression language type of a node, when it is known."""
    if isinstance(node, E.Col):
        return vocab.column_type(node.table, node.column)
    if isinstance(node, E.Const):
        value = node.value
        return ("bool" if isinstance(value, bool) else "text" if isinstance(value, str)
                else "number" if value is not None else None)
    if isinstance(node, E.AsOf):
        return "timestamp"
    if isinstance(node, (E.Arith, E.Neg)):
        return "number"
    if isinstance(node, E.Call):
        return {"len": "number", "lower": "text", "upper": "text", "trim": "text", "abs": "number",
                "date": "date", "days": "number", "workdays": "number",
                "coalesce": infer_type(node.args[0])}.get(node.name, "bool")
    return "bool"


def _wrap(node: exp.Expr) -> exp.Expr:
    if isinstance(node, (exp.Column, exp.Literal, exp.Cast, exp.Func, exp.Paren, exp.Placeholder, exp.Null)):
        return node
    return exp.Paren(this=node)


class ExpressionCompiler:
    """Compiles trees for one query: ``aliases`` maps a table name (``case``…) to its SQL alias."""

    def __init__(self, binder: Binder, aliases: Mapping[str, str], calendar: str = "calendar"):
        self.binder = binder
        self.aliases = aliases
        self.calendar = calendar

    def __call__(self, expression: E.Expression) -> exp.Expr:
        return self.compile(expression.tree)

    def compile(self, node: E.Node) -> exp.Expr:  # noqa: C901 - one branch per node type
        sub = self.compile
        if isinstance(node, E.Col):
            return col(self.aliases[node.table], node.column)
        if isinstance(node, E.Const):
            return self.binder.value(node.value)
        if isinstance(node, E.AsOf):
            return self.binder.as_of()
        if isinstance(node, E.Exists):
            return col(self.aliases[node.table], vocab.KEY_COLUMNS[node.table]).is_(exp.null()).not_()
        if isinstance(node, E.Not):
            return exp.Not(this=_wrap(sub(node.operand)))
        if isinstance(node, E.And):
            return exp.and_(*(_wrap(sub(i)) for i in node.items))
        if isinstance(node, E.Or):
            return exp.Paren(this=exp.or_(*(_wrap(sub(i)) for i in node.items)))
        if isinstance(node, E.Compare):
            return _COMPARE[node.op](this=_wrap(self._side(node.left, node.right)),
                                     expression=_wrap(self._side(node.right, node.left)))
        if isinstance(node, E.IsNull):
            is_null = exp.Is(this=_wrap(sub(node.operand)), expression=exp.null())
            return exp.Not(this=is_null) if node.negated else is_null
        if isinstance(node, E.InList):
            found = _wrap(sub(node.operand)).isin(*(sub(v) for v in node.values))
            return exp.Not(this=exp.Paren(this=found)) if node.negated else found
        if isinstance(node, E.Arith):
            return _ARITH[node.op](this=_wrap(sub(node.left)), expression=_wrap(sub(node.right)))
        if isinstance(node, E.Neg):
            return exp.Neg(this=_wrap(sub(node.operand)))
        assert isinstance(node, E.Call)
        return self._call(node)

    def _side(self, node: E.Node, other: E.Node) -> exp.Expr:
        """A comparison operand; a text constant compared with a date or time is bound as one."""
        kind = E.temporal_type(other)
        if kind and isinstance(node, E.Const) and isinstance(node.value, str):
            if kind == "timestamp":
                return self.binder.bind(dt.datetime.fromisoformat(node.value), "TIMESTAMP")
            return self.binder.bind(dt.date.fromisoformat(node.value), "DATE")
        return self.compile(node)

    def _call(self, node: E.Call) -> exp.Expr:
        args = [self.compile(a) for a in node.args]
        name = node.name
        first_type = infer_type(node.args[0]) if node.args else None
        if name == "len":
            return exp.ArraySize(this=args[0]) if first_type == "list" else exp.Length(this=args[0])
        if name == "contains":
            if first_type == "list":
                return exp.ArrayContains(this=args[0], expression=args[1])
            return exp.GT(this=exp.StrPosition(this=args[0], substr=args[1]), expression=lit(0))
        if name == "matches":
            return exp.RegexpLike(this=args[0], expression=args[1])
        if name == "lower":
            return exp.Lower(this=args[0])
        if name == "upper":
            return exp.Upper(this=args[0])
        if name == "trim":
            return exp.Trim(this=args[0])
        if name == "is_blank":
            return exp.Paren(this=exp.or_(exp.Is(this=args[0], expression=exp.null()),
                                          exp.EQ(this=exp.Trim(this=cast(args[0], "VARCHAR")), expression=lit(""))))
        if name == "coalesce":
            return exp.Coalesce(this=args[0], expressions=args[1:])
        if name == "abs":
            return exp.Abs(this=args[0])
        if name == "date":
            return date_of(args[0])
        if name == "days":
            return date_diff(date_of(args[0]), date_of(args[1]))
        assert name == "workdays"
        return exp.Sub(this=self._workday_no(args[1]), expression=self._workday_no(args[0]))

    def _workday_no(self, value: exp.Expr) -> exp.Expr:
        lookup = (exp.select(exp.Max(this=col(None, "workday_no")))
                  .from_(self.calendar).where(col(None, "day").eq(date_of(value))))
        return exp.Subquery(this=lookup)
