"""Production settings: `check --deploy` clean, secrets only from the environment; settings
only read (importing them starts and writes nothing)."""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.local_default import KEY_VARIABLES
from localauth.config import KEYS_FILE, make_keys

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "console.example.com",
    "SUPABASE_URL": "https://abcdefghijklmnopqrst.supabase.co",
    "SUPABASE_ANON_KEY": "anon-key-for-the-check",
    "DATABASE_URL": "postgresql://postgres:secret@db.example.com:6543/postgres?sslmode=require",
}


def manage(*args, env):
    # The test run's own switches (pytest's async allowance) are not production's.
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SUPABASE_ANON_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_a_malformed_boolean_setting_fails_loudly():
    result = manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_production_cookies_are_secure_and_http_only():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split() == ["True", "True", "True", "Lax", "True", "False"], result.stderr


# Settings only read -----------------------------------------------------------------------

LOCAL_VARIABLES = ("DATABASE_URL", "SUPABASE_URL", *KEY_VARIABLES)


def bare_env(**extra) -> dict:
    """The environment of a fresh shell: none of the test run's database or keys."""
    env = {k: v for k, v in os.environ.items() if k not in LOCAL_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return {**env, **extra}


@pytest.fixture
def checkout(tmp_path):
    """A copy of the code without any `.data/`, so importing its settings can be watched."""
    root = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("console", "localauth"):
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    return root


def import_settings(root: Path, env: dict) -> dict:
    code = (
        "import json; from console import settings as s;"
        "print(json.dumps({'url': s.DATABASE_URL, 'embedded': s.EMBEDDED_DATABASE,"
        " 'secret': s.SUPABASE_JWT_SECRET, 'anon': s.SUPABASE_ANON_KEY}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# 1. Settings only read the environment -------------------------------------------------


def test_importing_settings_with_no_data_dir_creates_nothing_and_starts_nothing(checkout):
    loaded = import_settings(checkout, bare_env())
    assert not (checkout / ".data").exists()  # no key file, no database cluster
    assert loaded["embedded"] is True
    # The URL names where the embedded server's socket would be; nothing listens there.
    assert loaded["url"].endswith(f"host={checkout / '.data' / 'postgres'}")
    # No keys anywhere: empty, so every token is refused (tokens.py needs a secret).
    assert loaded["secret"] == "" and loaded["anon"] == ""


def test_settings_read_keys_from_the_environment_first_then_an_existing_key_file(checkout):
    from_file, from_env = make_keys(), make_keys()
    (checkout / ".data").mkdir()
    (checkout / ".data" / KEYS_FILE).write_text(json.dumps(from_file.__dict__))
    assert import_settings(checkout, bare_env())["secret"] == from_file.jwt_secret
    env = bare_env(SUPABASE_JWT_SECRET=from_env.jwt_secret)
    assert import_settings(checkout, env)["secret"] == from_env.jwt_secret
    assert sorted(p.name for p in (checkout / ".data").iterdir()) == [KEYS_FILE]
