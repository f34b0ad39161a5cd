"""Confirmation tokens: a confirm-then-apply step (an import, a bulk action, a cleanup, a
retention run) runs only with a token the server issued on its confirmation page, and once
per token, however often its confirmation is posted (a replay, a double click, several tabs
at once).

    token = confirmations.new_token(user_id, "bulk:agents:pause", *selected_ids)  # the page
    ...
    with transaction.atomic():                          # the work's own transaction
        confirmations.claim(token, user_id, "bulk:agents:pause", *selected_ids)
        ...the work...

A token is signed with the project's secret for one user, one purpose and one selection (the
rows, the table, the settings: whatever the page showed), and is good for MAX_AGE: a post
without one, with one the client made up, or with one issued for something else raises
NotConfirmed (400); nothing is applied.

The claim is a row in `private.used_confirmations`
(supabase/migrations/20261127000300_one_time_confirmations.sql), made as the signed-in user in
the work's transaction: if the work fails, the claim is rolled back with it and the same
confirmation may be tried again; concurrent claims wait for the first to finish; a second
claim raises AlreadyApplied (409).
"""

import hashlib
import secrets

from django.core import signing
from django.db import DatabaseError, connection
from django.shortcuts import render

from console.sqlstate import INVALID_PARAMETER_VALUE, sqlstate

# Claims are kept a day (claim_confirmation forgets older ones): a token must expire first.
MAX_AGE = 6 * 3600
_SALT = "console.confirmations"


class Refused(Exception):
    status = 400
    message = ""

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class NotConfirmed(Refused):
    status = 400
    message = (
        "Nothing was changed: this needs the confirmation page's own confirmation, issued to"
        f" you for this action on these rows within the last {MAX_AGE // 3600} hours. Open the"
        " confirmation"
        " page again and confirm there."
    )


class AlreadyApplied(Refused):
    status = 409
    message = "This was already applied; nothing was done again."


def _signer(user_id, purpose: str, selection) -> signing.TimestampSigner:
    what = "\x00".join([str(user_id), purpose, *(str(part) for part in selection)])
    return signing.TimestampSigner(salt=f"{_SALT}:{hashlib.sha256(what.encode()).hexdigest()}")


def new_token(user_id, purpose: str, *selection) -> str:
    """A token for the confirmation page of `purpose` on `selection`, for this user."""
    return _signer(user_id, purpose, selection).sign(secrets.token_urlsafe(24))


def claim(token, user_id, purpose: str, *selection) -> None:
    """Claim the token for the current transaction: NotConfirmed unless it was issued for
    this user, purpose and selection less than MAX_AGE ago; AlreadyApplied if it was
    claimed before."""
    if not isinstance(token, str) or not 0 < len(token) <= 200 or "\x00" in token:
        raise NotConfirmed()
    try:
        nonce = _signer(user_id, purpose, selection).unsign(token, max_age=MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise NotConfirmed() from exc
    try:
        with connection.cursor() as cursor:
            cursor.execute("select private.claim_confirmation(%s)", [nonce])
            claimed = cursor.fetchone()[0]
    except DatabaseError as exc:
        if sqlstate(exc) == INVALID_PARAMETER_VALUE:  # not a nonce of ours
            raise NotConfirmed() from exc
        raise
    if not claimed:
        raise AlreadyApplied()


def refused_response(request, exc: Refused, back: str, *, title: str = "Not applied"):
    """The page for a refused confirmation: what happened and the way back (400 or 409)."""
    return render(
        request,
        "console/confirmation_refused.html",
        {"title": title, "message": exc.message, "back": back},
        status=exc.status,
    )
