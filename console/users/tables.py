import django_tables2 as tables
from django.db.models import F
from django.utils.timezone import localtime

from console.columns import DateTimeColumn
from console.rows import cell_html
from console.users.models import UserAccount

DATE_FORMAT = "Y-m-d H:i"


def _nulls_last_first(field: str):
    """Newest first with "never" last, and exactly the reverse: one index serves both. The
    field is the auth state's: asking for its row (always there) turns the view's left join
    into an inner one, so the planner may start from the state's index, in its order."""

    def order(self, queryset, is_descending):
        expression = (
            F(field).desc(nulls_last=True) if is_descending else F(field).asc(nulls_first=True)
        )
        queryset = queryset.filter(auth_state_id__isnull=False)
        return queryset.order_by(expression, "-pk" if is_descending else "pk"), True

    return order


class UserAccountTable(tables.Table):
    email = tables.Column(linkify=("users:user_detail", {"pk": tables.A("pk")}))
    display_name = tables.Column(verbose_name="Name", default="—")
    role = tables.Column(empty_values=())
    email_confirmed_at = tables.Column(verbose_name="Email confirmed", default="No")
    last_sign_in_at = DateTimeColumn(
        verbose_name="Last sign-in", format=DATE_FORMAT, default="Never"
    )
    banned_until = tables.Column(verbose_name="Banned until", default="—")
    created_at = DateTimeColumn(verbose_name="Created", format=DATE_FORMAT)

    class Meta:
        model = UserAccount
        fields = (
            "email",
            "display_name",
            "role",
            "email_confirmed_at",
            "last_sign_in_at",
            "banned_until",
            "created_at",
        )
        order_by = ("-created_at",)
        empty_text = "No users match these filters."

    def order_role(self, queryset, is_descending):
        # Newest first within a role, in the order of idx_profiles_role_created.
        if is_descending:
            return queryset.order_by("-role", "created_at", "pk"), True
        return queryset.order_by("role", "-created_at", "-pk"), True

    order_email_confirmed_at = _nulls_last_first("email_confirmed_at")
    order_last_sign_in_at = _nulls_last_first("last_sign_in_at")
    order_banned_until = _nulls_last_first("banned_until")

    def render_role(self, value, record):
        # Rendered here, not by a template per row: a page of 100 rows stays cheap.
        role = record.console_role
        return cell_html(
            '<span class="badge badge-{}">{}</span>', role or "viewer", role or "no role"
        )

    def render_email_confirmed_at(self, value, record):
        return cell_html(
            '<span class="badge badge-ok">Yes</span> <time datetime="{}">{}</time>',
            value.isoformat(),
            localtime(value).strftime("%Y-%m-%d"),
        )

    def render_banned_until(self, value, record):
        if not record.is_banned:
            return "—"
        if record.banned_indefinitely:
            return cell_html('<span class="badge badge-danger">Banned</span> indefinitely')
        return cell_html(
            '<span class="badge badge-danger">Banned</span> <time datetime="{}">{}</time>',
            value.isoformat(),
            localtime(value).strftime("%Y-%m-%d %H:%M"),
        )
