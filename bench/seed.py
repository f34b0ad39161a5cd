"""Prepares the bench database: schema (local bootstrap, migrations, Django's tables for the
admin), volume from `seed_demo --scale` once, a Django superuser for the admin, and fresh
statistics. Run by bench/run.py in a child process with DATABASE_URL set to the bench database.
"""

import os
import time

import django


def seeded(cursor) -> bool:
    cursor.execute(
        "select exists (select 1 from public.audit_logs where user_agent = 'bench-agent/1.0')"
    )
    return cursor.fetchone()[0]


def main(scale: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings_bench")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from localauth.db import conninfo_from_django
    from localauth.server import LocalAuthConfig, LocalAuthServer

    call_command("db_migrate", local=True, verbosity=0)
    with connection.cursor() as cursor:
        done = seeded(cursor)
    if done:
        print("bench: volume already there; not seeding again (BENCH_RESEED=1 to start over)")
    else:
        # seed_demo creates the demo accounts through Supabase Auth: the local auth server
        # runs here, in this process, on the port the settings point at.
        port = int(settings.SUPABASE_URL.rsplit(":", 1)[1])
        config = LocalAuthConfig(
            dsn=conninfo_from_django(connection.settings_dict),
            jwt_secret=settings.SUPABASE_JWT_SECRET,
            outbox_dir=settings.DATA_DIR / "bench" / "outbox",
        )
        started = time.perf_counter()
        with LocalAuthServer(config, port=port):
            call_command("seed_demo", "--scale", str(scale))
        print(f"bench: seeded at scale {scale} in {time.perf_counter() - started:.0f} s")
    user_model = get_user_model()
    if not user_model.objects.filter(username="bench-admin").exists():
        user_model.objects.create_superuser("bench-admin", "bench-admin@example.com", None)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # A settled table, as in production: visibility map set, statistics fresh.
        cursor.execute(
            "vacuum (analyze) public.audit_logs, public.knowledge_base_entries,"
            " public.profiles, public.system_performance_logs"
        )
    print(f"bench: vacuum analyze in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(float(os.environ.get("BENCH_SCALE", "1")))
