"""Facts about the HTTP client that several parts of the console need."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless the request comes from one of
    TRUSTED_PROXIES; then the entry of X-Forwarded-For that the outermost of the
    TRUSTED_PROXY_COUNT proxies added (earlier entries are client-supplied and cannot be
    trusted). A header from anyone else is ignored, so it cannot pick the address that
    throttling counts and the audit trail records."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies and settings.TRUSTED_PROXIES and remote and _is_trusted_proxy(remote):
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies]) or remote
    return remote


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:1000].replace("\x00", "")
