"""Keys of the local auth server, made once per checkout and kept under `.data/`.

A Supabase project has a JWT secret and two API keys signed with it (anon and service_role).
Locally they are generated on first use and stored in `.data/local-auth-keys.json`, which is
git-ignored; they never leave the machine and mean nothing outside it.

`ensure_local_keys` makes the file (manage.py, before settings load); settings only
`read_local_keys`, which never writes.
"""

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

KEYS_FILE = "local-auth-keys.json"
# API keys are long-lived, like Supabase's legacy keys.
API_KEY_LIFETIME = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class LocalKeys:
    jwt_secret: str
    anon_key: str
    service_role_key: str


def api_key(secret: str, role: str, issued_at: int | None = None) -> str:
    iat = issued_at or int(time.time())
    claims = {
        "iss": "supabase",
        "ref": "local",
        "role": role,
        "iat": iat,
        "exp": iat + API_KEY_LIFETIME,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def make_keys(secret: str | None = None) -> LocalKeys:
    secret = secret or secrets.token_urlsafe(48)
    now = int(time.time())
    return LocalKeys(secret, api_key(secret, "anon", now), api_key(secret, "service_role", now))


def read_local_keys(data_dir: Path) -> LocalKeys | None:
    """The checkout's keys if the file is there and whole; None otherwise. Writes nothing."""
    try:
        return LocalKeys(**json.loads((data_dir / KEYS_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def ensure_local_keys(data_dir: Path) -> LocalKeys:
    """The checkout's keys, made and stored on first use."""
    keys = read_local_keys(data_dir)
    if keys is not None:
        return keys
    path = data_dir / KEYS_FILE
    keys = make_keys()
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys.__dict__))
    path.chmod(0o600)
    return keys
