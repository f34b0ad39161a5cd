"""Django's database sessions, stored so that the table alone gives nothing away.

- A row's key is a hash of the session key: the cookie holds the key, a lookup hashes it, so
  a `session_key` read from the table is no cookie.
- A row's data (the Supabase tokens among it) is encrypted and authenticated (Fernet) with a
  key derived from SECRET_KEY: without SECRET_KEY it can be neither read nor forged.
  Rotating SECRET_KEY therefore signs everyone out.
- Every signed-in request loads its session first; through the ORM that lookup cost more than
  the query itself, so the read is written out.

The table, expiry, key cycling on sign-in and `clearsessions` are Django's own
(`django.contrib.sessions.backends.db`).
"""

import base64
import functools
import hashlib
import logging

from asgiref.sync import sync_to_async
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

logger = logging.getLogger("django.security.SuspiciousSession")


def stored_key(session_key: str) -> str:
    """The row's key for a session key: 40 hex digits, the width of Django's column."""
    return hashlib.blake2b(session_key.encode(), digest_size=20, person=b"bg-session").hexdigest()


@functools.lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"billygoat-console session data"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SessionStore(db.SessionStore):
    def encode(self, session_dict):
        plain = self.serializer().dumps(session_dict)
        return _fernet(settings.SECRET_KEY).encrypt(plain).decode("ascii")

    def decode(self, session_data):
        try:
            plain = _fernet(settings.SECRET_KEY).decrypt(session_data.encode("ascii"))
            return self.serializer().loads(plain)
        except (InvalidToken, UnicodeError, ValueError):
            # Another SECRET_KEY, or not written by the console: an empty session (signed out).
            logger.warning("Session data could not be decrypted")
            return {}

    def _get_session_from_db(self):
        key = self.session_key
        if not key:  # (the session key property already refused a malformed one)
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"select session_data from {table} where session_key = %s and expire_date > %s",
                [stored_key(key), timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=stored_key(key), session_data=row[0])

    def exists(self, session_key):
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    def create_model_instance(self, data):
        obj = super().create_model_instance(data)
        obj.session_key = stored_key(obj.session_key)
        return obj

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key:
            self.model.objects.filter(session_key=stored_key(session_key)).delete()

    # The async API Django offers, through the same hashing (the console serves WSGI).
    async def _aget_session_from_db(self):
        return await sync_to_async(self._get_session_from_db)()

    async def aexists(self, session_key):
        return await sync_to_async(self.exists)(session_key)

    async def acreate_model_instance(self, data):
        obj = await super().acreate_model_instance(data)
        obj.session_key = stored_key(obj.session_key)
        return obj

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)
