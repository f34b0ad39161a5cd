"""Emails of the local auth server (invite, recovery, magic link, sign-up confirmation).

They go to the outbox. The link follows Supabase's SSR email template,
`{{ .RedirectTo }}?token_hash={{ .TokenHash }}&type=<type>` (the app then calls
`verify_otp({"token_hash", "type"})`), or with `email_links="confirmation_url"` GoTrue's
default templates' `{{ .ConfirmationURL }}` (GET /verify, which redirects with the session in
the URL fragment). `redirect_to` is honoured when it is on loopback, under
the site URL or in the allow list (GoTrue's `IsRedirectURLValid`); otherwise the site URL is used.
"""

import re
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

from localauth import outbox

SUBJECTS = {
    "invite": "You have been invited",
    "recovery": "Reset Your Password",
    "magiclink": "Your Magic Link",
    "signup": "Confirm Your Signup",
}
INTROS = {
    "invite": "You have been invited to create a user. Follow this link to accept the invite:",
    "recovery": "Follow this link to reset the password for your user:",
    "magiclink": "Follow this link to login:",
    "signup": "Follow this link to confirm your user:",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _glob_regex(pattern: str) -> re.Pattern:
    """GoTrue's URI_ALLOW_LIST globs (gobwas/glob with separators "." and "/"): `**` matches
    anything, `*` and `?` stay within one host label or path segment."""
    parts = []
    for token in re.split(r"(\*\*|\*|\?)", pattern):
        if token == "**":
            parts.append(".*")
        elif token == "*":
            parts.append(r"[^./]*")
        elif token == "?":
            parts.append(r"[^./]")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts) + r"\Z")


def resolve_redirect(redirect_to: str | None, site_url: str, allow_list: Iterable[str] = ()) -> str:
    """`redirect_to` if it is allowed (loopback, the site URL's origin and path, or a match in
    the allow list), otherwise the site URL."""
    if not redirect_to:
        return site_url
    try:
        target, site = urlsplit(redirect_to), urlsplit(site_url)
        target_port, site_port = target.port, site.port
    except ValueError:
        return site_url
    if target.scheme not in ("http", "https") or not target.hostname:
        return site_url
    if target.hostname in _LOOPBACK:
        return redirect_to
    same_origin = (target.scheme, target.hostname, target_port) == (
        site.scheme,
        site.hostname,
        site_port,
    )
    if same_origin and target.path.startswith(site.path.rstrip("/")):
        return redirect_to
    if any(_glob_regex(pattern).match(redirect_to) for pattern in allow_list):
        return redirect_to
    return site_url


def redirect_for(config, redirect_to: str | None) -> str:
    return resolve_redirect(redirect_to, config.site_url, config.redirect_allow_list)


def with_query(url: str, params: dict) -> str:
    separator = "&" if "?" in url else "?"
    fragment = ""
    if "#" in url:
        url, fragment = url.split("#", 1)
        fragment = "#" + fragment
        separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode(params)}{fragment}"


def email_link(redirect_url: str, hashed: str, verification_type: str) -> str:
    return with_query(redirect_url, {"token_hash": hashed, "type": verification_type})


def action_link(api_url: str, hashed: str, verification_type: str, redirect_url: str) -> str:
    """GoTrue's `action_link`: its own GET /verify, which redirects to `redirect_url`."""
    return with_query(
        f"{api_url}/verify",
        {"token": hashed, "type": verification_type, "redirect_to": redirect_url},
    )


LINK_STYLES = ("token_hash", "confirmation_url")


def send(
    outbox_dir,
    *,
    to: str,
    verification_type: str,
    hashed: str,
    otp: str,
    redirect_url: str,
    link_style: str = "token_hash",
    api_url: str = "",
) -> dict:
    """Mail the link. "confirmation_url" is GoTrue's default templates' {{ .ConfirmationURL }}
    (internal/mailer/templatemailer/templatemailer.go, `getPath`: the API's /verify with
    token=<hash>&type=<type>&redirect_to=<redirect>); "token_hash" the SSR template."""
    if link_style == "confirmation_url":
        link = action_link(api_url, hashed, verification_type, redirect_url)
    else:
        link = email_link(redirect_url, hashed, verification_type)
    text = f"{INTROS[verification_type]}\n\n{link}\n\nAlternatively, enter the code: {otp}\n"
    return outbox.write_message(
        outbox_dir,
        to=to,
        subject=SUBJECTS[verification_type],
        text=text,
        link=link,
        type=verification_type,
    )
