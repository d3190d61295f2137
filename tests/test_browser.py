"""A real browser against a real server on a generated, ingested and audited district.

An inspector logs in, opens a red flag's case and issues a supervision order; the department's
head logs in, answers it, and cannot reach another department's flags by any page, filter or URL;
the public finds no whole ID number on the disclosure page.

Needs Debian's Chromium and CJK fonts (``apt-get install chromium fonts-noto-cjk``); never a
downloaded browser. With ``SUNLIGHT_SCREENSHOTS=DIR`` it also saves the screenshots of the docs.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dashboard_fixtures import Chain, build_chain
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from dashboard import auth
from dashboard.cli import streamlit_command
from dashboard.viewer import Role

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WHOLE_ID = re.compile(r"\d{17}[\dXx]")
PASSWORDS = {"inspector1": "inspector-pass", "head_own": "head-own-pass", "head_other": "head-other-pass"}
SHOTS = os.environ.get("SUNLIGHT_SCREENSHOTS")


class District:
    """The served database and the facts the test steers by."""

    def __init__(self, chain: Chain, users: Path) -> None:
        self.chain, self.users = chain, users
        con = duckdb.connect(str(chain.path), read_only=True)
        try:
            # the most urgent red deadline flag (the first of the flags page), its case and department
            row = con.execute(
                "SELECT f.flag_id, f.case_id, f.dept_code, d.name FROM flags f JOIN departments d USING (dept_code)"
                " WHERE f.active AND f.state IN ('open', 'acknowledged', 'rectifying')"
                " ORDER BY f.days_overdue DESC NULLS LAST, (f.level = 'red') DESC, f.days_left ASC NULLS LAST,"
                " f.first_seen_at, f.flag_id LIMIT 1").fetchone()
            assert row is not None
            self.flag_id, self.case_id, self.dept, self.dept_name = row
            other = con.execute(
                "SELECT f.dept_code, d.name, f.case_id FROM flags f JOIN departments d USING (dept_code)"
                " WHERE f.dept_code <> ? AND f.case_id IS NOT NULL ORDER BY f.flag_id LIMIT 1", [self.dept]).fetchone()
            assert other is not None
            self.other_dept, self.other_name, self.other_case = other
            # a deadline flag's case with a pause (补正 or special procedure), else with an extension
            self.paused_case = con.execute(
                "SELECT f.case_id FROM flags f JOIN events e USING (case_id) WHERE f.due_at IS NOT NULL"
                " GROUP BY f.case_id ORDER BY bool_or(e.activity IN ('SUPPLEMENT_NOTICE', 'SUSPEND')) DESC,"
                " bool_or(e.activity = 'EXTEND') DESC, f.case_id LIMIT 1").fetchone()[0]
            self.exposed = con.execute("SELECT count(*) FROM disclosures WHERE regexp_matches(content, ?)",
                                       [r"\d{17}[0-9Xx]"]).fetchone()[0]
        finally:
            con.close()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    folder = tmp_path_factory.mktemp("browser")
    chain = build_chain(folder, cases=300, seed=11)
    users = folder / "users.toml"
    probe = District(chain, users)
    auth.add_user(users, "inspector1", role=Role.INSPECTOR, password=PASSWORDS["inspector1"], name="王监察")
    auth.add_user(users, "head_own", role=Role.DEPARTMENT, password=PASSWORDS["head_own"], name="李科长",
                  dept_code=probe.dept)
    auth.add_user(users, "head_other", role=Role.DEPARTMENT, password=PASSWORDS["head_other"], name="赵科长",
                  dept_code=probe.other_dept)
    return probe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(district: District) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SUNLIGHT_DB": str(district.chain.path), "SUNLIGHT_USERS": str(district.users),
           "SUNLIGHT_PAGE_SIZE": "500", "SUNLIGHT_WARM": "1"}
    command = streamlit_command(district.chain.path, port=port, address="127.0.0.1", users=district.users)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the dashboard server did not start:\n{output[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing at /usr/bin/chromium: install it with "
                    "`apt-get install -y chromium fonts-noto-cjk` (the browser tests never download a browser)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def title(page: Page, text: str) -> None:
    page.locator("h1", has_text=text).first.wait_for()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_timeout(300)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="detached", timeout=30_000)


def open_tab(page: Page, panel: Locator, name: str) -> None:
    """Click the tab ``name`` inside an expander, opening the expander first if needed.

    Streamlit re-renders after every interaction and marks the old elements inert meanwhile, so
    retry (bounded) until the tab takes the click.
    """
    tab = panel.get_by_role("tab", name=name)
    for _ in range(20):
        settle(page)
        if not tab.is_visible():
            panel.locator("summary").first.click()
            settle(page)
        try:
            tab.click(timeout=3_000)
            return
        except PlaywrightTimeoutError:
            continue
    raise AssertionError(f"the tab {name!r} never became clickable")


def nav(page: Page, label: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=label).click()
    title(page, label)
    settle(page)


def log_in(page: Page, url: str, login: str) -> None:
    page.goto(url)
    title(page, "执法结果公示")
    nav(page, "登录")
    page.get_by_label("用户名").fill(login)
    page.get_by_label("密码").fill(PASSWORDS[login])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()
    settle(page)


def log_out(page: Page) -> None:
    button = page.get_by_role("button", name="退出登录")
    for _ in range(20):
        settle(page)
        dialog = page.get_by_role("dialog")
        if dialog.count():  # e.g. Streamlit's "Page not found" after a URL the viewer may not open
            page.keyboard.press("Escape")
            dialog.first.wait_for(state="detached")
        try:
            button.click(timeout=3_000)
            break
        except PlaywrightTimeoutError:  # inert while Streamlit re-renders
            continue
    title(page, "执法结果公示")
    settle(page)


def body(page: Page) -> str:
    return page.inner_text("body")


def shot(page: Page, name: str, *, height: int = 1800) -> None:
    """Save a screenshot when SUNLIGHT_SCREENSHOTS names a folder (Streamlit scrolls inside the page,
    so the window is made tall enough instead of asking for a full-page capture)."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(Path(SHOTS) / name))
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_inspector_orders_and_head_answers(page: Page, server: str, district: District) -> None:
    log_in(page, server, "inspector1")
    title(page, "总览")
    page.locator("[data-testid=stVegaLiteChart]").nth(2).wait_for()
    shot(page, "overview.png", height=2000)
    nav(page, "预警信息")
    # The most urgent flag is selected first; its panel links to the case's timeline.
    page.get_by_role("link", name=f"查看办件 {district.case_id} 的完整时间轴").first.click()
    title(page, "办件详情")
    settle(page)
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for()
    panel = page.locator("[data-testid=stExpander]", has_text=district.flag_id).first
    open_tab(page, panel, "下发督办")
    panel.get_by_label("督办要求").fill("请于期限内核查超期原因，完成整改并书面反馈。")
    panel.get_by_role("button", name="下发督办单").click()
    page.get_by_text("操作已生效。").wait_for()

    page.get_by_role("button", name="退出登录").click()
    title(page, "执法结果公示")
    log_in(page, server, "head_own")
    title(page, "整改督办")
    order = page.locator("[data-testid=stExpander]", has_text="已下达").first
    order.get_by_label("整改反馈").fill("已查明原因：人员调整导致审批滞后；已完成整改并建立提醒机制。")
    order.get_by_role("button", name="提交反馈").click()
    page.get_by_text("操作已生效。").wait_for()
    con = duckdb.connect(str(district.chain.path), read_only=True)
    try:
        status = con.execute("SELECT status, answered_by FROM supervision_orders WHERE flag_id = ?",
                             [district.flag_id]).fetchall()
    finally:
        con.close()
    assert status == [("answered", "head_own")]


def test_case_timeline_shows_pauses_and_deadline(page: Page, server: str, district: District) -> None:
    log_in(page, server, "inspector1")
    nav(page, "办件详情")
    page.get_by_label("办件编号").fill(district.paused_case)
    page.get_by_label("办件编号").press("Enter")
    settle(page)
    page.get_by_role("button", name="打开").click()
    page.locator("h3", has_text=district.paused_case).wait_for()
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    chart.wait_for()
    settle(page)
    text = body(page)
    assert "截止日期" in text and "预警（" in text
    shot(page, "case_timeline.png", height=1500)


def test_head_cannot_reach_another_department(page: Page, server: str, district: District) -> None:
    log_in(page, server, "head_own")
    links = page.locator("[data-testid=stSidebarNav]").get_by_role("link").all_inner_texts()
    assert "运行与数据质量" not in " ".join(links) and "登录" not in " ".join(links)
    for label in ("整改督办", "总览", "预警信息", "办件详情", "执法结果公示", "规则"):
        nav(page, label)
        text = body(page)
        assert district.other_name not in text, label
        assert district.other_case not in text, label
    # The department filter offers the head's own department only.
    nav(page, "预警信息")
    page.locator("[data-testid=stMultiSelect]").filter(has_text="部门").get_by_role("combobox").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options and all(district.other_name not in o for o in options)
    page.keyboard.press("Escape")
    # A URL naming the other department's flag, case and department opens a new browser session:
    # the login cookie brings back the same head, who still sees their own department only.
    for path in (f"/flags?dept={district.other_dept}", f"/case?case={district.other_case}", "/runs",
                 f"/rectification?dept={district.other_dept}"):
        page.goto(server + path)
        page.get_by_role("button", name="退出登录").wait_for()
        settle(page)
        text = body(page)
        assert "李科长" in text
        assert district.other_case not in text and district.other_name not in text
        assert "运行与数据质量" not in page.locator("h1").all_inner_texts()
    # Logged out, the same URLs show the public page only.
    log_out(page)
    for path in (f"/flags?dept={district.other_dept}", f"/case?case={district.other_case}"):
        page.goto(server + path)
        title(page, "执法结果公示")
        settle(page)
        assert district.other_case not in body(page)
        assert page.get_by_role("button", name="退出登录").count() == 0


def assert_public_with(page: Page, server: str, cookie: Any) -> None:
    """A new browser that sends ``cookie`` sees the public page, not logged in."""
    context = page.context.browser.new_context(locale="zh-CN")
    try:
        context.add_cookies([cookie])
        tab = context.new_page()
        tab.goto(server)
        title(tab, "执法结果公示")
        settle(tab)
        assert tab.get_by_role("button", name="退出登录").count() == 0
    finally:
        context.close()


def test_a_login_survives_a_reload_until_logout(page: Page, server: str, district: District) -> None:
    log_in(page, server, "inspector1")
    title(page, "总览")
    cookie = [c for c in page.context.cookies() if c["name"] == "sunlight_session"]
    assert len(cookie) == 1 and cookie[0]["sameSite"] == "Strict" and len(cookie[0]["value"]) >= 40
    page.reload()
    title(page, "总览")
    page.get_by_role("button", name="退出登录").wait_for()
    assert "王监察" in body(page)
    # a new tab of the same browser is signed in too
    other = page.context.new_page()
    other.goto(server + "/flags")
    other.get_by_role("button", name="退出登录").wait_for()
    title(other, "预警信息")
    other.close()
    # a forged cookie signs nobody in
    assert_public_with(page, server, {**cookie[0], "value": "A" * len(cookie[0]["value"])})
    # logging out revokes the login: the old cookie no longer works, even if a browser kept it
    log_out(page)
    assert not [c for c in page.context.cookies() if c["name"] == "sunlight_session" and c["value"]]
    assert_public_with(page, server, cookie[0])
    page.reload()
    title(page, "执法结果公示")
    settle(page)
    assert page.get_by_role("button", name="退出登录").count() == 0


def test_public_sees_no_whole_id_number(page: Page, server: str, district: District) -> None:
    assert district.exposed, "the generated district should publish some whole ID numbers"
    page.goto(server)
    title(page, "执法结果公示")
    settle(page)
    page.locator("[data-testid=stTable]").first.wait_for()
    shot(page, "disclosure.png", height=1400)
    text = body(page)
    assert "********" in text  # the exposed numbers are shown masked ...
    assert not WHOLE_ID.search(text)  # ... and never whole
    assert not WHOLE_ID.search(page.content())
