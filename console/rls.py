"""Every signed-in request's database work runs as its user, as PostgREST does it.

One transaction per request: the user's profile, ban and session are read first with the
console's own connection role, then `role` is set to `authenticated` and
`request.jwt.claims` to the verified claims, both transaction-local (`set_config(..., true)`,
the same as SET LOCAL, and safe behind a transaction-mode pooler). From then on Row Level
Security, `auth.uid()` and `is_admin()` hold for every query, whatever Django checks.
"""

import json
from contextlib import contextmanager

from django.contrib import messages
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.shortcuts import render

from console.auth import session as session_store
from console.auth.redirects import to_login
from console.roles import Role

_USER_STATE_SQL = """
select p.role, coalesce(p.email, u.email), p.display_name, p.id is not null,
       coalesce(u.banned_until > now(), false),
       (%(sid)s::uuid is null or exists (select 1 from auth.sessions s where s.id = %(sid)s::uuid))
from auth.users u
left join public.profiles p on p.id = u.id
where u.id = %(uid)s::uuid and u.deleted_at is null
"""

INSUFFICIENT_PRIVILEGE = "42501"


def _switch_role(cursor, claims: dict) -> None:
    cursor.execute(
        "select set_config('role', 'authenticated', true),"
        " set_config('request.jwt.claims', %s, true)",
        [json.dumps(claims)],
    )


@contextmanager
def as_user(claims: dict):
    """Run the block in a transaction as the user of these verified claims.

    Nested inside an outer transaction (tests, or a write inside a request) the settings are
    put back on the way out, because transaction-local settings outlive a released savepoint.
    """
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if nested:
                cursor.execute(
                    "select current_setting('role'),"
                    " coalesce(current_setting('request.jwt.claims', true), '')"
                )
                previous = cursor.fetchone()
            _switch_role(cursor, claims)
        yield
        if nested:
            with connection.cursor() as cursor:
                cursor.execute(
                    "select set_config('role', %s, true),"
                    " set_config('request.jwt.claims', %s, true)",
                    list(previous),
                )


def is_permission_error(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else exc
    return getattr(cause, "sqlstate", None) == INSUFFICIENT_PRIVILEGE


class RequestAsUserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        claims = request.auth_claims
        if not claims:
            return self.get_response(request)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    _USER_STATE_SQL, {"uid": claims["sub"], "sid": claims.get("session_id")}
                )
                row = cursor.fetchone()
            if row is None or row[4] or not row[5]:
                session_store.end(request)
                reason = (
                    "Your account has been suspended."
                    if row and row[4]
                    else "Your session has ended. Please sign in again."
                )
                messages.warning(request, reason)
                return to_login(request)
            role_value, email, display_name, has_profile, _banned, _alive = row
            request.console_user = session_store.ConsoleUser(
                id=claims["sub"],
                email=email or claims.get("email", ""),
                display_name=display_name,
                role=Role.from_profile(role_value) if has_profile else None,
                claims=claims,
            )
            with connection.cursor() as cursor:
                _switch_role(cursor, claims)
            request.in_user_transaction = True
            try:
                return self.get_response(request)
            finally:
                request.in_user_transaction = False

    def process_exception(self, request, exception):
        if not getattr(request, "in_user_transaction", False):
            return None
        # Whatever the view did is undone; the error page renders outside the user's data.
        transaction.set_rollback(True)
        if is_permission_error(exception):
            return render(
                request,
                "403.html",
                {"reason": "The database refused this change for your role."},
                status=403,
            )
        return None
