"""WHERE clauses: the viewer's scope, and filters chosen in widgets, as SQL text with bound values.

Only fixed SQL text written here ever reaches a query; every value a user chose travels as a bound
parameter, and choices that name columns or sort orders go through whitelists (``ORDERINGS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboard.viewer import Viewer

NOTHING = "FALSE"


@dataclass(frozen=True)
class Clause:
    """A piece of WHERE: fixed SQL text with ``?`` placeholders and its values in order."""

    sql: str = "TRUE"
    params: tuple[Any, ...] = field(default_factory=tuple)

    def __and__(self, other: Clause) -> Clause:
        if self.sql == "TRUE":
            return other
        if other.sql == "TRUE":
            return self
        return Clause(f"({self.sql}) AND ({other.sql})", self.params + other.params)


def all_of(clauses: Iterable[Clause]) -> Clause:
    result = Clause()
    for clause in clauses:
        result = result & clause
    return result


def flags(viewer: Viewer, alias: str = "f") -> Clause:
    """Flags the viewer may see: all (inspector), own department's or ordered to it (head), none."""
    if viewer.is_inspector:
        return Clause()
    if viewer.is_department:
        return Clause(
            f"({alias}.dept_code = ? OR EXISTS (SELECT 1 FROM supervision_orders so "
            f"WHERE so.flag_id = {alias}.flag_id AND so.dept_code = ?))",
            (viewer.dept_code, viewer.dept_code),
        )
    return Clause(NOTHING)


def cases(viewer: Viewer, alias: str = "c") -> Clause:
    """Cases the viewer may open: own department's, or a case of a flag ordered to it."""
    if viewer.is_inspector:
        return Clause()
    if viewer.is_department:
        return Clause(
            f"({alias}.dept_code = ? OR {alias}.case_id IN (SELECT sf.case_id FROM flags sf "
            "JOIN supervision_orders so ON so.flag_id = sf.flag_id WHERE so.dept_code = ?))",
            (viewer.dept_code, viewer.dept_code),
        )
    return Clause(NOTHING)


def orders(viewer: Viewer, alias: str = "o") -> Clause:
    if viewer.is_inspector:
        return Clause()
    if viewer.is_department:
        return Clause(f"{alias}.dept_code = ?", (viewer.dept_code,))
    return Clause(NOTHING)


def departments(viewer: Viewer, column: str) -> Clause:
    """Rows keyed by a department column: all for inspectors, own for heads, none for the public."""
    if viewer.is_inspector:
        return Clause()
    if viewer.is_department:
        return Clause(f"{column} = ?", (viewer.dept_code,))
    return Clause(NOTHING)


def internal(viewer: Viewer) -> Clause:
    """Rows for inspectors only (runs, data quality)."""
    return Clause() if viewer.is_inspector else Clause(NOTHING)


def one_of(column: str, values: Sequence[str] | None, allowed: Iterable[str] | None = None) -> Clause:
    """``column`` in ``values``; values outside ``allowed`` are dropped. No values: no condition."""
    if not values:
        return Clause()
    chosen = [str(v) for v in values if allowed is None or v in set(allowed)]
    if not chosen:
        return Clause(NOTHING)
    return Clause(f"list_contains(?::VARCHAR[], {column})", (chosen,))


def date_range(column: str, start: dt.date | None, end: dt.date | None) -> Clause:
    clause = Clause()
    if start is not None:
        clause = clause & Clause(f"{column} >= ?", (dt.datetime.combine(start, dt.time()),))
    if end is not None:
        clause = clause & Clause(f"{column} < ?", (dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),))
    return clause


def ordering(choice: str, orderings: dict[str, str], default: str) -> str:
    """The ORDER BY text for a whitelisted choice; anything else falls back to ``default``."""
    return orderings.get(choice, orderings[default])


@dataclass(frozen=True)
class Page:
    """One page of a list: 1-based number and size, clamped to sane bounds."""

    number: int = 1
    size: int = 50

    @property
    def limit(self) -> int:
        return max(1, min(int(self.size), 500))

    @property
    def offset(self) -> int:
        return (max(1, int(self.number)) - 1) * self.limit


@dataclass(frozen=True)
class PageOf:
    """A page of rows and the total the same WHERE matches."""

    rows: Any  # a pandas DataFrame
    total: int
    page: Page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page.limit))
