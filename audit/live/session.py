"""An explicit session around durable_rules: built from ruleset dicts, used, closed.

durable_rules keeps module-level state in its DSL (``durable.lang``: ``_rulesets``, ``_main_host``)
and its ``engine.Host`` starts two daemon ``threading.Timer`` loops that poll for queued messages
and wall-clock timers, logging and swallowing any error an action raises. None of that suits an
auditor, so :class:`ReteSession`:

* is built per run from plain JSON ruleset dicts (what ``ReteTarget`` produces) and a mapping of
  action names to Python callables; nothing is registered at import time and the DSL is never
  used;
* starts no timer threads at all: actions run synchronously inside :meth:`assert_fact`, and time
  enters only as clock-tick facts, so a replay gives the same matches every time;
* re-raises, after the engine call returns, any error an action raised (durable_rules would have
  stored it in the session state and carried on);
* is used from the thread that built it (the C engine is not thread-safe) and is closed after use:
  :meth:`close` deletes its rulesets from the C engine and releases their memory.

Facts need unique ``id`` values: durable_rules recognises a fact by its id, and refuses a second
fact with an id it holds (or, in a large store, with an id whose hash collides with one it holds).
Facts are partitioned by ``sid``; each partition has its own store.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from typing import Any

from audit.live import require_durable
from sunlight.errors import AuditError, Location

Facts = Mapping[str, dict[str, Any]]
"""The facts of one match, by the alias their pattern gave them in the rule."""

Action = Callable[[Facts], None]


class ReteError(AuditError):
    """The live engine failed: an action raised, or durable_rules refused a fact."""


class ReteSession:
    """One durable_rules host holding ``rulesets``; ``actions`` maps each rule's ``run`` name to a
    callable receiving the matched facts by alias. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, rulesets: Mapping[str, Mapping[str, Any]], actions: Mapping[str, Action]) -> None:
        engine = require_durable()
        self._engine = engine
        self._thread = threading.get_ident()
        self._actions = dict(actions)
        self._errors: list[tuple[str, BaseException]] = []
        self._closed = False
        missing = sorted({str(rule.get("run")) for rs in rulesets.values() for rule in rs.values()}
                         - set(self._actions))
        if missing:
            raise ReteError(f"ruleset names actions that were not given: {', '.join(missing)}")
        self._host = _host_class(engine)(self._action)
        # durable_rules deletes "run" from the dicts it is given: hand it a copy.
        self._host.set_rulesets(copy.deepcopy({name: dict(rs) for name, rs in rulesets.items()}))
        self.rulesets = tuple(rulesets)

    # --- facts -----------------------------------------------------------------------------------

    def assert_fact(self, ruleset: str, fact: dict[str, Any]) -> bool:
        """Assert ``fact`` and run the actions it completes; False when no rule pattern took it
        (an event no rule is interested in is not an error)."""
        self._check()
        try:
            self._host.assert_fact(ruleset, fact)
        except self._engine.MessageNotHandledException:
            return False
        except self._engine.MessageObservedException:
            raise ReteError(
                f"durable_rules already holds a fact with id {fact.get('id')!r}",
                hint="fact ids must be unique within a partition (sid); a collision of their hashes in "
                     "a very large partition has the same effect: use more partitions",
            ) from None
        finally:
            self._raise_action_errors()
        return True

    def retract_fact(self, ruleset: str, fact_id: str, *, sid: str | None = None) -> None:
        """Retract the fact with this id (no error when the store does not hold it)."""
        self._check()
        fact: dict[str, Any] = {"id": fact_id}
        if sid is not None:
            fact["sid"] = sid
        try:
            self._host.retract_fact(ruleset, fact)
        except self._engine.MessageNotHandledException:
            pass
        finally:
            self._raise_action_errors()

    def touch(self, ruleset: str, fact: dict[str, Any]) -> bool:
        """Assert ``fact`` and retract it at once: every rule it matches fires once, and nothing stays
        in the store (durable_rules *events* would be consumed by the first rule that takes them)."""
        taken = self.assert_fact(ruleset, fact)
        if taken:
            self.retract_fact(ruleset, str(fact["id"]), sid=fact.get("sid"))
        return taken

    def facts(self, ruleset: str, sid: str | None = None) -> list[dict[str, Any]]:
        """The facts the store holds in partition ``sid`` (default partition: None)."""
        self._check()
        try:
            found: list[dict[str, Any]] = self._host.get_facts(ruleset, sid)
        except Exception as exc:  # durable_rules_engine.error; code 309: no such partition yet
            if "error code: 309" in str(exc):
                return []
            raise ReteError(f"durable_rules could not list facts: {exc}") from exc
        return found

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release the C engine's rulesets and any timer; the session cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        for attribute in ("_d_timer", "_t_timer"):
            timer = getattr(self._host, attribute, None)
            if timer is not None:
                timer.cancel()
        import durable_rules_engine  # type: ignore[import-not-found]

        for ruleset in getattr(self._host, "_ruleset_list", []):
            durable_rules_engine.delete_ruleset(ruleset._handle)
        self._host._ruleset_list = []
        self._host._ruleset_directory = {}

    def __enter__(self) -> ReteSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise ReteError("the live session is closed")
        if threading.get_ident() != self._thread:
            raise ReteError("a live session must be used from the thread that built it",
                            hint="durable_rules' C engine is not thread-safe; hand events to that thread")

    def _action(self, name: str) -> Callable[[Any], None]:
        action = self._actions[name]

        def run(closure: Any) -> None:  # durable_rules requires exactly one parameter
            try:
                action(_matched(closure))
            except BaseException as exc:  # noqa: BLE001 - re-raised after the engine call returns
                self._errors.append((name, exc))

        return run

    def _raise_action_errors(self) -> None:
        if not self._errors:
            return
        (name, exc), self._errors = self._errors[0], []
        raise ReteError(f"live action {name} failed: {type(exc).__name__}: {exc}",
                        location=Location(rule_id=name.split(":", 1)[0])) from exc


def _matched(closure: Any) -> dict[str, dict[str, Any]]:
    """The facts of a durable_rules closure, as plain dicts by alias."""
    message = closure._m
    if isinstance(message, dict):
        return {alias: dict(fact) for alias, fact in message.items()}
    return {f"m_{i}": dict(fact._d) for i, fact in enumerate(getattr(closure, "m", []) or [])}


def _host_class(engine: Any) -> type:
    """A durable_rules ``Host`` that starts no timer threads and resolves actions by name."""

    class _Host(engine.Host):  # type: ignore[misc]
        def __init__(self, resolve: Callable[[str], Callable[[Any], None]]) -> None:
            self._resolve = resolve
            super().__init__()

        def _run(self) -> None:
            """No dispatch or timer threads: every action runs inside the call that caused it."""

        def get_action(self, action_name: str) -> Callable[[Any], None]:
            return self._resolve(action_name)

        def load_ruleset(self, ruleset_name: str) -> Any:
            raise ReteError(f"no ruleset named {ruleset_name!r} in this live session")

    return _Host
