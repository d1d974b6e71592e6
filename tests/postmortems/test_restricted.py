"""Restricted documents are visible only to the people named in them (and admins)."""

import pytest

from postmortems.models import Approval, Postmortem, Responder
from tests.factories import ActionItemFactory, PostmortemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(author):
    return PostmortemFactory(
        key="SEC-2026-0001", title="Leaked token", restricted=True, authors=[author]
    )


def visible(user):
    return set(Postmortem.objects.visible_to(user).values_list("key", flat=True))


def test_open_documents_are_visible_to_everyone_signed_in(postmortem, outsider):
    assert visible(outsider) == {postmortem.key}


@pytest.mark.parametrize("how", ["author", "approver", "responder", "viewer", "admin"])
def test_the_people_named_see_a_restricted_document(secret, how):
    person = UserFactory(is_superuser=(how == "admin"))
    if how == "author":
        secret.authors.add(person)
    elif how == "approver":
        Approval.objects.create(postmortem=secret, role="Reviewer", assignee=person)
    elif how == "responder":
        Responder.objects.create(postmortem=secret, role="SME", user=person)
    elif how == "viewer":
        secret.viewers.add(person)
    assert visible(person) == {"SEC-2026-0001"}


def test_anyone_else_does_not_even_learn_it_exists(client, secret, outsider):
    client.force_login(outsider)
    assert visible(outsider) == set()
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert "SEC-2026-0001" not in client.get("/").content.decode()
    assert "Leaked token" not in client.get("/", {"q": "Leaked"}).content.decode()


def test_its_action_items_stay_hidden(client, secret, outsider):
    ActionItemFactory(postmortem=secret, action="Rotate the token", owner=outsider)
    client.force_login(outsider)
    assert "Rotate the token" not in client.get("/action-items/").content.decode()
    assert "Rotate the token" not in client.get("/action-items/export.csv").content.decode()


def test_a_related_restricted_incident_is_not_named(client, secret, postmortem, outsider):
    postmortem.related_incidents.add(secret)
    client.force_login(outsider)
    body = client.get(postmortem.get_absolute_url()).content.decode()
    assert "SEC-2026-0001" not in body and "Leaked token" not in body


def test_an_author_marks_a_document_restricted_in_the_overview(
    author_client, postmortem, author, outsider
):
    response = author_client.post(
        f"/postmortems/{postmortem.key}/edit/overview/",
        {
            "section_revision": "0",
            "title": postmortem.title,
            "incident_date": "2026-01-29",
            "severity": "sev1",
            "authors": [author.pk],
            "executive_summary": "",
            "restricted": "on",
            "viewers": [],
        },
    )
    assert response.status_code == 302
    assert Postmortem.objects.get(pk=postmortem.pk).restricted
    assert visible(outsider) == set()
    assert "Restricted" in author_client.get(postmortem.get_absolute_url()).content.decode()
