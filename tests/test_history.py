"""One history mechanism (console/history.py): a record's history in keyset pages with its
"Older changes" fragment, refused to roles that may not read it, and a user's activity merged
from two index reads, each row once."""

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from console.audit_log import AuditLog
from console.history import merged_history
from console.rls import as_user
from tests.audit_trail.conftest import BASE, insert_row
from tests.factories import db_user

pytestmark = pytest.mark.django_db(transaction=True)


def entry_times(body: str) -> list[str]:
    return re.findall(r'<li class="history-entry">.*?<time datetime="([^"]+)"', body, re.S)


def test_older_changes_load_the_next_page_and_other_roles_get_403(signed_in):
    record = str(uuid.uuid4())
    for minute in range(25):
        insert_row("ai_agents", created_at=BASE - timedelta(minutes=minute), record_id=record)
    admin = signed_in("admin")
    first = admin.get(f"/history/?table=ai_agents&record={record}")
    assert first.status_code == 200 and len(entry_times(first.content.decode())) == 20
    older = re.search(r'href="([^"]+)" hx-get', first.content.decode()).group(1)
    rest = admin.get(older.replace("&amp;", "&"))
    assert rest.status_code == 200
    times = entry_times(rest.content.decode())
    assert len(times) == 5 and "Older changes" not in rest.content.decode()
    assert set(times).isdisjoint(entry_times(first.content.decode()))

    assert signed_in("editor").get(f"/history/?table=ai_agents&record={record}").status_code == 403
    bad = admin.get(f"/history/?table=ai_agents&record={record}&before=garbage")
    assert bad.status_code == 400


def test_merged_history_shows_each_row_once_newest_first_across_pages():
    auditor, someone = db_user("auditor"), str(uuid.uuid4())
    about = str(uuid.uuid4())
    expected = []
    for minute in range(12):
        when = BASE - timedelta(minutes=minute)
        if minute % 3 == 0:  # by the user and about their profile: in both halves
            row = insert_row("profiles", created_at=when, user_id=about, record_id=about)
        elif minute % 3 == 1:
            row = insert_row("ai_agents", created_at=when, user_id=about)
        else:
            row = insert_row("profiles", created_at=when, user_id=someone, record_id=about)
        expected.append(row)
    insert_row("ai_agents", created_at=BASE, user_id=someone)  # neither by nor about them

    def halves():
        by_user = AuditLog.objects.filter(user_id=about)
        about_user = AuditLog.objects.filter(table_name="profiles", record_id=about).exclude(
            user_id=about
        )
        return by_user, about_user

    seen, before = [], None
    with as_user(auditor.claims):
        while True:
            page = merged_history(halves(), before=before, per_page=5)
            seen.extend(str(e.id) for e in page.entries)
            if not page.older_cursor:
                break
            assert parse_qs(page.older_url[1:]) == {"before": [page.older_cursor]}
            before = page.older_cursor
    assert seen == expected
