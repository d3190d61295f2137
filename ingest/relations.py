"""Relational steps: checks that look at other rows - earlier rows of the same file, rows already
in the database, the reference data. They run after every row-level check, on the rows that
passed them (a row quarantined for a bad time does not make a later row a duplicate)."""

from __future__ import annotations

from typing import ClassVar

from ingest.fields import TARGETS
from ingest.sql import ident
from ingest.steps import Check, Context, Relational, d, v


def key_columns(record: str) -> list[str]:
    """The columns of the record's canonical key in the normalised rows."""
    return [d(k) if k in ("case_id", "event_id") else v(k) for k in TARGETS[record].key]


def key_text(record: str) -> str:
    return " || ' / ' || ".join(f"coalesce({c}::VARCHAR, '')" for c in key_columns(record))


def _passing(rows: str) -> str:
    """The rows that passed every row-level check."""
    return f"(SELECT * FROM {ident(rows)} WHERE _fail0 IS NULL)"


class DuplicateInFile(Relational):
    """A row whose key already appeared on an earlier row of the same file."""

    REASONS: ClassVar[dict[str, str]] = {
        "cases": "办件编号重复：与本文件第 {} 行的办件「{}」相同",
        "events": "重复的过程记录：与本文件第 {} 行相同（同一办件、环节、时间和内容）",
    }

    def outputs(self, ctx: Context) -> list[tuple[str, str | None]]:
        return [("_dup_first", None)]

    def failing(self, ctx: Context, rows: str) -> str:
        keys = key_columns(ctx.spec.record)
        repeated = (f"SELECT {', '.join(keys)}, min(_row) AS _first FROM {_passing(rows)} GROUP BY {', '.join(keys)}"
                    f" HAVING count(*) > 1")
        on = " AND ".join(f"_p.{k} IS NOT DISTINCT FROM _k.{k}" for k in keys)
        return (f"SELECT _p._row, _k._first AS _dup_first FROM {_passing(rows)} AS _p JOIN ({repeated}) AS _k ON {on}"
                f" WHERE _p._row > _k._first")

    def checks(self, ctx: Context) -> list[Check]:
        record = ctx.spec.record
        text = self.REASONS.get(record, "编码重复：与本文件第 {} 行的「{}」相同")
        hint = ("同一过程记录只应导出一次；删去重复行后重新导出" if record == "events"
                else "同一编号只应出现一次；核对并删去重复行后重新导出")
        return [Check("_dup_first < _row", f"format({ctx.p(text)}, _dup_first, {key_text(record)})", None, hint)]


class AlreadyLoaded(Relational):
    """A row whose key is already in the database, loaded from another file.

    Events are looked up among the events of the part's own cases only (an event's digest covers
    its case, so an equal event belongs to the same case).
    """

    def outputs(self, ctx: Context) -> list[tuple[str, str | None]]:
        return [("_old_file", None), ("_old_row", None)]

    def failing(self, ctx: Context, rows: str) -> str:
        target = TARGETS[ctx.spec.record]
        existing = ident(ctx.prior_table) if ctx.spec.record == "events" and ctx.prior_table else ident(target.table)
        on = " AND ".join(f"_old.{ident(k)} = _p.{col}"
                          for k, col in zip(target.key, key_columns(ctx.spec.record), strict=True))
        return (f"SELECT _p._row, _old.source_file AS _old_file, _old.source_row AS _old_row"
                f" FROM {_passing(rows)} AS _p JOIN {existing} AS _old ON {on}")

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


class KnownItem(Relational):
    """A case whose item code is not in the item catalogue."""

    def outputs(self, ctx: Context) -> list[tuple[str, str | None]]:
        return [("_item_found", "true")]

    def failing(self, ctx: Context, rows: str) -> str:
        return (f"SELECT _p._row, false AS _item_found FROM {_passing(rows)} AS _p"
                f" WHERE NOT EXISTS (SELECT 1 FROM items AS _item WHERE _item.item_code = _p.{v('item_code')})")

    def checks(self, ctx: Context) -> list[Check]:
        return [Check("NOT _item_found", f"format({ctx.p('事项编码「{}」不在事项目录中')}, {v('item_code')})",
                      ctx.column("item_code"),
                      "先载入含该事项的事项目录（基础数据 items），或核对事项编码；用户映射可在 reference.items 中给出事项")]


class KnownCase(Relational):
    """An event whose case is neither in this load nor in the database."""

    def outputs(self, ctx: Context) -> list[tuple[str, str | None]]:
        return [("_case_found", "true"), ("_cf_file", None), ("_cf_row", None), ("_cf_reason", None)]

    def failing(self, ctx: Context, rows: str) -> str:
        case = d("case_id")
        unknown = (f"SELECT _u.c FROM (SELECT DISTINCT {case} AS c FROM {_passing(rows)}) AS _u"
                   f" WHERE NOT EXISTS (SELECT 1 FROM cases AS _case WHERE _case.case_id = _u.c)")
        return (
            f"SELECT _p._row, false AS _case_found, _cf.file_name AS _cf_file, _cf.row_number AS _cf_row,"
            f" _cf.reason AS _cf_reason FROM {_passing(rows)} AS _p"
            f" JOIN ({unknown}) AS _m ON _m.c IS NOT DISTINCT FROM _p.{case}"
            f" LEFT JOIN (SELECT case_id, any_value(file_name) AS file_name, any_value(row_number) AS row_number,"
            f" any_value(reason) AS reason FROM _ingest_case_failures GROUP BY case_id) AS _cf"
            f" ON _cf.case_id = _p.{case}"
        )

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
