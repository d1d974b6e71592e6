"""Changing a password is throttled like sign-in; reset requests are limited."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import RateLimit, User

pytestmark = pytest.mark.django_db

NEW = "n3w-Secret-phrase"


def change(client, old_password):
    return client.post(
        "/accounts/password/change/",
        {"old_password": old_password, "new_password1": NEW, "new_password2": NEW},
    )


def ask_reset(email, address="10.0.0.1"):
    return Client(REMOTE_ADDR=address).post("/accounts/password/reset/", {"email": email})


def test_a_wrong_old_password_says_how_many_tries_are_left(author_client, author):
    response = change(author_client, "not-my-password")
    assert response.status_code == 200
    assert "That password is not right: 4 tries left" in response.content.decode()
    author.refresh_from_db()
    assert not author.check_password(NEW)


def test_thirty_wrong_old_passwords_are_not_all_checked(
    author_client, author, password, monkeypatch
):
    checked = []
    check_password = User.check_password
    monkeypatch.setattr(
        User, "check_password", lambda user, raw: checked.append(raw) or check_password(user, raw)
    )
    for _ in range(30):
        response = change(author_client, "guess")
    assert len(checked) == 5
    assert response.status_code == 200
    assert "Too many wrong passwords: try again in 15 minutes." in response.content.decode()
    # Now even the right one is refused, on the page, and nothing changes.
    response = change(author_client, password)
    assert response.status_code == 200
    assert "Too many wrong passwords: try again in 15 minutes." in response.content.decode()
    author.refresh_from_db()
    assert author.check_password(password)


def test_wrong_old_passwords_lock_sign_in_at_that_address(author_client, author, password):
    for _ in range(5):
        change(author_client, "guess")
    response = Client().post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    response = elsewhere.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 302


def test_the_right_old_password_still_changes_it(author_client, author):
    change(author_client, "guess")
    assert change(author_client, "correct-horse-battery").status_code == 302
    author.refresh_from_db()
    assert author.check_password(NEW)


def test_thirty_requests_for_one_email_send_three_emails(author):
    for n in range(30):
        response = ask_reset("alice@example.org", address=f"10.0.{n}.1")
        # The same answer every time: nobody learns that the limit was reached.
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 3
    assert {message.to[0] for message in mail.outbox} == {"alice@example.org"}


def test_the_email_limit_ignores_case(author):
    for email in (
        "alice@example.org",
        "ALICE@example.org",
        "Alice@Example.org",
        "alice@EXAMPLE.ORG",
    ):
        ask_reset(email, address="10.0.0.1")
    assert len(mail.outbox) == 3


def test_the_sixth_request_from_one_address_is_refused(author, coauthor, outsider):
    emails = ["alice@example.org", "bob@example.org", "mallory@example.org", "x@example.org"]
    for n in range(5):
        assert ask_reset(emails[n % 4], address="10.6.6.6").status_code == 302
    sent = len(mail.outbox)
    response = ask_reset("bob@example.org", address="10.6.6.6")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Too many password-reset requests from your address. Try again in an hour." in body
    assert len(mail.outbox) == sent
    # Someone elsewhere still can.
    assert ask_reset("bob@example.org", address="10.1.1.1").status_code == 302
    assert len(mail.outbox) == sent + 1


def test_behind_the_proxy_the_address_limit_is_per_client(author, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        proxy.post(
            "/accounts/password/reset/",
            {"email": "x@example.org"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    refused = proxy.post(
        "/accounts/password/reset/",
        {"email": "x@example.org"},
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9",
    )
    assert refused.status_code == 200
    allowed = proxy.post(
        "/accounts/password/reset/", {"email": "x@example.org"}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert allowed.status_code == 302


def test_a_malformed_email_is_not_counted(author):
    for _ in range(10):
        assert ask_reset("not an email", address="10.6.6.6").status_code == 200
    assert ask_reset("alice@example.org", address="10.6.6.6").status_code == 302
    assert len(mail.outbox) == 1


def test_it_stores_digests_not_addresses(author):
    ask_reset("alice@example.org", address="10.6.6.6")
    rows = list(RateLimit.objects.values_list("scope", "digest"))
    assert sorted(scope for scope, _ in rows) == ["reset-address", "reset-email"]
    stored = " ".join(digest for _, digest in rows)
    assert "alice" not in stored and "10.6.6.6" not in stored
    assert all(len(digest) == 64 for _, digest in rows)


def test_the_window_slides_and_old_rows_are_pruned(author):
    for _ in range(3):
        ask_reset("alice@example.org", address="10.0.0.1")
    ask_reset("alice@example.org", address="10.0.0.2")
    assert len(mail.outbox) == 3
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1, seconds=1)
    RateLimit.objects.update(uses=[an_hour_ago.timestamp()] * 3, last_used_at=an_hour_ago)
    stale = RateLimit.objects.create(
        scope="reset-address", digest="0" * 64, uses=[], last_used_at=an_hour_ago
    )
    ask_reset("alice@example.org", address="10.0.0.3")
    assert len(mail.outbox) == 4
    assert not RateLimit.objects.filter(pk=stale.pk).exists()
