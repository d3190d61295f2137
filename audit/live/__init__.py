"""Live supervision: the rule pack on durable_rules, fed events as they arrive.

Stages, one module each:

* ``audit.live.compile``  ``ReteTarget``: rule objects → durable_rules JSON rulesets (the network
                          that decides which rule must look at which case, and when) plus one
                          judge per rule (what the finding is, with the batch's message);
* ``audit.live.session``  ``ReteSession``: one explicit durable_rules host built from those dicts,
                          without timer threads, closed after use;
* ``audit.live.engine``   ``LiveEngine``: per-case state, clock ticks, the current findings;
* ``audit.live.feed``     where events come from (JSON lines, a DuckDB database, an inbox folder);
* ``audit.live.cli``      ``sunlight watch`` and ``sunlight replay``.

durable_rules builds from source and has no release for Python 3.13 and later. Importing this
package never imports it: :func:`require_durable` does, and turns its absence into
:class:`sunlight.errors.LiveEngineUnavailable` (exit code 8) with a message that says so.
"""

from __future__ import annotations

import sys
from types import ModuleType

from sunlight.errors import LiveEngineUnavailable

SUPPORTED_PYTHON = (3, 12)


def require_durable() -> ModuleType:
    """Return ``durable.engine``, or raise :class:`LiveEngineUnavailable` explaining why not."""
    try:
        from durable import engine  # type: ignore[import-untyped]
    except ImportError as exc:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        if tuple(sys.version_info[:2]) > SUPPORTED_PYTHON:
            message = (
                f"实时引擎（sunlight watch / replay）需要 durable_rules，它只支持 Python 3.12 及以下，"
                f"当前是 Python {version}；其余命令（ingest、audit、dashboard ……）照常可用 / "
                f"the live engine needs durable_rules, which supports Python <= 3.12 only "
                f"(this is Python {version}); every other command works"
            )
            hint = ("用 Python 3.11 或 3.12 建一个虚拟环境来运行实时引擎："
                    "python3.12 -m venv .venv && .venv/bin/pip install -e .")
        else:
            message = (
                f"实时引擎需要 durable_rules，但没有安装（{exc}）/ "
                f"the live engine needs durable_rules, which is not installed"
            )
            hint = "pip install 'durable-rules>=2.0.28'（需要 C 编译器）"
        raise LiveEngineUnavailable(message, hint=hint) from exc
    module: ModuleType = engine
    return module
