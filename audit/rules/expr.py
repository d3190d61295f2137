"""The restricted expression language of ``field`` rules and ``scope.when`` conditions.

An expression is Python *syntax* parsed with :func:`ast.parse` (``mode="eval"``) and translated
node by node into a small tree of the dataclasses below; anything not listed is refused with the
offending construct named. It is never evaluated by Python and never pasted into SQL: targets
compile the tree (``audit.compile.expr_sql`` builds sqlglot expressions with bound parameters) and
:meth:`Expression.evaluate` interprets it with SQL's three-valued logic, so both agree on NULLs.

Allowed:
  * columns ``table.column`` of the tables in :data:`audit.rules.vocab.TABLES`
    (``case``, ``item``, ``event``, ``officer``, ``discretion``, ``disclosure``), and ``as_of``;
  * constants: strings, numbers, ``True``/``False``, and ``None`` only in ``is None``/``is not None``;
  * ``and``, ``or``, ``not``, comparisons (chains allowed), ``in``/``not in`` a literal list or a
    list column, ``+``, ``-``, ``*``, unary ``-``;
  * the functions in :data:`FUNCTIONS`.

A rule fires when its expression is TRUE; FALSE and NULL (unknown) do not fire.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Union

from audit.rules import vocab

MAX_LENGTH = 2000
MAX_DEPTH = 40

# name -> (min args, max args or None, Chinese description)
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "len": (1, 1, "长度（文本字数或列表项数）"),
    "contains": (2, 2, "包含（文本含子串，或列表含某项）"),
    "matches": (2, 2, "匹配正则表达式"),
    "lower": (1, 1, "转小写"),
    "upper": (1, 1, "转大写"),
    "trim": (1, 1, "去首尾空白"),
    "is_blank": (1, 1, "为空或空白"),
    "coalesce": (2, None, "取第一个非空值"),
    "abs": (1, 1, "绝对值"),
    "date": (1, 1, "取日期"),
    "days": (2, 2, "相隔自然日数"),
    "workdays": (2, 2, "相隔工作日数（按工作日历）"),
    "exists": (1, 1, "关联记录存在"),
}

COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
ARITH_OPS = ("+", "-", "*")

_AST_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_AST_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_REFUSED = {
    "Subscript": "下标访问", "Lambda": "lambda 函数", "ListComp": "列表推导式", "SetComp": "集合推导式",
    "DictComp": "字典推导式", "GeneratorExp": "生成器表达式", "Dict": "字典", "Set": "集合",
    "JoinedStr": "f 字符串", "FormattedValue": "f 字符串", "NamedExpr": "赋值表达式 :=", "IfExp": "条件表达式",
    "Starred": "星号展开", "Await": "await", "Yield": "yield", "YieldFrom": "yield from", "Slice": "切片",
}


class ExpressionError(ValueError):
    """An expression is not valid; the message is Chinese and names the construct and column."""

    def __init__(self, message: str, col: int | None = None):
        super().__init__(message if col is None else f"{message}（第 {col + 1} 列）")


# --- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    table: str
    column: str


@dataclass(frozen=True)
class Const:
    value: str | int | Decimal | bool | None


@dataclass(frozen=True)
class AsOf:
    pass


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negated: bool = False


@dataclass(frozen=True)
class InList:
    operand: Node
    values: tuple[Const, ...]
    negated: bool = False


@dataclass(frozen=True)
class Arith:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Exists:
    table: str


Node = Union[Col, Const, AsOf, Not, And, Or, Compare, IsNull, InList, Arith, Neg, Call, Exists]


def children(node: Node) -> Iterator[Node]:
    if isinstance(node, (Not, Neg)):
        yield node.operand
    elif isinstance(node, (And, Or)):
        yield from node.items
    elif isinstance(node, (Compare, Arith)):
        yield node.left
        yield node.right
    elif isinstance(node, IsNull):
        yield node.operand
    elif isinstance(node, InList):
        yield node.operand
        yield from node.values
    elif isinstance(node, Call):
        yield from node.args


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in children(node):
        yield from walk(child)


# --- parsing -------------------------------------------------------------------------------------


def temporal_type(node: Node) -> str | None:
    """"date" or "timestamp" for date-valued nodes (so text constants compared with them are
    read as dates), else None."""
    if isinstance(node, Col) and vocab.column_type(node.table, node.column) in ("date", "timestamp"):
        return vocab.column_type(node.table, node.column)
    if isinstance(node, AsOf):
        return "timestamp"
    if isinstance(node, Call) and node.name == "date":
        return "date"
    return None


class _Parser:
    def __init__(self, tables: frozenset[str]):
        self.tables = tables

    def parse(self, node: ast.AST, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"表达式嵌套超过 {MAX_DEPTH} 层")
        col = getattr(node, "col_offset", None)

        def sub(child: ast.AST) -> Node:
            return self.parse(child, depth + 1)

        if isinstance(node, ast.BoolOp):
            items = tuple(sub(v) for v in node.values)
            return And(items) if isinstance(node.op, ast.And) else Or(items)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return Not(sub(node.operand))
            if isinstance(node.op, ast.USub):
                inner = sub(node.operand)
                if isinstance(inner, Const) and isinstance(inner.value, (int, Decimal)) and not isinstance(
                        inner.value, bool):
                    return Const(-inner.value)
                return Neg(inner)
            if isinstance(node.op, ast.UAdd):
                return sub(node.operand)
            raise ExpressionError(f"不允许的运算符 {type(node.op).__name__}", col)
        if isinstance(node, ast.BinOp):
            op = _AST_ARITH.get(type(node.op))
            if op is None:
                raise ExpressionError(f"不允许的运算符 {type(node.op).__name__}（只允许 + - *）", col)
            return Arith(op, sub(node.left), sub(node.right))
        if isinstance(node, ast.Compare):
            return self._compare(node, depth)
        if isinstance(node, ast.Attribute):
            return self._column(node)
        if isinstance(node, ast.Name):
            if node.id == "as_of":
                return AsOf()
            if node.id in vocab.TABLES:
                raise ExpressionError(f"表名 {node.id} 只能用作 {node.id}.列名 或 exists({node.id})", col)
            raise ExpressionError(f"未知的名称 {node.id!r}（可用：表名.列名、as_of）", col)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, (ast.List, ast.Tuple)):
            raise ExpressionError("列表只能出现在 in / not in 的右边", col)
        name = type(node).__name__
        raise ExpressionError(f"不允许的表达式：{_REFUSED.get(name, name)}（{name}）", col)

    def _constant(self, node: ast.Constant) -> Const:
        value = node.value
        if value is None or isinstance(value, (bool, str, int)):
            return Const(value)
        if isinstance(value, float):
            return Const(Decimal(repr(value)))
        raise ExpressionError(f"不允许的常量类型 {type(value).__name__}", node.col_offset)

    def _column(self, node: ast.Attribute) -> Col:
        if node.attr.startswith("_"):
            raise ExpressionError(f"不允许访问以下划线开头的属性 {node.attr!r}", node.col_offset)
        if not isinstance(node.value, ast.Name):
            raise ExpressionError("属性访问只能是 表名.列名 一层", node.col_offset)
        table = node.value.id
        if table not in vocab.TABLES:
            raise ExpressionError(f"未知的表 {table!r}（可用：{', '.join(vocab.TABLES)}）", node.col_offset)
        if table not in self.tables:
            raise ExpressionError(f"此处不能引用表 {table!r}（可用：{', '.join(sorted(self.tables))}）",
                                  node.col_offset)
        columns = vocab.TABLES[table][1]
        if node.attr not in columns:
            raise ExpressionError(f"表 {table} 没有可用的列 {node.attr!r}（可用：{', '.join(columns)}）",
                                  node.col_offset)
        return Col(table, node.attr)

    def _compare(self, node: ast.Compare, depth: int) -> Node:
        parts: list[Node] = []
        left_ast = node.left
        for op, right_ast in zip(node.ops, node.comparators):
            parts.append(self._one_compare(left_ast, op, right_ast, depth))
            left_ast = right_ast
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _one_compare(self, left_ast: ast.expr, op: ast.cmpop, right_ast: ast.expr, depth: int) -> Node:
        col = left_ast.col_offset
        if isinstance(op, (ast.Is, ast.IsNot)):
            if not (isinstance(right_ast, ast.Constant) and right_ast.value is None):
                raise ExpressionError("is / is not 只能与 None 连用", col)
            return IsNull(self.parse(left_ast, depth + 1), negated=isinstance(op, ast.IsNot))
        if isinstance(op, (ast.In, ast.NotIn)):
            negated = isinstance(op, ast.NotIn)
            left = self.parse(left_ast, depth + 1)
            if isinstance(right_ast, (ast.List, ast.Tuple)):
                values = tuple(self._constant(v) if isinstance(v, ast.Constant) else _not_constant(v)
                               for v in right_ast.elts)
                if not values or any(v.value is None for v in values):
                    raise ExpressionError("in 的列表不能为空，也不能含 None", col)
                return InList(left, values, negated)
            found: Node = Call("contains", (self.parse(right_ast, depth + 1), left))
            return Not(found) if negated else found
        name = _AST_COMPARE.get(type(op))
        if name is None:
            raise ExpressionError(f"不允许的比较 {type(op).__name__}", col)
        if any(isinstance(a, ast.Constant) and a.value is None for a in (left_ast, right_ast)):
            raise ExpressionError("与 None 比较请写 is None / is not None", col)
        left, right = self.parse(left_ast, depth + 1), self.parse(right_ast, depth + 1)
        for one, other in ((left, right), (right, left)):
            kind = temporal_type(one)
            if kind and isinstance(other, Const) and isinstance(other.value, str):
                try:
                    (dt.datetime if kind == "timestamp" else dt.date).fromisoformat(other.value)
                except ValueError:
                    raise ExpressionError(f"{other.value!r} 不是有效的日期时间（写作 YYYY-MM-DD 或 "
                                          "YYYY-MM-DD HH:MM）", col) from None
        return Compare(name, left, right)

    def _call(self, node: ast.Call, depth: int) -> Node:
        col = node.col_offset
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("只能调用内置函数，不能调用方法或属性", col)
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"不允许的函数 {name!r}（可用：{', '.join(FUNCTIONS)}）", col)
        if node.keywords:
            raise ExpressionError(f"函数 {name} 不接受关键字参数", col)
        low, high = FUNCTIONS[name][:2]
        if len(node.args) < low or (high is not None and len(node.args) > high):
            raise ExpressionError(f"函数 {name} 的参数个数不对", col)
        if name == "exists":
            arg = node.args[0]
            if not (isinstance(arg, ast.Name) and arg.id in vocab.TABLES):
                raise ExpressionError("exists() 的参数须是表名，如 exists(discretion)", col)
            if arg.id not in self.tables:
                raise ExpressionError(f"此处不能引用表 {arg.id!r}", col)
            return Exists(arg.id)
        args = tuple(self.parse(a, depth + 1) for a in node.args)
        if name == "matches":
            pattern = args[1]
            if not (isinstance(pattern, Const) and isinstance(pattern.value, str)):
                raise ExpressionError("matches() 的第二个参数须是字符串常量", col)
            try:
                re.compile(pattern.value)
            except re.error as exc:
                raise ExpressionError(f"正则表达式无效：{exc}", col) from None
        return Call(name, args)


def _not_constant(node: ast.expr) -> Const:
    raise ExpressionError("in 的列表只能含常量", node.col_offset)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source text and its tree."""

    source: str
    tree: Node = field(compare=False)

    def columns(self) -> list[Col]:
        """Every column read, in order of first appearance."""
        seen: dict[Col, None] = {}
        for node in walk(self.tree):
            if isinstance(node, Col):
                seen.setdefault(node, None)
        return list(seen)

    def tables(self) -> set[str]:
        found = {c.table for c in self.columns()}
        found |= {n.table for n in walk(self.tree) if isinstance(n, Exists)}
        return found

    def evaluate(self, env: Mapping[str, Mapping[str, Any] | None], *, as_of: dt.datetime | None = None,
                 workdays: Callable[[dt.date, dt.date], int | None] | None = None) -> Any:
        """Interpret with SQL semantics; ``env`` maps a table name to its row (None = no row)."""
        from audit.rules.evaluate import Evaluator

        return Evaluator(env, as_of, workdays).eval(self.tree)

    def holds(self, env: Mapping[str, Mapping[str, Any] | None], **kwargs: Any) -> bool:
        """True when the expression is TRUE (not FALSE, not NULL): the rule fires."""
        return self.evaluate(env, **kwargs) is True

    def __str__(self) -> str:
        return self.source


def parse(source: str, tables: frozenset[str] | set[str] | None = None) -> Expression:
    """Parse and whitelist ``source``; ``tables`` limits the tables it may read (default: all)."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("表达式不能为空")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"表达式超过 {MAX_LENGTH} 个字符")
    text = " ".join(source.split())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"语法错误：{exc.msg}", (exc.offset or 1) - 1) from None
    allowed = frozenset(tables) if tables is not None else frozenset(vocab.TABLES)
    return Expression(source.strip(), _Parser(allowed).parse(tree.body))
