"""Issuing sessions: GoTrue's issueRefreshToken + AccessTokenResponse (internal/tokens)."""

from localauth import factors, serialize, sessions, tokens, users


def token_response(app, conn, user: dict, session: dict, refresh_token: str) -> dict:
    """Session JSON with a fresh access token for an existing session."""
    lifetime = int(app.config.access_token_lifetime)
    claims = tokens.access_token_claims(
        issuer=app.issuer,
        user=user,
        session_id=session["id"],
        amr=sessions.amr(conn, session),
        lifetime=lifetime,
    )
    access_token = tokens.sign(claims, app.config.jwt_secret, app.config.signing_jwk)
    user_json = serialize.user_json(
        user, users.identities(conn, user["id"]), factors.user_factors_json(conn, user["id"])
    )
    return serialize.session_json(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=lifetime,
        expires_at=claims["exp"],
        user=user_json,
    )


def sign_in(app, conn, user: dict, *, method: str, request) -> dict:
    """A new session for the user (amr `method`), `last_sign_in_at` updated."""
    session, refresh_token = sessions.create(
        conn, user["id"], method=method, user_agent=request.user_agent, ip=request.client_ip
    )
    user = users.update(conn, user["id"], touch=False, last_sign_in_at=users.now())
    return token_response(app, conn, user, session, refresh_token)
