"""What admins do to users: one short view per action, each calling console.users.actions.

Every view is admin-only here (403 for other roles) and the database refuses the same
actions on its own (console.users.actions asks it first). A refused or stale action re-shows
the page with the reason and changes nothing.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from console import audited
from console.auth import breaker
from console.permissions import area_required
from console.roles import Role
from console.users import actions
from console.users.forms import (
    BanForm,
    CreateUserForm,
    DeleteForm,
    InviteForm,
    PromoteForm,
    RoleForm,
    UserDisplayNameForm,
    VersionedForm,
)
from console.users.models import UserAccount
from console.users.views.accounts import render_detail

admin_only = area_required("users", write=True)


def _actor(request) -> audited.Actor:
    return audited.Actor.from_request(request)


def _password_link(request) -> str:
    """Where invitation and recovery emails send people: the console's password page."""
    return request.build_absolute_uri(reverse("console:password_set"))


def _refused(form, exc: audited.WriteFailed, account: UserAccount | None = None) -> int:
    """Put the reason on the form; the status to answer with. A stale form is re-bound to
    the user's current version, so that sending it again (after a look) works."""
    if isinstance(exc, actions.StaleForm) and account is not None and form.is_bound:
        data = form.data.copy()
        data["version"] = account.version
        form.data = data
    form.add_error(None, exc.message)
    if breaker.open_error(exc):
        return 503  # Supabase Auth is marked down: refused at once, nothing changed
    if isinstance(exc, actions.UserGone):
        return 404
    if isinstance(exc, actions.StaleForm):
        return 409
    if isinstance(exc, audited.WriteRefused):
        return 403
    return 400


def _account(pk) -> UserAccount:
    return get_object_or_404(UserAccount, pk=pk)


def _done(request, pk, message: str):
    messages.success(request, message)
    return redirect("users:user_detail", pk=pk)


# --- one user ---------------------------------------------------------------------------------


@require_POST
@admin_only
def user_role(request, pk):
    account = _account(pk)
    form = RoleForm(request.POST)
    status = 400
    if form.is_valid():
        role = form.cleaned_data["role"]
        demotes_self = (
            actions.is_self(_actor(request), pk)
            and account.role == Role.ADMIN
            and role != Role.ADMIN
        )
        if demotes_self and not form.cleaned_data["confirm_self"]:
            return render(
                request,
                "users/user_role_confirm.html",
                {"account": account, "form": form, "role": role, "area": "users"},
            )
        try:
            actions.change_role(_actor(request), pk, role, version=form.cleaned_data["version"])
        except audited.WriteFailed as exc:
            account = UserAccount.objects.filter(pk=pk).first() or account
            status = _refused(form, exc, account)
        else:
            if account.role == role:
                messages.info(request, f"{account.label} is already {role}; nothing changed.")
                return redirect("users:user_detail", pk=pk)
            if demotes_self:
                messages.success(request, f"Your role is now {role}.")
                return redirect("console:dashboard")
            return _done(request, pk, f"{account.label} is now {role}.")
    return render_detail(request, account, status, role_form=form)


@require_POST
@admin_only
def user_display_name(request, pk):
    account = _account(pk)
    form = UserDisplayNameForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.set_display_name(
                _actor(request),
                pk,
                form.cleaned_data["display_name"],
                version=form.cleaned_data["version"],
            )
        except audited.WriteFailed as exc:
            account = UserAccount.objects.filter(pk=pk).first() or account
            status = _refused(form, exc, account)
        else:
            return _done(request, pk, "The display name is saved.")
    return render_detail(request, account, status, name_form=form)


@require_POST
@admin_only
def user_ban(request, pk):
    account = _account(pk)
    form = BanForm(request.POST)
    status = 400
    if form.is_valid():
        duration = form.cleaned_data["duration"]
        try:
            actions.ban(_actor(request), pk, duration, version=form.cleaned_data["version"])
        except audited.WriteFailed as exc:
            account = UserAccount.objects.filter(pk=pk).first() or account
            status = _refused(form, exc, account)
        else:
            label = actions.BAN_DURATIONS[duration].label.lower()
            how_long = label if label == "indefinitely" else f"for {label}"
            return _done(
                request, pk, f"{account.label} is banned {how_long}; their session has ended."
            )
    return render_detail(request, account, status, ban_form=form)


def _simple_action(request, pk, run, success: str):
    """An action whose only input is the page's version (unban, password reset)."""
    account = _account(pk)
    form = VersionedForm(request.POST)
    if form.is_valid():
        try:
            run(account, form.cleaned_data["version"])
        except audited.WriteFailed as exc:
            account = UserAccount.objects.filter(pk=pk).first() or account
            status = _refused(form, exc, account)
            return render_detail(request, account, status, action_error=exc.message)
        return _done(request, pk, success.format(user=account.label, email=account.email))
    return render_detail(request, account, 400, action_error="The form was not complete.")


@require_POST
@admin_only
def user_unban(request, pk):
    return _simple_action(
        request,
        pk,
        lambda account, version: actions.unban(_actor(request), pk, version=version),
        "The ban on {user} is lifted.",
    )


@require_POST
@admin_only
def user_password_reset(request, pk):
    return _simple_action(
        request,
        pk,
        lambda account, version: actions.send_password_reset(
            _actor(request), pk, redirect_to=_password_link(request)
        ),
        "A password-reset email is on its way to {email}.",
    )


@admin_only
def user_delete(request, pk):
    account = _account(pk)
    form = DeleteForm(
        request.POST or None, email=account.email, initial={"version": account.version}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.delete(
                    _actor(request),
                    pk,
                    confirm_email=form.cleaned_data["confirm_email"],
                    version=form.cleaned_data["version"],
                )
            except audited.WriteFailed as exc:
                account = UserAccount.objects.filter(pk=pk).first() or account
                status = _refused(form, exc, account)
            else:
                messages.success(request, f"{account.email} is deleted, with their profile.")
                return redirect("users:user_list")
    return render(
        request,
        "users/user_delete.html",
        {"account": account, "form": form, "area": "users"},
        status=status,
    )


# --- new users and admins ---------------------------------------------------------------------


def _new_page(request, status=200, **forms):
    context = {
        "invite_form": forms.get("invite_form") or InviteForm(),
        "create_form": forms.get("create_form") or CreateUserForm(),
        "area": "users",
        "open": forms.get("open", "invite"),
    }
    return render(request, "users/user_new.html", context, status=status)


@admin_only
def user_new(request):
    return _new_page(request)


@require_POST
@admin_only
def user_invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user_id = actions.invite(
                _actor(request),
                email=data["email"],
                role=data["role"],
                display_name=data["display_name"],
                redirect_to=_password_link(request),
            )
        except audited.WriteFailed as exc:
            return _new_page(request, _refused(form, exc), invite_form=form)
        return _done(
            request, user_id, f"An invitation is on its way to {data['email']} ({data['role']})."
        )
    return _new_page(request, 400, invite_form=form)


@sensitive_post_parameters("new_password1", "new_password2")
@require_POST
@admin_only
def user_create(request):
    form = CreateUserForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user_id = actions.create(
                _actor(request),
                email=data["email"],
                password=data["new_password1"],
                role=data["role"],
                display_name=data["display_name"],
            )
        except audited.WriteFailed as exc:
            return _new_page(request, _refused(form, exc), create_form=form, open="create")
        return _done(request, user_id, f"{data['email']} can now sign in ({data['role']}).")
    return _new_page(request, 400, create_form=form, open="create")


@admin_only
def user_promote(request):
    form = PromoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"]
            try:
                user_id = actions.promote(_actor(request), email)
            except audited.WriteFailed as exc:
                status = _refused(form, exc)
            else:
                return _done(request, user_id, f"{email} is now an admin.")
    return render(
        request, "users/user_promote.html", {"form": form, "area": "users"}, status=status
    )
