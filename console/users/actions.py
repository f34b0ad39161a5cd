"""What an admin does to users, each action in one function.

Every action runs in the request's transaction, as the signed-in user:

1. the database decides first (`private.authorize_user_admin`): only admins pass, and never
   for a change that would leave the console without an active admin;
2. the audit row is written (`console.audit`), with the old and the new values;
3. Supabase Auth's admin API is called. The database cannot see that call, so it runs after
   the audit row and inside the same savepoint: if the call fails, the audit row goes too and
   nothing has changed.

Invite and create go the other way round, because the new user's id exists only once
Supabase Auth has made them: the call, then the audit row and the role (an audited profile
update; a role never comes from user_metadata). If those fail, the new auth user is deleted
again.

Profile changes (role, display name) are plain audited writes; Row Level Security and the
profile triggers refuse them for other roles whatever the console does.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from pydantic import ValidationError
from supabase_auth.errors import (
    AuthApiError,
    AuthError,
    AuthRetryableError,
    AuthWeakPasswordError,
)

from console import audited, sqlstate, versions
from console.auth.client import admin_client, user_client
from console.passwords import password_problems
from console.roles import Role
from console.users.models import Profile, UserAccount

logger = logging.getLogger(__name__)

ROLES = tuple(role.value for role in Role)


@dataclass(frozen=True)
class BanDuration:
    label: str
    delta: timedelta


# Supabase Auth's ban_duration is a Go duration: hours at most, no days.
BAN_DURATIONS = {
    "1h": BanDuration("1 hour", timedelta(hours=1)),
    "24h": BanDuration("1 day", timedelta(days=1)),
    "168h": BanDuration("7 days", timedelta(days=7)),
    "720h": BanDuration("30 days", timedelta(days=30)),
    "876000h": BanDuration("Indefinitely", timedelta(hours=876000)),
}

STALE = (
    "This user was changed after you opened the page (by someone else, or in another tab). "
    "Nothing was saved: check the current values and try again."
)
LAST_ADMIN = (
    "This is the last active admin: demoting, banning or deleting them would leave nobody "
    "to administer users. Make another user admin first."
)
NOT_ADMIN = "Only an admin may administer users."

_AUTH_REASONS = {
    "email_exists": "a user with this email address already exists.",
    "user_already_exists": "a user with this email address already exists.",
    "user_not_found": "Supabase Auth has no such user any more.",
    "email_address_invalid": "Supabase Auth does not accept this email address.",
    "weak_password": "Supabase Auth refused the password as too weak.",
    "same_password": "the new password must differ from the current one.",
    "over_email_send_rate_limit": "Supabase Auth is limiting email. Try again in a minute.",
    "over_request_rate_limit": "Supabase Auth is limiting requests. Try again in a minute.",
}


class UserGone(audited.WriteFailed):
    """The user does not exist (any more), or the caller may not see them."""

    def __init__(self):
        super().__init__("This user does not exist any more.")


class StaleForm(audited.WriteFailed):
    def __init__(self):
        super().__init__(STALE)


class WrongPassword(audited.WriteRefused):
    def __init__(self):
        super().__init__("Your current password is not right.")


# --- the database's word ----------------------------------------------------------------------


def _refusal(exc: DatabaseError) -> audited.WriteFailed:
    state = sqlstate.sqlstate(exc)
    if state == "42501":
        return audited.WriteRefused(NOT_ADMIN)
    if sqlstate.is_last_active_admin(exc):
        return audited.WriteRefused(LAST_ADMIN)
    return audited.WriteFailed("The database refused this change; nothing was saved.")


def authorize(action: str, target=None) -> None:
    """Ask the database, as the signed-in user, whether they may do `action` (to `target`)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "select private.authorize_user_admin(%s, %s::uuid)",
                [action, None if target is None else str(target)],
            )
    except DatabaseError as exc:
        raise _refusal(exc) from exc


def _record(actor: audited.Actor, action: str, user_id, old: dict | None, new: dict | None):
    try:
        audited.record(actor, action, "profiles", user_id, old, new)
    except DatabaseError as exc:
        raise audited.AuditFailed(
            "The audit log did not accept this change, so nothing was changed."
        ) from exc


def _account(user_id) -> UserAccount:
    account = UserAccount.objects.filter(pk=user_id).first()
    if account is None:
        raise UserGone()
    return account


def _lock_profile(user_id) -> Profile:
    profile = Profile.objects.select_for_update().filter(pk=user_id).first()
    if profile is None:
        raise UserGone()
    return profile


def _check_version(account: UserAccount, version: str | None) -> None:
    if version is not None and version != account.version:
        raise StaleForm()


def is_self(actor: audited.Actor, user_id) -> bool:
    return actor.user_id is not None and str(actor.user_id) == str(user_id)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise audited.WriteFailed(f"Choose one of the roles: {', '.join(ROLES)}.")


def email_taken(email: str) -> bool:
    return (
        Profile.objects.annotate(lower_email=Lower("email"))
        .filter(lower_email=email.strip().lower())
        .exists()
    )


# --- Supabase Auth's word ---------------------------------------------------------------------


def _admin():
    try:
        return admin_client().auth.admin
    except RuntimeError as exc:
        raise audited.WriteFailed(
            "User administration is off: SUPABASE_SERVICE_ROLE_KEY is not set."
        ) from exc


def _auth_reason(exc: AuthError) -> str:
    reason = _AUTH_REASONS.get(exc.code or "")
    status = getattr(exc, "status", 0) or 0
    if reason:
        return reason
    if status == 429:
        return _AUTH_REASONS["over_request_rate_limit"]
    if status >= 500:
        return (
            "Supabase Auth answered with an error (the database may have refused the change). "
            "Nothing was changed."
        )
    return f"Supabase Auth refused it ({exc.message})."


def _auth(what: str, call: Callable):
    """Make one Supabase Auth call; its failures become a WriteFailed that says why."""
    try:
        return call()
    except AuthRetryableError as exc:
        raise audited.WriteFailed(
            f"Could not {what}: Supabase Auth is not answering. Nothing was changed; "
            "try again in a minute."
        ) from exc
    except (AuthApiError, AuthWeakPasswordError) as exc:
        raise audited.WriteFailed(f"Could not {what}: {_auth_reason(exc)}") from exc
    except (AuthError, ValidationError, ValueError) as exc:
        logger.exception("unexpected answer from Supabase Auth (%s)", what)
        raise audited.WriteFailed(
            f"Could not {what}: Supabase Auth gave an unexpected answer. Nothing was changed."
        ) from exc


def _audited_call(actor, action, user_id, old, new, what: str, call: Callable):
    """The audit row, then the Supabase Auth call, in one savepoint."""
    with transaction.atomic():
        _record(actor, action, user_id, old, new)
        return _auth(what, call)


# --- several Supabase Auth calls as one -------------------------------------------------------


@dataclass
class _Batch:
    undo: list[Callable[[], None]] = field(default_factory=list)
    failed: bool = False


_batch: ContextVar[_Batch | None] = ContextVar("user_admin_batch", default=None)


@contextmanager
def auth_calls_all_or_nothing():
    """For a bulk action: the database work is one transaction, but Supabase Auth's calls are
    not part of it. If any action in the block fails, the calls that had already succeeded
    are undone (their audit rows go with the rolled-back transaction)."""
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield batch
    except BaseException:
        batch.failed = True
        raise
    finally:
        _batch.reset(token)
        if batch.failed:
            for undo in reversed(batch.undo):
                try:
                    undo()
                except Exception:
                    logger.exception("could not undo a Supabase Auth call of a failed batch")


@contextmanager
def _batch_step():
    """One action of a batch (or a lone action): a failure fails the batch."""
    batch = _batch.get()
    try:
        yield
    except Exception:
        if batch is not None:
            batch.failed = True
        raise


def _on_batch_failure(undo: Callable[[], None]) -> None:
    batch = _batch.get()
    if batch is not None:
        batch.undo.append(undo)


# --- the actions ------------------------------------------------------------------------------


def change_role(actor: audited.Actor, user_id, role: str, *, version: str | None = None):
    _check_role(role)
    authorize("change_role", user_id)
    profile = _lock_profile(user_id)
    _check_version(_account(user_id), version)
    if profile.role == role:
        return profile
    if profile.role == Role.ADMIN:
        authorize("demote", user_id)
    try:
        return audited.update(actor, profile, role=role)
    except audited.WriteFailed as exc:
        cause = exc.__cause__
        if isinstance(cause, DatabaseError) and sqlstate.is_last_active_admin(cause):
            raise audited.WriteRefused(LAST_ADMIN) from exc
        raise


def set_display_name(actor: audited.Actor, user_id, name: str | None, *, version=None):
    authorize("edit", user_id)
    profile = _lock_profile(user_id)
    _check_version(_account(user_id), version)
    if profile.display_name == name:
        return profile
    return audited.update(actor, profile, display_name=name)


def set_own_display_name(actor: audited.Actor, name: str | None, *, version=None):
    """Anyone's own display name ("My profile"): RLS lets a user update their own row, and
    guard_profile_update keeps them from changing anything else in it. `version` is the
    profile's updated_at as the form showed it."""
    profile = _lock_profile(actor.user_id)
    if version is not None and not versions.is_current(profile, version):
        raise StaleForm()
    if profile.display_name == name:
        return profile
    return audited.update(actor, profile, display_name=name)


def promote(actor: audited.Actor, email: str) -> str:
    """Make the user with this email an admin, through `promote_user_to_admin` (which writes
    its own audit row, with the old and the new role). Returns their id."""
    email = email.strip().lower()
    authorize("promote")
    account = UserAccount.objects.annotate(lower_email=Lower("email")).filter(lower_email=email)
    account = account.first()
    if account is None:
        raise audited.WriteFailed(f"No user has the email address {email}.")
    if account.role == Role.ADMIN:
        raise audited.WriteFailed(f"{email} is already an admin.")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("select public.promote_user_to_admin(%s)", [email])
    except DatabaseError as exc:
        if sqlstate.sqlstate(exc) == "P0002":
            raise audited.WriteFailed(f"No user has the email address {email}.") from exc
        raise _refusal(exc) from exc
    return str(account.pk)


def ban(actor: audited.Actor, user_id, duration: str, *, version: str | None = None) -> None:
    with _batch_step():
        if duration not in BAN_DURATIONS:
            choices = ", ".join(d.label.lower() for d in BAN_DURATIONS.values())
            raise audited.WriteFailed(f"Choose how long the ban lasts: {choices}.")
        authorize("ban", user_id)
        account = _account(user_id)
        _check_version(account, version)
        if is_self(actor, user_id):
            raise audited.WriteRefused("You cannot ban yourself.")
        until = timezone.now() + BAN_DURATIONS[duration].delta
        _audited_call(
            actor,
            "BAN",
            user_id,
            {"banned_until": account.banned_until},
            {"banned_until": until, "ban_duration": duration},
            "ban this user",
            lambda: _admin().update_user_by_id(str(user_id), {"ban_duration": duration}),
        )
        previous = account.banned_until
        _on_batch_failure(lambda: _restore_ban(user_id, previous))


def _restore_ban(user_id, previous) -> None:
    left = (previous - timezone.now()).total_seconds() if previous else 0
    duration = f"{int(left)}s" if left >= 1 else "none"
    admin_client().auth.admin.update_user_by_id(str(user_id), {"ban_duration": duration})


def unban(actor: audited.Actor, user_id, *, version: str | None = None) -> None:
    authorize("unban", user_id)
    account = _account(user_id)
    _check_version(account, version)
    if not account.is_banned:
        raise audited.WriteFailed("This user is not banned.")
    _audited_call(
        actor,
        "UNBAN",
        user_id,
        {"banned_until": account.banned_until},
        {"banned_until": None},
        "lift the ban",
        lambda: _admin().update_user_by_id(str(user_id), {"ban_duration": "none"}),
    )


def send_password_reset(actor: audited.Actor, user_id, *, redirect_to: str) -> None:
    """Supabase Auth emails the user a link to choose a new password (it lands on
    console:password_set); nothing else changes until they use it."""
    authorize("reset_password", user_id)
    account = _account(user_id)
    _audited_call(
        actor,
        "PASSWORD_RESET",
        user_id,
        {"recovery_sent_at": account.recovery_sent_at},
        {"recovery_sent_at": timezone.now(), "email": account.email},
        "send the password-reset email",
        lambda: user_client().auth.reset_password_for_email(
            account.email, {"redirect_to": redirect_to}
        ),
    )


def delete(actor: audited.Actor, user_id, *, confirm_email: str, version=None) -> None:
    """Delete the auth user; the profile goes with it (foreign key, on delete cascade)."""
    authorize("delete", user_id)
    account = _account(user_id)
    _check_version(account, version)
    if confirm_email.strip().lower() != account.email.lower():
        raise audited.WriteFailed(
            "The email address you typed is not this user's. Nothing was deleted."
        )
    if is_self(actor, user_id):
        raise audited.WriteRefused("You cannot delete yourself.")
    _audited_call(
        actor,
        "DELETE",
        user_id,
        audited.row_values(account),
        None,
        "delete this user",
        lambda: _admin().delete_user(str(user_id)),
    )


def invite(
    actor: audited.Actor, *, email: str, role: str, display_name: str | None, redirect_to: str
) -> str:
    """Supabase Auth emails an invitation; its link lands on console:password_set, where the
    invited user chooses a password. Returns the new user's id."""
    email = email.strip().lower()
    _check_role(role)
    authorize("invite")
    if email_taken(email):
        raise audited.WriteFailed("A user with this email address already exists.")
    options = {
        "redirect_to": redirect_to,
        "data": {"display_name": display_name} if display_name else {},
    }
    user = _auth("invite this user", lambda: _admin().invite_user_by_email(email, options)).user
    _settle_new_user(
        actor, "INVITE", user.id, {"email": email, "role": role, "display_name": display_name}
    )
    return str(user.id)


def create(
    actor: audited.Actor, *, email: str, password: str, role: str, display_name: str | None
) -> str:
    """A user who can sign in at once with this password (their email counts as confirmed).
    Returns the new user's id."""
    email = email.strip().lower()
    _check_role(role)
    authorize("create")
    problems = password_problems(password)
    if problems:
        raise audited.WriteFailed(" ".join(problems))
    if email_taken(email):
        raise audited.WriteFailed("A user with this email address already exists.")
    attributes = {
        "email": email,
        "password": password,
        "email_confirm": True,
        "user_metadata": {"display_name": display_name} if display_name else {},
    }
    user = _auth("create this user", lambda: _admin().create_user(attributes)).user
    _settle_new_user(
        actor,
        "CREATE",
        user.id,
        {"email": email, "role": role, "display_name": display_name, "email_confirmed": True},
    )
    return str(user.id)


def _settle_new_user(actor: audited.Actor, action: str, user_id, values: dict) -> None:
    """The audit row and the role of a user Supabase Auth has just made; if either cannot be
    written, the user is deleted again, so there is no user without their audit row."""
    try:
        with transaction.atomic():
            _record(actor, action, user_id, None, values)
            profile = Profile.objects.filter(pk=user_id).first()
            if profile is None:
                raise audited.WriteFailed("Supabase Auth made the user, but no profile appeared.")
            if profile.role != values["role"]:
                audited.update(actor, profile, role=values["role"])
    except (audited.WriteFailed, DatabaseError) as exc:
        try:
            admin_client().auth.admin.delete_user(str(user_id))
        except Exception:
            logger.exception("could not delete the half-made user %s", user_id)
        message = exc.message if isinstance(exc, audited.WriteFailed) else str(exc)
        raise audited.WriteFailed(f"{message} The new user was removed again.") from exc


def change_own_password(
    actor: audited.Actor,
    *,
    email: str,
    access_token: str,
    refresh_token: str,
    current: str,
    new: str,
):
    """The signed-in user's own password, through Supabase Auth with their own session (which
    ends every other session of theirs). Returns the session supabase-py used: its tokens
    are new if it had to refresh them."""
    with transaction.atomic():
        verifier = user_client()
        try:
            checked = verifier.auth.sign_in_with_password({"email": email, "password": current})
        except AuthApiError as exc:
            if exc.code == "invalid_credentials":
                raise WrongPassword() from exc
            raise audited.WriteFailed(
                f"Could not check your password: {_auth_reason(exc)}"
            ) from exc
        except (AuthError, ValidationError) as exc:
            raise audited.WriteFailed(
                "Could not check your password: Supabase Auth is not answering. "
                "Try again in a minute."
            ) from exc
        if checked.session is not None:  # the check's own session is not needed
            try:
                verifier.auth.admin.sign_out(checked.session.access_token, "local")
            except (AuthError, ValidationError):
                logger.warning("could not end the session of a password check")
        client = user_client()
        session = _auth(
            "change your password",
            lambda: client.auth.set_session(access_token, refresh_token),
        ).session
        _audited_call(
            actor,
            "PASSWORD_CHANGE",
            actor.user_id,
            None,
            {"password": "changed", "other_sessions": "ended"},
            "change your password",
            # current_password: Supabase Auth checks it itself where the project requires the
            # current password to change one (GoTrue's
            # SECURITY_UPDATE_PASSWORD_REQUIRE_CURRENT_PASSWORD); elsewhere it is ignored.
            lambda: client.auth.update_user({"password": new, "current_password": current}),
        )
        return session
