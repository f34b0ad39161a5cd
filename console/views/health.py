"""`/healthz`: for load balancers and monitors. Public, cheap, and it says up or down only:
200 `{"status": "ok"}` when the database answers, 503 `{"status": "unavailable"}` when not.

Supabase Auth is not part of it: with Auth down, signed-in sessions keep working while their
tokens are valid (the circuit breaker makes sign-in fail fast), so taking every instance out
of the load balancer would only make things worse. The details (latency, connections, Auth's
health, the breaker) are on the system page, for admins and auditors.
"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from console.permissions import public
from console.rls import outside_user_transaction
from console.system import latency


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1")
        return True
    except Exception:
        connection.close()
        return False


@public
@never_cache
@outside_user_transaction
def healthz(request):
    healthy = _database_ok()
    if healthy:
        latency.maybe_sample()  # keeps the system page's latency history going
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable"}, status=200 if healthy else 503
    )
