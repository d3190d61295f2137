"""Who is looking: the role and, for a department head, the department.

Every query function takes a :class:`Viewer` and scopes its own WHERE clause with it; widgets and
URL parameters can narrow what a viewer sees but never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    INSPECTOR = "inspector"     # 纪检监察员: everything
    DEPARTMENT = "department"   # 部门负责人: own department only
    PUBLIC = "public"           # 公众: the masked disclosure list only


ROLE_LABELS: dict[Role, str] = {
    Role.INSPECTOR: "纪检监察员",
    Role.DEPARTMENT: "部门负责人",
    Role.PUBLIC: "公众",
}


@dataclass(frozen=True)
class Viewer:
    role: Role
    dept_code: str | None = None
    user: str = "public"
    display_name: str = "公众"

    def __post_init__(self) -> None:
        if self.role is Role.DEPARTMENT and not self.dept_code:
            raise ValueError("a department head needs a dept_code")
        if self.role is not Role.DEPARTMENT and self.dept_code is not None:
            raise ValueError(f"a {self.role} viewer has no department")

    @property
    def is_inspector(self) -> bool:
        return self.role is Role.INSPECTOR

    @property
    def is_department(self) -> bool:
        return self.role is Role.DEPARTMENT

    @property
    def is_public(self) -> bool:
        return self.role is Role.PUBLIC

    @property
    def cache_key(self) -> str:
        return f"{self.role}:{self.dept_code or ''}"


PUBLIC = Viewer(Role.PUBLIC)
