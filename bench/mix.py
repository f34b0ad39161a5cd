"""The mixed run and the two-instance run: gunicorn with the production settings (DEBUG off)
over the bench database, signed-in users reading and writing at once.

Mixed run (BENCH_MIX_SECONDS, 60): auditors page and filter the audit trail, editors search
knowledge entries and save them (a few "hot" entries are saved by several editors at once, so
some saves meet a newer one and get the conflict page, 409), admins change users' roles (some
targets shared, so some get the stale-form 409). Every request's kind, status and latency is
recorded; afterwards the database is counted: every successful save has exactly one audit row,
every conflict was reported and wrote nothing, no write was lost (each record ends as its last
audited write) or doubled.

Two-instance run: two gunicorn servers on different ports over the one database: a session
signed in on one is used on the other, and failed sign-ins alternate between them until the
throttle (shared in the database) answers 429.

`python -m bench.mix` runs both alone (schema and data as `make bench` makes them);
`make bench` runs them after the load run (BENCH_ONLY=mix: only them; BENCH_SKIP_MIX=1: not).
Settings: BENCH_MIX_SECONDS (60), BENCH_MIX_AUDITORS (2), BENCH_MIX_EDITORS (4),
BENCH_MIX_ADMINS (2), BENCH_MIX_WORKERS (2 gunicorn workers).
"""

import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

from bench import db
from bench.browser import Browser, form_fields

DEFAULT_DEMO_PASSWORD = "BillyGoat-Demo-2026"
ADMIN, EDITOR, AUDITOR = "admin@example.com", "editor@example.com", "auditor@example.com"
SEARCH_WORDS = ["agent", "pipeline", "deploy", "crew", "policy", "error", "guide", "data"]
AUDIT_PAGES = [
    "/audit/",
    "/audit/?action=UPDATE",
    "/audit/?table=knowledge_base_entries",
    "/audit/?table=profiles&action=UPDATE",
]
ROLES = ("viewer", "editor", "auditor")
MARKER = re.compile(r"mix-run:[0-9a-f]{8}:\d+:\d+")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# --- what happened ---------------------------------------------------------------------------


@dataclass
class Kind:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conflicts: int = 0
    samples: list[str] = field(default_factory=list)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Outcome:
    kinds: dict[str, Kind] = field(default_factory=dict)
    saved: dict[str, str] = field(default_factory=dict)  # marker -> entry id (302)
    conflicted: dict[str, str] = field(default_factory=dict)  # marker -> entry id (409)
    unknown: dict[str, str] = field(default_factory=dict)  # marker -> entry id (error)
    role_changes: list[tuple[str, str]] = field(default_factory=list)  # (target, role)
    role_conflicts: int = 0
    run_id: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, kind: str, call, ok=(200,), conflict=(409,)):
        started = time.perf_counter()
        try:
            response = call()
            status = response.status_code
        except httpx.HTTPError as exc:
            response, status = None, f"{type(exc).__name__}"
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            entry = self.kinds.setdefault(kind, Kind(kind))
            entry.latencies.append(elapsed)
            if status in conflict:
                entry.conflicts += 1
            elif status not in ok:
                entry.errors += 1
                if len(entry.samples) < 5:
                    entry.samples.append(str(status))
        return response, status


# --- the users -------------------------------------------------------------------------------


def auditor_loop(browser: Browser, outcome: Outcome, deadline: float) -> None:
    pages = list(AUDIT_PAGES)
    while time.monotonic() < deadline:
        outcome.timed("auditor: audit trail page", partial(browser.get, random.choice(pages)))


def editor_loop(
    browser: Browser, outcome: Outcome, deadline: float, run_id: str, n: int, hot, own
) -> None:
    count = 0
    while time.monotonic() < deadline:
        if random.random() < 0.5:
            word = random.choice(SEARCH_WORDS)
            outcome.timed("editor: search", partial(browser.get, f"/knowledge/?q={word}"))
            continue
        entry = random.choice(hot) if random.random() < 0.6 else random.choice(own)
        form, status = outcome.timed(
            "editor: open edit form", partial(browser.get, f"/knowledge/{entry}/edit/")
        )
        if status != 200:
            continue
        fields = form_fields(form.text)
        count += 1
        marker = f"mix-run:{run_id}:{n}:{count}"
        kept = [line for line in fields.get("content", "").splitlines() if "mix-run:" not in line]
        fields["content"] = "\n".join([*kept, "", marker]).strip() + "\n"
        time.sleep(random.uniform(0, 0.05))  # other editors may save in between
        response, status = outcome.timed(
            "editor: save entry",
            partial(browser.post, f"/knowledge/{entry}/edit/", fields),
            ok=(302,),
        )
        with outcome.lock:
            target = {302: outcome.saved, 409: outcome.conflicted}.get(status, outcome.unknown)
            target[marker] = entry


def admin_loop(browser: Browser, outcome: Outcome, deadline: float, hot, own) -> None:
    while time.monotonic() < deadline:
        target = random.choice(hot) if random.random() < 0.5 else random.choice(own)
        page, status = outcome.timed(
            "admin: open user page", partial(browser.get, f"/users/{target}/")
        )
        if status != 200:
            continue
        fields = form_fields(page.text)
        role = random.choice([r for r in ROLES if r != fields.get("role")])
        time.sleep(random.uniform(0, 0.05))
        _response, status = outcome.timed(
            "admin: change role",
            partial(
                browser.post,
                f"/users/{target}/role/",
                {"role": role, "version": fields.get("version", "")},
            ),
            ok=(302,),
        )
        with outcome.lock:
            if status == 302:
                outcome.role_changes.append((target, role))
            elif status == 409:
                outcome.role_conflicts += 1


# --- the servers -----------------------------------------------------------------------------


def production_env(env: dict, port: int, workers: int) -> dict:
    return dict(
        env,
        DJANGO_SETTINGS_MODULE="console.settings",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS="1",
        TRUSTED_PROXY_COUNT="1",  # a TLS-terminating proxy in front, as in production
    )


def start_gunicorn(env: dict, port: int, workers: int, log_name: str) -> subprocess.Popen:
    from bench.run import PYTHON

    log = open(db.BENCH_DIR / log_name, "w")  # noqa: SIM115 - the child holds it
    server = subprocess.Popen(  # noqa: S603
        [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        env=production_env(env, port, workers),
        cwd=db.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Browser(port).get("/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"gunicorn on {port} did not answer; see .data/bench/{log_name}")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def local_auth(url: str, port: int):
    from localauth.server import LocalAuthConfig, LocalAuthServer

    config = LocalAuthConfig(
        dsn=url,
        jwt_secret=os.environ["SUPABASE_JWT_SECRET"],
        outbox_dir=db.BENCH_DIR / "outbox",
    )
    return LocalAuthServer(config, port=port).start()


def signed_in(port: int, email: str) -> Browser:
    browser = Browser(port)
    response = browser.sign_in(email, os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD))
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in {email}: HTTP {response.status_code}")
    return browser


# --- the runs --------------------------------------------------------------------------------


def pick_records(url: str) -> tuple[list[str], list[str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        entries = [
            str(r[0])
            for r in conn.execute(
                "select id from public.knowledge_base_entries order by id limit 40"
            ).fetchall()
        ]
        users = [
            str(r[0])
            for r in conn.execute(
                "select id from public.profiles where role in ('viewer', 'editor', 'auditor')"
                " and email not like '%@example.com' order by id limit 24"
            ).fetchall()
        ]
    return entries, users


def mixed_run(env: dict, url: str) -> tuple[str, bool]:
    seconds = _int("BENCH_MIX_SECONDS", 60)
    auditors, editors, admins = (
        _int("BENCH_MIX_AUDITORS", 2),
        _int("BENCH_MIX_EDITORS", 4),
        _int("BENCH_MIX_ADMINS", 2),
    )
    workers = _int("BENCH_MIX_WORKERS", 2)
    entries, users = pick_records(url)
    if len(entries) < 8 or len(users) < 8:
        raise RuntimeError("the bench data has too few entries or users for the mixed run")
    hot_entries, other_entries = entries[:3], entries[3:]
    hot_users, other_users = users[:3], users[3:]
    port = _free_port()
    server = start_gunicorn(env, port, workers, "gunicorn-mix.log")
    auth = local_auth(url, int(env["LOCAL_AUTH_PORT"]))
    run_id = uuid.uuid4().hex[:8]
    outcome = Outcome(run_id=run_id)
    try:
        threads = []
        started_at = _now(url)
        deadline = time.monotonic() + seconds
        print(
            f"bench: mixed run for {seconds} s on gunicorn ({workers} workers): {auditors} "
            f"auditors, {editors} editors, {admins} admins",
            flush=True,
        )
        for _ in range(auditors):
            threads.append(
                threading.Thread(
                    target=auditor_loop, args=(signed_in(port, AUDITOR), outcome, deadline)
                )
            )
        for n in range(editors):
            own = other_entries[n::editors] or other_entries
            threads.append(
                threading.Thread(
                    target=editor_loop,
                    args=(signed_in(port, EDITOR), outcome, deadline, run_id, n, hot_entries, own),
                )
            )
        for n in range(admins):
            own = other_users[n::admins] or other_users
            threads.append(
                threading.Thread(
                    target=admin_loop,
                    args=(signed_in(port, ADMIN), outcome, deadline, hot_users, own),
                )
            )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop(server)
        auth.stop()
    return report_mix(outcome, url, started_at, seconds, workers)


def _now(url: str):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("select clock_timestamp()").fetchone()[0]


def _free_port() -> int:
    from bench.run import free_port

    return free_port()


def report_mix(outcome: Outcome, url: str, started_at, seconds: int, workers: int):
    import psycopg

    lines = [
        f"| mixed run: gunicorn, production settings, {workers} workers, {seconds} s "
        "| requests | errors | conflicts (409) | p50 ms | p95 ms | max ms |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    errors = 0
    for kind in sorted(outcome.kinds.values(), key=lambda k: k.name):
        errors += kind.errors
        lines.append(
            f"| {kind.name} | {len(kind.latencies):,} | {kind.errors} | {kind.conflicts} | "
            f"{kind.pct(50):.1f} | {kind.pct(95):.1f} | {max(kind.latencies, default=0):.0f} |"
        )
    with psycopg.connect(url) as conn:
        audited = Counter()
        latest: dict[str, str] = {}
        for entry, content in conn.execute(
            "select record_id, new_values->>'content' from public.audit_logs"
            " where table_name = 'knowledge_base_entries' and action = 'UPDATE'"
            " and created_at >= %s order by created_at, id",
            [started_at],
        ).fetchall():
            for marker in MARKER.findall(content or ""):
                audited[marker] += 1
                latest[entry] = marker
        finals = dict(
            conn.execute(
                "select id::text, content from public.knowledge_base_entries where id = any(%s)",
                [list({*outcome.saved.values(), *outcome.conflicted.values()})],
            ).fetchall()
        )
        role_rows = conn.execute(
            "select record_id, new_values->>'role' from public.audit_logs"
            " where table_name = 'profiles' and action = 'UPDATE' and new_values ? 'role'"
            " and created_at >= %s order by created_at, id",
            [started_at],
        ).fetchall()
        roles_now = dict(
            conn.execute(
                "select id::text, role from public.profiles where id::text = any(%s)",
                [list({target for target, _ in outcome.role_changes})],
            ).fetchall()
        )
    mine = {marker for marker in audited if marker.startswith(f"mix-run:{outcome.run_id}:")}
    saved = set(outcome.saved)
    unaudited = saved - set(audited)
    doubled = {m for m, n in audited.items() if n > 1}
    conflict_written = set(outcome.conflicted) & set(audited)
    unreported = mine - saved - set(outcome.unknown)
    lost = [
        entry
        for entry, marker in latest.items()
        if entry in finals and marker not in (finals[entry] or "")
    ]
    last_role = {}
    for target, role in role_rows:
        last_role[target] = role
    role_lost = [t for t, r in last_role.items() if t in roles_now and roles_now[t] != r]
    role_audit_rows = sum(1 for target, _ in role_rows if target in roles_now)
    counts = [
        f"saves: {len(saved)} succeeded, {len(outcome.conflicted)} reported as conflicts, "
        f"{len(outcome.unknown)} failed otherwise",
        f"audit rows for the saves: {sum(audited[m] for m in saved)} "
        f"(each successful save exactly once: {'✓' if not unaudited and not doubled else '✗'}; "
        f"unaudited {len(unaudited)}, doubled {len(doubled)})",
        f"conflicts that wrote anyway: {len(conflict_written)}; writes nobody was told of: "
        f"{len(unreported)}; entries not ending as their last audited save: {len(lost)}",
        f"role changes: {len(outcome.role_changes)} succeeded, {outcome.role_conflicts} reported "
        f"as conflicts, {role_audit_rows} audit rows "
        f"({'✓' if role_audit_rows == len(outcome.role_changes) else '✗'}), "
        f"users not ending as their last audited role: {len(role_lost)}",
    ]
    ok = (
        errors == 0
        and not (unaudited or doubled or conflict_written or unreported or lost or role_lost)
        and not outcome.unknown
        and role_audit_rows == len(outcome.role_changes)
    )
    counts.append(
        f"Goal: no errors but reported conflicts, nothing lost or unaudited: {'✓' if ok else '✗'}"
    )
    samples = [f"{k.name}: {', '.join(k.samples)}" for k in outcome.kinds.values() if k.samples]
    if samples:
        counts.append("error samples: " + "; ".join(samples))
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {line}" for line in counts), ok


def two_instances(env: dict, url: str) -> tuple[str, bool]:
    ports = [_free_port(), _free_port()]
    print(f"bench: two instances on 127.0.0.1:{ports[0]} and :{ports[1]}", flush=True)
    servers = [start_gunicorn(env, port, 1, f"gunicorn-{i}.log") for i, port in enumerate(ports)]
    auth = local_auth(url, int(env["LOCAL_AUTH_PORT"]))
    try:
        first = signed_in(ports[0], AUDITOR)
        other = first.on(ports[1])
        page = other.get("/audit/")
        session_ok = page.status_code == 200 and AUDITOR in page.text
        limit = int(env.get("LOGIN_THROTTLE_EMAIL_LIMIT", "5"))
        email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
        statuses = []
        for attempt in range(limit + 2):
            browser = Browser(ports[attempt % 2])
            response = browser.sign_in(email, "Wrong-password-123")
            statuses.append((ports[attempt % 2], response.status_code))
            if response.status_code == 429:
                break
        refused = [s for _, s in statuses if s != 429]
        throttled_at = len(refused) + 1 if statuses[-1][1] == 429 else None
        throttle_ok = throttled_at == limit + 1 and len({p for p, _ in statuses}) == 2
    finally:
        for server in servers:
            stop(server)
        auth.stop()
    text = "\n".join(
        [
            "- two instances over one database:",
            f"  - a session signed in on :{ports[0]} used on :{ports[1]}: "
            f"HTTP {page.status_code} as {AUDITOR if session_ok else '?'} "
            f"{'✓' if session_ok else '✗'}",
            "  - failed sign-ins alternating between them: "
            + ", ".join(f":{p} {s}" for p, s in statuses)
            + f" (limit {limit} per email: 429 from attempt {throttled_at}) "
            + ("✓" if throttle_ok else "✗"),
        ]
    )
    return text, session_ok and throttle_ok


def run_all(env: dict, url: str) -> str:
    from console.local_default import ensure_keys

    ensure_keys()  # the local auth server here signs with the keys the children read
    mix_text, _mix_ok = mixed_run(env, url)
    two_text, _two_ok = two_instances(env, url)
    return mix_text + "\n" + two_text


def main() -> None:
    """Alone: the bench database (made as `make bench` makes it), then both runs."""
    from bench import run

    started = time.monotonic()
    db.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = db.start()
    env = run.child_env(url)
    try:
        collect = [run.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"]
        run.step("static files", collect, env)
        run.step("schema and data", [run.PYTHON, "-m", "bench.seed"], env)
        text = run_all(env, url)
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            db.stop()
    print("\n" + text + "\n")
    print(f"bench: mixed and two-instance runs done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
