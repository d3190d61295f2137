"""The Declare templates: what each means, as data and as a small reference checker.

A trace is one case's events up to the audit time, in ``events.seq`` order. An empty trace is
never judged. Positions below are 0-based indexes into the trace; ``ts`` is the event time.

Counting templates (``a`` and ``n``)::

  existence(a, n=1)   at least n a                      fires when count(a) < n
  absence(a)          no a                              fires when count(a) >= 1
  at_most(a, n)       at most n a                       fires when count(a) > n
  exactly(a, n)       exactly n a                       fires when count(a) != n
  init(a)             the first event is a
  end(a)              the last event (as of the audit time) is a

Unordered pairs::

  responded_existence(a, b)  if a occurs, b occurs too (before or after)
  coexistence(a, b)          a and b both occur or neither does
  not_coexistence(a, b)      a and b do not both occur

Ordered pairs (each may carry ``within``: N working days between the two events' dates)::

  response(a, b)              every a is followed later by b
  precedence(a, b)            every b has an a before it
  succession(a, b)            response and precedence
  alternate_response(a, b)    every a is followed by b before the next a
  alternate_precedence(a, b)  every b has an a before it and after the previous b
  alternate_succession(a, b)  both alternate forms
  chain_response(a, b)        the event right after every a is b
  chain_precedence(a, b)      the event right before every b is a
  chain_succession(a, b)      both chain forms
  not_succession(a, b)        no b after any a

"Activations" are the a events of the response side and the b events of the precedence side.
With ``within = N`` the partner must also lie within N working days: ``workday_no(date(partner))
- workday_no(date(activation)) <= N`` (either direction, counted forward in time). An activation of
the response side that has no partner yet is *pending* while ``as_of`` is within N working days of
it, and fires once the window has passed; without ``within`` a missing partner fires at once.
For ``not_succession`` with ``within``, only a b within N working days of the a counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    name: str
    binary: bool
    counted: bool = False
    ordered: bool = False
    response: bool = False      # has a response side (activation a, partner after it)
    precedence: bool = False    # has a precedence side (activation b, partner before it)
    form: str = "plain"         # plain / alternate / chain (ordered templates)
    sentence: str = ""


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("existence", False, counted=True, sentence="须至少有{n}次“{a}”"),
    Template("absence", False, sentence="不得出现“{a}”"),
    Template("at_most", False, counted=True, sentence="“{a}”不得超过{n}次"),
    Template("exactly", False, counted=True, sentence="“{a}”须恰好出现{n}次"),
    Template("init", False, sentence="第一个环节须是“{a}”"),
    Template("end", False, sentence="最后一个环节须是“{a}”"),
    Template("responded_existence", True, sentence="出现“{a}”的，也须出现“{b}”"),
    Template("coexistence", True, sentence="“{a}”与“{b}”须同时出现或同时不出现"),
    Template("not_coexistence", True, sentence="“{a}”与“{b}”不得同时出现"),
    Template("response", True, ordered=True, response=True, sentence="每次“{a}”之后须有“{b}”"),
    Template("precedence", True, ordered=True, precedence=True, sentence="每次“{b}”之前须有“{a}”"),
    Template("succession", True, ordered=True, response=True, precedence=True,
             sentence="每次“{a}”之后须有“{b}”，且每次“{b}”之前须有“{a}”"),
    Template("alternate_response", True, ordered=True, response=True, form="alternate",
             sentence="每次“{a}”之后、下一次“{a}”之前须有“{b}”"),
    Template("alternate_precedence", True, ordered=True, precedence=True, form="alternate",
             sentence="每次“{b}”之前、上一次“{b}”之后须有“{a}”"),
    Template("alternate_succession", True, ordered=True, response=True, precedence=True, form="alternate",
             sentence="“{a}”与“{b}”须交替出现，每次“{a}”后先有“{b}”"),
    Template("chain_response", True, ordered=True, response=True, form="chain",
             sentence="每次“{a}”的下一个环节须是“{b}”"),
    Template("chain_precedence", True, ordered=True, precedence=True, form="chain",
             sentence="每次“{b}”的上一个环节须是“{a}”"),
    Template("chain_succession", True, ordered=True, response=True, precedence=True, form="chain",
             sentence="“{a}”与“{b}”须紧邻相接"),
    Template("not_succession", True, ordered=True, sentence="“{a}”之后不得出现“{b}”"),
)}


@dataclass(frozen=True)
class Step:
    """One event of a trace."""

    activity: str
    ts: dt.datetime


Workdays = Callable[[dt.date, dt.date], int]


def check(template: str, trace: Sequence[Step], a: str, b: str | None = None, *, n: int | None = None,
          within: int | None = None, as_of: dt.datetime | None = None,
          workdays: Workdays | None = None) -> tuple[int, ...] | None:
    """The reference semantics: None when satisfied, else the positions that show the violation.

    ``workdays(d1, d2)`` counts working days d with d1 < d <= d2 (needed only with ``within``).
    """
    spec = TEMPLATES[template]
    if not trace:
        return None
    at = [i for i, s in enumerate(trace) if s.activity == a]
    bt = [i for i, s in enumerate(trace) if s.activity == b] if b is not None else []
    if not spec.binary:
        return _unary(template, trace, a, at, n if n is not None else 1)
    if template == "responded_existence":
        return tuple(at) if at and not bt else None
    if template == "coexistence":
        return tuple(at or bt) if bool(at) != bool(bt) else None
    if template == "not_coexistence":
        return tuple(sorted(at + bt)) if at and bt else None

    def gap(i: int, j: int) -> int:
        assert workdays is not None
        return workdays(trace[i].ts.date(), trace[j].ts.date())

    def late(i: int, j: int) -> bool:
        return within is not None and gap(i, j) > within

    def expired(i: int) -> bool:
        if within is None:
            return True
        assert workdays is not None and as_of is not None
        return workdays(trace[i].ts.date(), as_of.date()) > within

    found: list[int] = []
    if template == "not_succession":
        for i in at:
            later = next((j for j in bt if j > i), None)
            if later is not None and not late(i, later):
                found += [i, later]
        return tuple(sorted(set(found))) or None
    if spec.response:
        for i in at:
            partner: int | None
            if spec.form == "chain":
                partner = i + 1 if i + 1 < len(trace) else None
                if partner is not None and trace[partner].activity != b:
                    found.append(i)
                    continue
            else:
                partner = next((j for j in bt if j > i), None)
                nxt = next((k for k in at if k > i), None)
                if spec.form == "alternate" and partner is not None and nxt is not None and partner > nxt:
                    found.append(i)
                    continue
            if partner is None:
                if expired(i):
                    found.append(i)
            elif late(i, partner):
                found += [i, partner]
    if spec.precedence:
        for j in bt:
            before: int | None
            if spec.form == "chain":
                before = j - 1 if j > 0 and trace[j - 1].activity == a else None
            else:
                before = next((i for i in reversed(at) if i < j), None)
                prev_b = next((k for k in reversed(bt) if k < j), None)
                if spec.form == "alternate" and before is not None and prev_b is not None and before < prev_b:
                    before = None
            if before is None:
                found.append(j)
            elif late(before, j):
                found += [before, j]
    return tuple(sorted(set(found))) or None


def _unary(template: str, trace: Sequence[Step], a: str, at: list[int], n: int) -> tuple[int, ...] | None:
    count = len(at)
    if template == "existence":
        return tuple(at) if count < n else None
    if template == "absence":
        return tuple(at) if count >= 1 else None
    if template == "at_most":
        return tuple(at) if count > n else None
    if template == "exactly":
        return tuple(at) if count != n else None
    if template == "init":
        return (0,) if trace[0].activity != a else None
    assert template == "end"
    return (len(trace) - 1,) if trace[-1].activity != a else None
