"""Passwords asked again (signing, changing the password) are throttled as sign-in is."""

import datetime

import pytest
from django.test import Client, RequestFactory

from accounts.passwords import PasswordRefused, check_password

pytestmark = pytest.mark.django_db


def request_from(address="10.0.0.1", **headers):
    return RequestFactory().post("/sign/", REMOTE_ADDR=address, **headers)


def wrong(user, address="10.0.0.1", times=1):
    refusals = []
    for _ in range(times):
        with pytest.raises(PasswordRefused) as refused:
            check_password(request_from(address), user, "not-my-password")
        refusals.append(refused.value)
    return refusals[-1]


def sign_in(address, username, password):
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_it_accepts_the_right_password(author, password):
    assert check_password(request_from(), author, password) is None


def test_it_refuses_a_wrong_password_and_says_how_many_tries_are_left(author):
    refused = wrong(author)
    assert str(refused) == "That password is not right: 4 tries left before a pause of 15 minutes."
    assert refused.tries_left == 4 and not refused.locked
    assert wrong(author, times=2).tries_left == 2


def test_the_last_try_is_counted_in_the_singular(author):
    assert "1 try left" in str(wrong(author, times=4))


def test_five_wrong_passwords_lock_it(author, password):
    refused = wrong(author, times=5)
    assert refused.locked
    assert str(refused) == "Too many wrong passwords: try again in 15 minutes."
    with pytest.raises(PasswordRefused, match="Too many wrong passwords"):
        check_password(request_from(), author, password)


def test_the_message_follows_the_cool_off(author, password, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    assert "1 try left before a pause of 1 minute" in str(wrong(author))
    assert str(wrong(author)) == "Too many wrong passwords: try again in 1 minute."


def test_a_lock_here_locks_sign_in_too(author, password):
    wrong(author, "10.0.0.1", times=5)
    response = sign_in("10.0.0.1", "alice", password)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_a_lock_from_sign_in_refuses_here_too(author, password):
    for _ in range(5):
        sign_in("10.0.0.1", "alice", "wrong")
    with pytest.raises(PasswordRefused) as refused:
        check_password(request_from("10.0.0.1"), author, password)
    assert refused.value.locked


def test_wrong_sign_ins_and_wrong_passwords_here_count_together(author, password):
    for _ in range(3):
        sign_in("10.0.0.1", "alice", "wrong")
    assert wrong(author, "10.0.0.1").tries_left == 1
    assert wrong(author, "10.0.0.1").locked


def test_the_lock_is_by_account_and_address_together(author, coauthor, password):
    wrong(author, "10.0.0.1", times=5)
    check_password(request_from("10.0.0.2"), author, password)  # alice elsewhere
    check_password(request_from("10.0.0.1"), coauthor, password)  # bob at that address
    assert sign_in("10.0.0.2", "alice", password).status_code == 302


def test_behind_the_proxy_it_locks_the_client_not_the_proxy(author, password, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        with pytest.raises(PasswordRefused):
            check_password(
                request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"), author, "wrong"
            )
    check_password(request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7"), author, password)
    spoofed = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    with pytest.raises(PasswordRefused, match="Too many wrong passwords"):
        check_password(spoofed, author, password)


def test_a_right_password_resets_the_count(author, password):
    wrong(author, times=4)
    check_password(request_from(), author, password)
    assert wrong(author, times=4).tries_left == 1


def test_a_right_password_changes_nothing_else(author, password):
    request = request_from()
    check_password(request, author, password)
    author.refresh_from_db()
    assert author.last_login is None
    assert not request.axes_locked_out


def test_it_leaves_the_answer_to_the_caller_when_locked(author, password):
    wrong(author, times=5)
    request = request_from()
    with pytest.raises(PasswordRefused):
        check_password(request, author, password)
    assert not request.axes_locked_out  # axes' middleware would swap in its sign-in page


def test_without_axes_it_still_checks_the_password(author, password, settings):
    settings.AXES_ENABLED = False
    with pytest.raises(PasswordRefused) as refused:
        check_password(request_from(), author, "wrong")
    assert str(refused.value) == "That password is not right."
    check_password(request_from(), author, password)


def test_without_a_cool_off_the_lock_needs_an_administrator(author, settings):
    settings.AXES_COOLOFF_TIME = None
    assert str(wrong(author, times=4)) == (
        "That password is not right: 1 try left before the account is locked."
    )
    assert str(wrong(author)) == (
        "Too many wrong passwords: ask an administrator to unlock your account."
    )
