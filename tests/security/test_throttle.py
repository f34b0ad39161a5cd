"""Sign-in throttling that protects people instead of locking them out."""

import statistics
import threading
import time

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from console.http import client_ip
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD

WRONG = "Wrong-password-123"


def sign_in(client, email, password=DEFAULT_TEST_PASSWORD, ip="198.51.100.7"):
    return client.post(
        reverse("console:login"),
        {"email": email, "password": password},
        HTTP_USER_AGENT="pytest-throttle",
        REMOTE_ADDR=ip,
    )


def test_five_wrong_passwords_from_one_address_do_not_stop_the_owner(make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 5
    owner = make_user("viewer")
    attacker = Client()
    statuses = [
        sign_in(attacker, owner.email, WRONG, ip="203.0.113.66").status_code for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]  # the stranger's own address waits
    assert sign_in(Client(), owner.email, ip="198.51.100.7").status_code == 302  # the owner


def _defaults(settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 5
    settings.LOGIN_THROTTLE_IP_LIMIT = 20
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 50
    settings.LOGIN_THROTTLE_BACKOFF = 60


def test_a_stranger_hammering_from_one_address_does_not_lock_the_owner_out(make_user, settings):
    _defaults(settings)
    editor = make_user("editor")
    stranger = Client()
    statuses = [
        sign_in(stranger, editor.email, WRONG, ip="127.0.0.2").status_code for _ in range(55)
    ]
    assert statuses == [400] * 5 + [429] * 50
    # The 50 refused attempts counted toward no account limit: the owner, elsewhere, signs in.
    assert sign_in(Client(), editor.email, ip="127.0.0.3").status_code == 302


def test_an_attempt_refused_for_its_pair_counts_toward_no_address_limit(make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 2
    settings.LOGIN_THROTTLE_IP_LIMIT = 4
    owner, colleague = make_user("viewer"), make_user("viewer")
    office = "192.0.2.44"
    statuses = [sign_in(Client(), owner.email, WRONG, ip=office).status_code for _ in range(10)]
    assert statuses == [400] * 2 + [429] * 8
    # The address has tried two passwords, not ten: a colleague there is not refused.
    assert sign_in(Client(), colleague.email, ip=office).status_code == 302


def test_an_accounts_limit_refuses_failing_addresses_only(make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 10
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 3
    owner = make_user("viewer")
    guesses = [
        sign_in(Client(), owner.email, WRONG, ip=f"203.0.113.{n}").status_code for n in (1, 2, 3)
    ]
    assert guesses == [400, 400, 400]  # the third reached the account's limit: blocked now
    # An address that has been failing for the account waits, whatever its own count.
    assert sign_in(Client(), owner.email, WRONG, ip="203.0.113.1").status_code == 429
    assert sign_in(Client(), owner.email, ip="203.0.113.2").status_code == 429
    # A new address gets one try; once it has failed, it waits too.
    assert sign_in(Client(), owner.email, WRONG, ip="203.0.113.4").status_code == 400
    assert sign_in(Client(), owner.email, WRONG, ip="203.0.113.4").status_code == 429
    # The owner, from an address with no failures, signs in.
    assert sign_in(Client(), owner.email, ip="198.51.100.70").status_code == 302


def test_a_known_address_is_stored_in_a_plain_table(make_user):
    owner = make_user("viewer")
    assert sign_in(Client(), owner.email, ip="198.51.100.71").status_code == 302
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from private.login_known_pair where expires_at > now() + interval"
            " '29 days'"
        )
        assert cursor.fetchone()[0] >= 1


def test_failures_from_an_office_address_do_not_stop_its_own_people(make_user, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 3
    office = "192.0.2.10"
    colleague = make_user("viewer")
    assert sign_in(Client(), colleague.email, ip=office).status_code == 302  # known here
    stranger = Client()
    for n in range(3):
        sign_in(stranger, f"nobody-{n}@example.com", WRONG, ip=office)
    assert sign_in(stranger, "someone@example.com", WRONG, ip=office).status_code == 429
    assert sign_in(Client(), colleague.email, ip=office).status_code == 302


def test_forgot_password_requests_do_not_lock_anyone_out_of_signing_in(make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 2
    owner = make_user("viewer")
    for _ in range(5):
        Client().post(
            reverse("console:password_forgot"), {"email": owner.email}, REMOTE_ADDR="198.51.100.7"
        )
    assert sign_in(Client(), owner.email).status_code == 302


def test_sixty_parallel_wrong_tries_let_at_most_the_limit_through(make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 5
    owner = make_user("viewer")
    barrier = threading.Barrier(60)
    statuses: list[int] = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(sign_in(Client(), owner.email, WRONG, ip="203.0.113.99").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(statuses) == 60
    tried = [status for status in statuses if status != 429]
    assert len(tried) <= 5 and set(tried) <= {400}, statuses


def test_sign_in_time_does_not_tell_whether_the_email_has_an_account(make_user, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 1000
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 1000
    owner = make_user("viewer")
    client = Client()

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            response = sign_in(client, email, WRONG)
            times.append(time.perf_counter() - started)
            assert response.status_code == 400
            assert "Incorrect email or password." in response.content.decode()
        return statistics.median(times)

    sign_in(client, "warm-up@example.com", WRONG)
    known, unknown = median_seconds(owner.email), median_seconds("no-such-user@example.com")
    assert abs(known - unknown) < 0.15 * max(known, unknown), (known, unknown)


def test_the_auth_server_checks_a_password_for_unknown_emails_too(make_user, settings):
    """The local auth server alone (the console's floor off): an unknown email costs a bcrypt
    check as a known one does."""
    settings.LOGIN_FAILURE_MIN_MS = 0
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 1000
    settings.LOGIN_THROTTLE_IP_LIMIT = 1000
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 1000
    owner = make_user("viewer")
    client = Client()

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(9):
            started = time.perf_counter()
            sign_in(client, email, WRONG)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = median_seconds(owner.email), median_seconds("nobody-here@example.com")
    assert unknown > 0.5 * known, (known, unknown)


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "count", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", [], 1, "203.0.113.5"),  # a count alone trusts nobody
        ("203.0.113.5", "1.2.3.4", ["10.0.0.0/8"], 1, "203.0.113.5"),  # not from the proxy
        ("10.1.2.3", "1.2.3.4", ["10.0.0.0/8"], 1, "1.2.3.4"),  # from the proxy
        ("10.1.2.3", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"], 1, "1.2.3.4"),  # spoofed entry left
        ("10.1.2.3", "1.2.3.4, 10.9.9.9", ["10.0.0.0/8"], 2, "1.2.3.4"),  # two proxies
        ("10.1.2.3", "not-an-ip", ["10.0.0.0/8"], 1, "10.1.2.3"),
        ("::1", "2001:db8::1", ["::1"], 1, "2001:db8::1"),
    ],
)
def test_x_forwarded_for_is_trusted_only_from_a_configured_proxy(
    settings, remote, forwarded, proxies, count, expected
):
    settings.TRUSTED_PROXIES = proxies
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_rotated_forwarded_header_from_outside_does_not_dodge_the_limit(make_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = []
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 3
    owner = make_user("viewer")
    client = Client()
    statuses = [
        client.post(
            reverse("console:login"),
            {"email": owner.email, "password": WRONG},
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
