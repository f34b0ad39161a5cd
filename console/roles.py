"""The one role table of the console: who may read and write each area.

It mirrors the Row Level Security policies in supabase/migrations (the database enforces the
same matrix), and drives both view permissions and the navigation.
"""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    AUDITOR = "auditor"
    VIEWER = "viewer"

    @classmethod
    def from_profile(cls, value: str | None) -> "Role | None":
        """The role a profile's `role` column grants; the legacy 'user' is a viewer."""
        if value == "user":
            return cls.VIEWER
        try:
            return cls(value)
        except ValueError:
            return None


class Access(StrEnum):
    NONE = "none"
    OWN = "own"  # only the user's own row
    READ = "read"
    READ_ACTIVE = "read_active"  # read, active rows only
    WRITE = "write"  # read, create, update, delete

    @property
    def can_read(self) -> bool:
        return self is not Access.NONE

    @property
    def can_list(self) -> bool:
        """May open the area's list and items (OWN reaches only "My profile")."""
        return self not in (Access.NONE, Access.OWN)

    @property
    def can_write(self) -> bool:
        return self is Access.WRITE


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    url_name: str
    access: dict[Role, Access]

    def access_for(self, role: Role | None) -> Access:
        return self.access.get(role, Access.NONE) if role else Access.NONE


A, E, U, V = Role.ADMIN, Role.EDITOR, Role.AUDITOR, Role.VIEWER
_OPERATOR = {A: Access.WRITE, E: Access.READ, U: Access.READ, V: Access.READ}

AREAS: tuple[Area, ...] = (
    Area(
        "users",
        "Users",
        "console:user_list",
        {A: Access.WRITE, E: Access.OWN, U: Access.READ, V: Access.OWN},
    ),
    Area(
        "knowledge",
        "Knowledge base",
        "knowledge:entry_list",
        {A: Access.WRITE, E: Access.WRITE, U: Access.READ, V: Access.READ_ACTIVE},
    ),
    Area("agents", "Agents", "agents:agent_list", _OPERATOR),
    Area("crews", "Crews", "agents:crew_list", _OPERATOR),
    Area("performance", "Performance", "agents:performance_list", _OPERATOR),
    Area("deployments", "Deployments", "deployments:package_list", _OPERATOR),
    Area("audit", "Audit trail", "audit:log_list", {A: Access.READ, U: Access.READ}),
)
AREAS_BY_KEY = {area.key: area for area in AREAS}


def access(role: Role | None, area_key: str) -> Access:
    return AREAS_BY_KEY[area_key].access_for(role)


def navigation(role: Role | None) -> list[Area]:
    """The areas a role sees in the navigation: those it can list (OWN is 'My profile')."""
    return [area for area in AREAS if area.access_for(role).can_list]
