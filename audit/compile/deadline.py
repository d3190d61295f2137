"""``deadline`` rules → one SELECT (see :class:`audit.rules.kinds.DeadlineRule` for the meaning).

The query is a chain of CTEs, each one step of the computation an inspector would do by hand:

  ev       events as of the audit time
  subject  cases in scope, with their limit and unit
  marks    per case: the candidate start events (and the fallback's two events)
  clock    the start actually used
  stops    the first stop event after the start
  bounds   pause events after the start, with the previous pause event of the same pair
  pauses   each counted pause: begin, its end (or the stop), paused working and natural days
  paused   per case: the sum, whether one is still open, the text and the JSON of them
  ext      the first extension after the start and before the stop
  judged   start/stop/as-of working-day numbers, extension and pauses joined per case
  measured used, allowed, due date (calendar lookup for working days)
  leveled  red / yellow / nothing
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

from audit.compile.common import Query
from audit.compile.sqlkit import (
    alias, activity_label, arg_max, arg_min, agg_filter, case, cast, coalesce, col, concat, date_add, date_diff,
    date_of, fmt, greatest, json_list, json_object, lit, string_agg, window,
)
from audit.rules.explain import LIMIT_COLUMN_LABELS
from audit.rules.kinds import DeadlineRule
from audit.rules.vocab import ACTIVITIES, UNIT_LABELS

Column = Callable[[str], exp.Column]
UNITS = ("workday", "day", "month")
_BOUND = {"ts": "ts", "id": "event_id", "act": "activity"}
COUNT_LABELS = {"workday": "个工作日", "day": "日", "month": "日"}


def _unit_switch(rule: DeadlineRule, unit: exp.Expr, branches: Mapping[str, exp.Expr]) -> exp.Expr:
    """The branch for the rule's unit, or a CASE over the item's unit."""
    if rule.unit != "item":
        return branches[rule.unit]
    return case(((unit.eq(lit(u)), branches[u]) for u in UNITS))


def _activities_used(rule: DeadlineRule) -> list[str] | None:
    if rule.start.activity == "*":
        return None
    codes = [rule.start.activity, *_stop_codes(rule), *rule.skip_cases_with]
    if rule.start.fallback:
        codes += [rule.start.fallback.activity, rule.start.fallback.late]
    codes += [a for p in rule.pauses for a in (p.begin, p.end)]
    if rule.extension:
        codes.append(rule.extension.activity)
    return codes


def _stop_codes(rule: DeadlineRule) -> list[str]:
    return rule.stop.activities if rule.stop else []


def build(q: Query, rule: DeadlineRule) -> exp.Select:
    t = q.target
    as_of = q.as_of()
    limit = col("i", rule.limit.column) if rule.limit.column else q.integer(rule.limit.value or 0)
    unit = col("i", "limit_unit") if rule.unit == "item" else lit(rule.unit)
    q.restrict(lambda: _candidates(q, rule, limit, unit))
    q.events("ev", _activities_used(rule))
    q.scoped_cases("subject", {"limit_n": limit, "unit": unit},
                   where=[limit.is_(exp.null()).not_(), unit.isin(*(lit(u) for u in UNITS))])
    _marks(q, rule)
    _clock(q, rule)
    if rule.stop:
        _stops(q, rule)
    has_pauses = bool(rule.pauses)
    if has_pauses:
        _pauses(q, rule)
    if rule.extension:
        _extension(q, rule)

    # judged: everything per case
    judged = (
        exp.select(
            *(col("k", c) for c in ("case_id", "item_code", "dept_code", "source_system", "unit", "limit_n",
                                    "start_seq", "start_ts", "start_id", "start_act", "fallback_used")),
            *((col("st", "stop_ts"), col("st", "stop_id"), col("st", "stop_act"),
               col("st", "stop_seq").is_(exp.null()).as_("is_open"),
               coalesce(col("st", "stop_ts"), as_of).as_("end_ts"))
              if rule.stop else (exp.null().as_("stop_ts"), exp.null().as_("stop_id"), exp.null().as_("stop_act"),
                                 exp.true().as_("is_open"), as_of.as_("end_ts"))),
            *((col("x", "ext_id"), col("x", "ext_ts"),
               case([(col("x", "ext_seq").is_(exp.null()).not_(), q.integer(rule.extension.amount))], lit(0)).as_("ext_n"))
              if rule.extension else (exp.null().as_("ext_id"), exp.null().as_("ext_ts"), lit(0).as_("ext_n"))),
            *((coalesce(col("p", "paused_wd"), lit(0)).as_("paused_wd"),
               coalesce(col("p", "paused_days"), lit(0)).as_("paused_days"),
               coalesce(col("p", "pause_open"), exp.false()).as_("pause_open"),
               col("p", "pause_text"), col("p", "pause_json"))
              if has_pauses else (lit(0).as_("paused_wd"), lit(0).as_("paused_days"), exp.false().as_("pause_open"),
                                  exp.null().as_("pause_text"), exp.null().as_("pause_json"))),
            col("cs", "workday_no").as_("start_no"), col("ce", "workday_no").as_("end_no"),
            col("cs", "version").as_("calendar_version"),
        )
        .from_(exp.to_table("clock").as_("k"))
    )
    if rule.stop:
        judged = judged.join(exp.to_table("stops").as_("st"), on=col("st", "case_id").eq(col("k", "case_id")),
                             join_type="LEFT")
    if has_pauses:
        judged = judged.join(exp.to_table("paused").as_("p"), on=col("p", "case_id").eq(col("k", "case_id")),
                             join_type="LEFT")
    if rule.extension:
        judged = judged.join(exp.to_table("ext").as_("x"), on=col("x", "case_id").eq(col("k", "case_id")),
                             join_type="LEFT")
    judged = q.join_calendar(judged, "cs", col("k", "start_ts"))
    judged = q.join_calendar(judged, "ce", coalesce(col("st", "stop_ts"), as_of) if rule.stop else as_of)
    keep: list[exp.Expr] = [col("k", "start_seq").is_(exp.null()).not_()]
    if rule.judge == "stopped":
        keep.append(col("st", "stop_seq").is_(exp.null()).not_())
    elif rule.judge == "open":
        keep.append(col("st", "stop_seq").is_(exp.null()))
    q.cte("judged", judged.where(exp.and_(*keep)))

    # measured: used, allowed, due
    j = alias("j")
    start_day = date_of(j("start_ts"))
    end_day = date_of(j("end_ts"))
    limit_total = exp.Add(this=j("limit_n"), expression=j("ext_n"))
    natural_used = exp.Sub(this=date_diff(start_day, end_day), expression=j("paused_days"))
    month_due = date_add(date_add(start_day, limit_total, "MONTH"), j("paused_days"), "DAY")
    measured = (
        exp.select(
            exp.Star(),
            exp.Paren(this=limit_total).as_("limit_total"),
            _unit_switch(rule, j("unit"), {"workday": j("paused_wd"), "day": j("paused_days"),
                                           "month": j("paused_days")}).as_("paused"),
            _unit_switch(rule, j("unit"), {
                "workday": exp.Sub(this=exp.Sub(this=j("end_no"), expression=j("start_no")), expression=j("paused_wd")),
                "day": natural_used, "month": natural_used}).as_("used"),
            _unit_switch(rule, j("unit"), {
                "workday": exp.Paren(this=limit_total), "day": exp.Paren(this=limit_total),
                "month": exp.Sub(this=date_diff(start_day, month_due), expression=j("paused_days"))}).as_("allowed"),
            _unit_switch(rule, j("unit"), {
                "workday": col("cd", "day"),
                "day": date_add(start_day, exp.Add(this=limit_total, expression=j("paused_days")), "DAY"),
                "month": month_due}).as_("due"),
        )
        .from_(exp.to_table("judged").as_("j"))
        .join(exp.to_table(t.CALENDAR).as_("cd"), join_type="LEFT", on=exp.and_(
            col("cd", "workday_no").eq(exp.Add(this=exp.Add(this=j("start_no"), expression=limit_total),
                                               expression=j("paused_wd"))),
            col("cd", "is_workday"))))
    q.cte("measured", measured)

    m = alias("m")
    over = exp.Sub(this=m("used"), expression=m("allowed"))
    whens: list[tuple[exp.Expr, exp.Expr]] = [
        (exp.and_(m("is_open"), m("pause_open")), exp.null()),
        (exp.GT(this=m("used"), expression=m("allowed")), q.text(rule.levels.breach)),
    ]
    yellow = _yellow_condition(q, rule, m)
    if yellow is not None:
        whens.append((exp.and_(m("is_open"), yellow), lit("yellow")))
    q.cte("leveled", exp.select(exp.Star(), exp.Paren(this=over).as_("over_by"), case(whens).as_("level"))
          .from_(exp.to_table("measured").as_("m")))

    r = alias("r")
    final = (exp.select(*q.findings({
        "case_id": r("case_id"), "item_code": r("item_code"), "dept_code": r("dept_code"),
        "source_system": r("source_system"), "level": r("level"),
        "message": _message(q, rule, r), "evidence": _evidence(q, rule, r),
        "due_at": exp.Add(this=cast(r("due"), "TIMESTAMP"),
                          expression=exp.Interval(this=lit("86399"), unit=exp.var("SECOND"))),
        "days_overdue": greatest(r("over_by"), lit(0)),
        "days_left": greatest(exp.Neg(this=r("over_by")), lit(0)),
    })).from_(exp.to_table("leveled").as_("r")).where(r("level").is_(exp.null()).not_()))
    return q.finish(final)


def _candidates(q: Query, rule: DeadlineRule, limit: exp.Expr, unit: exp.Expr) -> exp.Select:
    """The cases whose clock can have run long enough for a flag, from one narrow aggregate.

    A flag needs used >= the least of allowed + 1 (red), allowed - days_left and share_used ×
    allowed (yellow, open cases only, the loosest threshold of any department). Used is at most
    the span from the start day to the end day — working days (``workday_no`` difference) for
    working-day limits, natural days otherwise — since pauses only subtract; allowed is at least
    the limit (the extension only adds; a month has at least 28 days). The start is not before
    the earliest start or fallback event (for ``*``: it is the last event); the end is not after
    the last stop when a stop follows every possible start, else the audit time.
    """
    e = alias("e")
    start, stops = rule.start, _stop_codes(rule)
    starting = [] if start.activity == "*" else [start.activity]
    if start.fallback:
        starting.append(start.fallback.activity)
    is_start = e("activity").isin(*q.activities(starting)) if starting else exp.false()
    is_stop = e("activity").isin(*q.activities(stops)) if stops else exp.false()
    earliest: exp.Expr = agg_filter(exp.Min(this=e("ts")), is_start)
    if start.activity == "*":
        earliest = exp.Max(this=e("ts"))      # the start is the last event (no fallback then)
        last_start: exp.Expr = exp.Max(this=e("seq"))
    else:
        last_start = agg_filter(exp.Max(this=e("seq")), is_start)
    skip = rule.skip_cases_with
    spans = exp.select(e("case_id"), earliest.as_("first_start"), last_start.as_("last_start"),
                       agg_filter(exp.Max(this=e("seq")), is_stop).as_("last_stop"),
                       arg_max(e("ts"), e("seq"), is_stop).as_("last_stop_ts"))
    events = exp.to_table(q.target.TABLES["event"]).as_("e")
    where: exp.Expr = e("ts") <= q.as_of()
    if _activities_used(rule) is not None:
        where = exp.and_(where, e("activity").isin(*q.activities(sorted(set(starting + stops + skip)))))
    spans = spans.from_(events).where(where).group_by(e("case_id"))
    if skip:  # a case with any of these is not judged
        spans = spans.having(agg_filter(exp.Count(this=exp.Star()), e("activity").isin(*q.activities(skip))).eq(lit(0)))

    g = alias("g")
    # a stop follows every possible start: the case is not open (no stop at all: NULL → false)
    stopped = coalesce(g("last_stop") > g("last_start"), exp.false())
    end = case([(stopped, g("last_stop_ts"))], q.as_of())
    longest = _unit_switch(rule, unit, {
        "workday": exp.Sub(this=col("ce", "workday_no"), expression=col("cs", "workday_no")),
        "day": date_diff(date_of(g("first_start")), date_of(end)),
        "month": date_diff(date_of(g("first_start")), date_of(end))})
    allowed = _unit_switch(rule, unit, {"workday": limit, "day": limit,
                                        "month": exp.Mul(this=lit(28), expression=limit)})
    red: exp.Expr = longest > allowed
    yellow = rule.levels.yellow
    if yellow is not None and rule.judge != "stopped":
        thresholds = [yellow, *yellow.by_department.values()]
        days_left = [y.days_left for y in thresholds if y.days_left is not None]
        shares = [y.share_used for y in thresholds if y.share_used is not None]
        near: list[exp.Expr] = []
        if days_left:
            near.append(longest >= exp.Sub(this=allowed, expression=q.integer(max(days_left))))
        if shares:
            near.append(longest >= exp.Mul(this=q.binder.bind(float(min(shares)), "DOUBLE"), expression=allowed))
        red = exp.or_(red, exp.and_(exp.Paren(this=stopped).not_(), exp.or_(*near)))
    select = (exp.select(g("case_id")).from_(spans.subquery("g"))
              .join(exp.to_table(q.target.TABLES["case"]).as_("c"), on=col("c", "case_id").eq(g("case_id")))
              .join(exp.to_table(q.target.TABLES["item"]).as_("i"), on=col("i", "item_code").eq(col("c", "item_code"))))
    select = q.join_calendar(select, "cs", g("first_start"))
    select = q.join_calendar(select, "ce", end)
    keep = [g("first_start").is_(exp.null()).not_(), exp.Paren(this=red)]
    if rule.judge == "stopped":
        keep.append(g("last_stop").is_(exp.null()).not_())
    elif rule.judge == "open":
        keep.append(exp.Paren(this=stopped).not_())
    return select.where(exp.and_(*keep))


def _yellow_condition(q: Query, rule: DeadlineRule, get: Column) -> exp.Expr | None:
    yellow = rule.levels.yellow
    if yellow is None:
        return None
    left = exp.Sub(this=get("allowed"), expression=get("used"))

    def threshold(attr: str, bind: Callable[[Any], exp.Expr]) -> exp.Expr | None:
        default = getattr(yellow, attr)
        overrides = {d: getattr(v, attr) for d, v in yellow.by_department.items()}
        if default is None and all(v is None for v in overrides.values()):
            return None
        def value(v: Any) -> exp.Expr:
            return exp.null() if v is None else bind(v)

        if not overrides:
            return value(default)
        return case(((get("dept_code").eq(q.text(d)), value(v)) for d, v in overrides.items()), value(default))

    parts: list[exp.Expr] = []
    days_left = threshold("days_left", q.integer)
    if days_left is not None:
        parts.append(exp.LTE(this=exp.Paren(this=left), expression=days_left))
    share = threshold("share_used", lambda v: q.binder.bind(float(v), "DOUBLE"))
    if share is not None:
        parts.append(exp.GTE(this=get("used"), expression=exp.Mul(this=share, expression=get("allowed"))))
    return exp.Paren(this=exp.or_(*parts))


def _marks(q: Query, rule: DeadlineRule) -> None:
    e = alias("ev")
    start = rule.start
    parts: list[exp.Expr] = [e("case_id")]
    if start.activity == "*":
        parts += [exp.Max(this=e("seq")).as_("s_seq"), arg_max(e("ts"), e("seq")).as_("s_ts"),
                  arg_max(e("event_id"), e("seq")).as_("s_id"), arg_max(e("activity"), e("seq")).as_("s_act")]
    else:
        is_start = e("activity").eq(q.text(start.activity))
        pick, agg = (arg_min, exp.Min) if start.occurrence == "first" else (arg_max, exp.Max)
        parts += [agg_filter(agg(this=e("seq")), is_start).as_("s_seq"),
                  pick(e("ts"), e("seq"), is_start).as_("s_ts"), pick(e("event_id"), e("seq"), is_start).as_("s_id"),
                  lit(start.activity).as_("s_act")]
    if start.fallback:
        for prefix, code in (("f", start.fallback.activity), ("l", start.fallback.late)):
            is_it = e("activity").eq(q.text(code))
            parts += [agg_filter(exp.Min(this=e("seq")), is_it).as_(f"{prefix}_seq"),
                      arg_min(e("ts"), e("seq"), is_it).as_(f"{prefix}_ts"),
                      arg_min(e("event_id"), e("seq"), is_it).as_(f"{prefix}_id")]
    q.cte("marks", exp.select(*parts).from_("ev").group_by(e("case_id")))


def _clock(q: Query, rule: DeadlineRule) -> None:
    m = alias("m")
    fallback = rule.start.fallback
    if fallback:
        use = exp.and_(m("f_seq").is_(exp.null()).not_(), m("l_seq").is_(exp.null()).not_(),
                       exp.GT(this=exp.Sub(this=col("cl", "workday_no"), expression=col("cf", "workday_no")),
                              expression=q.integer(fallback.after_more_than)))
        def pick(name: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
            return case([(use, a)], b).as_(name)

        chosen = [pick("start_seq", m("f_seq"), m("s_seq")), pick("start_ts", m("f_ts"), m("s_ts")),
                  pick("start_id", m("f_id"), m("s_id")), pick("start_act", lit(fallback.activity), m("s_act")),
                  exp.Paren(this=use).as_("fallback_used")]
    else:
        chosen = [m("s_seq").as_("start_seq"), m("s_ts").as_("start_ts"), m("s_id").as_("start_id"),
                  m("s_act").as_("start_act"), exp.false().as_("fallback_used")]
    select = (exp.select(col("s", "case_id"), col("s", "item_code"), col("s", "dept_code"), col("s", "source_system"),
                         col("s", "limit_n"), col("s", "unit"), *chosen)
              .from_(exp.to_table("subject").as_("s"))
              .join(exp.to_table("marks").as_("m"), on=m("case_id").eq(col("s", "case_id"))))
    if fallback:
        select = q.join_calendar(select, "cf", m("f_ts"))
        select = q.join_calendar(select, "cl", m("l_ts"))
    if rule.skip_cases_with:
        e = alias("e")
        q.cte("skipped", exp.select(e("case_id")).distinct().from_(exp.to_table("ev").as_("e"))
              .where(e("activity").isin(*q.activities(rule.skip_cases_with))))
        select = (select.join(exp.to_table("skipped").as_("sk"), on=col("sk", "case_id").eq(col("s", "case_id")),
                              join_type="LEFT").where(col("sk", "case_id").is_(exp.null())))
    q.cte("clock", select)


def _first_after(q: Query, name: str, activities: list[str], prefix: str, rule: DeadlineRule,
                 before_stop: bool = False) -> None:
    """Per case: the first event of ``activities`` after the start (and before the stop)."""
    e = alias("e")
    on = exp.and_(e("case_id").eq(col("k", "case_id")), e("seq") > col("k", "start_seq"),
                  e("activity").isin(*q.activities(activities)))
    select = (exp.select(col("k", "case_id"), exp.Min(this=e("seq")).as_(f"{prefix}_seq"),
                         arg_min(e("ts"), e("seq")).as_(f"{prefix}_ts"), arg_min(e("event_id"), e("seq")).as_(f"{prefix}_id"),
                         arg_min(e("activity"), e("seq")).as_(f"{prefix}_act"))
              .from_(exp.to_table("clock").as_("k")).join(exp.to_table("ev").as_("e"), on=on))
    if before_stop and rule.stop:
        select = select.join(exp.to_table("stops").as_("st"), on=col("st", "case_id").eq(col("k", "case_id")),
                             join_type="LEFT").where(exp.or_(col("st", "stop_seq").is_(exp.null()),
                                                             e("seq") < col("st", "stop_seq")))
    q.cte(name, select.group_by(col("k", "case_id")))


def _stops(q: Query, rule: DeadlineRule) -> None:
    _first_after(q, "stops", _stop_codes(rule), "stop", rule)


def _extension(q: Query, rule: DeadlineRule) -> None:
    assert rule.extension is not None
    _first_after(q, "ext", [rule.extension.activity], "ext", rule, before_stop=True)


def _pauses(q: Query, rule: DeadlineRule) -> None:
    e = alias("e")
    begins = [p.begin for p in rule.pauses]
    pair = case(((e("activity").isin(q.text(p.begin), q.text(p.end)), lit(i + 1)) for i, p in enumerate(rule.pauses)))
    role = case([(e("activity").isin(*q.activities(begins)), lit("begin"))], lit("end"))
    everything = [a for p in rule.pauses for a in (p.begin, p.end)]
    bounds = (exp.select(e("case_id"), e("seq"), e("ts"), e("event_id"), e("activity"), pair.as_("pair"),
                         role.as_("role"), window(exp.Lag(this=role), [e("case_id"), pair], e("seq")).as_("prev_role"))
              .from_(exp.to_table("ev").as_("e"))
              .join(exp.to_table("clock").as_("k"), on=exp.and_(col("k", "case_id").eq(e("case_id")),
                                                                 e("seq") >= col("k", "start_seq")))
              .where(e("activity").isin(*q.activities(everything))))
    q.cte("bounds", bounds)

    b = alias("b")
    x = alias("x")
    first_end = exp.Min(this=x("seq"))
    begins_here = [b("role").eq(lit("begin")), exp.or_(b("prev_role").is_(exp.null()), b("prev_role").neq(lit("begin")))]
    keys = [b("case_id"), b("seq"), b("ts"), b("event_id"), b("activity")]
    if rule.stop:
        stop_seq = col("st", "stop_seq")
        ends_inside = exp.and_(first_end.is_(exp.null()).not_(),
                               exp.Paren(this=exp.or_(stop_seq.is_(exp.null()), first_end < stop_seq)))
        has_stop = stop_seq.is_(exp.null()).not_()
        def end(c: str) -> exp.Expr:
            return case([(ends_inside, arg_min(x(_BOUND[c]), x("seq"))), (has_stop, col("st", f"stop_{c}"))])

        begins_here.append(exp.or_(stop_seq.is_(exp.null()), b("seq") < stop_seq))
        keys += [stop_seq, col("st", "stop_ts"), col("st", "stop_id"), col("st", "stop_act")]
    else:
        def end(c: str) -> exp.Expr:
            return arg_min(x(_BOUND[c]), x("seq"))

    pauses = (
        exp.select(b("case_id"), b("seq").as_("begin_seq"), b("ts").as_("begin_ts"), b("event_id").as_("begin_id"),
                   b("activity").as_("begin_act"), end("ts").as_("end_ts"), end("id").as_("end_id"),
                   end("act").as_("end_act"))
        .from_(exp.to_table("bounds").as_("b"))
        .join(exp.to_table("bounds").as_("x"), join_type="LEFT", on=exp.and_(
            x("case_id").eq(b("case_id")), x("pair").eq(b("pair")), x("role").eq(lit("end")), x("seq") > b("seq")))
    )
    if rule.stop:
        pauses = pauses.join(exp.to_table("stops").as_("st"), on=col("st", "case_id").eq(b("case_id")), join_type="LEFT")
    pauses = pauses.where(exp.and_(*begins_here)).group_by(*keys)
    q.cte("pauses", pauses)

    p = alias("p")
    wd = exp.Sub(this=col("pe", "workday_no"), expression=col("pb", "workday_no"))
    days = date_diff(date_of(p("begin_ts")), date_of(p("end_ts")))
    units = _unit_switch(rule, col("k", "unit"), {"workday": wd, "day": days, "month": days})
    unit_label = _unit_switch(rule, col("k", "unit"), {u: lit(COUNT_LABELS[u]) for u in UNITS})
    codes = sorted(set(everything + _stop_codes(rule)), key=list(ACTIVITIES).index)
    text = concat(activity_label(p("begin_act"), codes), " ", fmt(p("begin_ts"), q.target.TIME_FORMAT), " 至 ",
                  case([(p("end_ts").is_(exp.null()), lit("审计时点仍未结束"))],
                       concat(activity_label(p("end_act"), codes), " ", fmt(p("end_ts"), q.target.TIME_FORMAT))),
                  case([(p("end_ts").is_(exp.null()).not_(), concat(" 暂停 ", units, unit_label))], lit("")))
    item = json_object({"begin_id": p("begin_id"), "begin_activity": p("begin_act"), "begin_ts": p("begin_ts"),
                        "end_id": p("end_id"), "end_activity": p("end_act"), "end_ts": p("end_ts"), "paused": units})
    paused = (exp.select(p("case_id"), exp.Sum(this=wd).as_("paused_wd"), exp.Sum(this=days).as_("paused_days"),
                         exp.LogicalOr(this=p("end_ts").is_(exp.null())).as_("pause_open"),
                         string_agg(text, "；", p("begin_seq")).as_("pause_text"),
                         json_list(item, p("begin_seq")).as_("pause_json"))
              .from_(exp.to_table("pauses").as_("p"))
              .join(exp.to_table("clock").as_("k"), on=col("k", "case_id").eq(p("case_id"))))
    paused = q.join_calendar(paused, "pb", p("begin_ts"))
    paused = q.join_calendar(paused, "pe", p("end_ts"))
    q.cte("paused", paused.group_by(p("case_id")))


def _message(q: Query, rule: DeadlineRule, get: Column) -> exp.Expr:
    tf, df = q.target.TIME_FORMAT, q.target.DATE_FORMAT
    codes = None if rule.start.activity == "*" else sorted(
        set(_activities_used(rule) or []), key=list(ACTIVITIES).index)
    count_label = _unit_switch(rule, get("unit"), {u: lit(COUNT_LABELS[u]) for u in UNITS})
    limit_label = _unit_switch(rule, get("unit"), {u: lit(UNIT_LABELS[u]) for u in UNITS})
    source = LIMIT_COLUMN_LABELS[rule.limit.column] if rule.limit.column else "规则规定"
    parts: list[exp.Expr | str] = [activity_label(get("start_act"), codes), " ", fmt(get("start_ts"), tf), " 起算"]
    fallback = rule.start.fallback
    if fallback:
        parts.append(case([(get("fallback_used"), concat(
            f"（{ACTIVITIES[fallback.late]}晚于{ACTIVITIES[fallback.activity]}超过", q.integer(fallback.after_more_than),
            f"个工作日，改自{ACTIVITIES[fallback.activity]}起算）"))], lit("")))
    if rule.pauses:
        parts.append(case([(get("pause_text").is_(exp.null()).not_(), concat("；", get("pause_text")))], lit("")))
    if rule.extension:
        parts.append(case([(get("ext_id").is_(exp.null()).not_(), concat(
            f"；{ACTIVITIES[rule.extension.activity]} ", fmt(get("ext_ts"), tf), " 加 ", get("ext_n"), limit_label))],
            lit("")))
    parts += ["；时限 ", get("limit_n")]
    if rule.extension:
        parts.append(case([(get("ext_n") > lit(0), concat("+", get("ext_n"), "=", get("limit_total")))], lit("")))
    parts += [limit_label, f"（{source}）；日历 ", get("calendar_version"), "；应于 ",
              coalesce(fmt(get("due"), df), lit("（超出日历范围）")), " 前完成；截至",
              case([(get("is_open"), concat("审计时点 ", fmt(q.as_of(), tf), (
                  "（尚未" + "或".join(ACTIVITIES[a] for a in _stop_codes(rule)) + "）") if rule.stop else ""))],
                   concat(activity_label(get("stop_act"), _stop_codes(rule)), " ", fmt(get("stop_ts"), tf))),
              " 已用 ", get("used"), count_label]
    if rule.pauses:
        parts.append(case([(get("paused") > lit(0), concat("（已扣除暂停 ", get("paused"), count_label, "）"))], lit("")))
    parts.append(case([(get("over_by") > lit(0), concat("，超期 ", get("over_by"), count_label))],
                      concat("，剩余 ", exp.Neg(this=get("over_by")), count_label)))
    parts.append("。")
    return concat(*parts)


def _evidence(q: Query, rule: DeadlineRule, get: Column) -> exp.Expr:
    def event(p: str) -> exp.Expr:
        return json_object({"event_id": get(f"{p}_id"), "activity": get(f"{p}_act"), "ts": get(f"{p}_ts")})

    return json_object({
        "start": event("start"),
        "fallback_used": get("fallback_used"),
        "stop": case([(get("is_open"), exp.null())], event("stop")),
        "as_of": q.as_of(),
        "open": get("is_open"),
        "pauses": coalesce(get("pause_json"), cast(lit("[]"), "JSON")),
        "extension": case([(get("ext_id").is_(exp.null()), exp.null())],
                          json_object({"event_id": get("ext_id"), "ts": get("ext_ts"), "amount": get("ext_n")})),
        "limit": get("limit_n"),
        "limit_total": get("limit_total"),
        "unit": get("unit"),
        "paused": get("paused"),
        "used": get("used"),
        "allowed": get("allowed"),
        "due": get("due"),
        "start_workday_no": get("start_no"),
        "end_workday_no": get("end_no"),
        "calendar": get("calendar_version"),
    })
