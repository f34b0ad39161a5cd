"""A signed-in console session for the bench, without the auth server.

The bench signs in as a demo account the way the console's login leaves things: a row in
`auth.sessions`, an access token for that session (HS256 with the project's JWT secret, which
the console verifies locally on every request) and the tokens in the Django session. The
token lives longer than the run, so the console never needs to refresh it. This keeps the
load run on the production settings, where the local auth server does not run.
"""

import time
import uuid
from dataclasses import asdict

import jwt
from django.conf import settings
from django.db import connection

LIFETIME = 4 * 3600


def access_token(user_id: str, email: str, session_id: str) -> str:
    now = int(time.time())
    claims = {
        "iss": f"{settings.SUPABASE_URL}/auth/v1",
        "sub": user_id,
        "aud": "authenticated",
        "exp": now + LIFETIME,
        "iat": now,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": session_id,
        "is_anonymous": False,
    }
    return jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")


def signed_in_session(email: str) -> str:
    """A Django session key signed in as `email` (an existing auth user)."""
    from console.auth.session import SESSION_KEY, StoredTokens
    from console.auth.session_backend import SessionStore

    with connection.cursor() as cursor:
        cursor.execute("select id from auth.users where lower(email) = lower(%s)", [email])
        user_id = str(cursor.fetchone()[0])
        session_id = str(uuid.uuid4())
        cursor.execute(
            "insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent)"
            " values (%s, %s, now(), now(), 'aal1', 'bench')",
            [session_id, user_id],
        )
    tokens = StoredTokens(
        access_token=access_token(user_id, email, session_id),
        refresh_token="bench-never-refreshed",
        expires_at=int(time.time()) + LIFETIME,
        user_id=user_id,
    )
    store = SessionStore()
    store[SESSION_KEY] = asdict(tokens)
    store.create()
    return store.session_key


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    django.setup()
    print(signed_in_session(sys.argv[1]))
