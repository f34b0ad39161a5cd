"""Helpers for journeys that span several people's browsers and the local outbox.

Every page opened here records its console errors and every response of 500 or more, so a
journey can fail on a step that answered 500 even when the next page looks right.
"""

from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from localauth.outbox import latest_link


def watch(page):
    """Record the page's console errors (`page.console_errors`, if the fixture did not
    already) and responses of 500 or more (`page.server_errors`)."""
    if not hasattr(page, "console_errors"):
        page.console_errors = []
        page.on(
            "console",
            lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
        )
    page.server_errors = []
    page.on(
        "response",
        lambda response: (
            page.server_errors.append(f"{response.status} {response.url}")
            if response.status >= 500
            else None
        ),
    )
    return page


def new_person(browser, live_server):
    """Someone else, in a browser of their own (no cookies shared with anyone)."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return watch(page)


@contextmanager
def answered(page, status: int):
    """The step inside answers `status` (a refused sign-in's 400, a refused page's 403), which
    Chromium logs as a console error: that one error is waited for and set aside."""
    logged = f"the server responded with a status of {status} "
    with page.expect_console_message(lambda msg: logged in msg.text) as message:
        yield
    page.console_errors.remove(message.value.text)


def assert_clean(*pages):
    """No page answered 500 or more, and none logged a console error."""
    for page in pages:
        assert not page.server_errors, page.server_errors
        assert not page.console_errors, page.console_errors


def show_outbox_on_page(settings_fixture, outbox_dir: Path, tmp_path: Path) -> None:
    """The outbox page reads <DATA_DIR>/outbox; point that at the test auth server's
    (through pytest-django's `settings`, which restores DATA_DIR after the test)."""
    (tmp_path / "outbox").symlink_to(outbox_dir, target_is_directory=True)
    settings_fixture.DATA_DIR = tmp_path


def outbox_link(to: str, kind: str, *, outbox_dir: Path, admin_page=None) -> str:
    """The link in the newest email of `kind` ("invite", "recovery") sent to `to`.

    With DEBUG on, an admin reads it where a developer would: the Outbox in the navigation
    (needs `show_outbox_on_page`). With DEBUG off that page does not exist, so the email is
    read from the outbox directory, as the page reads it."""
    if not settings.DEBUG:
        link = latest_link(outbox_dir, to, kind)
        assert link, f"no {kind} email to {to} in the outbox"
        return link
    admin_page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    email = (
        admin_page.locator("li.outbox-message")
        .filter(has_text=to)
        .filter(has=admin_page.locator(".badge", has_text=kind))
        .first
    )
    link = email.locator("dd a").get_attribute("href")
    assert link, f"no {kind} email to {to} on the outbox page"
    return link
