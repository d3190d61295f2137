"""Per-browser-session state: who is logged in, one-shot messages, idempotency keys of open forms.

A login survives a reload: see :mod:`dashboard.logins`."""

from __future__ import annotations

import uuid
from typing import Literal

import streamlit as st

from dashboard import auth, logins
from dashboard.config import AppConfig, from_environment
from dashboard.store import ActionService, Database
from dashboard.viewer import PUBLIC, Viewer
from sunlight.errors import ConfigError

VIEWER_KEY = "viewer"
TOKEN_KEY = "login_token"
FLASH_KEY = "flash"
FlashKind = Literal["success", "info", "warning", "error"]


def config() -> AppConfig:
    try:
        return from_environment()
    except ConfigError as exc:
        st.error(exc.describe())
        st.stop()
        raise  # st.stop() does not return


def database() -> Database:
    cfg = config()
    if cfg.db_path is None:
        st.error("未指定数据库。请用 `sunlight dashboard --db 数据库文件` 启动。")
        st.stop()
    return Database.at(cfg.db_path)


def actions() -> ActionService:
    return ActionService(database())


def viewer() -> Viewer:
    """The logged-in viewer, or the public. Query parameters never change it."""
    found = st.session_state.get(VIEWER_KEY)
    return found if isinstance(found, Viewer) else PUBLIC


@st.cache_resource
def signed_in() -> logins.Logins:
    """The server's one record of signed-in browsers (forgotten when the server restarts)."""
    return logins.Logins(config().session_hours)


def log_in(login: str, password: str) -> Viewer | None:
    cfg = config()
    if cfg.users_path is None:
        return None
    user = auth.authenticate(auth.load_users(cfg.users_path), login, password)
    if user is None:
        return None
    token = signed_in().issue(user.login)
    st.session_state[VIEWER_KEY] = user.viewer()
    st.session_state[TOKEN_KEY] = token
    return user.viewer()


def sent_token() -> str | None:
    """The login token the browser sent with this session's cookies, if any."""
    value = st.context.cookies.get(logins.COOKIE)
    return value if isinstance(value, str) and value else None


def restore() -> None:
    """Log this browser session in again from its cookie, if it names a live login of a user who
    still exists (role and department as the users file says now); otherwise stay public."""
    if isinstance(st.session_state.get(VIEWER_KEY), Viewer):
        return
    token = sent_token()
    cfg = config()
    if token is None or cfg.users_path is None:
        return
    login = signed_in().resolve(token)
    user = auth.load_users(cfg.users_path).get(login) if login is not None else None
    if user is None:
        if login is not None:
            signed_in().revoke(token)
        return
    st.session_state[VIEWER_KEY] = user.viewer()
    st.session_state[TOKEN_KEY] = token


def write_cookie() -> None:
    """Make the browser's login cookie match this session: the session's token after a login, none
    after a logout or when the cookie named no live login. Written on every run until the browser
    sent it (a run cut short by a page switch may never reach the browser); cookies the browser
    sent are fixed for the session, so this costs one tiny script element per run at most."""
    sent = sent_token()
    token = st.session_state.get(TOKEN_KEY)
    if token is not None and sent != token:
        script = logins.cookie_script(str(token), config().session_hours)
    elif token is None and sent:
        script = logins.cookie_script(None)
    else:
        return
    st.html(script, unsafe_allow_javascript=True)


def log_out() -> None:
    token = st.session_state.get(TOKEN_KEY) or sent_token()
    if token:
        signed_in().revoke(token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def flash(message: str, kind: FlashKind = "info") -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    found = st.session_state.pop(FLASH_KEY, None)
    if not found:
        return
    kind, message = found
    {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[kind](message)


def form_key(form_id: str) -> str:
    """The idempotency key of the form's next submission: a double submit sends the same key."""
    name = f"idem:{form_id}"
    if name not in st.session_state:
        st.session_state[name] = uuid.uuid4().hex
    return str(st.session_state[name])


def rotate_key(form_id: str) -> None:
    st.session_state.pop(f"idem:{form_id}", None)
