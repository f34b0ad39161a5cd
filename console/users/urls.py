"""The users app's pages, under /users/ (console/site_urls.py)."""

from django.urls import path

from console.users.views import accounts, admin, me, mfa

app_name = "users"

urlpatterns = [
    path("", accounts.UserListView.as_view(), name="user_list"),
    path("bulk/", accounts.UserBulkView.as_view(), name="user_bulk"),
    path("new/", admin.user_new, name="user_new"),
    path("invite/", admin.user_invite, name="user_invite"),
    path("create/", admin.user_create, name="user_create"),
    path("promote/", admin.user_promote, name="user_promote"),
    path("me/", me.my_profile, name="my_profile"),
    path("me/password/", me.my_password, name="my_password"),
    path("me/mfa/", mfa.my_mfa, name="my_mfa"),
    path("me/mfa/verify/", mfa.my_mfa_verify, name="my_mfa_verify"),
    path("me/mfa/<uuid:factor_id>/remove/", mfa.my_mfa_remove, name="my_mfa_remove"),
    path("<uuid:pk>/", accounts.user_detail, name="user_detail"),
    path("<uuid:pk>/role/", admin.user_role, name="user_role"),
    path("<uuid:pk>/name/", admin.user_display_name, name="user_display_name"),
    path("<uuid:pk>/ban/", admin.user_ban, name="user_ban"),
    path("<uuid:pk>/unban/", admin.user_unban, name="user_unban"),
    path("<uuid:pk>/password-reset/", admin.user_password_reset, name="user_password_reset"),
    path("<uuid:pk>/delete/", admin.user_delete, name="user_delete"),
    path(
        "<uuid:pk>/factors/<uuid:factor_id>/remove/",
        mfa.user_factor_remove,
        name="user_factor_remove",
    ),
]
