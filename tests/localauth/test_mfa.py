"""TOTP multi-factor authentication against GoTrue's shapes (supabase/auth internal/api/mfa.go,
admin.go, token.go updateMFASessionAndClaims, internal/models/factor.go, sessions.go
CalculateAALAndAMR), through supabase-py's `auth.mfa` / `auth.admin.mfa` where it can go."""

import time
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pyotp
import pytest
from django.conf import settings
from supabase_auth.errors import AuthApiError

from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.localauth.conftest import fetch, fetch_one, service_headers

pytestmark = pytest.mark.django_db(transaction=True)

VERSION = {"X-Supabase-Api-Version": "2024-01-01"}
# models.Factor's JSON: web_authn_aaguid and last_webauthn_challenge_data are omitempty and nil
# for TOTP; friendly_name is omitempty.
FACTOR_KEYS = [
    "id",
    "created_at",
    "updated_at",
    "status",
    "friendly_name",
    "factor_type",
    "phone",
    "last_challenged_at",
]


def signed_in(anon, user):
    client = anon()
    client.auth.sign_in_with_password({"email": user.email, "password": DEFAULT_TEST_PASSWORD})
    return client


def bearer(token: str) -> dict:
    return {**VERSION, "apikey": settings.SUPABASE_ANON_KEY, "Authorization": f"Bearer {token}"}


def token_of(client) -> str:
    return client.auth.get_session().access_token


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def enroll(client, **params):
    return client.auth.mfa.enroll({"factor_type": "totp", **params})


def verified_factor(client, name="Authenticator"):
    """Enroll, challenge, verify: the client's session is then aal2."""
    factor = enroll(client, friendly_name=name)
    client.auth.mfa.challenge_and_verify(
        {"factor_id": factor.id, "code": pyotp.TOTP(factor.totp.secret).now()}
    )
    return factor


# --- POST /factors (mfa.go EnrollFactor, enrollTOTPFactor) ----------------------------------


def test_enroll_answers_like_gotrue(anon, make_user, api, auth_server):
    user = make_user()
    client = signed_in(anon, user)

    factor = enroll(client, friendly_name="Phone app", issuer="BillyGoat")
    assert factor.type == "totp" and factor.friendly_name == "Phone app"
    # supabase-py prefixes GoTrue's raw SVG markup itself (gotrue_client.py _enroll).
    assert factor.totp.qr_code.startswith("data:image/svg+xml;utf-8,<?xml")
    key = pyotp.parse_uri(factor.totp.uri)
    assert (key.secret, key.issuer, key.name) == (factor.totp.secret, "BillyGoat", user.email)
    assert (key.digits, key.interval) == (6, 30)
    assert len(factor.totp.secret) == 32  # 20 random bytes, base32 without padding

    # EnrollFactorResponse: id, type, friendly_name, totp {qr_code, secret, uri}; no phone.
    response = api.post("/factors", json={"factor_type": "totp"}, headers=bearer(token_of(client)))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["id", "type", "friendly_name", "totp"]
    assert body["friendly_name"] == ""
    assert list(body["totp"]) == ["qr_code", "secret", "uri"]
    svg = body["totp"]["qr_code"]
    assert svg.startswith('<?xml version="1.0"?>') and svg.rstrip().endswith("</svg>")
    assert "#" not in svg  # safe after `data:image/svg+xml;utf-8,` without escaping
    # No issuer: the host of the site URL, port included (mfa.go enrollTOTPFactor: u.Host).
    site_host = urlsplit(auth_server.config.site_url).netloc
    uri = urlsplit(body["totp"]["uri"])
    assert parse_qs(uri.query)["issuer"] == [site_host]
    assert unquote(uri.path) == f"/{site_host}:{user.email}"

    row = fetch_one("select * from auth.mfa_factors where id = %s", [factor.id])
    assert (row["status"], row["factor_type"], row["secret"]) == (
        "unverified",
        "totp",
        factor.totp.secret,
    )
    assert str(row["user_id"]) == user.id and row["friendly_name"] == "Phone app"

    listed = client.auth.mfa.list_factors()
    assert {f.id for f in listed.all} == {factor.id, body["id"]}
    assert listed.totp == []  # only verified factors


def test_enroll_refusals_follow_validate_factors(anon, make_user, api):
    client = signed_in(anon, make_user())
    headers = bearer(token_of(client))

    def post(body):
        return api.post("/factors", json=body, headers=headers)

    assert post({"factor_type": "totp", "friendly_name": "Key"}).status_code == 200
    response = post({"factor_type": "totp", "friendly_name": "Key"})
    assert error(response) == (422, "mfa_factor_name_conflict")
    assert response.json()["message"] == (
        'A factor with the friendly name "Key" for this user already exists'
    )
    # A second factor without a name clashes with the first one's "" as well.
    assert post({"factor_type": "totp"}).status_code == 200
    assert error(post({"factor_type": "totp"})) == (422, "mfa_factor_name_conflict")

    assert error(post({"factor_type": "phone", "phone": "+15555550100"})) == (
        422,
        "mfa_phone_enroll_not_enabled",
    )
    assert error(post({"factor_type": "webauthn"})) == (422, "mfa_webauthn_enroll_not_enabled")
    assert error(post({"factor_type": "sms"})) == (400, "validation_failed")
    assert error(post({"factor_type": "totp", "friendly_name": 7})) == (400, "bad_json")

    for n in range(8):  # 10 factors in all: MaxEnrolledFactors
        assert post({"factor_type": "totp", "friendly_name": f"k{n}"}).status_code == 200
    response = post({"factor_type": "totp", "friendly_name": "eleventh"})
    assert error(response) == (422, "too_many_enrolled_mfa_factors")
    assert error(api.post("/factors", json={"factor_type": "totp"}, headers=VERSION)) == (
        401,
        "no_authorization",
    )


def test_an_anonymous_token_may_not_enroll(anon, make_user, api):
    client = signed_in(anon, make_user())
    anonymous = jwt.encode(
        {**claims(token_of(client)), "is_anonymous": True},
        settings.SUPABASE_JWT_SECRET,
        algorithm="HS256",
    )
    response = api.post("/factors", json={"factor_type": "totp"}, headers=bearer(anonymous))
    assert error(response) == (403, "no_authorization")


def test_user_json_lists_factors_only_when_there_are_some(anon, make_user, api):
    client = signed_in(anon, make_user())
    headers = bearer(token_of(client))
    assert "factors" not in api.get("/user", headers=headers).json()  # `factors,omitempty`

    factor = enroll(client, friendly_name="Phone app")
    listed = api.get("/user", headers=headers).json()["factors"]
    assert [list(f) for f in listed] == [FACTOR_KEYS]
    assert listed[0]["id"] == factor.id and listed[0]["status"] == "unverified"
    assert (listed[0]["phone"], listed[0]["last_challenged_at"]) == ("", None)


# --- POST /factors/{id}/challenge and /verify ----------------------------------------------


def test_challenge_and_verify_raise_the_session_to_aal2(anon, make_user, api):
    user = make_user()
    client = signed_in(anon, user)
    other_device = signed_in(anon, user)
    first = client.auth.get_session()
    assert claims(first.access_token)["aal"] == "aal1"
    factor = enroll(client, friendly_name="Authenticator")
    spare = enroll(client, friendly_name="Spare")

    before = int(time.time())
    challenge = client.auth.mfa.challenge({"factor_id": factor.id})
    assert challenge.factor_type == "totp"
    assert before + 300 <= challenge.expires_at <= int(time.time()) + 300  # ChallengeExpiry 300 s
    row = fetch_one(
        "select factor_id, host(ip_address) as ip from auth.mfa_challenges where id = %s",
        [challenge.id],
    )
    assert (str(row["factor_id"]), row["ip"]) == (factor.id, "127.0.0.1")
    raw = api.post(f"/factors/{factor.id}/challenge", headers=bearer(first.access_token)).json()
    assert list(raw) == ["id", "type", "expires_at"]  # ChallengeFactorResponse

    verified = client.auth.mfa.verify(
        {
            "factor_id": factor.id,
            "challenge_id": challenge.id,
            "code": pyotp.TOTP(factor.totp.secret).now(),
        }
    )
    token = claims(verified.access_token)
    assert (
        token["aal"] == "aal2" and token["session_id"] == claims(first.access_token)["session_id"]
    )
    assert [a["method"] for a in token["amr"]] == ["totp", "password"]  # most recent first
    assert all(isinstance(a["timestamp"], int) for a in token["amr"])
    assert verified.refresh_token != first.refresh_token
    assert [f.id for f in verified.user.factors] == [factor.id, spare.id]

    session_row = fetch_one(
        "select aal, factor_id from auth.sessions where id = %s", [token["session_id"]]
    )
    assert (session_row["aal"], str(session_row["factor_id"])) == ("aal2", factor.id)
    assert fetch_one("select status from auth.mfa_factors where id = %s", [factor.id])[
        "status"
    ] == ("verified")
    # The other unverified TOTP factors go, and so do the user's other aal1 sessions.
    assert fetch_one("select 1 from auth.mfa_factors where id = %s", [spare.id]) is None
    other_id = claims(token_of(other_device))["session_id"]
    assert fetch_one("select 1 from auth.sessions where id = %s", [other_id]) is None
    # The aal1 refresh token was swapped for the one the verification returned.
    old = fetch_one(
        "select revoked from auth.refresh_tokens where token = %s", [first.refresh_token]
    )
    assert old["revoked"] is True

    level = client.auth.mfa.get_authenticator_assurance_level()
    assert (level.current_level, level.next_level) == ("aal2", "aal2")
    assert [f.id for f in client.auth.mfa.list_factors().totp] == [factor.id]

    refreshed = claims(client.auth.refresh_session().session.access_token)
    assert refreshed["aal"] == "aal2" and refreshed["amr"] == token["amr"]

    # A later password sign-in starts at aal1 and is told there is more to do.
    later = signed_in(anon, user)
    assert claims(token_of(later))["aal"] == "aal1"
    level = later.auth.mfa.get_authenticator_assurance_level()
    assert (level.current_level, level.next_level) == ("aal1", "aal2")


def test_a_wrong_code_is_refused_and_the_challenge_stays(anon, make_user, api):
    client = signed_in(anon, make_user())
    factor = enroll(client)
    totp = pyotp.TOTP(factor.totp.secret)
    challenge_id = client.auth.mfa.challenge({"factor_id": factor.id}).id
    headers = bearer(token_of(client))
    url = f"/factors/{factor.id}/verify"

    wrong = str((int(totp.now()) + 1) % 1_000_000).zfill(6)
    for code in (wrong, "12345", "abcdef", "1234567"):
        response = api.post(url, json={"challenge_id": challenge_id, "code": code}, headers=headers)
        assert error(response) == (422, "mfa_verification_failed")
        assert response.json()["message"] == "Invalid TOTP code entered"
    response = api.post(url, json={"challenge_id": challenge_id, "code": ""}, headers=headers)
    assert error(response) == (400, "validation_failed")
    assert fetch_one("select status from auth.mfa_factors where id = %s", [factor.id])[
        "status"
    ] == ("unverified")
    assert claims(client.auth.refresh_session().session.access_token)["aal"] == "aal1"

    good = api.post(url, json={"challenge_id": challenge_id, "code": totp.now()}, headers=headers)
    assert good.status_code == 200
    body = good.json()
    # AccessTokenResponse, as the password grant answers
    assert list(body)[:6] == [
        "access_token",
        "token_type",
        "expires_in",
        "expires_at",
        "refresh_token",
        "user",
    ]
    # A verified challenge cannot be used again (validateChallenge's VerifiedAt check).
    again = api.post(
        url,
        json={"challenge_id": challenge_id, "code": totp.now()},
        headers=bearer(body["access_token"]),
    )
    assert error(again) == (422, "mfa_ip_address_mismatch")


def test_one_step_of_drift_is_accepted_either_way(anon, make_user):
    client = signed_in(anon, make_user())
    factor = enroll(client)
    totp = pyotp.TOTP(factor.totp.secret)

    def attempt(offset: int):
        if time.time() % 30 > 28:  # a step boundary between code and check would shift both
            time.sleep(2.5)
        challenge_id = client.auth.mfa.challenge({"factor_id": factor.id}).id
        return client.auth.mfa.verify(
            {
                "factor_id": factor.id,
                "challenge_id": challenge_id,
                "code": totp.at(time.time() + offset),
            }
        )

    for offset in (-90, 90):  # three steps off: never within one step of the server's
        with pytest.raises(AuthApiError) as refused:
            attempt(offset)
        assert refused.value.code == "mfa_verification_failed" and refused.value.status == 422
    assert claims(attempt(-30).access_token)["aal"] == "aal2"
    assert claims(attempt(30).access_token)["aal"] == "aal2"


def test_challenge_errors_follow_validate_challenge(anon, make_user, api):
    client = signed_in(anon, make_user())
    factor = enroll(client)
    code = pyotp.TOTP(factor.totp.secret).now()
    headers = bearer(token_of(client))
    url = f"/factors/{factor.id}/verify"

    unknown = api.post(url, json={"challenge_id": str(uuid.uuid4()), "code": code}, headers=headers)
    assert error(unknown) == (422, "mfa_factor_not_found")
    assert error(api.post(url, json={"challenge_id": "nope", "code": code}, headers=headers)) == (
        400,
        "bad_json",
    )

    challenge_id = client.auth.mfa.challenge({"factor_id": factor.id}).id
    fetch(
        "update auth.mfa_challenges set created_at = created_at - interval '301 seconds'"
        " where id = %s returning id",
        [challenge_id],
    )
    expired = api.post(url, json={"challenge_id": challenge_id, "code": code}, headers=headers)
    assert error(expired) == (422, "mfa_challenge_expired")
    assert expired.json()["message"] == (
        f"MFA challenge {challenge_id} has expired, verify against another challenge or "
        "create a new challenge."
    )
    assert fetch_one("select 1 from auth.mfa_challenges where id = %s", [challenge_id]) is None


def test_factor_routes_need_a_factor_of_the_caller(anon, make_user, api):
    owner = signed_in(anon, make_user())
    factor = enroll(owner)
    stranger = bearer(token_of(signed_in(anon, make_user())))

    for method, path in (
        ("POST", "/challenge"),
        ("POST", "/verify"),
        ("DELETE", ""),
    ):
        response = api.request(method, f"/factors/{factor.id}{path}", json={}, headers=stranger)
        assert error(response) == (404, "mfa_factor_not_found")
        response = api.request(method, f"/factors/not-a-uuid{path}", json={}, headers=stranger)
        assert error(response) == (404, "validation_failed")
        assert response.json()["message"] == "factor_id must be an UUID"


# --- DELETE /factors/{id} (mfa.go UnenrollFactor) -------------------------------------------


def test_unenrolling_a_verified_factor_needs_aal2_and_downgrades_the_session(anon, make_user, api):
    user = make_user()
    client = signed_in(anon, user)
    factor = verified_factor(client)
    aal2_session = claims(token_of(client))["session_id"]

    aal1 = signed_in(anon, user)
    response = api.delete(f"/factors/{factor.id}", headers=bearer(token_of(aal1)))
    assert error(response) == (422, "insufficient_aal")
    assert response.json()["message"] == "AAL2 required to unenroll verified factor"
    # Enrolling another factor at aal1 is refused as well (validateFactors).
    response = api.post("/factors", json={"factor_type": "totp"}, headers=bearer(token_of(aal1)))
    assert error(response) == (403, "insufficient_aal")
    # An unverified factor can go at aal1.
    extra = enroll(client, friendly_name="Second")
    assert aal1.auth.mfa.unenroll({"factor_id": extra.id}).id == extra.id

    assert client.auth.mfa.unenroll({"factor_id": factor.id}).id == factor.id
    assert fetch_one("select 1 from auth.mfa_factors where id = %s", [factor.id]) is None
    row = fetch_one("select aal, factor_id from auth.sessions where id = %s", [aal2_session])
    assert (row["aal"], row["factor_id"]) == ("aal1", None)
    assert fetch(
        "select authentication_method from auth.mfa_amr_claims where session_id = %s",
        [aal2_session],
    ) == [{"authentication_method": "password"}]
    refreshed = claims(client.auth.refresh_session().session.access_token)
    assert refreshed["aal"] == "aal1" and [a["method"] for a in refreshed["amr"]] == ["password"]
    assert client.auth.get_user().user.factors is None


# --- /admin/users/{id}/factors (admin.go adminUserGetFactors, adminUserDeleteFactor) -------


def test_admin_lists_and_deletes_factors(anon, make_user, admin, api):
    user = make_user()
    client = signed_in(anon, user)
    assert admin.mfa.list_factors({"user_id": user.id}) == []
    factor = verified_factor(client, name="Authenticator")
    session_id = claims(token_of(client))["session_id"]

    listed = admin.mfa.list_factors({"user_id": user.id})
    assert [(f.id, f.status, f.factor_type, f.friendly_name) for f in listed] == [
        (factor.id, "verified", "totp", "Authenticator")
    ]
    raw = api.get(f"/admin/users/{user.id}/factors", headers=service_headers(**VERSION)).json()
    assert [list(f) for f in raw] == [FACTOR_KEYS]
    assert raw[0]["last_challenged_at"] is not None
    admin_user = api.get(f"/admin/users/{user.id}", headers=service_headers(**VERSION)).json()
    assert [f["id"] for f in admin_user["factors"]] == [factor.id]

    forbidden = api.get(f"/admin/users/{user.id}/factors", headers=bearer(token_of(client)))
    assert error(forbidden) == (403, "not_admin")
    missing = api.delete(
        f"/admin/users/{user.id}/factors/{uuid.uuid4()}", headers=service_headers(**VERSION)
    )
    assert error(missing) == (404, "mfa_factor_not_found")
    nobody = api.get(f"/admin/users/{uuid.uuid4()}/factors", headers=service_headers(**VERSION))
    assert error(nobody) == (404, "user_not_found")

    # The answer is the deleted factor's JSON; supabase-py reads its id.
    deleted = admin.mfa.delete_factor({"user_id": user.id, "id": factor.id})
    assert deleted.id == factor.id
    assert admin.mfa.list_factors({"user_id": user.id}) == []
    row = fetch_one("select aal, factor_id from auth.sessions where id = %s", [session_id])
    assert (row["aal"], row["factor_id"]) == ("aal1", None)
    assert claims(client.auth.refresh_session().session.access_token)["aal"] == "aal1"


def test_a_soft_deleted_user_keeps_no_factors(anon, make_user, admin):
    user = make_user()
    enroll(signed_in(anon, user), friendly_name="Authenticator")
    admin.delete_user(user.id, should_soft_delete=True)  # admin.go adminUserDelete
    assert fetch("select id from auth.mfa_factors where user_id = %s", [user.id]) == []
