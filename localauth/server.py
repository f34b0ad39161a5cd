"""The local auth server: a GoTrue-compatible HTTP API on 127.0.0.1 for development and tests.

    server = LocalAuthServer(LocalAuthConfig(dsn=..., jwt_secret=...), port=0).start()
    client = supabase.create_client(server.url, anon_key)   # supabase-py adds /auth/v1
    ...
    server.stop()

It is a stdlib ThreadingHTTPServer; state lives in the `auth.*` tables of the configured
database. `server.config` may be changed while it runs (e.g. a short access_token_lifetime).
"""

import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from localauth.app import MAX_BODY, AuthApp, Request, Response, json_response
from localauth.errors import AuthError, error_body, wants_2024_errors

logger = logging.getLogger("localauth")

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUTBOX = REPO_DIR / ".data" / "outbox"
ALLOWED_HOST = "127.0.0.1"


@dataclass
class LocalAuthConfig:
    dsn: str  # psycopg conninfo/URL of the database holding auth.*
    jwt_secret: str
    site_url: str = "http://127.0.0.1:8000"
    outbox_dir: Path = field(default_factory=lambda: DEFAULT_OUTBOX)
    access_token_lifetime: int = 3600
    signing_jwk: dict | None = None  # EC P-256 private JWK with "kid": sign ES256, not HS256
    otp_lifetime: int = 3600  # email links/codes (hosted MAILER_OTP_EXP)
    refresh_token_reuse_interval: int = 0  # seconds a revoked refresh token stays usable
    email_frequency: int = 0  # min seconds between emails to one user (GoTrue: 60); 0 = off
    # More allowed redirect_to URLs besides loopback and the site URL: GoTrue's URI_ALLOW_LIST
    # globs, e.g. "http://testserver/**".
    redirect_allow_list: list[str] = field(default_factory=list)
    # GoTrue's "require current password" (SECURITY_UPDATE_PASSWORD_REQUIRE_CURRENT_PASSWORD):
    # PUT /user with a password must carry the right current_password.
    password_update_requires_current: bool = False
    # GoTrue's RATE_LIMIT_TOKEN_REFRESH: /token requests per 5 minutes per client address
    # (default 150, burst 30; apilimiter.go). 0 turns the limit off.
    rate_limit_token_refresh: float = 150
    rate_limit_token_burst: int = 30
    # How long a refresh waits for a session another refresh holds before 409 conflict
    # (internal/tokens/service.go, retryLoopDuration).
    refresh_retry_seconds: float = 5.0
    # GOTRUE_SECURITY_CAPTCHA_ENABLED: sign-ins and emails need gotrue_meta_security's
    # captcha_token; the local server accepts only `captcha_accept_token` (hCaptcha's test
    # response) as a solved one.
    captcha_enabled: bool = False
    captcha_accept_token: str = "10000000-aaaa-bbbb-cccc-000000000001"
    # New-style secret API keys (sb_secret_...), which hosted Supabase's gateway turns into a
    # service_role JWT; and the project toggle that lets them carry Sb-Forwarded-For
    # (GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED, off for new projects).
    secret_keys: list[str] = field(default_factory=list)
    sb_forwarded_for_enabled: bool = False
    # Email links: "token_hash" ({{ .RedirectTo }}?token_hash=...&type=..., the templates
    # README asks projects to set) or "confirmation_url" (GoTrue's default templates'
    # {{ .ConfirmationURL }}: <api>/verify?token=...&type=...&redirect_to=...).
    email_links: str = "token_hash"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localauth"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end after this

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        app: AuthApp = self.server.app
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self.close_connection = True
            error = AuthError(413, "request_entity_too_large", "Request body too large")
            api_2024 = wants_2024_errors(self.headers.get("X-Supabase-Api-Version"))
            response = json_response(
                error_body(error, api_2024), 413, {"x-sb-error-code": error.code}
            )
        else:
            request = Request(
                method=self.command,
                target=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                client_ip=self.client_address[0],
            )
            response = app.handle(request)
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD" and response.status not in (204, 304):
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def log_request(self, code="-", size="-") -> None:
        # Never the query string: it may hold tokens (GET /verify?token=...).
        logger.debug("%s %s %s", self.command, self.path.split("?", 1)[0], code)

    def log_message(self, format, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        logger.debug("http: " + format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    app: AuthApp


class LocalAuthServer:
    def __init__(self, config: LocalAuthConfig, host: str = ALLOWED_HOST, port: int = 54321):
        if host != ALLOWED_HOST:
            raise ValueError(f"the local auth server only binds {ALLOWED_HOST}, not {host!r}")
        self.config = config
        self._httpd = _HTTPServer((host, port), _Handler)
        self.port = self._httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.app = AuthApp(config, self.url)
        self._httpd.app = self.app
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def api_url(self) -> str:
        return self.app.api_url

    def start(self) -> "LocalAuthServer":
        """Serve in a daemon thread."""
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"localauth:{self.port}",
                daemon=True,
            )
            self._thread.start()
            logger.info("local auth server on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted or stopped."""
        logger.info("local auth server on %s", self.url)
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._serving = False
            self._httpd.server_close()

    def stop(self) -> None:
        if self._serving:  # shutdown() would wait forever for a loop that never ran
            self._serving = False
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "LocalAuthServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
