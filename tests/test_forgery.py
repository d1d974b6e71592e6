"""CSRF on every state change, and extra fields posted into edit forms change nothing."""

import pytest
from django.test import Client

from postmortems.models import Approval, Postmortem
from postmortems.sections import SECTIONS
from tests.factories import PostmortemFactory, TimelineEventFactory
from tests.test_access_matrix import DOCUMENT_ROUTES, ITEM_ROUTES, path_for

pytestmark = pytest.mark.django_db

FORGED = {
    "status": "final",
    "key": "FORGED-1",
    "version": "9",
    "revision": "99",
    "section_revisions": '{"impact": 0}',
    "authors": "999",
    "created_by": "999",
    "restricted": "",
    "signed_at": "2026-01-01T00:00:00Z",
    "content_hash": "0" * 64,
    "decision": "approved",
    "next_review_date": "2030-01-01",
}


@pytest.mark.parametrize(
    ("name", "route"),
    DOCUMENT_ROUTES + ITEM_ROUTES,
    ids=[n for n, _ in DOCUMENT_ROUTES + ITEM_ROUTES],
)
def test_every_post_needs_the_csrf_token(author, reviewer, approver, name, route):
    from tests.test_access_matrix import build

    people = {"author": author, "reviewer": reviewer, "approver": approver}
    doc = build(people, "draft")
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    response = client.post(path_for(name, route, doc), {"status": "done", "body": "x"})
    assert response.status_code in (403, 405)
    if response.status_code == 403:
        assert "This form expired" in response.content.decode()


@pytest.mark.parametrize(
    "section", [s for s in SECTIONS if s.form], ids=[s.slug for s in SECTIONS if s.form]
)
def test_extra_fields_in_a_section_form_change_nothing_else(author_client, author, section):
    pm = PostmortemFactory(authors=[author], restricted=False)
    Approval.objects.create(postmortem=pm, role="Reviewer")
    form = section.form(
        instance=pm,
        section_revision=0,
        **({"user": author} if section.slug == "supporting" else {}),
    )
    data = {name: form[name].value() or "" for name in form.fields}
    data = {
        k: ([str(x.pk) if hasattr(x, "pk") else str(x) for x in v] if isinstance(v, list) else v)
        for k, v in data.items()
    }
    data.update(FORGED)
    if section.slug == "overview":
        data["authors"] = [str(author.pk)]
        data["restricted"] = ""
    response = author_client.post(f"/postmortems/{pm.key}/edit/{section.slug}/", data)
    assert response.status_code in (200, 302)
    after = Postmortem.objects.get(pk=pm.pk)
    assert (after.status, after.key, after.version, after.next_review_date) == (
        "draft",
        pm.key,
        1,
        None,
    )
    assert list(after.authors.all()) == [author]
    assert not Approval.objects.get(postmortem=pm).signed_at


def test_extra_fields_in_a_row_form_change_nothing_else(author_client, author):
    pm = PostmortemFactory(authors=[author])
    event = TimelineEventFactory(postmortem=pm)
    other = PostmortemFactory()
    response = author_client.post(
        f"/postmortems/{pm.key}/edit/timeline/rows/{event.pk}/",
        {
            "row-revision": "1",
            "row-occurred_at": "14:00",
            "row-description": "x",
            "row-postmortem": str(other.pk),
            "row-id": "424242",
            "row-revision_forged": "9",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.postmortem_id, event.pk, event.description, event.revision) == (
        pm.pk,
        event.pk,
        "x",
        2,
    )
