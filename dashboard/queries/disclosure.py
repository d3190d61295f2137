"""执法结果公示: every decision that must be published, when it was, and the working-day lag.

A decision is a case's first PENALTY_DECISION (enforcement) or first DECIDE of a 行政许可 granted
(准予), for items with a disclosure limit; its number is the case's decision number, else the
document number of that event. Its publication is the first disclosure of the case (or,
when the disclosure names no case, of its decision number). The lag is counted on the calendar
table: ``workday_no(published date) - workday_no(decision date)`` working days. Not yet published
and beyond the limit as of the last audit: 超期未公示; within it: 待公示. Only disclosures published
by the audit time count, as in the audit's disclosure rules.

Finding the decisions takes one pass over the events (a few seconds for a million cases), so
:func:`facts` returns them as a narrow Arrow table that the dashboard computes once per database
version (:mod:`dashboard.decision_facts`); lists and counts then filter, sort and page that table
in DuckDB, and fetch the display text for the rows of one page only.

The public sees the same list, with natural persons' names, ID numbers and phone numbers masked
(:mod:`dashboard.masking`), and no internal columns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from dashboard import masking
from dashboard.queries import scope
from dashboard.queries.scope import Clause, Page, PageOf
from dashboard.viewer import Viewer

STATUSES = ("on_time", "late", "missing", "waiting")
PUBLIC_COLUMNS = ["decision_no", "dept_name", "item_name", "party", "cause", "fine_amount", "decided_at",
                  "published_at", "lag_days", "limit_days", "status", "content", "url"]

# One row per decision that must be published: the narrow facts every list, filter and count needs.
# Text shown only on a page (party, cause, published content) is fetched for that page's rows.
FACTS_SQL = """
WITH decided AS (
    SELECT e.case_id, min(e.ts) AS decided_at, arg_min(e.document_no, e.ts) AS decision_doc
    FROM events e WHERE e.activity IN ('PENALTY_DECISION', 'DECIDE') GROUP BY e.case_id
),
pub_case AS (
    SELECT case_id, arg_min(disclosure_id, published_at) AS disclosure_id, min(published_at) AS published_at
    FROM disclosures WHERE case_id IS NOT NULL AND published_at <= $as_of GROUP BY case_id
),
pub_no AS (
    SELECT decision_no, arg_min(disclosure_id, published_at) AS disclosure_id, min(published_at) AS published_at
    FROM disclosures WHERE case_id IS NULL AND published_at <= $as_of GROUP BY decision_no
),
base AS (
    SELECT c.case_id, c.dept_code, c.item_code, coalesce(c.decision_no, dc.decision_doc) AS decision_no,
           c.fine_amount, dc.decided_at, i.disclosure_limit AS limit_days,
           coalesce(pc.disclosure_id, pn.disclosure_id) AS disclosure_id,
           coalesce(pc.published_at, pn.published_at) AS published_at
    FROM cases c
    JOIN items i ON i.item_code = c.item_code
    JOIN decided dc ON dc.case_id = c.case_id
    LEFT JOIN pub_case pc ON pc.case_id = c.case_id
    LEFT JOIN pub_no pn ON pn.decision_no = coalesce(c.decision_no, dc.decision_doc)
    WHERE i.disclosure_limit IS NOT NULL
      AND (c.case_kind = 'enforcement' OR (i.kind = '行政许可' AND c.close_result = '准予'))
),
lagged AS (
    SELECT b.*, cp.workday_no - cd.workday_no AS lag_days,
           (SELECT workday_no FROM calendar WHERE day = $as_of::DATE) - cd.workday_no AS elapsed_days
    FROM base b
    LEFT JOIN calendar cd ON cd.day = b.decided_at::DATE
    LEFT JOIN calendar cp ON cp.day = b.published_at::DATE
)
SELECT * EXCLUDE (elapsed_days), CASE
        WHEN published_at IS NOT NULL AND lag_days > limit_days THEN 'late'
        WHEN published_at IS NOT NULL THEN 'on_time'
        WHEN elapsed_days > limit_days THEN 'missing'
        ELSE 'waiting' END AS status
FROM lagged
"""
FACTS_VIEW = "_sunlight_decision_facts"


def facts(con: duckdb.DuckDBPyConnection, as_of: dt.datetime) -> pa.Table:
    """Every decision's facts as of ``as_of`` (one pass over the events): cache it per database."""
    cursor = con.cursor()  # its own result stream, whatever the connection was last used for
    try:
        relation = cursor.sql(FACTS_SQL, params={"as_of": as_of})
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB 2 / 1.x
        table: pa.Table = fetch()
    finally:
        cursor.close()
    return table


@dataclass(frozen=True)
class DisclosureFilter:
    statuses: tuple[str, ...] = ()
    depts: tuple[str, ...] = ()
    decided_from: dt.date | None = None
    decided_to: dt.date | None = None

    def clause(self) -> Clause:
        return scope.all_of([
            scope.one_of("x.status", self.statuses, STATUSES),
            scope.one_of("x.dept_code", self.depts),
            scope.date_range("x.decided_at", self.decided_from, self.decided_to),
        ])


def _scope(viewer: Viewer) -> Clause:
    """Inspectors and the public see every department (the public masked); a head sees their own."""
    if viewer.is_department:
        return Clause("x.dept_code = ?", (viewer.dept_code,))
    return Clause()


def departments(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> list[tuple[str, str]]:
    """Departments for the filter: all (department names are public), or a head's own."""
    where = _scope(viewer)
    return [(r[0], r[1]) for r in con.execute(
        f"SELECT x.dept_code, x.name FROM departments x WHERE {where.sql} ORDER BY 1", list(where.params)).fetchall()]


@contextlib.contextmanager
def _facts_view(con: duckdb.DuckDBPyConnection, table: pa.Table | None,
                as_of: dt.datetime) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of ``con`` on which ``FACTS_VIEW`` names the decision facts (the cached table, or
    computed now); its own cursor, so an unfinished result on ``con`` does not get in the way."""
    if table is None:
        table = facts(con, as_of)
    cursor = con.cursor()
    cursor.register(FACTS_VIEW, table)
    try:
        yield cursor
    finally:
        cursor.unregister(FACTS_VIEW)
        cursor.close()


def decisions(con: duckdb.DuckDBPyConnection, viewer: Viewer, flt: DisclosureFilter, page: Page,
              as_of: dt.datetime, table: pa.Table | None = None) -> PageOf:
    """One page of decisions, most urgent first (missing and late, then by lag), and the total.

    ``table`` is :func:`facts` computed earlier for this database; without it the facts are
    computed now. Filtering, counting, sorting and paging run in DuckDB either way.
    """
    where = _scope(viewer) & flt.clause()
    with _facts_view(con, table, as_of) as cur:
        total_row = cur.execute(f"SELECT count(*) FROM {FACTS_VIEW} x WHERE {where.sql}",
                                list(where.params)).fetchall()[0]
        df = cur.execute(
            f"""
            WITH page AS (
                SELECT x.* FROM {FACTS_VIEW} x WHERE {where.sql}
                ORDER BY CASE x.status WHEN 'missing' THEN 1 WHEN 'late' THEN 2 WHEN 'waiting' THEN 3 ELSE 4 END,
                         x.lag_days DESC NULLS LAST, x.decided_at DESC, x.case_id
                LIMIT ? OFFSET ?
            )
            SELECT page.*, d.name AS dept_name, i.name AS item_name, c.applicant_type, c.applicant_name, c.cause,
                   p.url, p.content, p.party_name
            FROM page JOIN cases c ON c.case_id = page.case_id
            LEFT JOIN items i ON i.item_code = page.item_code
            LEFT JOIN departments d ON d.dept_code = page.dept_code
            LEFT JOIN disclosures p ON p.disclosure_id = page.disclosure_id
            ORDER BY CASE page.status WHEN 'missing' THEN 1 WHEN 'late' THEN 2 WHEN 'waiting' THEN 3 ELSE 4 END,
                     page.lag_days DESC NULLS LAST, page.decided_at DESC, page.case_id
            """,
            [*where.params, page.limit, page.offset],
        ).df()
    if viewer.is_public:
        df = to_public(df)
    return PageOf(df, int(total_row[0]) if total_row else 0, page)


def summary(con: duckdb.DuckDBPyConnection, viewer: Viewer, flt: DisclosureFilter, as_of: dt.datetime,
            table: pa.Table | None = None) -> dict[str, int]:
    where = _scope(viewer) & flt.clause()
    with _facts_view(con, table, as_of) as cur:
        rows = cur.execute(f"SELECT x.status, count(*) FROM {FACTS_VIEW} x WHERE {where.sql} GROUP BY x.status",
                           list(where.params)).fetchall()
    counts = {status: 0 for status in STATUSES}
    counts.update({str(k): int(v) for k, v in rows})
    counts["total"] = sum(counts[s] for s in STATUSES)
    return counts


def to_public(df: pd.DataFrame) -> pd.DataFrame:
    """The public columns only, personal data masked."""
    out = pd.DataFrame(index=df.index)
    kinds = list(df["applicant_type"])
    parties = [p if isinstance(p, str) and p else a
               for p, a in zip(df["party_name"], df["applicant_name"], strict=True)]
    person_names = tuple(sorted({
        name for row_names, kind in zip(zip(df["party_name"], df["applicant_name"], strict=True), kinds, strict=True)
        for name in row_names if isinstance(name, str) and name and masking.party_is_person(name, kind)
    }))
    for column in PUBLIC_COLUMNS:
        if column == "party":
            out[column] = [masking.mask_party(p if isinstance(p, str) else None, k)
                           for p, k in zip(parties, kinds, strict=True)]
        elif column == "content":
            out[column] = [masking.mask_text(c if isinstance(c, str) else "", names=person_names)
                           for c in df["content"]]
        elif column in ("cause", "decision_no", "item_name", "dept_name"):
            out[column] = [masking.mask_text(v, names=person_names) if isinstance(v, str) else v for v in df[column]]
        else:
            out[column] = df[column]
    return out.reset_index(drop=True)
