"""Per-browser-session state: who is logged in, one-shot messages, idempotency keys of open forms."""

from __future__ import annotations

import uuid
from typing import Literal

import streamlit as st

from dashboard import auth
from dashboard.config import AppConfig, from_environment
from dashboard.store import ActionService, Database
from dashboard.viewer import PUBLIC, Viewer

VIEWER_KEY = "viewer"
FLASH_KEY = "flash"
FlashKind = Literal["success", "info", "warning", "error"]


def config() -> AppConfig:
    return from_environment()


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


def log_in(login: str, password: str) -> Viewer | None:
    cfg = config()
    if cfg.users_path is None:
        return None
    user = auth.authenticate(auth.load_users(cfg.users_path), login, password)
    if user is None:
        return None
    st.session_state[VIEWER_KEY] = user.viewer()
    return user.viewer()


def log_out() -> None:
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
