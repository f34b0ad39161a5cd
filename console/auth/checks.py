"""System checks (`manage.py check`, and every runserver start) of the Supabase Auth
settings that fail only later, at a sign-in."""

from django.conf import settings
from django.core import checks


@checks.register()
def supabase_auth_settings(app_configs=None, **kwargs):
    from console.auth.client import forwarding_problem

    found = []
    problem = forwarding_problem()
    if problem:
        found.append(checks.Warning(problem, id="console.W101"))
    if not settings.SUPABASE_JWT_SECRET:
        found.append(
            checks.Info(
                "SUPABASE_JWT_SECRET is not set: only asymmetric signing keys (ES256/RS256, "
                "from the project's JWKS) can be verified. A project that signs with its "
                "legacy JWT secret or a shared-secret signing key (HS256) needs it set to "
                "that secret, or no sign-in succeeds.",
                id="console.I102",
            )
        )
    return found
