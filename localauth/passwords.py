"""Password hashing and GoTrue's default password policy (internal/api/password.go).

GoTrue stores bcrypt hashes with Go's default cost 10 and a `$2a$` prefix. Its default policy
only checks length: at most 72 bytes (400 validation_failed) and at least 6 (422 weak_password).
"""

import re
import secrets
import string

import bcrypt

from localauth.errors import validation_failed, weak_password

BCRYPT_COST = 10
MIN_LENGTH = 6
MAX_LENGTH = 72
_BCRYPT_HASH = re.compile(r"^\$2[abxy]?\$(\d\d)\$[./A-Za-z0-9]{53}$")


def hash_password(password: str) -> str:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    # Same hash for passwords under 72 bytes; `$2a$` is what Go's bcrypt writes.
    return "$2a$" + hashed[4:]


def check_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:  # malformed hash, or a password over 72 bytes
        return False


_DUMMY_HASH: list[str] = []


def check_against_nothing(password: str) -> None:
    """The same bcrypt work as a real check, for an email with no account (or no password),
    so that the answer's time does not tell whether the account exists."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(random_password(32)))
    check_password(password, _DUMMY_HASH[0])


def needs_rehash(hashed: str) -> bool:
    """GoTrue re-hashes at login when the cost is above the default or the minimum (4)."""
    match = _BCRYPT_HASH.match(hashed or "")
    return bool(match) and (int(match.group(1)) > BCRYPT_COST or int(match.group(1)) == 4)


def is_bcrypt_hash(value: str) -> bool:
    return bool(_BCRYPT_HASH.match(value))


def check_strength(password: str) -> None:
    """GoTrue's checkPasswordStrength with the default configuration."""
    size = len(password.encode())
    if size > MAX_LENGTH:
        raise validation_failed(f"Password cannot be longer than {MAX_LENGTH} characters")
    if size < MIN_LENGTH:
        raise weak_password(f"Password should be at least {MIN_LENGTH} characters.", ["length"])


def check_max_length(password: str) -> None:
    if len(password.encode()) > MAX_LENGTH:
        raise validation_failed("bcrypt: password length exceeds 72 bytes")


def random_password(length: int = 64) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
