"""Pieces without HTTP: Go durations, the outbox, redirects, token material."""

import hashlib
import time
from datetime import timedelta

import pytest

from localauth.durations import DurationError, parse_go_duration, parse_go_duration_ns
from localauth.mailer import email_link, resolve_redirect
from localauth.outbox import latest_link, list_messages, write_message
from localauth.tokens import (
    generate_signing_jwk,
    is_refresh_token_format,
    new_refresh_token,
    public_jwk,
    token_hash,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("876000h", timedelta(hours=876000)),
        ("1.5h", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("300ms", timedelta(milliseconds=300)),
        ("2us", timedelta(microseconds=2)),
        ("0", timedelta(0)),
        ("+5m", timedelta(minutes=5)),
        ("-1h", timedelta(hours=-1)),
    ],
)
def test_go_durations(text, expected):
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("abc", 'time: invalid duration "abc"'),
        ("24", 'time: missing unit in duration "24"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("h", 'time: invalid duration "h"'),
        ("3000000h", 'time: invalid duration "3000000h"'),
        (".h", 'time: invalid duration ".h"'),
    ],
)
def test_invalid_go_durations(text, message):
    with pytest.raises(DurationError) as caught:
        parse_go_duration_ns(text)
    assert str(caught.value) == message


def test_outbox_lists_newest_first_and_finds_links(tmp_path):
    assert list_messages(tmp_path / "missing") == []
    first = write_message(
        tmp_path, to="A@Example.test", subject="s1", text="t", link="L1", type="invite"
    )
    time.sleep(0.001)
    write_message(tmp_path, to="b@example.test", subject="s2", text="t", link="L2", type="recovery")
    time.sleep(0.001)
    write_message(tmp_path, to="a@example.test", subject="s3", text="t", link="L3", type="recovery")
    messages = list_messages(tmp_path)
    assert [m["subject"] for m in messages] == ["s3", "s2", "s1"]
    assert set(first) == {"id", "to", "subject", "text", "link", "type", "created_at"}
    assert first["created_at"].endswith("Z") and "T" in first["created_at"]
    assert latest_link(tmp_path, "a@example.test") == "L3"
    assert latest_link(tmp_path, "a@example.test", "invite") == "L1"
    assert latest_link(tmp_path, "c@example.test") is None


def test_redirects_and_email_links():
    site = "http://127.0.0.1:8000"
    assert resolve_redirect(None, site) == site
    assert resolve_redirect("http://127.0.0.1:9999/cb", site) == "http://127.0.0.1:9999/cb"
    assert resolve_redirect("http://localhost/cb", site) == "http://localhost/cb"
    assert (
        resolve_redirect("http://127.0.0.1:8000/auth/confirm", "http://127.0.0.1:8000")
        == "http://127.0.0.1:8000/auth/confirm"
    )
    assert (
        resolve_redirect("https://console.example/a", "https://console.example")
        == "https://console.example/a"
    )
    assert (
        resolve_redirect("https://console.example.evil/a", "https://console.example")
        == "https://console.example"
    )
    assert resolve_redirect("javascript:alert(1)", site) == site
    assert resolve_redirect("https://evil.example/", site) == site
    allow = ["http://testserver/**", "https://*.preview.example/cb"]
    assert resolve_redirect("http://testserver/auth/confirm/", site, allow) == (
        "http://testserver/auth/confirm/"
    )
    assert resolve_redirect("https://pr-1.preview.example/cb", site, allow) == (
        "https://pr-1.preview.example/cb"
    )
    assert resolve_redirect("https://a.b.preview.example/cb", site, allow) == site
    assert resolve_redirect("https://pr-1.preview.example/cb/x", site, allow) == site
    assert resolve_redirect("http://testserver.evil/x", site, allow) == site
    assert (
        email_link("http://x.test/confirm", "abc", "invite")
        == "http://x.test/confirm?token_hash=abc&type=invite"
    )
    assert (
        email_link("http://x.test/confirm?next=%2F", "abc", "recovery")
        == "http://x.test/confirm?next=%2F&token_hash=abc&type=recovery"
    )


def test_token_material():
    token = new_refresh_token()
    assert is_refresh_token_format(token) and token == token.lower()
    assert not is_refresh_token_format("ABCDEFGHIJKL") and not is_refresh_token_format("abc")
    # GoTrue: hex(sha224(email + otp))
    assert (
        token_hash("a@example.test", "123456")
        == hashlib.sha224(b"a@example.test123456").hexdigest()
    )
    jwk = generate_signing_jwk(kid="k1")
    public = public_jwk(jwk)
    assert public["kid"] == "k1" and "d" not in public and public["key_ops"] == ["verify"]
