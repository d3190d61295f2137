"""Compilers from rule models to engines: ``Target`` (the contract) and ``DuckDBTarget``."""

from __future__ import annotations

from audit.compile.base import FINDINGS_COLUMNS, CompiledRule, Target
from audit.compile.duckdb import DuckDBTarget

__all__ = ["FINDINGS_COLUMNS", "CompiledRule", "DuckDBTarget", "Target"]
