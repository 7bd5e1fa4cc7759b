"""The client's address: the connecting peer, or, behind a reverse proxy named in
YIWANG_TRUSTED_PROXIES, the last address its X-Forwarded-For adds before the trusted hops.

A client can write anything into X-Forwarded-For, so the header counts only when the connection
comes from a trusted proxy, and it is read from the right: each trusted proxy appends the address
it saw, and the first address from the right that is not a trusted proxy is the client."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    if request is None:
        return ""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.YIWANG_TRUSTED_PROXIES))
    if not networks or not _trusted(_parse(peer), networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _parse(hop)
        if address is None:
            # Garbage in the chain: stop believing it, the proxy that passed it on is the best we know.
            return peer
        if not _trusted(address, networks):
            return str(address)
        peer = str(address)
    return peer
