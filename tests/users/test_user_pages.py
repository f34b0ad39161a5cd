"""The users list and a user's page: what they show, filters and sorting in the URL, who may
see them, and query counts that do not grow with the page."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import claims_for
from tests.users.conftest import NON_ADMIN_ROLES

pytestmark = pytest.mark.django_db(transaction=True)


def add_users(count: int, prefix: str = "many") -> None:
    """`count` users straight into auth.users (the triggers add profiles and auth state)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,"
            " created_at, updated_at)"
            " select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',"
            " 'authenticated', %s || g || '@example.test', now(),"
            " now() - make_interval(secs => g), now()"
            " from generate_series(1, %s) g",
            [prefix, count],
        )


def set_auth(user_id, **columns) -> None:
    """Change the auth state the way Supabase Auth would (auth.users)."""
    assignments = ", ".join(f"{column} = {value}" for column, value in columns.items())
    with connection.cursor() as cursor:
        cursor.execute(f"update auth.users set {assignments} where id = %s", [user_id])


def emails_on(page) -> list[str]:
    return re.findall(r">([\w.+-]+@[\w.-]+)</a>", page.content.decode())


@pytest.fixture
def people(make_user):
    ada = make_user("editor", email="ada@example.test", display_name="Ada Lovelace")
    bob = make_user("viewer", email="bob@example.test", display_name="Bob Banned")
    cy = make_user(
        "auditor", email="cy@example.test", display_name="Cy Unconfirmed", confirmed=False
    )
    set_auth(bob.id, banned_until="now() + interval '1 day'")
    set_auth(ada.id, last_sign_in_at="now() - interval '1 hour'")
    return {"ada": ada, "bob": bob, "cy": cy}


def test_the_list_shows_each_users_role_and_auth_state(admin, people):
    page = admin.get("/users/?q=ada").content.decode()
    assert "Ada Lovelace" in page and "badge-editor" in page and "Yes" in page
    page = admin.get("/users/?q=bob").content.decode()
    assert "Banned" in page
    page = admin.get("/users/?q=cy").content.decode()
    assert "Never" in page and ">No<" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=ada%40", {"ada"}),  # email prefix
        ("q=love", {"ada"}),  # a word of the name
        ("q=BOB", {"bob"}),
        ("q=example.test", {"ada", "bob", "cy"}),  # a domain: anywhere in the email
        ("q=ob%40exa", {"bob"}),  # the middle of an email
        ("q=velac", {"ada"}),  # the middle of a name
        ("q=lace%20ADA", {"ada"}),  # every word, anywhere, in any order
        ("q=nconfirm", {"cy"}),
        ("q=a_a", set()),  # LIKE's wildcards are plain characters
        ("q=%25", set()),
        ("q=cy", {"cy"}),  # one or two characters: the start of the email or a name word
        ("q=ce", set()),
        ("role=auditor", {"cy"}),
        ("state=banned", {"bob"}),
        ("state=unconfirmed", {"cy"}),
        ("state=active", {"ada"}),
        ("role=editor&state=active", {"ada"}),
    ],
)
def test_search_and_filters(admin, people, query, expected):
    shown = {e.split("@")[0] for e in emails_on(admin.get(f"/users/?{query}"))}
    assert shown & set(people) == expected


def test_filters_live_in_the_url_and_htmx_gets_only_the_table(admin, people):
    response = admin.get("/users/?role=editor&per_page=25", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="results"' in body
    assert "ada@example.test" in body and "bob@example.test" not in body
    # Sort and page links keep the filters.
    assert "role=editor" in re.search(r'href="(\?[^"]*sort=email[^"]*)"', body).group(1)


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("-last_sign_in_at", "ada", None),  # signed in first, never-signed-in after
        ("banned_until", None, "bob"),  # reversed: the ban comes last
        ("-banned_until", "bob", None),
        ("email", "ada", "cy"),
        ("-email", "cy", "ada"),
        ("display_name", "ada", "cy"),
        ("role", "cy", "bob"),  # auditor, editor, viewer
        ("email_confirmed_at", "cy", None),
    ],
)
def test_every_column_sorts(admin, people, sort, first, last):
    names = [e.split("@")[0] for e in emails_on(admin.get(f"/users/?sort={sort}"))]
    shown = [name for name in names if name in people]
    if first:
        assert shown[0] == first, shown
    if last:
        assert shown[-1] == last, shown


def test_an_unknown_filter_value_is_a_message_not_an_error(admin, people):
    response = admin.get("/users/?role=owner&state=gone")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editors_and_viewers_see_only_my_profile(signed_in, make_user, role):
    client, other = signed_in(role), make_user("viewer")
    assert client.get("/users/").status_code == 403
    assert client.get(f"/users/{other.id}/").status_code == 403
    assert client.get(f"/users/{client.user.id}/").status_code == 403
    assert client.get("/users/me/").status_code == 200


def test_auditors_read_the_list_and_pages_but_get_no_actions(signed_in, make_user):
    auditor, other = signed_in("auditor"), make_user("viewer")
    assert other.email in auditor.get("/users/").content.decode()
    page = auditor.get(f"/users/{other.id}/").content.decode()
    assert "Recent activity" in page and other.email in page
    for action in ("role", "name", "ban", "password-reset", "delete"):
        assert f"/users/{other.id}/{action}/" not in page
    assert 'name="pk"' not in auditor.get("/users/").content.decode()  # no bulk selection


ADMIN_POSTS = [
    ("user_role", {"role": "admin"}),
    ("user_display_name", {"display_name": "X"}),
    ("user_ban", {"duration": "24h"}),
    ("user_unban", {}),
    ("user_password_reset", {}),
    ("user_delete", {"confirm_email": "{email}"}),
]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_every_admin_action_is_403_for_other_roles(signed_in, make_user, role):
    client, target = signed_in(role), make_user("viewer")
    for name, data in ADMIN_POSTS:
        data = {k: v.format(email=target.email) for k, v in data.items()}
        response = client.post(reverse(f"users:{name}", kwargs={"pk": target.id}), data)
        assert response.status_code == 403, name
    for name, data in [
        ("user_invite", {"email": "x@example.test", "role": "admin"}),
        ("user_create", {"email": "x@example.test", "role": "admin"}),
        ("user_promote", {"email": client.user.email}),
        ("user_bulk", {"action": "role", "pk": [target.id], "role": "admin", "confirm": "yes"}),
    ]:
        assert client.post(reverse(f"users:{name}"), data).status_code == 403, name
    for name in ("user_new", "user_promote"):
        assert client.get(reverse(f"users:{name}")).status_code == 403, name
    assert client.get(reverse("users:user_delete", kwargs={"pk": target.id})).status_code == 403
    with connection.cursor() as cursor:
        cursor.execute(
            "select role from public.profiles where id in (%s, %s)", [target.id, client.user.id]
        )
        assert {row[0] for row in cursor.fetchall()} == {"viewer", role}


# --- a user's page --------------------------------------------------------------------------


def test_a_users_page_shows_what_they_did_and_what_was_done_to_them(admin, make_user):
    from console import audited

    target = make_user("viewer", display_name="Tess Target")
    admin.post(f"/users/{target.id}/role/", {"role": "editor"})
    # Something Tess did herself.
    audited.record(
        audited.Actor(target.id, None, ""),
        "EXPORT",
        "knowledge_base_entries",
        "x",
        claims=claims_for(target.id),  # the row names the user of the claims
    )
    page = admin.get(f"/users/{target.id}/").content.decode()
    assert "Tess Target" in page and "Sign-in (Supabase Auth)" in page
    activity = page[page.index("Recent activity") :]
    assert activity.index("EXPORT") < activity.index("UPDATE")  # newest first
    assert "by this user" in activity and admin.user.email in activity
    assert "<del>viewer</del>" in activity and "<ins>editor</ins>" in activity


def test_activity_pages_go_back_in_time_without_repeating(admin, make_user):
    from console import audited

    target = make_user("viewer")
    actor = audited.Actor(target.id, None, "")
    for n in range(45):
        audited.record(actor, f"STEP{n:02d}", "x", str(n), claims=claims_for(target.id))
    seen, url = [], f"/users/{target.id}/"
    while url:
        body = admin.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in body
        seen += re.findall(r"STEP\d\d", body)
        older = re.search(r'hx-get="(\?before=[^"]+)"', body)
        url = f"/users/{target.id}/{older.group(1)}".replace("&amp;", "&") if older else None
    assert seen == [f"STEP{n:02d}" for n in reversed(range(45))]
    assert admin.get(f"/users/{target.id}/?before=garbage").status_code == 404


def test_the_list_query_count_does_not_grow_with_the_page(admin, django_assert_max_num_queries):
    from console import pagination

    add_users(150)
    counts = {}
    for per_page in (25, 100):
        pagination.forget_statistics()  # (both pages ask the planner for the estimate)
        with django_assert_max_num_queries(8) as queries:
            response = admin.get(f"/users/?per_page={per_page}&sort=-last_sign_in_at")
        assert response.status_code == 200
        assert len(emails_on(response)) == per_page
        counts[per_page] = len(queries)
    assert counts[25] == counts[100]


def test_a_users_page_query_count_does_not_grow_with_their_activity(
    admin, make_user, django_assert_max_num_queries
):
    from console import audited

    target = make_user("viewer")
    for n in range(60):
        audited.record(
            audited.Actor(target.id, None, ""),
            "STEP",
            "profiles",
            target.id,
            {"n": n},
            {"n": n + 1},
            claims=claims_for(target.id),
        )
    with django_assert_max_num_queries(7):
        assert admin.get(f"/users/{target.id}/").status_code == 200
