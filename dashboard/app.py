"""The dashboard's entry point: ``streamlit run dashboard/app.py`` (``sunlight dashboard`` does it).

It decides which pages the viewer may open (the public: the disclosure list and the login page),
applies actions still waiting in the journal if the database is free, and runs the chosen page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

if __package__ in (None, ""):  # run as a script by streamlit: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.journal import DatabaseBusy  # noqa: E402
from dashboard import components, decision_facts, navigation, session  # noqa: E402
from sunlight.errors import SunlightError  # noqa: E402

BUSY = ("数据库正在更新（夜间批处理或数据导入进行中），暂时无法读取，请稍后刷新页面。"
        "已提交的操作均已记录，更新完成后自动生效。")

st.set_page_config(page_title="阳光监察", page_icon=":material/wb_sunny:", layout="wide")
session.restore()
session.write_cookie()
viewer = session.viewer()
if session.config().warm:
    decision_facts.warm(session.database())
page = st.navigation(navigation.pages_for(viewer), position="sidebar")
navigation.sidebar(viewer)
components.flash_area()
try:
    page.run()
except DatabaseBusy:
    st.warning(BUSY, icon=":material/hourglass_top:")
except SunlightError as exc:  # friendly text at the edge, with the hint
    st.error(exc.describe())
