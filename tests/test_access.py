"""Sign-in is required everywhere except the health check and the sign-in pages.

The URLs come from the URL configuration itself, so a new view cannot be forgotten.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "healthz",
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
SAMPLE_ARGS = {
    "key": "INC-2026-0001",
    "uidb64": "MQ",
    "token": "set-password",
    "section": "overview",
    "row_id": "1",
    "approval_id": "1",
    "comment_id": "1",
    "version": "1",
    "item_id": "1",
    "attachment_id": "1",
    "name": "file.png",
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry


def _sample_path(route: str) -> str:
    path = route
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].split(":")[-1]
        path = path[:start] + SAMPLE_ARGS[name] + path[end + 1 :]
    return "/" + path.lstrip("^").rstrip("$")


ROUTES = sorted(
    (name, _sample_path(route)) for name, route, _ in _walk(get_resolver().url_patterns)
)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[name for name, _ in ROUTES])
def test_it_sends_anonymous_visitors_to_sign_in(client, name, path):
    response = client.get(path)
    short_name = name.split(":")[-1]
    if short_name in PUBLIC:
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
    else:
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=")


def test_the_route_list_is_not_empty():
    names = {name for name, _ in ROUTES}
    assert {
        "postmortems:list",
        "postmortems:detail",
        "postmortems:new",
        "healthz",
        "login",
    } <= names


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_from_the_admin_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
