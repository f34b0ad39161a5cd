"""Two-factor sign-in through Supabase Auth (the local auth server's /factors endpoints):
enrolment at /users/me/mfa/, the code step at /login/mfa/, an admin's removal, the audit trail,
and the roles of MFA_REQUIRED_ROLES held at aal1 (console/auth/mfa.py)."""

import html
import re
import time

import jwt
import pyotp
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from console.auth.session import SESSION_KEY
from console.auth.tokens import verify_access_token
from tests.factories import claims_for, db_user
from tests.users.conftest import audit_rows

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = re.compile(r'data-totp-secret="([A-Z2-7]+)"')


def claims_of(client) -> dict:
    return verify_access_token(client.session[SESSION_KEY]["access_token"])


def enrol(client, name="Work phone") -> str:
    """Add an authenticator app and confirm it with its first code; the secret."""
    page = client.post("/users/me/mfa/", {"friendly_name": name})
    assert page.status_code == 200
    body = page.content.decode()
    secret = SECRET.search(body).group(1)
    assert 'src="data:image/svg+xml;base64,' in body  # the QR code, served inline
    factor = re.search(r'name="factor" value="([0-9a-f-]{36})"', body).group(1)
    done = client.post(
        "/users/me/mfa/verify/", {"factor": factor, "code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 302 and done["Location"] == "/users/me/mfa/"
    return secret


def wrong(secret: str) -> str:
    return f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"


def password_step(user, next_url="/agents/") -> tuple[Client, object]:
    client = Client(HTTP_USER_AGENT="pytest-mfa")
    response = client.post(
        "/login/", {"email": user.email, "password": user.password, "next": next_url}
    )
    return client, response


def test_enrolment_verifies_the_factor_and_raises_this_session_to_aal2(signed_in):
    client = signed_in("viewer")
    page = client.get("/users/me/mfa/").content.decode()
    assert "None yet" in page and "Add an authenticator app" in page
    secret = enrol(client)
    assert claims_of(client)["aal"] == "aal2"
    page = client.get("/users/me/mfa/").content.decode()
    assert "Work phone" in page and "Verified" in page
    assert secret not in page  # shown once, at enrolment
    rows = audit_rows(client.user.id)
    assert [r.action for r in rows if r.action.startswith("MFA")] == ["MFA_ENROLL", "MFA_VERIFY"]
    for row in rows:
        assert row.new_values["factor"] == "Work phone"
        assert str(row.user_id) == str(client.user.id)
        assert secret not in str(row.new_values)


def test_a_wrong_first_code_leaves_the_factor_unverified_and_is_audited(signed_in):
    client = signed_in("viewer")
    body = client.post("/users/me/mfa/", {"friendly_name": ""}).content.decode()
    secret = SECRET.search(body).group(1)
    factor = re.search(r'name="factor" value="([0-9a-f-]{36})"', body).group(1)
    refused = client.post("/users/me/mfa/verify/", {"factor": factor, "code": wrong(secret)})
    assert refused.status_code == 400
    assert "That code is not right" in refused.content.decode()
    assert claims_of(client)["aal"] == "aal1"
    assert "Not verified" in client.get("/users/me/mfa/").content.decode()
    assert [r.action for r in audit_rows(client.user.id, "MFA_CODE_REFUSED")]


def test_sign_in_asks_for_the_code_and_reaches_nothing_else_until_it(signed_in):
    client = signed_in("admin")
    secret = enrol(client)
    user = client.user
    second, response = password_step(user)
    assert response.status_code == 302
    assert response["Location"] == "/login/mfa/?next=%2Fagents%2F"
    for path in ("/", "/agents/", "/users/me/", "/users/me/mfa/"):
        away = second.get(path)
        assert away.status_code == 302 and away["Location"].startswith("/login/mfa/"), path
    assert second.post("/agents/new/", {"name": "x"})["Location"].startswith("/login/mfa/")
    step = second.get(response["Location"])
    assert step.status_code == 200 and 'name="code"' in step.content.decode()

    refused = second.post("/login/mfa/", {"code": wrong(secret), "next": "/agents/"})
    assert refused.status_code == 400
    assert "That code is not right" in refused.content.decode()
    assert audit_rows(user.id, "MFA_FAILED")[0].new_values["factor"] == "Work phone"

    done = second.post("/login/mfa/", {"code": pyotp.TOTP(secret).now(), "next": "/agents/"})
    assert done.status_code == 302 and done["Location"] == "/agents/"
    assert claims_of(second)["aal"] == "aal2"
    assert second.get("/agents/").status_code == 200
    assert audit_rows(user.id, "MFA_LOGIN")


def test_wrong_codes_are_throttled_like_passwords(signed_in, settings):
    settings.LOGIN_THROTTLE_EMAIL_LIMIT = 3
    client = signed_in("viewer")
    secret = enrol(client)
    second, _ = password_step(client.user)
    statuses = [second.post("/login/mfa/", {"code": wrong(secret)}).status_code for _ in range(4)]
    assert statuses[:2] == [400, 400] and statuses[-1] == 429
    blocked = second.post("/login/mfa/", {"code": pyotp.TOTP(secret).now()})
    assert blocked.status_code == 429 and "Too many wrong codes" in blocked.content.decode()


def test_an_admin_removes_a_lost_factor_and_the_password_is_enough_again(signed_in):
    owner = signed_in("viewer")
    enrol(owner, "Lost phone")
    admin = signed_in("admin")
    page = admin.get(f"/users/{owner.user.id}/").content.decode()
    assert "Lost phone" in page
    link = html.unescape(re.search(r'href="([^"]*/factors/[^"]*/remove/)"', page).group(1))
    assert admin.get(link).status_code == 200
    refused = admin.post(link, {"confirm_email": "someone@else.test"})
    assert refused.status_code == 400
    done = admin.post(link, {"confirm_email": owner.user.email})
    assert done.status_code == 302 and done["Location"] == f"/users/{owner.user.id}/"

    assert owner.get("/users/me/")["Location"].startswith("/login/")  # their session ended
    row = audit_rows(owner.user.id, "MFA_ADMIN_DELETE")[0]
    assert str(row.user_id) == str(admin.user.id) and row.new_values["factor"] == "Lost phone"
    _, response = password_step(owner.user, "/")
    assert response["Location"] == "/"


def test_removing_ones_own_verified_factor_needs_the_code_first(signed_in):
    client = signed_in("viewer")
    secret = enrol(client)
    factor = re.search(
        r"/users/me/mfa/([0-9a-f-]{36})/remove/", client.get("/users/me/mfa/").content.decode()
    ).group(1)
    second, _ = password_step(client.user)
    assert second.post(f"/users/me/mfa/{factor}/remove/")["Location"].startswith("/login/mfa/")
    second.post("/login/mfa/", {"code": pyotp.TOTP(secret).now()})
    removed = second.post(f"/users/me/mfa/{factor}/remove/")
    assert removed.status_code == 302
    assert "None yet" in second.get("/users/me/mfa/").content.decode()
    assert audit_rows(client.user.id, "MFA_UNENROLL")[0].new_values["factor"] == "Work phone"


# --- MFA_REQUIRED_ROLES -----------------------------------------------------------------------


@pytest.fixture
def admins_need_mfa(settings):
    settings.MFA_REQUIRED_ROLES = ["admin"]
    with connection.cursor() as cursor:
        cursor.execute("select private.set_mfa_required_roles(array['admin'])")
    yield
    with connection.cursor() as cursor:
        cursor.execute("select private.set_mfa_required_roles('{}')")


def token_client(user, aal: str) -> Client:
    """A client whose session holds a token of this assurance level (signed with the
    project's secret, as client_as does)."""
    from dataclasses import asdict

    from console.auth.session import StoredTokens

    amr = [{"method": "password", "timestamp": 1}] + (
        [{"method": "totp", "timestamp": 2}] if aal == "aal2" else []
    )
    claims = claims_for(user.id, user.email, aal=aal, amr=amr)
    token = jwt.encode(claims, settings.SUPABASE_JWT_SECRET, algorithm="HS256")
    client = Client(HTTP_USER_AGENT="pytest-mfa")
    session = client.session
    session[SESSION_KEY] = asdict(StoredTokens(token, "unused", int(time.time()) + 3600, user.id))
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def test_an_aal1_admin_reads_but_every_write_and_the_admin_pages_send_them_to_enrol(
    admins_need_mfa, signed_in
):
    client = signed_in("admin")
    assert client.get("/agents/").status_code == 200
    assert client.get("/users/me/").status_code == 200
    for response in (
        client.post("/agents/new/", {"name": "Refused", "type": "analyzer", "status": "active"}),
        client.get("/users/"),
        client.get("/system/"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/users/me/mfa/")
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from public.ai_agents where name = 'Refused'")
        assert cursor.fetchone()[0] == 0
    assert client.get("/users/me/mfa/").status_code == 200  # enrolment itself is open
    enrol(client)  # (a POST too)
    assert client.get("/users/").status_code == 200  # at aal2 now


def test_an_aal1_admin_with_a_factor_goes_to_the_code_step(admins_need_mfa):
    admin = db_user("admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status,"
            " created_at, updated_at, secret) values (gen_random_uuid(), %s, 'Phone', 'totp',"
            " 'verified', now(), now(), 'JBSWY3DPEHPK3PXP')",
            [admin.id],
        )
    client = token_client(admin, "aal1")
    response = client.get("/users/")
    assert response.status_code == 302 and response["Location"].startswith("/login/mfa/")


def test_an_aal2_admin_writes(admins_need_mfa):
    admin = db_user("admin")
    client = token_client(admin, "aal2")
    assert client.get("/users/").status_code == 200
    created = client.post(
        "/agents/new/", {"name": "Allowed", "type": "analyzer", "status": "active"}
    )
    assert created.status_code == 302 and not created["Location"].startswith("/users/me/mfa/")
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from public.ai_agents where name = 'Allowed'")
        assert cursor.fetchone()[0] == 1


def test_roles_not_listed_are_not_asked(admins_need_mfa):
    client = token_client(db_user("editor"), "aal1")
    created = client.post("/knowledge/new/", {"title": "T", "content": "C", "category": "x"})
    assert not created.get("Location", "").startswith(("/users/me/mfa/", "/login/mfa/"))
