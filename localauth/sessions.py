"""`auth.sessions` and `auth.refresh_tokens`: sign-in sessions and rotating refresh tokens.

Each refresh revokes the presented token and issues a child with `parent` = the old token
(internal/models/refresh_token.go). Deleting a session cascades to its refresh tokens.

The authentication methods of a session (the JWT's `amr`) live in `auth.mfa_amr_claims` when
that table exists (supabase/local/02_auth_mfa.sql creates it); a database without it has them
kept in memory (lost on restart, when `password` at the session's creation time is assumed).
"""

import threading
import uuid
from datetime import UTC

from localauth import users
from localauth.tokens import NIL_UUID, new_refresh_token

_amr_memory: dict[str, tuple[str, int]] = {}
_amr_lock = threading.Lock()
_AMR_MEMORY_LIMIT = 100_000


def create(conn, user_id, *, method: str, user_agent: str | None, ip: str | None):
    """A new session with its first refresh token; returns (session row, refresh token)."""
    session_id = str(uuid.uuid4())
    at = users.now()
    session = conn.execute(
        "insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)"
        " values (%s, %s, %s, %s, 'aal1', %s, %s) returning *",
        [session_id, str(user_id), at, at, user_agent, ip],
    ).fetchone()
    _record_amr(conn, session_id, method, at)
    return session, issue_refresh_token(conn, user_id, session_id)


def issue_refresh_token(conn, user_id, session_id, parent: str | None = None) -> str:
    token = new_refresh_token()
    at = users.now()
    conn.execute(
        "insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at,"
        " updated_at, parent, session_id) values (%s, %s, %s, false, %s, %s, %s, %s)",
        [NIL_UUID, token, str(user_id), at, at, parent, str(session_id)],
    )
    return token


def find_refresh_token(conn, token: str) -> dict | None:
    return conn.execute("select * from auth.refresh_tokens where token = %s", [token]).fetchone()


def find(conn, session_id, *, for_update: bool = False) -> dict | None:
    query = "select * from auth.sessions where id = %s"
    if for_update:
        query += " for update"
    return conn.execute(query, [str(session_id)]).fetchone()


def lock_refresh_token(conn, token: str) -> dict | None:
    """The refresh token's row, locked; None while another transaction holds it
    (internal/models/user.go, findUserWithLegacyRefreshToken: FOR UPDATE SKIP LOCKED)."""
    return conn.execute(
        "select * from auth.refresh_tokens where token = %s limit 1 for update skip locked",
        [token],
    ).fetchone()


def lock(conn, session_id) -> dict | None:
    """The session's row, locked; None while another transaction holds it (or it is gone)
    (internal/models/sessions.go, FindSessionByID: FOR UPDATE SKIP LOCKED)."""
    return conn.execute(
        "select * from auth.sessions where id = %s limit 1 for update skip locked",
        [str(session_id)],
    ).fetchone()


def active_refresh_token(conn, session_id) -> dict | None:
    return conn.execute(
        "select * from auth.refresh_tokens where session_id = %s and revoked is false"
        " order by id desc limit 1",
        [str(session_id)],
    ).fetchone()


def revoke(conn, token_id) -> None:
    conn.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = %s where id = %s",
        [users.now(), token_id],
    )


def revoke_family(conn, session_id) -> None:
    conn.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = %s"
        " where session_id = %s and revoked is false",
        [users.now(), str(session_id)],
    )


def touch(conn, session_id, *, user_agent: str | None, ip: str | None) -> None:
    at = users.now()
    conn.execute(
        "update auth.sessions set refreshed_at = %s, updated_at = %s,"
        " user_agent = coalesce(%s, user_agent), ip = coalesce(%s::inet, ip) where id = %s",
        [at.astimezone(UTC).replace(tzinfo=None), at, user_agent, ip, str(session_id)],
    )


def delete(conn, user_id, *, scope: str, session_id=None) -> None:
    """Logout: "global" every session of the user, "local" this one, "others" all but this."""
    if scope == "global":
        conn.execute("delete from auth.sessions where user_id = %s", [str(user_id)])
    elif scope == "local":
        conn.execute("delete from auth.sessions where id = %s", [str(session_id)])
    else:
        conn.execute(
            "delete from auth.sessions where user_id = %s and id <> %s",
            [str(user_id), str(session_id)],
        )


# --- authentication methods (amr) -----------------------------------------------------------


def _has_amr_table(conn) -> bool:
    query = "select to_regclass('auth.mfa_amr_claims') is not null as present"
    return conn.execute(query).fetchone()["present"]


def _record_amr(conn, session_id: str, method: str, at) -> None:
    if _has_amr_table(conn):
        conn.execute(
            "insert into auth.mfa_amr_claims (id, session_id, authentication_method, created_at,"
            " updated_at) values (%s, %s, %s, %s, %s)",
            [str(uuid.uuid4()), session_id, method, at, at],
        )
        return
    with _amr_lock:
        if len(_amr_memory) >= _AMR_MEMORY_LIMIT:  # forget the oldest half
            for key in list(_amr_memory)[: _AMR_MEMORY_LIMIT // 2]:
                del _amr_memory[key]
        _amr_memory[session_id] = (method, int(at.timestamp()))


def amr(conn, session: dict) -> list[dict]:
    """The session's `amr` claim, most recent method first."""
    if _has_amr_table(conn):
        rows = conn.execute(
            "select authentication_method, updated_at from auth.mfa_amr_claims"
            " where session_id = %s order by updated_at desc",
            [str(session["id"])],
        ).fetchall()
        if rows:
            return [
                {
                    "method": r["authentication_method"],
                    "timestamp": int(r["updated_at"].timestamp()),
                }
                for r in rows
            ]
    with _amr_lock:
        method, at = _amr_memory.get(
            str(session["id"]), ("password", int(session["created_at"].timestamp()))
        )
    return [{"method": method, "timestamp": at}]
