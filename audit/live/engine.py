"""``LiveEngine``: the compiled pack running on a :class:`ReteSession`, one case at a time.

The engine keeps each case's rows (:class:`audit.live.model.CaseState`) and feeds the network one
fact per change: an event, a case row, a disclosure, an item. The network's actions only mark
(rule, case) pairs to judge; :meth:`LiveEngine.settle` then judges them as of the clock (the time
of the last tick) and keeps what each rule currently finds in each case. A judgement also says
when it may change without new input (a deadline turning yellow or red, a day more overdue);
the earliest such time of a case is its ``due`` fact in the network, and the clock tick that
reaches it triggers the judgement again. Time comes only from :meth:`tick`, so feeding the same
events and ticks always gives the same findings.

Events of one case are expected in ``seq`` order; one that arrives out of order (or replaces an
event already seen) makes every rule judge that case again. An event matching no rule is fine.
"""

from __future__ import annotations

import datetime as dt
import heapq
import zlib
from collections.abc import Iterable
from typing import Any

from audit.live.compile import CompiledPack, LiveRule, ReteTarget
from audit.live.judges import Judgement, render
from audit.live.model import CaseState, Finding, Reference, Row, View, next_arrival, view_of
from audit.live.session import Facts, ReteSession

EPOCH = dt.datetime(2000, 1, 1)
BEGINNING = dt.datetime(1900, 1, 1)
CASES_PER_PARTITION = 40_000


def partitions_for(cases: int) -> int:
    """How many durable_rules partitions (sids) to spread ``cases`` over: each partition's fact store
    is a fixed-size hash table, and ids start to collide when one holds a few hundred thousand."""
    return max(1, -(-cases // CASES_PER_PARTITION))


def micros(moment: dt.datetime) -> int:
    """A local time as an integer for the network (microseconds since 2000-01-01)."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class LiveEngine:
    """The live supervision engine. Build it per run, feed it, read :meth:`findings`, close it."""

    def __init__(self, pack: CompiledPack, reference: Reference, *, clock: dt.datetime = BEGINNING,
                 partitions: int = 1) -> None:
        self.pack = pack
        self.reference = reference
        self.clock = clock
        self.partitions = partitions
        self.cases: dict[str, CaseState] = {}
        self.item_findings: dict[tuple[str, str], list[Finding]] = {}
        self._rules: dict[str, LiveRule] = {r.rule_id: r for r in pack.rules}
        self._case_rules = tuple(r.rule_id for r in pack.rules if r.subject == "case")
        self._item_rules = tuple(r for r in pack.rules if r.subject == "item")
        self._dirty: set[tuple[str, str]] = set()
        self._dirty_items: set[tuple[str, str]] = set()
        self._due: dict[str, int] = {}
        self._due_in: dict[str, int] = {}  # partition -> number of due facts it holds
        self._due_heap: list[tuple[int, str]] = []  # (due time, case id), stale entries skipped
        self._disclosures: dict[str, Row] = {}
        self._disclosed_case: dict[str, set[str]] = {}      # case_id -> disclosure ids
        self._disclosed_decision: dict[str, set[str]] = {}  # decision_no -> ids (no case_id)
        self._by_decision: dict[str, set[str]] = {}         # number -> case ids (see _numbers)
        self._numbers: dict[str, set[str]] = {}             # case id -> its numbers
        self._serial = 0
        self.changed: set[str] = set()
        self.judgements = 0
        actions = {rule_id: self._marker(rule_id) for rule_id in self._rules}
        actions[ReteTarget.CLOCK_ACTION] = self._on_clock
        self.session = ReteSession(pack.rulesets(), actions)

    # --- input -----------------------------------------------------------------------------------

    def set_reference(self, *, items: Iterable[Row] | None = None, officers: Iterable[Row] | None = None,
                      discretion: Iterable[Row] | None = None) -> None:
        """Replace reference tables; every case and item is judged again (this is rare)."""
        if items is not None:
            self.reference.set_items(items)
        if officers is not None:
            self.reference.set_officers(officers)
        if discretion is not None:
            self.reference.set_discretion(discretion)
        for code, item in self.reference.items.items():
            self._touch({"t": "item", "item": code, **_item_scope(item)})
        for case_id in self.cases:
            self._dirty.update((rule_id, case_id) for rule_id in self._case_rules)
        self.settle()

    def add_case(self, row: Row) -> None:
        """A case row, new or updated."""
        state = self._state(row["case_id"])
        before = self._scope(state)
        state.row = dict(row)
        self._index_numbers(state)
        if before is not None and before != self._scope(state):
            self._dirty.update((rule_id, state.case_id) for rule_id in self._case_rules)
        if state.events:  # before its first event a case is judged by nothing (that event says so)
            self._touch({"t": "case", "case": state.case_id, **(self._scope(state) or {})}, state.case_id)
        self.settle()

    def add_event(self, event: Row) -> None:
        """One canonical event (``event_id``, ``case_id``, ``seq``, ``activity``, ``ts`` …)."""
        state = self._state(event["case_id"])
        appended = state.add_event(dict(event))
        if not appended:
            self._dirty.update((rule_id, state.case_id) for rule_id in self._case_rules)
        if event.get("document_no") and self._index_numbers(state):
            self._touch({"t": "disclosure", "case": state.case_id, **(self._scope(state) or {})}, state.case_id)
        fact = {
            "t": "event", "case": state.case_id, "activity": event["activity"],
            "first": 1 if len(state.events) == 1 else 0, **(self._scope(state) or {}),
            **{k: event[k] for k in ("document_type", "document_no", "actor_id", "dept_code", "source_system")
               if isinstance(event.get(k), str)},
        }
        self._touch(fact, state.case_id)
        self.settle()

    def add_disclosure(self, row: Row) -> None:
        """A published disclosure (matched to its case by case_id, else by decision_no)."""
        old = self._disclosures.get(row["disclosure_id"])
        if old is not None:
            self._unindex_disclosure(old)
        self._disclosures[row["disclosure_id"]] = dict(row)
        self._index_disclosure(row)
        targets = self._cases_of(row) | (self._cases_of(old) if old else set())
        for case_id in targets:
            state = self.cases[case_id]
            self._attach(state)
            if state.events:
                self._touch({"t": "disclosure", "case": case_id, **(self._scope(state) or {})}, case_id)
        self.settle()

    def tick(self, at: dt.datetime) -> None:
        """Move the clock to ``at`` (never backwards) and judge what has become due."""
        if at <= self.clock:
            return
        before, self.clock = self.clock, at
        for live in self._item_rules:
            starts = live.rule.effective_from
            if live.time_dependent or before.date() < starts <= at.date():
                self._dirty_items.update((live.rule_id, code) for code in self.reference.items)
        if not self._anything_due(micros(at)):
            self.settle()
            return  # a tick earlier than every due fact meets nothing: spare the network the join
        for partition, held in sorted(self._due_in.items()):
            if not held:
                continue  # a tick meets nothing in a partition without due facts
            self._serial += 1
            self.session.touch(self.pack.ruleset, {
                "id": f"k|{self._serial}", "sid": str(partition), "t": "tick", "at": micros(at), "pad": 0})
        self.settle()

    # --- output ----------------------------------------------------------------------------------

    def findings(self) -> list[Finding]:
        """Every current finding as of the clock, ordered by rule, subject and occurrence."""
        found = [render(f, self.clock) for state in self.cases.values() for f in state.current_findings()]
        found += [render(f, self.clock) for rows in self.item_findings.values() for f in rows]
        return sorted(found, key=lambda f: (f["rule_id"], f.get("case_id") or "", f.get("item_code") or "",
                                            f.get("occurrence") or ""))

    def drain_changed(self) -> set[str]:
        """The subjects whose findings changed since the last call."""
        changed, self.changed = self.changed, set()
        return changed

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> LiveEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- judging ---------------------------------------------------------------------------------

    def settle(self) -> None:
        """Judge every marked pair as of the clock and keep the results."""
        while self._dirty or self._dirty_items:
            pairs, self._dirty = sorted(self._dirty), set()
            views: dict[str, tuple[View | None, dt.datetime | None]] = {}
            touched: set[str] = set()
            for rule_id, case_id in pairs:
                state = self.cases[case_id]
                if case_id not in views:
                    views[case_id] = (view_of(state, self.reference, self.clock), next_arrival(state, self.clock))
                view, upcoming = views[case_id]
                self._judge_case(self._rules[rule_id], state, view, upcoming)
                touched.add(case_id)
            for case_id in touched:
                self._update_due(self.cases[case_id])
            items, self._dirty_items = sorted(self._dirty_items), set()
            for rule_id, item_code in items:
                self._judge_item(self._rules[rule_id], item_code)

    def _judge_case(self, live: LiveRule, state: CaseState, view: View | None,
                    upcoming: dt.datetime | None) -> None:
        # Every kind judges only cases that have an event by the audit time, by rules in force then.
        starts = live.rule.effective_from
        if starts > self.clock.date():
            judgement = Judgement(recheck=dt.datetime.combine(starts, dt.time()))
        elif view is None or not view.events:
            judgement = Judgement()
        else:
            judgement = live.judge(live.rule, view)
        self.judgements += 1
        found = list(judgement.findings)
        if state.findings.get(live.rule_id, []) != found:
            self.changed.add(state.case_id)
        if found:
            state.findings[live.rule_id] = found
        else:
            state.findings.pop(live.rule_id, None)
        recheck = judgement.recheck if (live.time_dependent or starts > self.clock.date()) else None
        if live.scope_timed:  # its scope reads the audit time: judge again at the next tick
            later = self.clock + dt.timedelta(microseconds=1)
            recheck = later if recheck is None else min(recheck, later)
        if upcoming is not None:
            recheck = upcoming if recheck is None else min(recheck, upcoming)
        if recheck is not None:
            state.recheck[live.rule_id] = recheck
        else:
            state.recheck.pop(live.rule_id, None)

    def _judge_item(self, live: LiveRule, item_code: str) -> None:
        item = self.reference.items.get(item_code)
        in_force = live.rule.effective_from <= self.clock.date()
        view = None if item is None or not in_force else View({}, item, (), (), self.reference, self.clock)
        found = [] if view is None else list(live.judge(live.rule, view).findings)
        key = (live.rule_id, item_code)
        if self.item_findings.get(key, []) != found:
            self.changed.add(item_code)
        if found:
            self.item_findings[key] = found
        else:
            self.item_findings.pop(key, None)

    # --- the network -----------------------------------------------------------------------------

    def _marker(self, rule_id: str) -> Any:
        """The action of a rule's triggers: judge this rule for the fact's subject."""

        def mark(facts: Facts) -> None:
            fact = facts["m"]
            if fact["t"] == "item":
                self._dirty_items.add((rule_id, fact["item"]))
            else:
                self._dirty.add((rule_id, fact["case"]))

        return mark

    def _on_clock(self, facts: Facts) -> None:
        case_id = facts["d"]["case"]
        state = self.cases.get(case_id)
        if state is None:
            return
        self._dirty.update((rule_id, case_id) for rule_id, at in state.recheck.items() if at <= self.clock)

    def _anything_due(self, now: int) -> bool:
        """Whether some due fact's time has come (the earliest of a heap with stale entries)."""
        heap = self._due_heap
        while heap and self._due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return bool(heap) and heap[0][0] <= now

    def _update_due(self, state: CaseState) -> None:
        moment = state.next_recheck()
        wanted = None if moment is None else micros(moment)
        if self._due.get(state.case_id) == wanted:
            return
        partition = self._partition(state.case_id)
        if state.case_id in self._due:
            self.session.retract_fact(self.pack.ruleset, f"d|{state.case_id}", sid=partition)
            del self._due[state.case_id]
            self._due_in[partition] -= 1
        if wanted is not None:
            self.session.assert_fact(self.pack.ruleset, {
                "id": f"d|{state.case_id}", "sid": partition, "t": "due", "case": state.case_id,
                "at": wanted, "pad": 0})
            self._due[state.case_id] = wanted
            self._due_in[partition] = self._due_in.get(partition, 0) + 1
            heapq.heappush(self._due_heap, (wanted, state.case_id))

    def _touch(self, fact: dict[str, Any], case_id: str | None = None) -> None:
        self._serial += 1
        fact["id"] = f"{fact['t'][0]}|{self._serial}"
        fact["sid"] = self._partition(case_id or fact.get("item", ""))
        self.session.touch(self.pack.ruleset, fact)

    def _partition(self, key: str) -> str:
        return str(zlib.crc32(key.encode("utf-8")) % self.partitions)

    # --- cases and disclosures -------------------------------------------------------------------

    def _state(self, case_id: str) -> CaseState:
        state = self.cases.get(case_id)
        if state is None:
            state = self.cases[case_id] = CaseState(case_id)
            self._attach(state)
        return state

    def _scope(self, state: CaseState) -> dict[str, Any] | None:
        if state.row is None:
            return None
        row = state.row
        item = self.reference.items.get(row.get("item_code") or "") or {}
        return {k: v for k, v in {
            "case_kind": row.get("case_kind"), "item_code": row.get("item_code"), "dept": row.get("dept_code"),
            "platform": row.get("source_system"), "item_kind": item.get("kind"),
        }.items() if isinstance(v, str)}

    def _cases_of(self, disclosure: Row) -> set[str]:
        if disclosure.get("case_id"):
            return {disclosure["case_id"]} if disclosure["case_id"] in self.cases else set()
        return set(self._by_decision.get(disclosure.get("decision_no") or "", set()))

    def _attach(self, state: CaseState) -> bool:
        """Give the case every disclosure that may be its own (judges choose by their rule); True
        when that set changed."""
        ids = set(self._disclosed_case.get(state.case_id, ()))
        for number in self._numbers.get(state.case_id, ()):
            ids |= self._disclosed_decision.get(number, set())
        before = set(state.disclosures)
        state.disclosures = {i: self._disclosures[i] for i in sorted(ids)}
        return before != ids

    def _index_disclosure(self, row: Row) -> None:
        if row.get("case_id"):
            self._disclosed_case.setdefault(row["case_id"], set()).add(row["disclosure_id"])
        elif row.get("decision_no"):
            self._disclosed_decision.setdefault(row["decision_no"], set()).add(row["disclosure_id"])

    def _unindex_disclosure(self, row: Row) -> None:
        for index, key in ((self._disclosed_case, row.get("case_id")),
                           (self._disclosed_decision, row.get("decision_no"))):
            if key:
                index.get(key, set()).discard(row["disclosure_id"])

    def _index_numbers(self, state: CaseState) -> bool:
        """Index the decision numbers a disclosure naming no case may carry for this case: the case's
        ``decision_no`` and its events' document numbers. True when its disclosures changed."""
        numbers = {e["document_no"] for e in state.events if e.get("document_no")}
        if state.row is not None and state.row.get("decision_no"):
            numbers.add(state.row["decision_no"])
        old = self._numbers.get(state.case_id, set())
        if numbers == old:
            return False
        for number in old - numbers:
            self._by_decision.get(number, set()).discard(state.case_id)
        for number in numbers - old:
            self._by_decision.setdefault(number, set()).add(state.case_id)
        self._numbers[state.case_id] = numbers
        return self._attach(state)


def _item_scope(item: Row) -> dict[str, Any]:
    return {k: v for k, v in {"item_code": item.get("item_code"), "item_kind": item.get("kind"),
                              "dept": item.get("dept_code")}.items() if isinstance(v, str)}

