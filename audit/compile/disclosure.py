"""``disclosure`` rules → one SELECT (semantics: :class:`audit.rules.kinds.DisclosureRule`).

``published`` holds the disclosures of in-scope cases published by the audit time, matched by
case id, or by decision number when the disclosure names no case (two equi-joins, UNION ALL).

Checks that need a disclosure or a revocation first narrow the cases (``candidate``, see
``Query.restrict``): the cases with a revocation, or the cases named by a disclosure that could be
at fault — every case when a disclosure that names no case could be.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from audit.compile.checks import SUBJECT, grouped
from audit.compile.common import Query
from audit.compile.sqlkit import (
    alias, activity_label, case, cast, coalesce, col, concat, fmt, greatest, json_object, lit,
)
from audit.rules.kinds import DisclosureRule
from audit.rules.vocab import ACTIVITIES


def _numbered(q: Query, rule: DisclosureRule) -> None:
    """The cases in scope with the decision number they should publish: ``cases.decision_no``, or
    else the document number of the first decision event that has one (``arg_min`` skips NULL
    numbers, as the live engine does)."""
    q.events("dev", rule.decision, columns=("document_no",), within="subject")   # used only joined to subject
    e = alias("e")
    q.cte("first_decision", exp.select(e("case_id"), *_first_of(e), exp.ArgMin(this=e("document_no"), expression=e("seq"))
                                       .as_("document_no"))
          .from_(exp.to_table("dev").as_("e")).group_by(e("case_id")))
    s = alias("s")
    q.cte("numbered", exp.select(*(s(c) for c in (*SUBJECT, "case_fine_amount")),
                                 *((s("limit_n"),) if rule.limit is not None else ()),
                                 coalesce(s("case_decision_no"), col("fd", "document_no")).as_("case_decision_no"))
          .from_(exp.to_table("subject").as_("s"))
          .join(exp.to_table("first_decision").as_("fd"), on=col("fd", "case_id").eq(s("case_id")), join_type="LEFT"))


def _published(q: Query) -> None:
    t = q.target
    d = alias("d")
    s = alias("s")
    columns = (*(s(c) for c in SUBJECT), s("case_decision_no"), s("case_fine_amount"),
               *(d(c) for c in ("disclosure_id", "decision_no", "published_at", "withdrawn_at", "url",
                                "fine_amount", "content")))
    by_case = (exp.select(*columns).from_(exp.to_table("numbered").as_("s"))
               .join(exp.to_table(t.TABLES["disclosure"]).as_("d"), on=d("case_id").eq(s("case_id")))
               .where(d("published_at") <= q.as_of()))
    by_number = (exp.select(*columns).from_(exp.to_table("numbered").as_("s"))
                 .join(exp.to_table(t.TABLES["disclosure"]).as_("d"), on=d("decision_no").eq(s("case_decision_no")))
                 .where(exp.and_(d("case_id").is_(exp.null()), d("published_at") <= q.as_of())))
    q.cte("published", exp.union(by_case, by_number, distinct=False))  # type: ignore[arg-type]


def build(q: Query, rule: DisclosureRule) -> exp.Select:
    limit = None
    if rule.limit is not None:
        limit = col("i", rule.limit.column) if rule.limit.column else q.integer(rule.limit.value or 0)
    columns: dict[str, exp.Expr] = {"case_decision_no": col("c", "decision_no"),
                                     "case_fine_amount": col("c", "fine_amount")}
    q.restrict(lambda: _candidates(q, rule))
    # late, missing and not_withdrawn join the case's decision or revocation event by as_of, which
    # already makes it known
    where: list[exp.Expr] = [q.case_known()] if rule.check in ("mismatch", "personal_id") else []
    if limit is not None:
        columns["limit_n"] = limit
        where.append(limit.is_(exp.null()).not_())
    q.scoped_cases("subject", columns, where)
    _numbered(q, rule)
    _published(q)
    if rule.check in ("late", "missing"):
        return _timely(q, rule)
    if rule.check == "not_withdrawn":
        return _withdrawn(q, rule)
    return _content(q, rule)


def _candidates(q: Query, rule: DisclosureRule) -> exp.Select | None:
    """The cases that can break ``rule``, or None when any decided case can (late, missing)."""
    t = q.target
    if rule.check == "not_withdrawn":
        e = alias("e")
        return (exp.select(e("case_id")).from_(exp.to_table(t.TABLES["event"]).as_("e"))
                .where(exp.and_(e("ts") <= q.as_of(), e("activity").eq(q.text(rule.revoke))))
                .group_by(e("case_id")))
    if rule.check not in ("mismatch", "personal_id"):
        return None
    d = alias("d")

    def disclosed(names_case: bool) -> exp.Expr:
        named = d("case_id").is_(exp.null())
        conditions: list[exp.Expr] = [named.not_() if names_case else named, d("published_at") <= q.as_of()]
        if rule.check == "personal_id":
            conditions.append(exp.RegexpLike(this=d("content"), expression=q.text(rule.pattern)))
        return exp.and_(*conditions)

    table = exp.to_table(t.TABLES["disclosure"]).as_("d")
    named = exp.select(d("case_id")).from_(table).where(disclosed(True))
    unnamed = exp.select(lit(1)).from_(table.copy()).where(disclosed(False))
    every = (exp.select(col("c", "case_id")).from_(exp.to_table(t.TABLES["case"]).as_("c"))
             .where(exp.Exists(this=unnamed)))
    return exp.union(named, every, distinct=False)  # type: ignore[return-value]


def _first_of(e: Callable[[str], exp.Column]) -> list[exp.Expr]:
    """The seq, time, id and activity of a case's first event (of an events CTE aliased ``e``)."""
    return [exp.Min(this=e("seq")).as_("seq"), exp.ArgMin(this=e("ts"), expression=e("seq")).as_("ts"),
            exp.ArgMin(this=e("event_id"), expression=e("seq")).as_("event_id"),
            exp.ArgMin(this=e("activity"), expression=e("seq")).as_("activity")]


def _first_event(q: Query, activities: list[str]) -> None:
    q.events("ev", activities)
    e = alias("e")
    q.cte("decided", exp.select(e("case_id"), *_first_of(e)).from_(exp.to_table("ev").as_("e")).group_by(e("case_id")))


def _timely(q: Query, rule: DisclosureRule) -> exp.Select:
    t = q.target
    p = alias("p")
    # the first disclosure: earliest publication, ties broken by disclosure id
    rank = exp.Window(this=exp.RowNumber(), partition_by=[p("case_id")], order=exp.Order(expressions=[
        exp.Ordered(this=p("published_at")), exp.Ordered(this=p("disclosure_id"))]))
    q.cte("ranked", exp.select(p("case_id"), p("published_at"), p("disclosure_id"), rank.as_("n"))
          .from_(exp.to_table("published").as_("p")))
    r = alias("r")
    q.cte("first_published", exp.select(r("case_id"), r("published_at"), r("disclosure_id"))
          .from_(exp.to_table("ranked").as_("r")).where(r("n").eq(lit(1))))
    s = alias("s")
    k = alias("k")
    f = alias("f")
    end = coalesce(f("published_at"), q.as_of())
    judged = (exp.select(*(s(c) for c in SUBJECT), s("limit_n"), k("ts").as_("decided_at"), k("event_id"),
                         k("activity"), f("published_at"), f("disclosure_id"),
                         exp.Sub(this=col("ce", "workday_no"), expression=col("cs", "workday_no")).as_("used"),
                         col("cs", "workday_no").as_("start_no"), col("cs", "version").as_("calendar_version"))
              .from_(exp.to_table("subject").as_("s"))
              .join(exp.to_table("first_decision").as_("k"), on=k("case_id").eq(s("case_id")))
              .join(exp.to_table("first_published").as_("f"), on=f("case_id").eq(s("case_id")), join_type="LEFT"))
    judged = q.join_calendar(judged, "cs", k("ts"))
    judged = q.join_calendar(judged, "ce", end)
    published = f("published_at").is_(exp.null()).not_()
    judged = judged.where(published if rule.check == "late" else exp.Not(this=published))
    q.cte("judged", judged)

    j = alias("j")
    over = exp.Sub(this=j("used"), expression=j("limit_n"))
    label = activity_label(j("activity"), rule.decision)
    head = concat(label, " ", fmt(j("decided_at"), t.TIME_FORMAT), "；公示时限 ", j("limit_n"), " 个工作日；日历 ",
                  j("calendar_version"), "；应于 ", coalesce(fmt(col("cd", "day"), t.DATE_FORMAT), lit("（超出日历范围）")),
                  " 前公示；")
    tail = (concat("首次公示 ", j("disclosure_id"), " 于 ", fmt(j("published_at"), t.TIME_FORMAT))
            if rule.check == "late" else concat("截至审计时点 ", fmt(q.as_of(), t.TIME_FORMAT), " 仍未公示"))
    message = concat(head, tail, "，已过 ", j("used"), " 个工作日，超期 ", over, " 个工作日。")
    final = (exp.select(*q.findings({
        **{c: j(c) for c in SUBJECT}, "level": q.level(), "message": message,
        "evidence": json_object({"decision": json_object({"event_id": j("event_id"), "activity": j("activity"),
                                                          "ts": j("decided_at")}),
                                 "disclosure_id": j("disclosure_id"), "published_at": j("published_at"),
                                 "as_of": q.as_of(), "limit": j("limit_n"), "used": j("used"),
                                 "due": col("cd", "day"), "calendar": j("calendar_version")}),
        "due_at": exp.Add(this=cast(col("cd", "day"), "TIMESTAMP"),
                          expression=exp.Interval(this=lit("86399"), unit=exp.var("SECOND"))),
        "days_overdue": greatest(over, lit(0)), "days_left": lit(0),
    })).from_(exp.to_table("judged").as_("j"))
        .join(exp.to_table(t.CALENDAR).as_("cd"), join_type="LEFT", on=exp.and_(
            col("cd", "workday_no").eq(exp.Add(this=j("start_no"), expression=j("limit_n"))), col("cd", "is_workday")))
        .where(over > lit(0)))
    return q.finish(final)


def _withdrawn(q: Query, rule: DisclosureRule) -> exp.Select:
    t = q.target
    _first_event(q, [rule.revoke])
    p = alias("p")
    k = alias("k")
    withdrawn = exp.and_(p("withdrawn_at").is_(exp.null()).not_(), p("withdrawn_at") <= q.as_of())
    end = case([(withdrawn, p("withdrawn_at"))], q.as_of())
    used = exp.Sub(this=col("ce", "workday_no"), expression=col("cs", "workday_no"))
    limit = col("s2", "limit_n")
    revoke = ACTIVITIES[rule.revoke]
    clause = concat(f"{revoke} ", fmt(k("ts"), t.TIME_FORMAT), "后，公示 ", p("disclosure_id"),
                    case([(withdrawn, concat(" 于 ", fmt(p("withdrawn_at"), t.TIME_FORMAT), " 才撤回"))],
                         concat(" 截至审计时点 ", fmt(q.as_of(), t.TIME_FORMAT), " 仍未撤回")),
                    "，已过 ", used, " 个工作日，超过 ", limit, " 个工作日")
    rows = (exp.select(*(p(c) for c in SUBJECT), clause.as_("clause"),
                       json_object({"revoke": json_object({"event_id": k("event_id"), "ts": k("ts")}),
                                    "disclosure_id": p("disclosure_id"), "withdrawn_at": p("withdrawn_at"),
                                    "used": used, "limit": limit}).as_("detail"),
                       p("published_at").as_("ord"), p("disclosure_id").as_("tie"))
            .from_(exp.to_table("published").as_("p"))
            .join(exp.to_table("decided").as_("k"), on=k("case_id").eq(p("case_id")))
            .join(exp.to_table("subject").as_("s2"), on=col("s2", "case_id").eq(p("case_id"))))
    rows = q.join_calendar(rows, "cs", k("ts"))
    rows = q.join_calendar(rows, "ce", end)
    q.cte("rows", rows.where(used > limit))
    return grouped(q)


def _content(q: Query, rule: DisclosureRule) -> exp.Select:
    t = q.target
    p = alias("p")
    head = concat("公示 ", p("disclosure_id"), "（", fmt(p("published_at"), t.TIME_FORMAT), "）")
    if rule.check == "personal_id":
        problem: exp.Expr = exp.RegexpLike(this=p("content"), expression=q.text(rule.pattern))
        clause = concat(head, "正文含完整的身份证号码")
    else:
        checks = []
        texts = []
        pairs = {"decision_no": ("决定书文号", p("decision_no"), p("case_decision_no")),
                 "fine_amount": ("罚款金额", p("fine_amount"), p("case_fine_amount"))}
        for name in rule.fields:
            title, shown, own = pairs[name]
            differs = exp.NullSafeEQ(this=shown, expression=own).not_()
            checks.append(differs)
            texts.append(case([(differs, concat(f"{title}“", coalesce(cast(shown, "VARCHAR"), lit("空")),
                                                 "”与办件“", coalesce(cast(own, "VARCHAR"), lit("空")), "”不一致，"))],
                              lit("")))
        problem = exp.or_(*checks)
        clause = concat(head, "：", exp.Trim(this=concat(*texts), expression=lit("，"), position="TRAILING"))
    rows = (exp.select(*(p(c) for c in SUBJECT), clause.as_("clause"),
                       json_object({"disclosure_id": p("disclosure_id"), "published_at": p("published_at"),
                                    "url": p("url"), "decision_no": p("decision_no"),
                                    "fine_amount": p("fine_amount")}).as_("detail"),
                       p("published_at").as_("ord"), p("disclosure_id").as_("tie"))
            .from_(exp.to_table("published").as_("p")).where(problem))
    q.cte("rows", rows)
    return grouped(q)
