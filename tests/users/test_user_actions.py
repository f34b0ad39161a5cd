"""Every admin action through the console: the change in the database or in Supabase Auth (the
local auth server), the audit row with old and new values, and a clear refusal for bad input.
"""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console.users import actions
from localauth.outbox import latest_link
from tests.confirming import confirmed_post
from tests.fixtures_auth import DEFAULT_TEST_PASSWORD
from tests.users.conftest import audit_rows, auth_row, role_of, version_of

pytestmark = pytest.mark.django_db(transaction=True)

COMMON_BUT_STRONG_LOOKING = "1234567890Qwertyuiop"  # in Django's list of common passwords


def url(name, user=None):
    return reverse(f"users:{name}", kwargs={"pk": user.id} if user else None)


def sign_in(email, password=DEFAULT_TEST_PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("console:login"), {"email": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


# --- role -------------------------------------------------------------------------------------


def test_an_admin_changes_a_role_and_the_change_is_audited(admin, make_user):
    target = make_user("viewer")
    response = admin.post(
        url("user_role", target),
        {"role": "editor", "version": version_of(target.id)},
        HTTP_USER_AGENT="pytest-admin",
    )
    assert response.status_code == 302
    assert role_of(target.id) == "editor"
    [row] = audit_rows(target.id, "UPDATE")
    assert (str(row.user_id), row.user_agent) == (admin.user.id, "pytest-admin")
    assert row.old_values["role"] == "viewer" and row.new_values["role"] == "editor"


def test_an_unknown_role_is_refused_with_a_clear_message(admin, make_user):
    target = make_user("viewer")
    response = admin.post(url("user_role", target), {"role": "superuser"})
    assert response.status_code == 400
    assert "Choose one of the roles: admin, editor, auditor, viewer." in response.content.decode()
    assert role_of(target.id) == "viewer" and audit_rows(target.id) == []


def test_an_admin_is_warned_before_demoting_themself(admin, make_user):
    make_user("admin")  # someone stays admin
    me = admin.user
    response = admin.post(url("user_role", me), {"role": "viewer", "version": version_of(me.id)})
    assert response.status_code == 200
    assert "Give up your admin role?" in response.content.decode()
    assert role_of(me.id) == "admin"
    response = admin.post(
        url("user_role", me),
        {"role": "viewer", "version": version_of(me.id), "confirm_self": "True"},
    )
    assert response.status_code == 302 and role_of(me.id) == "viewer"
    assert admin.get(url("user_list")).status_code == 403


def test_the_last_admin_cannot_demote_themself(admin):
    me = admin.user
    response = admin.post(
        url("user_role", me), {"role": "editor", "version": version_of(me.id), "confirm_self": "1"}
    )
    assert response.status_code == 403
    assert "last active admin" in response.content.decode()
    assert role_of(me.id) == "admin" and audit_rows(me.id) == []


def test_supabase_auth_itself_cannot_ban_or_delete_the_last_active_admin(
    admin, make_user, auth_admin
):
    """The database's rule holds even for Supabase Auth's admin API, called directly."""
    from supabase_auth.errors import AuthError

    make_user("viewer")  # someone who would be left without an admin
    me = admin.user
    with pytest.raises(AuthError):
        auth_admin.update_user_by_id(me.id, {"ban_duration": "24h"})
    with pytest.raises(AuthError):
        auth_admin.delete_user(me.id)
    assert auth_row(me.id)["banned_until"] is None and role_of(me.id) == "admin"


def test_a_stale_form_changes_nothing_and_says_why(admin, make_user):
    target = make_user("viewer")
    opened = version_of(target.id)
    admin.post(url("user_display_name", target), {"display_name": "First", "version": opened})
    response = admin.post(url("user_role", target), {"role": "auditor", "version": opened})
    assert response.status_code == 409
    assert "changed after you opened the page" in response.content.decode()
    assert role_of(target.id) == "viewer"
    # The re-shown form carries the current version: sending it again works.
    assert f'value="{version_of(target.id)}"' in response.content.decode()
    for name, data in [
        ("user_display_name", {"display_name": "Second"}),
        ("user_ban", {"duration": "1h"}),
        ("user_delete", {"confirm_email": target.email}),
    ]:
        assert admin.post(url(name, target), {**data, "version": opened}).status_code == 409
    assert auth_row(target.id)["banned_until"] is None
    assert [r.action for r in audit_rows(target.id)] == ["UPDATE"]


# --- make admin -------------------------------------------------------------------------------


def test_make_admin_by_email_goes_through_promote_user_to_admin(admin, make_user):
    target = make_user("editor")
    response = admin.post(url("user_promote"), {"email": target.email.upper()})
    assert response.status_code == 302
    assert role_of(target.id) == "admin"
    [row] = audit_rows(target.id, "UPDATE")
    assert str(row.user_id) == admin.user.id
    assert (row.old_values["role"], row.new_values["role"]) == ("editor", "admin")
    assert set(row.new_values) == {"role", "updated_at"}  # the audit trigger: what changed


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.test", "No user has the email address nobody@example.test."),
        ("not-an-email", "Enter an email address such as name@example.com."),
    ],
)
def test_make_admin_refuses_unknown_and_malformed_emails(admin, email, message):
    response = admin.post(url("user_promote"), {"email": email})
    assert response.status_code == 400
    assert message in response.content.decode()


# --- invite -----------------------------------------------------------------------------------


def test_an_invited_user_sets_a_password_and_signs_in_with_the_role_given(admin, auth_server):
    email = "invited.editor@example.test"
    response = admin.post(
        url("user_invite"), {"email": email, "role": "editor", "display_name": "Ivy Invited"}
    )
    assert response.status_code == 302
    user_id = response.url.rstrip("/").split("/")[-1]
    state = auth_row(user_id)
    assert state["invited_at"] is not None and state["email_confirmed_at"] is None
    assert role_of(user_id) == "editor"
    invite_row, role_row = audit_rows(user_id)
    assert (invite_row.action, invite_row.old_values) == ("INVITE", None)
    assert invite_row.new_values == {
        "email": email,
        "role": "editor",
        "display_name": "Ivy Invited",
    }
    assert (role_row.old_values["role"], role_row.new_values["role"]) == (
        None,
        "editor",
    )  # a new user has no role

    link = latest_link(auth_server.config.outbox_dir, email, "invite")
    parts = urlsplit(link)
    assert parts.path == reverse("console:password_set") and "type=invite" in parts.query
    invited = Client()
    assert invited.get(f"{parts.path}?{parts.query}").status_code == 200
    token_hash = dict(p.split("=", 1) for p in parts.query.split("&"))["token_hash"]
    new_password = "Ivy-Sets-Her-Own-2026"
    response = invited.post(
        reverse("console:password_set"),
        {
            "token_hash": token_hash,
            "type": "invite",
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    page = sign_in(email, new_password).get("/").content.decode()
    assert "Knowledge base" in page and ">Users<" not in page
    assert auth_row(user_id)["email_confirmed_at"] is not None


@pytest.mark.parametrize("action", ["user_invite", "user_create"])
def test_a_new_users_updated_at_never_goes_back_in_time(admin, auth_server, action):
    """Supabase Auth makes the profile in its own transaction, after the console's request
    transaction began; setting the role afterwards must not stamp it with that earlier time."""
    data = {"email": f"clock.{action}@example.test", "role": "editor"}
    if action == "user_create":
        data["new_password1"] = data["new_password2"] = "Clock-Forward-2026"
    response = admin.post(url(action), data)
    assert response.status_code == 302
    user_id = response.url.rstrip("/").split("/")[-1]
    [role_row] = audit_rows(user_id, "UPDATE")
    old = datetime.fromisoformat(role_row.old_values["updated_at"])
    new = datetime.fromisoformat(role_row.new_values["updated_at"])
    assert new >= old, (old, new)
    assert new <= role_row.created_at


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "bad@", "role": "viewer"}, "Enter an email address such as name@example.com."),
        ({"email": "x@example.test", "role": "owner"}, "Choose one of the roles"),
    ],
)
def test_invite_refuses_bad_input_and_invites_nobody(admin, auth_server, data, message):
    response = admin.post(url("user_invite"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert latest_link(auth_server.config.outbox_dir, data["email"]) is None


def test_invite_refuses_an_existing_email(admin, make_user, auth_server):
    existing = make_user("viewer")
    response = admin.post(url("user_invite"), {"email": existing.email, "role": "admin"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert role_of(existing.id) == "viewer"
    assert latest_link(auth_server.config.outbox_dir, existing.email, "invite") is None


# --- create -----------------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_signs_in_with_that_password(admin):
    email, password = "created.auditor@example.test", "Made-By-Admin-2026"
    response = admin.post(
        url("user_create"),
        {
            "email": email,
            "display_name": "Cora Created",
            "role": "auditor",
            "new_password1": password,
            "new_password2": password,
        },
    )
    assert response.status_code == 302
    user_id = response.url.rstrip("/").split("/")[-1]
    assert auth_row(user_id)["email_confirmed_at"] is not None
    assert role_of(user_id) == "auditor"
    create_row = audit_rows(user_id, "CREATE")[0]
    assert create_row.old_values is None
    assert create_row.new_values["role"] == "auditor"
    assert "password" not in str(create_row.new_values).lower()
    assert sign_in(email, password).get(url("user_list")).status_code == 200  # auditors read


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1a", "Use at least 12 characters."),
        ("alllowercase-and-digits-123", "Add an upper-case letter."),
        (COMMON_BUT_STRONG_LOOKING, "This password is too common"),
    ],
)
def test_create_says_why_a_password_is_refused_and_creates_nobody(admin, password, message):
    email = "weak@example.test"
    response = admin.post(
        url("user_create"),
        {"email": email, "role": "viewer", "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not actions.email_taken(email)


# --- ban --------------------------------------------------------------------------------------


def test_a_ban_ends_the_users_open_session_and_unbanning_lets_them_back(admin, make_user):
    target = make_user("editor")
    target_client = sign_in(target.email)
    assert target_client.get("/").status_code == 200

    response = admin.post(
        url("user_ban", target), {"duration": "168h", "version": version_of(target.id)}
    )
    assert response.status_code == 302
    banned_until = auth_row(target.id)["banned_until"]
    assert abs(banned_until - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    [row] = audit_rows(target.id, "BAN")
    assert row.old_values == {"banned_until": None}
    assert row.new_values["ban_duration"] == "168h"

    # Their next request, with the session they already had, ends it.
    response = target_client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("console:login"))
    assert target_client.get("/").status_code == 302  # and stays ended
    page = admin.get(url("user_list") + "?state=banned").content.decode()
    assert target.email in page

    response = admin.post(url("user_unban", target), {"version": version_of(target.id)})
    assert response.status_code == 302
    assert auth_row(target.id)["banned_until"] is None
    [row] = audit_rows(target.id, "UNBAN")
    assert row.old_values["banned_until"] is not None and row.new_values == {"banned_until": None}
    assert sign_in(target.email).get("/").status_code == 200


def test_a_ban_needs_a_duration_offered(admin, make_user):
    target = make_user("viewer")
    response = admin.post(url("user_ban", target), {"duration": "3d"})
    assert response.status_code == 400
    assert "Choose one of the ban durations offered." in response.content.decode()
    assert auth_row(target.id)["banned_until"] is None


def test_an_admin_cannot_ban_or_delete_themself(admin):
    me = admin.user
    assert admin.post(url("user_ban", me), {"duration": "1h"}).status_code == 403
    response = admin.post(url("user_delete", me), {"confirm_email": me.email})
    assert response.status_code == 403
    assert auth_row(me.id)["banned_until"] is None and role_of(me.id) == "admin"


# --- password reset, display name, delete ----------------------------------------------------


def test_a_password_reset_email_goes_out_and_is_audited(admin, make_user, auth_server):
    target = make_user("viewer")
    response = admin.post(url("user_password_reset", target), {"version": version_of(target.id)})
    assert response.status_code == 302
    link = latest_link(auth_server.config.outbox_dir, target.email, "recovery")
    assert link and reverse("console:password_set") in link
    [row] = audit_rows(target.id, "PASSWORD_RESET")
    assert row.old_values == {"recovery_sent_at": None}
    assert row.new_values["email"] == target.email


def test_an_admin_edits_a_display_name(admin, make_user):
    target = make_user("viewer", display_name="Old Name")
    response = admin.post(
        url("user_display_name", target),
        {"display_name": " New Name ", "version": version_of(target.id)},
    )
    assert response.status_code == 302
    [row] = audit_rows(target.id, "UPDATE")
    assert (row.old_values["display_name"], row.new_values["display_name"]) == (
        "Old Name",
        "New Name",
    )


def test_deleting_a_user_needs_their_email_typed_and_takes_the_profile_along(admin, make_user):
    target = make_user("editor")
    page = admin.get(url("user_delete", target))
    assert page.status_code == 200 and "Type the user" in page.content.decode()
    response = admin.post(url("user_delete", target), {"confirm_email": "someone@else.test"})
    assert response.status_code == 400
    assert f"Type {target.email} to delete them." in response.content.decode()
    assert auth_row(target.id) is not None

    response = admin.post(
        url("user_delete", target),
        {"confirm_email": target.email.upper(), "version": version_of(target.id)},
    )
    assert response.status_code == 302
    assert auth_row(target.id) is None and role_of(target.id) is None
    [row] = audit_rows(target.id, "DELETE")
    assert row.old_values["email"] == target.email and row.old_values["role"] == "editor"
    assert row.new_values is None


def test_a_user_that_does_not_exist_is_a_404(admin):
    missing = "00000000-0000-4000-8000-000000000000"
    assert admin.get(f"/users/{missing}/").status_code == 404
    assert admin.post(f"/users/{missing}/role/", {"role": "admin"}).status_code == 404
    assert admin.post(f"/users/{missing}/ban/", {"duration": "1h"}).status_code == 404
    assert admin.get("/users/not-a-uuid/").status_code == 404


# --- bulk -------------------------------------------------------------------------------------


def _bulk(admin, action, users, **data):
    return confirmed_post(
        admin, url("user_bulk"), {"action": action, "pk": [u.id for u in users], **data}
    )


def test_bulk_role_change_is_one_audit_row_per_user(admin, make_user):
    users = [make_user("viewer") for _ in range(3)]
    confirm = admin.post(url("user_bulk"), {"action": "role", "pk": [u.id for u in users]})
    assert confirm.status_code == 200 and "Change role: 3 rows" in confirm.content.decode()
    assert _bulk(admin, "role", users, role="editor").status_code == 302
    assert [role_of(u.id) for u in users] == ["editor"] * 3
    for user in users:
        [row] = audit_rows(user.id, "UPDATE")
        assert row.new_values["role"] == "editor"


def test_bulk_role_change_is_all_or_nothing(admin, make_user):
    users = [make_user("viewer"), make_user("viewer")]
    # The admin's own demotion is refused in bulk: so nothing changes at all.
    response = _bulk(admin, "role", [*users, admin.user], role="auditor")
    assert response.status_code == 302
    assert [role_of(u.id) for u in users] == ["viewer", "viewer"]
    assert all(audit_rows(u.id) == [] for u in users)
    messages = [m.message for m in response.wsgi_request._messages]
    assert any("Nothing was changed" in m for m in messages)


def test_bulk_ban_bans_each_user_with_an_audit_row(admin, make_user):
    users = [make_user("viewer"), make_user("editor")]
    assert _bulk(admin, "ban", users, duration="24h").status_code == 302
    for user in users:
        assert auth_row(user.id)["banned_until"] > timezone.now()
        [row] = audit_rows(user.id, "BAN")
        assert row.new_values["ban_duration"] == "24h"


def test_when_a_bulk_ban_fails_halfway_the_bans_already_made_are_undone(
    admin, make_user, monkeypatch
):
    users = [make_user("viewer"), make_user("viewer")]
    real_admin = actions._admin
    calls = []

    class FailsSecondTime:
        def update_user_by_id(self, user_id, attributes):
            calls.append(user_id)
            if len(calls) == 2:
                from supabase_auth.errors import AuthRetryableError

                raise AuthRetryableError("down", 503)
            return real_admin().update_user_by_id(user_id, attributes)

    monkeypatch.setattr(actions, "_admin", FailsSecondTime)
    response = _bulk(admin, "ban", users, duration="720h")
    assert response.status_code == 302 and len(calls) == 2
    assert [auth_row(u.id)["banned_until"] for u in users] == [None, None]
    assert all(audit_rows(u.id) == [] for u in users)
