from django.urls import path

from console.views import auth, dashboard, health, history, outbox, users, users_admin, users_me

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("password/forgot/", auth.password_forgot, name="password_forgot"),
    path("auth/confirm/", auth.password_set, name="password_set"),
    path("healthz", health.healthz, name="healthz"),
    path("dev/outbox/", outbox.outbox, name="outbox"),
    path("history/", history.history_fragment, name="history"),
    # Users and roles
    path("users/", users.UserListView.as_view(), name="user_list"),
    path("users/bulk/", users.UserBulkView.as_view(), name="user_bulk"),
    path("users/new/", users_admin.user_new, name="user_new"),
    path("users/invite/", users_admin.user_invite, name="user_invite"),
    path("users/create/", users_admin.user_create, name="user_create"),
    path("users/promote/", users_admin.user_promote, name="user_promote"),
    path("users/me/", users_me.my_profile, name="my_profile"),
    path("users/me/password/", users_me.my_password, name="my_password"),
    path("users/<uuid:pk>/", users.user_detail, name="user_detail"),
    path("users/<uuid:pk>/role/", users_admin.user_role, name="user_role"),
    path("users/<uuid:pk>/name/", users_admin.user_display_name, name="user_display_name"),
    path("users/<uuid:pk>/ban/", users_admin.user_ban, name="user_ban"),
    path("users/<uuid:pk>/unban/", users_admin.user_unban, name="user_unban"),
    path(
        "users/<uuid:pk>/password-reset/",
        users_admin.user_password_reset,
        name="user_password_reset",
    ),
    path("users/<uuid:pk>/delete/", users_admin.user_delete, name="user_delete"),
]
