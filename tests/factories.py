"""Rows for tests that talk to the database directly (no auth server needed)."""

import time
import uuid
from types import SimpleNamespace

from django.conf import settings
from django.db import connection


def claims_for(user_id: str, email: str = "", **extra) -> dict:
    now = int(time.time())
    claims = {
        "iss": f"{settings.SUPABASE_URL}/auth/v1",
        "sub": str(user_id),
        "aud": "authenticated",
        "exp": now + 3600,
        "iat": now,
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now}],
        "session_id": None,
        "is_anonymous": False,
    }
    claims.update(extra)
    return claims


def db_user(role: str | None = "viewer", email: str | None = None) -> SimpleNamespace:
    """An auth.users row (the trigger adds its profile) with the given profile role;
    role None removes the profile."""
    user_id = str(uuid.uuid4())
    email = email or f"{role or 'norole'}-{user_id[:8]}@test.example.com"
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.users (instance_id, id, aud, role, email, created_at, updated_at)"
            " values ('00000000-0000-0000-0000-000000000000', %s, 'authenticated',"
            " 'authenticated', %s, now(), now())",
            [user_id, email],
        )
        if role is None:
            cursor.execute("delete from public.profiles where id = %s", [user_id])
        else:
            cursor.execute("update public.profiles set role = %s where id = %s", [role, user_id])
    return SimpleNamespace(id=user_id, email=email, role=role, claims=claims_for(user_id, email))
