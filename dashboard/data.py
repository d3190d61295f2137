"""The pages' data: each function opens a short read-only connection and runs one query function.

Results are cached with ``st.cache_data`` keyed by the database file's fingerprint (so an applied
action or a nightly swap is seen at once) and the viewer's role and department (never by user
name: two heads of one department share entries, two departments never do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import decision_facts
from dashboard.queries import cases, disclosure, overview, rectification, rules, runs
from dashboard.queries import flags as flag_queries
from dashboard.queries.scope import Page, PageOf
from dashboard.store import Database
from dashboard.viewer import Viewer

_HASH: dict[Any, Any] = {Database: lambda db: db.token(), Viewer: lambda v: v.cache_key}
_TTL = 600


def _cached(func: Any) -> Any:
    return st.cache_data(ttl=_TTL, show_spinner=False, hash_funcs=_HASH, max_entries=2000)(func)


@_cached
def as_of(db: Database) -> dt.datetime:
    with db.read() as con:
        found = overview.as_of(con)
    return found or dt.datetime.now().replace(microsecond=0)


# --- overview ---------------------------------------------------------------------------------------

@_cached
def overview_data(db: Database, viewer: Viewer) -> dict[str, Any]:
    with db.read() as con:
        return {
            "totals": overview.totals(con, viewer),
            "by_department": overview.by_department(con, viewer),
            "by_category": overview.by_category(con, viewer),
            "by_week": overview.by_week(con, viewer),
            "changes": overview.last_run_changes(con, viewer),
            "scores": overview.worst_departments(con, viewer),
            "as_of": overview.as_of(con),
        }


# --- flags ------------------------------------------------------------------------------------------

@_cached
def flag_options(db: Database, viewer: Viewer) -> flag_queries.FilterOptions:
    with db.read() as con:
        return flag_queries.filter_options(con, viewer)


@_cached
def flags_page(db: Database, viewer: Viewer, flt: flag_queries.FlagFilter, page: Page, order: str) -> PageOf:
    with db.read() as con:
        return flag_queries.list_flags(con, viewer, flt, page, order)


@_cached
def flag_detail(db: Database, viewer: Viewer, flag_id: str) -> dict[str, Any] | None:
    with db.read() as con:
        flag = flag_queries.get_flag(con, viewer, flag_id)
        if flag is None:
            return None
        return {
            "flag": flag,
            "history": flag_queries.flag_history(con, viewer, flag_id),
            "orders": flag_queries.orders_of_flag(con, viewer, flag_id),
        }


# --- cases ------------------------------------------------------------------------------------------

@_cached
def case_view(db: Database, viewer: Viewer, case_id: str) -> cases.CaseView | None:
    with db.read() as con:
        return cases.load_case(con, viewer, case_id)


@_cached
def case_search(db: Database, viewer: Viewer, text: str) -> pd.DataFrame:
    with db.read() as con:
        return cases.search_cases(con, viewer, text)


# --- disclosure -------------------------------------------------------------------------------------

@_cached
def disclosure_page(db: Database, viewer: Viewer, flt: disclosure.DisclosureFilter, page: Page) -> PageOf:
    as_of, table = decision_facts.get(db)  # one pass over the events per database version
    with db.read() as con:
        return disclosure.decisions(con, viewer, flt, page, as_of, table)


@_cached
def disclosure_summary(db: Database, viewer: Viewer, flt: disclosure.DisclosureFilter) -> dict[str, int]:
    as_of, table = decision_facts.get(db)
    with db.read() as con:
        return disclosure.summary(con, viewer, flt, as_of, table)


@_cached
def disclosing_departments(db: Database, viewer: Viewer) -> list[tuple[str, str]]:
    with db.read() as con:
        return disclosure.departments(con, viewer)


# --- rectification ----------------------------------------------------------------------------------

@_cached
def departments(db: Database, viewer: Viewer) -> list[tuple[str, str]]:
    with db.read() as con:
        return rectification.departments(con, viewer)


@_cached
def rectification_summary(db: Database, viewer: Viewer, today: dt.date) -> pd.DataFrame:
    with db.read() as con:
        return rectification.summary(con, viewer, today)


@_cached
def orders(db: Database, viewer: Viewer, dept_code: str | None, statuses: tuple[str, ...] = ()) -> pd.DataFrame:
    with db.read() as con:
        return rectification.orders(con, viewer, dept_code, statuses)


# --- rules ------------------------------------------------------------------------------------------

@_cached
def rule_hits(db: Database, viewer: Viewer) -> pd.DataFrame:
    with db.read() as con:
        return rules.hits_by_week(con, viewer)


@_cached
def rule_versions(db: Database) -> pd.DataFrame:
    with db.read() as con:
        return rules.versions(con)


# --- runs and data quality --------------------------------------------------------------------------

@_cached
def run_history(db: Database, viewer: Viewer) -> pd.DataFrame:
    with db.read() as con:
        return runs.runs(con, viewer)


@_cached
def load_files(db: Database, viewer: Viewer, page: Page) -> PageOf:
    with db.read() as con:
        return runs.load_files(con, viewer, page)


@_cached
def quarantine(db: Database, viewer: Viewer, page: Page, file_name: str | None) -> PageOf:
    with db.read() as con:
        return runs.quarantine(con, viewer, page, file_name)


@_cached
def quarantine_files(db: Database, viewer: Viewer) -> list[str]:
    with db.read() as con:
        return runs.quarantine_files(con, viewer)
