"""JSON of users, identities and sessions as GoTrue writes them (internal/models/*.go JSON tags).

Timestamps are RFC 3339 in UTC with a `Z` (supabase-py rejects Postgres' text form);
`email`/`phone` are "" when NULL; metadata maps are objects, never null; identities are a list,
or null where GoTrue does not load them (the admin user list).
"""

from datetime import UTC, datetime

_OPTIONAL_TIMESTAMPS = (
    "email_confirmed_at",
    "invited_at",
    "phone_confirmed_at",
    "confirmation_sent_at",
    "confirmed_at",
    "recovery_sent_at",
)
_LATER_OPTIONAL_TIMESTAMPS = (
    "email_change_sent_at",
    "phone_change_sent_at",
    "reauthentication_sent_at",
    "last_sign_in_at",
)


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def identity_json(row: dict) -> dict:
    data = row["identity_data"] or {"sub": row["provider_id"]}  # never empty: supabase-py needs it
    out = {
        "identity_id": str(row["id"]),
        "id": row["provider_id"],
        "user_id": str(row["user_id"]),
        "identity_data": data,
        "provider": row["provider"],
        "last_sign_in_at": timestamp(row["last_sign_in_at"]),
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }
    if out["last_sign_in_at"] is None:
        del out["last_sign_in_at"]
    if row.get("email"):
        out["email"] = row["email"]
    return out


def user_json(user: dict, identities: list[dict] | None, factors: list[dict] | None = None) -> dict:
    out: dict = {
        "id": str(user["id"]),
        "aud": user["aud"] or "",
        "role": user["role"] or "",
        "email": user["email"] or "",
    }
    for key in _OPTIONAL_TIMESTAMPS[:2]:
        if user[key] is not None:
            out[key] = timestamp(user[key])
    out["phone"] = user["phone"] or ""
    for key in _OPTIONAL_TIMESTAMPS[2:]:
        if user[key] is not None:
            out[key] = timestamp(user[key])
    if user["email_change"]:
        out["new_email"] = user["email_change"]
    if user["phone_change"]:
        out["new_phone"] = user["phone_change"]
    for key in _LATER_OPTIONAL_TIMESTAMPS:
        if user[key] is not None:
            out[key] = timestamp(user[key])
    out["app_metadata"] = user["raw_app_meta_data"] or {}
    out["user_metadata"] = user["raw_user_meta_data"] or {}
    if factors:  # `factors,omitempty` (internal/models/user.go)
        out["factors"] = factors
    out["identities"] = None if identities is None else [identity_json(i) for i in identities]
    out["created_at"] = timestamp(user["created_at"] or datetime.now(UTC))
    out["updated_at"] = timestamp(user["updated_at"] or user["created_at"] or datetime.now(UTC))
    if user["banned_until"] is not None:
        out["banned_until"] = timestamp(user["banned_until"])
    if user["deleted_at"] is not None:
        out["deleted_at"] = timestamp(user["deleted_at"])
    out["is_anonymous"] = bool(user["is_anonymous"])
    return out


def session_json(
    *, access_token: str, refresh_token: str, expires_in: int, expires_at: int, user: dict
) -> dict:
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": int(expires_in),
        "expires_at": int(expires_at),
        "refresh_token": refresh_token,
        "user": user,
    }
