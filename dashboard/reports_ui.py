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
def rectification_files(db: Database, dept_code: str, as_of: dt.datetime) -> tuple[bytes, bytes, str]:
    """(xlsx bytes, pdf bytes, file stem) of one department's list as of ``as_of``."""
    from audit import reports

    with db.read() as con:
        lists = reports.build_lists(con, as_of=as_of, depts=[dept_code])
    if not lists:
        raise LookupError(dept_code)
    stem = reports.file_stem(dept_code)
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = reports.write_xlsx(lists[0], Path(tmp) / f"{stem}.xlsx").read_bytes()
        pdf = reports.write_pdf(lists[0], Path(tmp) / f"{stem}.pdf").read_bytes()
    return xlsx, pdf, stem


def downloads(db: Database, viewer: Viewer, dept_code: str, *, key: str) -> None:
    """The two buttons; only for inspectors and the department's own head."""
    if not (viewer.is_inspector or (viewer.is_department and viewer.dept_code == dept_code)):
        return
    try:
        xlsx, pdf, stem = rectification_files(db, dept_code, data.as_of(db))
    except LookupError:
        st.caption("该部门暂无整改清单。")
        return
    left, right = st.columns(2)
    left.download_button("下载整改清单（Excel）", xlsx, file_name=f"{stem}.xlsx", key=f"{key}_xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button("下载整改清单（PDF）", pdf, file_name=f"{stem}.pdf", key=f"{key}_pdf",
                          mime="application/pdf")
