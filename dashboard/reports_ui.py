"""Download buttons for a department's rectification list (整改清单).

The files are made by ``audit.reports`` (``build_lists`` + ``write_xlsx``/``write_pdf``), the same
functions the nightly batch uses, so the download and the nightly file say the same.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import streamlit as st

from dashboard import data
from dashboard.store import Database
from dashboard.viewer import Viewer


@st.cache_data(ttl=600, show_spinner=False, hash_funcs={Database: lambda db: db.token()}, max_entries=200)
def rectification_file(db: Database, dept_code: str, as_of: dt.datetime, kind: str) -> bytes:
    """One department's list as ``kind`` ("xlsx" or "pdf") as of ``as_of``."""
    from audit import reports

    with db.read() as con:
        lists = reports.build_lists(con, as_of=as_of, depts=[dept_code])
    if not lists:
        raise LookupError(dept_code)
    writer = reports.write_xlsx if kind == "xlsx" else reports.write_pdf
    with tempfile.TemporaryDirectory() as tmp:
        return writer(lists[0], Path(tmp) / f"{reports.file_stem(dept_code)}.{kind}").read_bytes()


def downloads(db: Database, viewer: Viewer, dept_code: str, *, key: str) -> None:
    """The two buttons; only for inspectors and the department's own head. The files are built when
    a button is pressed, not when the page is shown."""
    if not (viewer.is_inspector or (viewer.is_department and viewer.dept_code == dept_code)):
        return
    from audit.reports import file_stem

    as_of = data.as_of(db)
    stem = file_stem(dept_code)
    left, right = st.columns(2)
    left.download_button("下载整改清单（Excel）", lambda: rectification_file(db, dept_code, as_of, "xlsx"),
                         file_name=f"{stem}.xlsx", key=f"{key}_xlsx", on_click="ignore",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button("下载整改清单（PDF）", lambda: rectification_file(db, dept_code, as_of, "pdf"),
                          file_name=f"{stem}.pdf", key=f"{key}_pdf", on_click="ignore", mime="application/pdf")
