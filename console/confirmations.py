"""One-time confirmation tokens: a confirm-then-apply step (an import, a bulk action) runs
once per token, however often its confirmation is posted (a replay, a double click, several
tabs at once).

    token = confirmations.new_token()          # on the confirmation page, in a hidden field
    ...
    with transaction.atomic():                 # the work's own transaction
        confirmations.claim(token)             # raises AlreadyApplied the second time
        ...the work...

The claim is a row in `private.used_confirmations`
(supabase/migrations/20261127000300_one_time_confirmations.sql), made as the signed-in user in
the work's transaction: if the work fails, the claim is rolled back with it and the same
confirmation may be tried again; concurrent claims wait for the first to finish.
"""

import secrets

from django.db import DatabaseError, connection

from console.sqlstate import INVALID_PARAMETER_VALUE, sqlstate


class AlreadyApplied(Exception):
    message = "This was already applied; nothing was done again."


def new_token() -> str:
    return secrets.token_urlsafe(24)


def claim(token: str) -> None:
    """Claim the token for the current transaction; AlreadyApplied if it was used before (or
    is not a token at all)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 200 or "\x00" in token:
        raise AlreadyApplied()
    try:
        with connection.cursor() as cursor:
            cursor.execute("select private.claim_confirmation(%s)", [token])
            claimed = cursor.fetchone()[0]
    except DatabaseError as exc:
        if sqlstate(exc) == INVALID_PARAMETER_VALUE:  # the token was claimed before
            raise AlreadyApplied() from exc
        raise
    if not claimed:
        raise AlreadyApplied()
