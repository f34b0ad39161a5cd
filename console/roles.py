"""The console's roles and access levels. Each app declares, per area, which role has which
access (console/registry.py); the declarations mirror the Row Level Security policies in
supabase/migrations, which enforce the same matrix.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    AUDITOR = "auditor"
    VIEWER = "viewer"

    @classmethod
    def from_profile(cls, value: str | None) -> "Role | None":
        """The role a profile's `role` column grants. The legacy 'user' (the old app's end
        users) grants none, as no role does: RLS says the same (private.app_role())."""
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


A, E, U, V = Role.ADMIN, Role.EDITOR, Role.AUDITOR, Role.VIEWER
# The access of the operator areas (agents, crews, performance, deployments): admins write.
OPERATOR = {A: Access.WRITE, E: Access.READ, U: Access.READ, V: Access.READ}
