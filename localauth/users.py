"""`auth.users` and `auth.identities` rows, read and written as GoTrue does (internal/models).

Users live in the nil instance with aud "authenticated"; emails are stored lower-cased; token
columns hold '' rather than NULL; every user with an email gets an "email" identity.
"""

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta

from psycopg import sql

from localauth.db import Jsonb
from localauth.errors import validation_failed
from localauth.tokens import NIL_UUID

AUDIENCE = "authenticated"
DEFAULT_ROLE = "authenticated"
# checkmail.ValidateFormat, the check GoTrue runs on emails.
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_PHONE = re.compile(r"^[1-9]\d{1,14}$")
_JSON_COLUMNS = {"raw_app_meta_data", "raw_user_meta_data"}


def now() -> datetime:
    return datetime.now(UTC)


def validate_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        raise validation_failed("An email address is required")
    if len(email) > 255:
        raise validation_failed("An email address is too long")
    if not _EMAIL.match(email):
        raise validation_failed("Unable to validate email address: invalid format")
    return email.lower()


def validate_phone(phone: str) -> str:
    digits = re.sub(r"[\s+\-()]", "", phone or "")
    if not _PHONE.match(digits):
        raise validation_failed("Invalid phone number format (E.164 required)")
    return digits


def is_banned(user: dict) -> bool:
    return user["banned_until"] is not None and user["banned_until"] > now()


def merge_metadata(current: dict | None, updates: dict) -> dict:
    """GoTrue's shallow merge: top-level keys are overwritten, a null value deletes the key."""
    merged = dict(current or {})
    for key, value in updates.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# --- reads ----------------------------------------------------------------------------------


def find_by_id(conn, user_id, *, for_update: bool = False) -> dict | None:
    query = "select * from auth.users where instance_id = %s and id = %s"
    if for_update:
        query += " for update"
    return conn.execute(query, [NIL_UUID, str(user_id)]).fetchone()


def find_by_email(conn, email: str) -> dict | None:
    return conn.execute(
        "select * from auth.users where instance_id = %s and lower(email) = %s and aud = %s"
        " and is_sso_user = false",
        [NIL_UUID, email.lower(), AUDIENCE],
    ).fetchone()


def find_by_phone(conn, phone: str) -> dict | None:
    return conn.execute(
        "select * from auth.users where instance_id = %s and phone = %s and aud = %s"
        " and is_sso_user = false",
        [NIL_UUID, phone, AUDIENCE],
    ).fetchone()


def identities(conn, user_id) -> list[dict]:
    return conn.execute(
        "select * from auth.identities where user_id = %s order by created_at, id", [str(user_id)]
    ).fetchall()


def list_page(conn, *, page: int, per_page: int, filter_text: str, descending: bool):
    """One page of users in the audience, newest first by default, and the total count."""
    where = sql.SQL("instance_id = %s and aud = %s")
    params: list = [NIL_UUID, AUDIENCE]
    if filter_text:
        where = sql.SQL(
            "{} and (email like %s or raw_user_meta_data->>'full_name' ilike %s)"
        ).format(where)
        params += [f"%{filter_text}%", f"%{filter_text}%"]
    total = conn.execute(
        sql.SQL("select count(*) as n from auth.users where {}").format(where), params
    ).fetchone()["n"]
    order = sql.SQL("desc" if descending else "asc")
    query = sql.SQL(
        "select * from auth.users where {} order by created_at {}, id {} limit %s offset %s"
    ).format(where, order, order)
    rows = conn.execute(
        query,
        [*params, per_page, (page - 1) * per_page],
    ).fetchall()
    return rows, total


# --- writes ---------------------------------------------------------------------------------


def update(conn, user_id, *, touch: bool = True, **columns) -> dict:
    """Set the given columns (plus updated_at unless `touch` is false); return the fresh row."""
    if touch:
        columns.setdefault("updated_at", now())
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = %s").format(sql.Identifier(name)) for name in columns
    )
    values = [Jsonb(v) if k in _JSON_COLUMNS else v for k, v in columns.items()]
    return conn.execute(
        sql.SQL("update auth.users set {} where id = %s returning *").format(assignments),
        [*values, str(user_id)],
    ).fetchone()


def create(
    conn,
    *,
    email: str | None,
    phone: str | None = None,
    encrypted_password: str = "",
    user_metadata: dict | None = None,
    app_metadata: dict | None = None,
    role: str = DEFAULT_ROLE,
    user_id: str | None = None,
    invited_at: datetime | None = None,
) -> dict:
    """Insert a user and its email/phone identities (the profiles trigger fires on insert)."""
    user_id = user_id or str(uuid.uuid4())
    providers = [p for p, value in (("email", email), ("phone", phone)) if value]
    app = {"provider": providers[0], "providers": providers}
    app = merge_metadata(app, app_metadata or {})
    at = now()
    user = conn.execute(
        "insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password,"
        " raw_app_meta_data, raw_user_meta_data, is_super_admin, invited_at, created_at,"
        " updated_at, is_sso_user, is_anonymous)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, false, %s, %s, %s, false, false)"
        " returning *",
        [
            NIL_UUID,
            user_id,
            AUDIENCE,
            role,
            email,
            phone or None,
            encrypted_password,
            Jsonb(app),
            Jsonb(user_metadata or {}),
            invited_at,
            at,
            at,
        ],
    ).fetchone()
    if email:
        add_identity(
            conn,
            user_id,
            "email",
            {"email": email, "email_verified": False, "phone_verified": False},
        )
    if phone:
        add_identity(
            conn,
            user_id,
            "phone",
            {"phone": phone, "email_verified": False, "phone_verified": False},
        )
    return user


def add_identity(conn, user_id, provider: str, data: dict) -> None:
    at = now()
    conn.execute(
        "insert into auth.identities (id, provider_id, user_id, identity_data, provider,"
        " last_sign_in_at, created_at, updated_at) values (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            str(uuid.uuid4()),
            str(user_id),
            str(user_id),
            Jsonb({"sub": str(user_id), **data}),
            provider,
            at,
            at,
            at,
        ],
    )


def merge_metadata_column(conn, user: dict, column: str, updates: dict | None) -> dict:
    """Shallow-merge `updates` into raw_app_meta_data or raw_user_meta_data (nothing when
    None); return the fresh row."""
    if updates is None:
        return user
    return update(conn, user["id"], **{column: merge_metadata(user[column], updates)})


def update_identity_data(conn, user_id, provider: str, data: dict) -> None:
    conn.execute(
        "update auth.identities set identity_data = identity_data || %s, updated_at = %s"
        " where user_id = %s and provider = %s",
        [Jsonb(data), now(), str(user_id), provider],
    )


def clear_one_time_tokens(conn, user_id) -> None:
    conn.execute("delete from auth.one_time_tokens where user_id = %s", [str(user_id)])


def confirm_email(conn, user: dict) -> dict:
    """GoTrue's User.Confirm: confirmed now, `email_verified` in user_metadata, tokens cleared."""
    clear_one_time_tokens(conn, user["id"])
    return update(
        conn,
        user["id"],
        confirmation_token="",
        email_confirmed_at=now(),
        raw_user_meta_data=merge_metadata(user["raw_user_meta_data"], {"email_verified": True}),
    )


def confirm_phone(conn, user: dict) -> dict:
    clear_one_time_tokens(conn, user["id"])
    return update(conn, user["id"], confirmation_token="", phone_confirmed_at=now())


def set_password(conn, user: dict, encrypted_password: str, *, keep_session_id=None) -> dict:
    """GoTrue's User.UpdatePassword: outstanding tokens are voided and sessions end — all of
    them, or all but `keep_session_id` when the user changed their own password."""
    clear_one_time_tokens(conn, user["id"])
    if keep_session_id is None:
        conn.execute("delete from auth.sessions where user_id = %s", [str(user["id"])])
    else:
        conn.execute(
            "delete from auth.sessions where user_id = %s and id <> %s",
            [str(user["id"]), str(keep_session_id)],
        )
    return update(
        conn,
        user["id"],
        encrypted_password=encrypted_password,
        confirmation_token="",
        confirmation_sent_at=None,
        recovery_token="",
        recovery_sent_at=None,
        email_change_token_current="",
        email_change_token_new="",
        email_change_sent_at=None,
        phone_change_token="",
        phone_change_sent_at=None,
        reauthentication_token="",
        reauthentication_sent_at=None,
    )


def ban(conn, user: dict, duration: timedelta) -> dict:
    """A zero duration lifts the ban. Sessions are kept, as in GoTrue."""
    until = None if duration == timedelta(0) else now() + duration
    return update(conn, user["id"], banned_until=until)


def hard_delete(conn, user_id) -> None:
    # identities, sessions (and so refresh tokens), one-time tokens and profiles cascade
    conn.execute("delete from auth.users where id = %s", [str(user_id)])


def _obfuscate(user_id, value: str | None) -> str:
    if not value:
        return ""
    return hashlib.sha256((str(user_id) + value).encode()).hexdigest()


def soft_delete(conn, user: dict) -> None:
    """GoTrue's SoftDeleteUser: contact data obfuscated, password and metadata cleared."""
    user_id = user["id"]
    conn.execute("delete from auth.sessions where user_id = %s", [str(user_id)])
    conn.execute("delete from auth.refresh_tokens where user_id = %s", [str(user_id)])
    clear_one_time_tokens(conn, user_id)
    conn.execute(
        "update auth.identities set provider_id = %s || ':' || provider_id,"
        " identity_data = %s, updated_at = %s where user_id = %s",
        [_obfuscate(user_id, "identity"), Jsonb({"sub": str(user_id)}), now(), str(user_id)],
    )
    update(
        conn,
        user_id,
        email=_obfuscate(user_id, user["email"]) or None,
        phone=_obfuscate(user_id, user["phone"]) or None,
        email_change=_obfuscate(user_id, user["email_change"]),
        phone_change=_obfuscate(user_id, user["phone_change"]),
        encrypted_password=None,
        confirmation_token="",
        recovery_token="",
        email_change_token_current="",
        email_change_token_new="",
        phone_change_token="",
        reauthentication_token="",
        raw_app_meta_data={},
        raw_user_meta_data={},
        deleted_at=now(),
    )
