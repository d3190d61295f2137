"""Which pages each role gets, and the sidebar (who is logged in, log out, pending actions)."""

from __future__ import annotations

import streamlit as st

from dashboard import components, session
from dashboard.viewer import ROLE_LABELS, Viewer

PAGES: dict[str, tuple[str, str, str]] = {
    # key: (file, title, icon)
    "overview": ("app_pages/overview.py", "总览", ":material/dashboard:"),
    "flags": ("app_pages/flags.py", "预警信息", ":material/flag:"),
    "case": ("app_pages/case.py", "办件详情", ":material/folder_open:"),
    "disclosure": ("app_pages/disclosure.py", "执法结果公示", ":material/campaign:"),
    "rectification": ("app_pages/rectification.py", "整改督办", ":material/assignment_turned_in:"),
    "rules": ("app_pages/rules.py", "规则", ":material/rule:"),
    "runs": ("app_pages/runs.py", "运行与数据质量", ":material/monitoring:"),
    "login": ("app_pages/login.py", "登录", ":material/login:"),
}
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "inspector": ("overview", "flags", "case", "disclosure", "rectification", "rules", "runs"),
    "department": ("rectification", "overview", "flags", "case", "disclosure", "rules"),
    "public": ("disclosure", "login"),
}
# The login page stays registered (hidden) after logging in, so the rerun that follows a login
# lands on a known page, which then moves on to the role's first page.
HIDDEN_LOGIN = ("login",)


def page_keys(viewer: Viewer) -> tuple[str, ...]:
    return ROLE_PAGES[str(viewer.role)]


def home(viewer: Viewer) -> str:
    """The file of the role's first page."""
    return PAGES[page_keys(viewer)[0]][0]


def pages_for(viewer: Viewer) -> list[st.Page]:
    pages = []
    for index, key in enumerate(page_keys(viewer)):
        path, title, icon = PAGES[key]
        pages.append(st.Page(path, title=title, icon=icon, url_path=key, default=index == 0))
    if not viewer.is_public:
        path, title, icon = PAGES["login"]
        pages.append(st.Page(path, title=title, icon=icon, url_path="login", visibility="hidden"))
    return pages


def sidebar(viewer: Viewer) -> None:
    with st.sidebar:
        st.markdown("### :material/wb_sunny: 阳光监察")
        if viewer.is_public:
            st.caption("公众访问：仅显示执法结果公示（个人信息已脱敏）。")
            return
        dept = f"（{viewer.dept_code}）" if viewer.dept_code else ""
        st.markdown(f"**{viewer.display_name}**　{ROLE_LABELS[viewer.role]}{dept}")
        if st.button("退出登录", key="logout"):
            session.log_out()
            st.switch_page(PAGES["disclosure"][0])
    service = session.actions()
    service.apply_now_if_free()
    components.recent_actions(service, viewer)
