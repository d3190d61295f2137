"""Relational steps: checks that look at other rows - earlier rows of the same file, rows already
in the database, the reference data. They run after every row-level check, on the rows that
passed them (a row quarantined for a bad time does not make a later row a duplicate)."""

from __future__ import annotations

from typing import ClassVar

from ingest.derived import Joining
from ingest.fields import TARGETS
from ingest.sql import ident
from ingest.steps import Check, Context, Step, d, v

def key_columns(record: str) -> list[str]:
    """The columns of the record's canonical key in the normalised rows."""
    return [d(k) if k in ("case_id", "event_id") else v(k) for k in TARGETS[record].key]


def key_text(record: str) -> str:
    return " || ' / ' || ".join(f"coalesce({c}::VARCHAR, '')" for c in key_columns(record))


class DuplicateInFile(Step):
    """A row whose key already appeared on an earlier row of the same file."""

    RELATIONAL: ClassVar[bool] = True
    REASONS: ClassVar[dict[str, str]] = {
        "cases": "办件编号重复：与本文件第 {} 行的办件「{}」相同",
        "events": "重复的过程记录：与本文件第 {} 行相同（同一办件、环节、时间和内容）",
    }

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        keys = ", ".join(key_columns(ctx.spec.record))
        return [("_dup_first", f"CASE WHEN _fail0 IS NULL THEN min(_row) OVER (PARTITION BY {keys}, _fail0 IS NULL) END")]

    def checks(self, ctx: Context) -> list[Check]:
        record = ctx.spec.record
        text = self.REASONS.get(record, "编码重复：与本文件第 {} 行的「{}」相同")
        hint = ("同一过程记录只应导出一次；删去重复行后重新导出" if record == "events"
                else "同一编号只应出现一次；核对并删去重复行后重新导出")
        return [Check("_dup_first < _row", f"format({ctx.p(text)}, _dup_first, {key_text(record)})", None, hint)]


class AlreadyLoaded(Joining):
    """A row whose key is already in the database, loaded from another file."""

    RELATIONAL: ClassVar[bool] = True

    alias: ClassVar[str] = "_old"

    def joins(self, ctx: Context) -> list[str]:
        target = TARGETS[ctx.spec.record]
        on = " AND ".join(f"{self.alias}.{ident(k)} = _l.{col}"
                          for k, col in zip(target.key, key_columns(ctx.spec.record), strict=True))
        return [f"LEFT JOIN {ident(target.table)} AS {self.alias} ON _l._fail0 IS NULL AND {on}"]

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        return [("_old_file", f"{self.alias}.source_file"), ("_old_row", f"{self.alias}.source_row")]

    def checks(self, ctx: Context) -> list[Check]:
        record = ctx.spec.record
        if record == "events":
            text, hint = ("重复的过程记录：与已载入的文件 {} 第 {} 行相同", "同一过程记录已由另一文件载入；无需再次导出")
            reason = f"format({ctx.p(text)}, _old_file, _old_row)"
        else:
            text = "编号重复：「{}」已由文件 {} 第 {} 行载入" if record != "cases" else "办件编号重复：「{}」已由文件 {} 第 {} 行载入"
            hint = "同一编号只能由一个文件载入；若是更正，请用与原文件相同的文件名重新导出以替换它"
            reason = f"format({ctx.p(text)}, {key_text(record)}, _old_file, _old_row)"
        return [Check("_old_file IS NOT NULL", reason, None, hint)]


class KnownItem(Joining):
    """A case whose item code is not in the item catalogue."""

    RELATIONAL: ClassVar[bool] = True

    def joins(self, ctx: Context) -> list[str]:
        return [f"LEFT JOIN items AS _item ON _item.item_code = _l.{v('item_code')}"]

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        return [("_item_found", "_item.item_code IS NOT NULL")]

    def checks(self, ctx: Context) -> list[Check]:
        return [Check("NOT _item_found", f"format({ctx.p('事项编码「{}」不在事项目录中')}, {v('item_code')})",
                      ctx.column("item_code"),
                      "先载入含该事项的事项目录（基础数据 items），或核对事项编码；用户映射可在 reference.items 中给出事项")]


class KnownCase(Joining):
    """An event whose case is neither in this load nor in the database."""

    RELATIONAL: ClassVar[bool] = True

    def joins(self, ctx: Context) -> list[str]:
        return [
            f"LEFT JOIN cases AS _case ON _case.case_id = _l.{d('case_id')}",
            f"LEFT JOIN (SELECT case_id, any_value(file_name) AS file_name, any_value(row_number) AS row_number,"
            f" any_value(reason) AS reason FROM _ingest_case_failures GROUP BY case_id) AS _cf"
            f" ON _cf.case_id = _l.{d('case_id')}",
        ]

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        return [("_case_found", "_case.case_id IS NOT NULL"), ("_cf_file", "_cf.file_name"),
                ("_cf_row", "_cf.row_number"), ("_cf_reason", "_cf.reason")]

    def checks(self, ctx: Context) -> list[Check]:
        failed = ctx.p("所属办件「{}」未载入：{}（{} 第 {} 行）")
        unknown = ctx.p("所属办件「{}」不存在（本次载入和数据库中都没有）")
        return [Check(
            "NOT _case_found",
            f"CASE WHEN _cf_file IS NOT NULL THEN format({failed}, {d('case_id')}, _cf_reason, _cf_file, _cf_row)"
            f" ELSE format({unknown}, {d('case_id')}) END",
            ctx.column("source_case_no"),
            "先载入该办件（办件文件应与过程文件一起载入），或核对办件编号",
        )]
