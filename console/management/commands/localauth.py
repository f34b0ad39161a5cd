"""`manage.py localauth [--port N]`: the local auth server in the foreground.

It stands in for Supabase Auth on the console's own database and keys, so it only runs in
local mode (no real SUPABASE_URL) with DEBUG on.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from localauth.db import conninfo_from_django
from localauth.mailer import LINK_STYLES
from localauth.server import LocalAuthConfig, LocalAuthServer

DEFAULT_PORT = 54321


def default_port() -> int:
    try:
        return urlsplit(settings.SUPABASE_URL).port or DEFAULT_PORT
    except ValueError:
        return DEFAULT_PORT


def default_site_url() -> str:
    return os.environ.get("LOCAL_AUTH_SITE_URL") or (
        f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"
    )


def redirect_allow_list() -> list[str]:
    """Extra allowed redirect_to URLs (GoTrue URI_ALLOW_LIST globs), comma-separated."""
    value = os.environ.get("LOCAL_AUTH_REDIRECT_ALLOW_LIST", "")
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def project_settings() -> dict:
    """Supabase Auth project settings the console depends on, from the environment (as a
    hosted project's dashboard sets them): the /token rate limit per 5 minutes per IP
    (GoTrue's default 150; 0 off), CAPTCHA, the email links' form, the secret keys and
    whether they may forward the client's IP."""
    settings_ = {}
    rate = os.environ.get("LOCAL_AUTH_RATE_LIMIT_TOKEN_REFRESH", "").strip()
    if rate:
        try:
            settings_["rate_limit_token_refresh"] = float(rate)
        except ValueError:
            raise CommandError("LOCAL_AUTH_RATE_LIMIT_TOKEN_REFRESH must be a number") from None
    links = os.environ.get("LOCAL_AUTH_EMAIL_LINKS", "").strip()
    if links:
        if links not in LINK_STYLES:
            raise CommandError(f"LOCAL_AUTH_EMAIL_LINKS must be one of {', '.join(LINK_STYLES)}")
        settings_["email_links"] = links
    settings_["captcha_enabled"] = _env_on("LOCAL_AUTH_CAPTCHA")
    settings_["secret_keys"] = _env_list("LOCAL_AUTH_SECRET_KEYS")
    settings_["sb_forwarded_for_enabled"] = _env_on("LOCAL_AUTH_SB_FORWARDED_FOR")
    return settings_


class Command(BaseCommand):
    help = (
        "Run the local auth server (a GoTrue-compatible stand-in for Supabase Auth) on "
        "127.0.0.1 in the foreground. Local development only: refuses to run with DEBUG off "
        "or with a real SUPABASE_URL configured."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="Port on 127.0.0.1 (default: the port of SUPABASE_URL, 54321).",
        )
        parser.add_argument(
            "--access-token-lifetime",
            type=int,
            default=3600,
            help="Access-token lifetime in seconds (default 3600).",
        )
        parser.add_argument(
            "--signing-jwk",
            type=Path,
            default=None,
            help="A JSON file with an EC P-256 private JWK (with a kid): sign "
            "access tokens with ES256 instead of HS256.",
        )

    def handle(self, *args, port=None, access_token_lifetime=3600, signing_jwk=None, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The local auth server only runs with DEBUG on; it is not for production."
            )
        if not getattr(settings, "LOCAL_AUTH", False):
            raise CommandError(
                "SUPABASE_URL points at a real Supabase project, so the local "
                "auth server is not used; unset SUPABASE_URL to run it."
            )
        if access_token_lifetime < 1:
            raise CommandError("--access-token-lifetime must be at least 1 second")
        config = LocalAuthConfig(
            dsn=conninfo_from_django(connections["default"].settings_dict),
            jwt_secret=settings.SUPABASE_JWT_SECRET,
            site_url=default_site_url(),
            outbox_dir=Path(settings.DATA_DIR) / "outbox",
            access_token_lifetime=access_token_lifetime,
            signing_jwk=self._signing_jwk(signing_jwk),
            redirect_allow_list=redirect_allow_list(),
            **project_settings(),
        )
        port = port if port is not None else default_port()
        try:
            server = LocalAuthServer(config, port=port)
        except OSError as exc:
            raise CommandError(f"Cannot listen on 127.0.0.1:{port}: {exc}") from None
        self.stdout.write(
            f"Local auth server on {server.url}/auth/v1 (site {config.site_url}, "
            f"outbox {config.outbox_dir}, {'ES256' if config.signing_jwk else 'HS256'} tokens). "
            "Ctrl-C to stop."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    @staticmethod
    def _signing_jwk(path: Path | None) -> dict | None:
        if path is None:
            return None
        try:
            jwk = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the signing JWK from {path}: {exc}") from None
        if (
            not isinstance(jwk, dict)
            or jwk.get("kty") != "EC"
            or jwk.get("crv") != "P-256"
            or "d" not in jwk
            or not jwk.get("kid")
        ):
            raise CommandError("The signing JWK must be an EC P-256 private key with a kid")
        return jwk
