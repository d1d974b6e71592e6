"""Error pages say what happened: the database away is a 503 to retry, not a bare 500."""

import pytest
from django.db import OperationalError

from postmortems.models.document import PostmortemQuerySet

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_database(monkeypatch):
    def refuse(self, user):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(PostmortemQuerySet, "visible_to", refuse)


def test_a_lost_database_answers_503_with_retry_after(author_client, unreachable_database):
    author_client.raise_request_exception = False
    response = author_client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "The database is unavailable for a moment" in page
    assert "go back (your text is still in the form) and save again" in page


def test_any_other_error_is_still_a_500(author_client, monkeypatch):
    def broken(self, user):
        raise RuntimeError("a bug")

    monkeypatch.setattr(PostmortemQuerySet, "visible_to", broken)
    author_client.raise_request_exception = False
    response = author_client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Retry-After" not in response


def test_a_malformed_request_gets_the_400_page(author_client):
    # A multipart body without its boundary is malformed: Django raises BadRequest.
    response = author_client.post(
        "/postmortems/import/", data=b"x", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()
