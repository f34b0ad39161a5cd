"""`auth.mfa_factors`, `auth.mfa_challenges` and the session's `auth.mfa_amr_claims`, read and
written as GoTrue's models do (internal/models/factor.go, challenge.go, amr.go, sessions.go)."""

import uuid
from datetime import timedelta

from localauth import serialize, users

CHALLENGE_LIFETIME = timedelta(seconds=300)  # GOTRUE_MFA_CHALLENGE_EXPIRY_DURATION default
UNVERIFIED_LIFETIME = timedelta(seconds=300)  # GOTRUE_MFA_FACTOR_EXPIRY_DURATION default
MAX_ENROLLED = 10  # GOTRUE_MFA_MAX_ENROLLED_FACTORS default
MAX_VERIFIED = 10  # GOTRUE_MFA_MAX_VERIFIED_FACTORS default
AMR_METHOD = {"totp": "totp", "phone": "mfa/phone", "webauthn": "mfa/webauthn"}  # factor.go


def factor_json(row: dict) -> dict:
    """models.Factor's JSON tags: friendly_name omitted when empty, phone always a string."""
    out = {
        "id": str(row["id"]),
        "created_at": serialize.timestamp(row["created_at"]),
        "updated_at": serialize.timestamp(row["updated_at"]),
        "status": row["status"],
    }
    if row["friendly_name"]:
        out["friendly_name"] = row["friendly_name"]
    out["factor_type"] = row["factor_type"]
    out["phone"] = row["phone"] or ""
    out["last_challenged_at"] = serialize.timestamp(row["last_challenged_at"])
    return out


def for_user(conn, user_id) -> list[dict]:
    return conn.execute(
        "select * from auth.mfa_factors where user_id = %s order by created_at, id",
        [str(user_id)],
    ).fetchall()


def user_factors_json(conn, user_id) -> list[dict]:
    """The `factors` of a user's JSON (GoTrue's eager load of User.Factors)."""
    return [factor_json(row) for row in for_user(conn, user_id)]


def find_owned(conn, user_id, factor_id) -> dict | None:
    return conn.execute(
        "select * from auth.mfa_factors where user_id = %s and id = %s",
        [str(user_id), str(factor_id)],
    ).fetchone()


def delete_expired_unverified(conn) -> None:
    """DeleteExpiredFactors: unverified, never challenged, older than the factor lifetime."""
    conn.execute(
        "delete from auth.mfa_factors f where f.status <> 'verified' and not exists"
        " (select 1 from auth.mfa_challenges c where c.factor_id = f.id)"
        " and f.created_at + %s < current_timestamp",
        [UNVERIFIED_LIFETIME],
    )


def create_totp(conn, user_id, *, friendly_name: str, secret: str) -> dict:
    at = users.now()
    return conn.execute(
        "insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status,"
        " created_at, updated_at, secret) values (%s, %s, %s, 'totp', 'unverified', %s, %s, %s)"
        " returning *",
        [str(uuid.uuid4()), str(user_id), friendly_name, at, at, secret],
    ).fetchone()


def create_challenge(conn, factor: dict, ip: str) -> dict:
    """Factor.CreateChallenge + WriteChallengeToDatabase (which stamps last_challenged_at)."""
    at = users.now()
    challenge = conn.execute(
        "insert into auth.mfa_challenges (id, factor_id, created_at, ip_address)"
        " values (%s, %s, %s, %s) returning *",
        [str(uuid.uuid4()), str(factor["id"]), at, ip],
    ).fetchone()
    conn.execute(
        "update auth.mfa_factors set last_challenged_at = %s where id = %s",
        [at, str(factor["id"])],
    )
    return challenge


def find_challenge(conn, factor: dict, challenge_id) -> dict | None:
    return conn.execute(
        "select *, host(ip_address) as ip from auth.mfa_challenges"
        " where id = %s and factor_id = %s",
        [str(challenge_id), str(factor["id"])],
    ).fetchone()


def challenge_expires_at(challenge: dict):
    return challenge["created_at"] + CHALLENGE_LIFETIME


def delete_challenge(conn, challenge: dict) -> None:
    conn.execute("delete from auth.mfa_challenges where id = %s", [str(challenge["id"])])


def mark_verified(conn, factor: dict, challenge: dict) -> None:
    """Challenge.Verify, and Factor.UpdateStatus(verified) the first time."""
    at = users.now()
    conn.execute(
        "update auth.mfa_challenges set verified_at = %s where id = %s", [at, str(challenge["id"])]
    )
    if factor["status"] != "verified":
        conn.execute(
            "update auth.mfa_factors set status = 'verified', updated_at = %s where id = %s",
            [at, str(factor["id"])],
        )


def delete_unverified(conn, user_id, factor_type: str) -> None:
    conn.execute(
        "delete from auth.mfa_factors where user_id = %s and status = 'unverified'"
        " and factor_type = %s",
        [str(user_id), factor_type],
    )


def delete_all(conn, user_id) -> None:
    """DeleteFactorsByUserId (a soft-deleted user keeps no factor)."""
    conn.execute("delete from auth.mfa_factors where user_id = %s", [str(user_id)])


def delete(conn, factor: dict) -> None:
    conn.execute("delete from auth.mfa_factors where id = %s", [str(factor["id"])])


# --- sessions -------------------------------------------------------------------------------


def add_amr_claim(conn, session_id, method: str) -> None:
    """AddClaimToSession: one row per method and session; a repeat refreshes its time."""
    at = users.now()
    conn.execute(
        "insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at,"
        " authentication_method) values (%s, %s, %s, %s, %s)"
        " on conflict on constraint mfa_amr_claims_session_id_authentication_method_pkey"
        " do update set updated_at = excluded.updated_at",
        [str(uuid.uuid4()), str(session_id), at, at, method],
    )


def set_session_aal(conn, session_id, aal: str, factor_id) -> None:
    """Session.UpdateAALAndAssociatedFactor."""
    conn.execute(
        "update auth.sessions set aal = %s, factor_id = %s where id = %s",
        [aal, str(factor_id) if factor_id else None, str(session_id)],
    )


def end_sessions_below_aal2(conn, user_id) -> None:
    """InvalidateSessionsWithAALLessThan(user, aal2): the user's other aal1 sessions end."""
    conn.execute("delete from auth.sessions where user_id = %s and aal < 'aal2'", [str(user_id)])


def downgrade_sessions(conn, factor: dict) -> None:
    """Factor.DowngradeSessionsToAAL1: sessions raised by this factor lose its amr entry and go
    back to aal1 (their next access token says so)."""
    conn.execute(
        "delete from auth.mfa_amr_claims where authentication_method = %s and session_id in"
        " (select id from auth.sessions where factor_id = %s)",
        [AMR_METHOD[factor["factor_type"]], str(factor["id"])],
    )
    conn.execute(
        "update auth.sessions set aal = 'aal1', factor_id = null"
        " where user_id = %s and factor_id = %s",
        [str(factor["user_id"]), str(factor["id"])],
    )
