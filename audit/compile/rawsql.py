"""``sql`` rules → the author's query, checked again and wrapped into the findings contract.

The query is re-checked here (:func:`audit.rules.sqlcheck.check_query`) so a model built in code
cannot bypass the loader. ``$as_of`` becomes ``CAST($as_of AS TIMESTAMP)``; the header columns
come from the rule as bound parameters; absent optional columns are NULL (occurrence: '').
"""

from __future__ import annotations

from sqlglot import exp

from audit.compile.common import Query
from audit.compile.sqlkit import col, lit
from audit.rules import sqlcheck
from audit.rules.kinds import SqlRule


def build(q: Query, rule: SqlRule) -> exp.Select:
    query = sqlcheck.check_query(rule.query)
    names = sqlcheck.output_columns(query)

    def typed(node: exp.Expr) -> exp.Expr:
        if isinstance(node, (exp.Placeholder, exp.Parameter)) and node.name == "as_of":
            return q.as_of()
        return node

    checked = query.transform(typed)
    assert isinstance(checked, exp.Query)
    values: dict[str, exp.Expr] = {name: col("rq", name) for name in names}
    if "violation_code" not in values:
        values["violation_code"] = q.text(rule.violation_code)
    values.setdefault("occurrence", lit(""))
    final = exp.select(*q.findings(values)).from_(checked.subquery("rq"))
    return q.finish(final)
