"""Unmanaged models of the users app; the schema lives in supabase/migrations.

`Profile` is `public.profiles`, the row every write goes to. `UserAccount` is the view
`private.user_list` (supabase/migrations/20261128000000_user_list_view.sql): a profile
joined to the copy of auth.users' state the console may index, shown to admins and auditors
only. Writes never go through it: they go to `Profile` or to Supabase Auth.
"""

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone

from console.roles import Role

ROLE_CHOICES = [(role.value, role.value.title()) for role in Role]
PROFILE_ROLE_CHOICES = ROLE_CHOICES + [("user", "User (legacy)")]

# A ban further away than this is shown as "indefinitely" (the console bans "forever" with
# Go's "876000h", about 100 years).
INDEFINITE_BAN = timedelta(days=365 * 50)


class Profile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    email = models.TextField()
    display_name = models.TextField(null=True, blank=True)
    role = models.TextField(null=True, choices=PROFILE_ROLE_CHOICES)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "profiles"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def console_role(self) -> Role | None:
        return Role.from_profile(self.role)


class UserAccount(models.Model):
    id = models.UUIDField(primary_key=True)
    email = models.TextField()
    display_name = models.TextField(null=True)
    role = models.TextField(null=True, choices=PROFILE_ROLE_CHOICES)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    email_confirmed_at = models.DateTimeField(null=True)
    last_sign_in_at = models.DateTimeField(null=True)
    banned_until = models.DateTimeField(null=True)
    invited_at = models.DateTimeField(null=True)
    recovery_sent_at = models.DateTimeField(null=True)
    # The auth state row's key (always set): a condition on it makes the view's join with
    # the state an inner one, for an order by a state column (users.tables._nulls_last_first).
    auth_state_id = models.UUIDField(null=True, editable=False)

    class Meta:
        managed = False
        db_table = 'private"."user_list'  # schema-qualified: Django quotes each part
        ordering = ["-created_at", "-id"]
        verbose_name = "user"

    def __str__(self) -> str:
        if self.display_name:
            return f"{self.display_name} <{self.email}>"
        return self.email

    @property
    def label(self) -> str:
        return self.display_name or self.email

    @property
    def console_role(self) -> Role | None:
        return Role.from_profile(self.role)

    @property
    def is_banned(self) -> bool:
        return self.banned_until is not None and self.banned_until > timezone.now()

    @property
    def banned_indefinitely(self) -> bool:
        return self.is_banned and self.banned_until - timezone.now() > INDEFINITE_BAN

    @property
    def state(self) -> str:
        """active, banned or unconfirmed: the list's state filter, for one row."""
        if self.is_banned:
            return "banned"
        if self.email_confirmed_at is None:
            return "unconfirmed"
        return "active"

    @property
    def version(self) -> str:
        """What a form carries to notice that the user changed since it was opened: the
        profile's updated_at (role, name) and the ban."""
        banned = self.banned_until.isoformat() if self.banned_until else ""
        return f"{self.updated_at.isoformat()}|{banned}"
