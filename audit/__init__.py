"""How Sunlight checks: the rule model, compilers, runner and flag store.

Stages, one package or module each:

* ``audit.rules``   load and validate rule packs (YAML → pydantic models, one union on ``kind``),
                    the restricted expression language, Declare templates, Chinese explanations;
* ``audit.compile`` compile a rule to a target: ``DuckDBTarget`` builds one SELECT per rule with
                    sqlglot expressions and bound parameters (a Rete target reads the same models);
* ``audit.runner``  run a pack as of a time: bind-check, execute, apply exceptions, hand the
                    findings to the flag store (``audit.flags``) and record the run;
* ``audit.rulecheck`` run every rule's inline tests on an in-memory DuckDB.
"""

from __future__ import annotations
