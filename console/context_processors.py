from django.conf import settings

from console.registry import navigation


def console(request):
    user = getattr(request, "console_user", None)
    return {
        "console_user": user,
        "nav_areas": navigation(user.role) if user else [],
        "show_outbox": settings.DEBUG and settings.LOCAL_AUTH,
    }
