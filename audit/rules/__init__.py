"""Rules as data: the YAML rule language, its pydantic models and the pack loader.

``load_pack(dir)`` reads a folder of rule files; each rule is one of the classes in
:data:`KINDS`, chosen by its ``kind``. Models hold the semantics (see each class docstring, and
``audit.rules.declare`` for the Declare templates); compilers in ``audit.compile`` translate them.
"""

from __future__ import annotations

from audit.rules.base import Expected, Given, Levels, RuleBase, RuleTest, Scope, Yellow, YellowThreshold
from audit.rules.explain import explain
from audit.rules.kinds import (
    KINDS, DeadlineRule, DeclareRule, DisclosureRule, DocumentRule, FieldRule, Limit, OfficerRule, Rule,
    SqlRule,
)
from audit.rules.loader import ErrorPolicy, Pack, PackErrors, default_rules_dir, load_pack, rule_digest

__all__ = [
    "KINDS", "DeadlineRule", "DeclareRule", "DisclosureRule", "DocumentRule", "ErrorPolicy", "Expected",
    "FieldRule", "Given", "Levels", "Limit", "OfficerRule", "Pack", "PackErrors", "Rule", "RuleBase",
    "RuleTest", "Scope", "SqlRule", "Yellow", "YellowThreshold", "default_rules_dir", "explain",
    "load_pack", "rule_digest",
]
