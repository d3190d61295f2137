"""What a viewer may do, checked on the server before anything is recorded.

An action is allowed only on a flag or order inside the viewer's scope, by the role that owns the
step: inspectors acknowledge, order, accept, return, resolve and dismiss; department heads answer
orders addressed to their department. The action then goes to the journal (:class:`ActionService`).
A department head's entry carries ``scope_dept``, which the journal checks again when it applies the
entry, so an action recorded while the database could not be read is still held to the scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dashboard.queries import flags as flag_queries
from dashboard.queries import rectification
from audit.journal import DatabaseBusy
from dashboard.store import ActionResult, ActionService
from dashboard.viewer import Viewer

INSPECTOR_FLAG_ACTIONS = ("acknowledge", "order", "resolve", "dismiss")
INSPECTOR_ORDER_ACTIONS = ("accept", "return")
DEPARTMENT_ORDER_ACTIONS = ("answer",)


class NotAllowed(PermissionError):
    """The viewer may not take this action on this flag or order."""


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items() if v is not None}


def flag_action(service: ActionService, viewer: Viewer, action: str, flag_id: str, *, key: str,
                **params: Any) -> ActionResult:
    if not viewer.is_inspector or action not in INSPECTOR_FLAG_ACTIONS:
        raise NotAllowed(f"{viewer.role} may not {action}")
    try:
        with service.database.read() as con:
            if flag_queries.get_flag(con, viewer, flag_id) is None:
                raise NotAllowed("flag outside the viewer's scope")
    except DatabaseBusy:
        pass  # inspectors see every flag; the action waits in the journal
    return service.submit(action, viewer.user, _jsonable({"flag_id": flag_id, **params}), flag_id=flag_id, key=key)


def order_action(service: ActionService, viewer: Viewer, action: str, order_id: int, *, key: str,
                 **params: Any) -> ActionResult:
    allowed: tuple[str, ...] = ()
    if viewer.is_inspector:
        allowed = INSPECTOR_ORDER_ACTIONS
    elif viewer.is_department:
        allowed = DEPARTMENT_ORDER_ACTIONS
    if action not in allowed:
        raise NotAllowed(f"{viewer.role} may not {action}")
    flag_id: str | None = None
    try:
        with service.database.read() as con:
            order = rectification.get_order(con, viewer, order_id)
        if order is None:
            raise NotAllowed("order outside the viewer's scope")
        flag_id = str(order["flag_id"])
    except DatabaseBusy:
        pass  # checked when the journal applies it (scope_dept)
    scoped = {"scope_dept": viewer.dept_code} if viewer.is_department else {}
    return service.submit(action, viewer.user, _jsonable({"order_id": int(order_id), **params, **scoped}),
                          flag_id=flag_id, key=key)
