"""The audit list's columns. Rendered by console.rows (console/table.html) like every list;
the links to the entries and their actors are reversed once a page, not once a row."""

import uuid

import django_tables2 as tables
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from console import registry
from console.audit_log import AuditLog
from console.display import display_datetime
from console.rows import cell_html

RECORD_ID_SHOWN = 40
WHEN_FORMAT = "Y-m-d H:i:s"


def url_prefix(url_name: str) -> SafeString:
    """What comes before the id in a `…/<uuid:pk>/` URL, to link many rows with one reverse()
    (escaped once here, so cell_html passes it through)."""
    placeholder = uuid.UUID(int=0)
    return conditional_escape(reverse(url_name, args=[placeholder]).removesuffix(f"{placeholder}/"))


class AuditLogTable(tables.Table):
    created_at = tables.Column(verbose_name="When")
    actor_email = tables.Column(verbose_name="Who", empty_values=())
    action = tables.Column(verbose_name="Action")
    table_name = tables.Column(verbose_name="Table")
    record_id = tables.Column(verbose_name="Record")
    ip_address = tables.Column(verbose_name="From")

    class Meta:
        model = AuditLog
        fields = ("created_at", "actor_email", "action", "table_name", "record_id", "ip_address")
        orderable = False  # the keyset order (newest first) is the only order
        attrs = {"class": "table audit-table"}
        empty_text = "No audit entries match these filters."

    @cached_property
    def entry_url(self) -> str:
        return url_prefix("audit:log_detail")

    @cached_property
    def user_url(self) -> str:
        return url_prefix(registry.get("users").detail_url)  # the profiles area's page

    def render_created_at(self, value, record):
        return cell_html(
            '<a href="{}{}/">{}</a>',
            self.entry_url,
            record.id,
            display_datetime(value, WHEN_FORMAT),
        )

    def render_actor_email(self, value, record):
        if record.user_id is None:
            return "system"
        return cell_html(
            '<a href="{}{}/">{}</a>', self.user_url, record.user_id, value or record.user_id
        )

    def render_action(self, value):
        return cell_html('<span class="badge">{}</span>', value)

    def render_record_id(self, value):
        if len(value) > RECORD_ID_SHOWN:
            return cell_html(
                '<span class="mono" title="{}">{}…</span>', value[:300], value[:RECORD_ID_SHOWN]
            )
        return cell_html('<span class="mono">{}</span>', value)
