"""The dashboard on the real chain: a generated district, ingested and audited, every page for
every role, and the public page free of whole ID numbers although the district published some."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import Chain, app, build_chain, texts

from dashboard.navigation import PAGES, ROLE_PAGES
from dashboard.viewer import Role, Viewer

pytestmark = pytest.mark.slow
WHOLE_ID = re.compile(r"\d{17}[\dXx]")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    return build_chain(tmp_path_factory.mktemp("chain"), cases=300, seed=5)


@pytest.fixture
def served(chain: Chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "district.duckdb"
    shutil.copy2(chain.path, path)
    monkeypatch.setenv("SUNLIGHT_DB", str(path))
    monkeypatch.delenv("SUNLIGHT_USERS", raising=False)
    yield path


def busiest_department(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT dept_code FROM flags GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
        assert row is not None
        return str(row[0])
    finally:
        con.close()


CASES = [(role, key) for role, keys in ROLE_PAGES.items() for key in keys]


@pytest.mark.parametrize(("role", "page"), CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_every_page_on_the_real_chain(served: Path, role: str, page: str) -> None:
    viewer = {"inspector": Viewer(Role.INSPECTOR, user="inspector1"),
              "department": Viewer(Role.DEPARTMENT, busiest_department(served), user="head"),
              "public": None}[role]
    at = app(viewer, page=PAGES[page][0])
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_case_page_of_each_flagged_case_kind(served: Path) -> None:
    con = duckdb.connect(str(served), read_only=True)
    try:
        cases = [r[0] for r in con.execute(
            "SELECT any_value(case_id) FROM flags WHERE case_id IS NOT NULL GROUP BY rule_id ORDER BY 1").fetchall()]
    finally:
        con.close()
    inspector = Viewer(Role.INSPECTOR, user="inspector1")
    for case_id in cases:
        at = app(inspector, page=PAGES["case"][0], query={"case": case_id})
        assert not at.exception, (case_id, [e.value for e in at.exception])
        assert len(at.get("vega_lite_chart")) == 1, case_id


def test_public_page_masks_every_published_id(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect(str(served), read_only=True)
    try:
        exposed = con.execute("SELECT count(*) FROM disclosures WHERE regexp_matches(content, ?)",
                              [r"\d{17}[0-9Xx]"]).fetchone()
    finally:
        con.close()
    assert exposed and exposed[0] > 0, "the generated district should publish some whole ID numbers"
    monkeypatch.setenv("SUNLIGHT_PAGE_SIZE", "500")
    body = texts(app(None))
    assert "********" in body
    assert not WHOLE_ID.search(body)
