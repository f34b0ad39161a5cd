"""Every signed-in request's database work runs as its user, as PostgREST does it.

One transaction per request: the user's profile, ban and session are read first with the
console's own connection role, then `role` is set to `authenticated` and
`request.jwt.claims` to the verified claims, both transaction-local (`set_config(..., true)`,
the same as SET LOCAL, and safe behind a transaction-mode pooler). From then on Row Level
Security, `auth.uid()` and `is_admin()` hold for every query, whatever Django checks.
"""

import json
from contextlib import contextmanager

from django.conf import settings
from django.contrib import messages
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.shortcuts import render

from console.auth import mfa
from console.auth import session as session_store
from console.auth.redirects import to_login
from console.http import client_ip, user_agent
from console.roles import Role
from console.sqlstate import INSUFFICIENT_PRIVILEGE, TIMED_OUT, sqlstate

# Becoming the user, transaction-locally, with the time limits of a signed-in transaction (a
# query that runs longer is cancelled: the request answers 503, see RequestAsUserMiddleware),
# and, for a request, the client's address and user agent for the audit trigger.
_SWITCH = (
    "set_config('role', 'authenticated', true),"
    " set_config('request.jwt.claims', %(claims)s, true),"
    " set_config('statement_timeout', %(statement_timeout)s, true),"
    " set_config('lock_timeout', %(lock_timeout)s, true),"
    " set_config('billygoat.client_ip', %(client_ip)s, true),"
    " set_config('billygoat.user_agent', %(user_agent)s, true)"
)
# The request's user, read with the console's own connection role (which cannot read
# auth.users itself: a security-definer function gives it exactly this row;
# 20261127140300_console_connection_role.sql), and in the same round trip the switch to the
# user, made only when the session may go on (ending it writes to the session table, which
# the `authenticated` role cannot).
_USER_STATE_SQL = (
    "select s.role, s.email, s.display_name, s.has_profile, s.banned, s.session_alive,"
    f" case when s.session_alive and s.banned is not true then concat_ws(',', {_SWITCH}) end"
    " from private.console_user_state(%(uid)s::uuid, %(sid)s::uuid) s"
)


def _switch_parameters(claims: dict, request=None) -> dict:
    return {
        "claims": json.dumps(claims),
        "statement_timeout": f"{settings.DATABASE_STATEMENT_TIMEOUT}ms",
        "lock_timeout": f"{settings.DATABASE_LOCK_TIMEOUT}ms",
        "client_ip": (client_ip(request) or "") if request is not None else "",
        "user_agent": user_agent(request) if request is not None else "",
    }


def _switch_role(cursor, claims: dict, request=None) -> None:
    """Become the user (see _SWITCH)."""
    cursor.execute(f"select {_SWITCH}", _switch_parameters(claims, request))


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
    return sqlstate(exc) == INSUFFICIENT_PRIVILEGE


def outside_user_transaction(view):
    """Mark a view that must not run as the user: sign-in, sign-out and password links manage
    the Django session itself (in the console schema, which the `authenticated` role cannot
    see), and health checks need no user."""
    view.outside_user_transaction = True
    return view


class RequestAsUserMiddleware:
    """Runs each signed-in request's view, and its template rendering, inside `as_user`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        claims = request.auth_claims
        if not claims or getattr(view_func, "outside_user_transaction", False):
            return None
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        _USER_STATE_SQL,
                        {
                            "uid": claims["sub"],
                            "sid": claims.get("session_id"),
                            **_switch_parameters(claims, request),
                        },
                    )
                    row = cursor.fetchone()
                # (row[6] is null when the switch was not made: never go on as the console)
                if row is None or row[4] or not row[5] or row[6] is None:
                    return self._session_over(request, suspended=bool(row and row[4]))
                role_value, email, display_name, has_profile, _banned, _alive, _switched = row
                request.console_user = session_store.ConsoleUser(
                    id=claims["sub"],
                    email=email or claims.get("email", ""),
                    display_name=display_name,
                    role=Role.from_profile(role_value) if has_profile else None,
                    claims=claims,
                )
                # The second factor first, where the session or the role needs one.
                response = mfa.gate(request, view_func) or view_func(
                    request, *view_args, **view_kwargs
                )
                if callable(getattr(response, "render", None)):
                    response = response.render()  # lazy templates query as the user too
                return response
        except DatabaseError as exc:
            if sqlstate(exc) in TIMED_OUT:
                return render(
                    request,
                    "503.html",
                    {"reason": "timeout"},
                    status=503,
                )
            if not is_permission_error(exc):
                raise
            # The transaction is rolled back; the page says why, without any data.
            return render(
                request,
                "403.html",
                {"reason": "The database refused this for your role."},
                status=403,
            )

    @staticmethod
    def _session_over(request, *, suspended: bool):
        session_store.end(request)
        messages.warning(
            request,
            "Your account has been suspended."
            if suspended
            else "Your session has ended. Please sign in again.",
        )
        return to_login(request)
