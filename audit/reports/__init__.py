"""Rectification lists (整改清单): one per department, as Excel and as PDF.

:func:`write_rectification_lists` writes ``<dept_code>_整改清单.xlsx`` and ``.pdf`` for every
department (or one) into a folder; :mod:`audit.reports.data` builds the rows both files show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from audit import scoring
from audit.reports.data import COLUMNS, ListRow, RectificationList, build_lists
from audit.reports.pdf import write_pdf
from audit.reports.xlsx import write_xlsx

__all__ = ["COLUMNS", "ListRow", "RectificationList", "WrittenList", "build_lists", "file_stem", "write_pdf",
           "write_rectification_lists", "write_xlsx"]


@dataclass(frozen=True)
class WrittenList:
    dept_code: str
    dept_name: str
    xlsx: Path
    pdf: Path
    red: int
    yellow: int
    score: float | None
    grade: str | None


def file_stem(dept_code: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in dept_code)
    return f"{safe}_整改清单"


def write_rectification_lists(
    con: duckdb.DuckDBPyConnection, out_dir: Path, *, as_of: dt.datetime,
    config: scoring.ScoringConfig | None = None, depts: Sequence[str] | None = None,
) -> list[WrittenList]:
    """Write each department's list into ``out_dir`` (created if needed); return what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[WrittenList] = []
    for lst in build_lists(con, as_of=as_of, config=config, depts=depts):
        stem = file_stem(lst.dept_code)
        xlsx = write_xlsx(lst, out_dir / f"{stem}.xlsx")
        pdf = write_pdf(lst, out_dir / f"{stem}.pdf")
        written.append(WrittenList(lst.dept_code, lst.dept_name, xlsx, pdf, lst.red, lst.yellow,
                                   lst.score.score if lst.score else None, lst.score.grade if lst.score else None))
    return written
