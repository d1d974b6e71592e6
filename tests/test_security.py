"""Headers, sign-in throttling, session hygiene and the audit trail."""

import datetime
import logging

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_strict_content_security_policy(author_client, postmortem):
    response = author_client.get(postmortem.get_absolute_url())
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_it_denies_framing_sniffing_and_leaky_referrers(author_client):
    response = author_client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(author_client, postmortem):
    body = author_client.get(postmortem.get_absolute_url()).content.decode()
    assert "<script>" not in body and "<script >" not in body
    assert " style=" not in body and "<style" not in body
    assert " onclick=" not in body and " onload=" not in body


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_too_many_failures_lock_the_account_at_that_address(client, author, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert sign_in(client, "alice", "wrong").status_code == 200  # the usual "wrong password"
    sign_in(client, "alice", "wrong")
    sign_in(client, "alice", "wrong")
    response = sign_in(client, "alice", PASSWORD)  # even with the right password
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed sign-ins" in body and "15 minutes" in body
    # Guessing alice's password does not lock alice out everywhere.
    assert sign_in(Client(REMOTE_ADDR="10.9.9.9"), "alice", PASSWORD).status_code == 302


def test_failures_from_one_address_lock_no_one_else(author, coauthor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    for username in ("alice", "bob", "nobody", "bob", "bob"):
        sign_in(attacker, username, "wrong")
    response = sign_in(attacker, "bob", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # Someone else, elsewhere, still signs in; and another account from that address too.
    assert sign_in(Client(REMOTE_ADDR="10.1.1.1"), "bob", PASSWORD).status_code == 302
    assert sign_in(attacker, "alice", PASSWORD).status_code == 302


def test_behind_the_proxy_failures_lock_the_client_not_everyone(author, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    # Every request reaches the app from the proxy, which appends the client's address.
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(3):
        sign_in(attacker, "alice", "wrong")
    assert sign_in(attacker, "alice", PASSWORD).status_code == 429
    # A spoofed header from the attacker is not believed: the proxy's last address is.
    spoofing = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert sign_in(spoofing, "alice", PASSWORD).status_code == 429
    alice = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert sign_in(alice, "alice", PASSWORD).status_code == 302


def test_the_lockout_page_says_for_how_long(client, author, settings):
    settings.AXES_FAILURE_LIMIT = 1
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    sign_in(client, "alice", "wrong")
    body = sign_in(client, "alice", PASSWORD).content.decode()
    assert "is paused for 1 minute after several wrong passwords" in body


def test_a_success_resets_the_count(client, author, settings):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "alice", "wrong")
    sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_changing_the_password_ends_the_other_sessions(author):
    laptop, phone = Client(), Client()
    assert sign_in(laptop, "alice", PASSWORD).status_code == 302
    assert sign_in(phone, "alice", PASSWORD).status_code == 302
    laptop.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "n3w-Secret-phrase",
            "new_password2": "n3w-Secret-phrase",
        },
    )
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def test_sign_ins_failures_and_denials_are_audited(client, author, outsider, postmortem, caplog):
    with caplog.at_level(logging.INFO, logger="audit"):
        sign_in(client, "alice", "wrong")
        sign_in(client, "alice", PASSWORD)
        other = Client()
        other.force_login(outsider)
        other.get(f"/postmortems/{postmortem.key}/edit/impact/")
    lines = [record.getMessage() for record in caplog.records if record.name == "audit"]
    assert any(line.startswith("sign-in failed user=alice") for line in lines)
    assert any(line.startswith("sign-in user=alice") for line in lines)
    denial = next(line for line in lines if line.startswith("access denied"))
    assert "user=mallory" in denial and f"/postmortems/{postmortem.key}/edit/impact/" in denial
    assert PASSWORD not in " ".join(lines)
