"""Throttling of failed sign-ins, per email and per client IP, shared by all workers
(Django's database cache)."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    digest = hashlib.sha256(email.encode()).hexdigest()
    keys = [(f"login-fail:email:{digest}", settings.LOGIN_THROTTLE_EMAIL_LIMIT)]
    if ip:
        keys.append((f"login-fail:ip:{ip}", settings.LOGIN_THROTTLE_IP_LIMIT))
    return keys


def retry_after(email: str, ip: str | None) -> int:
    """Seconds until this email and IP may try again; 0 when they may try now."""
    now = time.time()
    wait = 0
    for key, limit in _keys(email, ip):
        entry = cache.get(key)
        if entry and entry["count"] >= limit:
            wait = max(wait, int(entry["until"] - now) + 1)
    return wait


def record_failure(email: str, ip: str | None) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW
    now = time.time()
    for key, _limit in _keys(email, ip):
        entry = cache.get(key)
        if not entry or entry["until"] <= now:
            entry = {"count": 0, "until": now + window}
        entry["count"] += 1
        cache.set(key, entry, timeout=int(entry["until"] - now) + 1)


def clear(email: str) -> None:
    cache.delete(_keys(email, None)[0][0])
