from django.urls import path

from console.system import views as system
from console.views import auth, dashboard, health, history, mfa, outbox

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.login, name="login"),
    path("login/mfa/", mfa.login_mfa, name="login_mfa"),
    path("logout/", auth.logout, name="logout"),
    path("password/forgot/", auth.password_forgot, name="password_forgot"),
    path("auth/confirm/", auth.password_set, name="password_set"),
    path("healthz", health.healthz, name="healthz"),
    path("system/", system.system_page, name="system"),
    path("dev/outbox/", outbox.outbox, name="outbox"),
    path("history/", history.history_fragment, name="history"),
]
