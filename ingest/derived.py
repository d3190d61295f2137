"""Steps that derive canonical columns: activity codes, case ids, masked identity numbers,
event attributes and the event digest."""

from __future__ import annotations

from typing import ClassVar

from ingest.sql import ident
from ingest.steps import Check, Context, Step, d, f, v


class Joining(Step):
    """A step whose columns come from a LEFT JOIN (``joins`` returns the clauses)."""

    def joins(self, ctx: Context) -> list[str]:
        return []


class Activity(Step):
    """The platform's activity name, translated to a canonical code through the vocabulary.

    A CASE over the vocabulary's names rather than a join: a join does not keep the rows' order,
    which the positional row numbering of ``ingest.normalise.materialise_rows`` relies on.
    """

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        entries = sorted(ctx.spec.vocabulary()[1].items())
        if not entries:
            return [("d_activity", "NULL::VARCHAR")]
        branches = " ".join(f"WHEN {ctx.p(name)} THEN {ctx.p(code)}" for name, code in entries)
        return [("d_activity", f"CASE {f('activity')} {branches} END")]

    def checks(self, ctx: Context) -> list[Check]:
        vocab_file, vocabulary = ctx.spec.vocabulary()
        return [Check(
            f"{f('activity')} IS NOT NULL AND {d('activity')} IS NULL",
            f"format({ctx.p('未知的环节名称「{}」')}, {f('activity')})",
            ctx.column("activity"),
            f"词表在 {vocab_file.name}（activities，现有 {len(vocabulary)} 个名称）：加入该名称及其规范代码"
            f"（如 SUBMIT、ACCEPT、DECIDE，全部代码见 docs/mappings.md），或核对导出的环节名称",
        )]


class CaseKey(Step):
    """case_id = platform code + ':' + source case number."""

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        return [("d_case_id", f"{ctx.p(ctx.spec.platform + ':')} || {v('source_case_no')}")]


class DisclosureCase(Joining):
    """A disclosure's case: its ``system`` field is the platform; else the case with its decision number."""

    def joins(self, ctx: Context) -> list[str]:
        return [f"LEFT JOIN (SELECT decision_no AS _dn, min(case_id) AS _dn_case FROM cases "
                f"WHERE decision_no IS NOT NULL GROUP BY decision_no) AS _bydn ON _bydn._dn = _l.{v('decision_no')}"]

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        fields = {*ctx.spec.fields, *ctx.spec.constants}
        direct = "NULL::VARCHAR"
        if {"case_system", "source_case_no"} <= fields:
            direct = f"{v('case_system')} || ':' || {v('source_case_no')}"
        return [("d_case_id", f"coalesce({direct}, _bydn._dn_case)")]


class Applicant(Step):
    """The identity number: only its mask (first 4 + asterisks + last 4) and sha256 are kept."""

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        if "applicant_id" not in ctx.spec.fields:
            return [("d_applicant_id_masked", "NULL::VARCHAR"), ("d_applicant_id_hash", "NULL::VARCHAR")]
        x = v("applicant_id")
        masked = (f"CASE WHEN {x} IS NULL THEN NULL WHEN length({x}) > 8 THEN left({x}, 4) || "
                  f"repeat('*', length({x}) - 8) || right({x}, 4) ELSE repeat('*', length({x})) END")
        return [("d_applicant_id_masked", masked), ("d_applicant_id_hash", f"sha256({x})")]


class Attrs(Step):
    """Source columns listed under ``attrs:`` as one JSON object (NULL when all are empty)."""

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        names = [a for a in ctx.spec.attrs]
        if not names:
            return [("d_attrs", "NULL::JSON")]
        cols = [ident(f"a_{i}") for i in range(len(names))]
        pairs = ", ".join(f"{ctx.p(name)}, {col}" for name, col in zip(names, cols, strict=True))
        return [("d_attrs", f"CASE WHEN coalesce({', '.join(cols)}) IS NULL THEN NULL::JSON ELSE json_object({pairs}) END")]


class EventDigest(Step):
    """event_id: the md5 (32 hex digits) of the JSON list of the event's identifying content."""

    CONTENT: ClassVar[tuple[str, ...]] = (
        "d_case_id", "d_activity", "f_activity", "v_ts", "v_actor_id", "v_officer_ids", "v_dept_code",
        "v_document_type", "v_document_no", "v_amount", "d_attrs",
    )

    def columns(self, ctx: Context) -> list[tuple[str, str]]:
        present = {f"v_{name}" for name in ctx.spec.fields} | {"d_case_id", "d_activity", "f_activity", "d_attrs"}
        parts = ", ".join(
            (f"to_json({ident(col)})::VARCHAR" if col in ("v_officer_ids", "d_attrs") else f"{ident(col)}::VARCHAR")
            if col in present else "NULL::VARCHAR"
            for col in self.CONTENT
        )
        # json_array(...) writes the same text as to_json([...]) without building a list first
        return [("d_event_id", f"md5(json_array({parts})::VARCHAR)")]
