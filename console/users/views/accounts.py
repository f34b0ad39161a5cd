"""The users list (with its bulk actions) and a user's page: admins and auditors."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers

from console import audited
from console.bulk import BulkAction, BulkActionView
from console.lists import ObjectListView
from console.pagination import estimated_count, ids_and_count
from console.permissions import area_required
from console.registry import access
from console.roles import Role
from console.users import actions
from console.users.activity import user_activity
from console.users.filters import UserAccountFilterSet
from console.users.forms import (
    BanForm,
    BulkBanForm,
    BulkRoleForm,
    RoleForm,
    UserDisplayNameForm,
)
from console.users.models import UserAccount
from console.users.tables import UserAccountTable
from console.users.views.mfa import user_factors


def _bulk_role(actor, account, data):
    if actions.is_self(actor, account.pk) and data["role"] != Role.ADMIN:
        raise audited.WriteRefused(
            "Your own role is not changed in bulk: change it on your own page, "
            "where you are warned first."
        )
    actions.change_role(actor, account.pk, data["role"])


def _bulk_ban(actor, account, data):
    actions.ban(actor, account.pk, data["duration"])


class UserBulkView(BulkActionView):
    area = "users"
    queryset = UserAccount.objects.all()
    filterset_class = UserAccountFilterSet
    list_url_name = "users:user_list"
    actions = (
        BulkAction("role", "Change role", run=_bulk_role, form_class=BulkRoleForm),
        BulkAction("ban", "Ban", run=_bulk_ban, form_class=BulkBanForm, danger=True),
    )

    def post(self, request):
        # Bans are Supabase Auth calls, outside the transaction: all of them or none.
        with actions.auth_calls_all_or_nothing():
            return super().post(request)


class UserListView(ObjectListView):
    area = "users"
    title = "Users"
    queryset = UserAccount.objects.all()
    table_class = UserAccountTable
    filterset_class = UserAccountFilterSet
    create_url_name = "users:user_new"
    bulk_view = UserBulkView
    bulk_url_name = "users:user_bulk"

    def count_rows(self) -> tuple[int, bool]:
        """A search anywhere (the trigram index) with few matches reads them once: the page's
        ids and the count in one query, then the page by id. Its page by itself would walk
        the newest users until it had a page of matches, and its count would read every
        match again (both through the index's posting lists)."""
        matches = self.filterset.every_match_by_rare_trigrams()
        if matches is None:
            return super().count_rows()
        return estimated_count(self.object_list, exact=lambda: self.count_matches(matches))

    def count_matches(self, matches) -> int:
        """The matches' count and the page's ids in one query, then the page's rows by id."""
        data = self.paginated_table.data  # StableOrderData, ordered as the table shows it
        start = self.requested_page_start()
        if start is None:  # a page number typed by hand: the paginator shows the last
            return self.object_list.count()
        order = data.data.query.order_by
        ids, count = ids_and_count(matches.order_by(*order), start, start + self.page_size())
        if count is None:  # nothing on that page: past the end (the paginator says so)
            return self.object_list.count() if start else 0
        # By primary key alone: the ids already passed the filters.
        data.use_page(start, self.get_queryset().filter(pk__in=ids).order_by(*order))
        return count


def detail_context(request, account: UserAccount, **forms) -> dict:
    """The user's page: profile, auth state, recent activity and, for admins, the actions
    (forms passed in are the ones being re-shown with their errors)."""
    try:
        activity = user_activity(account.pk, before=request.GET.get("before"))
    except ValueError:
        raise Http404("That page of activity does not exist.") from None
    can_write = access(request.console_user.role, "users").can_write
    context = {
        "account": account,
        "activity": activity,
        "area": "users",
        "can_write": can_write,
        "is_self": str(account.pk) == str(request.console_user.id),
    }
    if can_write:
        initial = {"version": account.version}
        role = account.role if account.role in actions.ROLES else Role.VIEWER.value
        context.update(
            role_form=forms.get("role_form") or RoleForm(initial={**initial, "role": role}),
            name_form=forms.get("name_form")
            or UserDisplayNameForm(initial={**initial, "display_name": account.display_name}),
            ban_form=forms.get("ban_form") or BanForm(initial=initial),
            action_error=forms.get("action_error"),
        )
    return context


def render_detail(request, account: UserAccount, status: int = 200, **forms):
    context = detail_context(request, account, **forms)
    if context["can_write"]:
        context["factors"] = user_factors(account.pk)  # admins: the lost-phone path
    return render(request, "users/user_detail.html", context, status=status)


@area_required("users")
def user_detail(request, pk):
    account = get_object_or_404(UserAccount, pk=pk)
    if request.htmx and not request.htmx.boosted:
        # "Older activity" / "Newest": only that section changes.
        return render(request, "users/user_detail.html#activity", detail_context(request, account))
    response = render_detail(request, account)
    patch_vary_headers(response, ["HX-Request"])
    return response
