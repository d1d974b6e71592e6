import pytest
from django.core import mail


@pytest.mark.django_db
def test_it_signs_in_and_lands_on_the_list(client, author, password):
    response = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_and_keeps_the_username(client, author):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert 'value="alice"' in response.content.decode()


@pytest.mark.django_db
def test_it_signs_out_with_post(author_client):
    response = author_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert author_client.get("/").status_code == 302


@pytest.mark.django_db
def test_it_renews_the_session_key_on_sign_in(client, author, password):
    session = client.session
    session["before"] = "sign-in"
    session.save()
    anonymous_key = session.session_key
    client.post("/accounts/login/", {"username": "alice", "password": password})
    assert client.session.session_key != anonymous_key


@pytest.mark.django_db
def test_it_changes_the_password(author_client, author, password):
    response = author_client.post(
        "/accounts/password/change/",
        {
            "old_password": password,
            "new_password1": "n3w-Secret-phrase",
            "new_password2": "n3w-Secret-phrase",
        },
    )
    assert response.status_code == 302
    author.refresh_from_db()
    assert author.check_password("n3w-Secret-phrase")


@pytest.mark.django_db
def test_it_rejects_a_weak_new_password_beside_the_field(author_client):
    response = author_client.post(
        "/accounts/password/change/",
        {"old_password": "correct-horse-battery", "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()


@pytest.mark.django_db
def test_it_emails_a_password_reset_link(client, author):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Reset your Postmortems password"


@pytest.mark.django_db
def test_it_saves_the_profile(author_client, author):
    response = author_client.post(
        "/accounts/profile/",
        {
            "display_name": "Alice S.",
            "first_name": "",
            "last_name": "",
            "email": "a@example.org",
            "team": "SRE",
            "job_title": "On-call",
        },
    )
    assert response.status_code == 302
    author.refresh_from_db()
    assert (author.display_name, author.team, author.job_title) == ("Alice S.", "SRE", "On-call")


@pytest.mark.django_db
def test_it_keeps_what_was_typed_when_the_profile_is_invalid(author_client):
    response = author_client.post(
        "/accounts/profile/",
        {"display_name": "Typed name", "email": "not-an-email", "team": "SRE", "job_title": ""},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address" in body
    assert 'value="Typed name"' in body
