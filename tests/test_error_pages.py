"""Error pages under faults and hostile bodies, in-process: nobody who is not signed in gets
Django's technical page (traceback, settings, the POST), even with DEBUG on; a body that is
too big gets the 413 page; a password never reaches an error report.

(The database stopped for real, under both web servers: tests/system/test_database_faults.py.)
"""

import sys
from urllib.parse import urlencode

import pytest
from django import forms
from django.test import Client
from django.urls import include, path
from django.views.debug import ExceptionReporter

from console.permissions import public
from console.rls import outside_user_transaction
from console.site_urls import handler400, handler403, handler404, handler500  # noqa: F401

SECRET = "Hunter-2-Typed-Secret-99"
THREE_MB = 3 * 1024 * 1024
TECHNICAL = ("Traceback", "Request information", "SUPABASE_", "DATABASES", "RuntimeError")


@public
@outside_user_transaction
def anonymous_boom(request):
    raise RuntimeError("an anonymous 500")


@public
def signed_in_boom(request):  # runs as the user when signed in
    raise RuntimeError("a genuine 500")


# This module is also the URLconf of the tests marked with it: the site plus two views that fail.
urlpatterns = [
    path("test-boom/", anonymous_boom),
    path("test-boom-as-user/", signed_in_boom),
    path("", include("console.site_urls")),
]
boom_urls = pytest.mark.urls(__name__)


def client() -> Client:
    return Client(raise_request_exception=False)


def assert_console_page(response, status: int, text: str):
    body = response.content.decode()
    assert response.status_code == status, body[:500]
    assert response["Content-Type"].startswith("text/html")
    assert text in body, body[:500]
    assert '<section class="error-page"' in body
    for leak in (*TECHNICAL, SECRET):
        assert leak not in body, leak


@boom_urls
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_an_anonymous_request_whose_view_raises_gets_the_console_500_page(settings, accept):
    settings.DEBUG = True
    response = client().post(
        "/test-boom/", {"new_password1": SECRET, "new_password2": SECRET}, HTTP_ACCEPT=accept
    )
    assert_console_page(response, 500, "Something went wrong")
    # The headers the other middleware gave the technical page stay on the console's, and
    # the policy django-csp leaves off a technical page is on it.
    assert response["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response["Content-Security-Policy"]


@boom_urls
def test_an_anonymous_request_gets_the_console_404_page_with_debug_on(settings):
    settings.DEBUG = True
    response = client().get("/no-such-page/")
    assert_console_page(response, 404, "Page not found")
    assert "URLconf" not in response.content.decode()


@boom_urls
def test_a_signed_in_developer_still_sees_the_technical_page_of_a_genuine_500(settings, signed_in):
    settings.DEBUG = True
    browser = signed_in("viewer")
    browser.raise_request_exception = False
    response = browser.get("/test-boom-as-user/")
    assert response.status_code == 500
    assert "a genuine 500" in response.content.decode()
    settings.DEBUG = False
    assert_console_page(browser.get("/test-boom-as-user/"), 500, "Something went wrong")


# --- bodies that are too big ----------------------------------------------------------


def too_big_body() -> str:
    return urlencode({"email": "a@example.test", "password": SECRET, "filler": "x" * THREE_MB})


@pytest.mark.parametrize("debug", [True, False])
def test_a_3_mb_sign_in_post_gets_the_413_page(settings, transactional_db, debug):
    settings.DEBUG = debug
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    browser.get("/login/")  # the CSRF cookie, as a browser has it
    response = browser.post(
        "/login/", too_big_body(), content_type="application/x-www-form-urlencoded"
    )
    assert_console_page(response, 413, "What you sent is too large")
    assert "2.5\xa0MB" in response.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_a_3_mb_post_to_a_signed_in_form_gets_the_413_page_and_saves_nothing(
    settings, signed_in, debug
):
    from knowledge.models import Entry

    settings.DEBUG = debug
    browser = signed_in("editor")
    browser.raise_request_exception = False
    body = urlencode({"title": "Too big", "content": "x" * THREE_MB, "is_active": "on"})
    response = browser.post(
        "/knowledge/new/", body, content_type="application/x-www-form-urlencoded"
    )
    assert_console_page(response, 413, "What you sent is too large")
    assert response.context["console_user"] is not None  # signed in, and shown as such
    # The same as multipart/form-data, the other encoding a browser sends.
    response = browser.post("/knowledge/new/", {"title": "Too big", "content": "x" * THREE_MB})
    assert_console_page(response, 413, "What you sent is too large")
    assert not Entry.objects.filter(title="Too big").exists()


@pytest.mark.parametrize("debug", [True, False])
def test_too_many_fields_get_the_413_page(settings, debug):
    settings.DEBUG = debug
    body = "&".join(f"f{n}=1" for n in range(1001))
    response = client().post("/login/", body, content_type="application/x-www-form-urlencoded")
    assert_console_page(response, 413, "What you sent is too large")


# --- passwords in error reports -------------------------------------------------------

# Every view that takes a password, with a POST it refuses before doing anything.
VIEWS_TAKING_PASSWORDS = {
    "LoginForm": ("/login/", None, {"email": "not-an-email", "password": SECRET}),
    "EmailLinkPasswordForm": (
        "/auth/confirm/",
        None,
        {"token_hash": SECRET, "type": "recovery", "new_password1": SECRET, "new_password2": "x"},
    ),
    "CreateUserForm": (
        "/users/create/",
        "admin",
        {
            "email": "new@example.test",
            "role": "viewer",
            "new_password1": SECRET,
            "new_password2": "x",
        },
    ),
    "MyPasswordForm": (
        "/users/me/password/",
        "viewer",
        {"current_password": SECRET, "new_password1": SECRET, "new_password2": "x"},
    ),
}
BASES_ONLY = {"NewPasswordForm"}  # forms whose fields others inherit


def password_forms() -> set[str]:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view, and so every form
    found, queue = set(), list(forms.Form.__subclasses__())
    while queue:
        form = queue.pop()
        queue += form.__subclasses__()
        if form.__module__.startswith(("console", "agents", "audit", "deployments", "knowledge")):
            widgets = [field.widget for field in form.base_fields.values()]
            if any(isinstance(w, forms.PasswordInput) for w in widgets):
                found.add(form.__name__)
    return found


def test_every_form_with_a_password_is_checked_below():
    assert password_forms() - BASES_ONLY == set(VIEWS_TAKING_PASSWORDS), (
        "a view taking a password: add it to VIEWS_TAKING_PASSWORDS and mark it"
        " @sensitive_post_parameters"
    )


def reports_of(request) -> tuple[str, str]:
    """Django's error report (the debug page, the text mailed to admins) of an error in this
    request. (Made here, where no variable holds the password.)"""
    try:
        raise RuntimeError("an error after the password was read")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        return reporter.get_traceback_html(), reporter.get_traceback_text()


@pytest.mark.parametrize("form_name", sorted(VIEWS_TAKING_PASSWORDS))
def test_an_error_report_of_a_view_taking_a_password_leaves_the_password_out(form_name, signed_in):
    from django.urls import reverse

    url, role, data = VIEWS_TAKING_PASSWORDS[form_name]
    assert url in {
        reverse("console:login"),
        reverse("console:password_set"),
        reverse("users:user_create"),
        reverse("users:my_password"),
    }
    browser = signed_in(role) if role else client()
    response = browser.post(url, data)
    assert response.status_code == 400, response.content.decode()[:500]
    for report in reports_of(response.wsgi_request):  # the request as the view saw it
        assert "*" * 20 in report  # the POST is in it, the passwords starred...
        assert SECRET not in report  # ...and nowhere else
