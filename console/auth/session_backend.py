"""Django's database sessions, read with one plain query.

Every signed-in request loads its session first; through the ORM that lookup cost more than
the query itself. The table, the rows and the expiry rule are Django's own
(`django.contrib.sessions.backends.db`); only the read is written out."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
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
                [key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])
