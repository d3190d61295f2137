"""Rectification lists (整改清单): one per department, as Excel and as PDF.

:func:`write_rectification_lists` writes ``<dept_code>_整改清单.xlsx`` and ``.pdf`` for every
department (or one) into a folder; :mod:`audit.reports.data` builds the rows both files show. Many
rows are written by one worker process per core (typesetting the PDF is pure Python and takes
most of a nightly run at a million cases); the content is the same either way.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

import duckdb

from audit import scoring
from audit.reports.data import COLUMNS, ListRow, RectificationList, build_lists
from audit.reports.pdf import write_pdf
from audit.reports.xlsx import write_xlsx
from sunlight.workers import spawn_pool

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


PARALLEL_ROWS = 5000  # below this many rows in all, starting worker processes costs more than it saves


def _write_pair(lst: RectificationList, out_dir: Path) -> tuple[Path, Path]:
    stem = file_stem(lst.dept_code)
    return write_xlsx(lst, out_dir / f"{stem}.xlsx"), write_pdf(lst, out_dir / f"{stem}.pdf")


def write_rectification_lists(
    con: duckdb.DuckDBPyConnection, out_dir: Path, *, as_of: dt.datetime,
    config: scoring.ScoringConfig | None = None, depts: Sequence[str] | None = None, workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[WrittenList]:
    """Write each department's list into ``out_dir`` (created if needed); return what was written.

    ``workers``: processes that write files (default: one per core when there are many rows).
    ``progress(dept_code, done, total)`` is told each department whose files are written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lists = build_lists(con, as_of=as_of, config=config, depts=depts)
    tell = progress or (lambda _dept, _done, _total: None)
    if workers is None:
        many = sum(len(lst.rows) for lst in lists) >= PARALLEL_ROWS
        workers = min(os.cpu_count() or 1, len(lists)) if many else 1
    paths: list[tuple[Path, Path]] = []
    if workers > 1:
        with spawn_pool(workers) as pool:
            largest_first = sorted(range(len(lists)), key=lambda i: -len(lists[i].rows))
            futures = {pool.submit(_write_pair, lists[i], out_dir): i for i in largest_first}
            done: dict[int, tuple[Path, Path]] = {}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                tell(lists[futures[future]].dept_code, len(done), len(lists))
            paths = [done[i] for i in range(len(lists))]
    else:
        for lst in lists:
            paths.append(_write_pair(lst, out_dir))
            tell(lst.dept_code, len(paths), len(lists))
    return [WrittenList(lst.dept_code, lst.dept_name, xlsx, pdf, lst.red, lst.yellow,
                        lst.score.score if lst.score else None, lst.score.grade if lst.score else None)
            for lst, (xlsx, pdf) in zip(lists, paths, strict=True)]
