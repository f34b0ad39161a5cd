"""What the console's own DATABASE_URL gives someone who has it: no code run through what the
console reads back (the cache), and no session through the sessions table (a hash of each
key, the data encrypted with a key derived from SECRET_KEY)."""

import base64
import binascii
import contextlib
import hashlib
import pickle
import zlib
from types import SimpleNamespace

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from console.auth import session as session_store
from console.auth.session_backend import SessionStore, stored_key
from localauth.db import conninfo_from_django

pytestmark = pytest.mark.django_db(transaction=True)

IP = "198.51.100.23"


def _as_console_role() -> psycopg.Connection:
    """A connection as the console's production role: what a leaked DATABASE_URL opens."""
    settings_dict = {**connection.settings_dict, "USER": "billygoat_console", "PASSWORD": ""}
    return psycopg.connect(conninfo_from_django(settings_dict), autocommit=True)


def _sign_in(client, user, ip=IP):
    return client.post(
        reverse("console:login"),
        {"email": user.email, "password": user.password},
        HTTP_USER_AGENT="pytest-leak",
        REMOTE_ADDR=ip,
    )


class _Payload:
    """Unpickled, it creates a file: proof that something ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_planted_in_the_cache_table_runs_nothing_on_sign_in(make_user, tmp_path):
    user = make_user("viewer")
    proof = tmp_path / "ran"
    # Django's database cache table, as `createcachetable` made it (the console dropped it).
    with connection.cursor() as cursor:
        cursor.execute("select to_regclass('console.console_cache') is null")
        created = cursor.fetchone()[0]
        cursor.execute(
            "create table if not exists console.console_cache (cache_key varchar(255)"
            " primary key, value text not null, expires timestamptz not null)"
        )
        cursor.execute(
            "grant select, insert, update, delete on console.console_cache to billygoat_console"
        )
    try:
        # The key the sign-in throttle's database cache read for "has this address signed in".
        pair = hashlib.sha256(f"{user.email.lower()}\x1f{IP}".encode()).hexdigest()
        value = base64.b64encode(pickle.dumps(_Payload(proof))).decode()
        with _as_console_role() as conn:
            conn.execute(
                "insert into console.console_cache values (%s, %s, now() + interval '1 day')",
                [f":1:known:pair:{pair}", value],
            )
        assert _sign_in(Client(), user).status_code == 302
        assert not proof.exists()
    finally:
        if created:
            with connection.cursor() as cursor:
                cursor.execute("drop table console.console_cache")


def _readable_forms(data: str) -> list[bytes]:
    """What base64 and zlib make of a stored session, as far as they go (Django's signed
    format is `[.]base64:timestamp:signature`, the dot saying compressed)."""
    forms = [data.encode()]
    for part in [data, *data.split(":")]:
        try:
            raw = base64.urlsafe_b64decode(part.lstrip(".") + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        forms.append(raw)
        with contextlib.suppress(zlib.error):
            forms.append(zlib.decompress(raw))
    return forms


def test_the_sessions_table_gives_neither_a_cookie_nor_a_token(make_user):
    user = make_user("editor")
    client = Client()
    assert _sign_in(client, user).status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    tokens = session_store.load(SimpleNamespace(session=client.session))
    with _as_console_role() as conn:
        rows = conn.execute(
            "select session_key, session_data from console.django_session"
        ).fetchall()
    assert rows and cookie not in {key for key, _ in rows}
    for key, data in rows:
        for form in _readable_forms(data):
            assert tokens.refresh_token.encode() not in form
            assert tokens.access_token.encode() not in form
        stranger = Client()
        stranger.cookies[settings.SESSION_COOKIE_NAME] = key
        response = stranger.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/").status_code == 200  # the cookie itself still signs in


def test_another_secret_key_reads_no_session(make_user, settings):
    user = make_user("viewer")
    client = Client()
    _sign_in(client, user)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40  # a rotated key signs everyone out
    assert client.get("/").status_code == 302


def test_signing_in_replaces_a_session_key_set_before(make_user):
    user = make_user("viewer")
    client = Client()
    planted = client.session  # a key someone could have given the browser beforehand
    planted["before"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert _sign_in(client, user).status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    assert not SessionStore().exists(planted.session_key)


def test_signing_out_deletes_the_session_row(make_user):
    user = make_user("viewer")
    client = Client()
    _sign_in(client, user)
    key = stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value)
    client.post(reverse("console:logout"))
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from console.django_session where session_key = %s", [key])
        assert cursor.fetchone()[0] == 0


def test_clearsessions_removes_expired_sessions(make_user):
    user = make_user("viewer")
    client = Client()
    _sign_in(client, user)
    key = stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value)
    with connection.cursor() as cursor:
        cursor.execute(
            "update console.django_session set expire_date = now() - interval '1 minute'"
            " where session_key = %s",
            [key],
        )
    assert client.get("/").status_code == 302  # expired: signed out
    call_command("clearsessions")
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from console.django_session where session_key = %s", [key])
        assert cursor.fetchone()[0] == 0
