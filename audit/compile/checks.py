"""``field``, ``officer`` and ``document`` rules → one SELECT each.

Row-level checks share one shape: a ``rows`` CTE with one row per offending record (its case's
subject columns, a Chinese clause, a JSON object, an order key), then :func:`grouped` folds them
into one finding per case.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from audit.compile.common import Query
from audit.compile.sqlkit import (
    alias, activity_label, case, cast, coalesce, col, concat, date_of, fmt, json_list, json_object, lit, string_agg,
)
from audit.rules import expr as E
from audit.rules import vocab
from audit.rules.kinds import DocumentRule, FieldRule, OfficerRule

SUBJECT = ("case_id", "item_code", "dept_code", "source_system")
ALIASES = {"case": "c", "item": "i", "discretion": "dd", "event": "e", "disclosure": "d"}


def grouped(q: Query, rows: str = "rows", prefix: exp.Expr | str = "", suffix: str = "。") -> exp.Select:
    """One finding per case from a CTE with SUBJECT columns, ``clause``, ``detail`` and the order
    keys ``ord`` (the record's event seq or time) and ``tie`` (text that makes the order total)."""
    g = alias("g")
    order = [g("ord"), g("tie")]
    per_case = (exp.select(*(g(c) for c in SUBJECT), string_agg(g("clause"), "；", order).as_("text"),
                           json_list(g("detail"), order).as_("details"))
                .from_(exp.to_table(rows).as_("g")).group_by(*(g(c) for c in SUBJECT)))
    q.cte("per_case", per_case)
    x = alias("x")
    final = exp.select(*q.findings({
        **{c: x(c) for c in SUBJECT}, "level": q.level(),
        "message": concat(prefix, x("text"), suffix), "evidence": json_object({"records": x("details")}),
    })).from_(exp.to_table("per_case").as_("x"))
    return q.finish(final)


def _shown(expression: E.Expression) -> list[E.Col]:
    """The columns a field rule's message shows: those read, and the key of exists() tables."""
    shown = expression.columns()
    for node in E.walk(expression.tree):
        if isinstance(node, E.Exists):
            key = E.Col(node.table, vocab.KEY_COLUMNS[node.table])
            if key not in shown:
                shown.append(key)
    return shown


def _values_text(q: Query, shown: list[E.Col]) -> tuple[exp.Expr, exp.Expr]:
    parts: list[exp.Expr | str] = []
    detail: dict[str, exp.Expr] = {}
    for i, c in enumerate(shown):
        value = col(ALIASES[c.table], c.column)
        if i:
            parts.append("，")
        parts += [f"{vocab.column_label(c.table, c.column)}（{c.table}.{c.column}）=",
                  coalesce(cast(value, "VARCHAR"), lit("空"))]
        detail[f"{c.table}.{c.column}"] = value
    return (concat(*parts) if parts else lit("")), json_object(detail)


def build_field(q: Query, rule: FieldRule) -> exp.Select:
    t = q.target
    compiled = q.expressions(ALIASES)(rule.violation)
    values, detail = _values_text(q, _shown(rule.violation))
    condition_text = concat("满足条件“", q.text(rule.violation.source), "”：")
    if rule.over == "item":
        where = [*q.scope_conditions(item="i"), exp.Paren(this=compiled)]
        final = (exp.select(*q.findings({
            "item_code": col("i", "item_code"), "dept_code": col("i", "dept_code"), "level": q.level(),
            "message": concat("事项 ", col("i", "item_code"), "（", col("i", "name"), "）", condition_text, values, "。"),
            "evidence": json_object({"values": detail}),
        })).from_(exp.to_table(t.TABLES["item"]).as_("i")).where(exp.and_(*where)))
        return q.finish(final)
    select = (exp.select(*(col("c", c).as_(c) for c in SUBJECT))
              .from_(exp.to_table(t.TABLES["case"]).as_("c"))
              .join(exp.to_table(t.TABLES["item"]).as_("i"), on=col("i", "item_code").eq(col("c", "item_code"))))
    where = [*q.scope_conditions(), q.case_known(), exp.Paren(this=compiled)]
    if rule.over == "case":
        select = select.join(exp.to_table(t.TABLES["discretion"]).as_("dd"), join_type="LEFT", on=exp.and_(
            col("dd", "violation_code").eq(col("c", "violation_code")), col("dd", "level").eq(col("c", "discretion_level"))))
        final = select.select(*q.findings({
            **{c: col("c", c) for c in SUBJECT}, "level": q.level(),
            "message": concat(condition_text, values, "。"), "evidence": json_object({"values": detail}),
        }), append=False).where(exp.and_(*where))
        return q.finish(final)
    if rule.over == "event":
        q.events("ev", columns=("actor_id", "officer_ids", "dept_code", "document_type", "document_no", "amount",
                                "source_system"))
        select = select.join(exp.to_table("ev").as_("e"), on=col("e", "case_id").eq(col("c", "case_id")))
        clause = concat("“", activity_label(col("e", "activity")), "” ", fmt(col("e", "ts"), t.TIME_FORMAT), "：", values)
        detail = json_object({"event_id": col("e", "event_id"), "ts": col("e", "ts"), "values": detail})
        order, tie = col("e", "seq"), col("e", "event_id")
    else:
        select = select.join(exp.to_table(t.TABLES["disclosure"]).as_("d"), on=exp.or_(
            col("d", "case_id").eq(col("c", "case_id")),
            exp.and_(col("d", "case_id").is_(exp.null()), col("d", "decision_no").eq(col("c", "decision_no")))))
        where.append(col("d", "published_at") <= q.as_of())
        clause = concat("公示 ", col("d", "disclosure_id"), "（", fmt(col("d", "published_at"), t.TIME_FORMAT), "）：", values)
        detail = json_object({"disclosure_id": col("d", "disclosure_id"), "published_at": col("d", "published_at"),
                              "values": detail})
        order, tie = col("d", "published_at"), col("d", "disclosure_id")
    q.cte("rows", select.select(clause.as_("clause"), detail.as_("detail"), order.as_("ord"), tie.as_("tie"))
          .where(exp.and_(*where)))
    return grouped(q, prefix=condition_text)


def _officer_problem(officers: exp.Expr, officer: str, day: exp.Expr) -> dict[str, exp.Expr]:
    """The officer rule's conditions: too few distinct officers on an event; an officer (of table
    alias ``officer``, LEFT JOINed) unknown, without a certificate, or with one not valid on ``day``."""
    f = alias(officer)
    count = coalesce(exp.ArraySize(this=exp.ArrayDistinct(this=officers)), lit(0))
    return {
        "count": count,
        "unknown": f("officer_id").is_(exp.null()),
        "no_cert": exp.or_(f("cert_no").is_(exp.null()), exp.Trim(this=f("cert_no")).eq(lit(""))),
        "outside": exp.or_(f("cert_valid_from") > day, f("cert_valid_to") < day),
    }


def _officer_candidates(q: Query, rule: OfficerRule) -> exp.Query:
    """The cases with an event of the rule's activities that has too few officers or one whose
    certificate does not hold that day — the rule's own conditions, without the text."""
    t = q.target
    e = alias("e")
    events = exp.to_table(t.TABLES["event"]).as_("e")
    mine = exp.and_(e("ts") <= q.as_of(), e("activity").isin(*q.activities(rule.activities)))
    parts: list[exp.Select] = []
    if rule.min_officers is not None:
        few = _officer_problem(e("officer_ids"), "f", date_of(e("ts")))["count"] < q.integer(rule.min_officers)
        parts.append(exp.select(e("case_id")).from_(events).where(exp.and_(mine, few)))
    if rule.certificate:
        u = alias("u")
        listed = (exp.select(e("case_id"), e("ts"), exp.Explode(this=exp.ArrayDistinct(this=e("officer_ids")))
                             .as_("officer_id")).from_(events.copy()).where(mine))
        bad = _officer_problem(exp.null(), "f", date_of(u("ts")))
        parts.append(exp.select(u("case_id")).from_(listed.subquery("u"))
                     .join(exp.to_table(t.TABLES["officer"]).as_("f"), on=col("f", "officer_id").eq(u("officer_id")),
                           join_type="LEFT")
                     .where(exp.or_(bad["unknown"], bad["no_cert"], bad["outside"])))
    union: exp.Query = parts[0]
    for other in parts[1:]:
        union = exp.union(union, other, distinct=False)
    return union


def _officer_events(q: Query, rule: OfficerRule) -> None:
    q.restrict(lambda: _officer_candidates(q, rule))
    q.events("ev", rule.activities, columns=("officer_ids",))
    q.scoped_cases("subject")
    q.cte("oe", exp.select(*(col("s", c) for c in SUBJECT), *(col("e", c) for c in (
        "event_id", "seq", "activity", "ts", "officer_ids")))
        .from_(exp.to_table("subject").as_("s"))
        .join(exp.to_table("ev").as_("e"), on=col("e", "case_id").eq(col("s", "case_id"))))


def build_officer(q: Query, rule: OfficerRule) -> exp.Select:
    _officer_events(q, rule)
    t = q.target
    o = alias("o")
    def when(table: str) -> exp.Expr:
        return concat("“", activity_label(col(table, "activity"), rule.activities), "” ",
                      fmt(col(table, "ts"), t.TIME_FORMAT))

    rows: list[exp.Select] = []
    if rule.min_officers is not None:
        count = _officer_problem(o("officer_ids"), "f", date_of(o("ts")))["count"]
        minimum = q.integer(rule.min_officers)
        rows.append(exp.select(
            *(o(c) for c in SUBJECT),
            concat(when("o"), " 登记执法人员 ", count, " 名，少于 ", minimum, " 名").as_("clause"),
            json_object({"event_id": o("event_id"), "ts": o("ts"), "officer_ids": o("officer_ids"),
                         "officers": count}).as_("detail"),
            o("seq").as_("ord"), lit("").as_("tie")).from_(exp.to_table("oe").as_("o")).where(count < minimum))
    if rule.certificate:
        q.cte("listed", exp.select(exp.Star(), exp.Explode(this=exp.ArrayDistinct(this=o("officer_ids"))).as_("officer_id"))
              .from_(exp.to_table("oe").as_("o")))
        u = alias("u")
        f = alias("f")
        bad = _officer_problem(o("officer_ids"), "f", date_of(u("ts")))
        unknown, no_cert, outside = bad["unknown"], bad["no_cert"], bad["outside"]
        reason = case([
            (unknown, lit("不在执法人员名录中")),
            (no_cert, lit("无执法证件")),
        ], concat("执法证 ", f("cert_no"), " 有效期 ", coalesce(cast(f("cert_valid_from"), "VARCHAR"), lit("不限")),
                  " 至 ", coalesce(cast(f("cert_valid_to"), "VARCHAR"), lit("不限")), "，当日无效"))
        rows.append(exp.select(
            *(u(c) for c in SUBJECT),
            concat(when("u"), " 执法人员 ", u("officer_id"), "：", reason).as_("clause"),
            json_object({"event_id": u("event_id"), "ts": u("ts"), "officer_id": u("officer_id"),
                         "cert_no": f("cert_no"), "cert_valid_from": f("cert_valid_from"),
                         "cert_valid_to": f("cert_valid_to")}).as_("detail"),
            u("seq").as_("ord"), u("officer_id").as_("tie"))
            .from_(exp.to_table("listed").as_("u"))
            .join(exp.to_table(t.TABLES["officer"]).as_("f"), on=f("officer_id").eq(u("officer_id")), join_type="LEFT")
            .where(exp.or_(unknown, no_cert, outside)))
    union: exp.Query = rows[0]
    for other in rows[1:]:
        union = exp.union(union, other, distinct=False)
    q.cte("rows", union)  # type: ignore[arg-type]
    return grouped(q)


def _document_problem(q: Query, rule: DocumentRule, e: Callable[[str], exp.Column]) -> tuple[exp.Expr, exp.Expr]:
    """An event (alias ``e``) without a document number, or with a document of the wrong type: the
    condition and its Chinese reason."""
    blank = exp.or_(e("document_no").is_(exp.null()), exp.Trim(this=e("document_no")).eq(lit("")))
    if rule.document_type is None:
        return blank, lit("未登记文书编号")
    wanted = q.text(rule.document_type)
    wrong = exp.NullSafeEQ(this=e("document_type"), expression=wanted).not_()
    return exp.or_(blank, wrong), case([(blank, lit("未登记文书编号"))],
                                       concat("文书类型为“", coalesce(e("document_type"), lit("空")), "”，应为“", wanted, "”"))


def _document_candidates(q: Query, rule: DocumentRule) -> exp.Select | None:
    """The cases with a required material not handed in. (A missing document number is found by a
    filter on the events already: nothing to narrow.)"""
    if rule.require == "document_no":
        return None
    t = q.target
    n = alias("n")
    needed = (exp.select(col("c", "case_id"), col("c", "materials"), exp.Explode(this=col("i", "required_materials"))
                         .as_("material"))
              .from_(exp.to_table(t.TABLES["case"]).as_("c"))
              .join(exp.to_table(t.TABLES["item"]).as_("i"), on=col("i", "item_code").eq(col("c", "item_code"))))
    have = coalesce(exp.ArrayContains(this=n("materials"), expression=n("material")), exp.false())
    return exp.select(n("case_id")).from_(needed.subquery("n")).where(exp.Not(this=have))


def build_document(q: Query, rule: DocumentRule) -> exp.Select:
    t = q.target
    q.restrict(lambda: _document_candidates(q, rule))
    q.events("ev", [rule.activity], columns=("document_type", "document_no"))
    if rule.require == "document_no":
        q.scoped_cases("subject")
        e = alias("e")
        problem, reason = _document_problem(q, rule, e)
        clause = concat("“", activity_label(e("activity"), [rule.activity]), "” ",
                        fmt(e("ts"), t.TIME_FORMAT), " ", reason)
        q.cte("rows", exp.select(*(col("s", c) for c in SUBJECT), clause.as_("clause"),
                                 json_object({"event_id": e("event_id"), "ts": e("ts"),
                                              "document_type": e("document_type"),
                                              "document_no": e("document_no")}).as_("detail"),
                                 e("seq").as_("ord"), e("event_id").as_("tie"))
              .from_(exp.to_table("subject").as_("s"))
              .join(exp.to_table("ev").as_("e"), on=e("case_id").eq(col("s", "case_id")))
              .where(problem))
        return grouped(q)
    # materials: every required material handed in, for cases with the activity
    q.scoped_cases("subject", {"materials": col("c", "materials"), "required": col("i", "required_materials")})
    s = alias("s")
    e = alias("e")
    q.cte("marked", exp.select(e("case_id"), exp.Min(this=e("seq")).as_("seq"),
                               exp.ArgMin(this=e("ts"), expression=e("seq")).as_("ts"),
                               exp.ArgMin(this=e("event_id"), expression=e("seq")).as_("event_id"))
          .from_(exp.to_table("ev").as_("e")).group_by(e("case_id")))
    q.cte("needed", exp.select(*(s(c) for c in SUBJECT), s("materials"), s("required"), col("m", "ts"),
                               col("m", "event_id"), exp.Explode(this=s("required")).as_("material"))
          .from_(exp.to_table("subject").as_("s"))
          .join(exp.to_table("marked").as_("m"), on=col("m", "case_id").eq(s("case_id"))))
    n = alias("n")
    have = coalesce(exp.ArrayContains(this=n("materials"), expression=n("material")), exp.false())
    q.cte("missing", exp.select(*(n(c) for c in SUBJECT), exp.Min(this=n("ts")).as_("ts"),
                                exp.Min(this=n("event_id")).as_("event_id"),
                                string_agg(n("material"), "、", n("material")).as_("missing_text"),
                                json_list(n("material"), n("material")).as_("missing"),
                                exp.Min(this=exp.ArrayToString(this=n("materials"), expression=lit("、"))).as_("handed_in"))
          .from_(exp.to_table("needed").as_("n")).where(exp.Not(this=have)).group_by(*(n(c) for c in SUBJECT)))
    x = alias("x")
    label = activity_label(lit(rule.activity), [rule.activity])
    final = exp.select(*q.findings({
        **{c: x(c) for c in SUBJECT}, "level": q.level(),
        "message": concat(label, " ", fmt(x("ts"), t.TIME_FORMAT), " 时缺少应交材料：", x("missing_text"),
                          "（已交：", coalesce(x("handed_in"), lit("无")), "）。"),
        "evidence": json_object({"event_id": x("event_id"), "ts": x("ts"), "missing": x("missing")}),
    })).from_(exp.to_table("missing").as_("x"))
    return q.finish(final)
