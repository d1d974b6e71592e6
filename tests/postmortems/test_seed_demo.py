from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from postmortems.content import document_hash, is_current
from postmortems.models import Postmortem
from postmortems.sections import SECTIONS


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    first = (User.objects.count(), Postmortem.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Postmortem.objects.count()) == first == (6, 3)
    main = Postmortem.objects.get(key="INCIDENT-12345")
    assert "47 minutes" in main.executive_summary
    assert {a.username for a in main.authors.all()} == {"alice", "bob"}
    assert main.status == Postmortem.Status.FINAL
    assert Postmortem.objects.get(key="INCIDENT-8901").status == Postmortem.Status.FINAL
    assert Postmortem.objects.get(key="INCIDENT-12401").status == Postmortem.Status.IN_REVIEW


@pytest.mark.django_db
def test_the_demo_shows_the_whole_review_flow():
    call_command("seed_demo")
    main = Postmortem.objects.with_document().get(key="INCIDENT-12345")
    signed = [(a.role, a.assignee.username) for a in main.approvals.all() if is_current(a, main)]
    assert signed == [
        ("Author", "alice"),
        ("Reviewer (SRE Lead)", "carol"),
        ("Reviewer (Eng Lead)", "erin"),
        ("Approver (VP Eng)", "victor"),
    ]
    assert {a.content_hash for a in main.approvals.all()} == {document_hash(main)}
    assert main.snapshots.get().version == 1
    assert main.next_review_date is not None
    waiting = Postmortem.objects.get(key="INCIDENT-12401")
    unsigned = [a.assignee.username for a in waiting.approvals.all() if not a.is_signed]
    assert unsigned == ["carol", "erin", "victor"]


@pytest.mark.django_db
def test_demo_people_can_sign_in_only_with_debug_on(settings, client):
    def signs_in():
        client.logout()
        response = client.post("/accounts/login/", {"username": "alice", "password": "demo"})
        return response.status_code == 302

    settings.DEBUG = True
    call_command("seed_demo")
    assert signs_in()
    settings.DEBUG = False
    call_command("seed_demo")
    assert not signs_in()


@pytest.mark.django_db
def test_seed_demo_loads_the_whole_template_example():
    call_command("seed_demo")
    call_command("seed_demo")  # twice: rows are replaced, not duplicated
    main = Postmortem.objects.get(key="INCIDENT-12345")
    assert main.timeline.count() == 24
    assert main.timeline.filter(milestone__gt="").count() == 6
    assert main.contributing_factors.count() == 6
    assert main.responders.count() == 4
    assert main.action_items.count() == 16
    assert {
        c: main.action_items.filter(category=c).count()
        for c in ("prevent", "detection", "response", "process")
    } == {
        "prevent": 7,
        "detection": 3,
        "response": 3,
        "process": 3,
    }
    assert main.lessons.count() == 11
    assert main.links.count() == 6
    assert [p.key for p in main.related_incidents.all()] == ["INCIDENT-8901"]
    assert main.slo_target == Decimal("99.9") and main.slo_window_days == 28
    assert all(
        section.completeness(Postmortem.objects.with_document().get(pk=main.pk)).complete
        for section in SECTIONS
    )
