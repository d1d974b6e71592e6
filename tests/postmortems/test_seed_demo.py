import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from postmortems import demo
from postmortems.content import document_hash, is_current
from postmortems.models import Activity, DocumentVersion, Postmortem
from postmortems.sections import SECTIONS
from tests.factories import PostmortemFactory


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


# The demo's reviews all happened before this; the loading day is later.
SPRING_2026 = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_the_demo_is_replayed_through_the_workflow_dated_as_it_happened(mailoutbox):
    call_command("seed_demo")
    main = Postmortem.objects.get(key="INCIDENT-12345")
    log = list(main.activity.order_by("created_at", "id").values_list("verb", "created_at"))
    verbs = [verb for verb, _ in log]
    assert verbs[0] == Activity.Verb.CREATED
    assert verbs[-6:] == [Activity.Verb.SUBMITTED, *[Activity.Verb.SIGNED] * 4, "finalized"]
    drafted = datetime.datetime(2026, 1, 30, 9, 30, tzinfo=datetime.UTC)  # the next morning
    assert main.created_at == log[0][1] == drafted
    final = log[-1][1]
    assert main.snapshots.get().finalized_at == final == main.updated_at
    assert max(a.signed_at for a in main.approvals.all()) == final
    assert main.next_review_date == final.date() + datetime.timedelta(days=30)
    # Each version is dated with the change that made it, never with the loading day.
    versions = DocumentVersion.objects.select_related("postmortem")
    assert versions.count() >= 6
    for version in versions:
        pm = version.postmortem
        assert pm.created_at <= version.created_at <= pm.updated_at < SPRING_2026
    # Every document passed the rules a real one does, and nobody was emailed about it.
    assert not Postmortem.objects.exclude(import_notes="").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_later_saves_of_the_waiting_document_are_versions_of_its_history():
    call_command("seed_demo")
    waiting = Postmortem.objects.get(key="INCIDENT-12401")
    saved = waiting.versions.filter(section__in=["impact", "root-cause"]).order_by("number")
    assert [v.section for v in saved] == ["impact", "root-cause"]
    assert saved[0].content["revenue_impact"] == "About $800 in abandoned checkouts"
    assert waiting.versions.order_by("number").first().content["revenue_impact"] == "Not known yet"


@pytest.mark.django_db
def test_a_demo_step_the_rules_refuse_stops_the_loading(monkeypatch):
    # Bob is an author of INCIDENT-12401: he may not sign it as its reviewer too.
    story = demo.Story("INCIDENT-12401", "bob", signers=("bob", "bob"))
    monkeypatch.setattr(demo, "STORIES", [story])
    with pytest.raises(demo.DemoError, match="INCIDENT-12401"):
        demo.seed_demo()
    assert not Postmortem.objects.filter(key="INCIDENT-12401").exists()  # all or nothing


@pytest.mark.django_db
def test_loading_the_demo_again_keeps_other_documents_links_to_it(author):
    call_command("seed_demo")
    mine = PostmortemFactory(key="INC-2026-0500", authors=[author])
    mine.related_incidents.set([Postmortem.objects.get(key="INCIDENT-8901")])
    before = document_hash(Postmortem.objects.with_document().get(pk=mine.pk))
    call_command("seed_demo")
    mine = Postmortem.objects.with_document().get(pk=mine.pk)
    assert [p.key for p in mine.related_incidents.all()] == ["INCIDENT-8901"]
    assert document_hash(mine) == before  # its signed content did not change behind it
