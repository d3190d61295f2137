"""The normalisation steps: small classes, each adding typed columns and/or row checks.

A record type's pipeline is an ordered tuple of these (see :data:`ingest.normalise.PIPELINES`).
Every step reads the columns of the steps before it. Column names: ``f_<field>`` is a field's
cleaned text, ``m_<field>`` its text after the mapping's value map, ``v_<field>`` its typed value,
``d_<name>`` a derived column. A :class:`Check` is true for a row that must be quarantined; the
first failing check (in pipeline order) gives the row's reason. Relational steps (duplicates,
unknown references, :class:`Relational`) run after every row-level check, on the rows that passed
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ingest.fields import TARGETS, Kind
from ingest.parts import PartSpec
from ingest.readers.base import Stage
from ingest.sql import Params, ident

OFFSET_PATTERN = r"\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\s?([Zz]|[+-]\d{2}(:?\d{2})?)$"
TYPED_TIMESTAMPS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
REEXPORT_HINT = "修正后重新导出该文件再载入（同名文件会替换上次载入的内容）"


def f(name: str) -> str:
    return ident(f"f_{name}")


def v(name: str) -> str:
    return ident(f"v_{name}")


def d(name: str) -> str:
    return ident(f"d_{name}")


@dataclass(frozen=True)
class Check:
    condition: str            # SQL: true when the row must be quarantined
    reason: str               # SQL expression giving the Chinese reason (may quote the value)
    column: str | None        # the source column concerned
    hint: str                 # Chinese: how to fix it


@dataclass
class Context:
    """What the steps of one part need: the spec, the stage, parameters, names of helper tables."""

    spec: PartSpec
    stage: Stage
    params: Params
    timezone: str
    load_id: int
    file_name: str
    prior_table: str | None = None         # events: the events already loaded of the part's cases
    text_of: dict[str, str] = field(default_factory=dict)   # field -> its current text column

    def text(self, name: str) -> str:
        return self.text_of.get(name, f(name))

    def column(self, name: str) -> str | None:
        """The source column of a mapped field (None for constants)."""
        return self.spec.fields.get(name)

    def p(self, value: object) -> str:
        return self.params.add(value)


class Step:
    """One normalisation step. Override :meth:`columns` and/or :meth:`checks`."""

    RELATIONAL: ClassVar[bool] = False

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        return []

    def checks(self, ctx: Context) -> list[Check]:
        return []


class Relational(Step):
    """A check against other rows (earlier rows of the file, the database, the reference data).

    It runs over the materialised row-level result, on the rows that passed every row-level check:
    :meth:`failing` selects ``_row`` and the :meth:`outputs` columns of just the rows that fail it;
    every other row takes the outputs' defaults (SQL, or None for NULL).
    """

    RELATIONAL: ClassVar[bool] = True

    def outputs(self, ctx: Context) -> list[tuple[str, str | None]]:
        return []

    def failing(self, ctx: Context, rows: str) -> str:
        raise NotImplementedError


def _kind(ctx: Context, name: str) -> Kind:
    return TARGETS[ctx.spec.record].fields[name].kind


def _label(ctx: Context, name: str) -> str:
    column = ctx.column(name)
    return f"{name}（列「{column}」）" if column else name


class Required(Step):
    """A required field without a value."""

    def checks(self, ctx: Context) -> list[Check]:
        return [
            Check(f"{f(name)} IS NULL", ctx.p(f"缺少必填值：{_label(ctx, name)}"), ctx.column(name),
                  "补全该值后重新导出；如该字段本可为空，从映射的 required 中删去")
            for name in ctx.spec.effective_required() if name in ctx.spec.fields
        ]


class ValueMap(Step):
    """The mapping's ``values:`` table; a value outside it (and not already canonical) is refused."""

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        result = []
        for name, table in ctx.spec.values.items():
            if name not in ctx.spec.fields:
                continue
            branches = " ".join(f"WHEN {ctx.p(str(k))} THEN {ctx.p(_text(val))}" for k, val in table.items())
            result.append((f"m_{name}", f"CASE {f(name)} {branches} ELSE {f(name)} END"))
            ctx.text_of[name] = ident(f"m_{name}")
        return result

    def checks(self, ctx: Context) -> list[Check]:
        result = []
        for name, table in ctx.spec.values.items():
            if name not in ctx.spec.fields:
                continue
            allowed = ctx.p(sorted({str(k) for k in table} | {_text(x) for x in table.values()}))
            known = "、".join(str(k) for k in table)
            result.append(Check(
                f"{f(name)} IS NOT NULL AND NOT list_contains({allowed}, {f(name)})",
                f"format({ctx.p('取值「{}」不在映射的 values 中：' + _label(ctx, name))}, {f(name)})",
                ctx.column(name), f"可用取值：{known}；如是新取值，在映射的 values.{name} 中加入它"))
        return result


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Convert(Step):
    """Every mapped or constant field to its typed value (one small method per kind)."""

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        result = []
        for name in [*ctx.spec.fields, *ctx.spec.constants]:
            kind = _kind(ctx, name)
            if kind is Kind.ACTIVITY:
                continue
            text = ctx.text(name) if name in ctx.spec.fields else f"{ctx.p(_text(ctx.spec.constants[name]))}::VARCHAR"
            result.append((f"v_{name}", CONVERTERS[kind].convert(ctx, text)))
        return result

    def checks(self, ctx: Context) -> list[Check]:
        result = []
        for name in ctx.spec.fields:
            converter = CONVERTERS.get(_kind(ctx, name))
            if converter is not None:
                result.extend(converter.checks(ctx, name))
        return result


class Converter:
    """How one kind of field is converted; ``checks`` says when the conversion failed."""

    FAILURE: ClassVar[str | None] = None
    HINT: ClassVar[str] = ""

    def convert(self, ctx: Context, text: str) -> str:
        return text

    def checks(self, ctx: Context, name: str) -> list[Check]:
        if self.FAILURE is None:
            return []
        return [Check(f"{ctx.text(name)} IS NOT NULL AND {v(name)} IS NULL",
                      f"format({ctx.p(self.FAILURE + '：「{}」，' + _label(ctx, name))}, {ctx.text(name)})",
                      ctx.column(name), self.hint(ctx))]

    def hint(self, ctx: Context) -> str:
        return self.HINT


class TextConverter(Converter):
    pass


class IdNumberConverter(Converter):
    def convert(self, ctx: Context, text: str) -> str:
        return f"upper({text})"


class DecimalConverter(Converter):
    FAILURE = "不是有效的金额"
    HINT = "金额只能含数字和小数点（可带千位分隔符）"

    def convert(self, ctx: Context, text: str) -> str:
        return f"try_cast(translate({text}, {ctx.p(',，¥￥元 ')}, '') AS DECIMAL(14, 2))"


class IntegerConverter(Converter):
    FAILURE = "不是有效的整数"
    HINT = "该列只能填整数"

    def convert(self, ctx: Context, text: str) -> str:
        return f"try_cast({text} AS INTEGER)"


class BooleanConverter(Converter):
    FAILURE = "不是有效的是/否值"
    HINT = "用 true/false，或在映射的 values 中把该取值映射为 true/false"

    def convert(self, ctx: Context, text: str) -> str:
        return f"try_cast({text} AS BOOLEAN)"


class ListConverter(Converter):
    def convert(self, ctx: Context, text: str) -> str:
        split = (f"CASE WHEN starts_with({text}, '[') AND json_valid({text}) "
                 f"THEN try(from_json({text}, '[\"VARCHAR\"]')) ELSE string_split({text}, {ctx.p(ctx.spec.list_separator)}) END")
        return f"list_filter(list_transform({split}, lambda e: trim(e)), lambda e: e <> '')"


class DateConverter(Converter):
    FAILURE = "日期无法解析"

    def convert(self, ctx: Context, text: str) -> str:
        parsed = f"try_strptime({text}, {ctx.p(list(ctx.spec.date_formats))})::DATE"
        if ctx.stage.typed_cells:
            parsed = f"coalesce({parsed}, try_cast({text} AS DATE))"
        return parsed

    def hint(self, ctx: Context) -> str:
        return f"映射允许的日期格式：{'、'.join(ctx.spec.date_formats)}；核对导出格式或在 date_formats 中加入该格式"


class TimestampConverter(Converter):
    """Local wall-clock time. An offset in the value is always honoured; without one the value is
    local (timezone: local), UTC (timezone: utc) or refused (timezone: offset)."""

    FAILURE = "时间无法解析"

    def convert(self, ctx: Context, text: str) -> str:
        formats = ctx.spec.timestamp_formats
        naive = [x for x in formats if x != "iso8601" and "%z" not in x]
        zoned = [x for x in formats if "%z" in x]
        iso = "iso8601" in formats or ctx.stage.typed_cells
        if ctx.stage.typed_cells:
            naive = list(dict.fromkeys([*naive, *TYPED_TIMESTAMPS]))
        plain = [f"try_strptime({text}, {ctx.p(naive)})"] if naive else []
        plain += [f"try_cast({text} AS TIMESTAMP)"] if iso else []
        offset = [f"try_strptime({text}, {ctx.p(zoned)})"] if zoned else []
        offset += [f"try_cast({text} AS TIMESTAMPTZ)"] if iso else []
        tz = ctx.p(ctx.timezone)
        with_offset = f"timezone({tz}, coalesce({', '.join(offset)}))" if offset else "NULL::TIMESTAMP"
        parsed = f"coalesce({', '.join(plain)})" if plain else "NULL::TIMESTAMP"
        without = {"local": parsed, "utc": f"timezone({tz}, timezone('UTC', {parsed}))",
                   "offset": "NULL::TIMESTAMP"}[ctx.spec.timezone]
        has_offset = f"regexp_matches({text}, {ctx.p(OFFSET_PATTERN)})"
        return f"CASE WHEN {text} IS NULL THEN NULL WHEN {has_offset} THEN {with_offset} ELSE {without} END"

    def checks(self, ctx: Context, name: str) -> list[Check]:
        result = []
        if ctx.spec.timezone == "offset":
            result.append(Check(
                f"{ctx.text(name)} IS NOT NULL AND NOT regexp_matches({ctx.text(name)}, {ctx.p(OFFSET_PATTERN)})",
                f"format({ctx.p('时间缺少时区偏移：「{}」，' + _label(ctx, name))}, {ctx.text(name)})",
                ctx.column(name),
                "映射规定 timezone: offset：导出时带上 +08:00 或 Z；若该平台导出的是本地时间，把映射改为 timezone: local"))
        return result + super().checks(ctx, name)

    def hint(self, ctx: Context) -> str:
        return (f"映射允许的时间格式：{'、'.join(ctx.spec.timestamp_formats)}；"
                "核对导出的时间格式，或在映射的 timestamp_formats 中加入该格式")


CONVERTERS: dict[Kind, Converter] = {
    Kind.TEXT: TextConverter(), Kind.CODE: TextConverter(), Kind.ID_NUMBER: IdNumberConverter(),
    Kind.DECIMAL: DecimalConverter(), Kind.INTEGER: IntegerConverter(), Kind.BOOLEAN: BooleanConverter(),
    Kind.LIST: ListConverter(), Kind.DATE: DateConverter(), Kind.TIMESTAMP: TimestampConverter(),
}
