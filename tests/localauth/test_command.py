"""`manage.py localauth`: refuses outside local development, otherwise serves with the
console's database, keys and outbox."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import override_settings
from psycopg.conninfo import conninfo_to_dict

from localauth.db import conninfo_from_django
from localauth.server import LocalAuthServer
from localauth.tokens import generate_signing_jwk


@pytest.fixture
def served(monkeypatch):
    """Run the command without blocking: capture the server instead of serving."""
    started = []

    def fake_serve_forever(self):
        started.append(self)
        self.stop()

    monkeypatch.setattr(LocalAuthServer, "serve_forever", fake_serve_forever)
    return started


@override_settings(DEBUG=False)
def test_refuses_with_debug_off(served):
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("localauth", "--port", "0")
    assert served == []


@override_settings(DEBUG=True, LOCAL_AUTH=False, SUPABASE_URL="https://abc.supabase.co")
def test_refuses_when_a_real_supabase_is_configured(served):
    with pytest.raises(CommandError, match="SUPABASE_URL"):
        call_command("localauth", "--port", "0")
    assert served == []


@override_settings(DEBUG=True, LOCAL_AUTH=True, SUPABASE_URL="http://127.0.0.1:54999")
def test_serves_with_the_console_settings(served, settings, monkeypatch, capsys):
    monkeypatch.setenv("LOCAL_AUTH_SITE_URL", "http://127.0.0.1:8123")
    monkeypatch.setenv("LOCAL_AUTH_REDIRECT_ALLOW_LIST", "https://a.example/**, http://b.test/cb")
    call_command("localauth", "--port", "0", "--access-token-lifetime", "120")
    (server,) = served
    config = server.config
    assert config.jwt_secret == settings.SUPABASE_JWT_SECRET
    assert config.site_url == "http://127.0.0.1:8123"
    assert config.outbox_dir == Path(settings.BASE_DIR) / ".data" / "outbox"
    assert config.access_token_lifetime == 120 and config.signing_jwk is None
    assert config.redirect_allow_list == ["https://a.example/**", "http://b.test/cb"]
    assert conninfo_to_dict(config.dsn)["dbname"] == connections["default"].settings_dict["NAME"]
    assert server.url.startswith("http://127.0.0.1:")
    assert "Local auth server on" in capsys.readouterr().out


@override_settings(DEBUG=True, LOCAL_AUTH=True, SUPABASE_URL="http://127.0.0.1:54999")
def test_default_port_and_site_url(served, monkeypatch):
    from console.management.commands import localauth as command

    monkeypatch.delenv("LOCAL_AUTH_SITE_URL", raising=False)
    monkeypatch.setenv("PORT", "8765")
    assert command.default_port() == 54999
    assert command.default_site_url() == "http://127.0.0.1:8765"


@override_settings(DEBUG=True, LOCAL_AUTH=True)
def test_signing_jwk_option(served, tmp_path):
    path = tmp_path / "jwk.json"
    jwk = generate_signing_jwk()
    path.write_text(json.dumps(jwk))
    call_command("localauth", "--port", "0", "--signing-jwk", str(path))
    assert served[0].config.signing_jwk == jwk
    path.write_text(json.dumps({"kty": "oct", "k": "abc"}))
    with pytest.raises(CommandError, match="EC P-256"):
        call_command("localauth", "--port", "0", "--signing-jwk", str(path))


def test_conninfo_from_django_settings():
    socket_dir = conninfo_to_dict(
        conninfo_from_django(
            {
                "NAME": "billygoat",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": "/tmp/pg sock",
                "PORT": "",
                "OPTIONS": {"options": "-c search_path=console"},
            }
        )
    )
    assert socket_dir == {"dbname": "billygoat", "user": "postgres", "host": "/tmp/pg sock"}
    tcp = conninfo_to_dict(
        conninfo_from_django(
            {
                "NAME": "app",
                "USER": "u",
                "PASSWORD": "p w'd",
                "HOST": "db.internal",
                "PORT": 6543,
                "OPTIONS": {"sslmode": "require"},
            }
        )
    )
    assert tcp == {
        "dbname": "app",
        "user": "u",
        "password": "p w'd",
        "host": "db.internal",
        "port": "6543",
        "sslmode": "require",
    }
