"""登录: inspectors and department heads log in; the public needs no account."""

from __future__ import annotations

import streamlit as st

from dashboard import navigation, session

viewer = session.viewer()
if not viewer.is_public:
    st.switch_page(navigation.home(viewer))
st.title("登录")
if session.config().users_path is None:
    st.info("本系统未配置用户文件，仅提供执法结果公示的公众查询。")
    st.stop()
with st.form("login_form"):
    login = st.text_input("用户名", key="login_user")
    password = st.text_input("密码", type="password", key="login_password")
    submitted = st.form_submit_button("登录", key="login_submit")
if submitted:
    logged_in = session.log_in(login, password)
    if logged_in is None:
        st.error("用户名或密码错误。")
    else:
        st.session_state.pop("login_password", None)
        st.rerun()
st.caption("纪检监察员和部门负责人请登录；公众可直接查看“执法结果公示”。")
