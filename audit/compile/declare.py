"""``declare`` rules → one SELECT (semantics: :mod:`audit.rules.declare`).

Counting and unordered templates aggregate each case's trace once (``counts``). Ordered templates
mark every event with window functions over the case's trace in seq order — the next/previous a
and b, the next/previous event — then check each activation against its partner (``sides``,
``judged``) and aggregate the violating activations per case.

Both first narrow the cases (``candidate``, see ``Query.restrict``) with one aggregate over the a
and b events alone: the exact verdict where the seq of the first and last a and b decide it
(counts, plain response and precedence), otherwise a condition every violating case meets (it has
an activation). Templates a case can break with no a or b at all (``existence``, ``exactly``,
``init``, ``end``) are not narrowed.
"""

from __future__ import annotations

from sqlglot import exp

from audit.compile.common import Query
from audit.compile.sqlkit import (
    alias, activity_label, agg_filter, arg_max, arg_min, case, cast, coalesce, col, concat, fmt, json_list,
    json_object, lit, string_agg, window,
)
from audit.rules.kinds import DeclareRule
from audit.rules.vocab import activity_label as label


def build(q: Query, rule: DeclareRule) -> exp.Select:
    spec = rule.spec
    # counting templates must see cases with no a at all, chains the event right next to each one
    needs_all = spec.form == "chain" or not spec.ordered
    activities = None if needs_all else [rule.a] + ([rule.b] if rule.b else [])
    q.restrict(lambda: _candidates(q, rule))
    q.events("ev", activities)
    q.scoped_cases("subject")
    if spec.ordered:
        return _ordered(q, rule)
    return _counted(q, rule)


# beyond any seq: a case with no a has its first a "after everything"
NO_SEQ = 2**62


def _candidates(q: Query, rule: DeclareRule) -> exp.Select | None:
    """The cases that can break ``rule``: a narrow aggregate over their a and b events by as_of."""
    spec = rule.spec
    e = alias("e")
    a, b = q.text(rule.a), (q.text(rule.b) if rule.b else None)
    a_seq = case([(e("activity").eq(a), e("seq"))])
    b_seq = case([(e("activity").eq(b), e("seq"))]) if b is not None else exp.null()
    n_a, n_b = exp.Count(this=a_seq), exp.Count(this=b_seq)
    n = rule.n if rule.n is not None else 1
    plain = spec.form == "plain" and rule.within is None
    condition: exp.Expr | None
    if spec.ordered:
        sides: list[exp.Expr] = []
        if rule.template == "not_succession":          # some b after some a
            sides.append(exp.Min(this=a_seq) < exp.Max(this=b_seq))
        if spec.response:                               # plain: the last a has no b after it
            sides.append(exp.Max(this=a_seq) > coalesce(exp.Max(this=b_seq), lit(-1)) if plain else n_a > lit(0))
        if spec.precedence:                             # plain: the first b has no a before it
            sides.append(exp.Min(this=b_seq) < coalesce(exp.Min(this=a_seq), lit(NO_SEQ)) if plain else n_b > lit(0))
        condition = exp.or_(*sides) if sides else None
    else:
        condition = {
            "absence": n_a > lit(0),
            "at_most": n_a > (q.integer(n) if rule.template == "at_most" else lit(n)),  # bind only what is used
            "exactly": n_a > lit(0) if n == 0 else None,
            "responded_existence": exp.and_(n_a > lit(0), n_b.eq(lit(0))),
            "coexistence": exp.Paren(this=n_a > lit(0)).neq(exp.Paren(this=n_b > lit(0))),
            "not_coexistence": exp.and_(n_a > lit(0), n_b > lit(0)),
        }.get(rule.template)
    if condition is None:
        return None
    involved = [a] + ([b] if b is not None else [])
    return (exp.select(e("case_id")).from_(exp.to_table(q.target.TABLES["event"]).as_("e"))
            .where(exp.and_(e("ts") <= q.as_of(), e("activity").isin(*involved)))
            .group_by(e("case_id")).having(condition))


def _counted(q: Query, rule: DeclareRule) -> exp.Select:
    e = alias("e")
    tf = q.target.TIME_FORMAT
    is_a = e("activity").eq(q.text(rule.a))
    is_b = e("activity").eq(q.text(rule.b)) if rule.b else exp.false()
    involved = exp.or_(is_a, is_b) if rule.b else is_a
    event = json_object({"event_id": e("event_id"), "activity": e("activity"), "ts": e("ts")})
    subject = [col("s", c) for c in ("case_id", "item_code", "dept_code", "source_system")]
    counts = (exp.select(*subject,
                         agg_filter(exp.Count(this=exp.Star()), is_a).as_("n_a"),
                         agg_filter(exp.Count(this=exp.Star()), is_b).as_("n_b"),
                         arg_min(e("activity"), e("seq")).as_("first_act"), arg_min(e("ts"), e("seq")).as_("first_ts"),
                         arg_min(e("event_id"), e("seq")).as_("first_id"),
                         arg_max(e("activity"), e("seq")).as_("last_act"), arg_max(e("ts"), e("seq")).as_("last_ts"),
                         arg_max(e("event_id"), e("seq")).as_("last_id"),
                         agg_filter(string_agg(fmt(e("ts"), tf), "、", e("seq")), is_a).as_("a_times"),
                         agg_filter(string_agg(fmt(e("ts"), tf), "、", e("seq")), is_b).as_("b_times"),
                         json_list(event, e("seq"), involved).as_("events"))
              .from_(exp.to_table("subject").as_("s"))
              .join(exp.to_table("ev").as_("e"), on=e("case_id").eq(col("s", "case_id")))
              .group_by(*subject))
    q.cte("counts", counts)

    k = alias("k")
    n = q.integer(rule.n if rule.n is not None else 1)
    a_text, b_text = label(rule.a), label(rule.b or "")
    def times(c: str) -> exp.Expr:
        return case([(k(c).is_(exp.null()).not_(), concat("（", k(c), "）"))], lit(""))

    a_seen = concat(f"“{a_text}”出现 ", k("n_a"), " 次", times("a_times"))
    both = concat(a_seen, f"，“{b_text}”出现 ", k("n_b"), " 次", times("b_times"))
    a_wanted = q.text(rule.a)
    condition, message = {
        "existence": (k("n_a") < n, concat(a_seen, "，应至少 ", n, " 次")),
        "absence": (k("n_a") >= lit(1), concat(a_seen, "，不应出现")),
        "at_most": (k("n_a") > n, concat(a_seen, "，超过 ", n, " 次")),
        "exactly": (k("n_a").neq(n), concat(a_seen, "，应恰好 ", n, " 次")),
        "init": (k("first_act").neq(a_wanted), concat("第一个环节是“", activity_label(k("first_act")), "”（",
                                                      fmt(k("first_ts"), tf), f"），应为“{a_text}”")),
        "end": (k("last_act").neq(a_wanted), concat("最后一个环节是“", activity_label(k("last_act")), "”（",
                                                    fmt(k("last_ts"), tf), f"），应为“{a_text}”")),
        "responded_existence": (exp.and_(k("n_a") > lit(0), k("n_b").eq(lit(0))),
                                concat(a_seen, f"，但没有“{b_text}”")),
        "coexistence": (exp.Paren(this=k("n_a") > lit(0)).neq(exp.Paren(this=k("n_b") > lit(0))),
                        concat(both, "，二者应同时出现或同时不出现")),
        "not_coexistence": (exp.and_(k("n_a") > lit(0), k("n_b") > lit(0)), concat(both, "，二者不应同时出现")),
    }[rule.template]
    edge = {"init": "first", "end": "last"}.get(rule.template)
    evidence = (json_object({"events": cast(exp.Array(expressions=[json_object({
        "event_id": k(f"{edge}_id"), "activity": k(f"{edge}_act"), "ts": k(f"{edge}_ts")})]), "JSON")})
        if edge else json_object({"events": coalesce(k("events"), cast(lit("[]"), "JSON")),
                                  "count_a": k("n_a"), "count_b": k("n_b")}))
    final = (exp.select(*q.findings({
        "case_id": k("case_id"), "item_code": k("item_code"), "dept_code": k("dept_code"),
        "source_system": k("source_system"), "level": q.level(), "message": concat(message, "。"),
        "evidence": evidence,
    })).from_(exp.to_table("counts").as_("k")).where(condition))
    return q.finish(final)


def _ordered(q: Query, rule: DeclareRule) -> exp.Select:
    spec = rule.spec
    assert rule.b is not None
    e = alias("e")
    a, b = q.text(rule.a), q.text(rule.b)
    part = [e("case_id")]
    def only(activity: exp.Expr) -> exp.Expr:
        return case([(e("activity").eq(activity), e("seq"))])

    marked = (exp.select(
        e("case_id"), e("seq"), e("ts"), e("event_id"), e("activity"),
        window(exp.Min(this=only(b)), part, e("seq"), ("following", "rest")).as_("nb"),
        window(exp.Min(this=only(a)), part, e("seq"), ("following", "rest")).as_("na"),
        window(exp.Max(this=only(a)), part, e("seq"), ("preceding", "rest")).as_("pa"),
        window(exp.Max(this=only(b)), part, e("seq"), ("preceding", "rest")).as_("pb"),
        window(exp.Lead(this=e("seq")), part, e("seq")).as_("next_seq"),
        window(exp.Lead(this=e("activity")), part, e("seq")).as_("next_act"),
        window(exp.Lag(this=e("seq")), part, e("seq")).as_("prev_seq"),
        window(exp.Lag(this=e("activity")), part, e("seq")).as_("prev_act"))
        .from_(exp.to_table("ev").as_("e"))
        .join(exp.to_table("subject").as_("s"), on=col("s", "case_id").eq(e("case_id"))))
    q.cte("marked", marked)

    m = alias("m")
    def notnull(x: exp.Expr) -> exp.Expr:
        return x.is_(exp.null()).not_()

    sides: list[exp.Select] = []

    def side(name: str, activation: exp.Expr, partner: exp.Expr, structural: exp.Expr) -> None:
        sides.append(exp.select(m("case_id"), m("seq").as_("act_seq"), m("ts").as_("act_ts"),
                                m("event_id").as_("act_id"), m("activity").as_("act_activity"),
                                partner.as_("partner_seq"), structural.as_("structural"),
                                m("next_act"), lit(name).as_("side"))
                     .from_(exp.to_table("marked").as_("m")).where(m("activity").eq(activation)))

    if rule.template == "not_succession":
        side("forbid", a, m("nb"), exp.false())
    if spec.response:
        if spec.form == "chain":
            side("response", a, case([(m("next_act").eq(b), m("next_seq"))]),
                 exp.and_(notnull(m("next_seq")), m("next_act").neq(b)))
        elif spec.form == "alternate":
            side("response", a, m("nb"), exp.and_(notnull(m("nb")), notnull(m("na")), m("nb") > m("na")))
        else:
            side("response", a, m("nb"), exp.false())
    if spec.precedence:
        if spec.form == "chain":
            side("precedence", b, case([(m("prev_act").eq(a), m("prev_seq"))]), exp.false())
        elif spec.form == "alternate":
            side("precedence", b, m("pa"), exp.and_(notnull(m("pa")), notnull(m("pb")), m("pa") < m("pb")))
        else:
            side("precedence", b, m("pa"), exp.false())
    union: exp.Query = sides[0]
    for other in sides[1:]:
        union = exp.union(union, other, distinct=False)
    q.cte("sides", union)  # type: ignore[arg-type]

    v = alias("v")
    gap_response = exp.Sub(this=col("cp", "workday_no"), expression=col("ca", "workday_no"))
    gap_precedence = exp.Sub(this=col("ca", "workday_no"), expression=col("cp", "workday_no"))
    waited = exp.Sub(this=col("cn", "workday_no"), expression=col("ca", "workday_no"))
    missing = v("partner_seq").is_(exp.null())
    within = q.integer(rule.within) if rule.within is not None else None
    if within is None:
        response_bad = exp.or_(v("structural"), missing)
        precedence_bad = exp.or_(v("structural"), missing)
        forbid_bad = notnull(v("partner_seq"))
    else:
        response_bad = exp.or_(v("structural"), exp.and_(missing, waited > within),
                               exp.and_(notnull(v("partner_seq")), gap_response > within))
        precedence_bad = exp.or_(v("structural"), missing, gap_precedence > within)
        forbid_bad = exp.and_(notnull(v("partner_seq")), gap_response <= within)
    violated = case([(v("side").eq(lit("response")), response_bad), (v("side").eq(lit("precedence")), precedence_bad)],
                    forbid_bad)
    judged = (exp.select(v("case_id"), v("act_seq"), v("act_ts"), v("act_id"), v("act_activity"), v("side"),
                         v("structural"), v("next_act"), v("partner_seq"), col("p", "ts").as_("partner_ts"),
                         col("p", "event_id").as_("partner_id"), col("p", "activity").as_("partner_activity"),
                         (gap_response if within is not None else exp.null()).as_("gap"),
                         violated.as_("violated"))
              .from_(exp.to_table("sides").as_("v"))
              .join(exp.to_table("ev").as_("p"), join_type="LEFT",
                    on=exp.and_(col("p", "case_id").eq(v("case_id")), col("p", "seq").eq(v("partner_seq")))))
    judged = q.join_calendar(judged, "ca", v("act_ts"))
    judged = q.join_calendar(judged, "cp", col("p", "ts"))
    judged = q.join_calendar(judged, "cn", q.as_of())
    q.cte("judged", judged)

    j = alias("j")
    tf = q.target.TIME_FORMAT
    a_text, b_text = label(rule.a), label(rule.b)
    act = concat("“", activity_label(j("act_activity"), [rule.a, rule.b]), "” ", fmt(j("act_ts"), tf))
    partner = concat("“", activity_label(j("partner_activity"), [rule.a, rule.b]), "” ", fmt(j("partner_ts"), tf))
    gap_text = concat(" 相隔 ", exp.Abs(this=j("gap")), f" 个工作日，超过 {rule.within} 个工作日") \
        if within is not None else lit("")
    chain_next = concat("的下一个环节是“", activity_label(j("next_act")), f"”而不是“{b_text}”")
    sentence = case([
        (j("side").eq(lit("forbid")), concat(act, f" 之后出现了", partner)),
        (exp.and_(j("side").eq(lit("response")), j("structural")),
         concat(act, chain_next) if spec.form == "chain" else concat(act, f" 之后、下一次“{a_text}”之前没有“{b_text}”")),
        (exp.and_(j("side").eq(lit("precedence")), j("structural")),
         concat(act, f" 之前、上一次“{b_text}”之后没有“{a_text}”")),
        (exp.and_(j("side").eq(lit("response")), j("partner_seq").is_(exp.null())),
         concat(act, " 之后" + (f" {rule.within} 个工作日内" if within is not None else "")
                + ("的下一个环节不是" if spec.form == "chain" else "没有") + f"“{b_text}”")),
        (exp.and_(j("side").eq(lit("precedence")), j("partner_seq").is_(exp.null())),
         concat(act, ("的上一个环节不是" if spec.form == "chain" else " 之前没有") + f"“{a_text}”")),
    ], concat(act, " 与 ", partner, gap_text))
    event = json_object({"event_id": j("act_id"), "activity": j("act_activity"), "ts": j("act_ts"),
                         "partner_id": j("partner_id"), "partner_activity": j("partner_activity"),
                         "partner_ts": j("partner_ts")})
    order = [j("act_seq"), j("side")]
    per_case = (exp.select(j("case_id"), string_agg(sentence, "；", order).as_("text"),
                           json_list(event, order).as_("events"))
                .from_(exp.to_table("judged").as_("j")).where(j("violated")).group_by(j("case_id")))
    q.cte("violations", per_case)

    s = alias("s")
    final = (exp.select(*q.findings({
        "case_id": s("case_id"), "item_code": s("item_code"), "dept_code": s("dept_code"),
        "source_system": s("source_system"), "level": q.level(), "message": concat(col("x", "text"), "。"),
        "evidence": json_object({"events": col("x", "events")}),
    })).from_(exp.to_table("subject").as_("s"))
        .join(exp.to_table("violations").as_("x"), on=col("x", "case_id").eq(s("case_id"))))
    return q.finish(final)
