"""The client's address: the direct peer, or what the configured proxies vouch for."""

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from accounts.addresses import client_address

PROXY = "10.0.0.1"


def request_with(forwarded=None, remote=PROXY):
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("count", "forwarded", "client"),
    [
        (0, None, PROXY),
        (0, "1.2.3.4", PROXY),  # no proxy configured: the header is the client's own claim
        (1, None, PROXY),  # not through the proxy: only the direct peer is known
        (1, "", PROXY),
        (1, "5.6.7.8", "5.6.7.8"),
        (1, "1.2.3.4, 5.6.7.8", "5.6.7.8"),  # the proxy appended 5.6.7.8; 1.2.3.4 is spoofed
        (1, "1.2.3.4,5.6.7.8", "5.6.7.8"),
        (2, "1.2.3.4, 5.6.7.8, 10.0.0.2", "5.6.7.8"),
        (2, "5.6.7.8", PROXY),  # fewer addresses than proxies
        (1, "unknown", PROXY),  # not an address
        (1, "1.2.3.4, 5.6.7.8\r\nX-Evil: 1", PROXY),
        (1, "2001:DB8:0:0::1", "2001:db8::1"),
    ],
    ids=[
        "no-proxy",
        "no-proxy-ignores-header",
        "proxy-no-header",
        "proxy-empty-header",
        "proxy-one",
        "proxy-spoofed",
        "proxy-no-space",
        "two-proxies",
        "two-proxies-short-header",
        "proxy-garbage",
        "proxy-control-characters",
        "proxy-ipv6",
    ],
)
def test_it_reads_the_address_the_proxies_vouch_for(settings, count, forwarded, client):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_address(request_with(forwarded)) == client


def test_axes_reads_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert get_client_ip_address(request_with("1.2.3.4, 5.6.7.8")) == "5.6.7.8"
