import django_filters

from audit.models import AuditLog


class AuditLogFilterSet(django_filters.FilterSet):
    action = django_filters.CharFilter(label="Action", method="filter_action")
    table_name = django_filters.CharFilter(label="Table")

    class Meta:
        model = AuditLog
        fields = ["action", "table_name"]

    def filter_action(self, queryset, name, value):
        return queryset.filter(action=value.strip().upper()) if value.strip() else queryset
