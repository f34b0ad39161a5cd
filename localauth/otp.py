"""Email one-time tokens: a 6-digit OTP whose hash, hex(sha224(email + otp)), is stored in
`users.confirmation_token` / `users.recovery_token` and in `auth.one_time_tokens`.

Invites and sign-up confirmations use the confirmation token; recovery and magic links the
recovery token (internal/api/mail.go). A token is valid for the OTP lifetime after it was sent.
"""

import uuid
from datetime import timedelta

from localauth import users
from localauth.tokens import new_otp, token_hash

CONFIRMATION = "confirmation"
RECOVERY = "recovery"
# verification type -> which token columns it may match
KINDS_FOR_TYPE = {
    "signup": (CONFIRMATION,),
    "invite": (CONFIRMATION,),
    "recovery": (RECOVERY,),
    "magiclink": (RECOVERY,),
    "email": (CONFIRMATION, RECOVERY),
}


def issue(conn, user: dict, kind: str) -> tuple[dict, str, str]:
    """New OTP of `kind` for the user; returns (updated user, otp, token hash)."""
    email = user["email"] or ""
    otp = new_otp()
    hashed = token_hash(email, otp)
    updated = users.update(
        conn, user["id"], **{f"{kind}_token": hashed, f"{kind}_sent_at": users.now()}
    )
    conn.execute(
        "insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to,"
        " created_at, updated_at) values (%s, %s, %s, %s, %s, now(), now())"
        " on conflict (user_id, token_type) do update set id = excluded.id,"
        " token_hash = excluded.token_hash, relates_to = excluded.relates_to,"
        " created_at = excluded.created_at, updated_at = excluded.updated_at",
        [str(uuid.uuid4()), str(user["id"]), f"{kind}_token", hashed, email],
    )
    return updated, otp, hashed


def find_user_by_hash(conn, hashed: str, kinds: tuple[str, ...]) -> tuple[dict, str] | None:
    """The user a token hash belongs to, and which kind of token it is (unexpired or not)."""
    if not hashed:
        return None
    for kind in kinds:
        row = conn.execute(
            "select user_id from auth.one_time_tokens where token_hash = %s and token_type = %s",
            [hashed, f"{kind}_token"],
        ).fetchone()
        user = users.find_by_id(conn, row["user_id"], for_update=True) if row else None
        if user is None:
            user = conn.execute(
                f"select * from auth.users where {kind}_token = %s for update", [hashed]
            ).fetchone()
        if user is not None and user[f"{kind}_token"] == hashed:
            return user, kind
    return None


def is_expired(user: dict, kind: str, lifetime_seconds: int) -> bool:
    sent_at = user[f"{kind}_sent_at"]
    return sent_at is None or users.now() > sent_at + timedelta(seconds=lifetime_seconds)
