"""Where a request comes from: the one place the client's address is read.

Sign-in throttling (django-axes), the password-reset limits and the audit log all ask
`client_address`. Behind proxies, each proxy appends the address it received the request
from to X-Forwarded-For, so with `TRUSTED_PROXY_COUNT` proxies in front of the app the
client is the count-th address from the right; anything further left was written by the
client and is never trusted.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str:
    """The address in its canonical form, or "" when it is not an IP address."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_address(request) -> str:
    """The client's IP address, as far as the trusted proxies vouch for it ("" if unknown)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < count:
        # Not through all the proxies: only the direct peer is known.
        return remote
    return _valid(forwarded[-count]) or remote
