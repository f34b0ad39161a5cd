from console.registry import navigation
from console.views.outbox import outbox_shown_to


def console(request):
    user = getattr(request, "console_user", None)
    return {
        "console_user": user,
        "nav_areas": navigation(user.role) if user else [],
        "show_outbox": outbox_shown_to(request),
    }
