"""The audit log: one line per event, whatever a person typed."""

import logging

import pytest
from django.test import Client

from accounts.audit import _field

pytestmark = pytest.mark.django_db


def audit_lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name == "audit"]


def test_a_newline_in_a_username_cannot_forge_a_line(client, author, caplog):
    with caplog.at_level(logging.INFO, logger="audit"):
        client.post(
            "/accounts/login/",
            {"username": "alice\nsign-in user=root address=1.2.3.4", "password": "x"},
        )
    lines = audit_lines(caplog)
    assert len(lines) == 1
    assert "\n" not in lines[0] and "\r" not in lines[0]
    assert lines[0].startswith('sign-in failed user="alice\\nsign-in user=root address=1.2.3.4" ')


def test_a_username_cannot_pass_for_another_field(client, author, caplog):
    with caplog.at_level(logging.INFO, logger="audit"):
        client.post("/accounts/login/", {"username": "bob address=6.6.6.6", "password": "x"})
    (line,) = audit_lines(caplog)
    assert line.startswith('sign-in failed user="bob address=6.6.6.6" address=127.0.0.1 ')


def test_it_logs_the_address_behind_the_proxy(author, password, settings, caplog):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    with caplog.at_level(logging.INFO, logger="audit"):
        client.post("/accounts/login/", {"username": "alice", "password": password})
    assert audit_lines(caplog) == ["sign-in user=alice address=5.6.7.8"]


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ("alice", "alice"),
        ("alice@example.org", "alice@example.org"),
        ("/postmortems/INC-2026-0001/", "/postmortems/INC-2026-0001/"),
        ("Zoë", "Zoë"),
        ("", '""'),
        ("a b", '"a b"'),
        ("a\r\nb", '"a\\r\\nb"'),
        ("a\x1b[31mb", '"a\\x1b[31mb"'),
        ("a\u2028b\x85c", '"a\\u2028b\\x85c"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("x" * 300, "x" * 200 + "..."),
    ],
)
def test_every_field_stays_on_its_line(value, logged):
    assert _field(value) == logged
    assert len(_field(value).splitlines()) <= 1
