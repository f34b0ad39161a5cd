"""The Supabase CLI's own `supabase db push` sets up a new hosted project, and the README's
recipe completes it: the pinned CLI (`make supabase-cli`) pushes supabase/migrations as the
project's `postgres` (here `hosted_postgres`, not superuser), `manage.py db_migrate` then adds
only Django's tables, and the console, started as a process that logs in as billygoat_console,
serves its pages; `supabase migration list` shows one history. The email templates of
supabase/config.toml link to the page where the console takes a password.

The CLI talks to nothing but the database: telemetry and the update check are off, HOME is a
throwaway directory, and nothing asks Docker or the Supabase API (`--db-url`, `--skip-vault`).
"""

import html
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from console.schema import migrations
from tests.adoption.conftest import OWNER, HostedDatabase
from tests.adoption.test_console_process import _csrf, _run_console, _stop
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

BASE_DIR = Path(settings.BASE_DIR)
CLI = Path(os.environ.get("SUPABASE_CLI") or BASE_DIR / ".data/tools/node_modules/.bin/supabase")
CONSOLE_PASSWORD = "console-test-password"
NEW_PASSWORD = "Chosen-Through-The-Link-7"


@pytest.fixture(scope="session")
def supabase_cli(tmp_path_factory):
    """Runs the pinned CLI offline; skipped where it is not installed, but never under CI."""
    if not CLI.exists():
        message = f"the Supabase CLI is not installed at {CLI}: `make supabase-cli` installs it"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    env = {
        **os.environ,
        "HOME": str(tmp_path_factory.mktemp("supabase-home")),
        "DO_NOT_TRACK": "1",
        "SUPABASE_TELEMETRY_DISABLED": "1",
        "SUPABASE_NO_UPDATE_NOTIFIER": "1",
    }

    def run(*args: str) -> str:
        done = subprocess.run(  # noqa: S603
            [str(CLI), *args, "--workdir", str(BASE_DIR)],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"supabase {' '.join(args)} failed:\n{output[-4000:]}"
        return output

    return run


def _cli_url(hosted: HostedDatabase, role: str) -> str:
    """The database as the CLI takes it: a host name is required, so a socket directory
    goes in `host=` (libpq's rule: it overrides the name)."""
    db = settings.DATABASES["default"]
    host, port = db["HOST"], db["PORT"] or "5432"
    if host.startswith("/"):
        return f"postgresql://{role}@localhost:{port}/{hosted.name}?host={host}"
    return f"postgresql://{role}@{host}:{port}/{hosted.name}"


def _manage(*args: str, database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    env.pop("SUPABASE_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _listed(output: str) -> list[tuple[str, str]]:
    """(local, remote) of each row of `supabase migration list`'s table."""
    rows = []
    for line in output.splitlines():
        cells = [cell.strip().strip("`") for cell in line.split("|")]
        if len(cells) == 3 and (cells[0].isdigit() or cells[1].isdigit()):
            rows.append((cells[0], cells[1]))
    return rows


def test_db_push_then_db_migrate_sets_up_a_new_project_the_console_serves(
    supabase_cli, new_project_db, auth_server_factory, tmp_path
):
    local = [migration.version for migration in migrations()]

    owner_url = _cli_url(new_project_db, OWNER)
    pushed = supabase_cli(
        "db", "push", "--db-url", owner_url, "--include-all", "--skip-vault", "--yes"
    )
    assert "Finished supabase db push" in pushed, pushed

    # The README's next step, as the project's owner: Django's tables, no SQL left to apply.
    migrated = _manage("db_migrate", database_url=new_project_db.url_as(OWNER))
    assert f"0 applied, {len(local)} already there" in migrated, migrated
    with new_project_db.connect() as conn:
        django_tables = {
            row[0]
            for row in conn.execute(
                "select tablename from pg_tables where schemaname = 'console'"
                " and tablename like 'django%'"
            )
        }
        assert django_tables == {"django_migrations", "django_session"}
        conn.execute(f"alter role billygoat_console with password '{CONSOLE_PASSWORD}'")

    # Supabase Auth on the project (as GoTrue's own role); the first admin made as the README says.
    auth = auth_server_factory(dsn=new_project_db.url_as("supabase_auth_admin"))
    email = f"first-admin-{new_project_db.name}@example.com"
    created = httpx.post(
        f"{auth.url}/auth/v1/admin/users",
        json={"email": email, "password": DEFAULT_TEST_PASSWORD, "email_confirm": True},
        headers={
            "apikey": settings.SUPABASE_SERVICE_ROLE_KEY,
            "Authorization": f"Bearer {settings.SUPABASE_SERVICE_ROLE_KEY}",
        },
    )
    assert created.status_code == 200, created.text
    with new_project_db.connect() as conn:
        conn.execute("select public.promote_user_to_admin(%s)", [email])

    console_url = new_project_db.url_as("billygoat_console").replace(
        "billygoat_console:@", f"billygoat_console:{CONSOLE_PASSWORD}@", 1
    )
    process, base = _run_console(console_url, auth, tmp_path)
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=20) as browser:
            assert browser.get("/healthz").json() == {"status": "ok"}
            login = browser.get("/login/")
            signed_in = browser.post(
                "/login/",
                data={
                    "email": email,
                    "password": DEFAULT_TEST_PASSWORD,
                    "csrfmiddlewaretoken": _csrf(login),
                },
                headers={"Referer": base + "/login/"},
            )
            assert signed_in.status_code == 302, signed_in.text[:500]
            for page in ("/", "/users/", "/audit/"):
                assert browser.get(page).status_code == 200, page
        with new_project_db.connect() as conn:
            served_by = {
                row[0]
                for row in conn.execute(
                    "select usename from pg_stat_activity"
                    " where datname = current_database() and application_name = 'billygoat-console'"
                )
            }
    finally:
        _stop(process)
    assert served_by == {"billygoat_console"}

    listed = _listed(supabase_cli("migration", "list", "--db-url", owner_url))
    assert listed == [(version, version) for version in local]


def _go_template(text: str, **fields: str) -> str:
    for name, value in fields.items():
        text = text.replace("{{ ." + name + " }}", value)
    assert "{{" not in text, text
    return text


@pytest.mark.parametrize("kind", ["invite", "recovery"])
def test_the_email_templates_link_to_the_consoles_password_page(
    kind, transactional_db, make_user, auth_admin
):
    """supabase/config.toml's templates, filled in as Supabase Auth does for a link the
    console asked for, open the console's password page; the password set there signs in."""
    config = tomllib.loads((BASE_DIR / "supabase/config.toml").read_text())
    password_page = reverse("console:password_set")
    allowed = config["auth"]["additional_redirect_urls"]
    assert allowed and {urlsplit(url).path for url in allowed} == {password_page}

    template = config["auth"]["email"]["template"][kind]
    if kind == "recovery":
        email = make_user("viewer").email
    else:
        email = f"invited-{os.getpid()}@example.com"
    options = {"redirect_to": "http://testserver" + password_page}
    link = auth_admin.generate_link({"type": kind, "email": email, "options": options}).properties
    body = _go_template(
        (BASE_DIR / template["content_path"]).read_text(),
        RedirectTo=link.redirect_to,
        TokenHash=link.hashed_token,
    )
    href = html.unescape(re.search(r'href="([^"]+)"', body).group(1))

    browser = Client()
    form = browser.get(href)
    assert form.status_code == 200, form.content[:500]
    assert f'name="type" value="{kind}"' in form.content.decode()
    fields = {"token_hash": link.hashed_token, "type": kind}
    fields |= {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    done = browser.post(password_page, fields)
    assert done.status_code == 302 and done["Location"] == reverse("console:login")
    signed_in = Client().post(reverse("console:login"), {"email": email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_every_database_url_the_console_is_served_with_names_its_own_role():
    """The manual and .env.example: a DATABASE_URL names billygoat_console, but for the
    schema's own command (db_migrate), which runs as the project's postgres."""
    recipes = []
    for name in (
        "README.md",
        *sorted(str(p.relative_to(BASE_DIR)) for p in (BASE_DIR / "docs").glob("*.md")),
        ".env.example",
    ):
        for line in (BASE_DIR / name).read_text().splitlines():
            for url, rest in re.findall(r"DATABASE_URL=(\S+)(.*)", line):
                if "db_migrate" not in rest:
                    recipes.append(url)
                    assert urlsplit(url).username.partition(".")[0] == "billygoat_console", line
    assert len(recipes) >= 3  # .env.example's, the hosted project's, the local stack's
