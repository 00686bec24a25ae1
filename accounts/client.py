"""Who is calling: the client's address and user agent, as throttles and
sessions see them."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """
    The client's IP address.

    The socket's peer, unless TRUSTED_PROXY_COUNT proxies sit in front: each
    appends the address it saw to X-Forwarded-For, so the client is the entry
    that many places from the right. Entries further left are whatever the
    client sent and are never trusted. (django-ipware, by default, trusts the
    left-most entry, which lets a client choose its own address.)
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            hop.strip()
            for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [hop for hop in forwarded if hop]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_info(request):
    """What a new session records about the client that opened it."""
    return {
        # Printable characters only: PostgreSQL text cannot hold a NUL.
        "user_agent": "".join(
            char for char in request.headers.get("User-Agent", "") if char.isprintable()
        )[:256],
        "ip": client_ip(request),
    }
