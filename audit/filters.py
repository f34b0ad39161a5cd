"""The audit trail's filters. Each one lives in the URL, is checked here before it reaches the
database (a bad value is a message next to the field, never a 500), and has an index behind
it (supabase/migrations/20261122030000_audit_trail_indexes.sql), always ending in the list's
keyset order (created_at desc, id desc).
"""

import ipaddress
import re
import time

import django_filters
from django import forms
from django.db import connection
from django.urls import reverse_lazy
from django.utils.safestring import SafeString

from console import registry
from console.audit_log import AuditLog
from console.pagination import BadCursor, parse_moment
from console.rows import cell_html
from console.suggestions import options_html

SYSTEM_ACTOR = "system"  # rows without a user (failed sign-ins, the seed, …)

MAX_ACTIONS = 200

# The distinct actions in the trail, read from the data (the field takes any word; these are
# suggestions). A "loose index scan" over idx_audit_logs_action_keyset: one index probe per
# distinct action instead of reading a million rows.
_DISTINCT_ACTIONS = """
    with recursive actions (action) as (
      (select action from public.audit_logs order by action limit 1)
      union all
      select (select a.action from public.audit_logs a
              where a.action > actions.action order by a.action limit 1)
      from actions where actions.action is not null
    )
    select action from actions where action is not null limit %s
"""


ACTIONS_FRESH_FOR = 60  # seconds: a new kind of action shows up in the suggestions within this
_actions_cache: dict = {"read_at": float("-inf"), "actions": []}


def known_actions() -> list[str]:
    """The actions in the trail, read at most once a minute per process (the list page stays
    at its few queries; only admins and auditors see the trail, and they see every row)."""
    now = time.monotonic()
    if now - _actions_cache["read_at"] > ACTIONS_FRESH_FOR:
        with connection.cursor() as cursor:
            cursor.execute(_DISTINCT_ACTIONS, [MAX_ACTIONS])
            _actions_cache.update(read_at=now, actions=[row[0] for row in cursor.fetchall()])
    return _actions_cache["actions"]


def forget_known_actions() -> None:
    _actions_cache["read_at"] = float("-inf")


def _known_tables() -> list[str]:
    """The tables the console's areas show (the registry), then the audit trail itself."""
    return [*registry.tables(), "audit_logs"]


_ACTION = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?")
MAX_RECORD_ID = 200
MAX_EMAIL = 320


class SuggestingInput(forms.TextInput):
    """A text input with a <datalist> of suggestions: fixed ones, or fetched by htmx from
    `suggest_url` as the user types (the list's own form refreshes only on change)."""

    def __init__(self, list_id: str, options=(), suggest_url=None, attrs=None):
        attrs = {"list": list_id, "autocomplete": "off", "spellcheck": "false", **(attrs or {})}
        if suggest_url is not None:  # (lazy: the URLconf may still be loading)
            attrs.update(
                {
                    "hx-get": suggest_url,
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": f"#{list_id}",
                    "hx-swap": "innerHTML",
                    "hx-push-url": "false",
                    "hx-sync": "this:replace",
                }
            )
        super().__init__(attrs)
        self.list_id = list_id
        self.options = options

    def render(self, name, value, attrs=None, renderer=None):
        options = self.options() if callable(self.options) else self.options
        return cell_html(
            '{}<datalist id="{}">{}</datalist>',
            super().render(name, value, attrs, renderer),  # (the renderer's: safe)
            self.list_id,
            SafeString(options_html(options)),  # (console.suggestions: each value escaped)
        )


class MomentField(forms.CharField):
    """A day or a moment as typed (2026-11-22, 2026-11-22 14:30, or a datetime-local value),
    cleaned to the (start, end) span it covers."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"placeholder": "2026-11-22 14:30", "inputmode": "numeric"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_moment(value)
        except BadCursor as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


class NetworkField(forms.CharField):
    """An IP address (192.0.2.7, 2001:db8::1) or a network (10.0.0.0/8)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "10.0.0.0/8"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return ipaddress.ip_network(value.strip(), strict=False)
        except ValueError as exc:
            raise forms.ValidationError(
                "Enter an IP address (192.0.2.7) or a network (10.0.0.0/8).", code="invalid"
            ) from exc


class MomentFilter(django_filters.Filter):
    field_class = MomentField


class NetworkFilter(django_filters.Filter):
    field_class = NetworkField


class RecordedEmail(str):
    """An actor known only by the email snapshot in their audit rows."""


class AuditLogFilterForm(forms.Form):
    def clean_actor(self):
        value = (self.cleaned_data.get("actor") or "").strip().lower()
        if not value:
            return None
        if value == SYSTEM_ACTOR:
            return SYSTEM_ACTOR
        # Exact email, case-insensitive; two profiles may share one. (A database function:
        # see 20261122030100_audit_actor_lookup.sql for why not the ORM.)
        with connection.cursor() as cursor:
            cursor.execute("select private.audit_actor_ids(%s)", [value])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids and AuditLog.objects.filter(recorded_actor_email=value).exists():
            # No user has this email now (deleted, or changed it): the rows written under it.
            return RecordedEmail(value)
        if not ids:
            raise forms.ValidationError(
                f"No user has the email “{value[:80]}”. Pick one of the suggestions.",
                code="unknown",
            )
        return ids

    def clean_action(self):
        value = (self.cleaned_data.get("action") or "").strip().upper()
        if value and not _ACTION.fullmatch(value):
            raise forms.ValidationError(
                "An action is one word, like UPDATE or LOGIN_FAILED.", code="invalid"
            )
        return value or None

    def clean_table(self):
        value = (self.cleaned_data.get("table") or "").strip().lower()
        if value and not _TABLE.fullmatch(value):
            raise forms.ValidationError(
                "A table is a name like knowledge_base_entries.", code="invalid"
            )
        return value or None

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since[0] >= until[1]:
            self.add_error("until", "The end of the range is before its start.")
        return cleaned


class AuditLogFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        label="Actor",
        method="filter_actor",
        max_length=MAX_EMAIL,
        widget=SuggestingInput(
            "audit-actor-suggestions",
            suggest_url=reverse_lazy("audit:actor_suggestions"),
            attrs={"placeholder": "name@example.com", "inputmode": "email"},
        ),
    )
    action = django_filters.CharFilter(
        label="Action",
        method="filter_action",
        max_length=40,
        widget=SuggestingInput("audit-action-options", known_actions, attrs={"size": 14}),
    )
    table = django_filters.CharFilter(
        label="Table",
        method="filter_table",
        max_length=130,
        widget=SuggestingInput("audit-table-options", _known_tables),
    )
    record = django_filters.CharFilter(
        label="Record id",
        method="filter_record",
        max_length=MAX_RECORD_ID,
        widget=forms.TextInput,
        error_messages={
            "max_length": "A record id has at most %(limit_value)d characters "
            "(this one has %(show_value)d)."
        },
    )
    since = MomentFilter(label="From", method="filter_since")
    until = MomentFilter(label="Until", method="filter_until")
    ip = NetworkFilter(label="IP or network", method="filter_ip")

    class Meta:
        model = AuditLog
        fields = []
        form = AuditLogFilterForm

    def filter_actor(self, queryset, name, value):
        if value == SYSTEM_ACTOR:
            return queryset.filter(user_id__isnull=True)
        if isinstance(value, RecordedEmail):
            return queryset.filter(recorded_actor_email=value)
        if len(value) == 1:
            return queryset.filter(user_id=value[0])
        return queryset.filter(user_id__in=value)

    def filter_action(self, queryset, name, value):
        return queryset.filter(action=value)

    def filter_table(self, queryset, name, value):
        return queryset.filter(table_name=value)

    def filter_record(self, queryset, name, value):
        return queryset.filter(record_id=value.strip())

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=value[0])

    def filter_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=value[1])

    def filter_ip(self, queryset, name, network):
        if network.num_addresses == 1:  # one address: equality, served in keyset order
            return queryset.filter(ip_address=str(network.network_address))
        return queryset.filter(ip_address__net_in=str(network))

    def used(self) -> dict:
        """The filters as the user gave them (for the EXPORT audit row)."""
        return {
            name: self.data.get(name)[:MAX_RECORD_ID]
            for name in self.filters
            if self.data.get(name, "").strip()
        }
