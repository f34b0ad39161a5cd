"""The signed-in user's Supabase tokens, kept server-side in the Django session.

The browser holds only Django's session cookie; access and refresh tokens never reach it. In
the database they are encrypted, under a hash of the cookie (console/auth/session_backend.py).
"""

from dataclasses import asdict, dataclass

from console.roles import Role

SESSION_KEY = "supabase_auth"


@dataclass
class StoredTokens:
    access_token: str
    refresh_token: str
    expires_at: int
    user_id: str


@dataclass(frozen=True)
class ConsoleUser:
    """Who is making the request, as the database sees them (loaded per request)."""

    id: str
    email: str
    display_name: str | None
    role: Role | None
    claims: dict

    @property
    def label(self) -> str:
        return self.display_name or self.email


def load(request) -> StoredTokens | None:
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        return StoredTokens(**data)
    except TypeError:
        return None


def store(request, tokens: StoredTokens) -> None:
    request.session[SESSION_KEY] = asdict(tokens)


def start(request, tokens: StoredTokens) -> None:
    """A new sign-in: a fresh session key (no fixation), then the tokens."""
    request.session.cycle_key()
    store(request, tokens)


def end(request) -> None:
    request.session.flush()


def from_supabase_session(session) -> StoredTokens:
    return StoredTokens(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_at=int(session.expires_at or 0),
        user_id=str(session.user.id),
    )
