"""One case: its record, every step in order, pauses, extension, flags, documents, fee, officers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from dashboard.queries import flags as flag_queries
from dashboard.queries import scope
from dashboard.queries.scope import Clause
from dashboard.viewer import Viewer

PAUSES: dict[str, tuple[str, str]] = {
    "SUPPLEMENT_NOTICE": ("SUPPLEMENT_RECEIVED", "补正期间"),
    "SUSPEND": ("RESUME", "特别程序期间"),
}


@dataclass(frozen=True)
class Pause:
    kind: str
    start: dt.datetime
    end: dt.datetime | None  # None: still paused at the audit time


@dataclass(frozen=True)
class CaseView:
    case: dict[str, Any]
    events: pd.DataFrame
    flags: pd.DataFrame
    officers: pd.DataFrame
    disclosures: pd.DataFrame
    pauses: list[Pause] = field(default_factory=list)
    as_of: dt.datetime | None = None

    @property
    def documents(self) -> pd.DataFrame:
        docs = self.events[self.events["document_no"].notna() & (self.events["document_no"] != "")]
        return docs[["seq", "activity", "ts", "document_type", "document_no"]]

    @property
    def extensions(self) -> pd.DataFrame:
        return self.events[self.events["activity"] == "EXTEND"]

    @property
    def fee_status(self) -> str:
        charged = self.case.get("fee_charged")
        standard = self.case.get("fee_standard")
        if charged is None or pd.isna(charged) or float(charged) == 0:
            return "未收费"
        if standard is None or pd.isna(standard) or float(standard) == 0:
            return "免费事项收取费用"
        if float(charged) > float(standard):
            return "收费高于公示标准"
        return "收费符合公示标准"


def case_exists_for(con: duckdb.DuckDBPyConnection, viewer: Viewer, case_id: str) -> bool:
    where = scope.cases(viewer) & Clause("c.case_id = ?", (case_id,))
    row = con.execute(f"SELECT count(*) FROM cases c WHERE {where.sql}", list(where.params)).fetchone()
    return bool(row and row[0])


def load_case(con: duckdb.DuckDBPyConnection, viewer: Viewer, case_id: str) -> CaseView | None:
    """The whole case, or None when it does not exist or the viewer may not open it."""
    where = scope.cases(viewer) & Clause("c.case_id = ?", (case_id,))
    df = con.execute(
        "SELECT c.*, i.name AS item_name, i.kind AS item_kind, i.legal_limit, i.promised_limit, i.limit_unit,"
        " i.fee_standard, i.fee_basis, i.disclosure_limit, d.name AS dept_name"
        " FROM cases c LEFT JOIN items i ON i.item_code = c.item_code"
        f" LEFT JOIN departments d ON d.dept_code = c.dept_code WHERE {where.sql}",
        list(where.params),
    ).df()
    if df.empty:
        return None
    case = df.iloc[0].to_dict()
    case.pop("applicant_id_hash", None)
    events = con.execute(
        "SELECT event_id, seq, activity, source_activity, ts, actor_id, officer_ids, dept_code, document_type,"
        " document_no, amount, attrs::VARCHAR AS attrs, source_system, source_file, source_row"
        " FROM events WHERE case_id = ? ORDER BY seq",
        [case_id],
    ).df()
    officers = con.execute(
        """
        WITH present AS (
            SELECT DISTINCT unnest(officer_ids) AS officer_id, seq, activity, ts::DATE AS on_day
            FROM events WHERE case_id = ? AND officer_ids IS NOT NULL
        )
        SELECT p.seq, p.activity, p.on_day, p.officer_id, o.name, o.dept_code, o.cert_no, o.cert_valid_from,
               o.cert_valid_to,
               (o.cert_no IS NOT NULL AND p.on_day BETWEEN o.cert_valid_from AND o.cert_valid_to) AS cert_valid
        FROM present p LEFT JOIN officers o ON o.officer_id = p.officer_id
        ORDER BY p.seq, p.officer_id
        """,
        [case_id],
    ).df()
    disclosures = con.execute(
        "SELECT disclosure_id, decision_no, published_at, withdrawn_at, url, title, party_name, fine_amount,"
        " content FROM disclosures WHERE case_id = ? OR (case_id IS NULL AND decision_no = ?) ORDER BY published_at",
        [case_id, case.get("decision_no")],
    ).df()
    row = con.execute("SELECT max(as_of) FROM runs WHERE status <> 'failed'").fetchone()
    return CaseView(
        case=case,
        events=events,
        flags=flag_queries.flags_of_case(con, viewer, case_id),
        officers=officers,
        disclosures=disclosures,
        pauses=find_pauses(events),
        as_of=row[0] if row else None,
    )


def find_pauses(events: pd.DataFrame) -> list[Pause]:
    """Pauses in seq order: a begin event up to the next matching end event (or still open)."""
    pauses: list[Pause] = []
    open_at: dict[str, dt.datetime] = {}
    for activity, ts in zip(events["activity"], events["ts"], strict=True):
        if activity in PAUSES and activity not in open_at:
            open_at[activity] = ts
            continue
        for begin, (end, _) in PAUSES.items():
            if activity == end and begin in open_at:
                pauses.append(Pause(begin, open_at.pop(begin), ts))
    pauses += [Pause(kind, start, None) for kind, start in open_at.items()]
    return sorted(pauses, key=lambda p: p.start)


def search_cases(con: duckdb.DuckDBPyConnection, viewer: Viewer, text: str, *, limit: int = 20) -> pd.DataFrame:
    """Cases whose id or source case number contains ``text`` (a bound value), within scope."""
    text = text.strip()
    if not text:
        return pd.DataFrame(columns=["case_id", "item_name", "dept_name", "submitted_at"])
    where = scope.cases(viewer) & Clause("(contains(c.case_id, ?) OR contains(c.source_case_no, ?))", (text, text))
    return con.execute(
        "SELECT c.case_id, i.name AS item_name, d.name AS dept_name, c.submitted_at FROM cases c"
        " LEFT JOIN items i ON i.item_code = c.item_code LEFT JOIN departments d ON d.dept_code = c.dept_code"
        f" WHERE {where.sql} ORDER BY c.case_id LIMIT ?",
        [*where.params, limit],
    ).df()
