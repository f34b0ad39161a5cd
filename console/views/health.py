import httpx
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from console.permissions import public
from console.rls import outside_user_transaction


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1")
        return True
    except Exception:
        connection.close()
        return False


def _auth_ok() -> bool:
    try:
        response = httpx.get(
            f"{settings.SUPABASE_URL}/auth/v1/health",
            headers={"apikey": settings.SUPABASE_ANON_KEY},
            timeout=2,
        )
        return response.status_code == 200
    except httpx.HTTPError:
        return False


@public
@never_cache
@outside_user_transaction
def healthz(request):
    checks = {"database": _database_ok(), "auth": _auth_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)
